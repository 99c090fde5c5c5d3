"""C and C++: ``make``, ``cmake`` or a compiler building the one binary the image runs.

The binary is the compiler's ``-o``, the ``make`` target of that name in the
directory ``make`` runs in, or, for a plain ``make`` / ``cmake --build``, the file the
CMD/ENTRYPOINT names inside the directory the build runs in (``make install`` puts
files in places not derived: refused).

Only distribution bases whose toolchain the file installs itself are split: every
``-dev`` package the binary may link is then in a RUN, and mapped to its shared
library (``libssl-dev`` -> ``libssl3`` on bookworm) or refused; libcurl comes with
the CA bundle its Debian package recommends. The runtime is
``debian:<codename>-slim`` (the release the base names), the same Ubuntu tag, or
the same Alpine tag (with ``libstdc++``/``libgcc``, which Alpine's base lacks).
The official ``gcc`` image is refused: its compiler lives under ``/usr/local`` and
links its own, newer ``libstdc++``, which no Debian runtime package matches, and
it ships the headers of many libraries the binary may link unseen.
"""

from __future__ import annotations

import posixpath

from manifesto.cst import Instruction
from manifesto.cst.stages import ALPINE, DEBIAN, UBUNTU
from manifesto.shell import Command, ShellScript

from .core import (
    C_LIBRARY,
    LIBRARY_UNKNOWN,
    MAKE_INSTALL,
    NO_RUNTIME,
    apt_install,
    cwd_before,
    debian_codename,
    entry,
    files_for_run_time,
    foreign_command,
    installed_packages,
    may_be_artifact,
    official_image,
    option_value,
    resolve,
    runtime_packages,
)
from .plan import Artifact, BuildView, Conversion, NoConversion

COMPILERS = frozenset({"gcc", "g++", "cc", "c++", "clang", "clang++"})
CERTIFICATE_USERS = frozenset({"libcurl4", "libcurl4t64"})
"""Runtime libraries whose Debian package recommends ``ca-certificates``: the build's
install brought the CA bundle along unless it said ``--no-install-recommends``, and the
runtime stage's install says it, so the bundle is named (without it every https
transfer fails; a build lab case showed it)."""
BUILDERS = frozenset({"make", "cmake", "ninja", *COMPILERS})


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    steps = [
        (ins, script, command)
        for ins, script in view.runs
        for command in script.commands
        if command.program in BUILDERS and _builds(command)
    ]
    if not steps:
        return None
    found = entry(view)
    if found is None or not may_be_artifact(found):
        return None
    program = found.program
    if "/" not in program:
        return None  # a bare name: found on the PATH, where make install would put it
    binary = resolve(view, found.instruction, program)
    made = [s for s in steps if _makes(view, s, binary)]
    if not made:
        return None  # the image runs something the build does not make
    ins = made[-1][0]
    if any(c.program == "make" and _target(c) == "install" for _, _, c in steps):
        return NoConversion(
            f"{MAKE_INSTALL}: it puts files in places not derived (libraries, data), so what the "
            "binary needs at run time cannot be told"
        )
    last = steps[-1][0]
    build = last if last.start > ins.start else ins
    made_in, made_script, made_command = made[-1]
    build_dir = cwd_before(view, made_in, made_script, made_command)  # _makes read it
    refusal = foreign_command(view, build) or files_for_run_time(view, build, build_dir)
    if refusal is not None:
        return refusal
    runtime = _runtime(view)
    if isinstance(runtime, NoConversion):
        return runtime
    image, setup = runtime
    return Conversion("c", build, image, (Artifact(binary, binary),), setup)


def _builds(command: Command) -> bool:
    """Whether the command compiles (not ``make --version``, not ``cmake -S . -B b``
    alone, which only configures)."""
    values = [w.value for w in command.effective_args]
    if command.program == "cmake":
        return "--build" in values
    return not any(v in ("--version", "-v", "-dumpversion") for v in values)


def _target(command: Command) -> str | None:
    for word in command.effective_args:
        if word.value is not None and not word.value.startswith("-") and "=" not in word.value:
            return word.value
    return None


def _makes(view: BuildView, step: tuple[Instruction, ShellScript, Command], binary: str) -> bool:
    """Whether this build step writes ``binary``."""
    ins, script, command = step
    if command.context:
        return False
    try:
        cwd = cwd_before(view, ins, script, command)
    except ValueError:
        return False
    _, directory = option_value(command, "-C")
    if directory is not None:
        cwd = posixpath.normpath(posixpath.join(cwd, directory))
    if command.program in COMPILERS:
        _, output = option_value(command, "-o")
        return output is not None and posixpath.normpath(posixpath.join(cwd, output)) == binary
    if command.program == "cmake":
        _, build_dir = option_value(command, "--build")
        if build_dir is None:
            return False
        cwd = posixpath.normpath(posixpath.join(cwd, build_dir))
    target = _target(command) if command.program in ("make", "ninja") else None
    if target is not None and target not in ("all",):
        return posixpath.normpath(posixpath.join(cwd, target)) == binary
    return binary.startswith(cwd.rstrip("/") + "/")


def _runtime(view: BuildView) -> tuple[str, tuple[str, ...]] | NoConversion:
    base = view.base
    if official_image(base, "gcc"):
        return NoConversion(
            f"{LIBRARY_UNKNOWN}: the gcc image's compiler links its own libstdc++ and libgcc "
            "under /usr/local "
            "and ships the headers of many libraries: which shared libraries the binary "
            "needs cannot be matched by a Debian runtime"
        )
    if not official_image(base, "debian", "ubuntu", "alpine"):
        return NoConversion(
            f"{LIBRARY_UNKNOWN}: `{base.reference}` is not a plain distribution image, so which "
            "libraries its "
            "toolchain links cannot be told"
        )
    installed = set(installed_packages(view).names)
    if base.family == DEBIAN:
        codename = debian_codename(base)
        if codename is None:
            return NoConversion(f"{C_LIBRARY}: `{base.reference}` does not name its Debian release")
        packages = runtime_packages(view, codename, linked=True)
        if isinstance(packages, NoConversion):
            return packages
        certificates = "ca-certificates" in installed or not CERTIFICATE_USERS.isdisjoint(packages)
        wanted = (*(("ca-certificates",) if certificates else ()), *packages)
        return f"debian:{codename}-slim", ((apt_install(wanted),) if wanted else ())
    packages = runtime_packages(view, None, linked=True)
    if isinstance(packages, NoConversion):
        return packages
    if packages:
        return NoConversion(
            f"{LIBRARY_UNKNOWN}: the build installs -dev packages whose runtime libraries are "
            "not mapped"
        )
    reference = base.reference or ""
    if base.family == UBUNTU:
        wanted = ("ca-certificates",) if "ca-certificates" in installed else ()
        return reference, ((apt_install(wanted),) if wanted else ())
    if base.family == ALPINE:
        return reference, ("RUN apk add --no-cache libgcc libstdc++",)
    return NoConversion(f"{NO_RUNTIME}: `{reference}`'s distribution has none")
