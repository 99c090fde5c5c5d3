"""MF610 pipe_fails_silently: a bash SHELL with pipefail, only where bash is certain."""

from __future__ import annotations

import pytest
from manifesto.fixers import pipe_fails_silently

from manifesto.cst import parse
from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, check_text, fix_text

UNSAFE = EngineSettings(unsafe_fixes=True)
SHELL_LINE = 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]'


def _fix(src: str, settings: EngineSettings = UNSAFE) -> str:
    result = fix_text(src, [pipe_fails_silently], settings)
    assert result.errors == ()
    return result.output


def _slug(src: str) -> str | None:
    (finding,) = check_text(src, [pipe_fails_silently], UNSAFE)
    reason = finding.violation.reason
    return None if reason is None else reason.slug


@pytest.mark.parametrize(
    "base",
    [
        "debian:12",
        "debian:bookworm-slim",
        "ubuntu:24.04",
        "python:3.12-slim",
        "node:22",
        "rockylinux:9",
        "registry.access.redhat.com/ubi9/ubi",
        "fedora:41",
        "amazonlinux:2023",
    ],
)
def test_bash_bases_get_the_shell(base: str) -> None:
    src = f"FROM {base}\nRUN a | b\n"
    assert _fix(src) == f"FROM {base}\n{SHELL_LINE}\nRUN a | b\n"


@pytest.mark.parametrize(
    "base",
    [
        "alpine:3.20",
        "python:3.12-alpine",
        "busybox:1.36",
        "gcr.io/distroless/base-debian12",
        "mcr.microsoft.com/dotnet/runtime:8.0-jammy-chiseled",
        "registry.access.redhat.com/ubi9/ubi-micro",
        "ghcr.io/acme/app:1",
        "$BASE",
        "scratch",
    ],
)
def test_no_bash_for_certain_no_fix(base: str) -> None:
    src = f"FROM {base}\nRUN a | b\n"
    assert _fix(src) == src
    assert _slug(src) == "no-bash"


def test_the_fix_is_unsafe_only() -> None:
    src = "FROM debian:12\nRUN a | b\n"
    assert _fix(src, EngineSettings()) == src
    (finding,) = check_text(src, [pipe_fails_silently], UNSAFE)
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability is Applicability.UNSAFE


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("a && b || c", id="no pipe"),
        pytest.param("echo 'a | b'", id="quoted bar"),
        pytest.param("set -o pipefail; a | b", id="pipefail set"),
        pytest.param("set -euo pipefail; a | b", id="pipefail in a cluster"),
    ],
)
def test_nothing_to_say(script: str) -> None:
    assert check_text(f"FROM debian:12\nRUN {script}\n", [pipe_fails_silently], UNSAFE) == []


def test_one_shell_per_stage_before_its_first_pipe() -> None:
    src = "FROM debian:12\nRUN a\nRUN b | c\nRUN d | e\nFROM ubuntu:24.04\nRUN f | g\n"
    assert _fix(src) == (
        f"FROM debian:12\nRUN a\n{SHELL_LINE}\nRUN b | c\nRUN d | e\n"
        f"FROM ubuntu:24.04\n{SHELL_LINE}\nRUN f | g\n"
    )


def test_above_the_comments_and_pragmas_of_the_run() -> None:
    src = "FROM debian:12\n# why\n# hadolint ignore=DL3008\nRUN a | b\n"
    assert (
        _fix(src) == f"FROM debian:12\n{SHELL_LINE}\n# why\n# hadolint ignore=DL3008\nRUN a | b\n"
    )


def test_a_stage_built_from_a_fixed_stage_inherits_the_shell() -> None:
    src = "FROM debian:12 AS base\nRUN a | b\nFROM base\nRUN c | d\n"
    out = _fix(src)
    assert out == f"FROM debian:12 AS base\n{SHELL_LINE}\nRUN a | b\nFROM base\nRUN c | d\n"
    assert check_text(out, [pipe_fails_silently], UNSAFE) == []
    messages = check_text(src, [pipe_fails_silently], UNSAFE)
    assert [m.violation.reason.slug for m in messages if m.violation.reason] == [
        "inherits-shell-fix"
    ]


def test_a_shell_without_pipefail_is_reported() -> None:
    assert _slug('FROM debian:12\nSHELL ["/bin/bash", "-c"]\nRUN a | b\n') == "custom-shell-set"


def test_keyword_case_and_indent_follow_the_run() -> None:
    src = "FROM debian:12\n  run a | b\n"
    out = _fix(src)
    assert out == 'FROM debian:12\n  shell ["/bin/bash", "-o", "pipefail", "-c"]\n  run a | b\n'
    assert parse(out).render() == out


@pytest.mark.parametrize(
    "script",
    [
        "yes | pecl install xdebug",
        "yes | unminimize 2>&1",
        "dpkg -l | head -n 3",
        "ls / | grep -q etc",
        "cat /etc/os-release | grep -m1 ID",
    ],
)
def test_a_pipe_that_ends_early_on_purpose_gets_no_shell(script: str) -> None:
    # bash -o pipefail fails these with 141 (SIGPIPE): the RUN would break
    src = f"FROM debian:12\nRUN a | b\nRUN {script}\n"
    assert _fix(src) == src
    assert _slug(src) == "pipe-ends-early"


def test_the_reason_names_the_command_as_written() -> None:
    src = "FROM debian:12\nRUN a | b\nRUN yes | pecl install xdebug\n"
    (finding,) = check_text(src, [pipe_fails_silently], UNSAFE)
    assert finding.violation.reason is not None
    assert finding.violation.reason.text.endswith("(`yes` on line 3)")


def test_a_stage_built_from_it_that_pipes_from_yes_keeps_it_without_a_shell() -> None:
    # the SHELL is part of the image: `FROM base` runs `yes | ...` under pipefail too
    src = "FROM debian:12 AS base\nRUN a | b\nFROM base\nRUN yes | apt-get install x\n"
    assert _fix(src) == src
    assert [f.violation.reason.slug for f in check_text(src, [pipe_fails_silently], UNSAFE)
            if f.violation.reason] == ["pipe-ends-early", "pipe-ends-early"]  # fmt: skip


@pytest.mark.parametrize(
    "script",
    [
        "grep -v '^#' /etc/packages.txt | xargs apt-get install -y",
        "ls /opt | grep -c foo | tee /count",
        "find / -name '*.nupkg' | grep -i cache | xargs rm -f",
    ],
)
def test_a_pipe_from_grep_gets_no_shell(script: str) -> None:
    # grep exits 1 when nothing matches, which its reader takes as no input; pipefail
    # would fail the RUN
    src = f"FROM debian:12\nRUN {script}\n"
    assert _fix(src) == src
    assert _slug(src) == "pipe-grep-may-match-nothing"


def test_a_reader_that_reads_everything_gets_the_shell() -> None:
    src = "FROM debian:12\nRUN echo x | grep -v y\nRUN true\n"
    assert _fix(src) == f"FROM debian:12\n{SHELL_LINE}\nRUN echo x | grep -v y\nRUN true\n"


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(
            "find /etc/mysql/ -name '*.cnf' -print0"
            " | xargs -0 grep -lZE '^(bind-address|log|user\\s)'"
            " | xargs -rt -0 sed -Ei 's/^(bind-address|log|user\\s)/#&/'",
            id="mariadb",
        ),
        pytest.param("ls /etc | xargs -n 1 grep -l foo | sort", id="option with a value"),
        pytest.param("ls /etc | xargs -I{} grep -l foo {} | wc -l", id="attached value"),
        pytest.param("ls /etc | xargs --max-args 1 /usr/bin/grep foo | cut -c1", id="long"),
    ],
)
def test_grep_run_by_xargs_before_the_end_of_a_pipe_gets_no_shell(script: str) -> None:
    # grep exits 1 when nothing matches, xargs then 123: pipefail would fail the RUN
    src = f"FROM debian:12\nRUN {script}\n"
    assert _fix(src) == src
    assert _slug(src) == "pipe-grep-may-match-nothing"


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("find /etc -name '*.cnf' -print0 | xargs -0 grep -lZ foo", id="grep last"),
        pytest.param("find /etc -print0 | xargs -0 sed -n 1p | wc -l", id="xargs sed"),
        pytest.param("ls /etc | xargs -n 1 echo grep | sort", id="grep is an argument"),
    ],
)
def test_xargs_that_cannot_fail_the_pipe_gets_the_shell(script: str) -> None:
    src = f"FROM debian:12\nRUN {script}\n"
    assert _fix(src) == f"FROM debian:12\n{SHELL_LINE}\nRUN {script}\n"


@pytest.mark.parametrize(
    "script",
    [
        "curl -fsSL https://x/latest | awk '/tag_name/{print $4;exit}'",
        "curl -fsSL https://x/latest | awk -F '\"' '/tag_name/{print $4; exit}' > /v",
        "dpkg -l | awk 'NR==1{print;exit}'",
        "dpkg -l | awk '{ exit }' | cat",
        "dpkg -l | awk '/x/ { exit 1 }' | cat",
        "dpkg -l | gawk -e 'NR > 3 { exit 0 }'",
        "dpkg -l | awk 'FNR == 2 { nextfile }'",
        'dpkg -l | awk "$PROGRAM"',
        "dpkg -l | awk -f /tmp/first.awk",
        "dpkg -l | sed q",
        "dpkg -l | sed -n '1p;q'",
        "dpkg -l | sed '/x/q'",
        "dpkg -l | sed -nE '/^ii/{p;Q}'",
        "dpkg -l | sed -e 's/a/b/' -e 3q",
        "dpkg -l | sed --expression=q",
        'dpkg -l | sed "$SCRIPT"',
        "dpkg -l | sed -f /tmp/first.sed",
        "dpkg -l | read first",
        "dpkg -l | IFS= read -r first",
        "dpkg -l | grep -Eq '^ii'",
        "dpkg -l | grep -l bash",
    ],
)
def test_a_reader_that_stops_early_gets_no_shell(script: str) -> None:
    # the writer dies of SIGPIPE (curl: exit 23) once the reader is gone; pipefail
    # would fail the RUN
    src = f"FROM debian:12\nRUN {script}\n"
    assert _fix(src) == src
    assert _slug(src) == "pipe-ends-early"


@pytest.mark.parametrize(
    "script",
    [
        "dpkg -l | awk '{print $2}'",
        "dpkg -l | awk -F: '/^ii/ {print $1}'",
        "dpkg -l | awk '{ print \"exit\" }'",
        "dpkg -l | awk -v mode=exit '{ print mode }'",
        "ldd /bin/tool | awk '/not found/ { exit 1 }'",
        "dpkg -l | sed 's/quiet/loud/'",
        "dpkg -l | sed -n '/^ii/,/^rc/p'",
        "dpkg -l | sed 'y/abc/qqq/'",
        "dpkg -l | sed 's|/q|/x|w /tmp/q'",
        "dpkg -l | sed -e 's/a/b/' q",
        "dpkg -l | grep -e -q",
        "dpkg -l | grep -A 3 bash",
        "dpkg -l | xargs grep -q bash",
        "dpkg -l | cut -c1-10",
    ],
)
def test_a_reader_that_reads_to_the_end_gets_the_shell(script: str) -> None:
    src = f"FROM debian:12\nRUN {script}\n"
    assert _fix(src) == f"FROM debian:12\n{SHELL_LINE}\nRUN {script}\n"


def test_the_reason_names_the_reader_that_stops_early() -> None:
    src = "FROM debian:12\nRUN a | b\nRUN curl -fsS https://x | awk '/v/{print;exit}'\n"
    (finding,) = check_text(src, [pipe_fails_silently], UNSAFE)
    assert finding.violation.reason is not None
    assert finding.violation.reason.text.endswith("(`awk '/v/{print;exit}'` on line 3)")
