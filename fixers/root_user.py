"""## What it does

Finds the shipped image (the `--target` stage, else the last one) whose
process runs as root: no `USER` in that stage or in the stages it is built
FROM, or the last `USER` is `root`, `0` or `0:<group>`. It switches the image
to an unprivileged user: it inserts a `RUN` that creates a system group and
user (name `app` and uid/gid 10001 unless configured, see below), then
`USER 10001:10001`, after the last `RUN`, `COPY`, `ADD`, `WORKDIR` or `USER` of
the final stage, so that the `CMD`, `ENTRYPOINT`, `HEALTHCHECK`, `EXPOSE`, `ENV`
and `LABEL` lines after them stay where they are and run as the new user.

The user is created the family's way:

- Debian, Ubuntu: `groupadd --system --gid 10001 app && useradd --system
  --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app`;
- Alpine and BusyBox: `addgroup -S -g 10001 app && adduser -S -u 10001 -G app
  -H -s /sbin/nologin app`;
- RHEL, UBI, Fedora, Amazon Linux, SUSE: as Debian (shell `/sbin/nologin`), only
  when the file shows shadow-utils is there (a RUN calls `useradd` or
  `groupadd`, or installs `shadow-utils`);
- distroless (`gcr.io/distroless/...`): `USER 65532:65532`, the `nonroot` user
  those images have, written as numbers so that Kubernetes' `runAsNonRoot` can
  verify it (hadolint DL3066 asks the same);
- `scratch`: `USER 65532:65532` (numeric: the image has no `/etc/passwd`);
- .NET 8 and later (`mcr.microsoft.com/dotnet/...`): `USER $APP_UID`, the
  `app` user (1654) those images have.

When the stage view cannot tell the family, the image's name (`busybox`,
`azul/zulu-openjdk-alpine`, .NET's bare version tags: Debian) or the one kind
of package manager the stage's RUNs call (`apk`, `apt-get`, `dnf`, `zypper`)
does.

`USER` names the created user by number: Kubernetes' `runAsNonRoot` can only
verify a numeric user, and the number is the one the `RUN` just gave it.

When the final stage sets its `WORKDIR` (`/app`, `/usr/src/app`), the same
`RUN` ends with `chown app:app /app`: the directory itself, not what was copied
into it, so the application can create files there (logs, caches, a SQLite
file) while the files it was built from stay root's and read-only. Not for `/`
or a directory of the distribution (`/usr/local`, `/srv`, `/opt`, `/var/www`,
anything under `/etc`, `/usr/lib`, ...), someone's home (`/home/gradle`), a
directory a RUN of the file already chowns (the file has chosen its owner). A
`WORKDIR` with a variable (`WORKDIR ${AIRFLOW_HOME}`) is handed over when an
`ENV` or `ARG` of the file gives the variable a literal value
(`ENV AIRFLOW_HOME=/opt/airflow`). No `mkdir -p`: the `WORKDIR` instruction has
created the directory before the `RUN`.

A user the file already creates (`useradd NAME`, `adduser -D NAME`, `useradd -r
-u 1000 NAME`, or renames to, `usermod --login NAME`, in a RUN of the final
stage or a stage it is built FROM) but never switches to is reused: only `USER
NAME` is inserted. A `scratch` or distroless
image that copies `/etc/passwd` from a stage creating a user
(`COPY --from=build /etc/passwd /etc/passwd`) switches to that user.

Configuration (`[tool.manifesto]`): `user-name = "app"` and `user-id = 10001`
(the uid and the gid). Ids below 1000 (the base image's system accounts),
65532 and 65534 are refused, and so are names the base images already have
(`nobody`, `www-data`, ...).

## Why

A process that runs as root in a container is root on the host's kernel: a
container escape, a mounted host path or a bad volume permission is then a
root compromise. An unprivileged user limits what an exploited process can do.

## Example

Before:

    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt \\
        && pip check
    COPY . .
    CMD ["python", "-m", "app"]

After (the new RUN breaks its chain the way the file's RUNs do):

    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt \\
        && pip check
    COPY . .
    RUN groupadd --system --gid 10001 app \\
        && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app \\
        && chown app:app /app
    USER 10001:10001
    CMD ["python", "-m", "app"]

## Fix safety

Unsafe: the program then runs without root. The lines go after the last
`COPY`/`ADD`, so every copied file stays owned by root: readable, not writable,
by the new user (no `--chown` is added: handing the user its own code would let
an exploited process rewrite it, and a recursive `chown` would copy every file
into one more layer). An application that writes into its files, a directory
other than its `WORKDIR`, `/var/run` or its home (there is none) fails at run
time; one that binds a port below 1024 cannot. Applied only with
`--unsafe-fixes`. `useradd --uid` fails the build when the base image already
has that uid: a clash is loud, never a shared account.

A finding without a fix when a fix would be wrong or a guess:

- a Windows image (no root user; `ContainerUser` is another question), .NET
  Framework's `mcr.microsoft.com/dotnet/framework/...` included;
- the `ENTRYPOINT` or `CMD` drops privileges itself (`gosu`, `su-exec`,
  `setpriv`, `runuser`, `chroot --userspec`, `s6-setuidgid`, s6-overlay's
  `/init`, `supervisord`, `su`), a RUN installs `gosu` or `su-exec` (for the entrypoint script), the
  script the image starts, copied from the build context (the Dockerfile's
  directory), calls `gosu`, `su-exec`, `setpriv`, `runuser`, `s6-setuidgid`,
  `exec su` or `chroot --userspec`, or the base is an official image whose
  entrypoint script does (`postgres`, `redis`, `mysql`, `mariadb`, `mongo`,
  `rabbitmq`, ...) or a linuxserver.io base image (s6-overlay's `/init`) and
  the file keeps that entrypoint;
- the image binds a port below 1024 (`EXPOSE 80`, `--port 443` in the command,
  an `nginx`/`httpd` base, php's `-apache` images and the PHP applications
  built on them, `apache2-foreground`): the port must change or the process be
  granted `CAP_NET_BIND_SERVICE`;
- the operating system of the base cannot be told (`FROM $BASE`, a private
  image), or it is RHEL-like and nothing shows `useradd` (`ubi-minimal` and
  `microdnf` images need `shadow-utils` installed first);
- the user the file creates is named by a variable;
- the file already creates a group with the configured name or id (for another
  purpose): creating the user would fail the build;
- a chiseled Ubuntu image other than .NET's (no shell, no `useradd`);
- the new user would not be given what the program needs (asked after the
  base-image signs): a `WORKDIR` whose variable the file gives no value; a
  `WORKDIR` inside root's home (`/root/.urlwatch`: `/root` is 0700, the
  container cannot even start there); a `VOLUME` (of the image, or of a stage
  it is built FROM) other than the `WORKDIR` handed over, `/tmp` or a directory
  a RUN opens with `chmod 777`: the server's data directory (`/var/lib/mysql`)
  stays root's;
- the command, run as it is, through `sh -c "..."` or by a script of the build
  context the image starts, uses a program that needs root: `iptables`,
  `ip6tables`, `nft`, `tc`, `ip route|link|addr add|set|del ...`, `crond` or
  `cron` (they run each job as its user), `tcpdump`, `snort`, `bro`/`zeek`,
  `kismet`, `dsniff`, `passivedns`, `openvpn`, `pptpd`, `hans`, `shadowvpn`,
  `sysctl`, `mount`, `modprobe`, `dhcpd`, `dnsmasq`, `dockerd` (and Docker's
  `hack/dind`);
- the image looks like a base for other images (`base-image`, asked last, see
  `manifesto.image_role`): `ONBUILD` instructions, or no application copied
  (neither the build context nor anything into its `WORKDIR`) and one of: no
  `CMD`/`ENTRYPOINT` of its own, only a shell, interpreter or build tool
  (`bash`, `python3`, `php -a`, `jshell`, `mvn`, `dotnet`, `bazel`, `go`,
  `npm`, `pip`, `python3 -m twine`, `gcloud`, `kubectl`, `terraform`, after an
  entrypoint wrapper),
  a command that only idles (`sleep infinity`), the header of an official
  image's generated source, a `*-base` file name. The images built FROM it run
  their `RUN apt-get install ...` as the image's user: a `USER` belongs in
  them. An application image with `CMD ["bash"]` that copies its code into its
  `WORKDIR` is still switched.

No finding for bases known to run as non-root already: distroless `:nonroot`
tags, `cgr.dev/chainguard/*`, `bitnami/*`, `nginxinc/nginx-unprivileged`,
`jupyter/*` and `quay.io/jupyter/*`, .NET's `*-chiseled` images, Open Liberty
(`openliberty/open-liberty`, `icr.io/appcafe/open-liberty`: `USER 1001`), and
a final stage built FROM an earlier stage that switched user.

## Caveats

The build context is taken to be the Dockerfile's directory: an entrypoint
script elsewhere (`docker build -f docker/Dockerfile .`), or any script when
the text comes from stdin or the API, is not read, and the other signs decide.
The `WORKDIR` of the base image (when the file sets none) is not known, so it
is not handed over; nor is anything to a reused user (the file that created it
decides what it owns) or to distroless's `nonroot` and scratch's 65532 (no
shell: `COPY --chown` is the way there). A `WORKDIR` that is also a `VOLUME`
is chowned after the `VOLUME` line: BuildKit keeps that change, Docker's legacy
builder discards it. A `USER` inside `ONBUILD` and the
default user of other images (a private base may well set one: it is then
reported as an unknown family, never switched blindly) are not read. Only the
shipped image is checked: builder stages may run as root.

## Related

hadolint DL3002 (last USER should not be root). BuildKit has none.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import (
    ALPINE,
    AMAZONLINUX,
    DEBIAN,
    FEDORA,
    RHEL_LIKE,
    SUSE,
    UBUNTU,
    BaseImage,
    Stage,
)
from manifesto.cst.values import arg_defaults, buildkit_value, exec_args, key_values
from manifesto.cst.words import parse_words
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.image_role import base_image_signs, joined_workdir
from manifesto.images import ImageRef, expand, parse_image
from manifesto.layout import file_joint
from manifesto.reasons import no_fix
from manifesto.shell import Word
from manifesto.users import AppUser

INFO = RuleInfo(
    code="MF401",
    name="root_user",
    title="Run the image as an unprivileged user (create one, then `USER`)",
    applicability=Applicability.UNSAFE,
    related=("DL3002",),
    doc=__doc__ or "",
)

SCRATCH_USER = "65532:65532"
DISTROLESS_USER = "65532:65532"
"""distroless's ``nonroot`` user and group, by number (``runAsNonRoot`` reads numbers)."""
DOTNET_USER = "$APP_UID"
""".NET 8 and later images have a user ``app`` and set ``APP_UID`` (1654) to its uid."""

_ROOT_NAMES = frozenset({"root", "0"})
_PRIVILEGE_DROPPERS = frozenset(
    {"gosu", "su-exec", "setpriv", "runuser", "s6-setuidgid", "supervisord", "su", "setuidgid"}
)
_ENTRYPOINT_DROPS = frozenset(
    {
        # Docker Hub official images whose docker-entrypoint.sh starts the server
        # through gosu/su-exec (or chroot --userspec) when run as root.
        "postgres",
        "redis",
        "mysql",
        "mariadb",
        "mongo",
        "rabbitmq",
        "cassandra",
        "couchdb",
        "percona",
        "zookeeper",
        "influxdb",
        "neo4j",
    }
)
_LOW_PORT_BASES = frozenset({"nginx", "httpd"})
"""Official images that listen on port 80 by default."""
_APACHE_BY_DEFAULT = frozenset({"wordpress", "drupal", "joomla", "nextcloud", "mediawiki"})
"""Official PHP applications whose default variant (not ``-fpm``) is php's ``-apache``
image: Apache on port 80."""
_APACHE_STARTERS = frozenset({"apache2-foreground", "httpd-foreground"})
"""The official php ``-apache`` and httpd images' commands: Apache on port 80."""
_SHADOW_BASED = frozenset({RHEL_LIKE, FEDORA, AMAZONLINUX, SUSE})
_USER_CREATORS = frozenset({"useradd", "adduser"})
_GROUP_CREATORS = frozenset({"groupadd", "addgroup"})
_USERADD_VALUE_OPTIONS = frozenset(
    {
        # short options of useradd and BusyBox adduser that take a value
        *("-b", "-c", "-d", "-e", "-f", "-g", "-G", "-k", "-K", "-p", "-R", "-P", "-s"),
        *("-u", "-Z", "-h"),
        # long options of useradd and Debian's adduser that take a value
        *("--base-dir", "--comment", "--home-dir", "--home", "--expiredate", "--inactive"),
        *("--gid", "--groups", "--skel", "--key", "--password", "--root", "--prefix"),
        *("--shell", "--uid", "--selinux-user", "--ingroup", "--gecos", "--firstuid"),
        *("--lastuid", "--conf", "--extrausers"),
    }
)
_GROUPADD_VALUE_OPTIONS = frozenset(
    {
        # groupadd, BusyBox addgroup, Debian's addgroup
        *("-g", "-K", "-p", "-R", "-P", "--gid", "--key", "--password", "--root"),
        *("--prefix", "--conf", "--firstgid", "--lastgid", "--users", "-U"),
    }
)
_PORT_OPTIONS = frozenset({"--port", "-p", "--listen", "--bind", "-b", "--http-port"})

_SCRIPT_DROP = re.compile(
    r"(?<![\w./-])(?:\S*/)?(gosu|su-exec|setpriv|runuser|s6-setuidgid)(?![\w-])"
    r"|(?<![\w-])(exec\s+su)(?![\w-])"
    r"|(?<![\w-])(chroot\s+--userspec)"
)
"""A privilege drop in an entrypoint script: the programs the issue names, as commands."""

_SYSTEM_DIRECTORIES = frozenset(
    {
        *("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media"),
        *("/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr"),
        *("/var", "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib64", "/usr/libexec"),
        *("/usr/local", "/usr/local/bin", "/usr/local/etc", "/usr/local/include"),
        *("/usr/local/lib", "/usr/local/sbin", "/usr/local/share", "/usr/local/src"),
        *("/usr/sbin", "/usr/share", "/usr/src", "/var/cache", "/var/lib", "/var/local"),
        *("/var/lock", "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool"),
        *("/var/tmp", "/var/www"),
    }
)
"""Directories of the distribution itself: never handed to the app user."""
_SYSTEM_TREES = ("/bin/", "/boot/", "/dev/", "/etc/", "/lib/", "/proc/", "/sbin/", "/sys/")
_SYSTEM_TREES_USR = ("/usr/bin/", "/usr/lib/", "/usr/sbin/", "/usr/share/", "/root/")
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._+@%-]+(?:/[A-Za-z0-9._+@%-]+)*/?")
"""A path a shell reads as written: no quotes, blanks, variables, globs."""
_PATH_DIRECTORIES = ("/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin")


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a file creates (or renames) a user, or a group."""

    creators: frozenset[str]
    value_options: frozenset[str]
    """The creators' options that take a value (to tell operands apart)."""
    id_options: frozenset[str]
    renamer: str
    rename_options: frozenset[str]


_USERS = _Kind(
    _USER_CREATORS,
    _USERADD_VALUE_OPTIONS,
    frozenset({"-u", "--uid"}),
    "usermod",
    frozenset({"-l", "--login"}),
)
_GROUPS = _Kind(
    _GROUP_CREATORS,
    _GROUPADD_VALUE_OPTIONS,
    frozenset({"-g", "--gid"}),
    "groupmod",
    frozenset({"-n", "--new-name"}),
)


@dataclass(frozen=True, slots=True)
class _Account:
    """A user or a group the file creates: its name as written (None: a variable) and
    the id given to it (None: none given, or a variable)."""

    name: str | None
    id: int | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The user to switch to and how it is created."""

    user: str
    commands: tuple[str, ...]
    """The commands of the RUN that creates the user; empty when it exists."""
    title: str
    handed: str | None = None
    """The directory the RUN gives the new user (its ``WORKDIR``), if any."""


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    shipped = ctx.shipped
    if not shipped:
        return
    top = shipped[0]
    chain = ctx.ancestors(top)
    body = tuple(ins for stage in chain for ins in stage.instructions)
    last_user = _last(body, "USER")
    if last_user is not None and not _is_root(last_user):
        return
    base = ctx.graph.bases[top.index]
    root_ref = _root_reference(ctx, chain)
    if last_user is None and root_ref is not None and _runs_unprivileged(root_ref):
        return
    yield _assess(ctx, tree, top, chain, body, base, root_ref, last_user)


def _assess(
    ctx: FixContext,
    tree: Dockerfile,
    top: Stage,
    chain: tuple[Stage, ...],
    body: tuple[Instruction, ...],
    base: BaseImage,
    root_ref: ImageRef | None,
    last_user: Instruction | None,
) -> Violation:
    spot = last_user if last_user is not None else top.from_
    state = "the last USER is root" if last_user is not None else "no USER sets another user"
    message = f"the image runs as root: {state}"

    def report(reason: str) -> Violation:
        return Violation(
            INFO.code, f"{message}; {reason}", spot.start, spot.content_end, reason=no_fix(reason)
        )

    if base.windows:
        return report("a Windows image: it has no root user to leave")
    dropper = (
        _privilege_drop(body, root_ref) or _installed_dropper(ctx, body) or _script_drops(ctx, body)
    )
    if dropper is not None:
        return report(f"the entrypoint drops privileges itself ({dropper})")
    port = _low_port(body, root_ref)
    if port is not None:
        return report(
            f"binds port {port}, below 1024: change the port or grant CAP_NET_BIND_SERVICE"
        )
    users = _accounts(ctx, chain, _USERS)
    if any(u.name is None for u in users):
        return report("the user the file creates is named by a variable")
    plan = _plan(ctx, chain, base, root_ref, users[-1].name if users else None)
    if isinstance(plan, str):
        return report(plan)
    if plan.commands:
        clash = _clash(ctx, chain, ctx.app_user)
        if clash is not None:
            return report(clash)
    base_signs = base_image_signs(ctx, top)
    if base_signs is not None:
        # Asked last, so that a reason the image itself gives keeps its say. The images
        # built FROM this one install packages in RUN steps: a USER here is theirs too.
        return report(
            f"this image looks like a base for other images ({base_signs}): a USER here would"
            " make the RUN steps of the images built from it run unprivileged; set USER in"
            " those images"
        )
    # What would make the switched image fail when it starts: asked after the base-image
    # signs (a base image is not switched whatever it runs), before the edit is written.
    paths = _image_paths(chain)
    unfit = _unfit_directory(ctx, body, paths, plan) if plan.commands else None
    if unfit is not None:
        return report(unfit)
    needs_root = _root_program(ctx, body)
    if needs_root is not None:
        return report(needs_root)
    anchor = _anchor(top)
    if anchor.continues_at_end:
        return report(
            f"the {anchor.keyword} on line {anchor.start_line} ends the file inside a"
            " continuation: a USER written after it would be read as part of it"
        )
    content = _render(ctx, tree, anchor, plan, top.from_)
    edit = Edit.insert(anchor.end, content)
    return Violation(
        INFO.code,
        message,
        spot.start,
        spot.content_end,
        Fix(plan.title, (edit,), Applicability.UNSAFE),
    )


# --------------------------------------------------------------------------- who runs


def _last(body: tuple[Instruction, ...], keyword: str) -> Instruction | None:
    for ins in reversed(body):
        if ins.keyword == keyword:
            return ins
    return None


def _is_root(user: Instruction) -> bool:
    name = user.args_text.strip().split(":", 1)[0]
    return name in _ROOT_NAMES


def _root_reference(ctx: FixContext, chain: tuple[Stage, ...]) -> ImageRef | None:
    """The image at the root of the stage chain, parsed (scratch included)."""
    text = ctx.graph.resolved[chain[0].index]
    return parse_image(text.strip()) if text is not None else None


def _runs_unprivileged(ref: ImageRef) -> bool:
    """Images whose default user is not root."""
    path, tag = ref.path.lower(), (ref.tag or "").lower()
    domain = ref.domain.lower()
    if "distroless/" in f"{domain}/{path}" and "nonroot" in tag:
        return True
    if domain == "cgr.dev" and path.startswith("chainguard/"):
        return True
    if _is_dotnet(ref) and ("chiseled" in tag or "distroless" in tag):
        # .NET's chiseled Ubuntu and Azure Linux distroless images set USER app (1654)
        return True
    if ref.is_docker_hub and path.startswith(("bitnami/", "nginxinc/nginx-unprivileged")):
        return True
    if (ref.is_docker_hub and path == "openliberty/open-liberty") or (
        domain == "icr.io" and path == "appcafe/open-liberty"
    ):
        return True  # Open Liberty's images end with USER 1001
    return path.startswith("jupyter/") and (ref.is_docker_hub or domain == "quay.io")


def _is_dotnet(ref: ImageRef) -> bool:
    return ref.domain.lower() == "mcr.microsoft.com" and ref.path.lower().startswith(
        ("dotnet/", "dotnet-")
    )


def _dotnet_has_app_user(ref: ImageRef) -> bool:
    """.NET 8 and later Linux images ship a user ``app`` (``$APP_UID``); a floating tag
    (``latest``, none) is one of them today."""
    tag = (ref.tag or "latest").lower()
    major = re.match(r"(\d+)\.", tag)
    if major is None:
        return tag == "latest"
    return int(major.group(1)) >= 8


def _bare_version(tag: str | None) -> bool:
    return tag is not None and re.fullmatch(r"\d+\.\d+(?:\.\d+)?", tag) is not None


def _command_words(ins: Instruction) -> tuple[str, ...]:
    args = exec_args(ins)
    if args is not None:
        return args
    if ins.keyword == "HEALTHCHECK":
        return ()
    return tuple(w.value for w in parse_words(ins.args_text, ins.escape))


def _entry_words(body: tuple[Instruction, ...]) -> tuple[str, ...]:
    """What the container starts: the last ENTRYPOINT and CMD of the image."""
    out: list[str] = []
    for keyword in ("ENTRYPOINT", "CMD"):
        ins = _last(body, keyword)
        if ins is not None:
            out.extend(_command_words(ins))
    return tuple(out)


_DROPPER_FILE = re.compile(r"(?:^|[/=])(gosu|su-exec)(?:$|[-.])")


def _installed_dropper(ctx: FixContext, body: tuple[Instruction, ...]) -> str | None:
    """``gosu``/``su-exec`` installed or fetched by a RUN: an image does that for its
    entrypoint script to start the program as another user."""
    for ins in body:
        script = ctx.shell(ins) if ins.keyword == "RUN" else None
        if script is None:
            continue
        for command in script.commands:
            for word in command.words:
                match = _DROPPER_FILE.search(word.value or "")
                if match:
                    return f"the image installs {match.group(1)} for its entrypoint"
    return None


def _privilege_drop(body: tuple[Instruction, ...], ref: ImageRef | None) -> str | None:
    words = _entry_words(body)
    for i, word in enumerate(words):
        for token in re.split(r"[\s;&|]+", word):
            program = token.rsplit("/", 1)[-1]
            if program in _PRIVILEGE_DROPPERS:
                return program
            if program == "chroot" and any("--userspec" in w for w in words[i:]):
                return "chroot --userspec"
            if token == "/init":
                # s6-overlay's stage 0: it needs root and runs services as their users
                return "s6-overlay's /init"
    official = ref is not None and ref.is_docker_hub and ref.namespace in (None, "library")
    keeps_entrypoint = _last(body, "ENTRYPOINT") is None
    if official and ref is not None and ref.name in _ENTRYPOINT_DROPS and keeps_entrypoint:
        return f"the {ref.name} image's entrypoint script"
    if ref is not None and keeps_entrypoint and _is_linuxserver_base(ref):
        return "the linuxserver base image's s6-overlay /init"
    return None


def _is_linuxserver_base(ref: ImageRef) -> bool:
    """linuxserver.io's base images, whose ENTRYPOINT is s6-overlay's ``/init``: it
    starts the services as the ``abc`` user (PUID/PGID) and needs root to do so."""
    domain, path = ref.domain.lower(), ref.path.lower()
    hosted = domain in ("ghcr.io", "lscr.io") or ref.is_docker_hub
    return hosted and path.startswith("linuxserver/baseimage-")


def _script_drops(ctx: FixContext, body: tuple[Instruction, ...]) -> str | None:
    """A privilege drop in a script of the build context that the image starts: the
    ENTRYPOINT or CMD names a file a COPY/ADD put there from the context."""
    read = ctx.read_context_file
    if read is None:
        return None
    for source in _started_scripts(body):
        text = read(source)
        if text is None:
            continue
        for line in text.splitlines():
            code = line.split(" #", 1)[0].split("\t#", 1)[0]
            if code.lstrip().startswith("#"):
                continue
            match = _SCRIPT_DROP.search(code)
            if match is not None:
                found = next(g for g in match.groups() if g is not None)
                return f"{' '.join(found.split())} in {posixpath.basename(source)}"
    return None


def _started_scripts(body: tuple[Instruction, ...]) -> list[str]:
    """Build-context paths of the files the ENTRYPOINT and CMD may start, latest copy first."""
    wanted = [w for w in _entry_words(body) if "/" in w or w.endswith(".sh")]
    if not wanted:
        return []
    copies = _context_copies(body)
    out: list[str] = []
    for word in wanted:
        if word.startswith("/"):
            places = [posixpath.normpath(word)]
        elif "/" in word:
            workdir = _workdir(body)
            places = [] if workdir is None else [posixpath.normpath(f"{workdir}/{word}")]
        else:
            places = [f"{d}/{word}" for d in _PATH_DIRECTORIES]
        for place in places:
            for source in _sources_of(place, copies):
                if source not in out:
                    out.append(source)
    return out


def _context_copies(
    body: tuple[Instruction, ...],
) -> list[tuple[tuple[str, ...], str, bool]]:
    """(sources, absolute destination, destination is a directory) of each COPY/ADD from
    the build context, latest first; those with variables or globs are left out."""
    out: list[tuple[tuple[str, ...], str, bool]] = []
    workdir: str | None = None  # the base image's until a WORKDIR says
    for ins in body:
        if ins.keyword == "WORKDIR":
            workdir = joined_workdir(workdir, ins)
            continue
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        values, _ = buildkit_value(ins)
        if len(values) < 2 or ins.heredocs:
            continue
        sources, dest = values[:-1], values[-1]
        if any(not re.fullmatch(r"[A-Za-z0-9._+@%/-]+", s) or "://" in s for s in sources):
            continue
        if "$" in dest or (not dest.startswith("/") and workdir is None):
            continue
        absolute = posixpath.normpath(posixpath.join(workdir or "/", dest))
        absolute = "/" if absolute == "//" else absolute
        out.append((sources, absolute, dest.endswith("/") or len(sources) > 1))
    out.reverse()
    return out


def _sources_of(place: str, copies: list[tuple[tuple[str, ...], str, bool]]) -> list[str]:
    """The context paths a COPY may have put at ``place`` (a file or a directory copied)."""
    out: list[str] = []
    for sources, dest, into in copies:
        inside = dest.rstrip("/") + "/"
        for source in sources:
            clean = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
            if clean.startswith(".."):
                continue
            if place == (inside + posixpath.basename(clean) if into else dest):
                out.append(clean)
            elif not into and place == inside + posixpath.basename(clean):
                out.append(clean)  # a file copied into a directory that exists
            elif place.startswith(inside):
                # a directory copied: its content lands under the destination
                out.append(posixpath.normpath(f"{clean}/{place[len(inside) :]}"))
    return out


def _low_port(body: tuple[Instruction, ...], ref: ImageRef | None) -> int | None:
    ports: list[int] = []
    for ins in body:
        if ins.keyword == "EXPOSE":
            for word in buildkit_value(ins)[0]:
                match = re.fullmatch(r"(\d+)(?:-\d+)?(?:/\w+)?", word)
                if match:
                    ports.append(int(match.group(1)))
    words = _entry_words(body)
    for i, word in enumerate(words):
        option, eq, value = word.partition("=")
        if option in _PORT_OPTIONS:
            value = value if eq else (words[i + 1] if i + 1 < len(words) else "")
            match = re.fullmatch(r"(?:[\w.\[\]:]*:)?(\d+)", value)
            if match:
                ports.append(int(match.group(1)))
        match = re.fullmatch(r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]*\]|localhost)?:(\d+)", word)
        if match:
            ports.append(int(match.group(1)))
    low = [p for p in ports if 0 < p < 1024]
    if low:
        return low[0]
    if not ports and any(w.rsplit("/", 1)[-1] in _APACHE_STARTERS for w in words):
        return 80
    official = ref is not None and ref.is_docker_hub and ref.namespace in (None, "library")
    if official and ref is not None and not ports and _listens_on_80(ref):
        return 80
    return None


def _listens_on_80(ref: ImageRef) -> bool:
    """Official images whose server listens on port 80 unless told otherwise."""
    tag = (ref.tag or "latest").lower()
    if ref.name in _LOW_PORT_BASES:
        return True
    if ref.name == "php":
        return "apache" in tag
    return ref.name in _APACHE_BY_DEFAULT and not any(v in tag for v in ("fpm", "cli"))


# --------------------------------------------------------------------------- who exists


def _accounts(ctx: FixContext, stages: tuple[Stage, ...], kind: _Kind) -> list[_Account]:
    """The users (or groups) the RUNs of ``stages`` create, or rename an existing one
    to (``usermod --login gradle ubuntu``), in file order."""
    out: list[_Account] = []
    for stage in stages:
        for ins in stage.instructions:
            script = ctx.shell(ins) if ins.keyword == "RUN" else None
            if script is None:
                continue
            for command in script.commands:
                if command.program == kind.renamer:
                    new_name = _option_value(command.effective_args, kind.rename_options)
                    if new_name is not None:
                        out.append(_Account(new_name.value, None))
                if command.program not in kind.creators:
                    continue
                names, given = _operands(command.effective_args, kind)
                # ``adduser USER GROUP`` adds an existing user to a group: not a creation
                if len(names) == 1:
                    out.append(_Account(names[0], given))
    return out


def _option_value(args: tuple[Word, ...], names: frozenset[str]) -> _Named | None:
    """The value of the first option in ``names`` (``-l NEW``, ``--login=NEW``)."""
    for i, word in enumerate(args):
        flag = word.value if word.value is not None else word.text
        name, eq, attached = flag.partition("=")
        if name not in names:
            continue
        if eq:
            return _Named(attached if "$" not in attached else None)
        if i + 1 < len(args):
            following = args[i + 1]
            return _Named(following.value if "$" not in following.text else None)
    return None


@dataclass(frozen=True, slots=True)
class _Named:
    value: str | None
    """The name given (None: a variable)."""


def _operands(args: tuple[Word, ...], kind: _Kind) -> tuple[list[str | None], int | None]:
    """The operands of a useradd/adduser/groupadd/addgroup (None for one with a
    variable) and the id its options give (None: none, or not a literal number)."""
    positional: list[str | None] = []
    given: int | None = None
    option: str | None = None
    for word in args:
        value, text = word.value, word.text
        if option is not None:
            if option in kind.id_options and value is not None and value.isdigit():
                given = int(value)
            option = None
            continue
        # an option with a variable in its value (``--uid=$APP_UID``) is still an option
        flag = value if value is not None else text
        if flag.startswith("-"):
            name, eq, attached = flag.partition("=")
            if eq and name in kind.id_options and attached.isdigit():
                given = int(attached)
            option = name if not eq and name in kind.value_options else None
            continue
        positional.append(value if value is not None and "$" not in text else None)
    return positional, given


def _shows_shadow_utils(ctx: FixContext, body: tuple[Instruction, ...]) -> bool:
    for ins in body:
        script = ctx.shell(ins) if ins.keyword == "RUN" else None
        if script is None:
            continue
        for command in script.commands:
            if command.program in ("useradd", "groupadd"):
                return True
            if any(w.value == "shadow-utils" for w in command.effective_args):
                return True
    return False


def _clash(ctx: FixContext, chain: tuple[Stage, ...], user: AppUser) -> str | None:
    """Why creating ``user`` would collide with a group the image already gets from the
    file (the users are reused, never created beside); None when it would not."""
    groups = _accounts(ctx, chain, _GROUPS)
    for group in groups:
        if group.name == user.name or group.id == user.uid:
            what = f"`{user.name}`" if group.name == user.name else f"id {user.uid}"
            return (
                f"the file already creates a group with the name or id of the new user ({what}):"
                " configure another user-name or user-id"
            )
    return None


def _passwd_user(ctx: FixContext, body: tuple[Instruction, ...]) -> str | None:
    """The user a stage of the file creates and whose ``/etc/passwd`` the image copies
    (``COPY --from=build /etc/passwd /etc/passwd``): the last such user's name."""
    for ins in reversed(body):
        source = ins.flag("from") if ins.keyword == "COPY" else None
        if source is None or source.value is None:
            continue
        values, _ = buildkit_value(ins)
        if not any(posixpath.normpath(v) == "/etc/passwd" for v in values[:-1]):
            continue
        stage = _stage_called(ctx, source.value)
        if stage is None:
            continue
        users = _accounts(ctx, ctx.ancestors(stage), _USERS)
        named = [u.name for u in users if u.name is not None]
        return named[-1] if named and len(named) == len(users) else None
    return None


def _stage_called(ctx: FixContext, name: str) -> Stage | None:
    wanted = name.lower()
    for stage in ctx.stages:
        if stage.name == wanted:
            return stage
    if wanted.isdigit() and int(wanted) < len(ctx.stages):
        return ctx.stages[int(wanted)]
    return None


# --------------------------------------------------------------------------- run time


@dataclass(frozen=True, slots=True)
class _ImagePaths:
    """The image's working directory and volumes, variables resolved from the file's
    ENV and ARG values."""

    workdir: str | None
    """The final working directory; None when no WORKDIR sets it or it cannot be told."""
    unresolved_workdir: str | None
    """The last WORKDIR as written when its variable has no value in the file."""
    volumes: tuple[tuple[str, str | None], ...]
    """Each VOLUME path as written, and resolved (None: a variable without a value)."""


def _image_paths(chain: tuple[Stage, ...]) -> _ImagePaths:
    """Read the WORKDIRs and VOLUMEs of the image the way BuildKit expands them: with
    the ENV values (which carry over to the stages built FROM the stage) and the ARG
    defaults of the stage; a value that itself uses an unknown variable is unknown."""
    env: dict[str, str] = {}
    args: dict[str, str] = {}
    workdir: str | None = None
    unresolved: str | None = None
    volumes: list[tuple[str, str | None]] = []
    for ins in (ins for stage in chain for ins in (stage.from_, *stage.instructions)):
        keyword = ins.keyword
        if keyword not in _PATH_KEYWORDS:
            continue
        known: dict[str, str | None] = {**args, **env}
        if keyword == "FROM":
            args = {}  # an ARG's scope ends with its stage; ENV is inherited
        elif keyword == "ENV":
            for pair in key_values(ins):
                value = expand(pair.raw_value, known, escape=ins.escape)
                if value is None:
                    env.pop(pair.key, None)
                else:
                    env[pair.key] = value
                known = {**args, **env}
        elif keyword == "ARG":
            for name, default in arg_defaults(ins).items():
                value = None if default is None else expand(default, known, escape=ins.escape)
                if value is None:
                    args.pop(name, None)
                else:
                    args[name] = value
        elif keyword == "WORKDIR":
            values, _ = buildkit_value(ins)
            value = expand(values[0], known, escape=ins.escape) if len(values) == 1 else None
            if value is None or not value:
                workdir, unresolved = None, ins.args_text.strip()
            elif value.startswith("/"):
                path = posixpath.normpath(value)
                workdir, unresolved = ("/" if path == "//" else path), None
            else:
                workdir = None if workdir is None else posixpath.normpath(f"{workdir}/{value}")
        elif keyword == "VOLUME":
            values, _ = buildkit_value(ins)
            for written in values:
                value = expand(written, known, escape=ins.escape)
                volumes.append((written, posixpath.normpath(value) if value else None))
    return _ImagePaths(workdir, unresolved, tuple(volumes))


_PATH_KEYWORDS = frozenset({"FROM", "ENV", "ARG", "WORKDIR", "VOLUME"})
_SHARED_WRITABLE = frozenset({"/tmp", "/var/tmp", "/dev/shm"})
"""Directories every user may write to (mode 1777)."""
_OPEN_MODES = re.compile(r"(?:[0-7]?[0-7]{2}[2367]|(?:[ao]|[ugo]*o[ugo]*)[+=][rwxXst]*w[rwxXst]*)")
"""A chmod mode that lets others write: ``777``, ``1777``, ``o+w``, ``a+rwx``."""


def _unfit_directory(
    ctx: FixContext, body: tuple[Instruction, ...], paths: _ImagePaths, plan: _Plan
) -> str | None:
    """Why a directory the program needs would be closed to the new user: its WORKDIR
    (a variable, or inside root's home), or a VOLUME it is not given; None when none is."""
    if paths.unresolved_workdir is not None and paths.workdir is None:
        return (
            f"the WORKDIR {paths.unresolved_workdir} is a variable the file gives no value:"
            " the new user cannot be given its working directory"
        )
    workdir = paths.workdir
    if workdir is not None and (workdir == "/root" or workdir.startswith("/root/")):
        return (
            f"the WORKDIR {workdir} is inside root's home, which other users cannot enter"
            " (/root is 0700)"
        )
    for written, volume in paths.volumes:
        if volume is None:
            return (
                f"VOLUME {written} is a variable the file gives no value: the new user may"
                " not be able to write there"
            )
        if volume in _SHARED_WRITABLE or volume == plan.handed or _opened(ctx, body, volume):
            continue
        return (
            f"VOLUME {volume} is a directory the new user is not given: the program could"
            " not write its data there"
        )
    return None


def _opened(ctx: FixContext, body: tuple[Instruction, ...], path: str) -> bool:
    """Whether a RUN lets every user write to ``path`` (``chmod 777 /data``)."""
    for ins in body:
        script = ctx.shell(ins) if ins.keyword == "RUN" else None
        if script is None:
            continue
        for command in script.commands:
            if command.program != "chmod":
                continue
            values = [w.value or "" for w in command.effective_args]
            modes = [v for v in values if _OPEN_MODES.fullmatch(v)]
            targets = [posixpath.normpath(v) for v in values if v.startswith("/")]
            if modes and path in targets:
                return True
    return False


_NEEDS_ROOT: dict[str, str] = {
    **dict.fromkeys(
        ("iptables", "ip6tables", "iptables-restore", "ip6tables-restore", "nft"),
        "it changes the firewall",
    ),
    "tc": "it changes traffic control",
    **dict.fromkeys(("crond", "cron"), "a cron daemon runs each job as its user"),
    **dict.fromkeys(
        ("tcpdump", "snort", "bro", "zeek", "kismet", "dsniff", "passivedns", "tshark"),
        "it captures packets from a network interface",
    ),
    **dict.fromkeys(
        ("openvpn", "pptpd", "hans", "shadowvpn", "ss-tun"),
        "it creates a network device and routes",
    ),
    **dict.fromkeys(
        ("dockerd", "dind"), "the Docker daemon runs as root (rootless is another setup)"
    ),
    "sysctl": "it sets kernel parameters",
    "mount": "it mounts file systems",
    "modprobe": "it loads kernel modules",
    **dict.fromkeys(("dhcpd", "dnsmasq"), "it serves DHCP on a privileged port"),
}
"""Programs that need root (or capabilities a user does not have), and why."""
_COMMAND_START = r"(?:^|[;&|(`{]|\b(?:then|do|else|exec|sudo|nohup)\s)\s*(?:[^\s;&|()`]*/)?"
_ROOT_COMMAND = re.compile(
    _COMMAND_START
    + r"("
    + "|".join(re.escape(p) for p in sorted(_NEEDS_ROOT, key=len, reverse=True))
    + r")(?=$|[\s;&|)`])",
    re.MULTILINE,
)
_IP_CHANGE = re.compile(
    _COMMAND_START
    + r"ip\s+(?:-\S+\s+)*(?:route|r|link|l|addr|address|a|rule|neigh|tuntap|tunnel)\s+"
    r"(?:add|del|delete|set|change|replace|flush|append)(?=$|[\s;&|)`])",
    re.MULTILINE,
)
"""``ip route add``, ``ip link set``: a change to the network, not a listing."""
_WRAPPERS = frozenset({"tini", "tini-static", "dumb-init", "catatonit", "nohup", "exec", "--"})


def _root_program(ctx: FixContext, body: tuple[Instruction, ...]) -> str | None:
    """Why the command would fail without root: a program of :data:`_NEEDS_ROOT` (or an
    ``ip`` change) it starts, itself, through ``sh -c`` or in a script of the build
    context it starts; None when it starts none."""
    for text in _command_texts(body):
        found = _needs_root_in(text)
        if found is not None:
            return f"the command runs {found}"
    read = ctx.read_context_file
    for source in _started_scripts(body) if read is not None else []:
        script = read(source) if read is not None else None
        if script is None:
            continue
        code = "\n".join(
            line.split(" #", 1)[0]
            for line in script.splitlines()
            if not line.lstrip().startswith("#")
        )
        found = _needs_root_in(code)
        if found is not None:
            return f"{posixpath.basename(source)} runs {found}"
    return None


def _needs_root_in(text: str) -> str | None:
    if _IP_CHANGE.search(text) is not None:
        return "ip, which needs root: it changes the network's routes, links or addresses"
    match = _ROOT_COMMAND.search(text)
    if match is None:
        return None
    return f"{match.group(1)}, which needs root: {_NEEDS_ROOT[match.group(1)]}"


def _command_texts(body: tuple[Instruction, ...]) -> list[str]:
    """The texts the container's command is read from: the program with its arguments
    (after ``tini --`` and the like), and each shell script it is given (shell form,
    ``sh -c "..."``)."""
    texts: list[str] = []
    words: list[str] = []
    entrypoint, cmd = _last(body, "ENTRYPOINT"), _last(body, "CMD")
    for ins in (entrypoint, cmd):
        if ins is None:
            continue
        args = exec_args(ins)
        if args is None:
            texts.append(ins.args_text)
            if ins is entrypoint:
                break  # a shell-form ENTRYPOINT ignores CMD
            continue
        words.extend(args)
    while words and (posixpath.basename(words[0]) in _WRAPPERS or words[0].startswith("-")):
        words.pop(0)
    if words:
        texts.append(" ".join(words))
    texts.extend(
        word
        for i, word in enumerate(words[1:], 1)
        if words[i - 1] == "-c" or any(c in word for c in " \t\n;&|")
    )
    return texts


# --------------------------------------------------------------------------- the fix


def _plan(
    ctx: FixContext,
    chain: tuple[Stage, ...],
    base: BaseImage,
    ref: ImageRef | None,
    reused: str | None,
) -> _Plan | str:
    """The user to switch to and the script creating it; a reason when there is no fix."""
    body = tuple(ins for stage in chain for ins in stage.instructions)
    if ref is not None and (ref.is_scratch or "distroless/" in f"{ref.domain}/{ref.path}"):
        # no shell to create a user: one whose passwd entry the file copies in, or
        # the numeric user (scratch has no /etc/passwd) or distroless's own nonroot
        copied = _passwd_user(ctx, body)
        if copied is not None:
            return _switch(copied)
        return _switch(SCRATCH_USER if ref.is_scratch else reused or DISTROLESS_USER)
    if ref is not None and "chiseled" in (ref.tag or "").lower():
        return "a chiseled image has no shell to create a user: add one in a build stage"
    if reused is not None:
        return _switch(reused)
    if ref is not None and _is_dotnet(ref) and _dotnet_has_app_user(ref):
        return _switch(DOTNET_USER)
    family = base.family or _family_shown(ctx, body, ref)
    if base.unknown and family is None:
        return "the base image's operating system is unknown (FROM with a variable)"
    user = ctx.app_user
    commands: tuple[str, ...]
    if family in (DEBIAN, UBUNTU):
        commands = _useradd(user, "/usr/sbin/nologin")
    elif family == ALPINE:
        commands = (
            f"addgroup -S -g {user.uid} {user.name}",
            f"adduser -S -u {user.uid} -G {user.name} -H -s /sbin/nologin {user.name}",
        )
    elif family in _SHADOW_BASED:
        if not _shows_shadow_utils(ctx, body):
            return "no useradd in the image as far as the file shows: install shadow-utils first"
        commands = _useradd(user, "/sbin/nologin")
    else:
        return "the base image's operating system is unknown"
    workdir = _image_paths(chain).workdir
    handed: str | None = None
    if workdir is not None and _app_may_own(workdir) and not _owner_set(ctx, body, workdir):
        commands += (f"chown {user.name}:{user.name} {workdir}",)
        handed = workdir
    title = f"Create user `{user.name}` (uid {user.uid}) and switch to it"
    return _Plan(f"{user.uid}:{user.uid}", commands, title, handed)


def _switch(user: str) -> _Plan:
    return _Plan(user, (), f"Switch to user `{user}`")


def _family_shown(
    ctx: FixContext, body: tuple[Instruction, ...], ref: ImageRef | None
) -> str | None:
    """The family the stage view could not tell, from the image's name (``busybox``,
    ``azul/zulu-openjdk-alpine``, .NET's bare version tags) or, failing that, from the
    one kind of package manager the stage's RUNs call (``apk``: Alpine)."""
    if ref is not None:
        words = set(re.split(r"[/_.-]", ref.path.lower()))
        named = {f for word, f in _FAMILY_WORDS.items() if word in words}
        if len(named) == 1:
            return named.pop()
        if _is_dotnet(ref) and _bare_version(ref.tag):
            return DEBIAN  # .NET's Linux images without a distribution in the tag
    shown: set[str] = set()
    for ins in body:
        script = ctx.shell(ins) if ins.keyword == "RUN" else None
        if script is None:
            continue
        for command in script.commands:
            family = _MANAGER_FAMILY.get(command.program or "")
            if family is not None:
                shown.add(family)
    return shown.pop() if len(shown) == 1 else None


_FAMILY_WORDS = {"busybox": ALPINE, "alpine": ALPINE, "debian": DEBIAN, "ubuntu": UBUNTU}
"""Words of an image's name that say its distribution."""
_MANAGER_FAMILY = {
    **dict.fromkeys(("apt-get", "apt", "dpkg"), DEBIAN),
    "apk": ALPINE,
    **dict.fromkeys(("yum", "dnf", "microdnf"), RHEL_LIKE),
    "zypper": SUSE,
}
"""Package managers that say the distribution family (for creating a user, Ubuntu is
Debian and every RPM one is RHEL-like: the same tools)."""


def _useradd(user: AppUser, shell: str) -> tuple[str, ...]:
    return (
        f"groupadd --system --gid {user.uid} {user.name}",
        f"useradd --system --uid {user.uid} --gid {user.name}"
        f" --no-create-home --shell {shell} {user.name}",
    )


def _workdir(body: tuple[Instruction, ...]) -> str | None:
    """The image's working directory when the file sets it: None when no WORKDIR does
    (the base image decides), or one has a variable, or a relative one follows none."""
    workdir: str | None = None
    for ins in body:
        if ins.keyword == "WORKDIR":
            workdir = joined_workdir(workdir, ins)
    return workdir


def _app_may_own(path: str) -> bool:
    """A directory of the application, not of the distribution (``/app``, ``/srv/www``)
    nor someone's home (``/home/gradle``)."""
    if _PLAIN_PATH.fullmatch(path) is None:
        return False
    if path in _SYSTEM_DIRECTORIES or re.fullmatch(r"/home/[^/]+", path):
        return False
    return not f"{path}/".startswith((*_SYSTEM_TREES, *_SYSTEM_TREES_USR))


def _owner_set(ctx: FixContext, body: tuple[Instruction, ...], path: str) -> bool:
    """Whether a RUN gives ``path`` an owner already (``chown www-data /var/www/html``):
    the file has decided who owns it."""
    for ins in body:
        script = ctx.shell(ins) if ins.keyword == "RUN" else None
        if script is None:
            continue
        for command in script.commands:
            if command.program not in ("chown", "chgrp"):
                continue
            for word in command.effective_args:
                value = word.value if word.value is not None else ""
                if value.startswith("/") and posixpath.normpath(value) == path:
                    return True
    return False


_ANCHORS = frozenset({"RUN", "COPY", "ADD", "WORKDIR", "USER"})


def _anchor(top: Stage) -> Instruction:
    """The instruction the new lines follow: the last one of the final stage that
    may need root (or sets the user), else its FROM."""
    for ins in reversed(top.instructions):
        if ins.keyword in _ANCHORS:
            return ins
    return top.from_


def _chain(
    ctx: FixContext, tree: Dockerfile, stage_from: Instruction, plan: _Plan, newline: str
) -> str:
    """The commands joined by ``&&``, broken across lines the way the file's RUNs break
    their chains (on one line when none does)."""
    # asked for the stage's FROM, not a RUN: every RUN of the file has its say
    joint = file_joint(ctx, stage_from, "&&")
    if joint is None:
        return " && ".join(plan.commands)
    rest = (joint.render(tree.escape, newline, "", command) for command in plan.commands[1:])
    return plan.commands[0] + "".join(rest)


def _render(
    ctx: FixContext, tree: Dockerfile, anchor: Instruction, plan: _Plan, stage_from: Instruction
) -> str:
    newline = tree.line_break(anchor)
    span = anchor.keyword_span
    lower = ctx.text[span.start : span.end].islower()
    lines = []
    if plan.commands:
        chain = _chain(ctx, tree, stage_from, plan, newline)
        lines.append(f"{'run' if lower else 'RUN'} {chain}")
    lines.append(f"{'user' if lower else 'USER'} {plan.user}")
    text = newline.join(lines)
    if anchor.ends_with_line_break:
        return text + newline
    # the anchor ends the file without a line break: so does the new last line
    return newline + text
