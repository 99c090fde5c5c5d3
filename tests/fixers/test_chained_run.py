"""Inline cases for MF203 chained_run (the golden fixtures cover the main shapes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from manifesto.fixers import chained_run

from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.registry import FIXERS, OPT_IN

SETTINGS = EngineSettings(unsafe_fixes=True)


def fix(src: str) -> str:
    result = fix_text(src, [chained_run], SETTINGS)
    assert result.errors == ()
    return result.output


APT_THEN_PIP = (
    "FROM debian:bookworm\n"
    "RUN apt-get update && apt-get install -y python3-pip && rm -rf /var/lib/apt/lists/* && "
    "pip install --no-cache-dir requests\n"
)


def test_one_line_chain_becomes_one_line_runs() -> None:
    assert fix(APT_THEN_PIP) == (
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y python3-pip && rm -rf /var/lib/apt/lists/*\n"
        "RUN pip install --no-cache-dir requests\n"
    )


def test_the_finding_names_the_units_and_is_unsafe() -> None:
    findings = check_text(APT_THEN_PIP, [chained_run], SETTINGS)
    assert len(findings) == 1
    violation = findings[0].violation
    assert "2 independent units (`apt-get` at line 2, `pip` at line 2)" in violation.message
    assert violation.fix is not None
    assert violation.fix.applicability.value == "unsafe"
    safe_only = fix_text(APT_THEN_PIP, [chained_run], EngineSettings())
    assert safe_only.output == APT_THEN_PIP


def test_crlf_file_gets_crlf_runs() -> None:
    src = APT_THEN_PIP.replace("\n", "\r\n")
    assert fix(src) == fix(APT_THEN_PIP).replace("\n", "\r\n")


def test_errexit_from_the_shell_instruction_allows_a_cut_at_semicolon() -> None:
    src = (
        "FROM debian:bookworm\n"
        'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n'
        "RUN apk add --no-cache curl; curl -fsSL -o /usr/local/bin/x https://example.com/x\n"
    )
    assert fix(src).endswith(
        "RUN apk add --no-cache curl\nRUN curl -fsSL -o /usr/local/bin/x https://example.com/x\n"
    )
    without = src.replace('SHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n', "")
    assert fix(without) == without


def test_relative_paths_are_read_against_the_workdir() -> None:
    src = (
        "FROM alpine:3.20\n"
        "WORKDIR /tmp\n"
        "RUN apk add --no-cache curl && curl -fsSL -o x.tgz https://example.com/x.tgz && "
        "tar -xzf x.tgz -C /opt && rm x.tgz\n"
    )
    assert fix(src).endswith(
        "RUN apk add --no-cache curl\n"
        "RUN curl -fsSL -o x.tgz https://example.com/x.tgz && tar -xzf x.tgz -C /opt && rm x.tgz\n"
    )


def test_a_delete_named_by_a_variable_keeps_everything_before_it() -> None:
    src = (
        "FROM alpine:3.20\n"
        'RUN apk add --no-cache curl && curl -fsSL -o "$ARCHIVE" https://example.com/x.tgz && '
        'tar -xzf "$ARCHIVE" -C /opt && rm "$ARCHIVE"\n'
    )
    assert fix(src) == src


@pytest.mark.parametrize(
    "chain",
    [
        pytest.param("cd $SRC && curl -o /x https://example.com/x", id="cd-to-a-variable"),
        pytest.param("umask 077 && curl -o /x https://example.com/x", id="umask"),
        pytest.param("ARCH=$(uname -m) && curl -o /x https://example.com/$ARCH", id="assignment"),
        pytest.param(". /etc/os-release && curl -o /x https://example.com/x", id="source"),
        pytest.param("sleep 1 & curl -o /x https://example.com/x", id="background"),
        pytest.param("curl -o /x https://example.com/x | exit 0", id="pipe-to-the-end"),
    ],
)
def test_state_and_odd_chains_stay_whole(chain: str) -> None:
    src = f"FROM alpine:3.20\nRUN apk add --no-cache curl && {chain}\n"
    assert fix(src) == src


def test_a_literal_cd_is_repeated_where_the_next_unit_needs_it() -> None:
    src = (
        "FROM python:3.12\n"
        "RUN cd /srv && git clone https://example.com/app.git && pip install -e ./app\n"
    )
    assert fix(src) == (
        "FROM python:3.12\n"
        "RUN cd /srv && git clone https://example.com/app.git\n"
        "RUN cd /srv && pip install -e ./app\n"
    )


def test_no_split_where_the_repeated_cd_would_enter_a_deleted_directory() -> None:
    # the shell goes on in the deleted /usr/src/app; `cd /usr/src/app` in a new RUN fails
    src = (
        "FROM php:8.3\n"
        "RUN cd /usr/src/app && make install && rm -rf /usr/src && "
        "curl -fsSL https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin\n"
    )
    assert fix(src) == src


def test_a_directory_deleted_before_the_cd_does_not_stop_the_split() -> None:
    src = (
        "FROM python:3.12\n"
        "RUN rm -rf /srv/app && mkdir -p /srv/app && cd /srv/app && "
        "git clone https://example.com/app.git . && pip install -e .\n"
    )
    assert fix(src) == (
        "FROM python:3.12\n"
        "RUN rm -rf /srv/app && mkdir -p /srv/app && cd /srv/app && "
        "git clone https://example.com/app.git .\n"
        "RUN cd /srv/app && pip install -e .\n"
    )


def test_no_cd_is_repeated_for_a_unit_that_does_not_need_it() -> None:
    src = (
        "FROM debian:bookworm\n"
        "RUN cd /tmp && curl -fsSL -O https://example.com/a.deb && "
        "apt-get update && apt-get install -y --no-install-recommends jq\n"
    )
    assert fix(src) == (
        "FROM debian:bookworm\n"
        "RUN cd /tmp && curl -fsSL -O https://example.com/a.deb\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq\n"
    )


def test_a_pragma_comment_between_units_is_not_moved() -> None:
    src = (
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y curl && \\\n"
        "    # hadolint ignore=DL4001\n"
        "    curl -o /usr/local/bin/x https://example.com/x\n"
    )
    assert fix(src) == src
    plain = src.replace("hadolint ignore=DL4001", "then the tool")
    assert fix(plain) == (
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "# then the tool\n"
        "RUN curl -o /usr/local/bin/x https://example.com/x\n"
    )


def test_package_sources_go_with_the_install_they_prepare() -> None:
    src = (
        "FROM debian:bookworm\n"
        "RUN pip install --no-cache-dir awscli && "
        "curl -fsSL https://example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/x.gpg && "
        'echo "deb [signed-by=/usr/share/keyrings/x.gpg] https://example.com/apt stable main" '
        "> /etc/apt/sources.list.d/x.list && apt-get update && apt-get install -y x\n"
    )
    out = fix(src)
    assert out == (
        "FROM debian:bookworm\n"
        "RUN pip install --no-cache-dir awscli\n"
        "RUN curl -fsSL https://example.com/key.gpg | gpg --dearmor -o /usr/share/keyrings/x.gpg"
        ' && echo "deb [signed-by=/usr/share/keyrings/x.gpg] https://example.com/apt stable main"'
        " > /etc/apt/sources.list.d/x.list && apt-get update && apt-get install -y x\n"
    )


def test_an_install_never_leaves_its_update() -> None:
    src = (
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y python3-pip && pip install requests && "
        "apt-get install -y jq\n"
    )
    assert fix(src) == src


def test_windows_and_exec_form_are_left_alone() -> None:
    windows = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN choco install -y git && curl -o C:\\x.zip https://example.com/x.zip\n"
    )
    assert fix(windows) == windows
    exec_form = 'FROM alpine:3.20\nRUN ["sh", "-c", "apk add curl && curl -o /x https://x/y"]\n'
    assert fix(exec_form) == exec_form


def test_the_rule_is_opt_in() -> None:
    assert chained_run in OPT_IN
    assert chained_run not in FIXERS


def test_all_does_not_select_it_and_its_code_does(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(APT_THEN_PIP)

    def diff(*selection: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "manifesto", "fix", "--diff", "--unsafe-fixes", *selection, "."],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.stdout

    assert "+RUN pip install" not in diff("--select", "ALL")
    assert "+RUN pip install" in diff("--select", "MF203")
    assert "+RUN pip install" in diff("--extend-select", "MF2")
