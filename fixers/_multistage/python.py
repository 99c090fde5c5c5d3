"""Python: ``pip install`` with a compiler and headers installed for it.

The builder keeps the user's steps; the runtime is the same ``python`` image
(``3.12-slim``, ``3.12-alpine3.20``) without the compilers: it receives what
pip installed (``/usr/local/lib/python3.X/site-packages`` and the scripts in
``/usr/local/bin``, or the virtualenvs the file makes), the application's folder
(the WORKDIR the command runs in), and the shared libraries of the ``-dev``
packages, installed from a small table of names known for sure. The runtime
image is the builder's own image, so the Python those files were built for is
the one that runs them.

Not split:
- a base other than a ``slim`` or ``alpine`` tag of the official image
  (``python:3.12`` is built on ``buildpack-deps``, whose dozens of ``-dev``
  packages compiled code may link against: what the slim image lacks cannot be
  told), or a tag that does not fix the minor version (``python:3``);
- packages removed in the RUN that installed them (nothing ships);
- a ``-dev`` package whose shared library is not in the table, a ``pip install``
  into another place (``--user``, ``--target``, ``--prefix``), a RUN that runs
  anything else (``python manage.py``, ``useradd``), a COPY outside the
  application's folder.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from manifesto.cst import Instruction
from manifesto.images import ImageRef
from manifesto.shell import Command

from ._managed import (
    FILE_PROGRAMS,
    INSPECTING,
    absolute,
    copies,
    cwd_of,
    entry,
    image,
    inside,
    is_official,
    last_build_step,
    line_of,
    operands,
    script_of,
    stray_copy,
    suggestion,
    unparsed_run,
    writes_outside,
)
from .core import (
    ARTIFACT_UNKNOWN,
    LIBRARY_UNKNOWN,
    NO_RUNTIME,
    RUN_NOT_BUILD,
    RUN_UNREADABLE,
    RUNTIME_FILES,
    RUNTIME_LIBRARIES,
    RUNTIME_PACKAGE,
    apt_install,
)
from .plan import Artifact, BuildView, Conversion, NoConversion

ECOSYSTEM = "python"

_PYTHON_TAG = re.compile(r"(?P<minor>\d+\.\d+)(?:\.\d+)?(?:(?:a|b|rc)\d+)?(?:-(?P<variant>.+))?")
_APT = frozenset({"apt-get", "apt"})
_APT_QUIET_VERBS = frozenset({"update", "clean", "autoclean"})
_APK_QUIET_VERBS = frozenset({"update"})
_PIP_ELSEWHERE = ("--user", "--target", "-t", "--prefix", "--root", "--home")
_PIP_PLACES = frozenset({"PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PYTHONUSERBASE"})

TOOLCHAIN = frozenset(
    {
        *("build-essential", "build-base", "gcc", "g++", "cpp", "make", "cmake", "binutils"),
        *("libc-dev", "libc6-dev", "musl-dev", "linux-headers", "python3-dev", "python-dev"),
        *("pkg-config", "pkgconf", "pkgconfig", "autoconf", "automake", "libtool"),
        *("gfortran", "cargo", "rust", "rustc"),
    }
)
"""Packages that compile, and nothing a Python program runs: left in the builder."""

COMPILERS = frozenset({"gcc", "g++", "clang", "cc", "build-essential", "build-base"})
"""What makes a compiler present (the other build packages need one to be of use)."""

DEBIAN_LIBRARIES: Mapping[str, Mapping[str, str]] = {
    **RUNTIME_LIBRARIES,
    # -dev package -> {Debian codename: the shared library package}, for the
    # headers Python packages compile against (checked on packages.debian.org)
    "libffi-dev": {"bullseye": "libffi7", "bookworm": "libffi8", "trixie": "libffi8"},
    "libmariadb-dev": {
        "bullseye": "libmariadb3",
        "bookworm": "libmariadb3",
        "trixie": "libmariadb3",
    },
    "default-libmysqlclient-dev": {
        "bullseye": "libmariadb3",
        "bookworm": "libmariadb3",
        "trixie": "libmariadb3",
    },
    "libxml2-dev": {"bullseye": "libxml2", "bookworm": "libxml2"},
    "libxslt1-dev": {"bullseye": "libxslt1.1", "bookworm": "libxslt1.1", "trixie": "libxslt1.1"},
    "libjpeg-dev": {
        "bullseye": "libjpeg62-turbo",
        "bookworm": "libjpeg62-turbo",
        "trixie": "libjpeg62-turbo",
    },
}
"""A ``-dev`` package not here, or not for the runtime's release, is not split."""

ALPINE_LIBRARIES: Mapping[str, str] = {
    "libffi-dev": "libffi",
    "zlib-dev": "zlib",
    "libxml2-dev": "libxml2",
    "libxslt-dev": "libxslt",
    "jpeg-dev": "libjpeg-turbo",
    "libjpeg-turbo-dev": "libjpeg-turbo",
    "postgresql-dev": "libpq",
    "libpq-dev": "libpq",
    "mariadb-dev": "mariadb-connector-c",
    "mariadb-connector-c-dev": "mariadb-connector-c",
    "yaml-dev": "yaml",
}
"""Alpine ``-dev`` packages and the library package their ``.so`` files come from."""

_DEBIAN_RELEASES = ("bullseye", "bookworm", "trixie")


@dataclass(frozen=True, slots=True)
class _Install:
    instruction: Instruction
    manager: str
    """``apt`` or ``apk``."""
    packages: tuple[str, ...]
    virtual: str | None
    """apk's ``--virtual NAME`` / ``-t NAME``: the group ``apk del NAME`` removes."""


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    pips = [(ins, c) for ins, c in _commands(view) if _pip_install(c)]
    if not pips or view.base.windows:
        return None
    installs = _installs(view)
    if installs is None:
        return NoConversion(f"{RUNTIME_PACKAGE}: a RUN installs packages named by a variable")
    if not _compiler_installed(view, installs):
        return None  # nothing that compiles ships: pip used wheels or pure Python
    removed = _removal(view, installs)
    if removed is not None:
        ins, same_run = removed
        if same_run:
            return None  # installed and removed in one RUN: the layers do not keep it
        return NoConversion(
            f"{LIBRARY_UNKNOWN}: the RUN on line {line_of(ins)} removes the build packages, so "
            "which libraries the program still finds after that cannot be told from the file"
        )
    found = entry(view)
    if found is None or _runs_toolchain(found.words):
        return None  # the image's own command, or one that compiles at run time
    ref = image(view)
    runtime = str(ref) if ref is not None else view.stage.base
    app = view.workdir_at(found.instruction)
    minor = _minor(ref) if ref is not None else None
    site = f"/usr/local/lib/python{minor or '3.X'}/site-packages"
    sketch = suggestion(
        _slim(ref) if ref is not None else "python:<version>-slim",
        ((site, site), ("/usr/local/bin", "/usr/local/bin"), (app, app)),
    )
    problem = _image_problem(ref, runtime)
    if problem is not None:
        return NoConversion(problem, sketch)
    if app == "/":
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the command runs in /, where the application's files "
            "cannot be told from the system's",
            sketch,
        )
    venvs = _virtualenvs(view)
    if isinstance(venvs, NoConversion):
        return venvs
    refusal = _steps_problem(view, (app, *venvs))
    if refusal is not None:
        return NoConversion(refusal, sketch)
    assert ref is not None  # _image_problem refuses an unknown image
    setup = _runtime_install(ref, installs)
    if isinstance(setup, NoConversion):
        return NoConversion(setup.reason, sketch)
    last = last_build_step(view)
    assert last is not None  # a RUN installs
    artifacts = [Artifact(site, site), Artifact("/usr/local/bin", "/usr/local/bin")]
    artifacts += [Artifact(v, v) for v in venvs if not inside(v, app)]
    artifacts.append(Artifact(app, app))
    return Conversion(ECOSYSTEM, last, runtime, tuple(artifacts), setup)


def _commands(view: BuildView) -> list[tuple[Instruction, Command]]:
    return [(ins, c) for ins, script in view.runs for c in script.commands]


def _pip_install(command: Command) -> bool:
    args = [w.value for w in command.effective_args]
    program = command.program or ""
    if re.fullmatch(r"python[\d.]*", program) and args[:2] == ["-m", "pip"]:
        args = args[2:]
    elif not re.fullmatch(r"pip[\d.]*", program):
        return False
    return "install" in args


def _compiler_installed(view: BuildView, installs: list[_Install]) -> bool:
    """A RUN installs a C compiler, or headers on a full python image (which has one):
    pip can then build from source, and the compiler ships."""
    packages = [p for i in installs for p in i.packages]
    if any(p in COMPILERS or re.fullmatch(r"(?:gcc|g\+\+|clang)-[\d.]+", p) for p in packages):
        return True
    ref = image(view)
    full = ref is not None and is_official(ref, "python") and not _slim_or_alpine(ref)
    return full and any(_compiles(p) for p in packages)


def _slim_or_alpine(ref: ImageRef) -> bool:
    match = _PYTHON_TAG.fullmatch(ref.tag or "")
    variant = (match.group("variant") if match else None) or ref.tag or ""
    return variant.startswith(("slim", "alpine"))


def _compiles(package: str) -> bool:
    return package in TOOLCHAIN or package.endswith("-dev")


def _runs_toolchain(words: tuple[str, ...]) -> bool:
    program = posixpath.basename(words[0]) if words else ""
    return program in ("gcc", "cc", "make", "pip", "pip3") or program.endswith("-config")


# --------------------------------------------------------------------------- packages


def _installs(view: BuildView) -> list[_Install] | None:
    out: list[_Install] = []
    for ins, command in _commands(view):
        program = command.program
        words = [w.value for w in command.effective_args]
        if program in _APT and "install" in words:
            manager, verb = "apt", "install"
        elif program == "apk" and "add" in words:
            manager, verb = "apk", "add"
        else:
            continue
        if any(w is None for w in words):
            return None
        names = [w for w in words if w is not None]
        after = names[names.index(verb) + 1 :]
        virtual = None
        packages: list[str] = []
        skip = False
        for i, word in enumerate(after):
            if skip:
                skip = False
                continue
            if word in ("--virtual", "-t"):
                virtual = after[i + 1] if i + 1 < len(after) else None
                skip = True
            elif word.startswith("--virtual="):
                virtual = word.split("=", 1)[1]
            elif word in ("-o", "--option", "-X", "--repository"):
                skip = True
            elif not word.startswith("-"):
                packages.append(re.split(r"[=@<>~]", word, maxsplit=1)[0])
        out.append(_Install(ins, manager, tuple(packages), virtual))
    return out


def _removal(view: BuildView, installs: list[_Install]) -> tuple[Instruction, bool] | None:
    """The RUN that removes build packages, and whether it is one that installed them."""
    removable = {p for i in installs for p in i.packages if _compiles(p)}
    removable |= {i.virtual for i in installs if i.virtual is not None}
    compiling = {id(i.instruction) for i in installs if any(_compiles(p) for p in i.packages)}
    for ins, command in _commands(view):
        words = [w.value for w in command.effective_args]
        verbs = ("purge", "remove", "autoremove") if command.program in _APT else ("del",)
        if command.program not in (*_APT, "apk") or not any(v in words for v in verbs):
            continue
        if id(ins) in compiling:
            # whatever it names (packages marked auto and purged with --auto-remove,
            # a virtual group): the RUN that installed the compiler cleans up after it
            return ins, True
        automatic = "autoremove" in words or "--auto-remove" in words
        if automatic or removable & {w for w in words if w is not None}:
            return ins, False
    return None


def _runtime_install(ref: ImageRef, installs: list[_Install]) -> tuple[str, ...] | NoConversion:
    """The runtime's install of the libraries (and the other packages) the build
    installed, without the compilers and headers."""
    alpine = "alpine" in (ref.tag or "")
    codename = next((c for c in _DEBIAN_RELEASES if c in (ref.tag or "")), None)
    wanted: list[str] = []
    for install in installs:
        for package in install.packages:
            if package in TOOLCHAIN:
                continue
            if package.endswith("-dev"):
                library = (
                    ALPINE_LIBRARIES.get(package) if alpine else _debian_library(package, codename)
                )
                if library is None:
                    return NoConversion(
                        f"{LIBRARY_UNKNOWN}: the build installs `{package}`, and the shared "
                        "library compiled code "
                        f"links against at run time is not known for `{ref}`"
                    )
                package = library
            if package not in wanted:
                wanted.append(package)
    if not wanted:
        return ()
    if alpine:
        return ("RUN apk add --no-cache " + " ".join(wanted),)
    return (apt_install(wanted),)


def _debian_library(package: str, codename: str | None) -> str | None:
    """The library package of a ``-dev`` package on ``codename``; without a release in
    the tag, only one that is the same on every release the tag may move between."""
    known = DEBIAN_LIBRARIES.get(package)
    if known is None:
        return None
    if codename is not None:
        return known.get(codename)
    values = {known.get(c) for c in _DEBIAN_RELEASES}
    return values.pop() if len(values) == 1 else None


# --------------------------------------------------------------------------- the image


def _minor(ref: ImageRef) -> str | None:
    match = _PYTHON_TAG.fullmatch(ref.tag or "")
    return match.group("minor") if match else None


def _image_problem(ref: ImageRef | None, shown: str) -> str | None:
    if ref is None or not is_official(ref, "python"):
        return f"{NO_RUNTIME}: {shown} is not the official python image"
    match = _PYTHON_TAG.fullmatch(ref.tag or "")
    if match is None:
        return (
            f"{NO_RUNTIME}: the tag of {shown} does not fix the Python minor version, which the "
            "installed packages are built for"
        )
    if not _slim_or_alpine(ref):
        return (
            f"{LIBRARY_UNKNOWN}: {shown} is built on buildpack-deps, whose -dev packages "
            "compiled code may link against, and which of their libraries the program "
            "needs cannot be told"
        )
    return None


def _slim(ref: ImageRef) -> str:
    minor = _minor(ref)
    return f"python:{minor}-slim" if minor else "python:<version>-slim"


# --------------------------------------------------------------------------- the steps


def _virtualenvs(view: BuildView) -> tuple[str, ...] | NoConversion:
    out: list[str] = []
    for ins, command in _commands(view):
        words = [w.value for w in command.effective_args]
        program = command.program or ""
        if re.fullmatch(r"python[\d.]*", program) and words[:2] == ["-m", "venv"]:
            targets = [w for w in operands(command) if w != "venv"]
        elif program == "virtualenv":
            targets = operands(command)
        else:
            continue
        if len(targets) != 1 or targets[0] is None:
            return NoConversion(
                f"{ARTIFACT_UNKNOWN}: the virtualenv made on line {line_of(ins)} is not literal"
            )
        cwd = cwd_of(view, ins, script_of(view, ins), command)
        if cwd is None:
            return NoConversion(
                f"{ARTIFACT_UNKNOWN}: a `cd` before line {line_of(ins)} names a variable"
            )
        out.append(absolute(targets[0], cwd))
    return tuple(out)


def _steps_problem(view: BuildView, folders: tuple[str, ...]) -> str | None:
    unparsed = unparsed_run(view)
    if unparsed is not None:
        return f"{RUN_UNREADABLE}: the RUN on line {line_of(unparsed)} is not a shell script"
    for ins, _ in view.runs:
        moved = sorted(name for name in view.env_at(ins) if name in _PIP_PLACES)
        if moved:
            return (
                f"{ARTIFACT_UNKNOWN}: {moved[0]} is set for the RUN on line {line_of(ins)}, "
                "so pip installs into another place"
            )
    allowed = (*folders, "/tmp")
    for ins, command in _commands(view):
        problem = _command_problem(view, ins, command, allowed)
        if problem is not None:
            return f"{RUN_NOT_BUILD}: the RUN on line {line_of(ins)} {problem}"
    for copy in copies(view):
        if copy.from_stage:
            line = line_of(copy.instruction)
            return f"{ARTIFACT_UNKNOWN}: the COPY --from on line {line} is not followed"
    return stray_copy(view, tuple(folders), RUNTIME_FILES)


def _command_problem(
    view: BuildView, ins: Instruction, command: Command, allowed: tuple[str, ...]
) -> str | None:
    program = command.program
    words = [w.value for w in command.effective_args]
    if program is None:
        return "runs a command named by a variable"
    if program in _APT:
        verbs = {"install", "purge", "remove", "autoremove"} | _APT_QUIET_VERBS
        return None if any(w in verbs for w in words) else f"runs `{program}` {words[:1]}"
    if program == "apk":
        verbs = {"add", "del"} | _APK_QUIET_VERBS
        return None if any(w in verbs for w in words) else "runs `apk` for more than packages"
    if _pip_install(command) or re.fullmatch(r"pip[\d.]*", program):
        used = [w for w in words if w is not None and w.startswith(_PIP_ELSEWHERE)]
        if used:
            return f"runs `pip {used[0]}`: the packages go to another place"
        return None
    if re.fullmatch(r"python[\d.]*", program) and words[:2] in (["-m", "venv"], ["-m", "pip"]):
        return None
    if program == "virtualenv":
        return None
    if program not in INSPECTING and program not in FILE_PROGRAMS:
        return f"runs `{program}`, which may prepare the runtime image (packages, users, files)"
    outside = writes_outside(view, ins, command, allowed)
    if outside is not None:
        return f"writes {outside}, outside the application: the runtime stage would not have it"
    return None
