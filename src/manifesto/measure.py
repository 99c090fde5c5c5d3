"""``manifesto measure``: build each Dockerfile as written and as fixed, and compare.

The fixed text is what ``manifesto fix`` would write with the same settings (the run's
selection, ``--unsafe-fixes``, ``--target``...): it comes from the same runner. Both
versions are built from scratch with the user's builder under temporary tags in
``localhost/manifesto-measure/``, which are removed at the end whatever happens.

What a measurement tells, loudest first:

- the original builds and the fixed file does not: a bug in a fixer;
- with ``--compare-files``, a *safe* fix changed files other than the caches its fixers
  exist to remove (each fixer module names them in ``REMOVES``): a bug in a fixer;
- the sizes: of the image, of each layer (with the instruction that made it), saved.
"""

from __future__ import annotations

import enum
import fnmatch
import hashlib
import io
import json
import os
import signal
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from manifesto import builders
from manifesto.builders import Builder, BuildOutcome, FileEntry, Layer
from manifesto.session import RunOptions, UsageError

NAMESPACE: Final = "localhost/manifesto-measure"

VOLATILE: Final = (
    # Written by every apt/dpkg run with the time in them: two builds of the same
    # Dockerfile never agree on these, whatever the fix did.
    "/var/log/*",
    "/var/cache/debconf/*",
    "/var/cache/ldconfig/aux-cache",
    # apt's binary caches, rebuilt from the lists by every run (measured: two builds of
    # one Dockerfile differ there).
    "/var/cache/apt/*.bin",
    "/var/lib/dpkg/*-old",
    # Go's build cache: each action entry ends with the time it was written (measured:
    # every "-a" file differs between two builds, with the same names).
    "*/.cache/go-build/*",
    # Python byte code records the source's modification time.
    "*/__pycache__/*.pyc",
    "/etc/machine-id",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    # The build's own working files (mount points the builder adds and removes).
    "/run/*",
    "/tmp/*",
)
"""Paths whose content differs between two builds of the *same* file. A difference
there is reported in its own list and does not count against a fix."""

EXIT_OK, EXIT_UNMEASURED, EXIT_FIXER_BUG = 0, 1, 2


class Status(enum.Enum):
    MEASURED = "measured"
    NOTHING_TO_FIX = "nothing-to-fix"
    BROKEN_BY_FIX = "broken-by-fix"
    """The original builds, the fixed file does not."""
    ORIGINAL_FAILS = "original-fails"
    """Nothing to compare: the file does not build as written."""
    ERROR = "error"
    """The file could not be read or fixed, or the builder failed a query."""


class Verdict(enum.Enum):
    IDENTICAL = "identical"
    """Same paths, same contents, apart from the caches the fixes remove and volatile files."""
    CHANGED = "changed"
    """Other paths differ: expected of an unsafe fix, a bug in a safe one."""


@dataclass(frozen=True, slots=True)
class ImageBuild:
    outcome: BuildOutcome
    layers: tuple[Layer, ...] = ()

    @property
    def size(self) -> int | None:
        return builders.image_size(self.layers) if self.outcome.ok else None


@dataclass(frozen=True, slots=True)
class TreeDiff:
    removed: tuple[str, ...]
    """Paths only in the original image."""
    added: tuple[str, ...]
    """Paths only in the fixed image."""
    changed: tuple[str, ...]
    """Paths in both whose type, content, mode or owner differ."""
    allowed: tuple[str, ...]
    """The globs the applied fixers declare they remove (``REMOVES``)."""
    unexpected: tuple[str, ...]
    """The differing paths outside ``allowed`` and :data:`VOLATILE`."""
    volatile: tuple[str, ...]
    """The differing paths that differ between any two builds."""

    @property
    def verdict(self) -> Verdict:
        return Verdict.CHANGED if self.unexpected else Verdict.IDENTICAL


@dataclass(frozen=True, slots=True)
class Measurement:
    display: str
    status: Status
    applied: tuple[str, ...] = ()
    """Codes of the fixes applied, in order, each once."""
    unsafe: bool = False
    """An unsafe fix was among them."""
    before: ImageBuild | None = None
    after: ImageBuild | None = None
    tree: TreeDiff | None = None
    error: str | None = None
    left_behind: tuple[str, ...] = ()
    """Temporary images the builder refused to remove."""

    @property
    def saved(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        before, after = self.before.size, self.after.size
        return None if before is None or after is None else before - after

    @property
    def fixer_bug(self) -> bool:
        """A fix broke the build, or a safe fix changed files it has no business with."""
        if self.status is Status.BROKEN_BY_FIX:
            return True
        return self.tree is not None and not self.unsafe and self.tree.verdict is Verdict.CHANGED


@dataclass(frozen=True, slots=True)
class FixedFile:
    """A Dockerfile and what ``fix`` makes of it."""

    path: Path
    display: str
    fixed: str | None
    """The text ``fix`` would write; None when it would change nothing."""
    applied: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MeasureOptions:
    context: Path | None = None
    compare_files: bool = False
    baseline: bool = False
    """With ``compare_files``: build the original a second time; what differs between the
    two builds of the same file is build noise, not the fix's doing."""
    timeout: float = 1800.0
    """Seconds for one build."""
    keep_going: bool = True
    removes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Fixer code -> the path globs its fix removes."""
    unsafe_codes: frozenset[str] = frozenset()
    """Codes whose fixes are unsafe."""


def declared_removals() -> dict[str, tuple[str, ...]]:
    """Each fixer's ``REMOVES`` (optional module attribute): the paths its fix exists to
    delete from the image, as globs where ``*`` also crosses ``/``."""
    from manifesto.registry import FIXERS, OPT_IN

    return {f.INFO.code: tuple(getattr(f, "REMOVES", ())) for f in (*FIXERS, *OPT_IN)}


def unsafe_codes() -> frozenset[str]:
    from manifesto.edits import Applicability
    from manifesto.registry import rules

    return frozenset(r.code for r in rules() if r.applicability is Applicability.UNSAFE)


def fixed_files(paths: list[str], run: RunOptions) -> tuple[list[FixedFile], list[str]]:
    """Each Dockerfile the paths name, with what ``fix`` (same options) would make of it;
    and the errors of discovery (``path:line:col: message``)."""
    from manifesto.runner import Mode
    from manifesto.runner import run as run_job
    from manifesto.session import _jobs, _settings, _with_image_pins

    if "-" in paths:
        raise UsageError(
            "manifesto measure: builds need a file on disk and its directory, not stdin"
        )
    settings = _settings(run, paths)
    jobs, errors = _jobs(paths, Mode.DIFF, settings, None, run.follow_symlinks)
    settings, jobs = _with_image_pins(settings, jobs, run)
    out = []
    for job in jobs:
        outcome = run_job(job)
        applied = tuple(dict.fromkeys(outcome.applied))
        if outcome.error is not None:
            out.append(FixedFile(job.path, job.display, None, applied, outcome.error))
        else:
            out.append(
                FixedFile(
                    job.path, job.display, outcome.source if outcome.changed else None, applied
                )
            )
    return out, errors


def measure_file(
    builder: Builder,
    fixed: FixedFile,
    options: MeasureOptions,
    *,
    on_progress: Callable[[str], None] = lambda _message: None,
) -> Measurement:
    """Build the file as written and as fixed; every image made is removed before return."""
    if fixed.error is not None:
        return Measurement(fixed.display, Status.ERROR, error=fixed.error)
    if fixed.fixed is None:
        return Measurement(fixed.display, Status.NOTHING_TO_FIX)
    unsafe = any(code in options.unsafe_codes for code in fixed.applied)
    context = options.context if options.context is not None else fixed.path.parent
    tag = _tag_base(fixed.display)
    tags = (f"{tag}:before", f"{tag}:after", f"{tag}:again")
    committed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="manifesto-measure-") as scratch:
        # Outside the context, so that the copy is not sent with it; BuildKit looks for
        # <name>.dockerignore beside it, then the context's .dockerignore.
        fixed_path = Path(scratch) / fixed.path.name
        fixed_path.write_text(fixed.fixed, encoding="utf-8", newline="")
        before = after = None
        tree = None
        error = None
        try:
            on_progress(f"{fixed.display}: building the original")
            before = _build(builder, fixed.path, context, tags[0], options, committed)
            on_progress(f"{fixed.display}: building the fixed file")
            after = _build(builder, fixed_path, context, tags[1], options, committed)
            if options.compare_files and _status(before, after) is Status.MEASURED:
                noise: frozenset[str] = frozenset()
                if options.baseline:
                    on_progress(f"{fixed.display}: building the original again (--baseline)")
                    again = _build(builder, fixed.path, context, tags[2], options, committed)
                    if again.outcome.ok:
                        noise = _differing(
                            builders.file_tree(builder, tags[0]),
                            builders.file_tree(builder, tags[2]),
                        )
                on_progress(f"{fixed.display}: comparing the file trees")
                tree = compare_trees(
                    builders.file_tree(builder, tags[0]),
                    builders.file_tree(builder, tags[1]),
                    _allowed(fixed.applied, options.removes),
                    noise,
                )
        except builders.BuilderError as exc:
            error = str(exc)
        finally:
            # Ctrl-C lands here too: the builder got the signal and stopped; its images go.
            left_behind = tuple(builders.remove(builder, tags, committed))
    status = Status.ERROR if error or not (before and after) else _status(before, after)
    return Measurement(
        fixed.display, status, fixed.applied, unsafe, before, after, tree, error, left_behind
    )


def _tag_base(display: str) -> str:
    # unique per run and file: two runs at once never share a tag
    seed = f"{display}\0{os.getpid()}\0{os.urandom(8).hex()}"
    return f"{NAMESPACE}/{hashlib.sha256(seed.encode()).hexdigest()[:16]}"


def _build(
    builder: Builder,
    dockerfile: Path,
    context: Path,
    tag: str,
    options: MeasureOptions,
    committed: list[str],
) -> ImageBuild:
    outcome = builders.build(builder, dockerfile, context, tag, timeout=options.timeout)
    committed.extend(outcome.committed)
    if not outcome.ok:
        return ImageBuild(outcome)
    return ImageBuild(outcome, builders.layers(builder, tag))


def _status(before: ImageBuild, after: ImageBuild) -> Status:
    if not before.outcome.ok:
        return Status.ORIGINAL_FAILS
    if not after.outcome.ok:
        return Status.BROKEN_BY_FIX
    return Status.MEASURED


def _allowed(applied: Sequence[str], removes: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(glob for code in applied for glob in removes.get(code, ())))


def _differing(before: Mapping[str, FileEntry], after: Mapping[str, FileEntry]) -> frozenset[str]:
    keys = before.keys() ^ after.keys()
    return frozenset(keys | {p for p in before.keys() & after.keys() if before[p] != after[p]})


def compare_trees(
    before: Mapping[str, FileEntry],
    after: Mapping[str, FileEntry],
    allowed: Sequence[str],
    noise: frozenset[str] = frozenset(),
) -> TreeDiff:
    """The paths that differ; those the fixes remove are allowed, those in :data:`VOLATILE`
    or ``noise`` (measured by ``--baseline``) are set aside, the rest are unexpected."""
    removed = sorted(before.keys() - after.keys())
    added = sorted(after.keys() - before.keys())
    changed = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])
    volatile: list[str] = []
    unexpected: list[str] = []
    for path in (*removed, *added, *changed):
        if _matches(path, allowed):
            continue
        (volatile if path in noise or _matches(path, VOLATILE) else unexpected).append(path)
    return TreeDiff(
        tuple(removed), tuple(added), tuple(changed), tuple(allowed),
        tuple(sorted(unexpected)), tuple(sorted(volatile)),
    )  # fmt: skip


def _matches(path: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, glob) for glob in globs)


def exit_code(measurements: Sequence[Measurement]) -> int:
    """2: a fix broke a build, or a safe fix changed other files (a fixer bug), or a file
    could not be measured for an error of its own; 1: a file does not build as written;
    0: everything measured."""
    if any(m.fixer_bug or m.status is Status.ERROR for m in measurements):
        return EXIT_FIXER_BUG
    if any(m.status is Status.ORIGINAL_FAILS for m in measurements):
        return EXIT_UNMEASURED
    return EXIT_OK


# ---------------------------------------------------------------------------- reports


def to_json(builder: Builder, measurements: Sequence[Measurement]) -> str:
    return json.dumps(
        {
            "builder": builder.kind,
            "files": [_measurement_json(m) for m in measurements],
            "broken_by_fix": [m.display for m in measurements if m.status is Status.BROKEN_BY_FIX],
            "exit_code": exit_code(measurements),
        },
        indent=2,
    )


def _measurement_json(m: Measurement) -> dict[str, object]:
    return {
        "path": m.display,
        "status": m.status.value,
        "fixes": list(m.applied),
        "unsafe": m.unsafe,
        "before": _build_json(m.before),
        "after": _build_json(m.after),
        "saved_bytes": m.saved,
        "files": _tree_json(m.tree),
        "fixer_bug": m.fixer_bug,
        "error": m.error,
        "left_behind": list(m.left_behind),
    }


def _build_json(build: ImageBuild | None) -> dict[str, object] | None:
    if build is None:
        return None
    return {
        "ok": build.outcome.ok,
        "seconds": round(build.outcome.seconds, 2),
        "size_bytes": build.size,
        "layers": [
            {"created_by": layer.created_by, "size_bytes": layer.size} for layer in build.layers
        ],
        "log_tail": None if build.outcome.ok else build.outcome.log_tail,
    }


def _tree_json(tree: TreeDiff | None) -> dict[str, object] | None:
    if tree is None:
        return None
    return {
        "verdict": tree.verdict.value,
        "allowed": list(tree.allowed),
        "removed": list(tree.removed),
        "added": list(tree.added),
        "changed": list(tree.changed),
        "unexpected": list(tree.unexpected),
        "volatile": list(tree.volatile),
    }


def megabytes(size: int | None) -> str:
    return "-" if size is None else f"{size / 1e6:.1f} MB"


def loud_lines(measurements: Sequence[Measurement]) -> list[str]:
    """The lines a fixer bug gets, said first and again at the end of the report."""
    out = []
    for m in measurements:
        codes = ", ".join(m.applied)
        if m.status is Status.BROKEN_BY_FIX:
            out.append(
                f"BROKEN BY FIX: {m.display}: builds as written, fails after {codes}: "
                "a bug in a fixer, please report it"
            )
        elif m.fixer_bug and m.tree is not None:
            out.append(
                f"FILES CHANGED BY A SAFE FIX: {m.display}: {len(m.tree.unexpected)} path(s) "
                f"outside what {codes} remove(s), e.g. {m.tree.unexpected[0]}"
            )
    return out


def render_text(
    builder: Builder, measurements: Sequence[Measurement], *, width: int | None = None
) -> str:
    """The report for a person: loud lines, a summary table, each file's layers and logs."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # recorded into a string (the caller writes it, escaped): nothing goes to a terminal
    console = Console(
        record=True, width=width or 120, highlight=False, emoji=False, file=io.StringIO()
    )
    loud = loud_lines(measurements)
    for line in loud:
        console.print(Text(line, style="bold red"))
    summary = Table(title=f"manifesto measure ({builder.kind})", title_justify="left")
    for name, justify in (
        ("Dockerfile", "left"), ("Fixes", "left"), ("Before", "right"), ("After", "right"),
        ("Saved", "right"), ("Build s", "right"), ("Files", "left"), ("Result", "left"),
    ):  # fmt: skip
        summary.add_column(name, justify=justify)  # type: ignore[arg-type]
    # a path cut to "benchmarks/lab/…" names nothing: the path column is never shrunk
    summary.columns[0].min_width = min(60, max((len(m.display) for m in measurements), default=10))
    for m in measurements:
        summary.add_row(*_summary_row(m))
    console.print(summary)
    for m in measurements:
        _print_details(console, m)
    for line in loud:
        console.print(Text(line, style="bold red"))
    return console.export_text(styles=False)


def _summary_row(m: Measurement) -> tuple[str, ...]:
    before = m.before.size if m.before else None
    after = m.after.size if m.after else None
    saved = m.saved
    saved_text = "-" if saved is None else f"{saved / 1e6:.1f} MB"
    if saved is not None and before:
        saved_text += f" ({100 * saved / before:.0f}%)"
    times = "-"
    if m.before is not None and m.after is not None:
        times = f"{m.before.outcome.seconds:.0f} / {m.after.outcome.seconds:.0f}"
    files = "-" if m.tree is None else m.tree.verdict.value
    result = {
        Status.MEASURED: "ok",
        Status.NOTHING_TO_FIX: "nothing to fix",
        Status.BROKEN_BY_FIX: "BROKEN BY FIX",
        Status.ORIGINAL_FAILS: "fails as written"
        + (" (builds once fixed)" if m.after is not None and m.after.outcome.ok else ""),
        Status.ERROR: "error",
    }[m.status]
    if m.fixer_bug and m.status is Status.MEASURED:
        result = "SAFE FIX CHANGED FILES"
    codes = ", ".join(m.applied) + (" (unsafe)" if m.unsafe else "")
    return (
        m.display,
        codes or "-",
        megabytes(before),
        megabytes(after),
        saved_text,
        times,
        files,
        result,
    )


def _print_details(console: object, m: Measurement) -> None:
    from rich.console import Console
    from rich.table import Table

    assert isinstance(console, Console)
    if m.error is not None:
        console.print(f"{m.display}: {m.error}")
    for side, build in (("original", m.before), ("fixed", m.after)):
        if build is not None and not build.outcome.ok:
            console.print(f"{m.display}: the {side} build failed; the builder's last lines:")
            console.print("  " + build.outcome.log_tail.replace("\n", "\n  "), markup=False)
    if m.before is not None and m.after is not None and m.before.layers and m.after.layers:
        table = Table(title=f"{m.display}: layers", title_justify="left")
        table.add_column("Instruction", overflow="ellipsis", no_wrap=True, max_width=70)
        table.add_column("Before", justify="right")
        table.add_column("After", justify="right")
        rows = _layer_rows(m.before.layers, m.after.layers)
        for instruction, before, after in rows:
            table.add_row(instruction, megabytes(before), megabytes(after))
        if any(row[0].startswith("* ") for row in rows):
            table.caption = "* the instruction as fixed"
            table.caption_justify = "left"
        console.print(table)
    if m.tree is not None and (m.tree.unexpected or m.tree.removed or m.tree.added):
        tree = m.tree
        console.print(
            f"{m.display}: files: {len(tree.removed)} removed, {len(tree.added)} added, "
            f"{len(tree.changed)} changed; {len(tree.unexpected)} outside "
            f"{', '.join(tree.allowed) or 'what the fixes remove'} "
            f"({len(tree.volatile)} volatile ignored)",
            markup=False,
        )
        for path in tree.unexpected[:20]:
            console.print(f"  {path}", markup=False)
        if len(tree.unexpected) > 20:
            console.print(
                f"  ... {len(tree.unexpected) - 20} more (--output-format json lists all)"
            )
    for image in m.left_behind:
        console.print(f"{m.display}: could not remove temporary image {image}", markup=False)


def _layer_rows(
    before: Sequence[Layer], after: Sequence[Layer]
) -> list[tuple[str, int | None, int | None]]:
    """Layers side by side: by position when both images have as many (the package-cache
    fixes never add or remove an instruction; a changed one is shown as fixed, with a
    ``*``), else one list after the other."""
    if len(before) == len(after):
        return [
            (a.created_by if a.created_by == b.created_by else f"* {a.created_by}", b.size, a.size)
            for b, a in zip(before, after, strict=True)
        ]
    return [(b.created_by, b.size, None) for b in before] + [
        (a.created_by, None, a.size) for a in after
    ]


# ---------------------------------------------------------------------------- the command


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@dataclass(frozen=True, slots=True)
class MeasureRequest:
    """``measure``'s own options (the fix options are a :class:`RunOptions`)."""

    builder: str | None = None
    context: Path | None = None
    compare_files: bool = False
    timeout: float = 1800.0
    output_format: str = "text"
    output_file: Path | None = None
    baseline: bool = False


def run_measure(paths: list[str], run: RunOptions, request: MeasureRequest) -> int:
    """The whole command; returns the exit code (see :func:`exit_code`)."""
    import shutil
    import sys

    from manifesto.session import EXIT_ERROR, _eprint

    if request.output_format not in ("text", "json"):
        _eprint(
            f"manifesto: unknown output format {request.output_format!r}; expected text or json"
        )
        return EXIT_ERROR
    if request.timeout <= 0:
        _eprint(f"manifesto: --timeout must be positive, got {request.timeout}")
        return EXIT_ERROR
    if request.context is not None and not request.context.is_dir():
        _eprint(f"manifesto: --context {request.context}: not a directory")
        return EXIT_ERROR
    try:
        builder = builders.detect(request.builder)
        files, errors = fixed_files(paths, run)
    except (builders.BuilderError, UsageError) as exc:
        message = str(exc)
        _eprint(message if message.startswith("manifesto:") else f"manifesto: {message}")
        return EXIT_ERROR
    for message in errors:
        _eprint(message)
    options = MeasureOptions(
        context=request.context,
        compare_files=request.compare_files,
        baseline=request.baseline,
        timeout=request.timeout,
        removes=declared_removals(),
        unsafe_codes=unsafe_codes(),
    )
    progress = (lambda message: None) if run.quiet else (lambda message: _eprint(message))
    # A CI job's time limit or `kill` ends the run like Ctrl-C: through the clean-up of
    # the images built so far (SIGTERM's default would leave them in the store).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        measurements = [measure_file(builder, f, options, on_progress=progress) for f in files]
    finally:
        signal.signal(signal.SIGTERM, previous)
    if request.output_format == "json":
        report = to_json(builder, measurements) + "\n"
    else:
        width = shutil.get_terminal_size((160, 24)).columns if sys.stdout.isatty() else 160
        report = render_text(builder, measurements, width=width)
    if request.output_file is not None:
        request.output_file.write_text(report, encoding="utf-8")
    else:
        from manifesto.terminal import printable_lines, write

        write(sys.stdout, printable_lines(report))
    # The loudest line again on stderr: a report sent to a file must not hide it.
    if request.output_file is not None or request.output_format == "json":
        for line in loud_lines(measurements):
            _eprint(line)
    code = exit_code(measurements)
    return EXIT_ERROR if errors and code == EXIT_OK else code
