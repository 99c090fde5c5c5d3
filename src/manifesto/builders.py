"""The container builders ``manifesto measure`` drives: Docker (BuildKit), Podman, Buildah.

Each is reached only through its command line, with a time limit on every call, so a
builder that hangs fails the measurement instead of the run. Nothing here knows about
Dockerfile fixes: build a file under a tag, read the image's size and layers, list its
files, remove what was built.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

KINDS: Final = ("docker", "podman", "buildah")
"""Detection order: the builder most users have first."""

LOG_TAIL_LINES: Final = 25
QUERY_TIMEOUT: Final = 120.0
"""Seconds for a call that only asks the builder something (inspect, history, rmi)."""

# What a build prints for each image it commits: buildah and podman "--> 1dfb2e536fc",
# Docker's legacy builder " ---> 1dfb2e536fc". Those images are ours to remove.
_COMMITTED = re.compile(r"^\s*-{2,3}> (?:Using cache )?([0-9a-f]{10,64})\s*$", re.MULTILINE)


class BuilderError(Exception):
    """The builder could not be used: not installed, not running, or it failed a query."""


@dataclass(frozen=True, slots=True)
class Builder:
    kind: str
    """One of :data:`KINDS`."""
    executable: str


@dataclass(frozen=True, slots=True)
class Layer:
    created_by: str
    """The instruction that made the layer, as the builder recorded it."""
    size: int
    """Bytes, uncompressed."""


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    ok: bool
    seconds: float
    log_tail: str
    """The last :data:`LOG_TAIL_LINES` lines the builder printed."""
    committed: tuple[str, ...] = ()
    """IDs of the images the build committed (intermediate ones included)."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    kind: str
    """``file``, ``dir``, ``link``, ``other``."""
    mode: int
    """Permission bits and owner, the things a fix could change without changing content."""
    owner: tuple[int, int]
    content: str
    """sha256 of a file's bytes, a link's target, or ``""``."""


def detect(
    preferred: str | None = None,
    *,
    which: Callable[[str], str | None] = shutil.which,
    env: Mapping[str, str] | None = None,
) -> Builder:
    """The builder to use: ``preferred`` when given, else the first of :data:`KINDS` that is
    installed and answers (a ``docker`` client without a daemon is passed over)."""
    if preferred is not None:
        if preferred not in KINDS:
            raise BuilderError(f"unknown builder {preferred!r}: choose one of {', '.join(KINDS)}")
        path = which(preferred)
        if path is None:
            raise BuilderError(f"builder {preferred!r} not found on PATH")
        builder = Builder(preferred, path)
        _check_answers(builder, env)
        return builder
    tried = []
    for kind in KINDS:
        path = which(kind)
        if path is None:
            continue
        builder = Builder(kind, path)
        try:
            _check_answers(builder, env)
        except BuilderError as exc:
            tried.append(str(exc))
            continue
        return builder
    detail = f" ({'; '.join(tried)})" if tried else ""
    raise BuilderError(
        "no container builder found: install Docker, Podman or Buildah, or name one "
        f"with --builder{detail}"
    )


def _check_answers(builder: Builder, env: Mapping[str, str] | None) -> None:
    # `docker version` exits non-zero when the client cannot reach the daemon, the
    # usual case of a docker CLI installed next to podman or on a CI without a socket.
    try:
        done = _call(builder, ["version"], timeout=30.0, env=env)
    except subprocess.TimeoutExpired:
        raise BuilderError(f"{builder.kind} did not answer within 30 s") from None
    except OSError as exc:
        raise BuilderError(f"{builder.kind}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        last = _tail(done.stdout + done.stderr, 1).strip()
        raise BuilderError(
            f"{builder.kind} does not answer: {last or 'exit ' + str(done.returncode)}"
        )


def _call(
    builder: Builder,
    args: Sequence[str],
    *,
    timeout: float = QUERY_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [builder.executable, *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _query(builder: Builder, args: Sequence[str]) -> str:
    try:
        done = _call(builder, args)
    except subprocess.TimeoutExpired:
        raise BuilderError(
            f"{builder.kind} {args[0]} took longer than {QUERY_TIMEOUT:.0f} s"
        ) from None
    if done.returncode != 0:
        raise BuilderError(f"{builder.kind} {' '.join(args[:2])}: {_tail(done.stderr, 3).strip()}")
    return done.stdout


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def build(
    builder: Builder, dockerfile: Path, context: Path, tag: str, *, timeout: float
) -> BuildOutcome:
    """Build ``dockerfile`` in ``context`` as ``tag``, from scratch (no cache: the time is the
    build's own, and the fixed file does not reuse layers of the original)."""
    args = _build_args(builder, dockerfile, context, tag)
    env = dict(os.environ)
    if builder.kind == "docker":
        env.setdefault("DOCKER_BUILDKIT", "1")
    start = time.monotonic()
    try:
        done = subprocess.run(
            [builder.executable, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (
            exc.output
            if isinstance(exc.output, str)
            else (exc.output or b"").decode(errors="replace")
        )
        return BuildOutcome(
            False,
            time.monotonic() - start,
            _tail(output, LOG_TAIL_LINES) + f"\n(build stopped after {timeout:.0f} s)",
            tuple(_COMMITTED.findall(output)),
        )
    seconds = time.monotonic() - start
    return BuildOutcome(
        done.returncode == 0,
        seconds,
        _tail(done.stdout, LOG_TAIL_LINES),
        tuple(_COMMITTED.findall(done.stdout)),
    )


def _build_args(builder: Builder, dockerfile: Path, context: Path, tag: str) -> list[str]:
    common = ["--no-cache", "--force-rm", "-f", str(dockerfile), "-t", tag]
    if builder.kind == "docker":
        return ["build", "--progress=plain", *common, str(context)]
    # --layers: one layer per instruction, as Docker does, so that layer sizes can be told
    # apart (buildah's default commits the whole build as one layer). Isolation and
    # storage are the user's (BUILDAH_ISOLATION, STORAGE_DRIVER, containers.conf).
    if builder.kind == "podman":
        return ["build", "--layers", *common, str(context)]
    return ["bud", "--layers", *common, str(context)]


def layers(builder: Builder, tag: str) -> tuple[Layer, ...]:
    """The image's layers, base first, each with the instruction that made it. Steps that
    made no layer (ENV, CMD...) are left out."""
    if builder.kind == "buildah":
        return _buildah_layers(json.loads(_query(builder, ["inspect", "--type", "image", tag])))
    if builder.kind == "podman":
        out = _query(builder, ["image", "history", "--no-trunc", "--format", "json", tag])
        return _podman_layers(json.loads(out))
    out = _query(
        builder,
        ["image", "history", "--no-trunc", "--human=false", "--format", "{{json .}}", tag],
    )
    return _docker_layers(out)


def _buildah_layers(inspect: Mapping[str, object]) -> tuple[Layer, ...]:
    """Pair the OCI history (one entry per step) with the manifest's layers (one per step
    that was not ``empty_layer``); a layer's size is its uncompressed tar's."""
    manifest = inspect.get("Manifest")
    parsed = json.loads(manifest) if isinstance(manifest, str) else {}
    sizes = [int(layer.get("size", 0)) for layer in parsed.get("layers", [])]
    oci = inspect.get("OCIv1")
    history = oci.get("history", []) if isinstance(oci, dict) else []
    out: list[Layer] = []
    for entry in history or []:
        if entry.get("empty_layer"):
            continue
        size = sizes[len(out)] if len(out) < len(sizes) else 0
        out.append(Layer(clean_created_by(str(entry.get("created_by", ""))), size))
    # layers with no history entry (an image committed without one) still count
    out += [Layer("", size) for size in sizes[len(out) :]]
    return tuple(out)


def _podman_layers(entries: Sequence[Mapping[str, object]]) -> tuple[Layer, ...]:
    # newest first, like `docker history`
    out = []
    for entry in reversed(entries):
        size = int(str(entry.get("size", 0)))
        created_by = str(entry.get("createdBy", entry.get("CreatedBy", "")))
        if size or not _is_metadata_step(created_by):
            out.append(Layer(clean_created_by(created_by), size))
    return tuple(out)


def _docker_layers(lines: str) -> tuple[Layer, ...]:
    out = []
    for line in reversed(lines.splitlines()):
        if not line.strip():
            continue
        entry = json.loads(line)
        size = _docker_size(str(entry.get("Size", "0")))
        created_by = str(entry.get("CreatedBy", ""))
        if size or not _is_metadata_step(created_by):
            out.append(Layer(clean_created_by(created_by), size))
    return tuple(out)


_UNITS: Final = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}


def _docker_size(text: str) -> int:
    """``--human=false`` gives bytes; older clients still say ``1.2MB``."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = re.fullmatch(r"([\d.]+)\s*([KMGT]?B)", text, re.IGNORECASE)
    if match is None:
        return 0
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _is_metadata_step(created_by: str) -> bool:
    text = clean_created_by(created_by)
    return text.split(" ", 1)[0].upper() in {
        "ENV", "CMD", "ENTRYPOINT", "LABEL", "EXPOSE", "USER", "WORKDIR", "ARG",
        "SHELL", "STOPSIGNAL", "HEALTHCHECK", "VOLUME", "ONBUILD", "MAINTAINER",
    }  # fmt: skip


def clean_created_by(text: str) -> str:
    """The instruction without the builder's wrapping: ``/bin/sh -c #(nop) ``, the
    ``|2 A=1 B=2`` of build arguments, BuildKit's ``# buildkit`` comment."""
    text = re.sub(r"\s*# buildkit$", "", text.strip())
    text = re.sub(r"^RUN (?=\|\d|/bin/sh -c )", "", text)  # BuildKit: RUN |1 A=1 /bin/sh -c
    text = re.sub(r"^\|\d+(?: \S+=\S*)* ", "", text)
    text = re.sub(r"^/bin/sh -c #\(nop\)\s*", "", text)
    return re.sub(r"^/bin/sh -c ", "RUN ", text).strip()


def image_size(layers_of_image: Sequence[Layer]) -> int:
    """Bytes of the image on disk, uncompressed: the sum of its layers."""
    return sum(layer.size for layer in layers_of_image)


def remove(builder: Builder, tags: Sequence[str], committed: Sequence[str]) -> list[str]:
    """Remove the tags, then the images the builds committed and that nothing else
    holds; returns what could not be removed (an image still used by someone else's
    image is left, and named)."""
    left: list[str] = []
    for name in tags:
        if not _exists(builder, name):
            continue
        if not _rmi(builder, name):
            left.append(name)
    for image_id in reversed(committed):  # children first
        if _exists(builder, image_id) and not _rmi(builder, image_id):
            left.append(image_id)
    return left


def _exists(builder: Builder, name: str) -> bool:
    try:
        done = _call(
            builder,
            ["image", "inspect", name]
            if builder.kind != "buildah"
            else ["inspect", "--type", "image", name],
        )
    except subprocess.TimeoutExpired:
        return True  # let rmi try, and report it
    return done.returncode == 0


def _rmi(builder: Builder, name: str) -> bool:
    try:
        done = _call(builder, ["rmi", name])
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def file_tree(builder: Builder, tag: str) -> dict[str, FileEntry]:
    """Every path of the image's root filesystem and what it holds. Modification times
    are not compared: two builds of the same file never agree on them."""
    if builder.kind == "docker":
        return _docker_tree(builder, tag)
    if builder.kind == "podman":
        path = _query(builder, ["image", "mount", tag]).strip()
        try:
            return tree_of_directory(Path(path))
        finally:
            _call(builder, ["image", "unmount", tag])
    container = _query(builder, ["from", "--pull-never", "--quiet", tag]).strip().splitlines()[-1]
    try:
        path = _query(builder, ["mount", container]).strip()
        try:
            return tree_of_directory(Path(path))
        finally:
            _call(builder, ["umount", container])
    finally:
        _call(builder, ["rm", container])


def _docker_tree(builder: Builder, tag: str) -> dict[str, FileEntry]:
    container = _query(builder, ["create", tag]).strip()
    try:
        with subprocess.Popen(
            [builder.executable, "export", container],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as proc:
            assert proc.stdout is not None
            try:
                return tree_of_tar(proc.stdout)
            finally:
                proc.stdout.close()
                proc.wait(timeout=QUERY_TIMEOUT)
    finally:
        _call(builder, ["rm", "-f", container])


def tree_of_directory(root: Path) -> dict[str, FileEntry]:
    """Paths below ``root``, as absolute paths of the image (``/etc/passwd``)."""
    out: dict[str, FileEntry] = {}
    for path, st in _walk(root):
        name = "/" + path.relative_to(root).as_posix()
        owner = (st.st_uid, st.st_gid)
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISREG(st.st_mode):
            out[name] = FileEntry("file", mode, owner, _sha256_file(path))
        elif stat.S_ISDIR(st.st_mode):
            out[name] = FileEntry("dir", mode, owner, "")
        elif stat.S_ISLNK(st.st_mode):
            out[name] = FileEntry("link", mode, owner, os.readlink(path))
        else:
            out[name] = FileEntry("other", mode, owner, str(stat.S_IFMT(st.st_mode)))
    return out


def _walk(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    # never follows links: an image's /proc or absolute links point into the host
    stack = [root]
    while stack:
        directory = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                path = Path(entry.path)
                st = entry.stat(follow_symlinks=False)
                yield path, st
                if stat.S_ISDIR(st.st_mode):
                    stack.append(path)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_of_tar(stream: IO[bytes]) -> dict[str, FileEntry]:
    """The same from a flattened root filesystem (``docker export``)."""
    out: dict[str, FileEntry] = {}
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            name = "/" + member.name.lstrip("./").rstrip("/")
            if name == "/":
                continue
            owner = (member.uid, member.gid)
            if member.isreg():
                digest = hashlib.sha256()
                extracted = archive.extractfile(member)
                while extracted is not None and (chunk := extracted.read(1 << 20)):
                    digest.update(chunk)
                out[name] = FileEntry("file", member.mode, owner, digest.hexdigest())
            elif member.isdir():
                out[name] = FileEntry("dir", member.mode, owner, "")
            elif member.issym():
                out[name] = FileEntry("link", member.mode, owner, member.linkname)
            elif member.islnk():
                # a hard link has its target's content
                target = out.get("/" + member.linkname.lstrip("./"))
                out[name] = FileEntry("file", member.mode, owner, target.content if target else "")
            else:
                out[name] = FileEntry("other", member.mode, owner, "")
    return out
