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

Borrowed indentation is checked against the RUN's own lines
(:func:`_borrowed_indent`). Where the RUN has continued *command lines* (a
``while`` loop, its body, ``done``), the new command lines up with the
shallowest of them. Where it only continues a package list under a chain kept on
its first line, the file's other RUNs decide (their indentation stands even
under a shallower list: it is how the file writes chained commands), but the
made-up default goes no deeper than the list (``  rm -rf ...`` under a 2-space
list, not four spaces). Column 0 is never borrowed: only a RUN whose own command
lines start there gets a command at column 0.

Escapes are lined up in a column only where the RUN really aligns them (most of
its continued lines end their escape in one column, padded to reach it, see
:func:`_aligned_escape_pad`); otherwise one blank goes before the escape.
Blanks that end the line the command is appended to stay on that line.

Options inserted into a command (:func:`insert_option`) move the continuation
lines aligned under the words they push right, so a list stays lined up.
"""

from __future__ import annotations

import bisect
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
_ALIGNED_LINES = 3
"""The fewest continued lines ending their escape in one column that make a column
when only one of them is padded to reach it."""

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
    newline = ins.line_break or "\n"
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
    # The file's joints are gathered once per pass: asked for each RUN that needs
    # one, a walk over every other RUN would be quadratic in the RUNs.
    return ctx.cached(("layout.file_joints",), lambda: _FileJoints(ctx)).best(ins, operator)


class _FileJoints:
    """Every joint of the file's RUNs, by kind: how often, where first, and where."""

    def __init__(self, ctx: FixContext) -> None:
        # joint -> its occurrences in file order: (sequence number, RUN start, RUN id)
        self._where: dict[Joint, list[tuple[int, int, int]]] = {}
        self._starts: dict[Joint, list[int]] = {}
        self._own: dict[int, Counter[Joint]] = {}
        seq = 0
        for other in ctx.tree.instructions:
            if other.keyword != "RUN":
                continue
            script = ctx.shell(other)
            if script is None or script.has_errors:
                continue
            for joint in joints(other, script):
                self._where.setdefault(joint, []).append((seq, other.start, id(other)))
                self._starts.setdefault(joint, []).append(other.start)
                self._own.setdefault(id(other), Counter())[joint] += 1
                seq += 1

    def best(self, ins: Instruction, operator: str) -> Joint | None:
        own = self._own.get(id(ins), Counter())
        counts = {j: len(w) - own[j] for j, w in self._where.items() if len(w) > own[j]}
        if not counts:
            return None
        pool = [j for j in counts if j.operator == operator] or list(counts)
        # max() keeps the first of equals: the joint met first in the file (ins aside)
        pool.sort(key=lambda j: next(seq for seq, _, at in self._where[j] if at != id(ins)))
        best = max(pool, key=lambda j: (counts[j], -self._nearest(j, ins)))
        return best.joining(operator)

    def _nearest(self, joint: Joint, ins: Instruction) -> int:
        """The distance from ``ins`` to the nearest other RUN with ``joint``."""
        where, starts = self._where[joint], self._starts[joint]
        at = bisect.bisect_left(starts, ins.start)
        best: int | None = None
        left = at - 1
        while left >= 0 and where[left][2] == id(ins):
            left -= 1
        if left >= 0:
            best = ins.start - starts[left]
        right = at
        while right < len(where) and where[right][2] == id(ins):
            right += 1
        if right < len(where):
            distance = starts[right] - ins.start
            best = distance if best is None else min(best, distance)
        assert best is not None  # counts[joint] > 0: another RUN has it
        return best


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
    line their escapes up in one column, the escape put on its last line joins them
    (see :func:`_aligned_escape_pad`); a RUN without a joint of its own is indented
    as :func:`_borrowed_indent` says. Blanks that end the line where the script
    ends stay where they are: the insertion goes after them (taking their place in
    the new text's leading blanks), so they neither move to the end of the new line
    nor add up.
    """
    return _after_trailing_blanks(ins, script, _append(ins, script, command, ctx, align=True))


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
    elif len(joint.before_escape.expandtabs()) >= 2:
        # padding copied from a joint of an aligned block lines up with nothing here
        joint = replace(joint, before_escape=" ")
    return Edit.insert(at, joint.render(style.escape, style.newline, first_indent, command))


def append_commands(
    ins: Instruction, script: ShellScript, commands: Sequence[str], ctx: FixContext | None = None
) -> Edit:
    """One insertion that appends ``commands`` in order, each joined the way
    :func:`append_command` joins one; an escape aligned with the RUN's other escapes
    is aligned on the RUN's own last line only (the new lines are not padded)."""
    first = _append(ins, script, commands[0], ctx, align=True)
    rest = [_append(ins, script, command, ctx, align=False).content for command in commands[1:]]
    return _after_trailing_blanks(
        ins, script, Edit.insert(first.start, first.content + "".join(rest))
    )


def _after_trailing_blanks(ins: Instruction, script: ShellScript, edit: Edit) -> Edit:
    """``edit`` (an insertion where the script ends) moved past the blanks that end
    that line, its own leading blanks shortened by as many: ``swig `` + ``&& \\``
    rather than ``swig && \\`` + a new line ending in the old blank."""
    at = edit.start
    if script.script_heredoc is not None:
        body = script.script_heredoc.body
        rest = body.text[at - body.start :].split("\n", 1)[0].rstrip("\r")
    else:
        lines = _code_lines(ins)
        line = lines[_line_index([ln.start for ln in lines], at)]
        rest = line.content[at - line.start :] if line.start <= at <= line.content_end else ""
    if not rest or rest.strip(" \t"):
        return edit
    content = edit.content
    shortened = min(len(content) - len(content.lstrip(" \t")), len(rest))
    return Edit.insert(at + len(rest), content[shortened:])


def _aligned_escape_pad(ins: Instruction, lines: list[Line], at: int, joint: Joint) -> str | None:
    """The blanks that put the escape of the RUN's last line in the column where its
    other lines put theirs (``rsync             \\``), when the RUN really lines them
    up: most of its continued lines end their escape in one column, and either at
    least three do with one of them padded (two blanks or more) to reach it, or two
    do and both are padded. Lines that merely happen to be as long are no column:
    a coincidence pads neither (two padded lines already show the intent, as in a
    three-package list under an install line)."""
    columns: Counter[int] = Counter()
    padded: Counter[int] = Counter()
    continued = 0
    for line in lines[:-1]:
        body = _without_escape(line.content, ins.escape)
        if body is None:
            continue
        code, blanks = body
        column = len((code + blanks).expandtabs())
        continued += 1
        columns[column] += 1
        if len(blanks.expandtabs()) >= 2:
            padded[column] += 1
    if not columns:
        return None
    column, count = columns.most_common(1)[0]
    if 2 * count <= continued or not (
        (count >= _ALIGNED_LINES and padded[column] >= 1) or padded[column] >= 2
    ):
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
    found = file_joint(ctx, ins, operator) if ctx is not None else None
    if found is not None:
        return replace(found, indent=_borrowed_indent(ins, script, found.indent, capped=False))
    default = _default_joint(ins, operator)
    return replace(default, indent=_borrowed_indent(ins, script, default.indent, capped=True))


def _borrowed_indent(ins: Instruction, script: ShellScript, borrowed: str, *, capped: bool) -> str:
    """The indentation for a chain command in a RUN without a joint of its own, given
    the one ``borrowed`` from the file's other RUNs or the default (``capped``).

    The RUN's continued lines are of two kinds: *command lines*, which start a
    command or a shell keyword (``while read ...; do``, a command nested in the
    loop, ``done``), and *argument lines*, which go on with the words of a command
    begun on an earlier line (a package list). When the RUN has command lines, the
    new command lines up with the shallowest of them: another RUN's indentation
    does not apply (column 0 copied from a RUN written that way put the command
    out of its own block). When it has only argument lines (its whole chain is on
    the first line), the file's other RUNs say where chained commands go, and that
    stands even under a shallower package list; the made-up default, though, goes
    no deeper than the shallowest argument line (four spaces under a 2-space list
    read as part of the list). Column 0 is taken only from the RUN's own command
    lines: borrowed, or where the package list starts there, the default
    indentation is used instead.
    """
    commands, arguments = _continued_indents(ins, script)
    if commands:
        return min(commands, key=_width)
    indent = borrowed
    if capped and arguments:
        shallowest = min(arguments, key=_width)
        if 0 < _width(shallowest) < _width(indent):
            indent = shallowest
    if _width(indent) == 0:
        tabs = any(ln.content.startswith("\t") for ln in _code_lines(ins)[1:])
        indent = "\t" if tabs else DEFAULT_INDENT
    return indent


def _continued_indents(ins: Instruction, script: ShellScript) -> tuple[list[str], list[str]]:
    """The indentation (relative to the RUN's first line) of its command lines and of
    its argument lines (see :func:`_borrowed_indent`)."""
    lines = _code_lines(ins)
    if len(lines) < 2:
        return [], []
    first_indent = _leading(lines[0].content)
    starts = [c.start for c in script.commands]
    # the furthest end among the commands that start before each point: a line whose
    # first word lies before it continues a command (nested ones included)
    reach: list[int] = []
    for command in script.commands:
        reach.append(max(command.end, reach[-1]) if reach else command.end)
    commands: list[str] = []
    arguments: list[str] = []
    for line in lines[1:]:
        indent = _leading(line.content)
        rest = line.content[len(indent) :]
        if not rest or rest.rstrip(" \t") == ins.escape:
            continue
        at = line.start + len(indent)
        before = bisect.bisect_left(starts, at)
        relative = indent[len(first_indent) :] if indent.startswith(first_indent) else indent
        if before and reach[before - 1] > at:
            arguments.append(relative)
        else:
            commands.append(relative)
    return commands, arguments


def _width(indent: str) -> int:
    return len(indent.expandtabs())


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


@dataclass(frozen=True, slots=True)
class OptionInsertion:
    """An option put into a command, and the continuation lines moved right with it."""

    edits: tuple[Edit, ...]
    """The insertion first, then one insertion of blanks per moved line (in offset order)."""
    shift: str
    """The blanks put in front of each moved line (empty when none moves)."""
    moved: frozenset[int]
    """The file offsets where the moved lines start."""


def insert_option(text: str, at: int, content: str, command_end: int) -> OptionInsertion:
    """``content`` (`` --no-cache-dir``, or ``--no-install-recommends `` before a word)
    inserted at file offset ``at`` of ``text``, keeping a list aligned.

    The continued lines of the command (up to ``command_end``) that start in the
    column of a word the insertion pushes right (``pip3 install lxml \\`` over
    ``             aioxmpp \\``) move right by as much, so the list stays lined up
    under it. Nothing moves when blanks before ``at`` hold a tab (the columns are
    then the reader's tab width, not ours) or no line is aligned so.
    """
    edit = Edit.insert(at, content)
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line = text[line_start : line_end if line_end != -1 else len(text)].rstrip("\r")
    column = at - line_start
    below: list[Line] = []
    start = line_end + 1
    while 0 < start < command_end:
        end = text.find("\n", start)
        end = end if end != -1 else len(text)
        below.append(Line(start, 0, text[start:end].rstrip("\r"), ""))
        start = end + 1
    if "\t" in line[:column] or not aligned_under(line, column, below):
        return OptionInsertion((edit,), "", frozenset())
    pushed = {i for i in range(column, len(line)) if line[i] not in " \t" and line[i - 1] in " \t"}
    moved = [
        ln.start
        for ln in below
        if ln.content.strip() and len(ln.content) - len(ln.content.lstrip(" ")) in pushed
    ]
    shift = " " * len(content)
    return OptionInsertion(
        (edit, *(Edit.insert(start, shift) for start in moved)), shift, frozenset(moved)
    )


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
    # Bisection over the (ascending) line starts: asked for every command of a RUN,
    # a scan would be quadratic in a RUN of thousands of lines.
    return max(bisect.bisect_right(starts, offset) - 1, 0)


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]
