"""Delete the apt lists in the RUN that installs packages.

## What it does

Finds a ``RUN`` that installs packages with ``apt-get`` or ``apt`` (``install``,
``reinstall``, ``build-dep``, ``satisfy``, or an ``upgrade``/``dist-upgrade``/
``full-upgrade`` after an ``update``) and does not delete ``/var/lib/apt/lists``
afterwards, and appends ``rm -rf /var/lib/apt/lists/*`` at the end of that
``RUN``, joined the way the ``RUN`` joins its commands.

## Why

``apt-get update`` downloads the package lists of every configured repository
into ``/var/lib/apt/lists`` (tens of megabytes for Debian, more for Ubuntu with
universe). Nothing in the running container needs them, and a file deleted in a
later ``RUN`` still takes space in the layer that wrote it: the lists have to go
in the same ``RUN``. ``apt-get clean`` does not help here: it empties
``/var/cache/apt/archives``, not the lists. Stale lists left in an image also
make a later ``apt-get install`` (in the same Dockerfile or a child image) use
an old index instead of failing loudly.

## Example

Before:

    RUN apt-get update && apt-get install -y --no-install-recommends \\
            curl ca-certificates

After:

    RUN apt-get update && apt-get install -y --no-install-recommends \\
            curl ca-certificates && \\
        rm -rf /var/lib/apt/lists/*

(In a ``set -eux; ...; ...`` script the command is joined with ``;``; in a
``RUN <<EOF`` script it goes on its own line; a ``sudo apt-get`` gets
``sudo rm``.)

## Fix safety

Safe. The command is appended after everything else the ``RUN`` does, so no
command of that ``RUN`` can miss the lists; it runs only when the script so far
succeeded (``&&``, or ``;`` under ``set -e``) and cannot fail (``rm -f``), so the
``RUN``'s exit status is unchanged. The fix is not offered when a later ``RUN``
of the same image (the rest of the stage, stages built ``FROM`` it, ``ONBUILD``
triggers) may read the lists before running its own ``apt-get update``: the
finding is reported without a fix, because deleting the lists would make that
``apt-get install`` fail. Nothing at run time reads ``/var/lib/apt/lists``.

## Caveats

- Skipped: Windows images, ``ONBUILD`` triggers, stages that are not shipped
  (only the final stage and the stages it is built ``FROM`` are), ``RUN``s whose
  lists sit on a cache, tmpfs or bind mount (``--mount=type=cache,target=/var/lib/apt``),
  exec-form ``RUN``s and scripts that do not parse.
- Already clean: any later command naming ``/var/lib/apt/lists`` (``rm -rf``,
  ``rm -r``, ``rm -fr``, quoted or not, ``find ... -delete``) or
  ``apt-get distclean``. A quoted glob (``rm -rf "/var/lib/apt/lists/*"``) deletes
  nothing but is taken as the author's clean-up and left alone.
- Reported without a fix: an install inside a function definition, a script
  that ends with ``exit``/``exec`` or in the background (``&``), apt run through
  ``gosu``/``su-exec``/``chroot``-like wrappers, and lists a later ``RUN`` needs.
- An install ``RUN`` without an ``apt-get update`` of its own, after a ``RUN`` that
  updated and kept the lists, is not reported: deleting them there frees nothing
  (they stay in the earlier layer); the earlier ``RUN`` is reported instead.
- A ``RUN`` that runs a copied script (``RUN ./install.sh``) is not read: if such
  a script installs packages without ``apt-get update`` after this fix, it fails.
  Child images built ``FROM`` this image must run ``apt-get update`` too, as
  Docker's own guidance already requires.

## Related

hadolint DL3009 ("Delete the apt-get lists after installing something"), which
looks for an ``rm`` with ``-rf`` or ``/var/lib/apt/lists/*`` in a ``RUN`` with
``apt-get update`` (it does not know ``apt-get distclean``, and it also flags
stages that are only used as the base of unshipped stages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import mounted_over
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import append_command
from manifesto.shell import Command, ShellScript

from . import _apt

INFO = RuleInfo(
    code="MF101",
    name="apt_lists_kept",
    title="Delete the apt lists in the RUN that installs packages",
    applicability=Applicability.SAFE,
    related=("DL3009",),
    doc=__doc__ or "",
)

CLEANUP = "rm -rf /var/lib/apt/lists/*"
_MOUNTS = ("cache", "tmpfs", "bind")
_UPDATE = re.compile(r"(?<![\w-])update(?![\w-])")
_PRIVILEGED = frozenset({"sudo", "doas"})
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
        yield Violation(INFO.code, message, outcome.command.start, outcome.command.end, fixes)


def _outcomes(tree: Dockerfile, ctx: FixContext) -> Iterator[_Outcome]:
    """One outcome per RUN that installs with apt (used by ``fix`` and the corpus report)."""
    windows = ctx.windows
    for ins in tree.instructions:
        if ins.effective.keyword != "RUN":
            continue
        if ins.keyword == "ONBUILD":
            if _apt.APT_WORD.search(_apt.run_text(ctx, ins)):
                yield _Outcome(ins, "onbuild")
            continue
        if windows:
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
    if not ctx.is_shipped(ins):
        return _Outcome(ins, "not shipped")
    if _cleans_up(script, calls, last_reader):
        return _Outcome(ins, "clean")
    if not any(c.name == "update" for c in calls) and _lists_from_earlier_run(ins, ctx):
        return _Outcome(ins, "lists from an earlier RUN")
    command = last_install.command
    reason = _no_fix_reason(ins, script, calls, ctx)
    if reason is not None:
        return _Outcome(ins, reason, command)
    prefix = _privilege_prefix(calls)
    return _Outcome(ins, "fix", command, append_command(ins, script, prefix + CLEANUP))


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
    for earlier in _apt.earlier_instructions(ctx, ins):
        if earlier.keyword != "RUN" or mounted_over(earlier, _apt.LISTS, _MOUNTS):
            continue
        script = ctx.shell(earlier)
        if script is None or script.has_errors or not script.supported:
            text = _apt.run_text(ctx, earlier)
            if _apt.APT_WORD.search(text) and _UPDATE.search(text) and _apt.LISTS not in text:
                return True
            continue
        updates = [c for c in _apt.apt_calls(script) if c.name == "update"]
        if updates and not any(
            c.start > updates[-1].command.start and _deletes_lists(c) for c in script.commands
        ):
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
    last = script.statements[-1]
    if last.terminator == "&" or any(
        c.command.operator_after == "&" or c.command.operator_before == "&" for c in calls
    ):
        return "runs in the background"
    if _ends_with_exit(script):
        return "script ends with exit/exec"
    if any(_wrapper_names(c.command) & _NO_FIX_WRAPPERS for c in calls):
        return "apt runs as another user"
    for later in _apt.later_instructions(ctx, ins):
        if _apt.reads_lists_first(ctx, later):
            return f"line {later.start_line} reads the lists without apt-get update"
    return None


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
