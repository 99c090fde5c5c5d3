"""``json-lines``: the objects of the ``json`` format, one compact object per line
(files that could not be checked too, as ``json`` has them)."""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic
from manifesto.report._context import Context
from manifesto.report._json import diagnostic_json, dump_line, error_json


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    objects = [*(error_json(e) for e in ctx.errors), *(diagnostic_json(d) for d in diagnostics)]
    return "".join(dump_line(o) + "\n" for o in objects)
