"""Copy local files with COPY, not ADD.

## What it does

Finds `ADD` instructions whose sources are all local files or directories
of the build context, none of them an archive that `ADD` would unpack, and
turns the keyword into `COPY` (in the keyword's own case); the flags both
instructions take (`--chown`, `--chmod`, `--link`, `--exclude`), the
sources and the destination stay as written.

Not touched, because `ADD` does what only `ADD` does there: a URL source
(`https://...`), a git repository (`git@host:repo`, `https://...git`,
`github.com/...`), and a local archive, named like one (`.tar`,
`.tar.gz`, `.tgz`, `.tar.bz2`, `.tbz2`, `.tar.xz`, `.txz`,
`.zst`, `.gz`, `.bz2`, `.xz`, ..., and the formats that are a tar under
another name: `.gem`, `.crate`, `.ova`, `.apk`, ...): `ADD` unpacks it into
the destination, `COPY` would copy the file as it is.

## Why

`ADD` does three things: copy, fetch a URL or a git repository, and unpack a
local tar archive. Used for plain files, it says more than it does, and the
reader has to check each source to know whether something is fetched or
unpacked; a file later renamed to `.tar.gz` is suddenly unpacked. `COPY`
only copies. Docker's best practices ask for `COPY` wherever `ADD`'s extras
are not used.

## Example

Before:

    ADD --chown=app:app requirements.txt app/ /srv/

After:

    COPY --chown=app:app requirements.txt app/ /srv/

## Fix safety

Safe: for local files and directories, `COPY` and `ADD` copy the same
bytes with the same ownership, permissions and `--link` behaviour; `ADD`
unpacks only a local archive named as a source (never one inside a copied
directory), and those sources are left alone.

No fix, a finding only: an `ADD` with a flag only `ADD` takes
(`--checksum`, `--keep-git-dir`, `--unpack`), and sources that may be an
archive, a URL or a git repository once expanded: a variable (`ADD $SRC /`),
or a glob whose name can end like an archive (`ADD dist/* /srv/`; a glob
ending in a plain extension, `*.sh`, cannot).

Also left as a finding: a relative destination in a stage with no `WORKDIR`
before it (`ADD app.jar app.jar`). Both keywords put the file in the same
place, but hadolint forgives the relative path to `ADD` only and would then
report DL3045 for the `COPY`; set a `WORKDIR` first and the fix applies.

## Caveats

- `ADD` decides by content, not by name: a tar archive named without an
  archive extension (`ADD payload /opt/`) would be unpacked by `ADD` and
  copied by `COPY`. Names are what a reader (and hadolint) goes by.
- `ONBUILD ADD` and `ADD` with a here-document are not changed.

## Related

hadolint DL3020 ("Use COPY instead of ADD for files and folders").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import buildkit_value
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix

from ._keyword_case import keyword_like

INFO = RuleInfo(
    code="MF604",
    name="add_local_files",
    title="Copy local files with COPY, not ADD",
    applicability=Applicability.SAFE,
    related=("DL3020",),
    doc=__doc__ or "",
)

COPY_FLAGS = frozenset({"chown", "chmod", "link", "exclude"})
"""Flags ADD shares with COPY, meaning the same for local sources."""
ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})

# The compressions BuildKit's ADD undoes (gzip, bzip2, xz, zstd) over a tar, the
# tar itself, and their short spellings; plus close cousins a reader would take
# for an archive. Matched on the last dot-separated suffix of the name.
_ARCHIVE_SUFFIXES = frozenset(
    {
        "tar",
        "gz",
        "tgz",
        "gzip",
        "bz2",
        "bzip2",
        "tbz",
        "tbz2",
        "tb2",
        "xz",
        "txz",
        "zst",
        "zstd",
        "tzst",
        "lz",
        "lz4",
        "lzma",
        "tlz",
        "z",
        "taz",
        # Formats that are a tar (or a compressed tar) under another name; ADD goes
        # by content and unpacks them: Ruby gems, Rust crates, OVF appliances,
        # Alpine and opkg packages, Vagrant boxes, Void packages.
        "gem",
        "crate",
        "ova",
        "apk",
        "ipk",
        "box",
        "xbps",
    }
)
_GLOB = re.compile(r"[*?\[]")
_SCP_LIKE = re.compile(r"[\w.-]+@[\w.-]+:")

REASON_ADD_ONLY_FLAG = "a flag only ADD takes"
REASON_MAY_BE_ARCHIVE = "the source may be an archive, a URL or a git repository"
REASON_RELATIVE_DESTINATION = "a relative destination before any WORKDIR"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword != "ADD" or ins.heredocs:
            continue
        found = _assess(ctx, ins)
        if found is not None:
            yield found


def _assess(ctx: FixContext, ins: Instruction) -> Violation | None:
    values, _ = buildkit_value(ins)
    sources = values[:-1]
    if not sources:
        return None
    kinds = [_source_kind(s) for s in sources]
    if "remote" in kinds or "archive" in kinds:
        return None  # ADD fetches or unpacks: the right instruction
    span = (ins.keyword_span.start, ins.args.end)
    message = "ADD of local files: COPY says what it does (ADD also fetches and unpacks)"
    flags = {f.name for f in ins.flags}
    reason = None
    if flags & ADD_ONLY_FLAGS or not flags <= COPY_FLAGS:
        reason = REASON_ADD_ONLY_FLAG
    elif "unknown" in kinds:
        reason = REASON_MAY_BE_ARCHIVE
    elif _relative_without_workdir(ctx, ins, values[-1]):
        reason = REASON_RELATIVE_DESTINATION
    if reason is not None:
        return Violation(INFO.code, f"{message} (no fix: {reason})", *span, reason=no_fix(reason))
    keyword = keyword_like(ctx, ins, "COPY")
    edit = Edit(ins.keyword_span.start, ins.keyword_span.end, keyword)
    return Violation(INFO.code, message, *span, Fix(f"Use {keyword}", (edit,), Applicability.SAFE))


def _relative_without_workdir(ctx: FixContext, ins: Instruction, destination: str) -> bool:
    """A destination relative to a working directory the file never sets: the same
    for both keywords, but hadolint forgives it to ADD only (DL3045 for COPY), and a
    fix should not trade one warning for another; a WORKDIR first settles both."""
    # BuildKit takes the quotes off a shell-form destination ("/srv/", "${HOME}").
    destination = destination.strip("\"'")
    if destination.startswith(("/", "$", "\\")) or re.match(r"[A-Za-z]:", destination):
        return False
    return not any(i.keyword == "WORKDIR" for i in ctx.earlier_in_image(ins))


def _source_kind(source: str) -> str:
    """``local``, ``archive`` (ADD unpacks it), ``remote`` (a URL or a git
    repository), or ``unknown`` (a variable or a glob that may be either)."""
    if "://" in source or source.startswith("github.com/") or _SCP_LIKE.match(source):
        return "remote"
    if "$" in source:
        return "unknown"
    # BuildKit takes quotes and escapes off a shell-form source: ADD "app.tar.gz" /
    # unpacks app.tar.gz, so the suffix is read with them dropped.
    source = re.sub(r"[\"'\\]", "", source)
    name = source.rstrip("/").rsplit("/", 1)[-1]
    if source.endswith("/") or name in ("", ".", ".."):
        return "local"  # a directory: ADD unpacks nothing inside it
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if _GLOB.search(name):
        # Only a literal, non-archive extension keeps every match a plain file.
        if not suffix or _GLOB.search(suffix) or suffix in _ARCHIVE_SUFFIXES:
            return "unknown"
        return "local"
    return "archive" if suffix in _ARCHIVE_SUFFIXES else "local"
