"""MF203 at the shell level: the split RUNs do what the RUN did, and fail where it failed.

For each golden case that changes, the RUN scripts of the input and of the expected
output are run as Docker runs them: each in a fresh ``sh -c`` from the same working
directory, in order, the build stopping at the first non-zero exit. The programs
are harmless stand-ins (``chained_run_stub.py`` under each program's name, first on
``PATH``) and every absolute path the scripts name is moved into a temporary
sandbox. Both builds must leave the same file tree, make the same calls in the
same directories, and exit with the same code: once with nothing failing, and
once for each call of the chain made to fail in turn.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from manifesto.cst import parse

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "fixers" / "chained_run"
STUB = Path(__file__).with_name("chained_run_stub.py")
STUBBED = ("apt-get", "apk", "curl", "wget", "tar", "git", "go", "gcc", "pip", "make", "http")
SANDBOXED_ROOTS = re.compile(r"(?<![\w.$/-])/(etc|tmp|opt|usr|var|go)(?=/|\b)")
TIMEOUT = 20


@dataclass(frozen=True, slots=True)
class Build:
    exit_code: int
    tree: dict[str, str]
    calls: list[str]


def _run_scripts(text: str) -> list[str]:
    """The shell scripts of the file's RUNs, as BuildKit hands them to the shell."""
    tree = parse(text)
    return [ins.args_text for ins in tree.instructions if ins.keyword == "RUN"]


def _sandboxed(script: str) -> str:
    return SANDBOXED_ROOTS.sub(lambda m: f"$SANDBOX/{m.group(1)}", script)


def _bin_dir(tmp: Path) -> Path:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for program in STUBBED:
        launcher = bin_dir / program
        launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S -E "{STUB}" "$0" "$@"\n')
        launcher.chmod(0o755)
    return bin_dir


def _build(scripts: list[str], tmp: Path, fail_on: str | None) -> Build:
    sandbox = tmp / "sandbox"
    for folder in ("etc", "tmp", "opt", "usr/local/bin", "usr/src", "var", "go/src", "work"):
        (sandbox / folder).mkdir(parents=True)
    env = {
        "PATH": f"{_bin_dir(tmp)}:/usr/bin:/bin",
        "SANDBOX": str(sandbox),
        "STUB_LOG": str(tmp / "calls.log"),
        "HOME": str(sandbox / "root"),
    }
    if fail_on is not None:
        env["STUB_FAIL_ON"] = fail_on
    exit_code = 0
    for script in scripts:
        done = subprocess.run(
            ["sh", "-c", _sandboxed(script)],
            cwd=sandbox / "work",
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            exit_code = done.returncode
            break
    tree = {
        str(path.relative_to(sandbox)): path.read_text() if path.is_file() else "<dir>"
        for path in sorted(sandbox.rglob("*"))
    }
    log = tmp / "calls.log"
    # sorted: the parts of a pipeline log in any order
    calls = sorted(log.read_text().splitlines()) if log.exists() else []
    return Build(exit_code, tree, calls)


def _split_cases() -> list[Path]:
    return sorted(
        case
        for case in FIXTURES.glob("*.in.Dockerfile")
        if case.with_name(case.name.replace(".in.", ".out.")).exists()
    )


def _compare(before: list[str], after: list[str], tmp: Path, fail_on: str | None) -> None:
    original = _build(before, tmp / "original", fail_on)
    split = _build(after, tmp / "split", fail_on)
    assert split.calls == original.calls
    assert split.exit_code == original.exit_code
    assert split.tree == original.tree


@pytest.mark.parametrize("case", _split_cases(), ids=lambda p: p.name.split(".")[0])
def test_split_runs_do_what_the_run_did(case: Path, tmp_path: Path) -> None:
    before = _run_scripts(case.read_text("utf-8"))
    after = _run_scripts(case.with_name(case.name.replace(".in.", ".out.")).read_text("utf-8"))
    assert len(after) > len(before), "the expected output splits nothing"
    reference = _build(before, tmp_path / "reference", None)
    assert reference.exit_code == 0, "the fixture does not build with the stand-ins"
    assert reference.calls, "no stand-in was called: the test would compare nothing"
    _compare(before, after, tmp_path / "ok", None)
    for k, call in enumerate(dict.fromkeys(reference.calls)):
        _compare(before, after, tmp_path / f"fail-{k}", call.split(" ", 1)[1])


def test_a_cut_at_semicolon_without_errexit_is_caught(tmp_path: Path) -> None:
    """The harness sees what MF203 must not do: cut `a; b` where `a` may fail and
    nothing stops the script there (semicolon-without-errexit is left alone)."""
    install = "apt-get install -y --no-install-recommends curl"
    fetch = "curl -fsSL -o /usr/local/bin/tool https://example.com/tool"
    before = [f"apt-get update; {install}; {fetch}"]
    naive = [f"apt-get update; {install}", fetch]
    _compare(before, naive, tmp_path / "ok", None)  # alike while nothing fails
    original = _build(before, tmp_path / "original", install)
    split = _build(naive, tmp_path / "split", install)
    assert original.exit_code == 0  # the RUN went on and its last command succeeded
    assert split.exit_code != 0
    assert split.calls != original.calls


def test_the_sandbox_keeps_paths_inside() -> None:
    assert _sandboxed("curl -o /tmp/x https://example.com/tmp/y && cd /usr/src") == (
        "curl -o $SANDBOX/tmp/x https://example.com/tmp/y && cd $SANDBOX/usr/src"
    )
    assert os.sep == "/"
