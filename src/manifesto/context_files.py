"""Reading small files of the build context (``Cargo.toml`` next to a Dockerfile).

A fixer that must know something the Dockerfile does not say (the binary a Cargo
package builds) may read a file of the build context. The reads are bounded and
confined: a path is taken relative to the Dockerfile's directory, and one that
resolves outside that directory (``..``, an absolute path, a symbolic link out)
is not read, nor is anything that is not a small regular UTF-8 text file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from manifesto.fileio import RefusedFile, is_inside, read_regular_file

CONTEXT_FILE_LIMIT = 256 * 1024
"""Context files a fixer reads are manifests, not sources: larger ones are not read."""


def context_file_reader(dockerfile: Path) -> Callable[[str], str | None]:
    """A reader of the files beside ``dockerfile`` (and below its directory)."""
    directory = os.path.realpath(os.path.dirname(os.path.abspath(dockerfile)))

    def read(relative: str) -> str | None:
        if not relative or os.path.isabs(relative) or "\0" in relative:
            return None
        real = os.path.realpath(os.path.join(directory, relative))
        if real == directory or not is_inside(real, (directory,)):
            return None
        try:
            data = read_regular_file(real, CONTEXT_FILE_LIMIT)
        except (OSError, RefusedFile):
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    return read


LISTING_LIMIT = 20_000
"""Entries a context listing holds at most: a build context with more is listed in
part (``ContextListing.complete`` is then False)."""
LISTING_DEPTH = 4
"""Directories below the Dockerfile's a listing descends into (a ``__pycache__`` or
``node_modules`` deeper down is matched by the same ``**/`` pattern anyway)."""


@dataclass(frozen=True, slots=True)
class ContextListing:
    """What the directory of a Dockerfile holds: ``/``-separated relative paths, a
    directory's with a trailing ``/``. Not descended into: symbolic links (listed
    as files), and what a listing of a checkout never needs (``.git``'s inside)."""

    paths: tuple[str, ...]
    complete: bool
    dockerfile: str = "Dockerfile"
    """The name of the Dockerfile the listing was made for (it is among ``paths``)."""
    _index: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", frozenset(self.paths))

    def has(self, path: str) -> bool:
        return path in self._index


def context_lister(dockerfile: Path) -> Callable[[], ContextListing | None]:
    """A lister of the directory of ``dockerfile``, made once on first use."""
    directory = os.path.dirname(os.path.abspath(dockerfile))
    made: list[ContextListing | None] = []

    def listing() -> ContextListing | None:
        if not made:
            made.append(_list(directory, os.path.basename(dockerfile)))
        return made[0]

    return listing


def _list(directory: str, dockerfile: str) -> ContextListing | None:
    paths: list[str] = []
    pending: list[tuple[str, str, int]] = [(directory, "", 0)]
    while pending:
        folder, prefix, depth = pending.pop()
        try:
            with os.scandir(folder) as entries:
                found = sorted(entries, key=lambda e: e.name)
        except OSError:
            if not prefix:
                return None  # the Dockerfile's own directory cannot be read
            continue
        for entry in found:
            if len(paths) >= LISTING_LIMIT:
                return ContextListing(tuple(paths), False, dockerfile)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            relative = f"{prefix}{entry.name}"
            paths.append(f"{relative}/" if is_dir else relative)
            if is_dir and depth < LISTING_DEPTH and entry.name != ".git":
                pending.append((entry.path, f"{relative}/", depth + 1))
    return ContextListing(tuple(sorted(paths)), True, dockerfile)


__all__ = [
    "CONTEXT_FILE_LIMIT",
    "ContextListing",
    "context_file_reader",
    "context_lister",
]
