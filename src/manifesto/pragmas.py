"""Suppression comments: our own, hadolint's, and BuildKit's ``check=skip``.

A Dockerfile has no end-of-line comments, so a pragma is a comment line:
``# manifesto: ignore[MF101]`` (or ``# manifesto: ignore`` for every rule)
applies to the instruction directly below the run of comment lines it is in;
``# manifesto: file-ignore[MF101]`` applies to the whole file.
``# hadolint ignore=DL3009`` / ``# hadolint global ignore=DL3009`` silence the
rules that name that hadolint code in ``related``; the ``# check=skip=...``
parser directive silences rules that name ``buildkit:<Check>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from manifesto.cst import Comment, Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo

_OWN = re.compile(r"^manifesto:\s*(ignore|file-ignore)\b(?:\[([^\]]*)\])?\s*$", re.IGNORECASE)
_HADOLINT = re.compile(r"^hadolint\s+(global\s+)?ignore\s*=\s*(\S+)", re.IGNORECASE)

ALL = "*"


def _codes(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset({ALL})
    return frozenset(c.strip().upper() for c in text.split(",") if c.strip())


@dataclass(frozen=True, slots=True)
class Pragmas:
    file_codes: frozenset[str]
    """Our codes, hadolint codes and ``buildkit:`` checks ignored in the whole file."""
    by_instruction: dict[int, frozenset[str]]
    """Instruction start offset -> codes ignored for it."""

    def suppresses(self, info: RuleInfo, instruction: Instruction | None) -> bool:
        names = {info.code.upper(), info.name.upper(), *(r.upper() for r in info.related)}
        if ALL in self.file_codes or names & self.file_codes:
            return True
        if "BUILDKIT:ALL" in self.file_codes and any(n.startswith("BUILDKIT:") for n in names):
            return True
        if instruction is None:
            return False
        codes = self.by_instruction.get(instruction.start, frozenset())
        return ALL in codes or bool(names & codes)


def read_pragmas(tree: Dockerfile) -> Pragmas:
    file_codes: set[str] = set()
    check = tree.directive("check")
    if check is not None:
        for part in check.value.split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() == "skip":
                skipped = [v.strip() for v in value.split(",") if v.strip()]
                file_codes.update(f"BUILDKIT:{s.upper()}" for s in skipped)
    by_instruction: dict[int, frozenset[str]] = {}
    pending: set[str] = set()
    for element in tree.elements:
        if isinstance(element, Comment):
            codes, whole_file = _comment_codes(element)
            (file_codes if whole_file else pending).update(codes)
            continue
        if isinstance(element, Instruction) and pending:
            by_instruction[element.start] = frozenset(pending)
        pending = set()
    return Pragmas(frozenset(file_codes), by_instruction)


def _comment_codes(comment: Comment) -> tuple[frozenset[str], bool]:
    text = comment.text
    own = _OWN.match(text)
    if own:
        return _codes(own.group(2)), own.group(1).lower() == "file-ignore"
    hadolint = _HADOLINT.match(text)
    if hadolint:
        return _codes(hadolint.group(2)), bool(hadolint.group(1))
    return frozenset(), False


def unknown_codes(tree: Dockerfile, known: Callable[[str], bool]) -> list[tuple[int, str]]:
    """``(offset, code)`` for each code in a ``# manifesto:`` pragma that names no rule:
    a typo there would silence nothing and pass CI unnoticed (hadolint's and BuildKit's
    pragmas name their own codes and are left alone)."""
    out: list[tuple[int, str]] = []
    for element in tree.elements:
        if not isinstance(element, Comment):
            continue
        own = _OWN.match(element.text)
        if own is None or not own.group(2):
            continue
        for code in _codes(own.group(2)):
            if not known(code):
                out.append((element.start, code))
    return out
