"""The JSON shape of a diagnostic, shared by ``json`` and ``json-lines``."""

from __future__ import annotations

import json
import re

from manifesto.diagnostics import Diagnostic, EditReport, FileError, FixReport, Location


def location_json(loc: Location) -> dict[str, object]:
    return {"row": loc.row, "column": loc.column}


def edit_json(edit: EditReport) -> dict[str, object]:
    return {
        "content": edit.content,
        "location": location_json(edit.location),
        "end_location": location_json(edit.end_location),
    }


def fix_json(fix: FixReport) -> dict[str, object]:
    out: dict[str, object] = {
        "applicability": fix.applicability.value,
        "message": fix.message,
        "edits": [edit_json(e) for e in fix.edits],
    }
    if fix.new_files:  # a fix that creates files (a .dockerignore) says which
        out["new_files"] = [{"path": f.path, "content": f.content} for f in fix.new_files]
    return out


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    return {
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "filename": d.filename,
        "location": location_json(d.location),
        "end_location": location_json(d.end_location),
        "fix": None if d.fix is None else fix_json(d.fix),
        "url": d.url,
        "reason": None if d.reason is None else {"slug": d.reason.slug, "text": d.reason.text},
    }


def error_json(e: FileError) -> dict[str, object]:
    """A file the run could not check, in the diagnostics' shape: ruff's ``code`` null
    (as for its syntax errors), ``name`` ``"error"``."""
    return {
        "code": None,
        "name": "error",
        "message": e.message,
        "filename": e.filename,
        "location": location_json(e.location),
        "end_location": location_json(e.location),
        "fix": None,
        "url": None,
        "reason": None,
    }


# Characters JSON may carry raw but that a terminal obeys or that hide text (C1
# controls, DEL, bidi and zero-width format characters, line separators), and
# lone surrogates (undecodable bytes of a file name), which UTF-8 cannot encode:
# they are written as \uXXXX escapes. A lone surrogate escape is valid JSON;
# Python reads it back to the same name, stricter readers to U+FFFD.
_ESCAPED = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape_hostile(dumped: str) -> str:
    # Such characters can only be inside strings, where any character may be escaped.
    return _ESCAPED.sub(lambda m: f"\\u{ord(m[0]):04x}", dumped)


def dump_document(value: object) -> str:
    """A whole JSON document: indented, keys in the order built, UTF-8 kept, newline-ended."""
    return _escape_hostile(json.dumps(value, indent=2, ensure_ascii=False)) + "\n"


def dump_line(value: object) -> str:
    """One compact JSON value on one line (no newline)."""
    return _escape_hostile(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
