"""MF402 secret_in_env: BuildKit's name test, and values that never reach a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from manifesto.fixers import secret_in_env

from conftest import write
from manifesto.engine import EngineSettings, check_text
from manifesto.report import FORMATS

SETTINGS = EngineSettings()


@pytest.mark.parametrize(
    "name",
    [
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "GITHUB_TOKEN",
        "token",
        "db_password",
        "MYSQL_ROOT_PASSWORD",
        "AUTH",
        "x_apikey",
        "CREDENTIALS_FILE",
        "app_credential",
        "pword",
        "PASSWD",
        "Secret_Message",
    ],
)
def test_buildkit_calls_these_secrets(name: str) -> None:
    assert secret_in_env.names_a_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "PUBLIC_KEY",
        "SSH_PUBLIC_KEY",
        "GPG_KEYS",
        "KEYBOARD",
        "MONKEY",
        "TOKENIZERS_PARALLELISM",
        "PASSWORDLESS",
        "API-KEY",
        "APIKEYS",
        "AUTHOR",
        "PATH",
    ],
)
def test_buildkit_does_not_call_these_secrets(name: str) -> None:
    assert not secret_in_env.names_a_secret(name)


def _findings(src: str) -> list[str]:
    return [f.violation.message for f in check_text(src, [secret_in_env], SETTINGS)]


def test_every_secret_name_of_an_instruction_is_reported() -> None:
    src = "FROM debian:12\nARG A_TOKEN B C_SECRET=x\nENV D_PASSWORD=y E=z\n"
    messages = _findings(src)
    assert [m.split(" looks")[0] for m in messages] == [
        "ARG A_TOKEN",
        "ARG C_SECRET",
        "ENV D_PASSWORD",
    ]
    assert all("--mount=type=secret" in m for m in messages)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", id="fingerprint"),
        pytest.param("ENV GPG_KEY 0xA035C8C19219BA82", id="long key id"),
        pytest.param(
            'ENV RELEASE_KEY="A035 C8C1 9219 BA82 1ECE  A86B 64E6 28F8 D684 696D"', id="spaced"
        ),
        pytest.param(
            "ARG SIGNING_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n"
            "ENV SIGNING_KEY=${SIGNING_KEY}",
            id="through the ARG",
        ),
    ],
)
def test_a_signing_key_fingerprint_is_public(src: str) -> None:
    assert _findings(f"FROM debian:12\n{src}\n") == []


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("ENV GITHUB_TOKEN=A035C8C19219BA821ECEA86B64E628F8D684696D", id="hex token"),
        pytest.param("ENV GPG_KEY=$SOMETHING", id="unknown variable"),
        pytest.param("ENV GPG_KEY=not-a-fingerprint", id="not hex"),
        pytest.param("ARG GPG_KEY", id="no value"),
    ],
)
def test_what_only_looks_like_a_fingerprint_is_reported(src: str) -> None:
    assert len(_findings(f"FROM debian:12\n{src}\n")) == 1


VALUE = "hunter2-Zq9"
LEGACY_VALUE = "s3cr3t-Wk4"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_value_appears_in_no_report_format(tmp_path: Path, fmt: str) -> None:
    write(
        tmp_path / "Dockerfile",
        f"FROM debian:12\nENV DB_PASSWORD={VALUE}\nENV API_TOKEN {LEGACY_VALUE}\n",
    )
    command = ["check", "--select", "MF402", "--output-format", fmt, "."]
    result = subprocess.run(
        [sys.executable, "-m", "manifesto", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "DB_PASSWORD" in result.stdout and "API_TOKEN" in result.stdout
    for secret in (VALUE, LEGACY_VALUE):
        assert secret not in result.stdout
        assert secret not in result.stderr
