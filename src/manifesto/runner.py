"""One file, start to end: read, check or fix, write, report. Picklable for ``-j``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from manifesto.config import Settings, rule_selected
from manifesto.cst import Dockerfile, ParseError, parse
from manifesto.diagnostics import Diagnostic, EditReport, FixReport, Location
from manifesto.diff import unified_diff
from manifesto.edits import Fix
from manifesto.engine import EngineSettings, Finding, collect, fix_text
from manifesto.registry import FIXERS
from manifesto.source import SourceError, read_source, write_atomic


class Mode(enum.Enum):
    CHECK = "check"
    FIX = "fix"
    DIFF = "diff"
    FIX_CHECK = "fix-check"
    """``fix --check``: say which files would change, write nothing."""


@dataclass(frozen=True, slots=True)
class Job:
    path: Path
    display: str
    mode: Mode
    settings: Settings
    stdin_text: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    display: str
    diagnostics: tuple[Diagnostic, ...] = ()
    applied: tuple[str, ...] = ()
    """Codes of the fixes applied (or that would be, for --diff/--check)."""
    changed: bool = False
    diff: str = ""
    output: str | None = None
    """The fixed text when the input came from stdin."""
    source: str | None = None
    error: str | None = None
    internal: bool = False


def _location(tree: Dockerfile, offset: int) -> Location:
    row, col = tree.position(offset)
    return Location(row, col)


def _fix_report(tree: Dockerfile, fix: Fix, applied: bool) -> FixReport:
    edits = tuple(
        EditReport(e.content, _location(tree, e.start), _location(tree, e.end), e.start, e.end)
        for e in fix.edits
    )
    return FixReport(fix.applicability, fix.message, edits, applied)


def to_diagnostics(
    display: str, tree: Dockerfile, findings: list[Finding]
) -> tuple[Diagnostic, ...]:
    out = []
    for f in findings:
        v = f.violation
        out.append(
            Diagnostic(
                code=f.rule.code,
                name=f.rule.name,
                message=v.message,
                filename=display,
                location=_location(tree, v.start),
                end_location=_location(tree, v.end),
                fix=_fix_report(tree, v.fix, False) if v.fix is not None else None,
                url=None,
            )
        )
    return tuple(out)


def run(job: Job) -> Outcome:
    try:
        return _run(job)
    except SourceError as exc:
        return Outcome(job.display, error=str(exc))
    except ParseError as exc:
        return Outcome(job.display, error=f"{job.display}:{exc.line}:{exc.column}: {exc.message}")
    except OSError as exc:
        return Outcome(job.display, error=f"{job.display}:1:1: {exc.strerror or exc}")


def _run(job: Job) -> Outcome:
    if job.stdin_text is not None:
        from manifesto.source import check_text as check_source

        check_source(job.stdin_text, job.display)
        text = job.stdin_text
    else:
        text = read_source(job.path, job.display)
    settings = job.settings
    path_for_rules = None if job.stdin_text is not None and job.display == "-" else job.path
    engine = EngineSettings(
        selected=lambda code: rule_selected(code, settings, path_for_rules),
        unsafe_fixes=settings.unsafe_fixes,
    )
    if job.mode is Mode.CHECK:
        tree = parse(text)
        findings = collect(text, tree, FIXERS, engine)
        return Outcome(job.display, to_diagnostics(job.display, tree, findings), source=text)
    result = fix_text(text, FIXERS, engine)
    if result.errors:
        message = "; ".join(result.errors)
        return Outcome(
            job.display,
            error=f"{job.display}:1:1: {message} (file left unchanged; please report this)",
            internal=True,
        )
    tree = result.tree if result.tree is not None else parse(result.output)
    diagnostics = to_diagnostics(job.display, tree, list(result.remaining))
    applied = tuple(a.rule.code for a in result.applied)
    diff = ""
    if job.mode is Mode.DIFF and result.changed:
        diff = unified_diff(job.display, text, result.output)
    if job.mode is Mode.FIX and result.changed and job.stdin_text is None:
        write_atomic(job.path, result.output)
    return Outcome(
        job.display,
        diagnostics,
        applied,
        result.changed,
        diff,
        result.output if job.stdin_text is not None else None,
        source=result.output,
    )
