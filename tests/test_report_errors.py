"""A file the run cannot check is in every machine format, not only on stderr: a
review bot that reads the report must not post "all clear" for a run that exited 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import write

DATA = Path(__file__).parent / "data"
CLEAN = "FROM debian:12\nRUN echo hello\nUSER nobody\n"


def run(fmt: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "manifesto",
            "check",
            "-q",
            "--output-format",
            fmt,
            "ok.Dockerfile",
            "latin1.Dockerfile",
            "missing.Dockerfile",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path / "ok.Dockerfile", CLEAN)
    write(tmp_path / "latin1.Dockerfile", b"FROM debian:12\nLABEL author=\xe9\n")
    return tmp_path


def errors_of(fmt: str, out: str) -> list[tuple[str, int, str]]:
    """(path, line, message) of each file error the report carries, read as its
    consumer reads it."""
    if fmt in ("json", "json-lines"):
        objects: list[dict[str, Any]] = (
            json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
        )
        return [
            (o["filename"], o["location"]["row"], o["message"])
            for o in objects
            if o["code"] is None and o["name"] == "error"
        ]
    if fmt == "sarif":
        (the_run,) = json.loads(out)["runs"]
        (invocation,) = the_run["invocations"]
        assert invocation["executionSuccessful"] is False
        return [
            (
                n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                n["locations"][0]["physicalLocation"]["region"]["startLine"],
                n["message"]["text"],
            )
            for n in invocation["toolExecutionNotifications"]
            if n["level"] == "error"
        ]
    if fmt == "rdjson":
        return [
            (d["location"]["path"], d["location"]["range"]["start"]["line"], d["message"])
            for d in json.loads(out)["diagnostics"]
            if d["severity"] == "ERROR"
        ]
    if fmt == "gitlab":
        return [
            (i["location"]["path"], i["location"]["lines"]["begin"], i["description"])
            for i in json.loads(out)
            if i["severity"] == "blocker" and i["check_name"] == "manifesto-error"
        ]
    assert fmt == "github"
    found = []
    for line in out.splitlines():
        if line.startswith("::error "):
            props, message = line[len("::error ") :].split("::", 1)
            fields = dict(p.split("=", 1) for p in props.split(","))
            found.append((fields["file"], int(fields["line"]), message))
    return found


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "rdjson", "gitlab", "github"])
def test_file_errors_are_in_the_report(tree: Path, fmt: str) -> None:
    result = run(fmt, tree)
    assert result.returncode == 2
    errors = sorted(errors_of(fmt, result.stdout))
    assert [(path, line) for path, line, _ in errors] == [
        ("latin1.Dockerfile", 2),
        ("missing.Dockerfile", 1),
    ]
    assert "invalid UTF-8" in errors[0][2]
    assert "no such file or directory" in errors[1][2]
    # the file that could be checked is still reported as clean: no other error
    assert "ok.Dockerfile" not in {path for path, _, _ in errors}


def test_sarif_with_errors_is_valid_sarif(tree: Path) -> None:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    doc = json.loads(run("sarif", tree).stdout)
    validator.validate(doc)
    broken = json.loads(run("sarif", tree).stdout)
    broken["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"] = "fatal"
    assert not validator.is_valid(broken)


def test_a_clean_run_says_it_succeeded(tmp_path: Path) -> None:
    write(tmp_path / "ok.Dockerfile", CLEAN)
    result = subprocess.run(
        [sys.executable, "-m", "manifesto", "check", "--output-format", "sarif", "ok.Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (invocation,) = json.loads(result.stdout)["runs"][0]["invocations"]
    assert invocation == {"executionSuccessful": True, "toolExecutionNotifications": []}
