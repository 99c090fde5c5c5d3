"""The command line, through a real subprocess and through typer's runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from manifesto.cli import app

# Each sample ends with a USER: an image that runs as root is a finding of its own (MF401).
DIRTY = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "USER nobody\n"
)
FIXED = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl"
    " && rm -rf /var/lib/apt/lists/*\nUSER nobody\n"
)
CLEAN = "FROM debian:12\nRUN echo hello\nUSER nobody\n"


def manifesto(
    *args: str, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_fix_rewrites_in_place_and_exits_zero(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto("fix", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_text() == FIXED
    again = manifesto("fix", "Dockerfile", cwd=tmp_path)
    assert again.returncode == 0
    assert path.read_text() == FIXED


def test_check_exit_codes(tmp_path: Path) -> None:
    write(tmp_path / "dirty" / "Dockerfile", DIRTY)
    write(tmp_path / "clean" / "Dockerfile", CLEAN)
    assert manifesto("check", "clean", cwd=tmp_path).returncode == 0
    dirty = manifesto("check", "dirty", cwd=tmp_path)
    assert dirty.returncode == 1
    assert b"dirty/Dockerfile:2:" in dirty.stdout
    assert b"MF101" in dirty.stdout
    assert manifesto("check", "--exit-zero", "dirty", cwd=tmp_path).returncode == 0
    assert (tmp_path / "dirty" / "Dockerfile").read_text() == DIRTY


def test_fix_check_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto("fix", "--check", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert b"Dockerfile" in result.stdout
    assert (tmp_path / "Dockerfile").read_text() == DIRTY


def test_exit_non_zero_on_fix(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    assert manifesto("fix", "--exit-non-zero-on-fix", ".", cwd=tmp_path).returncode == 1


def test_unsafe_fix_needs_the_flag(tmp_path: Path) -> None:
    text = (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        # a command of its own: an application image, which MF401 switches to a user
        'CMD ["curl", "--version"]\n'
    )
    path = write(tmp_path / "Dockerfile", text)
    plain = manifesto("fix", "Dockerfile", cwd=tmp_path)
    assert plain.returncode == 1, "the unsafe finding remains"
    assert path.read_text() == text
    unsafe = manifesto("fix", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert unsafe.returncode == 0, unsafe.stderr
    assert "--no-install-recommends" in path.read_text()


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t, id="lf"),
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: t.rstrip("\n"), id="no-final-newline"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
    ],
)
def test_diff_applies_with_git_and_matches_fix(tmp_path: Path, variant: object) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    text = variant(DIRTY + "# trailing comment\n")  # type: ignore[operator]
    repo = tmp_path / "repo"
    write(repo / "docker" / "Dockerfile", text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    diff = manifesto("fix", "--diff", "docker/Dockerfile", cwd=repo)
    assert diff.returncode == 1
    assert diff.stdout.startswith(b"--- a/docker/Dockerfile\n+++ b/docker/Dockerfile\n")
    patch = tmp_path / "fix.patch"
    patch.write_bytes(diff.stdout)
    subprocess.run(["git", "apply", "-p1", str(patch)], cwd=repo, check=True)
    applied = (repo / "docker" / "Dockerfile").read_bytes()
    other = tmp_path / "other"
    write(other / "docker" / "Dockerfile", text)
    assert manifesto("fix", "docker/Dockerfile", cwd=other).returncode == 0
    assert applied == (other / "docker" / "Dockerfile").read_bytes()
    assert applied != text.encode()


def test_no_newline_marker(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY.rstrip("\n"))
    out = manifesto("fix", "--diff", "Dockerfile", cwd=tmp_path).stdout.decode()
    assert "\\ No newline at end of file\n" in out


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param(b"FROM a\nRUN \xff\n", ":2:5: invalid UTF-8", id="invalid-utf8"),
        pytest.param(b"FROM a\x00\n", ":1:7: binary", id="binary"),
        pytest.param(
            b"FROM a\n<<<<<<< HEAD\nRUN x\n=======\n>>>>>>> b\n", ":2:1: merge", id="conflict"
        ),
        pytest.param(b"FROM {{ base }}\n", ":1:6: template", id="template"),
        pytest.param(
            b"FROM a\nENV ONLYKEY\n", ":2:1: ENV must have two arguments", id="unparseable"
        ),
    ],
)
def test_bad_input_is_reported_and_others_still_fixed(
    tmp_path: Path, data: bytes, where: str
) -> None:
    bad = write(tmp_path / "bad" / "Dockerfile", data)
    good = write(tmp_path / "good" / "Dockerfile", DIRTY)
    result = manifesto("fix", "bad/Dockerfile", "good/Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert f"bad/Dockerfile{where}" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert bad.read_bytes() == data
    assert good.read_text() == FIXED


def test_missing_file(tmp_path: Path) -> None:
    result = manifesto("check", "nope/Dockerfile", cwd=tmp_path)
    assert result.returncode == 2
    assert b"nope/Dockerfile:1:1:" in result.stderr


def test_stdin(tmp_path: Path) -> None:
    fixed = manifesto("fix", "-", cwd=tmp_path, stdin=DIRTY.encode())
    assert fixed.returncode == 0
    assert fixed.stdout.decode() == FIXED
    checked = manifesto(
        "check",
        "-",
        "--stdin-filename",
        "svc/Dockerfile",
        "--output-format",
        "concise",
        cwd=tmp_path,
        stdin=DIRTY.encode(),
    )
    assert checked.returncode == 1
    assert checked.stdout.decode().startswith("svc/Dockerfile:2:")


def test_json_report(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto("check", "--output-format", "json", "Dockerfile", cwd=tmp_path)
    payload = json.loads(result.stdout)
    assert [d["code"] for d in payload] == ["MF101"]
    assert payload[0]["location"]["row"] == 2
    assert payload[0]["fix"]["applicability"] == "safe"
    assert payload[0]["fix"]["edits"][0]["content"] == " && rm -rf /var/lib/apt/lists/*"


def test_select_and_ignore(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    assert manifesto("check", "--ignore", "MF101", "Dockerfile", cwd=tmp_path).returncode == 0
    assert manifesto("check", "--select", "MF104", "Dockerfile", cwd=tmp_path).returncode == 0
    assert manifesto("check", "--select", "MF1", "Dockerfile", cwd=tmp_path).returncode == 1


def test_config_file_and_its_errors(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    write(tmp_path / "manifesto.toml", 'ignore = ["MF101"]\n')
    assert manifesto("check", "Dockerfile", cwd=tmp_path).returncode == 0
    write(tmp_path / "manifesto.toml", 'ignore = ["MF101"\n')
    broken = manifesto("check", "Dockerfile", cwd=tmp_path)
    assert broken.returncode == 2
    assert b"manifesto.toml:" in broken.stderr


def test_parallel_jobs_match_serial(tmp_path: Path) -> None:
    for i in range(6):
        write(tmp_path / f"s{i}" / "Dockerfile", DIRTY)
    serial = manifesto("check", "-j", "1", "--output-format", "json", ".", cwd=tmp_path)
    parallel = manifesto("check", "-j", "2", "--output-format", "json", ".", cwd=tmp_path)
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert len(json.loads(serial.stdout)) == 6


def test_gitignored_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "ignored" / "Dockerfile", DIRTY)
    write(tmp_path / ".gitignore", "ignored/\n")
    assert manifesto("check", ".", cwd=tmp_path).returncode == 0
    assert manifesto("check", "--no-respect-gitignore", ".", cwd=tmp_path).returncode == 1


runner = CliRunner()


def test_rules_and_explain() -> None:
    listed = runner.invoke(app, ["rules"])
    assert listed.exit_code == 0
    assert "MF101" in listed.output
    explained = runner.invoke(app, ["explain", "MF101"])
    assert explained.exit_code == 0
    assert "Fix safety" in explained.output
    unknown = runner.invoke(app, ["explain", "MF999"])
    assert unknown.exit_code == 2


def test_runner_check_in_process(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    result = runner.invoke(app, ["check", "--output-format", "concise", str(path)])
    assert result.exit_code == 1
    assert "MF101" in result.output
