"""Edits, fixes and violations: the change model every fixer speaks.

A fixer never rewrites a tree. It yields :class:`Violation` values, each with an
optional :class:`Fix`; a fix is a tuple of :class:`Edit` values, each replacing
one span of the original text (offsets are indices into the ``str`` that was
parsed, BOM included). The engine applies non-overlapping fixes back to front.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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
class Fix:
    """One logical change: its edits are applied together or not at all."""

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability

    @property
    def start(self) -> int:
        return min(e.start for e in self.edits)

    @property
    def end(self) -> int:
        return max(e.end for e in self.edits)


@dataclass(frozen=True, slots=True)
class Violation:
    """A finding at ``text[start:end]``, with the fix that cures it, if any."""

    code: str
    message: str
    start: int
    end: int
    fix: Fix | None = None


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


def select_non_overlapping(fixes: Sequence[Fix]) -> list[Fix]:
    """Keep fixes in the given order, dropping any that conflict with an earlier one."""
    kept: list[Fix] = []
    for fix in fixes:
        if not any(overlaps(fix, other) for other in kept):
            kept.append(fix)
    return kept
