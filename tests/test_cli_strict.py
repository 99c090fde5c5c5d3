"""A mistake by the user never passes CI silently: typos in rule codes, flags that
contradict each other, paths that hold nothing, files that must not be replaced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write

# Runs as root so the file is readable whatever its mode; MF101 fixes it.
DIRTY = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "USER nobody\n"
)
CLEAN = "FROM debian:12\nRUN echo hello\nUSER nobody\n"


def manifesto(
    *args: str, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--select", "MF999", "unknown rule code or name 'MF999'"),
        ("--ignore", "FOO", "unknown rule code or name 'FOO'"),
        ("--extend-select", "MF9", "unknown rule code or name 'MF9'"),
        ("--select", "apt_list_kept", "did you mean apt_lists_kept"),
        ("--select", "MF1O1", "did you mean MF101"),
    ],
)
def test_unknown_rule_codes_are_refused(
    tmp_path: Path, flag: str, value: str, message: str
) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto("check", flag, value, "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_unknown_code_in_the_configuration_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    config = write(tmp_path / "manifesto.toml", 'select = ["MF999"]\n')
    result = manifesto("check", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{config}:1:1: select: unknown rule code or name 'MF999'" in result.stderr


def test_codes_in_any_case_and_rule_names_select_the_same_rule(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    by_code = manifesto("check", "--select", "MF101", "Dockerfile", cwd=tmp_path)
    assert by_code.returncode == 1
    assert "MF101" in by_code.stdout
    for spelling in ("mf101", "apt_lists_kept", "APT_LISTS_KEPT"):
        other = manifesto("check", "--select", spelling, "Dockerfile", cwd=tmp_path)
        assert (other.returncode, other.stdout) == (1, by_code.stdout), spelling
    ignored = manifesto(
        "check", "--select", "MF1", "--ignore", "apt_lists_kept", "Dockerfile", cwd=tmp_path
    )
    assert "MF101" not in ignored.stdout


def test_unknown_code_in_a_pragma_is_a_warning_and_names_work(tmp_path: Path) -> None:
    write(
        tmp_path / "Dockerfile",
        "FROM debian:12\n# manifesto: ignore[MF999, apt_lists_kept]\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl\nUSER nobody\n",
    )
    result = manifesto("check", "Dockerfile", cwd=tmp_path)
    assert "Dockerfile:2:1: warning: unknown rule code MF999 in a manifesto pragma" in (
        result.stderr
    )
    assert "MF101" not in result.stdout  # the rule's name silenced it
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rules", "--output-format", "yaml"), "unknown output format 'yaml'"),
        (("check", "-j", "0", "."), "--jobs must be at least 1, got 0"),
        (("check", "-j", "-3", "."), "--jobs must be at least 1, got -3"),
        (("fix", "--diff", "--check", "."), "--diff and --check cannot be combined"),
    ],
)
def test_contradictory_or_impossible_options_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert path.read_text() == DIRTY


def test_statistics_survive_diff_on_stderr(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto("fix", "--diff", "--statistics", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "MF104" not in result.stdout
    # what the diff leaves: the unsafe MF104 (fixes hidden behind --unsafe-fixes)
    assert "apt_recommends_installed" not in result.stdout
    plain = manifesto("fix", "--diff", "Dockerfile", cwd=tmp_path)
    assert plain.stdout == result.stdout


def test_stdin_filename_alone_reads_stdin(tmp_path: Path) -> None:
    write(tmp_path / "x" / "Dockerfile", CLEAN)  # must not be the one checked
    result = manifesto(
        "check", "--stdin-filename", "x/Dockerfile", cwd=tmp_path, stdin=DIRTY.encode()
    )
    assert result.returncode == 1
    assert "x/Dockerfile:2:" in result.stdout
    assert "MF101" in result.stdout


def test_directory_without_dockerfiles_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "app" / "Dockerfile", CLEAN)
    result = manifesto("check", "empty", "app", cwd=tmp_path)
    assert "warning: no Dockerfiles found in empty" in result.stderr
    assert "found in app" not in result.stderr
    assert result.returncode == 0


def test_self_referencing_symlink_is_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to("Dockerfile")
    result = manifesto("check", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert "Dockerfile:1:1: symlink loop" in result.stderr


def test_read_only_file_is_not_replaced(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    other = write(tmp_path / "b" / "Dockerfile", DIRTY)
    path.chmod(0o444)
    result = manifesto("fix", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "Dockerfile:1:1: permission denied (read-only)" in result.stderr
    assert path.read_text() == DIRTY
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    assert other.read_text() != DIRTY  # the rest of the run goes on


def test_version(tmp_path: Path) -> None:
    for flag in ("--version", "-V"):
        result = manifesto(flag, cwd=tmp_path)
        assert result.returncode == 0
        assert result.stdout.startswith("manifesto ")
        assert result.stdout.split()[1][0].isdigit()


def test_explain_prints_the_title_once(tmp_path: Path) -> None:
    result = manifesto("explain", "apt_lists_kept", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("# MF101 apt_lists_kept\n\n")
    assert result.stdout.count("Delete the apt lists in the RUN that installs packages") == 1


def test_hidden_unsafe_fixes_are_counted(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY.replace(" --no-install-recommends", ""))
    result = manifesto("check", "Dockerfile", cwd=tmp_path)
    assert "1 hidden fix can be enabled with --unsafe-fixes" in result.stderr
    unsafe = manifesto("check", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert "hidden" not in unsafe.stderr


def test_check_fix_is_fix(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    twin = write(tmp_path / "twin" / "Dockerfile", DIRTY)
    assert manifesto("check", "--fix", "Dockerfile", cwd=tmp_path).returncode == 0
    assert manifesto("fix", "Dockerfile", cwd=tmp_path / "twin").returncode == 0
    assert path.read_text() == twin.read_text() != DIRTY


def test_color_choice(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    piped = manifesto("check", "Dockerfile", cwd=tmp_path)
    assert "\x1b[" not in piped.stdout  # not a terminal
    forced = manifesto("check", "--color", "always", "Dockerfile", cwd=tmp_path)
    assert "\x1b[" in forced.stdout
    env = {**os.environ, "FORCE_COLOR": "1"}
    env.pop("NO_COLOR", None)
    by_env = subprocess.run(
        [sys.executable, "-m", "manifesto", "check", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert "\x1b[" in by_env.stdout
    never = subprocess.run(
        [sys.executable, "-m", "manifesto", "check", "--color", "never", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert "\x1b[" not in never.stdout
    bad = manifesto("check", "--color", "sometimes", "Dockerfile", cwd=tmp_path)
    assert bad.returncode == 2
    assert "--color must be auto, always or never" in bad.stderr


def test_show_fixes_lists_them_file_by_file(tmp_path: Path) -> None:
    write(tmp_path / "a" / "Dockerfile", DIRTY)
    write(tmp_path / "b" / "Dockerfile", CLEAN)
    result = manifesto("fix", "--show-fixes", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Fixed 1 finding:\n- a/Dockerfile:\n    1 x MF101 (apt_lists_kept)\n" in result.stderr
    assert "b/Dockerfile" not in result.stderr
