"""## What it does

Finds a single-stage Dockerfile that builds its own program with a toolchain
that then ships in the image (Go, Rust, C/C++, Java, .NET, Node, Python), and
splits it in two: the user's stage, named `build`, keeps every step up to and
including the build verbatim; a runtime stage on a minimal base of the same
version receives only the artifact with `COPY --from=build`, and keeps the
`ENV`, `EXPOSE`, `WORKDIR`, `USER`, `LABEL`, `VOLUME`, `HEALTHCHECK`,
`STOPSIGNAL`, `SHELL`, `CMD` and `ENTRYPOINT` lines (ARGs they use are declared
again). The lines after the build stay where they are, with their comments, and
become the runtime stage's; those written before the build are repeated in it
(their comments stay with the originals). Nothing else in the file changes.

Runtimes, per ecosystem:

- Go (`go build -o`, `go install ./cmd/x`): `scratch` when `CGO_ENABLED=0`
  is set, with the builder's CA bundle, and its time zone database on Debian,
  always copied (whether the program uses TLS or zones cannot be told; both
  weigh < 1 MB); otherwise `gcr.io/distroless/base-debian12` (bookworm) or
  `debian:<codename>-slim`.
- Rust: `cargo build` -> `debian:<codename>-slim` with `target/release/<bin>`
  (the bin from `--bin`, the `CMD`, a `cp` of it, or `Cargo.toml`; the shared
  libraries from the `-dev` packages installed, or from `Cargo.lock`'s `-sys`
  crates on the full `rust` image); on Alpine (static musl) `scratch`.
- C/C++: `make`/`cmake` building the one binary the image runs ->
  `debian:<codename>-slim` (or the same Ubuntu release), with the shared
  libraries of the `-dev` packages the build installed.
- Java, .NET, Node, Python: their own modules (JRE, ASP.NET runtime, slim
  Node/Python images).

## Why

A toolchain is hundreds of megabytes the program does not need to run, and
every compiler, header and package manager in the image is attack surface and
CVE noise. A Go binary on `scratch` is a few megabytes.

## Example

Before:

    FROM golang:1.22-bookworm
    WORKDIR /src
    COPY . .
    ENV CGO_ENABLED=0
    RUN go build -o /usr/local/bin/app .
    EXPOSE 8080
    CMD ["app"]

After:

    FROM golang:1.22-bookworm AS build
    WORKDIR /src
    COPY . .
    ENV CGO_ENABLED=0
    RUN go build -o /usr/local/bin/app .

    FROM scratch
    COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
    COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
    COPY --from=build /usr/local/bin/app /usr/local/bin/app
    WORKDIR /src
    ENV CGO_ENABLED=0
    EXPOSE 8080
    CMD ["app"]

## Fix safety

Unsafe: only the artifact reaches the runtime image. A program that reads files
at run time that the build copied in (templates, static assets, configuration
beside the sources) or calls a program of the base image (`git`, `sh`) fails;
review the runtime stage before shipping it. The split is made only when
everything the program is known to need is certain:

- every instruction after the build is one the runtime stage keeps (a `RUN`,
  `COPY` or `ADD` after the build is a finding without a fix: it would run
  without the toolchain, or its effect on the artifact cannot be told);
- every RUN only fetches and builds (package installs, `go`, `cargo`, `make`,
  `mkdir`, `cp`, ...); a package the build installs that is neither a build
  tool nor a `-dev` package whose shared library is known is a finding without
  a fix; so is a COPY of files read at run time (`templates/`, `config.yaml`)
  or into a directory outside the build's;
- `CMD`/`ENTRYPOINT` run the binary the build makes; a `HEALTHCHECK` runs it
  too (`curl` and `wget` are not in the runtime images); a `USER` is numeric
  or an account the runtime image has; a runtime instruction uses no variable
  the base image sets (`$GOPATH`);
- the Debian release of the base is named in its tag when the binary links
  the C library (`golang:1.22-bookworm`, not `golang:1.22`).

Not touched at all: files with several stages, Windows images, unknown bases
(`FROM $BASE`), images with `ONBUILD`, `go run` / `cargo run` (the toolchain is
needed at run time) and images whose `CMD` runs something other than the
build's output (a builder image).

## Caveats

`COPY . .` passes: what the program reads at run time from the context cannot
be told. The runtime images are not pinned (MF301 pins them). The official
`gcc` image is refused (its compiler links its own `libstdc++` under
`/usr/local`). Reads of `Cargo.toml` / `Cargo.lock` need the files beside the
Dockerfile (the context root is assumed to be the Dockerfile's directory).

## Related

No hadolint rule. Docker's own guide, "Multi-stage builds".
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.reasons import no_fix

from ._multistage import ECOSYSTEMS
from ._multistage.core import Rewrite, build_view, rewrite
from ._multistage.plan import BuildView, Conversion, NoConversion

INFO = RuleInfo(
    code="MF501",
    name="single_stage",
    title="Build in a stage of its own and ship only the artifact (multi-stage)",
    applicability=Applicability.UNSAFE,
    related=(),
    doc=__doc__ or "",
)

_NAMES = {
    "go": "Go",
    "rust": "Rust",
    "c": "C/C++",
    "java": "Java",
    "dotnet": ".NET",
    "node": "Node",
    "python": "Python",
}


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    del tree
    view = build_view(ctx)
    if view is None:
        return
    for ecosystem, recognise in ECOSYSTEMS:
        answer = recognise(view)
        if answer is None:
            continue
        yield _violation(view, ecosystem, answer)
        return


def _violation(view: BuildView, ecosystem: str, answer: Conversion | NoConversion) -> Violation:
    from_ = view.stage.from_
    name = _NAMES.get(ecosystem, ecosystem)
    message = f"the image ships the {name} toolchain it builds with"
    if isinstance(answer, Conversion):
        done = rewrite(view, answer)
        if isinstance(done, Rewrite):
            paths = ", ".join(f"`{a.dest}`" for a in answer.artifacts[-1:])
            title = f"Build in stage `{done.builder}`, ship {paths} on `{answer.runtime_image}`"
            return Violation(
                INFO.code,
                f"{message}: build in a stage of its own and copy the artifact into "
                f"`{answer.runtime_image}`",
                from_.start,
                from_.content_end,
                Fix(title, done.edits, Applicability.UNSAFE),
            )
        answer = done
    text = f"{message}; not split into stages: {answer.reason}"
    suggestion = None
    if answer.suggestion is not None:
        # shown, never applied: inserted after the FROM line for the user to adapt
        lead = "" if view.ctx.text[: from_.end].endswith("\n") else "\n"
        suggestion = Fix(
            f"Consider: {answer.suggestion.splitlines()[0]}",
            (Edit.insert(from_.end, lead + answer.suggestion.rstrip("\n") + "\n"),),
            Applicability.DISPLAY_ONLY,
        )
    return Violation(
        INFO.code, text, from_.start, from_.content_end, suggestion, reason=no_fix(answer.reason)
    )
