"""## What it does

Finds `apk add` commands without `--no-cache` in the RUNs of stages that ship, and
inserts `--no-cache` right after `add`.

## Why

Without `--no-cache`, `apk add` downloads the repository indexes
(`APKINDEX.<hash>.tar.gz`, about a megabyte per repository) into `/var/cache/apk`
and leaves them there, and with a package cache enabled (`/etc/apk/cache`) it keeps
a copy of every package too. The layer ships them. With `--no-cache`, apk reads the
indexes straight from the network into memory and stores nothing: no `--update`
and no `rm -rf /var/cache/apk/*` are needed.

## Example

Before:

    RUN apk add --virtual .build-deps gcc musl-dev

After:

    RUN apk add --no-cache --virtual .build-deps gcc musl-dev

## Fix safety

Safe. `--no-cache` changes where apk reads the index from, not what it installs:
on a base image `/var/cache/apk` is empty, so `apk add` fetched a fresh index
anyway, and with `--no-cache` it fetches one too. The flag goes right after `add`
(`apk add --no-cache --virtual .deps ...`), one space, no other byte touched.

No finding when the cache cannot end up in the layer: `--no-cache` given anywhere
(before `add` too), `--no-network` (nothing is downloaded), a cache, tmpfs or bind
mount over `/var/cache/apk` or `/etc/apk/cache` (the fix would defeat it), or an
`rm` of `/var/cache/apk` (or `/var/cache`) later in the same RUN.

A finding without a fix when the cure could change the build: `--cache-dir`
(the author chose a cache), or a later `apk ... --no-network` command (this RUN,
a later RUN of the stage or a stage built FROM it) that may read the index this
`apk add` leaves behind.

An `apk update` followed by an `apk add` in the same RUN, with no clean-up, is
reported without a fix: `--no-cache` makes it redundant, but it is never removed,
and neither is an existing `rm -rf /var/cache/apk/*`. Dropping the update would
take the index out of the image, and a later `apk --no-network` command, or a
person running `apk` in the container, may rely on it; the `rm` is harmless.

## Caveats

Only literal `apk add` commands are seen (`$APK add` or `sh -c "apk add"` are not).
Stages that do not ship (used only by `COPY --from`) and `ONBUILD` RUNs are left
alone. A `/etc/apk/config` with `no-cache` is not visible from the Dockerfile: the
flag is then redundant but harmless.

## Related

hadolint DL3019 (which also fires when the RUN deletes the cache itself, or uses
`--no-network`; this rule does not).
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.shell import Command, ShellScript, Word

from ._package_caches import (
    Assessment,
    Outcome,
    checked_runs,
    commands_after,
    covered,
    first_positional,
    later_in_image,
    option_value,
    rm_targets,
    value,
)

INFO = RuleInfo(
    code="MF105",
    name="apk_cache_kept",
    title="Install Alpine packages with `apk add --no-cache`",
    applicability=Applicability.SAFE,
    related=("DL3019",),
    doc=__doc__ or "",
)

_VALUE_OPTIONS = frozenset(
    {
        "-p",
        "--root",
        "-X",
        "--repository",
        "--arch",
        "--cache-dir",
        "--cache-max-age",
        "--keys-dir",
        "--repositories-file",
        "--repository-config",
        "--progress-fd",
        "--timeout",
        "--wait",
        "-t",
        "--virtual",
    }
)
_CACHE_DIRS = ("/var/cache/apk", "/etc/apk/cache")


def _subcommand(command: Command) -> Word | None:
    if command.program != "apk":
        return None
    args = command.effective_args
    i = first_positional(args, 0, _VALUE_OPTIONS)
    return None if i is None else args[i]


def _is(command: Command, sub: str) -> bool:
    word = _subcommand(command)
    return word is not None and word.value == sub


def _flags(command: Command) -> set[str]:
    return {value(w) for w in command.effective_args}


def _cleans_cache(command: Command) -> bool:
    """``rm -rf /var/cache/apk/*`` (or the directory, or all of /var/cache)."""
    return any(
        t.rstrip("*").rstrip("/") in ("/var/cache/apk", "/var/cache") for t in rm_targets(command)
    )


def _reads_cached_index(command: Command) -> bool:
    """An apk command that works offline from the cached index (``apk add --no-network``)."""
    word = _subcommand(command)
    if word is None or word.value == "del":
        return False
    flags = _flags(command)
    if "--no-network" not in flags or "--no-cache" in flags:
        return False
    return not (word.value == "list" and flags & {"--installed", "-I"})


def _later_offline_reader(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> bool:
    if any(_reads_cached_index(c) for c in commands_after(script, command.end)):
        return True
    for later in later_in_image(ctx, ins):
        other = ctx.shell(later) if later.keyword == "RUN" else None
        if other is not None and any(_reads_cached_index(c) for c in other.commands):
            return True
    return False


def _assess_add(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> Assessment:
    def outcome(kind: Outcome, reason: str) -> Assessment:
        return Assessment(ins, command, kind, reason)

    flags = _flags(command)
    if "--no-cache" in flags:
        return outcome(Outcome.SKIP, "--no-cache given")
    if "--no-network" in flags:
        return outcome(Outcome.SKIP, "--no-network: nothing downloaded")
    if any(covered(ins, d) for d in _CACHE_DIRS):
        return outcome(Outcome.SKIP, "cache mount")
    cache_dir = option_value(command.effective_args, ("--cache-dir",))
    if cache_dir is not None:
        if covered(ins, cache_dir):
            return outcome(Outcome.SKIP, "cache mount")
        return outcome(Outcome.REPORT, "--cache-dir chooses a cache")
    if any(_cleans_cache(c) for c in commands_after(script, command.end)):
        return outcome(Outcome.SKIP, "cache deleted later in the RUN")
    if _later_offline_reader(ctx, ins, script, command):
        return outcome(Outcome.REPORT, "a later `apk --no-network` may read the cached index")
    return outcome(Outcome.FIX, "")


def _assess_update(ins: Instruction, script: ShellScript, command: Command) -> Assessment | None:
    """``apk update`` feeding an ``apk add`` of the same RUN, cache never deleted."""
    later = commands_after(script, command.end)
    if not any(_is(c, "add") for c in later):
        return None
    if "--no-cache" in _flags(command) or any(covered(ins, d) for d in _CACHE_DIRS):
        return Assessment(ins, command, Outcome.SKIP, "update stores nothing")
    if any(_cleans_cache(c) for c in later):
        return Assessment(ins, command, Outcome.SKIP, "cache deleted later in the RUN")
    return Assessment(ins, command, Outcome.REPORT, "apk update keeps the index")


def _assess(tree: Dockerfile, ctx: FixContext) -> Iterator[Assessment]:
    for ins, script in checked_runs(tree, ctx):
        for command in script.commands_named("apk"):
            if _is(command, "add"):
                yield _assess_add(ctx, ins, script, command)
            elif _is(command, "update"):
                found = _assess_update(ins, script, command)
                if found is not None:
                    yield found


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for found in _assess(tree, ctx):
        if found.outcome is Outcome.SKIP:
            continue
        command = found.command
        sub = _subcommand(command)
        name = command.effective_name
        assert sub is not None and name is not None
        if sub.value == "update":
            yield Violation(
                INFO.code,
                "`apk update` leaves the package index in /var/cache/apk; "
                "`apk add --no-cache` does not need it",
                name.start,
                sub.end,
            )
            continue
        message = "`apk add` keeps the package index in /var/cache/apk"
        if found.outcome is Outcome.REPORT:
            yield Violation(INFO.code, f"{message} ({found.reason})", name.start, sub.end)
            continue
        yield Violation(
            INFO.code,
            f"{message}: use `apk add --no-cache`",
            name.start,
            sub.end,
            Fix(
                "Insert `--no-cache` after `apk add`",
                (Edit.insert(sub.end, " --no-cache"),),
                Applicability.SAFE,
            ),
        )
