"""Every fixer over every corpus file: no crash, output BuildKit accepts, stable."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import CORPUS
from manifesto.cst import ParseError, parse
from manifesto.engine import EngineSettings, fix_text
from manifesto.registry import FIXERS

dockerfile = pytest.importorskip("dockerfile")

UNSAFE = EngineSettings(unsafe_fixes=True)


@pytest.mark.corpus
@pytest.mark.slow
def test_fixing_the_corpus_is_safe_and_stable(corpus: list[Path]) -> None:
    changed = 0
    applied: Counter[str] = Counter()
    problems: list[str] = []
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
            parse(text)
        except (UnicodeDecodeError, ParseError):
            continue
        result = fix_text(text, FIXERS, UNSAFE)
        if result.errors:
            problems.append(f"{path}: {result.errors}")
            continue
        if not result.changed:
            continue
        changed += 1
        applied.update(a.rule.code for a in result.applied)
        try:
            dockerfile.parse_string(result.output)
        except dockerfile.GoParseError as exc:
            problems.append(f"{path}: BuildKit rejects the fixed file: {exc}")
        again = fix_text(result.output, FIXERS, UNSAFE)
        if again.output != result.output or again.errors:
            problems.append(f"{path}: fixing twice changes it again {again.errors}")
        if result.output.endswith("\n") != text.endswith("\n"):
            problems.append(f"{path}: final newline changed")
    assert not problems, "\n".join(problems[:10])
    assert changed > 300, applied


@pytest.mark.corpus
@pytest.mark.slow
def test_cli_diff_over_the_corpus_never_crashes(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("corpus not found")
    result = subprocess.run(
        [sys.executable, "-m", "manifesto", "fix", "--diff", "-q", "-j", "2", str(CORPUS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode in (1, 2)
    assert result.stdout.count("\n--- a/") + result.stdout.startswith("--- a/") > 300
    for line in result.stderr.splitlines():
        assert re.match(r"^\S.*:\d+:\d+: ", line), line
