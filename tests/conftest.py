from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
FIXTURES = ROOT / "fixtures"

sys.path.insert(0, str(Path(__file__).resolve().parent))

NOT_DOCKERFILES = {"MANIFEST.tsv", "README.md", "result"}


def corpus_files() -> list[Path]:
    """Every Dockerfile of the shared corpus, or [] when it is absent."""
    if not CORPUS.is_dir():
        return []
    return [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.name not in NOT_DOCKERFILES]


@pytest.fixture(scope="session")
def corpus() -> Iterator[list[Path]]:
    files = corpus_files()
    if not files:
        pytest.skip(f"corpus not found at {CORPUS}")
    yield files
