"""Time and memory of the whole pipeline on generated files that double in size.

For each generator the file is doubled ``--doublings`` times; every size runs in
a fresh process (read -> parse -> shells -> fixers -> fix loop -> verify -> diff,
then check -> report), so that peak memory is that size's alone. A linear
pipeline keeps the time per KB flat down each table; a quadratic step doubles it
at every row.

    python benchmarks/linear_scaling.py [--doublings 6] [--only fixable_runs]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path


def continuation_lines(n: int) -> str:
    """One RUN installing ``n`` packages, one per continuation line (fixed by MF101/MF104)."""
    lines = "".join(f"    package-{i} \\\n" for i in range(n))
    return f"FROM debian:12\nRUN apt-get update && apt-get install -y \\\n{lines}    curl\n"


def chained_commands(n: int) -> str:
    """One RUN of ``n`` commands joined by ``&&`` over continuation lines."""
    lines = "".join(f"    echo step-{i} && \\\n" for i in range(n))
    return f"FROM debian:12\nRUN set -e; \\\n{lines}    true\n"


def package_list_runs(n: int) -> str:
    """``n`` two-line RUNs without a joint of their own: fixed in the file's style."""
    return "FROM debian:12\n" + "RUN apt-get update && apt-get install -y \\\n    curl\n" * n


def statements_in_one_run(n: int) -> str:
    """One RUN of ``n`` ``;``-separated installs under ``set -e`` (a fix for each)."""
    lines = "".join(f"    apt-get install -y package-{i}; \\\n" for i in range(n))
    return f"FROM debian:12\nRUN set -e; apt-get update; \\\n{lines}    true\n"


def heredocs(n: int) -> str:
    """``n`` here-documents: RUN scripts and COPY bodies."""
    body = "".join(
        f"RUN <<EOF\necho {i}\napt-get install -y curl\nEOF\nCOPY <<EOT /etc/f{i}\nx={i}\nEOT\n"
        for i in range(n // 2)
    )
    return "FROM debian:12\n" + body


def plain_instructions(n: int) -> str:
    """``n`` short instructions of several kinds, nothing to fix."""
    kinds = ("ENV A{i}=1\n", "RUN echo {i}\n", "LABEL l{i}=v\n", "WORKDIR /w{i}\n")
    return "FROM debian:12\n" + "".join(kinds[i % 4].format(i=i) for i in range(n))


def fixable_runs(n: int) -> str:
    """``n`` one-line RUNs with two fixes each (MF101, MF104)."""
    return "FROM debian:12\n" + "RUN apt-get update && apt-get install -y curl\n" * n


def several_fixes_per_run(n: int) -> str:
    """``n`` RUNs with five fixes each (apt, pip and npm caches, prompts)."""
    run = "RUN apt-get update && apt-get install curl && pip install flask && npm install\n"
    return "FROM debian:12\n" + run * n


def many_stages(n: int) -> str:
    """``n`` stages, each with a fixable RUN."""
    return "".join(
        f"FROM debian:12 AS s{i}\nRUN apt-get update && apt-get install -y curl\n" for i in range(n)
    )


def apk_virtual_runs(n: int) -> str:
    """``n`` RUNs that each declare an apk virtual package, npm install, then delete it."""
    return "FROM node:20-alpine\n" + "".join(
        f"RUN apk add --no-cache --virtual .deps-{i} g++ make && npm ci && apk del .deps-{i}\n"
        for i in range(n)
    )


GENERATORS: dict[str, tuple[Callable[[int], str], int, str]] = {
    # name: (generator, starting count, unit)
    "continuation_lines": (continuation_lines, 2_000, "line"),
    "chained_commands": (chained_commands, 1_000, "command"),
    "statements_in_one_run": (statements_in_one_run, 250, "statement"),
    "package_list_runs": (package_list_runs, 64, "RUN"),
    "heredocs": (heredocs, 500, "heredoc"),
    "plain_instructions": (plain_instructions, 2_000, "instruction"),
    "fixable_runs": (fixable_runs, 64, "RUN"),
    "several_fixes_per_run": (several_fixes_per_run, 32, "RUN"),
    "many_stages": (many_stages, 32, "stage"),
    "apk_virtual_runs": (apk_virtual_runs, 64, "RUN"),
}


def worker(name: str, count: int, trace: bool) -> dict[str, float]:
    """One size, in this process: the pipeline as ``fix --diff`` and ``check`` run it."""
    from manifesto.config import Settings
    from manifesto.registry import rules
    from manifesto.report import render
    from manifesto.runner import Job, Mode, run

    generate = GENERATORS[name][0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_text(generate(count), encoding="utf-8")
        # No size limit: the sizes measured go past the default refusal threshold.
        settings = Settings(unsafe_fixes=True, max_file_size=1 << 40)
        warm = Path(tmp) / "warm.Dockerfile"
        warm.write_text(fixable_runs(2), encoding="utf-8")
        run(Job(warm, "warm", Mode.DIFF, settings))  # imports and first parses, outside timing
        if trace:
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        fixed = run(Job(path, "Dockerfile", Mode.DIFF, settings))
        checked = run(Job(path, "Dockerfile", Mode.CHECK, settings))
        report = render(
            "full",
            list(checked.diagnostics),
            rules=rules(),
            sources={"Dockerfile": checked.source or ""},
        )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if fixed.error or checked.error:
            raise SystemExit(f"{name} x{count}: {fixed.error or checked.error}")
        return {
            "bytes": path.stat().st_size,
            "seconds": elapsed,
            "cpu": cpu,
            "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "traced_peak": peak,
            "fixes": len(fixed.applied),
            "findings": len(checked.diagnostics),
            "diff": len(fixed.diff) + len(report),
        }


def measure(name: str, count: int, trace: bool, timeout: float) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", name, str(count)]
    if trace:
        command.append("--trace")
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def table(name: str, doublings: int, trace: bool, timeout: float) -> None:
    _, start, unit = GENERATORS[name]
    print(f"\n{name}")
    print(
        f"{unit + 's':>12} {'KB':>9} {'wall s':>7} {'CPU s':>7} {'CPU us/KB':>9}"
        f" {'CPU ms/1k ' + unit:>18} {'fixes':>7} {'peak RSS MB':>11}"
        + (f" {'traced MB':>9}" if trace else "")
    )
    for step in range(doublings + 1):
        count = start * 2**step
        try:
            row = measure(name, count, trace, timeout)
        except subprocess.TimeoutExpired:
            print(f"{count:>12} did not finish in {timeout:.0f} s")
            return
        kb = row["bytes"] / 1024
        cpu = row["cpu"]
        line = (
            f"{count:>12} {kb:>9.0f} {row['seconds']:>7.2f} {cpu:>7.2f} {cpu / kb * 1e6:>9.0f}"
            f" {cpu / count * 1e6:>18.1f} {row['fixes']:>7.0f} {row['rss_kib'] / 1024:>11.0f}"
        )
        if trace:
            line += f" {row['traced_peak'] / 2**20:>9.1f}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doublings", type=int, default=6)
    parser.add_argument("--only", action="append", choices=sorted(GENERATORS))
    parser.add_argument("--trace", action="store_true", help="also tracemalloc's peak (slower)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per size, in seconds")
    parser.add_argument("--worker", nargs=2, metavar=("GENERATOR", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, count = args.worker
        print(json.dumps(worker(name, int(count), args.trace)))
        return
    for name in args.only or GENERATORS:
        table(name, args.doublings, args.trace, args.timeout)


if __name__ == "__main__":
    main()
