"""Java: a Maven or Gradle build whose jar the container runs with ``java -jar``.

The runtime is ``eclipse-temurin:<major>-jre`` with the Java major version of the
build image (``maven:3.9-eclipse-temurin-17``, ``gradle:8-jdk21``, ``openjdk:17``),
and the jar lands at the path the command names, so CMD and ENTRYPOINT stay as
written. A jar named by a glob in a shell-form command (``java -jar
target/*.jar``) is copied as the same glob into the same directory: the shell
expands it to the same files at run time.

``java -jar`` reads the classes of the jar and of the jars its manifest's
``Class-Path`` names, relative to it. The jar alone is enough when it carries its
dependencies (a Spring Boot ``bootJar``/``repackage``, a shade or assembly jar) or
when the build file is readable and sets no ``Class-Path`` (then the original ran
on the jar alone too); otherwise the split is refused.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from manifesto.cst import Instruction
from manifesto.images import ImageRef
from manifesto.shell import Command, ShellScript

from ._managed import (
    FILE_PROGRAMS,
    INSPECTING,
    Entry,
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
    read_copied,
    suggestion,
    unparsed_run,
    writes_outside,
)
from .core import ARTIFACT_UNKNOWN, NO_RUNTIME, RUN_NOT_BUILD, RUN_UNREADABLE, RUNTIME_FILES
from .plan import Artifact, BuildView, Conversion, NoConversion

ECOSYSTEM = "java"

_MAVEN = frozenset({"mvn", "mvnw"})
_GRADLE = frozenset({"gradle", "gradlew"})
_JAR_PHASES = frozenset({"package", "install", "verify", "deploy"})
_JAR_TASKS = frozenset({"build", "assemble", "bootJar", "jar", "shadowJar"})
_FAT_GOALS = frozenset({"spring-boot:repackage", "assembly:single", "shade:shade"})
_FAT_TASKS = frozenset({"bootJar", "shadowJar"})
_MAVEN_VALUE_OPTIONS = frozenset(
    {
        *("-f", "--file", "-s", "--settings", "-gs", "--global-settings", "-t"),
        *("--toolchains", "-P", "--activate-profiles", "-pl", "--projects", "-rf"),
        *("--resume-from", "-T", "--threads", "-l", "--log-file", "-b", "--builder", "-D"),
    }
)
_GRADLE_VALUE_OPTIONS = frozenset(
    {
        *("-p", "--project-dir", "-b", "--build-file", "-x", "--exclude-task", "-I"),
        *("--init-script", "-c", "--settings-file", "-g", "--gradle-user-home", "-D", "-P"),
        *("--console", "--warning-mode", "--max-workers", "--project-cache-dir"),
    }
)
_CLASSPATH_OPTIONS = ("-cp", "-classpath", "--class-path", "-Dloader.path", "-javaagent")
_CLASSPATH_IN_BUILD = re.compile(r"Class-Path|addClasspath|copy-dependencies|dependency:copy")
_JDK_NAMES = frozenset({"eclipse-temurin", "openjdk", "amazoncorretto", "sapmachine"})
_JDK_IN_BUILD_TAG = re.compile(
    r"(?:^|-)(?:eclipse-temurin|temurin|openjdk|jdk|amazoncorretto|corretto|sapmachine|"
    r"ibmjava|ibm-semeru)-?(\d+)(?:$|[-.u])"
)


@dataclass(frozen=True, slots=True)
class _Build:
    """One Maven or Gradle command that makes a jar."""

    instruction: Instruction
    tool: str
    """``Maven`` or ``Gradle``."""
    project: str
    """The directory it builds (absolute)."""
    goals: tuple[str, ...]


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    builds = _jar_builds(view)
    if builds is None:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: a RUN changes directory to a path named by a variable"
        )
    if not builds or view.base.windows:
        return None
    found = entry(view)
    if found is None or _runs_build_tool(found):
        return None  # no command to run (a CI image), or one that needs the build tool
    ref = image(view)
    major = _java_major(ref) if ref is not None else None
    builder = str(ref) if ref is not None else view.stage.base
    runtime = f"eclipse-temurin:{major if major is not None else '<major>'}-jre"
    jar, why = _jar_operand(found)
    if jar is None:
        return NoConversion(why, _sketch(runtime, None))
    jar_path = absolute(jar, view.workdir_at(found.instruction))
    if any(ch in posixpath.dirname(jar_path) for ch in "*?["):
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the folder of the jar `{jar}` is a pattern",
            _sketch(runtime, None),
        )
    refusal = _build_steps_problem(view, builds, jar_path)
    if refusal is not None:
        return NoConversion(refusal, _sketch(runtime, jar_path))
    if major is None:
        return NoConversion(
            f"{NO_RUNTIME}: the Java version of the base image {builder} cannot be told",
            _sketch(runtime, jar_path),
        )
    if major not in (8, 11) and major < 16:
        return NoConversion(
            f"{NO_RUNTIME}: Eclipse Temurin publishes no JRE image for Java {major}",
            _sketch(runtime, jar_path),
        )
    alone = _jar_is_enough(view, builds)
    if alone is not None:
        return NoConversion(alone, _sketch(runtime, jar_path))
    last = last_build_step(view)
    assert last is not None  # a RUN builds the jar
    glob = any(ch in jar_path for ch in "*?[")
    artifact = (
        Artifact(jar_path, posixpath.dirname(jar_path) + "/")
        if glob
        else Artifact(jar_path, jar_path)
    )
    return Conversion(ECOSYSTEM, last, runtime, (artifact,))


# --------------------------------------------------------------------------- the build


def _tool_of(command: Command) -> tuple[str, tuple[str | None, ...]] | None:
    """``Maven`` or ``Gradle`` and the arguments, for ``mvn``, ``./gradlew``, ``sh mvnw``."""
    program = command.program
    args = tuple(w.value for w in command.effective_args)
    if program in ("sh", "bash") and args and args[0] is not None:
        program, args = posixpath.basename(args[0]), args[1:]
    if program in _MAVEN:
        return "Maven", args
    if program in _GRADLE:
        return "Gradle", args
    return None


def _goals(args: tuple[str | None, ...], value_options: frozenset[str]) -> tuple[str, ...]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg is None:
            continue
        if arg.startswith("-"):
            skip = arg in value_options
            continue
        out.append(arg)
    return tuple(out)


def _option(args: tuple[str | None, ...], names: tuple[str, ...]) -> str | None:
    for i, arg in enumerate(args):
        if arg in names and i + 1 < len(args):
            return args[i + 1]
        for name in names:
            if arg is not None and name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _jar_builds(view: BuildView) -> list[_Build] | None:
    """The Maven/Gradle commands that make a jar; None when one runs in a directory
    the file does not tell."""
    out: list[_Build] = []
    for ins, script in view.runs:
        for command in script.commands:
            build = _jar_build(view, ins, script, command)
            if build is False:
                return None
            if build is not None and build is not True:
                out.append(build)
    return out


def _jar_build(
    view: BuildView, ins: Instruction, script: ShellScript, command: Command
) -> _Build | bool | None:
    tool = _tool_of(command)
    if tool is None:
        return None
    name, args = tool
    options = _MAVEN_VALUE_OPTIONS if name == "Maven" else _GRADLE_VALUE_OPTIONS
    goals = _goals(args, options)
    if name == "Maven":
        makes_jar = any(g in _JAR_PHASES or g in _FAT_GOALS for g in goals)
    else:
        makes_jar = any(g.rsplit(":", 1)[-1] in _JAR_TASKS for g in goals)
    if not makes_jar:
        return True  # a build tool command, but not one that makes the jar
    cwd = cwd_of(view, ins, script, command)
    if cwd is None:
        return False
    if name == "Maven":
        pom = _option(args, ("-f", "--file"))
        project = cwd if pom is None else posixpath.dirname(absolute(pom, cwd))
    else:
        directory = _option(args, ("-p", "--project-dir"))
        project = cwd if directory is None else absolute(directory, cwd)
    return _Build(ins, name, project, goals)


def _runs_build_tool(found: Entry) -> bool:
    program = posixpath.basename(found.words[0]) if found.words else ""
    return program in _MAVEN or program in _GRADLE


def _jar_operand(found: Entry) -> tuple[str, str] | tuple[None, str]:
    """The jar ``java -jar`` runs, or None and the reason it cannot be told."""
    words = found.words
    if not words or posixpath.basename(words[0]) != "java":
        program = words[0] if words else "nothing"
        return None, (
            f"{ARTIFACT_UNKNOWN}: the container runs `{program}`, not `java -jar`, so "
            "which files it needs cannot be told"
        )
    for i, word in enumerate(words[1:], start=1):
        if word.startswith(_CLASSPATH_OPTIONS) or word.startswith("@"):
            return None, f"{ARTIFACT_UNKNOWN}: `java {word}` loads files besides the jar"
        if word == "-jar":
            if i + 1 >= len(words):
                break
            jar = words[i + 1]
            if "$" in jar:
                return None, f"{ARTIFACT_UNKNOWN}: the jar `{jar}` is named by a variable"
            if not found.shell and any(ch in jar for ch in "*?["):
                return None, f"{ARTIFACT_UNKNOWN}: the exec-form command passes `{jar}` unexpanded"
            return jar, ""
        if not word.startswith("-") and "$" not in word:
            return None, f"{ARTIFACT_UNKNOWN}: `java` runs the class `{word}`, not a jar"
    return None, f"{ARTIFACT_UNKNOWN}: `java` is not given `-jar` and a jar"


def _build_steps_problem(view: BuildView, builds: list[_Build], jar: str) -> str | None:
    """Why the steps of the stage may prepare more than the jar for the runtime."""
    unparsed = unparsed_run(view)
    if unparsed is not None:
        return f"{RUN_UNREADABLE}: the RUN on line {line_of(unparsed)} is not a shell script"
    projects = tuple(sorted({b.project for b in builds}))
    if not any(inside(jar, p) for p in projects) and not _moved_to(view, jar):
        return f"{ARTIFACT_UNKNOWN}: {jar} is neither in the project built nor copied there"
    allowed = (*projects, "/tmp", posixpath.dirname(jar))
    first_build = builds[0].instruction
    for ins, script in view.runs:
        for command in script.commands:
            problem = _step_problem(view, ins, command, allowed)
            if problem is not None:
                return f"{RUN_NOT_BUILD}: the RUN on line {line_of(ins)} {problem}"
    for copy in copies(view):
        if copy.instruction.start > first_build.start:
            return (
                f"{RUNTIME_FILES}: the {copy.instruction.keyword} on line "
                f"{line_of(copy.instruction)} adds them after the build"
            )
    return None


def _step_problem(
    view: BuildView, ins: Instruction, command: Command, allowed: tuple[str, ...]
) -> str | None:
    if _tool_of(command) is not None:
        return None
    program = command.program
    if program is None:
        return "runs a command named by a variable"
    if program not in INSPECTING and program not in FILE_PROGRAMS:
        return f"runs `{program}`, which may prepare the runtime image (packages, users, files)"
    outside = writes_outside(view, ins, command, allowed)
    if outside is not None:
        return f"writes {outside}, outside the project: the runtime stage would not have it"
    return None


def _moved_to(view: BuildView, jar: str) -> bool:
    """A ``cp``/``mv`` of a RUN puts a file at ``jar`` (``cp target/*.jar /app.jar``)."""
    for ins, script in view.runs:
        for command in script.commands:
            if command.program not in ("cp", "mv"):
                continue
            targets = operands(command)
            cwd = cwd_of(view, ins, script, command)
            if len(targets) >= 2 and targets[-1] is not None and cwd is not None:
                dest = absolute(targets[-1], cwd)
                if dest in (jar, posixpath.dirname(jar)):
                    return True
    return False


def _jar_is_enough(view: BuildView, builds: list[_Build]) -> str | None:
    """None when the jar carries what ``java -jar`` loads, else why it may not."""
    if any(g in _FAT_GOALS or g.rsplit(":", 1)[-1] in _FAT_TASKS for b in builds for g in b.goals):
        return None
    build = builds[-1]
    names = ("pom.xml",) if build.tool == "Maven" else ("build.gradle", "build.gradle.kts")
    for name in names:
        text = read_copied(view, posixpath.join(build.project, name), build.instruction)
        if text is None:
            continue
        if _CLASSPATH_IN_BUILD.search(text):
            return f"{ARTIFACT_UNKNOWN}: {name} gives the jar a Class-Path, files beside it"
        return None
    return (
        f"{ARTIFACT_UNKNOWN}: {names[0]} cannot be read to tell that the jar carries its "
        "dependencies "
        "(a Spring Boot, shade or assembly jar)"
    )


# --------------------------------------------------------------------------- the version


def _java_major(ref: ImageRef) -> int | None:
    """The Java major version of a build image, when its tag tells."""
    tag = ref.tag or ""
    if is_official(ref, "maven", "gradle"):
        match = _JDK_IN_BUILD_TAG.search(tag)
        return int(match.group(1)) if match else None
    if is_official(ref, *_JDK_NAMES):
        match = re.match(r"(\d+)(?:$|[-.u])", tag)
        return int(match.group(1)) if match else None
    return None


def _sketch(runtime: str, jar: str | None) -> str:
    path = jar or "/app/<your-app>.jar"
    return suggestion(runtime, ((path, path),), (f'CMD ["java", "-jar", "{path}"]',))
