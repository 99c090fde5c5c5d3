"""MF103 apt_prompt_unanswered: inline cases, and the apt command-line reader."""

from __future__ import annotations

import pytest
from manifesto.fixers import _apt, apt_prompt_unanswered

from manifesto.cst import parse
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.shell import ShellSource, parse_shell

SETTINGS = EngineSettings(unsafe_fixes=True)


def _fix(src: str) -> str:
    result = fix_text(src, [apt_prompt_unanswered], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("RUN apt-get install -y x", id="-y"),
        pytest.param("RUN apt-get install --yes x", id="--yes"),
        pytest.param("RUN apt-get install --assume-yes x", id="--assume-yes"),
        pytest.param("RUN apt-get -y install x", id="-y before the command"),
        pytest.param("RUN apt-get install -qq x", id="-qq"),
        pytest.param("RUN apt-get install -qqy x", id="-qqy"),
        pytest.param("RUN apt-get install -q=2 x", id="-q=2"),
        pytest.param("RUN apt-get install --quiet=2 x", id="--quiet=2"),
        pytest.param("RUN apt-get install -q -q x", id="-q -q"),
        pytest.param("RUN apt-get -oAPT::Get::Assume-Yes=1 install x", id="-o attached"),
        pytest.param("RUN apt-get -o quiet=2 install x", id="-o quiet=2"),
        pytest.param("RUN apt-get install --dry-run x", id="dry run"),
        pytest.param("RUN apt-get install --print-uris x", id="print uris"),
        pytest.param("RUN yes | apt-get install x", id="yes piped"),
        pytest.param("RUN apt-get install x <<< y", id="here-string"),
        pytest.param("RUN apt-get update", id="update"),
        pytest.param("RUN apt-get clean", id="clean"),
        pytest.param("RUN apt-get download x", id="download does not prompt"),
        pytest.param("RUN aptitude install x", id="aptitude is not read"),
        pytest.param("RUN apt-get $CMD x", id="unknown command"),
        pytest.param('RUN ["apt-get", "install", "x"]', id="exec form"),
    ],
)
def test_no_change(src: str) -> None:
    text = f"FROM debian\n{src}\n"
    assert _fix(text) == text


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("RUN apt-get install x", "RUN apt-get install -y x", id="basic"),
        pytest.param("RUN apt install x", "RUN apt install -y x", id="apt"),
        pytest.param(
            "RUN /usr/bin/apt-get install x", "RUN /usr/bin/apt-get install -y x", id="path"
        ),
        pytest.param(
            "RUN sudo -E apt-get install x", "RUN sudo -E apt-get install -y x", id="sudo"
        ),
        pytest.param(
            "RUN DEBIAN_FRONTEND=noninteractive apt-get install x",
            "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y x",
            id="assignment prefix",
        ),
        pytest.param("RUN apt-get -q install x", "RUN apt-get -q install -y x", id="-q is level 1"),
        pytest.param(
            "RUN apt-get -t bookworm-backports install x",
            "RUN apt-get -t bookworm-backports install -y x",
            id="option with argument before the command",
        ),
        pytest.param(
            "RUN apt-get -o install=1 install x",
            "RUN apt-get -o install=1 install -y x",
            id="option value looks like the command",
        ),
        pytest.param(
            "RUN apt-get install x=1.0-${V}",
            "RUN apt-get install -y x=1.0-${V}",
            id="version with a variable is not an option",
        ),
        pytest.param(
            "RUN if true; then apt-get install x; fi",
            "RUN if true; then apt-get install -y x; fi",
            id="inside if",
        ),
        pytest.param(
            "RUN (apt-get install x) && apt-get build-dep y",
            "RUN (apt-get install -y x) && apt-get build-dep -y y",
            id="subshell and build-dep",
        ),
        pytest.param(
            "RUN f() { apt-get install x; }; f",
            "RUN f() { apt-get install -y x; }; f",
            id="inside a function",
        ),
        pytest.param(
            "RUN apt-get install x | tee /log",
            "RUN apt-get install -y x | tee /log",
            id="piped out, not in",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/apt apt-get install x",
            "RUN --mount=type=cache,target=/var/cache/apt apt-get install -y x",
            id="cache mount",
        ),
        pytest.param("RUN apt-get full-upgrade", "RUN apt-get full-upgrade -y", id="no operand"),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(f"FROM debian\n{src}\n") == f"FROM debian\n{expected}\n"


def test_hidden_options_reported_without_fix() -> None:
    src = 'FROM debian\nRUN apt-get install "$@" x\n'
    assert _fix(src) == src
    (finding,) = check_text(src, [apt_prompt_unanswered], SETTINGS)
    assert finding.violation.fix is None
    assert "hidden options" in finding.violation.message


def _call(line: str) -> _apt.AptCall:
    text = f"FROM debian\nRUN {line}\n"
    tree = parse(text)
    ins = tree.instructions[1]
    source = ShellSource(text[ins.args.start : ins.content_end], ins.args.start)
    (call,) = _apt.apt_calls(parse_shell(source))
    return call


@pytest.mark.parametrize(
    ("line", "name", "after"),
    [
        ("apt-get install x", "install", "x"),
        ("apt-get -t stable install x", "install", "x"),
        ("apt-get --target-release stable install", "install", None),
        ("apt-get -oDebug::X=1 -q update", "update", None),
        ("apt-get -- install x", "install", "x"),
        ("apt-get $CMD install", None, None),
    ],
)
def test_apt_command_word(line: str, name: str | None, after: str | None) -> None:
    call = _call(line)
    assert call.name == name
    assert (call.after_subcommand.value if call.after_subcommand else None) == after


def test_apt_options() -> None:
    call = _call("apt-get -qqy -o APT::Install-Recommends=false --solver=3.0 install x")
    assert [o.name for o in call.options] == ["q", "q", "y", "o", "solver"]
    assert call.quiet_level == 2
    assert call.assumes_yes
    assert call.config("apt::install-recommends") == "false"
