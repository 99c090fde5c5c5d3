"""Pass -y to apt-get commands that can ask for confirmation.

## What it does

Finds `apt-get` and `apt` commands that may ask "Do you want to continue?
[Y/n]" (`install`, `reinstall`, `build-dep`, `satisfy`, the upgrades,
`remove`, `purge`, `autoremove`) without anything that answers it, and
inserts `-y` right after the command word: `apt-get install curl` becomes
`apt-get install -y curl`.

Already answered: `-y`, `--yes`, `--assume-yes` (also in a cluster such as
`-qy`), quiet level 2 (`-qq`, `-q=2`, `-q -q`), which implies `-y`,
`-o APT::Get::Assume-Yes=true`, a simulation (`-s`, `--dry-run`,
`--print-uris`), an explicit `--assume-no`, and input piped or redirected
into the command (`yes | apt-get install x`).

## Why

A `docker build` has no terminal: apt reads the answer from an empty stdin,
takes it as "no", prints `Abort.` and exits 1. Whether it asks depends on
what the mirror holds that day (a new dependency is enough), so a build that
worked yesterday fails today. `apt` behaves the same, and also warns that its
command line is not stable in scripts.

## Example

Before:

    RUN apt-get update && apt-get install curl && rm -rf /var/lib/apt/lists/*

After:

    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*

## Fix safety

Safe. `-y` only answers the confirmation prompt: when apt would not have
asked, nothing changes; when it would have asked, the build used to stop with
`Abort.`, so there was no image to change. `-y` does not let apt remove
essential packages, downgrade or change held packages: those still need their
own `--allow-*` options, as before.

## Caveats

- `--force-yes` is not an answer: apt only consults it after `-y` or
  quiet level 2 (and it is deprecated), so `apt-get install --force-yes x`
  still stops at the prompt and gets `-y`. hadolint counts `--force-yes`
  and any `-q` as an answer; this rule does not (`-q` alone is quiet level 1).
- A non-literal argument that could expand to options (`apt-get install $OPTS x`)
  may hold `-y`: reported without a fix.
- An `APT::Get::Assume-Yes` set in an `apt.conf` file is not read; `-y`
  is then redundant but harmless.
- Skipped: Windows images, `ONBUILD` triggers, exec-form `RUN`s and scripts
  that do not parse.

## Related

hadolint DL3014 ("Use the `-y` switch to avoid manual input"), which covers
`apt-get install` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix

from . import _apt

INFO = RuleInfo(
    code="MF103",
    name="apt_prompt_unanswered",
    title="Pass -y to apt-get commands that can ask for confirmation",
    applicability=Applicability.SAFE,
    related=("DL3014",),
    doc=__doc__ or "",
)


@dataclass(frozen=True, slots=True)
class _Outcome:
    instruction: Instruction
    reason: str
    """``fix``, ``hidden options`` (reported without a fix), or why it is skipped."""
    call: _apt.AptCall | None = None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for outcome in _outcomes(tree, ctx):
        call = outcome.call
        if call is None or call.subcommand is None:
            continue
        name = f"{call.program} {call.name}"
        if outcome.reason == "fix":
            edit = Edit.insert(call.subcommand.end, " -y")
            yield Violation(
                INFO.code,
                f"`{name}` can stop at a prompt: pass -y",
                call.command.start,
                call.command.end,
                Fix(f"Insert -y after `{name}`", (edit,), Applicability.SAFE),
            )
        else:
            yield Violation(
                INFO.code,
                f"`{name}` can stop at a prompt: pass -y (no fix: {outcome.reason})",
                call.command.start,
                call.command.end,
                reason=no_fix(outcome.reason),
            )


def _outcomes(tree: Dockerfile, ctx: FixContext) -> Iterator[_Outcome]:
    for ins, script, skipped in _apt.apt_runs(tree, ctx):
        if script is None:
            yield _Outcome(ins, skipped)
            continue
        for call in _apt.apt_calls(script):
            if call.name not in _apt.PROMPTING:
                continue
            if call.assumes_yes or not call.acts or call.has("assume-no"):
                continue
            if _apt.stdin_fed(call.command):
                yield _Outcome(ins, "stdin fed", None)
                continue
            yield _Outcome(ins, "hidden options" if call.hidden else "fix", call)
