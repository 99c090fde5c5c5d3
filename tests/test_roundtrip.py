"""Every accepted input prints back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from manifesto.cst import ParseError, parse

ROUNDTRIP = sorted((FIXTURES / "roundtrip").glob("*"))


@pytest.mark.parametrize("path", ROUNDTRIP, ids=[p.name for p in ROUNDTRIP])
def test_fixture_round_trips(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    assert parse(text).render() == text


def test_there_are_roundtrip_fixtures() -> None:
    assert len(ROUNDTRIP) >= 10


def _variants(text: str) -> dict[str, str]:
    lf = text.replace("\r\n", "\n")
    return {
        "as-is": text,
        "crlf": lf.replace("\n", "\r\n"),
        "bom": "\ufeff" + text.removeprefix("\ufeff"),
        "no-final-newline": text.rstrip("\r\n"),
    }


@pytest.mark.corpus
def test_corpus_round_trips(corpus: list[Path]) -> None:
    checked = 0
    failures: list[str] = []
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        try:
            parse(text)
        except ParseError:
            continue
        for name, variant in _variants(text).items():
            try:
                rendered = parse(variant).render()
            except ParseError as exc:
                failures.append(f"{path} [{name}]: rejected: {exc}")
                continue
            if rendered != variant:
                failures.append(f"{path} [{name}]: differs")
            checked += 1
    assert not failures, "\n".join(failures[:20])
    assert checked > 10_000
