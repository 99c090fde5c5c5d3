"""MF604 add_local_files: which ADDs become COPY."""

from __future__ import annotations

import pytest
from manifesto.fixers import add_local_files

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings()


def _fix(src: str) -> str:
    result = fix_text(src, [add_local_files], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("ADD . /app", "COPY . /app", id="context"),
        pytest.param("ADD ./ /app/", "COPY ./ /app/", id="directory"),
        pytest.param("ADD a.sh b.py /x/", "COPY a.sh b.py /x/", id="several files"),
        pytest.param("ADD Makefile /x", "COPY Makefile /x", id="no extension"),
        pytest.param("ADD backup.tar/ /x/", "COPY backup.tar/ /x/", id="directory named .tar"),
        pytest.param("ADD *.sh /bin/", "COPY *.sh /bin/", id="glob with a plain extension"),
        pytest.param("ADD --chown=1:1 a /a", "COPY --chown=1:1 a /a", id="chown kept"),
        pytest.param("ADD --chmod=755 a /a", "COPY --chmod=755 a /a", id="chmod kept"),
        pytest.param("ADD --link a /a", "COPY --link a /a", id="link kept"),
        pytest.param("add a /a", "copy a /a", id="lower case"),
        pytest.param('ADD ["a b", "/c"]', 'COPY ["a b", "/c"]', id="json form"),
        pytest.param("ADD app.jar /app.jar", "COPY app.jar /app.jar", id="jar: a zip"),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(f"FROM debian:12\n{src}\n") == f"FROM debian:12\n{expected}\n"


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("ADD rootfs.tar /", id="tar"),
        pytest.param("ADD x.tar.gz /", id="tar.gz"),
        pytest.param("ADD x.TGZ /", id="tgz upper case"),
        pytest.param("ADD x.tar.bz2 /", id="bz2"),
        pytest.param("ADD x.tbz2 /", id="tbz2"),
        pytest.param("ADD x.tar.xz /", id="xz"),
        pytest.param("ADD x.txz /", id="txz"),
        pytest.param("ADD x.tar.zst /", id="zst"),
        pytest.param("ADD a.sh x.gz /d/", id="one archive among files"),
        pytest.param("ADD https://example.com/a /a", id="url"),
        pytest.param("ADD http://example.com/a.sh /a", id="http url"),
        pytest.param("ADD git@github.com:a/b.git /b", id="scp git"),
        pytest.param("ADD github.com/a/b /b", id="github shorthand"),
        pytest.param("ADD https://github.com/a/b.git#main /b", id="git over https"),
        # BuildKit unquotes shell-form sources: ADD still unpacks these.
        pytest.param('ADD "x.tar.gz" /x/', id="double-quoted archive"),
        pytest.param("ADD 'x.tgz' /x/", id="single-quoted archive"),
        pytest.param("ADD x\\.tar.gz /x/", id="escaped dot"),
        # A tar under another name: ADD goes by content and unpacks it.
        pytest.param("ADD rack-3.0.gem /tmp/", id="ruby gem"),
        pytest.param("ADD serde-1.0.crate /tmp/", id="rust crate"),
        pytest.param("ADD appliance.ova /vm/", id="ova"),
        pytest.param("ADD musl-1.2.apk /pkgs/", id="alpine package"),
    ],
)
def test_add_doing_more_than_copy_is_not_reported(src: str) -> None:
    text = f"FROM debian:12\n{src}\n"
    assert check_text(text, [add_local_files], SETTINGS) == []


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param("ADD --checksum=sha256:ab a /a", "add-only-flag", id="checksum"),
        pytest.param("ADD --unpack=false a /a", "add-only-flag", id="unpack"),
        pytest.param("ADD --keep-git-dir a /a", "add-only-flag", id="keep-git-dir"),
        pytest.param("ADD $SRC /a", "may-be-archive", id="variable"),
        pytest.param("ADD ${DIR}/app /a", "may-be-archive", id="braced variable"),
        pytest.param("ADD dist/* /a/", "may-be-archive", id="bare glob"),
        pytest.param("ADD pkg-*.t?z /a/", "may-be-archive", id="glob in the extension"),
        pytest.param("ADD *.gz /a/", "may-be-archive", id="glob of archives"),
        pytest.param("ADD app.jar app.jar", "relative-destination", id="relative destination"),
    ],
)
def test_reported_without_fix(src: str, slug: str) -> None:
    text = f"FROM debian:12\n{src}\n"
    assert _fix(text) == text
    (finding,) = check_text(text, [add_local_files], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == slug


@pytest.mark.parametrize("destination", ['"/srv/"', "'/srv/'", '"${HOME}"'])
def test_a_quoted_destination_is_not_taken_for_a_relative_one(destination: str) -> None:
    # BuildKit unquotes the destination too: "/srv/" is absolute, not relative.
    text = f"FROM debian:12\nADD a.txt {destination}\n"
    assert _fix(text) == f"FROM debian:12\nCOPY a.txt {destination}\n"


def test_a_workdir_makes_a_relative_destination_fine() -> None:
    text = "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nADD app.jar app.jar\n"
    assert _fix(text) == "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nCOPY app.jar app.jar\n"


def test_bytes_outside_the_keyword_stay() -> None:
    text = "FROM debian:12\n  ADD\t--chown=a:b \\\n   x /y  \n"
    assert _fix(text) == "FROM debian:12\n  COPY\t--chown=a:b \\\n   x /y  \n"
