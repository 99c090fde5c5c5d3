"""``rdjson``: reviewdog's Diagnostic Format, one ``DiagnosticResult`` document.

Positions are 1-based lines and 1-based UTF-8 *byte* columns, end exclusive, as
reviewdog wants; they are converted from the character columns with the file's
text (without it, the character columns are passed through unchanged). The BOM
is not part of line 1, as everywhere in the reports.

A fix becomes exactly one suggestion that replaces whole lines: the lines from
the first one any of its edits touches to the last one (see
:func:`manifesto.report._source.fix_hunk`), from column 1 of the first to column
1 of the line after the last (or to the end of the last line when the file ends
there without a newline), with those lines as they read after the fix, line
terminators (CRLF included) kept. One suggestion per fix, whatever the distance
between its edits: a fix is applied whole or not at all, and reviewdog's GitHub
reporter posts only a suggestion whose lines are those of the review comment.
"""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic, Location
from manifesto.report._context import Context
from manifesto.report._json import dump_document
from manifesto.report._source import SourceText, fix_hunk, utf8_len

SOURCE_NAME = "manifesto"
SEVERITY = "WARNING"


def position(loc: Location, source: SourceText | None) -> dict[str, object]:
    column = loc.column if source is None else source.byte_column(loc)
    return {"line": loc.row, "column": column}


def suggestion(d: Diagnostic, source: SourceText) -> dict[str, object] | None:
    if d.fix is None:
        return None
    hunk = fix_hunk(source, d.fix.edits)
    if hunk is None:
        return None
    if source.has_terminator(hunk.last_row):
        end = {"line": hunk.last_row + 1, "column": 1}
    else:
        end = {"line": hunk.last_row, "column": utf8_len(source.line(hunk.last_row)) + 1}
    return {
        "range": {"start": {"line": hunk.first_row, "column": 1}, "end": end},
        "text": hunk.new,
    }


def diagnostic(d: Diagnostic, source: SourceText | None) -> dict[str, object]:
    code: dict[str, object] = {"value": d.code}
    if d.url is not None:
        code["url"] = d.url
    suggestions: list[dict[str, object]] = []
    if source is not None:
        s = suggestion(d, source)
        if s is not None:
            suggestions.append(s)
    return {
        "message": d.message,
        "location": {
            "path": d.filename,
            "range": {
                "start": position(d.location, source),
                "end": position(d.end_location, source),
            },
        },
        "severity": SEVERITY,
        "code": code,
        "suggestions": suggestions,
    }


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    document = {
        "source": {"name": SOURCE_NAME},
        "severity": SEVERITY,
        "diagnostics": [diagnostic(d, ctx.sources.get(d.filename)) for d in diagnostics],
    }
    return dump_document(document)
