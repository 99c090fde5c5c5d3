"""Where ``manifesto`` and ``python -m manifesto`` start: Ctrl-C at any moment ends
with status 130 and one line on stderr, never a traceback.

Importing the CLI takes a good part of start-up (typer, the parser, tree-sitter;
the fixers a file needs come later, see :mod:`manifesto.lazy_fixers`). An
interrupt then used to escape as a KeyboardInterrupt traceback, because
the handler in :func:`manifesto.cli.main` was not running yet. This module imports
nothing the interpreter has not already loaded (``sys``), and the package's
``__init__`` is lazy, so the whole import of the CLI happens inside the handler.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: importing typing here would be outside the handler
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

INTERRUPTED = 130
"""128 + SIGINT: the status a shell reports for a command stopped by Ctrl-C."""
MESSAGE = "manifesto: interrupted\n"


def main() -> None:
    held = hold_interrupts()
    try:
        try:
            run = _command()
        except BaseException as error:
            # Without a signal mask: an interrupt inside a class body's
            # ``__set_name__`` comes out as a RuntimeError caused by it.
            if _caused_by_interrupt(error):
                _exit_interrupted()
            raise
        finally:
            release(held)
        run()
    except KeyboardInterrupt:
        _exit_interrupted()
    except SystemExit as exit_:
        # typer turns Ctrl-C during a command into a silent Exit(130): say so
        if exit_.code == INTERRUPTED and _caused_by_interrupt(exit_):
            _exit_interrupted()
        raise


def _command() -> Callable[[], None]:
    """The command to run: a plain ``check FILE...`` without typer (it would be a fifth
    of such a run's start-up, see :mod:`manifesto.plain_check`), anything else through
    the typer app."""
    import os

    from manifesto.plain_check import plain_check_paths

    paths = plain_check_paths(sys.argv[1:], os.environ)
    if paths is None:
        from manifesto.cli import main as run

        return run
    from manifesto.plain_check import plain_check

    return plain_check(paths)


def hold_interrupts() -> object:
    """Block SIGINT while the CLI is imported (a few hundred milliseconds); None where
    signal masks do not exist.

    A KeyboardInterrupt raised in the middle of an import can come out as another
    error (a RuntimeError from a class body's ``__set_name__``) or be swallowed
    ("Exception ignored in" an importlib callback, and the run goes on). Held back,
    Ctrl-C is delivered when the import is done, inside the handler of :func:`main`.
    The interpreter's own ``_signal`` is used: importing ``signal`` would take a
    millisecond more outside the handler.
    """
    signals = sys.modules.get("_signal")
    if signals is None or not hasattr(signals, "pthread_sigmask"):
        return None
    return signals.pthread_sigmask(signals.SIG_BLOCK, {signals.SIGINT})


def release(held: object) -> None:
    """Restore the mask :func:`hold_interrupts` changed: a held Ctrl-C arrives now."""
    signals = sys.modules.get("_signal")
    if held is not None and signals is not None:
        signals.pthread_sigmask(signals.SIG_SETMASK, held)


def _caused_by_interrupt(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt is in the chain a traceback would show. An error
    raised ``from None`` hides its context: :func:`manifesto.cli.main` reports the
    interrupt itself and raises ``SystemExit(130) from None``, not to be reported twice."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            return False
        else:
            current = current.__context__
    return False


def _exit_interrupted() -> NoReturn:
    """Say so and exit 130; a second Ctrl-C meanwhile is ignored."""
    _ignore_interrupts()
    # CPython flags a KeyboardInterrupt that ends code run from a string (``exec``
    # of dataclass and namedtuple methods, at import) as unhandled even when it is
    # caught, and then replaces the exit status with death by SIGINT; the next
    # string run clears the flag, so the status stays 130.
    exec("pass")
    sys.stderr.write(MESSAGE)
    raise SystemExit(INTERRUPTED) from None


def _ignore_interrupts() -> None:
    """From here on the run is ending: a second Ctrl-C must not become a traceback."""
    while True:
        try:
            import signal

            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue  # Ctrl-C again before it was ignored: ignore it now
