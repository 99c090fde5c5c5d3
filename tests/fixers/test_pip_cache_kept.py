"""Inline cases for MF111 pip_cache_kept (the golden fixtures cover the layouts)."""

from __future__ import annotations

import pytest
from manifesto.fixers import pip_cache_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
PY = "FROM python:3.12-slim\n"


def fix(src: str) -> str:
    result = fix_text(src, [pip_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


def findings(src: str) -> list[tuple[str, bool]]:
    return [
        (f.violation.message, f.violation.fix is not None)
        for f in check_text(src, [pip_cache_kept], SETTINGS)
    ]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param("pip install x", "pip install --no-cache-dir x", id="pip"),
        pytest.param("pip3 install x", "pip3 install --no-cache-dir x", id="pip3"),
        pytest.param("pip3.11 install x", "pip3.11 install --no-cache-dir x", id="pip3.11"),
        pytest.param(
            "/usr/local/bin/pip install x", "/usr/local/bin/pip install --no-cache-dir x", id="path"
        ),
        pytest.param("sudo -H pip install x", "sudo -H pip install --no-cache-dir x", id="sudo"),
        pytest.param(
            "python -m pip install x", "python -m pip install --no-cache-dir x", id="python-m-pip"
        ),
        pytest.param(
            "python3.12 -m pip install x",
            "python3.12 -m pip install --no-cache-dir x",
            id="python3.12-m-pip",
        ),
        pytest.param(
            "python3 -I -W ignore -m pip install x",
            "python3 -I -W ignore -m pip install --no-cache-dir x",
            id="interpreter-options",
        ),
        pytest.param(
            "python3 -Im pip install x", "python3 -Im pip install --no-cache-dir x", id="bundled-m"
        ),
        pytest.param("python -mpip install x", "python -mpip install --no-cache-dir x", id="mpip"),
        pytest.param("pip -q install x", "pip -q install --no-cache-dir x", id="option-before"),
        pytest.param(
            "pip --timeout 60 --retries 3 install x",
            "pip --timeout 60 --retries 3 install --no-cache-dir x",
            id="options-with-values-before",
        ),
        pytest.param(
            "pip install -r requirements.txt",
            "pip install --no-cache-dir -r requirements.txt",
            id="requirements",
        ),
        pytest.param(
            "pip install --upgrade pip",
            "pip install --no-cache-dir --upgrade pip",
            id="upgrade-pip",
        ),
        pytest.param("pip install -e .", "pip install --no-cache-dir -e .", id="editable"),
        pytest.param(
            "if true; then pip install x; fi",
            "if true; then pip install --no-cache-dir x; fi",
            id="inside-if",
        ),
        pytest.param(
            "pip install a && (cd b && pip install .)",
            "pip install --no-cache-dir a && (cd b && pip install --no-cache-dir .)",
            id="several-and-subshell",
        ),
        pytest.param(
            "PIP_NO_CACHE_DIR= pip install x",
            "PIP_NO_CACHE_DIR= pip install --no-cache-dir x",
            id="empty-inline-env-is-ignored-by-pip",
        ),
    ],
)
def test_fixes(run: str, expected: str) -> None:
    assert fix(f"{PY}RUN {run}\n") == f"{PY}RUN {expected}\n"


@pytest.mark.parametrize(
    ("before", "run"),
    [
        pytest.param("ARG PIP_NO_CACHE_DIR\n", "pip install x", id="arg-without-default"),
        pytest.param("ENV PIP_NO_CACHE_DIR=\n", "pip install x", id="empty-env"),
        pytest.param(
            "ENV PIP_CACHE_DIR=/c\n",
            "--mount=type=cache,target=/other pip install x",
            id="mount-elsewhere",
        ),
    ],
)
def test_fixes_with_context(before: str, run: str) -> None:
    src = f"{PY}{before}RUN {run}\n"
    assert fix(src) == src.replace("pip install", "pip install --no-cache-dir")


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(f"{PY}RUN pip install --no-cache-dir x\n", id="flag"),
        pytest.param(f"{PY}RUN pip install x --no-cache-dir\n", id="flag-last"),
        pytest.param(f"{PY}RUN pip --no-cache-dir install x\n", id="general-option"),
        pytest.param(f"{PY}RUN pip install --no-cache x\n", id="abbreviation"),
        pytest.param(f"{PY}RUN python3 -m pip install --no-cache-di x\n", id="abbreviation-2"),
        pytest.param(f"{PY}ENV PIP_NO_CACHE_DIR=1\nRUN pip install x\n", id="env-true"),
        pytest.param(f"{PY}ENV PIP_NO_CACHE_DIR=false\nRUN pip install x\n", id="env-false"),
        pytest.param(f"{PY}ENV PIP_NO_CACHE_DIR off\nRUN pip install x\n", id="env-legacy-form"),
        pytest.param(
            "FROM python:3 AS a\nENV PIP_NO_CACHE_DIR=1\nFROM a\nRUN pip install x\n",
            id="env-from-parent-stage",
        ),
        pytest.param(f"{PY}ARG PIP_NO_CACHE_DIR=1\nRUN pip install x\n", id="arg-default"),
        pytest.param(
            f"ARG PIP_NO_CACHE_DIR=1\n{PY}ARG PIP_NO_CACHE_DIR\nRUN pip install x\n",
            id="arg-global-default",
        ),
        pytest.param(f"{PY}RUN PIP_NO_CACHE_DIR=1 pip install x\n", id="inline-env"),
        pytest.param(f"{PY}RUN env PIP_NO_CACHE_DIR=1 pip install x\n", id="env-wrapper"),
        pytest.param(f"{PY}RUN export PIP_NO_CACHE_DIR=1; pip install x\n", id="export"),
        pytest.param(
            f"{PY}RUN pip config set global.no-cache-dir false\nRUN pip install x\n",
            id="pip-config",
        ),
        pytest.param(
            f"{PY}RUN --mount=type=cache,target=/root/.cache/pip pip install x\n", id="mount"
        ),
        pytest.param(
            f"{PY}RUN --mount=type=cache,target=/root/.cache pip install x\n", id="mount-parent"
        ),
        pytest.param(
            f"{PY}RUN --mount=type=cache,target=/home/app/.cache,uid=1000 pip install x\n",
            id="mount-other-home",
        ),
        pytest.param(
            f"{PY}ENV PIP_CACHE_DIR=/pipc\nRUN --mount=type=cache,target=/pipc pip install x\n",
            id="mount-pip-cache-dir",
        ),
        pytest.param(
            f"{PY}RUN --mount=type=cache,target=/c/pip,id=x --mount=type=cache,target=/c/pip2"
            " pip --cache-dir /c/pip install x\n",
            id="mount-cache-dir-option",
        ),
        pytest.param(f"{PY}RUN pip download x && pip wheel y\n", id="download-wheel"),
        pytest.param(f"{PY}RUN pip uninstall -y x && pip freeze\n", id="not-install"),
        pytest.param(f'{PY}RUN python -c "import pip" install\n', id="python-c"),
        pytest.param(f"{PY}RUN python setup.py install\n", id="python-script"),
        pytest.param(f"{PY}RUN python -m venv install\n", id="other-module"),
        pytest.param(f"{PY}RUN pipx install x && pipenv install\n", id="pipx-pipenv"),
        pytest.param(f"{PY}RUN uv pip install x\n", id="uv"),
        pytest.param(f"{PY}ONBUILD RUN pip install x\n", id="onbuild"),
    ],
)
def test_no_change(src: str) -> None:
    assert fix(src) == src
    assert not any(fixable for _, fixable in findings(src))


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param(f"{PY}RUN pip install --cache-dir /c x\n", "--cache-dir", id="cache-dir"),
        pytest.param(f"{PY}RUN pip install --cache-dir=/c x\n", "--cache-dir", id="cache-dir-eq"),
        pytest.param(
            "FROM ubuntu:trusty\nRUN pip install x\n", "predate", id="old-distro-pip-trusty"
        ),
        pytest.param(
            "FROM debian:jessie-slim AS a\nFROM a\nRUN pip install x\n",
            "predate",
            id="old-distro-pip-through-stage",
        ),
        # pip 1.5 (Debian 8, Ubuntu 15.04) rejects --no-cache-dir: the build would break.
        pytest.param(
            "FROM buildpack-deps:jessie\nRUN apt-get update && apt-get install -y python-pip"
            " && pip install x\n",
            "predate",
            id="old-release-code-name-in-tag",
        ),
        pytest.param("FROM ubuntu:15.04\nRUN pip install x\n", "predate", id="ubuntu-15.04"),
        pytest.param("FROM python:2.7.8\nRUN pip install x\n", "predate", id="python-2.7.8"),
    ],
)
def test_reported_without_fix(src: str, reason: str) -> None:
    assert fix(src) == src
    [(message, fixable)] = findings(src)
    assert not fixable
    assert reason in message


@pytest.mark.parametrize("base", ["python:2.7-jessie", "python:3.12", "localhost:5000/jessie"])
def test_images_with_a_recent_pip_keep_the_fix(base: str) -> None:
    assert fix(f"FROM {base}\nRUN pip install x\n") == (
        f"FROM {base}\nRUN pip install --no-cache-dir x\n"
    )
