"""A whole run: configuration, discovery, parallel processing, reports, exit code.

The CLI only turns flags into :class:`RunOptions`; everything else happens here.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from manifesto.config import Settings
from manifesto.diagnostics import Diagnostic
from manifesto.runner import Job, Mode, Outcome

if TYPE_CHECKING:
    from rich.console import Console

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or configuration: exit 2."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    extend_select: Sequence[str] | None = None
    unsafe_fixes: bool | None = None
    output_format: str | None = None
    output_file: Path | None = None
    statistics: bool = False
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    config: Path | None = None
    stdin_filename: str | None = None
    jobs: int | None = None
    no_respect_gitignore: bool = False
    force_exclude: bool = False
    exclude: Sequence[str] | None = None
    extend_exclude: Sequence[str] | None = None
    quiet: bool = False


def _split(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _eprint(message: str) -> None:
    sys.stderr.write(message + "\n")


def _settings(opts: RunOptions, paths: list[str]) -> Settings:
    from manifesto.config import ConfigError, merge_cli, resolve_settings

    start = None
    for p in paths:
        if p != "-":
            candidate = Path(p)
            start = candidate if candidate.is_dir() else candidate.parent
            break
    try:
        settings = resolve_settings(start, opts.config)
        return merge_cli(
            settings,
            select=_split(opts.select),
            ignore=_split(opts.ignore),
            extend_select=_split(opts.extend_select),
            unsafe_fixes=opts.unsafe_fixes,
            output_format=opts.output_format,
            exclude=opts.exclude,
            extend_exclude=opts.extend_exclude,
            respect_gitignore=False if opts.no_respect_gitignore else None,
            force_exclude=True if opts.force_exclude else None,
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(f"manifesto: {exc}") from None


def _jobs(
    paths: list[str], mode: Mode, settings: Settings, stdin_name: str | None
) -> tuple[list[Job], list[str]]:
    from manifesto.discover import iter_dockerfiles

    jobs: list[Job] = []
    errors: list[str] = []
    files: list[Path] = []
    for p in paths:
        if p == "-":
            text = sys.stdin.buffer.read()
            from manifesto.source import SourceError, decode

            display = stdin_name or "-"
            try:
                decoded = decode(text, display)
            except SourceError as exc:
                errors.append(str(exc))
                continue
            jobs.append(Job(Path(display), display, mode, settings, decoded))
            continue
        if not Path(p).exists():
            errors.append(f"{p}:1:1: no such file or directory")
            continue
        files.append(Path(p))
    if files:
        found = iter_dockerfiles(
            files,
            root=settings.root,
            respect_gitignore=settings.respect_gitignore,
            exclude=settings.exclude,
            extend_exclude=settings.extend_exclude,
            force_exclude=settings.force_exclude,
            on_error=lambda e: errors.append(f"{e.path}:1:1: {e.message}"),
        )
        for path in found:
            jobs.append(Job(path, _display(path), mode, settings))
    return jobs, errors


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def _execute(jobs: list[Job], workers: int | None, show_progress: bool) -> Iterator[Outcome]:
    from manifesto.runner import run

    count = workers if workers is not None else (os.cpu_count() or 1 if len(jobs) >= 32 else 1)
    count = max(1, min(count, len(jobs) or 1))
    if count == 1:
        results: Iterable[Outcome] = map(run, jobs)
        executor = None
    else:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=count)
        results = executor.map(run, jobs, chunksize=16)
    try:
        if show_progress:
            from rich.progress import Progress

            with Progress(transient=True, console=_stderr_console()) as progress:
                task = progress.add_task("manifesto", total=len(jobs))
                for outcome in results:
                    progress.advance(task)
                    yield outcome
        else:
            yield from results
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


class _Report:
    """Collects what must be rendered at the end; streams what can be streamed."""

    STREAMED = frozenset({"full", "concise", "json-lines", "github"})

    def __init__(self, fmt: str, out: IO[str] | None, color: bool, statistics: bool) -> None:
        self.fmt = fmt
        self.out = out
        self.color = color
        self.statistics = statistics
        self.kept: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.names: dict[str, str] = {}
        self.fixable: Counter[str] = Counter()
        self.total = 0

    def add(self, outcome: Outcome) -> None:
        from manifesto.edits import Applicability

        if not outcome.diagnostics:
            return
        for d in outcome.diagnostics:
            self.counts[d.code] += 1
            self.names[d.code] = d.name
            if d.fix is not None and d.fix.applicability is Applicability.SAFE:
                self.fixable[d.code] += 1
        self.total += len(outcome.diagnostics)
        if self.statistics:
            return
        if self.fmt in self.STREAMED:
            sources = {outcome.display: outcome.source} if outcome.source is not None else {}
            self._write(self._render(list(outcome.diagnostics), sources))
        else:
            self.kept.extend(outcome.diagnostics)
            if outcome.source is not None:
                self.sources[outcome.display] = outcome.source

    def _render(self, diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
        from manifesto.registry import rules
        from manifesto.report import render

        return render(self.fmt, diagnostics, rules=rules(), sources=sources, color=self.color)

    def _write(self, text: str) -> None:
        if not text:
            return
        if self.color and self.out is None:
            from rich.console import Console

            Console(highlight=False, soft_wrap=True, emoji=False).print(text, end="")
        elif self.out is None:
            sys.stdout.write(text)
        else:
            self.out.write(text)

    def finish(self) -> None:
        if self.statistics:
            lines = [
                f"{n:>6}  {code:<7} {'[*]' if self.fixable[code] else '   '} {self.names[code]}"
                for code, n in self.counts.most_common()
            ]
            if lines:
                self._write("\n".join(lines) + "\n")
            return
        if self.fmt not in self.STREAMED:
            self._write(self._render(self.kept, self.sources))


def run_session(mode: Mode, paths: Sequence[str] | None, opts: RunOptions) -> int:
    """Run one command over ``paths``; return the exit code (UsageError for bad arguments)."""
    paths = list(paths or ["."])
    settings = _settings(opts, paths)
    jobs, errors = _jobs(paths, mode, settings, opts.stdin_filename)
    quiet = opts.quiet
    output_file = opts.output_file
    out: IO[str] | None = open(output_file, "w", encoding="utf-8") if output_file else None  # noqa: SIM115
    if out is None and mode is Mode.FIX and any(job.stdin_text is not None for job in jobs):
        out = sys.stderr  # stdout carries the fixed text
    color = out is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    report = _Report(settings.output_format, out, color, opts.statistics)
    for message in errors:
        _eprint(message)
    scanned = changed = 0
    fixed: Counter[str] = Counter()
    remaining = 0
    show_progress = not quiet and sys.stderr.isatty() and len(jobs) > 20
    try:
        for outcome in _execute(jobs, opts.jobs, show_progress):
            scanned += 1
            if outcome.error is not None:
                errors.append(outcome.error)
                _eprint(outcome.error)
                continue
            fixed.update(outcome.applied)
            changed += outcome.changed
            remaining += len(outcome.diagnostics)
            if mode is Mode.DIFF and outcome.diff:
                _write_diff(outcome.diff, color)
            elif mode is Mode.FIX_CHECK and outcome.changed:
                sys.stdout.write(f"Would fix: {outcome.display}\n")
            elif mode is Mode.FIX and outcome.output is not None:
                sys.stdout.write(outcome.output)
            if mode in (Mode.CHECK, Mode.FIX):
                report.add(outcome)
        if mode in (Mode.CHECK, Mode.FIX):
            report.finish()
    finally:
        if out is not None and out is not sys.stderr:
            out.close()
    if not quiet:
        _summary(mode, scanned, changed, fixed, remaining, len(errors))
    if errors:
        return EXIT_ERROR
    if mode in (Mode.DIFF, Mode.FIX_CHECK):
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if mode is Mode.FIX and opts.exit_non_zero_on_fix and changed:
        return EXIT_FINDINGS
    if remaining and not opts.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _write_diff(diff: str, color: bool) -> None:
    if not color:
        sys.stdout.write(diff)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True, emoji=False)
    for line in diff.splitlines(keepends=True):
        style = ""
        if line.startswith(("---", "+++")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        console.print(Text(line, style=style), end="")


def _summary(
    mode: Mode, scanned: int, changed: int, fixed: Counter[str], remaining: int, errors: int
) -> None:
    verb = "applied" if mode is Mode.FIX else "to apply"
    parts = [f"{scanned} file{'s' if scanned != 1 else ''} scanned"]
    if mode is not Mode.CHECK:
        parts.append(f"{changed} {'changed' if mode is Mode.FIX else 'would change'}")
        if fixed:
            by_rule = ", ".join(f"{code} x{n}" for code, n in sorted(fixed.items()))
            count = sum(fixed.values())
            parts.append(f"{count} fix{'es' if count != 1 else ''} {verb} ({by_rule})")
    parts.append(f"{remaining} finding{'s' if remaining != 1 else ''} remaining")
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    _eprint("; ".join(parts) + ".")
