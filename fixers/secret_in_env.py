"""Pass secrets with RUN --mount=type=secret, not ENV or ARG.

## What it does

Reports every `ENV` and `ARG` (`ONBUILD` ones included) whose name says it
holds a secret, with BuildKit's own test: one of the words `apikey`,
`auth`, `credential`, `credentials`, `key`, `password`, `pword`,
`passwd`, `secret`, `token` as a whole `_`-separated part of the name,
in any case (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, `db_password`,
`AUTH`), unless a part is `public` (`PUBLIC_KEY`). `KEYS`,
`TOKENIZER` or `PASSWORDLESS` are not matched.

One exception, where BuildKit has none: a signing key's fingerprint is public
by design, so a name with a `gpg`, `pgp`, `signing` or `release` part
whose value is literally one or more OpenPGP fingerprints or key IDs (hex, as
`ENV GPG_KEY A035C8C1...` in the official images), directly or through the
`ARG` it is set from, is not reported.

The report names the variable, never its value: the message does not quote
it, and the `full` format shows no source lines for this rule.

## Why

An `ENV` value is written into the image configuration: anyone who can pull
the image reads it with `docker inspect`, and every container started from it
has it. An `ARG` value is not in the configuration, but the `RUN`s that use it
record it in the image history (`docker history`) and in the build cache.
A secret mount (`RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm ci`) gives
the secret to one `RUN` and leaves nothing behind.

## Example

Before:

    ARG NPM_TOKEN
    RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc

After (by hand; built with `docker build --secret id=npm,env=NPM_TOKEN .`):

    RUN --mount=type=secret,id=npm,env=NPM_TOKEN \\
        echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc

## Fix safety

No fix: moving a secret to a mount changes how the image is built (the
`docker build` command line, CI configuration) and which `RUN`s see it;
only the author can wire that.

## Caveats

- The name decides, as in BuildKit (apart from fingerprints): `API_PASS`
  is not reported, `GPG_KEY=$FROM_SOMEWHERE` is. Silence a false alarm
  with `# manifesto: ignore[MF402]` or BuildKit's
  `# check=skip=SecretsUsedInArgOrEnv`.
- Other rules reporting on the same lines (say MF607 on a legacy `ENV`) show
  those lines in the `full` format.

## Related

BuildKit check SecretsUsedInArgOrEnv; hadolint has no rule for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import KeyValue, arg_defaults, key_values
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Violation
from manifesto.reasons import no_fix

INFO = RuleInfo(
    code="MF402",
    name="secret_in_env",
    title="Pass secrets with RUN --mount=type=secret, not ENV or ARG",
    applicability=None,
    related=("buildkit:SecretsUsedInArgOrEnv",),
    doc=__doc__ or "",
    shows_source=False,
)

# BuildKit's lists (frontend/dockerfile/dockerfile2llb), matched the way it
# matches them: a whole `_`-separated part of the name, any case.
_SECRET_WORDS = (
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
)
_SECRET = re.compile(r"(?:_|^)(?:" + "|".join(_SECRET_WORDS) + r")(?:_|$)", re.IGNORECASE)
_ALLOWED = re.compile(r"(?:_|^)(?:public)(?:_|$)", re.IGNORECASE)

_KEY_OWNER = re.compile(r"(?:_|^)(?:gpg|pgp|signing|release)(?:_|$)", re.IGNORECASE)
_FINGERPRINTS = re.compile(r"\s*(?:(?:0x)?(?:[0-9A-Fa-f]{4} ?){3,9}[0-9A-Fa-f]{4}\s*)+")
_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")

REASON = "a secret needs a secret mount, which only the author can wire"


def names_a_secret(name: str) -> bool:
    """BuildKit's test of an ENV or ARG name."""
    return _SECRET.search(name) is not None and _ALLOWED.search(name) is None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        keyword = ins.effective.keyword
        if keyword not in ("ENV", "ARG"):
            continue
        for pair in key_values(ins):
            if not names_a_secret(pair.key) or _public_fingerprint(ctx, ins, pair.key, pair):
                continue
            where = "the image configuration" if keyword == "ENV" else "the image history"
            yield Violation(
                INFO.code,
                f"{keyword} {pair.key} looks like a secret: its value stays in {where}; "
                f"give it to the RUN that needs it with "
                f"`RUN --mount=type=secret,id=<id>,env={pair.key}`",
                ins.keyword_span.start,
                ins.args.end,
                reason=no_fix(REASON),
            )


def _public_fingerprint(ctx: FixContext, ins: Instruction, name: str, pair: KeyValue) -> bool:
    """A signing key's fingerprint (public by design), written as the value or as the
    default of the ARG the value names (``ENV GPG_KEY=$GPG_KEY``)."""
    if _KEY_OWNER.search(name) is None:
        return False
    value: str | None = pair.value
    reference = _REFERENCE.fullmatch(pair.raw_value.strip())
    if reference is not None:
        value = _arg_default(ctx, ins, reference.group(1) or reference.group(2))
    return value is not None and _FINGERPRINTS.fullmatch(value) is not None


def _arg_default(ctx: FixContext, ins: Instruction, name: str) -> str | None:
    """The default ``name`` has at ``ins``: from the last ARG of the stage before it
    that gives one, else from the ARGs before the first FROM (an ``ARG name`` in the
    stage without a default takes that one)."""
    stage = ctx.stage_of(ins)
    if stage is None:
        return None
    first_from = ctx.stages[0].from_.start
    scope = [i for i in ctx.tree.instructions if i.start < first_from]
    scope += [i for i in stage.instructions if i.start < ins.start]
    found: str | None = None
    for earlier in scope:
        if earlier.keyword == "ARG":
            default = arg_defaults(earlier).get(name)
            found = default if default is not None else found
    return found
