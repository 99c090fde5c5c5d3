"""Go: a ``go build`` whose binary the image runs.

The output is ``-o`` (a file, or a directory when it ends in ``/``) or, without
``-o``, the single package argument's last element (``./cmd/server`` ->
``server``) in the directory the build runs in. The runtime is ``scratch`` when
``CGO_ENABLED=0`` is set (ENV, ARG default, ``export`` or on the command): the
binary is static. Every scratch runtime gets the builder's CA bundle and time
zone database when the builder certainly has them (the official golang images
ship both on Debian, the CA bundle on Alpine; another base when the file installs
``ca-certificates`` / ``tzdata``): a program that calls HTTPS or loads a zone
cannot be told apart from one that does not, and the two files cost < 1 MB.

With cgo on (the default where a C compiler is present), the binary links the
builder's glibc: the runtime must be the same Debian release, so the base must
name it (``golang:1.22-bookworm``): bookworm runs on
``gcr.io/distroless/base-debian12``, another release on ``debian:<codename>-slim``.
"""

from __future__ import annotations

import posixpath

from manifesto.cst import Instruction
from manifesto.cst.stages import ALPINE
from manifesto.shell import Command, ShellScript

from .core import (
    ARTIFACT_UNKNOWN,
    C_LIBRARY,
    NOT_LINUX,
    SEVERAL_ARTIFACTS,
    Entry,
    apt_install,
    assigned_in_script,
    cwd_before,
    debian_codename,
    entry,
    files_for_run_time,
    foreign_command,
    installed_packages,
    may_be_artifact,
    official_image,
    option_value,
    runs_artifact,
    runtime_packages,
)
from .plan import Artifact, BuildView, Conversion, NoConversion

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ZONEINFO = "/usr/share/zoneinfo"
GOPATH_BIN = "/go/bin"
"""Where ``go install`` puts binaries in the golang images (GOPATH=/go, no GOBIN)."""


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    commands = [
        (ins, script, command)
        for ins, script in view.runs
        for command in script.commands
        if command.program == "go"
    ]
    if any(_verb(c) == "run" for _, _, c in commands):
        return None  # `go run` compiles at start-up: the toolchain is needed at run time
    # `go install tool@version` fetches a build tool (a code generator), not the program
    builds = [
        (ins, script, command)
        for ins, script, command in commands
        if _verb(command) == "build" or (_verb(command) == "install" and not _remote(command))
    ]
    if not builds:
        return None
    found = entry(view)
    if found is None or not may_be_artifact(found):
        return None
    outputs: list[tuple[Instruction, Command, str]] = []
    failures: list[NoConversion] = []
    for ins, script, command in builds:
        output = _output(view, ins, script, command)
        if isinstance(output, NoConversion):
            failures.append(output)
        else:
            outputs.append((ins, command, output))
    ran = [o for o in outputs if _runs(view, found, o[1], o[2])]
    if not ran:
        if failures:
            return failures[0]
        return None  # the image runs something else: the toolchain may be what it is for
    ins, command, binary = ran[-1]
    script = next(s for i, s, c in builds if c is command)
    if len(builds) > 1:
        return NoConversion(
            f"{SEVERAL_ARTIFACTS}: {len(builds)} Go builds (line "
            f"{', '.join(sorted({str(i.start_line) for i, _, _ in builds}))}), and which "
            "outputs the program needs cannot be told"
        )
    build_dir = cwd_before(view, ins, script, command)  # _output read it already
    tools = frozenset(_tool_name(c) for _, _, c in commands if _remote(c))
    refusal = foreign_command(view, ins, tools) or files_for_run_time(view, ins, build_dir)
    if refusal is not None:
        return refusal
    goos = _variable(view, ins, script, command, "GOOS")
    if goos not in (None, "linux"):
        return NoConversion(f"{NOT_LINUX}: GOOS={goos}")
    static = _variable(view, ins, script, command, "CGO_ENABLED") == "0"
    artifacts = [Artifact(binary, _destination(found.program, binary))]
    if static:
        packages = runtime_packages(view, None, linked=False)
        if isinstance(packages, NoConversion):
            return packages
        installed = set(installed_packages(view).names)
        official = official_image(view.base, "golang")
        # the golang images ship the CA bundle (Alpine's base image has it too) and,
        # on Debian, tzdata; another base has what the file installs
        if official or "ca-certificates" in installed:
            artifacts.insert(0, Artifact(CA_BUNDLE, CA_BUNDLE))
        if (official and view.base.family != ALPINE) or "tzdata" in installed:
            artifacts.insert(len(artifacts) - 1, Artifact(ZONEINFO, ZONEINFO))
        return Conversion("go", ins, "scratch", tuple(artifacts))
    if view.base.family == ALPINE:
        return NoConversion(
            f"{C_LIBRARY}: cgo is not turned off (CGO_ENABLED=0) on an Alpine base, so the "
            "binary may "
            "link musl, which no distroless or Debian runtime has",
            suggestion="ENV CGO_ENABLED=0",
        )
    codename = debian_codename(view.base)
    if codename is None:
        return NoConversion(
            f"{C_LIBRARY}: cgo is not turned off (CGO_ENABLED=0) and "
            f"`{view.base.reference}` does not name its Debian release",
            suggestion="ENV CGO_ENABLED=0",
        )
    packages = runtime_packages(view, codename, linked=True)
    if isinstance(packages, NoConversion):
        return packages
    if codename == "bookworm" and not packages:
        return Conversion("go", ins, "gcr.io/distroless/base-debian12", tuple(artifacts))
    setup = (apt_install(("ca-certificates", *packages)),)
    return Conversion("go", ins, f"debian:{codename}-slim", tuple(artifacts), setup)


def _remote(command: Command) -> bool:
    """``go install example.com/tool@v1``: a versioned module, not the project."""
    return any(w.value is not None and "@" in w.value for w in command.effective_args[1:])


def _tool_name(command: Command) -> str:
    """The program ``go install example.com/x/cmd/tool@v1`` installs: ``tool``."""
    for word in command.effective_args[1:]:
        if word.value is not None and "@" in word.value:
            path = word.value.split("@", 1)[0].rstrip("/").split("/")
            while len(path) > 1 and path[-1][:1] == "v" and path[-1][1:].isdigit():
                path.pop()
            return path[-1]
    return ""


def _runs(view: BuildView, found: Entry, command: Command, binary: str) -> bool:
    """Whether the entry runs ``binary``; a bare name also finds ``go install``'s
    /go/bin, on the PATH of the golang images."""
    if runs_artifact(view, found, binary):
        return True
    return (
        _verb(command) == "install"
        and found.program == posixpath.basename(binary)
        and posixpath.dirname(binary) == GOPATH_BIN
    )


def _destination(program: str, binary: str) -> str:
    """Where the binary goes in the runtime stage: where it was, or, for a bare
    name found in /go/bin (not on a runtime image's PATH), /usr/local/bin."""
    if "/" not in program and posixpath.dirname(binary) == GOPATH_BIN:
        return posixpath.join("/usr/local/bin", posixpath.basename(binary))
    return binary


def _verb(command: Command) -> str | None:
    args = command.effective_args
    return args[0].value if args else None


def _output(
    view: BuildView, ins: Instruction, script: ShellScript, command: Command
) -> str | NoConversion:
    """The absolute path of the binary ``command`` writes."""
    if command.context:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the `go build` on line {ins.start_line} is inside a "
            f"{command.context[-1]}: "
            "whether and how often it runs cannot be told"
        )
    try:
        cwd = cwd_before(view, ins, script, command)
    except ValueError:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: a `cd` before the `go build` on line {ins.start_line} is "
            "not literal: where "
            "the binary lands cannot be told"
        )
    present, value = option_value(command, "-o", "--o")
    packages = _packages(command)
    if _verb(command) == "install":
        return _installed(view, ins, script, command, packages)
    if packages is None:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the `go build` on line {ins.start_line} has arguments "
            "that are not literal"
        )
    if present:
        if value is None:
            return NoConversion(
                f"{ARTIFACT_UNKNOWN}: the -o of the `go build` on line {ins.start_line} is "
                "not literal text"
            )
        if value.endswith("/"):
            name = _default_name(packages)
            if name is None:
                return _no_name(ins)
            return posixpath.normpath(posixpath.join(cwd, value, name))
        return posixpath.normpath(posixpath.join(cwd, value))
    name = _default_name(packages)
    if name is None:
        return _no_name(ins)
    return posixpath.join(cwd, name)


def _installed(
    view: BuildView,
    ins: Instruction,
    script: ShellScript,
    command: Command,
    packages: list[str] | None,
) -> str | NoConversion:
    """Where ``go install ./cmd/x`` puts ``x``: GOBIN, else GOPATH/bin; with neither
    set in the file, the golang images' /go/bin."""
    name = _default_name(packages) if packages is not None else None
    if name is None:
        return _no_name(ins, "install")
    gobin = _variable(view, ins, script, command, "GOBIN")
    if gobin:
        return posixpath.join(gobin, name) if gobin.startswith("/") else _no_name(ins, "install")
    gopath = _variable(view, ins, script, command, "GOPATH")
    if gopath is None and official_image(view.base, "golang"):
        return posixpath.join(GOPATH_BIN, name)
    if gopath and gopath.startswith("/") and ":" not in gopath:
        return posixpath.join(gopath, "bin", name)
    return NoConversion(
        f"{ARTIFACT_UNKNOWN}: the `go install` on line {ins.start_line} writes to GOPATH/bin, "
        "and GOPATH is not set in the file"
    )


def _no_name(ins: Instruction, verb: str = "build") -> NoConversion:
    return NoConversion(
        f"{ARTIFACT_UNKNOWN}: the `go {verb}` on line {ins.start_line} names its output "
        "after the module or a package that is not one literal path: the binary's name "
        "cannot be told"
    )


_VALUE_FLAGS = frozenset(
    {
        "-o",
        "-p",
        "-tags",
        "-ldflags",
        "-gcflags",
        "-asmflags",
        "-gccgoflags",
        "-mod",
        "-modfile",
        "-overlay",
        "-pgo",
        "-pkgdir",
        "-buildmode",
        "-compiler",
        "-installsuffix",
        "-toolexec",
        "-C",
    }
)


def _packages(command: Command) -> list[str] | None:
    """The package arguments of ``go build`` (flags and their values skipped)."""
    args = command.effective_args[1:]
    out: list[str] = []
    skip = False
    for word in args:
        value = word.value
        if skip:
            skip = False
            continue
        if value is None:
            return None
        if value.startswith("-"):
            name = "-" + value.lstrip("-").split("=", 1)[0]
            if name == "-C":
                return None  # changes directory: not followed
            skip = "=" not in value and name in _VALUE_FLAGS
            continue
        out.append(value)
    return out


def _default_name(packages: list[str]) -> str | None:
    """The name ``go build`` gives the binary of one package argument, if it tells."""
    if len(packages) != 1:
        return None  # no argument: named after the module path, in go.mod
    package = packages[0].rstrip("/")
    if package.endswith(".go"):
        return posixpath.basename(package)[: -len(".go")] or None
    if "..." in package or not package.startswith(("./", "../")):
        return None
    last = posixpath.basename(package)
    if last in ("", ".", "..") or (last[:1] == "v" and last[1:].isdigit()):
        return None
    return last


def _variable(
    view: BuildView, ins: Instruction, script: ShellScript, command: Command, name: str
) -> str | None:
    own = assigned_in_script(script, command, name)
    if own is not None:
        return own
    return view.env_at(ins).get(name)
