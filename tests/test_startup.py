"""Start-up: a plain ``check`` of one file imports only what that file needs.

Not a timing (benchmarks/startup.py measures): what a run imports, read from
``sys.modules`` in a real run in a subprocess. The modules below were made to load
on first use; one imported again at start-up puts its cost back on every run.
And ``check FILE`` runs without typer (manifesto.plain_check): it must do what
the typer command does, to the byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from manifesto import cli
from manifesto.plain_check import plain_check_paths
from manifesto.runner import Mode
from manifesto.session import RunOptions

APT_FILE = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"

# Run the real entry point, then list what the process imported.
PROBE = """
import sys
sys.argv = ["manifesto", *sys.argv[2:]]
from manifesto._entry import main
code = 0
try:
    main()
except SystemExit as exit_:
    code = exit_.code
with open(OUT, "w") as out:
    out.write(f"{code}\\n" + "\\n".join(sorted(sys.modules)))
"""

PLAIN_ONLY = ("typer", "difflib", "json")
"""Not imported by a plain check (typer imports them, and the JSON report needs json)."""
LAZY = (
    *PLAIN_ONLY,
    # reports: other formats, colour, diffs
    "manifesto.diff",
    "rich.markup",
    "rich.console",
    "manifesto.report.sarif",
    "manifesto.report.rdjson",
    "manifesto.report.gitlab",
    "manifesto.report.github",
    "manifesto.report.json_array",
    "manifesto.report.json_lines",
    # plugins (none installed), configuration and lock files (none here), pinning
    "importlib.metadata",
    "tomllib",
    "concurrent.futures",
    "manifesto.oci",
    "manifesto.measure",
    "manifesto.builders",
    # writes
    "secrets",
    # rules that cannot find anything in an apt install without COPY, CMD, pipe...
    "manifesto.fixers._multistage",
    "manifesto.fixers.single_stage",
    "manifesto.fixers.cleanup_in_later_layer",
    "manifesto.fixers.context_copied_before_install",
    "manifesto.fixers.chained_run",
    "manifesto.fixers._units",
    "manifesto.fixers._rpm",
    "manifesto.fixers._working_dir",
    "manifesto.fixers.apk_cache_kept",
    "manifesto.fixers.yum_cache_kept",
    "manifesto.fixers.dnf_cache_kept",
    "manifesto.fixers.zypper_cache_kept",
    "manifesto.fixers.rpm_prompt_unanswered",
    "manifesto.fixers.pip_cache_kept",
    "manifesto.fixers.npm_cache_kept",
    "manifesto.fixers.yarn_cache_kept",
    "manifesto.fixers.wget_progress_shown",
    "manifesto.fixers.cd_in_run",
    "manifesto.fixers.pipe_fails_silently",
    "manifesto.fixers.shell_form_command",
    "manifesto.fixers.several_processes",
    "manifesto.fixers.secret_in_env",
    "manifesto.fixers.env_legacy_format",
    "manifesto.fixers.maintainer_deprecated",
    "manifesto.fixers.add_local_files",
    "manifesto.fixers.dockerignore_missing",
)
NEEDED = (
    "manifesto.fixers.instruction_invalid",
    "manifesto.fixers.apt_lists_kept",
    "manifesto.fixers.apt_recommends_installed",
    "manifesto.fixers.root_user",
    "manifesto.fixers.unpinned_image",
)


def _imports(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code and the modules of one run of ``manifesto ARGS`` in ``tmp_path``."""
    out = tmp_path / "modules.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFESTO")}
    env["HOME"] = str(tmp_path)  # nothing of the user's configuration
    code = PROBE.replace("OUT", repr(str(out)))
    subprocess.run(
        [sys.executable, "-c", code, "probe", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    status, *modules = out.read_text("utf-8").splitlines()
    return int(status), set(modules)


def _imported(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(f"{name}.") for m in modules)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("check", "Dockerfile"), id="plain"),
        pytest.param(("check", "--output-format", "json", "Dockerfile"), id="through-typer"),
    ],
)
def test_a_check_of_one_file_imports_no_lazy_module(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "Dockerfile").write_text(APT_FILE, "utf-8")
    status, modules = _imports(tmp_path, *args)
    assert status == 1  # findings: the run went to the end
    assert all(_imported(modules, name) for name in NEEDED)
    lazy = list(LAZY)
    if "--output-format" in args:
        lazy = [name for name in lazy if name not in (*PLAIN_ONLY, "manifesto.report.json_array")]
    assert [name for name in lazy if _imported(modules, name)] == []


def test_a_plugin_or_a_config_file_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(APT_FILE, "utf-8")
    (tmp_path / ".manifesto.toml").write_text('ignore = ["MF104"]\n', "utf-8")
    status, modules = _imports(tmp_path, "check", "Dockerfile")
    assert status == 1 and "tomllib" in modules


@pytest.mark.parametrize(
    ("args", "paths"),
    [
        (["check", "Dockerfile"], ["Dockerfile"]),
        (["check", "a/Dockerfile", "b"], ["a/Dockerfile", "b"]),
        (["check"], []),
        (["check", "-"], None),
        (["check", "-q", "Dockerfile"], None),
        (["check", "Dockerfile", "--select", "MF1"], None),
        (["check", "--", "Dockerfile"], None),
        (["check", ""], None),
        (["fix", "Dockerfile"], None),
        (["Dockerfile"], None),
        ([], None),
    ],
)
def test_only_a_plain_check_skips_typer(args: list[str], paths: list[str] | None) -> None:
    assert plain_check_paths(args, {}) == paths


def test_a_completion_request_goes_to_typer() -> None:
    assert plain_check_paths(["check", "x"], {"_MANIFESTO_COMPLETE": "bash_complete"}) is None


def test_the_plain_check_runs_what_typer_would(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[tuple[Mode, list[str] | None, RunOptions]] = []

    def record(mode: Mode, paths: list[str] | None, options: RunOptions) -> None:
        called.append((mode, paths, options))

    monkeypatch.setattr(cli, "_run", record)
    cli.app(["check", "a/Dockerfile", "b"], standalone_mode=False)
    cli.app(["check"], standalone_mode=False)
    # what manifesto.plain_check.run_plain_check passes to run_session
    assert called == [
        (Mode.CHECK, ["a/Dockerfile", "b"], RunOptions()),
        (Mode.CHECK, None, RunOptions()),
    ]


TYPER = (
    "import sys; sys.argv = ['manifesto', *sys.argv[1:]]; from manifesto.cli import main; main()"
)
PLAIN = (
    "import sys; sys.argv = ['manifesto', *sys.argv[1:]]; from manifesto._entry import main; main()"
)


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"Dockerfile": APT_FILE}, id="findings"),
        pytest.param({"Dockerfile": "FROM scratch\nUSER 1000\nCOPY x /x\n"}, id="clean"),
        pytest.param({"Dockerfile": "FROM debian\nRUN [\n"}, id="parse-error"),
        pytest.param({}, id="missing-file"),
        pytest.param(
            {"Dockerfile": APT_FILE, "pyproject.toml": "[tool.manifesto]\nselect = ['X1']\n"},
            id="bad-config",
        ),
    ],
)
def test_the_plain_check_says_what_the_typer_command_says(
    tmp_path: Path, files: dict[str, str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, "check", "Dockerfile"],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        )
        for code in (TYPER, PLAIN)
    ]
    typer_run, plain_run = runs
    assert (plain_run.returncode, plain_run.stdout, plain_run.stderr) == (
        typer_run.returncode,
        typer_run.stdout,
        typer_run.stderr,
    )
    assert typer_run.returncode in (0, 1, 2)


def test_a_crash_in_the_plain_check_is_shown_as_typer_shows_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(APT_FILE, "utf-8")
    crash = (
        "import manifesto.session as s\n"
        "def boom(*args, **kwargs):\n    raise RuntimeError('a bug in the session')\n"
        "s.run_session = boom\n"
    )
    env = {**os.environ, "TYPER_STANDARD_TRACEBACK": "", "_TYPER_STANDARD_TRACEBACK": ""}
    runs = [
        subprocess.run(
            [sys.executable, "-c", crash + code.replace("; ", "\n"), "check", "Dockerfile"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        for code in (TYPER, PLAIN)
    ]
    for run in runs:
        assert run.returncode == 1
        assert run.stderr.rstrip().endswith("RuntimeError: a bug in the session")
        # typer's hook: rich's boxed traceback, not Python's plain one
        assert "╭" in run.stderr and "\nTraceback (most recent call last)" not in run.stderr


@pytest.mark.parametrize(
    ("words", "wanted"),
    [("manifesto ch", "check"), ("manifesto check --sel", "--select")],
)
def test_shell_completion_answers(tmp_path: Path, words: str, wanted: str) -> None:
    # what the script of `manifesto --show-completion bash` asks on each <Tab>
    env = {
        **os.environ,
        "_MANIFESTO_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    script = Path(sys.executable).parent / "manifesto"
    if not script.exists():
        pytest.skip("the console script is not installed (pip install -e .)")
    done = subprocess.run(
        [str(script), *words.split()[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert wanted in done.stdout.split()


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_ctrl_c_during_a_plain_check_ends_with_130_and_one_line(tmp_path: Path) -> None:
    """Fixer modules are imported during the run now, not with the CLI: an interrupt
    then must still end the run cleanly (manifesto.lazy_fixers holds it meanwhile)."""
    from test_entry import INTERRUPTED, before_our_code, interrupt_after

    script = Path(sys.executable).parent / "manifesto"
    if not script.exists():
        pytest.skip("the console script is not installed (pip install -e .)")
    runs = "".join(f"RUN apk add pkg{i} && pip install m{i} | tee log\n" for i in range(2000))
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f'FROM python:3.12-alpine\n{runs}CMD ["app"]\n', "utf-8")
    outcomes = [interrupt_after([str(script), "check", str(dockerfile)], d) for d in DELAYS]
    for status, stderr in outcomes:
        assert (status, stderr) == (130, INTERRUPTED) or before_our_code(status, stderr), (
            status,
            stderr,
        )
    assert sum(status == 130 for status, _ in outcomes) >= len(DELAYS) // 2


DELAYS = [0.05 + i * 0.04 for i in range(10)]


@pytest.mark.parametrize(
    ("args", "rule_modules"),
    [
        (("rules",), []),
        (("rules", "--output-format", "json"), []),
        # the page is the module's docstring: that one rule is imported, no other
        (("explain", "MF101"), ["manifesto.fixers.apt_lists_kept"]),
    ],
)
def test_listing_or_explaining_rules_imports_no_other_fixer(
    tmp_path: Path, args: tuple[str, ...], rule_modules: list[str]
) -> None:
    status, modules = _imports(tmp_path, *args)
    assert status == 0
    assert "manifesto.rule_index" in modules
    fixers = sorted(m for m in modules if m.startswith("manifesto.fixers."))
    assert [m for m in fixers if not m.rsplit(".", 1)[-1].startswith("_")] == rule_modules
