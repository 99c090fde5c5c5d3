"""MF501's core: which files are candidates, the view the recognisers read, the
helpers they share, and the rewrite of a :class:`~.plan.Conversion` into edits.

The rewrite touches three places and leaves every other byte as it was: `` AS
build`` is added to the FROM line (a name already there is kept and used), the
runtime stage is inserted right after the last build instruction, and CMD /
ENTRYPOINT lines after it are edited only where an artifact moved. Everything
after the build instruction must be an instruction the runtime stage keeps, so
it stays where it is, comments included, and becomes the runtime stage's own;
the runtime instructions written before the build (an early ``ENV``,
``WORKDIR`` or ``EXPOSE``) are repeated in the runtime stage, without their
comments, which stay with the originals in the builder.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Instruction
from manifesto.cst.stages import DEBIAN, BaseImage
from manifesto.cst.values import buildkit_value, exec_args, key_values
from manifesto.cst.words import parse_words
from manifesto.edits import Edit
from manifesto.images import parse_image
from manifesto.shell import Command, ShellScript

from .plan import BuildView, Conversion, NoConversion

# Why a split is refused: each reason starts with one of these, so that the
# reasons catalogue (manifesto.reasons) gives every cause one stable slug.
ARTIFACT_UNKNOWN = "the artifact cannot be located"
SEVERAL_ARTIFACTS = "more than one artifact is built"
STEP_AFTER_BUILD = "a step follows the build"
RUN_NOT_BUILD = "a RUN does more than build"
RUN_UNREADABLE = "a RUN cannot be read"
RUNTIME_PACKAGE = "a package may be needed at run time"
LIBRARY_UNKNOWN = "the shared libraries it links are unknown"
C_LIBRARY = "the C library cannot be matched"
NO_SHELL = "the runtime image has no shell"
NO_USER = "the runtime image lacks the user"
HEALTHCHECK_PROGRAM = "the runtime image lacks the health check's program"
BASE_VARIABLE = "a runtime instruction uses the base image's variable"
PLATFORM = "the platform is a variable"
NOT_LINUX = "the binary is not for Linux"
MAKE_INSTALL = "`make install` spreads files"
NO_RUNTIME = "no runtime image is known"
RUNTIME_FILES = "files may be needed at run time"

RUNTIME_KEYWORDS = frozenset(
    {
        "ENV",
        "EXPOSE",
        "WORKDIR",
        "USER",
        "LABEL",
        "MAINTAINER",
        "VOLUME",
        "HEALTHCHECK",
        "CMD",
        "ENTRYPOINT",
        "STOPSIGNAL",
        "SHELL",
    }
)
"""What describes the image rather than builds it: kept in the runtime stage (SHELL
too, for the shell-form CMD, ENTRYPOINT and HEALTHCHECK it runs)."""

DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
"""The PATH BuildKit gives a Linux stage whose image sets none (scratch), and the one
Debian images set: where a bare command name is looked up in the runtime stage."""

ALWAYS_SET = frozenset({"PATH", "HOME", "HOSTNAME"})
"""Variables every Linux container has, whatever its image: PATH (BuildKit sets a
default), HOME and HOSTNAME (the runtime sets them)."""

DEBIAN_CODENAMES = {"10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie"}
_CODENAMES = frozenset(DEBIAN_CODENAMES.values())


def build_view(ctx: FixContext) -> BuildView | None:
    """The view of the file's single stage; None when it is no candidate.

    Not candidates: several stages (already multi-stage, or a file whose stages
    depend on each other), a Windows stage, a base that cannot be known
    (``FROM $BASE``), ``scratch``, and a stage with ONBUILD triggers (an image made
    to be built upon: the triggers would move to a runtime image nobody builds on).
    """
    stages = ctx.stages
    if len(stages) != 1:
        return None
    stage = stages[0]
    base = ctx.base_of(stage.from_)
    if base.windows or base.unknown or base.reference is None:
        return None
    if any(ins.keyword == "ONBUILD" for ins in stage.instructions):
        return None
    runs: list[tuple[Instruction, ShellScript]] = []
    for ins in stage.instructions:
        if ins.keyword == "RUN":
            script = ctx.shell(ins)
            if script is not None:
                runs.append((ins, script))
    return BuildView(ctx, stage, base, tuple(runs))


# --------------------------------------------------------------------------- shared helpers


@dataclass(frozen=True, slots=True)
class Entry:
    """The command the image runs: the last ENTRYPOINT, else the last CMD."""

    instruction: Instruction
    program: str
    """The first word as written (``./server``, ``/app/server``, ``server``)."""
    shell_form: bool


def entry(view: BuildView) -> Entry | None:
    """What the container starts, when its first word is literal; None otherwise
    (no CMD or ENTRYPOINT: the base image's own command would run)."""
    last: dict[str, Instruction] = {}
    for item in view.stage.instructions:
        if item.keyword in ("CMD", "ENTRYPOINT"):
            last[item.keyword] = item
    ins = last.get("ENTRYPOINT") or last.get("CMD")
    if ins is None:
        return None
    argv = exec_args(ins)
    if argv is not None:
        return Entry(ins, argv[0], shell_form=False) if argv and "$" not in argv[0] else None
    words = ins.args_text.split()
    if not words or any(ch in words[0] for ch in "$`'\"\\;&|<>()"):
        return None
    if words[0] == "exec" and len(words) > 1:
        return Entry(ins, words[1], shell_form=True)
    return Entry(ins, words[0], shell_form=True)


TOOLCHAIN_OR_SHELL = frozenset({"go", "cargo", "rustc", "make", "sh", "bash", "ash", "dash"})
SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".pl", ".rb", ".js", ".php")


def may_be_artifact(found: Entry) -> bool:
    """Whether the entry's program may be a binary the build makes: not the toolchain,
    a shell or a script (those images need more than one binary at run time)."""
    name = posixpath.basename(found.program)
    return name not in TOOLCHAIN_OR_SHELL and not name.endswith(SCRIPT_SUFFIXES)


def runs_artifact(view: BuildView, found: Entry, artifact: str) -> bool:
    """Whether the entry's program is ``artifact`` (absolute, relative to the WORKDIR
    in force, or a bare name found on the default PATH)."""
    program = found.program
    if "/" not in program:
        return posixpath.basename(artifact) == program and (
            posixpath.dirname(artifact) in DEFAULT_PATH
        )
    where = posixpath.normpath(posixpath.join(view.workdir_at(found.instruction), program))
    return where == artifact


def resolve(view: BuildView, ins: Instruction, path: str, cwd: str | None = None) -> str:
    """``path`` made absolute against ``cwd`` (default: the WORKDIR in force at ``ins``)."""
    here = cwd if cwd is not None else view.workdir_at(ins)
    return posixpath.normpath(posixpath.join(here, path))


def debian_codename(base: BaseImage) -> str | None:
    """The Debian release a base is built on, when its reference says so (``bookworm``
    in ``golang:1.22-bookworm``, ``12`` in ``debian:12-slim``); None otherwise: an
    unqualified tag (``rust:1.79``) moves to the next release some day."""
    if base.family != DEBIAN or base.version is None:
        return None
    version = base.version.lower()
    if version in _CODENAMES:
        return version
    return DEBIAN_CODENAMES.get(version.split(".", 1)[0])


def official_image(base: BaseImage, *names: str) -> bool:
    """Whether the base is one of Docker Hub's official images ``names``."""
    ref = parse_image(base.reference or "")
    return (
        ref is not None
        and ref.is_docker_hub
        and ref.namespace in (None, "library")
        and ref.name in names
    )


def option_value(command: Command, *names: str) -> tuple[bool, str | None]:
    """(present, literal value) of an option written ``-o X``, ``-o=X`` or ``--o=X``;
    the value is None when it is not literal text."""
    args = command.effective_args
    for i, word in enumerate(args):
        value = word.value
        if value is None:
            continue
        for name in names:
            if value == name:
                following = args[i + 1].value if i + 1 < len(args) else None
                return True, following
            if value.startswith(name + "="):
                return True, value[len(name) + 1 :]
    return False, None


def cwd_before(view: BuildView, ins: Instruction, script: ShellScript, command: Command) -> str:
    """The directory ``command`` runs in: the WORKDIR, changed by the literal ``cd``
    commands before it in the same script. Raises ValueError for a ``cd`` whose
    target is not literal or that is inside a construct (a loop, a subshell)."""
    cwd = view.workdir_at(ins)
    for earlier in script.commands:
        if earlier.index >= command.index:
            break
        if earlier.program != "cd":
            continue
        args = earlier.effective_args
        if earlier.context or len(args) != 1 or args[0].value is None:
            raise ValueError("cd")
        cwd = posixpath.normpath(posixpath.join(cwd, args[0].value))
    return cwd


def assigned_in_script(script: ShellScript, command: Command, name: str) -> str | None:
    """The literal value ``name`` has for ``command`` from the script itself:
    ``NAME=v cmd``, ``env NAME=v cmd``, or an earlier ``export NAME=v``."""
    value: str | None = None
    for earlier in script.commands:
        if earlier.index >= command.index:
            break
        if earlier.kind == "declaration" or (earlier.name is None and earlier.assignments):
            for assignment in earlier.assignments:
                if assignment.name == name:
                    value = assignment.value.value if assignment.value is not None else ""
            for word in earlier.args:
                if word.value is not None and word.value.startswith(name + "="):
                    value = word.value[len(name) + 1 :]
    for assignment in command.assignments:
        if assignment.name == name:
            value = assignment.value.value if assignment.value is not None else ""
    for word in command.words:
        if word is command.effective_name:
            break
        if word.value is not None and word.value.startswith(name + "="):
            value = word.value[len(name) + 1 :]
    return value


# --------------------------------------------------------------------------- packages

INSTALLERS = {
    "apt-get": "install",
    "apt": "install",
    "apk": "add",
    "yum": "install",
    "dnf": "install",
}

BUILD_ONLY_PACKAGES = frozenset(
    {
        "autoconf",
        "automake",
        "bash",
        "binutils",
        "bison",
        "build-base",
        "build-essential",
        "bzip2",
        "ca-certificates",
        "clang",
        "cmake",
        "curl",
        "dirmngr",
        "file",
        "flex",
        "g++",
        "gcc",
        "gettext",
        "git",
        "gnupg",
        "gzip",
        "libc-dev",
        "libc6-dev",
        "libtool",
        "linux-headers",
        "m4",
        "make",
        "mercurial",
        "meson",
        "musl-dev",
        "nasm",
        "ninja",
        "ninja-build",
        "openssh-client",
        "patch",
        "pkg-config",
        "pkgconf",
        "pkgconfig",
        "protobuf-compiler",
        "subversion",
        "tar",
        "tzdata",
        "unzip",
        "upx",
        "upx-ucl",
        "wget",
        "xz",
        "xz-utils",
        "yasm",
        "zip",
    }
)
"""Packages that build or fetch, not run, the program: left in the builder (CA
certificates and time zones are handled by each runtime on its own)."""

RUNTIME_LIBRARIES: Mapping[str, Mapping[str, str]] = {
    # -dev package -> {Debian codename: the shared library package it links against}
    "libssl-dev": {"bullseye": "libssl1.1", "bookworm": "libssl3", "trixie": "libssl3t64"},
    "zlib1g-dev": {"bullseye": "zlib1g", "bookworm": "zlib1g", "trixie": "zlib1g"},
    "libpq-dev": {"bullseye": "libpq5", "bookworm": "libpq5", "trixie": "libpq5"},
    "libsqlite3-dev": {
        "bullseye": "libsqlite3-0",
        "bookworm": "libsqlite3-0",
        "trixie": "libsqlite3-0",
    },
    "libcurl4-openssl-dev": {
        "bullseye": "libcurl4",
        "bookworm": "libcurl4",
        "trixie": "libcurl4t64",
    },
    "libzstd-dev": {"bullseye": "libzstd1", "bookworm": "libzstd1", "trixie": "libzstd1"},
    "liblzma-dev": {"bullseye": "liblzma5", "bookworm": "liblzma5", "trixie": "liblzma5"},
    "libbz2-dev": {"bullseye": "libbz2-1.0", "bookworm": "libbz2-1.0", "trixie": "libbz2-1.0"},
    "libpcre3-dev": {"bullseye": "libpcre3", "bookworm": "libpcre3"},
    "libpcre2-dev": {
        "bullseye": "libpcre2-8-0",
        "bookworm": "libpcre2-8-0",
        "trixie": "libpcre2-8-0",
    },
    "libevent-dev": {
        "bullseye": "libevent-2.1-7",
        "bookworm": "libevent-2.1-7",
        "trixie": "libevent-2.1-7t64",
    },
    "libjansson-dev": {
        "bullseye": "libjansson4",
        "bookworm": "libjansson4",
        "trixie": "libjansson4",
    },
    "libyaml-dev": {"bullseye": "libyaml-0-2", "bookworm": "libyaml-0-2", "trixie": "libyaml-0-2"},
}
"""The shared libraries a ``-dev`` package's programs link against, per Debian
release (checked against packages.debian.org). A ``-dev`` package not here is a
finding without a fix: the runtime package is not guessed."""


@dataclass(frozen=True, slots=True)
class Installed:
    """The packages the RUNs install, by name; ``unknown`` when a name is not literal."""

    names: tuple[str, ...]
    unknown: bool


def installed_packages(view: BuildView) -> Installed:
    names: list[str] = []
    unknown = False
    for _, script in view.runs:
        for command in script.commands:
            verb = INSTALLERS.get(command.program or "")
            args = command.effective_args
            if verb is None or not any(w.value == verb for w in args):
                continue
            after = False
            for word in args:
                if not after:
                    after = word.value == verb
                    continue
                if word.value is None:
                    unknown = True
                elif not word.value.startswith("-"):
                    # apt's name=version and apk's name=version / name@repo pins
                    names.append(re.split(r"[=@<>~]", word.value, maxsplit=1)[0])
    return Installed(tuple(names), unknown)


def runtime_packages(
    view: BuildView, codename: str | None, *, linked: bool
) -> tuple[str, ...] | NoConversion:
    """The Debian packages the runtime stage must install for what the build
    installed: the shared libraries of its ``-dev`` packages (when the program links
    dynamically, ``linked``), or a refusal naming what cannot be carried over."""
    found = installed_packages(view)
    if found.unknown:
        return NoConversion(
            f"{RUNTIME_PACKAGE}: the build installs packages named by a variable, which the "
            "program needs at run time cannot be told"
        )
    out: list[str] = []
    for name in found.names:
        if name in BUILD_ONLY_PACKAGES:
            continue
        if name.endswith(("-dev", "-devel")):
            if not linked:
                continue
            runtime = RUNTIME_LIBRARIES.get(name, {}).get(codename or "")
            if runtime is None:
                return NoConversion(
                    f"{LIBRARY_UNKNOWN}: the build installs `{name}`, whose shared library "
                    "for the runtime image is not known"
                )
            if runtime not in out:
                out.append(runtime)
            continue
        return NoConversion(
            f"{RUNTIME_PACKAGE}: the build installs `{name}`, which the program may need "
            "and the runtime image would not have"
        )
    return tuple(out)


def apt_install(packages: Iterable[str]) -> str:
    """A runtime RUN that installs ``packages`` the way the apt rules want it."""
    return (
        "RUN apt-get update && apt-get install -y --no-install-recommends "
        + " ".join(packages)
        + " && rm -rf /var/lib/apt/lists/*"
    )


BUILD_PROGRAMS = frozenset(
    {
        "apk",
        "apt",
        "apt-get",
        "cargo",
        "cc",
        "cd",
        "chmod",
        "cmake",
        "cp",
        "c++",
        "curl",
        "dnf",
        "echo",
        "export",
        "g++",
        "gcc",
        "git",
        "go",
        "install",
        "ls",
        "make",
        "mkdir",
        "mv",
        "ninja",
        "nproc",
        "pwd",
        "printf",
        "rm",
        "rustup",
        "set",
        "strip",
        "tar",
        "touch",
        "test",
        "true",
        "uname",
        "unzip",
        "upx",
        "wget",
        "yum",
    }
)
"""What a builder RUN may call for the split to keep the program's behaviour: the
effects of anything else (a user created, a file written for run time) would stay
in the builder."""


def foreign_command(
    view: BuildView, build: Instruction, tools: frozenset[str] = frozenset()
) -> NoConversion | None:
    """A refusal when a RUN up to ``build`` does something other than fetch and build
    (the RUNs after it are refused by :func:`rewrite`, with their own reason);
    ``tools`` are more build programs (a code generator the build installed)."""
    last = build.start
    for ins, script in view.runs:
        if ins.start > last:
            break
        if script.has_errors:
            return NoConversion(
                f"{RUN_UNREADABLE}: the RUN on line {ins.start_line} does not parse, so what it "
                "leaves for run time cannot be told"
            )
        for command in script.commands:
            program = command.program
            if program is None:
                if command.name is not None:
                    return NoConversion(
                        f"{RUN_UNREADABLE}: the RUN on line {ins.start_line} runs a command named "
                        "by a variable"
                    )
                continue
            if program not in BUILD_PROGRAMS and program not in tools:
                return NoConversion(
                    f"{RUN_NOT_BUILD}: the RUN on line {ins.start_line} runs `{program}`, whose "
                    "effects "
                    "the runtime stage would not have"
                )
    for ins in view.stage.instructions:
        if ins.start <= last and ins.keyword == "RUN" and exec_args(ins) is not None:
            return NoConversion(
                f"{RUN_UNREADABLE}: the exec-form RUN on line {ins.start_line} is not read, so "
                "what it "
                "leaves for run time cannot be told"
            )
    return None


RUNTIME_FILE_NAMES = frozenset(
    {
        "assets",
        "conf",
        "config",
        "configs",
        "data",
        "i18n",
        "locales",
        "migrations",
        "public",
        "resources",
        "static",
        "templates",
        "views",
        "web",
        "www",
    }
)
RUNTIME_FILE_SUFFIXES = (
    ".conf",
    ".crt",
    ".env",
    ".html",
    ".ini",
    ".json",
    ".key",
    ".pem",
    ".properties",
    ".sql",
    ".xml",
    ".yaml",
    ".yml",
)
"""Names that are read at run time rather than compiled: a COPY of one of them into
a compiled program's image is for the program, which the split would break."""


def files_for_run_time(view: BuildView, build: Instruction, build_dir: str) -> NoConversion | None:
    """A refusal when a COPY/ADD before ``build`` brings files the compiled program
    may read at run time: a name such as ``templates`` or ``config.yaml``, or a
    destination outside the directory the build runs in (``/etc/app``). The whole
    context (``COPY . .``) passes: what the program reads from it cannot be told,
    which the rule's documentation says."""
    for ins in view.stage.instructions:
        if ins.start >= build.start:
            break
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        vals, _ = buildkit_value(ins)
        if len(vals) < 2:
            continue
        for source in vals[:-1]:
            if "://" in source or source.startswith("git@"):
                continue  # a download for the build
            name = posixpath.basename(source.rstrip("/"))
            if name.lower() in RUNTIME_FILE_NAMES or name.lower().endswith(RUNTIME_FILE_SUFFIXES):
                return NoConversion(
                    f"{RUNTIME_FILES}: {ins.keyword} on line {ins.start_line} brings "
                    f"`{source}`, which the program may read and the runtime stage would "
                    "not have"
                )
        dest = resolve(view, ins, vals[-1])
        inside = (
            dest == build_dir
            or dest.startswith(build_dir.rstrip("/") + "/")
            or build_dir.startswith(dest.rstrip("/") + "/")
        )
        if not inside:
            return NoConversion(
                f"{RUNTIME_FILES}: {ins.keyword} on line {ins.start_line} puts files in "
                f"`{dest}`, outside the directory the build runs in"
            )
    return None


# --------------------------------------------------------------------------- the rewrite

NO_SHELL_PREFIXES = ("scratch", "gcr.io/distroless/")


def _has_shell(image: str) -> bool:
    return not image.startswith(NO_SHELL_PREFIXES)


def _known_users(image: str) -> frozenset[str]:
    if image == "scratch":
        return frozenset()  # no /etc/passwd: only numeric ids
    if image.startswith("gcr.io/distroless/"):
        return frozenset({"root", "nonroot", "nobody"})
    return frozenset({"root", "nobody"})


@dataclass(frozen=True, slots=True)
class Rewrite:
    edits: tuple[Edit, ...]
    builder: str
    """The builder stage's name as the COPY lines use it."""


_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def rewrite(view: BuildView, conversion: Conversion) -> Rewrite | NoConversion:
    """The edits that split the stage, or why they cannot be made."""
    ctx, stage = view.ctx, view.stage
    body = stage.instructions
    position = next((i for i, ins in enumerate(body) if ins is conversion.build), None)
    if position is None:
        raise ValueError("the build instruction is not in the stage")
    before, after = body[: position + 1], body[position + 1 :]
    for ins in after:
        if ins.keyword not in RUNTIME_KEYWORDS and ins.keyword != "ARG":
            return NoConversion(
                f"{STEP_AFTER_BUILD}: {ins.keyword} on line {ins.start_line} would "
                "run in the runtime stage, where the toolchain and sources are gone"
            )
    if view.base_workdir is None and not _absolute_workdir_first(before):
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: `{view.base.reference}` may set a WORKDIR of its own and "
            "the file sets no absolute one before the build, so where its relative paths "
            "land cannot be told"
        )
    image = conversion.runtime_image
    earlier = tuple(ins for ins in before if ins.keyword in RUNTIME_KEYWORDS)
    kept = (*earlier, *(ins for ins in after if ins.keyword != "ARG"))
    artifacts = {a.dest for a in conversion.artifacts}
    refusal = _runtime_refusal(kept, image, artifacts, conversion.entry_paths)
    if refusal is not None:
        return refusal
    declared = [ins for ins in before if ins.keyword == "ARG"]
    arg_names = {name for ins in body if ins.keyword == "ARG" for name in _arg_words(ins)}
    env_names = {pair.key for ins in kept if ins.keyword == "ENV" for pair in key_values(ins)}
    used = _variables_used(kept)
    unknown = sorted(used - arg_names - env_names - ALWAYS_SET)
    if unknown:
        return NoConversion(
            f"{BASE_VARIABLE}: `${unknown[0]}` is set by the base image, not by `{image}`"
        )
    platform = stage.from_.flag("platform")
    if platform is not None and "$" in (platform.value or ""):
        return NoConversion(
            f"{PLATFORM}: the FROM's --platform is not literal, so the runtime stage's "
            "cannot be told"
        )

    upper = _upper_case(ctx.text, stage.from_)
    builder = stage.name_as_written
    edits: list[Edit] = []
    if builder is None:
        builder = "build"
        edits.append(Edit.insert(stage.from_.args.end, (" AS " if upper else " as ") + builder))
    lines = [_kw("FROM", upper) + (f" {platform.raw}" if platform else "") + f" {image}"]
    for ins in declared:
        raw_words = _arg_words(ins)
        for name, raw in raw_words.items():
            if name in used:
                lines.append(f"{_kw('ARG', upper)} {raw}")
    if _starts_in_base_workdir(view, kept):
        lines.append(f"{_kw('WORKDIR', upper)} {view.base_workdir}")
    lines += [_case_first_word(line, upper) for line in conversion.runtime_setup]
    for artifact in conversion.artifacts:
        lines.append(
            f"{_kw('COPY', upper)} --from={builder} {_path_word(artifact.source)} "
            f"{_path_word(artifact.dest)}"
        )
    for ins in earlier:
        lines.append(_with_entry_paths(ins, conversion.entry_paths).rstrip("\r\n"))
    # the build line's newline; when it ends the file without one, the file's
    own = conversion.build.lines[-1].newline or next(
        (ln.newline for i in ctx.tree.instructions for ln in i.lines if "\n" in ln.newline), "\n"
    )
    newline = "\r\n" if own.endswith("\r\n") else "\n"
    lead = "" if ctx.text[: conversion.build.end].endswith(("\n", "\r")) else newline
    # the repeated lines may span several physical lines: their own line ends, made
    # the build line's (a CRLF file stays CRLF)
    joined = newline.join(line.replace("\r\n", "\n").replace("\n", newline) for line in lines)
    block = lead + newline + joined + newline
    edits.append(Edit.insert(conversion.build.end, block))
    for ins in after:
        if ins.keyword in ("CMD", "ENTRYPOINT"):
            changed = _with_entry_paths(ins, conversion.entry_paths)
            if changed != ins.render():
                edits.append(Edit(ins.start, ins.end, changed))
    return Rewrite(tuple(edits), builder)


def _absolute_workdir_first(body: Iterable[Instruction]) -> bool:
    """Whether the first WORKDIR in ``body`` is absolute (all later ones follow from it)."""
    for ins in body:
        if ins.keyword == "WORKDIR":
            vals, _ = buildkit_value(ins)
            return bool(vals) and vals[0].startswith("/")
    return False


def _starts_in_base_workdir(view: BuildView, kept: tuple[Instruction, ...]) -> bool:
    """Whether the runtime stage must first move to the base image's WORKDIR (``/go``):
    the original image ran there, and the runtime image starts at "/", unless the
    file's own first WORKDIR is absolute."""
    if view.base_workdir in (None, "/"):
        return False
    workdirs = [ins for ins in kept if ins.keyword == "WORKDIR"]
    if not workdirs:
        return True
    vals, _ = buildkit_value(workdirs[0])
    return not (vals and vals[0].startswith("/"))


def _runtime_refusal(
    kept: tuple[Instruction, ...],
    image: str,
    artifacts: set[str],
    entry_paths: Mapping[str, str],
) -> NoConversion | None:
    shell = _has_shell(image)
    users = _known_users(image)
    for ins in kept:
        if ins.keyword == "USER":
            vals, _ = buildkit_value(ins)
            user = (vals[0] if vals else "").split(":", 1)[0]
            if not user.isdigit() and user not in users:
                return NoConversion(
                    f"{NO_USER}: USER {user} on line {ins.start_line} is no account of `{image}` "
                    "(the base image's accounts and those the build makes do not carry over)"
                )
        elif ins.keyword in ("CMD", "ENTRYPOINT") and exec_args(ins) is None and not shell:
            return NoConversion(
                f"{NO_SHELL}: the shell-form {ins.keyword} on line {ins.start_line} needs "
                "/bin/sh, "
                f"which `{image}` does not have"
            )
        elif ins.keyword == "HEALTHCHECK":
            problem = _healthcheck_problem(ins, image, artifacts, entry_paths)
            if problem is not None:
                return NoConversion(problem)
    return _shell_refusal(kept, image)


def _shell_refusal(kept: tuple[Instruction, ...], image: str) -> NoConversion | None:
    """A SHELL other than sh, for a shell-form command, on a runtime image that has
    only BusyBox's sh (Alpine) or none."""
    shells = [ins for ins in kept if ins.keyword == "SHELL"]
    shell_form = [
        ins
        for ins in kept
        if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK")
        and exec_args(ins) is None
        and (buildkit_value(ins)[0][:1] or ("",))[0].upper() != "NONE"
    ]
    if not shells or not shell_form or not image.startswith(("alpine", *NO_SHELL_PREFIXES)):
        return None
    argv = exec_args(shells[-1]) or ()
    program = posixpath.basename(argv[0]) if argv else ""
    if program == "sh":
        return None
    return NoConversion(
        f"{NO_SHELL}: the shell-form {shell_form[0].keyword} on line "
        f"{shell_form[0].start_line} runs in `{program}` (SHELL on line "
        f"{shells[-1].start_line}), which `{image}` does not have"
    )


def _healthcheck_problem(
    ins: Instruction, image: str, artifacts: set[str], entry_paths: Mapping[str, str]
) -> str | None:
    vals, _ = buildkit_value(ins)
    if vals and vals[0].upper() == "NONE":
        return None
    argv = exec_args(ins)
    if argv is None:
        words = (vals[1] if len(vals) > 1 else "").split()
        program = words[0] if words else ""
    else:
        program = argv[0] if argv else ""
    program = entry_paths.get(program, program)
    on_path = "/" not in program and any(
        posixpath.basename(a) == program and posixpath.dirname(a) in DEFAULT_PATH for a in artifacts
    )
    if program not in artifacts and not on_path:
        return (
            f"{HEALTHCHECK_PROGRAM}: the HEALTHCHECK on line {ins.start_line} runs "
            f"`{program}`, which `{image}` does not have"
        )
    if argv is None and not _has_shell(image):
        return (
            f"{NO_SHELL}: the HEALTHCHECK on line {ins.start_line} needs /bin/sh, which "
            f"`{image}` does not have"
        )
    return None


def _variables_used(kept: Iterable[Instruction]) -> set[str]:
    used: set[str] = set()
    for ins in kept:
        # exec-form CMD/ENTRYPOINT/HEALTHCHECK are not expanded by BuildKit nor a shell
        if ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and exec_args(ins) is not None:
            continue
        for match in _VARIABLE.finditer(ins.args_text):
            start = match.start()
            if start > 0 and ins.args_text[start - 1] == ins.escape:
                continue
            used.add(match.group(1))
    return used


def _arg_words(ins: Instruction) -> dict[str, str]:
    """ARG name -> the word declaring it, as written (``VERSION=1.2``)."""
    out: dict[str, str] = {}
    for word in parse_words(ins.args_text, ins.escape):
        out[word.value.partition("=")[0]] = word.value
    return out


def _with_entry_paths(ins: Instruction, paths: Mapping[str, str]) -> str:
    """The instruction's text with the artifact paths it names moved."""
    text = ins.render()
    if ins.keyword not in ("CMD", "ENTRYPOINT") or not paths:
        return text
    for old, new in paths.items():
        if exec_args(ins) is not None:
            text = text.replace(json.dumps(old), json.dumps(new))
        else:
            text = re.sub(rf"(?<![\w./-]){re.escape(old)}(?![\w./-])", new, text)
    return text


def _upper_case(text: str, from_: Instruction) -> bool:
    written = text[from_.keyword_span.start : from_.keyword_span.end]
    return not written.islower()


def _kw(keyword: str, upper: bool) -> str:
    return keyword if upper else keyword.lower()


def _case_first_word(line: str, upper: bool) -> str:
    head, sep, rest = line.partition(" ")
    return _kw(head, upper) + sep + rest


def _path_word(path: str) -> str:
    return json.dumps(path) if any(ch.isspace() or ch in "\"'$\\" for ch in path) else path


__all__ = [
    "Entry",
    "Rewrite",
    "build_view",
    "entry",
    "rewrite",
]
