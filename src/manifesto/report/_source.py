"""Source text as the reporters see it: rows, columns, bytes and whole-line hunks.

Conventions every format shares (and which :mod:`manifesto.diagnostics` states):

* Rows and columns are 1-based; a column counts characters (code points), and an
  end location is exclusive.
* A line ends at ``"\\n"``; a ``"\\r"`` just before it belongs to the line
  terminator, not to the line's content (so CRLF files show no stray ``\\r``).
  A lone ``"\\r"`` elsewhere is an ordinary character.
* A byte order mark (``"\\ufeff"`` at offset 0) is not part of line 1: column 1 of
  line 1 is the character after it. This is what editors, GitHub and the reader of
  a report see, and it keeps every column of line 1 the same whether or not the
  file was saved with a BOM. Edit offsets, on the other hand, index the file's
  ``str`` with the BOM included (see :mod:`manifesto.edits`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from manifesto.diagnostics import Diagnostic, EditReport, Location
from manifesto.edits import Edit, apply_edits

BOM = "\ufeff"


def utf8_len(text: str) -> int:
    """The number of bytes ``text`` takes in UTF-8.

    Lone surrogates are what ``surrogateescape`` decoding leaves for undecodable
    bytes, so they count as the one byte they stand for; any other lone surrogate
    counts as the three bytes ``surrogatepass`` would write.
    """
    try:
        return len(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogatepass"))


class SourceText:
    """One file's text with an index of where its lines start."""

    __slots__ = ("_starts", "bom", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.bom = 1 if text.startswith(BOM) else 0
        starts = [self.bom]
        at = text.find("\n")
        while at != -1:
            starts.append(at + 1)
            at = text.find("\n", at + 1)
        self._starts = starts

    @property
    def line_count(self) -> int:
        """Rows, counting the empty row after a final newline."""
        return len(self._starts)

    @property
    def last_visible_row(self) -> int:
        """The last row worth showing: the empty row after a final newline is not."""
        if self.line_count > 1 and self._starts[-1] == len(self.text):
            return self.line_count - 1
        return self.line_count

    def _row(self, row: int) -> int:
        return min(max(row, 1), self.line_count)

    def line_start(self, row: int) -> int:
        return self._starts[self._row(row) - 1]

    def next_line_start(self, row: int) -> int:
        """Offset just past the line terminator of ``row`` (the text's end on the last row)."""
        row = self._row(row)
        return self._starts[row] if row < self.line_count else len(self.text)

    def has_terminator(self, row: int) -> bool:
        return self._row(row) < self.line_count

    def content_end(self, row: int) -> int:
        """Offset of the end of ``row``'s content, before ``"\\n"`` or ``"\\r\\n"``."""
        end = self.next_line_start(row)
        if self.has_terminator(row):
            end -= 1
            if end > self.line_start(row) and self.text[end - 1] == "\r":
                end -= 1
        return end

    def line(self, row: int) -> str:
        """The content of ``row``: no BOM, no line terminator."""
        return self.text[self.line_start(row) : self.content_end(row)]

    def offset(self, loc: Location) -> int:
        """The character offset of ``loc``, clamped into its row (terminator included)."""
        start = self.line_start(loc.row)
        return min(start + max(loc.column, 1) - 1, self.next_line_start(loc.row))

    def location(self, offset: int) -> Location:
        """The row and column of a character offset (an offset inside the BOM is 1:1)."""
        offset = min(max(offset, self.bom), len(self.text))
        row = bisect.bisect_right(self._starts, offset)
        return Location(row, offset - self._starts[row - 1] + 1)

    def byte_column(self, loc: Location) -> int:
        """The 1-based UTF-8 byte column of ``loc``."""
        start = self.line_start(loc.row)
        return utf8_len(self.text[start : self.offset(loc)]) + 1


class Sources:
    """Filename → :class:`SourceText`, indexed lazily; one per ``render`` call."""

    __slots__ = ("_cache", "_texts")

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = texts
        self._cache: dict[str, SourceText] = {}

    def get(self, filename: str) -> SourceText | None:
        cached = self._cache.get(filename)
        if cached is not None:
            return cached
        text = self._texts.get(filename)
        if text is None:
            return None
        source = SourceText(text)
        self._cache[filename] = source
        return source


def sort_key(d: Diagnostic) -> tuple[str, int, int, str, int, int]:
    return (
        d.filename,
        d.location.row,
        d.location.column,
        d.code,
        d.end_location.row,
        d.end_location.column,
    )


def last_row_of_span(start: Location, end: Location) -> int:
    """The last row a span covers: an end at column 1 of a later row stops the row before."""
    if end.row > start.row and end.column <= 1:
        return end.row - 1
    return max(end.row, start.row)


@dataclass(frozen=True, slots=True)
class Hunk:
    """The whole lines a fix touches, before and after the fix."""

    first_row: int
    last_row: int
    """Inclusive."""
    start: int
    """Offset of column 1 of ``first_row`` (after the BOM on row 1)."""
    end: int
    """Offset just past ``last_row``'s line terminator, or the end of the text."""
    old: str
    new: str


def fix_hunk(source: SourceText, edits: Iterable[EditReport]) -> Hunk | None:
    """Expand a fix's edits to the whole lines they touch, and apply them there.

    All edits of one fix land in one hunk, from the first line any of them
    touches to the last: a fix is applied whole or not at all. An edit ending at
    column 1 of a line does not touch that line; an insertion does touch the line
    it is on. An insertion on the empty row after a final newline is anchored on
    the line before it, so that the hunk covers a line that exists.

    None when the fix has no edits or its edits overlap. Edits reaching into the
    BOM are clamped to just after it.
    """
    text = source.text
    spans: list[Edit] = []
    for edit in edits:
        start = min(max(edit.start, source.bom), len(text))
        end = min(max(edit.end, start), len(text))
        spans.append(Edit(start, end, edit.content))
    if not spans:
        return None
    lo = min(e.start for e in spans)
    hi = max(e.end for e in spans)
    first = source.location(lo).row
    end_loc = source.location(hi)
    last = end_loc.row - 1 if hi > lo and end_loc.column == 1 else end_loc.row
    last = max(last, first)
    if first > 1 and source.line_start(first) == len(text):
        first -= 1
    start = source.line_start(first)
    stop = source.next_line_start(last)
    old = text[start:stop]
    try:
        new = apply_edits(old, (Edit(e.start - start, e.end - start, e.content) for e in spans))
    except ValueError:
        return None
    return Hunk(first, last, start, stop, old, new)


def split_lines(text: str) -> list[str]:
    """Lines of a hunk's text, without terminators (a final newline adds no line)."""
    lines = text.split("\n")
    tail = lines.pop()
    out = [line.removesuffix("\r") for line in lines]
    if tail:
        out.append(tail)
    return out
