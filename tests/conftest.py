from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from manifesto.builders import Builder

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
FIXTURES = ROOT / "fixtures"

sys.path.insert(0, str(Path(__file__).resolve().parent))

NOT_DOCKERFILES = {"MANIFEST.tsv", "README.md", "result"}


def corpus_files() -> list[Path]:
    """Every Dockerfile of the shared corpus, or [] when it is absent."""
    if not CORPUS.is_dir():
        return []
    return [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and p.name not in NOT_DOCKERFILES]


@pytest.fixture(scope="session")
def corpus() -> Iterator[list[Path]]:
    files = corpus_files()
    if not files:
        pytest.skip(f"corpus not found at {CORPUS}")
    yield files


@contextlib.contextmanager
def time_limit(seconds: int, message: str) -> Iterator[None]:
    """Raise TimeoutError(message) if the block runs longer than ``seconds``: a test of
    something that could hang (a FIFO, a super-linear step) fails instead."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def write(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8 when a str) to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def require_builds(reason: str) -> None:
    """Skip a real-build test, or fail it where builds must run (``.ci/run`` sets
    MANIFESTO_REQUIRE_BUILDS=1, so CI never passes on skipped builds)."""
    import os

    if os.environ.get("MANIFESTO_REQUIRE_BUILDS") == "1":
        pytest.fail(f"{reason} (MANIFESTO_REQUIRE_BUILDS=1: the build tests must run)")
    pytest.skip(reason)


def lab_builder(images: tuple[str, ...], missing_hint: str) -> Iterator[Builder]:
    """buildah under the lab's storage and isolation (unless the machine has its own:
    vfs and chroot work in a container or CI VM where overlay mounts and an OCI runtime
    do not), once every image of ``images`` is there; for a module-scoped fixture."""
    import os
    import shutil
    import subprocess

    path = shutil.which("buildah")
    if path is None:
        require_builds("buildah not installed (apt-get install buildah mmdebstrap; .ci/run does)")
    if os.geteuid() != 0:
        require_builds("real builds need root (vfs storage, chroot isolation)")
    patch = pytest.MonkeyPatch()
    if "STORAGE_DRIVER" not in os.environ:
        patch.setenv("STORAGE_DRIVER", "vfs")
    if "BUILDAH_ISOLATION" not in os.environ:
        patch.setenv("BUILDAH_ISOLATION", "chroot")
    missing = [
        name
        for name in images
        if subprocess.run(
            [str(path), "inspect", "--type", "image", name],
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
        ).returncode
        != 0
    ]
    if missing:
        patch.undo()
        require_builds(f"image missing ({', '.join(missing)}): {missing_hint}")
    yield Builder("buildah", str(path))
    patch.undo()
