"""What the recognisers of managed runtimes share (Java, .NET, Node, Python): the
image they start from, the command the container runs, where the build's files
are, and which RUN steps only build.

Those ecosystems ship a language runtime in the final image, so their runtime stage
is a smaller image of the same language and version plus files copied from the
builder. Everything else the single stage did (a package installed, a file written
outside the project) would be lost: the helpers here find such steps so that a
recogniser refuses rather than drops them.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from manifesto.cst import Instruction
from manifesto.cst.values import buildkit_value, exec_args, unquote
from manifesto.cst.words import parse_words
from manifesto.images import ImageRef, parse_image
from manifesto.shell import Command, ShellScript

from .plan import BuildView

BUILD_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
"""The instructions whose layers hold files: they stay in the builder."""

INSPECTING = frozenset({"cd", "echo", "printf", "ls", "pwd", "true", ":", "set", "cat", "tree"})
"""Programs that change no file (``printf`` and ``cat`` only print unless redirected,
which :func:`writes_outside` checks)."""

FILE_PROGRAMS = frozenset({"cp", "mv", "mkdir", "chmod", "touch", "ln", "rm"})
"""Programs whose operands are paths they change."""

_SHELL_OPERATORS = re.compile(r"[;&|<>()`]")


def image(view: BuildView) -> ImageRef | None:
    """The image the stage starts from, parsed; None when it is unknown or scratch."""
    reference = view.base.reference
    if reference is None or view.base.unknown:
        return None
    ref = parse_image(reference.strip())
    return None if ref is None or ref.is_scratch else ref


def is_official(ref: ImageRef, *names: str) -> bool:
    """A Docker Hub official image (``python``, ``library/python``) of one of ``names``."""
    return ref.is_docker_hub and ref.namespace in (None, "library") and ref.name in names


def absolute(path: str, workdir: str) -> str:
    return posixpath.normpath(posixpath.join(workdir, path))


def inside(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or below it (both absolute and normalised)."""
    if directory == "/":
        return True
    return path == directory or path.startswith(directory + "/")


def line_of(ins: Instruction) -> int:
    return ins.start_line


# --------------------------------------------------------------------------- the command


@dataclass(frozen=True, slots=True)
class Entry:
    """What the container runs: the last ENTRYPOINT and CMD of the stage, as words."""

    instruction: Instruction
    """The ENTRYPOINT when there is one, else the CMD (its WORKDIR is the runtime's)."""
    words: tuple[str, ...]
    """The words as the program receives them; a shell-form word keeps its ``$`` and
    glob characters (the shell expands them at run time)."""
    shell: bool
    """Shell form: ``/bin/sh -c`` runs it, so globs and variables expand."""


def entry(view: BuildView) -> Entry | None:
    """The command the container starts with; None without one, or when a shell-form
    command is a script (operators, redirections, substitutions) rather than a
    program and its arguments."""
    entrypoint = _last(view, "ENTRYPOINT")
    cmd = _last(view, "CMD")
    if entrypoint is not None:
        words = _command_words(entrypoint)
        if words is None:
            return None
        if exec_args(entrypoint) is None:
            return Entry(entrypoint, words, shell=True)  # a shell-form ENTRYPOINT ignores CMD
        tail = () if cmd is None else exec_args(cmd)
        if tail is None:
            return None  # exec ENTRYPOINT + shell CMD: ["/bin/sh", "-c", "..."] appended
        return _unwrapped(Entry(entrypoint, words + tail, shell=False))
    if cmd is None:
        return None
    words = _command_words(cmd)
    if words is None:
        return None
    return _unwrapped(Entry(cmd, words, shell=exec_args(cmd) is None))


def _unwrapped(found: Entry) -> Entry | None:
    """``["sh", "-c", "exec java -jar app.jar"]`` read as the command it runs."""
    words = found.words
    if len(words) != 3 or posixpath.basename(words[0]) not in ("sh", "bash") or words[1] != "-c":
        return found
    inner = _split(words[2], "\\")
    return None if inner is None else Entry(found.instruction, inner, shell=True)


def _last(view: BuildView, keyword: str) -> Instruction | None:
    found = None
    for ins in view.stage.instructions:
        if ins.keyword == keyword:
            found = ins
    return found


def _command_words(ins: Instruction) -> tuple[str, ...] | None:
    args = exec_args(ins)
    if args is not None:
        return args
    return _split(ins.args_text, ins.escape)


def _split(text: str, escape: str) -> tuple[str, ...] | None:
    """A shell command line cut into words, when it is one program and its arguments."""
    if _SHELL_OPERATORS.search(text):
        return None
    words = tuple(unquote(w.value, escape) for w in parse_words(text, escape))
    if words and words[0] == "exec":
        words = words[1:]
    return words


# --------------------------------------------------------------------------- RUN commands


def unparsed_run(view: BuildView) -> Instruction | None:
    """A RUN whose shell could not be parsed, or that is not in shell form: what it does
    cannot be told, so no recogniser splits the stage around it."""
    parsed = {id(ins) for ins, script in view.runs if not script.has_errors}
    for ins in view.stage.instructions:
        if ins.keyword == "RUN" and id(ins) not in parsed:
            return ins
    return None


def operands(command: Command) -> list[str | None]:
    """The non-option words of a command (None for one with a variable)."""
    out: list[str | None] = []
    for word in command.effective_args:
        value = word.value
        if value is not None and value.startswith("-") and value != "-":
            continue
        out.append(value)
    return out


def cwd_of(view: BuildView, ins: Instruction, script: ShellScript, command: Command) -> str | None:
    """The directory ``command`` runs in: the RUN's WORKDIR, moved by the top-level
    ``cd DIR`` commands before it in the script (None when one names a variable)."""
    cwd = view.workdir_at(ins)
    for earlier in script.commands:
        if earlier is command:
            break
        if earlier.program == "cd" and earlier.context == ():
            targets = operands(earlier)
            if len(targets) != 1 or targets[0] is None:
                return None
            cwd = absolute(targets[0], cwd)
    return cwd


def script_of(view: BuildView, ins: Instruction) -> ShellScript:
    for item, script in view.runs:
        if item is ins:
            return script
    raise KeyError(ins)


def writes_outside(
    view: BuildView, ins: Instruction, command: Command, allowed: tuple[str, ...]
) -> str | None:
    """The first path ``command`` writes that is outside every directory of ``allowed``
    (or that names a variable); None when it writes only inside them. ``rm`` removes
    and never adds what the runtime needs: its operands are not checked."""
    script = script_of(view, ins)
    cwd = cwd_of(view, ins, script, command)
    if cwd is None:
        return "a directory named by a variable"
    targets: list[str | None] = []
    if command.program in FILE_PROGRAMS and command.program != "rm":
        paths = operands(command)
        if command.program in ("cp", "mv", "ln"):
            paths = paths[-1:]  # the destination
        elif command.program == "chmod":
            paths = paths[1:]  # after the mode
        targets.extend(paths)
    targets.extend(
        r.target.value if r.target else None for r in command.redirects if ">" in r.operator
    )
    for target in targets:
        if target is None:
            return "a path named by a variable"
        if target.startswith("&") or target.isdigit() or target == "/dev/null":
            continue
        path = absolute(target, cwd)
        if not any(inside(path, d) for d in allowed):
            return path
    return None


def last_build_step(view: BuildView) -> Instruction | None:
    """The last RUN, COPY or ADD: the last instruction the builder needs."""
    found = None
    for ins in view.stage.instructions:
        if ins.keyword in BUILD_KEYWORDS:
            found = ins
    return found


# --------------------------------------------------------------------------- COPY and the context


@dataclass(frozen=True, slots=True)
class Copy:
    instruction: Instruction
    sources: tuple[str, ...]
    dest: str
    """Absolute, WORKDIR applied; may keep a ``$VAR`` the view could not expand."""
    from_stage: bool
    """``COPY --from=...``: from another image or stage, not the build context."""


def copies(view: BuildView) -> tuple[Copy, ...]:
    out: list[Copy] = []
    for ins in view.stage.instructions:
        if ins.keyword not in ("COPY", "ADD"):
            continue
        values, _ = buildkit_value(ins)
        if len(values) < 2:
            continue
        dest = values[-1]
        env = view.env_at(ins)
        for name, value in env.items():
            dest = dest.replace("${" + name + "}", value).replace("$" + name, value)
        out.append(
            Copy(
                ins, values[:-1], absolute(dest, view.workdir_at(ins)), ins.flag("from") is not None
            )
        )
    return tuple(out)


def context_path(view: BuildView, path: str, before: Instruction | None) -> str | None:
    """Where the file at ``path`` in the image came from in the build context: the last
    COPY before ``before`` (None: in the whole stage) that put it there (a file copied
    by name, or a directory copied whole); None when no COPY tells."""
    body = view.stage.instructions
    end = next((i for i, ins in enumerate(body) if ins is before), len(body))
    for copy in reversed(copies(view)):
        if copy.from_stage or copy.instruction.keyword != "COPY":
            continue
        if body.index(copy.instruction) >= end:
            continue
        for source in reversed(copy.sources):
            if any(ch in source for ch in "*?[$"):
                continue
            clean = posixpath.normpath(source)
            if path == posixpath.join(copy.dest, posixpath.basename(clean)):
                return clean
            if path == copy.dest and len(copy.sources) == 1 and not source.endswith("/"):
                return clean
            if inside(path, copy.dest) and path != copy.dest:
                relative = posixpath.relpath(path, copy.dest)
                candidate = posixpath.normpath(posixpath.join(clean, relative))
                if view.context_file(candidate) is not None:
                    return candidate
    return None


def read_copied(view: BuildView, path: str, before: Instruction | None) -> str | None:
    """The text of the context file COPY put at ``path``, when it can be read."""
    source = context_path(view, path, before)
    if source is None or source.startswith(".."):
        return None
    return view.context_file(source)


def suggestion(
    runtime: str, artifacts: tuple[tuple[str, str], ...], tail: tuple[str, ...] = ()
) -> str:
    """A display-only sketch of the runtime stage, for the user to finish by hand (the
    user's stage becomes the builder, ``AS build``)."""
    lines = [f"FROM {runtime}"]
    lines.extend(f"COPY --from=build {source} {dest}" for source, dest in artifacts)
    lines.extend(tail)
    return "\n".join(lines) + "\n"


__all__ = [
    "BUILD_KEYWORDS",
    "FILE_PROGRAMS",
    "INSPECTING",
    "Copy",
    "Entry",
    "absolute",
    "context_path",
    "copies",
    "cwd_of",
    "entry",
    "image",
    "inside",
    "is_official",
    "last_build_step",
    "line_of",
    "operands",
    "read_copied",
    "script_of",
    "suggestion",
    "unparsed_run",
    "writes_outside",
]


def stray_copy(view: BuildView, folders: tuple[str, ...], runtime_files: str) -> str | None:
    """Why a COPY/ADD from the context is not safe to leave behind: it puts files outside
    the application's folders (the runtime copies only those). ``--from`` copies are the
    caller's question. ``runtime_files`` is the reason's fixed prefix."""
    for copy in copies(view):
        if not copy.from_stage and not any(inside(copy.dest, f) for f in folders):
            return (
                f"{runtime_files}: the {copy.instruction.keyword} on line "
                f"{line_of(copy.instruction)} puts files "
                f"in {copy.dest}, outside the application's folder {folders[0]}"
            )
    return None
