"""Helpers shared by the RPM-family fixers (yum, dnf, microdnf, zypper); not a fixer itself.

Everything here reads the tree and the parsed shell; nothing edits. What these
fixers share with the other package-cache fixers (outcomes, stage lineage, `rm`
targets, wrapper words, the script's flow) comes from `_package_caches`. The cache
fixers decide for each RUN one of three outcomes: a fix, a finding without a
fix (the cache is kept but an appended clean-up might not be harmless), or
nothing (no cache is kept, or it is not the rule's business).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import AMAZONLINUX, FEDORA, RHEL_LIKE, BaseImage
from manifesto.cst.values import mounts
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import append_commands as layout_append_commands
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word

from ._package_caches import (
    Outcome,
    commands_after,
    ends_early,
    program_text,
    rm_targets,
    stage_note,
    value,
    wrapper_words,
)

# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a fixer concluded about one command (or one RUN)."""

    instruction: Instruction
    command: Command | None
    """The offending command; None for a RUN skipped as a whole."""
    outcome: Outcome
    reason: str
    """Why it was skipped or only reported (``""`` for a fix): used in messages and stats."""


# --------------------------------------------------------------------------- package managers


@dataclass(frozen=True, slots=True)
class Tool:
    """How one package manager's command line reads."""

    program: str
    value_options: frozenset[str]
    """Options written ``--opt value`` (the value is the next word) before the subcommand."""
    groups: frozenset[str] = frozenset()
    """Subcommands that take a second subcommand word (``group install``)."""


_YUM_DNF_VALUES = frozenset(
    {
        "-c",
        "--config",
        "-d",
        "--debuglevel",
        "-e",
        "--errorlevel",
        "-R",
        "--randomwait",
        "--installroot",
        "--releasever",
        "--setopt",
        "--setvar",
        "--enablerepo",
        "--disablerepo",
        "--repo",
        "--repoid",
        "--from-repo",
        "--repofrompath",
        "-x",
        "--exclude",
        "--excludepkgs",
        "--disableexcludes",
        "--disableexcludepkgs",
        "--disableplugin",
        "--enableplugin",
        "--disable-plugin",
        "--enable-plugin",
        "--rpmverbosity",
        "--color",
        "--destdir",
        "--downloaddir",
        "--comment",
        "--advisory",
        "--advisories",
        "--bz",
        "--bzs",
        "--cve",
        "--cves",
        "--sec-severity",
        "--secseverity",
        "--forcearch",
        "--cachedir",
    }
)
_YUM_DNF_GROUPS = frozenset({"group", "groups", "grp", "module"})

YUM = Tool("yum", _YUM_DNF_VALUES, _YUM_DNF_GROUPS)
DNF = Tool("dnf", _YUM_DNF_VALUES, _YUM_DNF_GROUPS)
MICRODNF = Tool("microdnf", _YUM_DNF_VALUES, frozenset({"module"}))
ZYPPER = Tool(
    "zypper",
    frozenset(
        {
            "-c",
            "--config",
            "--userdata",
            "-D",
            "--reposd-dir",
            "-C",
            "--cache-dir",
            "--raw-cache-dir",
            "--solv-cache-dir",
            "--pkg-cache-dir",
            "-R",
            "--root",
            "--installroot",
            "-p",
            "--plus-repo",
            "--plus-content",
            "-s",
            "--table-style",
            "--releasever",
        }
    ),
)

YUM_CACHE_DIR = "/var/cache/yum"
DNF_CACHE_DIR = "/var/cache/dnf"
RPM_CACHE_DIRS = (YUM_CACHE_DIR, DNF_CACHE_DIR, "/var/cache/libdnf5")
"""yum's, dnf's and dnf5's caches; microdnf uses yum's or dnf's depending on its version."""
ZYPP_CACHE_DIRS = ("/var/cache/zypp",)


def subcommand(command: Command, tool: Tool) -> tuple[Word, ...]:
    """The subcommand words of a ``tool`` command: ``(install,)``, ``(group, install)``;
    empty when there is none or it is not a literal word."""
    if command.program != tool.program:
        return ()
    args = command.effective_args
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None:
            return ()
        if v == "--":
            i += 1
            break
        if v.startswith("-") and v != "-":
            i += 2 if v in tool.value_options else 1
            continue
        break
    if i >= len(args) or args[i].value is None:
        return ()
    first = args[i]
    if first.value in tool.groups and i + 1 < len(args) and args[i + 1].value is not None:
        return (first, args[i + 1])
    return (first,)


def subcommand_name(command: Command, tool: Tool) -> str:
    """``install``, ``group install``; ``""`` when there is none."""
    return " ".join(w.value or "" for w in subcommand(command, tool))


def option_values(command: Command, names: Sequence[str]) -> list[str]:
    """Values of every ``--name value`` / ``--name=value`` option of the command."""
    out: list[str] = []
    args = command.effective_args
    for i, word in enumerate(args):
        v = value(word)
        for name in names:
            if v == name and i + 1 < len(args):
                out.append(value(args[i + 1]))
            elif v.startswith(name + "="):
                out.append(v[len(name) + 1 :])
    return out


def has_flag(command: Command, longs: Sequence[str], shorts: str = "") -> bool:
    """A long option (``--assumeyes``, also as ``--assumeyes=...``) or a short one, alone or
    bundled (``-y``, ``-qy``), anywhere in the arguments."""
    for word in command.effective_args:
        v = word.value
        if v is None:
            continue
        if any(v == name or v.startswith(name + "=") for name in longs):
            return True
        if shorts and re.fullmatch(r"-[A-Za-z]+", v) and any(c in v[1:] for c in shorts):
            return True
    return False


# --------------------------------------------------------------------------- RUNs


def runs(
    tree: Dockerfile, ctx: FixContext
) -> Iterator[tuple[Instruction, ShellScript | None, str]]:
    """Every RUN with its parsed shell, or None and the reason it is not looked at.

    ONBUILD RUNs run in another image and are left alone; Windows images,
    exec-form RUNs, non-POSIX shells and scripts that do not parse are skipped.
    Stages that do not ship are looked at like the others.
    """
    for ins in tree.instructions:
        if ins.keyword == "ONBUILD" and ins.effective.keyword == "RUN":
            yield ins, None, "onbuild"
            continue
        if ins.keyword != "RUN":
            continue
        if ctx.windows_at(ins):
            yield ins, None, "windows"
            continue
        script = ctx.shell(ins)
        if script is None:
            yield ins, None, "exec form or non-POSIX shell"
        elif script.has_errors or not script.supported:
            yield ins, None, "shell does not parse"
        else:
            yield ins, script, ""


# --------------------------------------------------------------------------- cache locations


def _normal(path: str) -> str:
    while path.endswith(("/", "*")) and len(path) > 1:
        path = path[:-1]
    return path


def covers(outer: str, inner: str) -> bool:
    """``outer`` is ``inner`` or one of its parent directories."""
    outer, inner = _normal(outer), _normal(inner)
    return outer == inner or inner.startswith(outer.rstrip("/") + "/")


REASON_MOUNT_INSIDE = "a mount inside the cache directory, which the clean-up would empty"


def mounted(ins: Instruction, dirs: Sequence[str]) -> bool:
    """A cache, tmpfs or bind mount of the RUN covers one of ``dirs``: what is written
    there is not in the layer, and a clean-up would empty the mount instead."""
    for mount in mounts(ins.effective):
        if mount.type not in ("cache", "tmpfs", "bind") or not mount.target:
            continue
        if any(covers(mount.target, d) for d in dirs):
            return True
    return False


def mounted_inside(ins: Instruction, dirs: Sequence[str]) -> bool:
    """A cache, tmpfs or bind mount of the RUN below one of ``dirs``
    (``/var/cache/dnf/packages``): ``clean all`` would empty it, and ``rm -rf`` of the
    directory would fail on its mount point."""
    return any(
        mount.target and any(covers(d, mount.target) for d in dirs)
        for mount in mounts(ins.effective)
    )


def removes_dirs(command: Command, dirs: Sequence[str]) -> bool:
    """``rm -rf /var/cache/yum`` (or its contents, or a parent such as ``/var/cache/*``)."""
    return any(
        _normal(t).startswith("/var") and any(covers(t, d) for d in dirs)
        for t in rm_targets(command, literal_only=True)
    )


# --------------------------------------------------------------------------- stages


def later_runs_have(
    ctx: FixContext, ins: Instruction, wanted: Callable[[Command], bool], key: Hashable
) -> bool:
    """A RUN on top of the layer of ``ins`` (later in its stage, or in a stage built
    FROM it) has a command matching ``wanted``; ``key`` names ``wanted`` (each RUN
    is asked once per pass, not once per earlier RUN)."""

    def has(_: FixContext, later: Instruction) -> bool:
        other = ctx.shell(later) if later.keyword == "RUN" else None
        return other is not None and any(wanted(c) for c in other.commands)

    return next(ctx.later_matching(ins, has, key=("later_runs_have", key)), None) is not None


# --------------------------------------------------------------------------- users and wrappers


_SAME_USER_WRAPPERS = frozenset({"env", "nice", "nohup", "time", "eatmydata", "command"})
_QUIET_SUDO_OPTIONS = frozenset({"-E", "-H", "-n", "--preserve-env", "--non-interactive"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def run_prefix(command: Command) -> str | None:
    """What an appended clean-up needs in front to run as the same user as ``command``:
    ``""`` (the shell's user), ``"sudo "`` for a plain ``sudo``; None when the command
    runs as another user or replaces the shell (``sudo -u``, ``gosu``, ``exec``)."""
    words = wrapper_words(command)
    if not words:
        return ""
    first = words[0].value or ""
    base = first.rsplit("/", 1)[-1]
    if base in ("sudo", "doas"):
        for word in words[1:]:
            v = word.value or ""
            if v not in _QUIET_SUDO_OPTIONS and not _ASSIGNMENT.match(v):
                return None
        return f"{words[0].text} " if re.fullmatch(r"[A-Za-z0-9_./-]+", words[0].text) else None
    names = [(w.value or "").rsplit("/", 1)[-1] for w in words]
    if all(n in _SAME_USER_WRAPPERS or n.startswith("-") or "=" in n for n in names):
        return ""
    return None


# --------------------------------------------------------------------------- the script's flow


_PACKAGE_MANAGERS = re.compile(
    r"(yum|dnf5?|microdnf|zypper|libzypp|rpm|libdnf5?|dnf-data|python\d*-(lib)?dnf)\*?"
)
_REMOVE_SUBCOMMANDS = frozenset({"remove", "erase", "rm", "autoremove"})


def removes_package_manager(command: Command) -> bool:
    """A command that may uninstall a package manager: ``rpm -e`` or a removal naming
    one (or a word we cannot read), or an ``rm`` of its program."""
    prog = command.program
    words = command.effective_args
    args = [w.value or "" for w in words]
    named = any(w.value is None or _PACKAGE_MANAGERS.fullmatch(w.value) for w in words)
    if prog == "rpm" and any(
        a in ("-e", "--erase") or re.fullmatch(r"-[A-Za-z]*e[A-Za-z]*", a) for a in args
    ):
        return named
    if prog in ("yum", "dnf", "microdnf", "zypper") and any(a in _REMOVE_SUBCOMMANDS for a in args):
        return named
    return any(
        t.rstrip("/").rsplit("/", 1)[-1] in ("yum", "dnf", "dnf5", "microdnf", "zypper")
        for t in rm_targets(command, literal_only=True)
    )


def failure_fails_run(script: ShellScript, command: Command) -> bool:
    """Whether ``command`` failing certainly makes the RUN fail.

    True only in the plain cases: a top-level command, outside pipelines, whose
    failure is the script's exit status (the last statement, joined to the end
    by ``&&`` only), or stops the script under ``set -e`` (last of its and-or
    list). Anything else (``|| true``, ``if``, subshells, pipes) may swallow it.
    """
    statement = script.statement_of(command)
    if statement is None or statement.terminator == "&":
        return False
    parts = statement.commands
    if any(c.context != () or c.in_pipeline for c in parts):
        return False
    position = next((i for i, c in enumerate(parts) if c.index == command.index), None)
    if position is None or len(statement.operators) != len(parts) - 1:
        return False
    after = statement.operators[position:]
    if any(op != "&&" for op in after):
        return False
    if statement.index == len(script.statements) - 1:
        return True
    return command.errexit and not after


# --------------------------------------------------------------------------- package caches


@dataclass(frozen=True, slots=True)
class CacheTool:
    """One package manager as a cache rule sees it."""

    tool: Tool
    fills: frozenset[str]
    """Subcommands (``install``, ``group install``) that download into the cache."""
    cleans: Callable[[Command], bool]
    """A later command that empties this tool's cache."""
    cleanup: Callable[[BaseImage], tuple[str, ...]]
    """The commands to append on that base, ``{prog}`` standing for the program as written."""
    cache_only: Callable[[Command], bool]
    """An install that downloads nothing and reads the cache (``yum -C install``)."""
    offline: Callable[[Command], bool]
    """A command of a later RUN that needs the cache the clean-up would delete."""
    unusual: Callable[[Command], str | None]
    """Why an install might keep its cache somewhere the clean-up would not reach, or
    keep it on purpose."""


def is_subcommand(command: Command, tool: Tool, names: frozenset[str]) -> bool:
    name = subcommand_name(command, tool)
    return name in names or name.split(" ", 1)[0] in names


Chosen = tuple[tuple[CacheTool, Command, str], ...]
"""For a fix: each tool to clean up, its last pending install, and the prefix (``sudo``)."""


def assess_cache(
    tree: Dockerfile, ctx: FixContext, tools: Sequence[CacheTool], dirs: Sequence[str]
) -> Iterator[tuple[Assessment, Chosen]]:
    """One assessment per RUN that runs an install of one of ``tools``, and one per
    RUN skipped as a whole (for statistics)."""
    for ins, script, skipped in runs(tree, ctx):
        if script is None:
            yield Assessment(ins, None, Outcome.SKIP, skipped), ()
            continue
        installs = [
            (t, c)
            for c in script.commands
            for t in tools
            if c.program == t.tool.program and is_subcommand(c, t.tool, t.fills)
        ]
        if installs:
            yield _assess_run(ctx, ins, script, installs, tools, dirs)


def _assess_run(
    ctx: FixContext,
    ins: Instruction,
    script: ShellScript,
    installs: Sequence[tuple[CacheTool, Command]],
    tools: Sequence[CacheTool],
    dirs: Sequence[str],
) -> tuple[Assessment, Chosen]:
    def skip(reason: str) -> tuple[Assessment, Chosen]:
        return Assessment(ins, installs[0][1], Outcome.SKIP, reason), ()

    if mounted(ins, dirs):
        return skip("cache mount")
    pending = [
        (t, c) for t, c in installs if not any(t.cleans(x) for x in commands_after(script, c.end))
    ]
    if not pending:
        return skip("cache cleaned later in the RUN")
    pending = [(t, c) for t, c in pending if not t.cache_only(c)]
    if not pending:
        return skip("cache-only install downloads nothing")
    head = pending[0][1]

    def report(reason: str) -> tuple[Assessment, Chosen]:
        return Assessment(ins, head, Outcome.REPORT, reason), ()

    if mounted_inside(ins, dirs):
        return report(REASON_MOUNT_INSIDE)
    reason = next((r for t, c in pending if (r := t.unusual(c)) is not None), None)
    if reason is not None:
        return report(reason)
    prefixes = [run_prefix(c) for _, c in pending]
    if None in prefixes:
        return report("installs as another user")
    if any(removes_package_manager(c) for c in commands_after(script, head.end)):
        return report("a later command may remove the package manager")
    if ends_early(script):
        return report("the RUN may exit before an appended command")
    offline = tuple(t.offline for t in tools)
    if later_runs_have(ctx, ins, lambda c: any(read(c) for read in offline), offline):
        return report("a later RUN reads the cache offline")
    prefix = "" if "" in prefixes else str(prefixes[0])
    chosen: list[tuple[CacheTool, Command, str]] = []
    for t, _ in pending:
        if not any(t is u for u, _, _ in chosen):
            command = [c for u, c in pending if u is t][-1]
            chosen.append((t, command, prefix))
    if any(program_text(c) is None for _, c, _ in chosen):
        return report("the program is not a plain path")
    return Assessment(ins, head, Outcome.FIX, ""), tuple(chosen)


def cleanup_commands(chosen: Chosen, base: BaseImage) -> tuple[str, ...]:
    """The clean-up commands to append on ``base``, in order, each with its prefix."""
    out: list[str] = []
    for t, command, prefix in chosen:
        prog = program_text(command) or t.tool.program
        out.extend(prefix + line.format(prog=prog) for line in t.cleanup(base))
    return tuple(out)


def append_commands(
    ins: Instruction,
    script: ShellScript,
    commands: Sequence[str],
    ctx: FixContext | None = None,
) -> Edit:
    """One insertion that appends ``commands`` in order after everything the RUN does,
    each joined the way :func:`layout.append_command` joins one."""
    return layout_append_commands(ins, script, commands, ctx)


# --------------------------------------------------------------------------- the tools


def _with_groups(plain: set[str], groups: Sequence[str], subs: Sequence[str]) -> frozenset[str]:
    return frozenset(plain | {f"{g} {s}" for g in groups for s in subs})


YUM_DNF_FILLS = _with_groups(
    {
        "install",
        "in",
        "groupinstall",
        "localinstall",
        "reinstall",
        "rei",
        "update",
        "upgrade",
        "up",
        "update-to",
        "upgrade-to",
        "localupdate",
        "groupupdate",
        "update-minimal",
        "upgrade-minimal",
        "up-min",
        "downgrade",
        "dg",
        "distro-sync",
        "distrosync",
        "distribution-synchronization",
        "dsync",
        "swap",
        "builddep",
    },
    ("group", "groups", "grp"),
    ("install", "update", "upgrade"),
) | frozenset({"module install", "module update", "module upgrade"})
"""yum and dnf subcommands that download packages (and repository metadata)."""

MICRODNF_FILLS = frozenset(
    {"install", "reinstall", "update", "upgrade", "downgrade", "distro-sync"}
)
ZYPPER_FILLS = frozenset(
    {
        "install",
        "in",
        "update",
        "up",
        "patch",
        "dist-upgrade",
        "dup",
        "source-install",
        "si",
        "install-new-recommends",
        "inr",
        "verify",
        "ve",
    }
)


def cleans_all(command: Command, programs: Sequence[str]) -> bool:
    """``yum clean all`` (or ``dnf``/``microdnf``, per ``programs``)."""
    if command.program not in programs:
        return False
    tool = Tool(str(command.program), _YUM_DNF_VALUES)
    return subcommand_name(command, tool) == "clean" and any(
        w.value == "all" for w in command.effective_args
    )


def _rpm_cache_only(command: Command) -> bool:
    return command.program in ("yum", "dnf", "microdnf") and has_flag(
        command, ("--cacheonly",), "C" if command.program != "microdnf" else ""
    )


_CACHE_SETOPT = re.compile(r"([\w.-]+\.)?(cachedir|keepcache|persistdir|system_cachedir)=")


def _rpm_unusual(command: Command) -> str | None:
    if option_values(command, ("--installroot",)):
        return "--installroot puts the cache under another root"
    if option_values(command, ("-c", "--config", "--cachedir")):
        return "a custom configuration may move the cache"
    if any(_CACHE_SETOPT.match(v) for v in option_values(command, ("--setopt",))):
        return "--setopt chooses the cache"
    if has_flag(command, ("--downloadonly",)) and not option_values(
        command, ("--downloaddir", "--destdir")
    ):
        return "--downloadonly keeps the packages in the cache on purpose"
    return None


def _zypper_unusual(command: Command) -> str | None:
    if option_values(command, ("-R", "--root", "--installroot")):
        return "--root puts the cache under another root"
    if option_values(
        command,
        ("-C", "--cache-dir", "--pkg-cache-dir", "--raw-cache-dir", "--solv-cache-dir"),
    ) or option_values(command, ("-c", "--config")):
        return "a custom cache directory or configuration"
    if has_flag(command, ("--download-only",), "d") or "only" in option_values(
        command, ("--download",)
    ):
        return "--download-only keeps the packages in the cache on purpose"
    return None


def _zypper_offline(command: Command) -> bool:
    return command.program == "zypper" and has_flag(command, ("--no-refresh",))


def _cleans_rpm_cache(programs: Sequence[str]) -> Callable[[Command], bool]:
    def cleans(command: Command) -> bool:
        return cleans_all(command, programs) or removes_dirs(command, RPM_CACHE_DIRS)

    return cleans


def _cleans_zypper_cache(command: Command) -> bool:
    if command.program == "zypper" and subcommand_name(command, ZYPPER) in ("clean", "cc"):
        return True
    return removes_dirs(command, ZYPP_CACHE_DIRS)


def yum_is_dnf(base: BaseImage) -> bool | None:
    """Whether ``yum`` on this base is dnf (EL8 and later, Fedora, Amazon Linux 2023),
    whose cache is /var/cache/dnf; None when the base does not tell."""
    major = base.major
    if base.family == FEDORA:
        return True
    if base.family == RHEL_LIKE and major is not None:
        return major >= 8
    if base.family == AMAZONLINUX and major is not None:
        return major >= 2022
    return None


def yum_cleanup(base: BaseImage) -> tuple[str, ...]:
    """``yum clean all``, then the cache directory of the yum the base has: after
    ``clean all`` yum 3 (EL7) still leaves the directories of disabled repositories,
    dnf leaves its solver files. When the base does not tell which yum it is,
    ``yum clean all`` alone is right on both."""
    is_dnf = yum_is_dnf(base)
    if is_dnf is None:
        return ("{prog} clean all",)
    return ("{prog} clean all", f"rm -rf {DNF_CACHE_DIR if is_dnf else YUM_CACHE_DIR}")


YUM_CACHE = CacheTool(
    tool=YUM,
    fills=YUM_DNF_FILLS,
    cleans=_cleans_rpm_cache(("yum", "dnf")),
    cleanup=yum_cleanup,
    cache_only=_rpm_cache_only,
    offline=_rpm_cache_only,
    unusual=_rpm_unusual,
)
DNF_CACHE = CacheTool(
    tool=DNF,
    fills=YUM_DNF_FILLS,
    cleans=_cleans_rpm_cache(("dnf", "yum")),
    cleanup=lambda base: ("{prog} clean all",),
    cache_only=_rpm_cache_only,
    offline=_rpm_cache_only,
    unusual=_rpm_unusual,
)
MICRODNF_CACHE = CacheTool(
    tool=MICRODNF,
    fills=MICRODNF_FILLS,
    cleans=_cleans_rpm_cache(("microdnf",)),
    cleanup=lambda base: ("{prog} clean all",),
    cache_only=_rpm_cache_only,
    offline=_rpm_cache_only,
    unusual=_rpm_unusual,
)
ZYPPER_CACHE = CacheTool(
    tool=ZYPPER,
    fills=ZYPPER_FILLS,
    cleans=_cleans_zypper_cache,
    cleanup=lambda base: ("{prog} clean --all",),
    cache_only=lambda command: False,
    offline=_zypper_offline,
    unusual=_zypper_unusual,
)


def command_span(command: Command, tool: Tool) -> tuple[int, int]:
    """File offsets of ``yum install`` (the program through its subcommand words)."""
    name = command.effective_name
    words = subcommand(command, tool)
    start = name.start if name is not None else command.start
    return start, words[-1].end if words else command.end


def cache_violations(
    tree: Dockerfile,
    ctx: FixContext,
    code: str,
    tools: Sequence[CacheTool],
    dirs: Sequence[str],
) -> Iterator[Violation]:
    """The findings of a cache rule: one per RUN whose installs keep their cache."""
    for found, chosen in assess_cache(tree, ctx, tools, dirs):
        command = found.command
        if found.outcome is Outcome.SKIP or command is None:
            continue
        tool = next(t.tool for t in tools if t.tool.program == command.program)
        start, end = command_span(command, tool)
        sub = subcommand_name(command, tool)
        message = f"`{tool.program} {sub}` leaves its package cache in the layer"
        note = stage_note(ctx, found.instruction)
        script = ctx.shell(found.instruction)
        if found.outcome is Outcome.REPORT or script is None:
            yield Violation(
                code,
                f"{message} ({found.reason}){note}",
                start,
                end,
                reason=no_fix(found.reason),
            )
            continue
        commands = cleanup_commands(chosen, ctx.base_of(found.instruction))
        text = " && ".join(commands)
        yield Violation(
            code,
            f"{message}: append `{text}`{note}",
            start,
            end,
            Fix(
                f"Append `{text}` to the RUN",
                (append_commands(found.instruction, script, commands, ctx),),
                Applicability.SAFE,
            ),
        )
