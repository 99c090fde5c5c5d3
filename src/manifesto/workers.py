"""Worker processes for ``-j``: they die with the run and stop writing when it is interrupted.

A worker that outlives its parent keeps fixing files after the user killed the
tool. So each worker asks the kernel to send it SIGTERM when its parent dies
(``PR_SET_PDEATHSIG`` on Linux) and, wherever that is not available or the
parent died before the request, checks its parent between files.

Ctrl-C goes to the whole process group. Workers ignore SIGINT and leave the
decision to the parent, which stops them with SIGTERM: a worker in the middle
of replacing a file holds the signal back until the rename is done (see
:func:`manifesto.fileio.replace_file`), so every file is old or new and no
temporary file is left, and the run stops within a second.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.process import BaseProcess

from manifesto.runner import Job, Outcome, run

__all__ = ["run_in_worker", "start_pool", "stop_pool"]

_PR_SET_PDEATHSIG = 1
_STOP_GRACE_SECONDS = 1.0
_EXIT_ORPHANED = 70

_parent_pid: int | None = None
"""Set in each worker by :func:`_init_worker`; None in the main process."""


def start_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that die with this one."""
    import multiprocessing

    # fork keeps the worker's parent this process, which the parent check relies on
    # (forkserver, the default elsewhere, would make the parent a server process)
    context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )


def _init_worker(parent: int) -> None:
    global _parent_pid
    _parent_pid = parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _ask_for_parent_death_signal()
    if os.getppid() != parent:
        # the parent died before the request took effect: nobody will collect our work
        os._exit(_EXIT_ORPHANED)


def _ask_for_parent_death_signal() -> None:
    if sys.platform != "linux":
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no prctl (an unusual libc): the check between files remains


def run_in_worker(job: Job) -> Outcome:
    """:func:`manifesto.runner.run`, unless the run this worker belongs to is over."""
    if _parent_pid is not None and os.getppid() != _parent_pid:
        os._exit(_EXIT_ORPHANED)
    return run(job)


def stop_pool(executor: ProcessPoolExecutor, *, interrupted: bool) -> None:
    """Shut the pool down; when ``interrupted``, stop the workers now instead of
    letting them finish the files already handed to them."""
    if not interrupted:
        executor.shutdown(wait=True)
        return
    # the mapping is private but stable since Python 3.2 (3.14 adds terminate_workers())
    processes: list[BaseProcess] = list((executor._processes or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(_STOP_GRACE_SECONDS)
