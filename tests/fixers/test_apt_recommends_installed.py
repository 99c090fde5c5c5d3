"""MF104 apt_recommends_installed: inline cases, and how it combines with MF103."""

from __future__ import annotations

import itertools

import pytest
from manifesto.fixers import (
    apt_lists_kept,
    apt_prompt_unanswered,
    apt_recommends_installed,
    apt_update_alone,
)

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
NR = "--no-install-recommends"


def _fix(src: str) -> str:
    result = fix_text(src, [apt_recommends_installed], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(f"RUN apt-get install -y {NR} x", id="flag"),
        pytest.param(f"RUN apt-get {NR} install -y x", id="flag before the command"),
        pytest.param("RUN apt-get install -y --install-recommends=false x", id="=false"),
        pytest.param("RUN apt-get install -y --install-recommends=off x", id="=off"),
        pytest.param("RUN apt-get install -y -o APT::Install-Recommends=0 x", id="-o =0"),
        pytest.param('RUN apt-get install -y -o "APT::Install-Recommends=no" x', id="quoted"),
        pytest.param("RUN apt-get install -y -o apt::install-recommends=false x", id="key case"),
        pytest.param("RUN apt-get install -y --install-recommends x", id="explicitly wanted"),
        pytest.param(
            "RUN apt-get install -y -o APT::Install-Recommends=true x", id="explicit -o true"
        ),
        pytest.param("RUN apt-get install -y --install-recommends=maybe x", id="odd value"),
        pytest.param("RUN apt-get install -s x", id="simulation"),
        pytest.param("RUN apt-get build-dep -y x", id="build-dep not covered"),
        pytest.param("RUN apt-get -y upgrade", id="upgrade not covered"),
        pytest.param(
            "RUN printf 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/10 "
            "&& apt-get install -y x",
            id="configured in the same RUN",
        ),
        pytest.param('RUN ["apt-get", "install", "-y", "x"]', id="exec form"),
    ],
)
def test_no_change(src: str) -> None:
    text = f"FROM debian\n{src}\n"
    assert _fix(text) == text


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("RUN apt-get install -y x", f"RUN apt-get install -y {NR} x", id="after -y"),
        pytest.param(
            "RUN apt-get install -qq x", f"RUN apt-get install -qq {NR} x", id="after -qq"
        ),
        pytest.param(
            "RUN apt-get install -yq x", f"RUN apt-get install -yq {NR} x", id="after -yq"
        ),
        pytest.param("RUN apt-get install -q x", f"RUN apt-get install {NR} -q x", id="before -q"),
        pytest.param("RUN apt-get -y install x", f"RUN apt-get -y install {NR} x", id="-y before"),
        pytest.param("RUN apt install -y x", f"RUN apt install -y {NR} x", id="apt"),
        pytest.param(
            "RUN sudo /usr/bin/apt-get install -y x",
            f"RUN sudo /usr/bin/apt-get install -y {NR} x",
            id="sudo and path",
        ),
        pytest.param(
            "RUN apt-get install -y -t bookworm-backports x",
            f"RUN apt-get install -y {NR} -t bookworm-backports x",
            id="option with argument follows",
        ),
        pytest.param(
            "RUN apt-get install -y x && apt-get install -y y",
            f"RUN apt-get install -y {NR} x && apt-get install -y {NR} y",
            id="several installs",
        ),
        pytest.param(
            "RUN apt-get install >/dev/null x",
            f"RUN apt-get install {NR} >/dev/null x",
            id="redirect between",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(f"FROM debian\n{src}\n") == f"FROM debian\n{expected}\n"


def test_fix_is_unsafe() -> None:
    src = "FROM debian\nRUN apt-get install -y x\n"
    assert fix_text(src, [apt_recommends_installed], EngineSettings()).output == src
    (finding,) = check_text(src, [apt_recommends_installed], EngineSettings())
    assert finding.violation.fix is not None


def test_earlier_flags_are_not_configuration() -> None:
    src = (
        "FROM debian\n"
        f"RUN apt-get update && apt-get install -y {NR} a\n"
        "RUN apt-get update && apt-get install -y -o APT::Install-Recommends=false b\n"
        "RUN apt-get update && apt-get install -y c\n"
    )
    assert _fix(src) == src.replace("install -y c", f"install -y {NR} c")


def test_configured_in_a_parent_stage() -> None:
    src = (
        "FROM debian AS base\n"
        "COPY <<EOF /etc/apt/apt.conf.d/99norecommends\n"
        'APT::Install-Recommends "false";\n'
        "EOF\n"
        "FROM base\nRUN apt-get install -y x\n"
    )
    assert _fix(src) == src


# ------------------------------------------------------------------ with MF103 (and the rest)

COMBINED = [
    (
        "RUN apt-get install x",
        f"RUN apt-get install -y {NR} x",
    ),
    (
        "RUN apt-get install \\\n    x",
        f"RUN apt-get install -y {NR} \\\n    x",
    ),
    (
        "RUN apt-get install    x",
        f"RUN apt-get install -y    {NR} x",
    ),
    (
        "RUN apt-get -q install x && apt-get install -y y",
        f"RUN apt-get -q install -y {NR} x && apt-get install -y {NR} y",
    ),
    (
        "RUN apt install\tx",
        f"RUN apt install -y\t{NR} x",
    ),
]


@pytest.mark.parametrize(("src", "expected"), COMBINED)
def test_with_mf103_any_order(src: str, expected: str) -> None:
    text, want = f"FROM debian\n{src}\n", f"FROM debian\n{expected}\n"
    for order in itertools.permutations([apt_prompt_unanswered, apt_recommends_installed]):
        result = fix_text(text, list(order), SETTINGS)
        assert result.errors == ()
        assert result.output == want
        again = fix_text(result.output, list(order), SETTINGS)
        assert again.applied == ()


def test_same_line_takes_one_pass() -> None:
    result = fix_text(
        "FROM debian\nRUN apt-get install x\n",
        [apt_prompt_unanswered, apt_recommends_installed],
        SETTINGS,
    )
    assert {a.pass_number for a in result.applied} == {1}


def test_all_four_any_order() -> None:
    src = (
        "FROM debian:bookworm\n"
        "RUN apt-get update\n"
        "RUN apt-get install \\\n"
        "        curl \\\n"
        "        git\n"
    )
    expected = (
        "FROM debian:bookworm\n"
        f"RUN apt-get update && apt-get install -y {NR} \\\n"
        "        curl \\\n"
        "        git && \\\n"
        "        rm -rf /var/lib/apt/lists/*\n"
    )
    fixers = [apt_lists_kept, apt_update_alone, apt_prompt_unanswered, apt_recommends_installed]
    for order in itertools.permutations(fixers):
        result = fix_text(src, list(order), SETTINGS)
        assert result.errors == ()
        assert result.output == expected
