"""Delete files in the RUN that creates them, not in a later one.

## What it does

Finds a clean-up command in a `RUN` that deletes what an earlier `RUN` of the
same image created: `rm -rf /var/lib/apt/lists/*` in its own `RUN` after the
install, `rm /tmp/app.tar.gz` one `RUN` after the download, `apt-get purge -y
--auto-remove build-essential` after the build, `apt-get clean`, `yum clean
all`, `apk del .build-deps`. The fix moves the command to the end of the
`RUN` that created the files (joined the way that `RUN` joins its commands)
and deletes it from the later `RUN`; a later `RUN` left with nothing else to
do (`set -eux` aside) is deleted, with the comment lines right above it.

The earlier `RUN` is the nearest one that writes what the command deletes: in
the same stage or in a stage it is built `FROM`. When that `RUN` already
deletes it (`apt_lists_kept` appended the same `rm`), the later command
deletes nothing and is dropped.

## Why

Every `RUN` is a layer, and a layer only adds to the ones below it: a file
deleted in a later layer is hidden, not removed, and its bytes are still pulled
with the image. The package lists, the downloaded archive, the compiler that
was only needed for the build are shipped in full, plus an extra layer that
hides them. Deleted in the `RUN` that made them, they never reach a layer.

## Example

Before:

    RUN apt-get update && \\
        apt-get install -y --no-install-recommends curl
    # clean up
    RUN rm -rf /var/lib/apt/lists/*

After:

    RUN apt-get update && \\
        apt-get install -y --no-install-recommends curl && \\
        rm -rf /var/lib/apt/lists/*

## Fix safety

Safe: the image ends with the same files, and nothing in between saw them gone.
The fix is made only when all of this is certain:

- nothing between the two `RUN`s reads or writes what is deleted: no `RUN`
  names the path (or a directory above it, or its file name) or runs a program
  whose files cannot be told (`./build.sh`, `make`, `curl ... | sh`, a
  variable); no `COPY`/`ADD`/`WORKDIR`/`VOLUME` reaches the path; for the
  apt lists and the package caches, no `RUN` runs the package manager (nor a
  program that may: the language package managers `pip`, `npm`, `yarn`,
  `gem`, `bundle`, `go`, `cargo`, `composer`, `mvn`, `gradle` are
  taken to leave them alone); for packages, no `RUN` at all beyond plain file
  commands (any program may use a compiler); the commands of the later `RUN`
  before the clean-up do not use it either;
- the command runs as the same user with the same shell: no `USER` or
  `SHELL` in between (nor `ENV HOME` for a `~` path);
- a relative path means the same file: no `WORKDIR` in between, no `cd` in
  the creating `RUN` (outside a subshell) nor before the clean-up;
- the creating `RUN` reaches its end (no `exit`/`exec` on the way, no
  background job) and the command is appended with `&&` (`;` under `set
  -e`), so a failing clean-up still fails the build; it is taken out of the
  later `RUN` with the `&&`/`;` that joined it, never out of a `||` chain
  or a pipeline;
- the files are in the layer: no cache, tmpfs or bind mount over them in either
  `RUN`;
- a creating `RUN` in another stage is changed only when no other stage is
  built on that stage or copies from it.

Otherwise the finding is reported without a fix, with the reason (`line 7 uses
it`, `USER on line 5 changes the user`, `relative path after cd`, ...).

## Caveats

- Only literal clean-ups are moved: `rm` with plain options and literal paths,
  `apt-get clean`/`distclean`, `apt-get purge`/`remove` of named
  packages, `yum`/`dnf`/`microdnf clean all`, `apk del` of named packages
  (or a `--virtual` name), `rm` of `/var/cache/apk`. `rm -rf "$DIR"`,
  `apt-get autoremove` alone and `find ... -delete` are not read.
- What is deleted must be created by a `RUN` this rule can read: a file that
  comes from the base image gives no finding; a file an `ADD`/`COPY` created
  is reported (moving a deletion into a `COPY` is not possible: delete it in
  the `RUN` that uses it, or use a bind mount).
- A clean-up after a command of its own `RUN` that this rule cannot read
  (`bash install.sh && rm -rf /var/lib/apt/lists/*`) gives no finding: that
  command may have created the files itself.
- The walk back from a clean-up looks at the 256 instructions before it at most
  (a generated file of thousands of unrelated clean-ups would be quadratic);
  what created the files further back gives no finding.
- Comment lines right above a deleted `RUN` (no blank line between) are taken
  to describe it and are deleted with it; a comment separated by a blank line is
  kept.
- Skipped: Windows stages, `ONBUILD` triggers, exec-form `RUN`s, scripts that
  do not parse, and here-document `RUN`s as the later `RUN` (reported: the
  command is not taken out of a here-document).

## Related

hadolint DL3009 (lists kept in the layer of the install; it does not see an
`rm` in a later `RUN` as useless). `apt_lists_kept` (MF101) deletes the
lists in the install `RUN` when nothing deletes them.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Blank, Comment, Dockerfile, Instruction
from manifesto.cst.stages import Stage
from manifesto.cst.values import exec_args, key_values, mounts
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import append_command
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word

from . import _apt, _rpm
from ._package_caches import (
    APK_VALUE_OPTIONS,
    NO_POSIX_SHELL,
    covered,
    ends_early,
    first_positional,
    stage_note,
)

INFO = RuleInfo(
    code="MF201",
    name="cleanup_in_later_layer",
    title="Delete files in the RUN that creates them, not in a later one",
    applicability=Applicability.SAFE,
    related=("DL3009",),
    doc=__doc__ or "",
)

# What a clean-up deletes.
_LISTS = "apt lists"
_ARCHIVES = "apt archives"
_RPM_CACHE = "rpm cache"
_APK_CACHE = "apk cache"
_APT_PACKAGE = "apt package"
_APK_PACKAGE = "apk package"
_PATH = "path"

_ARCHIVES_DIR = "/var/cache/apt"
_APK_CACHE_DIR = "/var/cache/apk"
_RPM_PROGRAMS = frozenset({"yum", "dnf", "microdnf"})

# What a command does to what a clean-up deletes.
_WRITE = "write"
_DELETE = "delete"
_READ = "read"
_UNKNOWN = "unknown"

_RM_OPTION = re.compile(r"-[rRfvd]+|--(?:recursive|force|verbose|dir|one-file-system)")
_INERT_KEYWORDS = frozenset(
    {"LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER", "ONBUILD"}
)
_NAMES_ITS_FILES = frozenset(
    {
        ":",
        "[",
        "[[",
        "addgroup",
        "adduser",
        "apk",
        "apt",
        "apt-get",
        "cat",
        "cd",
        "chgrp",
        "chmod",
        "chown",
        "cp",
        "curl",
        "dnf",
        "echo",
        "export",
        "false",
        "gpg",
        "grep",
        "groupadd",
        "gunzip",
        "gzip",
        "ln",
        "ls",
        "md5sum",
        "microdnf",
        "mkdir",
        "mv",
        "printf",
        "rm",
        "rmdir",
        "sed",
        "set",
        "sha256sum",
        "sha512sum",
        "tar",
        "tee",
        "test",
        "touch",
        "true",
        "unzip",
        "useradd",
        "usermod",
        "wget",
        "yum",
    }
)
"""Programs that touch only the files their arguments name (package managers: the
packages' own files), so a RUN of them that names none of a path leaves it alone."""
_PLAIN_FILE_TOOLS = frozenset(
    {":", "cd", "chmod", "chown", "echo", "export", "ln", "mkdir", "mv", "cp", "printf"}
    | {"rm", "rmdir", "set", "test", "[", "touch", "true", "tee"}
)
"""Programs that cannot use a package being purged (they come with the base system)."""
_LANGUAGE_PACKAGE_MANAGERS = frozenset(
    {"pip", "pip3", "npm", "yarn", "gem", "bundle", "go", "cargo", "composer", "mvn", "gradle"}
)
"""They write their own caches and trees, never the OS package manager's files."""
_TEXT_ONLY = frozenset({"echo", "printf", "export", "set", "true", "false", ":", "[", "[[", "test"})
_INERT_STATEMENTS = frozenset({"set", "true", ":"})
_LOOKBACK = 256
"""How many instructions the walk from a clean-up looks back for what created its
files. A clean-up of something the file never created walks to the top; in a
generated file of thousands of such RUNs that is quadratic. Real Dockerfiles hold
far fewer instructions; a creator further back than this gives no finding."""
_OWN_LOOKBACK = 256
"""How many commands of its own RUN before a clean-up are read for a use of what it
deletes (see :func:`_own_use`); a clean-up further into the chain gives no finding."""


@dataclass(frozen=True, slots=True)
class _Target:
    """One thing a clean-up deletes: a path, a package, or a package manager's files."""

    kind: str
    value: str = ""
    """The path (as written) or the package name."""
    programs: frozenset[str] = frozenset()
    """For the RPM cache: the programs whose runs fill it."""

    @property
    def path(self) -> str | None:
        """The directory or file in the layer, for the instructions that reach paths."""
        if self.kind == _PATH:
            return self.value
        return {
            _LISTS: _apt.LISTS,
            _ARCHIVES: _ARCHIVES_DIR,
            _APK_CACHE: _APK_CACHE_DIR,
            _RPM_CACHE: "/var/cache/yum",
        }.get(self.kind)


@dataclass(frozen=True, slots=True)
class _Cleanup:
    command: Command
    targets: tuple[_Target, ...]


@dataclass(frozen=True, slots=True)
class _Creator:
    """Where the walk back from a clean-up ended."""

    instruction: Instruction | None
    """The RUN that created (or already deleted) what the clean-up deletes."""
    cleaned: bool = False
    """That RUN already deletes it after creating it: the clean-up deletes nothing."""
    blocker: str | None = None
    """Why the clean-up cannot move there (a reason text), when it cannot."""
    origin: Instruction | None = None
    """What created it when that is not a RUN (a COPY or ADD)."""


# --------------------------------------------------------------------------- the rule


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            continue
        ordered = _Ordered(script)
        for cleanup in _cleanups(script):
            found = _assess(ctx, tree, ins, script, ordered, cleanup)
            if found is not None:
                yield found


def _assess(
    ctx: FixContext,
    tree: Dockerfile,
    ins: Instruction,
    script: ShellScript,
    ordered: _Ordered,
    cleanup: _Cleanup,
) -> Violation | None:
    command = cleanup.command
    if any(t.path is not None and covered(ins, t.path) for t in cleanup.targets):
        return None  # it empties a mount, not a layer
    own = _own_use(ordered, command, cleanup.targets)
    if own in (_WRITE, _UNKNOWN):
        return None  # created and deleted in this RUN (or maybe so): as it should be
    creators = [_creator(ctx, ins, target) for target in cleanup.targets]
    found = [c for c in creators if c.instruction is not None or c.origin is not None]
    if len(found) < len(creators):
        return None  # (some of) what it deletes does not come from this file
    shown = _one_line(command)
    made = [c.instruction or c.origin for c in found]
    where = sorted({m.start_line for m in made if m is not None})
    lines = ", ".join(str(n) for n in where)
    cleaned = all(c.cleaned for c in found)
    if cleaned and own is not None:
        return None  # deletes nothing, after reading what is gone: not about layers
    copies = [c.origin for c in found if c.origin is not None]
    if copies:
        message = (
            f"`{_short(command)}` deletes what the {copies[0].keyword} on line {lines} created, "
            "in a later layer: the bytes stay in the image"
        )
    elif cleaned:
        message = f"`{_short(command)}` deletes nothing: line {lines} already deleted it"
    else:
        message = (
            f"`{_short(command)}` deletes what line {lines} created, in a later layer: "
            "the bytes stay in the image; run it at the end of that RUN"
        )
    message += stage_note(ctx, ins)
    reason = _no_fix_reason(ctx, ins, script, cleanup, found, own, shown)
    if reason is not None:
        return Violation(
            INFO.code,
            f"{message} (no fix: {reason})",
            command.start,
            command.end,
            None,
            no_fix(reason),
        )
    creator = found[0].instruction
    assert creator is not None and shown is not None
    edits = [_removal(ctx, tree, ins, script, command)]
    if not cleaned:
        creator_script = ctx.shell(creator)
        assert creator_script is not None
        edits.append(append_command(creator, creator_script, shown, ctx))
    title = f"Drop `{_short(command)}`" if cleaned else f"Move `{_short(command)}` to line {lines}"
    edits.sort(key=lambda e: e.start)
    return Violation(
        INFO.code,
        message,
        command.start,
        command.end,
        Fix(title, tuple(edits), Applicability.SAFE),
    )


def _no_fix_reason(
    ctx: FixContext,
    ins: Instruction,
    script: ShellScript,
    cleanup: _Cleanup,
    found: list[_Creator],
    own: str | None,
    shown: str | None,
) -> str | None:
    blockers = [c.blocker for c in found if c.blocker is not None]
    if blockers:
        return blockers[0]
    if own is not None:
        return "this RUN uses it before the clean-up"
    creators = {id(c.instruction): c.instruction for c in found if c.instruction is not None}
    if len(creators) > 1:
        return "what it deletes comes from several RUNs"
    (creator,) = creators.values()
    command = cleanup.command
    if script.script_heredoc is not None or script.heredocs:
        return "the RUN is a here-document"
    if not _separable(script, command):
        return "the clean-up is part of a || chain, a pipeline or a compound command"
    if shown is None:
        return "the clean-up spans lines"
    if not ctx.posix_shell_at(creator) or not ctx.posix_shell_at(ins):
        return NO_POSIX_SHELL
    if ctx.shell_argv(creator) != ctx.shell_argv(ins):
        return "SHELL differs between the two RUNs"
    if any(_relative(t) for t in cleanup.targets):
        creator_script = ctx.shell(creator)
        if creator_script is None or _changes_directory(creator_script.commands):
            return "relative path after cd in the creating RUN"
        if _changes_directory(c for c in script.commands if c.start < command.start):
            return "relative path after cd"
    if all(c.cleaned for c in found):
        return None
    if not _failure_stops_run(script, command) and not _forced_rm(command):
        # `RUN rm /tmp/x; echo done`: a failing rm was ignored there; appended to the
        # creating RUN with && (or under set -e) it would stop the build.
        return "the later RUN goes on when the clean-up fails"
    creator_script = ctx.shell(creator)
    assert creator_script is not None
    if ends_early(creator_script):
        return f"the RUN may exit before an appended command (line {creator.start_line})"
    if creator_script.statements and creator_script.statements[-1].terminator == "&":
        return "runs in the background"
    return _other_stage_reason(ctx, ins, creator)


# --------------------------------------------------------------------------- clean-ups


def _cleanups(script: ShellScript) -> Iterator[_Cleanup]:
    """The clean-up commands of a script (top level and nested alike; whether one can
    move is decided later)."""
    for command in script.commands:
        targets = _targets(command)
        if targets:
            yield _Cleanup(command, targets)


def _targets(command: Command) -> tuple[_Target, ...]:
    program = command.program
    if program == "rm":
        return _rm_targets(command)
    if program in _apt.APT_PROGRAMS:
        call = _apt.apt_call(command)
        if call is None or not call.acts or call.hidden:
            return ()
        if call.name == "clean":
            return (_Target(_ARCHIVES),)
        if call.name in _apt.LIST_DELETERS:
            return (_Target(_LISTS), _Target(_ARCHIVES))
        if call.name in ("purge", "remove"):
            return _package_targets(_apt_packages(call), _APT_PACKAGE)
        return ()
    if program in _RPM_PROGRAMS and _rpm.cleans_all(command, (program,)):
        return (_Target(_RPM_CACHE, programs=frozenset({program})),)
    if program == "apk":
        words = command.effective_args
        at = first_positional(words, 0, APK_VALUE_OPTIONS)
        if at is None or words[at].value != "del":
            return ()
        return _package_targets(_positional(words[at + 1 :], APK_VALUE_OPTIONS), _APK_PACKAGE)
    return ()


def _rm_targets(command: Command) -> tuple[_Target, ...]:
    out: list[_Target] = []
    options_done = False
    for word in command.effective_args:
        v = word.value
        if v is None or (v.startswith("~") and not v.startswith("~/")):
            return ()  # "$DIR", ~user: not a path this rule can follow
        if not options_done and v == "--":
            options_done = True
            continue
        if not options_done and v.startswith("-"):
            if not _RM_OPTION.fullmatch(v):
                return ()
            continue
        if _is_glob(v) and word.text != v:
            return ()  # a quoted glob deletes only a file named '*', if any
        out.append(_path_target(v))
    if command.redirects or not out:
        return ()
    return tuple(out)


def _path_target(path: str) -> _Target:
    core = _normal(path)
    if core in ("/var/lib/apt", _apt.LISTS) or core.startswith(_apt.LISTS + "/"):
        return _Target(_LISTS) if core != "/var/lib/apt/lists/partial" else _Target(_PATH, path)
    if core == _ARCHIVES_DIR or core.startswith(_ARCHIVES_DIR + "/"):
        return _Target(_ARCHIVES)
    if core == _APK_CACHE_DIR:
        return _Target(_APK_CACHE)
    if any(core == d for d in _rpm.RPM_CACHE_DIRS):
        return _Target(_RPM_CACHE, programs=_RPM_PROGRAMS)
    return _Target(_PATH, path)


def _package_targets(packages: Sequence[Word] | None, kind: str) -> tuple[_Target, ...]:
    if not packages:
        return ()
    names: list[_Target] = []
    for word in packages:
        if word.value is None or _is_glob(word.value):
            return ()
        names.append(_Target(kind, _package_name(word.value)))
    return tuple(names)


def _apt_packages(call: _apt.AptCall) -> list[Word] | None:
    """The package words after an apt command word (``None`` when one is not literal)."""
    words = call.command.effective_args
    if call.subcommand is None:
        return None
    at = next(k for k, w in enumerate(words) if w is call.subcommand)
    option_words = {id(o.word) for o in call.options}
    values = {o.value for o in call.options if o.value is not None}
    out: list[Word] = []
    for word in words[at + 1 :]:
        if id(word) in option_words or (word.value in values and word.value is not None):
            continue
        if word.value is None:
            return None
        out.append(word)
    return out


def _positional(words: Sequence[Word], with_value: frozenset[str]) -> list[Word] | None:
    out: list[Word] = []
    i = 0
    while i < len(words):
        v = words[i].value
        if v is None:
            return None
        if v.startswith("-"):
            i += 2 if v in with_value else 1
            continue
        out.append(words[i])
        i += 1
    return out


def _package_name(text: str) -> str:
    """``curl=7.88*`` and ``curl:amd64`` name the package ``curl``."""
    return re.split(r"[=:]", text, maxsplit=1)[0]


# --------------------------------------------------------------------------- the walk back


def _creator(ctx: FixContext, ins: Instruction, target: _Target) -> _Creator:
    """The nearest earlier RUN of the image that writes (or deletes) ``target``, with
    the first instruction in between that stops the clean-up from moving there. The
    walk goes on past such an instruction: a path nothing in the file creates (it
    comes with the base image) gives no finding at all."""
    blocker: str | None = None
    for seen, item in enumerate(_earlier(ctx, ins)):
        if seen >= _LOOKBACK:
            break  # see _LOOKBACK
        if item.keyword == "RUN":
            # one answer per RUN and target: every clean-up of the same thing (the apt
            # lists after each install) walks back over the same RUNs
            key = ("mf201.run_effect", id(item), target)
            found = ctx.cached(key, functools.partial(_run_effect, ctx, item, target))
            if found is None:
                continue
            if found.instruction is not None:
                return _Creator(found.instruction, found.cleaned, blocker)
            blocker = blocker or found.blocker
            continue
        stop, creates = _instruction_blocker(ctx, item, target)
        if creates:
            return _Creator(None, blocker=blocker or stop, origin=item)
        blocker = blocker or stop
    return _Creator(None)


def _earlier(ctx: FixContext, ins: Instruction) -> Iterator[Instruction]:
    """The instructions before ``ins`` in its image, nearest first."""
    stage = ctx.stage_of(ins)
    if stage is None:
        return
    positions = ctx.cached(("mf201.positions",), lambda: _positions(ctx))
    chain = ctx.ancestors(stage)
    for st in reversed(chain):
        end = positions[id(ins)] if st.index == stage.index else len(st.instructions)
        yield from reversed(st.instructions[:end])


def _positions(ctx: FixContext) -> dict[int, int]:
    return {id(i): k for st in ctx.stages for k, i in enumerate(st.instructions)}


def _run_effect(ctx: FixContext, item: Instruction, target: _Target) -> _Creator | None:
    """What an earlier RUN means for the walk: None to go on past it."""
    if item.keyword != "RUN":
        return None
    if target.path is not None and covered(item, target.path):
        return None  # what it writes there is not in the layer
    script = ctx.shell(item)
    line = item.start_line
    if script is None or script.has_errors or not script.supported:
        text = _apt.run_text(ctx, item)
        if _may_mention(text, target):
            return _Creator(None, blocker=f"line {line} may use it (it cannot be read)")
        return None
    events = _events(script.commands, target)
    kinds = [e for e, _ in events]
    if _WRITE in kinds:
        last_write = max(k for k, e in enumerate(kinds) if e == _WRITE)
        after = kinds[last_write + 1 :]
        if _DELETE in after:
            return _Creator(item, cleaned=True)
        return _Creator(item)
    if _READ in kinds or _UNKNOWN in kinds:
        what = "the packages" if target.kind in (_APT_PACKAGE, _APK_PACKAGE) else "it"
        verb = "uses" if _READ in kinds else "may use"
        return _Creator(None, blocker=f"line {line} {verb} {what}")
    if _DELETE in kinds:
        return _Creator(item, cleaned=True)
    return None


def _instruction_blocker(
    ctx: FixContext, item: Instruction, target: _Target
) -> tuple[str | None, bool]:
    """Why an instruction between the two RUNs stops the move (or None), and whether
    it is what created the target (a COPY or ADD to that path)."""
    keyword = item.keyword
    line = item.start_line
    if keyword in _INERT_KEYWORDS:
        return None, False
    if keyword == "USER":
        return f"USER on line {line} changes the user", False
    if keyword == "SHELL":
        return f"SHELL on line {line} changes the shell", False
    path = target.path
    if keyword in ("ENV", "ARG"):
        if path is not None and path.startswith("~") and _sets_home(item):
            return f"{keyword} on line {line} changes HOME", False
        return None, False
    if path is None:
        return None, False
    if keyword == "WORKDIR":
        if _relative(target):
            return f"WORKDIR on line {line} changes the directory", False
        where = _absolute(ctx, item, (exec_args(item) or (item.args_text.strip(),))[-1])
        if where is None or _overlaps(where, _home_path(path)):
            return f"WORKDIR on line {line} creates a directory there", False
        return None, False
    if keyword in ("COPY", "ADD", "VOLUME"):
        for dest in _destinations(item):
            where = _absolute(ctx, item, dest)
            if keyword == "VOLUME" and (where is None or _overlaps(where, _home_path(path))):
                return f"VOLUME on line {line} covers it", False
            if where is None:
                return f"{keyword} on line {line} writes where the rule cannot tell", False
            if _overlaps(where, _home_path(path)):
                return f"{keyword} on line {line} writes there (not a RUN: report only)", True
    return None, False


def _destinations(item: Instruction) -> tuple[str, ...]:
    argv = exec_args(item)
    words = list(argv) if argv is not None else item.args_text.split()
    if item.keyword == "VOLUME":
        return tuple(words)
    return (words[-1],) if words else ("",)


def _absolute(ctx: FixContext, item: Instruction, path: str) -> str | None:
    """``path`` made absolute against the WORKDIR in force at ``item``; None when a
    variable or an unknown WORKDIR stands in the way."""
    if "$" in path or not path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    base = "/"
    for workdir in ctx.earlier_matching(item, _is_workdir):
        argv = exec_args(workdir)
        value = argv[-1] if argv else workdir.args_text.strip()
        if "$" in value:
            return None
        base = posixpath.join(base, value)
    return posixpath.normpath(posixpath.join(base, path))


def _is_workdir(_: FixContext, item: Instruction) -> bool:
    return item.keyword == "WORKDIR"


def _sets_home(item: Instruction) -> bool:
    if item.keyword == "ENV":
        return any(kv.key == "HOME" for kv in key_values(item))
    return re.search(r"(?<![\w])HOME(?:=|\s|$)", item.args_text) is not None


def _may_mention(text: str, target: _Target) -> bool:
    if target.kind == _PATH:
        return _basename(target.value) in text or _normal(target.value) in text or "$" in text
    if target.kind in (_LISTS, _ARCHIVES, _APT_PACKAGE):
        return _apt.APT_WORD.search(text) is not None
    if target.kind == _RPM_CACHE:
        return any(p in text for p in _RPM_PROGRAMS)
    return "apk" in text


# --------------------------------------------------------------------------- events


def _events(commands: Sequence[Command], target: _Target) -> list[tuple[str, Command]]:
    """What each command does to ``target``, in order (commands that do nothing left out)."""
    out: list[tuple[str, Command]] = []
    for command in commands:
        event = _event(command, target)
        if event is not None:
            out.append((event, command))
    return out


def _event(command: Command, target: _Target) -> str | None:
    kind = target.kind
    if kind == _LISTS:
        return _state_event(_lists_event(command), command)
    if kind == _ARCHIVES:
        return _state_event(_archives_event(command), command)
    if kind == _RPM_CACHE:
        return _state_event(_rpm_event(command, target), command)
    if kind == _APK_CACHE:
        return _state_event(_apk_cache_event(command), command)
    if kind == _APT_PACKAGE:
        return _apt_package_event(command, target.value)
    if kind == _APK_PACKAGE:
        return _apk_package_event(command, target.value)
    return _path_event(command, target.value)


def _state_event(event: str | None, command: Command) -> str | None:
    """A package manager's own files: a command that names no package manager may
    still run one (``bash install.sh``, ``curl ... | sh``), except the file tools and
    the language package managers, which never run apt, yum or apk themselves."""
    if event is not None:
        return event
    if command.program in _LANGUAGE_PACKAGE_MANAGERS:
        return None
    return _UNKNOWN if _opaque(command) else None


def _sure(event: str, command: Command) -> str:
    """A write or delete that may not happen (``if``, ``||``, a loop) is not certain."""
    return event if _apt.runs_unconditionally(command) else _UNKNOWN


def _lists_event(command: Command) -> str | None:
    call = _apt.apt_call(command)
    if call is not None:
        if not call.acts:
            return None
        if call.name == "update" or _apt.updates_first(call):
            return _sure(_WRITE, command)
        if call.name in _apt.LIST_DELETERS:
            return _sure(_DELETE, command)
        return None if call.name in _apt.LIST_FREE else _READ
    if _apt.deletes_lists(command):
        return _sure(_DELETE, command)
    if command.program == "add-apt-repository" or any(
        _apt.APT_WORD.search(w.text) for w in _apt.words_of(command)
    ):
        return _UNKNOWN  # may run apt-get update, or an install, out of sight
    return None


def _archives_event(command: Command) -> str | None:
    call = _apt.apt_call(command)
    if call is not None and call.program in _apt.APT_PROGRAMS:
        if not call.acts:
            return None
        if call.name in ("clean", *_apt.LIST_DELETERS):
            return _sure(_DELETE, command)
        if call.name in _apt.INSTALLS | _apt.UPGRADES | {"update"}:
            return _WRITE
        # remove, purge, autoremove ... open apt's cache: where the base keeps it
        # (no docker-clean), they write pkgcache.bin into /var/cache/apt, which
        # `apt-get clean` deletes.
        return _UNKNOWN
    if command.program == "rm" and any(
        _covers(p, _ARCHIVES_DIR) or _covers(p, _ARCHIVES_DIR + "/archives")
        for p in _literal_paths(command)
    ):
        return _sure(_DELETE, command)
    return None


def _rpm_event(command: Command, target: _Target) -> str | None:
    program = command.program
    if program in _RPM_PROGRAMS:
        if _rpm.cleans_all(command, (program,)):
            return _sure(_DELETE, command) if program in target.programs else None
        tool = _rpm.MICRODNF if program == "microdnf" else _rpm.YUM
        name = _rpm.subcommand_name(command, _rpm.Tool(program, tool.value_options, tool.groups))
        fills = _rpm.MICRODNF_FILLS if program == "microdnf" else _rpm.YUM_DNF_FILLS
        if name in fills or name == "makecache":
            return _WRITE if program in target.programs else _UNKNOWN
        return None
    if program == "rm" and any(
        _covers(p, d) for p in _literal_paths(command) for d in _rpm.RPM_CACHE_DIRS
    ):
        return _sure(_DELETE, command)
    return None


def _apk_cache_event(command: Command) -> str | None:
    if command.program == "apk":
        words = command.effective_args
        if any(w.value == "--no-cache" for w in words):
            return None
        at = first_positional(words, 0, APK_VALUE_OPTIONS)
        sub = words[at].value if at is not None else None
        if sub in ("add", "update", "upgrade", "fix"):
            return _WRITE
        if (
            at is not None
            and sub == "cache"
            and any(w.value in ("clean", "purge") for w in words[at + 1 :])
        ):
            return _sure(_DELETE, command)
        return None
    if command.program == "rm" and any(_covers(p, _APK_CACHE_DIR) for p in _literal_paths(command)):
        return _sure(_DELETE, command)
    return None


def _apt_package_event(command: Command, package: str) -> str | None:
    call = _apt.apt_call(command)
    if call is not None and call.program in _apt.APT_PROGRAMS and call.acts:
        words = _apt_packages(call) or []
        named = any(_package_name(w.value or "") == package for w in words)
        if call.name in _apt.INSTALLS and named:
            return _WRITE
        if call.name in ("purge", "remove") and named:
            return _sure(_DELETE, command)
        if call.name in ("update", "clean", *_apt.LIST_DELETERS):
            return None
        return _UNKNOWN  # another install may depend on it; an autoremove may remove it
    return _package_user(command)


def _apk_package_event(command: Command, package: str) -> str | None:
    if command.program == "apk":
        words = command.effective_args
        at = first_positional(words, 0, APK_VALUE_OPTIONS)
        sub = words[at].value if at is not None else None
        rest = words[at + 1 :] if at is not None else ()
        named = any(_package_name(w.value or "") == package for w in rest) or any(
            w.value in ("-t", "--virtual") and words[k + 1].value == package
            for k, w in enumerate(words[:-1])
        )
        if sub == "add" and named:
            return _WRITE
        if sub == "del" and named:
            return _sure(_DELETE, command)
        if sub in ("update", "info", "cache"):
            return None
        return _UNKNOWN
    return _package_user(command)


def _package_user(command: Command) -> str | None:
    """Any program but a plain file tool may use a package (a compiler, a library)."""
    if command.program in _PLAIN_FILE_TOOLS and all(w.value is not None for w in command.words):
        return None
    if command.name is None and not command.words:
        return None  # an assignment or a redirect alone
    return _UNKNOWN


def _path_event(command: Command, path: str) -> str | None:
    if command.program == "rm":
        removed = _literal_paths(command)
        if any(_covers(p, path) for p in removed):
            return _sure(_DELETE, command)
        if all(w.value is not None for w in command.effective_args):
            return None  # deletes other files (or part of these): no use of them
        return _UNKNOWN
    if _writes(command, path):
        return _WRITE
    if any(not where.startswith(("/", "~/")) for where, _ in _outputs(command)):
        return _UNKNOWN  # it writes relative to a directory this rule does not follow
    if _names(command, path):
        return _READ
    if _opaque(command):
        return _UNKNOWN
    return None


def _writes(command: Command, path: str) -> bool:
    """The command writes ``path`` (or into it, or a directory it lies in) as output."""
    for where, into in _outputs(command):
        # deleting the path deletes what was written; or it was written into a folder
        # the path lies in (a folder is not what ``rm folder/*`` deletes)
        if _covers(path, where) or (into and _covers(where, path)):
            return True
    return False


def _outputs(command: Command) -> Iterator[tuple[str, bool]]:
    """Literal output paths of a command, and whether it writes into them as a directory."""
    for redirect in command.redirects:
        target = redirect.target
        if (
            redirect.operator in (">", ">>", "&>", "&>>", ">|")
            and target is not None
            and target.value is not None
        ):
            yield target.value, False
    program = command.program
    words = command.effective_args
    values = [w.value for w in words]
    positional = [v for v in values if v is not None and not v.startswith("-")]
    # "." stands for the working directory a command writes into by default
    # (``curl -O``, ``wget URL``, ``tar -x`` without ``-C``, ``unzip``, ``git clone URL``)
    if program == "curl":
        yield from ((v, False) for v in _option_values(values, ("-o", "--output")))
        folders = _option_values(values, ("--output-dir",))
        yield from ((v, True) for v in folders)
        remote = any(v is not None and re.fullmatch(r"-[A-Za-z]*O[A-Za-z]*", v) for v in values)
        if not folders and (remote or "--remote-name" in values or "--remote-name-all" in values):
            yield ".", True
    elif program == "wget":
        files = _option_values(values, ("-O", "--output-document"))
        folders = _option_values(values, ("-P", "--directory-prefix"))
        yield from ((v, False) for v in files)
        yield from ((v, True) for v in folders)
        if not files and not folders:
            yield ".", True
    elif program in ("cp", "mv", "ln", "install"):
        targets = _option_values(values, ("-t", "--target-directory"))
        yield from ((v, True) for v in targets)
        if not targets and len(positional) >= 2:
            yield positional[-1], True
    elif program in ("mkdir", "touch"):
        yield from ((v, False) for v in positional)
    elif program == "git" and positional[:1] == ["clone"]:
        yield (positional[-1] if len(positional) >= 3 else "."), True
    elif program == "tar":
        folders = _option_values(values, ("-C", "--directory"))
        yield from ((v, True) for v in folders)
        cluster = next((v for v in values if v is not None and re.fullmatch(r"-?[a-zA-Z]+", v)), "")
        if not folders and ("x" in cluster.lstrip("-") or "--extract" in values):
            yield ".", True
        if "c" in cluster.lstrip("-") or "--create" in values:
            yield from ((v, False) for v in _option_values(values, ("-f", "--file")))
            if "f" in cluster and cluster.endswith("f") and not cluster.startswith("--"):
                k = values.index(cluster) + 1
                if k < len(values) and values[k] is not None:
                    yield str(values[k]), False
    elif program == "unzip":
        folders = _option_values(values, ("-d",))
        yield from ((v, True) for v in folders)
        if not folders:
            yield ".", True


def _option_values(values: Sequence[str | None], names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for k, v in enumerate(values):
        if v is None:
            continue
        for name in names:
            if v == name and k + 1 < len(values) and values[k + 1] is not None:
                out.append(str(values[k + 1]))
            elif name.startswith("--") and v.startswith(name + "="):
                out.append(v[len(name) + 1 :])
            elif not name.startswith("--") and re.fullmatch(rf"-[A-Za-z]*{name[1]}", v):
                # a cluster ending with the option takes the next word (curl -fsSLo x)
                if k + 1 < len(values) and values[k + 1] is not None:
                    out.append(str(values[k + 1]))
            elif not name.startswith("--") and v.startswith(name) and len(v) > len(name):
                out.append(v[len(name) :])
    return out


def _names(command: Command, path: str) -> bool:
    """A word of the command may name ``path``: the path, a file in it, a directory
    above it, a glob matching it, or its file name (read relative to some directory)."""
    core = _normal(_home_path(path))
    base = _basename(path)
    for word in _apt.words_of(command):
        v = word.value
        if v is None:
            continue
        v = _home_path(v)
        if _overlaps(v, core) or (v.startswith("/") and _covers(v, core) and v != "/"):
            return True
        if base and base in v and not _is_glob(base):
            return True
    return False


def _opaque(command: Command) -> bool:
    """A command whose files cannot be told from its words."""
    program = command.program
    if program is None:
        return command.name is not None  # "$CMD args"; an assignment alone is fine
    if program not in _NAMES_ITS_FILES:
        return True
    if program in _TEXT_ONLY:
        return any(r.target is not None and r.target.value is None for r in command.redirects)
    return any(w.value is None for w in _apt.words_of(command))


class _Ordered:
    """A script's commands in source order, to find those before a clean-up by bisection
    (filtering the whole list for each clean-up is quadratic in a long chain)."""

    __slots__ = ("commands", "starts")

    def __init__(self, script: ShellScript) -> None:
        self.commands = sorted(script.commands, key=lambda c: c.start)
        self.starts = [c.start for c in self.commands]

    def before(self, command: Command) -> int:
        """How many commands start before ``command``."""
        return bisect.bisect_left(self.starts, command.start)


def _own_use(ordered: _Ordered, command: Command, targets: Sequence[_Target]) -> str | None:
    """What the RUN's own commands before the clean-up do to what it deletes: a write
    (created here), a read (it needs them first), a command that may do either
    (``./install.sh``), or nothing.

    A write and a may-write mean the same to the caller (no finding), so the walk goes
    back from the clean-up and stops at the first of either; past ``_OWN_LOOKBACK``
    commands it stops too, as a may-write: a chain of thousands of clean-ups, each
    compared with every command before it, would be quadratic."""
    end = ordered.before(command)
    if end > _OWN_LOOKBACK:
        return _UNKNOWN
    found: str | None = None
    for earlier in reversed(ordered.commands[:end]):
        for target in targets:
            event = _event(earlier, target)
            if event in (_WRITE, _UNKNOWN):
                return event
            if event == _READ:
                found = _READ
    return found


# --------------------------------------------------------------------------- checks


def _separable(script: ShellScript, command: Command) -> bool:
    """The command is a whole top-level statement, or a plain member of a top-level
    ``&&`` chain: taking it out (with one operator) leaves the rest as it ran."""
    if command.context or command.in_pipeline:
        return False
    statement = script.statement_of(command)
    if statement is None or statement.terminator == "&":
        return False
    k = script.statements.index(statement)
    if k > 0 and script.statements[k - 1].terminator == "&":
        return False  # "a & rm x": the "&" goes with the rm
    if command.operator_before not in (None, "&&", ";", "\n"):
        return False
    if command.operator_after not in (None, "&&", ";", "\n"):
        return False
    return all(op == "&&" for op in statement.operators)


def _failure_stops_run(script: ShellScript, command: Command) -> bool:
    """Whether the RUN fails when ``command`` (a separable clean-up) fails: it is in the
    last statement, or ``set -e`` is in force and it ends its ``&&`` chain (set -e
    ignores a failure anywhere else in the chain)."""
    statement = script.statement_of(command)
    if statement is None or statement is script.statements[-1]:
        return True
    return command.errexit and command.operator_after != "&&"


def _forced_rm(command: Command) -> bool:
    """``rm -f``: it does not fail for a file that is not there."""
    if command.program != "rm":
        return False
    for word in command.effective_args:
        v = word.value
        if v is None or v == "--" or not v.startswith("-"):
            return False
        if v == "--force" or (not v.startswith("--") and "f" in v):
            return True
    return False


def _changes_directory(commands: Iterator[Command] | Sequence[Command]) -> bool:
    return any(
        c.program in ("cd", "pushd", "popd")
        and not {"subshell", "command_substitution"} & set(c.context)
        for c in commands
    )


def _other_stage_reason(ctx: FixContext, ins: Instruction, creator: Instruction) -> str | None:
    """A creating RUN in another stage may be changed only when that stage (and the
    stages between) serve this image alone: no other stage is built on them or copies
    from them."""
    own = ctx.stage_of(ins)
    theirs = ctx.stage_of(creator)
    if own is None or theirs is None or own.index == theirs.index:
        return None
    chain = {s.index for s in ctx.ancestors(own)}
    between = [s for s in ctx.ancestors(own) if s.index != own.index]
    between = between[[s.index for s in between].index(theirs.index) :]
    for stage in between:
        others = [s for s in ctx.graph.built_on(stage) if s.index not in chain]
        if others or _copied_from(ctx, stage):
            name = stage.name_as_written or str(stage.index)
            return f"stage `{name}` is used by other stages too"
    return None


def _copied_from(ctx: FixContext, stage: Stage) -> bool:
    names = {str(stage.index)} | ({stage.name.lower()} if stage.name else set())
    for item in ctx.tree.instructions:
        eff = item.effective
        for flag in eff.flags_named("from"):
            if (flag.value or "").lower() in names:
                return True
        for mount in mounts(eff):
            if any(k == "from" and v.lower() in names for k, v in mount.fields):
                return True
    return False


# --------------------------------------------------------------------------- the edits


# A line may end in several carriage returns (``\r\r\n``): the parser strips them all.
_LAYOUT = r"(?:[ \t]+|{esc}[ \t]*\r*\n(?:[ \t]*(?:#[^\n]*)?\r*\n)*)"


def _layout(escape: str) -> str:
    return _LAYOUT.format(esc=re.escape(escape))


def _removal(
    ctx: FixContext, tree: Dockerfile, ins: Instruction, script: ShellScript, command: Command
) -> Edit:
    """The edit that takes ``command`` out of its RUN, or the whole RUN when nothing
    else is left."""
    text = ctx.text
    statement = script.statement_of(command)
    assert statement is not None
    if _inert([c for c in script.commands if c is not command]):
        return _run_removal(tree, ins)
    layout = _layout(ins.escape)
    if len(statement.commands) == 1:
        k = script.statements.index(statement)
        if k > 0:
            return Edit.delete(script.statements[k - 1].end, statement.end)
        return _head_removal(ins, text, statement.start, script.statements[k + 1].start)
    # Out with the operator that joins it to the next element, so the line layout
    # before the next one stays; the last element goes with the operator before it.
    # A comment line in the way stays with the command it describes.
    after = re.compile(rf"{layout}*&&{layout}*").match(text, command.end)
    following = after is not None and "#" not in after.group()
    if command.start > statement.start and not following:
        head = text[statement.start : command.start]
        joint = re.search(rf"&&{layout}*\Z", head)
        assert joint is not None
        before = re.search(rf"{layout}*\Z", head[: joint.start()])
        assert before is not None
        return Edit.delete(statement.start + before.start(), command.end)
    assert after is not None
    return _head_removal(ins, text, command.start, after.end())


def _head_removal(ins: Instruction, text: str, start: int, following: int) -> Edit:
    """``text[start:following]`` (a first command and what joins it to the next one)
    deleted; comment lines in between describe the next command and stay, so the
    deletion ends at the escape before them (``RUN \\`` then the comment)."""
    comment = re.compile(rf"{re.escape(ins.escape)}[ \t]*\r*\n[ \t]*#").search(
        text, start, following
    )
    return Edit.delete(start, following if comment is None else comment.start())


def _inert(commands: Sequence[Command]) -> bool:
    """``set -eux``, ``true``, ``:``: nothing a RUN would be kept for."""
    return all(c.program in _INERT_STATEMENTS and not c.redirects for c in commands)


def _run_removal(tree: Dockerfile, ins: Instruction) -> Edit:
    """The whole RUN, with the comment lines right above it (they describe it) and,
    when blank lines stood on both sides, the blank lines after it."""
    elements = tree.elements
    # by offset: tuple.index compares dataclasses field by field along the file
    k = bisect.bisect_left(elements, ins.start, key=lambda e: e.start)
    if k >= len(elements) or elements[k] is not ins:
        k = elements.index(ins)
    start = ins.start
    j = k
    while j > 0 and isinstance(elements[j - 1], Comment):
        j -= 1
        start = elements[j].start
    end = ins.end
    if j > 0 and isinstance(elements[j - 1], Blank):
        for element in elements[k + 1 :]:
            if not isinstance(element, Blank):
                break
            end = element.end
    return Edit.delete(start, end)


# --------------------------------------------------------------------------- words and paths


def _one_line(command: Command) -> str | None:
    """The command's text on one line, to append elsewhere; None when it cannot be."""
    if "\n" not in command.text:
        return command.text
    parts = [a.text for a in command.assignments] + [w.text for w in command.words]
    parts += [r.text for r in command.redirects]
    joined = " ".join(parts)
    return None if "\n" in joined or any(r.heredoc for r in command.redirects) else joined


def _short(command: Command) -> str:
    shown = _one_line(command) or command.text.split("\n", 1)[0]
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _literal_paths(command: Command) -> list[str]:
    out: list[str] = []
    for word in command.effective_args:
        v = word.value
        if v is not None and not v.startswith("-"):
            out.append(v)
    return out


def _normal(path: str) -> str:
    path = _home_path(path)
    while path.endswith("/") and len(path) > 1:
        path = path[:-1]
    return path


def _home_path(path: str) -> str:
    """``~/x`` stands for ``/root/x`` when no USER or HOME is in the way (the walk
    stops at both)."""
    return "/root" + path[1:] if path.startswith("~/") else path


def _covers(outer: str, inner: str) -> bool:
    """Deleting ``outer`` deletes ``inner``: the same path, a directory above it, or a
    glob over it (``/tmp/*`` covers ``/tmp/x.tar.gz``)."""
    outer, inner = _normal(outer), _normal(inner)
    if outer == inner or inner.startswith(outer.rstrip("/") + "/"):
        return True
    if _is_glob(outer):
        parts = inner.split("/")
        return any(
            fnmatch.fnmatchcase("/".join(parts[:n]), outer) for n in range(1, len(parts) + 1)
        )
    return False


def _overlaps(a: str, b: str) -> bool:
    """One path is, holds or matches the other."""
    return _covers(a, b) or _covers(b, a)


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _basename(path: str) -> str:
    base = _normal(path).rsplit("/", 1)[-1]
    return "" if _is_glob(base) or len(base) < 3 else base


def _relative(target: _Target) -> bool:
    return target.kind == _PATH and not target.value.startswith(("/", "~/"))
