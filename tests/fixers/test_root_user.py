"""Inline cases for MF401 root_user (the golden fixtures cover each base family)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from manifesto.fixers import root_user

from manifesto.cst import ParseError, parse
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.reasons import catalogued
from manifesto.registry import FIXERS, OPT_IN

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers" / "root_user"


def fix(src: str) -> str:
    result = fix_text(src, [root_user], SETTINGS)
    assert result.errors == ()
    return result.output


def findings(src: str) -> list[tuple[str, str | None, bool]]:
    """(message, reason slug, has a fix) of each finding."""
    return [
        (
            f.violation.message,
            f.violation.reason.slug if f.violation.reason is not None else None,
            f.violation.fix is not None,
        )
        for f in check_text(src, [root_user], SETTINGS)
    ]


def only_reason(src: str) -> str | None:
    found = findings(src)
    assert len(found) == 1, found
    message, slug, fixed = found[0]
    assert not fixed
    assert message.startswith("the image runs as root")
    return slug


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param(
            "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCMD cmd\n",
            "windows-image",
            id="windows",
        ),
        pytest.param(
            'FROM debian:12\nENTRYPOINT ["su-exec", "nobody", "srv"]\n',
            "drops-privileges",
            id="su-exec",
        ),
        pytest.param(
            'FROM debian:12\nCMD ["setpriv", "--reuid=1000", "srv"]\n',
            "drops-privileges",
            id="setpriv",
        ),
        pytest.param(
            "FROM debian:12\nCMD exec runuser -u www srv\n", "drops-privileges", id="runuser"
        ),
        pytest.param(
            'FROM debian:12\nCMD ["chroot", "--userspec=1000:1000", "/", "srv"]\n',
            "drops-privileges",
            id="chroot-userspec",
        ),
        pytest.param(
            'FROM debian:12\nCMD ["/usr/bin/supervisord", "-n"]\n',
            "drops-privileges",
            id="supervisord",
        ),
        pytest.param(
            "FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n",
            "drops-privileges",
            id="official-entrypoint-drops",
        ),
        pytest.param(
            "FROM alpine:3.20\nRUN apk add --no-cache su-exec\nCOPY entry.sh /\n"
            'ENTRYPOINT ["/entry.sh"]\n',
            "drops-privileges",
            id="installs-su-exec",
        ),
        pytest.param(
            "FROM debian:12\nRUN curl -fsSLo /usr/local/bin/gosu https://example.com/gosu-amd64\n",
            "drops-privileges",
            id="fetches-gosu",
        ),
        pytest.param("FROM debian:12\nEXPOSE 443/tcp\n", "privileged-port", id="expose-443"),
        pytest.param(
            'FROM debian:12\nCMD ["srv", "--port", "80"]\n', "privileged-port", id="port-option"
        ),
        pytest.param(
            'FROM python:3.12\nCMD ["gunicorn", "--bind", "0.0.0.0:80", "app:app"]\n',
            "privileged-port",
            id="bind-host-port",
        ),
        pytest.param("FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n", "privileged-port"),
        pytest.param("ARG BASE\nFROM $BASE\nRUN make\n", "unknown-os-family", id="from-variable"),
        pytest.param(
            "FROM example.com/team/base:1\nRUN make\n", "unknown-os-family", id="private-image"
        ),
        pytest.param(
            "FROM registry.access.redhat.com/ubi9/ubi-minimal\nRUN microdnf install -y tar\n",
            "no-useradd",
            id="ubi-minimal",
        ),
        pytest.param(
            "FROM amazonlinux:2023\nRUN dnf install -y tar\n", "no-useradd", id="amazonlinux"
        ),
        pytest.param(
            "FROM ubuntu/python:3.12-24.04_stable_chiseled\nCOPY app /app\n",
            "no-shell",
            id="chiseled",
        ),
        pytest.param(
            "FROM debian:12\nARG NAME=svc\nRUN useradd $NAME\n",
            "user-name-variable",
            id="variable-name",
        ),
    ],
)
def test_reported_without_a_fix_and_why(src: str, slug: str) -> None:
    assert only_reason(src) == slug
    assert fix(src) == src


def test_every_reason_is_catalogued() -> None:
    for case in sorted(FIXTURES.glob("*.in.Dockerfile")):
        for message, _, fixed in findings(case.read_text("utf-8")):
            if not fixed:
                assert catalogued(message.split("; ", 1)[1]), message


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("FROM debian:12\nUSER 1000:1000\n", id="numeric-user"),
        pytest.param("FROM debian:12\nUSER ${APP_USER}\n", id="user-variable"),
        pytest.param("FROM bitnami/redis:7.2\nCOPY x /x\n", id="bitnami"),
        pytest.param("FROM nginxinc/nginx-unprivileged:1.27\nCOPY x /x\n", id="nginx-unpriv"),
        pytest.param("FROM quay.io/jupyter/base-notebook\nRUN pip install x\n", id="jupyter"),
        pytest.param("FROM jupyter/scipy-notebook\nRUN pip install x\n", id="jupyter-hub"),
        pytest.param("FROM gcr.io/distroless/base:debug-nonroot\nCOPY x /x\n", id="nonroot-tag"),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled\nCOPY x /x\n",
            id="dotnet-chiseled",
        ),
        pytest.param(
            "FROM debian:12 AS base\nUSER nobody\nFROM base AS app\nCMD x\n",
            id="earlier-stage-switched",
        ),
    ],
)
def test_no_finding_when_the_image_does_not_run_as_root(src: str) -> None:
    assert findings(src) == []


def test_only_the_target_stage_is_checked() -> None:
    src = "FROM debian:12 AS app\nRUN make\nFROM alpine:3.20 AS tools\nUSER nobody\n"
    assert findings(src) == []
    result = fix_text(src, [root_user], EngineSettings(unsafe_fixes=True, target="app"))
    assert "RUN make\nRUN groupadd --system app && useradd" in result.output
    assert result.output.endswith("USER app\nFROM alpine:3.20 AS tools\nUSER nobody\n")


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        pytest.param("root", True, id="root"),
        pytest.param("0", True, id="zero"),
        pytest.param("0:0", True, id="zero-zero"),
        pytest.param("root:staff", True, id="root-group"),
        pytest.param("rootless", False, id="rootless"),
        pytest.param("1000", False, id="uid"),
    ],
)
def test_last_user_root(user: str, expected: bool) -> None:
    src = f"FROM debian:12\nRUN useradd svc\nUSER {user}\nCMD x\n"
    assert bool(findings(src)) is expected


def test_unsafe_only() -> None:
    src = "FROM debian:12\nRUN make\n"
    result = fix_text(src, [root_user], EngineSettings())
    assert result.output == src
    assert findings(src)[0][2]


def test_adduser_to_group_is_not_a_creation() -> None:
    src = "FROM debian:12\nRUN adduser www-data staff\nCMD x\n"
    assert "RUN groupadd --system app" in fix(src)


def test_no_trailing_newline_is_kept() -> None:
    assert fix("FROM alpine:3.20\nRUN make") == (
        "FROM alpine:3.20\nRUN make\n"
        "RUN addgroup -S app && adduser -S -G app -H -s /sbin/nologin app\nUSER app"
    )


def test_stage_without_run_gets_the_lines_after_from() -> None:
    src = "FROM debian:12\nCMD x\n"
    assert fix(src).startswith("FROM debian:12\nRUN groupadd --system app")


def _inserted_scripts() -> list[str]:
    """The scripts of the RUNs the fixer inserts in the golden cases."""
    out: list[str] = []
    for case in sorted(FIXTURES.glob("*.in.Dockerfile")):
        before = case.read_text("utf-8")
        after = fix(before)
        old = {ins.render() for ins in parse(before).instructions}
        out.extend(
            ins.args_text
            for ins in parse(after).instructions
            if ins.keyword == "RUN" and ins.render() not in old
        )
    return out


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_inserted_scripts_parse_in_posix_shells(shell: str) -> None:
    scripts = _inserted_scripts()
    assert len(scripts) >= 5
    for script in scripts:
        done = subprocess.run(
            [shell, "-n", "-c", script], capture_output=True, text=True, timeout=10, check=False
        )
        assert done.returncode == 0, (script, done.stderr)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_rule_runs_only_when_a_selector_names_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo hi\n", "utf-8")
    assert _cli("check", "Dockerfile", cwd=tmp_path).returncode == 0
    assert _cli("check", "--select", "ALL", "Dockerfile", cwd=tmp_path).returncode == 0
    for selection in (("--select", "MF401"), ("--extend-select", "MF4")):
        named = _cli("check", *selection, "Dockerfile", cwd=tmp_path)
        assert named.returncode == 1
        assert "MF401" in named.stdout
    ignored = _cli("check", "--extend-select", "MF4", "--ignore", "MF401", ".", cwd=tmp_path)
    assert ignored.returncode == 0
    fixed = _cli("fix", "--unsafe-fixes", "--select", "MF401", "Dockerfile", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert (tmp_path / "Dockerfile").read_text("utf-8").endswith("USER app\n")


@pytest.mark.corpus
@pytest.mark.slow
def test_the_corpus_fixed_with_every_rule_parses_and_is_stable(corpus: list[Path]) -> None:
    """tests/test_corpus_fix.py runs FIXERS; this adds the opt-in rule after them."""
    dockerfile = pytest.importorskip("dockerfile")
    fixers = (*FIXERS, *OPT_IN)
    switched = 0
    problems: list[str] = []
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
            parse(text)
        except (UnicodeDecodeError, ParseError):
            continue
        result = fix_text(text, fixers, SETTINGS)
        if result.errors:
            problems.append(f"{path}: {result.errors}")
            continue
        if not any(a.rule.code == root_user.INFO.code for a in result.applied):
            continue
        switched += 1
        try:
            dockerfile.parse_string(result.output)
        except dockerfile.GoParseError as exc:
            problems.append(f"{path}: BuildKit rejects the fixed file: {exc}")
        again = fix_text(result.output, fixers, SETTINGS)
        if again.output != result.output or again.errors:
            problems.append(f"{path}: fixing twice changes it again {again.errors}")
    assert not problems, "\n".join(problems[:10])
    assert switched > 300
