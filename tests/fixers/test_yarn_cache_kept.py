"""Inline cases for MF112 yarn_cache_kept (the golden fixtures cover the layouts)."""

from __future__ import annotations

import pytest
from manifesto.fixers import yarn_cache_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
NODE = "FROM node:20\n"


def fix(src: str) -> str:
    result = fix_text(src, [yarn_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


def findings(src: str) -> list[tuple[str, bool]]:
    return [
        (f.violation.message, f.violation.fix is not None)
        for f in check_text(src, [yarn_cache_kept], SETTINGS)
    ]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param("yarn", "yarn && yarn cache clean", id="bare"),
        pytest.param(
            "yarn --frozen-lockfile", "yarn --frozen-lockfile && yarn cache clean", id="bare-flags"
        ),
        pytest.param("yarn install", "yarn install && yarn cache clean", id="install"),
        pytest.param("yarn add left-pad", "yarn add left-pad && yarn cache clean", id="add"),
        pytest.param(
            "yarn global add serve", "yarn global add serve && yarn cache clean", id="global"
        ),
        pytest.param(
            "yarn --cwd /app install", "yarn --cwd /app install && yarn cache clean", id="cwd"
        ),
        pytest.param(
            "yarn workspace web add react",
            "yarn workspace web add react && yarn cache clean",
            id="workspace-add",
        ),
        pytest.param("yarnpkg install", "yarnpkg install && yarnpkg cache clean", id="yarnpkg"),
        pytest.param(
            "/usr/local/bin/yarn install",
            "/usr/local/bin/yarn install && /usr/local/bin/yarn cache clean",
            id="program-path",
        ),
        pytest.param(
            "sudo yarn global add serve",
            "sudo yarn global add serve && yarn cache clean",
            id="sudo-as-root",
        ),
        pytest.param(
            "yarn cache clean && yarn install",
            "yarn cache clean && yarn install && yarn cache clean",
            id="clean-before-install",
        ),
        pytest.param(
            "yarn install && yarn cache clean left-pad",
            "yarn install && yarn cache clean left-pad && yarn cache clean",
            id="clean-of-one-package",
        ),
        pytest.param(
            "yarn install; yarn build",
            "yarn install; yarn build && yarn cache clean",
            id="semicolon-without-errexit",
        ),
        pytest.param(
            "if [ -f yarn.lock ]; then yarn install; fi",
            "if [ -f yarn.lock ]; then yarn install; fi && yarn cache clean",
            id="inside-if",
        ),
        pytest.param(
            "yarn install && (cd admin && yarn install)",
            "yarn install && (cd admin && yarn install) && yarn cache clean",
            id="several-one-clean",
        ),
        pytest.param(
            "yarn install && rm -rf /tmp/yarn-123",
            "yarn install && rm -rf /tmp/yarn-123 && yarn cache clean",
            id="rm-of-temp-files",
        ),
        pytest.param(
            "yarn install || true", "yarn install || true && yarn cache clean", id="or-true"
        ),
    ],
)
def test_fixes(run: str, expected: str) -> None:
    assert fix(f"{NODE}RUN {run}\n") == f"{NODE}RUN {expected}\n"


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(f"{NODE}RUN yarn install && yarn cache clean\n", id="clean"),
        pytest.param(f"{NODE}RUN yarn install && yarn cache clean --all\n", id="clean-flags"),
        pytest.param(
            f"{NODE}RUN yarn && rm -rf /usr/local/share/.cache/yarn/v6\n", id="rm-cache-dir"
        ),
        pytest.param(f'{NODE}RUN yarn && rm -rf "$(yarn cache dir)"\n', id="rm-yarn-cache-dir"),
        pytest.param(f"{NODE}RUN yarn && rm -rf ~/.cache\n", id="rm-home-cache"),
        pytest.param(
            f"{NODE}ENV YARN_CACHE_FOLDER=/yc\nRUN yarn && rm -rf /yc\n", id="rm-env-folder"
        ),
        pytest.param(
            f"{NODE}RUN yarn --cache-folder /tmp/yc && rm -rf /tmp/yc\n", id="rm-flag-folder"
        ),
        pytest.param(f"{NODE}RUN yarn --version && yarn -v && yarn --help\n", id="info"),
        pytest.param(f"{NODE}RUN yarn build && yarn run test && yarn test\n", id="scripts"),
        pytest.param(
            f"{NODE}RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn\n",
            id="mount-root",
        ),
        pytest.param(
            f"{NODE}RUN --mount=type=cache,target=/home/node/.cache/yarn,uid=1000 yarn\n",
            id="mount-user",
        ),
        pytest.param(f"{NODE}RUN --mount=type=cache,target=/root/.cache yarn\n", id="mount-parent"),
        pytest.param(
            f"{NODE}ENV YARN_CACHE_FOLDER=/yc\nRUN --mount=type=cache,target=/yc yarn\n",
            id="mount-env-folder",
        ),
        pytest.param(
            f"{NODE}RUN --mount=type=cache,target=/yc yarn install --cache-folder /yc\n",
            id="mount-flag-folder",
        ),
        pytest.param(f"{NODE}RUN yarn set version stable\nRUN yarn install\n", id="berry-version"),
        pytest.param(f"{NODE}RUN corepack enable && yarn install\n", id="berry-corepack"),
        pytest.param(f"{NODE}COPY .yarn ./.yarn\nRUN yarn install\n", id="berry-copied-dir"),
        pytest.param(f"{NODE}RUN yarn install --immutable\n", id="berry-immutable"),
        pytest.param(
            f"{NODE}ENV YARN_ENABLE_GLOBAL_CACHE=false\nRUN yarn install\n", id="berry-env"
        ),
        pytest.param(f"{NODE}ONBUILD RUN yarn install\n", id="onbuild"),
        pytest.param(f'{NODE}RUN ["yarn", "install"]\n', id="exec-form"),
    ],
)
def test_no_change(src: str) -> None:
    assert fix(src) == src
    assert not any(fixable for _, fixable in findings(src))


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        pytest.param("yarn --cache-folder /tmp/yc", "--cache-folder", id="cache-folder"),
        pytest.param("gosu node yarn install", "another user", id="gosu"),
        pytest.param("sudo -u node yarn install", "another user", id="sudo-u"),
        pytest.param("HOME=/tmp yarn install", "HOME", id="home-prefix"),
        pytest.param("yarn install && export HOME=/x", "HOME", id="home-changed-after"),
        pytest.param("yarn install && apk del .build-deps", "uninstall", id="apk-del-virtual"),
        pytest.param(
            "yarn install && apt-get purge -y --auto-remove curl", "uninstall", id="autoremove"
        ),
        pytest.param(
            "yarn install && npm uninstall -g yarn", "uninstall", id="npm-uninstall-global"
        ),
        pytest.param("yarn install && rm -f /usr/local/bin/yarn", "uninstall", id="rm-binary"),
        pytest.param("yarn install && exit 0", "exit", id="exit"),
    ],
)
def test_reported_without_fix(run: str, reason: str) -> None:
    src = f"{NODE}RUN {run}\n"
    assert fix(src) == src
    [(message, fixable)] = findings(src)
    assert not fixable
    assert reason in message


def test_one_finding_per_run() -> None:
    src = f"{NODE}RUN yarn install && yarn global add serve\nRUN yarn add x\n"
    assert [fixable for _, fixable in findings(src)] == [True, True]


def test_apk_del_of_named_packages_is_not_an_uninstall() -> None:
    src = f"{NODE}RUN yarn install && apk del curl\n"
    assert fix(src) == f"{NODE}RUN yarn install && apk del curl && yarn cache clean\n"


@pytest.mark.parametrize(
    "src",
    [
        # The copied project may hold a .yarnrc.yml whose yarnPath hands Yarn 1 over to
        # Yarn 2+: its `yarn cache clean` deletes the cache Plug'n'Play loads from.
        "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install\n",
        "FROM node:20\nCOPY --from=src /app /app\nWORKDIR /app\nRUN yarn\n",
        "FROM node:20\nRUN git clone https://example.com/app /app && cd /app && yarn install\n",
    ],
)
def test_a_project_out_of_sight_gets_no_fix(src: str) -> None:
    assert fix(src) == src
    (found,) = check_text(src, [yarn_cache_kept], SETTINGS)
    assert found.violation.fix is None
    assert found.violation.reason is not None
    assert found.violation.reason.slug == "yarn-project-unseen"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY package.json yarn.lock ./\nRUN yarn install\n",
            "FROM node:20\nWORKDIR /app\nCOPY package.json yarn.lock ./\n"
            "RUN yarn install && yarn cache clean\n",
            id="manifests copied by name",
        ),
        pytest.param(
            "FROM node:20\nCOPY . .\nRUN yarn global add serve\n",
            "FROM node:20\nCOPY . .\nRUN yarn global add serve && yarn cache clean\n",
            id="yarn global: Yarn 1 only",
        ),
    ],
)
def test_a_project_in_sight_keeps_the_fix(src: str, expected: str) -> None:
    assert fix(src) == expected


def test_a_later_offline_install_keeps_the_cache() -> None:
    src = (
        "FROM node:20\nWORKDIR /app\nCOPY package.json yarn.lock ./\nRUN yarn install\n"
        "RUN yarn add --offline left-pad\n"
    )
    first = check_text(src, [yarn_cache_kept], SETTINGS)[0].violation
    assert first.fix is None
    assert first.reason is not None
    assert first.reason.slug == "cache-read-later"
