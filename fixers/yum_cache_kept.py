"""## What it does

Finds RUNs that install or update packages with `yum`
(`install`, `groupinstall`, `group install`, `localinstall`, `reinstall`,
`update`, `upgrade`, `downgrade`, `distro-sync`, ...) and never empty yum's
cache afterwards in the same RUN, and appends `yum clean all` at the end of
the RUN, followed by an `rm -rf` of the cache directory of the yum the base
image has: `/var/cache/yum` on EL7 and older (CentOS 7, RHEL/UBI 7, Oracle
Linux 7, Amazon Linux 2), `/var/cache/dnf` where yum is dnf (Rocky, Alma,
RHEL/UBI and CentOS Stream 8 and later, Fedora, Amazon Linux 2023). When the
base does not tell (an image of another name, `FROM $BASE`), `yum clean all`
alone: it is right on both.

## Why

yum keeps the repository metadata it downloads (tens of megabytes per
repository: primary, filelists, updateinfo, their sqlite databases) in
`/var/cache/yum`, and on systems where yum is dnf, in `/var/cache/dnf`. Nothing
in the built image needs it: the next `yum install` fetches fresh metadata
anyway. The layer ships it unless the same RUN deletes it; a later RUN cannot
take it out of the image.

`yum clean all` empties the cache of every enabled repository; CentOS 7's yum
leaves the directories of repositories that are disabled or gone (it says so:
"Other repos take up ... of disk space (maybe run: rm -rf /var/cache/yum)"),
hence the `rm`. On EL8 and later `yum` is dnf, whose cache is `/var/cache/dnf`:
an `rm -rf /var/cache/yum` there would remove nothing.

## Example

Before:

    FROM centos:7
    RUN yum install -y httpd \
     && yum install -y mod_ssl

After:

    FROM centos:7
    RUN yum install -y httpd \
     && yum install -y mod_ssl \
     && yum clean all \
     && rm -rf /var/cache/yum

On `FROM rockylinux:9` the last line is `rm -rf /var/cache/dnf`.

## Fix safety

Safe. The commands only delete the package cache, which yum rebuilds on
demand; installed packages, the RPM database and the repository configuration
are untouched. They are appended after the RUN's last statement, so they run
after everything the RUN does, with the RUN's own operator (`&&`; `;` or a new
line when the script runs under `set -e` with statements so separated), its
continuation style and indentation, and in a `RUN <<EOF` script on a line of
their own. Each command is joined on its own (`&& yum clean all && rm -rf ...`),
never as a group. When the installs run through a plain `sudo` (a RUN under a
non-root `USER`), the clean-up does too.

No finding when the cache cannot end up in the layer: a cache, tmpfs or bind
mount over `/var/cache/yum`, `/var/cache/dnf` or a parent (the fix would empty
the mount); `yum clean all` or `dnf clean all` (yum is dnf on RHEL 8 and later),
or an `rm` of `/var/cache/yum`, `/var/cache/dnf` or a parent, after the last
install of the RUN; installs run with `-C`/`--cacheonly` (nothing downloaded);
ONBUILD RUNs.

A finding without a fix when the clean-up might not be harmless or might not
reach the cache: a mount inside the cache directory (the clean-up would empty
it); `--installroot`, `-c`/`--config`, a `--setopt` of `cachedir`
or `keepcache`, `--downloadonly` without `--downloaddir` (the packages are kept
on purpose); installs run as another user (`sudo -u`, `gosu`); a later command
of the RUN that may remove yum (`rpm -e`, `yum remove yum`, ...); a top-level
`exit` or `exec` (the appended commands might never run); a later RUN on top
of this layer that uses `-C`/`--cacheonly`; a program that is not a plain path.

Stages that do not ship (a builder whose files are copied out with `COPY
--from`) are fixed too, and the message says so: the fix saves build cache and
CI disk, not image size. `--target` names the stage that is the image.

## Caveats

Only literal `yum` commands are seen (`$YUM install` and `sh -c "yum install"`
are not). `yum makecache` on its own is left alone: it fills the cache for later
RUNs on purpose. A `yum.conf` copied into the image may move the cache: the
appended commands are then harmless but ineffective. A partial clean
(`yum clean packages`) does not count as a clean-up.

## Related

hadolint DL3032 (which only asks for `yum clean all` somewhere in the RUN, and
only after `yum install`).
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Violation

from ._rpm import RPM_CACHE_DIRS, YUM_CACHE, cache_violations

INFO = RuleInfo(
    code="MF106",
    name="yum_cache_kept",
    title="Append `yum clean all` (and remove yum's cache directory) to RUNs that install with yum",
    applicability=Applicability.SAFE,
    related=("DL3032",),
    doc=__doc__ or "",
)
REMOVES = ("/var/cache/yum", "/var/cache/yum/*", "/var/cache/dnf", "/var/cache/dnf/*")
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

TOOLS = (YUM_CACHE,)


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    yield from cache_violations(tree, ctx, INFO.code, TOOLS, RPM_CACHE_DIRS)
