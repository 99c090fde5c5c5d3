"""The public Python API: check and fix Dockerfile text as ``manifesto`` does.

::

    import manifesto

    result = manifesto.fix_text(text, select=["MF1"], unsafe_fixes=False)
    result.output            # the fixed text (== text when nothing applied)
    result.applied           # what was applied: rule, fix (edits), pass
    result.remaining         # findings left, each with its rule and violation

    for finding in manifesto.check_text(text):
        print(finding.rule.code, finding.violation.message)

Rule selection is the command line's: codes, prefixes or names, ``ALL``; opt-in
rules run when a selector names them, installed plugins with ``ALL``. Bad input
raises :class:`manifesto.ParseError`; an unknown rule code raises ValueError. No
file is read or written: the text is all there is (so no build-context reads and
no registry lookups: MF301 pins images only from a lock file, through the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from manifesto.engine import EngineSettings, Finding, Result
from manifesto.fixer import Fixer

__all__ = ["check_text", "fix_text"]


def fix_text(
    text: str,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    unsafe_fixes: bool = False,
    target: str | None = None,
) -> Result:
    """Apply the selected rules' fixes until the text settles (safe ones, and unsafe
    ones too with ``unsafe_fixes``); ``Result.errors`` is non-empty when a fixer's
    output was rolled back (``Result.output`` is then the input)."""
    from manifesto import engine

    fixers, settings = _prepared(select, ignore, unsafe_fixes, target)
    return engine.fix_text(text, fixers, settings)


def check_text(
    text: str,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    unsafe_fixes: bool = False,
    target: str | None = None,
) -> list[Finding]:
    """The selected rules' findings, in chain order; nothing applied."""
    from manifesto import engine

    fixers, settings = _prepared(select, ignore, unsafe_fixes, target)
    return engine.check_text(text, fixers, settings)


def _prepared(
    select: Sequence[str] | None, ignore: Sequence[str], unsafe_fixes: bool, target: str | None
) -> tuple[tuple[Fixer, ...], EngineSettings]:
    from manifesto.config import Settings, merge_cli, rule_selected
    from manifesto.registry import FIXERS, plugins
    from manifesto.runner import opted_in

    settings = merge_cli(
        Settings(root=Path.cwd()),
        select=list(select) if select is not None else None,
        ignore=list(ignore),
        unsafe_fixes=unsafe_fixes,
        target=target,
    )
    fixers = (*FIXERS, *(p.fixer for p in plugins().loaded), *opted_in(settings, None))
    return fixers, EngineSettings(
        selected=lambda code: rule_selected(code, settings, None),
        unsafe_fixes=unsafe_fixes,
        target=target,
    )
