"""One file, start to end: read, check or fix, write, report. Picklable for ``-j``."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from manifesto.config import ALL, Settings, rule_selected
from manifesto.cst import Dockerfile, ParseError, parse
from manifesto.diagnostics import Diagnostic, EditReport, FixReport, Location
from manifesto.diff import unified_diff
from manifesto.edits import Fix
from manifesto.engine import EngineSettings, Finding, collect, fix_text
from manifesto.fileio import RefusedFile
from manifesto.fixer import Fixer
from manifesto.registry import CHECKS, FIXERS, OPT_IN
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
    roots: tuple[str, ...] | None = None
    """Resolved directories the file must resolve into to be read or written; None: anywhere
    (``--follow-symlinks``). A link out of the tree would otherwise be a write primitive."""


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
    warnings: tuple[str, ...] = ()
    """Things done that the user should know about (a hard link broken by the rewrite)."""


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
                reason=v.reason,
            )
        )
    return tuple(out)


def run(job: Job) -> Outcome:
    try:
        return _run(job)
    except SourceError as exc:
        return Outcome(job.display, error=str(exc))
    except RefusedFile as exc:
        return Outcome(job.display, error=f"{job.display}:1:1: {exc.message}")
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
        real = confined_path(job)
        text = read_source(real, job.display, job.settings.max_file_size)
    settings = job.settings
    path_for_rules = None if job.stdin_text is not None and job.display == "-" else job.path
    engine = EngineSettings(
        selected=lambda code: rule_selected(code, settings, path_for_rules),
        unsafe_fixes=settings.unsafe_fixes,
        target=settings.target,
        image_pins=settings.image_pins,
    )
    fixers = (*FIXERS, *_opted_in(settings, path_for_rules))
    if job.mode is Mode.CHECK:
        tree = parse(text)
        findings = _checked(text, tree, engine, fixers)
        return Outcome(job.display, to_diagnostics(job.display, tree, findings), source=text)
    refused = _cannot_build(job.display, text)
    if refused is not None:
        return Outcome(job.display, error=refused)
    result = fix_text(text, fixers, engine)
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
    warnings: tuple[str, ...] = ()
    if job.mode is Mode.FIX and result.changed and job.stdin_text is None:
        warnings = _write(job, result.output)
    return Outcome(
        job.display,
        diagnostics,
        applied,
        result.changed,
        diff,
        result.output if job.stdin_text is not None else None,
        source=result.output,
        warnings=warnings,
    )


def confined_path(job: Job) -> Path:
    """The file's resolved path, refused when it lies outside the roots of the run."""
    from manifesto.fileio import is_inside

    real = os.path.realpath(job.path)
    if job.roots is not None and not is_inside(real, job.roots):
        raise SourceError(
            job.display,
            1,
            1,
            f"resolves to {real}, outside the tree: not read or written "
            "(--follow-symlinks to allow)",
        )
    return Path(real)


def _write(job: Job, text: str) -> tuple[str, ...]:
    # resolve again: the check above must hold for the path we write
    target = confined_path(job)
    broken_links = write_atomic(target, text)
    if not broken_links:
        return ()
    names = "name of the file keeps" if broken_links == 1 else "names of the file keep"
    return (f"{job.display}: hard link broken: {broken_links} other {names} the old content",)


def _refusals(text: str, tree: Dockerfile) -> list[Finding]:
    """The instructions BuildKit refuses (MF0xx), whatever the rule selection says:
    like a parse error, one stops any fix, since a fixer would rewrite a RUN cut in
    two. Pragmas are respected, as the way to let through an instruction BuildKit
    accepts and this release does not know yet."""
    return collect(text, tree, CHECKS, EngineSettings())


def _opted_in(settings: Settings, path: Path | None) -> tuple[Fixer, ...]:
    """The :data:`OPT_IN` rules a selector other than ``ALL`` selects."""
    from dataclasses import replace

    named = replace(
        settings,
        select=tuple(s for s in settings.select if s != ALL),
        extend_select=tuple(s for s in settings.extend_select if s != ALL),
    )
    return tuple(f for f in OPT_IN if rule_selected(f.INFO.code, named, path))


def _checked(
    text: str, tree: Dockerfile, engine: EngineSettings, fixers: tuple[Fixer, ...]
) -> list[Finding]:
    """``check``'s findings; on a file ``fix`` refuses, the fixes are dropped (``fix``
    would not apply them) and the findings say why."""
    from dataclasses import replace

    refusals = _refusals(text, tree)
    findings = [f for f in refusals if engine.selected(f.rule.code)]
    findings += collect(text, tree, fixers, engine)
    if not refusals:
        return findings
    from manifesto.reasons import no_fix

    reason = no_fix("BuildKit refuses an instruction of this file: `fix` leaves it as it is")
    return [
        f
        if f.violation.fix is None
        else replace(f, violation=replace(f.violation, fix=None, reason=reason))
        for f in findings
    ]


def _cannot_build(display: str, text: str) -> str | None:
    """``path:line:col: message`` of the first instruction BuildKit refuses, or None."""
    tree = parse(text)
    findings = _refusals(text, tree)
    if not findings:
        return None
    # one line per file (errors are printed one per line); `check` lists them all
    first = findings[0]
    row, col = tree.position(first.violation.start)
    more = f"; {len(findings) - 1} more, see `manifesto check`" if len(findings) > 1 else ""
    return (
        f"{display}:{row}:{col}: {first.violation.message}; "
        f"not fixed: the file cannot build ({first.rule.code}{more})"
    )
