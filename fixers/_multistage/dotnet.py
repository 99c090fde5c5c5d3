""".NET: a ``dotnet publish -o DIR`` whose output the container runs.

The runtime is ``mcr.microsoft.com/dotnet/aspnet`` of the SDK's ``major.minor``
(and the same distribution suffix: ``8.0-alpine``, ``8.0-jammy``), or ``runtime``
when the project file is readable and certainly not a web project (SDK
``Microsoft.NET.Sdk``, no ``FrameworkReference`` and no ``ProjectReference`` that
could bring ASP.NET Core in). The ASP.NET Core image holds the .NET runtime too,
so it runs a console program as well: it is the choice whenever the project
cannot be read.

The publish directory lands at the same absolute path, so ``ENTRYPOINT
["dotnet", "out/App.dll"]`` and a ``WORKDIR`` inside it stay as written.
A self-contained, single-file or native AOT publish (``-r``, ``--self-contained``,
``PublishSingleFile``, ``PublishAot``) needs ``runtime-deps`` and is not split.
"""

from __future__ import annotations

import posixpath
import re

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
    last_build_step,
    line_of,
    read_copied,
    script_of,
    suggestion,
    unparsed_run,
    writes_outside,
)
from .core import ARTIFACT_UNKNOWN, NO_RUNTIME, RUN_NOT_BUILD, RUN_UNREADABLE, RUNTIME_FILES
from .plan import Artifact, BuildView, Conversion, NoConversion

ECOSYSTEM = "dotnet"

_REGISTRY = "mcr.microsoft.com"
_SDK_PATHS = {"dotnet/sdk": "dotnet/{}", "dotnet/core/sdk": "dotnet/core/{}"}
"""The SDK repositories and where their runtime images are (``{}``: aspnet or runtime)."""
_VERSION_TAG = re.compile(r"(\d+\.\d+)(?:\.\d+)?(-.+)?")
_RUNTIME_SUFFIXES = re.compile(
    r"-(?:alpine(?:\d+\.\d+)?|bookworm-slim|bullseye-slim|buster-slim|trixie-slim|"
    r"focal|jammy|noble|cbl-mariner\d+\.\d+|azurelinux\d+\.\d+)"
    r"(?:-(?:amd64|arm64v8|arm32v7))?"
)
"""Tag suffixes the SDK, ASP.NET Core and runtime images share (a distribution, an
architecture)."""
_NOT_FRAMEWORK_DEPENDENT = (
    "-r",
    "--runtime",
    "--self-contained",
    "--sc",
    "-p:PublishSingleFile",
    "-p:PublishAot",
    "/p:PublishSingleFile",
    "/p:PublishAot",
    "-p:SelfContained",
    "/p:SelfContained",
)
_DOTNET_VERBS = frozenset({"restore", "build", "publish", "test", "--info", "--version"})
_CONSOLE_SDK = re.compile(r"""<Project\s+Sdk\s*=\s*["']Microsoft\.NET\.Sdk["']""")
_MAY_BRING_ASPNET = re.compile(r"FrameworkReference|ProjectReference|Microsoft\.AspNetCore")


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    publishes = [
        (ins, command)
        for ins, script in view.runs
        for command in script.commands
        if command.program == "dotnet" and _verb(command) == "publish"
    ]
    if not publishes or view.base.windows:
        return None
    found = entry(view)
    if found is None or (found.words and found.words[0] == "dotnet" and _runs_sdk(found.words)):
        return None  # a CI image, or `dotnet run`/`watch`: the SDK is needed at run time
    ref = image(view)
    versions = _runtime_repository(ref) if ref is not None else None
    runtime = versions.format("aspnet") if versions else "mcr.microsoft.com/dotnet/aspnet:<version>"
    ins, command = publishes[-1]
    output = _publish_output(view, ins, command)
    if isinstance(output, NoConversion):
        return output
    program = _program(found.words, view.workdir_at(found.instruction))
    sketch = suggestion(runtime, ((output, output),), _entry_sketch(program))
    if program is None or not inside(program, output):
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the container runs no program of the publish output {output}",
            sketch,
        )
    refusal = _steps_problem(view, ins, output)
    if refusal is not None:
        return NoConversion(refusal, sketch)
    if versions is None:
        shown = str(ref) if ref is not None else view.stage.base
        return NoConversion(
            f"{NO_RUNTIME}: the .NET version of the base image {shown} cannot be told "
            "(an SDK image of mcr.microsoft.com/dotnet is expected)",
            sketch,
        )
    flavour = "runtime" if _console_project(view, ins, command) else "aspnet"
    last = last_build_step(view)
    assert last is not None  # the publish is a RUN
    return Conversion(ECOSYSTEM, last, versions.format(flavour), (Artifact(output, output),))


def _verb(command: Command) -> str | None:
    args = command.effective_args
    return args[0].value if args else None


def _runs_sdk(words: tuple[str, ...]) -> bool:
    """``dotnet run``, ``dotnet watch``, ``dotnet test``: SDK commands, not a program."""
    return len(words) < 2 or not words[1].endswith(".dll")


def _program(words: tuple[str, ...], workdir: str) -> str | None:
    """The file the container starts: the dll of ``dotnet X.dll``, else the first word
    (an apphost such as ``./App``), absolute."""
    if not words:
        return None
    first = words[0]
    if posixpath.basename(first) == "dotnet":
        first = words[1] if len(words) > 1 else ""
    if not first or "$" in first or ("/" not in first and not first.endswith(".dll")):
        return None  # a bare name is looked up on PATH, not in the WORKDIR
    return absolute(first, workdir)


def _entry_sketch(program: str | None) -> tuple[str, ...]:
    if program is None:
        return ('ENTRYPOINT ["dotnet", "/app/out/<YourApp>.dll"]',)
    return ()


def _publish_output(view: BuildView, ins: Instruction, command: Command) -> str | NoConversion:
    words = [w.value for w in command.effective_args]
    for word in words:
        if word is None:
            return NoConversion(
                f"{ARTIFACT_UNKNOWN}: the `dotnet publish` on line {line_of(ins)} uses a variable"
            )
        if word.startswith(_NOT_FRAMEWORK_DEPENDENT):
            return NoConversion(
                f"{NO_RUNTIME}: `dotnet publish {word}` on line {line_of(ins)} makes a "
                "self-contained or native program, which runs on neither ASP.NET Core nor .NET"
            )
    output = None
    for i, word in enumerate(words):
        if word in ("-o", "--output") and i + 1 < len(words):
            output = words[i + 1]
        elif word is not None and word.startswith(("-o:", "--output:", "--output=")):
            output = re.split("[:=]", word, maxsplit=1)[1]
    if output is None:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the `dotnet publish` on line {line_of(ins)} has no -o, so "
            "its output folder depends on the project's target framework"
        )
    cwd = cwd_of(view, ins, script_of(view, ins), command)
    if cwd is None:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: a `cd` before line {line_of(ins)} names a variable"
        )
    return absolute(output, cwd)


def _steps_problem(view: BuildView, publish: Instruction, output: str) -> str | None:
    """Why the stage may prepare more than the publish output for the runtime."""
    unparsed = unparsed_run(view)
    if unparsed is not None:
        return f"{RUN_UNREADABLE}: the RUN on line {line_of(unparsed)} is not a shell script"
    # the build's own folders: what is written there stays in the builder, unused
    allowed = (*{view.workdir_at(ins) for ins, _ in view.runs}, output, "/tmp")
    for ins, script in view.runs:
        for command in script.commands:
            program = command.program
            if program == "dotnet" and _verb(command) in _DOTNET_VERBS:
                continue
            if program is None:
                return f"{RUN_NOT_BUILD}: the RUN on line {line_of(ins)} runs a variable's command"
            if program not in INSPECTING and program not in FILE_PROGRAMS:
                shown = f"dotnet {_verb(command)}" if program == "dotnet" else program
                return (
                    f"{RUN_NOT_BUILD}: the RUN on line {line_of(ins)} runs `{shown}`, which "
                    "may prepare the runtime image (packages, users, files)"
                )
            outside = writes_outside(view, ins, command, allowed)
            if outside is not None:
                return (
                    f"{RUN_NOT_BUILD}: the RUN on line {line_of(ins)} writes {outside}, "
                    "outside the build"
                )
    for copy in copies(view):
        if copy.instruction.start > publish.start:
            return (
                f"{RUNTIME_FILES}: the {copy.instruction.keyword} on line "
                f"{line_of(copy.instruction)} adds them after the build"
            )
    return None


def _runtime_repository(ref: ImageRef) -> str | None:
    """``mcr.microsoft.com/dotnet/{}:8.0`` for ``mcr.microsoft.com/dotnet/sdk:8.0``."""
    if ref.registry != _REGISTRY or ref.path not in _SDK_PATHS or ref.digest is not None:
        return None
    match = _VERSION_TAG.fullmatch(ref.tag or "")
    if match is None:
        return None
    version, suffix = match.group(1), match.group(2) or ""
    if suffix and _RUNTIME_SUFFIXES.fullmatch(suffix) is None:
        return None
    return f"{_REGISTRY}/{_SDK_PATHS[ref.path]}:{version}{suffix}"


def _console_project(view: BuildView, ins: Instruction, command: Command) -> bool:
    """Whether the published project is certainly not an ASP.NET Core one: its project
    file is readable and neither is nor may bring in a web project."""
    for name, value in view.env_at(ins).items():
        if name.startswith("ASPNETCORE_") and value is not None:
            return False
    projects = [
        w.value
        for w in command.effective_args[1:]
        if w.value is not None and w.value.endswith((".csproj", ".fsproj", ".vbproj"))
    ]
    if len(projects) != 1:
        return False  # no project named: the one in the folder, whose name is unknown
    cwd = cwd_of(view, ins, script_of(view, ins), command)
    if cwd is None:
        return False
    text = read_copied(view, absolute(projects[0], cwd), ins)
    if text is None:
        return False
    return _CONSOLE_SDK.search(text) is not None and _MAY_BRING_ASPNET.search(text) is None
