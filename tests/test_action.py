"""The GitHub Action (action.yml): every input is used, and its run step, run here
with the inputs as the runner passes them, checks, fixes and writes SARIF."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import write

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
RUN_SH = ROOT / "action" / "run.sh"
DIRTY = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "USER nobody\n"
)


def test_metadata_is_a_composite_action_using_every_input() -> None:
    assert {"name", "description", "inputs", "runs"} <= set(ACTION)
    assert ACTION["runs"]["using"] == "composite"
    steps = ACTION["runs"]["steps"]
    assert all("shell" in step and "run" in step for step in steps)
    used = set()
    for step in steps:
        for value in step.get("env", {}).values():
            used.update(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(value)))
        # inputs reach scripts through env only: never spliced into a script's text
        assert "inputs." not in step["run"]
    assert used == set(ACTION["inputs"])
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
    script = RUN_SH.read_text()
    run_env = {k for step in steps for k in step.get("env", {}) if k.startswith("INPUT_")}
    assert run_env == set(re.findall(r"\$\{?(INPUT_\w+)", script))


def run_step(cwd: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INPUT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return subprocess.run(
        ["bash", str(RUN_SH)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_mode_annotates(tmp_path: Path) -> None:
    write(tmp_path / "svc" / "Dockerfile", DIRTY)
    result = run_step(tmp_path, paths="svc", mode="check", output_format="github")
    assert result.returncode == 1
    assert result.stdout.startswith("::warning file=svc/Dockerfile,line=2,")
    assert "MF101" in result.stdout


def test_fix_mode_rewrites_and_sarif_goes_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    result = run_step(
        tmp_path, paths=".", mode="fix", output_format="sarif", output_file="out.sarif"
    )
    assert result.returncode == 0, result.stderr
    assert "rm -rf /var/lib/apt/lists/*" in path.read_text()
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["version"] == "2.1.0"


def test_diff_mode_and_extra_arguments(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    result = run_step(tmp_path, mode="diff", args="--select MF101", unsafe_fixes="true")
    assert result.returncode == 1
    assert result.stdout.startswith("--- a/Dockerfile\n")
    assert path.read_text() == DIRTY


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"mode": "lint"}, "mode must be check, fix or diff, got 'lint'"),
        ({"unsafe_fixes": "yes"}, "unsafe-fixes must be true or false, got 'yes'"),
    ],
)
def test_bad_inputs_fail_with_an_annotation(
    tmp_path: Path, inputs: dict[str, str], message: str
) -> None:
    result = run_step(tmp_path, **inputs)
    assert result.returncode == 2
    assert f"::error title=manifesto::{message}" in result.stdout


def test_inputs_cannot_inject_shell(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    result = run_step(tmp_path, paths="$(touch pwned) `touch pwned2`", args="; touch pwned3")
    assert result.returncode == 2  # the "paths" do not exist; nothing ran
    assert not any((tmp_path / n).exists() for n in ("pwned", "pwned2", "pwned3"))
