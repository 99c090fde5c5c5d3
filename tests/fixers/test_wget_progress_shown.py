"""MF609 wget_progress_shown: which wget is quiet already, and which option fits."""

from __future__ import annotations

import pytest
from manifesto.fixers import wget_progress_shown

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings()


def _fix(src: str) -> str:
    result = fix_text(src, [wget_progress_shown], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "args",
    [
        "-q URL",
        "--quiet URL",
        "-qO- URL",
        "-O- -q URL",
        "-nv URL",
        "--no-verbose URL",
        "--progress=dot:mega URL",
        "--progress dot URL",
        "-o log URL",
        "-olog URL",
        "--output-file=log URL",
        "-a log URL",
        "--append-output=log URL",
        "-b URL",
        "-cq URL",
        "-rNkq URL",
    ],
)
def test_already_quiet(args: str) -> None:
    assert check_text(f"FROM debian:12\nRUN wget {args}\n", [wget_progress_shown], SETTINGS) == []


@pytest.mark.parametrize(
    "args",
    [
        "URL",
        "-O out URL",
        "-Oq URL",
        "-c URL",
        "-nc URL",
        "-e robots=off URL",
        "-- -q",
        '"$URL"',
        "$OPTS URL",
    ],
)
def test_progress_shown(args: str) -> None:
    out = _fix(f"FROM debian:12\nRUN wget {args}\n")
    assert out == f"FROM debian:12\nRUN wget --progress=dot:giga {args}\n"


@pytest.mark.parametrize(
    ("base", "option"),
    [
        ("debian:12", "--progress=dot:giga"),
        ("ubuntu:24.04", "--progress=dot:giga"),
        ("python:3.12-slim", "--progress=dot:giga"),
        ("rockylinux:9", "--progress=dot:giga"),
        ("fedora:41", "--progress=dot:giga"),
        ("amazonlinux:2023", "--progress=dot:giga"),
        ("alpine:3.20", "-q"),
        ("python:3.12-alpine", "-q"),
        ("busybox:1.36", "-q"),
    ],
)
def test_the_option_fits_the_wget_of_the_image(base: str, option: str) -> None:
    assert _fix(f"FROM {base}\nRUN wget URL\n") == f"FROM {base}\nRUN wget {option} URL\n"


@pytest.mark.parametrize("base", ["$BASE", "ghcr.io/acme/tools:1", "rabbitmq:4"])
def test_an_unknown_wget_is_reported_without_fix(base: str) -> None:
    src = f"FROM {base}\nRUN wget URL\n"
    assert _fix(src) == src
    (finding,) = check_text(src, [wget_progress_shown], SETTINGS)
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "wget-unknown"


def test_inserted_after_the_program_word() -> None:
    src = "FROM debian:12\nRUN sudo /usr/bin/wget \\\n    -O x URL\n"
    assert (
        _fix(src) == "FROM debian:12\nRUN sudo /usr/bin/wget --progress=dot:giga \\\n    -O x URL\n"
    )


@pytest.mark.parametrize(
    "src",
    [
        'FROM debian:12\nRUN ["wget", "URL"]',
        "FROM debian:12\nONBUILD RUN wget URL",
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN wget URL -OutFile a",
        "FROM debian:12\nRUN curl -fsSL URL",
    ],
)
def test_nothing_to_say(src: str) -> None:
    assert check_text(src + "\n", [wget_progress_shown], SETTINGS) == []
