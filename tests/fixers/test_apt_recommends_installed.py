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
        pytest.param("RUN apt-get install -q x", f"RUN apt-get install -q {NR} x", id="after -q"),
        pytest.param("RUN apt-get -y install x", f"RUN apt-get -y install {NR} x", id="-y before"),
        pytest.param("RUN apt install -y x", f"RUN apt install -y {NR} x", id="apt"),
        pytest.param(
            "RUN sudo /usr/bin/apt-get install -y x",
            f"RUN sudo /usr/bin/apt-get install -y {NR} x",
            id="sudo and path",
        ),
        pytest.param(
            "RUN apt-get install -y -t bookworm-backports x",
            f"RUN apt-get install -y -t bookworm-backports {NR} x",
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
    (
        "RUN apt-get install -q x",
        f"RUN apt-get install -y -q {NR} x",
    ),
    (
        "RUN apt-get install -o Dpkg::Use-Pty=0 \\\n    x",
        f"RUN apt-get install -y -o Dpkg::Use-Pty=0 {NR} \\\n    x",
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
        "    rm -rf /var/lib/apt/lists/*\n"
    )
    fixers = [apt_lists_kept, apt_update_alone, apt_prompt_unanswered, apt_recommends_installed]
    for order in itertools.permutations(fixers):
        result = fix_text(src, list(order), SETTINGS)
        assert result.errors == ()
        assert result.output == expected


# ------------------------------------------------------------------ ca-certificates (https fetches)

CA = "ca-certificates"


def _ca_added(src: str) -> bool:
    out = _fix(src)
    assert NR in out
    return out.count(CA) > src.count(CA)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl && curl -fsSLO https://x/y\n", id="curl"
        ),
        pytest.param("FROM debian\nRUN apt-get install -y wget\nRUN wget https://x/y\n", id="wget"),
        pytest.param(
            "FROM debian\nRUN apt-get install -y git\nRUN git clone https://x/y.git\n",
            id="git clone",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y python3-pip git\n"
            "RUN pip install git+https://x/y.git\n",
            id="pip runs git",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y gnupg"
            " && gpg --keyserver hkps://k.x --recv-keys A\n",
            id="hkps keyserver",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl\nENV URL=https://x/y\nRUN curl -O $URL\n",
            id="ENV https",
        ),
        pytest.param("FROM debian\nRUN apt-get install -y curl\nRUN curl -O $URL\n", id="unknown"),
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl\nRUN curl -O $(cat /url)\n",
            id="command substitution",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y golang-go git\nRUN go install x.io/y@latest\n",
            id="go install",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl\nRUN sh -c 'curl -fsSL https://x | sh'\n",
            id="sh -c",
        ),
        pytest.param(
            'FROM debian\nRUN apt-get install -y curl\nRUN ["curl", "-O", "https://x/y"]\n',
            id="exec form",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y software-properties-common\n"
            "RUN add-apt-repository 'deb https://x/apt stable main'\n",
            id="add-apt-repository https",
        ),
        pytest.param(
            "FROM ubuntu:22.04 AS base\nRUN apt-get install -y curl\nFROM base\nRUN curl https://x\n",
            id="stage built FROM it",
        ),
        pytest.param(
            "FROM node:20-slim\nRUN apt-get install -y curl && curl https://x\n", id="node slim"
        ),
        pytest.param(
            "ARG TAG=20-slim\nFROM node:${TAG}\nRUN apt-get install -y curl && curl https://x\n",
            id="node slim through a global ARG",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl && curl https://x"
            " && apt-get install -y ca-certificates\n",
            id="installed by name only after the first fetch",
        ),
        pytest.param(
            "FROM myorg/base:1\nRUN apt-get install -y curl && curl https://x\n",
            id="unknown image",
        ),
    ],
)
def test_ca_certificates_added(src: str) -> None:
    assert _ca_added(src)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("FROM debian\nRUN apt-get install -y curl\n", id="no fetch"),
        pytest.param("FROM debian\nRUN apt-get install -y curl && curl http://x\n", id="http"),
        pytest.param(
            "FROM debian\nARG URL=http://x\nRUN apt-get install -y curl && curl $URL\n",
            id="ARG http",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y git && git clone git@github.com:x/y\n", id="ssh"
        ),
        pytest.param(
            "FROM debian\nRUN curl https://x\nRUN apt-get install -y curl\n", id="fetch before"
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y python3-pip && pip install requests\n",
            id="pip",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y nodejs npm && npm install -g yarn\n", id="npm"
        ),
        pytest.param(
            "FROM debian\nADD https://x/y /y\nRUN apt-get install -y curl\n", id="ADD https"
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y ca-certificates-java curl && curl https://x\n",
            id="ca-certificates-java depends on it",
        ),
        pytest.param(
            "FROM debian\nENV PKGS='ca-certificates curl'\nRUN apt-get install -y make\n"
            "RUN curl https://x\n",
            id="named earlier in the image",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl\nONBUILD RUN curl https://x\n",
            id="ONBUILD runs in another image",
        ),
        pytest.param(
            "FROM debian AS a\nRUN apt-get install -y curl\nFROM debian\nRUN curl https://x\n",
            id="another image",
        ),
        pytest.param(
            "FROM node:20\nRUN apt-get install -y curl && curl https://x\n", id="node ships it"
        ),
        pytest.param(
            "FROM buildpack-deps:bookworm-curl\nRUN apt-get install -y git && git clone https://x\n",
            id="buildpack-deps",
        ),
        pytest.param(
            "FROM arm64v8/python:3.12-slim\nRUN apt-get install -y curl && curl https://x\n",
            id="architecture namespace",
        ),
        pytest.param(
            "ARG V=3.12\nFROM python:${V}-slim\nRUN apt-get install -y curl && curl https://x\n",
            id="python through a global ARG",
        ),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN apt-get install -y curl && curl https://x\n",
            id="dotnet",
        ),
    ],
)
def test_ca_certificates_not_added(src: str) -> None:
    assert not _ca_added(src)


def test_ca_certificates_added_once_for_the_image() -> None:
    src = (
        "FROM debian\n"
        "RUN apt-get install -y curl && curl https://x\n"
        "RUN apt-get install -y wget && wget https://y\n"
    )
    assert _fix(src).count(CA) == 1


def test_ca_certificates_go_to_the_install_that_brings_the_tool() -> None:
    src = (
        "FROM debian\n"
        "RUN apt-get install -y git && apt-get install -y locales\n"
        "RUN git clone https://x/y\n"
    )
    assert f"install -y {NR} {CA} git && apt-get install -y {NR} locales" in _fix(src)


def test_ca_certificates_go_to_the_last_install_without_a_tool() -> None:
    src = "FROM debian\nRUN apt-get install -y make && apt-get install -y zip && curl https://x\n"
    assert f"install -y {NR} make && apt-get install -y {NR} {CA} zip" in _fix(src)


def test_the_fix_says_why_it_adds_ca_certificates() -> None:
    src = "FROM debian\nRUN apt-get install -y curl\nRUN curl https://x\n"
    (finding,) = check_text(src, [apt_recommends_installed], SETTINGS)
    assert finding.violation.fix is not None
    assert "https fetch on line 3" in finding.violation.fix.message


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "RUN apt-get install -y zip curl && curl https://x",
            f"RUN apt-get install -y {NR} {CA} zip curl && curl https://x",
            id="unsorted: first",
        ),
        pytest.param(
            "RUN apt-get install -y bash curl && curl https://x",
            f"RUN apt-get install -y {NR} bash {CA} curl && curl https://x",
            id="sorted: its place",
        ),
        pytest.param(
            "RUN apt-get install -y apt-utils bash && curl https://x",
            f"RUN apt-get install -y {NR} apt-utils bash {CA} && curl https://x",
            id="sorted: last",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    bash\\\n    zsh && curl https://x",
            f"RUN apt-get install -y {NR} \\\n    bash\\\n    {CA}\\\n    zsh && curl https://x",
            id="own lines, the list's spacing",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    bash \\\n    apt-utils && curl https://x",
            f"RUN apt-get install -y {NR} \\\n    {CA} \\\n    bash \\\n    apt-utils"
            " && curl https://x",
            id="own lines, unsorted",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    apt-utils \\\n    bash && curl https://x",
            f"RUN apt-get install -y {NR} \\\n    apt-utils \\\n    bash \\\n    {CA}"
            " && curl https://x",
            id="own lines, sorted last",
        ),
    ],
)
def test_ca_certificates_placement(src: str, expected: str) -> None:
    assert _fix(f"FROM debian\n{src}\n") == f"FROM debian\n{expected}\n"
