"""## What it does

Finds RUNs that install or update packages with `dnf` or
`microdnf` (`install`, `group install`, `module install`, `reinstall`,
`update`, `upgrade`, `downgrade`, `distro-sync`, `builddep`, ...) and never
empty the package cache afterwards in the same RUN, and appends `dnf clean all`
(or `microdnf clean all`) at the end of the RUN.

## Why

dnf keeps the repository metadata it downloads, and its solver caches, in
`/var/cache/dnf` (`/var/cache/libdnf5` for dnf5); microdnf keeps them in
`/var/cache/yum` or `/var/cache/dnf` depending on its version. On a UBI or
Fedora image that is easily 20 to 100 MB. Nothing in the built image needs it:
the next install fetches fresh metadata anyway. The layer ships it unless the
same RUN deletes it; a later RUN cannot take it out of the image.

`dnf clean all` and `microdnf clean all` empty whichever directory the
installed version uses, which is why the fix appends them rather than an `rm`
of a path that depends on the version.

## Example

Before:

    RUN set -eux; \
        microdnf install -y gzip tar; \
        echo installed

After:

    RUN set -eux; \
        microdnf install -y gzip tar; \
        echo installed; \
        microdnf clean all

## Fix safety

Safe. `clean all` only deletes the package cache, which dnf and microdnf
rebuild on demand; installed packages, the RPM database, enabled modules and the
repository configuration are untouched. The command is appended after the RUN's
last statement, so it runs after everything the RUN does, with the RUN's own
operator (`&&`; `;` or a new line when the script runs under `set -e` with
statements so separated), its continuation style and indentation, and in a
`RUN <<EOF` script on a line of its own. A RUN that uses both dnf and microdnf
gets both clean-ups. When the installs run through a plain `sudo`, the clean-up
does too.

No finding when the cache cannot end up in the layer: a cache, tmpfs or bind
mount over `/var/cache/dnf`, `/var/cache/yum`, `/var/cache/libdnf5` or a parent
(the fix would empty the mount); a later `dnf clean all` or `yum clean all`
(yum is dnf on these systems), `microdnf clean all` for microdnf, or an `rm` of
one of those directories or a parent, after the last install of the RUN;
installs run with `-C`/`--cacheonly`; ONBUILD RUNs.
Stages that do not ship are fixed too, and the message says so: the fix
saves build cache and CI disk, not image size (`--target` names the image).

A finding without a fix when the clean-up might not be harmless or might not
reach the cache: a mount inside the cache directory (the clean-up would empty
it); `--installroot` (common when building a minimal root file
system: the cache is under the new root), `-c`/`--config`, a `--setopt` of
`cachedir` or `keepcache`, `--downloadonly` without `--downloaddir`/`--destdir`;
installs run as another user (`sudo -u`, `gosu`); a later command of the RUN
that may remove the package manager (`rpm -e`, `microdnf remove dnf`, ...); a
top-level `exit` or `exec`; a later RUN on top of this layer that uses
`-C`/`--cacheonly`; a program that is not a plain path.

## Caveats

Only literal `dnf`/`microdnf` commands are seen (`$PKG_MGR install` and
`sh -c "dnf install"` are not). `dnf makecache` on its own is left alone: it
fills the cache for later RUNs on purpose. A `dnf.conf` copied into the image
may move the cache: the appended command then still cleans the right place.
A partial clean (`dnf clean packages`) does not count as a clean-up.

## Related

hadolint DL3040 (which asks for `dnf clean all` or `microdnf clean all`, or an
`rm -rf /var/cache/yum/*`, after `dnf install`/`microdnf install`).
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Violation

from ._rpm import DNF_CACHE, MICRODNF_CACHE, RPM_CACHE_DIRS, cache_violations

INFO = RuleInfo(
    code="MF107",
    name="dnf_cache_kept",
    title="Append `dnf clean all` (or `microdnf clean all`) to RUNs that install with dnf",
    applicability=Applicability.SAFE,
    related=("DL3040",),
    doc=__doc__ or "",
)
REMOVES = ("/var/cache/dnf/*", "/var/cache/yum/*", "/var/cache/libdnf5/*")
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

TOOLS = (DNF_CACHE, MICRODNF_CACHE)


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    yield from cache_violations(tree, ctx, INFO.code, TOOLS, RPM_CACHE_DIRS)
