"""Golden before/after pairs, written and read by a person.

``fixtures/fixers/<fixer>/<case>.in.Dockerfile`` is fixed by that fixer alone
(unsafe fixes included) and compared byte for byte with
``<case>.out.Dockerfile``; a case without ``.out`` must yield no fix at all.
Each case also checks that the expected output round-trips and that fixing it
again changes nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import pytest

from manifesto.cst import parse
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.fixer import Fixer
from manifesto.pins import LOCK_FILENAME, ImagePins, read_lock

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers"
SETTINGS = EngineSettings(unsafe_fixes=True)


def _settings(name: str) -> EngineSettings:
    """A folder's ``manifesto.lock`` is the pinning rules' source of truth (digests on)."""
    lock = FIXTURES / name / LOCK_FILENAME
    if not lock.exists():
        return SETTINGS
    return replace(SETTINGS, image_pins=ImagePins(read_lock(lock), write_digest=True))


def _cases() -> list[tuple[str, Path]]:
    if not FIXTURES.is_dir():
        return []
    return [
        (folder.name, case)
        for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir())
        for case in sorted(folder.glob("*.in.Dockerfile"))
    ]


def _fixer(name: str) -> Fixer:
    module = importlib.import_module(f"manifesto.fixers.{name}")
    return module  # type: ignore[return-value]


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


CASES = _cases()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}/{c.name}" for n, c in CASES])
def test_golden(name: str, case: Path) -> None:
    fixer = _fixer(name)
    before = _read(case)
    expected_path = case.with_name(case.name.replace(".in.", ".out."))
    result = fix_text(before, [fixer], _settings(name))
    assert result.errors == ()
    if not expected_path.exists():
        assert result.output == before, "a must-not-change case changed"
        assert [a.fix for a in result.applied] == []
        return
    expected = _read(expected_path)
    assert result.output == expected
    assert parse(expected).render() == expected
    again = fix_text(expected, [fixer], _settings(name))
    assert again.output == expected, "fixing the expected output again changes it"
    assert again.applied == ()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}/{c.name}" for n, c in CASES])
def test_golden_findings_match_changes(name: str, case: Path) -> None:
    """A case that changes has at least one finding with a fix; fixed output has no fixable one."""
    fixer = _fixer(name)
    expected_path = case.with_name(case.name.replace(".in.", ".out."))
    findings = check_text(_read(case), [fixer], _settings(name))
    if expected_path.exists():
        assert any(f.violation.fix is not None for f in findings)
        after = check_text(_read(expected_path), [fixer], _settings(name))
        assert not any(f.violation.fix is not None for f in after)


def test_every_fixer_folder_has_a_changing_and_an_unchanged_case() -> None:
    if not FIXTURES.is_dir():
        pytest.skip("no fixer fixtures yet")
    for folder in (p for p in FIXTURES.iterdir() if p.is_dir()):
        ins = list(folder.glob("*.in.Dockerfile"))
        changing = [c for c in ins if c.with_name(c.name.replace(".in.", ".out.")).exists()]
        if _fixer(folder.name).INFO.applicability is None:
            # A rule that only reports: its cases list the findings they expect.
            assert not changing, f"{folder.name}: a rule without fixes has a case that changes"
            assert any(c.with_suffix(".findings").exists() for c in ins), folder.name
            continue
        assert changing, f"{folder.name}: no case that changes"
        assert len(changing) < len(ins), f"{folder.name}: no must-not-change case"


LISTED = [(n, c) for n, c in CASES if c.with_suffix(".findings").exists()]


@pytest.mark.parametrize(("name", "case"), LISTED, ids=[f"{n}/{c.name}" for n, c in LISTED])
def test_golden_findings_where_listed(name: str, case: Path) -> None:
    """``<case>.in.findings``, when present, lists the findings the case must give: one
    ``row:column`` per line, in file order (an empty file: none at all)."""
    expected = case.with_suffix(".findings").read_text("utf-8").split()
    found = [
        "{}:{}".format(*parse(text).position(f.violation.start))
        for text in [_read(case)]
        for f in check_text(text, [_fixer(name)], _settings(name))
    ]
    assert found == expected
