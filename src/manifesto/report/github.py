"""``github``: GitHub Actions workflow commands, one ``::warning`` per diagnostic.

``::warning file=P,line=R,col=C,endLine=R2,endColumn=C2,title=CODE name::CODE message``

Escaping is the runner's: in the message ``%``, ``\\r`` and ``\\n`` become
``%25``, ``%0D`` and ``%0A``; property values additionally have ``:`` and ``,``
as ``%3A`` and ``%2C``. Columns are character columns, end exclusive. The
runner has no escape for other control characters, and the log renders ANSI
sequences, so those are made visible first (:func:`manifesto.terminal.printable`).

A file the run could not check is an ``::error`` (``title=manifesto: file not
checked``) with its position, so the job's annotations show it.
"""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic, FileError
from manifesto.report._context import Context
from manifesto.terminal import printable


def escape_data(text: str) -> str:
    text = printable(text, "\r\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(d: Diagnostic) -> str:
    properties = {
        "file": d.filename,
        "line": str(d.location.row),
        "col": str(d.location.column),
        "endLine": str(d.end_location.row),
        "endColumn": str(d.end_location.column),
        "title": f"{d.code} {d.name}",
    }
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::warning {props}::{escape_data(f'{d.code} {d.message}')}"


def error_command(e: FileError) -> str:
    properties = {"title": "manifesto: file not checked"}
    if e.filename:
        properties = {
            "file": e.filename,
            "line": str(e.location.row),
            "col": str(e.location.column),
            **properties,
        }
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::error {props}::{escape_data(e.message)}"


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    lines = [*(error_command(e) for e in ctx.errors), *(command(d) for d in diagnostics)]
    return "".join(line + "\n" for line in lines)
