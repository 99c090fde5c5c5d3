"""Inline cases for MF113 npm_cache_kept (the golden fixtures cover the layouts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifesto.fixers import npm_cache_kept

from manifesto.context import FixContext
from manifesto.cst import parse
from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers" / "npm_cache_kept"
NODE = "FROM node:20\n"
CLEAN = "npm cache clean --force"


def fix(src: str) -> str:
    result = fix_text(src, [npm_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


def findings(src: str) -> list[tuple[str, bool]]:
    return [
        (f.violation.message, f.violation.fix is not None)
        for f in check_text(src, [npm_cache_kept], SETTINGS)
    ]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param("npm install", f"npm install && {CLEAN}", id="install"),
        pytest.param("npm i express", f"npm i express && {CLEAN}", id="i"),
        pytest.param("npm ci", f"npm ci && {CLEAN}", id="ci"),
        pytest.param("npm clean-install", f"npm clean-install && {CLEAN}", id="clean-install"),
        pytest.param("npm add left-pad", f"npm add left-pad && {CLEAN}", id="add"),
        pytest.param("npm update", f"npm update && {CLEAN}", id="update"),
        pytest.param("npm install -g serve", f"npm install -g serve && {CLEAN}", id="global"),
        pytest.param(
            "npm -g install serve", f"npm -g install serve && {CLEAN}", id="option-before"
        ),
        pytest.param(
            "npm --prefix /app --loglevel warn ci",
            f"npm --prefix /app --loglevel warn ci && {CLEAN}",
            id="options-with-values-before",
        ),
        pytest.param(
            "sudo npm install -g serve", f"sudo npm install -g serve && {CLEAN}", id="sudo-as-root"
        ),
        pytest.param(
            "/usr/bin/npm ci", "/usr/bin/npm ci && /usr/bin/npm cache clean --force", id="path"
        ),
        pytest.param(
            f"{CLEAN} && npm ci", f"{CLEAN} && npm ci && {CLEAN}", id="clean-before-install"
        ),
        pytest.param(
            "npm ci && npm cache verify", f"npm ci && npm cache verify && {CLEAN}", id="verify"
        ),
        pytest.param(
            "if [ -f package.json ]; then npm ci; fi",
            f"if [ -f package.json ]; then npm ci; fi && {CLEAN}",
            id="inside-if",
        ),
        pytest.param(
            "npm ci && (cd admin && npm ci)",
            f"npm ci && (cd admin && npm ci) && {CLEAN}",
            id="several-one-clean",
        ),
        pytest.param(
            "npm ci && npm uninstall lodash",
            f"npm ci && npm uninstall lodash && {CLEAN}",
            id="local-uninstall",
        ),
        pytest.param(
            "npm ci && rm -rf /tmp/npm-* /root/.npm/_logs",
            f"npm ci && rm -rf /tmp/npm-* /root/.npm/_logs && {CLEAN}",
            id="rm-of-temp-files-and-logs",
        ),
        pytest.param(
            "set -e; npm ci; npm run build",
            f"set -e; npm ci; npm run build; {CLEAN}",
            id="errexit-semicolons",
        ),
        pytest.param(
            "npm ci; npm run build",
            f"npm ci; npm run build && {CLEAN}",
            id="semicolons-without-errexit",
        ),
        pytest.param(
            "npm ci && cat <<EOF > /etc/motd\nhello\nEOF",
            f"npm ci && cat <<EOF > /etc/motd && {CLEAN}\nhello\nEOF",
            id="heredoc-as-data",
        ),
    ],
)
def test_fixes(run: str, expected: str) -> None:
    assert fix(f"{NODE}RUN {run}\n") == f"{NODE}RUN {expected}\n"


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(f"{NODE}RUN npm ci && {CLEAN}\n", id="clean"),
        pytest.param(f"{NODE}RUN npm ci && npm cache clear --force\n", id="clear"),
        pytest.param(f"{NODE}RUN npm ci && npm cache clean\n", id="old-clean"),
        pytest.param(f"{NODE}RUN npm ci && rm -rf /root/.npm\n", id="rm-root-npm"),
        pytest.param(f"{NODE}RUN npm ci && rm -rf ~/.npm/_cacache\n", id="rm-cacache"),
        pytest.param(f'{NODE}RUN npm ci && rm -rf "$HOME/.npm"\n', id="rm-home-npm"),
        pytest.param(
            f"{NODE}ENV npm_config_cache=/nc\nRUN npm ci && rm -rf /nc\n", id="rm-env-cache"
        ),
        pytest.param(f"{NODE}RUN npm ci --cache /tmp/nc && rm -rf /tmp/nc\n", id="rm-flag-cache"),
        pytest.param(f"{NODE}RUN npm run build && npm test && npm --version\n", id="not-install"),
        pytest.param(f"{NODE}RUN npx create-react-app x\n", id="npx"),
        pytest.param(f"{NODE}RUN --mount=type=cache,target=/root/.npm npm ci\n", id="mount"),
        pytest.param(
            f"{NODE}RUN --mount=type=cache,target=/home/node/.npm,uid=1000 npm ci\n",
            id="mount-user",
        ),
        pytest.param(
            f"{NODE}ENV NPM_CONFIG_CACHE=/nc\nRUN --mount=type=cache,target=/nc npm ci\n",
            id="mount-env-cache",
        ),
        pytest.param(f"{NODE}ONBUILD RUN npm ci\n", id="onbuild"),
        pytest.param(f'{NODE}RUN ["npm", "ci"]\n', id="exec-form"),
        pytest.param(f"{NODE}RUN npm ci &&\n", id="broken-shell"),
    ],
)
def test_no_change(src: str) -> None:
    assert fix(src) == src
    assert not any(fixable for _, fixable in findings(src))


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        pytest.param("npm ci --cache /tmp/nc", "--cache", id="cache-flag"),
        pytest.param("gosu node npm ci", "another user", id="gosu"),
        pytest.param("su-exec node npm ci", "another user", id="su-exec"),
        pytest.param("sudo -u node npm ci", "another user", id="sudo-u"),
        pytest.param("npm_config_cache=/tmp/nc npm ci", "cache location", id="env-prefix"),
        pytest.param("env HOME=/tmp npm ci", "HOME", id="env-wrapper"),
        pytest.param("npm ci && apk del .build-deps", "uninstall", id="apk-del-virtual"),
        pytest.param("npm ci && apk del nodejs npm", "uninstall", id="apk-del-node"),
        pytest.param("npm ci && apt-get purge -y nodejs", "uninstall", id="apt-purge-node"),
        pytest.param("npm ci && apt-get autoremove -y", "uninstall", id="apt-autoremove"),
        pytest.param("npm ci && apt-get purge -y $BUILD_DEPS", "uninstall", id="apt-purge-var"),
        pytest.param("npm ci && npm uninstall -g npm", "uninstall", id="npm-uninstall-global"),
        pytest.param("npm ci && rm -rf /usr/local/lib/node_modules/npm", "uninstall", id="rm-npm"),
        pytest.param("npm ci && exec node server.js", "exit", id="exec"),
    ],
)
def test_reported_without_fix(run: str, reason: str) -> None:
    src = f"{NODE}RUN {run}\n"
    assert fix(src) == src
    [(message, fixable)] = findings(src)
    assert not fixable
    assert reason in message


def test_published_peer_bug_never_happens() -> None:
    """A clean-up appended to a ``set -eux; ...; \\`` chain never yields ``; &&``."""
    src = f"{NODE}RUN set -eux; \\\n    npm ci; \\\n    npm run build; \\\n    rm -rf /tmp/*\n"
    out = fix(src)
    assert "; &&" not in out
    assert out.endswith("    rm -rf /tmp/*; \\\n    npm cache clean --force\n")
    tree = parse(out)
    script = FixContext(out, tree).shell(tree.instructions[-1])
    assert script is not None
    assert not script.has_errors


NO_FIX_FIXTURES = {
    "other-user": "installs as another user, whose cache an appended command would miss",
    "no-fix-home-differs": "HOME or the cache location differs for the install",
    "uninstalled-later": "a later command may uninstall the package manager: "
    "`apt-get purge -y --auto-remove npm`, it names npm",
    "no-fix-virtual-holds-node": "a later command may uninstall the package manager: "
    "`apk del .build-tools`, .build-tools holds nodejs",
    "no-fix-virtual-declared-elsewhere": "a later command may uninstall the package manager: "
    "`apk del .build-deps`, what .build-deps holds is not declared in this stage or the"
    " stages it is built FROM",
    "no-fix-exec": "the RUN may exit before an appended command",
    "no-fix-quoted-program": "the program is not a plain path",
    "no-fix-cache-option": "--cache: `npm cache clean` empties another",
}
"""Golden cases where a reason for not fixing holds, with that reason; each has a
twin where it does not (other-user-elsewhere, home-from-env, virtual-build-deps,
virtual-from-earlier-run, exit-on-failure, program-path, cache-option-on-a-mount)."""


@pytest.mark.parametrize(("case", "reason"), NO_FIX_FIXTURES.items())
def test_no_fix_fixture_gives_its_reason(case: str, reason: str) -> None:
    src = (FIXTURES / f"{case}.in.Dockerfile").read_bytes().decode()
    [finding] = check_text(src, [npm_cache_kept], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.message.endswith(f"({reason})")


def test_every_no_fix_fixture_is_asserted() -> None:
    cases = {p.name.removesuffix(".in.Dockerfile") for p in FIXTURES.glob("no-fix-*.in.Dockerfile")}
    assert cases <= set(NO_FIX_FIXTURES)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM node:20-alpine\nRUN apk add --no-cache --virtual .node-gyp-deps g++ make"
            " && npm ci && apk del .node-gyp-deps\n",
            "FROM node:20-alpine\nRUN apk add --no-cache --virtual .node-gyp-deps g++ make"
            f" && npm ci && apk del .node-gyp-deps && {CLEAN}\n",
            id="virtual-named-after-node-holds-no-node",
        ),
        pytest.param(
            "FROM node:20-alpine\nRUN apk add --no-cache -t build-deps g++ && npm ci"
            " && apk del build-deps\n",
            "FROM node:20-alpine\nRUN apk add --no-cache -t build-deps g++ && npm ci"
            f" && apk del build-deps && {CLEAN}\n",
            id="virtual-short-option-without-dot",
        ),
        pytest.param(
            "FROM node:20-alpine\nRUN apk add --no-cache --virtual=.deps g++ && npm ci"
            " && apk del --purge .deps\n",
            "FROM node:20-alpine\nRUN apk add --no-cache --virtual=.deps g++ && npm ci"
            f" && apk del --purge .deps && {CLEAN}\n",
            id="virtual-equals-and-del-purge",
        ),
        pytest.param(
            NODE + "RUN npm ci && apt-get purge -y python3 make\n",
            NODE + f"RUN npm ci && apt-get purge -y python3 make && {CLEAN}\n",
            id="apt-purge-of-named-other-packages",
        ),
    ],
)
def test_removals_that_keep_npm_are_fixed(src: str, expected: str) -> None:
    assert fix(src) == expected


@pytest.mark.parametrize(
    ("src", "why"),
    [
        pytest.param(
            "FROM alpine\nRUN apk add --no-cache --virtual .deps g++\n"
            "RUN apk add --no-cache --virtual .deps nodejs npm\n"
            "RUN npm ci && apk del .deps\n",
            "`apk del .deps`, .deps holds nodejs",
            id="virtual-declared-twice",
        ),
        pytest.param(
            "FROM node:20-alpine\nRUN apk add --no-cache --virtual .deps $BUILD_DEPS"
            " && npm ci && apk del .deps\n",
            "`apk del .deps`, the packages of .deps are not in the file",
            id="virtual-from-a-variable",
        ),
        pytest.param(
            "FROM node:20-alpine AS tools\nRUN apk add --no-cache --virtual .deps g++\n"
            "FROM node:20-alpine\nRUN npm ci && apk del .deps\n",
            "`apk del .deps`, what .deps holds is not declared in this stage",
            id="virtual-declared-in-another-stage",
        ),
        pytest.param(
            NODE + "RUN npm ci && apt-get autoremove -y\n",
            "`apt-get autoremove -y`, it also removes what was installed as a dependency",
            id="apt-autoremove",
        ),
    ],
)
def test_removals_that_may_take_npm_are_reported(src: str, why: str) -> None:
    assert fix(src) == src
    [(message, fixable)] = findings(src)
    assert not fixable
    assert f"(a later command may uninstall the package manager: {why}" in message


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param(
            # the later --offline install reads what the clean-up would delete
            "FROM node:20\nRUN npm install -g serve\nRUN npm install --offline serve-handler\n",
            "cache-read-later",
            id="later offline install",
        ),
        pytest.param(
            # npm would empty the cache mount, then fail to delete its mount point
            "FROM node:20\nRUN --mount=type=cache,target=/root/.npm/_cacache/content-v2 npm ci\n",
            "mount-inside-cache",
            id="cache mount inside the cache",
        ),
    ],
)
def test_a_cache_still_needed_gets_no_fix(src: str, slug: str) -> None:
    first = check_text(src, [npm_cache_kept], SETTINGS)[0].violation
    assert first.fix is None
    assert first.reason is not None
    assert first.reason.slug == slug
