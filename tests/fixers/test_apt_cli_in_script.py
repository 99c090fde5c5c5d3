"""MF608 apt_cli_in_script: apt becomes apt-get where apt-get does the same."""

from __future__ import annotations

import pytest
from manifesto.fixers import apt_cli_in_script

from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, check_text, fix_text

UNSAFE = EngineSettings(unsafe_fixes=True)
SAFE = EngineSettings()


def _fix(src: str, settings: EngineSettings = SAFE) -> str:
    result = fix_text(src, [apt_cli_in_script], settings)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("apt install -y x", "apt-get install -y x"),
        ("apt reinstall -y x", "apt-get reinstall -y x"),
        ("apt update", "apt-get update"),
        ("apt -qq update", "apt-get -qq update"),
        ("apt remove -y x", "apt-get remove -y x"),
        ("apt purge -y x", "apt-get purge -y x"),
        ("apt autoremove -y", "apt-get autoremove -y"),
        ("apt dist-upgrade -y", "apt-get dist-upgrade -y"),
        ("apt full-upgrade -y", "apt-get full-upgrade -y"),
        ("apt clean", "apt-get clean"),
        ("apt upgrade -y", "apt-get upgrade --with-new-pkgs -y"),
        ("apt upgrade --with-new-pkgs -y", "apt-get upgrade --with-new-pkgs -y"),
        ("/usr/bin/apt install -y x", "/usr/bin/apt-get install -y x"),
        ("sudo -E apt install -y x", "sudo -E apt-get install -y x"),
        ("X=1 apt install -y x", "X=1 apt-get install -y x"),
        ("if true; then apt install -y x; fi", "if true; then apt-get install -y x; fi"),
    ],
)
def test_fixes_on_debian(command: str, expected: str) -> None:
    assert _fix(f"FROM debian:12\nRUN {command}\n") == f"FROM debian:12\nRUN {expected}\n"


@pytest.mark.parametrize(
    ("base", "applicability"),
    [
        ("debian:12", Applicability.SAFE),
        ("ubuntu:24.04", Applicability.SAFE),
        ("python:3.12-slim", Applicability.SAFE),
        ("ghcr.io/acme/tools:1", Applicability.UNSAFE),
        ("$BASE", Applicability.UNSAFE),
    ],
)
def test_safe_where_the_image_deletes_downloaded_packages(
    base: str, applicability: Applicability
) -> None:
    (finding,) = check_text(f"FROM {base}\nRUN apt install -y x\n", [apt_cli_in_script], UNSAFE)
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability is applicability


@pytest.mark.parametrize(
    ("command", "slug"),
    [
        ("apt list --installed", "no-apt-get-command"),
        ("apt search x", "no-apt-get-command"),
        ("apt show x", "no-apt-get-command"),
        ("apt policy x", "no-apt-get-command"),
        # apt-get has these too: "apt-get has no such command" would be false.
        ("apt download -y x", "apt-get-twin-unchecked"),
        ("apt satisfy -y 'x (>= 1)'", "apt-get-twin-unchecked"),
        ("apt build-dep -y x", "apt-get-twin-unchecked"),
        ("apt $CMD x", "command-unknown"),
        ('"apt" install -y x', "program-not-plain-word"),
    ],
)
def test_reported_without_fix(command: str, slug: str) -> None:
    src = f"FROM debian:12\nRUN {command}\n"
    assert _fix(src, UNSAFE) == src
    (finding,) = check_text(src, [apt_cli_in_script], UNSAFE)
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == slug


@pytest.mark.parametrize(
    "src",
    [
        "RUN apt-get install -y x",
        "RUN apt-cache show x",
        "RUN echo apt install",
        "RUN ls /etc/apt",
        'RUN ["apt", "install", "-y", "x"]',
        "ONBUILD RUN apt install -y x",
        "RUN apt-get install -y apt-transport-https",
    ],
)
def test_nothing_to_say(src: str) -> None:
    assert check_text(f"FROM debian:12\n{src}\n", [apt_cli_in_script], UNSAFE) == []


def test_windows_is_left_alone() -> None:
    src = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN apt install x\n"
    assert check_text(src, [apt_cli_in_script], UNSAFE) == []


@pytest.mark.parametrize(
    "src",
    [
        # BuildKit's cache-mount recipe deletes docker-clean in the same RUN ...
        "FROM debian:12\nRUN rm -f /etc/apt/apt.conf.d/docker-clean && apt install -y x\n",
        # ... or in a stage the install's stage is built FROM.
        "FROM ubuntu:24.04 AS base\nRUN rm -f /etc/apt/apt.conf.d/docker-clean\n"
        "FROM base\nRUN apt install -y x\n",
    ],
)
def test_unsafe_where_the_build_touches_docker_clean(src: str) -> None:
    # Without docker-clean, apt still deletes the packages it downloaded and apt-get
    # keeps them in /var/cache/apt/archives: the image would grow.
    assert _fix(src) == src
    (finding,) = check_text(src, [apt_cli_in_script], UNSAFE)
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability is Applicability.UNSAFE
    assert "docker-clean" in finding.violation.message


def test_docker_clean_in_an_unrelated_stage_keeps_the_fix_safe() -> None:
    src = (
        "FROM debian:12 AS other\nRUN rm -f /etc/apt/apt.conf.d/docker-clean\n"
        "FROM debian:12\nRUN apt install -y x\n"
    )
    assert _fix(src).endswith("FROM debian:12\nRUN apt-get install -y x\n")
