"""The JSON shape of a diagnostic, shared by ``json`` and ``json-lines``."""

from __future__ import annotations

import json

from manifesto.diagnostics import Diagnostic, EditReport, FixReport, Location


def location_json(loc: Location) -> dict[str, object]:
    return {"row": loc.row, "column": loc.column}


def edit_json(edit: EditReport) -> dict[str, object]:
    return {
        "content": edit.content,
        "location": location_json(edit.location),
        "end_location": location_json(edit.end_location),
    }


def fix_json(fix: FixReport) -> dict[str, object]:
    return {
        "applicability": fix.applicability.value,
        "message": fix.message,
        "edits": [edit_json(e) for e in fix.edits],
    }


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
    }


def dump_document(value: object) -> str:
    """A whole JSON document: indented, keys in the order built, UTF-8 kept, newline-ended."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def dump_line(value: object) -> str:
    """One compact JSON value on one line (no newline)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
