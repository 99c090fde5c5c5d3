"""What every format's ``render`` receives besides the diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manifesto.diagnostics import FileError, RuleInfo
from manifesto.report._source import Sources


@dataclass(frozen=True, slots=True)
class Context:
    rules: Sequence[RuleInfo]
    sources: Sources
    show_fix_diff: bool = False
    color: bool = False
    errors: Sequence[FileError] = ()
    unsafe_fixes: bool = False
    """Whether the run applies unsafe fixes: formats whose suggestions a bot or an IDE
    applies with one click (rdjson, SARIF) offer unsafe fixes only then."""
    """Files the run could not check: formats other than the text ones report them."""
