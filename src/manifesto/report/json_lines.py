"""``json-lines``: the objects of the ``json`` format, one compact object per line."""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic
from manifesto.report._context import Context
from manifesto.report._json import diagnostic_json, dump_line


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    return "".join(dump_line(diagnostic_json(d)) + "\n" for d in diagnostics)
