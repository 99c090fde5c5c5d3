"""The cache rules read stages through one view: stages that do not ship are fixed
and say so, ``--target`` picks the image, Windows is per stage, an unknown base
needs a POSIX shell shown before a shell command is appended, and yum's cache
directory follows the base's release."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from manifesto.fixers import (
    apk_cache_kept,
    apt_lists_kept,
    dnf_cache_kept,
    npm_cache_kept,
    pip_cache_kept,
    yarn_cache_kept,
    yum_cache_kept,
    zypper_cache_kept,
)

from manifesto.config import load_config, merge_cli
from manifesto.engine import EngineSettings, Finding, check_text, fix_text

SETTINGS = EngineSettings()
NOT_SHIPPED = "does not ship"


def _findings(text: str, fixer: ModuleType, target: str | None = None) -> list[Finding]:
    return check_text(text, [fixer], EngineSettings(target=target))  # type: ignore[list-item]


BUILDER_CASES = [
    pytest.param(apk_cache_kept, "FROM alpine:3.20 AS build\nRUN apk add gcc\n", id="MF105"),
    pytest.param(
        apt_lists_kept,
        "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\n",
        id="MF101",
    ),
    pytest.param(yum_cache_kept, "FROM centos:7 AS build\nRUN yum install -y gcc\n", id="MF106"),
    pytest.param(dnf_cache_kept, "FROM fedora:40 AS build\nRUN dnf install -y gcc\n", id="MF107"),
    pytest.param(
        zypper_cache_kept,
        "FROM opensuse/leap:15.5 AS build\nRUN zypper -n install gcc\n",
        id="MF108",
    ),
    pytest.param(pip_cache_kept, "FROM python:3.12 AS build\nRUN pip install x\n", id="MF111"),
    pytest.param(yarn_cache_kept, "FROM node:20 AS build\nRUN yarn install\n", id="MF112"),
    pytest.param(npm_cache_kept, "FROM node:20 AS build\nRUN npm ci\n", id="MF113"),
]
FINAL = "FROM scratch\nCOPY --from=build /out /out\n"


@pytest.mark.parametrize(("fixer", "builder"), BUILDER_CASES)
def test_a_stage_that_does_not_ship_is_fixed_and_says_so(fixer: ModuleType, builder: str) -> None:
    (finding,) = _findings(builder + FINAL, fixer)
    assert finding.violation.fix is not None
    assert "stage `build` does not ship" in finding.violation.message
    assert "not image size" in finding.violation.message


@pytest.mark.parametrize(("fixer", "builder"), BUILDER_CASES)
def test_target_makes_the_builder_the_image(fixer: ModuleType, builder: str) -> None:
    (finding,) = _findings(builder + FINAL, fixer, target="build")
    assert finding.violation.fix is not None
    assert NOT_SHIPPED not in finding.violation.message


def test_target_leaves_the_stages_it_does_not_reach_unshipped() -> None:
    text = "FROM python:3.12 AS test\nRUN pip install pytest\nFROM python:3.12\nRUN pip install x\n"
    messages = [f.violation.message for f in _findings(text, pip_cache_kept, target="test")]
    assert [NOT_SHIPPED in m for m in messages] == [False, True]


def test_arg_selected_stage_ships() -> None:
    text = (
        "ARG PLATFORM=xpu\n"
        "FROM ubuntu:22.04 AS cpu\nRUN pip install torch\n"
        "FROM ubuntu:22.04 AS xpu\nRUN pip install intel-extension-for-pytorch\n"
        "FROM ${PLATFORM} AS final\nCOPY . /app\n"
    )
    findings = _findings(text, pip_cache_kept)
    assert [NOT_SHIPPED in f.violation.message for f in findings] == [True, False]
    assert all(f.violation.fix is not None for f in findings)


def test_windows_base_through_an_arg_is_left_alone() -> None:
    text = "ARG node=node:10.19.0-windowsservercore\nFROM $node\nRUN npm install\n"
    assert _findings(text, npm_cache_kept) == []


def test_windows_is_per_stage() -> None:
    text = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win\nRUN npm ci\n"
        "FROM node:20\nRUN npm ci\n"
    )
    (finding,) = _findings(text, npm_cache_kept)
    assert finding.violation.start > text.index("FROM node:20")


def test_unknown_base_without_a_posix_shell_is_reported_without_a_fix() -> None:
    text = "ARG BASE\nFROM ${BASE}\nRUN npm ci\n"
    (finding,) = _findings(text, npm_cache_kept)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "unknown-base"
    assert "nothing in the stage shows a POSIX shell" in finding.violation.message


@pytest.mark.parametrize(
    "evidence",
    [
        pytest.param("RUN apt-get update && apt-get install -y nodejs\n", id="apt"),
        pytest.param('SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n', id="bash-shell"),
        pytest.param("RUN set -eux; useradd app\n", id="set-e"),
    ],
)
def test_unknown_base_with_a_posix_shell_shown_is_fixed(evidence: str) -> None:
    text = f"ARG BASE\nFROM ${{BASE}}\n{evidence}RUN npm ci\n"
    result = fix_text(text, [npm_cache_kept], SETTINGS)  # type: ignore[list-item]
    assert result.output.endswith("RUN npm ci && npm cache clean --force\n")


@pytest.mark.parametrize(
    ("base", "cleanup"),
    [
        ("centos:7", "yum clean all && rm -rf /var/cache/yum"),
        ("amazonlinux:2", "yum clean all && rm -rf /var/cache/yum"),
        ("registry.access.redhat.com/ubi7/ubi", "yum clean all && rm -rf /var/cache/yum"),
        ("rockylinux:9", "yum clean all && rm -rf /var/cache/dnf"),
        ("almalinux:8", "yum clean all && rm -rf /var/cache/dnf"),
        ("quay.io/centos/centos:stream9", "yum clean all && rm -rf /var/cache/dnf"),
        ("registry.access.redhat.com/ubi8/ubi:8.9", "yum clean all && rm -rf /var/cache/dnf"),
        ("fedora:40", "yum clean all && rm -rf /var/cache/dnf"),
        ("amazonlinux:2023", "yum clean all && rm -rf /var/cache/dnf"),
        ("centos", "yum clean all"),
        ("amazonlinux", "yum clean all"),
        ("myorg/base:1.0", "yum clean all"),
    ],
)
def test_yum_cache_directory_follows_the_base(base: str, cleanup: str) -> None:
    text = f"FROM {base}\nRUN yum install -y x\n"
    result = fix_text(text, [yum_cache_kept], SETTINGS)  # type: ignore[list-item]
    assert result.output == f"FROM {base}\nRUN yum install -y x && {cleanup}\n"


def test_yum_on_an_unknown_base_cleans_alone() -> None:
    text = "ARG BASE\nFROM $BASE\nRUN yum install -y x\n"
    result = fix_text(text, [yum_cache_kept], SETTINGS)  # type: ignore[list-item]
    assert result.output == "ARG BASE\nFROM $BASE\nRUN yum install -y x && yum clean all\n"


def test_target_in_configuration_and_on_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "manifesto.toml"
    config.write_text('target = "build"\n')
    settings = load_config(config)
    assert settings.target == "build"
    assert merge_cli(settings, target="test").target == "test"
    assert merge_cli(settings).target == "build"
    with pytest.raises(ValueError, match="invalid stage name"):
        merge_cli(settings, target="not a stage")


def test_target_option_reaches_the_fixers(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12 AS build\nRUN pip install x\n" + FINAL)
    command = [sys.executable, "-m", "manifesto", "check", "--output-format", "concise"]
    plain = subprocess.run(
        [*command, str(dockerfile)], capture_output=True, text=True, timeout=120, check=False
    )
    targeted = subprocess.run(
        [*command, "--target", "build", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert plain.returncode == targeted.returncode == 1
    assert NOT_SHIPPED in plain.stdout
    assert "MF111" in targeted.stdout
    assert NOT_SHIPPED not in targeted.stdout
