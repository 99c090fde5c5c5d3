"""One file, start to end: read, check or fix, write, report. Picklable for ``-j``."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from manifesto.config import ALL, Settings, rule_selected
from manifesto.context_files import context_file_reader, context_lister
from manifesto.cst import Dockerfile, ParseError, parse
from manifesto.diagnostics import Diagnostic, EditReport, FixReport, Location, NewFileReport
from manifesto.docs import rule_url
from manifesto.edits import Fix, NewFile
from manifesto.engine import EngineSettings, Finding, RuleCrashed, collect, fix_text
from manifesto.fileio import RefusedFile
from manifesto.fixer import Fixer
from manifesto.registry import CHECKS, FIXERS, OPT_IN, origin, plugins
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


def _fix_report(tree: Dockerfile, fix: Fix, applied: bool, display: str) -> FixReport:
    edits = tuple(
        EditReport(e.content, _location(tree, e.start), _location(tree, e.end), e.start, e.end)
        for e in fix.edits
    )
    new_files = tuple(NewFileReport(_beside(display, f.path), f.content) for f in fix.new_files)
    return FixReport(fix.applicability, fix.message, edits, applied, new_files)


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
                fix=_fix_report(tree, v.fix, False, display) if v.fix is not None else None,
                url=rule_url(f.rule),
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
    except RuleCrashed as exc:
        return Outcome(
            job.display,
            error=f"{job.display}:1:1: {exc} (file left unchanged; please report this to"
            f" {origin(exc.rule.code)})",
            internal=True,
        )


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
        # stdin has no directory, so no build context to read
        read_context_file=None if job.stdin_text is not None else context_file_reader(job.path),
        list_context=None if job.stdin_text is not None else context_lister(job.path),
        app_user=settings.app_user,
    )
    fixers = (*FIXERS, *(p.fixer for p in plugins().loaded), *opted_in(settings, path_for_rules))
    pragma_warnings = _unknown_pragma_codes(job.display, text)
    if job.mode is Mode.CHECK:
        tree = parse(text)
        findings = _checked(text, tree, engine, fixers)
        return Outcome(
            job.display,
            to_diagnostics(job.display, tree, findings),
            source=text,
            warnings=pragma_warnings,
        )
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
        from manifesto.diff import new_file_diff, unified_diff  # only --diff (start-up)

        diff = unified_diff(job.display, text, result.output) + "".join(
            new_file_diff(_beside(job.display, f.path), f.content) for f in result.new_files
        )
    warnings = pragma_warnings
    if job.mode is Mode.FIX and result.changed and job.stdin_text is None:
        if result.output != text and _read_only(job):
            # a rename would replace it anyway; like an editor, refuse what is marked read-only
            return Outcome(job.display, error=f"{job.display}:1:1: permission denied (read-only)")
        if result.output != text:
            warnings += _write(job, result.output)
        for new in result.new_files:
            warnings += _create(job, new)
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


def _unknown_pragma_codes(display: str, text: str) -> tuple[str, ...]:
    """A warning per code in a ``# manifesto:`` pragma that names no rule."""
    if "manifesto" not in text.lower():
        return ()
    from manifesto.pragmas import unknown_codes
    from manifesto.registry import rule

    tree = parse(text)
    out: list[str] = []
    for offset, code in unknown_codes(tree, lambda c: rule(c) is not None):
        row, col = tree.position(offset)
        out.append(
            f"{display}:{row}:{col}: warning: unknown rule code {code} in a manifesto pragma;"
            " it silences nothing (see 'manifesto rules')"
        )
    return tuple(out)


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


def _beside(display: str, relative: str) -> str:
    """How a file next to the Dockerfile ``display`` is shown."""
    import posixpath

    return posixpath.join(posixpath.dirname(display), relative)


def _create(job: Job, new: NewFile) -> tuple[str, ...]:
    """Create a file a fix adds beside the Dockerfile; never replace one (it may have
    appeared since the check), never follow a link, never leave the directory."""
    directory = os.path.dirname(confined_path(job))
    target = os.path.join(directory, *new.path.split("/"))
    shown = _beside(job.display, new.path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError:
        return (f"{shown}: already exists: not replaced",)
    except OSError as exc:
        return (f"{shown}: not created: {exc.strerror or exc}",)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(new.content)
    return ()


def _read_only(job: Job) -> bool:
    """Whether nobody may write the file (root may, through any mode bits)."""
    import stat

    mode = os.stat(confined_path(job)).st_mode
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


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


def opted_in(settings: Settings, path: Path | None) -> tuple[Fixer, ...]:
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
