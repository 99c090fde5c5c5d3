"""The image pins of a run, resolved once before any file is processed.

Sources, in order: ``[pins]`` in the configuration, then ``manifesto.lock`` at the
project root, then (only with ``--resolve`` or ``resolve = true``) the registries,
asked once per unique reference of the whole run, concurrently. The fixers get the
result read-only (:class:`manifesto.pins.ImagePins` in the fix context) and never
touch the network themselves. ``manifesto pin`` uses the same collection to write
the lock file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from manifesto.config import Settings
from manifesto.cst import ParseError, parse
from manifesto.image_refs import image_uses
from manifesto.images import ImageRef
from manifesto.pins import (
    LOCK_FILENAME,
    ImagePins,
    Pin,
    PinFileError,
    pin_key,
    read_lock,
    write_lock,
)
from manifesto.runner import Job

if TYPE_CHECKING:
    # urllib and friends cost start-up time: imported only when a registry is asked.
    from manifesto.oci import RegistryClient

__all__ = [
    "PinRequest",
    "PinningError",
    "lock_path",
    "references",
    "resolve_pins",
    "settings_with_pins",
    "update_lock",
]

MAX_CONCURRENT_LOOKUPS = 8
"""Registries rate-limit: a handful of connections is fast and polite."""


class PinningError(Exception):
    """The pins cannot be known: a bad lock file, an unreachable registry. Exit 2."""


@dataclass(frozen=True, slots=True)
class PinRequest:
    resolve: bool = False
    """Ask registries about references the pins do not know."""
    digest: bool = False
    """Write digests too (``name:tag@digest``)."""
    refresh: bool = False
    """Ask registries again even about what the lock knows; replace moved digests."""


def lock_path(settings: Settings) -> Path:
    return settings.root / LOCK_FILENAME


def references(texts: Iterable[str]) -> dict[str, ImageRef]:
    """The unique pin keys of the images in ``texts``, each with one reference to ask about.

    Digest-only references are left out: no tag to ask about. A text that does not
    parse is skipped here; its job reports it.
    """
    found: dict[str, ImageRef] = {}
    for text in texts:
        try:
            tree = parse(text)
        except ParseError:
            continue
        for use in image_uses(text, tree):
            if use.ref.digest is not None and use.ref.tag is None:
                continue
            ref = use.ref.with_digest(None)
            found.setdefault(pin_key(ref), ref)
    return found


def _wanted(ref: ImageRef, known: Pin | None, request: PinRequest, *, for_lock: bool) -> bool:
    floating = ref.tag is None or ref.tag == "latest"
    if not (floating or request.digest or request.refresh or for_lock):
        return False  # a tagged reference needs nothing unless digests are asked for
    if request.refresh or known is None:
        return True
    return (known.tag is None and floating) or (known.digest is None and request.digest)


def resolve_pins(wanted: Mapping[str, ImageRef], client: RegistryClient) -> dict[str, Pin]:
    """Ask the registries about each reference once, a few at a time."""
    if not wanted:
        return {}
    from manifesto.oci import RegistryError

    def lookup(item: tuple[str, ImageRef]) -> tuple[str, Pin | str]:
        key, ref = item
        try:
            return key, client.resolve(ref)
        except RegistryError as exc:
            return key, str(exc)

    from concurrent.futures import ThreadPoolExecutor  # here: only lookups need threads

    workers = min(MAX_CONCURRENT_LOOKUPS, len(wanted))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lookup, sorted(wanted.items())))
    errors = sorted({r for _, r in results if isinstance(r, str)})
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise PinningError("; ".join(errors[:3]) + more)
    return {key: r for key, r in results if isinstance(r, Pin)}


def _client(settings: Settings, request: PinRequest) -> RegistryClient:
    from manifesto.oci import RegistryClient, RegistryOptions

    return RegistryClient(
        RegistryOptions(
            insecure_registries=frozenset(settings.insecure_registries),
            read_cache=not request.refresh,
        )
    )


def _known(settings: Settings) -> tuple[dict[str, Pin], dict[str, Pin]]:
    """(lock entries, configured entries); PinningError for a bad lock file."""
    try:
        locked = read_lock(lock_path(settings))
    except PinFileError as exc:
        raise PinningError(str(exc)) from None
    return locked, dict(settings.pins)


def settings_with_pins(
    settings: Settings,
    jobs: list[Job],
    request: PinRequest,
    client_factory: Callable[[Settings, PinRequest], RegistryClient] = _client,
) -> tuple[Settings, list[Job]]:
    """The run's settings and jobs carrying the resolved pins (unchanged when there are none)."""
    request = replace(
        request,
        resolve=request.resolve or settings.resolve,
        digest=request.digest or settings.digest,
    )
    locked, configured = _known(settings)
    entries = {**locked, **configured}
    if request.resolve:
        refs = references(_texts(jobs))
        wanted = {
            key: ref
            for key, ref in refs.items()
            if key not in configured and _wanted(ref, entries.get(key), request, for_lock=False)
        }
        if wanted:
            entries.update(resolve_pins(wanted, client_factory(settings, request)))
    if not (entries or request.digest or request.refresh):
        return settings, jobs
    pins = ImagePins(entries, write_digest=request.digest, refresh=request.refresh)
    settings = replace(settings, image_pins=pins)
    return settings, [replace(job, settings=settings) for job in jobs]


def _texts(jobs: Iterable[Job]) -> Iterable[str]:
    from manifesto.runner import confined_path
    from manifesto.source import SourceError, read_source

    for job in jobs:
        if job.stdin_text is not None:
            yield job.stdin_text
            continue
        try:
            # the same checks as the job itself: inside the tree, within the size limit
            yield read_source(confined_path(job), job.display, job.settings.max_file_size)
        except (SourceError, OSError):
            continue  # the job itself reports it


def update_lock(
    settings: Settings,
    jobs: list[Job],
    *,
    write: bool,
    refresh: bool,
    client_factory: Callable[[Settings, PinRequest], RegistryClient] = _client,
) -> int:
    """``manifesto pin``: list the references and their pins; with ``write``, ask the
    registries about the unknown ones (all, with ``refresh``) and write the lock.

    Returns the exit code: 0 when every reference is pinned (and the lock written),
    1 when some are not (without ``write``), 2 on errors (nothing written).
    """
    request = PinRequest(resolve=write, digest=True, refresh=refresh)
    locked, configured = _known(settings)
    refs = references(_texts(jobs))
    entries = {**locked, **configured}
    fresh: dict[str, Pin] = {}
    if write:
        wanted = {
            key: ref
            for key, ref in refs.items()
            if key not in configured and _wanted(ref, entries.get(key), request, for_lock=True)
        }
        fresh = resolve_pins(wanted, client_factory(settings, request))
    lock = {**locked, **fresh}
    missing = 0
    for key in sorted(refs, key=lambda k: str(refs[k])):
        pin = configured.get(key) or lock.get(key)
        if pin is None or pin.digest is None:
            missing += 1
        sys.stdout.write(f"{refs[key]}  {_describe(pin)}\n")
    if not write:
        return 1 if missing else 0
    added = sum(1 for key in fresh if key not in locked)
    changed = sum(1 for key in fresh if key in locked and locked[key] != fresh[key])
    if lock != locked or not lock_path(settings).exists():
        write_lock(lock_path(settings), lock)
    sys.stderr.write(
        f"{lock_path(settings)}: {len(lock)} pinned ({added} added, {changed} changed).\n"
    )
    return 0


def _describe(pin: Pin | None) -> str:
    if pin is None:
        return "(not pinned)"
    text = pin.tag or ""
    if pin.digest:
        text += f"@{pin.digest}"
    return text or "(not pinned)"
