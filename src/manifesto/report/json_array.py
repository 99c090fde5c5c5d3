"""``json``: an indented JSON array of diagnostics, ruff's shape.

Each object has, in this order: ``code``, ``name``, ``message``, ``filename``,
``location`` and ``end_location`` (``{row, column}``, 1-based character columns,
end exclusive), ``fix`` (``{applicability, message, edits: [{content, location,
end_location}]}`` or null), ``url`` (null when the rule has none) and ``reason``
(``{slug, text}``: why there is no fix, when the rule says; else null).

A file the run could not check comes first, as an object of the same shape with
``code`` null and ``name`` ``"error"`` (ruff reports its syntax errors so).
"""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic
from manifesto.report._context import Context
from manifesto.report._json import diagnostic_json, dump_document, error_json


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    return dump_document(
        [*(error_json(e) for e in ctx.errors), *(diagnostic_json(d) for d in diagnostics)]
    )
