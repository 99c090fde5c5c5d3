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
            "FROM debian\nRUN apt-get install -y gcc python3-pip git\n"
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
            "FROM debian\nRUN apt-get install -y python3-pip"
            " && pip install --only-binary :all: requests\n",
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


# ------------------------------------------------------------------ URLs through variables

_CURL = "FROM debian\nRUN apt-get install -y curl\n"


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            'ARG ROOT=https://x\nENV ROOT=$ROOT\nRUN U="$ROOT/y" && curl -fsSL "$U"\n',
            id="ENV from ARG, then a RUN assignment",
        ),
        pytest.param(
            'ENV ROOT=https://x\nRUN D="$ROOT/a" && U="$D/b" && curl -o f "$U"\n',
            id="two RUN assignments deep",
        ),
        pytest.param('ARG ROOT\nRUN curl -O "$ROOT/y"\n', id="ARG without default"),
        pytest.param(
            'ENV HOST=x.org\nRUN export U="https://$HOST/y" && curl -O "$U"\n',
            id="export with https in the value",
        ),
        pytest.param('RUN curl -O "${ROOT:-http://x}/y"\n', id="default of an unknown variable"),
        pytest.param('ENV S=https\nRUN curl -O "$S://x/y"\n', id="scheme in a variable"),
        pytest.param('RUN curl -O "$SCHEME://x/y"\n', id="unknown scheme"),
        pytest.param("RUN U=$(printf 'http%s://x' s) && curl -O \"$U\"\n", id="printf"),
        pytest.param('RUN curl -O "http$(printf s)://x/y"\n', id="substitution in the scheme"),
        pytest.param('ENV U=http://x\nRUN curl -O "${U/http/https}"\n', id="pattern operator"),
        pytest.param('RUN for u in a b; do curl -fsSLO "$u"; done\n', id="loop variable"),
        pytest.param('RUN cat urls | while read -r u; do curl -O "$u"; done\n', id="read"),
        pytest.param("RUN wget -q -i /urls.txt\n", id="URLs from a file"),
        pytest.param(
            'ENV U=https://x\nRUN curl -O "$U" && U=http://y && curl -O "$U"\n',
            id="assigned in the RUN only after the fetch",
        ),
        pytest.param('RUN curl -fsSLo/tmp/out "$URL"\n', id="value attached to -o"),
        pytest.param('RUN curl --url="$URL" -o out\n', id="--url="),
        pytest.param(
            "ARG ROOT=https://x\nFROM debian\nARG ROOT\nRUN apt-get install -y curl\n"
            'RUN curl -O "$ROOT/y"\n',
            id="stage ARG takes the global default",
        ),
    ],
)
def test_ca_certificates_added_for_a_url_that_may_be_https(src: str) -> None:
    if not src.startswith("ARG ROOT=https://x\nFROM"):
        src = _CURL + src
    assert _ca_added(src)


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            'ARG ROOT=http://x\nENV ROOT=$ROOT\nRUN U="$ROOT/y" && curl -fsSL "$U"\n',
            id="http through ENV, ARG and a RUN assignment",
        ),
        pytest.param(
            'ENV M=http://mirror\nRUN curl -O "$M/${ARCH:-amd64}/$(uname -m).tgz"\n',
            id="unknown parts after a known http scheme",
        ),
        pytest.param(
            'RUN U=http://x/a && curl -fsSL -o "$DEST/a" -H "X: $TOKEN" "$U"\n',
            id="unknown output file and header",
        ),
        pytest.param(
            "ARG ROOT=http://x\nFROM debian\nARG ROOT\nRUN apt-get install -y curl\n"
            'RUN curl -O "$ROOT/y"\n',
            id="stage ARG takes the global http default",
        ),
        pytest.param(
            'ENV ROOT=http://x\nRUN ROOT="$ROOT/sub" && curl -O "$ROOT/y"\n',
            id="a RUN assignment that refers to its own ENV value",
        ),
    ],
)
def test_ca_certificates_not_added_for_a_url_proven_http(src: str) -> None:
    if not src.startswith("ARG ROOT=http://x\nFROM"):
        src = _CURL + src
    assert not _ca_added(src)


def test_a_global_arg_is_not_seen_by_a_stage_that_does_not_declare_it() -> None:
    # Without ``ARG ROOT`` in the stage, $ROOT is not the global http default.
    src = 'ARG ROOT=http://x\nFROM debian\nRUN apt-get install -y curl && curl -O "$ROOT/y"\n'
    assert _ca_added(src)


def test_env_wins_over_an_arg_of_the_same_name() -> None:
    src = _CURL + 'ENV ROOT=https://x\nARG ROOT=http://y\nRUN curl -O "$ROOT/z"\n'
    assert _ca_added(src)


def test_a_cycle_of_variables_ends() -> None:
    src = _CURL + 'ENV A=$B\nENV B=$A\nRUN X="$Y" && Y="$X" && curl -O "$X"\n'
    assert _ca_added(src)


# ------------------------------------------------------------------ dirmngr (keyserver use)


def _adds(src: str, package: str) -> bool:
    out = _fix(src)
    return out.count(package) > src.count(package)


@pytest.mark.parametrize(
    "use",
    [
        "gpg --batch --keyserver keyserver.ubuntu.com --recv-keys K",
        "gpg --recv-key K",
        "gpg --fetch-keys https://x/key.asc",
        "gpg --search-keys someone@example.org",
        "gpg --refresh-keys",
        "gpg --locate-keys someone@example.org",
        "gpg --auto-key-locate wkd --locate-external-keys someone@example.org",
        "gpg2 --keyserver=hkp://k --recv-keys K",
        "apt-key adv --keyserver keyserver.ubuntu.com --recv-keys K",
        "sh -c 'gpg --recv-keys K'",
        'for s in a b; do gpg --keyserver "$s" --recv-keys K && break; done',
    ],
)
def test_dirmngr_added_for_a_keyserver_use(use: str) -> None:
    src = f"FROM debian:12\nRUN apt-get install -y curl gpg\nRUN {use}\n"
    assert _adds(src, "dirmngr")


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y gpg && gpg --verify a.sig a\n",
            id="no keyserver",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y gnupg && gpg --recv-keys K\n",
            id="gnupg depends on it",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y gnupg2 && gpg --recv-keys K\n",
            id="gnupg2 depends on gnupg",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y gpg dirmngr && gpg --recv-keys K\n",
            id="named",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y gnupg\nRUN apt-get install -y gpg\n"
            "RUN gpg --recv-keys K\n",
            id="gnupg installed earlier in the image",
        ),
        pytest.param(
            "FROM buildpack-deps:bookworm\nRUN apt-get install -y gpg && gpg --recv-keys K\n",
            id="base ships gnupg",
        ),
        pytest.param(
            "FROM debian:12\nRUN gpg --recv-keys K\nRUN apt-get install -y gpg\n",
            id="use before the install",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y gpg\nONBUILD RUN gpg --recv-keys K\n",
            id="ONBUILD",
        ),
    ],
)
def test_dirmngr_not_added(src: str) -> None:
    assert NR in _fix(src)
    assert not _adds(src, "dirmngr")


# ------------------------------------------------------------------ openssh-client (ssh use)


@pytest.mark.parametrize(
    "use",
    [
        "git clone git@github.com:acme/app.git /src",
        "git clone --depth 1 ssh://git@example.com/acme/app.git",
        "mkdir -p /root/.ssh && ssh-keyscan github.com >> /root/.ssh/known_hosts",
        "git config --global url.git@github.com:.insteadOf https://github.com/",
        "pip install git+ssh://git@github.com/acme/lib.git",
    ],
)
def test_openssh_client_added_for_an_ssh_use(use: str) -> None:
    # git only recommends ssh-client: without it, "cannot run ssh: No such file"
    src = f"FROM debian:12\nRUN apt-get install -y git\nRUN {use}\n"
    assert _fix(src).startswith(f"FROM debian:12\nRUN apt-get install -y {NR} git openssh-client\n")


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y git\nRUN git clone https://u@h.example:8443/r\n",
            id="https with a user and a port",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y git openssh-client\n"
            "RUN git clone git@github.com:acme/app.git\n",
            id="named",
        ),
        pytest.param(
            "FROM python:3.12\nRUN apt-get install -y git\nRUN git clone git@github.com:a/b.git\n",
            id="base ships it",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get install -y curl\nRUN git clone git@github.com:a/b.git\n",
            id="git not installed here",
        ),
    ],
)
def test_openssh_client_not_added(src: str) -> None:
    assert NR in _fix(src)
    assert not _adds(src, "openssh-client")


def test_dirmngr_added_for_gnupg_on_stretch() -> None:
    # Debian 9's gnupg only recommends dirmngr.
    src = "FROM debian:stretch\nRUN apt-get install -y gnupg && gpg --recv-keys K\n"
    assert _adds(src, "dirmngr")


def test_the_fix_says_why_it_adds_ca_certificates_and_dirmngr() -> None:
    src = "FROM debian:12\nRUN apt-get install -y curl gpg\nRUN curl -O https://x/a\n"
    src += "RUN gpg --keyserver hkps://k --recv-keys K\n"
    (finding,) = check_text(src, [apt_recommends_installed], SETTINGS)
    assert finding.violation.fix is not None
    assert finding.violation.fix.message == (
        f"Insert {NR} after `apt-get install` and install ca-certificates, which the https"
        " fetch on line 3 needs, and dirmngr, which the keyserver use on line 4 needs"
    )
    assert f"install -y {NR} {CA} curl dirmngr gpg\n" in _fix(src)


# ------------------------------------------------------------------ python3-dev (pip builds)


@pytest.mark.parametrize(
    ("install", "expected"),
    [
        pytest.param("gcc python3-pip", "build-essential gcc python3-dev python3-pip", id="gcc"),
        pytest.param(
            "python3-pip build-essential",
            "python3-dev python3-pip build-essential",
            id="build-essential, unsorted",
        ),
        pytest.param(
            "clang-15 python3-pip", "build-essential clang-15 python3-dev python3-pip", id="clang"
        ),
        pytest.param(
            "g++ make python3-pip", "build-essential g++ make python3-dev python3-pip", id="g++"
        ),
    ],
)
def test_python3_dev_added_when_a_compiler_is_named(install: str, expected: str) -> None:
    src = f"FROM ubuntu:22.04\nRUN apt-get install -y {install}\nRUN pip3 install crcmod\n"
    assert f"install -y {NR} {expected}\n" in _fix(src)


def test_a_compiler_installed_earlier_in_the_image_shows_the_intent() -> None:
    src = (
        "FROM ubuntu:22.04\nRUN apt-get install -y --no-install-recommends build-essential\n"
        "RUN apt-get install -y python3-pip && pip3 install crcmod\n"
    )
    assert f"install -y {NR} python3-dev python3-pip &&" in _fix(src)


def test_python_dev_for_python2_pip() -> None:
    src = "FROM debian:buster\nRUN apt-get install -y gcc python-pip && pip install crcmod\n"
    assert f"install -y {NR} build-essential gcc python-dev python-pip &&" in _fix(src)


@pytest.mark.parametrize(
    "pip",
    [
        "pip3 install crcmod",
        "pip install -r requirements.txt",
        "python3 -m pip install 'pywinrm[kerberos]'",
        "python3 -m pip --no-cache-dir install x",
        "pip3 --cache-dir /tmp install x",
        "pip3 install -e .",
        "pip3 install $PACKAGES",
        "pip3 install --no-binary :all: x",
        "pip3 install -U pip && pip3 install x",
    ],
)
def test_reported_without_a_fix_when_no_compiler_is_named(pip: str) -> None:
    src = f"FROM ubuntu:22.04\nRUN apt-get install -y python3-pip\nRUN {pip}\n"
    assert _fix(src) == src
    (finding,) = check_text(src, [apt_recommends_installed], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "pip-build-recommends"
    assert "`pip install` on line 3 may need to build packages from source" in (
        finding.violation.message
    )


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip python3-dev\n"
            "RUN pip3 install crcmod\n",
            id="python3-dev named",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y libpython3.10-dev\n"
            "RUN apt-get install -y python3-pip && pip3 install crcmod\n",
            id="headers installed earlier",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip"
            " && pip3 install --only-binary :all: numpy\n",
            id="--only-binary :all:",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip"
            " && pip3 install --no-index --find-links /wheels x\n",
            id="--no-index",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip"
            " && pip3 install /wheels/x-1.0-py3-none-any.whl\n",
            id="local wheel",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip"
            " && pip3 install -U pip setuptools==69 wheel\n",
            id="packaging tools only",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get install -y python3-pip && pip install crcmod\n",
            id="the base's own pip",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN pip3 install crcmod\nRUN apt-get install -y python3-pip\n",
            id="pip before the install",
        ),
        pytest.param(
            "FROM ubuntu:22.04\nRUN apt-get install -y python3-pip\n"
            "ONBUILD RUN pip3 install crcmod\n",
            id="ONBUILD",
        ),
    ],
)
def test_plain_flag_when_no_pip_build_follows(src: str) -> None:
    out = _fix(src)
    assert NR in out
    assert out.replace(f" {NR}", "") == src
