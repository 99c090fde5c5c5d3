"""Immutable nodes of the lossless syntax tree.

Every node owns the physical lines it was read from, newline characters and
all, so ``render()`` is a plain concatenation and the round trip is exact by
construction. Offsets are indices into the parsed ``str`` (the BOM, when there
is one, is offset 0). Line numbers are 1-based and counted as BuildKit counts
them: every physical line, heredoc bodies included.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple


class Line(NamedTuple):
    """One physical line: its content and the newline characters that end it.

    A named tuple rather than a dataclass: files have many lines, and a tuple is
    built several times faster while being just as immutable.
    """

    start: int
    number: int
    content: str
    newline: str

    @property
    def content_end(self) -> int:
        return self.start + len(self.content)

    @property
    def end(self) -> int:
        return self.start + len(self.content) + len(self.newline)

    def render(self) -> str:
        return self.content + self.newline


class Role(enum.Enum):
    """What a physical line is to the instruction that owns it."""

    FIRST = "first"
    CONTINUATION = "continuation"
    COMMENT = "comment"
    """A comment line inside a continuation: BuildKit drops it."""
    BLANK = "blank"
    """An empty line inside a continuation: BuildKit drops it (with a warning)."""
    HEREDOC = "heredoc"
    TERMINATOR = "terminator"


class Span(NamedTuple):
    start: int
    end: int


class Piece(NamedTuple):
    """A run of the logical line copied from the file.

    ``logical[at:at + length] == text[start:start + length]``.
    """

    at: int
    start: int
    length: int


def _piece_at(piece: Piece) -> int:
    return piece.at


@dataclass(frozen=True, slots=True)
class LogicalLine:
    """The instruction as BuildKit sees it: continuation joined, comments dropped."""

    text: str
    pieces: tuple[Piece, ...]

    def file_offset(self, pos: int, *, prefer_end: bool = False) -> int:
        """Map a position in ``text`` to a file offset.

        At the seam between two pieces a start position belongs to the next piece
        and an end position (``prefer_end``) to the previous one.
        """
        pieces = self.pieces
        if len(pieces) == 1:
            return pieces[0].start + pos
        if not pieces:
            return 0
        idx = max(bisect.bisect_right(pieces, pos, key=_piece_at) - 1, 0)
        if prefer_end and idx > 0 and pos == self.pieces[idx].at:
            idx -= 1
        piece = self.pieces[idx]
        return piece.start + (pos - piece.at)

    def span(self, start: int, end: int) -> Span:
        if len(self.pieces) == 1:
            first = self.pieces[0].start
            return Span(first + start, first + end)
        if start == end:
            at = self.file_offset(start)
            return Span(at, at)
        return Span(self.file_offset(start), self.file_offset(end, prefer_end=True))


@dataclass(frozen=True, slots=True)
class Flag:
    """A builder flag such as ``--mount=type=cache,target=/root/.cache``."""

    raw: str
    """The flag as BuildKit reads it, quotes and escapes resolved: ``--from=build``."""
    span: Span

    @property
    def name(self) -> str:
        return self.raw[2:].split("=", 1)[0]

    @property
    def value(self) -> str | None:
        parts = self.raw[2:].split("=", 1)
        return parts[1] if len(parts) == 2 else None


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    chomp: bool
    """``<<-``: leading tabs of the body and terminator are stripped."""
    expand: bool
    """False when the delimiter was quoted: no variable expansion in the body."""
    fd: int
    body: tuple[Line, ...]
    terminator: Line

    @property
    def content(self) -> str:
        return "".join(line.render() for line in self.body)

    @property
    def body_span(self) -> Span:
        return Span(
            self.terminator.start if not self.body else self.body[0].start, self.terminator.start
        )


class _OneLine:
    """What every single-line element (directive, comment, blank line) shares."""

    __slots__ = ()
    line: Line

    def render(self) -> str:
        return self.line.render()

    @property
    def start(self) -> int:
        return self.line.start

    @property
    def end(self) -> int:
        return self.line.end


@dataclass(frozen=True, slots=True)
class Directive(_OneLine):
    """A parser directive at the top of the file: ``# escape=`` and friends."""

    line: Line
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Comment(_OneLine):
    line: Line

    @property
    def text(self) -> str:
        """The comment without its ``#`` and surrounding whitespace."""
        return self.line.content.strip().removeprefix("#").strip()


@dataclass(frozen=True, slots=True)
class Blank(_OneLine):
    line: Line


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction with every physical line it spans.

    ``keyword`` is upper-case; ``keyword_span``, flag spans and ``args`` are file
    offsets. ``args`` covers the arguments on the logical line (continuation
    lines included, heredoc bodies not); for ``ONBUILD`` the wrapped
    instruction is ``child`` and ``args`` covers it whole.
    """

    keyword: str
    keyword_span: Span
    flags: tuple[Flag, ...]
    args: Span
    logical: LogicalLine
    lines: tuple[Line, ...]
    roles: tuple[Role, ...]
    heredocs: tuple[Heredoc, ...]
    child: Instruction | None
    escape: str
    args_text: str
    """The arguments as BuildKit reads them (the logical line, trimmed)."""

    def render(self) -> str:
        return "".join(line.render() for line in self.lines)

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end

    @property
    def content_end(self) -> int:
        """End of the instruction's text, before its final newline."""
        return self.lines[-1].content_end

    @property
    def start_line(self) -> int:
        return self.lines[0].number

    @property
    def end_line(self) -> int:
        return self.lines[-1].number

    @property
    def line_break(self) -> str | None:
        r"""The first line break of its lines (``\n``, ``\r\n``), to write new lines
        with; None when it has none. A carriage return alone (a file ending in ``\r``)
        is no line break to BuildKit."""
        return next((ln.newline for ln in self.lines if "\n" in ln.newline), None)

    @property
    def ends_with_line_break(self) -> bool:
        r"""Whether a line written at its end starts a line of its own (not when it
        ends the file without a newline, or with a carriage return alone)."""
        return "\n" in self.lines[-1].newline

    @property
    def continues_at_end(self) -> bool:
        """Whether its last code line ends with the escape: the file ended inside a
        continuation (BuildKit skips the comment and blank lines after it), so a line
        written right after the instruction would be read as part of it."""
        for line, role in zip(reversed(self.lines), reversed(self.roles), strict=True):
            if role is Role.COMMENT or role is Role.BLANK:
                continue
            if role is not Role.FIRST and role is not Role.CONTINUATION:
                return False
            return line.content.rstrip(" \t").endswith(self.escape)
        return False

    @property
    def effective(self) -> Instruction:
        """The instruction that runs: the wrapped one for ``ONBUILD``."""
        return self.child if self.child is not None else self

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flags_named(self, name: str) -> Iterator[Flag]:
        return (f for f in self.flags if f.name == name)


Element = Directive | Comment | Blank | Instruction


@dataclass(frozen=True, slots=True)
class Dockerfile:
    """A whole file: optional BOM, then elements in order."""

    bom: str
    escape: str
    elements: tuple[Element, ...]
    line_starts: tuple[int, ...]
    """Offset of each physical line's first character (for row/column lookups)."""
    instructions: tuple[Instruction, ...]
    """The instructions of ``elements``, in order (the same objects, not copies)."""

    def render(self) -> str:
        return self.bom + "".join(e.render() for e in self.elements)

    @property
    def directives(self) -> tuple[Directive, ...]:
        return tuple(e for e in self.elements if isinstance(e, Directive))

    def directive(self, name: str) -> Directive | None:
        for d in self.directives:
            if d.name == name:
                return d
        return None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (row, column) of an offset; columns count characters.

        The BOM is not a visible character: column 1 of line 1 is just after it.
        """
        row = bisect.bisect_right(self.line_starts, offset)
        row = max(row, 1)
        line_start = self.line_starts[row - 1]
        if row == 1 and self.bom:
            line_start = max(line_start, len(self.bom))
        return row, max(offset - line_start, 0) + 1

    def line_break(self, near: Instruction | None = None) -> str:
        r"""The line break new lines are written with: ``near``'s own, else the file's
        first, else ``\n`` (see :attr:`Instruction.line_break`)."""
        own = near.line_break if near is not None else None
        if own is not None:
            return own
        found = (i.line_break for i in self.instructions)
        return next((b for b in found if b is not None), "\n")

    def comments_before(self, instruction: Instruction) -> tuple[Comment, ...]:
        """The run of comment lines directly above an instruction (no blank line between)."""
        # by offset, not tuple.index: comparing dataclasses field by field along the
        # file for each instruction asked about is quadratic
        idx = bisect.bisect_left(self.elements, instruction.start, key=lambda e: e.start)
        if idx >= len(self.elements) or self.elements[idx] is not instruction:
            idx = self.elements.index(instruction)
        out: list[Comment] = []
        for element in reversed(self.elements[:idx]):
            if not isinstance(element, Comment):
                break
            out.append(element)
        return tuple(reversed(out))
