"""The README stays true: rule table in sync, Quick start as CI runs it."""

from __future__ import annotations

import re
from pathlib import Path

from manifesto.docs import with_rule_table
from manifesto.registry import FIXERS, rules

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def test_rule_table_is_in_sync() -> None:
    assert with_rule_table(README, rules()) == README, (
        "README rule table is stale: regenerate it with "
        "python -c 'import pathlib; from manifesto.docs import with_rule_table; "
        'from manifesto.registry import rules; p = pathlib.Path("README.md"); '
        "p.write_text(with_rule_table(p.read_text(), rules()))'"
    )


def test_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(commands) == 2
    assert "manifesto fix --diff examples/Dockerfile" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert commands[1].strip() in ci


def test_every_rule_is_documented() -> None:
    sections = ("What it does", "Why", "Example", "Fix safety")
    for fixer in FIXERS:
        doc = fixer.INFO.doc
        for heading in sections:
            assert heading in doc, f"{fixer.INFO.code}: no '{heading}' section"
        assert re.fullmatch(r"MF[1-6]\d\d", fixer.INFO.code)
        module = fixer.__name__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
        assert module == fixer.INFO.name


def test_codes_and_names_are_unique() -> None:
    codes = [r.code for r in rules()]
    names = [r.name for r in rules()]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
