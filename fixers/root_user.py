"""## What it does

Finds the shipped image (the `--target` stage, else the last one) whose
process runs as root: no `USER` in that stage or in the stages it is built
FROM, or the last `USER` is `root`, `0` or `0:<group>`. It switches the image
to an unprivileged user: it inserts a `RUN` that creates a system user and
group `app` (when the family of the base image is known and nothing in the
file creates a user yet), then `USER app`, after the last `RUN`, `COPY`,
`ADD`, `WORKDIR` or `USER` of the final stage, so that the `CMD`,
`ENTRYPOINT`, `HEALTHCHECK`, `EXPOSE`, `ENV` and `LABEL` lines after them
stay where they are and run as the new user.

The user is created the family's way:

- Debian, Ubuntu: `groupadd --system app && useradd --system --gid app
  --no-create-home --shell /usr/sbin/nologin app`;
- Alpine and BusyBox: `addgroup -S app && adduser -S -G app -H -s /sbin/nologin app`;
- RHEL, UBI, Fedora, Amazon Linux, SUSE: as Debian (shell `/sbin/nologin`), only
  when the file shows shadow-utils is there (a RUN calls `useradd` or
  `groupadd`, or installs `shadow-utils`);
- distroless (`gcr.io/distroless/...`): `USER nonroot`, the user those images have;
- `scratch`: `USER 65532:65532` (numeric: the image has no `/etc/passwd`).

A user the file already creates (`useradd NAME` / `adduser NAME` in a RUN of
the final stage or a stage it is built FROM) but never switches to is reused:
only `USER NAME` is inserted.

## Why

A process that runs as root in a container is root on the host's kernel: a
container escape, a mounted host path or a bad volume permission is then a
root compromise. An unprivileged user limits what an exploited process can do.

## Example

Before:

    FROM python:3.12-alpine
    WORKDIR /app
    COPY . .
    RUN pip install --no-cache-dir .
    CMD ["python", "-m", "app"]

After:

    FROM python:3.12-alpine
    WORKDIR /app
    COPY . .
    RUN pip install --no-cache-dir .
    RUN addgroup -S app && adduser -S -G app -H -s /sbin/nologin app
    USER app
    CMD ["python", "-m", "app"]

## Fix safety

Unsafe: the program then runs without root. Files the Dockerfile copied stay
owned by root (readable, not writable, by `app`): an application that writes
into its `WORKDIR`, its files or `/var/run` fails at run time; one that binds
a port below 1024 cannot. Applied only with `--unsafe-fixes`.

Opt-in: `ALL` does not select this rule (nearly every Dockerfile runs as root);
name it with `--select MF401` or `--extend-select MF4` (or in the configuration).

A finding without a fix when a fix would be wrong or a guess:

- a Windows image (no root user; `ContainerUser` is another question);
- the `ENTRYPOINT` or `CMD` drops privileges itself (`gosu`, `su-exec`,
  `setpriv`, `runuser`, `chroot --userspec`, `s6-setuidgid`, `supervisord`,
  `su`), a RUN installs `gosu` or `su-exec` (for the entrypoint script), or
  the base is an official image whose entrypoint script does (`postgres`,
  `redis`, `mysql`, `mariadb`, `mongo`, `rabbitmq`, ...) and the file keeps
  that entrypoint;
- the image binds a port below 1024 (`EXPOSE 80`, `--port 443` in the command,
  an `nginx`/`httpd` base): the port must change or the process be granted
  `CAP_NET_BIND_SERVICE`;
- the operating system of the base cannot be told (`FROM $BASE`, a private
  image), or it is RHEL-like and nothing shows `useradd` (`ubi-minimal` and
  `microdnf` images need `shadow-utils` installed first);
- the user the file creates is named by a variable;
- a chiseled Ubuntu image other than .NET's (no shell, no `useradd`).

No finding for bases known to run as non-root already: distroless `:nonroot`
tags, `cgr.dev/chainguard/*`, `bitnami/*`, `nginxinc/nginx-unprivileged`,
`jupyter/*` and `quay.io/jupyter/*`, .NET's `*-chiseled` images, and a final
stage built FROM an earlier stage that switched user.

## Caveats

Not done yet: the user name and uid are not configurable (always `app`, a
system uid chosen by the image's tools, or `nonroot`/65532); later `COPY`/`ADD`
get no `--chown` and the `WORKDIR` is not handed to the user; a `USER` inside
`ONBUILD` and the default user of other images (a private base may well set
one: it is then reported as an unknown family, never switched blindly) are not
read; an entrypoint script copied into the image is not read for a privilege
drop. Only the shipped image is checked: builder stages may run as root.

## Related

hadolint DL3002 (last USER should not be root). BuildKit has none.
"""

from __future__ import annotations

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
from manifesto.cst.values import buildkit_value, exec_args
from manifesto.cst.words import parse_words
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.images import ImageRef, parse_image
from manifesto.reasons import no_fix
from manifesto.shell import Word

INFO = RuleInfo(
    code="MF401",
    name="root_user",
    title="Run the image as an unprivileged user (create one, then `USER`); opt-in",
    applicability=Applicability.UNSAFE,
    related=("DL3002",),
    doc=__doc__ or "",
)

USER_NAME = "app"
SCRATCH_USER = "65532:65532"
DISTROLESS_USER = "nonroot"

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
_SHADOW_BASED = frozenset({RHEL_LIKE, FEDORA, AMAZONLINUX, SUSE})
_USER_CREATORS = frozenset({"useradd", "adduser"})
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
_PORT_OPTIONS = frozenset({"--port", "-p", "--listen", "--bind", "-b", "--http-port"})


@dataclass(frozen=True, slots=True)
class _Creator:
    """A user the file creates: its name as written (None: a variable)."""

    name: str | None


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
    dropper = _privilege_drop(body, root_ref) or _installed_dropper(ctx, body)
    if dropper is not None:
        return report(f"the entrypoint drops privileges itself ({dropper})")
    port = _low_port(body, root_ref)
    if port is not None:
        return report(
            f"binds port {port}, below 1024: change the port or grant CAP_NET_BIND_SERVICE"
        )
    creators = _created_users(ctx, body)
    if any(c.name is None for c in creators):
        return report("the user the file creates is named by a variable")
    reused = creators[-1].name if creators else None
    plan = _plan(ctx, body, base, root_ref, reused)
    if isinstance(plan, str):
        return report(plan)
    user, script = plan
    anchor = _anchor(top)
    content = _render(ctx, tree, anchor, user, script)
    title = f"Switch to user `{user}`" + ("" if script is None else " (created first)")
    edit = Edit.insert(anchor.end, content)
    return Violation(
        INFO.code,
        message,
        spot.start,
        spot.content_end,
        Fix(title, (edit,), Applicability.UNSAFE),
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
    if domain == "mcr.microsoft.com" and path.startswith("dotnet/") and "chiseled" in tag:
        # .NET's chiseled Ubuntu images set USER app (uid 1654) themselves
        return True
    if ref.is_docker_hub and path.startswith(("bitnami/", "nginxinc/nginx-unprivileged")):
        return True
    return path.startswith("jupyter/") and (ref.is_docker_hub or domain == "quay.io")


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
    official = ref is not None and ref.is_docker_hub and ref.namespace in (None, "library")
    keeps_entrypoint = _last(body, "ENTRYPOINT") is None
    if official and ref is not None and ref.name in _ENTRYPOINT_DROPS and keeps_entrypoint:
        return f"the {ref.name} image's entrypoint script"
    return None


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
    official = ref is not None and ref.is_docker_hub and ref.namespace in (None, "library")
    if official and ref is not None and ref.name in _LOW_PORT_BASES and not ports:
        return 80
    return None


# --------------------------------------------------------------------------- who exists


def _created_users(ctx: FixContext, body: tuple[Instruction, ...]) -> list[_Creator]:
    out: list[_Creator] = []
    for ins in body:
        script = ctx.shell(ins) if ins.keyword == "RUN" else None
        if script is None:
            continue
        for command in script.commands:
            if command.program not in _USER_CREATORS:
                continue
            names = _positional(command.effective_args)
            # ``adduser USER GROUP`` adds an existing user to a group: not a creation
            if len(names) == 1:
                out.append(_Creator(names[0]))
    return out


def _positional(args: tuple[Word, ...]) -> list[str | None]:
    """The operands of a useradd/adduser (None for one with a variable)."""
    positional: list[str | None] = []
    skip = False
    for word in args:
        value, text = word.value, word.text
        if skip:
            skip = False
            continue
        if value is not None and value.startswith("-"):
            skip = "=" not in value and value in _USERADD_VALUE_OPTIONS
            continue
        positional.append(value if value is not None and "$" not in text else None)
    return positional


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


# --------------------------------------------------------------------------- the fix


def _plan(
    ctx: FixContext,
    body: tuple[Instruction, ...],
    base: BaseImage,
    ref: ImageRef | None,
    reused: str | None,
) -> tuple[str, str | None] | str:
    """The user to switch to and the script creating it (None: nothing to create);
    a reason when there is no fix."""
    if ref is not None and ref.is_scratch:
        return SCRATCH_USER, None
    if ref is not None and "distroless/" in f"{ref.domain}/{ref.path}".lower():
        return (reused or DISTROLESS_USER), None
    if ref is not None and "chiseled" in (ref.tag or "").lower():
        return "a chiseled image has no shell to create a user: add one in a build stage"
    if reused is not None:
        return reused, None
    family = base.family
    if family is None and ref is not None and ref.name.lower() == "busybox":
        family = ALPINE
    if base.unknown and family is None:
        return "the base image's operating system is unknown (FROM with a variable)"
    if family in (DEBIAN, UBUNTU):
        return USER_NAME, _useradd("/usr/sbin/nologin")
    if family == ALPINE:
        return USER_NAME, (
            f"addgroup -S {USER_NAME} && adduser -S -G {USER_NAME} -H -s /sbin/nologin {USER_NAME}"
        )
    if family in _SHADOW_BASED:
        if _shows_shadow_utils(ctx, body):
            return USER_NAME, _useradd("/sbin/nologin")
        return "no useradd in the image as far as the file shows: install shadow-utils first"
    return "the base image's operating system is unknown"


def _useradd(shell: str) -> str:
    return (
        f"groupadd --system {USER_NAME} && useradd --system --gid {USER_NAME}"
        f" --no-create-home --shell {shell} {USER_NAME}"
    )


_ANCHORS = frozenset({"RUN", "COPY", "ADD", "WORKDIR", "USER"})


def _anchor(top: Stage) -> Instruction:
    """The instruction the new lines follow: the last one of the final stage that
    may need root (or sets the user), else its FROM."""
    for ins in reversed(top.instructions):
        if ins.keyword in _ANCHORS:
            return ins
    return top.from_


def _render(
    ctx: FixContext, tree: Dockerfile, anchor: Instruction, user: str, script: str | None
) -> str:
    newline = next((line.newline for line in anchor.lines if line.newline), None)
    if newline is None:
        newline = next(
            (ln.newline for i in tree.instructions for ln in i.lines if ln.newline), "\n"
        )
    span = anchor.keyword_span
    lower = ctx.text[span.start : span.end].islower()
    lines = [] if script is None else [f"{'run' if lower else 'RUN'} {script}"]
    lines.append(f"{'user' if lower else 'USER'} {user}")
    text = newline.join(lines)
    if anchor.lines[-1].newline:
        return text + newline
    # the anchor ends the file without a newline: so does the new last line
    return newline + text
