"""Keep wget's progress output out of the build log.

## What it does

Finds `wget` commands in `RUN` scripts that print their full progress
output, and inserts an option right after `wget`:

- `--progress=dot:giga` where wget is GNU wget (Debian, Ubuntu, RHEL and its
  rebuilds, Fedora, Amazon Linux, SUSE bases): one dot per megabyte, one line
  per 32 MB, and every message that is not progress (the request, the
  response, any error) still printed;
- `-q` where wget may be BusyBox's (Alpine and BusyBox bases): BusyBox wget
  has no `--progress` and would stop the build with "unrecognized option";
  `-q` turns off its progress meter and keeps its error messages (and a GNU
  wget installed with `apk add wget` takes `-q` too).

Already quiet: `-q`/`--quiet`, `-nv`/`--no-verbose`, any
`--progress`, output sent to a log file (`-o`/`--output-file`,
`-a`/`--append-output`), `-b`/`--background`; also in clusters such as
`-qO-`.

## Why

Without a terminal, GNU wget prints a dot per kilobyte: fifty per line, so a
200 MB download writes some 4,000 lines to the build log, which CI systems cap
or truncate, hiding the lines that matter. BusyBox wget redraws its meter with
carriage returns, which logs keep as one endless line.

## Example

Before:

    FROM debian:12
    RUN wget -O /tmp/node.tar.xz https://nodejs.org/dist/v22.11.0/node-v22.11.0-linux-x64.tar.xz

After:

    FROM debian:12
    RUN wget --progress=dot:giga -O /tmp/node.tar.xz https://nodejs.org/dist/v22.11.0/node-v22.11.0-linux-x64.tar.xz

## Fix safety

Safe: the options change what wget prints, never what it downloads, where it
writes it, or its exit status. `-q` was chosen over `--progress` only where
`--progress` may not exist; on GNU wget `-q` would also hide the error
detail ("ERROR 404: Not Found"), which is why it is not used there.

Options from a variable (`wget $WGET_OPTS url`) or `-e progress=...` are
not read: whatever they say, the inserted option only changes the output, and
a later `--progress` of theirs still wins.

No fix, a finding only, where the base does not tell which wget it is (an
unknown or unrecognised image).

## Caveats

- A `.wgetrc` (`/etc/wgetrc`, `$HOME/.wgetrc`, `WGETRC`) may already set
  `progress` or `quiet`; it is not read, and the option is then redundant.
- Skipped: Windows images (`wget` is PowerShell's `Invoke-WebRequest`
  there), `ONBUILD` triggers, exec-form `RUN` and scripts that do not parse;
  `wget` inside `sh -c "..."` strings is not read.

## Related

hadolint DL3047 ("Avoid use of wget without progress bar. Use
`wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv`").
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import ALPINE, AMAZONLINUX, DEBIAN, FEDORA, RHEL_LIKE, SUSE, UBUNTU
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.images import parse_image
from manifesto.reasons import no_fix
from manifesto.shell import Command

INFO = RuleInfo(
    code="MF609",
    name="wget_progress_shown",
    title="Keep wget's progress output out of the build log",
    applicability=Applicability.SAFE,
    related=("DL3047",),
    doc=__doc__ or "",
)

GNU_WGET_FAMILIES = frozenset({DEBIAN, UBUNTU, RHEL_LIKE, FEDORA, AMAZONLINUX, SUSE})
GNU_OPTION = "--progress=dot:giga"
BUSYBOX_OPTION = "-q"

_QUIET_LONG = frozenset(
    {"quiet", "no-verbose", "progress", "output-file", "append-output", "background"}
)
# Short options that quiet wget (log to a file counts: nothing reaches the build log).
_QUIET_SHORT = frozenset("qoab")
# Short options whose argument is the rest of the word: scanning stops there.
_SHORT_WITH_ARG = frozenset("OPtTwUiBQARDlXIYe")

REASON_UNKNOWN_WGET = "the base image does not tell whether wget is GNU or BusyBox"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            continue
        for command in script.commands_named("wget"):
            found = _assess(ctx, ins, command)
            if found is not None:
                yield found


def _assess(ctx: FixContext, ins: Instruction, command: Command) -> Violation | None:
    if _quiet(command):
        return None
    message = "wget prints its progress into the build log"
    option = _option_for(ctx, ins)
    name = command.effective_name
    if option is None or name is None:
        return Violation(
            INFO.code,
            f"{message} (no fix: {REASON_UNKNOWN_WGET})",
            command.start,
            command.end,
            reason=no_fix(REASON_UNKNOWN_WGET),
        )
    edit = Edit.insert(name.end, f" {option}")
    return Violation(
        INFO.code,
        f"{message}: pass {option}",
        command.start,
        command.end,
        Fix(f"Insert {option} after wget", (edit,), Applicability.SAFE),
    )


def _quiet(command: Command) -> bool:
    """Whether wget already keeps its progress out of the log. Words from variables
    are not read: whatever they hold, an inserted option only changes the output (a
    later ``--progress`` or ``-e progress=...`` of theirs still wins)."""
    for word in command.effective_args:
        value = word.value
        if value is None:
            continue
        if value == "--":
            break
        if value.startswith("--"):
            if value[2:].split("=", 1)[0] in _QUIET_LONG:
                return True
            continue
        if value.startswith("-") and len(value) > 1 and _quiet_cluster(value[1:]):
            return True
    return False


def _quiet_cluster(letters: str) -> bool:
    for i, letter in enumerate(letters):
        if letter in _QUIET_SHORT:
            return True
        if letter == "n":
            return "v" in letters[i + 1 :]
        if letter in _SHORT_WITH_ARG:
            return False
    return False


def _option_for(ctx: FixContext, ins: Instruction) -> str | None:
    """The option this image's wget takes, or None when the wget is not known."""
    base = ctx.base_of(ins)
    if base.family in GNU_WGET_FAMILIES:
        return GNU_OPTION
    if base.family == ALPINE:
        return BUSYBOX_OPTION
    ref = parse_image(base.reference) if base.reference else None
    if ref is not None and ref.is_docker_hub and ref.path.removeprefix("library/") == "busybox":
        return BUSYBOX_OPTION
    return None
