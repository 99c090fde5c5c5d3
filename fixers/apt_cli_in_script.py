"""Use apt-get, not apt, in RUN scripts.

## What it does

Finds `apt` commands in `RUN` scripts and, for the commands `apt-get`
runs the same way, renames the program: `apt install -y curl` becomes
`apt-get install -y curl` (a path keeps its folder: `/usr/bin/apt` becomes
`/usr/bin/apt-get`). Options and arguments stay as written.

The commands: `install`, `reinstall`, `update`, `remove`, `purge`,
`autoremove`, `dist-upgrade`, `full-upgrade`, `clean`, `autoclean`,
and `upgrade`, which becomes `apt-get upgrade --with-new-pkgs` (`apt
upgrade` installs new dependencies, `apt-get upgrade` keeps those packages
back unless told). `apt list`, `apt search`, `apt show` and the other
commands `apt-get` does not have are reported without a fix
(`apt-cache search`/`show`, `dpkg-query -l` do the same job), and so are the
commands both have that the rule does not vouch for (`download`, `source`,
`satisfy` ...).

## Why

`apt` is the interactive front end: its output and options may change from
one release to the next, and it says so on every run in a script ("WARNING:
apt does not have a stable CLI interface. Use with caution in scripts.").
`apt-get` is the stable interface meant for scripts.

## Example

Before:

    RUN apt update && apt install -y --no-install-recommends curl \\
        && rm -rf /var/lib/apt/lists/*

After:

    RUN apt-get update && apt-get install -y --no-install-recommends curl \\
        && rm -rf /var/lib/apt/lists/*

## Fix safety

Safe on Debian and Ubuntu bases. The `apt` program sets a few defaults of
its own; apart from the output (colours, progress bar, the warning) and
`upgrade`'s new packages (written out, see above), the only one that changes
the image is `APT::Keep-Downloaded-Packages "false"`: `apt` deletes the
`.deb` files it downloaded, `apt-get` keeps them in
`/var/cache/apt/archives`. Debian's and Ubuntu's images, and every image
built on them, delete them after each run anyway
(`/etc/apt/apt.conf.d/docker-clean`), so there the image is the same.

Unsafe on any other base (or one that cannot be told): the downloaded packages
may stay in the layer. Unsafe too where the stage (or one it is built FROM)
names `docker-clean` in a RUN before the `apt` command or in the same RUN: the
usual reason is to delete it, and then `apt-get` keeps the packages `apt`
would have deleted.

## Caveats

- Not changed: `apt` run through a variable or with a quoted name,
  `ONBUILD` triggers, exec-form `RUN`, Windows stages and scripts that do
  not parse.
- An `apt` whose command comes from a variable (`apt $CMD`) is reported
  without a fix.

## Related

hadolint DL3027 ("Do not use apt as it is meant to be an end-user tool, use
apt-get or apt-cache instead").
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import DEBIAN, UBUNTU
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix

from . import _apt

INFO = RuleInfo(
    code="MF608",
    name="apt_cli_in_script",
    title="Use apt-get, not apt, in RUN scripts",
    applicability=Applicability.SAFE,
    related=("DL3027",),
    doc=__doc__ or "",
)

SAME_IN_APT_GET = frozenset(
    {
        "install",
        "reinstall",
        "update",
        "remove",
        "purge",
        "autoremove",
        "dist-upgrade",
        "full-upgrade",
        "clean",
        "autoclean",
        "upgrade",
    }
)
"""Commands ``apt-get`` has and runs as ``apt`` does (``upgrade`` with
``--with-new-pkgs``)."""

APT_ONLY = frozenset(
    {
        "list",
        "search",
        "show",
        "policy",
        "depends",
        "rdepends",
        "showsrc",
        "edit-sources",
        "modernize-sources",
        "history-list",
        "history-info",
        "history-redo",
        "history-undo",
        "history-rollback",
    }
)
"""Commands of ``apt`` that ``apt-get`` lacks (``apt-cache`` and ``dpkg-query`` have
the queries). Any other command is not known to be missing: ``apt-get`` has
``download``, ``source``, ``build-dep``, ``changelog``, ``satisfy`` too."""

REASON_NO_APT_GET_COMMAND = "apt-get has no such command"
REASON_TWIN_UNCHECKED = "apt-get's command of that name is not checked to run as apt's does"
REASON_COMMAND_UNKNOWN = "the apt command is not written out"
REASON_PROGRAM_NOT_PLAIN = "the program is not a plain word"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins, script, _ in _apt.apt_runs(tree, ctx):
        if script is None:
            continue
        for call in _apt.apt_calls(script, frozenset({"apt"})):
            yield _assess(ctx, ins, call)


def _assess(ctx: FixContext, ins: Instruction, call: _apt.AptCall) -> Violation:
    command = call.command
    name = call.name
    shown = f"apt {name}" if name is not None else "apt"
    message = f"`{shown}` in a script: apt's interface is not stable there; use apt-get"
    reason = None
    program = command.effective_name
    if name is None:
        reason = REASON_COMMAND_UNKNOWN
    elif name in APT_ONLY:
        reason = REASON_NO_APT_GET_COMMAND
    elif name not in SAME_IN_APT_GET:
        reason = REASON_TWIN_UNCHECKED
    elif program is None or program.value != program.text or not program.text.endswith("apt"):
        reason = REASON_PROGRAM_NOT_PLAIN
    if reason is not None or program is None or call.subcommand is None:
        why = reason or REASON_PROGRAM_NOT_PLAIN
        return Violation(
            INFO.code,
            f"{message} (no fix: {why})",
            command.start,
            command.end,
            reason=no_fix(why),
        )
    edits = [Edit.insert(program.end, "-get")]
    if name == "upgrade" and not call.has("with-new-pkgs"):
        edits.append(Edit.insert(call.subcommand.end, " --with-new-pkgs"))
    family = ctx.base_of(ins).family
    cleaner_touched = _touches_docker_clean(ctx, ins)
    safe = family in (DEBIAN, UBUNTU) and not cleaner_touched
    if safe:
        shown_message = message
    elif cleaner_touched:
        shown_message = (
            f"{message} (unsafe: the build touches {_DOCKER_CLEAN}, so apt-get may "
            "keep the downloaded packages that apt would delete)"
        )
    else:
        shown_message = (
            f"{message} (unsafe: a base other than Debian or Ubuntu may "
            "keep the downloaded packages that apt would delete)"
        )
    return Violation(
        INFO.code,
        shown_message,
        command.start,
        command.end,
        Fix(
            f"Use apt-get {name}",
            tuple(edits),
            Applicability.SAFE if safe else Applicability.UNSAFE,
        ),
    )


_DOCKER_CLEAN = "docker-clean"
"""The apt.conf file of Debian's and Ubuntu's images that deletes downloaded packages;
the safety of the rename rests on it."""


def _touches_docker_clean(ctx: FixContext, ins: Instruction) -> bool:
    """Whether this RUN or one before it in the image names docker-clean: BuildKit's
    cache-mount recipe deletes it, after which apt-get keeps what apt deletes."""
    return _names_docker_clean(ctx, ins) or (
        next(ctx.earlier_matching(ins, _names_docker_clean), None) is not None
    )


def _names_docker_clean(ctx: FixContext, ins: Instruction) -> bool:
    return ins.keyword == "RUN" and _DOCKER_CLEAN in _apt.run_text(ctx, ins)
