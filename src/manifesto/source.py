"""File I/O at the edge: reading with clear errors, atomic writes.

The core works on ``str``; this module turns bytes into text (refusing what is
not a Dockerfile we can safely rewrite) and text back into bytes on disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from pathlib import Path

_CONFLICT = re.compile(r"^(<{7}|>{7})(?: |$)")
_TEMPLATE_LINE = re.compile(r"^\s*(\{\{|\{%|\{#)")
_TEMPLATE_IN_FROM = re.compile(r"^\s*(?i:from|arg)\s.*(\{\{.*\}\}|\{%.*%\}|%%[A-Z0-9_]+%%)")


class SourceError(Exception):
    """Input we will not touch, located as ``path:line:col: message``."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.message = message


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return line, column


def decode(data: bytes, path: str) -> str:
    """UTF-8 text of a Dockerfile.

    SourceError for binary, invalid, conflicted or templated input.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        raise SourceError(path, line, col, "binary file (NUL byte): not a Dockerfile")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise SourceError(
            path, line, col, f"invalid UTF-8 (byte 0x{data[exc.start]:02x}): not rewriting"
        ) from None
    check_text(text, path)
    return text


def check_text(text: str, path: str) -> None:
    """Refuse merge-conflict markers and template syntax: their output would be wrong."""
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.rstrip("\r")
        if _CONFLICT.match(content) and not content.startswith("="):
            raise SourceError(path, number, 1, "merge-conflict marker: resolve the conflict first")
        template = _TEMPLATE_LINE.match(content) or _TEMPLATE_IN_FROM.match(content)
        if template:
            col = template.start(1) + 1 if template.lastindex else 1
            raise SourceError(
                path, number, col, "template syntax: this is a template, not a Dockerfile"
            )


def read_source(path: Path, display: str | None = None) -> str:
    shown = display or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(shown, 1, 1, "no such file") from None
    except IsADirectoryError:
        raise SourceError(shown, 1, 1, "is a directory") from None
    except PermissionError:
        raise SourceError(shown, 1, 1, "permission denied") from None
    except OSError as exc:
        raise SourceError(shown, 1, 1, exc.strerror or str(exc)) from None
    return decode(data, shown)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8): temp file beside it, fsync, same mode, rename."""
    data = text.encode("utf-8")
    target = path.resolve()
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".manifesto", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
