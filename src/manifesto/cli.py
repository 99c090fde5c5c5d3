"""The ``manifesto`` command: parse options, call the core, set the exit code."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Optional

import typer

from manifesto.runner import Job, Mode, Outcome

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Refactor Dockerfiles to follow the Container Build Manifesto, safely.",
    rich_markup_mode=None,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

PathsArg = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer reads the annotation at runtime
    typer.Argument(help="Files or directories ('-' for stdin). Default: the current directory."),
]
SelectOpt = Annotated[Optional[list[str]], typer.Option("--select", help="Rule codes or prefixes to enable (comma-separated or repeated).")]  # noqa: UP045, E501
IgnoreOpt = Annotated[Optional[list[str]], typer.Option("--ignore", help="Rule codes or prefixes to disable.")]  # noqa: UP045, E501
ExtendOpt = Annotated[Optional[list[str]], typer.Option("--extend-select", help="Rules to enable on top of the selection.")]  # noqa: UP045, E501
UnsafeOpt = Annotated[Optional[bool], typer.Option("--unsafe-fixes/--no-unsafe-fixes", help="Also apply fixes that can change behaviour.")]  # noqa: UP045, E501
FormatOpt = Annotated[Optional[str], typer.Option("--output-format", help="full, concise, json, json-lines, sarif, rdjson, github, gitlab.")]  # noqa: UP045, E501
OutFileOpt = Annotated[Optional[Path], typer.Option("--output-file", "-o", help="Write the report to this file.")]  # noqa: UP045, E501
StatsOpt = Annotated[bool, typer.Option("--statistics", help="Show counts per rule instead of each finding.")]  # noqa: E501
ExitZeroOpt = Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings remain.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Use this configuration file.")]  # noqa: UP045, E501
StdinNameOpt = Annotated[Optional[str], typer.Option("--stdin-filename", help="The name of the file read from stdin.")]  # noqa: UP045, E501
JobsOpt = Annotated[Optional[int], typer.Option("--jobs", "-j", help="Files processed in parallel (default: all cores for large runs).")]  # noqa: UP045, E501
NoGitignoreOpt = Annotated[bool, typer.Option("--no-respect-gitignore", help="Also process files that .gitignore excludes.")]  # noqa: E501
ForceExcludeOpt = Annotated[bool, typer.Option("--force-exclude", help="Apply exclusions to paths given explicitly too.")]  # noqa: E501
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the report and errors.")]  # noqa: E501
ExtendExcludeOpt = Annotated[Optional[list[str]], typer.Option("--extend-exclude", help="More paths to exclude (globs).")]  # noqa: UP045, E501
ExcludeOpt = Annotated[Optional[list[str]], typer.Option("--exclude", help="Paths to exclude (globs), replacing the defaults.")]  # noqa: UP045, E501


def _split(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


class _Options:
    """The options every command shares, resolved against the configuration."""

    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


def _eprint(message: str) -> None:
    sys.stderr.write(message + "\n")


def _settings(opts: dict[str, object], paths: list[str]) -> object:
    from manifesto.config import ConfigError, merge_cli, resolve_settings

    start = None
    for p in paths:
        if p != "-":
            candidate = Path(p)
            start = candidate if candidate.is_dir() else candidate.parent
            break
    try:
        settings = resolve_settings(start, opts["config"])  # type: ignore[arg-type]
        return merge_cli(
            settings,
            select=_split(opts["select"]),  # type: ignore[arg-type]
            ignore=_split(opts["ignore"]),  # type: ignore[arg-type]
            extend_select=_split(opts["extend_select"]),  # type: ignore[arg-type]
            unsafe_fixes=opts["unsafe_fixes"],  # type: ignore[arg-type]
            output_format=opts["output_format"],  # type: ignore[arg-type]
            exclude=opts["exclude"],  # type: ignore[arg-type]
            extend_exclude=opts["extend_exclude"],  # type: ignore[arg-type]
            respect_gitignore=False if opts["no_respect_gitignore"] else None,
            force_exclude=True if opts["force_exclude"] else None,
        )
    except ConfigError as exc:
        _eprint(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError as exc:
        _eprint(f"manifesto: {exc}")
        raise typer.Exit(EXIT_ERROR) from None


def _jobs(paths: list[str], mode: Mode, settings: object, stdin_name: str | None) -> tuple[list[Job], list[str]]:
    from manifesto.config import Settings
    from manifesto.discover import iter_dockerfiles

    assert isinstance(settings, Settings)
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


def _stderr_console() -> object:
    from rich.console import Console

    return Console(stderr=True)


class _Report:
    """Collects what must be rendered at the end; streams what can be streamed."""

    STREAMED = frozenset({"full", "concise", "json-lines", "github"})

    def __init__(self, fmt: str, out: object, color: bool, statistics: bool) -> None:
        self.fmt = fmt
        self.out = out
        self.color = color
        self.statistics = statistics
        self.kept: list[object] = []
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

    def _render(self, diagnostics: list[object], sources: dict[str, str]) -> str:
        from manifesto.registry import rules
        from manifesto.report import render

        return render(self.fmt, diagnostics, rules=rules(), sources=sources, color=self.color)  # type: ignore[arg-type]

    def _write(self, text: str) -> None:
        if not text:
            return
        if self.color and self.out is None:
            from rich.console import Console

            Console(highlight=False, soft_wrap=True, emoji=False).print(text, end="")
        elif self.out is None:
            sys.stdout.write(text)
        else:
            self.out.write(text)  # type: ignore[attr-defined]

    def finish(self) -> None:
        if self.statistics:
            lines = [
                f"{n:>6}  {code:<7} {'[*]' if self.fixable[code] else '   '} {self.names[code]}"
                for code, n in self.counts.most_common()
            ]
            if lines:
                self._write("\n".join(lines) + "\n")
            return
        if self.fmt not in self.STREAMED or (self.fmt in ("json",) and not self.kept):
            self._write(self._render(self.kept, self.sources))


def _common(
    mode: Mode,
    paths: list[str] | None,
    opts: dict[str, object],
) -> int:
    from manifesto.config import Settings

    paths = paths or ["."]
    settings = _settings(opts, paths)
    assert isinstance(settings, Settings)
    jobs, errors = _jobs(paths, mode, settings, opts["stdin_filename"])  # type: ignore[arg-type]
    quiet = bool(opts["quiet"])
    output_file: Path | None = opts["output_file"]  # type: ignore[assignment]
    out = open(output_file, "w", encoding="utf-8") if output_file else None  # noqa: SIM115
    color = out is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    report = _Report(settings.output_format, out, color, bool(opts["statistics"]))
    for message in errors:
        _eprint(message)
    scanned = changed = internal = 0
    fixed: Counter[str] = Counter()
    show_progress = not quiet and sys.stderr.isatty() and len(jobs) > 20
    try:
        for outcome in _execute(jobs, opts["jobs"], show_progress):  # type: ignore[arg-type]
            scanned += 1
            if outcome.error is not None:
                errors.append(outcome.error)
                internal += outcome.internal
                _eprint(outcome.error)
                continue
            fixed.update(outcome.applied)
            changed += outcome.changed
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
        if out is not None:
            out.close()
    if not quiet:
        _summary(mode, scanned, changed, fixed, report.total, len(errors))
    if errors:
        return EXIT_ERROR
    if mode in (Mode.DIFF, Mode.FIX_CHECK):
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if mode is Mode.FIX and opts["exit_non_zero_on_fix"] and changed:
        return EXIT_FINDINGS
    if report.total and not opts["exit_zero"]:
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


def _summary(mode: Mode, scanned: int, changed: int, fixed: Counter[str], remaining: int, errors: int) -> None:
    verb = {Mode.FIX: "fixed", Mode.DIFF: "would be fixed", Mode.FIX_CHECK: "would be fixed", Mode.CHECK: ""}[mode]
    parts = [f"{scanned} file{'s' if scanned != 1 else ''} scanned"]
    if mode is not Mode.CHECK:
        parts.append(f"{changed} {'changed' if mode is Mode.FIX else 'would change'}")
        if fixed:
            by_rule = ", ".join(f"{code} x{n}" for code, n in sorted(fixed.items()))
            parts.append(f"{sum(fixed.values())} fixes {verb} ({by_rule})")
    parts.append(f"{remaining} finding{'s' if remaining != 1 else ''} remaining")
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    _eprint("; ".join(parts) + ".")


@app.command()
def check(
    paths: PathsArg = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    extend_select: ExtendOpt = None,
    unsafe_fixes: UnsafeOpt = None,
    output_format: FormatOpt = None,
    output_file: OutFileOpt = None,
    statistics: StatsOpt = False,
    exit_zero: ExitZeroOpt = False,
    config: ConfigOpt = None,
    stdin_filename: StdinNameOpt = None,
    jobs: JobsOpt = None,
    no_respect_gitignore: NoGitignoreOpt = False,
    force_exclude: ForceExcludeOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Report findings; change nothing."""
    opts = dict(locals())
    opts["exit_non_zero_on_fix"] = False
    raise typer.Exit(_common(Mode.CHECK, opts.pop("paths"), opts))  # type: ignore[arg-type]


@app.command()
def fix(
    paths: PathsArg = None,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff of the fixes.")] = False,  # noqa: E501
    check_only: Annotated[bool, typer.Option("--check", help="Write nothing; list the files that would change.")] = False,  # noqa: E501
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    extend_select: ExtendOpt = None,
    unsafe_fixes: UnsafeOpt = None,
    output_format: FormatOpt = None,
    output_file: OutFileOpt = None,
    statistics: StatsOpt = False,
    exit_zero: ExitZeroOpt = False,
    exit_non_zero_on_fix: Annotated[bool, typer.Option("--exit-non-zero-on-fix", help="Exit 1 when any fix was applied.")] = False,  # noqa: E501
    config: ConfigOpt = None,
    stdin_filename: StdinNameOpt = None,
    jobs: JobsOpt = None,
    no_respect_gitignore: NoGitignoreOpt = False,
    force_exclude: ForceExcludeOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Apply safe fixes in place (unsafe ones too with --unsafe-fixes)."""
    opts = dict(locals())
    mode = Mode.DIFF if diff else Mode.FIX_CHECK if check_only else Mode.FIX
    for key in ("diff", "check_only"):
        opts.pop(key)
    raise typer.Exit(_common(mode, opts.pop("paths"), opts))  # type: ignore[arg-type]


@app.command("rules")
def list_rules(
    output_format: Annotated[str, typer.Option("--output-format", help="text or json")] = "text",
) -> None:
    """List the rules."""
    import json

    from manifesto.registry import rules

    infos = rules()
    if output_format == "json":
        payload = [
            {
                "code": r.code,
                "name": r.name,
                "title": r.title,
                "fix": r.applicability.value if r.applicability else None,
                "related": list(r.related),
            }
            for r in infos
        ]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    for r in infos:
        fix_kind = r.applicability.value if r.applicability else "report"
        sys.stdout.write(f"{r.code}  {r.name:<28} {fix_kind:<8} {r.title}\n")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A rule code (MF101) or name.")]) -> None:
    """Print a rule's documentation."""
    from manifesto.registry import rule

    info = rule(code)
    if info is None:
        _eprint(f"manifesto: unknown rule {code!r}; see 'manifesto rules'")
        raise typer.Exit(EXIT_ERROR)
    sys.stdout.write(f"# {info.code} {info.name}\n\n{info.title}\n\n{info.doc.strip()}\n")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _eprint("manifesto: interrupted")
        raise SystemExit(130) from None
