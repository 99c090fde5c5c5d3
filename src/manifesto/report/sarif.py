"""``sarif``: a SARIF 2.1.0 log with one run.

* ``tool.driver`` names manifesto, its installed version and every rule passed
  in (``id`` = code, ``name``, ``shortDescription`` = title, ``fullDescription``
  and ``help`` = the rule's doc when it has one, ``helpUri`` = its documentation
  page (:func:`manifesto.docs.rule_url`, or the URL its diagnostics carry),
  ``properties.related`` = the related codes of other tools,
  ``properties.applicability`` = the fix it offers, if any).
* ``run.columnKind`` is ``unicodeCodePoints``: columns count characters, as in
  :class:`manifesto.diagnostics.Location` (and, like it, not the BOM).
* Each result has ``ruleId``, ``ruleIndex`` (when the rule is among those passed
  in), ``level`` ``warning``, the message and one physical location; a fix
  becomes ``fixes[0]`` with one ``artifactChange`` whose ``replacements`` each
  have a ``deletedRegion`` and always an ``insertedContent`` (``""`` for a
  deletion), and ``properties.applicability``; an unsafe fix only when the run
  has ``--unsafe-fixes`` (code-scanning tools offer ``fixes`` with one click); a
  file the fix creates is one more ``artifactChange`` inserting its text at 1:1.
  A finding without a fix has ``properties.reason`` (``{slug, text}``) when its rule says why.
* ``invocations[0]`` says whether the run checked every file
  (``executionSuccessful``); each file it could not check is a
  ``toolExecutionNotifications`` entry of level ``error`` with its location.
* ``artifactLocation.uri`` is the path as given, with ``/`` separators and
  percent-encoded as a URI reference needs (``Dockerfile`` stays ``Dockerfile``,
  a space becomes ``%20``); an absolute path becomes a ``file://`` URI.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import PurePath
from urllib.parse import quote

from manifesto.diagnostics import (
    Diagnostic,
    EditReport,
    FileError,
    FixReport,
    Location,
    RuleInfo,
)
from manifesto.docs import rule_url
from manifesto.edits import Applicability
from manifesto.report._context import Context
from manifesto.report._json import dump_document

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "manifesto"
LEVEL = "warning"


def tool_version() -> str:
    try:
        import importlib.metadata  # only SARIF needs it: keep it off the start-up path

        return importlib.metadata.version("manifesto")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def artifact_uri(filename: str) -> str:
    path = PurePath(filename)
    if path.is_absolute():
        return path.as_uri()
    posix = filename.replace(os.sep, "/") if os.sep != "/" else filename
    # Bytes of a name that are not UTF-8 (surrogate escapes) are percent-encoded as themselves.
    return quote(posix.encode("utf-8", "surrogateescape"), safe="/")


def region(start: Location, end: Location) -> dict[str, object]:
    return {
        "startLine": start.row,
        "startColumn": start.column,
        "endLine": end.row,
        "endColumn": end.column,
    }


def rule_descriptor(rule: RuleInfo, help_uri: str | None) -> dict[str, object]:
    out: dict[str, object] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
    }
    if rule.doc:
        out["fullDescription"] = {"text": rule.doc}
        out["help"] = {"text": rule.doc}
    if help_uri is not None:
        out["helpUri"] = help_uri
    out["defaultConfiguration"] = {"level": LEVEL}
    properties: dict[str, object] = {"related": list(rule.related)}
    if rule.applicability is not None:
        properties["applicability"] = rule.applicability.value
    out["properties"] = properties
    return out


def _replacement(edit: EditReport) -> dict[str, object]:
    return {
        "deletedRegion": region(edit.location, edit.end_location),
        "insertedContent": {"text": edit.content},
    }


def sarif_fix(fix: FixReport, uri: str) -> dict[str, object]:
    changes: list[dict[str, object]] = []
    if fix.edits:
        changes.append(
            {
                "artifactLocation": {"uri": uri},
                "replacements": [_replacement(e) for e in fix.edits],
            }
        )
    # a file the fix creates: its whole text inserted at the start of an empty artifact
    changes += [
        {
            "artifactLocation": {"uri": artifact_uri(f.path)},
            "replacements": [
                {
                    "deletedRegion": {
                        "startLine": 1,
                        "startColumn": 1,
                        "endLine": 1,
                        "endColumn": 1,
                    },
                    "insertedContent": {"text": f.content},
                }
            ],
        }
        for f in fix.new_files
    ]
    return {
        "description": {"text": fix.message},
        "artifactChanges": changes,
        "properties": {"applicability": fix.applicability.value},
    }


def result(d: Diagnostic, rule_index: int | None, unsafe_fixes: bool = True) -> dict[str, object]:
    uri = artifact_uri(d.filename)
    out: dict[str, object] = {"ruleId": d.code}
    if rule_index is not None:
        out["ruleIndex"] = rule_index
    out["level"] = LEVEL
    out["message"] = {"text": d.message}
    out["locations"] = [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": region(d.location, d.end_location),
            }
        }
    ]
    if d.fix is not None and (d.fix.edits or d.fix.new_files) and (unsafe_fixes or _safe(d.fix)):
        out["fixes"] = [sarif_fix(d.fix, uri)]
    if d.reason is not None:
        out["properties"] = {"reason": {"slug": d.reason.slug, "text": d.reason.text}}
    return out


def _safe(fix: FixReport) -> bool:
    return fix.applicability is not Applicability.UNSAFE


def notification(e: FileError) -> dict[str, object]:
    out: dict[str, object] = {"level": "error", "message": {"text": e.message}}
    if e.filename:
        out["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(e.filename)},
                    "region": {"startLine": e.location.row, "startColumn": e.location.column},
                }
            }
        ]
    return out


def sarif_log(
    diagnostics: Sequence[Diagnostic],
    rules: Sequence[RuleInfo],
    errors: Sequence[FileError] = (),
    unsafe_fixes: bool = True,
) -> dict[str, object]:
    from manifesto.registry import documented  # a built-in rule's doc is its module's

    index: dict[str, int] = {}
    kept: list[RuleInfo] = []
    for rule in rules:
        if rule.code not in index:
            index[rule.code] = len(kept)
            kept.append(rule)
    urls: dict[str, str] = {}
    for d in diagnostics:
        if d.url is not None:
            urls.setdefault(d.code, d.url)
    driver = {
        "name": TOOL_NAME,
        "version": tool_version(),
        "rules": [rule_descriptor(documented(r), urls.get(r.code) or rule_url(r)) for r in kept],
    }
    run = {
        "tool": {"driver": driver},
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [notification(e) for e in errors],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [result(d, index.get(d.code), unsafe_fixes) for d in diagnostics],
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    return dump_document(sarif_log(diagnostics, ctx.rules, ctx.errors, ctx.unsafe_fixes))
