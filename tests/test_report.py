"""Tests of manifesto.report: every output format on hand-built diagnostics."""

from __future__ import annotations

import importlib.metadata
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from manifesto.diagnostics import Diagnostic, EditReport, FixReport, Location, RuleInfo
from manifesto.edits import Applicability, Edit, apply_edits
from manifesto.report import FORMATS, render
from manifesto.report._source import SourceText, fix_hunk

DATA = Path(__file__).parent / "data"
BOM = "\ufeff"

# --------------------------------------------------------------------------- helpers


def naive_location(text: str, offset: int) -> Location:
    """Row and column of an offset, computed the obvious way (BOM not in line 1)."""
    before = text[:offset]
    row = before.count("\n") + 1
    line_start = before.rfind("\n") + 1
    if row == 1 and text.startswith(BOM):
        line_start = 1
    return Location(row, offset - line_start + 1)


def naive_line_starts(text: str) -> list[int]:
    starts = [1 if text.startswith(BOM) else 0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts


def offset_of_byte_position(text: str, line: int, column: int) -> int:
    """Invert an rdjson position (1-based line, 1-based UTF-8 byte column)."""
    starts = naive_line_starts(text)
    start = starts[line - 1]
    nl = text.find("\n", start)
    line_text = text[start : len(text) if nl == -1 else nl + 1]
    prefix = line_text.encode("utf-8")[: column - 1]
    return start + len(prefix.decode("utf-8"))


def fix(message: str, applicability: Applicability, *edits: Edit, text: str) -> FixReport:
    return FixReport(
        applicability,
        message,
        tuple(
            EditReport(
                e.content,
                naive_location(text, e.start),
                naive_location(text, e.end),
                e.start,
                e.end,
            )
            for e in edits
        ),
    )


def diag(
    filename: str,
    text: str,
    code: str,
    message: str,
    start: int,
    end: int,
    the_fix: FixReport | None = None,
    *,
    name: str | None = None,
    url: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        code=code,
        name=name or f"{code.lower()}_rule",
        message=message,
        filename=filename,
        location=naive_location(text, start),
        end_location=naive_location(text, end),
        fix=the_fix,
        url=url,
    )


def span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    return at, at + len(needle)


# --------------------------------------------------------------------------- the sample

# A plain LF file.
A_NAME = "Dockerfile"
A = (
    "FROM debian:12\n"
    "RUN apt-get update \\\n"
    "    && apt-get install -y curl\n"
    "COPY . /app\n"
    "# comment\n"
    "USER root\n"
)
# CRLF, a BOM, non-ASCII (2-, 3- and 4-byte UTF-8, wide characters), no final newline.
B_NAME = "win/Dockerfile"
B = (
    BOM + "FROM alpine:3.19 AS étape\r\n"
    'LABEL description="\U00010400 日本語 café"\r\n'
    "RUN echo héllo"
)


def sample() -> list[Diagnostic]:
    run = (A.index("RUN"), A.index("curl") + 4)
    upd = span(A, "update")
    curl_end = A.index("curl") + 4
    multi = fix(
        "Delete the apt lists",
        Applicability.SAFE,
        Edit(upd[0], upd[1], "update -q"),
        Edit.insert(curl_end, " \\\n    && rm -rf /var/lib/apt/lists/*"),
        text=A,
    )
    comment = span(A, "# comment\n")
    deletion = fix("Delete the comment", Applicability.UNSAFE, Edit.delete(*comment), text=A)
    user = span(A, "USER root")
    etape = span(B, "étape")
    display_only = fix(
        "Name the stage `build`", Applicability.DISPLAY_ONLY, Edit(*etape, "build"), text=B
    )
    hello = span(B, "héllo")
    last = fix(
        "Spell it in ASCII",
        Applicability.SAFE,
        Edit(*hello, "hello"),
        Edit.insert(len(B), "\r\n"),
        text=B,
    )
    nihongo = span(B, "日本語")
    return [
        diag(A_NAME, A, "MF101", "apt lists are kept", *run, multi, url="https://x.test/MF101"),
        diag(A_NAME, A, "MF300", "comments are noise", comment[0], comment[1], deletion),
        diag(A_NAME, A, "MF400", "runs as root", *user),
        diag(B_NAME, B, "MF200", "stage name is not ASCII", *etape, display_only),
        diag(B_NAME, B, "MF500", "non-ASCII in RUN", *hello, last),
        diag(B_NAME, B, "MF600", "CJK in a label", *nihongo, url="https://x.test/MF600"),
    ]


SOURCES = {A_NAME: A, B_NAME: B}

RULES = [
    RuleInfo(
        "MF101",
        "apt_lists_kept",
        "Delete the apt lists in the RUN that fetched them",
        Applicability.SAFE,
        ("DL3009",),
        "What it does\n\nDeletes /var/lib/apt/lists.",
    ),
    RuleInfo("MF200", "stage_name_non_ascii", "Name stages in ASCII", Applicability.DISPLAY_ONLY),
    RuleInfo("MF300", "comment_noise", "Delete the comment", Applicability.UNSAFE, (), "Doc."),
    RuleInfo("MF400", "runs_as_root", "Add a USER", None, ("DL3002", "buildkit:UserRoot")),
    RuleInfo("MF500", "non_ascii_run", "Spell it in ASCII", Applicability.SAFE),
]


def run(fmt: str, diagnostics: Sequence[Diagnostic] | None = None, **kw: Any) -> str:
    return render(
        fmt,
        sample() if diagnostics is None else diagnostics,
        rules=RULES,
        sources=SOURCES,
        **kw,
    )


# --------------------------------------------------------------------------- basics


def test_formats_and_unknown_format() -> None:
    assert FORMATS == (
        "full",
        "concise",
        "json",
        "json-lines",
        "sarif",
        "rdjson",
        "github",
        "gitlab",
    )
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", [], rules=[], sources={})


def test_sample_locations_follow_the_conventions() -> None:
    d = {x.code: x for x in sample()}
    # BOM is not column 1 of line 1.
    assert d["MF200"].location == Location(1, len("FROM alpine:3.19 AS ") + 1)
    # CRLF: the \r ends line 1, line 2 starts at column 1 after it.
    assert d["MF600"].location == Location(2, len('LABEL description="\U00010400 ') + 1)
    # Whole-line deletion ends at column 1 of the next row.
    assert d["MF300"].end_location == Location(6, 1)


@pytest.mark.parametrize("text", [A, B, "", BOM, "\n", "a\r\nb", BOM + "x\ny\n"])
def test_source_text_agrees_with_naive_positions(text: str) -> None:
    src = SourceText(text)
    for offset in range(1 if text.startswith(BOM) else 0, len(text) + 1):
        loc = naive_location(text, offset)
        assert src.location(offset) == loc
        assert src.offset(loc) == offset
        line_start = naive_line_starts(text)[loc.row - 1]
        assert src.byte_column(loc) == len(text[line_start:offset].encode()) + 1


def test_empty_reports() -> None:
    for fmt in ("full", "concise", "json-lines", "github"):
        assert run(fmt, []) == ""
    assert json.loads(run("json", [])) == []
    assert json.loads(run("gitlab", [])) == []
    assert json.loads(run("rdjson", []))["diagnostics"] == []
    assert json.loads(run("sarif", []))["runs"][0]["results"] == []


def test_reports_are_sorted_by_file_and_position() -> None:
    shuffled = list(reversed(sample()))
    assert run("concise", shuffled) == run("concise")
    codes = [line.split()[1] for line in run("concise").splitlines()]
    assert codes == ["MF101", "MF300", "MF400", "MF200", "MF600", "MF500"]


# --------------------------------------------------------------------------- concise


def test_concise() -> None:
    assert run("concise") == (
        "Dockerfile:2:1: MF101 [*] apt lists are kept\n"
        "Dockerfile:5:1: MF300 comments are noise\n"
        "Dockerfile:6:1: MF400 runs as root\n"
        "win/Dockerfile:1:21: MF200 stage name is not ASCII\n"
        "win/Dockerfile:2:22: MF600 CJK in a label\n"
        "win/Dockerfile:3:10: MF500 [*] non-ASCII in RUN\n"
    )


# --------------------------------------------------------------------------- full


def by_code(code: str) -> list[Diagnostic]:
    return [d for d in sample() if d.code == code]


def test_full_single_line_deletion_and_no_fix() -> None:
    out = run("full", by_code("MF300") + by_code("MF400"))
    assert out == (
        "Dockerfile:5:1: MF300 comments are noise\n"
        "  |\n"
        "3 |     && apt-get install -y curl\n"
        "4 | COPY . /app\n"
        "5 | # comment\n"
        "  | ^^^^^^^^^ MF300\n"
        "6 | USER root\n"
        "  |\n"
        "  = help: Delete the comment\n"
        "\n"
        "Dockerfile:6:1: MF400 runs as root\n"
        "  |\n"
        "4 | COPY . /app\n"
        "5 | # comment\n"
        "6 | USER root\n"
        "  | ^^^^^^^^^ MF400\n"
        "  |\n"
        "\n"
    )


def test_full_multi_line_span_with_safe_fix_and_diff() -> None:
    out = run("full", by_code("MF101"), show_fix_diff=True)
    assert out == (
        "Dockerfile:2:1: MF101 [*] apt lists are kept\n"
        "  |\n"
        "1 | FROM debian:12\n"
        "2 | RUN apt-get update \\\n"
        "  | ^^^^^^^^^^^^^^^^^^^^\n"
        "3 |     && apt-get install -y curl\n"
        "  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ MF101\n"
        "4 | COPY . /app\n"
        "5 | # comment\n"
        "  |\n"
        "  = help: Delete the apt lists\n"
        "\n"
        "\u2139 Safe fix\n"
        "1 1 | FROM debian:12\n"
        "2   |-RUN apt-get update \\\n"
        "3   |-    && apt-get install -y curl\n"
        "  2 |+RUN apt-get update -q \\\n"
        "  3 |+    && apt-get install -y curl \\\n"
        "  4 |+    && rm -rf /var/lib/apt/lists/*\n"
        "4 5 | COPY . /app\n"
        "\n"
    )
    assert "Safe fix" not in run("full", by_code("MF101"))


def test_full_bom_crlf_wide_characters() -> None:
    out = run("full", by_code("MF200") + by_code("MF600"), show_fix_diff=True)
    assert BOM not in out
    assert "\r" not in out
    lines = out.splitlines()
    # MF200: the BOM does not shift the carets.
    src = lines.index("1 | FROM alpine:3.19 AS étape")
    assert lines[src + 1] == "  | " + " " * len("FROM alpine:3.19 AS ") + "^^^^^ MF200"
    # A display-only fix: help and its diff, but no [*].
    assert lines[0] == "win/Dockerfile:1:21: MF200 stage name is not ASCII"
    assert "  = help: Name the stage `build`" in lines
    assert "\u2139 Display-only fix" in lines
    assert "  1 |+FROM alpine:3.19 AS build" in lines
    # MF600: 日本語 is three characters but six terminal cells, after a 4-byte one.
    mf600 = lines.index("win/Dockerfile:2:22: MF600 CJK in a label")
    row = lines.index('2 | LABEL description="\U00010400 日本語 café"', mf600)
    assert (
        lines[row + 1] == "  | " + " " * len('LABEL description="\U00010400 ') + "^" * 6 + " MF600"
    )


def test_full_insertion_point_and_missing_source() -> None:
    text = "FROM a\nRUN b\n"
    at = text.index("\nRUN")
    d = diag("x/Dockerfile", text, "MF700", "point", at, at, name="p")
    out = render("full", [d], rules=[], sources={"x/Dockerfile": text})
    assert "1 | FROM a\n  |       ^ MF700\n" in out
    # Without the file's text there is no snippet, but the header and help stay.
    d2 = diag(
        A_NAME, A, "MF300", "m", 0, 1, fix("Do it", Applicability.SAFE, Edit(0, 1, "f"), text=A)
    )
    assert render("full", [d2], rules=[], sources={}) == (
        "Dockerfile:1:1: MF300 [*] m\n  = help: Do it\n\n"
    )


def test_full_color_is_markup_for_the_same_text() -> None:
    diagnostics = [
        *sample(),
        # Text that looks like markup, and a line ending in a backslash.
        diag(A_NAME, A, "MF800", "[bold]not bold[/bold] \\", 0, 4, name="m"),
    ]
    plain = render("full", diagnostics, rules=RULES, sources=SOURCES, show_fix_diff=True)
    marked = render(
        "full", diagnostics, rules=RULES, sources=SOURCES, show_fix_diff=True, color=True
    )
    assert marked != plain
    assert "[bold red]MF101[/bold red]" in marked
    buf = io.StringIO()
    console = Console(file=buf, width=500, color_system=None, soft_wrap=True, emoji=False)
    console.print(marked, highlight=False, end="")
    assert buf.getvalue() == plain


# --------------------------------------------------------------------------- json


def test_json() -> None:
    out = run("json")
    assert out.endswith("]\n")
    assert out.startswith("[\n  {\n")
    data = json.loads(out)
    assert [d["code"] for d in data] == ["MF101", "MF300", "MF400", "MF200", "MF600", "MF500"]
    for obj in data:
        assert list(obj) == [
            "code",
            "name",
            "message",
            "filename",
            "location",
            "end_location",
            "fix",
            "url",
            "reason",
        ]
    first = data[0]
    assert first["location"] == {"row": 2, "column": 1}
    assert first["end_location"] == {"row": 3, "column": 31}
    assert first["url"] == "https://x.test/MF101"
    assert first["fix"] == {
        "applicability": "safe",
        "message": "Delete the apt lists",
        "edits": [
            {
                "content": "update -q",
                "location": {"row": 2, "column": 13},
                "end_location": {"row": 2, "column": 19},
            },
            {
                "content": " \\\n    && rm -rf /var/lib/apt/lists/*",
                "location": {"row": 3, "column": 31},
                "end_location": {"row": 3, "column": 31},
            },
        ],
    }
    assert data[1]["fix"]["applicability"] == "unsafe"
    assert data[1]["fix"]["edits"][0]["content"] == ""
    assert data[2]["fix"] is None
    assert data[2]["url"] is None
    assert data[3]["fix"]["applicability"] == "display-only"
    assert data[3]["location"] == {"row": 1, "column": 21}


def test_json_keeps_non_ascii_as_is() -> None:
    d = diag(B_NAME, B, "MF900", "café 日本語", 1, 2)
    out = render("json", [d], rules=[], sources=SOURCES)
    assert "café 日本語" in out
    assert json.loads(out)[0]["message"] == "café 日本語"


def test_json_lines() -> None:
    out = run("json-lines")
    lines = out.split("\n")
    assert lines[-1] == ""
    objects = [json.loads(line) for line in lines[:-1]]
    assert objects == json.loads(run("json"))
    assert all("\n" not in line for line in lines)


# --------------------------------------------------------------------------- sarif


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_sarif_is_valid_against_the_schema() -> None:
    doc = json.loads(run("sarif"))
    validator = sarif_validator()
    validator.validate(doc)
    # The validator does reject what is not SARIF.
    broken = json.loads(run("sarif"))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(broken)
    del broken["runs"][0]["results"][0]["level"]
    del broken["runs"][0]["tool"]
    assert not validator.is_valid(broken)


def test_sarif_content() -> None:
    doc = json.loads(run("sarif", unsafe_fixes=True))
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    (the_run,) = doc["runs"]
    driver = the_run["tool"]["driver"]
    assert driver["name"] == "manifesto"
    assert driver["version"] == importlib.metadata.version("manifesto")
    assert "informationUri" not in driver
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [r.code for r in RULES]
    mf101 = rules[0]
    assert mf101["name"] == "apt_lists_kept"
    assert mf101["shortDescription"] == {"text": RULES[0].title}
    assert mf101["fullDescription"] == {"text": RULES[0].doc}
    assert mf101["help"] == {"text": RULES[0].doc}
    assert mf101["helpUri"] == "https://x.test/MF101"
    assert mf101["properties"] == {"related": ["DL3009"], "applicability": "safe"}
    assert rules[3]["properties"] == {"related": ["DL3002", "buildkit:UserRoot"]}
    assert "fullDescription" not in rules[1]  # no doc

    results = the_run["results"]
    assert [r["ruleId"] for r in results] == ["MF101", "MF300", "MF400", "MF200", "MF600", "MF500"]
    for r in results:
        assert r["level"] == "warning"
        if r["ruleId"] == "MF600":
            assert "ruleIndex" not in r  # not among the rules passed in
        else:
            assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    first = results[0]
    assert first["message"] == {"text": "apt lists are kept"}
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "Dockerfile"}
    assert loc["region"] == {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 31}
    (the_fix,) = first["fixes"]
    assert the_fix["description"] == {"text": "Delete the apt lists"}
    (change,) = the_fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "Dockerfile"}
    assert [r["insertedContent"]["text"] for r in change["replacements"]] == [
        "update -q",
        " \\\n    && rm -rf /var/lib/apt/lists/*",
    ]
    assert change["replacements"][0]["deletedRegion"] == {
        "startLine": 2,
        "startColumn": 13,
        "endLine": 2,
        "endColumn": 19,
    }
    # A deletion still carries insertedContent, empty.
    deletion = results[1]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert deletion == {
        "deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 6, "endColumn": 1},
        "insertedContent": {"text": ""},
    }
    assert "fixes" not in results[2]
    assert results[3]["fixes"][0]["properties"] == {"applicability": "display-only"}
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "win/Dockerfile"
    }


def test_sarif_uri_is_percent_encoded() -> None:
    text = "FROM a\n"
    d = diag("my dir/Dockerfile#1", text, "MF101", "m", 0, 4)
    doc = json.loads(render("sarif", [d], rules=RULES, sources={}))
    sarif_validator().validate(doc)
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "my%20dir/Dockerfile%231"}


# --------------------------------------------------------------------------- rdjson

RDJSON_POSITION = {
    "type": "object",
    "required": ["line", "column"],
    "properties": {"line": {"type": "integer", "minimum": 1}, "column": {"type": "integer"}},
    "additionalProperties": False,
}
RDJSON_RANGE = {
    "type": "object",
    "required": ["start", "end"],
    "properties": {"start": RDJSON_POSITION, "end": RDJSON_POSITION},
    "additionalProperties": False,
}
# A hand-written subset of reviewdog's DiagnosticResult JSON schema.
RDJSON_SCHEMA = {
    "type": "object",
    "required": ["source", "severity", "diagnostics"],
    "additionalProperties": False,
    "properties": {
        "source": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"const": "manifesto"}},
        },
        "severity": {"enum": ["WARNING"]},
        "diagnostics": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "location", "severity", "code", "suggestions"],
                "additionalProperties": False,
                "properties": {
                    "message": {"type": "string"},
                    "location": {
                        "type": "object",
                        "required": ["path", "range"],
                        "additionalProperties": False,
                        "properties": {"path": {"type": "string"}, "range": RDJSON_RANGE},
                    },
                    "severity": {"enum": ["WARNING"]},
                    "code": {
                        "type": "object",
                        "required": ["value"],
                        "additionalProperties": False,
                        "properties": {"value": {"type": "string"}, "url": {"type": "string"}},
                    },
                    "suggestions": {
                        "type": "array",
                        "maxItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["range", "text"],
                            "additionalProperties": False,
                            "properties": {"range": RDJSON_RANGE, "text": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}


def apply_suggestion(text: str, suggestion: dict[str, Any]) -> str:
    rng = suggestion["range"]
    start = offset_of_byte_position(text, rng["start"]["line"], rng["start"]["column"])
    end = offset_of_byte_position(text, rng["end"]["line"], rng["end"]["column"])
    replacement: str = suggestion["text"]
    return text[:start] + replacement + text[end:]


def assert_whole_lines(text: str, suggestion: dict[str, Any]) -> None:
    rng = suggestion["range"]
    assert rng["start"]["column"] == 1
    end = rng["end"]
    if end["column"] != 1:
        # Only where the file ends without a newline: the end of its last line.
        assert not text.endswith("\n")
        assert end["line"] == text.count("\n") + 1
        assert offset_of_byte_position(text, end["line"], end["column"]) == len(text)


def test_rdjson_structure_and_byte_columns() -> None:
    doc = json.loads(run("rdjson"))
    jsonschema.Draft202012Validator(RDJSON_SCHEMA).validate(doc)
    assert doc["source"] == {"name": "manifesto"}
    assert doc["severity"] == "WARNING"
    by = {d["code"]["value"]: d for d in doc["diagnostics"]}
    assert by["MF101"]["code"] == {"value": "MF101", "url": "https://x.test/MF101"}
    assert by["MF300"]["code"] == {"value": "MF300"}
    assert by["MF400"]["suggestions"] == []
    # é is two bytes: "étape" is 5 characters and 6 bytes; the BOM does not count.
    assert by["MF200"]["location"] == {
        "path": "win/Dockerfile",
        "range": {"start": {"line": 1, "column": 21}, "end": {"line": 1, "column": 27}},
    }
    # U+10400 is 4 bytes, each of 日本語 3.
    start = len(b'LABEL description="') + 4 + 1 + 1
    assert by["MF600"]["location"]["range"] == {
        "start": {"line": 2, "column": start},
        "end": {"line": 2, "column": start + 9},
    }
    assert by["MF500"]["location"]["range"] == {
        "start": {"line": 3, "column": 10},
        "end": {"line": 3, "column": 16},
    }


def test_rdjson_suggestions_cover_whole_lines() -> None:
    doc = json.loads(run("rdjson", unsafe_fixes=True))
    by = {d["code"]["value"]: d for d in doc["diagnostics"]}
    # Two edits on lines 2 and 3 → one suggestion over both lines.
    (s,) = by["MF101"]["suggestions"]
    assert s == {
        "range": {"start": {"line": 2, "column": 1}, "end": {"line": 4, "column": 1}},
        "text": (
            "RUN apt-get update -q \\\n"
            "    && apt-get install -y curl \\\n"
            "    && rm -rf /var/lib/apt/lists/*\n"
        ),
    }
    # A whole-line deletion: the line is replaced by nothing.
    assert by["MF300"]["suggestions"] == [
        {"range": {"start": {"line": 5, "column": 1}, "end": {"line": 6, "column": 1}}, "text": ""}
    ]
    # CRLF kept; the BOM is before column 1 and so not part of the text.
    assert by["MF200"]["suggestions"] == [
        {
            "range": {"start": {"line": 1, "column": 1}, "end": {"line": 2, "column": 1}},
            "text": "FROM alpine:3.19 AS build\r\n",
        }
    ]
    # The last line has no newline: the range ends at its end.
    assert by["MF500"]["suggestions"] == [
        {
            "range": {"start": {"line": 3, "column": 1}, "end": {"line": 3, "column": 16}},
            "text": "RUN echo hello\r\n",
        }
    ]
    for d in sample():
        if d.fix is None:
            continue
        text = SOURCES[d.filename]
        (s,) = by[d.code]["suggestions"]  # none of the sample's fixes share a line
        assert_whole_lines(text, s)
        edits = [Edit(e.start, e.end, e.content) for e in d.fix.edits]
        assert apply_suggestion(text, s) == apply_edits(text, edits)


def test_unsafe_fixes_are_offered_only_when_the_run_applies_them() -> None:
    """A reviewer commits a suggestion with one click, a code-scanning tool applies
    ``fixes`` the same way: an unsafe fix is offered only under --unsafe-fixes."""
    unsafe = {d.code for d in sample() if d.fix is not None}
    unsafe &= {d.code for d in sample() if d.fix and d.fix.applicability.value == "unsafe"}
    assert unsafe == {"MF300"}
    rd = {d["code"]["value"]: d for d in json.loads(run("rdjson"))["diagnostics"]}
    assert rd["MF300"]["suggestions"] == []
    assert rd["MF101"]["suggestions"] != []
    results = json.loads(run("sarif"))["runs"][0]["results"]
    by = {r["ruleId"]: r for r in results}
    assert "fixes" not in by["MF300"]
    assert "fixes" in by["MF101"]
    results = json.loads(run("sarif", unsafe_fixes=True))["runs"][0]["results"]
    assert "fixes" in {r["ruleId"]: r for r in results}["MF300"]


def test_rdjson_merges_the_fixes_of_one_line_into_one_suggestion() -> None:
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    install = text.index("apt-get install")
    end = text.index("curl") + 4
    append = fix(
        "Delete the lists", Applicability.SAFE, Edit.insert(end, " && rm -rf /x"), text=text
    )
    flag = fix(
        "No recommends",
        Applicability.SAFE,
        Edit.insert(install + len("apt-get install"), " --no-install-recommends"),
        text=text,
    )
    both = [
        diag("F", text, "MF101", "lists kept", install, end, append),
        diag("F", text, "MF104", "recommends", install, end, flag),
    ]
    doc = json.loads(render("rdjson", both, rules=[], sources={"F": text}))
    first, second = doc["diagnostics"]
    (s,) = first["suggestions"]
    assert second["suggestions"] == []
    assert s["text"] == (
        "RUN apt-get update && apt-get install --no-install-recommends -y curl && rm -rf /x\n"
    )
    assert apply_suggestion(text, s) == apply_edits(
        text,
        [Edit(e.start, e.end, e.content) for d in both for e in d.fix.edits],  # type: ignore[union-attr]
    )


def test_rdjson_without_source_falls_back_to_character_columns() -> None:
    d = by_code("MF600")[0]
    doc = json.loads(render("rdjson", [d], rules=[], sources={}))
    (out,) = doc["diagnostics"]
    assert out["location"]["range"]["start"] == {
        "line": d.location.row,
        "column": d.location.column,
    }
    assert out["suggestions"] == []


def test_rdjson_insertion_after_final_newline_anchors_on_last_line() -> None:
    text = "FROM a\nUSER b\n"
    the_fix = fix(
        "Add", Applicability.SAFE, Edit.insert(len(text), "HEALTHCHECK NONE\n"), text=text
    )
    d = diag("D", text, "MF1", "m", 0, 1, the_fix)
    doc = json.loads(render("rdjson", [d], rules=[], sources={"D": text}))
    (s,) = doc["diagnostics"][0]["suggestions"]
    assert s == {
        "range": {"start": {"line": 2, "column": 1}, "end": {"line": 3, "column": 1}},
        "text": "USER b\nHEALTHCHECK NONE\n",
    }
    assert apply_suggestion(text, s) == text + "HEALTHCHECK NONE\n"


PIECES = ["a", "b", " ", "\\", "é", "日", "\U00010400", "\n", "\r\n", "\t"]


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    bom = BOM if draw(st.booleans()) else ""
    text = bom + "".join(draw(st.lists(st.sampled_from(PIECES), max_size=30)))
    points = sorted(draw(st.lists(st.integers(len(bom), len(text)), min_size=2, max_size=8)))
    if len(points) % 2:
        points.pop()
    edits = [
        Edit(points[i], points[i + 1], "".join(draw(st.lists(st.sampled_from(PIECES), max_size=5))))
        for i in range(0, len(points), 2)
    ]
    return text, edits


@settings(max_examples=300, deadline=None)
@given(text_and_edits())
def test_rdjson_suggestion_applies_like_the_fix(case: tuple[str, list[Edit]]) -> None:
    text, edits = case
    the_fix = fix("f", Applicability.SAFE, *edits, text=text)
    d = diag("F", text, "MF1", "m", edits[0].start, edits[0].end, the_fix)
    doc = json.loads(render("rdjson", [d], rules=[], sources={"F": text}))
    (s,) = doc["diagnostics"][0]["suggestions"]
    assert_whole_lines(text, s)
    assert apply_suggestion(text, s) == apply_edits(text, edits)
    hunk = fix_hunk(SourceText(text), the_fix.edits)
    assert hunk is not None
    assert hunk.old == text[hunk.start : hunk.end]


def test_overlapping_edits_give_no_suggestion() -> None:
    text = "FROM a\n"
    the_fix = fix("f", Applicability.SAFE, Edit(0, 3, "x"), Edit(2, 4, "y"), text=text)
    d = diag("F", text, "MF1", "m", 0, 1, the_fix)
    doc = json.loads(render("rdjson", [d], rules=[], sources={"F": text}))
    assert doc["diagnostics"][0]["suggestions"] == []
    # ... and no diff in the full format, but the help is still there.
    out = render("full", [d], rules=[], sources={"F": text}, show_fix_diff=True)
    assert "help: f" in out and "Safe fix" not in out


# --------------------------------------------------------------------------- github


def test_github() -> None:
    lines = run("github").splitlines()
    assert lines[0] == (
        "::warning file=Dockerfile,line=2,col=1,endLine=3,endColumn=31,"
        "title=MF101 mf101_rule::MF101 apt lists are kept"
    )
    assert lines[3] == (
        "::warning file=win/Dockerfile,line=1,col=21,endLine=1,endColumn=26,"
        "title=MF200 mf200_rule::MF200 stage name is not ASCII"
    )
    assert len(lines) == 6


def test_github_escaping() -> None:
    d = Diagnostic(
        code="MF1",
        name="a,b:c",
        message="100% sure:\r\nnext, line",
        filename="dir,1/my:file%",
        location=Location(1, 2),
        end_location=Location(1, 5),
        fix=None,
    )
    out = render("github", [d], rules=[], sources={})
    assert out == (
        "::warning file=dir%2C1/my%3Afile%25,line=1,col=2,endLine=1,endColumn=5,"
        "title=MF1 a%2Cb%3Ac::MF1 100%25 sure:%0D%0Anext, line\n"
    )


# --------------------------------------------------------------------------- gitlab

GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string"},
            "check_name": {"type": "string"},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "additionalProperties": False,
                        "properties": {
                            "begin": {"type": "integer", "minimum": 1},
                            "end": {"type": "integer", "minimum": 1},
                        },
                    },
                },
            },
        },
    },
}


def test_gitlab() -> None:
    issues = json.loads(run("gitlab"))
    jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    assert issues[0] == {
        "description": "MF101 apt lists are kept",
        "check_name": "MF101",
        "fingerprint": issues[0]["fingerprint"],
        "severity": "minor",
        "location": {"path": "Dockerfile", "lines": {"begin": 2, "end": 3}},
    }
    # A span ending at column 1 of line 6 stops on line 5.
    assert issues[1]["location"]["lines"] == {"begin": 5, "end": 5}
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_unique_and_stable() -> None:
    twice = sample() + by_code("MF400") + by_code("MF400")
    first = [i["fingerprint"] for i in json.loads(run("gitlab", twice))]
    assert len(set(first)) == len(first) == 8
    assert first == [i["fingerprint"] for i in json.loads(run("gitlab", twice))]
    # The same finding keeps its fingerprint when lines are added above it.
    shifted_text = "# new line\n" + A
    user = span(shifted_text, "USER root")
    moved = diag(A_NAME, shifted_text, "MF400", "runs as root", *user)
    original = json.loads(run("gitlab", by_code("MF400")))[0]
    shifted = json.loads(render("gitlab", [moved], rules=[], sources={A_NAME: shifted_text}))[0]
    assert shifted["location"]["lines"]["begin"] == original["location"]["lines"]["begin"] + 1
    assert shifted["fingerprint"] == original["fingerprint"]
    # ... and changes with what the finding says, or the line it is on.
    other = diag(A_NAME, A, "MF400", "runs as root!", *span(A, "USER root"))
    assert json.loads(run("gitlab", [other]))[0]["fingerprint"] != original["fingerprint"]
    edited = A.replace("USER root", "USER root ")
    moved2 = diag(A_NAME, edited, "MF400", "runs as root", *span(edited, "USER root"))
    fp2 = json.loads(render("gitlab", [moved2], rules=[], sources={A_NAME: edited}))[0]
    assert fp2["fingerprint"] != original["fingerprint"]


def test_gitlab_fingerprints_unique_even_with_nul_lines() -> None:
    text = "a\na\x001\n"
    d1 = diag("F", text, "MF1", "m", 0, 1)
    d2 = diag("F", text, "MF1", "m", 2, 3)
    out = render("gitlab", [d1, d1, d2], rules=[], sources={"F": text})
    fps = [i["fingerprint"] for i in json.loads(out)]
    assert len(set(fps)) == 3
