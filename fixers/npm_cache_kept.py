"""## What it does

Finds RUNs where npm installs packages (`npm install` and its
aliases `npm i`, `npm add`, ..., `npm ci`, `npm install-test`, `npm update`) with no
`npm cache clean` after it, and appends `npm cache clean --force` to the end of
the RUN, in the RUN's own style.

## Why

npm keeps every tarball and registry response it fetches in its content-addressed
cache, `~/.npm/_cacache` (`/root/.npm` for root). Nothing reads it again in a built
image, but the layer ships it, next to the unpacked `node_modules`.

## Example

Before:

    RUN npm ci --omit=dev \\
        && npm run build

After:

    RUN npm ci --omit=dev \\
        && npm run build \\
        && npm cache clean --force

## Fix safety

Safe. `npm cache clean --force` deletes the cache folder and nothing else
(`node_modules`, global packages and `.npmrc` stay); `--force` is required since
npm 5 and accepted by older versions. The command is joined in the RUN's own
style: `&&` at the end of the line or at the start of the next, or the RUN's `;`
when it runs under `set -e` (`set -eux; ...; \\` chains), so it runs only when the
script succeeded so far, and never yields a `; &&` or a dangling operator. In a
`RUN <<EOF` script it goes on its own line (under `set -e`) or after `&&` on the
last line. The command reuses the program word of the install (`/usr/bin/npm`).

No finding when the cache is not kept: an `npm cache clean` / `clear` / `rm`, or an
`rm` of the cache directory (`~/.npm`, `/root/.npm`, `.../.npm/_cacache`, the
configured cache) later in the same RUN; or a cache, tmpfs or bind mount over
`/root/.npm`, over a target ending in `/.npm`, or over the cache set by
`npm_config_cache` (ENV, any case) or `--cache`.

A finding without a fix when appending could misfire: `--cache` elsewhere (the
clean-up would empty another cache); the install runs as another user
(`sudo -u`, `gosu`, `su-exec`, ...) or with its own `HOME` / `npm_config_cache`;
a later command may uninstall npm or Node (`apk del`, `apt-get purge`,
`npm uninstall -g`, `rm` of their files: the appended `npm` would not be found);
the RUN has a top-level `exit` or `exec`; a cache, tmpfs or bind mount inside the
cache (`/root/.npm/_cacache/content-v2`: the clean-up would empty it and fail on
its mount point); a later RUN on top of this layer that installs `--offline`
(from the cache the clean-up deletes).

## Caveats

A project `.npmrc` with its own `cache=` is not visible from the Dockerfile.
`npx` also fills the cache (`~/.npm/_npx`) and is not matched; neither is
`sh -c "npm install"`, nor `pnpm` (its own store). `ONBUILD` RUNs are left alone.
Stages that do not ship are fixed too, and the message says so: the fix
saves build cache and CI disk, not image size (`--target` names the image).

## Related

None in hadolint (DL3016 is about pinning npm packages); see DL3060 for Yarn.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
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
    mount_targets,
    rm_targets,
)
from ._rpm import REASON_MOUNT_INSIDE, later_runs_have

INFO = RuleInfo(
    code="MF113",
    name="npm_cache_kept",
    title="Run `npm cache clean --force` in the RUN that installs with npm",
    applicability=Applicability.SAFE,
    related=(),
    doc=__doc__ or "",
)
REMOVES = ("*/.npm/_cacache", "*/.npm/_cacache/*")
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

_INSTALLS = frozenset(
    {
        # npm install and the aliases npm accepts for it
        "install",
        "i",
        "in",
        "ins",
        "inst",
        "insta",
        "instal",
        "isnt",
        "isnta",
        "isntal",
        "isntall",
        "add",
        # npm ci
        "ci",
        "clean-install",
        "ic",
        "install-clean",
        "isntall-clean",
        # install then test
        "install-test",
        "it",
        "install-ci-test",
        "cit",
        # npm update fetches too
        "update",
        "up",
        "upgrade",
        "udpate",
    }
)
_VALUE_OPTIONS = frozenset(
    {
        "--prefix",
        "-C",
        "--cache",
        "--userconfig",
        "--globalconfig",
        "--registry",
        "--loglevel",
        "--workspace",
        "-w",
        "--tag",
        "--proxy",
        "--https-proxy",
        "--omit",
        "--include",
        "--only",
        "--install-strategy",
        "--location",
        "--cafile",
        "--scope",
        "--fetch-retries",
        "--fetch-timeout",
        "--script-shell",
        "--node-options",
        "--otp",
        "--auth-type",
        "--before",
        "--logs-dir",
        "--logs-max",
    }
)
_ENV_NAMES = frozenset({"HOME", "npm_config_cache", "NPM_CONFIG_CACHE"})


def install_word(command: Command) -> Word | None:
    """The subcommand word of an npm install (``install``, ``ci``, ``i``, ...)."""
    if command.program != "npm":
        return None
    args = command.effective_args
    i = first_positional(args, 0, _VALUE_OPTIONS)
    if i is None or args[i].value not in _INSTALLS:
        return None
    return args[i]


def _is_cache_clean(command: Command) -> bool:
    """``npm cache clean --force`` (or ``clear`` / ``rm``, with or without --force)."""
    if command.program != "npm":
        return False
    args = command.effective_args
    i = first_positional(args, 0, _VALUE_OPTIONS)
    if i is None or args[i].value != "cache":
        return False
    j = first_positional(args, i + 1, _VALUE_OPTIONS)
    return j is not None and args[j].value in ("clean", "clear", "rm")


def _removes_cache(command: Command, folders: tuple[str, ...]) -> bool:
    for target in rm_targets(command):
        path = target.rstrip("*").rstrip("/")
        if path.endswith(("/.npm", "/.npm/_cacache")) or path in ("~/.npm", ".npm"):
            return True
        if any(path == f.rstrip("/") for f in folders):
            return True
    return False


def _mounted(ins: Instruction, folders: tuple[str, ...]) -> bool:
    if covered(ins, "/root/.npm") or mount_ends_with(ins, ("/.npm", "/.npm/_cacache")):
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
        env_folder=env_value(ctx, ins, "npm_config_cache", ignore_case=True),
        folder_option="--cache",
        mounted=lambda folders: _mounted(ins, folders),
        is_clean=_is_cache_clean,
        removes_cache=_removes_cache,
        env_names=_ENV_NAMES,
        moved_reason="--cache: `npm cache clean` empties another",
    )


def _assess(tree: Dockerfile, ctx: FixContext) -> Iterator[Assessment]:
    for ins, script in checked_runs(tree, ctx):
        installs = [c for c in script.commands if install_word(c) is not None]
        if not installs:
            continue
        if not _mounted(ins, ()) and any("/.npm/" in t + "/" for t in mount_targets(ins)):
            # `/root/.npm/_cacache/content-v2` on a cache mount: the clean-up would
            # empty it, then fail to delete its mount point
            yield Assessment(ins, installs[0], Outcome.REPORT, REASON_MOUNT_INSIDE)
        elif later_runs_have(ctx, ins, _installs_offline, "npm --offline"):
            yield Assessment(ins, installs[0], Outcome.REPORT, REASON_READ_OFFLINE)
        else:
            yield _assess_run(ctx, ins, script, installs)


REASON_READ_OFFLINE = "a later RUN reads the cache offline"


def _installs_offline(command: Command) -> bool:
    """``npm install --offline``: it installs from the cache alone, and fails on what
    an earlier clean-up deleted."""
    return install_word(command) is not None and any(
        w.value in ("--offline", "--offline=true") for w in command.effective_args
    )


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    yield from appended_cleanup_violations(
        ctx,
        _assess(tree, ctx),
        INFO.code,
        install_word,
        message="npm's package cache (~/.npm) stays in the layer",
        tool="npm",
        cleanup="cache clean --force",
    )
