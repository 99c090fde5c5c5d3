"""MF203 over the real Dockerfiles of ``../shared/corpus``: every split is sound text.

Each changed file must still be accepted by BuildKit's parser, fixing it again must
change nothing, no RUN may gain a tree-sitter error, and every RUN script of the
output that is not in the input (the new RUNs) must pass ``dash -n`` and ``bash -n``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from manifesto.fixers import chained_run

from manifesto.context import FixContext
from manifesto.cst import ParseError, parse
from manifesto.engine import EngineSettings, fix_text

dockerfile = pytest.importorskip("dockerfile")

UNSAFE = EngineSettings(unsafe_fixes=True)


def _scripts(text: str) -> tuple[list[str], int]:
    """The logical scripts of the file's shell-form RUNs, and how many have errors."""
    tree = parse(text)
    ctx = FixContext(text, tree)
    scripts: list[str] = []
    broken = 0
    for ins in tree.instructions:
        script = ctx.shell(ins)
        if script is None:
            continue
        broken += script.has_errors
        scripts.append(ins.args_text)
    return scripts, broken


def _syntax_error(shell: str, script: str) -> str | None:
    done = subprocess.run(
        [shell, "-n", "-c", script], capture_output=True, text=True, timeout=20, check=False
    )
    return done.stderr.strip() or f"exit {done.returncode}" if done.returncode else None


@pytest.mark.corpus
@pytest.mark.slow
def test_splitting_the_corpus_is_sound(corpus: list[Path]) -> None:
    if shutil.which("dash") is None or shutil.which("bash") is None:
        pytest.skip("dash and bash are needed")
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
            parse(text)
        except (UnicodeDecodeError, ParseError):
            continue
        result = fix_text(text, [chained_run], UNSAFE)
        if result.errors:
            problems.append(f"{path}: {result.errors}")
            continue
        if not result.changed:
            continue
        counts["files"] += 1
        counts["runs split"] += len(result.applied)
        try:
            dockerfile.parse_string(result.output)
        except dockerfile.GoParseError as exc:
            problems.append(f"{path}: BuildKit rejects the fixed file: {exc}")
        again = fix_text(result.output, [chained_run], UNSAFE)
        if again.output != result.output or again.errors:
            problems.append(f"{path}: fixing twice changes it again")
        before, broken_before = _scripts(text)
        after, broken_after = _scripts(result.output)
        if broken_after > broken_before:
            problems.append(f"{path}: a RUN gained a tree-sitter error")
        new = [s for s in after if s not in before]
        counts["new runs"] += len(new)
        for script in new:
            for shell in ("dash", "bash"):
                error = _syntax_error(shell, script)
                if error is not None:
                    problems.append(f"{path}: {shell} -n: {error}: {script[:80]}")
    assert not problems, "\n".join(problems[:10])
    # The corpus has chains worth splitting (apk/apt installs followed by downloads).
    assert counts["runs split"] > 20, counts
    assert counts["new runs"] > counts["runs split"], counts
