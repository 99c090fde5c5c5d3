"""MF602 dockerignore_missing: a new file beside the Dockerfile, from what the
directory holds. The cases are directories, so they are built here, not as goldens."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from manifesto.fixers import dockerignore_missing

from conftest import write
from manifesto.context_files import context_file_reader, context_lister
from manifesto.edits import NewFile
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.reasons import catalogued
from manifesto.runner import Job, Mode, _create

PY = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER nobody\nCMD ["python", "app.py"]\n'
HEADER = dockerignore_missing.HEADER


def project(root: Path, *paths: str, dockerfile: str = PY) -> Path:
    """A directory holding ``paths`` (a trailing ``/`` makes a directory) and a Dockerfile."""
    for p in paths:
        if p.endswith("/"):
            (root / p).mkdir(parents=True, exist_ok=True)
        else:
            write(root / p, "x\n")
    return write(root / "Dockerfile", dockerfile)


def settings(dockerfile: Path) -> EngineSettings:
    return EngineSettings(unsafe_fixes=True, list_context=context_lister(dockerfile))


def created(dockerfile: Path) -> str | None:
    result = fix_text(dockerfile.read_text(), [dockerignore_missing], settings(dockerfile))
    assert result.errors == ()
    assert result.output == dockerfile.read_text()  # the Dockerfile itself is untouched
    if not result.new_files:
        return None
    (new,) = result.new_files
    assert new.path == ".dockerignore"
    return new.content


def test_entries_come_from_what_the_directory_holds(tmp_path: Path) -> None:
    dockerfile = project(
        tmp_path,
        ".git/HEAD",
        "node_modules/left-pad/index.js",
        "src/__pycache__/m.cpython-312.pyc",
        "src/m.py",
        "old.pyc",
        "venv/pyvenv.cfg",
        ".env",
        ".env.local",
        "debug.log",
        ".vscode/settings.json",
        "app.py",
    )
    assert created(dockerfile) == HEADER + (
        ".git\n**/node_modules\n**/__pycache__\n**/*.pyc\nvenv\n.env\n.env.*\n*.log\n.vscode\n"
    )


def test_nothing_to_exclude_no_finding(tmp_path: Path) -> None:
    dockerfile = project(tmp_path, "app.py", "requirements.txt")
    assert created(dockerfile) is None
    assert check_text(dockerfile.read_text(), [dockerignore_missing], settings(dockerfile)) == []


def test_an_existing_ignore_file_is_respected(tmp_path: Path) -> None:
    dockerfile = project(tmp_path, ".git/HEAD", ".dockerignore")
    assert created(dockerfile) is None
    other = tmp_path / "other"
    dockerfile = project(other, ".git/HEAD", "Dockerfile.dockerignore")
    assert created(dockerfile) is None


def test_paths_a_copy_names_are_never_excluded(tmp_path: Path) -> None:
    dockerfile = project(
        tmp_path,
        "node_modules/x/index.js",
        "target/app.jar",
        "pom.xml",
        ".env",
        ".git/HEAD",
        dockerfile=(
            "FROM eclipse-temurin:21-jre\nCOPY target/app.jar /app.jar\n"
            "COPY node_modules /srv/node_modules\nCOPY .env* /etc/app/\nCOPY . /src\n"
            "USER nobody\n"
        ),
    )
    assert created(dockerfile) == HEADER + ".git\n"


def test_only_what_some_copy_would_copy(tmp_path: Path) -> None:
    # COPY src only: the .git and node_modules at the top are never sent
    dockerfile = project(
        tmp_path,
        ".git/HEAD",
        "node_modules/x/index.js",
        "src/__pycache__/m.pyc",
        dockerfile="FROM python:3.12-slim\nCOPY src /app\nUSER nobody\n",
    )
    assert created(dockerfile) == HEADER + "**/__pycache__\n**/*.pyc\n"


def test_no_copy_from_the_context_no_finding(tmp_path: Path) -> None:
    dockerfile = project(
        tmp_path,
        ".git/HEAD",
        dockerfile="FROM alpine:3.20\nCOPY --from=build /out /out\nUSER nobody\n",
    )
    assert created(dockerfile) is None


def test_a_build_that_runs_git_keeps_the_history(tmp_path: Path) -> None:
    dockerfile = project(
        tmp_path,
        ".git/HEAD",
        "node_modules/x/index.js",
        dockerfile=(
            "FROM node:20\nCOPY . .\nRUN npm ci && git describe --tags > VERSION\nUSER node\n"
        ),
    )
    assert created(dockerfile) == HEADER + "**/node_modules\n"


def reading(dockerfile: Path) -> EngineSettings:
    """:func:`settings`, with the context files readable as the CLI reads them."""
    return replace(settings(dockerfile), read_context_file=context_file_reader(dockerfile))


def test_a_project_versioned_from_git_keeps_the_history(tmp_path: Path) -> None:
    # setuptools-scm reads the version from .git: without it `pip install .` fails
    dockerfile = project(
        tmp_path,
        ".git/HEAD",
        "src/__pycache__/m.pyc",
        dockerfile="FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install .\n",
    )
    write(tmp_path / "pyproject.toml", '[build-system]\nrequires = ["setuptools-scm>=8"]\n')
    result = fix_text(dockerfile.read_text(), [dockerignore_missing], reading(dockerfile))
    (new,) = result.new_files
    assert new.content == HEADER + "**/__pycache__\n**/*.pyc\n"


def test_a_path_a_later_instruction_uses_is_kept(tmp_path: Path) -> None:
    # the jar is built outside and taken from the copied context
    dockerfile = project(
        tmp_path,
        "target/app.jar",
        "pom.xml",
        ".idea/misc.xml",
        dockerfile=(
            "FROM eclipse-temurin:21-jre\nCOPY . /src\nRUN cp /src/target/app.jar /app.jar\n"
            "USER nobody\n"
        ),
    )
    assert created(dockerfile) == HEADER + ".idea\n"


def test_a_node_image_that_installs_nothing_keeps_node_modules(tmp_path: Path) -> None:
    dockerfile = project(
        tmp_path,
        "node_modules/x/index.js",
        ".vscode/settings.json",
        dockerfile='FROM node:20\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n',
    )
    assert created(dockerfile) == HEADER + ".vscode\n"


def test_what_a_dockerfile_below_copies_from_this_context_is_kept(tmp_path: Path) -> None:
    # docker/Dockerfile is built with `-f docker/Dockerfile .`: this context, its COPY
    dockerfile = project(tmp_path, ".git/HEAD", ".vscode/settings.json")
    write(tmp_path / "docker" / "Dockerfile", "FROM alpine:3.20\nCOPY .git /src/.git\n")
    result = fix_text(dockerfile.read_text(), [dockerignore_missing], reading(dockerfile))
    (new,) = result.new_files
    assert new.content == HEADER + ".vscode\n"


def test_several_dockerfiles_in_one_directory_get_a_finding(tmp_path: Path) -> None:
    dockerfile = project(tmp_path, ".git/HEAD", "Dockerfile.prod")
    findings = check_text(dockerfile.read_text(), [dockerignore_missing], settings(dockerfile))
    (finding,) = findings
    assert finding.violation.fix is None
    assert "several Dockerfiles share this directory (Dockerfile.prod)" in (
        finding.violation.message
    )
    assert finding.violation.reason is not None
    assert catalogued(finding.violation.reason.text)


def test_without_a_listing_nothing_happens() -> None:
    # stdin, or the pure API: no directory to look at
    result = fix_text(PY, [dockerignore_missing], EngineSettings(unsafe_fixes=True))
    assert result.new_files == ()
    assert result.applied == ()


def test_creating_never_replaces_a_file(tmp_path: Path) -> None:
    dockerfile = project(tmp_path, ".git/HEAD")
    job = Job(dockerfile, "Dockerfile", Mode.FIX, None)  # type: ignore[arg-type]
    assert _create(job, NewFile(".dockerignore", ".git\n")) == ()
    assert (tmp_path / ".dockerignore").read_text() == ".git\n"
    assert _create(job, NewFile(".dockerignore", "other\n")) == (
        ".dockerignore: already exists: not replaced",
    )
    assert (tmp_path / ".dockerignore").read_text() == ".git\n"
    # a dangling link is not followed out of the tree
    os.symlink("/etc/passwd-not-there", tmp_path / "link")
    assert _create(job, NewFile("link", "x")) == ("link: already exists: not replaced",)
    assert not os.path.exists("/etc/passwd-not-there")


def manifesto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_diff_creates_it_with_git_apply_and_fix_writes_it_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project(repo / "svc", ".git/HEAD", "node_modules/x/index.js", "app.py")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, timeout=60)
    diff = manifesto("fix", "--diff", "--unsafe-fixes", "--select", "MF602", ".", cwd=repo)
    assert diff.returncode == 1, diff.stderr
    assert diff.stdout.startswith("--- /dev/null\n+++ b/svc/.dockerignore\n@@ -0,0 +1,4 @@\n")
    safe = manifesto("fix", "--diff", "--select", "MF602", ".", cwd=repo)
    assert safe.stdout == ""  # unsafe: only with --unsafe-fixes
    applied = subprocess.run(
        ["git", "apply", "-p1"], cwd=repo, input=diff.stdout, text=True, timeout=60, check=False
    )
    assert applied.returncode == 0, applied.stderr
    by_git = (repo / "svc" / ".dockerignore").read_text()
    (repo / "svc" / ".dockerignore").unlink()
    fixed = manifesto("fix", "--unsafe-fixes", "--select", "MF602", ".", cwd=repo)
    assert fixed.returncode == 0, fixed.stderr
    assert (
        (repo / "svc" / ".dockerignore").read_text()
        == by_git
        == (HEADER + ".git\n**/node_modules\n")
    )
    again = manifesto("fix", "--unsafe-fixes", "--select", "MF602", ".", cwd=repo)
    assert again.returncode == 0
    assert "0 changed" in again.stderr


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_reports_carry_the_new_file(tmp_path: Path, fmt: str) -> None:
    import json

    project(tmp_path, ".git/HEAD")
    out = manifesto(
        "check", "--unsafe-fixes", "--select", "MF602", "--output-format", fmt, ".", cwd=tmp_path
    )
    doc = json.loads(out.stdout)
    if fmt == "json":
        (d,) = doc
        assert d["fix"]["new_files"] == [{"path": ".dockerignore", "content": HEADER + ".git\n"}]
    else:
        (result,) = doc["runs"][0]["results"]
        (change,) = result["fixes"][0]["artifactChanges"]
        assert change["artifactLocation"]["uri"] == ".dockerignore"
        assert change["replacements"][0]["insertedContent"]["text"] == HEADER + ".git\n"
