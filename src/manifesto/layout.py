"""Writing new shell text into a RUN in the file's own style.

Fixers that add a command (a clean-up after an install, say) call
:func:`append_command`: it finds where the script's last top-level statement
ends and joins the new command with the operator that keeps the script's
meaning, laid out the way the RUN already is: its newline, its escape
character, and the way it breaks its chain across lines.

That last part is read from the RUN's own *joints*: the places where a
top-level command of the chain starts a continuation line after ``&&`` (or
``;``, ``||``). A joint tells the operator's place (``cmd && \\`` at the end of
a line, or ``\\`` then ``&& cmd`` on the next), the spacing around it (``&&\\``
or ``&& \\``) and the indentation of the chain's command lines, which is not
the indentation of a package list continued under one of them. A RUN without a
joint of its own takes the most common joint of the file's other RUNs, then a
plain default (`` && \\`` and four spaces).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from manifesto.context import FixContext
from manifesto.cst import Instruction, Line, Role
from manifesto.edits import Edit
from manifesto.shell import ShellScript

JOINING_OPERATORS = ("&&", "||", ";", "|")
CHAIN_OPERATORS = frozenset({"&&", "||", ";"})
"""Operators that join the commands of a chain (a pipe ``|`` joins one command's parts)."""
DEFAULT_INDENT = "    "

_CODE_ROLES = (Role.FIRST, Role.CONTINUATION)


@dataclass(frozen=True, slots=True)
class RunStyle:
    newline: str
    escape: str
    indent: str
    operator_first: bool
    """``\\`` then ``&& cmd`` on the next line (True) or ``cmd && \\`` (False)."""
    multiline: bool


@dataclass(frozen=True, slots=True)
class Joint:
    """How a chain breaks across lines at one top-level operator.

    Operator last::

        apt-get update{before_operator}&&{before_escape}\\
        {indent}apt-get install ...

    Operator first::

        apt-get update{before_escape}\\
        {indent}&&{after_operator}apt-get install ...
    """

    operator: str
    operator_first: bool
    before_operator: str
    after_operator: str
    before_escape: str
    indent: str
    """Leading whitespace of the line where the chain goes on, relative to the
    indentation of the RUN's first line."""

    def joining(self, operator: str) -> Joint:
        """The same layout for another operator (``;`` sits against its command)."""
        if operator == self.operator:
            return self
        before = "" if operator == ";" else " "
        after = " " if self.after_operator == "" and operator != ";" else self.after_operator
        return Joint(operator, self.operator_first, before, after, self.before_escape, self.indent)

    def render(self, escape: str, newline: str, first_indent: str, command: str) -> str:
        indent = first_indent + self.indent
        if self.operator_first:
            return (
                f"{self.before_escape}{escape}{newline}"
                f"{indent}{self.operator}{self.after_operator}{command}"
            )
        return (
            f"{self.before_operator}{self.operator}{self.before_escape}{escape}{newline}"
            f"{indent}{command}"
        )


def run_style(ins: Instruction) -> RunStyle:
    """How a RUN lays out its continuation lines (by vote over all its lines)."""
    newline = next((ln.newline for ln in ins.lines if ln.newline), "\n")
    code_lines = _code_lines(ins)
    first_votes = last_votes = 0
    for line in code_lines[1:]:
        if line.content.lstrip().startswith(JOINING_OPERATORS):
            first_votes += 1
    for line in code_lines[:-1]:
        body = line.content.rstrip(" \t")
        body = body[: -len(ins.escape)] if body.endswith(ins.escape) else body
        if body.rstrip().endswith(JOINING_OPERATORS):
            last_votes += 1
    indent = DEFAULT_INDENT
    if len(code_lines) > 1:
        last = code_lines[-1].content
        indent = last[: len(last) - len(last.lstrip(" \t"))] or indent
    return RunStyle(
        newline=newline,
        escape=ins.escape,
        indent=indent,
        operator_first=first_votes > last_votes,
        multiline=len(code_lines) > 1,
    )


def joints(ins: Instruction, script: ShellScript) -> list[Joint]:
    """The RUN's top-level joints that break a line, in source order."""
    lines = _code_lines(ins)
    if len(lines) < 2 or script.script_heredoc is not None:
        return []
    first_indent = _leading(lines[0].content)
    starts = [ln.start for ln in lines]
    out: list[Joint] = []
    for command in script.commands:
        operator = command.operator_before
        if command.context or operator not in CHAIN_OPERATORS:
            continue
        k = _line_index(starts, command.start)
        if k < 1 or command.start > lines[k].content_end:
            continue
        joint = _joint_at(ins, lines[k - 1], lines[k], command.start, operator)
        if joint is not None:
            out.append(_relative(joint, first_indent))
    return out


def file_joint(ctx: FixContext, ins: Instruction, operator: str) -> Joint | None:
    """The joint most RUNs of the file use (other than ``ins``), for ``operator`` when
    some RUN breaks a line there, else for any operator; ties go to the nearest RUN."""
    found: list[tuple[int, Joint]] = []
    for other in ctx.tree.instructions:
        if other is ins or other.keyword != "RUN":
            continue
        script = ctx.shell(other)
        if script is None or script.has_errors:
            continue
        distance = abs(other.start - ins.start)
        found.extend((distance, j) for j in joints(other, script))
    if not found:
        return None
    same = [(d, j) for d, j in found if j.operator == operator]
    pool = same or found
    counts = Counter(j for _, j in pool)
    nearest = {j: d for d, j in sorted(pool, key=lambda p: p[0], reverse=True)}
    best = max(counts, key=lambda j: (counts[j], -nearest[j]))
    return best.joining(operator)


def append_command(
    ins: Instruction, script: ShellScript, command: str, ctx: FixContext | None = None
) -> Edit:
    """An insertion that runs ``command`` after everything else the RUN does.

    ``&&`` keeps the RUN's exit status (the command runs only if the script so
    far succeeded); under ``set -e`` with statements joined by ``;`` the script
    already stops at the first failure, so ``;`` keeps its style. In a
    ``RUN <<EOF`` script the command goes on the line of the last statement.

    A one-line RUN stays on one line. Otherwise the command goes on a line of its
    own, joined like the RUN's last joint; a RUN without one (its chain is all on
    the first line, the other lines continue a package list) is joined like the
    other RUNs of the file when ``ctx`` is given, else `` && \\`` with the
    indentation of four spaces past the RUN line. Where the RUN's continued lines
    line their escapes up in one column, the escape put on its last line joins them.
    """
    return _append(ins, script, command, ctx, align=True)


def _append(
    ins: Instruction, script: ShellScript, command: str, ctx: FixContext | None, *, align: bool
) -> Edit:
    operator = script.append_operator()
    at = script.end
    if script.script_heredoc is not None:
        if operator == "\n":
            body = script.script_heredoc.body
            line_start = body.text.rfind("\n", 0, at - body.start) + 1
            line = body.text[line_start:]
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            rest = body.text[at - body.start :]
            nl = "\r\n" if rest.split("\n", 1)[0].endswith("\r") else "\n"
            return Edit.insert(at, nl + indent + command)
        return Edit.insert(at, f" {operator} {command}")
    style = run_style(ins)
    if operator == "\n":
        operator = ";"
    if not style.multiline:
        sep = "; " if operator == ";" else f" {operator} "
        return Edit.insert(at, f"{sep}{command}")
    joint = chain_joint(ins, script, operator, ctx)
    lines = _code_lines(ins)
    first_indent = _leading(lines[0].content)
    aligned = _aligned_escape_pad(ins, lines, at, joint) if align else None
    if aligned is not None:
        joint = replace(joint, before_escape=aligned)
    return Edit.insert(at, joint.render(style.escape, style.newline, first_indent, command))


def append_commands(
    ins: Instruction, script: ShellScript, commands: Sequence[str], ctx: FixContext | None = None
) -> Edit:
    """One insertion that appends ``commands`` in order, each joined the way
    :func:`append_command` joins one; an escape aligned with the RUN's other escapes
    is aligned on the RUN's own last line only (the new lines are not padded)."""
    first = _append(ins, script, commands[0], ctx, align=True)
    rest = [_append(ins, script, command, ctx, align=False).content for command in commands[1:]]
    return Edit.insert(first.start, first.content + "".join(rest))


def _aligned_escape_pad(ins: Instruction, lines: list[Line], at: int, joint: Joint) -> str | None:
    """The blanks that put the escape of the RUN's last line in the column where its
    other lines put theirs (``rsync             \\``), when they line them up: two or
    more lines share the column and at least one pads to reach it."""
    columns: Counter[int] = Counter()
    padded = False
    for line in lines[1:-1]:
        body = _without_escape(line.content, ins.escape)
        if body is None:
            continue
        code, blanks = body
        columns[len((code + blanks).expandtabs())] += 1
        padded = padded or len(blanks) >= 2
    if not columns or not padded:
        return None
    column, count = columns.most_common(1)[0]
    if count < 2:
        return None
    last = lines[-1]
    head = last.content[: at - last.start]
    if joint.operator_first:
        used = len(head.expandtabs())
    else:
        used = len((head + joint.before_operator + joint.operator).expandtabs())
    return " " * (column - used) if column - used >= 1 else None


def chain_joint(
    ins: Instruction, script: ShellScript, operator: str, ctx: FixContext | None = None
) -> Joint:
    """How to break the line before a command joined with ``operator`` to this RUN's
    chain: the RUN's last joint for that operator (else its last joint), else the
    file's (with ``ctx``), else the default."""
    own = joints(ins, script)
    if own:
        same = [j for j in own if j.operator == operator]
        return (same or own)[-1].joining(operator)
    if ctx is not None:
        found = file_joint(ctx, ins, operator)
        if found is not None:
            return found
    return _default_joint(ins, operator)


def aligned_under(content: str, first: int, below: Sequence[Line]) -> bool:
    """Whether a line of ``below`` starts at the column of a word of ``content`` that
    starts at index ``first`` or later: text inserted on ``content`` before that
    word would break the alignment (columns counted with tabs expanded)."""
    starts = {
        len(content[:i].expandtabs())
        for i in range(max(first, 1), len(content))
        if content[i] not in " \t" and content[i - 1] in " \t"
    }
    for ln in below:
        body = ln.content.lstrip(" \t")
        if body and len(ln.content[: len(ln.content) - len(body)].expandtabs()) in starts:
            return True
    return False


def _default_joint(ins: Instruction, operator: str) -> Joint:
    style = run_style(ins)
    lines = _code_lines(ins)
    tabs = any(ln.content.startswith("\t") for ln in lines[1:])
    before = "" if operator == ";" else " "
    return Joint(operator, style.operator_first, before, " ", " ", "\t" if tabs else DEFAULT_INDENT)


def _joint_at(
    ins: Instruction, previous: Line, line: Line, start: int, operator: str
) -> Joint | None:
    """The joint before a chain command that starts ``line`` (at file offset ``start``)."""
    head = line.content[: start - line.start]
    indent = _leading(head)
    body = _without_escape(previous.content, ins.escape)
    if body is None:
        return None
    code, before_escape = body
    if head.strip(" \t") == "":
        # operator last: "cmd && \" then the command; not an operator alone on its line
        match = re.search(rf"(\S)([ \t]*){re.escape(operator)}$", code)
        if match is None:
            return None
        return Joint(operator, False, match.group(2), " ", before_escape, indent)
    rest = head[len(indent) :]
    if not rest.startswith(operator) or rest[len(operator) :].strip(" \t"):
        return None
    if code.rstrip(" \t").endswith(JOINING_OPERATORS) or not code.strip():
        return None
    return Joint(operator, True, " ", rest[len(operator) :], before_escape, indent)


def _without_escape(content: str, escape: str) -> tuple[str, str] | None:
    """A continued line's code and the blanks before its escape, or None when the
    line does not end with the escape (a comment line, say)."""
    body = content.rstrip(" \t")
    if not body.endswith(escape):
        return None
    code = body[: -len(escape)]
    stripped = code.rstrip(" \t")
    return stripped, code[len(stripped) :]


def _relative(joint: Joint, first_indent: str) -> Joint:
    indent = joint.indent
    if first_indent and indent.startswith(first_indent):
        indent = indent[len(first_indent) :]
    return Joint(
        joint.operator,
        joint.operator_first,
        joint.before_operator,
        joint.after_operator,
        joint.before_escape,
        indent,
    )


def _code_lines(ins: Instruction) -> list[Line]:
    return [ln for ln, role in zip(ins.lines, ins.roles, strict=True) if role in _CODE_ROLES]


def _line_index(starts: list[int], offset: int) -> int:
    k = 0
    for i, start in enumerate(starts):
        if start <= offset:
            k = i
    return k


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]
