"""Inline cases for MF401 root_user (the golden fixtures cover each base family)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from manifesto.fixers import root_user

from manifesto.config import ConfigError, load_config
from manifesto.context_files import context_file_reader
from manifesto.cst import ParseError, parse
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.reasons import catalogued
from manifesto.registry import FIXERS
from manifesto.shell import ShellSource, parse_shell
from manifesto.users import AppUser

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers" / "root_user"
CREATE_APP = (
    "groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app"
    " --no-create-home --shell /usr/sbin/nologin app"
)
"""The Debian/Ubuntu RUN for the default user, on one line."""


def fix(src: str, settings: EngineSettings = SETTINGS) -> str:
    result = fix_text(src, [root_user], settings)
    assert result.errors == ()
    return result.output


def findings(src: str, settings: EngineSettings = SETTINGS) -> list[tuple[str, str | None, bool]]:
    """(message, reason slug, has a fix) of each finding."""
    return [
        (
            f.violation.message,
            f.violation.reason.slug if f.violation.reason is not None else None,
            f.violation.fix is not None,
        )
        for f in check_text(src, [root_user], settings)
    ]


def only_reason(src: str, settings: EngineSettings = SETTINGS) -> str | None:
    found = findings(src, settings)
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
        pytest.param(
            "FROM icr.io/appcafe/open-liberty:kernel-slim-java21-openj9-ubi-minimal\n"
            "COPY --chown=1001:0 server.xml /config/\n",
            id="open-liberty-icr",
        ),
        pytest.param("FROM openliberty/open-liberty:kernel-slim-ubi\nRUN x\n", id="open-liberty"),
        pytest.param("FROM quay.io/jupyter/base-notebook\nRUN pip install x\n", id="jupyter"),
        pytest.param("FROM jupyter/scipy-notebook\nRUN pip install x\n", id="jupyter-hub"),
        pytest.param("FROM gcr.io/distroless/base:debug-nonroot\nCOPY x /x\n", id="nonroot-tag"),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled\nCOPY x /x\n",
            id="dotnet-chiseled",
        ),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/aspnet:9.0-azurelinux3.0-distroless\nCOPY x /x\n",
            id="dotnet-distroless",
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
    src = "FROM debian:12 AS app\nRUN make\nCMD x\nFROM alpine:3.20 AS tools\nUSER nobody\n"
    assert findings(src) == []
    result = fix_text(src, [root_user], EngineSettings(unsafe_fixes=True, target="app"))
    assert f"RUN make\nRUN {CREATE_APP}\n" in result.output
    assert result.output.endswith(
        "USER 10001:10001\nCMD x\nFROM alpine:3.20 AS tools\nUSER nobody\n"
    )


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
    src = "FROM debian:12\nRUN make\nCMD x\n"
    result = fix_text(src, [root_user], EngineSettings())
    assert result.output == src
    assert findings(src)[0][2]


def test_adduser_to_group_is_not_a_creation() -> None:
    src = "FROM debian:12\nRUN adduser www-data staff\nCMD x\n"
    assert f"RUN {CREATE_APP}\nUSER 10001:10001\n" in fix(src)


def test_no_trailing_newline_is_kept() -> None:
    assert fix("FROM alpine:3.20\nCOPY . .\nRUN make") == (
        "FROM alpine:3.20\nCOPY . .\nRUN make\n"
        "RUN addgroup -S -g 10001 app && adduser -S -u 10001 -G app -H -s /sbin/nologin app\n"
        "USER 10001:10001"
    )


def test_stage_without_run_gets_the_lines_after_from() -> None:
    src = "FROM debian:12\nCMD x\n"
    assert fix(src) == f"FROM debian:12\nRUN {CREATE_APP}\nUSER 10001:10001\nCMD x\n"


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


def test_the_rule_runs_by_default_and_ignore_turns_it_off(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nCOPY . /app\nRUN echo hi\n", "utf-8")
    for selection in ((), ("--select", "ALL"), ("--select", "MF401"), ("--select", "MF4")):
        checked = _cli("check", *selection, "Dockerfile", cwd=tmp_path)
        assert checked.returncode == 1, selection
        assert "MF401" in checked.stdout
    assert _cli("check", "--ignore", "MF401", "Dockerfile", cwd=tmp_path).returncode == 0
    safe = _cli("fix", "Dockerfile", cwd=tmp_path)
    assert safe.returncode == 1, "an unsafe fix waits for --unsafe-fixes"
    assert (tmp_path / "Dockerfile").read_text(
        "utf-8"
    ) == "FROM debian:12\nCOPY . /app\nRUN echo hi\n"
    fixed = _cli("fix", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert (tmp_path / "Dockerfile").read_text("utf-8").endswith("USER 10001:10001\n")


@pytest.mark.corpus
@pytest.mark.slow
def test_the_corpus_fixed_with_every_rule_parses_and_is_stable(corpus: list[Path]) -> None:
    """With unsafe fixes (tests/test_corpus_fix.py has the safe ones): every switched
    image parses with BuildKit and settles."""
    dockerfile = pytest.importorskip("dockerfile")
    fixers = FIXERS
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
    # ~205 since the images that would fail as the new user (a VOLUME it is not given, a
    # command that needs root, a WORKDIR in /root) are left without a fix
    assert switched > 190


# --------------------------------------------------------------------------- configured user


def _config(tmp_path: Path, text: str) -> AppUser:
    path = tmp_path / "manifesto.toml"
    path.write_text(text, "utf-8")
    return load_config(path).app_user


def test_the_user_name_and_id_come_from_the_configuration(tmp_path: Path) -> None:
    assert _config(tmp_path, "") == AppUser("app", 10001)
    assert _config(tmp_path, 'user-name = "svc"\nuser-id = 20000\n') == AppUser("svc", 20000)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.manifesto]\nuser-name = "web"\n', "utf-8")
    assert load_config(pyproject).app_user == AppUser("web", 10001)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("user-id = 0", r":1:1: user-id: 0 is outside 1000\.\.", id="root-uid"),
        pytest.param("user-id = 999", "outside 1000", id="system-uid"),
        pytest.param("user-id = 65534", "taken in common base images", id="nobody"),
        pytest.param("user-id = 65532", "taken in common base images", id="nonroot"),
        pytest.param("user-id = 2147483647", "outside", id="too-large"),
        pytest.param('user-id = "10001"', "expected an integer uid", id="string"),
        pytest.param("user-id = true", "expected an integer uid", id="boolean"),
        pytest.param('user-name = "root"', "already have", id="root-name"),
        pytest.param('user-name = "www-data"', "already have", id="system-name"),
        pytest.param('user-name = "App User"', "not a portable user name", id="blank"),
        pytest.param('user-name = "1app"', "not a portable user name", id="digit-first"),
        pytest.param('user-name = "a;rm -rf /"', "not a portable user name", id="shell"),
        pytest.param(f'user-name = "{"a" * 33}"', "not a portable user name", id="too-long"),
        pytest.param("user-name = 7", "expected a user name", id="number"),
    ],
)
def test_a_user_that_would_clash_or_break_the_shell_is_refused(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        _config(tmp_path, text + "\n")


def test_configured_user_golden_cases() -> None:
    """``configured-user/``: fixed with its ``manifesto.toml``, compared byte for byte."""
    folder = FIXTURES / "configured-user"
    user = load_config(folder / "manifesto.toml").app_user
    assert user == AppUser("svc", 20000)
    settings = EngineSettings(unsafe_fixes=True, app_user=user)
    cases = sorted(folder.glob("*.in.Dockerfile"))
    assert len(cases) >= 4
    for case in cases:
        before = case.read_bytes().decode("utf-8")
        expected_path = case.with_name(case.name.replace(".in.", ".out."))
        after = fix(before, settings)
        if not expected_path.exists():
            assert after == before, case.name
            assert [fixed for _, _, fixed in findings(before, settings)] == [False], case.name
            continue
        expected = expected_path.read_bytes().decode("utf-8")
        assert after == expected, case.name
        assert fix(expected, settings) == expected, case.name


def test_configured_user_reaches_the_fix_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM alpine:3.20\nCOPY svc /svc\nCMD ["/svc"]\n', "utf-8")
    (tmp_path / "manifesto.toml").write_text('user-name = "svc"\nuser-id = 4242\n', "utf-8")
    done = _cli("fix", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "Dockerfile").read_text("utf-8") == (
        "FROM alpine:3.20\nCOPY svc /svc\n"
        "RUN addgroup -S -g 4242 svc && adduser -S -u 4242 -G svc -H -s /sbin/nologin svc\n"
        'USER 4242:4242\nCMD ["/svc"]\n'
    )
    (tmp_path / "manifesto.toml").write_text("user-id = 33\n", "utf-8")
    refused = _cli("check", "Dockerfile", cwd=tmp_path)
    assert refused.returncode == 2
    assert "manifesto.toml:1:1: user-id: 33 is outside" in refused.stderr


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM debian:12\nRUN groupadd -g 10001 shared\nCMD x\n", id="gid-taken-groupadd"
        ),
        pytest.param("FROM debian:12\nRUN groupadd --gid=10001 shared\nCMD x\n", id="gid-equals"),
        pytest.param("FROM debian:12\nRUN groupadd --system app\nCMD x\n", id="name-taken"),
        pytest.param("FROM debian:12\nRUN groupadd -g $GID app\nCMD x\n", id="name-id-variable"),
        pytest.param("FROM debian:12\nRUN groupmod -n app staff\nCMD x\n", id="group-renamed"),
        pytest.param("FROM alpine:3.20\nRUN addgroup -S app\nCMD x\n", id="busybox-addgroup"),
        pytest.param(
            "FROM debian:12 AS base\nRUN addgroup --gid 10001 data\nFROM base\nCMD x\n",
            id="in-the-stage-built-from",
        ),
    ],
)
def test_a_group_the_file_creates_with_the_name_or_id_is_reported(src: str) -> None:
    assert only_reason(src) == "user-name-taken"
    assert fix(src) == src


def test_a_group_elsewhere_or_adding_a_user_to_a_group_is_no_clash() -> None:
    other_stage = "FROM debian:12 AS tools\nRUN groupadd -g 10001 app\nFROM debian:12\nCMD x\n"
    assert f"RUN {CREATE_APP}\nUSER 10001:10001\n" in fix(other_stage)
    adds_member = "FROM alpine:3.20\nRUN addgroup nobody app\nCMD x\n"
    assert "USER 10001:10001\n" in fix(adds_member)


# --------------------------------------------------------------------------- the WORKDIR


@pytest.mark.parametrize(
    ("workdirs", "owned"),
    [
        pytest.param("WORKDIR /app\n", "/app", id="app"),
        pytest.param("WORKDIR /srv\nWORKDIR www/\n", "/srv/www", id="relative-joined"),
        pytest.param("WORKDIR /opt/service/../api\n", "/opt/api", id="normalised"),
        pytest.param("WORKDIR /home/app/code\n", "/home/app/code", id="under-home"),
        pytest.param("WORKDIR /\n", None, id="root"),
        pytest.param("WORKDIR /usr/local/bin\n", None, id="system-dir"),
        pytest.param("WORKDIR /srv\n", None, id="fhs-top-level"),
        pytest.param("WORKDIR /home/gradle\n", None, id="a-home"),
        pytest.param(
            "WORKDIR /var/www/html\nRUN chown www-data /var/www/html/\n",
            None,
            id="the-file-gives-it-an-owner",
        ),
        pytest.param(
            "WORKDIR /var/www/html\nRUN chown www-data /var/www\n",
            "/var/www/html",
            id="another-directory-chowned",
        ),
        pytest.param("WORKDIR /etc/myapp\n", None, id="under-etc"),
        pytest.param("WORKDIR /usr/lib/app\n", None, id="under-usr-lib"),
        pytest.param("WORKDIR code\n", None, id="relative-to-the-base-image"),
        pytest.param('WORKDIR "/my app"\n', None, id="quoted-blank"),
        pytest.param("", None, id="none"),
    ],
)
def test_the_workdir_is_handed_to_the_user_only_when_it_is_the_apps(
    workdirs: str, owned: str | None
) -> None:
    src = f"FROM debian:12\n{workdirs}COPY . .\nCMD x\n"
    chown = f" && chown app:app {owned}" if owned is not None else ""
    assert fix(src) == f"FROM debian:12\n{workdirs}COPY . .\nRUN {CREATE_APP}{chown}\n" + (
        "USER 10001:10001\nCMD x\n"
    )


def test_the_workdir_of_the_stage_built_from_counts() -> None:
    src = "FROM python:3.12-slim AS base\nWORKDIR /app\nFROM base\nCOPY . .\nCMD x\n"
    assert f"RUN {CREATE_APP} && chown app:app /app\nUSER 10001:10001\nCMD x\n" in fix(src)


def test_a_reused_user_gets_no_chown() -> None:
    src = "FROM debian:12\nWORKDIR /app\nRUN useradd -m web\nCOPY . .\nCMD x\n"
    assert (
        fix(src) == "FROM debian:12\nWORKDIR /app\nRUN useradd -m web\nCOPY . .\nUSER web\nCMD x\n"
    )


def test_copies_are_not_chowned() -> None:
    """Every COPY is before the new lines: files stay root's, read-only for the app."""
    out = fix("FROM debian:12\nWORKDIR /app\nCOPY a /app/a\nRUN make\nCOPY b /app/b\nCMD x\n")
    assert "--chown" not in out
    assert out.endswith(
        "COPY b /app/b\nRUN " + CREATE_APP + " && chown app:app /app\nUSER 10001:10001\nCMD x\n"
    )


# --------------------------------------------------------------------------- reuse


@pytest.mark.parametrize(
    ("creation", "user"),
    [
        pytest.param("RUN adduser -D worker", "worker", id="busybox-adduser-D"),
        pytest.param("RUN useradd -r -u 1000 worker", "worker", id="useradd-r-u"),
        pytest.param("RUN useradd --uid=1000 -g users worker", "worker", id="uid-equals"),
        pytest.param(
            "RUN adduser --system --disabled-password --gecos '' --home /srv svc",
            "svc",
            id="debian-adduser",
        ),
        pytest.param(
            "RUN addgroup -S app && adduser -S -G app -h /home/app app", "app", id="busybox-pair"
        ),
        pytest.param(
            "RUN addgroup --gid=$APP_UID app && adduser --uid=$APP_UID --ingroup=app app",
            "app",
            id="id-from-a-variable",
        ),
        pytest.param("RUN adduser -u ${UID} -D -G users worker", "worker", id="braced-variable"),
        pytest.param(
            "RUN groupmod --new-name gradle ubuntu && usermod --login gradle ubuntu",
            "gradle",
            id="renamed-user",
        ),
        pytest.param("RUN usermod -l=svc nobody", "svc", id="renamed-equals"),
    ],
)
def test_a_user_the_file_creates_and_never_switches_to_is_reused(creation: str, user: str) -> None:
    src = f"FROM alpine:3.20\n{creation}\nCOPY . /srv\nCMD x\n"
    assert fix(src) == f"FROM alpine:3.20\n{creation}\nCOPY . /srv\nUSER {user}\nCMD x\n"


def test_scratch_and_distroless_take_the_user_whose_passwd_they_copy() -> None:
    build = "FROM alpine:3.20 AS build\nRUN adduser -D -u 10001 svc\n"
    for final, expected in (
        ("FROM scratch\nCOPY --from=build /etc/passwd /etc/passwd\n", "USER svc\n"),
        ("FROM gcr.io/distroless/static\nCOPY --from=0 /etc/passwd /etc/\n", "USER svc\n"),
        ("FROM scratch\nCOPY --from=build /bin/app /app\n", "USER 65532:65532\n"),
        ("FROM scratch\nCOPY --from=alpine:3.20 /etc/passwd /etc/passwd\n", "USER 65532:65532\n"),
    ):
        entry = 'ENTRYPOINT ["/app"]\n'
        assert fix(build + final + entry) == build + final + expected + entry, final


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("mcr.microsoft.com/dotnet/aspnet:8.0", "USER $APP_UID\n", id="8.0"),
        pytest.param("mcr.microsoft.com/dotnet/runtime:10.0-alpine", "USER $APP_UID\n", id="10"),
        pytest.param("mcr.microsoft.com/dotnet/aspnet", "USER $APP_UID\n", id="latest"),
        pytest.param(
            "mcr.microsoft.com/dotnet/aspnet:7.0", f"RUN {CREATE_APP}\nUSER 10001:10001\n", id="7"
        ),
    ],
)
def test_dotnet_8_and_later_have_their_own_app_user(image: str, expected: str) -> None:
    src = f"FROM {image}\nCOPY out/ /srv/\n"
    entry = 'ENTRYPOINT ["dotnet", "/srv/app.dll"]\n'
    assert fix(src + entry) == src + expected + entry


# --------------------------------------------------------------------------- entrypoint scripts


def _with_context(folder: Path) -> EngineSettings:
    return EngineSettings(unsafe_fixes=True, read_context_file=context_file_reader(folder / "x"))


def test_entrypoint_scripts_from_the_build_context_are_read() -> None:
    folder = FIXTURES / "entrypoint-scripts"
    settings = _with_context(folder)
    drops = (folder / "drops.in.Dockerfile").read_text("utf-8")
    ((message, slug, fixed),) = findings(drops, settings)
    assert (slug, fixed) == ("drops-privileges", False)
    assert message.endswith("(gosu in docker-entrypoint.sh)")
    assert fix(drops, settings) == drops
    in_path = (folder / "in-path.in.Dockerfile").read_text("utf-8")
    assert only_reason(in_path, settings) == "drops-privileges"
    assert findings(in_path, settings)[0][0].endswith("(su-exec in entrypoint.sh)")
    plain = (folder / "plain.in.Dockerfile").read_text("utf-8")
    expected = (folder / "plain.out.Dockerfile").read_text("utf-8")
    assert fix(plain, settings) == expected
    assert fix(expected, settings) == expected
    # without a build context (stdin, the API) the script is not read: drops.in reuses worker
    assert fix(drops).endswith(
        'COPY docker-entrypoint.sh /\nUSER worker\nENTRYPOINT ["/docker-entrypoint.sh"]\n'
        'CMD ["worker-daemon"]\n'
    )


@pytest.mark.parametrize(
    ("script", "drops"),
    [
        pytest.param('exec gosu app "$@"\n', "gosu", id="gosu"),
        pytest.param('exec /usr/local/bin/su-exec app "$@"\n', "su-exec", id="su-exec-path"),
        pytest.param('exec setpriv --reuid=app --regid=app --init-groups "$@"\n', "setpriv"),
        pytest.param('exec runuser -u app -- "$@"\n', "runuser", id="runuser"),
        pytest.param('exec su app -c "$*"\n', "exec su", id="exec-su"),
        pytest.param('exec chroot --userspec=app:app / "$@"\n', "chroot --userspec"),
        pytest.param('exec s6-setuidgid app "$@"\n', "s6-setuidgid", id="s6"),
        pytest.param('# exec gosu app\nexec "$@"\n', None, id="comment"),
        pytest.param('GOSU_VERSION=1.17\nexec "$@"\n', None, id="variable-name"),
        pytest.param('exec supervisor-gosu-wrapper "$@"\n', None, id="longer-name"),
        pytest.param('exec "$@"\n', None, id="plain"),
    ],
)
def test_privilege_drops_in_a_script(tmp_path: Path, script: str, drops: str | None) -> None:
    (tmp_path / "entry.sh").write_text("#!/bin/sh\nset -e\n" + script, "utf-8")
    src = 'FROM debian:12\nCOPY entry.sh /usr/local/bin/\nENTRYPOINT ["entry.sh"]\n'
    found = findings(src, _with_context(tmp_path))
    if drops is None:
        assert found == [("the image runs as root: no USER sets another user", None, True)]
    else:
        assert found == [
            (
                "the image runs as root: no USER sets another user; the entrypoint drops"
                f" privileges itself ({drops} in entry.sh)",
                "drops-privileges",
                False,
            )
        ]


@pytest.mark.parametrize(
    ("copy", "entrypoint"),
    [
        pytest.param("COPY entry.sh /entry.sh", '["/entry.sh"]', id="file-to-file"),
        pytest.param("COPY ./entry.sh /", '["/entry.sh"]', id="into-root"),
        pytest.param("COPY . /app", '["/app/entry.sh"]', id="whole-context"),
        pytest.param("COPY --chmod=755 entry.sh /bin/", "/bin/entry.sh run", id="shell-form"),
        pytest.param("WORKDIR /app\nCOPY entry.sh .", '["./entry.sh"]', id="relative"),
        pytest.param("COPY entry.sh /usr/bin/", '["sh", "-c", "entry.sh"]', id="in-path"),
    ],
)
def test_the_script_is_found_where_the_copy_put_it(
    tmp_path: Path, copy: str, entrypoint: str
) -> None:
    (tmp_path / "entry.sh").write_text('#!/bin/sh\nexec gosu app "$@"\n', "utf-8")
    src = f"FROM debian:12\n{copy}\nENTRYPOINT {entrypoint}\n"
    assert only_reason(src, _with_context(tmp_path)) == "drops-privileges"


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param("COPY --from=build /entry.sh /entry.sh", id="from-a-stage"),
        pytest.param("COPY ../entry.sh /entry.sh", id="outside-the-context"),
        pytest.param("COPY $SRC /entry.sh", id="variable"),
        pytest.param("COPY e*.sh /entry.sh", id="glob"),
    ],
)
def test_scripts_that_are_not_plainly_from_the_context_are_not_read(
    tmp_path: Path, copy: str
) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    for folder in (tmp_path, context):
        (folder / "entry.sh").write_text('#!/bin/sh\nexec gosu app "$@"\n', "utf-8")
    src = f'FROM debian:12 AS build\nFROM debian:12\n{copy}\nENTRYPOINT ["/entry.sh"]\n'
    assert [fixed for _, _, fixed in findings(src, _with_context(context))] == [True]


# --------------------------------------------------------------------------- layout


def test_the_new_run_breaks_its_chain_like_the_files_runs() -> None:
    src = (
        "FROM debian:12\nWORKDIR /app\nRUN apt-get update &&\\\n"
        "  apt-get install -y --no-install-recommends curl &&\\\n"
        "  rm -rf /var/lib/apt/lists/*\nCMD x\n"
    )
    assert fix(src).endswith(
        "  rm -rf /var/lib/apt/lists/*\n"
        "RUN groupadd --system --gid 10001 app &&\\\n"
        "  useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin"
        " app &&\\\n"
        "  chown app:app /app\nUSER 10001:10001\nCMD x\n"
    )


def test_the_generated_runs_parse_in_tree_sitter_bash() -> None:
    scripts = _inserted_scripts()
    assert len(scripts) >= 8
    for script in scripts:
        assert not parse_shell(ShellSource(script, 0)).has_errors, script


@pytest.mark.parametrize(
    ("src", "created"),
    [
        pytest.param("FROM azul/zulu-openjdk-alpine:21\n", "addgroup -S", id="alpine-in-name"),
        pytest.param("FROM bellsoft/liberica-openjdk-debian:21\n", "groupadd", id="debian-name"),
        pytest.param("FROM mcr.microsoft.com/dotnet/aspnet:7.0\n", "groupadd", id="dotnet-7"),
        pytest.param(
            "ARG BASE\nFROM $BASE\nRUN apk add --no-cache curl\n", "addgroup -S", id="apk-shown"
        ),
        pytest.param(
            "FROM example.com/team/base:1\nRUN apt-get update && apt-get install -y curl\n",
            "groupadd",
            id="apt-shown",
        ),
    ],
)
def test_the_family_from_the_image_name_or_the_package_manager(src: str, created: str) -> None:
    assert f"\nRUN {created}" in fix(src + "CMD x\n")


def test_two_package_manager_families_tell_nothing() -> None:
    src = "FROM example.com/team/base:1\nRUN apk add curl || apt-get install -y curl\nCMD x\n"
    assert only_reason(src) == "unknown-os-family"


def test_s6_overlay_init_drops_privileges_itself() -> None:
    src = 'FROM alpine:3.20\nRUN apk add --no-cache curl\nENTRYPOINT ["/init"]\n'
    assert fix(src) == src
    (finding,) = check_text(src, [root_user], SETTINGS)
    assert "s6-overlay's /init" in finding.violation.message
    assert finding.violation.fix is None


# --------------------------------------------------------------------------- base images

_BASE_REASON = (
    "the image runs as root: no USER sets another user; this image looks like a base for"
    " other images ({}): a USER here would make the RUN steps of the images built from it"
    " run unprivileged; set USER in those images"
)


@pytest.mark.parametrize(
    ("case", "signs"),
    [
        pytest.param(
            "base-python-official",
            "only a generic command, `python3`; generated by apply-templates.sh like an"
            " official image's source",
            id="python-official",
        ),
        pytest.param("base-buildpack-deps", "no CMD or ENTRYPOINT of its own", id="buildpack"),
        pytest.param("base-onbuild", "ONBUILD instructions", id="onbuild"),
    ],
)
def test_a_base_image_definition_is_reported_without_a_fix(case: str, signs: str) -> None:
    src = (FIXTURES / f"{case}.in.Dockerfile").read_text("utf-8")
    assert findings(src) == [(_BASE_REASON.format(signs), "base-image", False)]
    assert not (FIXTURES / f"{case}.out.Dockerfile").exists()


@pytest.mark.parametrize(
    ("src", "signs"),
    [
        pytest.param(
            'FROM debian:bookworm-slim\nRUN apt-get update\nCMD ["python3"]\n',
            "only a generic command, `python3`",
            id="python3",
        ),
        pytest.param(
            "FROM ubuntu:24.04\nCOPY entrypoint.sh /usr/local/bin/\n"
            'ENTRYPOINT ["entrypoint.sh"]\nCMD ["jshell"]\n',
            "only a generic command, `entrypoint.sh jshell`",
            id="entrypoint-wrapper-and-jshell",
        ),
        pytest.param(
            "FROM debian:12\nRUN apt-get update\nCMD sleep infinity\n",
            "a command that only keeps the container idle, `sleep infinity`",
            id="idle",
        ),
        pytest.param(
            'FROM python:3.12 AS base\nCMD ["python3"]\nFROM base\nRUN pip install numpy\n',
            "only a generic command, `python3`",
            id="command-of-the-stage-built-from",
        ),
    ],
)
def test_base_image_signs_are_named_in_the_message(src: str, signs: str) -> None:
    assert findings(src) == [(_BASE_REASON.format(signs), "base-image", False)]


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            'FROM debian:12\nRUN apt-get update\nCOPY start.sh /\nENTRYPOINT ["/start.sh"]\n',
            id="own-start-script",
        ),
        pytest.param('FROM alpine:3.20\nRUN apk add stunnel\nENTRYPOINT ["stunnel"]\n'),
        pytest.param("FROM python:3.12\nCOPY . .\nRUN pip install .\n", id="context-no-cmd"),
        pytest.param(
            "FROM golang:1.22 AS build\nRUN go build -o /srv/api .\n"
            'FROM debian:12\nWORKDIR /srv\nCOPY --from=build /srv/api .\nCMD ["bash"]\n',
            id="artifact-into-the-workdir",
        ),
    ],
)
def test_application_images_are_still_switched(src: str) -> None:
    assert [(slug, fixed) for _, slug, fixed in findings(src)] == [(None, True)]
    assert "USER 10001:10001\n" in fix(src)


def test_a_reason_of_the_image_itself_comes_before_the_base_image() -> None:
    """A base with no command of its own that binds port 80 is reported for the port."""
    assert only_reason("FROM debian:12\nEXPOSE 80\n") == "privileged-port"
    assert only_reason("FROM php:8.3-apache\nRUN docker-php-ext-install pdo\n") == (
        "privileged-port"
    )
    assert only_reason("FROM wordpress:6\nRUN apt-get update\n") == "privileged-port"
    assert only_reason("FROM wordpress:6-fpm\nRUN apt-get update\n") == "base-image"
    assert only_reason('FROM debian:12\nCOPY . /app\nCMD ["apache2-foreground"]\n') == (
        "privileged-port"
    )


@pytest.mark.parametrize(
    "image",
    ["ghcr.io/linuxserver/baseimage-alpine:3.21", "lscr.io/linuxserver/baseimage-ubuntu:noble"],
)
def test_linuxserver_images_keep_s6_overlay_init(image: str) -> None:
    src = f"FROM {image}\nRUN apk add --no-cache sonarr\nCOPY root/ /\nEXPOSE 8989\n"
    ((message, slug, fixed),) = findings(src)
    assert (slug, fixed) == ("drops-privileges", False)
    assert message.endswith("(the linuxserver base image's s6-overlay /init)")
    own = src + 'ENTRYPOINT ["/ffmpegwrapper.sh"]\n'
    assert [fixed for _, _, fixed in findings(own)] == [True]


def test_dotnet_framework_images_are_windows() -> None:
    src = (
        "FROM mcr.microsoft.com/dotnet/framework/aspnet:4.8.1\nWORKDIR /inetpub/wwwroot\n"
        "COPY --from=build /app/out ./\n"
    )
    assert only_reason("FROM alpine:3.20 AS build\n" + src) == "windows-image"


# --------------------------------------------------------------------------- what fails at run time

_NO_USER = "the image runs as root: no USER sets another user; "


@pytest.mark.parametrize(
    ("case", "reason", "slug"),
    [
        pytest.param(
            "workdir-variable",
            "the WORKDIR ${APP_HOME} is a variable the file gives no value: the new user cannot"
            " be given its working directory",
            "workdir-variable",
            id="workdir-variable",
        ),
        pytest.param(
            "workdir-root-home",
            "the WORKDIR /root/.urlwatch is inside root's home, which other users cannot enter"
            " (/root is 0700)",
            "workdir-in-root-home",
            id="workdir-root-home",
        ),
        pytest.param(
            "volume-data",
            "VOLUME /var/lib/mysql is a directory the new user is not given: the program could"
            " not write its data there",
            "volume-not-writable",
            id="volume",
        ),
        pytest.param(
            "needs-root-iptables",
            "the command runs iptables, which needs root: it changes the firewall",
            "needs-root",
            id="iptables",
        ),
    ],
)
def test_an_image_that_would_fail_as_the_new_user_is_not_switched(
    case: str, reason: str, slug: str
) -> None:
    src = (FIXTURES / f"{case}.in.Dockerfile").read_text("utf-8")
    assert findings(src) == [(_NO_USER + reason, slug, False)]
    assert not (FIXTURES / f"{case}.out.Dockerfile").exists()


@pytest.mark.parametrize(
    ("lines", "handed"),
    [
        pytest.param("ENV APP_HOME=/opt/app\nWORKDIR ${APP_HOME}\n", "/opt/app", id="env"),
        pytest.param("ARG APP_HOME=/opt/app\nWORKDIR $APP_HOME\n", "/opt/app", id="arg-default"),
        pytest.param(
            "ENV BASE=/opt\nENV APP_HOME=${BASE}/app\nWORKDIR ${APP_HOME}/data\n",
            "/opt/app/data",
            id="env-from-env",
        ),
        pytest.param("ENV DIR /srv/app\nWORKDIR $DIR\n", "/srv/app", id="legacy-env"),
        pytest.param(
            "WORKDIR $APP_HOME\nWORKDIR /srv/app\n", "/srv/app", id="a-literal-one-follows"
        ),
    ],
)
def test_a_workdir_variable_the_file_gives_a_value_is_handed_over(lines: str, handed: str) -> None:
    src = f'FROM debian:12\n{lines}COPY srv /usr/local/bin/srv\nCMD ["srv"]\n'
    assert fix(src).endswith(
        f'RUN {CREATE_APP} && chown app:app {handed}\nUSER 10001:10001\nCMD ["srv"]\n'
    )


def test_the_env_of_the_stage_built_from_resolves_the_workdir_and_args_do_not_cross() -> None:
    run = 'COPY srv /usr/local/bin/srv\nCMD ["srv"]\n'
    inherited = (
        f"FROM debian:12 AS base\nENV APP_HOME=/opt/app\nFROM base\nWORKDIR $APP_HOME\n{run}"
    )
    assert fix(inherited).endswith(
        f'RUN {CREATE_APP} && chown app:app /opt/app\nUSER 10001:10001\nCMD ["srv"]\n'
    )
    # an ARG ends with its stage: the next one does not see its value
    crossed = f"FROM debian:12 AS base\nARG APP_HOME=/opt/app\nFROM base\nWORKDIR $APP_HOME\n{run}"
    assert only_reason(crossed) == "workdir-variable"
    unknown = 'FROM debian:12\nENV APP_HOME=$PREFIX/app\nWORKDIR $APP_HOME\nCMD ["srv"]\n'
    assert only_reason(unknown) == "workdir-variable"
    # a WORKDIR with a variable after a literal one: the directory is still unknown
    after = f"FROM debian:12\nWORKDIR /app\nWORKDIR ${{SUB}}\n{run}"
    assert only_reason(after) == "workdir-variable"


def test_a_home_other_than_roots_is_not_refused() -> None:
    """Only /root is known closed (0700); /home/node of the node image is 0755."""
    src = 'FROM node:22-bookworm-slim\nWORKDIR /home/node/app\nCOPY . .\nCMD ["node", "main.js"]\n'
    assert f"RUN {CREATE_APP} && chown app:app /home/node/app\n" in fix(src)
    assert only_reason('FROM debian:12\nWORKDIR /root\nCOPY srv /srv\nCMD ["/srv"]\n') == (
        "workdir-in-root-home"
    )


@pytest.mark.parametrize(
    ("volume", "named"),
    [
        pytest.param("VOLUME /var/lib/vault", "/var/lib/vault", id="data"),
        pytest.param('VOLUME ["/data", "/tmp"]', "/data", id="json"),
        pytest.param("VOLUME /srv/app/data", "/srv/app/data", id="under-the-workdir"),
        pytest.param("ENV DATA=/data\nVOLUME $DATA", "/data", id="resolved"),
    ],
)
def test_a_volume_the_user_is_not_given_is_named(volume: str, named: str) -> None:
    src = f'FROM debian:12\nWORKDIR /srv/app\nCOPY srv .\n{volume}\nCMD ["./srv"]\n'
    ((message, slug, fixed),) = findings(src)
    assert (slug, fixed) == ("volume-not-writable", False)
    assert message.endswith(
        f"; VOLUME {named} is a directory the new user is not given: the"
        " program could not write its data there"
    )


def test_a_volume_of_the_stage_built_from_counts_and_a_variable_one_is_refused() -> None:
    src = 'FROM debian:12 AS base\nVOLUME /data\nFROM base\nCOPY srv /srv\nCMD ["/srv"]\n'
    assert only_reason(src) == "volume-not-writable"
    unknown = 'FROM debian:12\nVOLUME $DATA_DIR\nCOPY srv /srv\nCMD ["/srv"]\n'
    assert findings(unknown)[0][0].endswith(
        "; VOLUME $DATA_DIR is a variable the file gives no value: the new user may not be"
        " able to write there"
    )


@pytest.mark.parametrize(
    "volume",
    [
        pytest.param("VOLUME /srv/app", id="the-workdir"),
        pytest.param("VOLUME /tmp", id="tmp"),
        pytest.param("RUN mkdir /data && chmod 1777 /data\nVOLUME /data", id="opened"),
        pytest.param("RUN mkdir /data && chmod a+rwx /data\nVOLUME /data", id="opened-symbolic"),
    ],
)
def test_a_volume_the_user_can_write_is_still_switched(volume: str) -> None:
    src = f'FROM debian:12\nWORKDIR /srv/app\nCOPY srv .\n{volume}\nCMD ["./srv"]\n'
    assert [(slug, fixed) for _, slug, fixed in findings(src)] == [(None, True)]


@pytest.mark.parametrize(
    ("command", "program"),
    [
        pytest.param('CMD ["crond", "-f", "-L", "/dev/stdout"]', "crond", id="crond"),
        pytest.param('CMD ["/usr/sbin/cron", "-f"]', "cron", id="cron-path"),
        pytest.param('ENTRYPOINT ["/sbin/tini", "--", "tcpdump", "-i", "eth0"]', "tcpdump"),
        pytest.param('CMD ["sh", "-c", "sysctl -w net.ipv4.ip_forward=1 && exec srv"]', "sysctl"),
        pytest.param("CMD openvpn --config /etc/openvpn/server.conf", "openvpn", id="openvpn"),
        pytest.param('ENTRYPOINT ["snort"]\nCMD ["-i", "eth0"]', "snort", id="snort"),
        pytest.param('ENTRYPOINT ["zeek", "-i", "eth0"]', "zeek", id="zeek"),
        pytest.param("CMD nft -f /etc/nftables.conf; exec srv", "nft", id="nft"),
        pytest.param('CMD ["ip", "route", "add", "default", "via", "10.0.0.1"]', "ip", id="ip"),
        pytest.param('ENTRYPOINT ["hack/dind"]\nCMD ["bash"]', "dind", id="docker-in-docker"),
    ],
)
def test_a_command_that_needs_root_is_not_switched(command: str, program: str) -> None:
    src = f"FROM debian:12\nCOPY srv /usr/local/bin/srv\n{command}\n"
    ((message, slug, fixed),) = findings(src)
    assert (slug, fixed) == ("needs-root", False)
    assert f"; the command runs {program}, which needs root: " in message


@pytest.mark.parametrize(
    "command",
    [
        pytest.param('CMD ["srv", "--schedule", "cron"]', id="an-argument-named-cron"),
        pytest.param('CMD ["ip", "addr", "show"]', id="ip-listing"),
        pytest.param('CMD ["sh", "-c", "exec srv --mount /data"]', id="option-named-mount"),
        pytest.param('CMD ["crontab-ui"]', id="longer-name"),
    ],
)
def test_a_command_that_only_names_such_a_program_is_still_switched(command: str) -> None:
    src = f"FROM debian:12\nCOPY srv /usr/local/bin/srv\n{command}\n"
    assert [(slug, fixed) for _, slug, fixed in findings(src)] == [(None, True)]


def test_a_program_that_needs_root_in_the_entrypoint_script(tmp_path: Path) -> None:
    src = 'FROM alpine:3.20\nCOPY entry.sh /\nENTRYPOINT ["/entry.sh"]\n'
    settings = _with_context(tmp_path)
    (tmp_path / "entry.sh").write_text(
        "#!/bin/sh\nset -e\n# iptables is set up by the host\n"
        'if [ -n "$GW" ]; then ip route add default via "$GW"; fi\nexec srv\n',
        "utf-8",
    )
    ((message, slug, fixed),) = findings(src, settings)
    assert (slug, fixed) == ("needs-root", False)
    assert message.endswith(
        "; entry.sh runs ip, which needs root: it changes the network's routes, links or addresses"
    )
    (tmp_path / "entry.sh").write_text("#!/bin/sh\n# iptables: none\nexec srv\n", "utf-8")
    assert [fixed for _, _, fixed in findings(src, settings)] == [True]


def test_a_base_image_is_still_reported_as_one_before_what_would_fail() -> None:
    src = 'FROM debian:12\nVOLUME /data\nCMD ["bash"]\n'
    assert only_reason(src) == "base-image"
