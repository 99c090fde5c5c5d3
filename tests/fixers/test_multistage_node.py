"""MF501's Node recogniser: a Node server on the full node image moves to its slim twin."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from manifesto.fixers._multistage.core import build_view
from manifesto.fixers._multistage.node import NGINX_IMAGE, _slim, recognise
from manifesto.fixers._multistage.plan import Artifact, BuildView, Conversion, NoConversion

from manifesto.context import FixContext
from manifesto.cst import parse
from manifesto.images import parse_image

SERVER = """\
FROM node:20
WORKDIR /usr/src/app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build
EXPOSE 3000
CMD ["node", "dist/index.js"]
"""


def _lock(**packages: Mapping[str, object]) -> str:
    return json.dumps({"lockfileVersion": 3, "packages": {"": {"name": "app"}, **packages}})


PURE_LOCK = _lock(**{"node_modules/express": {"version": "4.19.2"}})
NATIVE_LOCK = _lock(**{"node_modules/bcrypt": {"version": "5.1.1", "hasInstallScript": True}})


def _view(text: str, files: Mapping[str, str] | None = None) -> BuildView:
    tree = parse(text)
    ctx = FixContext(text, tree, read_context_file=dict(files or {}).get)
    view = build_view(ctx)
    assert view is not None
    return view


def _refused(text: str, files: Mapping[str, str] | None = None) -> NoConversion:
    answer = recognise(_view(text, files))
    assert isinstance(answer, NoConversion), answer
    return answer


def test_a_lockfile_without_install_scripts_moves_the_app_to_slim() -> None:
    answer = recognise(_view(SERVER, {"package-lock.json": PURE_LOCK}))
    assert isinstance(answer, Conversion), answer
    assert answer.ecosystem == "node"
    assert answer.runtime_image == "node:20-slim"
    assert answer.artifacts == (Artifact("/usr/src/app", "/usr/src/app"),)
    assert answer.build.args_text == "npm run build"


def test_an_install_script_may_have_built_against_the_full_image() -> None:
    answer = _refused(SERVER, {"package-lock.json": NATIVE_LOCK})
    assert "`bcrypt` runs an install script" in answer.reason
    assert answer.reason.startswith("the shared libraries it links are unknown")


def test_an_unreadable_lockfile_is_a_finding_with_a_suggestion() -> None:
    answer = _refused(SERVER)
    assert "package-lock.json cannot be read" in answer.reason
    assert answer.suggestion == "FROM node:20-slim\nCOPY --from=build /usr/src/app /usr/src/app\n"


@pytest.mark.parametrize(
    "install",
    [
        "RUN npm ci --ignore-scripts",
        "RUN npm_config_ignore_scripts=true npm ci",
        "ENV npm_config_ignore_scripts=true\nRUN npm ci",
    ],
)
def test_installs_without_scripts_need_no_lockfile(install: str) -> None:
    text = SERVER.replace("RUN npm ci", install)
    assert isinstance(recognise(_view(text)), Conversion)


def test_scripts_turned_back_on_need_the_lockfile() -> None:
    text = SERVER.replace("RUN npm ci", "RUN npm_config_ignore_scripts=false npm ci")
    assert isinstance(recognise(_view(text)), NoConversion)


@pytest.mark.parametrize(
    ("reference", "slim"),
    [
        ("node:20", "node:20-slim"),
        ("node:20.11.1", "node:20.11.1-slim"),
        ("node:18-bookworm", "node:18-bookworm-slim"),
        ("node:20.11-bullseye", "node:20.11-bullseye-slim"),
        ("node:lts", "node:lts-slim"),
        ("node:20-slim", None),
        ("node:20-alpine", None),
        ("node:20-alpine3.19", None),
        ("node:20-bookworm-slim", None),
    ],
)
def test_the_slim_image_keeps_the_tag(reference: str, slim: str | None) -> None:
    ref = parse_image(reference)
    assert ref is not None
    assert _slim(ref) == slim


@pytest.mark.parametrize("reference", ["node", "node:latest"])
def test_a_floating_tag_is_not_given_a_version(reference: str) -> None:
    text = SERVER.replace("FROM node:20", f"FROM {reference}")
    assert _refused(text, {"package-lock.json": PURE_LOCK}).reason.startswith(
        "no runtime image is known"
    )


@pytest.mark.parametrize(
    ("command", "served"),
    [
        ('CMD ["serve", "-s", "build", "-l", "3000"]', "/app/build"),
        ('CMD ["npx", "serve", "-s", "dist"]', "/app/dist"),
        ("CMD npx http-server ./dist -p 8080", "/app/dist"),
    ],
)
def test_a_static_site_is_shown_served_by_nginx(command: str, served: str) -> None:
    text = f"""\
FROM node:20
WORKDIR /app
COPY . .
RUN npm ci && npm run build
{command}
"""
    answer = _refused(text)
    assert answer.reason.startswith("the program is static files")
    assert answer.suggestion == (
        f"FROM {NGINX_IMAGE}\nCOPY --from=build {served} /usr/share/nginx/html\n"
    )


@pytest.mark.parametrize(
    ("step", "words"),
    [
        pytest.param("RUN npm install -g pm2", "globally", id="global"),
        pytest.param("RUN apt-get update && apt-get install -y ffmpeg", "`apt-get`", id="apt"),
        pytest.param("COPY nginx.conf /etc/nginx/nginx.conf", "/etc/nginx/nginx.conf", id="copy"),
        pytest.param("RUN mkdir -p /data", "/data", id="mkdir"),
    ],
)
def test_what_reaches_beyond_the_app_folder_is_refused(step: str, words: str) -> None:
    text = SERVER.replace("COPY . .", f"{step}\nCOPY . .")
    assert words in _refused(text, {"package-lock.json": PURE_LOCK}).reason


def test_the_app_folder_must_not_be_the_root() -> None:
    text = SERVER.replace("WORKDIR /usr/src/app\n", "")
    assert "runs in /" in _refused(text, {"package-lock.json": PURE_LOCK}).reason


@pytest.mark.parametrize(
    "command",
    [
        pytest.param('CMD ["npm", "run", "dev"]', id="npm-run-dev"),
        pytest.param('CMD ["yarn", "dev"]', id="yarn-dev"),
        pytest.param('CMD ["npx", "nodemon", "src/index.js"]', id="nodemon"),
        pytest.param('CMD ["npx", "next", "dev"]', id="next-dev"),
        pytest.param('CMD ["ng", "serve", "--host", "0.0.0.0"]', id="ng-serve"),
        pytest.param('CMD ["./bin/hubot", "--adapter", "slack"]', id="other-program"),
    ],
)
def test_development_servers_and_other_programs_are_left_alone(command: str) -> None:
    text = SERVER.replace('CMD ["node", "dist/index.js"]', command)
    assert recognise(_view(text, {"package-lock.json": PURE_LOCK})) is None


def test_a_slim_base_ships_no_compiler() -> None:
    text = SERVER.replace("FROM node:20", "FROM node:20-slim")
    assert recognise(_view(text, {"package-lock.json": PURE_LOCK})) is None


def test_npm_start_is_a_server_too() -> None:
    text = SERVER.replace('CMD ["node", "dist/index.js"]', 'CMD ["npm", "start"]')
    assert isinstance(recognise(_view(text, {"package-lock.json": PURE_LOCK})), Conversion)
