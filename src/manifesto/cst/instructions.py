"""What BuildKit's instruction layer refuses after its parser has accepted the file.

BuildKit reads a Dockerfile twice. Its parser (which :mod:`manifesto.cst.parser`
mirrors) cuts lines into instructions and accepts any keyword; its instruction
layer (``frontend/dockerfile/instructions``: ``parse.go``, ``bflag.go`` and the
``RUN`` flag hooks) then turns each one into a command and fails the build on
the first it cannot: an unknown keyword, missing arguments, a flag the keyword
does not take, a stage before any ``FROM``. A RUN that lost one continuation
backslash leaves its next line as an "instruction" of its own, so the parser is
happy and the build is not.

:func:`problems` finds those, one per instruction (BuildKit stops at the first of
each), with the file span to point at. The flag sets are the union over
BuildKit's releases and its ``labs`` channel: a flag any current frontend
accepts is never reported, so a file is flagged only when no frontend builds it.
Values BuildKit resolves later (mount fields, ports, ``--platform``) are not
judged here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from manifesto.cst.nodes import Dockerfile, Flag, Instruction, Span
from manifesto.cst.values import args_value, buildkit_value
from manifesto.cst.words import heredocs_in_line


class _Kind(enum.Enum):
    """bflag.go's flag types: what a value must look like, whether it may repeat."""

    BOOL = "bool"
    STRING = "string"
    STRINGS = "strings"
    """May be given more than once (``--mount``, ``--exclude``)."""


_COPY_FLAGS = {
    "chown": _Kind.STRING,
    "chmod": _Kind.STRING,
    "link": _Kind.BOOL,
    "exclude": _Kind.STRINGS,
}

FLAGS: dict[str, dict[str, _Kind]] = {
    "ADD": {
        **_COPY_FLAGS,
        "keep-git-dir": _Kind.BOOL,
        "checksum": _Kind.STRING,
        "unpack": _Kind.BOOL,
    },
    "COPY": {**_COPY_FLAGS, "from": _Kind.STRING, "parents": _Kind.BOOL},
    "FROM": {"platform": _Kind.STRING},
    "RUN": {
        "mount": _Kind.STRINGS,
        "network": _Kind.STRING,
        "security": _Kind.STRING,
        "device": _Kind.STRINGS,
    },
    "HEALTHCHECK": {
        "interval": _Kind.STRING,
        "timeout": _Kind.STRING,
        "start-period": _Kind.STRING,
        "start-interval": _Kind.STRING,
        "retries": _Kind.STRING,
    },
}
"""The flags each keyword takes; a keyword not listed takes none."""

KEYWORDS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)

_FLAGS_NOT_READ = frozenset({"STOPSIGNAL"})
"""parseStopSignal never parses its flags: whatever is there is accepted."""

_NETWORKS = frozenset({"default", "none", "host"})
_SECURITY = frozenset({"sandbox", "insecure"})
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*")
# Go's time.ParseDuration: one or more decimal numbers, each with a unit.
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_NANOS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MILLISECOND = 1_000_000


@dataclass(frozen=True, slots=True)
class InstructionProblem:
    """Why BuildKit refuses an instruction, and where to point."""

    instruction: Instruction
    span: Span
    message: str


_DOCKERFILE_FRONTEND = re.compile(
    r"(?:(?:registry-1\.)?docker\.io/)?docker/dockerfile(?:-upstream)?(?:[:@].*)?", re.IGNORECASE
)


def other_frontend(tree: Dockerfile) -> bool:
    """A ``# syntax=`` directive names a frontend other than Docker's own (say one
    that adds an ``INCLUDE`` instruction): its instruction set is not ours to judge."""
    syntax = tree.directive("syntax")
    return syntax is not None and not _DOCKERFILE_FRONTEND.fullmatch(syntax.value.strip())


def problems(tree: Dockerfile) -> tuple[InstructionProblem, ...]:
    """Every instruction BuildKit's instruction layer refuses, in file order; none
    when another frontend reads the file (:func:`other_frontend`)."""
    if other_frontend(tree):
        return ()
    out: list[InstructionProblem] = []
    previous: Instruction | None = None
    seen_from = False
    for ins in tree.instructions:
        found = _problem(ins, previous)
        if found is None and not seen_from and ins.keyword not in ("ARG", "FROM"):
            found = InstructionProblem(
                ins,
                ins.keyword_span,
                f"{ins.keyword} before the first FROM: only ARG may come before a build "
                "stage starts",
            )
        seen_from = seen_from or ins.keyword == "FROM"
        if found is not None:
            out.append(found)
        previous = ins
    if not seen_from and tree.instructions and not out:
        first = tree.instructions[0]
        out.append(
            InstructionProblem(first, first.keyword_span, "no FROM: the file has no stage to build")
        )
    return tuple(out)


def _problem(ins: Instruction, previous: Instruction | None) -> InstructionProblem | None:
    keyword = ins.keyword
    if keyword not in KEYWORDS:
        return InstructionProblem(ins, ins.keyword_span, _unknown(ins, previous))
    whole = ins.keyword_span
    message = _arguments_problem(ins)
    if message is not None:
        return InstructionProblem(ins, whole, message)
    if keyword in _FLAGS_NOT_READ or (keyword == "HEALTHCHECK" and _healthcheck_none(ins)):
        return None
    found = _flag_problem(ins)
    return InstructionProblem(ins, found[0].span, found[1]) if found is not None else None


# --------------------------------------------------------------------------- keywords


def _unknown(ins: Instruction, previous: Instruction | None) -> str:
    message = f'unknown instruction "{ins.keyword}"'
    if _looks_cut_off(ins, previous):
        return message + " (a continuation backslash missing on the line before?)"
    import difflib  # here: only a mistake needs it, and it costs start-up time

    close = difflib.get_close_matches(ins.keyword, sorted(KEYWORDS), n=1, cutoff=0.75)
    if close:
        return message + f' (did you mean "{close[0]}"?)'
    return message


def _looks_cut_off(ins: Instruction, previous: Instruction | None) -> bool:
    """The line reads as the rest of the instruction above: that instruction is a real
    one ending on the line just before, and this one is indented or starts like a
    shell operator (``&&``)."""
    if previous is None or previous.keyword not in KEYWORDS:
        return False
    if previous.end_line + 1 != ins.start_line:
        return False
    first = ins.lines[0].content
    indented = first[:1] in (" ", "\t")
    return indented or not re.match(r"[A-Za-z]", ins.keyword)


# --------------------------------------------------------------------------- arguments


def _arguments_problem(ins: Instruction) -> str | None:
    keyword = ins.keyword
    if keyword == "ONBUILD":
        return _onbuild_problem(ins)
    values, json_form = buildkit_value(ins)
    checker = _ARGUMENT_CHECKS.get(keyword)
    return checker(keyword, values, json_form) if checker is not None else None


def _onbuild_problem(ins: Instruction) -> str | None:
    child = ins.child
    if child is None:
        return "ONBUILD requires at least one argument: the instruction to run in child images"
    if child.keyword == "ONBUILD":
        return "ONBUILD ONBUILD: chaining ONBUILD is not allowed"
    if child.keyword in ("FROM", "MAINTAINER"):
        return f"ONBUILD {child.keyword}: {child.keyword} is not allowed as an ONBUILD trigger"
    return None


def _from(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if not values:
        return "FROM without an image: FROM needs an image (and optionally AS <name>)"
    if len(values) == 3 and values[1].lower() == "as":
        if not _STAGE_NAME.fullmatch(values[2].lower()):
            return (
                f'invalid stage name "{values[2]}": a stage name starts with a letter and '
                "has only letters, digits, -, _ and ."
            )
        return None
    if len(values) != 1:
        return f"FROM takes an image and optionally AS <name>, not {len(values)} words"
    return None


def _sources_and_destination(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if len(values) < 2:
        return f"{keyword} needs a source and a destination"
    if heredocs_in_line(values[-1]):
        return f"{keyword} cannot take a heredoc as its destination"
    return None


def _pairs(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if not values:
        return f"{keyword} requires at least one argument: name=value"
    if any(values[i] == "" for i in range(0, len(values), 2)):
        return f"{keyword} with a blank name: name=value"
    return None


def _exactly_one(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    return None if len(values) == 1 else f"{keyword} requires exactly one argument"


def _at_least_one(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    return None if values else f"{keyword} requires at least one argument"


def _arg(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if not values:
        return "ARG requires at least one argument: a name, or name=default"
    if any(v.startswith("=") for v in values):
        return "ARG with a blank name: name or name=default"
    return None


def _volume(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if not values:
        return "VOLUME requires at least one argument"
    if any(not v.strip() for v in values):
        return "VOLUME with an empty path"
    return None


def _shell(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if not json_form:
        return 'SHELL needs a JSON array: SHELL ["/bin/sh", "-c"]'
    if not values:
        return "SHELL requires at least one argument"
    return None


def _healthcheck(keyword: str, values: tuple[str, ...], json_form: bool) -> str | None:
    if not values:
        return "HEALTHCHECK requires at least one argument: CMD <command> or NONE"
    kind = values[0].upper()
    if kind == "NONE":
        return None if len(values) == 1 else "HEALTHCHECK NONE takes no arguments"
    if kind != "CMD":
        return f'HEALTHCHECK type "{values[0]}" is unknown: CMD or NONE'
    return None if len(values) > 1 else "HEALTHCHECK CMD needs a command"


_ARGUMENT_CHECKS = {
    "FROM": _from,
    "ADD": _sources_and_destination,
    "COPY": _sources_and_destination,
    "ENV": _pairs,
    "LABEL": _pairs,
    "MAINTAINER": _exactly_one,
    "WORKDIR": _exactly_one,
    "USER": _exactly_one,
    "STOPSIGNAL": _exactly_one,
    "EXPOSE": _at_least_one,
    "ARG": _arg,
    "VOLUME": _volume,
    "SHELL": _shell,
    "HEALTHCHECK": _healthcheck,
}


def _healthcheck_none(ins: Instruction) -> bool:
    values, _ = args_value("HEALTHCHECK", ins.args_text, ins.escape)
    return bool(values) and values[0].upper() == "NONE"


# --------------------------------------------------------------------------- flags


def _flag_problem(ins: Instruction) -> tuple[Flag, str] | None:
    """bflag.go's Parse (the first flag it stops at), then the checks on values
    BuildKit makes before expansion."""
    keyword = ins.keyword
    known = FLAGS.get(keyword, {})
    used: set[str] = set()
    for flag in ins.flags:
        if flag.raw == "--":
            return None
        name = flag.name
        kind = known.get(name)
        if kind is None:
            return flag, _unknown_flag(keyword, name, known)
        if name in used and kind is not _Kind.STRINGS:
            return flag, f"{keyword} --{name} is given twice"
        used.add(name)
        message = _flag_value_problem(keyword, name, kind, flag.value)
        if message is not None:
            return flag, message
    return None


def _unknown_flag(keyword: str, name: str, known: dict[str, _Kind]) -> str:
    if not known:
        return f"{keyword} takes no flags, not --{name}"
    taken = ", ".join(f"--{n}" for n in known)
    return f"{keyword} does not take --{name} (it takes {taken})"


def _flag_value_problem(keyword: str, name: str, kind: _Kind, value: str | None) -> str | None:
    if kind is _Kind.BOOL:
        if value is None or value.lower() in ("true", "false"):
            return None
        if not value:
            return f"--{name}= needs a value: true or false"
        return f'--{name} takes true or false, not "{value}"'
    if value is None:
        return f"--{name} needs a value: --{name}=<value>"
    if "$" in value:
        return None  # expanded later, against build arguments we do not know
    if keyword == "RUN" and name == "network" and value not in _NETWORKS:
        return f'--network="{value}" is not a network mode: default, none or host'
    if keyword == "RUN" and name == "security" and value not in _SECURITY:
        return f'--security="{value}" is not valid: sandbox or insecure'
    if keyword == "HEALTHCHECK":
        return _healthcheck_value_problem(name, value)
    return None


def _healthcheck_value_problem(name: str, value: str) -> str | None:
    if value == "":
        return None  # an empty value means the default
    if name == "retries":
        if not re.fullmatch(r"[+-]?\d+", value) or not -(2**31) <= int(value) < 2**31:
            return f'--retries="{value}" is not a whole number'
        if int(value) < 0:
            return f"--retries={value} cannot be negative"
        return None
    nanos = _duration(value)
    if nanos is None:
        return f'--{name}="{value}" is not a duration (e.g. 30s, 1m30s)'
    if nanos != 0 and nanos < _MILLISECOND:
        return f"--{name}={value} is less than the minimum, 1ms"
    return None


def _duration(text: str) -> float | None:
    """Go's time.ParseDuration in nanoseconds (sign kept); None when it is not one."""
    sign = 1
    if text[:1] in ("+", "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        return None
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            return None
        total += float(match.group(1)) * _NANOS[match.group(2)]
        pos = match.end()
    return sign * total


__all__ = ["FLAGS", "KEYWORDS", "InstructionProblem", "other_frontend", "problems"]
