"""MF108 zypper_cache_kept: inline cases."""

from __future__ import annotations

import pytest
from manifesto.fixers import zypper_cache_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
CLEAN = "zypper clean --all"


def _fix(src: str) -> str:
    result = fix_text(src, [zypper_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(f"RUN zypper -n in x && {CLEAN}", id="already clean"),
        pytest.param("RUN zypper -n in x && zypper clean", id="plain clean"),
        pytest.param("RUN zypper -n in x && zypper cc -a", id="cc -a"),
        pytest.param("RUN zypper -n in x && zypper -q clean --all", id="global option"),
        pytest.param("RUN zypper -n in x && rm -rf /var/cache/zypp", id="rm"),
        pytest.param("RUN zypper -n refresh", id="refresh fills the cache on purpose"),
        pytest.param("RUN zypper -n rm x", id="remove"),
        pytest.param("RUN zypper lr", id="list repositories"),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/zypp zypper -n in x", id="cache mount"
        ),
        pytest.param("ONBUILD RUN zypper -n in x", id="onbuild"),
    ],
)
def test_no_change(src: str) -> None:
    text = f"FROM opensuse/leap:15.6\n{src}\n"
    assert _fix(text) == text


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("RUN zypper -n in x", f"RUN zypper -n in x && {CLEAN}", id="in"),
        pytest.param(
            "RUN zypper --non-interactive install x",
            f"RUN zypper --non-interactive install x && {CLEAN}",
            id="install",
        ),
        pytest.param("RUN zypper -n up", f"RUN zypper -n up && {CLEAN}", id="up"),
        pytest.param("RUN zypper -n patch", f"RUN zypper -n patch && {CLEAN}", id="patch"),
        pytest.param("RUN zypper -n dup", f"RUN zypper -n dup && {CLEAN}", id="dup"),
        pytest.param(
            "RUN zypper -n --gpg-auto-import-keys in x",
            f"RUN zypper -n --gpg-auto-import-keys in x && {CLEAN}",
            id="flag before the subcommand",
        ),
        pytest.param(
            "RUN zypper -D /etc/zypp/repos.d -n in x",
            f"RUN zypper -D /etc/zypp/repos.d -n in x && {CLEAN}",
            id="option with a value before the subcommand",
        ),
        pytest.param(
            "RUN sudo zypper -n in x",
            "RUN sudo zypper -n in x && sudo zypper clean --all",
            id="sudo",
        ),
        pytest.param(
            "RUN /usr/bin/zypper -n in x",
            "RUN /usr/bin/zypper -n in x && /usr/bin/zypper clean --all",
            id="path",
        ),
        pytest.param(
            "RUN zypper -n in x && zypper clean && zypper -n in y",
            f"RUN zypper -n in x && zypper clean && zypper -n in y && {CLEAN}",
            id="install after the clean",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    text = "FROM opensuse/leap:15.6\n"
    assert _fix(f"{text}{src}\n") == f"{text}{expected}\n"


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param("RUN zypper --root /r -n in x", "--root", id="root"),
        pytest.param("RUN zypper -R /r -n in x", "--root", id="-R"),
        pytest.param("RUN zypper --cache-dir /c -n in x", "cache directory", id="cache-dir"),
        pytest.param("RUN zypper -n in --download-only x", "--download-only", id="download-only"),
        pytest.param("RUN zypper -n in --download only x", "--download-only", id="download only"),
        pytest.param(
            "RUN zypper -n in x\nRUN zypper --no-refresh -n in y && zypper cc",
            "offline",
            id="later no-refresh",
        ),
    ],
)
def test_report_only(src: str, reason: str) -> None:
    text = f"FROM opensuse/leap:15.6\n{src}\n"
    assert _fix(text) == text
    messages = [f.violation.message for f in check_text(text, [zypper_cache_kept], SETTINGS)]
    assert messages and reason in messages[0]


def test_a_cache_mount_inside_the_cache_directory_gets_no_fix() -> None:
    # `zypper clean --all` would empty the packages the author keeps in a cache mount.
    src = (
        "FROM opensuse/leap:15.6\n"
        "RUN --mount=type=cache,target=/var/cache/zypp/packages zypper install -y x\n"
    )
    assert _fix(src) == src
    (finding,) = check_text(src, [zypper_cache_kept], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "mount-inside-cache"
