"""Diagnostics as reporters see them: positions resolved to rows and columns.

Rows and columns are 1-based; columns count characters (code points) from the
start of the line, as ruff does. ``end_location`` is exclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from manifesto.edits import Applicability

if TYPE_CHECKING:
    from manifesto.reasons import Reason


@dataclass(frozen=True, slots=True)
class Location:
    row: int
    column: int


@dataclass(frozen=True, slots=True)
class EditReport:
    content: str
    location: Location
    end_location: Location
    start: int
    """Character offset of the edit in the file text."""
    end: int


@dataclass(frozen=True, slots=True)
class FixReport:
    applicability: Applicability
    message: str
    edits: tuple[EditReport, ...]
    applied: bool = False
    new_files: tuple[NewFileReport, ...] = ()
    """Files the fix creates, paths as shown (beside the Dockerfile's)."""


@dataclass(frozen=True, slots=True)
class NewFileReport:
    path: str
    content: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    message: str
    filename: str
    location: Location
    end_location: Location
    fix: FixReport | None
    url: str | None = None
    reason: Reason | None = None
    """Why the finding has no fix, when the rule says (see :mod:`manifesto.reasons`)."""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a fixer module declares about itself in its ``INFO``."""

    code: str
    """Stable code, e.g. ``MF101``; never changes once released."""
    name: str
    """The problem, in snake case: ``apt_lists_kept``."""
    title: str
    """The cure, one line: ``Delete the apt lists in the RUN that fetched them``."""
    applicability: Applicability | None
    """The applicability of the fix this rule offers, or None when it only reports."""
    related: tuple[str, ...] = ()
    """Related codes of other tools: ``DL3009`` (hadolint), ``buildkit:JSONArgsRecommended``."""
    doc: str = ""
    """The module docstring: What it does / Why / Example / Fix safety / Caveats / Related."""
    shows_source: bool = True
    """False for a rule whose findings sit on secrets: reports never quote the file's lines."""
    url: str | None = None
    """The rule's documentation page. Built-in rules leave it unset (their pages are
    ``docs/rules/<CODE>.md``, see :func:`manifesto.docs.rule_url`); a plugin sets its own."""


@dataclass(frozen=True, slots=True)
class FileError:
    """A file the run could not check or fix (unreadable, not a Dockerfile BuildKit
    accepts, an internal error): every report format carries it its own way, so a
    bot reading the report never posts "all clear" for a run that exited 2."""

    filename: str
    location: Location
    message: str

    @classmethod
    def from_line(cls, line: str) -> FileError:
        """From the ``path:line:col: message`` the run prints on stderr."""
        match = _ERROR_LINE.fullmatch(line)
        if match is None:
            return cls("", Location(1, 1), line)
        return cls(match[1], Location(int(match[2]), int(match[3])), match[4])


_ERROR_LINE = re.compile(r"(.*?):(\d+):(\d+): (.*)", re.DOTALL)
