"""What every format's ``render`` receives besides the diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from manifesto.diagnostics import RuleInfo
from manifesto.report._source import Sources


@dataclass(frozen=True, slots=True)
class Context:
    rules: Sequence[RuleInfo]
    sources: Sources
    show_fix_diff: bool = False
    color: bool = False
