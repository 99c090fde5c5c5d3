"""Run apt-get update in the same RUN as the install that needs it.

## What it does

Finds an `apt-get update` (or `apt update`) that nothing after it in the
same `RUN` uses: no install, upgrade or other list-reading apt command, and
nothing that could run one (a script, `xargs`, `sh -c`). When the next
instruction is a `RUN` that installs with those lists, the fix moves the
update into it: the update `RUN` is deleted and its command is put in front of
the install, joined with `&&`.

## Why

Each `RUN` is a cached layer. With the update in a `RUN` of its own, a later
change to the install line rebuilds only the install, on top of the cached (and
possibly months old) lists: packages that have since left the mirror fail with
404, and fixed versions are silently not picked up. Docker's guidance is to
always combine `apt-get update` with `apt-get install` in the same `RUN`.
An update whose lists nothing uses also leaves tens of megabytes in the layer.

## Example

Before:

    RUN apt-get update
    RUN apt-get install -y --no-install-recommends curl

After:

    RUN apt-get update && apt-get install -y --no-install-recommends curl

## Fix safety

Safe. The fix applies only when the update `RUN` holds nothing but that one
command (a trailing shell comment is kept as a comment line), has no flags, and
is followed directly (comments and blank lines aside) by a `RUN` in the same
stage that has no flags other than cache mounts, reads the lists before running
an update of its own, and whose script is a single `&&` chain. Then the
update runs in the same environment (same user, working directory, variables
and shell) right before the same commands, and a failing update still fails the
build (`update && a && b` stops at the first failure like two `RUN`s do).
The final filesystem is the same; only the layer boundary moves (and a clean-up
in the install `RUN` now really removes the lists from the image).

## Caveats

- Layout: the update goes in front of the install on the same line, unless the
  install's continuation lines are aligned under words of that line; then the
  update takes the line alone and the install keeps its column on the next one.
  The comment lines that introduced the update RUN (and a trailing shell
  comment on it) move down with it: the blank lines between it and the install
  go, so that no comment is left above nothing.
- Reported without a fix: an update that is followed by other instructions
  (`ENV`, `COPY` of a `sources.list` ...), by a `RUN` that runs its own
  update or does not install, by a `set -e; a; b` or `a || b` script, or
  that shares its `RUN` with other commands; and an update no later `RUN`
  uses (delete it by hand).
- Not reported: an update whose lists the same `RUN` deletes afterwards
  (`apt-get update; apt-get dist-clean`, `... && rm -rf /var/lib/apt/lists/*`):
  a check that the repositories answer, which leaves nothing in the layer.
- Skipped: Windows images, `ONBUILD` triggers, scripts that do not parse, and
  updates whose lists sit on a cache or tmpfs mount.
- A command this rule cannot see into (`RUN apt-get update && ./install.sh`)
  counts as using the lists: no finding.

## Related

No hadolint rule; hadolint DL3009 flags the same `RUN` when the lists are not
deleted. Docker's "Best practices for Dockerfile instructions", section
`apt-get`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Blank, Comment, Dockerfile, Element, Instruction, Role
from manifesto.cst.values import mounted_over, mounts
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import aligned_under, chain_joint
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript

from . import _apt
from ._package_caches import NO_PACKAGE_MANAGER_INSIDE

INFO = RuleInfo(
    code="MF102",
    name="apt_update_alone",
    title="Run apt-get update in the same RUN as the install that needs it",
    applicability=Applicability.SAFE,
    related=(),
    doc=__doc__ or "",
)

_CODE_ROLES = (Role.FIRST, Role.CONTINUATION)

_INERT = NO_PACKAGE_MANAGER_INSIDE | {
    "apt-mark",
    "dpkg",
    "groupadd",
    "rmdir",
    "sleep",
    "tar",
    "unset",
    "useradd",
    "usermod",
}
"""Programs that cannot read the lists, nor run something that does."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    instruction: Instruction
    reason: str
    """``fix``, or why there is no fix, or why the RUN is skipped."""
    command: Command | None = None
    fix: Fix | None = None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for outcome in _outcomes(tree, ctx):
        if outcome.command is None:
            continue
        message = "apt-get update without an install after it in this RUN"
        if outcome.fix is None:
            message += f" (no fix: {outcome.reason})"
        else:
            message += ": move it into the next RUN"
        reason = None if outcome.fix is not None else no_fix(outcome.reason)
        yield Violation(
            INFO.code, message, outcome.command.start, outcome.command.end, outcome.fix, reason
        )


def _outcomes(tree: Dockerfile, ctx: FixContext) -> Iterator[_Outcome]:
    for ins, script, skipped in _apt.apt_runs(tree, ctx):
        if script is None:
            yield _Outcome(ins, skipped)
            continue
        update = _lone_update(script)
        if update is None:
            continue
        if mounted_over(ins, _apt.LISTS):
            yield _Outcome(ins, "mounted")
            continue
        yield _merge(tree, ctx, ins, script, update)


def _lone_update(script: ShellScript) -> Command | None:
    """The last update of the script, when nothing after it may use the lists."""
    updates = [c for c in _apt.apt_calls(script) if c.name == "update"]
    if not updates:
        return None
    update = updates[-1].command
    for command in script.commands:
        if command.start <= update.start:
            continue
        if _apt.deletes_lists(command) and _apt.runs_unconditionally(command):
            # "apt-get update; apt-get dist-clean": a repository check that leaves
            # nothing behind in the layer, not an update waiting for an install
            return None
        call = _apt.apt_call(command)
        if call is not None:
            if call.name in _apt.LIST_FREE:
                continue
            return None
        if command.program is None and command.name is not None:
            return None
        if command.program is not None and command.program not in _INERT:
            return None
        if any(_apt.APT_WORD.search(w.text) for w in _apt.words_of(command)):
            return None
        if command.program in ("echo", "printf", "cat", "tee") and command.redirects:
            return None  # may write a script or an apt configuration that something reads
    return update


def _merge(
    tree: Dockerfile, ctx: FixContext, ins: Instruction, script: ShellScript, update: Command
) -> _Outcome:
    """Move a lone ``RUN apt-get update`` into the next RUN, when that is exact."""
    alone = (
        len(script.commands) == 1
        and len(script.statements) == 1
        and script.statements[0].end == update.end
        # nothing before it either: "! apt-get update" is not in the statement's span
        and not ctx.text[script.source.offset : update.start].strip()
    )
    if not alone:
        return _Outcome(ins, "RUN does more than the update", update)
    if ins.flags:
        return _Outcome(ins, "update RUN has flags", update)
    if "\n" in update.text or any(r.heredoc for r in update.redirects):
        return _Outcome(ins, "update spans lines", update)
    rest = ctx.text[script.statements[0].end : ins.content_end].strip()
    if rest and (not rest.startswith("#") or "\n" in rest):
        return _Outcome(ins, "text after the update", update)
    nxt = _next_instruction(tree, ins)
    if nxt is None or nxt.keyword == "FROM":
        return _Outcome(ins, "nothing after it in the stage", update)
    if nxt.keyword != "RUN":
        return _Outcome(ins, f"{nxt.keyword} comes before the install", update)
    reason = _target_reason(ctx, nxt)
    if reason is not None:
        return _Outcome(ins, reason, update)
    target = ctx.shell(nxt)
    assert target is not None
    newline = ins.line_break or "\n"
    indent = ins.lines[0].content[: len(ins.lines[0].content) - len(ins.lines[0].content.lstrip())]
    kept = f"{indent}{rest}{newline}" if rest else ""
    before = _element_before(tree, ins)
    # the blank lines after it go when a comment moves down with it, or when a blank
    # line before it already separates what is above from the install
    glue = bool(rest) or isinstance(before, Comment | Blank)
    edits = (
        Edit(ins.start, _removal_end(tree, ins) if glue else ins.end, kept),
        _prepend(ctx, nxt, target, update.text),
    )
    return _Outcome(
        ins,
        "fix",
        update,
        Fix(
            f"Move `{update.text}` into the RUN on line {nxt.start_line}", edits, Applicability.SAFE
        ),
    )


def _element_before(tree: Dockerfile, ins: Instruction) -> Element | None:
    elements = tree.elements
    k = elements.index(ins)
    return elements[k - 1] if k > 0 else None


def _removal_end(tree: Dockerfile, ins: Instruction) -> int:
    """Where the deletion of the update RUN ends: past the blank lines after it, so
    that a comment introducing it (or its trailing shell comment, kept as a comment
    line) moves down to the install it now introduces instead of being left above
    nothing, and a RUN that stood between blank lines leaves one, not two."""
    elements = tree.elements
    end = ins.end
    for element in elements[elements.index(ins) + 1 :]:
        if not isinstance(element, Blank):
            break
        end = element.end
    return end


def _prepend(ctx: FixContext, nxt: Instruction, target: ShellScript, update: str) -> Edit:
    """The update put in front of the install RUN's first statement.

    On the same line (``update && install``) unless the install's continuation lines
    are aligned under words of that line (``install -y curl \\`` over
    ``                   git``), which the text put in front would shift: then the
    update takes the line alone and the install starts the next line at the column
    it had, so every line keeps its column.
    """
    at = target.statements[0].start
    lines = [ln for ln, role in zip(nxt.lines, nxt.roles, strict=True) if role in _CODE_ROLES]
    k = max(i for i, ln in enumerate(lines) if ln.start <= at)
    line = lines[k]
    column = at - line.start
    if not aligned_under(line.content, column + 1, lines[k + 1 :]):
        return Edit.insert(at, f"{update} && ")
    joint = chain_joint(nxt, target, "&&", ctx)
    before_operator = " " if joint.operator_first else joint.before_operator
    before_escape = " " if joint.operator_first else joint.before_escape
    newline = line.newline or (nxt.line_break or "\n")
    pad = "".join(ch if ch == "\t" else " " for ch in line.content[:column])
    return Edit.insert(at, f"{update}{before_operator}&&{before_escape}{nxt.escape}{newline}{pad}")


def _next_instruction(tree: Dockerfile, ins: Instruction) -> Instruction | None:
    """The instruction right after ``ins``, with only comments and blank lines between."""
    elements = tree.elements
    for element in elements[elements.index(ins) + 1 :]:
        if isinstance(element, Comment | Blank):
            continue
        return element if isinstance(element, Instruction) else None
    return None


def _target_reason(ctx: FixContext, nxt: Instruction) -> str | None:
    """Why the update cannot go in front of ``nxt``'s script, or None when it can."""
    if any(f.name != "mount" for f in nxt.flags) or any(m.type != "cache" for m in mounts(nxt)):
        return "next RUN has flags"
    script = ctx.shell(nxt)
    if script is None or script.has_errors or not script.supported:
        return "next RUN does not parse"
    if script.script_heredoc is not None:
        return "next RUN is a here-document"
    if any("function" in c.context for c in script.commands):
        return "next RUN defines a function"
    if mounted_over(nxt, _apt.LISTS, ("cache", "tmpfs", "bind")):
        return "next RUN reads the lists from a mount, not from this layer"
    if not _apt.reads_lists_first(ctx, nxt):
        return "next RUN does not install first"
    if len(script.statements) != 1:
        return "next RUN has several statements"
    first = script.statements[0]
    if any(op not in ("&&", "|", "|&") for op in first.operators) or first.terminator == "&":
        return "next RUN is not an && chain"
    if not _layout_only(ctx.text[script.source.offset : first.start]):
        return "next RUN starts with !"  # "! a": the statement's span starts after the "!"
    return None


def _layout_only(text: str) -> bool:
    """Blanks, line continuations and comment lines only."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped not in ("", "\\") and not stripped.startswith("#"):
            return False
    return True
