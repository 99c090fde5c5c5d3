"""Delete the apt lists in the RUN that installs packages.

## What it does

Finds a `RUN` that installs packages with `apt-get` or `apt` (`install`,
`reinstall`, `build-dep`, `satisfy`, or an `upgrade`/`dist-upgrade`/
`full-upgrade` after an `update`) and does not delete `/var/lib/apt/lists`
afterwards, and appends `rm -rf /var/lib/apt/lists/*` at the end of that
`RUN`, joined the way the `RUN` joins its commands.

## Why

`apt-get update` downloads the package lists of every configured repository
into `/var/lib/apt/lists` (tens of megabytes for Debian, more for Ubuntu with
universe). Nothing in the running container needs them, and a file deleted in a
later `RUN` still takes space in the layer that wrote it: the lists have to go
in the same `RUN`. `apt-get clean` does not help here: it empties
`/var/cache/apt/archives`, not the lists. Stale lists left in an image also
make a later `apt-get install` (in the same Dockerfile or a child image) use
an old index instead of failing loudly.

## Example

Before:

    RUN apt-get update && apt-get install -y --no-install-recommends \\
            curl ca-certificates

After:

    RUN apt-get update && apt-get install -y --no-install-recommends \\
            curl ca-certificates && \\
        rm -rf /var/lib/apt/lists/*

(In a `set -eux; ...; ...` script the command is joined with `;`; in a
`RUN <<EOF` script it goes on its own line; a `sudo apt-get` gets
`sudo rm`.)

## Fix safety

Safe. The command is appended after everything else the `RUN` does, so no
command of that `RUN` can miss the lists; it runs only when the script so far
succeeded (`&&`, or `;` under `set -e`) and cannot fail (`rm -f`), so the
`RUN`'s exit status is unchanged. The fix is not offered when a later `RUN`
of the same image (the rest of the stage, stages built `FROM` it, `ONBUILD`
triggers) may read the lists before running its own `apt-get update`: the
finding is reported without a fix, because deleting the lists would make that
`apt-get install` fail. The search for such a reader stops at a `RUN` that
surely runs `apt-get update` or deletes the lists (outside a condition, a
function or a loop): what comes after it sees that `RUN`'s lists, not these.
Nothing at run time reads `/var/lib/apt/lists`.

## Caveats

- Skipped: Windows stages, `ONBUILD` triggers, `RUN`s whose lists sit on a
  cache, tmpfs or bind mount (`--mount=type=cache,target=/var/lib/apt`),
  exec-form `RUN`s and scripts that do not parse.
- Stages that do not ship are fixed too, and the message says so: the fix saves
  build cache and CI disk, not image size (`--target` names the image).
- Already clean: any later command naming `/var/lib/apt/lists` (`rm -rf`,
  `rm -r`, `rm -fr`, quoted or not, `find ... -delete`) or
  `apt-get distclean`. A quoted glob (`rm -rf "/var/lib/apt/lists/*"`) deletes
  nothing but is taken as the author's clean-up and left alone.
- Reported without a fix: an install inside a function definition, a script
  that ends with `exit`/`exec` or in the background (`&`), apt run through
  `gosu`/`su-exec`/`chroot`-like wrappers, and lists a later `RUN` needs.
- An install `RUN` without an `apt-get update` of its own, after a `RUN` that
  updated and kept the lists, is not reported: deleting them there frees nothing
  (they stay in the earlier layer); the earlier `RUN` is reported instead.
- Nor is one whose commands are all known not to update the lists
  (`RUN apt-get install --only-upgrade ca-certificates`; an interpreter evaluating
  an expression written in the RUN that starts no program, `node -p "..."`,
  `python3 -c "import sys; ..."`, counts as one): the lists it reads come
  from the base image, an `rm` would only hide them in a new layer (no byte
  saved) and break child images that install without an update. A `RUN` that may
  update them out of sight (`curl ... | bash -` setup scripts,
  `add-apt-repository`, a copied script) is fixed as if it had run the update.
- A `RUN` that runs a copied script (`RUN ./install.sh`) is not read: if such
  a script installs packages without `apt-get update` after this fix, it fails.
  Child images built `FROM` this image must run `apt-get update` too, as
  Docker's own guidance already requires.

## Related

hadolint DL3009 ("Delete the apt-get lists after installing something"), which
looks for an `rm` with `-rf` or `/var/lib/apt/lists/*` in a `RUN` with
`apt-get update` (it does not know `apt-get distclean`, and it also flags
stages that are only used as the base of unshipped stages).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import buildkit_value, mounted_over, mounts
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import append_command
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript

from . import _apt
from ._package_caches import NO_PACKAGE_MANAGER_INSIDE, stage_note

INFO = RuleInfo(
    code="MF101",
    name="apt_lists_kept",
    title="Delete the apt lists in the RUN that installs packages",
    applicability=Applicability.SAFE,
    related=("DL3009",),
    doc=__doc__ or "",
)
REMOVES = ("/var/lib/apt/lists/*",)
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

CLEANUP = "rm -rf /var/lib/apt/lists/*"
_MOUNTS = ("cache", "tmpfs", "bind")
_UPDATE = re.compile(r"(?<![\w-])update(?![\w-])")
_PRIVILEGED = frozenset({"sudo", "doas"})
_LIST_KEEPERS = NO_PACKAGE_MANAGER_INSIDE | {
    "apt-key",
    "apt-mark",
    "curl",
    "debconf-set-selections",
    "dpkg",
    "gpg",
    "gpg2",
    "groupadd",
    "locale-gen",
    "update-ca-certificates",
    "useradd",
}
"""Programs that cannot run ``apt-get update`` (nor anything that does)."""
_NO_FIX_WRAPPERS = frozenset({"gosu", "su-exec", "chroot", "runuser", "setpriv", "unshare"})


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the rule makes of one RUN: a finding (with or without an edit), or a skip."""

    instruction: Instruction
    reason: str
    """``fix``, or why there is no fix (``needed later``), or why it is skipped."""
    command: Command | None = None
    edit: Edit | None = None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for outcome in _outcomes(tree, ctx):
        if outcome.command is None:
            continue
        fixes = None
        if outcome.edit is not None:
            fixes = Fix(
                f"Append `{outcome.edit.content.strip()}`",
                (outcome.edit,),
                INFO.applicability or Applicability.SAFE,
            )
        message = "apt lists are kept in the layer: delete /var/lib/apt/lists/* in this RUN"
        if outcome.edit is None:
            message += f" (no fix: {outcome.reason})"
        message += stage_note(ctx, outcome.instruction)
        reason = None if outcome.edit is not None else no_fix(outcome.reason)
        yield Violation(
            INFO.code, message, outcome.command.start, outcome.command.end, fixes, reason
        )


def _outcomes(tree: Dockerfile, ctx: FixContext) -> Iterator[_Outcome]:
    """One outcome per RUN that installs with apt (used by ``fix`` and the corpus report)."""
    for ins in tree.instructions:
        if ins.effective.keyword != "RUN":
            continue
        if ins.keyword == "ONBUILD":
            if _apt.APT_WORD.search(_apt.run_text(ctx, ins)):
                yield _Outcome(ins, "onbuild")
            continue
        if ctx.windows_at(ins):
            if _apt.APT_WORD.search(_apt.run_text(ctx, ins)):
                yield _Outcome(ins, "windows")
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            if _apt.APT_WORD.search(_apt.run_text(ctx, ins)):
                yield _Outcome(ins, "no shell")
            continue
        outcome = _assess(ins, script, ctx)
        if outcome is not None:
            yield outcome


def _assess(ins: Instruction, script: ShellScript, ctx: FixContext) -> _Outcome | None:
    calls = list(_apt.apt_calls(script))
    updated = False
    last_install: _apt.AptCall | None = None
    last_reader: Command | None = None
    for call in calls:
        if call.name == "update":
            updated = True
        if call.name not in _apt.LIST_FREE:
            last_reader = call.command
        if call.acts and (call.name in _apt.INSTALLS or (updated and call.name in _apt.UPGRADES)):
            last_install = call
    if last_install is None or last_reader is None:
        return None
    if mounted_over(ins, _apt.LISTS, _MOUNTS):
        return _Outcome(ins, "mounted")
    if _cleans_up(script, calls, last_reader):
        return _Outcome(ins, "clean")
    if not any(c.name == "update" for c in calls):
        if _lists_from_earlier_run(ins, ctx):
            return _Outcome(ins, "lists from an earlier RUN")
        if not _may_update_unseen(script, last_reader):
            return _Outcome(ins, "lists not written by this RUN")
    command = last_install.command
    reason = _no_fix_reason(ins, script, calls, ctx)
    if reason is not None:
        return _Outcome(ins, reason, command)
    prefix = _privilege_prefix(calls)
    return _Outcome(ins, "fix", command, append_command(ins, script, prefix + CLEANUP, ctx))


def _cleans_up(script: ShellScript, calls: list[_apt.AptCall], last_reader: Command) -> bool:
    """The lists are already handled: deleted after the last command reading them,
    or named anywhere else than in a plain ``rm`` that an install follows (a trap,
    a function, a variable: the author manages them; leave the RUN alone)."""
    if any(c.name in _apt.LIST_DELETERS and c.command.start > last_reader.start for c in calls):
        return True
    for command in script.commands:
        if not _names_lists(command):
            continue
        if command.start > last_reader.start:
            return True
        stale = command.program in ("rm", "find") and "function" not in command.context
        if not stale:
            return True
    return False


def _lists_from_earlier_run(ins: Instruction, ctx: FixContext) -> bool:
    """An earlier RUN of the image updated and kept the lists: this RUN's installs read
    them, deleting them here frees nothing (they stay in that layer), and that RUN is
    where the finding belongs."""
    # Indexed (one look at each RUN per pass), not a scan of every earlier RUN per RUN.
    return next(ctx.earlier_matching(ins, _keeps_updated_lists), None) is not None


def _keeps_updated_lists(ctx: FixContext, earlier: Instruction) -> bool:
    """A RUN that runs ``apt-get update`` and does not delete the lists after it."""
    if earlier.keyword != "RUN" or mounted_over(earlier, _apt.LISTS, _MOUNTS):
        return False
    script = ctx.shell(earlier)
    if script is None or script.has_errors or not script.supported:
        text = _apt.run_text(ctx, earlier)
        return bool(_apt.APT_WORD.search(text) and _UPDATE.search(text)) and (
            _apt.LISTS not in text
        )
    updates = [c for c in _apt.apt_calls(script) if c.name == "update"]
    return bool(updates) and not any(
        c.start > updates[-1].command.start and _deletes_lists(c) for c in script.commands
    )


def _may_update_unseen(script: ShellScript, last_reader: Command) -> bool:
    """Something before the last list reader may run ``apt-get update`` where this rule
    cannot see it: a piped setup script (``curl ... | bash -``), ``add-apt-repository``,
    a copied script, ``sh -c "..."``. Programs known not to touch the lists do not."""
    for command in script.commands:
        if command.start >= last_reader.start:
            break
        if _apt.apt_call(command) is not None:
            continue
        if _apt.evaluates_inline_code_only(command):
            continue  # node -p "process.arch === 'arm64' ? ... : process.exit(1)"
        if command.program not in _LIST_KEEPERS:
            return True
        if any(_apt.APT_WORD.search(w.text) for w in _apt.words_of(command)):
            return True
    return False


def _deletes_lists(command: Command) -> bool:
    call = _apt.apt_call(command)
    return _names_lists(command) or (call is not None and call.name in _apt.LIST_DELETERS)


def _names_lists(command: Command) -> bool:
    for word in _apt.words_of(command):
        text = word.value if word.value is not None else word.text
        if _apt.LISTS in text or _is_apt_state_dir(text):
            return True
    return False


def _is_apt_state_dir(text: str) -> bool:
    """``/var/lib/apt``, ``/var/lib/apt/``, ``/var/lib/apt/*``: the lists go with it."""
    return text.strip("\"'").rstrip("/*") == "/var/lib/apt"


def _no_fix_reason(
    ins: Instruction, script: ShellScript, calls: list[_apt.AptCall], ctx: FixContext
) -> str | None:
    if any("function" in c.command.context for c in calls):
        return "install inside a function"
    if not script.statements:
        return "empty script"
    if any(_in_background(script, c.command) for c in calls):
        return "runs in the background"
    if _ends_with_exit(script):
        return "script ends with exit/exec"
    if any(_wrapper_names(c.command) & _NO_FIX_WRAPPERS for c in calls):
        return "apt runs as another user"
    if _mount_inside_lists(ins):
        return REASON_MOUNT_INSIDE
    reader = _stale_reader(ctx, ins)
    if reader is not None:
        return f"line {reader.start_line} reads the lists without apt-get update"
    taker = _lists_taken_elsewhere(ctx, ins)
    if taker is not None:
        return f"line {taker.start_line} may copy the lists to another stage"
    return None


REASON_MOUNT_INSIDE = "a mount inside /var/lib/apt/lists, which rm cannot delete"


def _mount_inside_lists(ins: Instruction) -> bool:
    """A cache, tmpfs or bind mount below the lists (``.../lists/partial``): ``rm -rf
    /var/lib/apt/lists/*`` would empty it (a cache mount) and fail on its mount point."""
    return any(
        m.target and m.target.rstrip("/").startswith(_apt.LISTS.rstrip("/") + "/")
        for m in mounts(ins)
    )


def _lists_taken_elsewhere(ctx: FixContext, ins: Instruction) -> Instruction | None:
    """A ``COPY --from`` (or a ``RUN --mount=from=``) of this stage, or of one built on
    it, that may take the lists: another stage would then get them deleted."""
    stage = ctx.stage_of(ins)
    if stage is None:
        return None
    names: set[str] = set()
    for s in (stage, *ctx.graph.built_on(stage)):
        names.add(str(s.index))
        if s.name:
            names.add(s.name.lower())
    for item in ctx.cached(("apt_lists_kept.takers",), lambda: _takers(ctx)):
        eff = item.effective
        for flag in eff.flags_named("from"):
            if (flag.value or "").lower() in names:
                values, _ = buildkit_value(eff)
                if any(_may_hold_lists(source) for source in values[:-1]):
                    return item
        for mount in mounts(eff):
            fields = {k: v for k, v in mount.fields}
            if fields.get("from", "").lower() in names and _may_hold_lists(
                fields.get("source", fields.get("src", "/"))
            ):
                return item
    return None


def _takers(ctx: FixContext) -> tuple[Instruction, ...]:
    """The instructions that take files from another stage (``--from``, a mount
    ``from=``), in file order: found once, not for every RUN asked about."""
    return tuple(
        item
        for item in ctx.tree.instructions
        if any(True for _ in item.effective.flags_named("from"))
        or any(dict(m.fields).get("from") for m in mounts(item.effective))
    )


def _may_hold_lists(source: str) -> bool:
    """A source path of another stage that is, holds, or may be the lists (a variable,
    a glob)."""
    path = "/" + source.strip("\"'").lstrip("./").rstrip("/")
    if "$" in path or any(ch in path for ch in "*?["):
        return True
    lists = _apt.LISTS
    return path in ("/", lists) or lists.startswith(path + "/") or path.startswith(lists + "/")


def _stale_reader(ctx: FixContext, ins: Instruction) -> Instruction | None:
    """The first later RUN that reads the lists ``ins`` leaves, before anything
    replaces them.

    A RUN that updates or deletes the lists (without reading them first) ends the
    scan for everything built on top of it: the rest of its stage, its ONBUILD
    triggers (they run in child images, after the whole stage) and the stages built
    FROM it. A stage whose base is unknown may be built on any earlier stage: only a
    refresh in ``ins``'s own stage, or in its own chain, ends its scan.
    """
    own = ctx.stage_of(ins)
    if own is None:
        return None
    # Only the RUNs that read or replace the lists matter, read lazily stage by stage
    # (later_in_image's order): the first refresh usually ends the scan, so a file of
    # many apt RUNs is not quadratic.
    later = ctx.later_matching(ins, _reads_or_replaces_lists)
    refreshed: set[int] = set()
    for index, items in itertools.groupby(later, key=lambda item: _stage_index(ctx, item)):
        if index is None:
            continue
        chain = {s.index for s in ctx.ancestors(ctx.stages[index])}
        if chain & refreshed:
            continue  # built on a stage whose lists no longer are the ones ins left
        triggers: list[Instruction] = []
        for item in items:
            if item.keyword == "ONBUILD":
                triggers.append(item)  # they run after the whole stage
                continue
            if _apt.reads_lists_first(ctx, item):
                return item
            if _replaces_lists(ctx, item):
                refreshed.add(index)
                break
        else:
            for item in triggers:
                if _apt.reads_lists_first(ctx, item):
                    return item
                if _replaces_lists(ctx, item):
                    refreshed.add(index)
                    break
        if own.index in refreshed:
            return None  # every later stage is built on lists ins no longer leaves
    return None


def _stage_index(ctx: FixContext, ins: Instruction) -> int | None:
    stage = ctx.stage_of(ins)
    return None if stage is None else stage.index


def _reads_or_replaces_lists(ctx: FixContext, ins: Instruction) -> bool:
    return _apt.reads_lists_first(ctx, ins) or _replaces_lists(ctx, ins)


def _replaces_lists(ctx: FixContext, ins: Instruction) -> bool:
    """A RUN (not a trigger) that surely runs ``apt-get update`` or deletes the lists in
    the layer: later readers see its lists, not an earlier RUN's. A mount over the
    lists keeps the layer's lists as they were; a script that does not parse is not
    trusted."""
    if ins.keyword != "RUN" or mounted_over(ins, _apt.LISTS, _MOUNTS):
        return False
    script = ctx.shell(ins)
    if script is None or script.has_errors or not script.supported:
        return False
    for command in script.commands:
        if not _apt.runs_unconditionally(command):
            continue
        call = _apt.apt_call(command)
        if call is not None and call.name == "update" and call.acts:
            return True
        if _apt.deletes_lists(command):
            return True
    return False


def _in_background(script: ShellScript, command: Command) -> bool:
    """apt runs in the background (``apt-get install x &``, ``(...) & wait``): an
    appended ``rm`` could run while it still reads the lists. A command started in
    the background before apt (``dockerd & apt-get ...``) does not count."""
    if command.operator_after == "&":
        return True
    # The statement holding the command, found by index: a scan of every statement
    # for every apt command is quadratic in a long script.
    statement = script.statement_of(command)
    if statement is None or statement.terminator != "&" or not statement.commands:
        return False
    at = command.index - statement.commands[0].index
    return 0 <= at < len(statement.commands) and statement.commands[at] is command


def _ends_with_exit(script: ShellScript) -> bool:
    """The script's last command is an ``exit``/``exec`` that runs when all went well
    (``... && exit 0``): nothing appended after it would run. ``|| exit 1`` is fine."""
    last = script.statements[-1]
    for command in reversed(last.commands):
        if command.context:
            continue
        name = command.name.value if command.name is not None else None
        return name in ("exit", "exec") and command.operator_before != "||"
    return False


def _wrapper_names(command: Command) -> set[str]:
    """Basenames of the wrapper commands in front of the effective one (``sudo -E``)."""
    out: set[str] = set()
    for word in command.words:
        if word is command.effective_name:
            break
        if word.value is not None:
            out.add(word.value.rsplit("/", 1)[-1])
    return out


def _privilege_prefix(calls: list[_apt.AptCall]) -> str:
    """``sudo `` when the installs run through sudo: the RUN's user is not root."""
    for call in reversed(calls):
        if call.name in _apt.INSTALLS or call.name in _apt.UPGRADES:
            wrappers = _wrapper_names(call.command) & _PRIVILEGED
            return f"{sorted(wrappers)[0]} " if wrappers else ""
    return ""
