"""Write CMD and ENTRYPOINT in exec form (a JSON array).

## What it does

Finds `CMD` and `ENTRYPOINT` written in shell form (`CMD node server.js`)
and, when the command uses no shell feature at all, rewrites it as the JSON
array the shell would have run: `CMD ["node", "server.js"]`.

"No shell feature" is proven word by word: every word is plain text
(letters, digits and `_ @ % + = : , . / -`), or quoted text that means the
same in JSON (single quotes around anything but a quote; double quotes around
no `$`, backquote or backslash). Anything else (a variable, `&&`, `||`,
`;`, a pipe, a redirect, a glob, `~`, a backslash, a subshell, a leading
`NAME=value`) needs the shell, and the rule reports the command without a
fix. So does a command whose program is a shell builtin or keyword (`cd`,
`exec`, `source`, `echo`, `export`, `if`): in exec form there is no
shell to run it, or a program of the same name that behaves differently
(`/bin/echo` and dash's `echo` treat `\\n` differently).

## Why

Shell form runs `/bin/sh -c "<command>"`. When the shell does not replace
itself with the command (any `&&`, pipe or list; some shells always), the
shell is the container's PID 1: `docker stop` sends SIGTERM to the shell,
which does not pass it on, so the application never hears it, cannot shut down
cleanly, and is killed with SIGKILL after the grace period (10 s). Ctrl-C does
not reach it either. In exec form the program is PID 1 and gets every signal.
A shell-form `ENTRYPOINT` also ignores `CMD` and the arguments of
`docker run`.

## Example

Before:

    FROM python:3.12-slim
    CMD gunicorn --bind 0.0.0.0:8000 app:wsgi

After:

    FROM python:3.12-slim
    CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:wsgi"]

## Fix safety

Safe for a `CMD` whose words are proven plain, in a stage whose `SHELL` is
the default, when nothing gives the image an `ENTRYPOINT`: none in the file
for the stage (or a stage it is built FROM), and a base image known to set none
(`scratch`, the distribution images such as `debian`, `ubuntu`,
`alpine`, `fedora`, UBI, and the `python`, `golang`, `rust`,
`ruby`, `perl` and `openjdk` images). The program is then looked up
exactly as the shell looked it up: a name with a `/` is that file, a bare
name is searched on the image's `PATH`, and the shell in the image would
have found the same file.

Unsafe otherwise:

- With an `ENTRYPOINT` (in the file, or possibly in the base image:
  `nginx`, `postgres`, `node`), `CMD` is the entrypoint's arguments:
  `/bin/sh -c "<command>"` before, the words after. Entrypoint scripts that
  test their first argument (nginx's and postgres's run their set-up only when
  it is `nginx`/`postgres`) then do what they did not do before.
- A shell-form `ENTRYPOINT` ignores `CMD` and the arguments of `docker
  run`; in exec form both are appended to it.

No fix (a finding only) for a stage whose `SHELL` is not `/bin/sh -c`
(the command ran under that shell), for Windows stages, for an instruction
with comment lines inside its continuation, and for commands that use the
shell (see above): those need a person to decide between `exec` in the
shell, an entrypoint script, or an exec-form array.

## Caveats

- `ONBUILD CMD` and `HEALTHCHECK CMD` are not read.
- The exec form is written on one line, in place of the shell-form words and
  their continuation lines.

## Related

hadolint DL3025 ("Use arguments JSON notation for CMD and ENTRYPOINT
arguments"); BuildKit check JSONArgsRecommended.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import DEFAULT_SHELL, FixContext
from manifesto.cst import Dockerfile, Instruction, Role
from manifesto.cst.values import is_json
from manifesto.cst.words import parse_json_array
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.images import ImageRef, parse_image
from manifesto.reasons import no_fix

INFO = RuleInfo(
    code="MF601",
    name="shell_form_command",
    title="Write CMD and ENTRYPOINT in exec form (a JSON array)",
    applicability=Applicability.SAFE,
    related=("DL3025", "buildkit:JSONArgsRecommended"),
    doc=__doc__ or "",
)

_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_SINGLE_QUOTED = re.compile(r"'[^']*'")
_DOUBLE_QUOTED = re.compile(r'"[^"$`\\]*"')
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")

# What dash, bash, ash and zsh run themselves rather than as a program on PATH:
# reserved words, special builtins and regular builtins. A program of the same
# name may exist (/bin/echo, /bin/kill) but need not, and need not behave the same.
_SHELL_ONLY = frozenset(
    {
        "!",
        "{",
        "}",
        "[",
        "[[",
        "]]",
        ".",
        ":",
        "alias",
        "bg",
        "bind",
        "break",
        "builtin",
        "caller",
        "case",
        "cd",
        "command",
        "compgen",
        "complete",
        "continue",
        "declare",
        "dirs",
        "disown",
        "do",
        "done",
        "echo",
        "elif",
        "else",
        "enable",
        "esac",
        "eval",
        "exec",
        "exit",
        "export",
        "false",
        "fc",
        "fg",
        "fi",
        "for",
        "function",
        "getopts",
        "hash",
        "help",
        "history",
        "if",
        "in",
        "jobs",
        "kill",
        "let",
        "local",
        "logout",
        "mapfile",
        "popd",
        "printf",
        "pushd",
        "pwd",
        "read",
        "readarray",
        "readonly",
        "return",
        "select",
        "set",
        "shift",
        "shopt",
        "source",
        "suspend",
        "test",
        "then",
        "time",
        "times",
        "trap",
        "true",
        "type",
        "typeset",
        "ulimit",
        "umask",
        "unalias",
        "unset",
        "until",
        "wait",
        "while",
    }
)

# Images that set no ENTRYPOINT of their own (Docker Hub official images and
# Red Hat's UBI): a CMD on them is the whole command line.
_NO_ENTRYPOINT_IMAGES = frozenset(
    {
        "almalinux",
        "alpine",
        "amazonlinux",
        "busybox",
        "centos",
        "debian",
        "fedora",
        "golang",
        "openjdk",
        "oraclelinux",
        "perl",
        "python",
        "rockylinux",
        "ruby",
        "rust",
        "ubuntu",
    }
)
_RED_HAT_REGISTRIES = frozenset({"registry.access.redhat.com", "registry.redhat.io"})
_UBI_PATH = re.compile(r"ubi\d+(?:/ubi(?:-minimal|-micro|-init)?)?|ubi\d+-(?:minimal|micro|init)")

PID1 = (
    "the shell is PID 1 and does not pass SIGTERM on: `docker stop` kills the "
    "application after the grace period instead of letting it shut down"
)
REASON_SHELL_FEATURES = "the command uses the shell"
REASON_BUILTIN = "the program is a shell builtin or keyword"
REASON_OTHER_SHELL = "the stage's SHELL runs shell-form commands"
REASON_WINDOWS = "a Windows stage: its shell form runs cmd or PowerShell"
REASON_COMMENT_INSIDE = "comment lines inside the instruction would be lost"


@dataclass(frozen=True, slots=True)
class _Words:
    """A shell-form command read word by word, when every word is plain."""

    values: tuple[str, ...] | None
    """The words as the program receives them; None when the shell is needed."""
    why: str = REASON_SHELL_FEATURES


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        # A flag (`CMD --x y`) is refused by BuildKit: MF001 reports the file.
        if ins.keyword not in ("CMD", "ENTRYPOINT") or ins.flags or not ins.args_text:
            continue
        if is_json(ins):
            continue
        yield _assess(ins, ctx)


def _assess(ins: Instruction, ctx: FixContext) -> Violation:
    keyword = ins.keyword
    span = (ins.keyword_span.start, ins.args.end)

    def report(reason: str) -> Violation:
        return Violation(
            INFO.code,
            f"{keyword} in shell form: {PID1} (no fix: {reason})",
            *span,
            reason=no_fix(reason),
        )

    # A program named *.exe is a Windows one whatever the base image looks like
    # (mcr.microsoft.com/dotnet/framework/runtime:4.8.1 names no Windows release).
    if ctx.windows_at(ins) or _first_word(ins.args_text).lower().endswith(".exe"):
        return report(REASON_WINDOWS)
    if ctx.shell_argv(ins) != DEFAULT_SHELL:
        return report(REASON_OTHER_SHELL)
    words = _plain_words(ins.args_text)
    if words.values is None:
        return report(words.why)
    if ins.heredocs or any(r not in (Role.FIRST, Role.CONTINUATION) for r in ins.roles):
        return report(REASON_COMMENT_INSIDE)
    array = _json_array(words.values)
    if array is None:
        return report(REASON_SHELL_FEATURES)
    if keyword == "ENTRYPOINT":
        risk = "; unsafe: CMD and `docker run` arguments are then appended to it"
    elif _may_have_entrypoint(ins, ctx):
        risk = "; unsafe: an ENTRYPOINT (of the file or the base image) then gets these words"
    else:
        risk = ""
    applicability = Applicability.UNSAFE if risk else Applicability.SAFE
    return Violation(
        INFO.code,
        f"{keyword} in shell form runs under /bin/sh -c: the shell can be PID 1 and "
        f"not pass signals on; use exec form{risk}",
        *span,
        Fix(
            f"Write {keyword} as {array}",
            (Edit(ins.args.start, ins.args.end, array),),
            applicability,
        ),
    )


def _first_word(command: str) -> str:
    return command.split(None, 1)[0] if command.split() else ""


def _plain_words(command: str) -> _Words:
    """The words of ``command`` when /bin/sh -c would run them as one program with
    these literal arguments, nothing expanded."""
    values: list[str] = []
    pos, n = 0, len(command)
    while pos < n:
        if command[pos] in " \t":
            pos += 1
            continue
        word: list[str] = []
        start = pos
        while pos < n and command[pos] not in " \t":
            for pattern in (_PLAIN, _SINGLE_QUOTED, _DOUBLE_QUOTED):
                match = pattern.match(command, pos)
                if match is not None:
                    break
            else:
                return _Words(None)
            text = match.group()
            word.append(text[1:-1] if text[0] in "'\"" else text)
            pos = match.end()
        if not values and _ASSIGNMENT.match(command, start):
            return _Words(None)
        values.append("".join(word))
    if not values:
        return _Words(None)
    program = values[0]
    if program in _SHELL_ONLY:
        return _Words(None, REASON_BUILTIN)
    if program.startswith("-") or program == "":
        return _Words(None)
    return _Words(tuple(values))


def _json_array(values: tuple[str, ...]) -> str | None:
    """The exec form BuildKit reads back as exactly ``values`` (quotes and backslashes
    escaped), in the spacing Docker's documentation uses."""
    array = json.dumps(list(values), ensure_ascii=False)
    if parse_json_array(array) != list(values):
        return None
    return array


def _may_have_entrypoint(ins: Instruction, ctx: FixContext) -> bool:
    """Whether the image ``ins`` belongs to may have an ENTRYPOINT: one in the file
    for its stage chain, or one the base image may set."""
    stage = ctx.stage_of(ins)
    if stage is None:
        return True
    chain = ctx.ancestors(stage)
    if any(i.keyword == "ENTRYPOINT" for s in chain for i in s.instructions):
        return True
    if ctx.base_of(ins).unknown:
        return True
    resolved = ctx.graph.resolved[chain[0].index]
    ref = parse_image(resolved.strip()) if resolved is not None else None
    return ref is None or not _sets_no_entrypoint(ref)


def _sets_no_entrypoint(ref: ImageRef) -> bool:
    if ref.is_scratch:
        return True
    path = ref.path.lower()
    if ref.is_docker_hub:
        return path.removeprefix("library/") in _NO_ENTRYPOINT_IMAGES
    return ref.domain.lower() in _RED_HAT_REGISTRIES and _UBI_PATH.fullmatch(path) is not None
