"""The build lab: what manifesto's fixes save on real builds, and whether they break any.

Runs ``manifesto measure`` over the lab's Dockerfiles (``benchmarks/lab/*/Dockerfile``,
all on a Debian 12 base made from Debian's packages by ``make_base.sh``):

- once per fixer that applies to a lab file, with only that fixer selected
  (``--select CODE``, plus ``--unsafe-fixes`` for an unsafe one): the megabytes that
  fixer alone saves;
- once with every safe fix, once with every fix (``--unsafe-fixes``): what ``fix``
  saves as users run it.

and prints one table: files fixed, size before/after, saved, build time before/after,
the file-tree verdict (``--compare-files``), and the builds a fix broke -- the loudest
line. Usage, as root with buildah and mmdebstrap installed:

    STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot .venv/bin/python benchmarks/lab/run.py

``--quick`` skips the per-fixer runs, ``--codes MF101,MF104`` limits them, ``--from-json DIR``
prints the table of an earlier run again;
``--json-dir DIR`` keeps every run's JSON report. Exit status: 0, or 1 when a fix
broke a build or a safe fix changed other files (the lab has one such case on
purpose: c-tcc under ``--unsafe-fixes``; c-gcc was one until MF104 learnt gcc's
libc6-dev).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LAB = Path(__file__).resolve().parent
ROOT = LAB.parents[1]
RUN_TIMEOUT = 3 * 3600
"""Seconds for one ``manifesto measure`` over the whole lab (its builds have their own)."""


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    files: int
    before: int
    after: int
    seconds_before: float
    seconds_after: float
    verdicts: tuple[str, ...]
    broken: tuple[str, ...]
    not_measured: tuple[str, ...]


def manifesto(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def lab_files() -> list[str]:
    return [str(p.relative_to(ROOT)) for p in sorted(LAB.glob("*/Dockerfile"))]


def fixable_codes(files: list[str]) -> list[tuple[str, bool]]:
    """(code, unsafe) of every rule with a fix for some lab file, in rule order."""
    done = manifesto("check", "--unsafe-fixes", "--output-format", "json", "--exit-zero", *files)
    findings = json.loads(done.stdout)
    codes = {f["code"]: f["fix"]["applicability"] == "unsafe" for f in findings if f.get("fix")}
    return sorted(codes.items())


def measure(label: str, files: list[str], extra: list[str], json_dir: Path | None) -> Row:
    started = time.monotonic()
    print(f"lab: {label}: measuring ...", file=sys.stderr, flush=True)
    done = manifesto(
        "measure", "--builder", "buildah", "--compare-files", "--output-format", "json", "-q",
        *extra, *files,
    )  # fmt: skip
    if not done.stdout.strip():
        raise SystemExit(f"lab: {label}: manifesto measure failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    if json_dir is not None:
        (json_dir / f"{_stem(label)}.json").write_text(done.stdout)
    row = row_of(label, report)
    print(f"lab: {label}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return row


def _stem(label: str) -> str:
    return label.replace(" ", "_").replace("(", "").replace(")", "").replace("-", "")


def row_of(label: str, report: dict[str, Any]) -> Row:
    """One line of the table from one ``manifesto measure --output-format json`` report."""
    measured = [f for f in report["files"] if f["status"] == "measured"]
    return Row(
        label,
        len(measured),
        sum(f["before"]["size_bytes"] for f in measured),
        sum(f["after"]["size_bytes"] for f in measured),
        sum(f["before"]["seconds"] for f in measured),
        sum(f["after"]["seconds"] for f in measured),
        tuple(_verdict(f) for f in measured),
        tuple(
            f"{f['path']} ({', '.join(f['fixes'])})"
            for f in report["files"]
            if f["status"] == "broken-by-fix"
        ),
        tuple(
            f"{f['path']}: {f['status']}"
            for f in report["files"]
            if f["status"] not in ("measured", "nothing-to-fix", "broken-by-fix")
        ),
    )  # fmt: skip


def _verdict(result: dict[str, object]) -> str:
    files = result["files"]
    assert isinstance(files, dict)
    if files["verdict"] == "identical":
        return "identical"
    return "changed (unsafe)" if result["unsafe"] else "CHANGED BY A SAFE FIX"


def table(rows: list[Row]) -> str:
    header = (
        "Fixes", "Files", "Before MB", "After MB", "Saved MB", "Saved", "Build s before",
        "Build s after", "File trees", "Broken builds",
    )  # fmt: skip
    lines = [header]
    for r in rows:
        saved = r.before - r.after
        verdicts = [f"{r.verdicts.count(v)} {v}" for v in sorted(set(r.verdicts))]
        lines.append(
            (
                r.label, str(r.files), f"{r.before / 1e6:.1f}", f"{r.after / 1e6:.1f}",
                f"{saved / 1e6:.1f}", f"{100 * saved / r.before:.0f}%" if r.before else "-",
                f"{r.seconds_before:.0f}", f"{r.seconds_after:.0f}",
                ", ".join(verdicts) or "-", str(len(r.broken)),
            )
        )  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [
            c.ljust(w) if i in (0, 8) else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


SAFE_ALL, UNSAFE_ALL = "all safe fixes", "all fixes (--unsafe-fixes)"


def _label_of(stem: str) -> str:
    known = {_stem(label): label for label in (SAFE_ALL, UNSAFE_ALL)}
    return known.get(stem) or stem.replace("_unsafe", " (unsafe)")


def rows_from(json_dir: Path) -> list[Row]:
    """The table of an earlier run, from its ``--json-dir``: per-fixer rows, then the two runs."""
    reports = {p.stem: json.loads(p.read_text()) for p in json_dir.glob("*.json")}
    order = sorted(
        reports, key=lambda stem: (not stem.startswith("MF"), stem != _stem(SAFE_ALL), stem)
    )
    return [row_of(_label_of(stem), reports[stem]) for stem in order]


def print_report(rows: list[Row], files: int) -> int:
    print(f"Lab: {files} Dockerfiles, buildah, Debian 12 minbase; sizes uncompressed.\n")
    print(table(rows))
    broken = [(r.label, b) for r in rows for b in r.broken]
    safe_changed = [r.label for r in rows if "CHANGED BY A SAFE FIX" in r.verdicts]
    for r in rows:
        for problem in r.not_measured:
            print(f"{r.label}: not measured: {problem}")
    for label, what in broken:
        print(f"BROKEN BY FIX [{label}]: {what}")
    for label in safe_changed:
        print(f"FILES CHANGED BY A SAFE FIX [{label}]: see the JSON report")
    return 1 if broken or safe_changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the per-fixer runs")
    parser.add_argument("--json-dir", type=Path, help="keep each run's JSON report here")
    parser.add_argument(
        "--codes", help="comma-separated codes for the per-fixer runs (default: every code)"
    )
    parser.add_argument(
        "--from-json", type=Path, help="print the table of an earlier run's --json-dir; no build"
    )
    args = parser.parse_args()
    files = lab_files()
    if args.from_json is not None:
        return print_report(rows_from(args.from_json), len(files))
    os.environ.setdefault("STORAGE_DRIVER", "vfs")
    os.environ.setdefault("BUILDAH_ISOLATION", "chroot")
    subprocess.run(["bash", str(LAB / "make_base.sh")], check=True, timeout=1800)
    if args.json_dir is not None:
        args.json_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    if not args.quick:
        wanted = set(args.codes.split(",")) if args.codes else None
        for code, unsafe in fixable_codes(files):
            if wanted is not None and code not in wanted:
                continue
            extra = ["--select", code] + (["--unsafe-fixes"] if unsafe else [])
            label = f"{code}{' (unsafe)' if unsafe else ''}"
            rows.append(measure(label, files, extra, args.json_dir))
    rows.append(measure(SAFE_ALL, files, [], args.json_dir))
    rows.append(measure(UNSAFE_ALL, files, ["--unsafe-fixes"], args.json_dir))
    return print_report(rows, len(files))


if __name__ == "__main__":
    sys.exit(main())
