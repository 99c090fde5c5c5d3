"""Node: ``npm``/``yarn`` installs (and builds) an application the container runs.

A Node server (``node server.js``, ``npm start``, ``yarn start``) built on the full
``node`` image, which is ``buildpack-deps`` (compilers, Python, dozens of ``-dev``
packages) under Node, moves to the ``-slim`` image of the same tag (``node:20`` ->
``node:20-slim``, ``node:20.11-bookworm`` -> ``node:20.11-bookworm-slim``) with the
application's folder, ``node_modules`` included, copied at the same path. That is
certain only when no package compiled anything against the builder's libraries:
every install runs with ``--ignore-scripts`` (or ``npm_config_ignore_scripts``), or
``package-lock.json`` is readable and lists no package with an install script
(``hasInstallScript``, which node-gyp and prebuild-install builds have). The
application's own ``npm run build`` is trusted to build JavaScript, not an addon.

``devDependencies`` stay in ``node_modules``: pruning them needs a step in the
builder (``npm prune --omit=dev``), and the runtime cannot prune a layer it
copied without keeping the bytes.

Not split:
- a base other than the official node image (Node from the distribution's
  packages: there is no slim twin to move to), one that is already ``slim`` or
  ``alpine`` (no compiler ships); a tag that names no version (``node:latest``) is
  a finding without a fix;
- a development server (``npm run dev``, ``nodemon``, ``next dev``): it needs the
  toolchain; a static file server (``serve -s build``, ``http-server dist``):
  serving the build output from nginx means replacing the command, shown as a
  suggestion;
- global installs (``npm install -g``), RUNs other than installs, builds and file
  moves in the application's folder, COPYs outside it.
"""

from __future__ import annotations

import json
import posixpath
import re

from manifesto.cst import Instruction
from manifesto.images import ImageRef
from manifesto.shell import Command

from ._managed import (
    FILE_PROGRAMS,
    INSPECTING,
    Entry,
    absolute,
    copies,
    entry,
    image,
    is_official,
    last_build_step,
    line_of,
    read_copied,
    stray_copy,
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
)
from .plan import Artifact, BuildView, Conversion, NoConversion

ECOSYSTEM = "node"

NGINX_IMAGE = "nginx:1.28-alpine"
"""What a static site is shown served from: nginx's stable branch when this was
written, a tag that names it (MF301 pins it further from the lock file)."""

STATIC_FILES = "the program is static files"
"""Why a static site is not split: the reason's first words, for its catalogue slug."""

_NODE_TAG = re.compile(r"(?P<version>\d+(?:\.\d+){0,2}|lts|current|[a-z]+)(?:-(?P<variant>.+))?")
_DEBIAN_RELEASES = frozenset({"buster", "bullseye", "bookworm", "trixie"})
_INSTALL_VERBS = frozenset({"ci", "install", "i", "add", "isntall", "clean-install"})
_DEV_SERVERS = frozenset({"nodemon", "ts-node", "ts-node-dev", "vite", "webpack-dev-server"})
_DEV_SCRIPTS = frozenset({"dev", "serve", "watch", "develop"})
_STATIC_SERVERS = frozenset({"serve", "http-server"})


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    installs = [(ins, c) for ins, script in view.runs for c in script.commands if _installs(c)]
    if not installs or view.base.windows:
        return None
    found = entry(view)
    if found is None or _development(found.words):
        return None  # the image's own command, or a dev server that needs the toolchain
    ref = image(view)
    if ref is None or not is_official(ref, "node"):
        # Node from the distribution's packages: the toolchain is the distribution's,
        # and no slim image of the same Node exists to move to
        return None
    static = _static_server(found, view.workdir_at(found.instruction))
    if static is not None:
        return static
    if not _runs_node_app(found.words):
        return None  # the container runs a program, not the application
    runtime = _slim(ref)
    if runtime is None:
        return None  # already slim or alpine: no compiler ships
    if isinstance(runtime, NoConversion):
        return runtime
    app = view.workdir_at(found.instruction)
    sketch = f"FROM {runtime}\nCOPY --from=build {app} {app}\n"
    if app == "/":
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the command runs in /, where the application's files "
            "cannot be told from the system's",
            sketch,
        )
    problem = _steps_problem(view, app) or _native_addons(view, app, installs)
    if problem is not None:
        return NoConversion(problem, sketch)
    last = last_build_step(view)
    assert last is not None  # a RUN installs
    return Conversion(ECOSYSTEM, last, runtime, (Artifact(app, app),))


def _args(command: Command) -> list[str | None]:
    return [w.value for w in command.effective_args]


def _installs(command: Command) -> bool:
    args = _args(command)
    if command.program == "npm":
        return bool(args) and args[0] in _INSTALL_VERBS
    if command.program == "yarn":
        return not args or args[0] in ("install", "add") or (args[0] or "").startswith("--")
    return False


def _script(words: tuple[str, ...]) -> str | None:
    """The package.json script a command runs: ``npm run dev`` -> ``dev``,
    ``npm start`` -> ``start``, ``yarn build`` -> ``build``."""
    if not words:
        return None
    program = posixpath.basename(words[0])
    rest = [w for w in words[1:] if not w.startswith("-")]
    if program not in ("npm", "yarn", "pnpm") or not rest:
        return None
    if rest[0] in ("run", "run-script") and len(rest) > 1:
        return rest[1]
    if rest[0] in ("start", "test") or program != "npm":
        return rest[0]
    return None


def _development(words: tuple[str, ...]) -> bool:
    if not words:
        return False
    program = posixpath.basename(words[0])
    if program == "npx" and len(words) > 1:
        program = posixpath.basename(next((w for w in words[1:] if not w.startswith("-")), ""))
    script = _script(words) or ""
    if program in _DEV_SERVERS or script in _DEV_SCRIPTS or script.startswith("dev:"):
        return True
    # `next dev`, `nuxt dev`, `ng serve`, `vue-cli-service serve`
    return program in ("next", "nuxt", "ng", "vue-cli-service") and (
        "dev" in words or "serve" in words
    )


def _runs_node_app(words: tuple[str, ...]) -> bool:
    if not words:
        return False
    program = posixpath.basename(words[0])
    return program == "node" or _script(words) == "start"


def _static_server(found: Entry, workdir: str) -> NoConversion | None:
    words = list(found.words)
    if words and posixpath.basename(words[0]) == "npx":
        words = [w for w in words[1:] if w not in ("-y", "--yes")]
    if not words or posixpath.basename(words[0]) not in _STATIC_SERVERS:
        return None
    folders = [w for w in words[1:] if not w.startswith("-")]
    folder = folders[0] if folders else "<build output>"
    served = absolute(folder, workdir) if folders else folder
    return NoConversion(
        f"{STATIC_FILES}: `{words[0]}` serves them; serving them from nginx replaces "
        "the command, which the split does not do",
        f"FROM {NGINX_IMAGE}\nCOPY --from=build {served} /usr/share/nginx/html\n",
    )


def _slim(ref: ImageRef) -> str | NoConversion | None:
    """``node:20-slim`` for ``node:20``; None for a tag that is slim or Alpine already."""
    match = _NODE_TAG.fullmatch(ref.tag or "")
    if match is None or match.group("version") == "latest" or ref.digest is not None:
        return NoConversion(f"{NO_RUNTIME}: the tag of {ref} does not name a Node version")
    variant = match.group("variant")
    if variant is None:
        return f"node:{match.group('version')}-slim"
    if variant in _DEBIAN_RELEASES:
        return f"node:{match.group('version')}-{variant}-slim"
    return None


def _steps_problem(view: BuildView, app: str) -> str | None:
    unparsed = unparsed_run(view)
    if unparsed is not None:
        return f"{RUN_UNREADABLE}: the RUN on line {line_of(unparsed)} is not a shell script"
    allowed = (app, "/tmp")
    for ins, script in view.runs:
        for command in script.commands:
            problem = _command_problem(view, ins, command, allowed)
            if problem is not None:
                return f"{RUN_NOT_BUILD}: the RUN on line {line_of(ins)} {problem}"
    for copy in copies(view):
        if copy.from_stage:  # the build reads another image: what it puts is not known
            return (
                f"{RUNTIME_FILES}: the {copy.instruction.keyword} on line "
                f"{line_of(copy.instruction)} puts files "
                f"in {copy.dest}, outside the application's folder {app}"
            )
    return stray_copy(view, (app,), RUNTIME_FILES)


def _command_problem(
    view: BuildView, ins: Instruction, command: Command, allowed: tuple[str, ...]
) -> str | None:
    program = command.program
    args = _args(command)
    if program is None:
        return "runs a command named by a variable"
    if program in ("npm", "yarn"):
        if any(a in ("-g", "--global", "global") for a in args):
            return f"installs packages globally with `{program}`, outside the application"
        return None
    if program not in INSPECTING and program not in FILE_PROGRAMS:
        return f"runs `{program}`, which may prepare the runtime image (packages, users, files)"
    outside = writes_outside(view, ins, command, allowed)
    if outside is not None:
        return f"writes {outside}, outside the application: the runtime stage would not have it"
    return None


def _ignores_scripts(view: BuildView, ins: Instruction, command: Command) -> bool:
    """``npm ci --ignore-scripts`` (or ``npm_config_ignore_scripts=true``): the install
    runs no package's install script."""
    if "--ignore-scripts" in _args(command):
        return True
    for assignment in command.assignments:
        if assignment.name.lower() == "npm_config_ignore_scripts" and assignment.value:
            return assignment.value.value == "true"
    setting = view.env_at(ins).get("npm_config_ignore_scripts") or view.env_at(ins).get(
        "NPM_CONFIG_IGNORE_SCRIPTS"
    )
    return setting == "true"


def _native_addons(
    view: BuildView, app: str, installs: list[tuple[Instruction, Command]]
) -> str | None:
    """Why compiled code may link against the full image's libraries (None: it cannot)."""
    if all(_ignores_scripts(view, ins, command) for ins, command in installs):
        return None  # no package's install script ran: nothing was compiled here
    lock = read_copied(view, posixpath.join(app, "package-lock.json"), None)
    if lock is None:
        return (
            f"{LIBRARY_UNKNOWN}: package-lock.json cannot be read to tell that no package "
            "builds a native "
            "addon against the libraries of the full node image"
        )
    try:
        packages = json.loads(lock).get("packages", {})
    except (ValueError, AttributeError):
        return f"{LIBRARY_UNKNOWN}: package-lock.json is not a lockfile of npm 7 or later"
    if not isinstance(packages, dict) or not packages:
        return f"{LIBRARY_UNKNOWN}: package-lock.json is not a lockfile of npm 7 or later"
    for name, entry_ in packages.items():
        if isinstance(entry_, dict) and entry_.get("hasInstallScript"):
            shown = name.rsplit("node_modules/", 1)[-1] or "the project"
            return (
                f"{LIBRARY_UNKNOWN}: `{shown}` runs an install script, which may build a "
                "native addon"
            )
    return None
