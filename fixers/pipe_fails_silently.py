"""Run piped RUNs under bash with pipefail.

## What it does

Finds the first `RUN` of each stage with a pipe (`curl -fsSL URL | tar -xz`)
run without `pipefail`, in a stage whose `SHELL` is the default
`/bin/sh -c`, and inserts, on the line before it (above the comments that
belong to it), in the file's keyword case, indentation and newline:

    SHELL ["/bin/bash", "-o", "pipefail", "-c"]

Only where bash is certainly in the image: Debian, Ubuntu, RHEL and its
rebuilds (UBI, CentOS, Rocky, Alma, Oracle Linux), Fedora and Amazon Linux
bases, where bash is part of the base system. Never on Alpine or BusyBox
(no bash), distroless, chiseled or `ubi-micro` images (no shell to speak
of), nor on a base that cannot be told: there the rule reports the pipe
without a fix.

Already fine: a pipe after `set -o pipefail` in the same script, and stages
whose `SHELL` (their own, or one of a stage they are built FROM) is not the
default; such a `SHELL` without `pipefail` is reported without a fix.

## Why

A pipeline's status is the status of its last command. In
`RUN curl -fsSL https://example.com/tool.tgz | tar -xz` a failed download
(404, TLS error, timeout) gives `tar` an empty input; if `tar` is content
with that, the `RUN` succeeds and the image ships without the tool.
`pipefail` makes the pipeline fail when any part of it fails. `dash`, the
`/bin/sh` of Debian and Ubuntu, has no `pipefail` before version 0.5.12
(Debian 12 has 0.5.12, Ubuntu 22.04 0.5.11): hence bash, not `set -o
pipefail` in `sh`.

## Example

Before:

    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates
    # the release archive
    RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin

After:

    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    # the release archive
    RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin

## Fix safety

Unsafe. The `SHELL` applies to every later `RUN` of the stage, to its
shell-form `CMD`, `ENTRYPOINT` and `HEALTHCHECK`, and to the stages built
FROM it (it is part of the image's configuration). Those now run under bash
instead of `sh` (`echo -e`, `[[`, brace expansion behave differently), and
with `pipefail` a pipe that used to pass may fail on purpose:
`yes | apt-get install x` ends `yes` with SIGPIPE (status 141), which now
fails the `RUN`. A stage where a covered `RUN` (its own, or one of a stage
built FROM it) pipes from `yes` or into a reader that stops early (`head`,
`grep -q`, `grep -m`) is therefore reported without a fix (reason
`pipe-ends-early`); so is one that pipes from `grep`, which exits 1 when
nothing matches (`grep -v '^#' list | xargs ...`), a result the reader
takes in its stride (reason `pipe-grep-may-match-nothing`).

## Caveats

- One `SHELL` per stage, before its first piped `RUN`: the later ones are
  covered by it; the `RUN`s before it keep `sh`. A stage built FROM a stage
  that gets the `SHELL` inherits it: its pipes are reported without a fix of
  their own.
- `ONBUILD RUN`, exec-form `RUN` and scripts that do not parse are not read.

## Related

hadolint DL4006 ("Set the SHELL option -o pipefail before RUN with a pipe in
it").
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from manifesto.context import DEFAULT_SHELL, FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import AMAZONLINUX, DEBIAN, FEDORA, RHEL_LIKE, UBUNTU, Stage
from manifesto.cst.values import exec_args
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, shell_options

from ._keyword_case import keyword_like

INFO = RuleInfo(
    code="MF610",
    name="pipe_fails_silently",
    title="Run piped RUNs under bash with pipefail",
    applicability=Applicability.UNSAFE,
    related=("DL4006",),
    doc=__doc__ or "",
)

BASH_PIPEFAIL = ("/bin/bash", "-o", "pipefail", "-c")
BASH_FAMILIES = frozenset({DEBIAN, UBUNTU, RHEL_LIKE, FEDORA, AMAZONLINUX})
# Images of those families that ship without bash (or without any shell).
_SHELLLESS_HINTS = ("distroless", "chiseled", "ubi-micro", "-micro", "/micro")

MESSAGE = "a pipe's failure is ignored: only its last command's status counts"
REASON_NO_BASH = "bash is not certainly in the image"
REASON_INHERITS_FIX = "the stage it is built FROM gets the SHELL"
REASON_OTHER_SHELL = "the stage's SHELL is not /bin/sh"
REASON_ENDS_EARLY = "a pipe of the stage ends early on purpose"
REASON_GREP_WRITER = "a pipe of the stage reads grep, which fails when nothing matches"
# Pipes that succeed today only because a side's failure is ignored: `yes` is killed
# by SIGPIPE when its reader is done (bash -o pipefail then fails the RUN with 141),
# and a reader that stops early (`head`, `grep -q`) does the same to any writer.
_ENDLESS_WRITERS = frozenset({"yes"})
_MATCHING_WRITERS = frozenset({"grep", "egrep", "fgrep", "zgrep"})
"""grep exits 1 when nothing matches (`grep -v '^#' list | xargs ...` on a list of
comments alone): the reader is fine with no input, pipefail would fail the RUN."""
_EARLY_READERS = frozenset({"head"})
_EARLY_READER_OPTIONS = {"grep": ("-q", "--quiet", "--silent", "-m", "--max-count")}


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    given: set[int] = set()
    """The stages this pass gives the SHELL: the stages built FROM them inherit it."""
    for stage in ctx.stages:
        inherited = _inherited_shell(ctx, stage)
        if inherited is not None and (shell_options(inherited) or (False, False))[1]:
            continue  # built FROM a stage whose SHELL sets pipefail already
        found = _first_silent_pipe(ctx, stage)
        if found is None:
            continue
        if any(s.index in given for s in ctx.ancestors(stage)):
            yield _report(*found, REASON_INHERITS_FIX)
            continue
        violation = _assess(ctx, stage, *found)
        if violation.fix is not None:
            given.add(stage.index)
        yield violation


def _first_silent_pipe(ctx: FixContext, stage: Stage) -> tuple[Instruction, Command] | None:
    for ins in stage.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            continue
        pipe = _silent_pipe(script)
        if pipe is not None:
            return ins, pipe
    return None


def _silent_pipe(script: ShellScript) -> Command | None:
    """The first command that reads a pipe while ``pipefail`` is off."""
    for command in script.commands:
        if command.operator_before in ("|", "|&") and not command.pipefail:
            return command
    return None


def _assess(ctx: FixContext, stage: Stage, ins: Instruction, pipe: Command) -> Violation:
    if ctx.shell_argv(ins) != DEFAULT_SHELL or _inherited_shell(ctx, stage) is not None:
        return _report(ins, pipe, REASON_OTHER_SHELL)
    if not _has_bash(ctx, ins):
        return _report(ins, pipe, REASON_NO_BASH)
    early = _early_ending_pipe(ctx, stage, ins)
    if early is not None:
        command, why = early
        return _report(ins, pipe, f"{why} (`{command.text}` on line {_line(ctx, command)})")
    comments = ctx.tree.comments_before(ins)
    at = comments[0].start if comments else ins.start
    first_line = ins.lines[0]
    indent = first_line.content[: len(first_line.content) - len(first_line.content.lstrip())]
    # a RUN that ends the file has no newline of its own: the file's (a CRLF file stays CRLF)
    newline = ctx.tree.line_break(ins)
    keyword = keyword_like(ctx, ins, "SHELL")
    line = f"{indent}{keyword} {json.dumps(list(BASH_PIPEFAIL))}{newline}"
    return Violation(
        INFO.code,
        f"{MESSAGE}; run the stage's RUNs under bash with pipefail",
        pipe.start,
        pipe.end,
        Fix(
            f"Insert SHELL {json.dumps(list(BASH_PIPEFAIL))} before line {ins.start_line}",
            (Edit.insert(at, line),),
            Applicability.UNSAFE,
        ),
    )


def _early_ending_pipe(
    ctx: FixContext, stage: Stage, first: Instruction
) -> tuple[Command, str] | None:
    """A pipe in a RUN the SHELL would cover (from ``first`` on, and every RUN of the
    stages built FROM the stage, which inherit the SHELL) that pipefail would turn into
    a failure: ``yes | ...``, ``... | head``, ``... | grep -q``, ``grep x | ...``."""
    heirs = [s for s in ctx.stages if s is not stage and stage in ctx.ancestors(s)]
    covered = False
    for ins in (*stage.instructions, *(i for s in heirs for i in s.instructions)):
        covered = covered or ins is first
        if not covered or ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None:
            continue
        commands = script.commands
        for i, command in enumerate(commands):
            if command.operator_before not in ("|", "|&") or i == 0:
                continue
            writer = commands[i - 1]
            if writer.program in _ENDLESS_WRITERS:
                return writer, REASON_ENDS_EARLY
            if writer.program in _MATCHING_WRITERS:
                return writer, REASON_GREP_WRITER
            options = _EARLY_READER_OPTIONS.get(command.program or "")
            if command.program in _EARLY_READERS or (
                options is not None
                and any((w.value or "").startswith(options) for w in command.effective_args)
            ):
                return command, REASON_ENDS_EARLY
    return None


def _line(ctx: FixContext, command: Command) -> int:
    return ctx.tree.position(command.start)[0]


def _report(ins: Instruction, pipe: Command, reason: str) -> Violation:
    return Violation(
        INFO.code, f"{MESSAGE} (no fix: {reason})", pipe.start, pipe.end, reason=no_fix(reason)
    )


def _inherited_shell(ctx: FixContext, stage: Stage) -> tuple[str, ...] | None:
    """The SHELL a stage starts with when it is built FROM an earlier stage that set
    one (None: the default)."""
    for earlier in reversed(ctx.ancestors(stage)[:-1]):
        for ins in reversed(earlier.instructions):
            if ins.keyword == "SHELL":
                return exec_args(ins) or ()
    return None


def _has_bash(ctx: FixContext, ins: Instruction) -> bool:
    base = ctx.base_of(ins)
    if base.unknown or base.family not in BASH_FAMILIES:
        return False
    reference = (base.reference or "").lower()
    return not any(hint in reference for hint in _SHELLLESS_HINTS)
