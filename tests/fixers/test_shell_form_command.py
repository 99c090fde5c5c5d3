"""MF601 shell_form_command: which shell-form commands become exec form, and how safely."""

from __future__ import annotations

import pytest
from manifesto.fixers import shell_form_command

from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, check_text, fix_text

dockerfile = pytest.importorskip("dockerfile")

UNSAFE = EngineSettings(unsafe_fixes=True)
SAFE = EngineSettings()


def _fix(src: str, settings: EngineSettings = UNSAFE) -> str:
    result = fix_text(src, [shell_form_command], settings)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    ("command", "words"),
    [
        pytest.param("./app", ["./app"], id="one word"),
        pytest.param("java -jar /app.jar", ["java", "-jar", "/app.jar"], id="options"),
        pytest.param("app --x=1 a,b @c 50%", ["app", "--x=1", "a,b", "@c", "50%"], id="marks"),
        pytest.param("app 'a b' \"c d\"", ["app", "a b", "c d"], id="quoted spaces"),
        pytest.param("app 'say \"hi\"'", ["app", 'say "hi"'], id="double quote escaped"),
        pytest.param("app 'C:\\dir'", ["app", "C:\\dir"], id="backslash escaped"),
        pytest.param("app '$HOME' '*.txt' '~'", ["app", "$HOME", "*.txt", "~"], id="single-quoted"),
        pytest.param("app pre'fix'\"ed\"", ["app", "prefixed"], id="concatenated quotes"),
        pytest.param("app ''", ["app", ""], id="empty argument"),
        pytest.param("app\t  -v", ["app", "-v"], id="tabs and runs of spaces"),
    ],
)
def test_the_array_is_what_the_shell_would_have_run(command: str, words: list[str]) -> None:
    out = _fix(f"FROM debian:12\nCMD {command}\n")
    (cmd,) = (c for c in dockerfile.parse_string(out) if c.cmd == "CMD")
    assert cmd.json
    assert list(cmd.value) == words


@pytest.mark.parametrize(
    "command",
    [
        pytest.param("./app $PORT", id="variable"),
        pytest.param('./app "$PORT"', id="variable in double quotes"),
        pytest.param("./app `date`", id="command substitution"),
        pytest.param("./app $(date)", id="dollar substitution"),
        pytest.param("a && b", id="and list"),
        pytest.param("a || b", id="or list"),
        pytest.param("a; b", id="sequence"),
        pytest.param("a | b", id="pipe"),
        pytest.param("a & b", id="background"),
        pytest.param("a > /log", id="redirect"),
        pytest.param("a 2>&1", id="descriptor redirect"),
        pytest.param("a < /in", id="input"),
        pytest.param("a *.txt", id="glob"),
        pytest.param("a file?", id="question glob"),
        pytest.param("a [ab]", id="bracket glob"),
        pytest.param("a ~/x", id="tilde"),
        pytest.param("a \\n", id="backslash"),
        pytest.param('a "x\\"y"', id="escape in double quotes"),
        pytest.param("(a)", id="subshell"),
        pytest.param("{ a; }", id="group"),
        pytest.param("X=1 a", id="assignment prefix"),
        pytest.param("a 'unterminated", id="unterminated quote"),
        pytest.param("a #comment", id="comment"),
        pytest.param("a {x,y}", id="braces"),
    ],
)
def test_shell_features_get_a_finding_without_fix(command: str) -> None:
    src = f"FROM debian:12\nCMD {command}\n"
    assert _fix(src) == src
    (finding,) = check_text(src, [shell_form_command], UNSAFE)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "needs-shell"
    assert "PID 1" in finding.violation.message


@pytest.mark.parametrize(
    "program", ["cd /x", "exec ./app", "source /env", ". /env", "echo hi", "kill 1", "if", "true"]
)
def test_shell_builtins_are_not_programs(program: str) -> None:
    src = f"FROM debian:12\nCMD {program}\n"
    assert _fix(src) == src
    (finding,) = check_text(src, [shell_form_command], UNSAFE)
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "shell-builtin"


@pytest.mark.parametrize(
    ("base", "applicability"),
    [
        pytest.param("debian:12", Applicability.SAFE, id="distribution"),
        pytest.param("docker.io/library/python:3.12", Applicability.SAFE, id="qualified python"),
        pytest.param("registry.access.redhat.com/ubi9/ubi-minimal", Applicability.SAFE, id="ubi"),
        pytest.param("scratch", Applicability.SAFE, id="scratch"),
        pytest.param("nginx:1.27", Applicability.UNSAFE, id="image with an entrypoint"),
        pytest.param("ghcr.io/acme/app:1", Applicability.UNSAFE, id="unknown image"),
        pytest.param("$BASE", Applicability.UNSAFE, id="unresolved"),
    ],
)
def test_cmd_is_safe_only_when_nothing_can_add_an_entrypoint(
    base: str, applicability: Applicability
) -> None:
    src = f"FROM {base}\nCMD ./app --serve\n"
    (finding,) = check_text(src, [shell_form_command], UNSAFE)
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability is applicability
    expected_safe = 'CMD ["./app", "--serve"]'
    assert (expected_safe in _fix(src, SAFE)) is (applicability is Applicability.SAFE)


def test_an_entrypoint_in_the_file_makes_cmd_unsafe_before_or_after_it() -> None:
    for src in (
        'FROM debian:12\nCMD ./app\nENTRYPOINT ["/init"]\n',
        'FROM debian:12 AS base\nENTRYPOINT ["/init"]\nFROM base\nCMD ./app\n',
    ):
        cmds = [f for f in check_text(src, [shell_form_command], UNSAFE)]
        (finding,) = cmds
        assert finding.violation.fix is not None
        assert finding.violation.fix.applicability is Applicability.UNSAFE
        assert _fix(src, SAFE) == src


def test_entrypoint_is_unsafe_and_says_why() -> None:
    src = "FROM debian:12\nENTRYPOINT ./app\n"
    (finding,) = check_text(src, [shell_form_command], UNSAFE)
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability is Applicability.UNSAFE
    assert "appended" in finding.violation.message
    assert _fix(src) == 'FROM debian:12\nENTRYPOINT ["./app"]\n'


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param(
            'FROM debian:12\nSHELL ["/bin/bash", "-c"]\nCMD ./app\n', "custom-shell", id="SHELL"
        ),
        pytest.param(
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCMD app.exe\n",
            "windows-stage",
            id="windows",
        ),
        pytest.param("FROM debian:12\nCMD app.exe\n", "windows-stage", id="exe program"),
        pytest.param(
            "FROM debian:12\nCMD ./app \\\n# note\n  -v\n", "comment-inside", id="comment line"
        ),
    ],
)
def test_reported_without_fix(src: str, slug: str) -> None:
    assert _fix(src) == src
    (finding,) = check_text(src, [shell_form_command], UNSAFE)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == slug


@pytest.mark.parametrize(
    "src",
    [
        pytest.param('FROM debian:12\nCMD ["./app"]\n', id="exec form"),
        pytest.param("FROM debian:12\nCMD\n", id="empty"),
        pytest.param("FROM debian:12\nONBUILD CMD ./app\n", id="onbuild"),
        pytest.param("FROM debian:12\nHEALTHCHECK CMD ./check\n", id="healthcheck"),
        pytest.param("FROM debian:12\nRUN ./app\n", id="run"),
    ],
)
def test_nothing_to_say(src: str) -> None:
    assert check_text(src, [shell_form_command], UNSAFE) == []


def test_only_the_arguments_change() -> None:
    src = "FROM debian:12\ncmd   ./app  -v   \nCMD ./b\n"
    assert _fix(src) == 'FROM debian:12\ncmd   ["./app", "-v"]   \nCMD ["./b"]\n'
