"""## What it does

Finds RUNs that change directory with `cd`. A RUN that *starts* with
`cd DIR && ...` becomes `WORKDIR DIR` and the RUN without its `cd`:

- DIR must be a literal path (no variable, `~`, glob, quote or option), absolute,
  or relative to a working directory the file names (a WORKDIR earlier in the
  stage or a stage it is built FROM); the WORKDIR written is always absolute;
- when anything after the RUN in its stage may depend on the working directory
  it had before, `WORKDIR <previous>` is inserted after the RUN, so everything
  after it runs where it ran before. "May depend" is: a COPY or ADD to a
  relative destination, a relative WORKDIR, a RUN not proven to ignore its
  directory (proof: package managers given package names, file commands given
  absolute paths, commands taking no path, absolute redirects, no relative
  `--mount` target), `CMD`, `ENTRYPOINT`, `HEALTHCHECK`, `ONBUILD`, a relative
  `VOLUME`, and the end of a stage that ships or that a later stage is built
  FROM (the image keeps its working directory). An absolute WORKDIR ends the
  question. When the previous directory is the base image's (no WORKDIR in the
  file) and it is needed, there is no fix: the file cannot name it.
- `cd DIR` into the directory the RUN already runs in is just removed.

Every other `cd` (after the first command, inside a condition or a loop,
followed by `;` rather than `&&`, alone in its RUN) is a finding without a fix
that says why: there, `WORKDIR` cannot stand for it. `cd` inside a subshell,
`(cd DIR && make)`, is what we recommend and is not reported.

## Why

`cd` lasts for one RUN, so files and later instructions are harder to follow,
and each RUN repeats it. `WORKDIR` states the directory once, in the image's
metadata, and later instructions (and `docker run`) start there.

## Example

Before:

    FROM golang:1.22
    WORKDIR /go
    COPY . /src
    RUN cd /src && go build -o /bin/app .
    COPY config.yml .

After:

    FROM golang:1.22
    WORKDIR /go
    COPY . /src
    WORKDIR /src
    RUN go build -o /bin/app .
    WORKDIR /go
    COPY config.yml .

## Fix safety

Unsafe. `cd DIR` fails when DIR does not exist (the RUN then fails, or with `;`
goes on in the old directory); `WORKDIR DIR` creates it (owned by the `USER` in
force, with recent BuildKit). A build that failed there may now succeed with an
empty directory, and the directory exists in the image afterwards. For builds
that succeeded before, the commands run in the same directory, and every later
instruction in the same one: that is what the inserted `WORKDIR <previous>` is
for. `$PWD` may differ when DIR goes through a symbolic link (the shell keeps the
logical path after `cd`, the physical one after `WORKDIR`).

No fix: the script uses `cd -` or `OLDPWD` (`WORKDIR` leaves it unset); a
comment or blank line between `cd` and the next command; the RUN has a
`--mount` with a relative target (resolved against the working directory).

## Caveats

Windows stages, `ONBUILD`, heredoc RUNs, exec-form RUNs and scripts the shell
parser rejects are left alone. A RUN that is proven to ignore its directory is
judged by its own commands: `sh script.sh` or `make` are never proven.

## Related

hadolint DL3003 (use WORKDIR to switch to a directory).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from manifesto.fixers._working_dir import (
    copy_destination,
    first_cd,
    literal_path,
    relative_mount,
    run_ignores_workdir,
    workdir_before,
    workdir_is_absolute,
)

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import Stage
from manifesto.cst.values import buildkit_value, mounts
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, iter_words

INFO = RuleInfo(
    code="MF603",
    name="cd_in_run",
    title="Use `WORKDIR` instead of starting a RUN with `cd DIR &&`",
    applicability=Applicability.UNSAFE,
    related=("DL3003",),
    doc=__doc__ or "",
)

_NOT_REPORTED_IN = frozenset({"subshell", "command_substitution", "process_substitution"})
"""A ``cd`` there ends with its subshell: the recommended form, not a finding."""
_CHAIN_GAP = re.compile(r"(?:[ \t]|\\[ \t]*\r?\n)*&&(?:[ \t]|\\[ \t]*\r?\n)*")
"""What lies between ``cd DIR`` and the next command when only ``&&``, blanks and
line continuations do: the text the fix deletes with the ``cd``."""
_ALWAYS_USES_WORKDIR = frozenset({"CMD", "ENTRYPOINT", "HEALTHCHECK", "ONBUILD"})


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for stage in ctx.stages:
        for ins in stage.instructions:
            if ins.keyword != "RUN" or ctx.windows_at(ins) or not ctx.posix_shell_at(ins):
                continue
            script = ctx.shell(ins)
            if script is None or script.has_errors or script.heredocs:
                continue
            found = _assess(ctx, tree, stage, ins, script)
            if found is not None:
                yield found


def _assess(
    ctx: FixContext, tree: Dockerfile, stage: Stage, ins: Instruction, script: ShellScript
) -> Violation | None:
    cds = [c for c in script.commands if _is_cd(c) and not _NOT_REPORTED_IN & set(c.context)]
    if not cds:
        return None
    first = first_cd(script)
    cd = cds[0]

    # the command as the shell reads it, one line, short enough for a message
    written = " ".join(w.text for w in cd.words)
    written = written if len(written) <= 60 else written[:57] + "..."

    def report(reason: str) -> Violation:
        return Violation(
            INFO.code, f"`{written}` in a RUN: {reason}", cd.start, cd.end, None, no_fix(reason)
        )

    if first is None or first is not cd:
        return report(
            "`cd` is not the RUN's first command: WORKDIR cannot stand for it; run the"
            " commands that need the directory in a subshell, `(cd DIR && ...)`, or start"
            " a RUN with it"
        )
    if first.operator_after is None:
        return report("the RUN only changes directory, which the next RUN does not keep")
    if first.operator_after != "&&":
        return report(
            f"`cd` is followed by `{first.operator_after.strip() or 'a newline'}`, not `&&`:"
            " when the directory is missing the rest runs in the old one; join it with `&&`"
        )
    target = literal_path(first.args[0].value) if len(first.args) == 1 else None
    if target is None or target.startswith("~"):
        return report(
            "the directory is not a literal path (a variable, `~`, `-`, a glob or an option)"
        )
    if _uses_oldpwd(script, first):
        return report("a later command uses OLDPWD (`cd -`), which WORKDIR leaves unset")
    if relative_mount(ins):
        return report("a --mount target is relative to the working directory")
    gap = _CHAIN_GAP.match(ctx.text, first.end)
    rest = script.commands[1] if len(script.commands) > 1 else None
    if gap is None or rest is None or not _chain_goes_on(ctx, script, gap.end()):
        return report("a comment or blank line follows `cd` inside the continuation")
    previous = workdir_before(ctx, ins)
    if target.startswith("/"):
        directory = target
    elif previous is None:
        return report(
            f"the working directory before the RUN {_unknown(ctx, ins)}: `{target}` is"
            " relative to it"
        )
    else:
        directory = posixpath.normpath(posixpath.join(previous, target))
    if _mounted(ins, directory):
        return report(
            f"the directory is under a --mount target of the RUN: WORKDIR would create"
            f" `{directory}` in the image"
        )
    same = previous is not None and posixpath.normpath(directory) == previous
    needs_restore = None if same else _depends_on_workdir(ctx, stage, ins)
    if needs_restore is not None and previous is None:
        why = _unknown(ctx, ins)
        advice = "" if "WORKDIR" in why else ": name it with a WORKDIR first"
        return report(
            f"the working directory before the RUN {why}, and {needs_restore} needs it{advice}"
        )
    if needs_restore is not None and ins.continues_at_end:
        return report(
            "the RUN ends the file inside a continuation: the WORKDIR after it would be"
            " read as part of it"
        )
    edits = [Edit.delete(first.start, gap.end())]
    if not same:
        edits.append(Edit.insert(_above(tree, ins), _line(ctx, tree, ins, directory)))
    if needs_restore is not None and previous is not None:
        edits.append(_restore(ctx, tree, ins, previous))
    message = f"`cd {target}` starts the RUN: use `WORKDIR {directory}`"
    if same:
        message = f"`cd {target}` changes to the directory the RUN already runs in"
    elif needs_restore is not None:
        message += f" (and `WORKDIR {previous}` after it: {needs_restore} runs there)"
    return Violation(
        INFO.code,
        message,
        cd.start,
        cd.end,
        Fix(
            "Drop the `cd`" if same else f"Move `cd {target}` into `WORKDIR {directory}`",
            tuple(edits),
            Applicability.UNSAFE,
        ),
    )


def _unknown(ctx: FixContext, ins: Instruction) -> str:
    """Why the working directory before ``ins`` cannot be named, as the message says it."""
    if any(i.keyword == "WORKDIR" for i in ctx.earlier_in_image(ins)):
        return "is set by a WORKDIR that is not a literal path (a variable)"
    return "is unknown (the base image sets it)"


def _mounted(ins: Instruction, directory: str) -> bool:
    for mount in mounts(ins):
        target = posixpath.normpath(mount.target or ".")
        if directory == target or directory.startswith(target.rstrip("/") + "/"):
            return True
    return False


def _is_cd(command: Command) -> bool:
    return command.name is not None and command.name.value == "cd"


def _uses_oldpwd(script: ShellScript, first: Command) -> bool:
    for command in script.commands[1:]:
        if _is_cd(command) and any(w.value == "-" for w in command.args):
            return True
    return any("OLDPWD" in w.text for w in iter_words(script) if w.start >= first.end)


def _chain_goes_on(ctx: FixContext, script: ShellScript, offset: int) -> bool:
    """Whether the first statement goes on with code at ``offset`` (a command, or a
    compound command such as ``if`` or ``(``), not with a comment or blank line that
    the deletion would take along."""
    statement = script.statements[0] if script.statements else None
    if statement is None or not statement.start <= offset < statement.end:
        return False
    return ctx.text[offset : offset + 1] not in ("#", "\r", "\n", "")


def _depends_on_workdir(ctx: FixContext, stage: Stage, ins: Instruction) -> str | None:
    """What after ``ins`` may depend on the working directory it ran in (described
    for the message), or None when nothing does."""
    # one backward pass per stage, not a scan per RUN: a stage of RUNs that each
    # start with `cd /abs &&` would otherwise be read to its end for every one of them
    answers = ctx.cached(
        ("cd_in_run.depends_on_workdir", stage.index), lambda: _dependents(ctx, stage)
    )
    return answers[id(ins)]


def _dependents(ctx: FixContext, stage: Stage) -> dict[int, str | None]:
    """For each instruction of ``stage`` (by id), what after it depends on the
    working directory (None: nothing)."""
    after: str | None = None
    if ctx.graph.is_shipped(stage) or ctx.graph.built_on(stage):
        after = "the image (its working directory)"
    answers: dict[int, str | None] = {}
    for later in reversed(stage.instructions):
        answers[id(later)] = after
        keyword = later.keyword
        where = f"line {later.start_line} ({keyword})"
        if keyword == "WORKDIR":
            after = None if workdir_is_absolute(later) else where
        elif keyword in ("COPY", "ADD"):
            destination = copy_destination(later)
            if destination is None or not destination.startswith("/"):
                after = where
        elif keyword == "RUN":
            if not run_ignores_workdir(ctx, later) and not _starts_with_absolute_cd(ctx, later):
                after = where
        elif keyword in _ALWAYS_USES_WORKDIR:
            after = where
        elif keyword == "VOLUME":
            values, _ = buildkit_value(later)
            if not all(v.startswith("/") for v in values):
                after = where
    return answers


def _starts_with_absolute_cd(ctx: FixContext, run: Instruction) -> bool:
    """``RUN cd /tmp && ...`` goes to its own directory before anything else: the one
    it is given does not matter (a relative --mount target still resolves against it)."""
    script = ctx.shell(run)
    if script is None or script.has_errors or relative_mount(run):
        return False
    first = first_cd(script)
    if first is None or first.operator_after != "&&" or len(first.args) != 1:
        return False
    target = literal_path(first.args[0].value)
    return target is not None and target.startswith("/")


def _above(tree: Dockerfile, ins: Instruction) -> int:
    """Where a line inserted before ``ins`` goes: above the comments that describe it
    (a pragma such as ``# hadolint ignore=`` must stay on the RUN)."""
    comments = tree.comments_before(ins)
    return comments[0].start if comments else ins.start


def _workdir_text(ctx: FixContext, ins: Instruction, directory: str) -> str:
    written = ctx.text[ins.keyword_span.start : ins.keyword_span.end]
    keyword = "workdir" if written.islower() else "WORKDIR" if written.isupper() else "Workdir"
    first = ins.lines[0].content
    indent = first[: len(first) - len(first.lstrip())]
    # the blanks the RUN puts after its keyword (a tab in some files), not a guess
    after = re.match(r"[ \t]+", ctx.text[ins.keyword_span.end : ins.lines[0].content_end])
    return f"{indent}{keyword}{after.group() if after else ' '}{directory}"


def _line(ctx: FixContext, tree: Dockerfile, ins: Instruction, directory: str) -> str:
    return _workdir_text(ctx, ins, directory) + tree.line_break(ins)


def _restore(ctx: FixContext, tree: Dockerfile, ins: Instruction, previous: str) -> Edit:
    text = _workdir_text(ctx, ins, previous)
    newline = tree.line_break(ins)
    if ins.ends_with_line_break:
        return Edit.insert(ins.end, text + newline)
    # the RUN ends the file without a newline: so does the new last line
    return Edit.insert(ins.end, newline + text)
