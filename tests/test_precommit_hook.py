"""The pre-commit hooks: the same files as directory discovery, the configuration
followed, and the real ``pre-commit`` running them from this repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import write
from manifesto.discover import DOCKERFILE_PATH_PATTERN, is_dockerfile_name

ROOT = Path(__file__).resolve().parents[1]
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
BY_ID = {hook["id"]: hook for hook in HOOKS}


def test_hooks_use_the_one_definition_of_a_dockerfile() -> None:
    for hook in HOOKS:
        assert hook["files"] == DOCKERFILE_PATH_PATTERN
        assert "exclude" not in hook  # the pattern says it all
        assert "--force-exclude" in hook["entry"].split()


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "Containerfile",
        "Dockerfile.alpine",
        "Dockerfile-base",
        "api.Dockerfile",
        "web-Dockerfile",
        "Dockerfile.j2",
        "Dockerfile.md",
        "Dockerfile.template",
        "README.md",
        "docker-compose.yml",
        "Dockerfiles",
        "Dockerfile.orig",
        # names a looser hook pattern used to take and discovery skips
        "dockerfile.prod",
        "foo_dockerfile",
        "foo-containerfile",
        "windows__ltsc2022__dockerfile",
        "Dockerfile~",
        ".#Dockerfile",
        "Dockerfile\n",
    ],
)
def test_hook_and_discovery_agree(name: str) -> None:
    pattern = re.compile(BY_ID["manifesto"]["files"])
    assert bool(pattern.search(f"svc/{name}")) == is_dockerfile_name(name)
    assert bool(pattern.search(name)) == is_dockerfile_name(name)


def test_hook_stops_the_commit_when_it_fixed_something() -> None:
    assert BY_ID["manifesto"]["entry"].startswith("manifesto fix --exit-non-zero-on-fix")
    assert BY_ID["manifesto-check"]["entry"].startswith("manifesto check")


# --------------------------------------------------------------------------- the real client

DIRTY = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "USER nobody\n"
)
FIXED = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl"
    " && rm -rf /var/lib/apt/lists/*\nUSER nobody\n"
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _try_repo(repo: Path, hook: str, *files: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` of this repository, on ``files`` of ``repo``.

    pre-commit clones this repository (its HEAD plus uncommitted changes) and
    installs the hook into a virtualenv of its own, as a user's machine does.
    """
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            hook,
            "--files",
            *files,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )


@pytest.mark.slow
def test_real_pre_commit_runs_the_hooks(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: pre-commit try-repo needs one")
    repo = tmp_path / "repo"
    home = tmp_path / "pre-commit-home"
    write(repo / "Dockerfile", DIRTY)
    write(repo / "clean" / "Dockerfile", FIXED)
    write(repo / "legacy" / "Dockerfile", DIRTY)
    write(repo / "manifesto.toml", 'extend-exclude = ["legacy/"]\n')
    _git(repo, "init", "-q")
    _git(repo, "add", ".")

    failing = _try_repo(repo, "manifesto-check", "Dockerfile", home=home)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "MF101" in failing.stdout

    passing = _try_repo(repo, "manifesto-check", "clean/Dockerfile", home=home)
    assert passing.returncode == 0, passing.stdout + passing.stderr

    fixing = _try_repo(repo, "manifesto", "Dockerfile", "legacy/Dockerfile", home=home)
    assert fixing.returncode == 1, fixing.stdout + fixing.stderr  # it changed a file
    assert (repo / "Dockerfile").read_text() == FIXED
    assert (repo / "legacy" / "Dockerfile").read_text() == DIRTY  # excluded by the config

    again = _try_repo(repo, "manifesto", "Dockerfile", "legacy/Dockerfile", home=home)
    assert again.returncode == 0, again.stdout + again.stderr
