"""Write ENV as key=value.

## What it does

Rewrites the legacy `ENV key value` into `ENV key=value`. In the legacy
form everything after the key, spaces and quotes included, is one value; in
the `key=value` form a space ends the value. So the value is written to mean
exactly what it meant:

- a value that is already one word (`ENV PATH /opt/bin:$PATH`,
  `ENV GREETING "hello world"`) is kept as it is: `ENV PATH=/opt/bin:$PATH`;
- a value with spaces and no quote or escape character
  (`ENV JAVA_OPTS -Xms1g -Xmx2g`) is put in double quotes, which keep its
  spaces and still expand its variables: `ENV JAVA_OPTS="-Xms1g -Xmx2g"`.

Only the blanks between the key and the value become `=` (and the two
quotes are inserted): the rest of the line, continuation lines included, stays
as it is.

## Why

BuildKit warns about the legacy form (LegacyKeyValueFormat) and Docker plans
to drop it. It is also a trap: `ENV A 1 B 2` sets `A` to `"1 B 2"`, not
two variables, and adding a second pair to it silently changes the first.

## Example

Before:

    ENV NODE_ENV production
    ENV JAVA_OPTS -Xms1g -Xmx2g

After:

    ENV NODE_ENV=production
    ENV JAVA_OPTS="-Xms1g -Xmx2g"

## Fix safety

Safe: BuildKit reads the new value as the same text, removes the same quotes
and expands the same variables (inside double quotes `$VAR` expands as it
does unquoted, and BuildKit's lexer has no globbing or tilde expansion), so
the variable gets the same value.

No fix, a finding only, when the value has spaces *and* quotes or escape
characters (`ENV MSG "a" b`: quoting it again would need a rewrite of its
quotes), or when the key has quotes or escapes.

## Caveats

- Only `ENV`. BuildKit reads `LABEL key value` the same legacy way (and
  warns about it too); it is left as it is here. `ARG` has no legacy form.
- `ONBUILD ENV` is not changed.

## Related

BuildKit check LegacyKeyValueFormat; hadolint has no rule for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.text import GO_SPACE, WHITESPACE_RE
from manifesto.cst.words import parse_words, split_command
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix

INFO = RuleInfo(
    code="MF607",
    name="env_legacy_format",
    title="Write ENV as key=value",
    applicability=Applicability.SAFE,
    related=("buildkit:LegacyKeyValueFormat",),
    doc=__doc__ or "",
)

REASON_MIXED_VALUE = "the value has spaces as well as quotes or escapes"
REASON_ODD_KEY = "the key has quotes or escapes"
REASON_UNICODE_SPACE = "a Unicode space (not a blank) follows the key"
REASON_COMMENT_INSIDE = "a comment line sits between the key and the value"

_BLANKS = re.compile("[" + "".join(sorted(GO_SPACE)) + "]+")


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword != "ENV":
            continue
        found = _assess(ins, ctx.text)
        if found is not None:
            yield found


def _assess(ins: Instruction, text: str) -> Violation | None:
    words = parse_words(ins.args_text, ins.escape)
    if not words or "=" in words[0].value:
        return None  # key=value already (BuildKit decides on the first word)
    logical = ins.logical.text
    args_start = split_command(logical).args_start
    blanks = _BLANKS.search(ins.args_text)
    if blanks is None:
        return None  # `ENV key` alone: BuildKit refuses it (MF001)
    key = ins.args_text[: blanks.start()]
    value = ins.args_text[blanks.end() :]
    span = (ins.keyword_span.start, ins.args.end)
    message = f"legacy `ENV {key} <value>`: write ENV {key}=<value>"
    special = ('"', "'", ins.escape)
    reason = None
    # BuildKit splits the legacy key from its value at ASCII blanks only: in
    # `ENV A\u00a0 b` the key is "A\u00a0", which no key=value spelling keeps.
    split = WHITESPACE_RE.search(ins.args_text)
    if split is None or split.start() != blanks.start():
        reason = REASON_UNICODE_SPACE
    elif any(ch in key for ch in special):
        reason = REASON_ODD_KEY
    elif len(parse_words(value, ins.escape)) == 1:
        quote = ""
    elif any(ch in value for ch in special):
        reason = REASON_MIXED_VALUE
    else:
        quote = '"'
    if reason is not None:
        return Violation(INFO.code, f"{message} (no fix: {reason})", *span, reason=no_fix(reason))
    separator = ins.logical.span(args_start + blanks.start(), args_start + blanks.end())
    if "#" in text[separator.start : separator.end]:
        # a comment line between the key and the value would go with the blanks
        reason = REASON_COMMENT_INSIDE
        return Violation(INFO.code, f"{message} (no fix: {reason})", *span, reason=no_fix(reason))
    edits = [Edit(separator.start, separator.end, "=" + quote)]
    if quote:
        edits.append(Edit.insert(ins.args.end, quote))
    return Violation(
        INFO.code,
        message,
        *span,
        Fix(f"Write ENV {key}={quote}...{quote}", tuple(edits), Applicability.SAFE),
    )
