"""## What it does

Finds RUNs where Yarn installs packages (`yarn`, `yarn install`,
`yarn add`, `yarn upgrade`, `yarn global add`, `yarn workspace <name> add`, also as
`yarnpkg`) with no `yarn cache clean` after it, and appends `yarn cache clean` to
the end of the RUN, in the RUN's own style.

## Why

Yarn 1 ("classic") keeps a copy of every package it fetches in its cache
(`/usr/local/share/.cache/yarn` for root, `~/.cache/yarn` for other users), next
to the unpacked copy in `node_modules`. The layer ships both; the cache is often
as big as `node_modules` itself.

## Example

Before:

    RUN yarn install --frozen-lockfile \\
        && yarn build

After:

    RUN yarn install --frozen-lockfile \\
        && yarn build \\
        && yarn cache clean

## Fix safety

Safe for Yarn 1, where `yarn cache clean` (no package names) empties the global
cache and nothing else: `node_modules` and the global bin links stay. It is joined
with `&&` (or with the RUN's own `;` under `set -e`), so it runs only when the
script succeeded so far; its own exit status is 0 in practice. The command reuses
the program word of the install (`yarnpkg`, `/usr/local/bin/yarn`).

Yarn 2+ ("Berry") is different: `yarn cache clean` deletes the project's
`.yarn/cache`, which Plug'n'Play reads at run time (zero-installs). So any sign of
Berry in the file means no finding at all: `yarn set version`,
`yarn policies set-version`, `corepack`, `.yarnrc.yml`, a `.yarn` directory or
`.pnp.cjs` copied in, `--immutable`, `yarn dlx`, `workspaces focus`,
`yarnPath`, `nodeLinker`, Berry-only `YARN_*` variables, `yarn@2`..`yarn@9`,
`yarn@berry`/`stable`/`canary`, `@yarnpkg/cli`.

No finding either when the cache is not kept: a `yarn cache clean` (without
package names) or an `rm` of the cache directory (`.../.cache/yarn`, a whole
`~/.cache`, `$(yarn cache dir)`, `YARN_CACHE_FOLDER`, the `--cache-folder`) later
in the same RUN, or a cache, tmpfs or bind mount over the cache directory
(`/usr/local/share/.cache/yarn`, `/root/.cache/yarn`, a target ending in
`/.cache/yarn` or `/.cache`, `YARN_CACHE_FOLDER`, `$XDG_CACHE_HOME/yarn`, the
`--cache-folder`).

A finding without a fix when appending could misfire: `--cache-folder` elsewhere
(the clean-up would empty another cache); the install runs as another user
(`sudo -u`, `gosu`, `su-exec`, ...) or with its own `HOME` / `YARN_CACHE_FOLDER`;
a later command may uninstall Yarn or Node (`apk del`, `apt-get purge`, `rm` of
their files: the appended `yarn` would not be found); the RUN has a top-level
`exit` or `exec`. And a project install (anything but `yarn global add`, which
Yarn 2+ does not have) when the project may hold files the Dockerfile does not
show: a COPY or ADD of a directory, a glob, a variable or another stage (`COPY .
.`), or a download (`git`, `curl`, `wget`, `tar` ...) before it. Such a project's
`.yarnrc.yml` may set `yarnPath`, and the image's Yarn 1 then hands every command,
`yarn cache clean` included, over to Yarn 2+. And a later RUN on top of this layer
that installs `--offline` (from the cache the clean-up deletes).

## Caveats

The `packageManager` field of a `package.json` copied by name cannot be seen
from the Dockerfile; it takes effect only through Corepack, which the file would
name, and Yarn 1 is what the official Node images ship. A project `.yarnrc`
with its own `cache-folder` is not visible either. `sh -c "yarn install"` is not
looked into. `ONBUILD` RUNs are left alone.
Stages that do not ship are fixed too, and the message says so: the fix
saves build cache and CI disk, not image size (`--target` names the image).

## Related

hadolint DL3060 (which looks at `yarn install` only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import buildkit_value
from manifesto.cst.words import parse_words
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Violation
from manifesto.shell import Command, ShellScript, Word

from ._package_caches import (
    Assessment,
    Outcome,
    appended_cleanup_violations,
    assess_folder_cleanup,
    checked_runs,
    covered,
    env_value,
    first_positional,
    mount_ends_with,
    rm_targets,
    value,
)
from ._rpm import later_runs_have

INFO = RuleInfo(
    code="MF112",
    name="yarn_cache_kept",
    title="Run `yarn cache clean` in the RUN that installs with Yarn",
    applicability=Applicability.SAFE,
    related=("DL3060",),
    doc=__doc__ or "",
)
REMOVES = ("*/.cache/yarn/*",)
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

_PROGRAMS = ("yarn", "yarnpkg")
_VALUE_OPTIONS = frozenset(
    {
        "--cwd",
        "--cache-folder",
        "--modules-folder",
        "--mutex",
        "--network-timeout",
        "--network-concurrency",
        "--child-concurrency",
        "--registry",
        "--global-folder",
        "--link-folder",
        "--preferred-cache-folder",
        "--use-yarnrc",
        "--https-proxy",
        "--proxy",
        "--otp",
        "--cafile",
    }
)
_INFO_FLAGS = frozenset({"-v", "--version", "-h", "--help"})
_ENV_NAMES = frozenset({"HOME", "YARN_CACHE_FOLDER", "XDG_CACHE_HOME"})
_BERRY = re.compile(
    r"\.yarnrc\.yml|\.pnp\.c?js|\.yarn/(?:releases|cache|plugins|sdks|unplugged|patches|berry)"
    r"|\byarn(?:pkg)?\s+(?:set\s+version|policies\s+set-version|dlx)\b|\bcorepack\b"
    r"|\byarnPath\b|\bnodeLinker\b|--immutable\b|\bworkspaces\s+focus\b"
    r"|\bYARN_(?:ENABLE_|NODE_LINKER|NPM_|PNP|YARN_PATH|GLOBAL_FOLDER)"
    r"|\byarn@(?:[2-9]|berry|stable|canary)|@yarnpkg/cli"
)
_BERRY_COPIED = frozenset({".yarn", ".yarnrc.yml", ".pnp.cjs", ".pnp.js", ".pnp.loader.mjs"})


def install_word(command: Command) -> Word | None:
    """The word naming the install (``install``, ``add``; the program for bare ``yarn``)."""
    if command.program not in _PROGRAMS:
        return None
    args = command.effective_args
    i = first_positional(args, 0, _VALUE_OPTIONS)
    if i is None:
        if any(value(w) in _INFO_FLAGS for w in args):
            return None
        return command.effective_name  # bare ``yarn [flags]`` installs
    sub = args[i].value
    if sub in ("install", "add", "upgrade"):
        return args[i]
    if sub == "global":
        j = first_positional(args, i + 1, _VALUE_OPTIONS)
    elif sub == "workspace":
        j = first_positional(args, i + 2, _VALUE_OPTIONS)
    else:
        return None
    if j is not None and args[j].value in ("add", "upgrade", "install"):
        return args[j]
    return None


def _is_cache_clean(command: Command) -> bool:
    """``yarn cache clean`` without package names (those clean only their own entries)."""
    if command.program not in _PROGRAMS:
        return False
    values = [value(w) for w in command.effective_args]
    for i in range(len(values) - 1):
        if values[i] == "cache" and values[i + 1] == "clean":
            return not any(not v.startswith("-") for v in values[i + 2 :])
    return False


def _removes_cache(command: Command, folders: tuple[str, ...]) -> bool:
    for target in rm_targets(command):
        if "yarn cache dir" in target:
            return True
        path = target.rstrip("*").rstrip("/")
        if path.endswith(("/.cache/yarn", "/.cache")) or "/.cache/yarn/" in path:
            return True
        if path in ("/usr/local/share/.cache", "~/.cache", "$HOME/.cache", "${HOME}/.cache"):
            return True
        if any(path == f.rstrip("/") for f in folders):
            return True
    return False


def _berry(tree: Dockerfile, ctx: FixContext) -> bool:
    """Any sign that Yarn 2+ runs here (see the module documentation)."""
    if _BERRY.search(ctx.text):
        return True
    for ins in tree.instructions:
        eff = ins.effective
        if eff.keyword not in ("COPY", "ADD"):
            continue
        for word in parse_words(eff.args_text, eff.escape):
            base = word.value.rstrip("/").rsplit("/", 1)[-1]
            if base in _BERRY_COPIED:
                return True
    return False


def _mounted(ctx: FixContext, ins: Instruction, folders: tuple[str, ...]) -> bool:
    if covered(ins, "/usr/local/share/.cache/yarn") or covered(ins, "/root/.cache/yarn"):
        return True
    if mount_ends_with(ins, ("/.cache/yarn", "/.cache")):
        return True
    xdg = env_value(ctx, ins, "XDG_CACHE_HOME")
    if xdg and covered(ins, f"{xdg}/yarn"):
        return True
    return any(covered(ins, f) for f in folders)


def _assess_run(
    ctx: FixContext, ins: Instruction, script: ShellScript, installs: list[Command]
) -> Assessment:
    return assess_folder_cleanup(
        ctx,
        ins,
        script,
        installs,
        env_folder=env_value(ctx, ins, "YARN_CACHE_FOLDER"),
        folder_option="--cache-folder",
        mounted=lambda folders: _mounted(ctx, ins, folders),
        is_clean=_is_cache_clean,
        removes_cache=_removes_cache,
        env_names=_ENV_NAMES,
        moved_reason="--cache-folder: `yarn cache clean` empties another",
    )


def _assess(tree: Dockerfile, ctx: FixContext) -> Iterator[Assessment]:
    berry: bool | None = None
    for ins, script in checked_runs(tree, ctx):
        installs = [c for c in script.commands if install_word(c) is not None]
        if not installs:
            continue
        if berry is None:
            berry = _berry(tree, ctx)
        if berry:
            yield Assessment(ins, installs[0], Outcome.SKIP, "Yarn 2+ (Berry)")
            continue
        project = [c for c in installs if not _is_global(c)]
        if project and _project_unseen(ctx, ins, script, project[0]):
            yield Assessment(ins, project[0], Outcome.REPORT, REASON_PROJECT_UNSEEN)
            continue
        if later_runs_have(ctx, ins, _installs_offline, "yarn --offline"):
            yield Assessment(ins, installs[0], Outcome.REPORT, REASON_READ_OFFLINE)
            continue
        yield _assess_run(ctx, ins, script, installs)


REASON_READ_OFFLINE = "a later RUN reads the cache offline"


def _installs_offline(command: Command) -> bool:
    """``yarn install --offline``: it installs from the cache alone, and fails on what
    an earlier clean-up deleted."""
    return install_word(command) is not None and any(
        w.value == "--offline" for w in command.effective_args
    )


REASON_PROJECT_UNSEEN = "a COPY of a directory or a download may bring a Yarn 2+ project"
# Programs that bring a project's files in from elsewhere (its .yarnrc.yml among them).
_FETCHERS = frozenset({"git", "curl", "wget", "svn", "hg", "tar", "unzip", "bsdtar", "7z"})


def _is_global(command: Command) -> bool:
    """``yarn global add``: Yarn 2+ has no ``global``, so a build that runs it has Yarn 1."""
    words = command.effective_args
    at = first_positional(words, 0, _VALUE_OPTIONS)
    return at is not None and words[at].value == "global"


def _project_unseen(
    ctx: FixContext, ins: Instruction, script: ShellScript, install: Command
) -> bool:
    """Whether the project Yarn installs may hold files the Dockerfile does not show:
    a `.yarnrc.yml` whose `yarnPath` makes the image's Yarn 1 hand over to Yarn 2+,
    whose `yarn cache clean` deletes the cache Plug'n'Play loads packages from. A COPY
    or ADD of a directory, a glob, a variable or another stage (`COPY . .`), or a
    download (`git clone`, `curl | tar`) before the install may bring one."""
    if any(c.program in _FETCHERS and c.start < install.start for c in script.commands):
        return True
    for item in ctx.earlier_in_image(ins):
        eff = item.effective
        if eff.keyword in ("COPY", "ADD"):
            copied_from = next(eff.flags_named("from"), None) is not None
            if copied_from or not all(_named_file(w) for w in _sources(eff)):
                return True
        elif eff.keyword == "RUN":
            earlier = ctx.shell(eff)
            if earlier is None or any(c.program in _FETCHERS for c in earlier.commands):
                return True
    return False


def _sources(copy: Instruction) -> Sequence[str]:
    if copy.heredocs:
        return ()  # a here-document writes the file it names, in sight
    values, _ = buildkit_value(copy)
    return values[:-1]


def _named_file(source: str) -> bool:
    """A source that is surely one file (``package.json``, ``yarn.lock``), not a
    directory, a glob or a variable."""
    base = source.rstrip("/").rsplit("/", 1)[-1]
    if source.endswith("/") or base in ("", ".", "..") or any(ch in source for ch in "*?[$"):
        return False
    return "." in base


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    yield from appended_cleanup_violations(
        ctx,
        _assess(tree, ctx),
        INFO.code,
        install_word,
        message="Yarn's package cache stays in the layer",
        tool="yarn",
        cleanup="cache clean",
    )
