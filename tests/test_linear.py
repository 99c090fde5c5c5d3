"""The whole pipeline stays linear in the size of its input.

Not timings against a budget (machines differ), but a scaling check: the same
generated file at N and 4N units, CPU time compared in one process. Linear work
gives a ratio near 4, quadratic work 16; the bound is 8. Every measurement runs
under an alarm, and the CLI case in a subprocess with a timeout, so that a
regression fails instead of hanging the suite.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import time_limit
from manifesto.context import FixContext
from manifesto.cst import Dockerfile, parse
from manifesto.diagnostics import RuleInfo
from manifesto.diff import unified_diff
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.engine import EngineSettings, collect, fix_text
from manifesto.registry import FIXERS, OPT_IN, rules
from manifesto.report import render
from manifesto.runner import to_diagnostics
from manifesto.shell import ShellCache, ShellSource, parse_shell

UNSAFE = EngineSettings(unsafe_fixes=True)
EVERY_RULE = (*FIXERS, *OPT_IN)
"""``--select ALL,MF203``: the opt-in rule is measured too."""
# 4x the input: linear ~4x the time, n log n ~5x, quadratic 16x; the margin is for a
# loaded machine (CPU time still grows with cache and memory contention)
RATIO = 10.0
ALARM_SECONDS = 60

APT_RUN = "RUN apt-get update && apt-get install -y curl\n"
APT_RUN_FIXED = (
    "RUN apt-get update && apt-get install -y --no-install-recommends curl"
    " && rm -rf /var/lib/apt/lists/*\n"
)


def fixable_runs(n: int) -> str:
    # the USER keeps MF401 (an image that runs as root) out of the fix counts
    return "FROM debian:12\n" + APT_RUN * n + "USER nobody\n"


def several_fixes_per_run(n: int) -> str:
    run = "RUN apt-get update && apt-get install curl && pip install flask && npm install\n"
    return "FROM debian:12\n" + run * n


def continuation_lines(n: int) -> str:
    lines = "".join(f"    package-{i} \\\n" for i in range(n))
    return f"FROM debian:12\nRUN apt-get update && apt-get install -y \\\n{lines}    curl\n"


def package_list_runs(n: int) -> str:
    return "FROM debian:12\n" + "RUN apt-get update && apt-get install -y \\\n    curl\n" * n


def statements_in_one_run(n: int) -> str:
    lines = "".join(f"    apt-get install -y package-{i}; \\\n" for i in range(n))
    return f"FROM debian:12\nRUN set -e; apt-get update; \\\n{lines}    true\n"


def heredocs(n: int) -> str:
    return "FROM debian:12\n" + "".join(
        f"RUN <<EOF\necho {i}\napt-get install -y curl\nEOF\nCOPY <<EOT /etc/f{i}\nx\nEOT\n"
        for i in range(n)
    )


def plain_instructions(n: int) -> str:
    kinds = ("ENV A{i}=1\n", "RUN echo {i}\n", "LABEL l{i}=v\n", "WORKDIR /w{i}\n")
    return "FROM debian:12\n" + "".join(kinds[i % 4].format(i=i) for i in range(n))


def apk_virtual_runs(n: int) -> str:
    # every RUN declares its own virtual package and removes it after an npm install:
    # each npm fix asks what the virtual packages declared so far hold
    return "FROM node:20-alpine\n" + "".join(
        f"RUN apk add --no-cache --virtual .deps-{i} g++ make && npm ci && apk del .deps-{i}\n"
        for i in range(n)
    )


def cleanups_in_later_runs(n: int) -> str:
    # MF201: each download deleted one RUN later
    return "FROM debian:12\n" + "".join(
        f"RUN curl -fsSLo /tmp/a{i}.tgz https://e.com/a{i}.tgz && tar xzf /tmp/a{i}.tgz\n"
        f"RUN rm /tmp/a{i}.tgz\n"
        for i in range(n)
    )


def lists_deleted_apart(n: int) -> str:
    # MF201/MF202/MF101: every clean-up of the lists walks back to the one update
    return "FROM debian:12\nRUN apt-get update\n" + "".join(
        f"RUN apt-get install -y --no-install-recommends p{i}\nRUN rm -rf /var/lib/apt/lists/*\n"
        for i in range(n)
    )


def cleanups_in_one_chain(n: int) -> str:
    # MF201 and MF203: thousands of clean-ups in one RUN, each of a file made before it
    chain = " && ".join(f"touch /tmp/x{i} && rm /tmp/x{i} && rm /tmp/y{i}" for i in range(n))
    return f"FROM debian:12\nRUN {chain}\n"


def chained_units(n: int) -> str:
    # MF203: a long `&&` chain of independent units, split into one RUN each
    units = (
        "apt-get update && apt-get install -y --no-install-recommends p{i}"
        " && rm -rf /var/lib/apt/lists/*",
        "curl -fsSLo /tmp/a{i}.tgz https://e.com/a{i}.tgz && tar xzf /tmp/a{i}.tgz -C /opt"
        " && rm /tmp/a{i}.tgz",
    )
    chain = " && \\\n    ".join(units[i % 2].format(i=i) for i in range(n))
    return f"FROM debian:12\nRUN {chain}\n"


def long_pipeline(n: int) -> str:
    # MF203/MF610: one pipeline of n commands
    return "FROM debian:12\nRUN " + " | ".join(["cat"] * n) + "\n"


def stages_copying_the_previous(n: int) -> str:
    # MF201/MF401/MF501 over a stage graph: each stage copies from the one before
    return "FROM debian:12 AS s0\nRUN echo 0 > /f\n" + "".join(
        f"FROM debian:12 AS s{i}\nCOPY --from=s{i - 1} /f /f\nRUN rm /f && echo {i} > /f\n"
        for i in range(1, n)
    )


def context_copied_in_stages(n: int) -> str:
    # MF204: a whole-context COPY before each install
    return "".join(f"FROM node:20 AS s{i}\nWORKDIR /app\nCOPY . .\nRUN npm ci\n" for i in range(n))


def legacy_env_lines(n: int) -> str:
    # MF607 and MF402
    return "FROM debian:12\n" + "".join(
        f"ENV KEY_{i} value {i}\nENV API_TOKEN_{i}=x\n" for i in range(n)
    )


def runs_starting_with_cd(n: int) -> str:
    # MF603 (and MF203's working directories)
    return "FROM debian:12\nWORKDIR /src\n" + "".join(
        f"# build {i}\nRUN cd /src/{i} && make\n" for i in range(n)
    )


def stage_commands(n: int) -> str:
    # MF401, MF601, MF605, MF606 in every stage
    return "".join(
        f"FROM debian:12 AS s{i}\nMAINTAINER me{i}\n"
        f"CMD service cron start && nginx -g 'daemon off;'\nENTRYPOINT app --x {i}\n"
        for i in range(n)
    )


def hygiene_runs(n: int) -> str:
    # MF104, MF608, MF609, MF610 on every RUN
    return "FROM debian:12\n" + "".join(
        f"RUN apt install -y p{i} && wget https://e.com/f{i} | tar x\n" for i in range(n)
    )


def single_stage_build(n: int) -> str:
    # MF501 (and MF401) on a long build stage
    steps = "".join(f"RUN echo {i} > /src/f{i}\nENV V{i}=1\n" for i in range(n))
    return (
        f"FROM golang:1.22-bookworm\nWORKDIR /src\n{steps}COPY . .\nENV CGO_ENABLED=0\n"
        'RUN go build -o /usr/local/bin/app .\nEXPOSE 8080\nCMD ["app"]\n'
    )


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail a measurement that runs away instead of hanging the suite."""
    with time_limit(ALARM_SECONDS, f"no result within {ALARM_SECONDS} s: super-linear again?"):
        yield


def pipeline(text: str) -> None:
    """What ``fix --diff`` and ``check`` do to one file, without the file system."""
    result = fix_text(text, EVERY_RULE, UNSAFE)
    assert not result.errors, result.errors
    unified_diff("Dockerfile", text, result.output)
    tree = parse(text)
    findings = collect(text, tree, EVERY_RULE, UNSAFE)
    diagnostics = to_diagnostics("Dockerfile", tree, findings)
    render("full", list(diagnostics), rules=rules(), sources={"Dockerfile": text})


def cpu_seconds(text: str, repeats: int) -> float:
    """The best of ``repeats`` runs: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()  # no collection left over from the previous run lands in this one
        started = time.process_time()
        pipeline(text)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize(
    ("generate", "n"),
    [
        pytest.param(fixable_runs, 200, id="fixable-runs"),
        pytest.param(several_fixes_per_run, 80, id="several-fixes-per-run"),
        pytest.param(continuation_lines, 1_500, id="continuation-lines"),
        pytest.param(statements_in_one_run, 300, id="statements-in-one-run"),
        pytest.param(package_list_runs, 150, id="package-list-runs"),
        pytest.param(heredocs, 150, id="heredocs"),
        pytest.param(plain_instructions, 1_500, id="plain-instructions"),
        pytest.param(apk_virtual_runs, 150, id="apk-virtual-runs"),
        pytest.param(cleanups_in_later_runs, 150, id="cleanups-in-later-runs"),
        pytest.param(lists_deleted_apart, 150, id="lists-deleted-apart"),
        pytest.param(cleanups_in_one_chain, 200, id="cleanups-in-one-chain"),
        pytest.param(chained_units, 60, id="chained-units"),
        pytest.param(long_pipeline, 1_000, id="long-pipeline"),
        pytest.param(stages_copying_the_previous, 150, id="stages-copying-the-previous"),
        pytest.param(context_copied_in_stages, 100, id="context-copied-in-stages"),
        pytest.param(legacy_env_lines, 800, id="legacy-env-lines"),
        pytest.param(runs_starting_with_cd, 300, id="runs-starting-with-cd"),
        pytest.param(stage_commands, 100, id="stage-commands"),
        pytest.param(hygiene_runs, 150, id="hygiene-runs"),
        pytest.param(single_stage_build, 300, id="single-stage-build"),
    ],
)
@pytest.mark.usefixtures("alarm")
def test_four_times_the_input_takes_at_most_ten_times_the_time(
    generate: Callable[[int], str], n: int
) -> None:
    small, large = generate(n), generate(4 * n)
    pipeline(small)  # imports and first-use costs outside the measurement
    ratio = cpu_seconds(large, 2) / cpu_seconds(small, 3)
    assert ratio < RATIO, f"4x the input took {ratio:.1f}x the time (linear: ~4, quadratic: 16)"


@pytest.mark.usefixtures("alarm")
def test_many_fixable_runs_are_each_fixed_as_one_alone() -> None:
    alone = fix_text(fixable_runs(1), FIXERS, UNSAFE)
    assert alone.output == "FROM debian:12\n" + APT_RUN_FIXED + "USER nobody\n"
    result = fix_text(fixable_runs(2_000), FIXERS, UNSAFE)
    assert not result.errors
    assert result.output == "FROM debian:12\n" + APT_RUN_FIXED * 2_000 + "USER nobody\n"
    assert len(result.applied) == 4_000
    # every independent fix in one pass; the second pass finds nothing left
    assert {a.pass_number for a in result.applied} == {1}
    assert result.remaining == ()


def test_cli_fixes_two_thousand_runs_within_a_hard_timeout(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(fixable_runs(2_000), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "manifesto", "fix", "--unsafe-fixes", "-q", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = "FROM debian:12\n" + APT_RUN_FIXED * 2_000 + "USER nobody\n"
    assert path.read_text(encoding="utf-8") == expected


@dataclass
class _AppendTrue:
    """Test fixer: ``&& true`` after every RUN (harmless, once)."""

    INFO: RuleInfo

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        for ins in tree.instructions:
            if ins.keyword == "RUN" and not ctx.text[: ins.content_end].endswith("&& true"):
                edit = Edit.insert(ins.content_end, " && true")
                fix = Fix("append", (edit,), Applicability.SAFE)
                yield Violation(self.INFO.code, "x", ins.start, ins.end, fix)


@dataclass
class _OpenParenthesis:
    """Test fixer: an unbalanced ``(`` in front of the script of RUN number ``which``."""

    INFO: RuleInfo
    which: int

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        runs = [ins for ins in tree.instructions if ins.keyword == "RUN"]
        ins = runs[self.which]
        fix = Fix("break", (Edit.insert(ins.args.start, "( "),), Applicability.SAFE)
        yield Violation(self.INFO.code, "x", ins.start, ins.end, fix)


@pytest.mark.usefixtures("alarm")
def test_the_one_bad_fix_among_thousands_is_named_without_trying_each_alone() -> None:
    harmless = _AppendTrue(RuleInfo("MF991", "append_true", "x", Applicability.SAFE))
    breaker = _OpenParenthesis(
        RuleInfo("MF992", "open_parenthesis", "x", Applicability.SAFE), 1_234
    )
    text = fixable_runs(2_000)
    result = fix_text(text, [harmless, breaker], EngineSettings())
    assert result.output == text
    (error,) = result.errors
    assert "MF992" in error and "MF991" not in error, error
    assert "breaks the shell of a RUN" in error


SCRIPTS = [
    "apt-get update && apt-get install -y curl",
    'set -eux; A=1 B+="x y" env C=2 sudo -E apt-get install x 2>&1 >/dev/null | tee log',
    "cat <<EOF > /etc/conf && echo done\nline $HOME\nEOF",
    "<<-'EOS'\n\t#!/bin/bash -e\n\tif true; then (cd /x && make); fi\n\tEOS",
    "echo \\\n  # a comment line inside\n  continued; set +e; false",
    "echo 'unterminated",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_script_that_only_moved_is_the_cached_one_shifted(script: str) -> None:
    cache = ShellCache()
    first = cache.script(ShellSource(script, 17))
    moved = cache.script(ShellSource(script, 4_321))
    assert moved == parse_shell(ShellSource(script, 4_321))
    assert moved.source.offset == 4_321 and first.source.offset == 17
    if moved.commands:
        assert moved.commands[0].start - first.commands[0].start == 4_321 - 17
        # values shared in a parse stay shared in a shifted copy
        statement = moved.statement_of(moved.commands[0])
        assert statement is not None and statement.commands[0] is moved.commands[0]
