"""A bulk migration as multi-gitter, turbolift and Sourcegraph batch changes run it:
one ``manifesto fix --exit-zero .`` per repository checkout, then ``git status``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write

DIRTY = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER nobody\n"
FIXED = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y curl"
    " && rm -rf /var/lib/apt/lists/*\nUSER nobody\n"
)
CLEAN = "FROM debian:12\nRUN echo hello\nUSER nobody\n"
BROKEN = "FROM debian:12\nRUN apt-get install -y \\\n    curl\n    wget\n"  # lost backslash
PLACES = ("Dockerfile", "docker/Dockerfile.prod", "services/api/Dockerfile", "Containerfile")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout


def make_repo(root: Path, i: int) -> tuple[Path, set[str], set[str]]:
    """Repository ``i``: Dockerfiles to fix, clean ones, a broken one in every fifth,
    a git-ignored one; returns it with the paths that must change and must not."""
    repo = root / f"repo{i:02}"
    change: set[str] = set()
    keep: set[str] = set()
    for j, place in enumerate(PLACES):
        if (i + j) % 3 == 0:
            write(repo / place, CLEAN)
            keep.add(place)
        elif (i + j) % 3 == 1:
            write(repo / place, DIRTY)
            change.add(place)
    if i % 5 == 0:
        write(repo / "legacy" / "Dockerfile", BROKEN)
        keep.add("legacy/Dockerfile")
    write(repo / "build" / "Dockerfile", DIRTY)  # generated: ignored by git and by manifesto
    write(repo / ".gitignore", "build/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return repo, change, keep


def migrate(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", "fix", "--exit-zero", "-q", "."],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_thirty_repositories(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    for i in range(30):
        repo, change, keep = make_repo(tmp_path, i)
        first = migrate(repo)
        broken = "legacy/Dockerfile" in keep
        assert first.returncode == (2 if broken else 0), first.stderr
        if broken:
            assert "legacy/Dockerfile:4:5: " in first.stderr  # named, and left as it is
        status = git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored")
        changed = {line[3:] for line in status.splitlines() if line.startswith(" M ")}
        others = [line for line in status.splitlines() if not line.startswith(" M ")]
        assert changed == change, repo
        assert others == ["!! build/Dockerfile"], others  # no caches, temporary or backup files
        for path in change:
            assert (repo / path).read_text() == FIXED
        assert (repo / "build" / "Dockerfile").read_text() == DIRTY
        second = migrate(repo)
        assert second.returncode == first.returncode
        assert git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored") == status
