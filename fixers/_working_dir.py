"""Working-directory questions shared by MF204 and MF603; not a fixer itself.

Where an instruction runs (the WORKDIR in force, when the file names it), and
whether a RUN's commands read or write anything relative to it. Both answers
are conservative: `None` / `False` whenever the file does not say.
"""

from __future__ import annotations

import posixpath
import re

from manifesto.context import FixContext
from manifesto.cst import Instruction
from manifesto.cst.values import buildkit_value, is_json, mounts
from manifesto.images import parse_image
from manifesto.shell import Command, ShellScript, Word

_LITERAL_PATH = re.compile(r"[A-Za-z0-9_./@:+,=%-]+")
"""A path written the same way in a shell word and a Dockerfile argument: no
quotes, blanks, variables, globs, braces or escapes to read differently."""

_PACKAGE_MANAGERS = frozenset({"apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper"})
"""Programs whose operands are package names: they work the same from any directory
(as long as no operand is a path to a local package file)."""
_PATH_OPERANDS = frozenset({"rm", "mkdir", "ln", "touch", "cp", "mv", "rmdir"})
"""Programs whose operands are all paths: absolute ones make them independent of it."""
_OWNER_THEN_PATHS = frozenset({"chmod", "chown", "chgrp"})
"""Programs whose first operand is a mode or an owner, the rest paths."""
_NO_PATHS = frozenset(
    {
        *("useradd", "groupadd", "adduser", "addgroup", "usermod", "groupmod"),
        *("true", "set", "update-ca-certificates", "ldconfig", "locale-gen", "echo"),
    }
)
"""Programs that take no relative path (their output goes where a redirect says)."""
_LOCAL_PACKAGE = re.compile(r".*\.(?:deb|rpm|apk)$")
_ROOT_WORKDIR_IMAGES = frozenset(
    {
        *("docker.io/library/alpine", "docker.io/library/debian", "docker.io/library/ubuntu"),
        *("docker.io/library/busybox", "docker.io/library/fedora", "docker.io/library/centos"),
        *("docker.io/library/rockylinux", "docker.io/library/almalinux"),
        *("docker.io/library/amazonlinux", "docker.io/library/oraclelinux"),
    }
)
"""Docker Hub's bare distribution images: their configuration sets no working
directory, so a container starts in ``/``. (Language images such as ``golang`` or
``node`` may set one: they are not listed.)"""


def literal_path(value: str | None) -> str | None:
    """``value`` when it is a plain path both a shell and a Dockerfile read as written."""
    if value is None or not _LITERAL_PATH.fullmatch(value) or value.startswith("-"):
        return None
    return value


def workdir_before(ctx: FixContext, instruction: Instruction) -> str | None:
    """The absolute working directory ``instruction`` runs in, normalised, when the
    file says: the last WORKDIR before it in its stage or the stages it is built
    FROM (relative ones joined to the one before). None when the base image decides
    (no WORKDIR up the chain) or a WORKDIR is not a literal path."""
    relative: list[str] = []
    for item in reversed(ctx.earlier_in_image(instruction)):
        if item.keyword != "WORKDIR":
            continue
        path = _workdir_value(item)
        if path is None:
            return None
        relative.append(path)
        if path.startswith("/"):
            return posixpath.normpath(posixpath.join(*reversed(relative)))
    if _base_starts_in_root(ctx, instruction):
        return posixpath.normpath(posixpath.join("/", *reversed(relative)))
    return None


def _base_starts_in_root(ctx: FixContext, instruction: Instruction) -> bool:
    base = ctx.base_of(instruction)
    if base.unknown:
        return False
    if base.reference is None:
        return ctx.stage_of(instruction) is not None  # scratch: no configuration at all
    ref = parse_image(base.reference)
    return ref is not None and ref.repository in _ROOT_WORKDIR_IMAGES


def _workdir_value(workdir: Instruction) -> str | None:
    values, _ = buildkit_value(workdir)
    return literal_path(values[0]) if len(values) == 1 else None


def workdir_is_absolute(workdir: Instruction) -> bool:
    """A WORKDIR that sets the directory whatever came before (``/app``, ``/$X``)."""
    values, _ = buildkit_value(workdir)
    return len(values) == 1 and values[0].startswith("/")


def copy_destination(copy: Instruction) -> str | None:
    """The destination of a COPY or ADD as written (None when it has none)."""
    values, _ = buildkit_value(copy)
    return values[-1] if len(values) >= 2 else None


def relative_mount(run: Instruction) -> bool:
    """A ``--mount`` whose target BuildKit resolves against the working directory."""
    return any(m.target is None or not m.target.startswith("/") for m in mounts(run))


def run_ignores_workdir(ctx: FixContext, run: Instruction) -> bool:
    """Whether a RUN provably does the same in any working directory: every command
    is a package manager given package names, a file command given absolute paths,
    or a command that takes no path, and every redirect goes to an absolute path or
    a descriptor. Exec form, heredocs and unparsed shell are never proven."""
    if is_json(run) or relative_mount(run):
        return False
    script = ctx.shell(run)
    if script is None or script.has_errors or script.heredocs or not script.commands:
        return False
    return all(command_ignores_workdir(c) for c in script.commands)


def command_ignores_workdir(command: Command) -> bool:
    """One command of :func:`run_ignores_workdir`."""
    if not all(_redirect_is_absolute(r.target) for r in command.redirects):
        return False
    if command.name is None:  # assignments or redirects alone
        return all(a.value is None or a.value.value is not None for a in command.assignments)
    if command.effective_name is not command.name:
        return False  # sudo, env, nice ...: their own options are not read here
    program = command.program
    operands = [w for w in command.effective_args if not (w.value or "-x").startswith("-")]
    if any(w.value is None for w in command.effective_args):
        return False
    if program in _PACKAGE_MANAGERS:
        return all(not _path_like(w) for w in command.effective_args)
    if program in _PATH_OPERANDS:
        return all(_absolute(w) for w in operands)
    if program in _OWNER_THEN_PATHS:
        return bool(operands) and all(_absolute(w) for w in operands[1:])
    return program in _NO_PATHS


def _path_like(word: Word) -> bool:
    value = word.value or ""
    return "/" in value or value.startswith(".") or bool(_LOCAL_PACKAGE.fullmatch(value))


def _absolute(word: Word) -> bool:
    return (word.value or "").startswith("/")


def _redirect_is_absolute(target: Word | None) -> bool:
    if target is None or target.value is None:
        return False
    value = target.value
    return value.startswith("/") or value.isdigit() or value == "-"


def first_cd(script: ShellScript) -> Command | None:
    """The script's first command when it is a plain top-level ``cd`` (no wrapper,
    redirect or assignment)."""
    if not script.commands:
        return None
    first = script.commands[0]
    if (
        first.context
        or first.name is None
        or first.name.value != "cd"
        or first.redirects
        or first.assignments
    ):
        return None
    return first
