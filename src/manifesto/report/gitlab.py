"""``gitlab``: a GitLab Code Quality report (a JSON array of Code Climate issues).

Each issue has ``description`` (``CODE message``), ``check_name`` (the code),
``fingerprint``, ``severity`` ``minor`` and ``location {path, lines {begin,
end}}`` with inclusive line numbers (a span ending at column 1 of a line stops
on the line before).

The fingerprint is the SHA-256 hex digest of the path, the code, the message and
the text of the diagnostic's first line, so it survives lines being added above
it; when two diagnostics share all four, the later ones add their ordinal among
those (1, 2, ...) to the digest. It is the same for the same input in the same
order, and unique within one report.

A file the run could not check is an issue with ``check_name``
``manifesto-error`` and severity ``blocker``, at the position of the error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic, FileError
from manifesto.report._context import Context
from manifesto.report._json import dump_document
from manifesto.report._source import SourceText, last_row_of_span

SEVERITY = "minor"
ERROR_CHECK = "manifesto-error"
ERROR_SEVERITY = "blocker"


def fingerprint_key(d: Diagnostic, source: SourceText | None) -> str:
    line = source.line(d.location.row) if source is not None else ""
    return "\0".join((d.filename, d.code, d.message, line))


def fingerprint(key: str, ordinal: int) -> str:
    data = key if ordinal == 0 else f"{key}\0{ordinal}"
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def issue(d: Diagnostic, fp: str) -> dict[str, object]:
    return {
        "description": f"{d.code} {d.message}",
        "check_name": d.code,
        "fingerprint": fp,
        "severity": SEVERITY,
        "location": {
            "path": d.filename,
            "lines": {
                "begin": d.location.row,
                "end": last_row_of_span(d.location, d.end_location),
            },
        },
    }


def error_issue(e: FileError) -> dict[str, object]:
    return {
        "description": f"file not checked: {e.message}",
        "check_name": ERROR_CHECK,
        "fingerprint": fingerprint("\0".join((e.filename, ERROR_CHECK, e.message)), 0),
        "severity": ERROR_SEVERITY,
        "location": {
            "path": e.filename,
            "lines": {"begin": e.location.row, "end": e.location.row},
        },
    }


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    seen: dict[str, int] = {}
    used: set[str] = set()
    issues: list[dict[str, object]] = [error_issue(e) for e in ctx.errors]
    used.update(str(i["fingerprint"]) for i in issues)
    for d in diagnostics:
        key = fingerprint_key(d, ctx.sources.get(d.filename))
        ordinal = seen.get(key, 0)
        fp = fingerprint(key, ordinal)
        while fp in used:  # only when a line holds NUL characters that mimic an ordinal
            ordinal += 1
            fp = fingerprint(key, ordinal)
        seen[key] = ordinal + 1
        used.add(fp)
        issues.append(issue(d, fp))
    return dump_document(issues)
