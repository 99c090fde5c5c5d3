"""MF106 yum_cache_kept: inline cases, and the RPM-family command-line reader."""

from __future__ import annotations

import pytest
from manifesto.fixers import _rpm, yum_cache_kept

from manifesto.cst import parse
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.shell import Command, ShellSource, parse_shell

SETTINGS = EngineSettings(unsafe_fixes=True)
CLEAN = "yum clean all && rm -rf /var/cache/yum"


def _fix(src: str) -> str:
    result = fix_text(src, [yum_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


def _reasons(src: str) -> list[str]:
    return [f.violation.message for f in check_text(src, [yum_cache_kept], SETTINGS)]


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(f"RUN yum install -y x && {CLEAN}", id="already clean"),
        pytest.param("RUN yum install -y x && yum clean all", id="clean all is enough"),
        pytest.param("RUN yum install -y x && dnf clean all", id="dnf clean all"),
        pytest.param("RUN yum install -y x && rm -rf /var/cache/yum/*", id="rm contents"),
        pytest.param("RUN yum install -y x && rm -rf /var/cache/*", id="rm /var/cache/*"),
        pytest.param("RUN yum install -y x && rm -rf /var/cache/dnf", id="rm dnf cache"),
        pytest.param(
            "RUN yum install -y x && (cd / && yum clean all)", id="clean inside a subshell"
        ),
        pytest.param("RUN yum makecache", id="makecache fills the cache on purpose"),
        pytest.param("RUN yum remove -y x", id="remove"),
        pytest.param("RUN yum list installed", id="list"),
        pytest.param("RUN yum -C install -y x", id="cache only"),
        pytest.param("RUN yum --cacheonly install -y x", id="--cacheonly"),
        pytest.param("RUN $YUM install -y x", id="program in a variable"),
        pytest.param("RUN yum $CMD -y x", id="subcommand in a variable"),
        pytest.param('RUN ["yum", "install", "-y", "x"]', id="exec form"),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/yum yum install -y x", id="cache mount"
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/dnf/ yum install -y x",
            id="cache mount on dnf's cache, trailing slash",
        ),
        pytest.param("RUN --mount=type=tmpfs,target=/var/cache yum install -y x", id="tmpfs"),
        pytest.param("RUN --mount=type=cache,dst=/var yum install -y x", id="parent, dst="),
        pytest.param("ONBUILD RUN yum install -y x", id="onbuild"),
    ],
)
def test_no_change(src: str) -> None:
    text = f"FROM centos:7\n{src}\n"
    assert _fix(text) == text


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("RUN yum install -y x", f"RUN yum install -y x && {CLEAN}", id="basic"),
        pytest.param(
            "RUN /usr/bin/yum install -y x",
            "RUN /usr/bin/yum install -y x && /usr/bin/yum clean all && rm -rf /var/cache/yum",
            id="path, reused",
        ),
        pytest.param(
            "RUN sudo yum install -y x",
            "RUN sudo yum install -y x && sudo yum clean all && sudo rm -rf /var/cache/yum",
            id="sudo",
        ),
        pytest.param(
            "RUN sudo -E yum install -y x",
            "RUN sudo -E yum install -y x && sudo yum clean all && sudo rm -rf /var/cache/yum",
            id="sudo -E",
        ),
        pytest.param(
            "RUN sudo yum install -y x && yum install -y y",
            f"RUN sudo yum install -y x && yum install -y y && {CLEAN}",
            id="root somewhere: no sudo",
        ),
        pytest.param(
            "RUN env LANG=C yum install -y x",
            f"RUN env LANG=C yum install -y x && {CLEAN}",
            id="env wrapper",
        ),
        pytest.param("RUN yum -q -y install x", f"RUN yum -q -y install x && {CLEAN}", id="-q"),
        pytest.param(
            "RUN yum --enablerepo epel install -y x",
            f"RUN yum --enablerepo epel install -y x && {CLEAN}",
            id="option with a value before the subcommand",
        ),
        pytest.param(
            "RUN yum -y groupinstall 'Development Tools'",
            f"RUN yum -y groupinstall 'Development Tools' && {CLEAN}",
            id="groupinstall",
        ),
        pytest.param(
            "RUN yum -y group install x", f"RUN yum -y group install x && {CLEAN}", id="group"
        ),
        pytest.param(
            "RUN yum -y localinstall /tmp/x.rpm",
            f"RUN yum -y localinstall /tmp/x.rpm && {CLEAN}",
            id="localinstall",
        ),
        pytest.param("RUN yum -y update", f"RUN yum -y update && {CLEAN}", id="update"),
        pytest.param("RUN yum -y upgrade", f"RUN yum -y upgrade && {CLEAN}", id="upgrade"),
        pytest.param(
            "RUN yum -y reinstall x", f"RUN yum -y reinstall x && {CLEAN}", id="reinstall"
        ),
        pytest.param(
            'RUN if [ -n "$X" ]; then yum install -y x; fi',
            f'RUN if [ -n "$X" ]; then yum install -y x; fi && {CLEAN}',
            id="inside if",
        ),
        pytest.param(
            "RUN (yum install -y x)", f"RUN (yum install -y x) && {CLEAN}", id="inside a subshell"
        ),
        pytest.param(
            "RUN yum install -y x; yum install -y y",
            f"RUN yum install -y x; yum install -y y && {CLEAN}",
            id="several installs, one clean-up",
        ),
        pytest.param(
            "RUN yum install -y x && yum clean all && yum install -y y",
            f"RUN yum install -y x && yum clean all && yum install -y y && {CLEAN}",
            id="install after the clean",
        ),
        pytest.param(
            "RUN yum install -y x && yum clean packages",
            f"RUN yum install -y x && yum clean packages && {CLEAN}",
            id="partial clean",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/root/.cache yum install -y x",
            f"RUN --mount=type=cache,target=/root/.cache yum install -y x && {CLEAN}",
            id="unrelated cache mount",
        ),
        pytest.param(
            "RUN yum install -y --downloadonly --downloaddir=/pkgs x",
            f"RUN yum install -y --downloadonly --downloaddir=/pkgs x && {CLEAN}",
            id="download only, elsewhere",
        ),
        pytest.param(
            "RUN yum install -y x # a comment",
            f"RUN yum install -y x && {CLEAN} # a comment",
            id="trailing shell comment",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(f"FROM centos:7\n{src}\n") == f"FROM centos:7\n{expected}\n"


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param("RUN yum install -y --installroot=/r x", "--installroot", id="installroot"),
        pytest.param("RUN yum -c /etc/my.conf install -y x", "configuration", id="config"),
        pytest.param("RUN yum --setopt=keepcache=1 install -y x", "--setopt", id="keepcache"),
        pytest.param("RUN yum install -y --downloadonly x", "--downloadonly", id="downloadonly"),
        pytest.param("RUN sudo -u app yum install -y x", "another user", id="sudo -u"),
        pytest.param("RUN gosu app yum install -y x", "another user", id="gosu"),
        pytest.param("RUN yum install -y x && exit 0", "exit", id="exit"),
        pytest.param(
            "RUN yum install -y x && rpm -e --nodeps yum", "remove the package manager", id="rpm"
        ),
        pytest.param(
            "RUN yum install -y x && yum remove -y yum-utils yum",
            "remove the package manager",
            id="yum remove yum",
        ),
        pytest.param("RUN yum install -y x\nRUN yum -C install -y y", "offline", id="later -C"),
        pytest.param("RUN 'yum' install -y x", "plain path", id="quoted program"),
    ],
)
def test_report_only(src: str, reason: str) -> None:
    text = f"FROM centos:7\n{src}\n"
    assert _fix(text) == text
    messages = _reasons(text)
    assert messages and reason in messages[0]


def test_later_cache_only_in_a_stage_built_from_it() -> None:
    text = "FROM centos:7 AS base\nRUN yum install -y x\nFROM base\nRUN yum -C install -y y\n"
    assert _fix(text) == text


def test_not_shipped_stage_is_fixed_and_says_so() -> None:
    text = "FROM centos:7 AS build\nRUN yum install -y gcc\nFROM scratch\nCOPY --from=build /x /x\n"
    assert _fix(text) == text.replace("gcc\n", "gcc && yum clean all && rm -rf /var/cache/yum\n", 1)
    (message,) = _reasons(text)
    assert "stage `build` does not ship" in message


def test_one_finding_per_run_spanning_the_first_pending_install() -> None:
    text = "FROM centos:7\nRUN yum -q install -y x && yum update -y\n"
    (finding,) = check_text(text, [yum_cache_kept], SETTINGS)
    v = finding.violation
    assert text[v.start : v.end] == "yum -q install"
    assert v.fix is not None and len(v.fix.edits) == 1


def _command(script: str) -> Command:
    text = f"RUN {script}\n"
    ins = parse(text).instructions[0]
    shell = parse_shell(ShellSource(text[ins.args.start : ins.content_end], ins.args.start))
    return shell.commands[0]


@pytest.mark.parametrize(
    ("script", "tool", "expected"),
    [
        ("yum install x", _rpm.YUM, "install"),
        ("yum -y --enablerepo epel install x", _rpm.YUM, "install"),
        ("yum --enablerepo=epel -q install x", _rpm.YUM, "install"),
        ("yum -y group install x", _rpm.YUM, "group install"),
        ("dnf module install nodejs:18", _rpm.DNF, "module install"),
        ("microdnf --nodocs install x", _rpm.MICRODNF, "install"),
        ("zypper -n --root /r in x", _rpm.ZYPPER, "in"),
        ("zypper -C /c in x", _rpm.ZYPPER, "in"),
        ("yum $SUB x", _rpm.YUM, ""),
        ("yum -y", _rpm.YUM, ""),
        ("dnf install x", _rpm.YUM, ""),
    ],
)
def test_subcommand(script: str, tool: _rpm.Tool, expected: str) -> None:
    assert _rpm.subcommand_name(_command(script), tool) == expected


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("yum install x", True),
        ("yum install x && echo ok", True),
        ("echo a && yum install x", True),
        ("yum install x || true", False),
        ("yum install x; echo ok", False),
        ("set -e; yum install x; echo ok", True),
        ("set -e; yum install x && echo ok; echo next", False),
        ("set -e; echo a || yum install x; echo next", True),
        ("yum install x | tee log", False),
        ("yum install x &", False),
        ("(yum install x)", False),
    ],
)
def test_failure_fails_run(script: str, expected: bool) -> None:
    text = f"RUN {script}\n"
    ins = parse(text).instructions[0]
    shell = parse_shell(ShellSource(text[ins.args.start : ins.content_end], ins.args.start))
    (yum,) = [c for c in shell.commands if c.program == "yum"]
    assert _rpm.failure_fails_run(shell, yum) is expected


def test_a_cache_mount_inside_the_cache_directory_gets_no_fix() -> None:
    # `rm -rf /var/cache/yum` would fail on the mount point, and `yum clean all`
    # would empty the cache the author mounted on purpose.
    src = "FROM centos:7\nRUN --mount=type=cache,target=/var/cache/yum/x86_64 yum install -y curl\n"
    assert _fix(src) == src
    (finding,) = check_text(src, [yum_cache_kept], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "mount-inside-cache"
