"""Helpers shared by the package-cache fixers (apk, pip, yarn, npm) and, through
`_rpm`, the RPM-family fixers; not a fixer itself.

Everything here reads the tree and the parsed shell; nothing edits (the one
writer, :func:`appended_cleanup_violations`, only builds the fixes). The fixers
decide for each install command one of three outcomes: a fix, a finding
without a fix (the cache is kept but the cure is not certain to be harmless),
or nothing (no cache is kept: a flag, a clean-up, a cache mount, an
environment setting).
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import global_args
from manifesto.cst.values import arg_defaults, key_values, mounts
from manifesto.edits import Applicability, Fix, Violation
from manifesto.layout import append_command
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word


class Outcome(enum.Enum):
    """What a fixer does about one command (or one RUN)."""

    FIX = "fix"
    REPORT = "report"
    """The problem is there (a cache is kept), but the cure could change the build:
    a finding without a fix."""
    SKIP = "skip"
    """No problem (no cache is kept), or it is not this rule's business."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a fixer concluded about one install command (or one RUN)."""

    instruction: Instruction
    command: Command
    outcome: Outcome
    reason: str
    """Why it was skipped or only reported (``""`` for a fix): used in messages and stats."""


# --------------------------------------------------------------------------- RUNs


def checked_runs(tree: Dockerfile, ctx: FixContext) -> Iterator[tuple[Instruction, ShellScript]]:
    """The RUNs a package-cache fixer looks at: shell form, POSIX shell that parses,
    not wrapped in ONBUILD (it runs in another image), not in a Windows stage.

    Stages that do not ship are looked at too: their caches cost build cache and
    CI disk (see :func:`stage_note`)."""
    for ins in tree.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            continue
        yield ins, script


def run_skip_reason(ctx: FixContext, ins: Instruction) -> str | None:
    """Why a RUN is not looked at, or None when it is (for statistics)."""
    if ins.keyword == "ONBUILD":
        return "onbuild"
    if ctx.windows_at(ins):
        return "windows"
    script = ctx.shell(ins)
    if script is None:
        return "exec form or non-POSIX shell"
    if script.has_errors or not script.supported:
        return "shell does not parse"
    return None


NO_POSIX_SHELL = "the base image is unknown and nothing in the stage shows a POSIX shell"
"""Why a fix that appends shell commands is not made on an unknown base."""


def stage_note(ctx: FixContext, ins: Instruction) -> str:
    """`` (stage `build` does not ship: ...)`` for a finding in a stage whose layers
    never reach the image, else ``""``: the fix still saves build cache, CI disk and
    time, but not image size."""
    stage = ctx.stage_of(ins)
    if stage is None or ctx.is_shipped(ins):
        return ""
    name = f"`{stage.name_as_written}`" if stage.name_as_written else str(stage.index)
    return f" (stage {name} does not ship: this saves build cache and CI disk, not image size)"


NO_PACKAGE_MANAGER_INSIDE = frozenset(
    {
        ":",
        "[",
        "cat",
        "cd",
        "chmod",
        "chown",
        "cp",
        "echo",
        "export",
        "false",
        "grep",
        "ln",
        "ls",
        "mkdir",
        "mv",
        "printf",
        "rm",
        "sed",
        "set",
        "tee",
        "test",
        "touch",
        "true",
        "wget",
    }
)
"""Programs that never run a package manager themselves (file and text tools, shell
built-ins, a plain download): each fixer adds the ones its own question allows."""


# --------------------------------------------------------------------------- words


def value(word: Word) -> str:
    """The word as the command receives it when literal, else its source text."""
    return word.value if word.value is not None else word.text


def first_positional(
    words: Sequence[Word], start: int = 0, with_value: frozenset[str] = frozenset()
) -> int | None:
    """Index of the first word at or after ``start`` that is neither an option nor the
    value of one (``--root /x``); a word with an expansion counts as positional."""
    i = start
    while i < len(words):
        v = words[i].value
        if v is None:
            return i
        if v == "--":
            return i + 1 if i + 1 < len(words) else None
        if v.startswith("-") and v != "-":
            i += 2 if v in with_value else 1
            continue
        return i
    return None


def option_value(words: Sequence[Word], names: Sequence[str]) -> str | None:
    """The value of the first ``--name value`` / ``--name=value`` option, if given."""
    for i, word in enumerate(words):
        v = value(word)
        for name in names:
            if v == name and i + 1 < len(words):
                return value(words[i + 1])
            if v.startswith(name + "="):
                return v[len(name) + 1 :]
    return None


def program_text(command: Command) -> str | None:
    """The program word to reuse in an appended command (``npm``, ``/usr/bin/yum``),
    when it is a plain path the shell reads as it stands."""
    name = command.effective_name
    if name is None or name.value is None or name.text != name.value:
        return None
    return name.value if re.fullmatch(r"[A-Za-z0-9_./+-]+", name.value) else None


# --------------------------------------------------------------------------- stages and env


def env_value(
    ctx: FixContext, ins: Instruction, name: str, *, ignore_case: bool = False
) -> str | None:
    """The value ``name`` has in the environment of ``ins`` as far as the file tells:
    the last ENV that sets it (ENV wins over ARG), else an ARG of the stage with a
    default (or the global default it redeclares). None when unset or unknown."""
    wanted = name.lower() if ignore_case else name

    def same(key: str) -> bool:
        return (key.lower() if ignore_case else key) == wanted

    def sets_env(_: FixContext, item: Instruction) -> bool:
        return item.keyword == "ENV" and any(same(kv.key) for kv in key_values(item))

    def declares_arg(_: FixContext, item: Instruction) -> bool:
        return item.keyword == "ARG" and any(same(key) for key in arg_defaults(item))

    # Only the ENVs and ARGs naming it are read (indexed once per pass), not every
    # earlier instruction for every RUN that asks.
    envs = list(ctx.earlier_matching(ins, sets_env, key=("env", wanted, ignore_case)))
    found: str | None = None
    for item in envs[-1:]:
        for kv in key_values(item):
            if same(kv.key):
                found = kv.value
    if found is not None:
        return found
    stage = ctx.stage_of(ins)
    args = ctx.earlier_matching(ins, declares_arg, key=("arg", wanted, ignore_case))
    globals_: dict[str, str | None] | None = None
    for item in args:
        if stage is None or ctx.stage_of(item) is not stage:
            continue
        for key, default in arg_defaults(item).items():
            if same(key):
                if default is None and globals_ is None:
                    globals_ = global_args(ctx.tree)
                found = default if default is not None else (globals_ or {}).get(key)
    return found


def _sets(text: str, names: frozenset[str], nonempty: bool) -> bool:
    """``NAME=value`` text that sets one of ``names`` (to a non-empty value if asked)."""
    name, eq, rest = text.partition("=")
    return bool(eq) and name in names and (bool(rest) or not nonempty)


def assigned_in_command(command: Command, names: frozenset[str], *, nonempty: bool = False) -> bool:
    """``NAME=value cmd`` or ``env NAME=value cmd`` sets one of ``names`` for the command."""
    for a in command.assignments:
        if a.name in names and (not nonempty or (a.value is not None and a.value.text != "")):
            return True
    return any(_sets(w.value or "", names, nonempty) for w in wrapper_words(command))


def exported_before(
    script: ShellScript, offset: int, names: frozenset[str], *, nonempty: bool = False
) -> bool:
    """An ``export NAME=...`` or ``NAME=...`` statement before ``offset`` sets one of ``names``."""
    for cmd in script.commands:
        if cmd.start >= offset:
            break
        if cmd.name is None or cmd.kind == "declaration":
            for a in cmd.assignments:
                if a.name in names and (not nonempty or (a.value is not None and a.value.text)):
                    return True
        if cmd.kind == "declaration" and any(
            _sets(w.value or "", names, nonempty) for w in cmd.args
        ):
            return True
    return False


def changed_after(script: ShellScript, offset: int, names: frozenset[str]) -> bool:
    """A command after ``offset`` assigns or exports one of ``names`` for the rest of the script."""
    for cmd in script.commands:
        if cmd.start < offset:
            continue
        if (cmd.name is None or cmd.kind == "declaration") and any(
            a.name in names for a in cmd.assignments
        ):
            return True
        if cmd.kind == "declaration":
            for word in cmd.args:
                v = word.value or ""
                if v.split("=", 1)[0] in names:
                    return True
    return False


# --------------------------------------------------------------------------- mounts


MOUNT_KINDS = ("cache", "tmpfs", "bind")


def mount_targets(ins: Instruction) -> tuple[str, ...]:
    """Targets of the RUN's cache, tmpfs and bind mounts: what is written there is
    not in the layer."""
    return tuple(
        m.target.rstrip("/") or "/" for m in mounts(ins) if m.type in MOUNT_KINDS and m.target
    )


def covered(ins: Instruction, path: str) -> bool:
    """Whether a mount of the RUN covers ``path`` (the directory or a parent)."""
    wanted = path.rstrip("/") or "/"
    return any(wanted == t or wanted.startswith(t + "/") or t == "/" for t in mount_targets(ins))


def mount_ends_with(ins: Instruction, suffixes: Sequence[str]) -> bool:
    """A mount target ends with one of ``suffixes`` (``/.cache``: some user's cache)."""
    return any(t.endswith(s) for t in mount_targets(ins) for s in suffixes)


# --------------------------------------------------------------------------- users


_USER_SWITCHERS = frozenset(
    {"gosu", "su-exec", "runuser", "setpriv", "chpst", "s6-setuidgid", "setuidgid", "chroot"}
)
_SUDO_USER_OPTIONS = ("-u", "--user", "-i", "--login", "-H", "--set-home")


def wrapper_words(command: Command) -> tuple[Word, ...]:
    """The words before the effective program (``sudo -u x``, ``env A=1``)."""
    words = command.words
    if command.effective_name is None:
        return ()
    for i, word in enumerate(words):
        if word is command.effective_name:
            return words[:i]
    return ()


def runs_as_other_user(command: Command) -> bool:
    """``sudo -u node npm ...``, ``gosu node npm ...``: another user, another home."""
    wrappers = wrapper_words(command)
    names = [(w.value or "").rsplit("/", 1)[-1] for w in wrappers]
    if any(n in _USER_SWITCHERS for n in names):
        return True
    if any(n in ("sudo", "doas") for n in names):
        return any(
            (w.value or "").startswith(_SUDO_USER_OPTIONS) for w in wrappers if w.value != "sudo"
        )
    return False


# --------------------------------------------------------------------------- later commands


def commands_after(script: ShellScript, offset: int) -> tuple[Command, ...]:
    """The commands of ``script`` that start at or after ``offset``."""
    return tuple(c for c in script.commands if c.start >= offset)


def rm_targets(command: Command, *, literal_only: bool = False) -> tuple[str, ...]:
    """The paths an ``rm`` command removes (options left out): the literal value, or the
    text without double quotes when it expands (``"$HOME/.npm"`` -> ``$HOME/.npm``).
    With ``literal_only``, words that expand are left out altogether."""
    if command.program != "rm":
        return ()
    out: list[str] = []
    options_done = False
    for word in command.effective_args:
        if literal_only and word.value is None:
            continue
        # "$HOME/.npm" -> $HOME/.npm: quotes do not matter to the path's shape
        v = word.value if word.value is not None else word.text.replace('"', "")
        if not options_done and v == "--":
            options_done = True
            continue
        if not options_done and v.startswith("-"):
            continue
        out.append(v)
    return tuple(out)


_REMOVERS: dict[str, frozenset[str]] = {
    "apk": frozenset({"del"}),
    "apt-get": frozenset({"remove", "purge", "autoremove", "auto-remove", "autopurge"}),
    "apt": frozenset({"remove", "purge", "autoremove", "auto-remove", "autopurge"}),
    "aptitude": frozenset({"remove", "purge"}),
    "dpkg": frozenset({"-r", "-P", "--remove", "--purge"}),
    "yum": frozenset({"remove", "erase", "autoremove"}),
    "dnf": frozenset({"remove", "erase", "autoremove"}),
    "microdnf": frozenset({"remove"}),
    "zypper": frozenset({"remove", "rm"}),
    "rpm": frozenset({"-e", "--erase"}),
}
_AUTOREMOVE = frozenset({"autoremove", "auto-remove", "autopurge", "--auto-remove", "--autoremove"})
_TOOL_PACKAGE = re.compile(r"(?:^|[-_.+/])(?:node|nodejs|npm|yarn|yarnpkg|corepack)(?:$|[-_.+0-9])")
_TOOL_NAMES = frozenset({"node", "nodejs", "npm", "npx", "yarn", "yarnpkg", "corepack"})


APK_VALUE_OPTIONS = frozenset(
    {
        "-p",
        "--root",
        "-X",
        "--repository",
        "--arch",
        "--cache-dir",
        "--cache-max-age",
        "--keys-dir",
        "--repositories-file",
        "--repository-config",
        "--progress-fd",
        "--timeout",
        "--wait",
        "-t",
        "--virtual",
    }
)
"""apk options that take the next word as their value."""


@dataclass(frozen=True, slots=True)
class VirtualPackage:
    """What the declarations of one apk virtual package so far hold, as far as
    :func:`tool_removal` asks: not the package lists themselves, which would grow
    with every declaration of the same name and make the index quadratic."""

    readable: bool
    """Every declaration's package list is in the file (none is ``$BUILD_DEPS``)."""
    tool: str | None
    """The first package among them named after Node, npm or Yarn."""

    def then(self, later: VirtualPackage) -> VirtualPackage:
        """Both declarations: apk replaces the first, but either may be in force."""
        tool = self.tool if self.tool is not None else later.tool
        return VirtualPackage(self.readable and later.readable, tool)


class VirtualPackages(Protocol):
    """apk virtual package name -> what it holds (None: not declared in the image)."""

    def get(self, name: str) -> VirtualPackage | None: ...


def _apk_virtual(command: Command) -> tuple[str, tuple[str, ...] | None] | None:
    """``apk add --virtual NAME pkg ...`` (or ``-t NAME``): the name and its packages."""
    if command.program != "apk":
        return None
    args = command.effective_args
    sub = first_positional(args, 0, APK_VALUE_OPTIONS)
    if sub is None or args[sub].value != "add":
        return None
    name: str | None = None
    packages: list[str] = []
    readable = True
    i = 0
    while i < len(args):
        word, v = args[i], args[i].value
        i += 1
        if i - 1 == sub:
            continue
        if v is not None and v in ("--virtual", "-t"):
            name = args[i].value if i < len(args) else None
            i += 1
        elif v is not None and v.startswith("--virtual="):
            name = v.removeprefix("--virtual=")
        elif v is not None and v in APK_VALUE_OPTIONS:
            i += 1
        elif v is not None and v.startswith("-"):
            continue
        elif v is None:
            readable = False  # $BUILD_DEPS: the packages are not in the file
        else:
            packages.append(word.value or "")
    if not name:
        return None
    return name, tuple(packages) if readable else None


def apk_virtual_packages(ctx: FixContext, ins: Instruction) -> VirtualPackages:
    """The apk virtual packages declared in the image up to and including ``ins``: its
    own script and the RUNs of its stage and the stages it is built FROM. A name
    declared twice holds both lists (apk replaces it; either may be in force)."""
    index = ctx.cached(("apk_virtual_packages",), lambda: _ApkVirtualIndex(ctx))
    return index.at(ins)


class _ApkVirtualIndex:
    """Per stage and name, the declarations in order with what they hold together
    so far: built once per pass. Asking per RUN for every earlier declaration would
    be quadratic when every RUN declares one; here a question costs a bisection per
    stage of the image."""

    __slots__ = ("_by_stage", "_ctx", "_position")

    def __init__(self, ctx: FixContext) -> None:
        self._ctx = ctx
        self._position: dict[int, int] = {}
        # stage index -> name -> (positions, what the declarations up to each hold)
        self._by_stage: dict[int, dict[str, tuple[list[int], list[VirtualPackage]]]] = {}
        for stage in ctx.stages:
            names: dict[str, tuple[list[int], list[VirtualPackage]]] = {}
            for position, item in enumerate(stage.instructions):
                self._position[id(item)] = position
                for name, held in _declared_virtuals(ctx, item):
                    positions, so_far = names.setdefault(name, ([], []))
                    if so_far:
                        held = so_far[-1].then(held)
                    if positions and positions[-1] == position:
                        so_far[-1] = held  # twice in one RUN: one entry for the RUN
                    else:
                        positions.append(position)
                        so_far.append(held)
            self._by_stage[stage.index] = names

    def at(self, ins: Instruction) -> VirtualPackages:
        return _VirtualsAt(self, ins)

    def held(self, name: str, ins: Instruction) -> VirtualPackage | None:
        stage = self._ctx.stage_of(ins)
        position = self._position.get(id(ins))
        if stage is None or position is None:
            return None
        out: VirtualPackage | None = None
        for st in self._ctx.ancestors(stage):
            found = self._by_stage.get(st.index, {}).get(name)
            if found is None:
                continue
            positions, so_far = found
            # In the stage of ``ins``: the declarations up to and including it.
            i = len(positions) if st.index != stage.index else bisect_right(positions, position)
            if i:
                out = so_far[i - 1] if out is None else out.then(so_far[i - 1])
        return out


@dataclass(frozen=True, slots=True)
class _VirtualsAt:
    """:func:`apk_virtual_packages` of one instruction, asked name by name."""

    index: _ApkVirtualIndex
    ins: Instruction

    def get(self, name: str) -> VirtualPackage | None:
        return self.index.held(name, self.ins)


def _declared_virtuals(ctx: FixContext, item: Instruction) -> Iterator[tuple[str, VirtualPackage]]:
    """The apk virtual packages a RUN declares, in order, with what each holds."""
    script = ctx.shell(item) if item.keyword == "RUN" else None
    if script is None or script.has_errors:
        return
    for command in script.commands_named("apk"):
        found = _apk_virtual(command)
        if found is None:
            continue
        name, packages = found
        if packages is None:
            yield name, VirtualPackage(readable=False, tool=None)
        else:
            tool = next((p for p in packages if _TOOL_PACKAGE.search(p)), None)
            yield name, VirtualPackage(readable=True, tool=tool)


def _shown(command: Command) -> str:
    """The command as a short quote for a message: one line, at most 60 characters."""
    text = " ".join(command.text.replace("\\\n", " ").split())
    return text if len(text) <= 60 else text[:57] + "..."


def _tool_package_removal(
    command: Command, verbs: frozenset[str], virtuals: VirtualPackages
) -> str | None:
    """Why a package removal may take Node, npm or Yarn with it, or None when it cannot:
    a package named after them, a package list we cannot read (``$PKGS``, an apk
    virtual package declared outside the file), an apk virtual package holding one
    of them, or an autoremove of whatever became unneeded."""
    words = command.effective_args
    args = [value(w) for w in words]
    if not any(a in verbs for a in args):
        return None
    apk = command.program == "apk"
    for word in words:
        if word.value is not None and (word.value.startswith("-") or word.value in verbs):
            continue
        name = word.text
        if "$" in name or word.value is None:
            return f"the packages of {name} are not in the file"
        held = virtuals.get(name) if apk else None
        if held is not None:
            if not held.readable:
                return f"the packages of {name} are not in the file"
            if held.tool is not None:
                return f"{name} holds {held.tool}"
            continue
        if _TOOL_PACKAGE.search(name):
            return f"it names {name}"
        if apk and name.startswith("."):
            return f"what {name} holds is not declared in this stage or the stages it is built FROM"
    if any(a in _AUTOREMOVE for a in args):
        return "it also removes what was installed as a dependency"
    return None


def _removes_tool_files(command: Command) -> bool:
    """``rm`` of the package manager's own files (not of a temp dir called ``npm-123``)."""
    for target in rm_targets(command):
        path = target.rstrip("/")
        parent, _, base = path.rpartition("/")
        if parent.endswith("/bin") and base.rstrip("*") in _TOOL_NAMES:
            return True
        if path.startswith("/opt/yarn") or path.endswith("/lib/node_modules"):
            return True
        if any(f"/lib/node_modules/{tool}" in path for tool in ("npm", "yarn", "corepack")):
            return True
    return False


def tool_removal(command: Command, virtuals: VirtualPackages) -> str | None:
    """Why ``command`` may uninstall the package manager itself (a system package
    removal that may include it, a global npm/yarn removal, an ``rm`` of its files),
    as a reason for a message; None when it cannot. ``virtuals``: the apk virtual
    packages declared so far (:func:`apk_virtual_packages`)."""
    prog = command.program
    args = [value(w) for w in command.effective_args]
    reason = f"a later command may uninstall the package manager: `{_shown(command)}`"
    if prog in _REMOVERS:
        why = _tool_package_removal(command, _REMOVERS[prog], virtuals)
        if why is not None:
            return f"{reason}, {why}"
    if prog == "pacman" and any(re.fullmatch(r"-R\w*", a) for a in args):
        return reason
    if (
        prog == "npm"
        and any(a in ("uninstall", "remove", "rm", "r", "un", "unlink") for a in args)
        and any(a in ("-g", "--global", "--location=global") for a in args)
    ):
        return reason
    if prog in ("yarn", "yarnpkg") and "global" in args and "remove" in args:
        return reason
    if prog in ("nvm", "n") and any(a in ("uninstall", "rm", "prune") for a in args):
        return reason
    return reason if _removes_tool_files(command) else None


def ends_early(script: ShellScript) -> bool:
    """A top-level ``exit`` or ``exec`` on the way to success: a command appended at
    the end might never run. ``cmd || exit 1`` (or a bare ``|| exit``) only runs when
    the RUN is failing anyway, and a failed RUN ships nothing."""
    for c in script.commands:
        if c.context != () or c.name is None or c.name.value not in ("exit", "exec"):
            continue
        if c.name.value == "exit" and c.operator_before == "||" and _failing_exit(c):
            continue
        return True
    return False


def _failing_exit(command: Command) -> bool:
    """``exit`` with a non-zero literal status, or none (the status of the failed command)."""
    args = command.args
    if not args:
        return True
    status = args[0].value
    return status is not None and status.isdigit() and int(status) % 256 != 0


# --------------------------------------------------------------------------- appended clean-ups


def assess_appended_cleanup(
    ctx: FixContext,
    ins: Instruction,
    script: ShellScript,
    installs: Sequence[Command],
    is_clean: Callable[[Command], bool],
    env_names: frozenset[str],
) -> Assessment:
    """Whether a clean-up command can be appended at the end of the RUN after ``installs``.

    The clean-up runs in the same shell, after everything else: it must run as the
    same user, with the same HOME and cache settings, with the package manager
    still installed, and the script must reach the end.
    """
    pending = [c for c in installs if not any(is_clean(x) for x in commands_after(script, c.end))]
    if not pending:
        return Assessment(ins, installs[-1], Outcome.SKIP, "cache cleaned later in the RUN")
    first = pending[0]

    def report(reason: str) -> Assessment:
        return Assessment(ins, first, Outcome.REPORT, reason)

    if any(runs_as_other_user(c) for c in pending):
        return report("installs as another user, whose cache an appended command would miss")
    if any(assigned_in_command(c, env_names) for c in pending) or changed_after(
        script, first.start, env_names
    ):
        return report("HOME or the cache location differs for the install")
    virtuals = apk_virtual_packages(ctx, ins)
    for later in commands_after(script, first.end):
        removal = tool_removal(later, virtuals)
        if removal is not None:
            return report(removal)
    if ends_early(script):
        return report("the RUN may exit before an appended command")
    if program_text(pending[-1]) is None:
        return report("the program is not a plain path")
    return Assessment(ins, first, Outcome.FIX, "")


def assess_folder_cleanup(
    ctx: FixContext,
    ins: Instruction,
    script: ShellScript,
    installs: Sequence[Command],
    *,
    env_folder: str | None,
    folder_option: str,
    mounted: Callable[[tuple[str, ...]], bool],
    is_clean: Callable[[Command], bool],
    removes_cache: Callable[[Command, tuple[str, ...]], bool],
    env_names: frozenset[str],
    moved_reason: str,
) -> Assessment:
    """:func:`assess_appended_cleanup` for a tool whose cache folder the environment
    (``env_folder``) or an install option (``folder_option``) may move.

    A mount over the cache (``mounted`` of the known folders) means no cache is
    kept; a clean-up is the tool's own (``is_clean``) or an ``rm`` of its cache
    (``removes_cache`` of the known folders). When an install moves its cache with
    the option, the fix becomes a finding with ``moved_reason``: the appended
    clean-up would empty the default cache, not that one.
    """
    flag_folders = tuple(
        f for c in installs if (f := option_value(c.effective_args, (folder_option,))) is not None
    )
    folders = (*((env_folder,) if env_folder else ()), *flag_folders)
    if mounted(folders):
        return Assessment(ins, installs[0], Outcome.SKIP, "cache mount")
    found = assess_appended_cleanup(
        ctx,
        ins,
        script,
        installs,
        lambda c: is_clean(c) or removes_cache(c, folders),
        env_names,
    )
    if found.outcome is Outcome.FIX and flag_folders:
        return Assessment(ins, found.command, Outcome.REPORT, moved_reason)
    return found


def appended_cleanup_violations(
    ctx: FixContext,
    assessments: Iterable[Assessment],
    code: str,
    install_word: Callable[[Command], Word | None],
    *,
    message: str,
    tool: str,
    cleanup: str,
) -> Iterator[Violation]:
    """The findings of a rule whose fix appends a clean-up at the end of the RUN.

    One finding per assessment that is not skipped, spanning the program through
    ``install_word``; ``message`` says what stays in the layer. A fix appends
    ``{program} {cleanup}``, the program written as in the RUN's last install
    (``npm``, ``/usr/bin/yarn``); messages name it ``{tool} {cleanup}``.
    """
    shown = f"{tool} {cleanup}"
    for found in assessments:
        if found.outcome is Outcome.SKIP:
            continue
        command = found.command
        word = install_word(command)
        name = command.effective_name
        assert word is not None and name is not None
        note = stage_note(ctx, found.instruction)
        reason = found.reason
        if found.outcome is Outcome.FIX and not ctx.posix_shell_at(found.instruction):
            # an appended `&& cmd` is a syntax error in PowerShell 5 and means else in cmd
            reason = NO_POSIX_SHELL
        if found.outcome is Outcome.REPORT or reason:
            yield Violation(
                code,
                f"{message} ({reason}){note}",
                name.start,
                word.end,
                reason=no_fix(reason),
            )
            continue
        script = ctx.shell(found.instruction)
        installs = [c for c in script.commands if install_word(c)] if script else []
        program = program_text(installs[-1]) if installs else None
        if script is None or program is None:
            continue
        yield Violation(
            code,
            f"{message}: run `{shown}` at the end of the RUN{note}",
            name.start,
            word.end,
            Fix(
                f"Append `{shown}`",
                (append_command(found.instruction, script, f"{program} {cleanup}", ctx),),
                Applicability.SAFE,
            ),
        )
