"""Every rule, alone and all together, on odd and hostile Dockerfiles.

Hypothesis builds files from realistic pieces (every instruction kind, heredocs,
``# escape=`` and ``# syntax=``, continuations that end the file, comments and
blank lines inside continuations, CRLF, a BOM, tabs, unicode, ``RUN --mount``,
exec forms with odd JSON, stages that copy from each other, ``FROM ${BASE}``,
ONBUILD, SHELL, USER, Windows bases, deep nesting, unbalanced quotes) and
mutates the golden fixtures and the corpus (truncation, a duplicated stage,
swapped instructions, a trailing escape, stray carriage returns). For each file,
with ``--unsafe-fixes`` and the opt-in MF203 selected:

- no rule raises (the engine turns that into ``RuleCrashed``), none hangs;
- each finding lies inside one instruction, each edit inside the text, and no
  edit writes after a continuation or a lone carriage return that ends the file
  (BuildKit would read the new line as part of the instruction);
- ``fix`` reports no internal error, its output parses and every RUN it rewrote
  parses in dash and bash (unless the original did not);
- fixing the output again changes nothing; a CRLF file stays CRLF, a BOM stays.

All rules together, and then the one rule a draw picks among those with a fix
alone. The runs are derandomized, so the suite is reproducible;
``MANIFESTO_FUZZ_EXAMPLES=N`` runs N random examples per test for a longer hunt.
The regressions found this way are pinned below with their minimal inputs.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, corpus_files, time_limit
from manifesto.cst import Instruction, ParseError, Role, parse
from manifesto.cst.values import is_json
from manifesto.engine import EngineSettings, Finding, Result, RuleCrashed, collect, fix_text
from manifesto.fixer import Fixer
from manifesto.registry import CHECKS, FIXERS, OPT_IN
from manifesto.source import SourceError, check_text

ALL_RULES: tuple[Fixer, ...] = (*FIXERS, *OPT_IN)
UNSAFE = EngineSettings(unsafe_fixes=True)
SECONDS_PER_FILE = 30
"""Far above what any example takes (< 1 s): only a hang or a quadratic blow-up trips it."""

_RANDOM_EXAMPLES = int(os.environ.get("MANIFESTO_FUZZ_EXAMPLES", "0"))


def _settings(examples: int) -> settings:
    return settings(
        max_examples=_RANDOM_EXAMPLES or examples,
        derandomize=not _RANDOM_EXAMPLES,
        deadline=None,  # the alarm in check_file bounds each example
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# --------------------------------------------------------------------------- checks


def _shell_script(ins: Instruction) -> str:
    """What ``/bin/sh -c`` receives: the logical line, then the heredoc bodies."""
    text = ins.args_text
    for heredoc in ins.heredocs:
        text += "\n" + heredoc.content + heredoc.terminator.content
    return text + "\n"


def _shell_runs(text: str) -> Counter[str]:
    """The script of each shell-form RUN, as many times as it is there."""
    return Counter(
        _shell_script(ins)
        for ins in parse(text).instructions
        if ins.keyword == "RUN" and not is_json(ins)
    )


def _shell_accepts(shell: str, script: str, workdir: Path) -> bool:
    path = workdir / "script.sh"
    path.write_text(script, encoding="utf-8", errors="surrogatepass")
    done = subprocess.run([shell, "-n", str(path)], capture_output=True, check=False, timeout=30)
    return done.returncode == 0


def _shells() -> tuple[str, ...]:
    return tuple(s for s in ("dash", "bash") if shutil.which(s) is not None)


def _rewritten_runs_parse(before: str, after: str, rules: str) -> list[str]:
    old, new = _shell_runs(before), _shell_runs(after)
    # counted: of two identical RUNs, one may be rewritten and the other kept
    replaced, rewritten = list(old - new), list(new - old)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for script in rewritten:
            for shell in _shells():
                if _shell_accepts(shell, script, workdir):
                    continue
                if any(not _shell_accepts(shell, o, workdir) for o in replaced):
                    continue  # rejected before the fix too (a bashism under dash)
                problems.append(f"{rules}: {shell} -n rejects a rewritten RUN:\n{script}")
    return problems


def _open_end(ins: Instruction) -> int | None:
    """Where a dangling continuation ends the file (after the last code line), if so."""
    if not ins.continues_at_end:
        return None
    code = [ln for ln, r in zip(ins.lines, ins.roles, strict=True) if r in _CODE_ROLES]
    return code[-1].content_end


_CODE_ROLES = (Role.FIRST, Role.CONTINUATION)


def _span_problems(text: str, findings: Sequence[Finding]) -> list[str]:
    tree = parse(text)
    instructions = tree.instructions
    open_at = _open_end(instructions[-1]) if instructions else None
    problems: list[str] = []
    for finding in findings:
        v, code = finding.violation, finding.rule.code
        if not any(i.start <= v.start <= v.end <= i.end for i in instructions):
            problems.append(f"{code}: finding {v.start}..{v.end} is not inside one instruction")
        for edit in v.fix.edits if v.fix else ():
            if edit.end > len(text):
                problems.append(f"{code}: edit {edit.start}..{edit.end} past the end")
            if open_at is not None and edit.start >= open_at and _starts_instruction(edit.content):
                problems.append(f"{code}: a line written after the continuation that ends the file")
            if (
                edit.start == len(text)
                and text.endswith("\r")
                and not edit.content.lstrip("\r").startswith("\n")
            ):
                problems.append(f"{code}: a line written after a lone carriage return")
    return problems


KEYWORDS = frozenset(
    {
        *("FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY"),
        *("ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL"),
        *("HEALTHCHECK", "SHELL"),
    }
)


def _starts_instruction(content: str) -> bool:
    """Whether ``content`` writes a line that starts an instruction: after a
    continuation that ends the file it would be read as words of the last one. (Text
    that goes on the last line, `` && rm ...``, only goes on with it.)"""
    return any(
        line.split()[:1] and line.split()[0].upper() in KEYWORDS for line in content.split("\n")[1:]
    )


def _line_breaks_are_crlf(text: str) -> bool:
    return "\n" in text and text.count("\n") == text.count("\r\n")


def _fix(text: str, rules: Sequence[Fixer]) -> Result:
    with time_limit(SECONDS_PER_FILE, f"no result within {SECONDS_PER_FILE} s"):
        return fix_text(text, rules, UNSAFE)


def _fix_problems(text: str, rules: Sequence[Fixer], *, shells: bool) -> list[str]:
    names = ",".join(r.INFO.code for r in rules) if len(rules) < 3 else "all rules"
    result = _fix(text, rules)
    if result.errors:
        return [f"{names}: {e}" for e in result.errors]
    out = result.output
    if out == text:
        return []
    try:
        parse(out)
    except ParseError as exc:
        return [f"{names}: the output does not parse: {exc}"]
    problems: list[str] = []
    if text.startswith("\ufeff") != out.startswith("\ufeff"):
        problems.append(f"{names}: the BOM changed")
    if _line_breaks_are_crlf(text) and not _line_breaks_are_crlf(out):
        problems.append(f"{names}: a line ending in LF written into a CRLF file")
    again = _fix(out, rules)
    if again.errors or again.output != out:
        fixed = sorted({a.rule.code for a in again.applied})
        problems.append(f"{names}: fixing twice changes the file again: {again.errors or fixed}")
    if shells:
        problems += _rewritten_runs_parse(text, out, names)
    return problems


def check_file(text: str, pick: Callable[[list[Fixer]], Fixer] | None = None) -> list[str]:
    """What is wrong with how the rules treat ``text``; [] when all is well."""
    try:
        check_text(text, "Dockerfile")
        tree = parse(text)
    except (SourceError, ParseError):
        return []  # refused with path:line:col (tested by test_hostile_*)
    with time_limit(SECONDS_PER_FILE, f"no findings within {SECONDS_PER_FILE} s"):
        try:
            findings = collect(text, tree, ALL_RULES, UNSAFE)
        except RuleCrashed as exc:
            return [f"{exc} ({exc.__cause__!r})"]
        refused = collect(text, tree, CHECKS, EngineSettings())
    problems = _span_problems(text, findings)
    if refused:
        return problems  # fix leaves a file BuildKit refuses as it is
    problems += _fix_problems(text, ALL_RULES, shells=True)
    fixable = [
        r
        for r in ALL_RULES
        if any(f.rule.code == r.INFO.code and f.violation.fix for f in findings)
    ]
    if fixable and pick is not None:
        problems += _fix_problems(text, [pick(fixable)], shells=True)
    return problems


# --------------------------------------------------------------------------- pieces

BASES = [
    "debian:12",
    "ubuntu:22.04",
    "alpine:3.19",
    "python:3.12-slim",
    "node:20",
    "golang:1.22",
    "rust:1.77",
    "maven:3-eclipse-temurin-17",
    "mcr.microsoft.com/dotnet/sdk:8.0",
    "centos:7",
    "fedora:39",
    "opensuse/leap",
    "gcc:13",
    "scratch",
    "gcr.io/distroless/base-debian12",
    "mcr.microsoft.com/windows/servercore:ltsc2022",
    "${BASE}",
    "$BASE",
    "base-$TARGETARCH",
]
COMMANDS = [
    "apt-get update && apt-get install -y curl",
    "apt-get install -y --no-install-recommends git",
    "apt-get install -y -- curl",
    "apt update && apt install -y wget",
    "rm -rf /var/lib/apt/lists/*",
    "apt-get clean",
    "apt-get purge -y --auto-remove build-essential",
    "apk add curl",
    "apk del .build-deps",
    "apk add --virtual .build-deps gcc && make",
    "yum install -y httpd",
    "yum clean all",
    "dnf install -y gcc",
    "zypper install -y vim",
    "pip install -r requirements.txt",
    "pip install flask",
    "npm install",
    "npm ci",
    "yarn install",
    "go mod download",
    "go build -o /app .",
    "CGO_ENABLED=0 go build -o /bin/x ./cmd/x",
    "cargo build --release",
    "mvn package",
    "dotnet publish -c Release -o /out",
    "make && make install",
    "wget http://example.com/a.tgz",
    "wget -O - https://example.com/x | tar xz",
    "curl -fsSLo /tmp/a.tgz https://example.com/a.tgz",
    "curl -sL https://example.com/x | bash",
    "rm /tmp/a.tgz",
    "rm -rf /tmp/*",
    "cd /src && make",
    "cd /app",
    "cd $HOME && ls",
    "set -eux; apt-get update; apt-get install -y x; rm -rf /var/lib/apt/lists/*",
    "echo $(echo $(echo $(date)))",
    "( cd /x && ( cd y && ls ) )",
    "if [ -f x ]; then echo a; else echo b; fi",
    "case $A in a) echo 1;; *) echo 2;; esac",
    "f() { echo hi; }; f",
    "for i in 1 2 3; do echo $i; done",
    "echo 'unterminated",
    'echo "unterminated',
    "echo `date`",
    "true",
    "",
    "useradd -m app",
    "chown -R app /app",
    "ls | grep x | wc -l",
    "yes | apt-get install x",
    "export A=1 && echo $A",
    "echo done > /dev/null 2>&1 &",
    "powershell -Command Get-ChildItem",
    "{ echo a; echo b; } > f",
    "! false",
    "a || b && c",
    "echo ünïcødé ✓\t",
]
COMMAND_LINES = [
    "node server.js",
    '["node", "server.js"]',
    '["node", server.js]',
    "[]",
    '["a"',
    '["sh", "-c", "nginx && node app.js"]',
    "service cron start && nginx -g 'daemon off;'",
    "supervisord",
    "redis-server & node app.js",
    "/entrypoint.sh",
    "app --port $PORT",
    "['single']",
]
OTHERS = [
    "ENV PATH /usr/local/bin:$PATH",
    "ENV A=1 B=2",
    "ENV A 1 2 3",
    "ENV A \\\n  1",
    "ENV AWS_SECRET_ACCESS_KEY=abc",
    "ARG PASSWORD=secret",
    "ARG VERSION=1.0",
    "LABEL a=b",
    "WORKDIR /app",
    "WORKDIR app",
    "WORKDIR $HOME",
    "USER app",
    "USER root",
    "USER 1000:1000",
    "USER ${UID}",
    "EXPOSE 8080",
    'VOLUME ["/data"]',
    "STOPSIGNAL SIGTERM",
    "HEALTHCHECK CMD curl -f http://localhost/",
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
    'SHELL ["powershell", "-Command"]',
    'SHELL ["cmd", "/S", "/C"]',
    "MAINTAINER Jane <j@example.com>",
    "ONBUILD RUN npm install",
    "ONBUILD COPY . /app",
    "COPY . .",
    "COPY . /app",
    "COPY * ./",
    "COPY package.json package-lock.json ./",
    "COPY requirements.txt .",
    "COPY --chown=app:app . /app",
    "ADD app.tgz /app",
    "ADD . /app",
    "ADD https://example.com/y.tgz /y",
    "COPY <<EOF /etc/conf\nline\nEOF",
    "COPY <<-EOT /x\n\tline\n\tEOT",
]
RUN_FLAGS = [
    "",
    "--mount=type=cache,target=/var/cache/apt ",
    "--mount=type=secret,id=s ",
    "--network=none ",
    "--mount=type=bind,source=.,target=/src ",
]
JOINTS = [" && ", " ; ", " && \\\n    ", " \\\n && ", "; \\\n\t", " || ", " | "]
IN_CONTINUATION = ["\\\n# a comment\n", "\\\n\n", "\\\n   # indented\n\n"]
ENDINGS = ["\n", "", " \\", " \\\n", "\\", "\n\n", "\\\n# c", "\r", "\r\r", " \\\r"]


@st.composite
def run_instruction(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    flags = draw(st.sampled_from(RUN_FLAGS))
    if kind == 0:
        body = "\n".join(draw(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=3)))
        return f"RUN {flags}<<EOF\n{body}\nEOF"
    if kind == 1:
        return f"RUN {flags}<<-'EOS' bash\n\tset -e\n\t{draw(st.sampled_from(COMMANDS))}\n\tEOS"
    if kind == 2:
        odd = ['["apt-get", "install", "-y", "curl"]', '["a", ]', '["unterminated', "[1, 2]"]
        return f"RUN {flags}{draw(st.sampled_from(odd))}"
    parts = draw(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=5))
    script = draw(st.sampled_from(JOINTS)).join(parts)
    if kind == 3:
        script = script.replace("\\\n", draw(st.sampled_from(IN_CONTINUATION)), 1)
    elif kind == 4:
        depth = draw(st.integers(1, 40))
        script = "echo " + "$(" * depth + "x" + ")" * depth + " && " + script
    elif kind == 5:
        script = "(" * draw(st.integers(1, 20)) + script + ")" * draw(st.integers(0, 20))
    return f"RUN {flags}{script}"


@st.composite
def other_instruction(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        keyword = draw(st.sampled_from(["CMD", "ENTRYPOINT", "HEALTHCHECK CMD", "ONBUILD CMD"]))
        return f"{keyword} {draw(st.sampled_from(COMMAND_LINES))}"
    if kind == 1:
        return "ONBUILD " + draw(run_instruction())
    return draw(st.sampled_from(OTHERS))


@st.composite
def stage(draw: st.DrawFn, index: int, names: list[str]) -> str:
    base = draw(st.sampled_from(BASES + names))
    platform = draw(st.sampled_from(["", "--platform=$BUILDPLATFORM "]))
    name = draw(st.sampled_from(["", f" AS s{index}", " as build", f" AS S{index}"]))
    body = draw(st.lists(st.one_of(run_instruction(), other_instruction()), max_size=8))
    if names and draw(st.booleans()):
        body.insert(0, f"COPY --from={draw(st.sampled_from(names))} /out /app")
    if name:
        names.append(name.split()[-1])
    return "\n".join([f"FROM {platform}{base}{name}", *body])


@st.composite
def dockerfile(draw: st.DrawFn) -> str:
    head: list[str] = []
    if draw(st.booleans()):
        directives = [
            "# syntax=docker/dockerfile:1",
            "# escape=`",
            "# syntax=docker/dockerfile:1.4\n# escape=`",
            "# check=skip=all",
        ]
        head.append(draw(st.sampled_from(directives)))
    head += draw(
        st.lists(st.sampled_from(["ARG BASE=debian:12", "ARG TARGETARCH", "# c", ""]), max_size=3)
    )
    names: list[str] = []
    stages = [draw(stage(i, names)) for i in range(draw(st.integers(1, 4)))]
    lines = "\n".join(head + stages).split("\n")
    for _ in range(draw(st.integers(0, 3))):
        noise = draw(st.sampled_from(["", "# note", "   ", "\t# tab", "# ünïcødé ✓"]))
        lines.insert(draw(st.integers(0, len(lines))), noise)
    text = "\n".join(lines)
    if "# escape=`" in text:
        text = text.replace("\\\n", "`\n")
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 7)) == 0:
        text = "\ufeff" + text
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("echo", "echo " + "x" * 5_000, 1)
    return text + draw(st.sampled_from(ENDINGS))


# --------------------------------------------------------------------------- mutations


def _instructions(text: str) -> tuple[Instruction, ...]:
    try:
        return parse(text).instructions
    except ParseError:
        return ()


def truncate(text: str, rnd: random.Random) -> str:
    return text[: rnd.randrange(len(text) + 1)]


def duplicate_stage(text: str, rnd: random.Random) -> str:
    instructions = _instructions(text)
    froms = [i for i in instructions if i.keyword == "FROM"]
    if not froms:
        return text
    k = rnd.randrange(len(froms))
    end = froms[k + 1].start if k + 1 < len(froms) else len(text)
    chunk = text[froms[k].start : end]
    head = text[:end] if text[:end].endswith("\n") else text[:end] + "\n"
    return head + chunk + text[end:]


def swap_instructions(text: str, rnd: random.Random) -> str:
    instructions = _instructions(text)
    if len(instructions) < 3:
        return text
    k = rnd.randrange(1, len(instructions) - 1)
    a, b = instructions[k], instructions[k + 1]
    if not text[b.start : b.end].endswith("\n"):
        return text
    return (
        text[: a.start]
        + text[b.start : b.end]
        + text[a.end : b.start]
        + text[a.start : a.end]
        + text[b.end :]
    )


def escape_at_end(text: str, rnd: random.Random) -> str:
    return text.rstrip("\r\n") + rnd.choice([" \\", "\\", " \\\n", "\\\n\n", " \\\r"])


def stray_carriage_returns(text: str, rnd: random.Random) -> str:
    if rnd.random() < 0.5:
        return text.replace("\n", "\r\n")
    lines = text.split("\n")
    k = rnd.randrange(len(lines))
    return "\n".join(line + ("\r" if i == k else "") for i, line in enumerate(lines))


def insert_piece(text: str, rnd: random.Random) -> str:
    lines = text.split("\n")
    piece = rnd.choice(
        [
            "RUN " + rnd.choice(COMMANDS),
            rnd.choice(OTHERS),
            "CMD " + rnd.choice(COMMAND_LINES),
            "FROM " + rnd.choice(["debian:12", "alpine", "build", "scratch"]),
            "COPY --from=build /a /b",
            "USER root",
            "USER app",
        ]
    )
    lines.insert(rnd.randrange(len(lines) + 1), piece)
    return "\n".join(lines)


def odd_character(text: str, rnd: random.Random) -> str:
    k = rnd.randrange(len(text) + 1)
    odd = ["é", "\u2028", "\u200b", "\t", "\ufeff", "$(", "'", '"', "`", "<<EOF\n", "\\\n"]
    return text[:k] + rnd.choice(odd) + text[k:]


MUTATIONS = (
    truncate,
    duplicate_stage,
    swap_instructions,
    escape_at_end,
    stray_carriage_returns,
    insert_piece,
    odd_character,
)


def _mutated(draw: st.DrawFn, seeds: Sequence[Path]) -> str:
    text = draw(st.sampled_from(seeds)).read_bytes().decode("utf-8", errors="replace")
    rnd = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 3))):
        text = rnd.choice(MUTATIONS)(text, rnd)
    return text


FIXTURE_SEEDS = sorted(
    [*(FIXTURES / "fixers").rglob("*.in.Dockerfile"), *(FIXTURES / "roundtrip").glob("*")]
)


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Path]) -> str:
    """A seed file with one to three mutations."""
    return _mutated(draw, seeds)


def _one_rule(data: st.DataObject) -> Callable[[list[Fixer]], Fixer]:
    return lambda fixable: data.draw(st.sampled_from(fixable), label="rule alone")


def _assert_sound(text: str, data: st.DataObject) -> None:
    problems = check_file(text, _one_rule(data))
    assert not problems, f"{text!r}\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the tests


@_settings(600)
@given(text=dockerfile(), data=st.data())
def test_generated_dockerfiles(text: str, data: st.DataObject) -> None:
    _assert_sound(text, data)


@_settings(600)
@given(text=mutated(FIXTURE_SEEDS), data=st.data())
def test_mutated_golden_fixtures(text: str, data: st.DataObject) -> None:
    _assert_sound(text, data)


CORPUS = corpus_files()


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS, reason="corpus not found")
@_settings(300)
@given(text=mutated(CORPUS), data=st.data())
def test_mutated_corpus_files(text: str, data: st.DataObject) -> None:
    _assert_sound(text, data)


def _repeat_a_run(text: str, rnd: random.Random) -> str:
    runs = [i for i in _instructions(text) if i.keyword == "RUN"]
    if not runs:
        return text
    run = rnd.choice(runs)
    chunk = text[run.start : run.end]
    chunk = chunk if chunk.endswith("\n") else f"\n{chunk}\n"
    return text[: run.end] + chunk * 1_000 + text[run.end :]


def _long_run(text: str, rnd: random.Random) -> str:
    runs = [i for i in _instructions(text) if i.keyword == "RUN"]
    if not runs:
        return text
    at = rnd.choice(runs).content_end
    piece = rnd.choice([" && rm /tmp/x", " \\\n    pkg-xxxxxxxxx", " | cat", " && cd /x"])
    return text[:at] + piece * (200_000 // len(piece)) + text[at:]


def _cli_cases(seeds: Sequence[Path], rnd: random.Random) -> Iterator[tuple[str, bytes]]:
    """(what was done, the file's bytes) for each seed, a mutation each in turn."""
    by_text: list[Callable[[str, random.Random], str]] = [
        *MUTATIONS,
        _repeat_a_run,
        _long_run,
    ]
    for k, seed in enumerate(seeds):
        raw = seed.read_bytes()
        at = rnd.randrange(len(raw) + 1)
        if k % 6 == 0:
            yield "NUL byte", raw[:at] + b"\0" + raw[at:]
        elif k % 6 == 3:
            yield (
                "invalid UTF-8",
                raw[:at] + rnd.choice([b"\xff", b"\xc3", b"\xed\xa0\x80"]) + raw[at:],
            )
        else:
            mutation = by_text[k % len(by_text)]
            text = raw.decode("utf-8", errors="replace")
            yield mutation.__name__, mutation(text, rnd).encode("utf-8", errors="surrogatepass")


def _cli(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.slow
def test_cli_over_mutated_files_never_crashes_hangs_or_fixes_twice(tmp_path: Path) -> None:
    """``fix --diff``, ``check``, ``fix`` then ``fix --diff`` again over mutated files
    (NUL bytes, invalid UTF-8, a RUN repeated 1,000 times, a 200 KB RUN, ...), each in
    a directory with a build context: exit 0, 1 or 2, never a traceback, bad input
    named as ``path:line:col``, and nothing left to fix after ``fix``."""
    rnd = random.Random(15)
    seeds = rnd.sample(CORPUS, 24) if len(CORPUS) >= 24 else FIXTURE_SEEDS[::20][:24]
    done: dict[str, str] = {}
    for k, (how, data) in enumerate(_cli_cases(seeds, rnd)):
        case = tmp_path / f"case{k:02d}"
        case.mkdir()
        (case / "Dockerfile").write_bytes(data)
        (case / "package.json").write_text('{"name": "x"}\n', encoding="utf-8")
        (case / "requirements.txt").write_text("flask\n", encoding="utf-8")
        done[case.name] = how
    common = ["--unsafe-fixes", "--select", "ALL,MF203", "-j", "1"]
    runs = [["fix", "--diff"], ["check", "-q"], ["fix", "-q"], ["fix", "--diff"]]
    located = 0
    for step, mode in enumerate(runs):
        result = _cli([*mode, *common, "."], tmp_path)
        assert result.returncode in (0, 1, 2), result.stderr[-3_000:]
        assert "Traceback" not in result.stderr, result.stderr[-3_000:]
        internal = [
            line
            for line in result.stderr.splitlines()
            if "internal error" in line or "please report" in line
        ]
        assert not internal, "\n".join(f"{done[ln.split('/')[0]]}: {ln}" for ln in internal)
        for line in result.stderr.splitlines():
            if line.startswith("case") and "/Dockerfile:" in line:
                where = line.split(": ", 1)[0].split(":")
                assert len(where) == 3 and where[1].isdigit() and where[2].isdigit(), line
                located += 1
        if step == len(runs) - 1:
            assert result.stdout.strip() == "", "fix left something to fix:\n" + result.stdout
    assert located >= 8  # the NUL bytes and invalid UTF-8 at least, named where they are


# --------------------------------------------------------------------------- regressions


def _fixed(text: str, *codes: str) -> Result:
    rules = [r for r in ALL_RULES if r.INFO.code in codes]
    assert len(rules) == len(codes)
    return _fix(text, rules)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("RUN x \\\n", True, id="escape-then-newline"),
        pytest.param("RUN x \\", True, id="escape-at-eof"),
        pytest.param("RUN x \\\n# c\n\n", True, id="comment-and-blank-after"),
        pytest.param("RUN x \\ \t\n", True, id="blanks-after-escape"),
        pytest.param("RUN x \\\n  y\n", False, id="continued"),
        pytest.param("RUN <<EOF\nx \\\nEOF", False, id="heredoc-body"),
        pytest.param("RUN x", False, id="no-escape"),
    ],
)
def test_an_instruction_knows_when_the_file_ends_inside_its_continuation(
    text: str, expected: bool
) -> None:
    assert parse("FROM a\n" + text).instructions[-1].continues_at_end is expected


def test_backtick_escape_counts_for_continues_at_end() -> None:
    assert parse("# escape=`\nFROM a\nRUN x `\n").instructions[-1].continues_at_end


def test_mf104_puts_the_flag_before_the_end_of_options() -> None:
    # after ``--`` the flag was a package name: fixed again on every pass, never settling
    for text, expected in [
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -y -- curl\n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends"
            " -- curl\n",
        ),
        (
            "FROM debian:12\nRUN apt-get update && apt-get install -- curl\n",
            "FROM debian:12\nRUN apt-get update && apt-get install --no-install-recommends"
            " -- curl\n",
        ),
    ]:
        result = _fixed(text, "MF104")
        assert result.errors == ()
        assert result.output == expected


def test_mf201_reads_lines_that_end_in_several_carriage_returns() -> None:
    # the parser strips every \r before \n; a pattern expecting one crashed the rule
    text = (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
        "RUN apt-get clean && \\\r\r\n    rm -rf /var/lib/apt/lists/*\n"
    )
    result = _fixed(text, "MF201")
    assert result.errors == ()
    assert result.output == (
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && apt-get clean"
        " && rm -rf /var/lib/apt/lists/*\n"
    )


def test_mf201_still_moves_a_cleanup_after_a_long_chain_of_its_own_run() -> None:
    # the bounded look back over the RUN's own commands keeps real chains whole
    chain = " && ".join(f"echo {i}" for i in range(100))
    download = "RUN curl -fsSLo /tmp/a.tgz https://e.com/a.tgz"
    text = f"FROM debian:12\n{download}\nRUN {chain} && rm /tmp/a.tgz\n"
    result = _fixed(text, "MF201")
    assert result.output == (f"FROM debian:12\n{download} && rm /tmp/a.tgz\nRUN {chain}\n")


@pytest.mark.parametrize(
    ("text", "codes", "expected"),
    [
        pytest.param(
            "FROM debian:12\r\nRUN set -e; apt-get update && apt-get install -y curl"
            " && curl -fsSL https://example.com/x.sh | sh",
            ("MF203",),
            "FROM debian:12\r\nRUN set -e; apt-get update && apt-get install -y curl\r\n"
            "RUN set -e; curl -fsSL https://example.com/x.sh | sh",
            id="MF203-split-of-the-last-line",
        ),
        pytest.param(
            "FROM debian:12\r\nRUN echo hi\r\nRUN curl -fsSL https://example.com/x | tar x",
            ("MF610",),
            "FROM debian:12\r\nRUN echo hi\r\n"
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\r\n'
            "RUN curl -fsSL https://example.com/x | tar x",
            id="MF610-shell-before-the-last-line",
        ),
        pytest.param(
            "FROM debian:12\r\nRUN echo hi\r\nRUN curl -fsSL https://example.com/x | tar x\r",
            ("MF610",),
            "FROM debian:12\r\nRUN echo hi\r\n"
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\r\n'
            "RUN curl -fsSL https://example.com/x | tar x\r",
            id="MF610-lone-carriage-return-is-no-newline",
        ),
    ],
)
def test_a_line_written_into_a_crlf_file_ends_in_crlf(
    text: str, codes: tuple[str, ...], expected: str
) -> None:
    result = _fixed(text, *codes)
    assert result.errors == ()
    assert result.output == expected


def test_mf501_writes_the_runtime_stage_with_carriage_returns_in_a_crlf_file() -> None:
    # lines that end in \r\r\n (the parser strips every \r) got a runtime stage in LF
    text = (
        "FROM golang:1.22-bookworm\r\r\nWORKDIR /src\r\r\nCOPY . .\r\r\n"
        'ENV CGO_ENABLED=0\r\r\nRUN go build -o /usr/local/bin/app .\r\r\nCMD ["app"]\r\r\n'
    )
    result = _fixed(text, "MF501")
    assert result.errors == ()
    assert "\r\nFROM scratch\r\n" in result.output
    assert result.output.count("\n") == result.output.count("\r\n")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci \\", "MF204", id="MF204-at-eof"
        ),
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci \\\n# c\n",
            "MF204",
            id="MF204-comment-after",
        ),
        pytest.param(
            "FROM debian:12\nWORKDIR /x\nRUN cd /src && make \\", "MF603", id="MF603-at-eof"
        ),
    ],
)
def test_nothing_is_written_after_a_continuation_that_ends_the_file(text: str, code: str) -> None:
    # the moved COPY (the restoring WORKDIR) became words of the RUN: `npm ci COPY . .`
    tree = parse(text)
    (finding,) = [f for f in collect(text, tree, ALL_RULES, UNSAFE) if f.rule.code == code]
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "ends-in-continuation"
    assert _fixed(text, code).output == text


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        pytest.param(
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\r",
            "MF204",
            "FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json* ./\n"
            "RUN npm ci\r\nCOPY . .",
            id="MF204",
        ),
        pytest.param(
            "FROM debian:12\nWORKDIR /x\nRUN cd /src && make\r",
            "MF603",
            "FROM debian:12\nWORKDIR /x\nWORKDIR /src\nRUN make\r\nWORKDIR /x",
            id="MF603",
        ),
    ],
)
def test_a_carriage_return_that_ends_the_file_is_no_line_break(
    text: str, code: str, expected: str
) -> None:
    # BuildKit cuts lines on \n only: a line written after the \r joined the RUN's
    result = _fixed(text, code)
    assert result.errors == ()
    assert result.output == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('FROM debian:12\nCMD ["app"]\nRUN true \\', id="after-a-continuation"),
        pytest.param("FROM python:3.12\nCOPY . .\r", id="after-a-lone-carriage-return"),
        pytest.param('FROM debian:12\r\nCOPY . /app\r\nCMD ["/app/run"]', id="crlf-no-final"),
    ],
)
def test_mf401_writes_nothing_after_the_end_of_the_file(text: str) -> None:
    # after `RUN true \` the new lines became words of that RUN (`true RUN groupadd ...`);
    # after a lone \r they joined the COPY's line, and the rule never settled
    result = _fixed(text, "MF401")
    assert result.errors == ()
    kept = [i.args_text for i in parse(result.output).instructions]
    assert all(i.args_text in kept for i in parse(text).instructions)


def test_mf401_writes_crlf_lines_into_a_crlf_file_that_ends_without_a_newline() -> None:
    # the new lines follow the last instruction that may need root: here it ends the file
    text = 'FROM debian:12\r\nCMD ["/app/run"]\r\nCOPY . /app'
    result = _fixed(text, "MF401")
    assert result.errors == ()
    assert result.output.startswith(text + "\r\nRUN groupadd")
    assert result.output.endswith("\r\nUSER 10001:10001")
    assert "\n" not in result.output.replace("\r\n", "")
    assert not result.output.endswith("\n")  # the file still ends without a newline


def test_mf401_after_a_trailing_continuation_says_why_it_has_no_fix() -> None:
    from manifesto.context import FixContext
    from manifesto.shell import ShellCache

    text = 'FROM debian:12\nCOPY . /app\nCMD ["app"]\nRUN true \\'
    (fixer,) = [r for r in ALL_RULES if r.INFO.code == "MF401"]
    tree = parse(text)
    (violation,) = fixer.fix(tree, FixContext(text, tree, ShellCache()))
    assert violation.fix is None
    assert violation.reason is not None and violation.reason.slug == "ends-in-continuation"
    assert "the RUN on line 4 ends the file inside a continuation" in violation.message
