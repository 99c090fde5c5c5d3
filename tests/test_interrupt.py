"""Interrupting ``fix -j 2``: no worker outlives the run, every file is old or new.

Runs the real command over a copy of part of ``../shared/corpus`` (skipped when
it is absent), kills it at random moments and looks at what is left: processes
(in ``/proc``, by process group), file contents, temporary files.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CORPUS, corpus_files

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc"),
]

SAMPLE_EVERY = 16
"""About 250 of the corpus's files: a run of a couple of seconds with two workers."""

Snapshot = dict[str, bytes]


def _copy_sample(destination: Path) -> Snapshot:
    files = corpus_files()[::SAMPLE_EVERY]
    if not files:
        pytest.skip(f"corpus not found at {CORPUS}")
    snapshot: Snapshot = {}
    for source in files:
        relative = source.relative_to(CORPUS).as_posix()
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        snapshot[relative] = source.read_bytes()
    return snapshot


def _restore(tree: Path, snapshot: Snapshot) -> None:
    shutil.rmtree(tree, ignore_errors=True)
    for relative, data in snapshot.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_bytes(data)


def _read(tree: Path, snapshot: Snapshot) -> Snapshot:
    return {relative: (tree / relative).read_bytes() for relative in snapshot}


def _start(tree: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "manifesto", "fix", "-j", "2", "-q", "."],
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers are found by it
    )


def _fix_to_the_end(tree: Path) -> int:
    process = _start(tree)
    return process.wait(timeout=120)


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group ``pgid``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rpartition(b")")[2].split()
        except OSError:
            continue  # gone meanwhile
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in (b"Z", b"X"):
            members.append(int(entry))
    return members


def _wait_for_workers(process: subprocess.Popen[bytes]) -> None:
    """Until the pool is up (parent + 2 workers): interrupting the interpreter's
    start-up is not what these tests are about."""
    deadline = time.monotonic() + 30
    while len(_group(process.pid)) < 3:
        assert process.poll() is None, "the run ended before its workers started"
        assert time.monotonic() < deadline, "workers never started"
        time.sleep(0.01)


def _wait_until_gone(pgid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := _group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return alive


def _temporaries(tree: Path) -> list[Path]:
    return sorted(tree.rglob(".manifesto-tmp-*"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, Snapshot, int]:
    """(old bytes, new bytes after a complete fix, that run's exit code)."""
    reference = tmp_path_factory.mktemp("reference")
    old = _copy_sample(reference)
    code = _fix_to_the_end(reference)
    new = _read(reference, old)
    assert new != old, "nothing to fix in the sample: the test would prove nothing"
    return old, new, code


def _assert_old_or_new(tree: Path, old: Snapshot, new: Snapshot, context: str) -> int:
    """Every file holds its old or its new bytes; returns how many are new."""
    now = _read(tree, old)
    torn = [name for name, data in now.items() if data not in (old[name], new[name])]
    assert not torn, f"{context}: half-written or foreign content in {torn[:5]}"
    return sum(now[name] == new[name] != old[name] for name in now)


def test_kill_9_leaves_no_worker_and_no_torn_file(
    tmp_path: Path, sample: tuple[Snapshot, Snapshot, int]
) -> None:
    old, new, reference_code = sample
    tree = tmp_path / "tree"
    _restore(tree, old)
    seed = int.from_bytes(os.urandom(4), "big")
    moments = random.Random(seed)
    for trial in range(3):
        process = _start(tree)
        try:
            _wait_for_workers(process)
            time.sleep(moments.uniform(0.0, 0.8))
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            # orphans of a pool block on its queue forever: a generous wait is still a test
            survivors = _wait_until_gone(process.pid, seconds=10)
        finally:
            for pid in _group(process.pid):  # do not leave a failing test's orphans running
                os.kill(pid, signal.SIGKILL)
        context = f"trial {trial}, seed {seed}"
        assert survivors == [], f"{context}: workers outlived the killed parent: {survivors}"
        _assert_old_or_new(tree, old, new, context)
    # the next run finishes the job and removes what the killed ones left
    assert _fix_to_the_end(tree) == reference_code
    assert _read(tree, old) == new
    assert _temporaries(tree) == []


def test_ctrl_c_stops_every_process_within_a_second(
    tmp_path: Path, sample: tuple[Snapshot, Snapshot, int]
) -> None:
    old, new, reference_code = sample
    changed = sum(old[name] != new[name] for name in old)
    tree = tmp_path / "tree"
    for _attempt in range(5):
        _restore(tree, old)
        process = _start(tree)
        try:
            _wait_for_workers(process)
            time.sleep(random.uniform(0.0, 0.2))
            if process.poll() is not None:
                continue  # the run was over before Ctrl-C: nothing to interrupt, try again
            os.killpg(process.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
            interrupted = time.monotonic()
            code = process.wait(timeout=10)
            survivors = _wait_until_gone(process.pid, seconds=10)
            stopped_after = time.monotonic() - interrupted
        finally:
            for pid in _group(process.pid):
                os.kill(pid, signal.SIGKILL)
        assert survivors == []
        new_files = _assert_old_or_new(tree, old, new, "after Ctrl-C")
        # workers hold SIGTERM back while a temporary file exists: none is left
        assert _temporaries(tree) == []
        if code not in (130, -signal.SIGINT):
            # the signal landed as the run ended: it must then have finished normally
            assert (code, new_files) == (reference_code, changed)
            continue
        # 130 from the handler; -SIGINT when the signal lands while the interpreter
        # shuts down (it restores the default action then): a shell shows 130 for both
        # typically 0.1 s: SIGTERM to the workers at once, SIGKILL after a second; the
        # margin is for a loaded machine's scheduling, not for work done after Ctrl-C
        assert stopped_after < 2.5, f"took {stopped_after:.2f} s to stop"
        return
    pytest.fail("every run finished before Ctrl-C: the sample is too small to interrupt")
