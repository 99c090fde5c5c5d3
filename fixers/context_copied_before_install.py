"""## What it does

Finds a `COPY` of the whole build context (`COPY . .`, `COPY ./ /app`,
`COPY * ./`) followed, in its stage, by a dependency install that needs only
the project's manifest, and rewrites the pair to copy the manifest, install,
then copy the rest: the COPY of the whole context moves after the install RUN,
and a COPY of just the manifests to the same destination takes its place (the
`--chown`, `--chmod` and `--link` flags are kept on both).

The installs recognised, and what they need:

- `pip install -r requirements.txt` (`pip3`, `python -m pip`): the requirement
  and constraint files (`-r`, `-c`, and those they include);
- `npm ci`, `npm install` (no package named): `package.json`,
  `package-lock.json` (`npm-shrinkwrap.json` and `.npmrc` when present);
- `yarn`, `yarn install`: `package.json`, `yarn.lock` (`.npmrc`, `.yarnrc`);
- `pnpm install`: `package.json`, `pnpm-lock.yaml` (`.npmrc`);
- `go mod download`: `go.mod`, `go.sum`;
- `bundle install`: `Gemfile`, `Gemfile.lock`;
- `mvn dependency:go-offline` (or `dependency:resolve`): `pom.xml`;
- `composer install --no-scripts --no-autoloader`: `composer.json`, `composer.lock`.

When the build context (the Dockerfile's directory) can be read, the manifest is
read too (at most 256 KiB, never outside the tree), and there is no fix when the
install would need more of the context: `package.json` install scripts
(`preinstall`, `install`, `postinstall`, `prepare`) without `--ignore-scripts`,
`file:`/`link:`/`workspace:` dependencies or `workspaces`; a requirement file
with `-e`, a local path or `--find-links` to a directory; a `go.mod` `replace`
by a local directory, or a `go.work`; a `Gemfile` with `gemspec`, `path:` or
`eval_gemfile`, or a `.bundle/config`; a `pom.xml` with `<modules>`, or a
`.mvn/` configuration; a `pnpm-workspace.yaml` or `.yarnrc.yml`. A manifest that
`.dockerignore` excludes gets no fix either. A lock file is copied by its name
when the context shows it, and otherwise with a glob, `package-lock.json*`: a
COPY fails on a missing source named plainly, while a glob that matches nothing
beside another source copies nothing. When the context cannot be read (stdin,
or the manifest is not beside the Dockerfile because the build context is
elsewhere) the message says what was not checked.

## Why

Each layer is rebuilt when what it was built from changes. After `COPY . .`
every edit to any source file changes the copied layer, so the install after it
runs again, downloading every dependency, although only the manifest matters to
it. Copying the manifest first keeps the install layer cached until the
dependencies change.

## Example

Before:

    FROM node:20-bookworm-slim
    WORKDIR /app
    COPY . .
    RUN npm ci --omit=dev
    CMD ["node", "server.js"]

After:

    FROM node:20-bookworm-slim
    WORKDIR /app
    COPY package.json package-lock.json* ./
    RUN npm ci --omit=dev
    COPY . .
    CMD ["node", "server.js"]

## Fix safety

Unsafe: the install now runs without the sources, and the sources land on top
of what it installed. That is equivalent only when the install reads nothing but
the manifests, which the rule proves from the command and, where it can read
them, the manifests; it cannot see what a package manager reads from elsewhere
in the context (a `.pip/pip.conf`, an `.npmrc` when the context cannot be read).
A `node_modules` or `vendor` directory in the context would now be copied over
the installed one (the message says so when `.dockerignore` does not exclude
it). No fix either when, between the COPY and the install, a RUN may read the
sources (only RUNs proven not to, package installs by name, say, are allowed), a
COPY or ADD writes (the order of writes would change), or a WORKDIR moves a
relative destination; when the install RUN runs other commands that may read the
sources; when the COPY has `--exclude` or `--parents`.

## Caveats

Not recognised: `pip install .` and `-e .` (a build needs the sources), Poetry,
Pipenv, uv, Cargo (`cargo fetch` needs `src/main.rs` or `src/lib.rs`), Gradle,
`mvn package`, `./mvnw`, and composer without `--no-scripts --no-autoloader`
(its scripts and autoloader read the sources). Only the first install after the
COPY is considered; the next pass handles the next one. ADD, `COPY --from` and
exec-form COPY are left alone, as are Windows stages, ONBUILD, heredoc RUNs and
scripts the shell parser rejects.

## Related

None in hadolint or BuildKit: this is layering, not style.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from manifesto.fixers._working_dir import (
    command_ignores_workdir,
    copy_destination,
    first_cd,
    literal_path,
    relative_mount,
    workdir_before,
)

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import buildkit_value, is_json
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word

INFO = RuleInfo(
    code="MF204",
    name="context_copied_before_install",
    title="Copy the dependency manifests, install, then copy the rest of the context",
    applicability=Applicability.UNSAFE,
    doc=__doc__ or "",
)

Reader = Callable[[str], str | None]

_WHOLE_CONTEXT = frozenset({".", "./", "*"})
_KEPT_FLAGS = frozenset({"chown", "chmod", "link"})
_UNKNOWN_CWD = "/\0cwd"
"""Stands for a working directory the file does not name: paths joined to it
compare equal only with paths joined to the same unknown directory."""

_PIP = re.compile(r"pip[0-9.]*")
_PYTHON = re.compile(r"python[0-9.]*")
_PIP_VALUE_OPTIONS = frozenset(
    {
        *("-i", "--index-url", "--extra-index-url", "--trusted-host", "-t", "--target"),
        *("--prefix", "--root", "--platform", "--python-version", "--implementation", "--abi"),
        *("--progress-bar", "--cache-dir", "--upgrade-strategy", "--log", "--proxy"),
        *("--retries", "--timeout", "--exists-action", "--cert", "--client-cert"),
        *("--only-binary", "--no-binary", "--report", "--config-settings", "-C"),
        *("--global-option", "--install-option", "--src", "--python"),
    }
)
_NPM_INSTALLS = frozenset({"ci", "clean-install", "install", "i", "isntall"})
_NPM_VALUE_OPTIONS = frozenset({"--omit", "--only", "--include", "--loglevel", "--registry"})
_NPM_SCRIPTS = (
    *("preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"),
    "prepublish",
)
"""Root-package lifecycle scripts ``npm install``/``ci``, yarn and pnpm run."""
_DEPENDENCY_FIELDS = (
    *("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"),
    "resolutions",
    "overrides",
)
_LOCAL_SPEC = re.compile(r"(?:file|link|portal|workspace):|\.{0,2}/")
_MAVEN_GOALS = frozenset(
    {"dependency:go-offline", "dependency:resolve", "dependency:resolve-plugins"}
)
_MAVEN_VALUE_OPTIONS = frozenset({"-s", "--settings", "-gs", "--global-settings", "-P", "-T"})
_MAVEN_PROJECT_OPTIONS = frozenset({"-pl", "--projects", "-am", "-amd", "-rf", "--resume-from"})
_BUNDLE_VALUE_OPTIONS = frozenset(
    {"--jobs", "-j", "--retry", "--without", "--with", "--binstubs", "--shebang", "--trust-policy"}
)


@dataclass(frozen=True, slots=True)
class _Install:
    """A recognised install: its command and the files it reads, as written."""

    command: Command
    ecosystem: str
    tool: str
    """How the message names it: ``npm ci``, ``pip install -r``."""
    manifests: tuple[str, ...]
    """Paths relative to the install's working directory, main manifest first."""
    problem: str | None = None
    """Why it needs more than the manifests, seen from the command alone."""
    ignore_scripts: bool = False


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the manifest COPY copies, and what the message must add."""

    sources: tuple[str, ...]
    notes: tuple[str, ...]


class _NoFix(Exception):
    """The reason the pair cannot be reordered, in the words of the finding."""


class _Unrelated(Exception):
    """The install reads its manifest from elsewhere than the copied context."""


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for stage in ctx.stages:
        body = stage.instructions
        for position, ins in enumerate(body):
            if not _copies_whole_context(ins) or ctx.windows_at(ins):
                continue
            found = _assess(ctx, tree, body, position)
            if found is not None:
                yield found


def _copies_whole_context(ins: Instruction) -> bool:
    if ins.keyword != "COPY" or ins.flag("from") is not None or is_json(ins):
        return False
    values, _ = buildkit_value(ins)
    return len(values) == 2 and values[0] in _WHOLE_CONTEXT


def _assess(
    ctx: FixContext, tree: Dockerfile, body: tuple[Instruction, ...], position: int
) -> Violation | None:
    copy = body[position]
    between: list[Instruction] = []
    found: tuple[Instruction, ShellScript, _Install] | None = None
    for later in body[position + 1 :]:
        if later.keyword == "RUN":
            found = _find_install(ctx, later)
            if found is not None:
                break
        if later.keyword == "COPY" and _copies_whole_context(later):
            return None
        between.append(later)
    if found is None:
        return None
    run, script, install = found
    source, destination = buildkit_value(copy)[0]
    headline = (
        f"`COPY {source}` (line {copy.start_line}) comes before `{install.tool}`"
        f" (line {run.start_line}), which needs only"
    )
    try:
        if run.continues_at_end:
            raise _NoFix(
                "the install RUN ends the file inside a continuation: the COPY moved after"
                " it would be read as part of it"
            )
        manifests, directory = _manifests_in_context(ctx, copy, run, script, install, between)
        plan = _plan(ctx.read_context_file, install, manifests, directory)
        _check_neighbours(ctx, copy, run, script, install, between, destination)
    except _Unrelated:
        return None
    except _NoFix as refused:
        reason = str(refused)
        names = ", ".join(install.manifests) or "its manifest"
        return Violation(
            INFO.code,
            f"{headline} {names}: {reason}",
            copy.start,
            copy.content_end,
            None,
            no_fix(reason),
        )
    listed = " and ".join(_plain(s) for s in plan.sources)
    message = f"{headline} {listed}: every change to the sources reinstalls the dependencies"
    if plan.notes:
        message += " (" + "; ".join(plan.notes) + ")"
    edits = (
        Edit(copy.args.start, copy.content_end, _copy_args(plan.sources, destination, directory)),
        _after(run, copy),
    )
    return Violation(
        INFO.code,
        message,
        copy.start,
        copy.content_end,
        Fix(
            f"Copy {listed} first, install, then copy the rest",
            edits,
            Applicability.UNSAFE,
        ),
    )


# --------------------------------------------------------------------------- installs


def _find_install(
    ctx: FixContext, run: Instruction
) -> tuple[Instruction, ShellScript, _Install] | None:
    if is_json(run):
        return None
    script = ctx.shell(run)
    if script is None or script.has_errors or script.heredocs:
        return None
    for command in script.commands:
        install = _recognise(command)
        if install is not None:
            return run, script, install
    return None


def _recognise(command: Command) -> _Install | None:
    program = command.program
    if program is None or command.effective_name is not command.name:
        return None
    args = command.effective_args
    if any(w.value is None for w in args):
        return None
    values = [w.value or "" for w in args]
    if _PIP.fullmatch(program):
        return _pip(command, values)
    if _PYTHON.fullmatch(program) and values[:2] == ["-m", "pip"]:
        return _pip(command, values[2:])
    if program == "npm":
        return _node(command, "npm", values, "package-lock.json")
    if program == "yarn":
        return _node(command, "yarn", values, "yarn.lock")
    if program == "pnpm":
        return _node(command, "pnpm", values, "pnpm-lock.yaml")
    if program == "go" and values[:2] == ["mod", "download"]:
        if any(not v.startswith("-") for v in values[2:]):
            return None  # modules named: not the project's own list
        return _Install(command, "go", "go mod download", ("go.mod", "go.sum"))
    if program == "bundle" and values[:1] == ["install"]:
        return _bundle(command, values[1:])
    if program == "mvn":
        return _maven(command, values)
    if program == "composer" and values[:1] == ["install"]:
        return _composer(command, values[1:])
    return None


def _pip(command: Command, values: Sequence[str]) -> _Install | None:
    if not values or values[0] != "install":
        return None
    files: list[str] = []
    problem: str | None = None
    rest = list(values[1:])
    while rest:
        word = rest.pop(0)
        option, eq, attached = word.partition("=")
        if option in ("-r", "--requirement", "-c", "--constraint"):
            value = attached if eq else (rest.pop(0) if rest else "")
            if not _remote(value):
                files.append(value)
        elif word.startswith(("-r", "-c")) and len(word) > 2 and not word.startswith("--"):
            if not _remote(word[2:]):
                files.append(word[2:])
        elif option in ("-e", "--editable") or (word.startswith("-e") and word[2:3] != "-"):
            value = attached if eq else word[2:] if word[2:] else (rest.pop(0) if rest else "")
            problem = problem or _editable_problem(value)
        elif option in ("-f", "--find-links"):
            value = attached if eq else (rest.pop(0) if rest else "")
            if "://" not in value:
                problem = f"`--find-links {value}` reads a directory of the context"
        elif option in _PIP_VALUE_OPTIONS:
            if not eq and rest:
                rest.pop(0)
        elif word.startswith("-"):
            continue
        elif _local_requirement(word):
            problem = f"`pip install {word}` installs from the sources"
    if not files:
        return None
    if any(literal_path(f) is None for f in files):
        problem = problem or "a requirement file is not named by a literal path"
    return _Install(command, "pip", "pip install -r", tuple(files), problem)


def _remote(value: str) -> bool:
    """A requirement or constraint file pip downloads (``-r https://...``): not read
    from the context."""
    return "://" in value and not value.startswith("file:")


def _editable_problem(value: str) -> str:
    if "://" in value and not value.startswith("file:"):
        # pip checks a VCS URL out into ./src (outside a virtualenv): the sources copied
        # afterwards would land on top of it
        return f"`-e {value}` checks a project out into the working directory"
    return "`pip install -e` installs a project from the sources"


def _local_requirement(word: str) -> bool:
    return (
        word.startswith((".", "/", "~", "file:"))
        or word.endswith((".whl", ".tar.gz", ".zip"))
        or ("/" in word and "://" not in word and "@" not in word)
    )


def _node(command: Command, tool: str, values: Sequence[str], lock: str) -> _Install | None:
    positional: list[str] = []
    skip = False
    for value in values:
        if skip:
            skip = False
            continue
        if value.startswith("-"):
            skip = value in _NPM_VALUE_OPTIONS
            if value in ("--prefix", "-C", "--dir", "-w", "--workspace", "--cwd", "-g", "--global"):
                return None  # installs elsewhere than the working directory
            continue
        positional.append(value)
    if tool == "yarn" and positional in ([], ["install"]):
        subcommand = "install"
    elif (tool == "npm" and len(positional) == 1 and positional[0] in _NPM_INSTALLS) or (
        tool == "pnpm" and positional in (["install"], ["i"])
    ):
        subcommand = positional[0]
    else:
        return None  # a package named, or another subcommand
    ignore = "--ignore-scripts" in values
    name = f"{tool} {subcommand}" if positional else tool
    return _Install(command, tool, name, ("package.json", lock), ignore_scripts=ignore)


def _bundle(command: Command, values: Sequence[str]) -> _Install | None:
    if any(v in ("--gemfile", "--path") or v.startswith("--gemfile=") for v in values):
        return None  # another Gemfile, or gems written into the working tree
    rest = list(values)
    while rest:
        word = rest.pop(0)
        if word in _BUNDLE_VALUE_OPTIONS:
            if rest:
                rest.pop(0)
        elif not word.startswith("-"):
            return None
    return _Install(command, "bundler", "bundle install", ("Gemfile", "Gemfile.lock"))


def _maven(command: Command, values: Sequence[str]) -> _Install | None:
    goals: list[str] = []
    problem: str | None = None
    rest = list(values)
    while rest:
        word = rest.pop(0)
        if word in ("-f", "--file"):
            if (rest.pop(0) if rest else "") not in ("pom.xml", "./pom.xml"):
                return None
        elif word in _MAVEN_PROJECT_OPTIONS:
            problem = f"`mvn {word}` builds modules of a multi-module project"
        elif word in _MAVEN_VALUE_OPTIONS:
            value = rest.pop(0) if rest else ""
            if word in ("-s", "--settings", "-gs", "--global-settings") and not value.startswith(
                "/"
            ):
                problem = f"`mvn {word} {value}` reads a settings file of the context"
        elif not word.startswith("-"):
            goals.append(word)
    if not goals or any(g not in _MAVEN_GOALS for g in goals):
        return None
    return _Install(command, "maven", f"mvn {goals[0]}", ("pom.xml",), problem)


def _composer(command: Command, values: Sequence[str]) -> _Install | None:
    if any(not v.startswith("-") for v in values):
        return None
    problem = None
    if "--no-scripts" not in values or "--no-autoloader" not in values:
        problem = (
            "composer install runs the project's scripts and writes its autoloader, which"
            " read the sources: install with --no-scripts --no-autoloader, then run"
            " `composer dump-autoload` after copying the sources"
        )
    return _Install(
        command,
        "composer",
        "composer install",
        ("composer.json", "composer.lock"),
        problem,
        ignore_scripts="--no-plugins" in values,
    )


# --------------------------------------------------------------------------- paths


def _manifests_in_context(
    ctx: FixContext,
    copy: Instruction,
    run: Instruction,
    script: ShellScript,
    install: _Install,
    between: Sequence[Instruction],
) -> tuple[tuple[str, ...], str]:
    """The install's manifests as paths of the build context, and the directory of the
    context they are in ("" for its root). Raises :class:`_NoFix`."""
    unexpected = sorted({f.name for f in copy.flags} - _KEPT_FLAGS)
    if unexpected:
        raise _NoFix(f"the COPY has --{unexpected[0]}, which the rule does not move")
    destination = literal_path(copy_destination(copy))
    if destination is None:
        raise _NoFix("the COPY destination is not a literal path")
    if install.problem is not None:
        raise _NoFix(install.problem)
    copy_cwd = workdir_before(ctx, copy) or _UNKNOWN_CWD
    run_cwd = copy_cwd
    for item in between:
        if item.keyword != "WORKDIR":
            continue
        if not destination.startswith("/"):
            raise _NoFix(
                f"line {item.start_line} (WORKDIR) between the COPY and the install changes"
                " where the relative destination goes"
            )
        values, _ = buildkit_value(item)
        path = literal_path(values[0]) if len(values) == 1 else None
        if path is None:
            raise _NoFix(f"line {item.start_line} (WORKDIR) between the COPY and the install"
                         " is not a literal path")  # fmt: skip
        run_cwd = posixpath.normpath(posixpath.join(run_cwd, path))
    cd = first_cd(script)
    if cd is not None and cd is not install.command:
        target = literal_path(cd.args[0].value) if len(cd.args) == 1 else None
        if target is None or cd.operator_after != "&&":
            raise _NoFix("the install RUN starts with a `cd` the rule cannot follow")
        run_cwd = posixpath.normpath(posixpath.join(run_cwd, target))
    copied_to = posixpath.normpath(posixpath.join(copy_cwd, destination))
    out: list[str] = []
    for manifest in install.manifests:
        where = posixpath.normpath(posixpath.join(run_cwd, manifest))
        inside = posixpath.relpath(where, copied_to) if where.startswith("/") else ".."
        if inside == ".." or inside.startswith("../") or inside == ".":
            raise _Unrelated
        out.append(inside)
    directories = {posixpath.dirname(p) for p in out}
    if len(directories) != 1:
        raise _NoFix("the manifests are not all in one directory of the context")
    directory = directories.pop()
    source = buildkit_value(copy)[0][0]
    if source == "*" and directory:
        raise _NoFix("the manifests are not all in one directory of the context (`COPY *`"
                     " flattens the directories it copies)")  # fmt: skip
    return tuple(out), directory


# --------------------------------------------------------------------------- the context


def _plan(
    read: Reader | None, install: _Install, manifests: tuple[str, ...], directory: str
) -> _Plan:
    """The files the manifest COPY names, and notes for the message. Raises :class:`_NoFix`
    when the context shows the install needs more than them."""
    main, *locks = manifests
    notes: list[str] = []
    main_text = read(main) if read is not None else None
    if read is None:
        notes.append(f"the build context was not read: {_unchecked(install)}")
    elif main_text is None:
        notes.append(
            f"{main} is not beside the Dockerfile (the build context is elsewhere?):"
            f" {_unchecked(install)}"
        )
    context = read if main_text is not None else None
    ignored = _ignore_patterns(context)
    sources: list[str] = [main]
    if install.ecosystem == "pip":
        sources = list(_requirement_files(context, manifests))
    for name in sources:
        if _ignored(ignored, name):
            raise _NoFix(f".dockerignore excludes {name}, which the install reads")
    if install.ecosystem != "pip":
        _check_manifest(context, install, main, main_text, directory)
        for lock in locks:
            sources.append(_exact_or_glob(context, ignored, lock))
        sources += _present_extras(context, ignored, install, directory)
    sources = [s for s in sources if s]
    if len({posixpath.dirname(s) for s in sources}) != 1:
        raise _NoFix("the manifests are not all in one directory of the context")
    vendored = {"npm": "node_modules", "yarn": "node_modules", "pnpm": "node_modules"}.get(
        install.ecosystem, "vendor" if install.ecosystem == "composer" else None
    )
    if vendored is not None and not _ignored(ignored, _join(directory, vendored)):
        notes.append(
            f"a {vendored} directory in the context would now be copied over the installed"
            " one: list it in .dockerignore"
        )
    return _Plan(tuple(sources), tuple(notes))


def _unchecked(install: _Install) -> str:
    return {
        "pip": "the requirement files were not checked for `-r`, `-e` or local paths",
        "npm": "package.json was not checked for install scripts or local dependencies",
        "yarn": "package.json was not checked for install scripts or local dependencies",
        "pnpm": "package.json was not checked for install scripts or local dependencies",
        "go": "go.mod was not checked for local `replace` directives",
        "bundler": "the Gemfile was not checked for `gemspec` or `path:` gems",
        "maven": "pom.xml was not checked for modules",
        "composer": "composer.json was not checked for plugins",
    }[install.ecosystem]


def _join(directory: str, name: str) -> str:
    return posixpath.join(directory, name) if directory else name


def _exact_or_glob(
    read: Reader | None, ignored: list[tuple[bool, re.Pattern[str]]], name: str
) -> str:
    """``name`` when the context shows it; a glob matching it or nothing when it cannot
    tell (too large to read, or no context). Left out when .dockerignore excludes it."""
    if read is not None and _ignored(ignored, name):
        return ""
    if read is not None and read(name) is not None:
        return name
    return name + "*"


def _present_extras(
    read: Reader | None,
    ignored: list[tuple[bool, re.Pattern[str]]],
    install: _Install,
    directory: str,
) -> list[str]:
    if read is None:
        return []
    wanted = {
        "npm": ("npm-shrinkwrap.json", ".npmrc"),
        "yarn": (".npmrc", ".yarnrc"),
        "pnpm": (".npmrc",),
    }.get(install.ecosystem, ())
    out: list[str] = []
    for name in wanted:
        path = _join(directory, name)
        if read(path) is not None and not _ignored(ignored, path):
            out.append(path)
    return out


def _check_manifest(
    read: Reader | None, install: _Install, main: str, text: str | None, directory: str
) -> None:
    if read is None or text is None:
        return
    ecosystem = install.ecosystem
    for name, why in _BLOCKING_FILES.get(ecosystem, ()):
        if read(_join(directory, name)) is not None:
            raise _NoFix(f"{main} needs other files of the context ({name}: {why})")
    if ecosystem in ("npm", "yarn", "pnpm"):
        _check_package_json(install, main, text)
    elif ecosystem == "go":
        local = re.search(r"=>\s*(\.{1,2}/|/)\S*", text)
        if local is not None:
            raise _NoFix(f"{main} needs other files of the context (`replace ... {local.group()}`)")
    elif ecosystem == "bundler":
        found = re.search(
            r"^\s*(gemspec|eval_gemfile)\b|\bpath:|:path\s*=>|require_relative|__dir__"
            r"|\bfile:|:file\s*=>|\b(?:File|IO|Dir)\.",
            text,
            re.M,
        )
        if found is not None:
            raise _NoFix(f"{main} needs other files of the context (`{found.group().strip()}`)")
    elif ecosystem == "maven":
        if "<modules>" in text:
            raise _NoFix(f"{main} needs other files of the context (`<modules>`)")
        parent = _local_parent(text, directory)
        if parent is not None and read(parent) is not None:
            raise _NoFix(f"{main} needs other files of the context (its `<parent>`, {parent})")
    elif ecosystem == "composer" and (
        local := re.search(r'"type"\s*:\s*"(?:path|artifact)"', text)
    ):
        raise _NoFix(f"{main} needs other files of the context (`{local.group()}` repository)")
    elif (
        ecosystem == "composer"
        and not install.ignore_scripts
        and re.search(r'"allow-plugins"\s*:\s*(true|\{[^}]*true)', text)
    ):
        raise _NoFix(
            f"{main} allows plugins, which run on install and may read the sources"
            " (add --no-plugins)"
        )


_BLOCKING_FILES: dict[str, tuple[tuple[str, str], ...]] = {
    "yarn": ((".yarnrc.yml", "Yarn 2+ reads .yarn/ too"),),
    "pnpm": (("pnpm-workspace.yaml", "a workspace"),),
    "go": (("go.work", "a workspace"),),
    "bundler": ((".bundle/config", "Bundler's configuration"),),
    "maven": (
        (".mvn/maven.config", "Maven's configuration"),
        (".mvn/extensions.xml", "Maven extensions"),
        (".mvn/jvm.config", "Maven's configuration"),
    ),
}


def _local_parent(text: str, directory: str) -> str | None:
    """The context path of the parent POM Maven reads before the repository: its
    ``<relativePath>`` (default ``../pom.xml``) joined to the manifest's directory;
    None when there is no ``<parent>``, an empty ``<relativePath/>`` (the repository
    only) or a path that leaves the context."""
    block = re.search(r"<parent>(.*?)</parent>", text, re.S)
    if block is None:
        return None
    given = re.search(r"<relativePath\s*(?:/>|>([^<]*)</relativePath>)", block.group(1))
    relative = "../pom.xml" if given is None else (given.group(1) or "").strip()
    if not relative:
        return None
    path = posixpath.normpath(posixpath.join(directory or ".", relative))
    if not path.endswith(".xml"):
        path = posixpath.join(path, "pom.xml")
    return None if path.startswith("../") or path == ".." else path


def _check_package_json(install: _Install, main: str, text: str) -> None:
    try:
        package = json.loads(text)
    except ValueError:
        raise _NoFix(f"{main} is not valid JSON") from None
    if not isinstance(package, dict):
        raise _NoFix(f"{main} is not a JSON object")
    scripts = package.get("scripts")
    if isinstance(scripts, dict) and not install.ignore_scripts:
        run = [s for s in _NPM_SCRIPTS if s in scripts]
        if run:
            raise _NoFix(f"{main} runs `{run[0]}` on install, which may need the sources")
    if "workspaces" in package:
        raise _NoFix(f"{main} needs other files of the context (`workspaces`)")
    for field in _DEPENDENCY_FIELDS:
        deps = package.get(field)
        if not isinstance(deps, dict):
            continue
        for name, spec in deps.items():
            if isinstance(spec, str) and _LOCAL_SPEC.match(spec):
                raise _NoFix(f"{main} needs other files of the context (`{name}: {spec}`)")


def _requirement_files(read: Reader | None, files: tuple[str, ...]) -> tuple[str, ...]:
    """The requirement files and those they include (``-r``, ``-c``), in order; raises
    :class:`_NoFix` when one installs from the context."""
    out: list[str] = []
    todo = list(files)
    while todo and len(out) < 50:
        path = todo.pop(0)
        if path in out:
            continue
        out.append(path)
        text = read(path) if read is not None else None
        if text is None:
            continue
        for included in _requirement_lines(path, text):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), included)))
    return tuple(out)


def _requirement_lines(path: str, text: str) -> Iterator[str]:
    for raw in text.replace("\\\n", " ").splitlines():
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if not line:
            continue
        words = line.split()
        option, eq, attached = words[0].partition("=")
        value = attached if eq else (words[1] if len(words) > 1 else "")
        if re.fullmatch(r"-[rce][^-].*", words[0]):  # ``-rbase.txt``, ``-e.``: one word
            option, value = words[0][:2], words[0][2:]
        if option in ("-r", "--requirement", "-c", "--constraint"):
            if _remote(value):
                continue
            if literal_path(value) is None or value.startswith("/"):
                raise _NoFix(f"{path} includes `{line}`, which the rule cannot follow")
            yield value
        elif option in ("-e", "--editable") and _remote(value):
            raise _NoFix(f"{path}: {_editable_problem(value)}")
        elif _local_line(option, value, line):
            raise _NoFix(f"{path} needs other files of the context (`{line}`)")


def _local_line(option: str, value: str, line: str) -> bool:
    """A requirement line that installs from the context: ``-e``, ``--find-links`` to a
    directory, a path, ``name @ file:...``."""
    if option in ("-e", "--editable"):
        return True
    if option in ("-f", "--find-links"):
        return "://" not in value
    if option in ("-i", "--index-url", "--extra-index-url"):
        return value.startswith("file:")  # a local index: a directory of the context
    if line.startswith("-"):
        return False
    return _local_requirement(line.split()[0]) or bool(re.search(r"@\s*(?:file:|\.)", line))


# --------------------------------------------------------------------------- .dockerignore


def _ignore_patterns(read: Reader | None) -> list[tuple[bool, re.Pattern[str]]]:
    """The context's .dockerignore as (exception, pattern) pairs, in order."""
    text = read(".dockerignore") if read is not None else None
    if text is None:
        return []
    out: list[tuple[bool, re.Pattern[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = posixpath.normpath(line[1:].strip() if exception else line).lstrip("/")
        if pattern in ("", "."):
            continue
        out.append((exception, re.compile(_glob_regex(pattern))))
    return out


def _glob_regex(pattern: str) -> str:
    """Go's filepath.Match with BuildKit's ``**``, as a regular expression."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            if pattern.startswith("/", i):
                out.append("/?")
                i += 1
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _ignored(patterns: list[tuple[bool, re.Pattern[str]]], path: str) -> bool:
    """Whether .dockerignore leaves ``path`` out: the last pattern that matches it or a
    directory above it decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for exception, pattern in patterns:
        if any(pattern.fullmatch(p) for p in prefixes):
            excluded = not exception
    return excluded


# --------------------------------------------------------------------------- neighbours


def _check_neighbours(
    ctx: FixContext,
    copy: Instruction,
    run: Instruction,
    script: ShellScript,
    install: _Install,
    between: Sequence[Instruction],
    destination: str,
) -> None:
    """Raise :class:`_NoFix` when an instruction between the COPY and the install, or a
    command of the install RUN, may read (or write) what the COPY put there."""
    copied_to = _copied_to(ctx, copy, destination)
    for item in between:
        keyword = item.keyword
        if keyword == "VOLUME":
            raise _NoFix(
                f"line {item.start_line} (VOLUME) between the COPY and the install: what a RUN"
                " writes under a volume may be discarded, so the order matters"
            )
        if keyword in ("COPY", "ADD"):
            raise _NoFix(
                f"line {item.start_line} ({keyword}) between the COPY and the install writes"
                " into the image too: moving the COPY past it could change which file wins"
            )
        if keyword == "RUN" and not _run_is_harmless(ctx, item, copied_to):
            raise _NoFix(
                f"line {item.start_line} (RUN) between the COPY and the install may read"
                " the sources"
            )
    cd = first_cd(script)
    for command in script.commands:
        if command is install.command or command is cd:
            continue
        if _recognise(command) is None and not _harmless(command, copied_to):
            name = command.name.value if command.name is not None else command.text
            raise _NoFix(
                f"the install RUN also runs `{name}`, which may read or change the sources"
            )


def _copied_to(ctx: FixContext, copy: Instruction, destination: str) -> str | None:
    """Where the COPY puts the context, absolute; None when the file does not say."""
    if destination.startswith("/"):
        return posixpath.normpath(destination)
    cwd = workdir_before(ctx, copy)
    return posixpath.normpath(posixpath.join(cwd, destination)) if cwd is not None else None


def _run_is_harmless(ctx: FixContext, run: Instruction, copied_to: str | None) -> bool:
    """A RUN that provably neither reads nor writes what the COPY put in the image."""
    if is_json(run) or relative_mount(run):
        return False
    script = ctx.shell(run)
    if script is None or script.has_errors or script.heredocs or not script.commands:
        return False
    return all(_harmless(c, copied_to) for c in script.commands)


def _harmless(command: Command, copied_to: str | None) -> bool:
    """A command that works the same without the sources: one that ignores its
    working directory and names no path where the context went, an install of
    packages by name, or a cache clean-up."""
    if _words_touch(command.words, copied_to):
        return False
    return (
        command_ignores_workdir(command) or _installs_by_name(command) or _cleans_a_cache(command)
    )


def _installs_by_name(command: Command) -> bool:
    """``pip install --upgrade pip``, ``npm install -g pnpm``, ``gem install bundler``:
    packages from an index, nothing from the working directory."""
    if command.effective_name is not command.name or command.program is None:
        return False
    values = [w.value for w in command.effective_args]
    if any(v is None for v in values):
        return False
    words = [v for v in values if v is not None]
    program = command.program
    if _PYTHON.fullmatch(program) and words[:2] == ["-m", "pip"]:
        program, words = "pip", words[2:]
    if _PIP.fullmatch(program):
        install = _pip(command, words)
        named = [w for w in words[1:] if not w.startswith("-")]
        return (
            words[:1] == ["install"]
            and install is None
            and bool(named)
            and not any(_local_requirement(w) for w in named)
            and not any(w.startswith(("-e", "--editable", "-f", "--find-links")) for w in words)
        )
    if program in ("npm", "pnpm", "yarn"):
        is_global = "-g" in words or "--global" in words or words[:1] == ["global"]
        named = [
            w for w in words if not w.startswith("-") and w not in ("install", "i", "add", "global")
        ]
        return is_global and bool(named) and not any(_LOCAL_SPEC.match(w) for w in named)
    if program == "gem" and words[:1] == ["install"]:
        named = [w for w in words[1:] if not w.startswith("-")]
        return bool(named) and not any("/" in w or w.endswith(".gem") for w in named)
    return False


def _words_touch(words: Sequence[Word], copied_to: str | None) -> bool:
    """Whether an absolute path among ``words`` may lie where the context was copied
    (any absolute path may, when that place is unknown)."""
    for word in words:
        value = word.value or ""
        if not value.startswith("/"):
            continue
        if copied_to is None or copied_to == "/":
            return True
        if value == copied_to or value.startswith(copied_to.rstrip("/") + "/"):
            return True
        if copied_to.startswith(value.rstrip("/*") + "/"):
            return True  # a parent of it (``rm -rf /app`` over ``/app/src``)
    return False


def _cleans_a_cache(command: Command) -> bool:
    values = [w.value for w in command.effective_args]
    program = command.program
    return (
        (program == "npm" and values[:2] == ["cache", "clean"])
        or (program == "yarn" and values[:2] == ["cache", "clean"])
        or (program == "pnpm" and values[:2] == ["store", "prune"])
        or (program == "composer" and values[:1] in (["clear-cache"], ["clearcache"]))
        or (program == "go" and values[:1] == ["clean"] and "-modcache" in values)
    )


# --------------------------------------------------------------------------- text


def _plain(source: str) -> str:
    return source.removesuffix("*")


def _copy_args(sources: Sequence[str], destination: str, directory: str) -> str:
    """The manifest COPY's arguments: its sources and a destination that is a directory
    (``/app/``): ``COPY requirements.txt /app`` would create a file ``/app`` when the
    directory does not exist yet."""
    named = [s for s in sources if s]
    if destination in (".", "./"):
        base = "" if directory else ("." if len(named) == 1 else "./")
    else:
        base = destination.rstrip("/") + "/"
    target = base + (directory + "/" if directory else "")
    return " ".join([*named, target])


def _after(run: Instruction, copy: Instruction) -> Edit:
    """The whole COPY, moved to the line after the install RUN (the COPY comes before
    the RUN, so it ends with a newline)."""
    text = copy.render()
    if run.ends_with_line_break:
        return Edit.insert(run.end, text)
    # the RUN ends the file without a newline (a carriage return alone is none to
    # BuildKit): so does the moved COPY
    newline = copy.line_break or "\n"
    return Edit.insert(run.end, newline + text.removesuffix(newline))
