"""MF110 rpm_prompt_unanswered: inline cases, applicability included."""

from __future__ import annotations

import pytest
from manifesto.fixers import rpm_prompt_unanswered

from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)


def _fix(src: str, settings: EngineSettings = SETTINGS) -> str:
    result = fix_text(src, [rpm_prompt_unanswered], settings)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("RUN yum install -y x", id="-y"),
        pytest.param("RUN yum -y install x", id="-y before the subcommand"),
        pytest.param("RUN yum install x -y", id="-y at the end"),
        pytest.param("RUN yum -qy install x", id="bundled"),
        pytest.param("RUN dnf install --assumeyes x", id="--assumeyes"),
        pytest.param("RUN dnf install --assumey x", id="abbreviated"),
        pytest.param("RUN dnf install --assumeno x", id="--assumeno"),
        pytest.param("RUN dnf --setopt=assumeyes=1 install x", id="setopt"),
        pytest.param("RUN yes | yum install x", id="yes piped"),
        pytest.param("RUN yum install x < answers.txt", id="stdin redirected"),
        pytest.param("RUN yum install x <<< y", id="here-string"),
        pytest.param("RUN yum clean all", id="clean"),
        pytest.param("RUN yum makecache", id="makecache"),
        pytest.param("RUN yum list installed", id="list"),
        pytest.param("RUN yum info x", id="info"),
        pytest.param("RUN microdnf install x", id="microdnf assumes yes"),
        pytest.param("RUN zypper -n in x", id="zypper -n"),
        pytest.param("RUN zypper --non-interactive in x", id="--non-interactive"),
        pytest.param("RUN zypper -qn in x", id="bundled -n"),
        pytest.param("RUN zypper in -y x", id="subcommand -y"),
        pytest.param("RUN zypper in --no-confirm x", id="--no-confirm"),
        pytest.param("RUN zypper in -yl x", id="bundled subcommand -y"),
        pytest.param("RUN zypper refresh", id="refresh"),
        pytest.param("RUN zypper clean -a", id="zypper clean"),
        pytest.param("RUN $PKG install x", id="program in a variable"),
        pytest.param('RUN ["yum", "install", "x"]', id="exec form"),
        pytest.param("ONBUILD RUN yum install x", id="onbuild"),
        pytest.param(
            "RUN echo assumeyes=1 >> /etc/yum.conf && yum install x", id="configured in the RUN"
        ),
        pytest.param(
            "RUN echo defaultyes=True >> /etc/dnf/dnf.conf\nRUN dnf install x",
            id="configured earlier",
        ),
    ],
)
def test_no_change(src: str) -> None:
    text = f"FROM centos:7\n{src}\n"
    assert _fix(text) == text


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("RUN yum install x", "RUN yum install -y x", id="yum"),
        pytest.param("RUN dnf install x", "RUN dnf install -y x", id="dnf"),
        pytest.param("RUN /usr/bin/yum install x", "RUN /usr/bin/yum install -y x", id="path"),
        pytest.param("RUN sudo yum install x", "RUN sudo yum install -y x", id="sudo"),
        pytest.param("RUN yum -q install x", "RUN yum -q install -y x", id="option before"),
        pytest.param(
            "RUN yum --enablerepo epel install x",
            "RUN yum --enablerepo epel install -y x",
            id="option with a value before",
        ),
        pytest.param(
            "RUN yum groupinstall 'Dev Tools'", "RUN yum groupinstall -y 'Dev Tools'", id="group"
        ),
        pytest.param(
            "RUN dnf group install x", "RUN dnf group install -y x", id="two-word subcommand"
        ),
        pytest.param(
            "RUN dnf module enable nodejs:18",
            "RUN dnf module enable -y nodejs:18",
            id="module enable",
        ),
        pytest.param("RUN yum localinstall /x.rpm", "RUN yum localinstall -y /x.rpm", id="local"),
        pytest.param("RUN yum update", "RUN yum update -y", id="update"),
        pytest.param("RUN yum remove x", "RUN yum remove -y x", id="remove"),
        pytest.param(
            "RUN yum install x < /dev/null",
            "RUN yum install -y x < /dev/null",
            id="/dev/null answers nothing",
        ),
        pytest.param("RUN dnf autoremove", "RUN dnf autoremove -y", id="autoremove"),
        pytest.param(
            "RUN yum install x && yum install y",
            "RUN yum install -y x && yum install -y y",
            id="several in one RUN",
        ),
        pytest.param("RUN zypper in x", "RUN zypper --non-interactive in x", id="zypper in"),
        pytest.param(
            "RUN zypper install -n x",
            "RUN zypper --non-interactive install -n x",
            id="zypper install -n is --name",
        ),
        pytest.param(
            "RUN zypper -q patch", "RUN zypper --non-interactive -q patch", id="zypper options"
        ),
        pytest.param(
            "RUN sudo zypper rm x", "RUN sudo zypper --non-interactive rm x", id="zypper sudo"
        ),
        pytest.param(
            "RUN yum install x | tee /log",
            "RUN yum install -y x | tee /log",
            id="pipeline, output only",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(f"FROM centos:7\n{src}\n") == f"FROM centos:7\n{expected}\n"


@pytest.mark.parametrize(
    ("src", "safe"),
    [
        pytest.param("RUN yum install x", True, id="last statement"),
        pytest.param("RUN yum install x && echo ok", True, id="&& to the end"),
        pytest.param("RUN set -e; yum install x; echo ok", True, id="set -e"),
        pytest.param("RUN yum install x || true", False, id="|| true"),
        pytest.param("RUN yum install x; echo ok", False, id="not last, no set -e"),
        pytest.param("RUN if true; then yum install x; fi", False, id="if"),
        pytest.param("RUN (yum install x)", False, id="subshell"),
        pytest.param("RUN yum install x | tee /log", False, id="pipeline"),
    ],
)
def test_applicability(src: str, safe: bool) -> None:
    text = f"FROM centos:7\n{src}\n"
    (finding,) = check_text(text, [rpm_prompt_unanswered], SETTINGS)
    fix = finding.violation.fix
    assert fix is not None
    assert fix.applicability is (Applicability.SAFE if safe else Applicability.UNSAFE)
    safe_only = _fix(text, EngineSettings())
    assert (safe_only != text) is safe


def test_not_shipped_stage_is_fixed_too() -> None:
    text = "FROM centos:7 AS build\nRUN yum install gcc\nFROM scratch\nCOPY --from=build /x /x\n"
    assert "yum install -y gcc" in _fix(text)


def test_finding_spans_program_and_subcommand() -> None:
    text = "FROM centos:7\nRUN sudo yum -q group install x\n"
    (finding,) = check_text(text, [rpm_prompt_unanswered], SETTINGS)
    v = finding.violation
    assert text[v.start : v.end] == "yum -q group install"
