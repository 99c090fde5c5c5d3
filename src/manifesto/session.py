"""A whole run: configuration, discovery, parallel processing, reports, exit code.

The CLI only turns flags into :class:`RunOptions`; everything else happens here.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from manifesto.config import Settings
from manifesto.diagnostics import Diagnostic
from manifesto.runner import Job, Mode, Outcome

if TYPE_CHECKING:
    from rich.console import Console

    from manifesto.diagnostics import Diagnostic, FileError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or configuration: exit 2."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    extend_select: Sequence[str] | None = None
    unsafe_fixes: bool | None = None
    target: str | None = None
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
    follow_symlinks: bool = False
    """Read and write files whose links resolve outside the paths given (off: a bot's
    checkout of an untrusted branch must not get us to write outside it)."""
    resolve: bool | None = None
    """Ask image registries for the pins the lock file lacks (``--resolve``)."""
    digest: bool | None = None
    """Pin images with digests (``--digest``)."""
    refresh: bool = False
    """Ask registries again and replace digests whose tag moved (``--refresh``)."""
    show_fixes: bool = False
    """List the fixes applied (or to apply), file by file (``--show-fixes``)."""
    color: str | None = None
    """``auto`` (a terminal, unless ``NO_COLOR``; ``FORCE_COLOR`` forces it), ``always``
    or ``never``."""


def _split(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _eprint(message: str) -> None:
    """One line on stderr; a file name or quoted text in it can neither split it nor
    drive the terminal (see :mod:`manifesto.terminal`)."""
    from manifesto.terminal import printable, write

    write(sys.stderr, printable(message) + "\n")


def _settings(opts: RunOptions, paths: list[str]) -> Settings:
    from manifesto.config import ConfigError, merge_cli, resolve_settings

    start = None
    for p in paths:
        if p != "-":
            candidate = Path(p)
            start = candidate if os.path.isdir(candidate) else candidate.parent
            break
    try:
        settings = resolve_settings(start, opts.config)
        return merge_cli(
            settings,
            select=_split(opts.select),
            ignore=_split(opts.ignore),
            extend_select=_split(opts.extend_select),
            unsafe_fixes=opts.unsafe_fixes,
            target=opts.target,
            output_format=opts.output_format,
            exclude=opts.exclude,
            extend_exclude=opts.extend_exclude,
            respect_gitignore=False if opts.no_respect_gitignore else None,
            force_exclude=True if opts.force_exclude else None,
        )
    except ConfigError as exc:
        raise UsageError(_printable(str(exc))) from None
    except ValueError as exc:
        raise UsageError(_printable(f"manifesto: {exc}")) from None


def _jobs(
    paths: list[str],
    mode: Mode,
    settings: Settings,
    stdin_name: str | None,
    follow_symlinks: bool = False,
) -> tuple[list[Job], list[str]]:
    from manifesto.discover import iter_dockerfiles

    jobs: list[Job] = []
    errors: list[str] = []
    files: list[Path] = []
    for p in paths:
        if p == "-":
            # bounded like a file: `- < /dev/zero` must not fill memory
            text = sys.stdin.buffer.read(settings.max_file_size + 1)
            from manifesto.source import SourceError, decode

            display = stdin_name or "-"
            try:
                if len(text) > settings.max_file_size:
                    raise SourceError(display, 1, 1, _too_large_stdin(settings.max_file_size))
                decoded = decode(text, display)
            except SourceError as exc:
                errors.append(str(exc))
                continue
            jobs.append(Job(Path(display), display, mode, settings, decoded))
            continue
        try:
            os.stat(p)
        except FileNotFoundError:
            errors.append(f"{p}:1:1: no such file or directory")
            continue
        except OSError as exc:  # a directory on the way we may not search, a link loop
            loop = exc.errno == errno.ELOOP
            errors.append(f"{p}:1:1: {'symlink loop' if loop else exc.strerror or exc}")
            continue
        files.append(Path(p))
    if files:
        found = list(
            iter_dockerfiles(
                files,
                root=settings.root,
                respect_gitignore=settings.respect_gitignore,
                exclude=settings.exclude,
                extend_exclude=settings.extend_exclude,
                force_exclude=settings.force_exclude,
                on_error=lambda e: errors.append(f"{e.path}:1:1: {e.message}"),
                max_ignore_file_size=settings.max_ignore_file_size,
            )
        )
        roots = None if follow_symlinks else _roots(files)
        for path in found:
            jobs.append(Job(path, _display(path), mode, settings, roots=roots))
        for directory in _without_dockerfiles(files, found):
            # a directory that could not be read is an error already
            if not any(e.startswith(str(directory)) for e in errors):
                _eprint(f"manifesto: warning: no Dockerfiles found in {directory}")
    return jobs, errors


def _without_dockerfiles(given: list[Path], found: list[Path]) -> list[Path]:
    """The directories given that hold none of the files found (ruff warns the same:
    a path with a typo in a CI script would otherwise pass with nothing checked)."""
    dirs = [d for d in given if d.is_dir()]
    if not dirs:
        return []
    under: set[Path] = set()
    for path in found:
        under.update(path.parents)
    return [d for d in dirs if d not in under and Path(os.path.normpath(d)) not in under]


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def _execute(
    jobs: list[Job], workers: int | None, show_progress: bool
) -> Generator[Outcome, None, None]:
    """The outcome of every job, in order; with several workers, a pool that is
    stopped at once (not drained) when the caller stops early or is interrupted."""
    from manifesto.runner import run

    count = workers if workers is not None else (os.cpu_count() or 1 if len(jobs) >= 32 else 1)
    count = max(1, min(count, len(jobs) or 1))
    if count == 1:
        yield from _with_progress(map(run, jobs), len(jobs), show_progress)
        return
    from manifesto.workers import run_in_worker, start_pool, stop_pool

    executor = start_pool(count)
    try:
        results = executor.map(run_in_worker, jobs, chunksize=16)
        yield from _with_progress(results, len(jobs), show_progress)
    except BaseException:  # Ctrl-C, or the generator closed early
        stop_pool(executor, interrupted=True)
        raise
    stop_pool(executor, interrupted=False)


def _with_progress(results: Iterable[Outcome], total: int, show: bool) -> Iterator[Outcome]:
    if not show:
        yield from results
        return
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("manifesto", total=total)
        for outcome in results:
            progress.advance(task)
            yield outcome


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


class _Report:
    """Collects what must be rendered at the end; streams what can be streamed."""

    STREAMED = frozenset({"full", "concise", "json-lines", "github"})

    def __init__(
        self,
        fmt: str,
        out: IO[str] | None,
        color: bool,
        statistics: bool,
        unsafe_fixes: bool = False,
    ) -> None:
        self.fmt = fmt
        self.unsafe_fixes = unsafe_fixes
        self.out = out
        self.color = color
        self.statistics = statistics
        self.kept: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.names: dict[str, str] = {}
        self.fixable: Counter[str] = Counter()
        self.total = 0
        self.errors: list[FileError] = []

    def add_error(self, line: str) -> None:
        """A file the run could not check: on stderr already; the machine formats carry
        it too (a bot reading only the report must not see an all-clear)."""
        from manifesto.diagnostics import FileError

        if self.fmt in ("full", "concise") or self.statistics:
            return
        error = FileError.from_line(line)
        if self.fmt in self.STREAMED:
            self._write(self._render([], {}, (error,)))
        else:
            self.errors.append(error)

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

    def _render(
        self,
        diagnostics: list[Diagnostic],
        sources: dict[str, str],
        errors: Sequence[FileError] = (),
    ) -> str:
        from manifesto.registry import rules
        from manifesto.report import render

        return render(
            self.fmt,
            diagnostics,
            rules=rules(),
            sources=sources,
            color=self.color,
            errors=errors,
            unsafe_fixes=self.unsafe_fixes,
        )

    def _write(self, text: str) -> None:
        if not text:
            return
        if self.color and self.out is None:
            from rich.console import Console

            Console(
                highlight=False, soft_wrap=True, emoji=False, force_terminal=True, no_color=False
            ).print(text, end="")
        else:
            from manifesto.terminal import write

            write(self.out if self.out is not None else sys.stdout, text)

    def finish(self, left: Counter[str] | None = None) -> None:
        """Render what was kept; with ``--statistics``, the counts by rule and, from
        ``left``, the findings ``fix`` leaves as they are, by reason slug."""
        if self.statistics:
            lines = [
                f"{n:>6}  {code:<7} {'[*]' if self.fixable[code] else '   '} {self.names[code]}"
                for code, n in self.counts.most_common()
            ]
            if lines and left:
                lines += ["", "Left without a fix, by reason:", *_reason_lines(left)]
            if lines:
                self._write("\n".join(lines) + "\n")
            return
        if self.fmt not in self.STREAMED:
            self._write(self._render(self.kept, self.sources, self.errors))


def _with_image_pins(
    settings: Settings, jobs: list[Job], opts: RunOptions
) -> tuple[Settings, list[Job]]:
    """Every unique image of the run resolved once (lock, config, registry), before the
    jobs start: the fixers get a read-only map and never touch the network."""
    from manifesto.pinning import PinningError, PinRequest, settings_with_pins

    request = PinRequest(bool(opts.resolve), bool(opts.digest), opts.refresh)
    if opts.resolve is False or opts.digest is False:
        settings = replace(
            settings,
            resolve=settings.resolve and opts.resolve is not False,
            digest=settings.digest and opts.digest is not False,
        )
    try:
        return settings_with_pins(settings, jobs, request)
    except PinningError as exc:
        raise UsageError(f"manifesto: cannot pin images: {exc}") from None


def run_session(mode: Mode, paths: Sequence[str] | None, opts: RunOptions) -> int:
    """Run one command over ``paths``; return the exit code (UsageError for bad arguments)."""
    # ruff's convention: a stdin name without paths means the text comes on stdin
    paths = list(paths or (["-"] if opts.stdin_filename is not None else ["."]))
    if opts.color not in (None, "auto", "always", "never"):
        raise UsageError(
            f"manifesto: --color must be auto, always or never, got {_printable(opts.color)!r}"
        )
    if opts.jobs is not None and opts.jobs < 1:
        raise UsageError(f"manifesto: --jobs must be at least 1, got {opts.jobs}")
    settings = _settings(opts, paths)
    output_file = opts.output_file
    if output_file is not None:
        _refuse_input_as_output(output_file, paths, ())
    jobs, errors = _jobs(paths, mode, settings, opts.stdin_filename, opts.follow_symlinks)
    from manifesto.registry import plugins

    for problem in plugins().problems:
        _eprint(problem)
    try:
        settings, jobs = _with_image_pins(settings, jobs, opts)
    except UsageError as exc:
        _eprint(str(exc))
        return EXIT_ERROR
    quiet = opts.quiet
    out: IO[str] | None = None
    if output_file is not None:
        _refuse_input_as_output(output_file, (), jobs)
        out = _open_output(output_file)
    if out is None and mode is Mode.FIX and any(job.stdin_text is not None for job in jobs):
        out = sys.stderr  # stdout carries the fixed text
    color = out is None and _colored(opts.color)
    # the diff or the file list owns stdout: the statistics go to stderr then
    tallied = mode in (Mode.CHECK, Mode.FIX) or opts.statistics
    report_out = sys.stderr if out is None and mode in (Mode.DIFF, Mode.FIX_CHECK) else out
    report = _Report(
        settings.output_format, report_out, color, opts.statistics, settings.unsafe_fixes
    )
    for message in errors:
        _eprint(message)
        report.add_error(message)
    scanned = changed = 0
    fixed: Counter[str] = Counter()
    by_file: list[tuple[str, Counter[str]]] = []
    remaining = 0
    left: Counter[str] = Counter()
    show_progress = not quiet and sys.stderr.isatty() and len(jobs) > 20
    outcomes = _execute(jobs, opts.jobs, show_progress)
    try:
        for outcome in outcomes:
            scanned += 1
            for warning in outcome.warnings:
                _eprint(warning)
            if outcome.error is not None:
                errors.append(outcome.error)
                _eprint(outcome.error)
                report.add_error(outcome.error)
                continue
            fixed.update(outcome.applied)
            if opts.show_fixes and outcome.applied:
                by_file.append((outcome.display, Counter(outcome.applied)))
            changed += outcome.changed
            remaining += len(outcome.diagnostics)
            left.update(_unfixed_slugs(outcome, settings.unsafe_fixes))
            if mode is Mode.DIFF and outcome.diff:
                _write_diff(outcome.diff, color)
            elif mode is Mode.FIX_CHECK and outcome.changed:
                _write_stdout(f"Would fix: {_printable(outcome.display)}\n")
            elif mode is Mode.FIX and outcome.output is not None:
                _write_stdout(_for_stdout(outcome.output))
            if tallied:
                report.add(outcome)
        if tallied:
            report.finish(left)
    finally:
        outcomes.close()  # now, not when collected: an interrupted pool must stop at once
        if out is not None and out is not sys.stderr:
            out.close()
    if opts.show_fixes and by_file:
        _show_fixes(mode, by_file)
    if not quiet:
        _summary(mode, scanned, changed, fixed, remaining, len(errors), left)
    if errors:
        return EXIT_ERROR
    if mode in (Mode.DIFF, Mode.FIX_CHECK):
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if mode is Mode.FIX and opts.exit_non_zero_on_fix and changed:
        return EXIT_FINDINGS
    if remaining and not opts.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _show_fixes(mode: Mode, by_file: list[tuple[str, Counter[str]]]) -> None:
    """ruff's ``--show-fixes``: the fixes applied (or to apply), file by file."""
    from manifesto.registry import rules

    names = {r.code: r.name for r in rules()}
    total = sum(sum(c.values()) for _, c in by_file)
    verb = "Fixed" if mode is Mode.FIX else "Would fix"
    lines = [f"{verb} {total} finding{'s' if total != 1 else ''}:"]
    for display, counts in by_file:
        lines.append(f"- {display}:")
        lines += [
            f"    {n} x {code} ({names.get(code, '?')})" for code, n in sorted(counts.items())
        ]
    for line in lines:
        _eprint(line)


def _colored(choice: str | None) -> bool:
    """Whether stdout gets color: ``--color``, else the no-color.org and force-color.org
    conventions (``NO_COLOR`` wins over ``FORCE_COLOR``), else whether it is a terminal."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def _printable(text: str) -> str:
    from manifesto.terminal import printable

    return printable(text)


def _write_stdout(text: str) -> None:
    from manifesto.terminal import write

    write(sys.stdout, text)


def _for_stdout(text: str) -> str:
    """File text (a diff, a fixed file) as it goes to stdout.

    Piped, it is data: byte for byte, so that ``git apply`` accepts the diff
    whatever the file holds (its headers are quoted as git quotes them). On a
    terminal it is read, not applied: characters the terminal would obey (an
    ESC sequence in a RUN, a bidi override) are made visible.
    """
    if not sys.stdout.isatty():
        return text
    from manifesto.terminal import printable_lines

    return printable_lines(text)


def _write_diff(diff: str, color: bool) -> None:
    diff = _for_stdout(diff)
    if not color:
        _write_stdout(diff)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        highlight=False, soft_wrap=True, emoji=False, force_terminal=True, no_color=False
    )
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


def _unfixed_slugs(outcome: Outcome, unsafe_fixes: bool) -> Iterable[str]:
    if not outcome.diagnostics:
        return ()
    from manifesto.reasons import unfixed_slugs

    return unfixed_slugs(outcome.diagnostics, unsafe_fixes)


def _reason_lines(left: Counter[str]) -> list[str]:
    from manifesto.reasons import summary

    return [f"{n:>6}  {slug:<24} {summary(slug) or ''}".rstrip() for slug, n in left.most_common()]


def _summary(
    mode: Mode,
    scanned: int,
    changed: int,
    fixed: Counter[str],
    remaining: int,
    errors: int,
    left: Counter[str] | None = None,
) -> None:
    verb = "applied" if mode is Mode.FIX else "to apply"
    parts = [f"{scanned} file{'s' if scanned != 1 else ''} scanned"]
    if mode is not Mode.CHECK:
        parts.append(f"{changed} {'changed' if mode is Mode.FIX else 'would change'}")
        if fixed:
            by_rule = ", ".join(f"{code} x{n}" for code, n in sorted(fixed.items()))
            count = sum(fixed.values())
            parts.append(f"{count} fix{'es' if count != 1 else ''} {verb} ({by_rule})")
    found = f"{remaining} finding{'s' if remaining != 1 else ''} remaining"
    if left:
        by_reason = ", ".join(f"{slug} x{n}" for slug, n in left.most_common())
        found += f", {sum(left.values())} without a fix ({by_reason})"
    parts.append(found)
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    hidden = (left or Counter())["unsafe-fix"]
    if hidden:
        # ruff's hint: the fix exists, one flag away
        fixes = "fix" if hidden == 1 else "fixes"
        parts.append(f"{hidden} hidden {fixes} can be enabled with --unsafe-fixes")
    _eprint("; ".join(parts) + ".")


def _too_large_stdin(limit: int) -> str:
    from manifesto.fileio import describe_size

    return f"file too large (more than the {describe_size(limit)} limit)"


def _roots(paths: Sequence[Path]) -> tuple[str, ...]:
    """The resolved trees a run may read and write in: each directory given; for a file
    given, the current directory when the file is below it (a pre-commit hook or a bot
    names files from the repository's top), else the file's own directory. A link named
    on the command line is not followed out of its tree either."""
    cwd = os.getcwd()
    roots: list[str] = []
    for path in paths:
        absolute = os.path.abspath(path)
        if os.path.isdir(absolute):
            tree = absolute
        elif absolute.startswith(cwd.rstrip(os.sep) + os.sep):
            tree = cwd
        else:
            tree = os.path.dirname(absolute)
        roots.append(os.path.realpath(tree))
    return tuple(dict.fromkeys(roots))


def _refuse_input_as_output(output: Path, paths: Sequence[str], jobs: Sequence[Job]) -> None:
    """UsageError when the report file is one of the inputs: opening it would empty it
    before it is read. Checked on the paths given (and stdin) before anything is read,
    then on the files discovery found."""
    try:
        target = os.stat(output)
    except OSError:
        return  # does not exist (yet): cannot be an input
    identity = (target.st_dev, target.st_ino)
    candidates = [*paths, *(str(job.path) for job in jobs if job.stdin_text is None)]
    for candidate in candidates:
        try:
            info = os.fstat(sys.stdin.fileno()) if candidate == "-" else os.stat(candidate)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == identity:
            shown = "stdin" if candidate == "-" else candidate
            raise UsageError(
                _printable(
                    f"manifesto: the output file {output} is an input ({shown}): "
                    "refusing to overwrite it"
                )
            )


def _open_output(output: Path) -> IO[str]:
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        message = exc.strerror or str(exc)
        raise UsageError(_printable(f"manifesto: cannot write {output}: {message}")) from None
