"""MF501's Python recogniser: pip builds with compilers, shipped without them."""

from __future__ import annotations

import pytest
from manifesto.fixers._multistage.core import build_view
from manifesto.fixers._multistage.plan import Artifact, BuildView, Conversion, NoConversion
from manifesto.fixers._multistage.python import recognise

from manifesto.context import FixContext
from manifesto.cst import parse

SLIM = """\
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["gunicorn", "app:app"]
"""
APT = "apt-get install -y --no-install-recommends gcc libpq-dev"


def _view(text: str) -> BuildView:
    tree = parse(text)
    view = build_view(FixContext(text, tree))
    assert view is not None
    return view


def _converted(text: str) -> Conversion:
    answer = recognise(_view(text))
    assert isinstance(answer, Conversion), answer
    return answer


def _refused(text: str) -> NoConversion:
    answer = recognise(_view(text))
    assert isinstance(answer, NoConversion), answer
    return answer


def test_the_runtime_is_the_same_image_without_the_compiler() -> None:
    answer = _converted(SLIM)
    assert answer.ecosystem == "python"
    assert answer.runtime_image == "python:3.12-slim"
    assert answer.artifacts == (
        Artifact(
            "/usr/local/lib/python3.12/site-packages", "/usr/local/lib/python3.12/site-packages"
        ),
        Artifact("/usr/local/bin", "/usr/local/bin"),
        Artifact("/app", "/app"),
    )
    assert answer.runtime_setup == (
        "RUN apt-get update && apt-get install -y --no-install-recommends libpq5"
        " && rm -rf /var/lib/apt/lists/*",
    )
    assert answer.build.args_text == ". ."


@pytest.mark.parametrize(
    ("image", "packages", "runtime"),
    [
        pytest.param("python:3.12-slim", "gcc", None, id="compiler-only"),
        pytest.param(
            "python:3.11-slim-trixie", "build-essential libffi-dev", "libffi8", id="libffi"
        ),
        pytest.param("python:3.12-slim-bookworm", "gcc libssl-dev", "libssl3", id="ssl-release"),
        pytest.param("python:3.12-slim-bullseye", "gcc libffi-dev", "libffi7", id="bullseye"),
        pytest.param(
            "python:3.12.4-slim", "gcc default-libmysqlclient-dev", "libmariadb3", id="mysql"
        ),
        pytest.param("python:3.12-slim", "gcc curl libpq-dev", "curl libpq5", id="kept-curl"),
    ],
)
def test_the_libraries_of_the_dev_packages_are_installed(
    image: str, packages: str, runtime: str | None
) -> None:
    text = SLIM.replace("python:3.12-slim", image).replace("gcc libpq-dev", packages)
    setup = _converted(text).runtime_setup
    if runtime is None:
        assert setup == ()
    else:
        assert setup == (
            f"RUN apt-get update && apt-get install -y --no-install-recommends {runtime}"
            " && rm -rf /var/lib/apt/lists/*",
        )


def test_a_library_whose_name_moves_between_releases_needs_the_release_in_the_tag() -> None:
    text = SLIM.replace("gcc libpq-dev", "gcc libssl-dev")
    answer = _refused(text)
    assert "`libssl-dev`" in answer.reason
    assert answer.reason.startswith("the shared libraries it links are unknown")


def test_alpine_libraries_come_from_their_own_table() -> None:
    text = """\
FROM python:3.11-alpine3.19
RUN apk add --no-cache gcc musl-dev libffi-dev postgresql-dev jpeg-dev
WORKDIR /srv
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "-m", "srv"]
"""
    answer = _converted(text)
    assert answer.runtime_image == "python:3.11-alpine3.19"
    assert answer.runtime_setup == ("RUN apk add --no-cache libffi libpq libjpeg-turbo",)


def test_a_virtualenv_is_copied_too() -> None:
    text = SLIM.replace(
        "WORKDIR /app", 'RUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nWORKDIR /app'
    )
    assert Artifact("/opt/venv", "/opt/venv") in _converted(text).artifacts


@pytest.mark.parametrize(
    ("image", "words"),
    [
        pytest.param("python:3.12", "buildpack-deps", id="full"),
        pytest.param("python:3.12-bookworm", "buildpack-deps", id="full-release"),
        pytest.param("python:3-slim", "minor version", id="major-only"),
        pytest.param("python:slim", "minor version", id="floating"),
        pytest.param("debian:12-slim", "not the official python image", id="debian"),
        pytest.param("bitnami/python:3.12", "not the official python image", id="other"),
    ],
)
def test_a_runtime_that_cannot_be_matched_is_refused(image: str, words: str) -> None:
    answer = _refused(SLIM.replace("python:3.12-slim", image))
    assert words in answer.reason
    assert answer.suggestion is not None and answer.suggestion.startswith("FROM python:")


@pytest.mark.parametrize(
    ("step", "words"),
    [
        pytest.param("RUN pip install --user -r requirements.txt", "--user", id="user"),
        pytest.param("RUN pip install --target /deps flask", "--target", id="target"),
        pytest.param("ENV PIP_USER=1\nRUN pip install flask", "PIP_USER", id="pip-user-env"),
        pytest.param("RUN python manage.py collectstatic --noinput", "`python`", id="manage"),
        pytest.param("RUN useradd app", "`useradd`", id="useradd"),
        pytest.param("COPY entrypoint.sh /usr/local/bin/", "/usr/local/bin", id="copy-out"),
        pytest.param("RUN mkdir -p /var/log/app", "/var/log/app", id="mkdir-out"),
    ],
)
def test_what_reaches_beyond_the_app_and_site_packages_is_refused(step: str, words: str) -> None:
    text = SLIM.replace("COPY . .", f"COPY . .\n{step}")
    assert words in _refused(text).reason


def test_the_app_folder_must_not_be_the_root() -> None:
    answer = _refused(SLIM.replace("WORKDIR /app\n", ""))
    assert "runs in /" in answer.reason


def test_build_packages_removed_later_still_ship_in_the_layers() -> None:
    text = SLIM.replace(
        "COPY . .", "COPY . .\nRUN apt-get purge -y gcc libpq-dev && apt-get autoremove -y"
    )
    assert "removes the build packages" in _refused(text).reason


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(SLIM.replace(APT, "apt-get install -y curl"), id="no-compiler"),
        pytest.param(
            """\
FROM python:3.12-alpine
COPY . /app
WORKDIR /app
RUN apk add --no-cache --virtual .build-deps gcc musl-dev \\
    && pip install -r requirements.txt \\
    && apk del .build-deps
CMD ["python", "app.py"]
""",
            id="removed-in-the-same-run",
        ),
        pytest.param(
            SLIM.replace('CMD ["gunicorn", "app:app"]', 'CMD ["make", "ext"]'),
            id="compiles-at-run-time",
        ),
        pytest.param(SLIM.replace('CMD ["gunicorn", "app:app"]\n', ""), id="no-command"),
        pytest.param(SLIM.replace("pip install", "pip download"), id="no-pip-install"),
    ],
)
def test_nothing_to_split(text: str) -> None:
    assert recognise(_view(text)) is None
