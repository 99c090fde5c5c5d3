"""## What it does

Finds `yum` and `dnf` commands that change packages (`install`, `localinstall`,
`groupinstall`, `group install`, `module install`, `reinstall`, `update`,
`upgrade`, `downgrade`, `distro-sync`, `remove`, `erase`, `autoremove`, ...)
without `-y`/`--assumeyes`, and inserts `-y` right after the subcommand. Finds
`zypper` commands that change packages (`install`/`in`, `remove`/`rm`,
`update`/`up`, `patch`, `dist-upgrade`/`dup`, `source-install`/`si`, ...)
without `--non-interactive`/`-n` (or the subcommand's `-y`/`--no-confirm`),
and inserts `--non-interactive` right after `zypper`.

## Why

These commands ask "Is this ok [y/N]" (zypper: "Continue? [y/n/...]") before
they change anything. A build has no terminal: the question reads end of file,
the answer is no, and the command fails ("Exiting on user command", "Operation
aborted"), so the build either stops there or, when the failure is ignored,
silently goes on without the packages. The only builds that pass without the
switch are those where the command had nothing to do, or a `yum.conf` already
says `assumeyes=1`.

## Example

Before:

    RUN yum install httpd && zypper in curl

After:

    RUN yum install -y httpd && zypper --non-interactive in curl

## Fix safety

Safe when the command's failure fails the RUN: a top-level command outside any
pipeline, `if`, subshell or `||`, whose failure ends the script (it is in the
last statement, joined to the end by `&&` only) or stops it under `set -e`
(last of its `&&`/`||` list). Then the change cannot alter an image that builds
today: either the command never prompted (nothing to do, or `assumeyes` set
where the Dockerfile does not show it) and the switch changes nothing, or it
prompted, failed, and no image was built.

Unsafe otherwise (`yum install foo || true`, inside `if`, in a pipeline, a
statement that is not the last without `set -e`): a build that passes today may
have skipped the packages after the refused prompt, and would now have them.

`-y` goes right after the subcommand (`yum install -y httpd`,
`dnf group install -y "Development Tools"`): yum and dnf read options anywhere
on the line. zypper's `--non-interactive` is a global option, so it goes
right after `zypper`, before the subcommand and its options. One space, no
other byte touched.

No finding when the question is already answered or cannot be asked: `-y`,
`--assumeyes`, `--assumeno` (also bundled as `-qy`, abbreviated, or through
`--setopt=assumeyes=1`), zypper's `-n`/`--non-interactive` (bundled too) before
the subcommand, or `-y`/`--no-confirm` after it; input piped or redirected
into the command (`yes | yum install ...`); `assumeyes` or `defaultyes`
written anywhere earlier in the image (an `echo assumeyes=1 >> /etc/yum.conf`).
`microdnf` is left alone: it assumes yes unless its configuration says
`assumeyes=0`, and the microdnf of older UBI 8 images rejects `-y`.

## Caveats

Like the cache rules, this one looks at every stage, shipped or not: a
prompt stops any stage's build. ONBUILD RUNs and Windows images are left alone.
A `yum.conf` copied into the image with `assumeyes=1` is not visible: the
inserted switch is then redundant but harmless. zypper's `--non-interactive`
takes the default answer to every question, which for licences and unknown
signing keys is no; add `--auto-agree-with-licenses` or
`--gpg-auto-import-keys` yourself where the build needs them.

## Related

hadolint DL3030 (yum), DL3038 (dnf, microdnf), DL3034 (zypper).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.shell import Command, ShellScript

from ._package_caches import Outcome
from ._rpm import (
    DNF,
    MICRODNF,
    MICRODNF_FILLS,
    YUM,
    YUM_DNF_FILLS,
    ZYPPER,
    ZYPPER_FILLS,
    Assessment,
    Tool,
    command_span,
    failure_fails_run,
    runs,
    subcommand,
    subcommand_name,
)

INFO = RuleInfo(
    code="MF110",
    name="rpm_prompt_unanswered",
    title="Answer yum/dnf prompts with `-y` and zypper prompts with `--non-interactive`",
    applicability=Applicability.SAFE,
    related=("DL3030", "DL3038", "DL3034"),
    doc=__doc__ or "",
)

_REMOVALS = frozenset(
    {"remove", "erase", "rm", "autoremove", "groupremove", "grouperase"}
    | {f"{g} {s}" for g in ("group", "groups", "grp") for s in ("remove", "erase")}
    | {f"module {s}" for s in ("remove", "enable", "disable", "reset", "switch-to")}
)
_YUM_DNF_PROMPTS = YUM_DNF_FILLS | _REMOVALS
_ZYPPER_PROMPTS = ZYPPER_FILLS | {"remove", "rm"}
_MICRODNF_PROMPTS = MICRODNF_FILLS | {"remove"}
_PROMPTS = {"yum": _YUM_DNF_PROMPTS, "dnf": _YUM_DNF_PROMPTS, "zypper": _ZYPPER_PROMPTS}
_TOOLS = {"yum": YUM, "dnf": DNF, "zypper": ZYPPER}
_CONFIGURED = re.compile(r"assumeyes|defaultyes", re.IGNORECASE)
_STDIN_REDIRECTS = frozenset({"<", "<<", "<<-", "<<<", "<>"})


def _bundled(value: str, letter: str) -> bool:
    """``-y`` or a bundle of short options holding it (``-qy``)."""
    return re.fullmatch(r"-[A-Za-z]+", value) is not None and letter in value[1:]


def _yum_answered(command: Command) -> bool:
    for word in command.effective_args:
        v = word.value
        if v is not None and ("assume" in v or _bundled(v, "y")):
            return True
    return False


def _zypper_answered(command: Command) -> bool:
    words = subcommand(command, ZYPPER)
    sub_start = words[0].start if words else command.end
    for word in command.effective_args:
        v = word.value
        if v is None:
            continue
        if v.startswith(("--non-int", "--no-conf")):
            return True
        if _bundled(v, "n" if word.start < sub_start else "y"):
            return True
    return False


def _stdin_given(command: Command) -> bool:
    if command.operator_before in ("|", "|&"):
        return True
    return any(
        r.operator in _STDIN_REDIRECTS
        and r.descriptor in (None, "0")
        and (r.target is None or r.target.value != "/dev/null")
        for r in command.redirects
    )


def _configured_earlier(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> bool:
    if _CONFIGURED.search(ctx.text[script.source.offset : command.start]):
        return True
    # Indexed: each instruction is read once per pass, not once per later RUN.
    return next(ctx.earlier_matching(ins, _configures_prompts), None) is not None


def _configures_prompts(ctx: FixContext, item: Instruction) -> bool:
    return _CONFIGURED.search(item.render()) is not None


def _assess(tree: Dockerfile, ctx: FixContext) -> Iterator[Assessment]:
    for ins, script, skipped in runs(tree, ctx):
        if script is None:
            yield Assessment(ins, None, Outcome.SKIP, skipped)
            continue
        for command in script.commands:
            yield from _assess_command(ctx, ins, script, command)


def _assess_command(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> Iterator[Assessment]:
    prog = command.program
    if prog == "microdnf":
        if subcommand_name(command, MICRODNF) in _MICRODNF_PROMPTS:
            yield Assessment(ins, command, Outcome.SKIP, "microdnf assumes yes")
        return
    tool = _TOOLS.get(prog or "")
    if tool is None or subcommand_name(command, tool) not in _PROMPTS[tool.program]:
        return

    def outcome(kind: Outcome, reason: str) -> Assessment:
        return Assessment(ins, command, kind, reason)

    answered = _zypper_answered(command) if tool is ZYPPER else _yum_answered(command)
    if answered:
        yield outcome(Outcome.SKIP, "answered")
    elif _stdin_given(command):
        yield outcome(Outcome.SKIP, "input given")
    elif tool is not ZYPPER and _configured_earlier(ctx, ins, script, command):
        yield outcome(Outcome.SKIP, "assumeyes configured")
    elif failure_fails_run(script, command):
        yield outcome(Outcome.FIX, "")
    else:
        yield outcome(Outcome.FIX, "a failure may be ignored")


def _tool(command: Command) -> Tool:
    return _TOOLS[command.program or ""]


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for found in _assess(tree, ctx):
        command = found.command
        if found.outcome is not Outcome.FIX or command is None:
            continue
        tool = _tool(command)
        start, end = command_span(command, tool)
        name = command.effective_name
        words = subcommand(command, tool)
        assert name is not None and words
        safety = Applicability.UNSAFE if found.reason else Applicability.SAFE
        if tool is ZYPPER:
            switch, at = "--non-interactive", name.end
            where = "after `zypper`"
        else:
            switch, at = "-y", words[-1].end
            where = f"after `{tool.program} {subcommand_name(command, tool)}`"
        yield Violation(
            INFO.code,
            f"`{tool.program} {subcommand_name(command, tool)}` stops at a prompt in a build: "
            f"add `{switch}`",
            start,
            end,
            Fix(f"Insert `{switch}` {where}", (Edit.insert(at, f" {switch}"),), safety),
        )
