"""Why findings stay without a fix: slugs, reports, statistics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from manifesto.cst import ParseError, parse
from manifesto.diagnostics import Diagnostic, FixReport, Location, RuleInfo
from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, collect
from manifesto.reasons import (
    UNSAFE_FIX,
    UNSPECIFIED,
    catalogued,
    left_unfixed,
    no_fix,
    summary,
    unfixed_slugs,
)
from manifesto.registry import CHECKS, FIXERS
from manifesto.report import render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("installs as another user, whose cache an appended command would miss", "other-user"),
        ("apt runs as another user", "other-user"),
        ("line 12 reads the lists without apt-get update", "lists-read-later"),
        ("line 3 reads the lists without apt-get update", "lists-read-later"),
        ("COPY comes before the install", "no-install-after-update"),
        ("--download-only keeps the packages in the cache on purpose", "download-only"),
        ("--downloadonly keeps the packages in the cache on purpose", "download-only"),
        ("hidden options", "hidden-options"),
    ],
)
def test_the_same_cause_gets_the_same_slug(text: str, slug: str) -> None:
    reason = no_fix(text)
    assert reason.slug == slug
    assert reason.text == text
    assert catalogued(text)
    assert summary(slug)


def test_an_unknown_text_keeps_a_slug_of_its_own() -> None:
    reason = no_fix("The Moon is in the way, again today")
    assert reason.slug == "the-moon-is-in-the"
    assert not catalogued(reason.text)
    assert summary(reason.slug) is None
    assert no_fix("") == UNSPECIFIED


def diagnostic(fix: Applicability | None, reason: str | None = None) -> Diagnostic:
    return Diagnostic(
        code="MF999",
        name="x",
        message="m",
        filename="Dockerfile",
        location=Location(1, 1),
        end_location=Location(1, 2),
        fix=None if fix is None else FixReport(fix, "f", ()),
        reason=None if reason is None else no_fix(reason),
    )


def test_what_fix_leaves_and_why() -> None:
    assert left_unfixed(diagnostic(Applicability.SAFE), unsafe_fixes=False) is None
    assert left_unfixed(diagnostic(Applicability.UNSAFE), unsafe_fixes=False) == UNSAFE_FIX
    assert left_unfixed(diagnostic(Applicability.UNSAFE), unsafe_fixes=True) is None
    display = left_unfixed(diagnostic(Applicability.DISPLAY_ONLY), unsafe_fixes=True)
    assert display is not None and display.slug == "display-only"
    assert left_unfixed(diagnostic(None), unsafe_fixes=False) == UNSPECIFIED
    reported = left_unfixed(diagnostic(None, "hidden options"), unsafe_fixes=True)
    assert reported is not None and reported.slug == "hidden-options"
    both = [diagnostic(None, "apt runs as another user"), diagnostic(Applicability.SAFE)]
    assert list(unfixed_slugs(both, unsafe_fixes=False)) == ["other-user"]


def test_every_reason_the_rules_give_on_the_fixtures_is_catalogued() -> None:
    """A new "no fix" reason needs a stable slug here before it ships."""
    given: dict[str, str] = {}
    for path in sorted((ROOT / "fixtures").rglob("*.Dockerfile")):
        text = path.read_bytes().decode("utf-8", "replace")
        try:
            tree = parse(text)
        except ParseError:
            continue
        for finding in collect(text, tree, (*CHECKS, *FIXERS), EngineSettings()):
            violation = finding.violation
            if violation.fix is not None:
                continue
            # the package-cache rules and MF001 say why; newer rules are on their way
            if finding.rule.code.startswith(("MF0", "MF1")):
                assert violation.reason is not None, (path.name, finding.rule.code)
            if violation.reason is not None:
                given[violation.reason.text] = path.name
    assert given, "the fixtures give no reason at all: this test reads nothing"
    missing = {text: name for text, name in given.items() if not catalogued(text)}
    assert not missing


def test_json_and_sarif_carry_the_reason() -> None:
    with_reason = diagnostic(None, "apt runs as another user")
    without = diagnostic(Applicability.SAFE)
    data = json.loads(render("json", [with_reason, without], rules=(), sources={}))
    assert data[0]["reason"] == {"slug": "other-user", "text": "apt runs as another user"}
    assert data[1]["reason"] is None
    info = RuleInfo("MF999", "x", "t", None)
    log = json.loads(render("sarif", [with_reason, without], rules=(info,), sources={}))
    results = log["runs"][0]["results"]
    assert results[0]["properties"]["reason"]["slug"] == "other-user"
    assert "properties" not in results[1]
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)


CUT_RUN = (
    "FROM fedora:39\nRUN dnf install -y \\\n    ghc-aeson-devel\n"
    "    ghc-unordered-containers-devel \\\n    ghc-vector-devel\n"
)
FILES = {
    # MF001 and MF107, whose fix `fix` would not apply to a file that cannot build
    "cut/Dockerfile": CUT_RUN,
    # MF104: an unsafe fix only
    "apt/Dockerfile": (
        "FROM debian:12\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    ),
    # MF111: pip's cache moved by an option, reported without a fix
    "pip/Dockerfile": "FROM python:3.12\nRUN pip install --cache-dir /tmp/c flask\n",
    # MF111 fixed: not counted
    "fixable/Dockerfile": "FROM python:3.12\nRUN pip install flask\n",
}


def run_manifesto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def write_files(root: Path) -> None:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_statistics_count_what_is_left_by_reason(tmp_path: Path) -> None:
    write_files(tmp_path)
    result = run_manifesto("check", "--statistics", "--select", "MF0,MF1", ".", cwd=tmp_path)
    assert result.returncode == 1
    table = result.stdout.split("Left without a fix, by reason:\n", 1)[1].splitlines()
    assert [line.split()[:2] for line in table] == [
        ["2", "file-cannot-build"],
        ["1", "unsafe-fix"],
        ["1", "cache-option"],
    ]
    assert "an option or the configuration chooses where the cache is" in table[2]
    assert result.stderr.strip().endswith(
        "5 findings remaining, 4 without a fix (file-cannot-build x2, unsafe-fix x1, "
        "cache-option x1); 1 hidden fix can be enabled with --unsafe-fixes."
    )


def test_the_summary_after_fix_counts_what_is_left(tmp_path: Path) -> None:
    write_files(tmp_path)
    result = run_manifesto("fix", "--unsafe-fixes", "--select", "MF0,MF1", ".", cwd=tmp_path)
    assert result.returncode == 2  # the cut RUN
    assert result.stderr.strip().endswith(
        "1 finding remaining, 1 without a fix (cache-option x1); 1 error."
    )
