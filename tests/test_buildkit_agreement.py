"""Our reading of a file is BuildKit's: the oracle is BuildKit's parser itself.

``dockerfile`` wraps BuildKit's Go parser. One known artefact of the wrapper:
strings cross into Python as C strings, so a JSON ``\\u0000`` truncates a
value there; we compare up to the first NUL for that reason only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildkit_oracle import ours, theirs
from conftest import CORPUS
from manifesto.cst import Instruction, ParseError, parse
from manifesto.cst.text import go_quote
from manifesto.cst.values import buildkit_value
from manifesto.cst.words import parse_words

dockerfile = pytest.importorskip("dockerfile")

PARSER_TESTS = CORPUS / "buildkit-parser-tests"


def _cut_nul(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def cut(v: Any) -> Any:
        if isinstance(v, str):
            return v.split("\x00", 1)[0]
        if isinstance(v, tuple):
            return tuple(cut(x) for x in v)
        return v

    return [cut(r) for r in rows]


@pytest.mark.corpus
def test_corpus_agrees_with_buildkit(corpus: list[Path]) -> None:
    agreed = 0
    problems: list[str] = []
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        try:
            expected = theirs(text)
        except dockerfile.GoParseError:
            with pytest.raises(ParseError):
                parse(text)
            continue
        try:
            got = ours(text)
        except ParseError as exc:
            problems.append(f"{path}: we reject what BuildKit accepts: {exc}")
            continue
        if _cut_nul(got) != _cut_nul(expected):
            diff = next((a, b) for a, b in zip(got, expected, strict=False) if a != b)
            problems.append(f"{path}: ours {diff[0]!r} theirs {diff[1]!r}")
            continue
        agreed += 1
    assert not problems, "\n".join(problems[:10])
    assert agreed > 3000


def _dump(ins: Instruction) -> str:
    """BuildKit's Node.Dump() for one instruction, as in the ``result`` files."""
    out = ins.keyword.lower()
    if ins.flags:
        out += " [" + " ".join(go_quote(f.raw) for f in ins.flags) + "]"
    if ins.child is not None:
        return f"{out} ({_dump(ins.child)})"
    values, _ = buildkit_value(ins)
    if ins.keyword in ("ENV", "LABEL") and values:
        first = parse_words(ins.args_text, ins.escape)[0].value
        sep = "=" if "=" in first else ""
        parts: list[str] = []
        for i in range(0, len(values), 2):
            parts += [values[i], values[i + 1], sep]
        values = tuple(parts)
    for v in values:
        out += " " + go_quote(v)
    return out


def _cases(folder: str) -> list[Path]:
    base = PARSER_TESTS / folder
    return sorted(base.iterdir()) if base.is_dir() else []


@pytest.mark.parametrize("case", _cases("testfiles"), ids=lambda p: p.name)
def test_buildkit_parser_cases(case: Path) -> None:
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    expected = (case / "result").read_text("utf-8").replace("\r\n", "\n").strip("\n")
    tree = parse(text)
    assert tree.render() == text
    got = "\n".join(f"({_dump(ins)})" for ins in tree.instructions)
    assert got == expected


@pytest.mark.parametrize("case", _cases("testfiles-negative"), ids=lambda p: p.name)
def test_buildkit_negative_cases_are_rejected(case: Path) -> None:
    text = (case / "Dockerfile").read_bytes().decode("utf-8")
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.line >= 1


def test_buildkit_line_numbers() -> None:
    path = PARSER_TESTS / "testfile-line" / "Dockerfile"
    if not path.is_file():
        pytest.skip("corpus not found")
    text = path.read_text("utf-8")
    assert [(r[0], r[4], r[5]) for r in ours(text)] == [(r[0], r[4], r[5]) for r in theirs(text)]


def test_parser_tests_are_present_or_skipped() -> None:
    if not PARSER_TESTS.is_dir():
        pytest.skip("corpus not found")
    assert len(_cases("testfiles")) >= 30
    assert len(_cases("testfiles-negative")) >= 4


ROUNDTRIP = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "roundtrip").glob("*"))


@pytest.mark.parametrize("path", ROUNDTRIP, ids=[p.name for p in ROUNDTRIP])
def test_roundtrip_fixtures_agree_with_buildkit(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    assert ours(text) == theirs(text)
