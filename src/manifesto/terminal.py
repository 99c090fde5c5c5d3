"""Text that a terminal shows but never obeys.

A Dockerfile, and a file's name, are written by whoever wrote the repository:
an ESC sequence in a RUN line or in ``Dockerfile.\\e]0;title\\a`` would move the
cursor, erase lines or set the window title when a report quotes it, and a bidi
override would make the text read differently from what it is. Every human
format, error message and file name goes through :func:`printable` before it is
written:

* C0 controls and DEL become their Unicode pictures (``␛``, ``␍``, ``␡``), the
  convention the ``full`` report already used for source lines; tab and newline
  are kept where the caller says they are layout (``keep``).
* C1 controls (U+0080 to U+009F, among them the one-byte CSI U+009B) become
  ``\\x9b``: there is no picture for them.
* Invisible format characters that reorder or hide text (bidi embeddings,
  overrides and isolates U+202A to U+202E and U+2066 to U+2069, the marks U+200E,
  U+200F and U+061C, zero-width U+200B to U+200D, U+FEFF) and the line and paragraph
  separators U+2028 and U+2029 become ``\\u202e``.
* Lone surrogates, which is what :func:`os.fsdecode` leaves for the bytes of a
  file name that are not UTF-8, become ``\\xff`` (the byte), so that writing a
  name never raises UnicodeEncodeError.

Backslashes are not doubled: the escapes are for a reader's eyes, not to be
parsed back (diff headers use git's reversible quoting, see
:mod:`manifesto.diff`).
"""

from __future__ import annotations

import re
from typing import IO

_SEPARATORS_AND_FORMAT = (
    "\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f" + _SEPARATORS_AND_FORMAT + "\ud800-\udfff]",
)


def _replacement(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if code <= 0x9F:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """``text`` with every character a terminal would obey made visible.

    Characters in ``keep`` (some of ``"\\t\\n\\r"``) are left as they are.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: m[0] if m[0] in keep else _replacement(m[0]), text)


def printable_lines(text: str) -> str:
    """Multi-line text (a diff, a fixed file) for a terminal: layout kept, the rest visible.

    Tabs, newlines and the ``\\r`` of a CRLF stay as they are; a ``\\r`` anywhere
    else would return the cursor to the start of the line and let the rest of
    the line overwrite what was shown, so it is pictured.
    """
    if _UNSAFE.search(text) is None:
        return text
    lines = text.split("\n")
    shown = [
        printable(line[:-1], "\t") + "\r" if line.endswith("\r") else printable(line, "\t")
        for line in lines[:-1]
    ]
    shown.append(printable(lines[-1], "\t"))
    return "\n".join(shown)


def write(stream: IO[str], text: str) -> None:
    """Write ``text``; a stream whose encoding cannot hold a character gets an escape instead."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
