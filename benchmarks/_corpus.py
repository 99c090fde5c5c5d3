"""The shared corpus, located relative to the repository (never copied into it)."""

from __future__ import annotations

from pathlib import Path

CORPUS = (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus").resolve()
NOT_DOCKERFILES = {"MANIFEST.tsv", "README.md", "result"}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found at {CORPUS}")
    return [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.name not in NOT_DOCKERFILES]
