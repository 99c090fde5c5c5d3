"""Name the image's authors with a LABEL, not MAINTAINER.

## What it does

Replaces `MAINTAINER <text>` with `LABEL org.opencontainers.image.authors="<text>"`,
the label the OCI image specification defines for it. The text is kept
exactly: `MAINTAINER` takes the rest of the line as it is, quotes and all,
while `LABEL` reads quotes and expands `$variables`, so the value is
written in double quotes with `"`, `$` and the escape character escaped.
The new keyword follows the case of the old one (`maintainer` gives
`label`).

## Why

`MAINTAINER` has been deprecated since Docker 1.13: it fills the image's
`Author` field, which nothing reads any more, and BuildKit warns about it
(MaintainerDeprecated). A label is what registries, scanners and
`docker inspect --format '{{json .Config.Labels}}'` show.

## Example

Before:

    MAINTAINER Jane Doe <jane@example.com>

After:

    LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"

## Fix safety

Safe: what the container runs is untouched; only metadata moves, from the
image's deprecated `Author` field to a label with the same text. A stage
that already sets `org.opencontainers.image.authors` (in itself or a stage it
is built FROM) gets a finding without a fix: one of the two texts would have
to go.

## Caveats

- A `MAINTAINER` whose continuation lines hold comment lines is reported
  without a fix (the comment would be lost).
- `LABEL` on the image's base image reaches the image too, `MAINTAINER`'s
  `Author` field does not (each image sets its own): a base image's authors
  label is replaced by this one, as it should be.

## Related

hadolint DL4000 ("MAINTAINER is deprecated"); BuildKit check
MaintainerDeprecated.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction, Role
from manifesto.cst.values import key_values
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix

from ._keyword_case import keyword_like

INFO = RuleInfo(
    code="MF606",
    name="maintainer_deprecated",
    title="Name the image's authors with a LABEL, not MAINTAINER",
    applicability=Applicability.SAFE,
    related=("DL4000", "buildkit:MaintainerDeprecated"),
    doc=__doc__ or "",
)

AUTHORS = "org.opencontainers.image.authors"
REASON_LABEL_EXISTS = "the stage already sets org.opencontainers.image.authors"
REASON_COMMENT_INSIDE = "comment lines inside the instruction would be lost"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword == "MAINTAINER" and ins.args_text:
            yield _assess(ctx, ins)


def _assess(ctx: FixContext, ins: Instruction) -> Violation:
    span = (ins.keyword_span.start, ins.args.end)
    message = "MAINTAINER is deprecated: name the authors with a LABEL"
    reason = None
    if any(r not in (Role.FIRST, Role.CONTINUATION) for r in ins.roles):
        reason = REASON_COMMENT_INSIDE
    elif _sets_authors_label(ctx, ins):
        reason = REASON_LABEL_EXISTS
    if reason is not None:
        return Violation(INFO.code, f"{message} (no fix: {reason})", *span, reason=no_fix(reason))
    label = (
        f"{keyword_like(ctx, ins, 'LABEL')} {AUTHORS}={_double_quoted(ins.args_text, ins.escape)}"
    )
    return Violation(
        INFO.code,
        message,
        *span,
        Fix(f"Replace with {label}", (Edit(*span, label),), Applicability.SAFE),
    )


def _double_quoted(text: str, escape: str) -> str:
    """``text`` as a double-quoted LABEL value that BuildKit reads back unchanged: inside
    double quotes its lexer gives the escape character a meaning only before ``"``,
    ``$`` and itself."""
    out = []
    for ch in text:
        if ch in ('"', "$", escape):
            out.append(escape)
        out.append(ch)
    return '"' + "".join(out) + '"'


def _sets_authors_label(ctx: FixContext, ins: Instruction) -> bool:
    stage = ctx.stage_of(ins)
    if stage is None:
        return False
    return any(
        i.keyword == "LABEL" and any(kv.key == AUTHORS for kv in key_values(i))
        for s in ctx.ancestors(stage)
        for i in s.instructions
    )
