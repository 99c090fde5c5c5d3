"""``manifesto check [FILE ...]`` without options, run without typer.

The command pre-commit and editors run most: a check of the files given, every
option at its default. Typer costs some 40 ms of start-up (importing it and
building the command line from the annotations), about a fifth of such a run, to
parse arguments that need no parsing. :func:`manifesto._entry.main` sends only
this shape here (:func:`plain_check_paths`); everything else goes through the
typer app in :mod:`manifesto.cli`. What typer does around a command is done here
the same way: the same options (tests/test_startup.py compares them with typer's),
the same exit codes and messages for a usage error, an end of input, a closed
pipe, and a crash (typer's traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

COMMAND = "check"


def plain_check_paths(args: Sequence[str], environ: Mapping[str, str]) -> list[str] | None:
    """The paths of ``check PATH...`` when the command line is exactly that (no option,
    no ``-`` for stdin, no shell completion asked through the environment); None for
    anything typer must parse."""
    if not args or args[0] != COMMAND:
        return None
    paths = list(args[1:])
    if any(not p or p.startswith("-") for p in paths):
        return None
    # click answers completion requests (`_MANIFESTO_COMPLETE=bash_complete`) itself
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in environ):
        return None
    return paths


def plain_check(paths: list[str]) -> Callable[[], NoReturn]:
    """What ``manifesto.cli.check`` does with ``paths`` and no option, and what typer
    does with its outcome. The modules it needs are imported now: the caller holds
    Ctrl-C meanwhile (:mod:`manifesto._entry`)."""
    from manifesto.runner import Mode
    from manifesto.session import EXIT_ERROR, RunOptions, UsageError, _eprint, run_session

    def run() -> NoReturn:
        try:
            try:
                code = run_session(Mode.CHECK, paths or None, RunOptions())
            except UsageError as exc:
                _eprint(str(exc))  # a path in it may hold control characters
                code = EXIT_ERROR
        except EOFError:
            # typer: an empty line, then click's Abort
            sys.stderr.write("\nAborted!\n")
            raise SystemExit(1) from None
        except OSError as exc:
            import errno

            if exc.errno != errno.EPIPE:
                _as_typer_would_show(exc)
                raise
            # typer: the reader went away; exit quietly, without a flush error at exit
            from typer._click.utils import PacifyFlushWrapper

            sys.stdout = PacifyFlushWrapper(sys.stdout)
            sys.stderr = PacifyFlushWrapper(sys.stderr)
            raise SystemExit(1) from None
        except Exception as exc:
            _as_typer_would_show(exc)
            raise
        raise SystemExit(code)

    return run


def _as_typer_would_show(error: Exception) -> None:
    """Mark ``error``, about to end the run, as a typer command's: typer's hook prints it."""
    from manifesto.cli import mark_command_error

    mark_command_error(error)
