"""The ``manifesto`` command: parse options, call the core, set the exit code."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from manifesto.runner import Mode
from manifesto.session import RunOptions

if TYPE_CHECKING:
    pass

# Shell completion (--install-completion, --show-completion) costs no start-up time:
# the same modules load with it (typer imports its completion code either way) and
# building the command line takes as long (benchmarks/startup.py; a plain
# `check FILE` does not load typer at all, see manifesto.plain_check).
app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    help="Refactor Dockerfiles to follow the Container Build Manifesto, safely.",
    rich_markup_mode=None,
)

PathsArg = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer reads the annotation at runtime
    typer.Argument(help="Files or directories ('-' for stdin). Default: the current directory."),
]
SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select", help="Rule codes or prefixes to enable (comma-separated or repeated)."
    ),
]
IgnoreOpt = Annotated[
    list[str] | None, typer.Option("--ignore", help="Rule codes or prefixes to disable.")
]
ExtendOpt = Annotated[
    list[str] | None,
    typer.Option("--extend-select", help="Rules to enable on top of the selection."),
]
UnsafeOpt = Annotated[
    bool | None,
    typer.Option(
        "--unsafe-fixes/--no-unsafe-fixes", help="Also apply fixes that can change behaviour."
    ),
]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="The stage built with `docker build --target`: it and the stages it is "
        "built FROM ship; the others do not.",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--output-format", help="full, concise, json, json-lines, sarif, rdjson, github, gitlab."
    ),
]
OutFileOpt = Annotated[
    Path | None, typer.Option("--output-file", "-o", help="Write the report to this file.")
]
StatsOpt = Annotated[
    bool, typer.Option("--statistics", help="Show counts per rule instead of each finding.")
]
ExitZeroOpt = Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings remain.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Use this configuration file.")]  # noqa: UP045
StdinNameOpt = Annotated[
    str | None, typer.Option("--stdin-filename", help="The name of the file read from stdin.")
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", help="Files processed in parallel (default: all cores for large runs)."
    ),
]
NoGitignoreOpt = Annotated[
    bool,
    typer.Option("--no-respect-gitignore", help="Also process files that .gitignore excludes."),
]
ForceExcludeOpt = Annotated[
    bool, typer.Option("--force-exclude", help="Apply exclusions to paths given explicitly too.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the report and errors.")]
ExtendExcludeOpt = Annotated[
    list[str] | None, typer.Option("--extend-exclude", help="More paths to exclude (globs).")
]
FollowSymlinksOpt = Annotated[
    bool,
    typer.Option(
        "--follow-symlinks",
        help="Also read and write files whose links resolve outside the paths given.",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Paths to exclude (globs), replacing the defaults."),
]
ResolveOpt = Annotated[
    bool | None,
    typer.Option(
        "--resolve/--no-resolve",
        help="Ask image registries for the tags and digests manifesto.lock lacks (network).",
    ),
]
DigestOpt = Annotated[
    bool | None,
    typer.Option("--digest/--no-digest", help="Pin images as name:tag@sha256:<index digest>."),
]
ShowFixesOpt = Annotated[
    bool, typer.Option("--show-fixes", help="List the fixes applied, file by file.")
]
ColorOpt = Annotated[
    str | None,
    typer.Option(
        "--color",
        help="auto (default: a terminal; NO_COLOR and FORCE_COLOR are honoured), always, never.",
    ),
]
RefreshOpt = Annotated[
    bool,
    typer.Option(
        "--refresh", help="Replace image digests whose tag has moved (with --resolve: ask again)."
    ),
]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            sys.stdout.write(f"manifesto {version('manifesto')}\n")
        except PackageNotFoundError:  # run from a source tree that is not installed
            sys.stdout.write("manifesto (not installed)\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Refactor Dockerfiles to follow the Container Build Manifesto, safely."""


@app.command()
def check(
    paths: PathsArg = None,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    extend_select: ExtendOpt = None,
    unsafe_fixes: UnsafeOpt = None,
    target: TargetOpt = None,
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
    follow_symlinks: FollowSymlinksOpt = False,
    resolve: ResolveOpt = None,
    digest: DigestOpt = None,
    refresh: RefreshOpt = False,
    quiet: QuietOpt = False,
    color: ColorOpt = None,
    show_fixes: ShowFixesOpt = False,
    apply_fixes: Annotated[
        bool, typer.Option("--fix", help="Apply the fixes: the same as `manifesto fix`.")
    ] = False,
) -> None:
    """Report findings; change nothing (with --fix: apply the fixes)."""
    options = _options(locals())
    _run(Mode.FIX if apply_fixes else Mode.CHECK, paths, options)


@app.command()
def fix(
    paths: PathsArg = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Write nothing; print a unified diff of the fixes.")
    ] = False,
    check_only: Annotated[
        bool, typer.Option("--check", help="Write nothing; list the files that would change.")
    ] = False,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    extend_select: ExtendOpt = None,
    unsafe_fixes: UnsafeOpt = None,
    target: TargetOpt = None,
    output_format: FormatOpt = None,
    output_file: OutFileOpt = None,
    statistics: StatsOpt = False,
    exit_zero: ExitZeroOpt = False,
    exit_non_zero_on_fix: Annotated[
        bool, typer.Option("--exit-non-zero-on-fix", help="Exit 1 when any fix was applied.")
    ] = False,
    config: ConfigOpt = None,
    stdin_filename: StdinNameOpt = None,
    jobs: JobsOpt = None,
    no_respect_gitignore: NoGitignoreOpt = False,
    force_exclude: ForceExcludeOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    follow_symlinks: FollowSymlinksOpt = False,
    resolve: ResolveOpt = None,
    digest: DigestOpt = None,
    refresh: RefreshOpt = False,
    quiet: QuietOpt = False,
    color: ColorOpt = None,
    show_fixes: ShowFixesOpt = False,
) -> None:
    """Apply safe fixes in place (unsafe ones too with --unsafe-fixes)."""
    options = _options(locals())
    if diff and check_only:
        sys.stderr.write("manifesto: --diff and --check cannot be combined; choose one\n")
        raise typer.Exit(2)
    mode = Mode.DIFF if diff else Mode.FIX_CHECK if check_only else Mode.FIX
    _run(mode, paths, options)


def _options(values: dict[str, object]) -> RunOptions:
    """The command's parameters that are run options (both commands share them)."""
    names = {f.name for f in dataclasses.fields(RunOptions)}
    return RunOptions(**{k: v for k, v in values.items() if k in names})  # type: ignore[arg-type]


def _run(mode: Mode, paths: list[str] | None, options: RunOptions) -> None:
    from manifesto.session import EXIT_ERROR, UsageError, _eprint, run_session

    try:
        code = run_session(mode, paths, options)
    except UsageError as exc:
        _eprint(str(exc))  # a path in it may hold control characters
        raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(code)


@app.command()
def pin(
    paths: PathsArg = None,
    update: Annotated[
        bool,
        typer.Option("--update", help="Ask the registries and write manifesto.lock (network)."),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="With --update: ask again about pinned images too.")
    ] = False,
    config: ConfigOpt = None,
    no_respect_gitignore: NoGitignoreOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
) -> None:
    """List the images of the Dockerfiles and their pins; --update writes manifesto.lock."""
    from manifesto.pinning import PinningError, update_lock
    from manifesto.session import EXIT_ERROR, UsageError, _eprint, _jobs, _settings

    paths = list(paths or ["."])
    options = _options(locals())
    try:
        settings = _settings(options, paths)
        jobs, errors = _jobs(paths, Mode.CHECK, settings, None)
        for message in errors:
            _eprint(message)
        code = update_lock(settings, jobs, write=update, refresh=refresh)
    except (UsageError, PinningError) as exc:
        _eprint(
            f"manifesto: cannot pin images: {exc}" if isinstance(exc, PinningError) else str(exc)
        )
        raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(EXIT_ERROR if errors else code)


@app.command()
def measure(
    paths: PathsArg = None,
    builder: Annotated[
        str | None,
        typer.Option("--builder", help="docker, podman or buildah (default: the first found)."),
    ] = None,
    context: Annotated[
        Path | None,
        typer.Option("--context", help="Build context (default: each Dockerfile's directory)."),
    ] = None,
    compare_files: Annotated[
        bool,
        typer.Option(
            "--compare-files", help="Compare both images' files; list the paths that differ."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed for one build.")
    ] = 1800.0,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline",
            help="With --compare-files: build the original twice; paths that differ "
            "between those builds are noise, not the fix's.",
        ),
    ] = False,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
    extend_select: ExtendOpt = None,
    unsafe_fixes: UnsafeOpt = None,
    target: TargetOpt = None,
    output_format: Annotated[str, typer.Option("--output-format", help="text or json.")] = "text",
    output_file: OutFileOpt = None,
    config: ConfigOpt = None,
    no_respect_gitignore: NoGitignoreOpt = False,
    exclude: ExcludeOpt = None,
    extend_exclude: ExtendExcludeOpt = None,
    follow_symlinks: FollowSymlinksOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Build each Dockerfile as written and as fixed; compare sizes, layers and files."""
    from manifesto.measure import MeasureRequest, run_measure

    request = MeasureRequest(
        builder, context, compare_files, timeout, output_format, output_file, baseline
    )
    options = _options({k: v for k, v in locals().items() if k != "output_format"})
    raise typer.Exit(run_measure(list(paths or ["."]), options, request))


@app.command("rules")
def list_rules(
    output_format: Annotated[
        str, typer.Option("--output-format", help="text, json or markdown")
    ] = "text",
) -> None:
    """List the rules."""
    import json

    from manifesto.registry import rules

    if output_format not in ("text", "json", "markdown"):
        sys.stderr.write(
            f"manifesto: unknown output format {output_format!r}; expected text, json or markdown\n"
        )
        raise typer.Exit(2)
    infos = rules()
    if output_format == "markdown":
        from manifesto.docs import rules_markdown

        sys.stdout.write(rules_markdown(infos))
        return
    if output_format == "json":
        from manifesto.docs import rule_url

        payload = [
            {
                "code": r.code,
                "name": r.name,
                "title": r.title,
                "fix": r.applicability.value if r.applicability else None,
                "related": list(r.related),
                "url": rule_url(r),
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
    from manifesto.registry import documented, rule

    found = rule(code)
    if found is None:
        sys.stderr.write(f"manifesto: unknown rule {code!r}; see 'manifesto rules'\n")
        raise typer.Exit(2)
    info = documented(found)
    from manifesto.docs import rule_page, rule_url

    url = rule_url(info)
    text = rule_page(info) + (f"\nOnline: {url}\n" if url else "")
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
        return
    sys.stdout.write(text)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("manifesto: interrupted\n")
        raise SystemExit(130) from None


def mark_command_error(error: Exception) -> None:
    """Make ``error`` end the run as one raised in a command of :data:`app` does: typer's
    hook prints it (as ``app()`` arranges). For :mod:`manifesto.plain_check`, which runs
    ``check`` without typer and must fail the same way."""
    import typer.main
    from typer.models import DeveloperExceptionConfig

    if sys.excepthook != typer.main.except_hook:
        sys.excepthook = typer.main.except_hook
    config = DeveloperExceptionConfig(
        pretty_exceptions_enable=app.pretty_exceptions_enable,
        pretty_exceptions_show_locals=app.pretty_exceptions_show_locals,
        pretty_exceptions_short=app.pretty_exceptions_short,
    )
    setattr(error, typer.main._typer_developer_exception_attr_name, config)
