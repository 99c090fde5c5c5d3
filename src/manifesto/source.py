"""File I/O at the edge: reading with clear errors, atomic writes.

The core works on ``str``; this module turns bytes into text (refusing what is
not a Dockerfile we can safely rewrite) and text back into bytes on disk.
"""

from __future__ import annotations

import os
from pathlib import Path


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
    """Refuse merge-conflict markers and template syntax: their output would be wrong.

    What counts, and the ``{{`` a real Dockerfile may hold, is described in
    :mod:`manifesto.foreign_syntax`.
    """
    from manifesto.foreign_syntax import find_foreign_syntax

    found = find_foreign_syntax(text)
    if found is not None:
        raise SourceError(path, found.line, found.column, found.message)


def read_source(path: Path, display: str | None = None, limit: int | None = None) -> str:
    """The text of the Dockerfile at ``path``; SourceError when it cannot or must not be read.

    Only a regular file is read (a FIFO would block, ``/dev/zero`` never ends),
    and at most ``limit`` bytes (default: ``fileio.DEFAULT_MAX_FILE_SIZE``).
    """
    from manifesto.fileio import DEFAULT_MAX_FILE_SIZE, RefusedFile, read_regular_file

    shown = display or str(path)
    try:
        data = read_regular_file(path, DEFAULT_MAX_FILE_SIZE if limit is None else limit)
    except RefusedFile as exc:
        raise SourceError(shown, 1, 1, exc.message) from None
    except FileNotFoundError:
        raise SourceError(shown, 1, 1, "no such file") from None
    except PermissionError:
        raise SourceError(shown, 1, 1, "permission denied") from None
    except OSError as exc:
        raise SourceError(shown, 1, 1, exc.strerror or str(exc)) from None
    return decode(data, shown)


def write_atomic(path: Path, text: str) -> int:
    """Replace the file ``path`` resolves to with ``text`` (UTF-8), atomically.

    A symbolic link stays a link: its target is replaced. Mode, owner, group and
    extended attributes are kept (see ``fileio.replace_file``). Returns the
    number of other hard links to the old file, which keep the old content.
    """
    from manifesto.fileio import replace_file

    return replace_file(os.path.realpath(path), text.encode("utf-8")).broken_links
