"""## What it does

Finds `apk add` and `apk upgrade` commands without `--no-cache` and inserts
`--no-cache` right after the subcommand; and takes out the index an `apk update`
leaves behind.

## Why

Without `--no-cache`, `apk add` downloads the repository indexes
(`APKINDEX.<hash>.tar.gz`, about a megabyte per repository) into `/var/cache/apk`
and leaves them there, and with a package cache enabled (`/etc/apk/cache`) it keeps
a copy of every package too. The layer ships them. With `--no-cache`, apk reads the
indexes straight from the network into memory and stores nothing: no `--update`
and no `rm -rf /var/cache/apk/*` are needed. `apk update` writes the same indexes
and nothing in a built image reads them again.

## Example

Before:

    RUN apk update && apk add --virtual .build-deps gcc musl-dev

After:

    RUN apk add --no-cache --virtual .build-deps gcc musl-dev

## Fix safety

Safe. `--no-cache` changes where apk reads the index from, not what it installs:
on a base image `/var/cache/apk` is empty, so `apk add` fetched a fresh index
anyway, and with `--no-cache` it fetches one too. The flag goes right after the
subcommand (`apk add --no-cache --virtual .deps ...`), one space, no other byte touched.

An `apk update` whose index nothing deletes is taken out in one of two ways, the
smaller edit first:

- dropped (`apk update && ` deleted up to the next command) when it is a top-level
  link of a plain `&&` or `;` chain and every later apk command of the RUN fetches
  its own index (`--no-cache`, given or inserted by this rule in the same pass) or
  reads none (`apk del`), and nothing else after it may run apk (only programs
  known not to, such as `echo`, `rm`, `mkdir`, `adduser`: a script, `sh -c` or
  `make`, which may run `abuild`, could read the index): the update then only wrote
  the index that ships, and the build installs the same packages from the same,
  freshly fetched, indexes;
- otherwise (the update sits in a condition or behind `||`, another apk command
  such as `apk info` reads the cached index, or a script follows)
  `rm -rf /var/cache/apk/*` is appended at the end of the RUN, joined like the
  RUN's other commands, after everything that may read the index. Deleting the
  update instead would be a smaller edit but could change what such a reader
  sees; the `rm` cannot.

No finding when the cache cannot end up in the layer: `--no-cache` given anywhere
(before the subcommand too), `--no-network` (nothing is downloaded), a cache, tmpfs
or bind mount over `/var/cache/apk` or `/etc/apk/cache` (the fix would defeat it),
or an `rm` of `/var/cache/apk` (or `/var/cache`) later in the same RUN.

A finding without a fix when the cure could change the build: `--cache-dir`
(the author chose a cache), or a later `apk ... --no-network` command (this RUN,
a later RUN of the stage or a stage built FROM it) that may read the index left
behind. An `apk update` in a RUN where nothing after it installs or may install
(a standalone `RUN apk update`) is reported: its index ships in that layer, and the cure is to
delete it and install with `apk add --no-cache`, which this rule does not do for you
(it would delete an instruction). A standalone `RUN apk upgrade` gets `--no-cache`
like any other upgrade.

## Caveats

Only literal `apk add` commands are seen (`$APK add` or `sh -c "apk add"` are not).
`ONBUILD` RUNs are left alone. Stages that do not ship are fixed too, and the
message says so: the fix saves build cache and CI disk, not image size
(`--target` names the image). A `/etc/apk/config` with `no-cache` is not
visible from the Dockerfile: the flag is then redundant but harmless.

## Related

hadolint DL3019 (which also fires when the RUN deletes the cache itself, or uses
`--no-network`; this rule does not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import append_command
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word

from ._package_caches import (
    APK_VALUE_OPTIONS,
    NO_PACKAGE_MANAGER_INSIDE,
    NO_POSIX_SHELL,
    Assessment,
    Outcome,
    checked_runs,
    commands_after,
    covered,
    ends_early,
    first_positional,
    option_value,
    rm_targets,
    runs_as_other_user,
    stage_note,
    value,
    wrapper_words,
)

INFO = RuleInfo(
    code="MF105",
    name="apk_cache_kept",
    title="Install Alpine packages with `apk add --no-cache`",
    applicability=Applicability.SAFE,
    related=("DL3019",),
    doc=__doc__ or "",
)
REMOVES = ("/var/cache/apk/*", "/etc/apk/cache/*")
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

_VALUE_OPTIONS = APK_VALUE_OPTIONS
_CACHE_DIRS = ("/var/cache/apk", "/etc/apk/cache")
_CLEANUP = "rm -rf /var/cache/apk/*"
_NO_CACHE_TAKERS = frozenset({"add", "upgrade"})
"""Subcommands that fetch the indexes and, without ``--no-cache``, keep them: this
rule inserts ``--no-cache`` into them."""
_INSTALLERS = frozenset({"add", "upgrade", "fix"})
"""Subcommands an ``apk update`` before them may be feeding."""
_NO_APK_INSIDE = NO_PACKAGE_MANAGER_INSIDE | {
    "addgroup",
    "adduser",
    "curl",
    "sleep",
    "tar",
    "unzip",
}
"""Programs that cannot run apk themselves: a script (``./setup.sh``, ``sh -c``),
``make`` (abuild) or ``xargs`` after an ``apk update`` may read its index."""


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
    # Indexed: each later RUN is read once per pass, not once per apk RUN before it.
    return next(ctx.later_matching(ins, _reads_cached_index_in), None) is not None


def _reads_cached_index_in(ctx: FixContext, later: Instruction) -> bool:
    other = ctx.shell(later) if later.keyword == "RUN" else None
    return other is not None and any(_reads_cached_index(c) for c in other.commands)


def _assess_install(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> Assessment:
    """``apk add`` / ``apk upgrade``: insert ``--no-cache``, or why not."""

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
        return outcome(Outcome.REPORT, _OFFLINE_READER)
    return outcome(Outcome.FIX, "")


@dataclass(frozen=True, slots=True)
class _UpdateFinding:
    """What the rule makes of one ``apk update`` whose index stays in the layer."""

    command: Command
    message: str
    reason: str
    """Why there is no fix; ``""`` when there is one."""
    fix: Fix | None = None


_KEPT = "`apk update` leaves the package index in /var/cache/apk"
_OFFLINE_READER = "a later `apk --no-network` may read the cached index"
_JOINT = re.compile(r"[ \t]*(?:(?:\\|`)\r?\n[ \t]*)*(?:&&|;|\r?\n)?[ \t]*(?:(?:\\|`)\r?\n[ \t]*)*")
"""What may stand between a dropped ``apk update`` and the next command: its
operator, blanks and line continuations (no comment, no other command)."""


def _assess_update(
    ctx: FixContext,
    ins: Instruction,
    script: ShellScript,
    command: Command,
    fixed: frozenset[int],
) -> _UpdateFinding | None:
    """An ``apk update`` whose index nothing deletes. ``fixed``: the starts of the
    ``apk add``/``apk upgrade`` commands of the RUN that get ``--no-cache`` in this pass."""
    later = commands_after(script, command.end)
    if "--no-cache" in _flags(command) or any(covered(ins, d) for d in _CACHE_DIRS):
        return None  # the index goes nowhere
    if any(_cleans_cache(c) for c in later):
        return None
    if all(_sub_value(c) not in _INSTALLERS and _runs_no_apk(c) for c in later):
        reason = _OFFLINE_READER if _later_offline_reader(ctx, ins, script, command) else ""
        return _UpdateFinding(
            command,
            f"{_KEPT} and nothing after it in this RUN installs: delete it "
            "(`apk add --no-cache` fetches the index itself)",
            reason or f"{_KEPT} in a RUN that installs nothing: deleting it is left to you",
        )
    if _later_offline_reader(ctx, ins, script, command):
        return _UpdateFinding(command, f"{_KEPT} ({_OFFLINE_READER})", _OFFLINE_READER)
    span = _droppable(ctx, script, command, later, fixed)
    if span is not None:
        return _UpdateFinding(
            command,
            f"{_KEPT}, and the `--no-cache` commands after it fetch their own: drop it",
            "",
            Fix("Remove `apk update`", (Edit(span[0], span[1], ""),), Applicability.SAFE),
        )
    blocker = _append_blocker(ctx, ins, script, command)
    message = f"{_KEPT}: delete it at the end of the RUN"
    if blocker is not None:
        return _UpdateFinding(command, f"{message} ({blocker})", blocker)
    prefix = "sudo " if "sudo" in _wrappers(command) else ""
    edit = append_command(ins, script, f"{prefix}{_CLEANUP}", ctx)
    return _UpdateFinding(
        command, message, "", Fix(f"Append `{_CLEANUP}`", (edit,), Applicability.SAFE)
    )


def _droppable(
    ctx: FixContext,
    script: ShellScript,
    update: Command,
    later: tuple[Command, ...],
    fixed: frozenset[int],
) -> tuple[int, int] | None:
    """The span of ``apk update && `` when deleting it is exact: a top-level link of a
    plain ``&&``/``;`` chain, every later apk command of the RUN either fetches its
    own index (``--no-cache``, given or inserted in this pass) or reads none
    (``apk del``), and nothing else after it may run apk (a script, ``make``). The
    span runs to the next command, so the chain's layout stays."""
    if update.context or update.in_pipeline or update.redirects:
        return None
    if update.operator_before not in (None, "&&", ";", "\n"):
        return None
    if update.operator_after not in ("&&", ";", "\n"):
        return None
    for command in later:
        sub = _sub_value(command)
        if sub is None and not _runs_no_apk(command):
            return None  # a script may read the index
        if sub is None or sub == "del":
            continue
        if "--no-cache" not in _flags(command) and command.start not in fixed:
            return None
    following = next((c for c in script.commands if c.start >= update.end), None)
    if following is None or not _JOINT.fullmatch(ctx.text[update.end : following.start]):
        return None
    return update.start, following.start


def _append_blocker(
    ctx: FixContext, ins: Instruction, script: ShellScript, update: Command
) -> str | None:
    """Why ``rm -rf /var/cache/apk/*`` cannot be appended at the end of the RUN."""
    if not ctx.posix_shell_at(ins):
        return NO_POSIX_SHELL
    if runs_as_other_user(update):
        return "installs as another user, whose cache an appended command would miss"
    if ends_early(script):
        return "the RUN may exit before an appended command"
    if script.statements and script.statements[-1].terminator == "&":
        return "runs in the background"
    return None


def _runs_no_apk(command: Command) -> bool:
    """An apk command, or a program known not to run apk (its words name no apk)."""
    if command.program == "apk":
        return True
    if command.program not in _NO_APK_INSIDE and command.name is not None:
        return False
    return not any("apk" in w.text for w in command.words)


def _wrappers(command: Command) -> set[str]:
    return {(w.value or "").rsplit("/", 1)[-1] for w in wrapper_words(command)}


def _sub_value(command: Command) -> str | None:
    word = _subcommand(command)
    return word.value if word is not None else None


def _assess(tree: Dockerfile, ctx: FixContext) -> Iterator[Assessment | _UpdateFinding]:
    for ins, script in checked_runs(tree, ctx):
        installs = [
            _assess_install(ctx, ins, script, c)
            for c in script.commands_named("apk")
            if _sub_value(c) in _NO_CACHE_TAKERS
        ]
        yield from installs
        fixed = frozenset(a.command.start for a in installs if a.outcome is Outcome.FIX)
        for command in script.commands_named("apk"):
            if _sub_value(command) == "update":
                found = _assess_update(ctx, ins, script, command, fixed)
                if found is not None:
                    yield found


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for found in _assess(tree, ctx):
        if isinstance(found, _UpdateFinding):
            yield _update_violation(ctx, found)
            continue
        if found.outcome is Outcome.SKIP:
            continue
        command = found.command
        sub = _subcommand(command)
        name = command.effective_name
        assert sub is not None and name is not None
        message = f"`apk {sub.value}` keeps the package index in /var/cache/apk"
        if found.outcome is Outcome.REPORT:
            yield Violation(
                INFO.code,
                f"{message} ({found.reason}){stage_note(ctx, found.instruction)}",
                name.start,
                sub.end,
                reason=no_fix(found.reason),
            )
            continue
        yield Violation(
            INFO.code,
            f"{message}: use `apk {sub.value} --no-cache`{stage_note(ctx, found.instruction)}",
            name.start,
            sub.end,
            Fix(
                f"Insert `--no-cache` after `apk {sub.value}`",
                (Edit.insert(sub.end, " --no-cache"),),
                Applicability.SAFE,
            ),
        )


def _update_violation(ctx: FixContext, found: _UpdateFinding) -> Violation:
    command = found.command
    sub = _subcommand(command)
    name = command.effective_name
    assert sub is not None and name is not None
    ins = ctx.instruction_at(command.start)
    note = stage_note(ctx, ins) if ins is not None else ""
    if found.fix is None:
        return Violation(
            INFO.code,
            f"{found.message}{note}",
            name.start,
            sub.end,
            reason=no_fix(found.reason),
        )
    return Violation(INFO.code, f"{found.message}{note}", name.start, sub.end, found.fix)
