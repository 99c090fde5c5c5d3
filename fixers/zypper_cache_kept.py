"""## What it does

Finds RUNs that install or update packages with `zypper`
(`install`/`in`, `update`/`up`, `patch`, `dist-upgrade`/`dup`,
`source-install`/`si`, `install-new-recommends`/`inr`, `verify`/`ve`) and never
empty zypper's cache afterwards in the same RUN, and appends
`zypper clean --all` at the end of the RUN.

## Why

zypper keeps the raw repository metadata and the solver caches it builds from
it in `/var/cache/zypp` (`raw/` and `solv/`, tens of megabytes for the openSUSE
and SLE repositories), and the downloaded packages too for repositories with
`keeppackages` set. Nothing in the built image needs them: the next
`zypper install` refreshes the metadata anyway. The layer ships them unless the
same RUN deletes them; a later RUN cannot take them out of the image.

A plain `zypper clean` removes only the downloaded packages, not the metadata;
`--all` (`-a`) removes both.

## Example

Before:

    RUN zypper --non-interactive install curl

After:

    RUN zypper --non-interactive install curl && zypper clean --all

## Fix safety

Safe. `zypper clean --all` only deletes caches that zypper rebuilds on demand;
installed packages, the RPM database, locks and the repository definitions are
untouched. The command is appended after the RUN's last statement, so it runs
after everything the RUN does, with the RUN's own operator (`&&`; `;` or a new
line when the script runs under `set -e` with statements so separated), its
continuation style and indentation, and in a `RUN <<EOF` script on a line of
its own. When the installs run through a plain `sudo`, the clean-up does too.

No finding when the cache cannot end up in the layer: a cache, tmpfs or bind
mount over `/var/cache/zypp` or a parent (the fix would empty the mount); a
later `zypper clean` or `zypper cc` (with or without `--all`: the author chose
what to keep), or an `rm` of `/var/cache/zypp` or a parent, after the last
install of the RUN; ONBUILD RUNs.
Stages that do not ship are fixed too, and the message says so: the fix
saves build cache and CI disk, not image size (`--target` names the image).

A finding without a fix when the clean-up might not be harmless or might not
reach the cache: a mount inside the cache directory (the clean-up would empty
it); `--root`/`-R`/`--installroot`, `--cache-dir` and the other
cache directory options, `-c`/`--config`, `--download-only` (the packages are
kept on purpose); installs run as another user; a later command of the RUN
that may remove zypper; a top-level `exit` or `exec`; a later RUN on top of
this layer that runs zypper with `--no-refresh` (it would find no metadata); a
program that is not a plain path.

## Caveats

Only literal `zypper` commands are seen. `zypper refresh` on its own is left
alone: it fills the cache for later RUNs on purpose. A `zypp.conf` copied into
the image may move the cache: the appended command then still cleans the right
place.

## Related

hadolint DL3036 (which asks for `zypper clean` or `zypper cc` after
`zypper install`/`zypper in`).
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Violation

from ._rpm import ZYPP_CACHE_DIRS, ZYPPER_CACHE, cache_violations

INFO = RuleInfo(
    code="MF108",
    name="zypper_cache_kept",
    title="Append `zypper clean --all` to RUNs that install with zypper",
    applicability=Applicability.SAFE,
    related=("DL3036",),
    doc=__doc__ or "",
)
REMOVES = ("/var/cache/zypp/*",)
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

TOOLS = (ZYPPER_CACHE,)


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    yield from cache_violations(tree, ctx, INFO.code, TOOLS, ZYPP_CACHE_DIRS)
