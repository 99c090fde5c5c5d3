"""Reading and replacing files in trees nobody vetted.

manifesto runs over whole organisations and inside review bots on pull
requests from forks, so every file it opens may be hostile: a FIFO that never
delivers a byte, a symbolic link to ``/dev/zero``, a gigabyte of text. It reads
only regular files, and at most a limit; anything else is refused with a short
message (:class:`RefusedFile`) before a byte is read.

Writes replace a file through a temporary file in the same directory and a
rename, so that a reader — or a crash, or ``kill -9`` — sees the old bytes or
the new ones, never a mix. The replacement keeps the mode, owner, group (when
the process may set them) and extended attributes. Temporary files are named
``.manifesto-tmp-<host>-<pid>-<random>``: a name discovery never takes for a
Dockerfile, that says who created it, so a later run can remove the ones left
by a process that died (see :func:`remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_MAX_IGNORE_FILE_SIZE",
    "TEMP_PREFIX",
    "RefusedFile",
    "Replaced",
    "describe_size",
    "is_inside",
    "is_temporary_name",
    "read_regular_file",
    "remove_stale_temporaries",
    "replace_file",
]

MIB = 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 8 * MIB
"""Largest Dockerfile read; the biggest in our corpus of real ones is under 100 KiB."""
DEFAULT_MAX_IGNORE_FILE_SIZE = 1 * MIB
"""Largest ``.gitignore``, ``info/exclude``, ``commondir`` or configuration file read."""

TEMP_PREFIX = ".manifesto-tmp-"
STALE_AGE_SECONDS = 600.0
"""A temporary file older than this is a leftover whoever created it: a rename takes ms."""

_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"([0-9a-f]{8})-([0-9]+)-[0-9a-f]{8}")
_READ_CHUNK = MIB

# Signals whose default action would end the process between creating the
# temporary file and renaming it; they wait until the file is in place.
_DEFERRED_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT})


class RefusedFile(Exception):
    """A file we will not read: not a regular file, or larger than the limit."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (links followed), at most ``limit`` of them.

    Raises :class:`RefusedFile` for anything that is not a regular file (a FIFO,
    a device, a socket, a directory) and for a file larger than ``limit``; an
    :class:`OSError` when the file cannot be opened.

    The file type is checked with ``stat`` *before* opening, because opening a
    device can itself have effects (a tape rewinds, a watchdog arms), and again
    with ``fstat`` on what was opened, in case the name was swapped in between.
    ``O_NONBLOCK`` makes the open of a FIFO return at once instead of waiting for
    a writer that may never come.
    """
    _check_regular(os.stat(path))
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        _check_regular(info)
        if info.st_size > limit:
            raise RefusedFile(_too_large(info.st_size, limit))
        return _read_at_most(fd, limit, expected=info.st_size)
    finally:
        os.close(fd)


def _check_regular(info: os.stat_result) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    if stat.S_ISDIR(info.st_mode):
        raise RefusedFile("is a directory")
    raise RefusedFile(f"not a regular file ({_file_kind(info.st_mode)})")


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    )
    return next((name for test, name in kinds if test(mode)), "unknown type")


def _read_at_most(fd: int, limit: int, expected: int) -> bytes:
    """Read to the end, failing once more than ``limit`` bytes came.

    ``st_size`` is only a hint: the file may grow while we read it, and files in
    ``/proc`` report 0 and then deliver content.
    """
    chunks: list[bytes] = []
    total = 0
    want = min(expected + 1, limit + 1) if expected else _READ_CHUNK
    while True:
        chunk = os.read(fd, max(1, min(want, limit + 1 - total)))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise RefusedFile(f"file too large (more than the {describe_size(limit)} limit)")
        want = _READ_CHUNK


def _too_large(size: int, limit: int) -> str:
    return f"file too large ({describe_size(size)} > {describe_size(limit)} limit)"


def describe_size(size: int) -> str:
    """``8 MiB``, ``1.5 MiB``, ``512 KiB``, ``100 bytes``: short and exact enough."""
    for unit, name in ((1024 * MIB, "GiB"), (MIB, "MiB"), (1024, "KiB")):
        if size >= unit:
            value = size / unit
            return f"{value:.0f} {name}" if value == int(value) else f"{value:.1f} {name}"
    return f"{size} bytes"


def is_inside(real: str, roots: tuple[str, ...]) -> bool:
    """Whether the resolved path ``real`` is one of ``roots`` or below one (all resolved)."""
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


# ---------------------------------------------------------------------------
# Replacing


@dataclass(frozen=True, slots=True)
class Replaced:
    """What replacing a file did besides writing it."""

    broken_links: int = 0
    """Other hard links to the old file: they keep the old content (the rename detaches them)."""


def replace_file(path: str, data: bytes) -> Replaced:
    """Atomically replace the regular file at the resolved path ``path`` with ``data``.

    The new file gets the old one's mode, owner and group (when permitted) and
    extended attributes (those the file system and our privileges let us set).
    The rename replaces the *name*: other hard links to the file keep the old
    content, which :attr:`Replaced.broken_links` reports. Writing in place
    instead would keep the links but lose atomicity, and would write through a
    link whose other name may lie outside the tree being fixed.
    """
    info = os.stat(path, follow_symlinks=False)
    if not stat.S_ISREG(info.st_mode):
        raise RefusedFile(f"not a regular file ({_file_kind(info.st_mode)}): not written")
    directory = os.path.dirname(path)
    remove_stale_temporaries(directory)
    temporary = os.path.join(directory, _temporary_name())
    with _signals_deferred():
        try:
            _write_copy(temporary, data, path, info)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    _fsync_directory(directory)
    return Replaced(broken_links=max(0, info.st_nlink - 1))


def _write_copy(temporary: str, data: bytes, original: str, info: os.stat_result) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        _copy_owner(fd, info)
        # after chown, which clears set-user-ID and set-group-ID bits
        os.fchmod(fd, stat.S_IMODE(info.st_mode))
        _copy_xattrs(original, fd)
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_owner(fd: int, info: os.stat_result) -> None:
    if (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid()):
        return
    with contextlib.suppress(PermissionError):
        os.fchown(fd, info.st_uid, info.st_gid)
        return
    # not root: we may still be allowed to keep the group (one of ours)
    with contextlib.suppress(PermissionError):
        os.fchown(fd, -1, info.st_gid)


_XATTR_UNSUPPORTED = frozenset({errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})


def _copy_xattrs(original: str, fd: int) -> None:
    """Copy every extended attribute we are allowed to set (ACLs, user.*, security.*)."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(original)
    except OSError as error:
        if error.errno in _XATTR_UNSUPPORTED:
            return
        raise
    for name in names:
        try:
            os.setxattr(fd, name, os.getxattr(original, name))
        except OSError as error:
            # security.* needs privileges, trusted.* needs root, some file
            # systems take no attributes: keep what can be kept
            if error.errno not in (*_XATTR_UNSUPPORTED, errno.EPERM, errno.EACCES, errno.ENODATA):
                raise


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back termination signals while the temporary file exists.

    Then ``kill`` (or Ctrl-C in a worker whose SIGTERM has its default action)
    during a write lands after the rename: the file is new and no temporary is
    left. Only SIGKILL cannot be held; its leftovers are removed by a later run.
    Signal masks are per thread; the writes happen on the main thread.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _fsync_directory(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------
# Temporary files


def _host_tag() -> str:
    """Eight hex digits naming this machine: a process id means nothing on another host."""
    return f"{zlib.crc32(os.uname().nodename.encode()) if hasattr(os, 'uname') else 0:08x}"


def _temporary_name() -> str:
    import secrets  # here: only a write needs it, and it costs start-up time (hashlib)

    return f"{TEMP_PREFIX}{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"


def is_temporary_name(name: str) -> bool:
    """Whether ``name`` is one of our temporary files (never a Dockerfile to process)."""
    return name.startswith(TEMP_PREFIX)


_swept: set[str] = set()
"""Directories already swept by this process: one scan per directory per run is enough."""


def remove_stale_temporaries(directory: str, now: float | None = None) -> list[str]:
    """Delete our temporary files left in ``directory`` by processes that died.

    A temporary file is stale when it is older than :data:`STALE_AGE_SECONDS`,
    or when it was created on this host by a process that no longer exists. A
    live concurrent run's files are young and their process exists: they stay.
    Returns the names removed. Each directory is swept once per process unless
    ``now`` is given (tests).
    """
    if now is None:
        if directory in _swept:
            return []
        _swept.add(directory)
    removed: list[str] = []
    moment = time.time() if now is None else now
    try:
        with os.scandir(directory) as entries:
            candidates = [entry for entry in entries if is_temporary_name(entry.name)]
    except OSError:
        return removed
    for entry in candidates:
        if _is_stale(entry, moment):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


def _is_stale(entry: os.DirEntry[str], now: float) -> bool:
    match = _TEMP_NAME.fullmatch(entry.name)
    if match is None:
        return False
    try:
        if not entry.is_file(follow_symlinks=False):
            return False
        modified = entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    if now - modified > STALE_AGE_SECONDS:
        return True
    host, pid = match[1], int(match[2])
    return host == _host_tag() and pid != os.getpid() and not _process_exists(pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return True
    if sys.platform == "linux":
        # a killed worker whose parent has not reaped it yet is a zombie: dead
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rpartition(b")")[2].split()
            return not fields or fields[0] != b"Z"
    return True
