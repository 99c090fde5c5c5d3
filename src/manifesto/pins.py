"""Image pins: the offline source of truth for tags and digests, and the lock file.

A pin says what a reference should be written as: for a floating reference
(``python``, ``python:latest``) the most specific version tag that pointed at
the same image (``3.13.1-slim-bookworm``) and that image's digest; for a tagged
one (``python:3.12``) just the digest. Digests are always the digest of what the
tag names at the top: an OCI index or Docker manifest list for a multi-platform
image, never one platform's manifest.

Pins come from ``manifesto.lock`` next to the configuration (``manifesto pin
--update`` writes it), from ``[tool.manifesto.pins]`` (config wins), and, when
asked with ``--resolve``, from a registry (:mod:`manifesto.oci`). Everything
here is pure except :func:`read_lock` and :func:`write_lock`.

The lock file is TOML, keyed by the reference as written, tag included
(``latest`` spelled out), so ``python`` and ``docker.io/library/python:latest``
share one entry::

    version = 1

    [pins]
    "python:latest" = { tag = "3.13.1-slim-bookworm", digest = "sha256:..." }
    "ghcr.io/acme/app:1.4" = { digest = "sha256:..." }
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from manifesto.images import ImageRef, parse_image

__all__ = [
    "LOCK_FILENAME",
    "LOCK_VERSION",
    "ImagePins",
    "Pin",
    "PinFileError",
    "most_specific_tag",
    "pin_key",
    "pins_from_table",
    "read_lock",
    "render_lock",
    "tag_specificity",
    "version_of",
    "write_lock",
]

LOCK_FILENAME: Final = "manifesto.lock"
LOCK_VERSION: Final = 1
LATEST: Final = "latest"

# A version tag: numbers joined by dots, optionally ``v``-prefixed, optionally a
# variant after a separator (``3.13.1-slim-bookworm``, ``v1.2``, ``22-alpine``).
# ``3.14.0rc1`` does not match: a pre-release is not what ``latest`` points at.
_VERSION_TAG: Final = re.compile(
    r"v?(?P<version>\d+(?:\.\d+)*)(?:[-_+](?P<variant>[A-Za-z0-9][A-Za-z0-9_.+-]*))?"
)
_COMPONENT_SPLIT: Final = re.compile(r"[-_.+]")


class PinFileError(Exception):
    """A lock file or pins table that cannot be used; ``str()`` is ``path:line:col: message``."""

    def __init__(self, path: Path | str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(path, message, line, column)
        self.path = path
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Pin:
    """What a reference is pinned to: a version tag (floating references only), a digest."""

    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        # Validate through ImageRef so a pin can never write a reference that
        # does not parse.
        ImageRef(None, "x", self.tag, self.digest)
        if self.tag == LATEST:
            raise ValueError("a pin's tag must not be 'latest'")


def pin_key(ref: ImageRef) -> str:
    """The lookup key of a reference: repository fully qualified, tag (``latest`` if none)."""
    return f"{ref.repository}:{ref.tag or LATEST}"


@dataclass(frozen=True, slots=True)
class ImagePins:
    """The resolved pins of one run, handed to fixers read-only through the fix context.

    ``write_digest``: write ``name:tag@digest`` (``--digest``). ``refresh``: replace a
    digest that no longer matches its tag's pin (``--refresh``).
    """

    entries: Mapping[str, Pin] = field(default_factory=dict)
    """:func:`pin_key` -> pin. A plain dict so that settings pickle for ``-j``."""
    write_digest: bool = False
    refresh: bool = False

    def pin_for(self, ref: ImageRef) -> Pin | None:
        return self.entries.get(pin_key(ref))

    def tag_for_digest(self, ref: ImageRef) -> str | None:
        """The most specific known tag of ``ref``'s repository whose pin has ``ref``'s digest."""
        if ref.digest is None:
            return None
        prefix = f"{ref.repository}:"
        tags: list[str] = []
        for key, pin in self.entries.items():
            if pin.digest == ref.digest and key.startswith(prefix):
                tags.append(pin.tag or key[len(prefix) :])
        named = [t for t in tags if t != LATEST]
        return most_specific_tag(named) or (named[0] if named else None)


# --- choosing a tag ------------------------------------------------------------


def version_of(tag: str) -> tuple[int, ...] | None:
    """The numbers of a version tag (``(3, 13, 1)`` for ``3.13.1-slim``); None otherwise."""
    match = _VERSION_TAG.fullmatch(tag)
    if match is None:
        return None
    return tuple(int(part) for part in match["version"].split("."))


def tag_specificity(tag: str) -> tuple[int, int, int]:
    """How much a version tag says: numeric parts, then all parts, then length.

    ``3.13.1-slim-bookworm`` (3, 5, 20) > ``3.13.1`` (3, 3, 6) > ``3.13`` > ``3``.
    """
    version = version_of(tag)
    numbers = len(version) if version is not None else 0
    return numbers, len(_COMPONENT_SPLIT.split(tag)), len(tag)


def most_specific_tag(tags: Iterable[str]) -> str | None:
    """The most specific version tag among ``tags`` (ties: the smallest string); None if none."""
    versions = [t for t in tags if version_of(t) is not None]
    if not versions:
        return None
    return min(versions, key=lambda t: (tuple(-n for n in tag_specificity(t)), t))


# --- lock file -----------------------------------------------------------------


def pins_from_table(table: object, where: Path | str) -> dict[str, Pin]:
    """Read a ``[pins]`` table: reference -> ``{ tag = "...", digest = "..." }``.

    Keys are references without digest, in any spelling (``python`` and
    ``docker.io/library/python:latest`` are one key); raises :class:`PinFileError`.
    """
    if not isinstance(table, dict):
        raise PinFileError(where, "pins: expected a table of reference = { tag, digest }")
    out: dict[str, Pin] = {}
    for reference, value in table.items():
        ref = parse_image(reference) if isinstance(reference, str) else None
        if ref is None or ref.digest is not None or ref.is_scratch:
            raise PinFileError(
                where, f"pins: {reference!r} is not an image reference with a tag (no digest)"
            )
        if not isinstance(value, dict) or not set(value) <= {"tag", "digest"} or not value:
            raise PinFileError(
                where, f"pins: {reference!r}: expected {{ tag = '...', digest = 'sha256:...' }}"
            )
        tag, digest = value.get("tag"), value.get("digest")
        if not isinstance(tag, str | None) or not isinstance(digest, str | None):
            raise PinFileError(where, f"pins: {reference!r}: tag and digest must be strings")
        try:
            pin = Pin(tag, digest)
        except ValueError as exc:
            raise PinFileError(where, f"pins: {reference!r}: {exc}") from None
        key = pin_key(ref)
        if key in out and out[key] != pin:
            raise PinFileError(where, f"pins: {reference!r} is pinned twice, differently")
        out[key] = pin
    return out


def read_lock(path: Path) -> dict[str, Pin]:
    """The pins of a lock file; ``{}`` when it does not exist; :class:`PinFileError` if bad."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise PinFileError(path, exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise PinFileError(path, f"not UTF-8: {exc.reason}") from None
    return parse_lock(text, path)


def parse_lock(text: str, where: Path | str) -> dict[str, Pin]:
    import tomllib  # here: a run without a lock file never needs it (start-up)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PinFileError(where, f"invalid TOML: {exc}") from None
    version = data.get("version")
    if version != LOCK_VERSION:
        raise PinFileError(
            where, f"unsupported lock version {version!r} (this manifesto reads {LOCK_VERSION})"
        )
    unknown = set(data) - {"version", "pins"}
    if unknown:
        raise PinFileError(where, f"unknown key {sorted(unknown)[0]!r}")
    return pins_from_table(data.get("pins", {}), where)


def _display_key(key: str) -> str:
    """``python:latest`` for ``docker.io/library/python:latest``: how people write it."""
    ref = parse_image(key)
    return str(ref.familiar) if ref is not None else key


def _toml_string(text: str) -> str:
    # Keys and values are references, tags and digests: their grammar has no
    # quote, backslash or control character, so a basic string needs no escapes.
    if any(ch in text for ch in '"\\') or not text.isprintable():
        raise ValueError(f"cannot write {text!r} to a lock file")
    return f'"{text}"'


def render_lock(entries: Mapping[str, Pin]) -> str:
    """The lock file text: sorted, one pin per line, stable across runs."""
    lines = [
        "# manifesto.lock: the tags and digests `manifesto fix` pins images to.",
        "# Written by `manifesto pin --update`; commit it with the Dockerfiles.",
        f"version = {LOCK_VERSION}",
        "",
        "[pins]",
    ]
    for key in sorted(entries, key=_display_key):
        pin = entries[key]
        fields = [
            f"{name} = {_toml_string(value)}"
            for name, value in (("tag", pin.tag), ("digest", pin.digest))
            if value
        ]
        lines.append(f"{_toml_string(_display_key(key))} = {{ {', '.join(fields)} }}")
    return "\n".join(lines) + "\n"


def write_lock(path: Path, entries: Mapping[str, Pin]) -> None:
    """Replace the lock file atomically: a reader never sees half of it."""
    import tempfile  # here: only `pin --update` writes (start-up)

    data = render_lock(entries).encode("utf-8")
    directory = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp creates 0600; a lock file is shared like the Dockerfiles are.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
