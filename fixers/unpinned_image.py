"""## What it does

Finds images pulled without a version: untagged or `:latest`, in `FROM`,
`COPY --from=<image>` and `RUN --mount=from=<image>` (their `ONBUILD` forms
too), and a `FROM ${BASE}` whose global `ARG BASE=...` default is one. It
rewrites them to the most specific version tag that pointed at the same image
(`python` becomes `python:3.13.1-slim-bookworm`, not `python:3`), and with
`--digest` (config `digest = true`) to `name:tag@sha256:<digest>`, where the
digest is that of the multi-platform index (manifest list), never of one
platform's image. The name stays as written: `python` is not expanded to
`docker.io/library/python`. For `FROM ${BASE}` the `ARG` default is edited,
not the `FROM`.

With `--digest`, tagged references without a digest get one too. With
`--refresh`, a `name:tag@digest` whose tag has moved gets the new digest.

The tags and digests come from a source of truth, never from a guess:

1. `manifesto.lock` next to the configuration (written by
   `manifesto pin --update`) and `[tool.manifesto.pins]`;
2. the image registry, only when asked with `--resolve` (config
   `resolve = true`): the OCI distribution API, with the credentials of
   `~/.docker/config.json`. Nothing goes over the network otherwise.

Without either, the image is reported and nothing is changed.

## Why

`latest` is whatever was pushed last. A build from an untagged base is not
reproducible: rebuilding the same commit next month can give another major
version of the base, another libc, other CVEs, and nothing in the repository
says which one a working build used. A version tag says which, and a digest
makes the build byte-for-byte repeatable (while the tag stays for people to
read and for update bots to bump).

## Example

Before:

    FROM python
    COPY --from=nginx:latest /etc/nginx/mime.types /etc/

After, with `"python:latest" = { tag = "3.13.1-slim-bookworm", digest = "sha256:4e1c..." }`
and `"nginx:latest" = { tag = "1.27.3", digest = "sha256:0a39..." }` in `manifesto.lock`
and `--digest`:

    FROM python:3.13.1-slim-bookworm@sha256:4e1c...
    COPY --from=nginx:1.27.3@sha256:0a39... /etc/nginx/mime.types /etc/

## Fix safety

Unsafe: the image that is built can change. Pinning `latest` to the version it
points at today is the same image today, but the pin is only as fresh as the
lock file: an old lock pins an old image, and a stale digest keeps a build on
an image with known vulnerabilities until someone refreshes it. Applied only
with `--unsafe-fixes`.

A digest-only reference (`python@sha256:...`) is reported with a display-only
suggestion of the tag that digest carries, when the pins know it.

## Caveats

- `FROM` lines built from ARGs are expanded with the ARG defaults (a
  `--build-arg` can still override them). Only a reference that is one ARG
  (`FROM ${BASE}`) or written literally can be edited; one that mixes text and
  variables (`FROM ${REGISTRY}/app`) is reported without a fix. ARGs without a
  default are not guessed.
- `COPY --from` and `RUN --mount=from=` values with variables are skipped, and
  so are stage names and indexes (any stage of the file, before or after) and
  `scratch`. In `ONBUILD` triggers, a bare name (`builder`) may be a stage of
  the downstream build and is skipped.
- Windows images are pinned like others; the registry still decides which
  platforms an index holds.

## Related

hadolint DL3006 (tag the image explicitly) and DL3007 (using latest).
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.image_refs import ImageUse, image_uses
from manifesto.images import ImageRef
from manifesto.pins import ImagePins
from manifesto.reasons import no_fix

INFO = RuleInfo(
    code="MF301",
    name="unpinned_image",
    title="Pin images to a version tag (and digest) from the lock file or the registry",
    applicability=Applicability.UNSAFE,
    related=("DL3006", "DL3007"),
    doc=__doc__ or "",
)

_HOW_TO_PIN = "`manifesto pin --update` records one in manifesto.lock; or fix with --resolve"
_NOT_IN_ONE_PIECE = "the reference is not written in one piece: edit it by hand"
_NO_VERSION_TAG = "no version tag is known for the image (its pin has a digest only)"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    pins = ctx.image_pins
    for use in image_uses(ctx.text, tree):
        violation = _check(use, pins)
        if violation is not None:
            yield violation


def _check(use: ImageUse, pins: ImagePins | None) -> Violation | None:
    ref = use.ref
    if ref.digest is not None:
        return _digest_only(use, pins) if ref.tag is None else _stale_digest(use, pins)
    if ref.tag is None or ref.tag == "latest":
        return _floating(use, pins)
    return _missing_digest(use, pins)


def _floating(use: ImageUse, pins: ImagePins | None) -> Violation:
    ref = use.ref
    state = "untagged" if ref.tag is None else "tagged `latest`"
    shown = use.written if use.written == str(ref) else f"{use.written}` (`{ref}`)"
    pin = pins.pin_for(ref) if pins is not None else None
    if pins is not None and pin is not None and pin.tag is None:
        # the lock entry (or the registry, with --resolve) knows the image, not a version
        return _violation(
            use,
            f"`{shown}` is {state}: each build takes whatever `latest` is then;"
            " pin a version tag (no version tag is known for it: name one in manifesto.lock)",
            reason=_NO_VERSION_TAG,
        )
    if pins is None or pin is None:
        return _violation(
            use,
            f"`{shown}` is {state}: each build takes whatever `latest` is then;"
            f" pin a version tag ({_HOW_TO_PIN})",
        )
    digest = pin.digest if pins.write_digest else None
    target = ref.with_tag(pin.tag).with_digest(digest)
    return _violation(
        use,
        f"`{shown}` is {state}: each build takes whatever `latest` is then",
        target,
        f"Pin `{ref}` to `{target}`",
    )


def _missing_digest(use: ImageUse, pins: ImagePins | None) -> Violation | None:
    if pins is None or not pins.write_digest:
        return None
    pin = pins.pin_for(use.ref)
    if pin is None or pin.digest is None:
        return _violation(
            use, f"`{use.written}` has no digest and none is known for it ({_HOW_TO_PIN})"
        )
    target = use.ref.with_digest(pin.digest)
    return _violation(
        use,
        f"`{use.written}` has no digest: the tag can be moved to another image",
        target,
        f"Pin `{use.ref}` to its digest",
    )


def _stale_digest(use: ImageUse, pins: ImagePins | None) -> Violation | None:
    if pins is None or not pins.refresh:
        return None
    pin = pins.pin_for(use.ref.with_digest(None))
    if pin is None or pin.digest is None or pin.digest == use.ref.digest:
        return None
    target = use.ref.with_digest(pin.digest)
    return _violation(
        use,
        f"the tag of `{use.written}` now points at another image",
        target,
        f"Refresh the digest of `{use.ref.with_digest(None)}`",
    )


def _digest_only(use: ImageUse, pins: ImagePins | None) -> Violation:
    tag = pins.tag_for_digest(use.ref) if pins is not None else None
    message = f"`{use.written}` is pinned by digest alone: nothing says which version it is"
    if tag is None:
        return _violation(use, message + "; add the tag it carries")
    if use.edit is None:
        return _violation(
            use,
            f"{message}; add the tag it carries, `{tag}`",
            reason=_NOT_IN_ONE_PIECE,
        )
    target = use.ref.with_tag(tag)
    fix = Fix(
        f"Write the tag too: `{target}`",
        (Edit(use.edit.start, use.edit.end, str(target)),),
        Applicability.DISPLAY_ONLY,
    )
    return Violation(INFO.code, message, use.span.start, use.span.end, fix)


def _violation(
    use: ImageUse,
    message: str,
    target: ImageRef | None = None,
    title: str = "",
    reason: str = "no pin is known (no lock entry, and --resolve was not asked)",
) -> Violation:
    if target is None:
        return Violation(INFO.code, message, use.span.start, use.span.end, reason=no_fix(reason))
    if use.edit is None:
        return Violation(
            INFO.code,
            f"{message}; write it as `{target}` (not written in one piece: edit it by hand)",
            use.span.start,
            use.span.end,
            reason=no_fix(_NOT_IN_ONE_PIECE),
        )
    if use.arg is not None:
        title += f" in the default of ARG {use.arg}"
    fix = Fix(title, (Edit(use.edit.start, use.edit.end, str(target)),), Applicability.UNSAFE)
    return Violation(INFO.code, message, use.span.start, use.span.end, fix)
