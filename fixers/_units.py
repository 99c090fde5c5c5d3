"""What each part of a RUN's chain does to the files and to the shell: the facts
MF203 (`chained_run`) splits a chain by.

A chain is cut into *atoms*: the top-level commands (pipeline parts) of each
statement, or a whole statement when it is not a plain list of simple commands
(a loop, an `if`, a subshell, a negation). Each atom gets its :class:`Effects`:
the paths it writes and deletes (from the literal words: redirections, `-o`
outputs, `tar -x -C`, `mkdir`, `cp`/`mv` destinations, a `git clone`
destination, package managers writing the system directories), whether it
changes the shell state a later command would see (`export`, `cd`, `set`,
functions...), whether it needs the working directory, and whether it starts a
unit (installs, fetches or builds).

Paths are tuples of components rooted at `/` or at `.` (the working directory
the RUN starts in, the stage's `WORKDIR`). A word the fixer cannot read (a
variable, `~`, a command substitution) is `None`: it may be any path.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from manifesto.shell import Command, ShellScript, Statement, Word

PathT = tuple[str, ...]
"""``("/", "usr", "src")`` or ``(".", "build")``."""

ROOT = "/"
HERE = "."


@dataclass(frozen=True, slots=True)
class Region:
    """Everywhere but under ``excluded``: what a package manager may write."""

    excluded: tuple[PathT, ...]


SYSTEM = Region(
    tuple(
        (ROOT, *p.strip("/").split("/"))
        for p in ("/tmp", "/var/tmp", "/usr/local", "/opt", "/home", "/root", "/srv", "/mnt")
    )
)
"""Where a distribution package manager writes: everything but the places Debian,
Alpine and Fedora packages leave to the administrator (FHS: ``/usr/local``,
``/opt``, ``/srv``, home directories) and the temporary directories."""
LANGUAGE = Region(tuple((ROOT, p) for p in ("tmp", "var", "etc", "srv", "mnt")))
"""Where pip, npm, gem, go, cargo... write: their prefixes, their caches in HOME, a
project's directory; not the system's state, configuration or temporary files."""

Target = PathT | Region | None
"""A path, a region, or ``None``: unknown, anywhere."""

SYSTEM_MANAGERS = frozenset(
    {"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper", "pacman"}
)
SYSTEM_FAMILIES = frozenset({"apt", "rpm", "apk", "zypper", "pacman"})
"""The values :attr:`Effects.manager` takes for a distribution's package manager."""
PACKAGE_FILES = frozenset({"dpkg", "rpm", "apt-mark", "apt-key", "add-apt-repository"})
"""Programs of a distribution's package tooling that never start a unit of their own."""
_SYSTEM_INSTALLS = frozenset(
    {
        "install",
        "add",
        "update",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "build-dep",
        "groupinstall",
        "makecache",
        "in",
        "ref",
        "refresh",
        "up",
        "-S",
        "-Sy",
        "-Syu",
        "-Su",
    }
)
_SYSTEM_REMOVALS = frozenset(
    {
        "remove",
        "purge",
        "autoremove",
        "clean",
        "autoclean",
        "distclean",
        "del",
        "erase",
        "rm",
        "cache",
        "-R",
        "-Rs",
        "-Rns",
        "-Scc",
    }
)
LANGUAGE_MANAGERS = frozenset(
    {
        *("pip", "pip3", "pipx", "uv", "poetry", "conda", "mamba", "micromamba"),
        *("npm", "yarn", "pnpm", "gem", "bundle", "bundler", "cargo", "go", "composer"),
        *("cpanm", "cpan", "luarocks", "dotnet", "mvn", "gradle", "R", "Rscript"),
    }
)
_LANGUAGE_REMOVALS = frozenset({"uninstall", "remove", "rm", "cache", "clean", "purge", "prune"})
FETCHERS = frozenset({"curl", "wget", "git", "svn", "aria2c", "hg"})
BUILDERS = frozenset({"make", "gmake", "cmake", "ninja", "meson", "autoreconf"})
_BUILD_SCRIPTS = frozenset({"configure", "bootstrap", "bootstrap.sh", "autogen.sh"})
"""Scripts of a source tree that start a build when run from it (``./configure``)."""
_STATE = frozenset(
    {
        *("cd", "pushd", "popd", "export", "declare", "typeset", "local", "readonly"),
        *("unset", "source", ".", "alias", "unalias", "set", "shopt", "umask", "trap"),
        *("ulimit", "hash", "enable", "eval", "shift", "getopts", "read", "mapfile"),
        *("readarray", "builtin", "function"),
    }
)
"""Builtins whose effect outlives the command: what a later command of the RUN sees."""
_LEAVES = frozenset({"exit", "exec", "return", "logout", "break", "continue"})
"""Commands that end the script early: the commands after them do not run."""
_QUIET = frozenset(
    {
        *("echo", "printf", "true", ":", "test", "[", "[[", "ls", "cat", "grep", "which"),
        *("sleep", "id", "whoami", "uname", "date", "pwd", "env", "chmod", "chown", "chgrp"),
        *("sha256sum", "sha512sum", "sha1sum", "md5sum", "ldconfig", "sed", "file", "stat"),
        *("command", "type", "head", "tail", "wc", "sort", "du", "df", "nproc", "getent"),
        *("update-ca-certificates", "locale-gen", "localedef"),
    }
)
"""Programs that create no file of their own (their redirections are counted apart);
``sed -i`` and ``chmod`` change files, but a change is no file created that a later
delete would leave in an earlier layer."""
_PATH_READERS = frozenset(
    {
        *("ls", "cat", "chmod", "chown", "chgrp", "sha256sum", "sha512sum", "sha1sum"),
        *("md5sum", "sed", "file", "stat", "head", "tail", "wc", "sort", "du", "grep"),
    }
)
"""Among :data:`_QUIET`, the programs whose operands are (mostly) paths: relative
operands need the working directory."""
_CWD_FREE = frozenset(
    {*SYSTEM_MANAGERS, "echo", "printf", "true", ":", "set", "ldconfig", "update-ca-certificates"}
)
"""Programs that do not depend on the working directory when their words hold no
relative path (package names are not paths)."""
_CANNOT_FAIL = frozenset({"true", ":"})
_GLOB = re.compile(r"[*?\[{]")

STARTS_INSTALL = "install"
STARTS_FETCH = "fetch"
STARTS_BUILD = "build"


@dataclass(frozen=True, slots=True)
class Atom:
    """A top-level pipeline part of the chain, or a whole statement that is not a
    plain list of simple commands."""

    start: int
    end: int
    commands: tuple[Command, ...]
    head: Command | None
    """The top-level simple command; None for a compound statement."""
    statement: Statement
    operator_after: str | None
    """``&&``, ``||``, ``|``, ``|&``, ``;``, ``\\n``, ``&``; None after the last."""
    last_in_statement: bool


@dataclass(slots=True)
class Effects:
    """What one atom does, as far as its literal words tell."""

    writes: list[Target] = field(default_factory=list)
    deletes: list[Target] = field(default_factory=list)
    modifies: list[Target] = field(default_factory=list)
    """Files changed in place (``chmod``, ``chown``, ``sed -i``): changed in a later
    layer, a file is copied whole into it, so it stays with its creator too."""
    state: bool = False
    """Changes shell state that cannot be carried into a new RUN."""
    cd: PathT | None = None
    """The directory a plain ``cd`` moves to (resolved), when it is one."""
    leading_set: bool = False
    """A ``set`` with options only (``set -eux``): repeated in each new RUN."""
    leaves: bool = False
    uses_cwd: bool = True
    starts: str | None = None
    manager: str | None = None
    """The package manager (family) it runs, if any."""
    configures_manager: bool = False
    """Writes a package source or key (``/etc/apt``, keyrings): belongs to the install
    that follows."""
    cannot_fail: bool = False


def atoms_of(script: ShellScript, text: str) -> list[Atom] | None:
    """The chain's atoms in order; None when a statement runs in the background."""
    out: list[Atom] = []
    for st in script.statements:
        if st.terminator == "&" or "&" in st.operators:
            return None
        parts = _parts(st, text)
        if parts is None:
            out.append(Atom(st.start, st.end, st.commands, None, st, st.terminator, True))
            continue
        for k, (head, nested) in enumerate(parts):
            last = k == len(parts) - 1
            op = st.terminator if last else st.operators[k]
            out.append(Atom(head.start, head.end, (head, *nested), head, st, op, last))
    return out


def _parts(st: Statement, text: str) -> list[tuple[Command, tuple[Command, ...]]] | None:
    top = [c for c in st.commands if not c.context]
    if not top or len(top) != len(st.operators) + 1 or top[0].start != st.start:
        return None
    parts: list[tuple[Command, tuple[Command, ...]]] = []
    placed = len(top)
    # the nested commands by start, to take each part's by bisection: filtering all of
    # them for every part is quadratic in a long pipeline (``cat | cat | ...``)
    inner = sorted((c.start, k) for k, c in enumerate(st.commands) if c.context)
    starts = [start for start, _ in inner]
    for head in top:
        low, high = bisect.bisect_left(starts, head.start), bisect.bisect_left(starts, head.end)
        nested = tuple(st.commands[k] for k in sorted(k for _, k in inner[low:high]))
        placed += len(nested)
        parts.append((head, nested))
    if placed != len(st.commands):
        return None  # a command outside every part: a construct between them
    for (a, _), (b, _), op in zip(parts, parts[1:], st.operators, strict=False):
        if gap_code(text[a.end : b.start]) != op:
            return None
    return parts


def gap_code(gap: str) -> str:
    """The shell text of a gap between two commands: continuations, comment lines
    and blank lines inside the continuation removed."""
    kept: list[str] = []
    for k, raw in enumerate(gap.split("\n")):
        line = raw.rstrip("\r").strip(" \t")
        if k > 0 and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            line = line[:-1].rstrip(" \t")
        kept.append(line)
    return " ".join(s for s in kept if s).strip()


# --------------------------------------------------------------------------- paths


def resolve(value: str | None, cwd: PathT | None) -> PathT | None:
    """A path word's value as a path from ``/`` or from the RUN's start directory; a
    glob is cut before its first pattern component (the whole directory is meant)."""
    if value is None or not value or value.startswith("~") or "$" in value or "`" in value:
        return None
    if value.startswith("/"):
        base: PathT = (ROOT,)
    elif cwd is None:
        return None
    else:
        base = cwd
    parts: list[str] = list(base)
    for part in value.split("/"):
        if part in ("", "."):
            continue
        if _GLOB.search(part):
            break
        if part == "..":
            if len(parts) <= 1:
                if parts[0] == ROOT:
                    continue
                return None  # above the start directory: not known
            parts.pop()
            continue
        parts.append(part)
    return tuple(parts)


def _under(inner: PathT, outer: PathT) -> bool:
    return inner[: len(outer)] == outer


def overlaps(a: Target, b: Target, workdir: PathT | None) -> bool:
    """Whether two targets may share a file (when in doubt: yes)."""
    if a is None or b is None:
        return True
    if isinstance(a, Region) and isinstance(b, Region):
        return True
    if isinstance(a, Region) or isinstance(b, Region):
        region, path = (a, b) if isinstance(a, Region) else (b, a)
        assert isinstance(region, Region) and not isinstance(path, Region)
        full = _absolute(path, workdir)
        if full is None:
            return True
        return not any(_under(full, ex) for ex in region.excluded)
    fa, fb = _absolute(a, workdir), _absolute(b, workdir)
    if fa is None or fb is None:
        if a[0] == b[0]:
            fa, fb = a, b
        else:
            return True
    return _under(fa, fb) or _under(fb, fa)


class FirstWriters:
    """The first of a chain's atoms whose writes may overlap a target, by :func:`overlaps`.

    Asking each earlier atom for each target is quadratic in a long chain (``touch x1 &&
    rm x1 && touch x2 && rm x2 ...``). Absolute paths are indexed instead: a write
    overlaps a path that lies under it (its path is one of the target's prefixes) or that
    it lies under (the target is one of its prefixes). Unknown writes, regions and
    relative paths without a working directory are compared one by one, as before."""

    __slots__ = ("_at", "_others", "_under", "_workdir")

    def __init__(self, writes: Sequence[Iterable[Target]], workdir: PathT | None) -> None:
        self._workdir = workdir
        self._at: dict[PathT, int] = {}
        """A written path -> the first atom writing it."""
        self._under: dict[PathT, int] = {}
        """A path -> the first atom writing it or something under it."""
        self._others: list[tuple[int, Target]] = []
        for i, targets in enumerate(writes):
            for target in targets:
                full = (
                    None
                    if target is None or isinstance(target, Region)
                    else (_absolute(target, workdir))
                )
                if full is None:
                    self._others.append((i, target))
                    continue
                self._at.setdefault(full, i)
                for k in range(1, len(full) + 1):
                    self._under.setdefault(full[:k], i)

    def first(self, target: Target) -> int | None:
        """The first atom (of all) that writes where ``target`` may be."""
        workdir = self._workdir
        other = next((i for i, w in self._others if overlaps(w, target, workdir)), None)
        found = [] if other is None else [other]
        if target is None:  # anywhere: any write
            # dicts keep insertion order: the first path written is the first atom's
            found += [next(iter(self._at.values()))] if self._at else []
            return min(found, default=None)
        full = None if isinstance(target, Region) else _absolute(target, workdir)
        if full is None:
            found += [i for p, i in self._at.items() if overlaps(p, target, workdir)]
            return min(found, default=None)
        below = self._under.get(full)
        found += [] if below is None else [below]
        found += [self._at[full[:k]] for k in range(1, len(full) + 1) if full[:k] in self._at]
        return min(found, default=None)


def _absolute(path: PathT, workdir: PathT | None) -> PathT | None:
    if path[0] == ROOT:
        return path
    if workdir is None:
        return None
    return (*workdir, *path[1:])


# --------------------------------------------------------------------------- effects


def effects(atom: Atom, cwd: PathT | None) -> Effects:
    """What ``atom`` does when it starts in ``cwd`` (None: not known)."""
    fx = Effects()
    if atom.head is None:
        _compound(atom, cwd, fx)
        return fx
    _command(atom.head, cwd, fx)
    for nested in atom.commands[1:]:
        inner = Effects()
        _command(nested, None, inner)  # $(...) runs in a subshell: its cd stays there
        fx.writes += inner.writes
        fx.deletes += inner.deletes
        fx.leaves = fx.leaves or inner.leaves
        fx.uses_cwd = True
    return fx


def _compound(atom: Atom, cwd: PathT | None, fx: Effects) -> None:
    label = _outer_label(atom)
    fx.state = label != "subshell"  # a loop variable, or a builtin inside the block
    for command in atom.commands:
        inner = Effects()
        _command(command, None, inner)
        fx.writes += inner.writes
        fx.deletes += inner.deletes
        fx.leaves = fx.leaves or inner.leaves
        if label == "subshell" and command.context and command.context[0] == "subshell":
            continue
        fx.state = fx.state or inner.state or inner.cd is not None or inner.leading_set
    if not atom.commands:
        fx.writes.append(None)
    fx.uses_cwd = True


def _outer_label(atom: Atom) -> str | None:
    text = atom.statement.text.lstrip()
    if text.startswith("("):
        return "subshell"
    return None


def _literal(word: Word) -> str | None:
    return word.value


def _command(command: Command, cwd: PathT | None, fx: Effects) -> None:
    for redirect in command.redirects:
        if redirect.operator in (">", ">>", "&>", "&>>", ">|") and redirect.target is not None:
            value = redirect.target.value
            if value is not None and (value.startswith("/dev/") or value.isdigit()):
                continue
            path = resolve(value, cwd)
            fx.writes.append(path)
            if path is None or path[0] != ROOT:
                fx.uses_cwd = True
        elif redirect.operator in ("<",) and redirect.target is not None:
            path = resolve(redirect.target.value, cwd)
            if path is None or path[0] != ROOT:
                fx.uses_cwd = True
    if command.assignments and command.name is None:
        fx.state = True  # NAME=value: a later command may read it (or it is exported)
        return
    name = command.name.value if command.name is not None else None
    if name is None:
        fx.writes.append(None)
        fx.state = True  # a command named by a variable could be a builtin
        return
    if name in _LEAVES:
        fx.leaves = True
        return
    program = command.program or name
    args = [w.value for w in command.effective_args]
    if name in _STATE and program == name:
        _state(name, args, cwd, fx)
        return
    fx.uses_cwd = program not in _CWD_FREE
    if program in _CANNOT_FAIL and not command.redirects:
        fx.cannot_fail = True
    if program in SYSTEM_MANAGERS or program in PACKAGE_FILES:
        _system_manager(program, args, fx)
    elif program in LANGUAGE_MANAGERS:
        _language_manager(program, args, cwd, fx)
    elif program in ("curl", "wget", "aria2c"):
        _download(program, args, cwd, fx)
    elif program == "git":
        _git(args, cwd, fx)
    elif program == "tar":
        _tar(args, cwd, fx)
    elif program in ("unzip", "7z", "bsdtar"):
        _unzip(args, cwd, fx)
    elif program in ("rm", "rmdir", "unlink"):
        _paths(args, cwd, fx.deletes, fx, values=())
    elif program in ("mkdir", "touch", "tee"):
        _paths(args, cwd, fx.writes, fx, values=("-m", "--mode"))
    elif program in ("cp", "mv", "install", "rsync", "ln"):
        _copy(program, args, cwd, fx)
    elif program in ("gunzip", "gzip", "bunzip2", "bzip2", "xz", "unxz", "zstd", "unzstd"):
        _compress(args, cwd, fx)
    elif program == "find":
        _find(args, cwd, fx)
    elif program == "gpg":
        _gpg(args, cwd, fx)
    elif program in _QUIET:
        if program in _PATH_READERS:
            _, operands = _option_values(args, ("-e", "-f", "-n", "--reference"))
            if program in ("chmod", "chown", "chgrp", "sed", "grep"):
                operands = operands[1:]  # the mode, owner, script or pattern
            fx.uses_cwd = any(v is None or not v.startswith(("/", "-")) for v in operands)
            in_place = program == "sed" and any(
                a is not None and (a.startswith("-i") or a == "--in-place") for a in args
            )
            if program in ("chmod", "chown", "chgrp") or in_place:
                fx.modifies += [resolve(v, cwd) for v in operands if v != "-"]
        else:
            fx.uses_cwd = any(v is None for v in args)
    else:
        _unknown(program, args, cwd, fx)
    in_tree = name.startswith(("./", "../")) and posixpath.basename(name) in _BUILD_SCRIPTS
    if program in BUILDERS or in_tree:
        fx.starts = STARTS_BUILD


def _state(name: str, args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    if name == "cd":
        operands = [a for a in args if a != "--"]
        if len(operands) == 1 and operands[0] not in ("-",) and (operands[0] or "-")[:1] != "-":
            target = resolve(operands[0], cwd)
            if target is not None and not _GLOB.search(operands[0] or ""):
                fx.cd = target
                fx.uses_cwd = not (operands[0] or "").startswith("/")
                return
        fx.state = True
        return
    if name == "set" and args and all(_set_option(a) for a in args):
        fx.leading_set = True
        fx.uses_cwd = False
        return
    fx.state = True


def _set_option(arg: str | None) -> bool:
    return arg is not None and (
        re.fullmatch(r"[-+][euxvfhnCBHPTab]+o?", arg) is not None
        or arg in ("pipefail", "errexit", "nounset", "xtrace", "verbose", "noglob")
        or arg == "-o"
        or arg == "+o"
    )


def _subcommand(args: Sequence[str | None]) -> str | None:
    for arg in args:
        if arg is None:
            return None
        if not arg.startswith("-") or arg in _SYSTEM_INSTALLS or arg in _SYSTEM_REMOVALS:
            return arg
    return None


def _system_manager(program: str, args: Sequence[str | None], fx: Effects) -> None:
    fx.manager = _family(program)
    sub = _subcommand(args)
    if program in ("apt-key", "add-apt-repository"):
        fx.configures_manager = True
        fx.writes.append((ROOT, "etc", "apt"))
        return
    if program == "apt-mark":
        return
    if program in ("dpkg", "rpm"):
        if any(a in ("-r", "-P", "--purge", "--remove", "-e", "--erase") for a in args):
            fx.deletes.append(SYSTEM)
        elif any(a in ("-i", "--install", "-U", "-Uvh", "-ivh", "-U") for a in args):
            fx.writes.append(SYSTEM)
        fx.uses_cwd = True
        return
    if sub in _SYSTEM_REMOVALS or (program == "apk" and sub == "del"):
        fx.deletes.append(SYSTEM)
        return
    fx.writes.append(SYSTEM)
    if sub in _SYSTEM_INSTALLS:
        fx.starts = STARTS_INSTALL
    if any(a is not None and ("/" in a and not a.startswith("/")) for a in args):
        fx.uses_cwd = True  # apt-get install ./local.deb


def _family(program: str) -> str:
    if program in ("apt-get", "apt", "aptitude", "dpkg", "apt-mark", "apt-key"):
        return "apt"
    if program in ("add-apt-repository",):
        return "apt"
    if program in ("yum", "dnf", "microdnf", "tdnf", "rpm"):
        return "rpm"
    return program


_LANGUAGE_INSTALLS = frozenset(
    {
        *("install", "i", "ci", "add", "get", "download", "sync", "restore", "update"),
        *("upgrade", "require", "create", "build", "mod", "fetch", "vendor", "bootstrap"),
    }
)
_ANY_TASK_BUILDS = frozenset({"mvn", "gradle", "dotnet"})


def _language_manager(
    program: str, args: Sequence[str | None], cwd: PathT | None, fx: Effects
) -> None:
    fx.manager = program
    sub = _subcommand(args)
    fx.uses_cwd = True
    if sub in _LANGUAGE_REMOVALS:
        fx.deletes.append(LANGUAGE)
        return
    bare_yarn = program == "yarn" and not args
    if sub in _LANGUAGE_INSTALLS or bare_yarn or (program in _ANY_TASK_BUILDS and sub):
        fx.writes.append(LANGUAGE)
        builds = program in ("go", "cargo", *_ANY_TASK_BUILDS)
        fx.starts = STARTS_BUILD if builds else STARTS_INSTALL
        return
    if sub is None and args:
        return  # --version, --help: asks, writes nothing
    _unknown(program, args, cwd, fx)


def _option_values(
    args: Sequence[str | None], options: Iterable[str]
) -> tuple[list[tuple[str, str | None]], list[str | None]]:
    """``(option, value)`` pairs for the value-taking ``options`` (``-o x``, ``-ox``,
    ``--output=x``) and the other words that are not options."""
    wanted = set(options)
    found: list[tuple[str, str | None]] = []
    rest: list[str | None] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg is None:
            rest.append(None)
        elif arg.startswith("--") and "=" in arg and arg.split("=", 1)[0] in wanted:
            key, value = arg.split("=", 1)
            found.append((key, value))
        elif arg in wanted:
            found.append((arg, args[i + 1] if i + 1 < len(args) else None))
            i += 1
        elif len(arg) > 2 and arg[:2] in wanted and not arg.startswith("--"):
            found.append((arg[:2], arg[2:]))
        elif arg == "--":
            rest.extend(args[i + 1 :])
            break
        elif not arg.startswith("-") or arg == "-":
            rest.append(arg)
        i += 1
    return found, rest


def _add(target: PathT | None, into: list[Target], fx: Effects) -> None:
    into.append(target)
    if target is None or target[0] != ROOT:
        fx.uses_cwd = True


def _download(program: str, args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    fx.starts = STARTS_FETCH
    fx.uses_cwd = False
    if program == "curl":
        found, _ = _option_values(args, ("-o", "--output", "--output-dir"))
        outputs = [v for k, v in found if k in ("-o", "--output")]
        folder = next((v for k, v in found if k == "--output-dir"), None)
        base = resolve(folder, cwd) if folder is not None else cwd
        for value in outputs:
            if value == "-":
                continue
            _add(resolve(value, base) if base is not None else None, fx.writes, fx)
        if any(a in ("-O", "--remote-name", "--remote-name-all", "-J") for a in args) or any(
            a is not None and re.fullmatch(r"-[a-zA-Z]*O[a-zA-Z]*", a) is not None for a in args
        ):
            _add(base, fx.writes, fx)
        return
    if program == "aria2c":
        _add(cwd, fx.writes, fx)
        return
    found, _ = _option_values(args, ("-O", "--output-document", "-P", "--directory-prefix"))
    documents = [v for k, v in found if k in ("-O", "--output-document")]
    folder = next((v for k, v in found if k in ("-P", "--directory-prefix")), None)
    base = resolve(folder, cwd) if folder is not None else cwd
    if not documents:
        _add(base, fx.writes, fx)
    for value in documents:
        if value == "-":
            continue
        _add(resolve(value, base) if base is not None else None, fx.writes, fx)


def _git(args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    sub = next((a for a in args if a is None or not a.startswith("-")), None)
    if sub != "clone":
        _unknown("git", args, cwd, fx)
        return
    fx.starts = STARTS_FETCH
    fx.uses_cwd = False
    rest_args = list(args[args.index("clone") + 1 :])
    _, rest = _option_values(
        rest_args,
        (
            *("-b", "--branch", "--depth", "-o", "--origin", "-c", "--config", "--reference"),
            *("--separate-git-dir", "-j", "--jobs", "--filter", "--shallow-since", "-u"),
            *("--upload-pack", "--template", "--shallow-exclude", "--bundle-uri"),
        ),
    )
    if len(rest) >= 2:
        _add(resolve(rest[1], cwd), fx.writes, fx)
    elif rest and rest[0] is not None:
        name = posixpath.basename(rest[0].rstrip("/"))
        name = name[:-4] if name.endswith(".git") else name
        _add(resolve(name, cwd) if name else None, fx.writes, fx)
    else:
        _add(None, fx.writes, fx)


_TAR_VALUES = "fCTXbKNgLVH"


def _tar(args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    fx.uses_cwd = False
    mode: str | None = None
    archive: str | None = None
    folder: str | None = None
    known = True
    i = 0
    words = list(args)
    if words and words[0] is not None and not words[0].startswith("-"):
        words[0] = "-" + words[0]  # old style: "xzf file"
    while i < len(words):
        arg = words[i]
        if arg is None:
            known = False
        elif arg.startswith("--"):
            key, _, value = arg.partition("=")
            if key in ("--extract", "--get"):
                mode = "x"
            elif key == "--create":
                mode = "c"
            elif key in ("--file", "--directory"):
                if not value and i + 1 < len(words):
                    i += 1
                    value = words[i] or ""
                if key == "--file":
                    archive = value
                else:
                    folder = value
        elif arg.startswith("-") and len(arg) > 1:
            for k, letter in enumerate(arg[1:], 1):
                if letter in "xc":
                    mode = letter
                if letter in _TAR_VALUES:
                    value = arg[k + 1 :]
                    if not value and i + 1 < len(words):
                        i += 1
                        value = words[i] or ""
                    if letter == "f":
                        archive = value
                    elif letter == "C":
                        folder = value
                    break
        i += 1
    if not known:
        fx.uses_cwd = True
    if mode == "x":
        target = resolve(folder, cwd) if folder is not None else cwd
        _add(target, fx.writes, fx)
        if archive not in (None, "-"):
            path = resolve(archive, cwd)
            if path is None or path[0] != ROOT:
                fx.uses_cwd = True
    elif mode == "c" and archive not in (None, "-"):
        _add(resolve(archive, cwd), fx.writes, fx)
    else:
        fx.uses_cwd = True


def _unzip(args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    found, rest = _option_values(args, ("-d", "-o"))
    folder = next((v for k, v in found if k == "-d"), None)
    _add(resolve(folder, cwd) if folder is not None else cwd, fx.writes, fx)
    if any(r is None or not r.startswith("/") for r in rest):
        fx.uses_cwd = True


def _paths(
    args: Sequence[str | None],
    cwd: PathT | None,
    into: list[Target],
    fx: Effects,
    values: Iterable[str],
) -> None:
    fx.uses_cwd = False
    _, rest = _option_values(args, values)
    for value in rest:
        _add(resolve(value, cwd), into, fx)


def _copy(program: str, args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    fx.uses_cwd = False
    found, rest = _option_values(
        args, ("-t", "--target-directory", "-S", "--suffix", "-m", "--mode", "-o", "-g", "-e")
    )
    target_dir = next((v for k, v in found if k in ("-t", "--target-directory")), None)
    if program == "install" and "-d" in args:
        for value in rest:
            _add(resolve(value, cwd), fx.writes, fx)
        return
    destination: str | None
    if target_dir is not None:
        sources, destination = rest, target_dir
    elif rest:
        sources, destination = rest[:-1], rest[-1]
    else:
        fx.uses_cwd = True
        return
    if program == "ln" and not sources:
        destination = posixpath.basename(destination) if destination is not None else None
    _add(resolve(destination, cwd), fx.writes, fx)
    for value in sources:
        path = resolve(value, cwd)
        if program == "mv":
            _add(path, fx.deletes, fx)
        elif path is None or path[0] != ROOT:
            fx.uses_cwd = True


def _compress(args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    fx.uses_cwd = False
    keeps = any(
        a is not None
        and (a in ("--keep", "--stdout", "--to-stdout") or re.fullmatch(r"-[a-zA-Z0-9]*[kc]", a))
        for a in args
    )
    _, rest = _option_values(args, ("-S", "--suffix", "-T", "--threads"))
    for value in rest:
        path = resolve(value, cwd)
        if not keeps:
            _add(path, fx.deletes, fx)
        _add(path[:-1] if path is not None and len(path) > 1 else None, fx.writes, fx)


def _find(args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    fx.uses_cwd = False
    roots: list[str | None] = []
    for arg in args:
        if arg is None or arg.startswith("-") or arg in ("(", "!", ")"):
            break
        roots.append(arg)
    deleting = any(a in ("-delete",) for a in args) or any(
        a in ("-exec", "-execdir") and i + 1 < len(args) and args[i + 1] in ("rm", "/bin/rm")
        for i, a in enumerate(args)
    )
    if not roots:
        roots = ["."]
    for value in roots:
        path = resolve(value, cwd)
        if deleting:
            _add(path, fx.deletes, fx)
        elif path is None or path[0] != ROOT:
            fx.uses_cwd = True
    if any(a in ("-exec", "-execdir") for a in args) and not deleting:
        fx.writes.append(None)  # runs any command


def _gpg(args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    fx.uses_cwd = False
    found, _ = _option_values(args, ("-o", "--output", "--homedir"))
    for _key, value in found:
        if value != "-":
            _add(resolve(value, cwd), fx.writes, fx)
    fx.writes.append((ROOT, "root", ".gnupg"))
    if any(k in ("-o", "--output") and v is not None and "keyring" in v for k, v in found):
        fx.configures_manager = True


def _unknown(program: str, args: Sequence[str | None], cwd: PathT | None, fx: Effects) -> None:
    """A program the fixer does not know: it may write its working directory and any
    absolute path its words name (``--prefix=/opt/x``, ``DESTDIR=/tmp/out``)."""
    fx.uses_cwd = True
    fx.writes.append(cwd)
    for value in args:
        if value is None:
            continue
        candidate = value.split("=", 1)[1] if "=" in value else value
        if candidate.startswith("/"):
            fx.writes.append(resolve(candidate, cwd))


MANAGER_CONFIG = (
    (ROOT, "etc", "apt"),
    (ROOT, "usr", "share", "keyrings"),
    (ROOT, "etc", "apk"),
    (ROOT, "etc", "yum.repos.d"),
    (ROOT, "etc", "zypp"),
    (ROOT, "etc", "pki", "rpm-gpg"),
    (ROOT, "etc", "dnf"),
)
"""Where package sources and their keys go: a command writing there prepares the
install after it."""


def writes_manager_config(fx: Effects) -> bool:
    return fx.configures_manager or any(
        isinstance(t, tuple) and any(_under(t, c) for c in MANAGER_CONFIG) for t in fx.writes
    )
