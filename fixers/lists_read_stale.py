"""Run apt-get update in the RUN that installs, not only in an earlier one.

## What it does

Finds a `RUN` that installs with `apt-get` (or `apt`) without running
`apt-get update` first, in an image where an earlier `RUN` updated the lists
and kept them. The fix puts `apt-get update` in front of the install, joined
with `&&` (or, in a `set -e` script of `;`-separated statements, as a
statement of its own, laid out like the others).

## Why

The install reads the package lists that the earlier layer downloaded. Docker
caches that layer: when the install line changes months later, only the install
is rebuilt, against lists that old: packages that left the mirror fail with
404, security updates are silently not installed. Docker's guidance calls it a
cache-busting bug. The lists kept for the later install also cost tens of
megabytes in the earlier layer: once the install runs its own update, the
earlier `RUN` can delete them (`apt_lists_kept` then does, and adds the
clean-up to this `RUN` too).

## Example

Before:

    RUN apt-get update && apt-get install -y --no-install-recommends curl
    RUN apt-get install -y --no-install-recommends git

After:

    RUN apt-get update && apt-get install -y --no-install-recommends curl
    RUN apt-get update && apt-get install -y --no-install-recommends git

(and on the next pass `apt_lists_kept` deletes the lists in both `RUN`s).

## Fix safety

Unsafe: the install then gets today's lists, not those of the cached earlier
layer, so it may install newer versions than the image did before (that is the
point), and the build needs the network for the update. A failing update stops
the `RUN` (`&&`, or `;` under `set -e`). The update goes right before the
first command that reads the lists, after any command that changes the sources
(`echo deb ... > /etc/apt/sources.list.d/x.list`), and runs as that command
runs (`sudo apt-get update` for `sudo apt-get install`).

## Caveats

- Only where certain: the nearest earlier `RUN` of the image (this stage or a
  stage it is built `FROM`) that touches the lists must surely run
  `apt-get update` and not delete the lists afterwards. Lists that may come
  from the base image, from a conditional update, or from a `RUN` that does
  not parse give no finding.
- Every install that reads those lists gets its own update (a file of ten
  install `RUN`s runs ten updates): slower builds, for lists as fresh as the
  `RUN` that uses them. Merging the `RUN`s is the better cure where it fits.
- A lone `RUN apt-get update` right before the install is left to
  `apt_update_alone`, whose safe fix moves it into the install.
- Reported without a fix: an install inside a condition, a loop, a function or
  a subshell, after `||` or in a pipeline, run as another user
  (`gosu`, `su-exec`), or through another command (`xargs apt-get`,
  `sh -c`); and when the earlier update passes an option other than `-q` or
  `-y` (`-o Acquire::Check-Valid-Until=false` for an archived release,
  `--allow-releaseinfo-change`, `-o Dir::Etc::sourcelist=...`): a plain
  update would fail, or read other sources, where that one succeeded.
- `apk add` and `yum install` are not checked: `apk add` without
  `--update`/`--no-cache` after an `apk update`, and yum's metadata cache,
  are left to the package-cache rules.
- Skipped: Windows stages, `ONBUILD` triggers, exec-form `RUN`s, scripts that
  do not parse, and `RUN`s with the lists on a cache, tmpfs or bind mount.

## Related

`apt_lists_kept` (MF101) reports the earlier `RUN` without a fix while such
a reader exists ("line N reads the lists without apt-get update"): this rule's
fix is what lets it delete the lists there. No hadolint rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction, Role
from manifesto.cst.values import mounted_over
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.layout import aligned_under, chain_joint
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript

from . import _apt, apt_update_alone
from ._package_caches import NO_POSIX_SHELL, runs_as_other_user, stage_note

INFO = RuleInfo(
    code="MF202",
    name="lists_read_stale",
    title="Run apt-get update in the RUN that installs, not only in an earlier one",
    applicability=Applicability.UNSAFE,
    related=(),
    doc=__doc__ or "",
)

_MOUNTS = ("cache", "tmpfs", "bind")
_CODE_ROLES = (Role.FIRST, Role.CONTINUATION)
_FRESH = "fresh"
_GONE = "gone"
_UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class _Reader:
    command: Command
    call: _apt.AptCall | None
    """None when apt runs through another command (``xargs apt-get install``)."""


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins) or mounted_over(ins, _apt.LISTS, _MOUNTS):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            continue
        reader = _first_reader(script)
        if reader is None:
            continue
        source = _stale_source(ctx, ins)
        if source is None or _left_to_apt_update_alone(ctx, tree, source):
            continue
        command = reader.command
        message = (
            f"`{_program(reader)}` reads the lists that line {source.start_line} downloaded "
            "(a cached layer, maybe months old): run apt-get update in this RUN"
        )
        message += stage_note(ctx, ins)
        reason = _no_fix_reason(ctx, ins, script, reader) or _update_options(ctx, source)
        if reason is not None:
            yield Violation(
                INFO.code,
                f"{message} (no fix: {reason})",
                command.start,
                command.end,
                None,
                no_fix(reason),
            )
            continue
        update = _privilege_prefix(command) + "apt-get update"
        edit = _insert_before(ctx, ins, script, command, update)
        yield Violation(
            INFO.code,
            message,
            command.start,
            command.end,
            Fix(f"Run `{update}` before it", (edit,), Applicability.UNSAFE),
        )


def _first_reader(script: ShellScript) -> _Reader | None:
    """The first command that reads the lists before the script updates them itself;
    None when the script updates (or deletes) them first, or installs nothing."""
    for command in script.commands:
        call = _apt.apt_call(command)
        if call is not None:
            if call.name == "update" or _apt.updates_first(call):
                return None
            if call.name in _apt.LIST_FREE:
                continue
            installs = call.name in _apt.INSTALLS | _apt.UPGRADES
            if call.program in _apt.APT_PROGRAMS and installs and call.acts:
                return _Reader(command, call)
            return None  # apt-cache, a simulation: reads them, downloads nothing
        if _apt.deletes_lists(command):
            return None
        if any(_apt.APT_WORD.search(w.text) for w in _apt.words_of(command)):
            return _Reader(command, None)
    return None


def _stale_source(ctx: FixContext, ins: Instruction) -> Instruction | None:
    """The earlier RUN whose lists ``ins`` reads, when it surely updated them and kept
    them: the nearest earlier RUN of the image that updates or deletes the lists."""
    nearest = ctx.cached(("lists_read_stale.nearest",), lambda: _nearest_touchers(ctx))
    found = nearest.get(id(ins))
    if found is None:
        return None
    return found if _lists_left_by(ctx, found) == _FRESH else None


def _nearest_touchers(ctx: FixContext) -> dict[int, Instruction | None]:
    """For every instruction, the nearest RUN before it in its image (its stage, then
    the stages it is built FROM) that touches the lists: one walk over the file, not
    one per install."""
    out: dict[int, Instruction | None] = {}
    last_of: dict[int, Instruction | None] = {}
    for stage in ctx.stages:
        parent = ctx.graph.parents[stage.index]
        last = last_of.get(parent) if parent is not None else None
        for item in stage.instructions:
            out[id(item)] = last
            if _touches_lists(ctx, item):
                last = item
        last_of[stage.index] = last
    return out


def _touches_lists(ctx: FixContext, item: Instruction) -> bool:
    """A RUN (not a trigger) that may update or delete the lists in the layer."""
    if item.keyword != "RUN" or mounted_over(item, _apt.LISTS, _MOUNTS):
        return False
    script = ctx.shell(item)
    if script is None or script.has_errors or not script.supported:
        text = _apt.run_text(ctx, item)
        return _apt.APT_WORD.search(text) is not None or _apt.LISTS in text
    return _lists_left_by(ctx, item) is not None


def _lists_left_by(ctx: FixContext, item: Instruction) -> str | None:
    """What a RUN leaves in ``/var/lib/apt/lists``: fresh lists, none, something this
    rule cannot be sure of, or None when it does not touch them."""
    script = ctx.shell(item)
    if script is None or script.has_errors or not script.supported:
        return _UNSURE
    state: str | None = None
    for command in script.commands:
        call = _apt.apt_call(command)
        updates = (
            call is not None and call.acts and (call.name == "update" or _apt.updates_first(call))
        )
        if updates:
            state = _FRESH if _apt.runs_unconditionally(command) else _UNSURE
        elif _apt.deletes_lists(command):
            state = _GONE if _apt.runs_unconditionally(command) else _UNSURE
        elif command.program == "add-apt-repository":
            state = _UNSURE  # updates unless told not to
    return state


def _left_to_apt_update_alone(ctx: FixContext, tree: Dockerfile, source: Instruction) -> bool:
    """``apt_update_alone`` moves a lone ``RUN apt-get update`` into the install (a safe
    fix): giving the install an update of its own as well would run it twice."""
    starts = ctx.cached(
        ("lists_read_stale.apt_update_alone",),
        lambda: [v.start for v in apt_update_alone.fix(tree, ctx) if v.fix is not None],
    )
    return any(source.start <= at <= source.end for at in starts)


def _no_fix_reason(
    ctx: FixContext, ins: Instruction, script: ShellScript, reader: _Reader
) -> str | None:
    command = reader.command
    if reader.call is None:
        return "apt runs through another command"
    if command.context:
        return "the install is inside a condition, a loop, a function or a subshell"
    if command.operator_before not in (None, "&&", ";", "\n"):
        return "the install runs after || or in a pipeline"
    if runs_as_other_user(command):
        return "apt runs as another user"
    if script.script_heredoc is None and any(r.heredoc for r in command.redirects):
        return "the install reads a here-document"
    if not ctx.posix_shell_at(ins):
        return NO_POSIX_SHELL
    return None


_PLAIN_UPDATE_OPTIONS = frozenset({"q", "quiet", "silent", "y", "yes", "assume-yes"})
"""Options of the earlier update that a plain ``apt-get update`` may leave out."""


def _update_options(ctx: FixContext, source: Instruction) -> str | None:
    """Why a plain ``apt-get update`` would not do what the earlier one did: that one
    needs an option (``-o Acquire::Check-Valid-Until=false`` on an archived release,
    ``--allow-releaseinfo-change``, a ``Dir::Etc::sourcelist`` of its own), without
    which the added update fails or reads other sources."""
    script = ctx.shell(source)
    for command in script.commands if script is not None else ():
        call = _apt.apt_call(command)
        if call is None or not (call.name == "update" or _apt.updates_first(call)):
            continue
        for option in call.options:
            if option.name not in _PLAIN_UPDATE_OPTIONS:
                written = option.word.value or option.word.text
                if option.name in ("o", "option") and option.value and "=" not in written:
                    written += f" {option.value}"
                return (
                    f"the update on line {source.start_line} passes `{written}`, which an"
                    " added plain update would lack"
                )
    return None


def _program(reader: _Reader) -> str:
    call = reader.call
    if call is None or call.name is None:
        return reader.command.text.split()[0]
    return f"{call.program} {call.name}"


def _privilege_prefix(command: Command) -> str:
    """``sudo `` when the install runs through sudo (the RUN's user is not root)."""
    for word in command.words:
        if word is command.effective_name:
            break
        if word.value is not None and word.value.rsplit("/", 1)[-1] in ("sudo", "doas"):
            return word.value + " "
    return ""


def _insert_before(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command, update: str
) -> Edit:
    """``update`` put in front of ``command``.

    Where the command starts a statement of a ``set -e`` script whose statements are
    separated by ``;`` (or lines), the update becomes a statement of its own, followed
    by the very separator the script uses before this statement (``; \\`` and the
    indentation): ``update && install`` would not stop the script when the update
    fails. Otherwise ``update && `` goes in front, on the same line unless the
    command's continuation lines are aligned under words of that line: then the
    update takes the line alone and the command starts the next line at the same
    column, so every line keeps its column.
    """
    text = ctx.text
    statement = script.statement_of(command)
    assert statement is not None
    k = script.statements.index(statement)
    if command.start == statement.start and k > 0 and script.errexit_at(command.start):
        previous = script.statements[k - 1]
        separator = text[previous.end : statement.start]
        if previous.terminator in (";", "\n") and "#" not in separator:
            return Edit.insert(statement.start, update + separator)
    at = command.start
    lines = [ln for ln, role in zip(ins.lines, ins.roles, strict=True) if role in _CODE_ROLES]
    found = [i for i, ln in enumerate(lines) if ln.start <= at <= ln.content_end]
    if script.script_heredoc is not None or not found:
        return Edit.insert(at, f"{update} && ")
    line = lines[found[-1]]
    column = at - line.start
    if not aligned_under(line.content, column + 1, lines[found[-1] + 1 :]):
        return Edit.insert(at, f"{update} && ")
    joint = chain_joint(ins, script, "&&", ctx)
    before_operator = " " if joint.operator_first else joint.before_operator
    before_escape = " " if joint.operator_first else joint.before_escape
    newline = line.newline or (ins.line_break or "\n")
    pad = "".join(ch if ch == "\t" else " " for ch in line.content[:column])
    return Edit.insert(at, f"{update}{before_operator}&&{before_escape}{ins.escape}{newline}{pad}")
