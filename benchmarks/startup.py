"""Start-up: ``manifesto check`` of one small file versus hadolint, in one run.

What a user waits for in pre-commit or an editor is mostly start-up. Measured in
the two settings manifesto meets (each isolated with ``PYTHONPYCACHEPREFIX``,
so the ``__pycache__`` folders of the working tree, stale or not, play no part):

- **cached**: every module has its bytecode, as a ``pip install`` leaves it;
- **no bytecode**: ``PYTHONDONTWRITEBYTECODE=1`` and no bytecode for manifesto's
  own modules (an editable install in an environment that sets the variable, as
  this project's machines do): every manifesto module imported is compiled at
  each start. Python's and the dependencies' bytecode stays.

Runs are interleaved (hadolint, cached, no bytecode, ...) so machine noise hits
all alike; the best of N counts. Also shown: the bare interpreter, and the
manifesto modules one start imports (fewer is faster without bytecode).

    python benchmarks/startup.py [--runs 20] [--manifesto PATH] [--hadolint PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

DOCKERFILE = "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"
TARGET = 0.25
"""Seconds: the start-up asked of ``manifesto check`` of one file, in both settings."""


def _timed(command: Sequence[str], env: Mapping[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run: the CPU time says
    the same on a busy machine, where the wall time also counts waiting for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _source_dirs(python: str, env: Mapping[str, str]) -> list[Path]:
    """The folders of manifesto's own modules (the package and its fixers), as the
    measured runs import them."""
    code = (
        "import manifesto, manifesto.fixers\n"
        "print(*manifesto.__path__, *manifesto.fixers.__path__, sep='\\n')\n"
    )
    done = subprocess.run(
        [python, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return [Path(line) for line in done.stdout.splitlines() if line]


def _prefixes(
    manifesto: list[str], dockerfile: Path, work: Path, base: Mapping[str, str]
) -> tuple[Path, Path]:
    """Two bytecode folders: every module compiled (one run of each command with
    writing on), and the same without manifesto's own modules."""
    cached = work / "cached"
    env = {**base, "PYTHONPYCACHEPREFIX": str(cached)}
    for args in (["check", str(dockerfile)], ["fix", "--diff", str(dockerfile)], ["rules"]):
        subprocess.run(
            [*manifesto, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
    bare = work / "no-bytecode"
    shutil.copytree(cached, bare)
    for folder in _source_dirs(sys.executable, base):
        mirror = bare / folder.absolute().relative_to(folder.absolute().anchor)
        shutil.rmtree(mirror, ignore_errors=True)
    return cached, bare


def _imported_modules(python: str, dockerfile: Path, env: Mapping[str, str]) -> list[str]:
    code = (
        "import sys\n"
        f"sys.argv = ['manifesto', 'check', {str(dockerfile)!r}]\n"
        "from manifesto._entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "names = sorted(m for m in sys.modules if m.startswith('manifesto'))\n"
        "print(' '.join(names), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [python, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return done.stderr.strip().splitlines()[-1].split() if done.stderr.strip() else []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    bin_dir = Path(sys.executable).parent
    parser.add_argument("--manifesto", default=str(bin_dir / "manifesto"))
    parser.add_argument("--hadolint", default=shutil.which("hadolint") or str(bin_dir / "hadolint"))
    parser.add_argument(
        "--pythonpath",
        help="Measure the manifesto found here first (a copy of another revision's src/, "
        "with its fixers/ linked in as src/manifesto/fixers), for before/after numbers.",
    )
    args = parser.parse_args(argv)
    manifesto = [args.manifesto]
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if args.pythonpath:
        base["PYTHONPATH"] = args.pythonpath
    with tempfile.TemporaryDirectory(prefix="manifesto-startup-") as tmp:
        work = Path(tmp)
        dockerfile = work / "Dockerfile"
        dockerfile.write_text(DOCKERFILE, "utf-8")
        cached, bare = _prefixes(manifesto, dockerfile, work, base)
        envs = {
            "cached": {**base, "PYTHONPYCACHEPREFIX": str(cached), "PYTHONDONTWRITEBYTECODE": "1"},
            "no bytecode": {
                **base,
                "PYTHONPYCACHEPREFIX": str(bare),
                "PYTHONDONTWRITEBYTECODE": "1",
            },
        }
        check = [*manifesto, "check", str(dockerfile)]
        rows: dict[str, tuple[list[str], Mapping[str, str]]] = {
            "hadolint": ([args.hadolint, str(dockerfile)], base),
            "python -c pass": ([sys.executable, "-c", "pass"], envs["cached"]),
            "manifesto check, cached": (check, envs["cached"]),
            "manifesto check, no bytecode": (check, envs["no bytecode"]),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(args.runs):
            for name, (command, env) in rows.items():
                times[name].append(_timed(command, env))
        modules = _imported_modules(sys.executable, dockerfile, envs["cached"])
    best = {name: min(wall for wall, _ in values) for name, values in times.items()}
    hadolint = best["hadolint"]
    print(f"start-up of one small file: best of {args.runs} interleaved runs, in seconds\n")
    print(f"{'':30} {'wall':>6} {'median':>7} {'cpu':>6} {'x hadolint':>11}  target")
    for name, values in times.items():
        median = sorted(wall for wall, _ in values)[len(values) // 2]
        cpu = min(c for _, c in values)
        ratio = best[name] / hadolint if hadolint > 0 else float("inf")
        verdict = ""
        if name.startswith("manifesto"):
            verdict = f"<= {TARGET:.2f}: " + ("yes" if best[name] <= TARGET else "NO")
        print(f"{name:30} {best[name]:6.3f} {median:7.3f} {cpu:6.3f} {ratio:10.1f}x  {verdict}")
    fixers = [m for m in modules if m.startswith("manifesto.fixers.")]
    print(
        f"\none check imports {len(modules)} manifesto modules, {len(fixers)} of them fixers: "
        + " ".join(m.removeprefix("manifesto.fixers.") for m in fixers)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
