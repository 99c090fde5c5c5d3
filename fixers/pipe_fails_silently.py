"""Run piped RUNs under bash with pipefail.

## What it does

Finds the first `RUN` of each stage with a pipe (`curl -fsSL URL | tar -xz`)
run without `pipefail`, in a stage whose `SHELL` is the default
`/bin/sh -c`, and inserts, on the line before it (above the comments that
belong to it), in the file's keyword case, indentation and newline:

    SHELL ["/bin/bash", "-o", "pipefail", "-c"]

Only where bash is certainly in the image: Debian, Ubuntu, RHEL and its
rebuilds (UBI, CentOS, Rocky, Alma, Oracle Linux), Fedora and Amazon Linux
bases, where bash is part of the base system. Never on Alpine or BusyBox
(no bash), distroless, chiseled or `ubi-micro` images (no shell to speak
of), nor on a base that cannot be told: there the rule reports the pipe
without a fix.

Already fine: a pipe after `set -o pipefail` in the same script, and stages
whose `SHELL` (their own, or one of a stage they are built FROM) is not the
default; such a `SHELL` without `pipefail` is reported without a fix.

## Why

A pipeline's status is the status of its last command. In
`RUN curl -fsSL https://example.com/tool.tgz | tar -xz` a failed download
(404, TLS error, timeout) gives `tar` an empty input; if `tar` is content
with that, the `RUN` succeeds and the image ships without the tool.
`pipefail` makes the pipeline fail when any part of it fails. `dash`, the
`/bin/sh` of Debian and Ubuntu, has no `pipefail` before version 0.5.12
(Debian 12 has 0.5.12, Ubuntu 22.04 0.5.11): hence bash, not `set -o
pipefail` in `sh`.

## Example

Before:

    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates
    # the release archive
    RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin

After:

    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    # the release archive
    RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin

## Fix safety

Unsafe. The `SHELL` applies to every later `RUN` of the stage, to its
shell-form `CMD`, `ENTRYPOINT` and `HEALTHCHECK`, and to the stages built
FROM it (it is part of the image's configuration). Those now run under bash
instead of `sh` (`echo -e`, `[[`, brace expansion behave differently), and
with `pipefail` a pipe that used to pass may fail on purpose:
`yes | apt-get install x` ends `yes` with SIGPIPE (status 141), which now
fails the `RUN`. A stage where a covered `RUN` (its own, or one of a stage
built FROM it) pipes from `yes` or into a reader that may stop early (`head`,
`read`, `grep -q`, `-m`, `-l`, an `awk` program with `exit` or `nextfile`,
a `sed` script with `q` or `Q`, and an `awk` or `sed` program that is not
literal: `awk -f`, `sed "$SCRIPT"`) is therefore reported without a fix
(reason `pipe-ends-early`): `curl ... | awk '/tag_name/{print $4; exit}'`
fails with curl's exit 23. So is one that pipes from `grep`, which exits 1
when nothing matches (`grep -v '^#' list | xargs ...`), a result the reader
takes in its stride, or from `xargs grep`, which then exits 123 (reason
`pipe-grep-may-match-nothing`).

## Caveats

- One `SHELL` per stage, before its first piped `RUN`: the later ones are
  covered by it; the `RUN`s before it keep `sh`. A stage built FROM a stage
  that gets the `SHELL` inherits it: its pipes are reported without a fix of
  their own.
- `ONBUILD RUN`, exec-form `RUN` and scripts that do not parse are not read.
- A pipe into a compound command (`| while read x; do ...; done`,
  `| { read x; ...; }`, `| (head -1)`) is not read as a pipe, nor is one in
  the command substitution of a bare assignment (`V=$(curl ... | awk ...)`):
  neither gets the `SHELL` for itself nor keeps it away.

## Related

hadolint DL4006 ("Set the SHELL option -o pipefail before RUN with a pipe in
it").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from manifesto.context import DEFAULT_SHELL, FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import AMAZONLINUX, DEBIAN, FEDORA, RHEL_LIKE, UBUNTU, Stage
from manifesto.cst.values import exec_args
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word, shell_options

from ._keyword_case import keyword_like

INFO = RuleInfo(
    code="MF610",
    name="pipe_fails_silently",
    title="Run piped RUNs under bash with pipefail",
    applicability=Applicability.UNSAFE,
    related=("DL4006",),
    doc=__doc__ or "",
)

BASH_PIPEFAIL = ("/bin/bash", "-o", "pipefail", "-c")
BASH_FAMILIES = frozenset({DEBIAN, UBUNTU, RHEL_LIKE, FEDORA, AMAZONLINUX})
# Images of those families that ship without bash (or without any shell).
_SHELLLESS_HINTS = ("distroless", "chiseled", "ubi-micro", "-micro", "/micro")

MESSAGE = "a pipe's failure is ignored: only its last command's status counts"
REASON_NO_BASH = "bash is not certainly in the image"
REASON_INHERITS_FIX = "the stage it is built FROM gets the SHELL"
REASON_OTHER_SHELL = "the stage's SHELL is not /bin/sh"
REASON_ENDS_EARLY = "a pipe of the stage ends early on purpose"
REASON_GREP_WRITER = "a pipe of the stage reads grep, which fails when nothing matches"
# Pipes that succeed today only because a side's failure is ignored: `yes` is killed
# by SIGPIPE when its reader is done (bash -o pipefail then fails the RUN with 141),
# and a reader that stops early (`head`, `grep -q`) does the same to any writer.
_ENDLESS_WRITERS = frozenset({"yes"})
_MATCHING_WRITERS = frozenset({"grep", "egrep", "fgrep", "zgrep"})
"""grep exits 1 when nothing matches (`grep -v '^#' list | xargs ...` on a list of
comments alone): the reader is fine with no input, pipefail would fail the RUN."""
_EARLY_READERS = frozenset({"head", "read"})
"""``| read x`` reads one line."""
_GREP_READERS = frozenset({"grep", "egrep", "fgrep", "zgrep"})


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    given: set[int] = set()
    """The stages this pass gives the SHELL: the stages built FROM them inherit it."""
    for stage in ctx.stages:
        inherited = _inherited_shell(ctx, stage)
        if inherited is not None and (shell_options(inherited) or (False, False))[1]:
            continue  # built FROM a stage whose SHELL sets pipefail already
        found = _first_silent_pipe(ctx, stage)
        if found is None:
            continue
        if any(s.index in given for s in ctx.ancestors(stage)):
            yield _report(*found, REASON_INHERITS_FIX)
            continue
        violation = _assess(ctx, stage, *found)
        if violation.fix is not None:
            given.add(stage.index)
        yield violation


def _first_silent_pipe(ctx: FixContext, stage: Stage) -> tuple[Instruction, Command] | None:
    for ins in stage.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            continue
        pipe = _silent_pipe(script)
        if pipe is not None:
            return ins, pipe
    return None


def _silent_pipe(script: ShellScript) -> Command | None:
    """The first command that reads a pipe while ``pipefail`` is off."""
    for command in script.commands:
        if command.operator_before in ("|", "|&") and not command.pipefail:
            return command
    return None


def _assess(ctx: FixContext, stage: Stage, ins: Instruction, pipe: Command) -> Violation:
    if ctx.shell_argv(ins) != DEFAULT_SHELL or _inherited_shell(ctx, stage) is not None:
        return _report(ins, pipe, REASON_OTHER_SHELL)
    if not _has_bash(ctx, ins):
        return _report(ins, pipe, REASON_NO_BASH)
    early = _early_ending_pipe(ctx, stage, ins)
    if early is not None:
        command, why = early
        return _report(ins, pipe, f"{why} (`{command.text}` on line {_line(ctx, command)})")
    comments = ctx.tree.comments_before(ins)
    at = comments[0].start if comments else ins.start
    first_line = ins.lines[0]
    indent = first_line.content[: len(first_line.content) - len(first_line.content.lstrip())]
    # a RUN that ends the file has no newline of its own: the file's (a CRLF file stays CRLF)
    newline = ctx.tree.line_break(ins)
    keyword = keyword_like(ctx, ins, "SHELL")
    line = f"{indent}{keyword} {json.dumps(list(BASH_PIPEFAIL))}{newline}"
    return Violation(
        INFO.code,
        f"{MESSAGE}; run the stage's RUNs under bash with pipefail",
        pipe.start,
        pipe.end,
        Fix(
            f"Insert SHELL {json.dumps(list(BASH_PIPEFAIL))} before line {ins.start_line}",
            (Edit.insert(at, line),),
            Applicability.UNSAFE,
        ),
    )


def _early_ending_pipe(
    ctx: FixContext, stage: Stage, first: Instruction
) -> tuple[Command, str] | None:
    """A pipe in a RUN the SHELL would cover (from ``first`` on, and every RUN of the
    stages built FROM the stage, which inherit the SHELL) that pipefail would turn into
    a failure: ``yes | ...``, ``... | head``, ``... | grep -q``, ``grep x | ...``."""
    heirs = [s for s in ctx.stages if s is not stage and stage in ctx.ancestors(s)]
    covered = False
    for ins in (*stage.instructions, *(i for s in heirs for i in s.instructions)):
        covered = covered or ins is first
        if not covered or ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None:
            continue
        commands = script.commands
        for i, command in enumerate(commands):
            if command.operator_before not in ("|", "|&") or i == 0:
                continue
            writer = commands[i - 1]
            if writer.program in _ENDLESS_WRITERS:
                return writer, REASON_ENDS_EARLY
            if _run_through_xargs(writer)[0] in _MATCHING_WRITERS:
                return writer, REASON_GREP_WRITER
            if _stops_reading_early(command):
                return command, REASON_ENDS_EARLY
    return None


def _run_through_xargs(command: Command) -> tuple[str | None, tuple[Word, ...]]:
    """The program a command runs and its arguments, the one ``xargs`` runs for it
    when it is ``xargs``: ``xargs -0 grep -l x`` exits 123 when grep matches nothing,
    a failure like grep's own (None: a program that is not a literal)."""
    if command.program != "xargs":
        return command.program, command.effective_args
    args = command.effective_args
    i = _after_xargs_options(args)
    if i >= len(args):
        return "echo", ()  # xargs without a command runs echo
    name = args[i].value
    return (None if name is None else name.rsplit("/", 1)[-1]), args[i + 1 :]


# GNU and BusyBox xargs: the options whose value may be the next word, and those
# (-e, -i, -l) whose optional value can only be attached.
_XARGS_SHORT_WITH_VALUE = frozenset("adEILnPs")
_XARGS_SHORT_ATTACHED_VALUE = frozenset("eil")
_XARGS_LONG_WITH_VALUE = frozenset(
    {"arg-file", "delimiter", "max-args", "max-procs", "max-chars", "process-slot-var"}
)


def _after_xargs_options(args: tuple[Word, ...]) -> int:
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None or value == "-" or not value.startswith("-"):
            return i
        i += 1
        if value == "--":
            return i
        if value.startswith("--"):
            if "=" not in value and value[2:] in _XARGS_LONG_WITH_VALUE:
                i += 1
            continue
        for j, letter in enumerate(value[1:], start=2):
            if letter in _XARGS_SHORT_ATTACHED_VALUE:
                break
            if letter in _XARGS_SHORT_WITH_VALUE:
                i += 0 if value[j:] else 1
                break
    return i


def _stops_reading_early(reader: Command) -> bool:
    """The reader of a pipe may exit before its writer is done writing, which then
    dies of SIGPIPE (or, like curl, fails to write: exit 23)."""
    program = reader.program
    args = reader.effective_args
    if program in _EARLY_READERS:
        return True
    if program in _GREP_READERS:
        return _grep_stops_at_a_match(args)
    if program in _AWK_READERS:
        return _awk_may_exit(args, ends_pipe=reader.operator_after not in ("|", "|&"))
    if program in _SED_READERS:
        return _sed_may_quit(args)
    return False


# grep -q, -m N, -l and -L stop reading at the first match (-m: at the Nth): GNU grep's
# manual, "Scanning each input file stops upon first match" (-l).
_GREP_STOPPING_LETTERS = frozenset("qmlL")
_GREP_STOPPING_LONG = frozenset(
    {"quiet", "silent", "max-count", "files-with-matches", "files-without-match"}
)
_GREP_SHORT_WITH_VALUE = frozenset("efmABCdD")
_GREP_LONG_WITH_VALUE = frozenset(
    {
        "regexp",
        "file",
        "after-context",
        "before-context",
        "context",
        "label",
        "devices",
        "directories",
        "binary-files",
        "include",
        "exclude",
        "exclude-from",
        "exclude-dir",
        "group-separator",
    }
)


def _grep_stops_at_a_match(args: tuple[Word, ...]) -> bool:
    i = 0
    while i < len(args):
        value = args[i].value or ""
        i += 1
        if value == "--":
            return False
        if value.startswith("--"):
            name, equals, _ = value[2:].partition("=")
            if name in _GREP_STOPPING_LONG:
                return True
            if not equals and name in _GREP_LONG_WITH_VALUE:
                i += 1  # the pattern or file after -e/-f is not an option
        elif value.startswith("-"):
            for j, letter in enumerate(value[1:], start=2):
                if letter in _GREP_STOPPING_LETTERS:
                    return True
                if letter in _GREP_SHORT_WITH_VALUE:
                    i += 0 if value[j:] else 1
                    break
    return False


_AWK_READERS = frozenset({"awk", "gawk", "mawk", "nawk"})
_AWK_LONG_WITH_VALUE = frozenset({"--field-separator", "--assign", "--include", "--load"})
_AWK_STOPS = re.compile(r"\b(?:exit|nextfile)\b")
_AWK_STOPS_AS_SUCCESS = re.compile(r"\bnextfile\b|\bexit\b(?!\s*[1-9])")
"""``exit 1`` ending a pipe fails the RUN with or without pipefail: only an exit that
may succeed (``exit``, ``exit 0``, ``exit code``) hides the writer's SIGPIPE."""
_AWK_STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def _awk_may_exit(args: tuple[Word, ...], *, ends_pipe: bool) -> bool:
    """``awk '/tag_name/{print $4; exit}'``: the program stops at its first match. A
    program that is not literal (``awk "$PROG"``, ``awk -f prog.awk``) may too."""
    programs: list[str | None] = []
    from_file = False
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None or value == "-" or not value.startswith("-"):
            break
        i += 1
        if value == "--":
            break
        if value.startswith("--"):
            name, equals, attached = value.partition("=")
            takes_next = not equals
            if name in ("--file", "--exec"):
                from_file = True
            elif name == "--source":
                programs.append(attached if equals else _value(args, i))
            else:
                takes_next = takes_next and name in _AWK_LONG_WITH_VALUE
        else:
            letter, rest = value[1], value[2:]
            takes_next = not rest
            if letter in "fE":
                from_file = True
            elif letter == "e":
                programs.append(rest or _value(args, i))
            else:
                takes_next = takes_next and letter in "FvWil"
        i += 1 if takes_next else 0
    if not programs and not from_file:
        programs.append(_value(args, i))
    if from_file or None in programs:
        return True
    stops = _AWK_STOPS_AS_SUCCESS if ends_pipe else _AWK_STOPS
    return any(stops.search(_AWK_STRING.sub('""', p or "")) for p in programs)


def _value(args: tuple[Word, ...], i: int) -> str | None:
    return args[i].value if i < len(args) else None


_SED_READERS = frozenset({"sed", "gsed"})


def _sed_may_quit(args: tuple[Word, ...]) -> bool:
    """``sed -n '1p;q'``, ``sed '/x/q'``: the script quits before the end of its input.
    A script that is not literal (``sed "$S"``, ``sed -f script.sed``) may too."""
    scripts: list[str | None] = []
    explicit = False
    """-e or -f given: the first operand is a file, not the script."""
    from_file = False
    operands: list[str | None] = []
    i = 0
    while i < len(args):
        value = args[i].value
        i += 1
        if value is None or value == "-" or not value.startswith("-"):
            operands.append(value)
        elif value == "--":
            operands.extend(a.value for a in args[i:])
            break
        elif value.startswith("--"):
            name, equals, attached = value[2:].partition("=")
            if name == "expression":
                scripts.append(attached if equals else _value(args, i))
            from_file = from_file or name == "file"
            explicit = explicit or name in ("expression", "file")
            if not equals and name in ("expression", "file", "line-length"):
                i += 1
        else:
            for j, letter in enumerate(value[1:], start=2):
                rest = value[j:]
                if letter == "e":
                    scripts.append(rest or _value(args, i))
                elif letter == "f":
                    from_file = True
                if letter in "efl":
                    explicit = explicit or letter != "l"
                    i += 0 if rest else 1
                    break
                if letter == "i":
                    break  # -i.bak: the rest is the backup suffix
    if not explicit and operands:
        scripts.append(operands[0])
    if from_file or None in scripts:
        return True
    return any(_sed_script_quits(s or "") for s in scripts)


def _line(ctx: FixContext, command: Command) -> int:
    return ctx.tree.position(command.start)[0]


def _report(ins: Instruction, pipe: Command, reason: str) -> Violation:
    return Violation(
        INFO.code, f"{MESSAGE} (no fix: {reason})", pipe.start, pipe.end, reason=no_fix(reason)
    )


def _inherited_shell(ctx: FixContext, stage: Stage) -> tuple[str, ...] | None:
    """The SHELL a stage starts with when it is built FROM an earlier stage that set
    one (None: the default)."""
    for earlier in reversed(ctx.ancestors(stage)[:-1]):
        for ins in reversed(earlier.instructions):
            if ins.keyword == "SHELL":
                return exec_args(ins) or ()
    return None


def _has_bash(ctx: FixContext, ins: Instruction) -> bool:
    base = ctx.base_of(ins)
    if base.unknown or base.family not in BASH_FAMILIES:
        return False
    reference = (base.reference or "").lower()
    return not any(hint in reference for hint in _SHELLLESS_HINTS)


# sed commands: those that take no text (l, L take an optional count), those whose
# argument runs to the end of the line, those that take a label.
_SED_PLAIN = frozenset("=dDgGhHlLnNpPxzF")
_SED_TO_LINE_END = frozenset("aicrRwWe")
_SED_LABELLED = frozenset("btTv:")
_SED_ADDRESS_FLAGS = frozenset("IM")
_SED_S_FLAGS = frozenset("gpiImMe0123456789")


def _sed_script_quits(script: str) -> bool:
    """A ``q`` or ``Q`` command in a sed script; a script this reader does not
    understand may quit too."""
    scan = _SedScan(script)
    try:
        while scan.more():
            if scan.peek() in " \t\n;{}!":
                scan.i += 1
            elif scan.peek() == "#":
                scan.to_line_end()
            else:
                scan.address()
                if scan.peek() == ",":
                    scan.i += 1
                    scan.address()
                scan.skip(" \t!")
                if scan.command():
                    return True
    except _SedNotUnderstood:
        return True
    return False


class _SedNotUnderstood(Exception):
    pass


class _SedScan:
    """A cursor over a sed script (GNU syntax)."""

    __slots__ = ("i", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def more(self) -> bool:
        return self.i < len(self.text)

    def peek(self) -> str:
        return self.text[self.i] if self.more() else ""

    def skip(self, chars: str) -> None:
        while self.more() and self.peek() in chars:
            self.i += 1

    def to_line_end(self) -> None:
        """Past a text argument: to the end of the line, continued by a backslash."""
        while self.more() and self.peek() != "\n":
            self.i += 2 if self.peek() == "\\" else 1

    def delimited(self, delimiter: str) -> None:
        """Past a regex or replacement and its closing delimiter."""
        while self.peek() != delimiter:
            if not self.more():
                raise _SedNotUnderstood
            self.i += 2 if self.peek() == "\\" else 1
        self.i += 1

    def address(self) -> None:
        """Past an address: ``12``, ``$``, ``/re/I``, ``\\%re%``, ``first~step``,
        ``+N`` and ``~N`` (the second address of a range)."""
        char = self.peek()
        if char in ("/", "\\"):
            if char == "\\":
                self.i += 1
            delimiter = self.peek()
            self.i += 1
            self.delimited(delimiter)
            self.skip("".join(_SED_ADDRESS_FLAGS))
        elif char == "$":
            self.i += 1
        else:
            self.skip("+~")
            self.skip("0123456789")
            if self.peek() == "~":
                self.i += 1
                self.skip("0123456789")
        self.skip(" \t")

    def command(self) -> bool:
        """Past one command; True when it is ``q`` or ``Q``."""
        char = self.peek()
        self.i += 1
        if char in "qQ":
            return True
        if char in "sy":
            delimiter = self.peek()
            if delimiter in ("", "\n", "\\"):
                raise _SedNotUnderstood
            self.i += 1
            self.delimited(delimiter)
            self.delimited(delimiter)
            if char == "s":
                self.skip("".join(_SED_S_FLAGS))
                if self.peek() == "w":
                    self.to_line_end()
        elif char in _SED_PLAIN:
            self.skip("0123456789")
        elif char in _SED_TO_LINE_END:
            self.to_line_end()
        elif char in _SED_LABELLED:
            while self.more() and self.peek() not in ";\n":
                self.i += 1
        elif char not in ("}", ""):
            raise _SedNotUnderstood
        return False
