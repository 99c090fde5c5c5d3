"""The public Python API: ``manifesto.fix_text``, ``check_text``, ``parse`` and the types."""

from __future__ import annotations

import pytest

import manifesto

DIRTY = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER nobody\n"


def test_fix_text_applies_safe_fixes_of_the_selection() -> None:
    result = manifesto.fix_text(DIRTY, select=["MF1"])
    assert result.output == (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl"
        " && rm -rf /var/lib/apt/lists/*\nUSER nobody\n"
    )
    assert [a.rule.code for a in result.applied] == ["MF101"]
    assert [f.rule.code for f in result.remaining] == ["MF104"]  # unsafe: left
    assert isinstance(result.applied[0].fix, manifesto.Fix)
    assert result.applied[0].fix.applicability is manifesto.Applicability.SAFE


def test_unsafe_fixes_and_ignore() -> None:
    result = manifesto.fix_text(DIRTY, select=["MF1"], ignore=["apt_lists_kept"], unsafe_fixes=True)
    assert "--no-install-recommends" in result.output
    assert "rm -rf" not in result.output


def test_check_text_reports_without_changing() -> None:
    findings = manifesto.check_text(DIRTY, select=["mf101", "MF104"])
    assert [(f.rule.code, f.rule.name) for f in findings] == [
        ("MF101", "apt_lists_kept"),
        ("MF104", "apt_recommends_installed"),
    ]
    assert all(isinstance(f.violation, manifesto.Violation) for f in findings)


def test_opt_in_rules_run_when_named() -> None:
    chained = "FROM debian:12\nRUN echo a > /a && echo b > /b\nUSER nobody\n"
    assert "MF203" not in {f.rule.code for f in manifesto.check_text(chained)}
    named = manifesto.check_text(chained, select=["MF203"])
    assert {f.rule.code for f in named} <= {"MF203"}


def test_errors_are_exceptions() -> None:
    with pytest.raises(ValueError, match="unknown rule code or name 'MF999'"):
        manifesto.fix_text(DIRTY, select=["MF999"])
    with pytest.raises(manifesto.ParseError):
        manifesto.fix_text("FROM debian:12\nRUN <<EOF\nunterminated\n")


def test_parse_round_trips() -> None:
    tree = manifesto.parse(DIRTY)
    assert isinstance(tree, manifesto.Dockerfile)
    assert [i.keyword for i in tree.instructions] == ["FROM", "RUN", "USER"]
    assert tree.render() == DIRTY


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError):
        _ = manifesto.no_such_name  # type: ignore[attr-defined]
