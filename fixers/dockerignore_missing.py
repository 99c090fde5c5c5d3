"""Keep what the build does not need out of its context with a `.dockerignore`.

## What it does

Finds a Dockerfile whose directory has no `.dockerignore` (nor a
`<Dockerfile>.dockerignore`) although a `COPY` or `ADD` of that directory
would copy paths an image never needs, and creates a `.dockerignore` beside it
listing exactly those paths, chosen from what the directory holds:

- `.git` (unless a `RUN` calls `git`, or `pyproject.toml`, `setup.cfg` or
  `setup.py` names a plugin that versions the project from git,
  `setuptools-scm`, `hatch-vcs`, `versioneer`...: the build reads the history);
- `**/node_modules`, `**/__pycache__`, `**/*.pyc`, `**/.pytest_cache`,
  `**/.mypy_cache`, `**/.ruff_cache`, `**/.tox`;
- Python virtualenvs (a directory holding `pyvenv.cfg`);
- `target` when a `Cargo.toml` or `pom.xml` says it is build output;
- `.env` and `.env.*` files (secrets), `*.log`, `.idea`, `.vscode`,
  `**/.DS_Store`.

A pattern is written only when the directory has something it matches, some
`COPY`/`ADD` (or a context bind mount) would copy that, and no `COPY`/`ADD`
names it or a path under it (`COPY node_modules ./node_modules` keeps
`node_modules`; `COPY target/app.jar /app/` keeps `target`), nor a Dockerfile
below the directory that may be built with it as its context (`-f
docker/Dockerfile .`), and no other instruction names it (`RUN cp
/src/target/app.jar /`, `ENV NODE_PATH=/app/node_modules`). A Node.js image
(`node` in the file) that runs no package manager keeps `node_modules`: it
runs the one it copies. `--diff` shows the new file as `--- /dev/null` /
`+++ b/PATH` (`git apply` creates it); `fix` creates it, never replacing a
file.

## Why

The build context is sent to the builder and copied by `COPY . .`: a
`node_modules` from the developer's machine (built for another platform), the
`.git` history, virtualenvs, caches and `.env` secrets end up in the image or
in its build cache, make it bigger, and invalidate the `COPY` layer whenever
any of them changes (the manifesto: "use .dockerignore").

## Example

Before (a directory holding `Dockerfile`, `app.py`, `.git/`, `__pycache__/`):

    FROM python:3.12-slim
    COPY . /app

After, a new `.dockerignore`:

    # Written by manifesto (MF602): paths the image does not need, kept out of
    # the build context. Delete a line if the build needs that path.
    .git
    **/__pycache__

## Fix safety

Unsafe: the image no longer gets those files. An application that reads its
`.env` at run time, or a build step that needs `node_modules` from the host,
changes behaviour. Applied only with `--unsafe-fixes`.

## Caveats

- The build context is taken to be the Dockerfile's directory. When it is
  another one (`docker build -f docker/Dockerfile .`), the file created there
  is simply not read by the builder; nothing else changes.
- No fix when several Dockerfiles share the directory (their needs differ: write
  it by hand), when the directory is too large to list (20,000 entries) or cannot
  be read, and on stdin.
- No finding when nothing in the directory needs excluding.

## Related

The Container Build Manifesto's "use .dockerignore". hadolint has none;
BuildKit has none.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.context_files import ContextListing
from manifesto.cst import Dockerfile, Instruction, parse
from manifesto.cst.parser import ParseError
from manifesto.cst.values import InstructionError, buildkit_value, mounts
from manifesto.diagnostics import RuleInfo
from manifesto.discover import is_dockerfile_name
from manifesto.edits import Applicability, Fix, NewFile, Violation
from manifesto.reasons import no_fix

INFO = RuleInfo(
    code="MF602",
    name="dockerignore_missing",
    title="Create a `.dockerignore` that keeps what the build does not need out of its context",
    applicability=Applicability.UNSAFE,
    related=(),
    doc=__doc__ or "",
)

HEADER = (
    "# Written by manifesto (MF602): paths the image does not need, kept out of\n"
    "# the build context. Delete a line if the build needs that path.\n"
)

_ANYWHERE = (
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
)


@dataclass(frozen=True, slots=True)
class _Copy:
    instruction: Instruction
    sources: tuple[str, ...]
    """Normalised relative paths (``""`` is the whole context)."""


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    if ctx.list_context is None or not tree.instructions:
        return
    copies = _context_copies(tree)
    if not copies:
        return  # BuildKit sends only what COPY and ADD name: nothing to keep out
    listing = ctx.list_context()
    if listing is None:
        return
    if listing.has(".dockerignore") or listing.has(f"{listing.dockerfile}.dockerignore"):
        return
    if any(ctx.windows_at(c.instruction) for c in copies):
        return
    runs_git = _runs_git(tree, ctx) or _versions_from_git(ctx.read_context_file)
    sibling_sources = _sibling_sources(ctx.read_context_file, listing)
    patterns = [
        p
        for p in _patterns(listing, [*copies, *sibling_sources], runs_git)
        if not _used_by_the_build(tree, listing, p)
    ]
    if not patterns:
        return
    anchor = next((c for c in copies if "" in c.sources), copies[0]).instruction
    message = (
        "no .dockerignore: the build context also holds "
        + ", ".join(patterns[:4])
        + (", ..." if len(patterns) > 4 else "")
    )
    others = [
        p
        for p in listing.paths
        if "/" not in p and is_dockerfile_name(p) and p != listing.dockerfile
    ]
    if others:
        reason = f"several Dockerfiles share this directory ({others[0]}): write it by hand"
        yield _report(anchor, message, reason)
        return
    if not listing.complete:
        yield _report(anchor, message, "the directory is too large to list: write it by hand")
        return
    content = HEADER + "".join(f"{p}\n" for p in patterns)
    yield Violation(
        INFO.code,
        message,
        anchor.start,
        anchor.content_end,
        Fix(
            "Create .dockerignore (" + ", ".join(patterns) + ")",
            (),
            Applicability.UNSAFE,
            (NewFile(".dockerignore", content),),
        ),
    )


def _report(anchor: Instruction, message: str, reason: str) -> Violation:
    return Violation(
        INFO.code,
        f"{message}; {reason}",
        anchor.start,
        anchor.content_end,
        reason=no_fix(reason),
    )


def _context_copies(tree: Dockerfile) -> list[_Copy]:
    """COPY/ADD from the build context, and RUN bind mounts of it."""
    out: list[_Copy] = []
    for ins in tree.instructions:
        if ins.keyword in ("COPY", "ADD") and ins.effective.flag("from") is None:
            values, _ = buildkit_value(ins)
            sources = values[:-1]
            if ins.keyword == "ADD":
                sources = tuple(s for s in sources if "://" not in s and not s.startswith("git@"))
            if sources:
                out.append(_Copy(ins, tuple(_normal(s) for s in sources)))
        elif ins.keyword == "RUN":
            for mount in mounts(ins):
                fields = dict(mount.fields)
                if mount.type == "bind" and "from" not in fields:
                    source = fields.get("source", fields.get("src", ""))
                    out.append(_Copy(ins, (_normal(source),)))
    return out


def _normal(path: str) -> str:
    """``./src/`` -> ``src``; ``.``, ``./`` and ``/`` -> ``""`` (the whole context)."""
    cleaned = posixpath.normpath(path.strip() or ".").lstrip("/")
    return "" if cleaned in (".", "") else cleaned


def _runs_git(tree: Dockerfile, ctx: FixContext) -> bool:
    for ins in tree.instructions:
        if ins.keyword != "RUN":
            continue
        script = ctx.shell(ins)
        if script is None:
            if "git" in ins.args_text:
                return True
            continue
        if any(c.program == "git" for c in script.commands) or "git" in ins.args_text:
            return True
    return False


_GIT_VERSIONING = re.compile(
    r"setuptools[_-]scm|hatch-vcs|versioneer|dunamai|poetry-dynamic-versioning|\bpbr\b"
    r"|vcs-versioning|versioningit"
)
"""Python build plugins that read the version from the git history: ``pip install .``
fails without ``.git`` ("unable to detect version")."""
_PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
_PACKAGE_MANAGERS = re.compile(r"(?<![\w.-])(?:npm|npx|yarn|pnpm|bun)(?![\w.-])")
_NODE = re.compile(r"(?<![\w.-])node(?![\w.-])")
"""``node`` run, or a ``node:20`` base: a Node.js image."""


def _versions_from_git(read: Callable[[str], str | None] | None) -> bool:
    if read is None:
        return False
    return any(_GIT_VERSIONING.search(read(name) or "") for name in _PROJECT_FILES)


def _sibling_sources(
    read: Callable[[str], str | None] | None, listing: ContextListing
) -> list[_Copy]:
    """What the other Dockerfiles below the directory copy, as sources of this context:
    one built with ``-f docker/Dockerfile .`` shares it, and may copy what the new
    file would exclude (``COPY .git ...``, ``COPY target/app.jar ...``)."""
    out: list[_Copy] = []
    if read is None:
        return out
    for path in listing.paths:
        name = path.rsplit("/", 1)[-1]
        if "/" not in path or not is_dockerfile_name(name):
            continue
        try:
            other = parse(read(path) or "")
            out += [c for c in _context_copies(other) if c.instruction.keyword != "RUN"]
        except (ParseError, InstructionError, ValueError):
            continue  # a sibling that does not parse names nothing
    return out


def _used_by_the_build(tree: Dockerfile, listing: ContextListing, pattern: str) -> bool:
    """Whether an instruction other than COPY/ADD names what ``pattern`` would exclude
    (``RUN cp /app/target/app.jar /``, ``ENV NODE_PATH=/app/node_modules``), or the
    image runs a ``node_modules`` of the context that no install in the file replaces."""
    if pattern == ".git":
        return False  # decided by :func:`_runs_git`
    names = {
        part
        for p in listing.paths
        if _excludes(pattern, p.rstrip("/"))
        for part in p.rstrip("/").split("/")
        if fnmatch.fnmatchcase(part, pattern.removeprefix("**/"))
    }
    texts = [
        ins.args_text for ins in tree.instructions if ins.keyword not in ("COPY", "ADD", "FROM")
    ]
    if (
        pattern == "**/node_modules"
        and any(_NODE.search(i.args_text) for i in tree.instructions if i.keyword != "COPY")
        and not any(_PACKAGE_MANAGERS.search(t) for t in texts)
    ):
        return True  # a Node.js image that installs nothing runs the copied node_modules
    return any(
        re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.=-])", text)
        for name in names
        for text in texts
    )


def _candidates(listing: ContextListing, runs_git: bool) -> list[str]:
    """Patterns for what the directory holds, in a fixed order."""
    paths = listing.paths
    out: list[str] = []
    if not runs_git and (listing.has(".git/") or listing.has(".git")):
        out.append(".git")
    for name in _ANYWHERE:
        if any(p == f"{name}/" or p.endswith(f"/{name}/") for p in paths):
            out.append(f"**/{name}")
    if any(p.endswith(".pyc") for p in paths):
        out.append("**/*.pyc")
    for p in paths:
        if p.count("/") == 1 and p.endswith("/pyvenv.cfg"):
            out.append(p.split("/", 1)[0])
    if listing.has("target/") and (listing.has("Cargo.toml") or listing.has("pom.xml")):
        out.append("target")
    top = [p for p in paths if "/" not in p]
    if ".env" in top:
        out.append(".env")
    if any(p.startswith(".env.") for p in top):
        out.append(".env.*")
    if any(p.endswith(".log") for p in top):
        out.append("*.log")
    for name in (".idea", ".vscode"):
        if listing.has(f"{name}/"):
            out.append(name)
    if any(p == ".DS_Store" or p.endswith("/.DS_Store") for p in paths):
        out.append("**/.DS_Store")
    return list(dict.fromkeys(out))


def _patterns(listing: ContextListing, copies: Sequence[_Copy], runs_git: bool) -> list[str]:
    kept: list[str] = []
    for pattern in _candidates(listing, runs_git):
        matched = [p.rstrip("/") for p in listing.paths if _excludes(pattern, p.rstrip("/"))]
        if not matched:
            continue
        named = False
        copied = False
        for copy in copies:
            for source in copy.sources:
                if _names(source, pattern, listing):
                    named = True
                if source == "" or any(_under(m, source) for m in matched):
                    copied = True
        if copied and not named:
            kept.append(pattern)
    return kept


def _names(source: str, pattern: str, listing: ContextListing) -> bool:
    """Whether a COPY source names something ``pattern`` excludes: the source itself,
    or what its glob matches, lies in an excluded path. (What lies under a copied
    directory is what the file keeps out; the whole context names nothing.)"""
    if source == "":
        return False
    if any(ch in source for ch in "*?["):
        return any(
            fnmatch.fnmatchcase(p.rstrip("/"), source) and _excludes(pattern, p.rstrip("/"))
            for p in listing.paths
        )
    return _excludes(pattern, source)


def _excludes(pattern: str, path: str) -> bool:
    """Whether ``pattern`` (a .dockerignore line as written here) excludes ``path``:
    the path itself or a directory above it matches."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        rest = pattern[3:]
        return any(fnmatch.fnmatchcase(part, rest) for part in parts)
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes)


def _under(path: str, directory: str) -> bool:
    return directory == "" or path == directory or path.startswith(directory + "/")
