"""Make every instruction one that BuildKit accepts.

## What it does

Reports each instruction that BuildKit's instruction layer refuses although its
parser reads the file: an unknown keyword (most often the next line of a `RUN`
that lost a continuation backslash), a keyword without the arguments it needs
(`COPY` with one path, `FROM` without an image, `SHELL` that is not a JSON
array, `ENV` without `name=value`), a flag the keyword does not take
(`RUN --from`, `COPY --mount`), a flag without its value (`COPY --from`)
or with a value BuildKit refuses (`--link=yes`, `--network=bridge`,
`HEALTHCHECK --interval=5`), an `ONBUILD FROM`, and instructions before
the first `FROM`.

## Why

`docker build` stops at the first of them with "unknown instruction" or
"unknown flag": the file cannot build at all. A missing backslash is easy to
miss in review, because the line looks like part of the package list above it;
and a fixer that rewrote such a file would rewrite a `RUN` cut in two (an
appended `&& dnf clean all` lands on the half before the cut). `manifesto
fix` therefore refuses the file (exit 2, nothing written, the instruction named
at `path:line:col`) and `manifesto check` reports it under this code.

## Example

Before:

    RUN dnf install -y \\
        ghc-aeson-devel
        ghc-unordered-containers-devel \\
        ghc-vector-devel

After:

    RUN dnf install -y \\
        ghc-aeson-devel \\
        ghc-unordered-containers-devel \\
        ghc-vector-devel

## Fix safety

No fix: what the author meant is not certain (a lost backslash, or a line
that should go). The finding names the line and, when the line reads as the
rest of the instruction above, suggests the missing backslash.

## Caveats

- The flags known are the union over BuildKit's releases and its `labs`
  channel (`COPY --parents`, `--exclude`, `RUN --security`,
  `--device`, `ADD --unpack`): a flag some current frontend accepts is not
  reported, although an older Docker may refuse it.
- Values BuildKit resolves later are not judged: `--mount` fields, ports,
  `--platform`, and any flag value with a `$` (build arguments).
- `RUN`, `CMD` and `ENTRYPOINT` without arguments are accepted, as
  BuildKit accepts them; `STOPSIGNAL` flags too (BuildKit never reads them),
  and the flags of `HEALTHCHECK NONE`.
- A file whose `# syntax=` directive names another frontend than
  `docker/dockerfile` (one that adds `INCLUDE`, say) is not checked: its
  instructions are that frontend's.
- `ONBUILD` triggers are checked only for `ONBUILD`/`FROM`/`MAINTAINER`:
  BuildKit reads the rest when a child image is built.
- `fix` refuses the file whatever `--select`/`--ignore` say (as for a file
  that does not parse); `# manifesto: ignore[MF001]` above an instruction
  BuildKit does accept (a flag newer than this release) lets it through.

## Related

BuildKit's `unknown instruction` and `unknown flag` build errors
(`frontend/dockerfile/instructions/parse.go`, `bflag.go`); hadolint stops
with a parse error on an unknown instruction.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.cst.instructions import problems
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Violation
from manifesto.reasons import no_fix

INFO = RuleInfo(
    code="MF001",
    name="instruction_invalid",
    title="Make every instruction one that BuildKit accepts",
    applicability=None,
    related=(),
    doc=__doc__ or "",
)

REASON = "BuildKit refuses this instruction: only its author can say what was meant"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for problem in problems(tree):
        yield Violation(
            INFO.code,
            problem.message,
            problem.span.start,
            problem.span.end,
            reason=no_fix(REASON),
        )
