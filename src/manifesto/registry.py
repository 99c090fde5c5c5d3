"""The explicit, ordered tuple of fixers: chain order is this order."""

from __future__ import annotations

from manifesto.diagnostics import RuleInfo
from manifesto.fixer import Fixer

FIXERS: tuple[Fixer, ...] = ()


def rules() -> tuple[RuleInfo, ...]:
    return tuple(f.INFO for f in FIXERS)


def rule(code_or_name: str) -> RuleInfo | None:
    wanted = code_or_name.strip().upper()
    for info in rules():
        if info.code.upper() == wanted or info.name.upper() == wanted:
            return info
    return None
