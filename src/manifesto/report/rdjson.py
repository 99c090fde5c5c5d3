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

Fixes whose lines overlap (MF101 and MF104 on one ``RUN`` line) are merged into
one suggestion, posted with the first of their diagnostics: two suggestions for
one line cannot both be committed. Unsafe fixes are suggested only when the run
has ``--unsafe-fixes`` (a reviewer commits a suggestion with one click).

A file the run could not check is a diagnostic of severity ``ERROR`` without a
code ("file not checked: ..."), at the position of the error.
"""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic, EditReport, FileError, Location
from manifesto.edits import Applicability
from manifesto.report._context import Context
from manifesto.report._json import dump_document
from manifesto.report._source import SourceText, fix_hunk, utf8_len

SOURCE_NAME = "manifesto"
SEVERITY = "WARNING"


def position(loc: Location, source: SourceText | None) -> dict[str, object]:
    column = loc.column if source is None else source.byte_column(loc)
    return {"line": loc.row, "column": column}


def _suggestion(source: SourceText, edits: Sequence[EditReport]) -> dict[str, object] | None:
    hunk = fix_hunk(source, edits)
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


def _offered(d: Diagnostic, unsafe_fixes: bool) -> bool:
    if d.fix is None or not d.fix.edits:
        return False
    # a display-only fix is a suggestion by nature: the reviewer decides
    return d.fix.applicability is not Applicability.UNSAFE or unsafe_fixes


def _rows(source: SourceText, edits: Sequence[EditReport]) -> tuple[int, int] | None:
    hunk = fix_hunk(source, edits)
    return None if hunk is None else (hunk.first_row, hunk.last_row)


def merged_suggestions(
    diagnostics: Sequence[Diagnostic], ctx: Context
) -> dict[int, dict[str, object]]:
    """Index of a diagnostic -> the one suggestion posted with it.

    Fixes whose lines overlap are merged into one suggestion, posted with the first
    of their diagnostics: two suggestions replacing the same line cannot both be
    committed (the second no longer applies). A fix that cannot join (its edits
    collide with the group's) gets none; `manifesto fix` applies it on its next
    pass. Unsafe fixes are offered only when the run applies them.
    """
    out: dict[int, dict[str, object]] = {}
    # per file: [first_row, last_row, leader index, edits]
    groups: dict[str, list[tuple[int, int, int, list[EditReport]]]] = {}
    for i, d in enumerate(diagnostics):
        source = ctx.sources.get(d.filename)
        if source is None or d.fix is None or not _offered(d, ctx.unsafe_fixes):
            continue
        rows = _rows(source, d.fix.edits)
        if rows is None:
            continue
        in_file = groups.setdefault(d.filename, [])
        for k, (first, last, leader, edits) in enumerate(in_file):
            if rows[0] <= last and first <= rows[1]:
                union = edits + [e for e in d.fix.edits if e not in edits]
                joined = _rows(source, union)
                if joined is not None:
                    in_file[k] = (*joined, leader, union)
                break
        else:
            in_file.append((*rows, i, list(d.fix.edits)))
    for in_file in groups.values():
        for _, _, leader, edits in in_file:
            source = ctx.sources.get(diagnostics[leader].filename)
            assert source is not None
            made = _suggestion(source, edits)
            if made is not None:
                out[leader] = made
    return out


def diagnostic(
    d: Diagnostic, source: SourceText | None, offered: dict[str, object] | None = None
) -> dict[str, object]:
    code: dict[str, object] = {"value": d.code}
    if d.url is not None:
        code["url"] = d.url
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
        "suggestions": [] if offered is None else [offered],
    }


def error_diagnostic(e: FileError) -> dict[str, object]:
    point = {"line": e.location.row, "column": e.location.column}
    return {
        "message": f"file not checked: {e.message}",
        "location": {"path": e.filename, "range": {"start": point, "end": point}},
        "severity": "ERROR",
    }


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    offered = merged_suggestions(diagnostics, ctx)
    document = {
        "source": {"name": SOURCE_NAME},
        "severity": SEVERITY,
        "diagnostics": [
            *(error_diagnostic(e) for e in ctx.errors),
            *(
                diagnostic(d, ctx.sources.get(d.filename), offered.get(i))
                for i, d in enumerate(diagnostics)
            ),
        ],
    }
    return dump_document(document)
