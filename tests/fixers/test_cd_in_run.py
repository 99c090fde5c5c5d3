"""Inline cases for MF603 cd_in_run, and a shell-level equivalence check of its fix.

The golden fixtures cover the layouts; here: when the previous working directory
is restored and why, how it is resolved, and what the fix does to a real shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from manifesto.fixers import cd_in_run

from manifesto.context import FixContext
from manifesto.cst import parse
from manifesto.cst.values import buildkit_value
from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)


def fix(src: str) -> str:
    result = fix_text(src, [cd_in_run], SETTINGS)
    assert result.errors == ()
    return result.output


def findings(src: str) -> list[tuple[str, bool, str | None]]:
    return [
        (
            f.violation.message,
            f.violation.fix is not None,
            f.violation.reason.slug if f.violation.reason else None,
        )
        for f in check_text(src, [cd_in_run], SETTINGS)
    ]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM debian:12\nRUN cd /src && make\nWORKDIR /app\nCOPY . .\n",
            "FROM debian:12\nWORKDIR /src\nRUN make\nWORKDIR /app\nCOPY . .\n",
            id="later-absolute-workdir-needs-no-restore",
        ),
        pytest.param(
            "FROM debian:12\nRUN cd /src && make\nWORKDIR app\n",
            "FROM debian:12\nWORKDIR /src\nRUN make\nWORKDIR /\nWORKDIR app\n",
            id="later-relative-workdir-needs-restore",
        ),
        pytest.param(
            "FROM debian:12 AS b\nRUN cd /src && make\nCOPY x /opt/x\nENV A=1\n"
            "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
            "FROM scratch\nCOPY --from=b /src/out /out\n",
            "FROM debian:12 AS b\nWORKDIR /src\nRUN make\nCOPY x /opt/x\nENV A=1\n"
            "RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
            "FROM scratch\nCOPY --from=b /src/out /out\n",
            id="nothing-later-depends",
        ),
        pytest.param(
            'FROM debian:12 AS base\nWORKDIR /app\nFROM base\nRUN cd web && make\nCMD ["x"]\n',
            "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nWORKDIR /app/web\nRUN make\n"
            'WORKDIR /app\nCMD ["x"]\n',
            id="workdir-from-the-parent-stage",
        ),
        pytest.param(
            "FROM debian:12 AS b\nRUN cd /src && make\nFROM b\nRUN make test\n",
            "FROM debian:12 AS b\nWORKDIR /src\nRUN make\nWORKDIR /\nFROM b\nRUN make test\n",
            id="stage-built-on-keeps-the-workdir",
        ),
        pytest.param(
            "FROM debian:12 AS b\nRun cd /src && make\n",
            "FROM debian:12 AS b\nWorkdir /src\nRun make\nWorkdir /\n",
            id="mixed-keyword-case",
        ),
        pytest.param(
            "FROM debian:12 AS b\n  RUN cd /src && make\nFROM scratch\n",
            "FROM debian:12 AS b\n  WORKDIR /src\n  RUN make\nFROM scratch\n",
            id="indented",
        ),
        pytest.param(
            "FROM debian:12 AS b\nRUN cd /src && if [ -f x ]; then make; fi\nFROM scratch\n",
            "FROM debian:12 AS b\nWORKDIR /src\nRUN if [ -f x ]; then make; fi\nFROM scratch\n",
            id="compound-after-cd",
        ),
        pytest.param(
            "FROM debian:12 AS b\nWORKDIR /app\nRUN cd ../lib && make\nFROM scratch\n",
            "FROM debian:12 AS b\nWORKDIR /app\nWORKDIR /lib\nRUN make\nFROM scratch\n",
            id="relative-with-dots",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert fix(src) == expected
    assert fix(expected) == expected


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param("FROM node:20\nRUN cd /tmp && make\n", "workdir-unknown", id="image-workdir"),
        pytest.param("FROM node:20 AS b\nRUN cd tmp && make\n", "workdir-unknown", id="relative"),
        pytest.param(
            # the file names the directory, with a variable: not "the base image sets it"
            "FROM debian:12\nWORKDIR $HOME\nRUN cd src && make\n",
            "workdir-not-literal",
            id="workdir-variable",
        ),
        pytest.param(
            "FROM debian:12\nWORKDIR $HOME\nRUN cd /src && make\nCMD make\n",
            "workdir-not-literal",
            id="workdir-variable-needed-later",
        ),
        pytest.param("FROM debian:12\nRUN cd ~/x && make\n", "path-not-literal", id="tilde"),
        pytest.param("FROM debian:12\nRUN cd /x* && make\n", "path-not-literal", id="glob"),
        pytest.param("FROM debian:12\nRUN cd -P /x && make\n", "path-not-literal", id="option"),
        pytest.param(
            "FROM debian:12\nRUN cd /x && \\\n# why\n    make\n", "comment-in-chain", id="comment"
        ),
        pytest.param(
            "FROM debian:12\nRUN for d in a b; do cd $d; done\n", "cd-not-first", id="loop"
        ),
        pytest.param(
            "FROM debian:12\nRUN cd /x && make && echo $OLDPWD\n", "oldpwd-used", id="oldpwd"
        ),
        pytest.param(
            "FROM debian:12 AS b\nRUN --mount=type=cache,target=/cache cd /cache/x && make\n",
            "cd-into-mount",
            id="into-a-mount",
        ),
    ],
)
def test_findings_without_fix(src: str, slug: str) -> None:
    [(_message, fixable, reason)] = findings(src)
    assert not fixable
    assert reason == slug
    assert fix(src) == src


def test_the_message_says_what_needs_the_old_directory() -> None:
    [(message, fixable, _)] = findings("FROM debian:12\nRUN cd /src && make\nCOPY a b\n")
    assert fixable
    assert message == (
        "`cd /src` starts the RUN: use `WORKDIR /src` (and `WORKDIR /` after it: line 3 (COPY)"
        " runs there)"
    )


@pytest.mark.parametrize(
    ("later", "needs"),
    [
        pytest.param("RUN cd /tmp && make", "line 4 (CMD)", id="absolute cd"),
        pytest.param("RUN cd build && make", "line 3 (RUN)", id="relative cd"),
        pytest.param("RUN cd /tmp; make", "line 3 (RUN)", id="cd then ;"),
        pytest.param("RUN --mount=target=cache cd /tmp && make", "line 3 (RUN)", id="mount"),
    ],
)
def test_a_run_that_goes_to_its_own_directory_first_does_not_need_it(
    later: str, needs: str
) -> None:
    # `RUN cd /tmp && make` leaves the directory it is given at once: what needs the
    # one the first RUN leaves is the CMD after it
    src = f'FROM example/app:1\nRUN cd /tmp && tar -xf a.tgz\n{later}\nCMD ["/app"]\n'
    first = findings(src)[0]
    assert first == (
        "`cd /tmp` in a RUN: the working directory before the RUN is unknown (the base"
        f" image sets it), and {needs} needs it: name it with a WORKDIR first",
        False,
        "workdir-unknown",
    )


def test_one_finding_per_run_and_none_for_subshells() -> None:
    src = "FROM debian:12\nRUN cd /a && make && cd /b && make\nRUN (cd /c && make)\n"
    assert len(findings(src)) == 1


def test_fixing_several_runs_settles() -> None:
    # The first pass fixes the first and the last RUN (the middle one's WORKDIR would go
    # where the first one's restore goes); the next pass sees that the middle RUN is
    # followed by `WORKDIR /c`, so it needs no restore of its own.
    src = "FROM debian:12\nWORKDIR /w\nRUN cd /a && make\nRUN cd /b && make\nRUN cd /c && make\n"
    assert fix(src) == (
        "FROM debian:12\nWORKDIR /w\n"
        "WORKDIR /a\nRUN make\nWORKDIR /w\n"
        "WORKDIR /b\nRUN make\n"
        "WORKDIR /c\nRUN make\nWORKDIR /w\n"
    )


# --------------------------------------------------------------------------- the shell

SH = shutil.which("sh")


def _simulate(text: str, root: Path) -> tuple[dict[str, str], str]:
    """Run a Dockerfile's WORKDIR and RUN instructions as a builder would, on this
    machine (WORKDIR creates its directory; each RUN is a fresh ``sh -c`` in it):
    the files made under ``root`` with their contents, and the last directory."""
    assert SH is not None
    tree = parse(text)
    ctx = FixContext(text, tree)
    cwd = str(root / "start")
    os.makedirs(cwd, exist_ok=True)
    for ins in tree.instructions:
        if ins.keyword == "WORKDIR":
            cwd = os.path.normpath(os.path.join(cwd, buildkit_value(ins)[0][0]))
            os.makedirs(cwd, exist_ok=True)
        elif ins.keyword == "RUN":
            script = ctx.shell(ins)
            assert script is not None
            subprocess.run([SH, "-ec", script.source.text], cwd=cwd, check=True, timeout=30, env={})
    files = {
        str(p.relative_to(root)): p.read_text() if p.is_file() else "<dir>"
        for p in sorted(root.rglob("*"))
    }
    return files, os.path.relpath(cwd, root)


@pytest.mark.skipif(SH is None, reason="no sh")
@pytest.mark.parametrize(
    "runs",
    [
        pytest.param(
            "RUN cd {root}/src && mkdir -p out && echo built > out/app && touch stamp\n"
            "RUN echo later > later.txt\n",
            id="restore-for-a-later-run",
        ),
        pytest.param(
            "RUN cd {root}/src \\\n    && echo one > one \\\n    && echo two > two\n",
            id="operator-first",
        ),
        pytest.param(
            "RUN cd ../src && if [ -d . ]; then echo yes > answer; fi\nRUN pwd > where\n",
            id="relative-and-compound",
        ),
    ],
)
def test_the_fixed_file_does_what_the_original_did(tmp_path: Path, runs: str) -> None:
    root = tmp_path / "root"
    head = f"FROM debian:12\nWORKDIR {root}/start\n"
    original = head + runs.format(root=root)
    fixed = fix(original)
    assert fixed != original
    (root / "src").mkdir(parents=True)  # cd needs it; WORKDIR would create it
    before = _simulate(original, root)
    shutil.rmtree(root)
    (root / "src").mkdir(parents=True)
    after = _simulate(fixed, root)
    assert after == before
