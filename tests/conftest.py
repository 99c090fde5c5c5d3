from __future__ import annotations

import contextlib
import signal
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


@contextlib.contextmanager
def time_limit(seconds: int, message: str) -> Iterator[None]:
    """Raise TimeoutError(message) if the block runs longer than ``seconds``: a test of
    something that could hang (a FIFO, a super-linear step) fails instead."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def write(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8 when a str) to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path
