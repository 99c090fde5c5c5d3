"""Pass --no-install-recommends to apt-get install.

## What it does

Finds ``apt-get install`` and ``apt install`` commands that let apt install
every package the requested ones merely *recommend*, and inserts
``--no-install-recommends`` after the ``install`` word (after a ``-y``-like
option that directly follows it, so that both fixes read
``apt-get install -y --no-install-recommends x``).

Already clean: ``--no-install-recommends``, ``--install-recommends=no`` (or
``false``, ``0``, ``off``), ``-o APT::Install-Recommends=false`` (or ``0``,
``no``, ``off``). Left alone: an explicit ``--install-recommends`` or
``-o APT::Install-Recommends=true`` (the author wants them), and images whose
Dockerfile configures ``APT::Install-Recommends`` before the install (for
example in ``/etc/apt/apt.conf.d``).

## Why

Recommends are "usually installed together" packages, not dependencies:
``python3-pip`` recommends a whole compiler toolchain (``build-essential``,
``python3-dev``), ``git`` recommends ``openssh-client``, ``patch`` and ``less``.
They grow the image, widen its attack surface and its CVE reports, and change
with the mirror. Debian and Ubuntu base images keep apt's default, which is to
install them.

## Example

Before:

    RUN apt-get update && apt-get install -y curl \\
        && rm -rf /var/lib/apt/lists/*

After:

    RUN apt-get update && apt-get install -y --no-install-recommends curl \\
        && rm -rf /var/lib/apt/lists/*

## Fix safety

Unsafe. Something in the image may rely on a recommended package without
saying so: ``libcurl4`` only recommends ``ca-certificates``, so a
``curl https://...`` that worked fails with a certificate error; ``git`` over
SSH needs ``openssh-client``. The image builds and fails at run time. Review
what apt stops installing (``apt-get install --dry-run`` with and without the
flag) and add the needed packages to the install line.

## Caveats

- Where the option goes: after the command word, or after a ``-y``-like option
  that directly follows it; when the next argument is on the same line the
  option is inserted right in front of it. So this fix and MF103's ``-y`` never
  insert at the same offset when both apply, and the result does not depend on
  which runs first.
- A non-literal argument that could expand to options (``apt-get install $OPTS x``)
  may hold the flag: reported without a fix.
- Only ``install`` is covered (not ``build-dep``, ``reinstall`` or upgrades);
  ``aptitude`` is not read.
- Skipped: Windows images, ``ONBUILD`` triggers, exec-form ``RUN``s, scripts that
  do not parse, and simulations (``-s``).

## Related

hadolint DL3015 ("Avoid additional packages by specifying
``--no-install-recommends``"), which covers ``apt-get install`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.shell import ShellScript

from . import _apt

INFO = RuleInfo(
    code="MF104",
    name="apt_recommends_installed",
    title="Pass --no-install-recommends to apt-get install",
    applicability=Applicability.UNSAFE,
    related=("DL3015",),
    doc=__doc__ or "",
)

FLAG = "--no-install-recommends"
_CONFIG = re.compile(r"install-recommends", re.IGNORECASE)
_OPTION_BEFORE = re.compile(r"(?:--(?:no-)?|(?:-o|--option)[\s=]*[\"']?APT::)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Outcome:
    instruction: Instruction
    reason: str
    """``fix``, ``hidden options`` (reported without a fix), or why it is skipped."""
    call: _apt.AptCall | None = None
    edit: Edit | None = None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for outcome in _outcomes(tree, ctx):
        call = outcome.call
        if call is None:
            continue
        name = f"{call.program} {call.name}"
        message = f"`{name}` also installs recommended packages: pass {FLAG}"
        fixed = None
        if outcome.edit is not None:
            fixed = Fix(f"Insert {FLAG} after `{name}`", (outcome.edit,), Applicability.UNSAFE)
        else:
            message += f" (no fix: {outcome.reason})"
        yield Violation(INFO.code, message, call.command.start, call.command.end, fixed)


def _outcomes(tree: Dockerfile, ctx: FixContext) -> Iterator[_Outcome]:
    for ins, script, skipped in _apt.apt_runs(tree, ctx):
        if script is None:
            yield _Outcome(ins, skipped)
            continue
        configured: bool | None = None
        for call in _apt.apt_calls(script):
            if call.name != "install" or not call.acts or _recommends_chosen(call):
                continue
            if configured is None:
                configured = _configured(ctx, ins, script)
            if configured:
                yield _Outcome(ins, "configured")
                continue
            if call.hidden:
                yield _Outcome(ins, "hidden options", call)
                continue
            yield _Outcome(ins, "fix", call, _insertion(ctx.text, call))


def _recommends_chosen(call: _apt.AptCall) -> bool:
    """The command says either way: ``--no-install-recommends``, ``--install-recommends``,
    or ``-o APT::Install-Recommends=...``."""
    if call.has("no-install-recommends", "install-recommends"):
        return True
    return call.config("APT::Install-Recommends") is not None


def _configured(ctx: FixContext, ins: Instruction, script: ShellScript) -> bool:
    """``APT::Install-Recommends`` is set in apt's configuration before the install:
    by an earlier instruction of the image, or by a command of this RUN that is not apt."""
    for earlier in _apt.earlier_instructions(ctx, ins):
        if _sets_config(earlier.render()):
            return True
    return any(
        _apt.apt_call(command) is None and any(_sets_config(w.text) for w in _apt.words_of(command))
        for command in script.commands
    )


def _sets_config(text: str) -> bool:
    """``Install-Recommends`` named as configuration, not as an apt option
    (``--no-install-recommends``, ``-o APT::Install-Recommends=0``)."""
    for match in _CONFIG.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if not _OPTION_BEFORE.search(before):
            return True
    return False


def _insertion(text: str, call: _apt.AptCall) -> Edit:
    """Where the flag goes: after a ``-y`` that follows ``install``; else in front of the
    argument that follows on the same line; else right after ``install``."""
    sub = call.subcommand
    assert sub is not None
    after = call.after_subcommand
    if after is not None and _apt.yes_word(after):
        return Edit.insert(after.end, f" {FLAG}")
    if after is not None and text[sub.end : after.start].strip(" \t") == "":
        return Edit.insert(after.start, f"{FLAG} ")
    return Edit.insert(sub.end, f" {FLAG}")
