"""The pre-commit hook picks the same files as directory discovery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manifesto.discover import is_dockerfile_name

HOOKS = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text("utf-8")


def _pattern(key: str) -> re.Pattern[str]:
    match = re.search(rf"^  {key}: '(.*)'$", HOOKS, re.MULTILINE)
    assert match is not None
    return re.compile(match.group(1))


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
    ],
)
def test_hook_and_discovery_agree(name: str) -> None:
    files, exclude = _pattern("files"), _pattern("exclude")
    hook_takes = bool(files.search(f"svc/{name}")) and not exclude.search(f"svc/{name}")
    assert hook_takes == is_dockerfile_name(name)


def test_hook_stops_the_commit_when_it_fixed_something() -> None:
    assert "entry: manifesto fix --exit-non-zero-on-fix" in HOOKS
