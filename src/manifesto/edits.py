"""Edits, fixes and violations: the change model every fixer speaks.

A fixer never rewrites a tree. It yields :class:`Violation` values, each with an
optional :class:`Fix`; a fix is a tuple of :class:`Edit` values, each replacing
one span of the original text (offsets are indices into the ``str`` that was
parsed, BOM included). The engine applies non-overlapping fixes back to front.
"""

from __future__ import annotations

import bisect
import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manifesto.reasons import Reason


class Applicability(enum.Enum):
    """How sure a fix is: ruff's three levels."""

    SAFE = "safe"
    """Applied by ``fix``: it cannot change what the image does."""
    UNSAFE = "unsafe"
    """Applied only with ``--unsafe-fixes``: it may change behaviour."""
    DISPLAY_ONLY = "display-only"
    """Never applied; shown as a suggestion."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` with ``content`` (an insertion when start == end)."""

    start: int
    end: int
    content: str

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad edit span {self.start}..{self.end}")

    @classmethod
    def insert(cls, at: int, content: str) -> Edit:
        return cls(at, at, content)

    @classmethod
    def delete(cls, start: int, end: int) -> Edit:
        return cls(start, end, "")


@dataclass(frozen=True, slots=True)
class NewFile:
    """A file a fix creates beside the Dockerfile (a ``.dockerignore``): never an
    existing one. ``path`` is relative to the Dockerfile's directory, ``/``-separated,
    without ``..``."""

    path: str
    content: str

    def __post_init__(self) -> None:
        parts = self.path.split("/")
        if not self.path or self.path.startswith("/") or ".." in parts or "" in parts:
            raise ValueError(f"a new file must be a plain relative path, got {self.path!r}")


@dataclass(frozen=True, slots=True)
class Fix:
    """One logical change: its edits (and the files it creates) are applied together
    or not at all."""

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability
    new_files: tuple[NewFile, ...] = ()

    @property
    def start(self) -> int:
        return min((e.start for e in self.edits), default=0)

    @property
    def end(self) -> int:
        return max((e.end for e in self.edits), default=0)


@dataclass(frozen=True, slots=True)
class Violation:
    """A finding at ``text[start:end]``, with the fix that cures it, if any."""

    code: str
    message: str
    start: int
    end: int
    fix: Fix | None = None
    reason: Reason | None = None
    """Why there is no fix (or only an unsafe one): for statistics and reports."""


def overlaps(a: Fix, b: Fix) -> bool:
    """Two fixes conflict when any of their edits touch the same span.

    Two insertions at the same offset conflict too: their order would be a guess.
    """
    for x in a.edits:
        for y in b.edits:
            if x.start < y.end and y.start < x.end:
                return True
            if x.start == y.start or x.end == y.end:
                return True
            if x.start == x.end and y.start < x.start < y.end:
                return True
            if y.start == y.end and x.start < y.start < x.end:
                return True
    return False


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits to ``text``; raise ValueError on overlap."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.start < pos:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        if edit.end > len(text):
            raise ValueError(f"edit past end of text: {edit.end} > {len(text)}")
        out.append(text[pos : edit.start])
        out.append(edit.content)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


class ChosenFixes:
    """Fixes chosen so far, answering :func:`overlaps` against all of them at once.

    Checking a fix against each chosen one is quadratic in a file with thousands of
    fixes. Two edits conflict when their spans strictly intersect or they share a
    start or an end (the insertion cases of :func:`overlaps` are strict
    intersections too), so the chosen edits are kept as a set of starts, a set of
    ends and a sorted list of spans. Chosen edits never strictly intersect, so in
    ``(start, end)`` order their ends never decrease: the last span starting before
    an edit's end is the only one that can reach past its start.
    """

    __slots__ = ("_ends", "_fallback", "_fixes", "_spans", "_starts")

    def __init__(self) -> None:
        self._fixes: list[Fix] = []
        self._spans: list[tuple[int, int]] = []
        self._starts: set[int] = set()
        self._ends: set[int] = set()
        self._fallback = False
        """A fix whose own edits intersect broke the ordering: compare pairwise."""

    def __len__(self) -> int:
        return len(self._fixes)

    def conflicts(self, fix: Fix) -> bool:
        if self._fallback:
            return any(overlaps(fix, other) for other in self._fixes)
        spans = self._spans
        for edit in fix.edits:
            start, end = edit.start, edit.end
            if start in self._starts or end in self._ends:
                return True
            before = bisect.bisect_left(spans, (end, -1)) - 1
            if before >= 0 and spans[before][1] > start:
                return True
        return False

    def add(self, fix: Fix) -> None:
        """Record ``fix`` (the caller checked :meth:`conflicts` first)."""
        self._fixes.append(fix)
        if self._fallback:
            return
        own = sorted((e.start, e.end) for e in fix.edits)
        if any(b[0] < a[1] for a, b in itertools.pairwise(own)):
            self._fallback = True
            return
        for span in own:
            bisect.insort(self._spans, span)
            self._starts.add(span[0])
            self._ends.add(span[1])


def select_non_overlapping(fixes: Sequence[Fix]) -> list[Fix]:
    """Keep fixes in the given order, dropping any that conflict with an earlier one."""
    kept = ChosenFixes()
    out: list[Fix] = []
    for fix in fixes:
        if not kept.conflicts(fix):
            kept.add(fix)
            out.append(fix)
    return out
