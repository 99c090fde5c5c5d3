"""MF204 context_copied_before_install with a build context to read.

The golden fixtures run without a context (what the rule does when it cannot
read one); here the context is a dictionary of files, as the runner's reader
would return them, and one end-to-end run reads a real directory.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from manifesto.fixers import context_copied_before_install

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
NODE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n'
PYTHON = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
PACKAGE = '{"name": "x", "dependencies": {"express": "^4"}}'


def settings(files: dict[str, str] | None) -> EngineSettings:
    if files is None:
        return SETTINGS
    return replace(SETTINGS, read_context_file=files.get)


def fix(src: str, files: dict[str, str] | None) -> str:
    result = fix_text(src, [context_copied_before_install], settings(files))
    assert result.errors == ()
    return result.output


def finding(src: str, files: dict[str, str] | None) -> tuple[str, bool, str | None]:
    [found] = check_text(src, [context_copied_before_install], settings(files))
    v = found.violation
    return v.message, v.fix is not None, v.reason.slug if v.reason else None


def node_fixed(copy: str) -> str:
    return NODE.replace("COPY . .\nRUN npm ci\n", f"{copy}\nRUN npm ci\nCOPY . .\n")


@pytest.mark.parametrize(
    ("files", "copy"),
    [
        pytest.param(
            {"package.json": PACKAGE, "package-lock.json": "{}"},
            "COPY package.json package-lock.json ./",
            id="lock-present",
        ),
        pytest.param(
            {"package.json": PACKAGE}, "COPY package.json package-lock.json* ./", id="no-lock"
        ),
        pytest.param(
            {"package.json": PACKAGE, "package-lock.json": "{}", ".npmrc": "registry=x"},
            "COPY package.json package-lock.json .npmrc ./",
            id="npmrc",
        ),
        pytest.param(
            {
                "package.json": PACKAGE,
                "package-lock.json": "{}",
                ".dockerignore": "*.lock\n*lock.json\n",
            },
            "COPY package.json .",
            id="lock-ignored",
        ),
        pytest.param(
            {
                "package.json": PACKAGE,
                "package-lock.json": "{}",
                ".dockerignore": "*.json\n!package.json\n!package-lock.json\n",
            },
            "COPY package.json package-lock.json ./",
            id="ignore-exceptions",
        ),
        pytest.param(
            {"package.json": '{"scripts": {"start": "node .", "test": "jest"}}'},
            "COPY package.json package-lock.json* ./",
            id="scripts-that-do-not-run-on-install",
        ),
        pytest.param(None, "COPY package.json package-lock.json* ./", id="no-context"),
        pytest.param({}, "COPY package.json package-lock.json* ./", id="context-elsewhere"),
    ],
)
def test_npm(files: dict[str, str] | None, copy: str) -> None:
    expected = node_fixed(copy)
    assert fix(NODE, files) == expected
    assert fix(expected, files) == expected


@pytest.mark.parametrize(
    ("files", "slug", "words"),
    [
        pytest.param(
            {"package.json": '{"scripts": {"postinstall": "node build.js"}}'},
            "install-scripts",
            "package.json runs `postinstall` on install",
            id="postinstall",
        ),
        pytest.param(
            {"package.json": '{"scripts": {"prepare": "husky install"}}'},
            "install-scripts",
            "runs `prepare`",
            id="prepare",
        ),
        pytest.param(
            {"package.json": '{"dependencies": {"lib": "file:../lib"}}'},
            "install-needs-sources",
            "`lib: file:../lib`",
            id="file-dependency",
        ),
        pytest.param(
            {"package.json": '{"workspaces": ["packages/*"]}'},
            "install-needs-sources",
            "`workspaces`",
            id="workspaces",
        ),
        pytest.param(
            {"package.json": PACKAGE, ".dockerignore": "package.json\n"},
            "manifest-ignored",
            ".dockerignore excludes package.json",
            id="manifest-ignored",
        ),
        pytest.param(
            {"package.json": "{not json"}, "install-needs-sources", "not valid JSON", id="bad-json"
        ),
    ],
)
def test_npm_without_fix(files: dict[str, str], slug: str, words: str) -> None:
    message, fixable, reason = finding(NODE, files)
    assert not fixable
    assert reason == slug
    assert words in message
    assert fix(NODE, files) == NODE


def test_ignore_scripts_allows_the_fix_despite_install_scripts() -> None:
    src = NODE.replace("npm ci", "npm ci --ignore-scripts")
    files = {"package.json": '{"scripts": {"postinstall": "node build.js"}}'}
    assert fix(src, files) != src


def test_notes_say_what_was_not_checked() -> None:
    message, fixable, _ = finding(NODE, None)
    assert fixable
    assert "the build context was not read: package.json was not checked" in message
    assert "a node_modules directory in the context would now be copied" in message
    message, _, _ = finding(NODE, {})
    assert "package.json is not beside the Dockerfile" in message
    message, _, _ = finding(
        NODE, {"package.json": PACKAGE, ".dockerignore": "**/node_modules\n.git\n"}
    )
    assert "not checked" not in message
    assert "node_modules" not in message  # .dockerignore excludes it


@pytest.mark.parametrize(
    ("files", "copy"),
    [
        pytest.param(
            {"requirements.txt": "flask==3.0\n-r base.txt\n-c constraints.txt\n", "base.txt": "x"},
            "COPY requirements.txt base.txt constraints.txt ./",
            id="included-files",
        ),
        pytest.param(
            {"requirements.txt": "# pinned\nflask==3.0  # web\ngit+https://example.com/x.git\n"},
            "COPY requirements.txt .",
            id="plain",
        ),
    ],
)
def test_pip(files: dict[str, str], copy: str) -> None:
    expected = PYTHON.replace(
        "COPY . .\nRUN pip install -r requirements.txt\n",
        f"{copy}\nRUN pip install -r requirements.txt\nCOPY . .\n",
    )
    assert fix(PYTHON, files) == expected
    assert fix(expected, files) == expected


def test_requirement_files_included_in_one_word_are_copied_too() -> None:
    # pip reads `-rbase.txt` as `-r base.txt`: without base.txt the install fails
    files = {"requirements.txt": "-rbase.txt\n-cpins.txt\nflask\n", "base.txt": "x\n"}
    copied = "COPY requirements.txt base.txt pins.txt ./\nRUN pip install -r requirements.txt\n"
    assert fix(PYTHON, files) == PYTHON.replace(
        "COPY . .\nRUN pip install -r requirements.txt\n", copied + "COPY . .\n"
    )


def test_remote_requirement_files_are_not_copied() -> None:
    files = {"requirements.txt": "flask\n-c https://example.com/constraints.txt\n"}
    assert fix(PYTHON, files) == PYTHON.replace(
        "COPY . .\nRUN pip install -r requirements.txt\n",
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
    )


def test_an_editable_vcs_requirement_is_not_said_to_need_the_context() -> None:
    # pip checks it out into ./src: the order matters, but nothing of the context is read
    line = "-e git+https://example.com/x.git#egg=x"
    message, fixable, reason = finding(PYTHON, {"requirements.txt": f"{line}\n"})
    assert (fixable, reason) == (False, "install-writes-workdir")
    assert "needs other files" not in message and line in message


def test_an_included_requirement_file_that_dockerignore_excludes() -> None:
    files = {"requirements.txt": "-r dev.txt\n", "dev.txt": "pytest\n", ".dockerignore": "dev*"}
    message, fixable, reason = finding(PYTHON, files)
    assert (fixable, reason) == (False, "manifest-ignored")
    assert ".dockerignore excludes dev.txt" in message


@pytest.mark.parametrize(
    "line",
    [
        *("-e .", "./libs/shared", "--find-links ./wheels", "mylib @ file:///app/libs/mylib"),
        *(".", "-e.", "--index-url=file:///app/wheelhouse"),
    ],
)
def test_pip_requirements_that_need_the_sources(line: str) -> None:
    message, fixable, reason = finding(PYTHON, {"requirements.txt": f"flask\n{line}\n"})
    assert not fixable
    assert reason == "install-needs-sources"
    assert line in message


@pytest.mark.parametrize(
    ("src", "files", "slug"),
    [
        pytest.param(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n",
            {"go.mod": "module x\n\nreplace example.com/y => ./y\n"},
            "install-needs-sources",
            id="go-replace",
        ),
        pytest.param(
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n",
            {"go.mod": "module x\n", "go.work": "go 1.22\n"},
            "install-needs-sources",
            id="go-work",
        ),
        pytest.param(
            "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
            {"Gemfile": "source 'https://rubygems.org'\ngemspec\n"},
            "install-needs-sources",
            id="gemspec",
        ),
        pytest.param(
            "FROM maven:3\nWORKDIR /app\nCOPY . .\nRUN mvn dependency:go-offline\n",
            {"pom.xml": "<project><modules><module>a</module></modules></project>"},
            "install-needs-sources",
            id="maven-modules",
        ),
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn\n",
            {"package.json": PACKAGE, ".yarnrc.yml": "yarnPath: .yarn/releases/yarn.cjs\n"},
            "install-needs-sources",
            id="yarn-berry",
        ),
        pytest.param(
            "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
            {"Gemfile": "source 'https://rubygems.org'\nruby file: '.ruby-version'\n"},
            "install-needs-sources",
            id="gemfile-ruby-file",
        ),
        pytest.param(
            "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
            {"Gemfile": "source 'https://rubygems.org'\nruby File.read('.ruby-version').strip\n"},
            "install-needs-sources",
            id="gemfile-file-read",
        ),
        pytest.param(
            "FROM composer:2\nWORKDIR /app\nCOPY . .\n"
            "RUN composer install --no-scripts --no-autoloader\n",
            {"composer.json": '{"repositories": [{"type": "path", "url": "packages/*"}]}'},
            "install-needs-sources",
            id="composer-path-repository",
        ),
        pytest.param(
            "FROM maven:3\nWORKDIR /app\nCOPY . .\nRUN cd api && mvn dependency:go-offline\n",
            {
                "pom.xml": "<project><modules><module>api</module></modules></project>",
                "api/pom.xml": "<project><parent><artifactId>root</artifactId></parent></project>",
            },
            "install-needs-sources",
            id="maven-parent-in-the-context",
        ),
    ],
)
def test_other_ecosystems_without_fix(src: str, files: dict[str, str], slug: str) -> None:
    _, fixable, reason = finding(src, files)
    assert not fixable
    assert reason == slug


def test_a_maven_parent_from_the_repository_keeps_the_fix() -> None:
    src = "FROM maven:3\nWORKDIR /app\nCOPY . .\nRUN mvn dependency:go-offline\n"
    pom = "<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent></project>"
    assert fix(src, {"pom.xml": pom}) == (
        "FROM maven:3\nWORKDIR /app\nCOPY pom.xml .\nRUN mvn dependency:go-offline\nCOPY . .\n"
    )


def test_go_with_a_readable_context_copies_go_sum_by_name() -> None:
    src = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n"
    files = {"go.mod": "module x\n\nrequire example.com/y v1.0.0\n", "go.sum": "..."}
    assert fix(src, files) == (
        "FROM golang:1.22\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n"
    )


@pytest.mark.parametrize(
    ("between", "fixable"),
    [
        pytest.param("ENV NODE_ENV=production\nUSER node\n", True, id="env-and-user"),
        pytest.param("RUN apt-get update && apt-get install -y git\n", True, id="apt-by-name"),
        pytest.param("RUN npm install -g pnpm@9\n", True, id="global-tool"),
        pytest.param("RUN rm -rf /app/tests\n", False, id="deletes-sources"),
        pytest.param("RUN chmod +x /app/bin/start\n", False, id="changes-sources"),
        pytest.param("RUN make\n", False, id="build"),
        pytest.param("VOLUME /app\n", False, id="volume"),
    ],
)
def test_what_may_stand_between(between: str, fixable: bool) -> None:
    src = NODE.replace("COPY . .\n", "COPY . .\n" + between)
    assert finding(src, None)[1] is fixable


def test_cd_at_the_start_of_the_install_run() -> None:
    src = "FROM python:3.12\nCOPY . /srv/app\nRUN cd /srv/app && pip install -r requirements.txt\n"
    assert fix(src, None) == (
        "FROM python:3.12\nCOPY requirements.txt /srv/app/\n"
        "RUN cd /srv/app && pip install -r requirements.txt\nCOPY . /srv/app\n"
    )


def test_an_install_that_reads_elsewhere_is_not_reported() -> None:
    src = "FROM python:3.12\nCOPY . /app\nRUN pip install -r /tmp/requirements.txt\n"
    assert check_text(src, [context_copied_before_install], SETTINGS) == []


def test_the_cli_reads_the_dockerfile_directory(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(NODE)
    (tmp_path / "package.json").write_text(PACKAGE)
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / ".dockerignore").write_text("node_modules\n")
    command = [sys.executable, "-m", "manifesto", "fix", "--diff", "--unsafe-fixes"]
    out = subprocess.run(
        [*command, "--select", "MF204", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1, out.stderr
    assert "+COPY package.json package-lock.json ./" in out.stdout
    (tmp_path / "package.json").write_text('{"scripts": {"postinstall": "tsc"}}')
    out = subprocess.run(
        [sys.executable, "-m", "manifesto", "check", "--select", "MF204", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "package.json runs `postinstall` on install" in out.stdout
