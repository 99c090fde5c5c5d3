"""``full``: ruff's layout, a header, the source lines with a caret underline, help.

::

    Dockerfile:3:1: MF101 [*] apt lists are left in the image
      |
    1 | FROM debian:12
    2 |
    3 | RUN apt-get update && apt-get install -y curl
      | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ MF101
    4 | COPY . .
      |
      = help: Delete the apt lists in the RUN that fetched them

With ``show_fix_diff`` the fix follows as a line diff of the lines it touches.
Tabs show as four spaces and every other character a terminal would obey is made
visible (:func:`manifesto.terminal.printable`: ESC as ``␛``, a bidi override as
``\u202e``), so that a file cannot rewrite the screen and the carets line up;
caret widths count terminal cells (wide characters take two).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from rich.cells import cell_len

from manifesto.diagnostics import Diagnostic, FixReport
from manifesto.edits import Applicability
from manifesto.report._context import Context
from manifesto.report._markup import styled
from manifesto.report._source import SourceText, fix_hunk, last_row_of_span, split_lines
from manifesto.report.concise import header
from manifesto.terminal import printable

CONTEXT_LINES = 2
"""Unmarked lines shown before and after the marked ones."""

DIFF_CONTEXT_LINES = 1

GUTTER_STYLE = "bold blue"
CARET_STYLE = "bold red"

FIX_TITLES = MappingProxyType(
    {
        Applicability.SAFE: "Safe fix",
        Applicability.UNSAFE: "Unsafe fix",
        Applicability.DISPLAY_ONLY: "Display-only fix",
    }
)


def display(text: str) -> str:
    """``text`` as it should reach a terminal: tabs expanded, control characters pictured."""
    return printable(text.replace("\t", "    "))


def _source_line(gutter: str, text: str, color: bool) -> str:
    shown = display(text)
    bar = styled(f"{gutter} |", GUTTER_STYLE, color)
    return f"{bar} {styled(shown, None, color)}" if shown else bar


def _caret_spans(d: Diagnostic, source: SourceText) -> dict[int, tuple[int, int]]:
    """Row → (start, end) character indices to underline on that row."""
    first = min(max(d.location.row, 1), source.line_count)
    last = min(max(last_row_of_span(d.location, d.end_location), first), source.line_count)
    spans: dict[int, tuple[int, int]] = {}
    for row in range(first, last + 1):
        line = source.line(row)
        a = min(max(d.location.column - 1, 0), len(line)) if row == first else 0
        b = d.end_location.column - 1 if row == d.end_location.row else len(line)
        b = min(max(b, a), len(line))
        if b > a:
            spans[row] = (a, b)
    if not spans:
        line = source.line(first)
        a = min(max(d.location.column - 1, 0), len(line)) if first == d.location.row else 0
        spans[first] = (a, a)
    return spans


def snippet(d: Diagnostic, source: SourceText, color: bool) -> tuple[list[str], int]:
    """The source lines around ``d`` with carets under its span; and the gutter width."""
    spans = _caret_spans(d, source)
    first, last = min(spans), max(spans)
    lo = max(1, first - CONTEXT_LINES)
    hi = max(min(source.last_visible_row, last + CONTEXT_LINES), last)
    width = len(str(hi))
    blank = styled(" " * width + " |", GUTTER_STYLE, color)
    out = [blank]
    for row in range(lo, hi + 1):
        line = source.line(row)
        out.append(_source_line(f"{row:>{width}}", line, color))
        span = spans.get(row)
        if span is None:
            continue
        a, b = span
        pad = " " * cell_len(display(line[:a]))
        carets = "^" * max(1, cell_len(display(line[a:b])))
        label = f"{carets} {d.code}" if row == last else carets
        out.append(f"{blank} {pad}{styled(label, CARET_STYLE, color)}")
    out.append(blank)
    return out, width


def fix_diff(fix: FixReport, source: SourceText, color: bool) -> list[str]:
    """The lines ``fix`` touches, before (``-``) and after (``+``), with a line of context."""
    import difflib  # here: only a report that shows fixes as diffs needs it (start-up)

    hunk = fix_hunk(source, fix.edits)
    if hunk is None or hunk.old == hunk.new:
        return []
    old = split_lines(hunk.old)
    new = split_lines(hunk.new)
    before = list(range(max(1, hunk.first_row - DIFF_CONTEXT_LINES), hunk.first_row))
    after_stop = min(source.last_visible_row, hunk.last_row + DIFF_CONTEXT_LINES)
    after = list(range(hunk.last_row + 1, after_stop + 1))
    shift = len(new) - len(old)
    width = len(str(max(hunk.first_row + max(len(old), len(new)), after_stop, 1)))
    blank_no = " " * width
    rows: list[tuple[str, str, str, str]] = []
    for row in before:
        rows.append((f"{row:>{width}}", f"{row:>{width}}", " ", source.line(row)))
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                no_old = f"{hunk.first_row + i1 + k:>{width}}"
                no_new = f"{hunk.first_row + j1 + k:>{width}}"
                rows.append((no_old, no_new, " ", old[i1 + k]))
            continue
        for i in range(i1, i2):
            rows.append((f"{hunk.first_row + i:>{width}}", blank_no, "-", old[i]))
        for j in range(j1, j2):
            rows.append((blank_no, f"{hunk.first_row + j:>{width}}", "+", new[j]))
    for row in after:
        rows.append((f"{row:>{width}}", f"{row + shift:>{width}}", " ", source.line(row)))
    out = [styled(f"\u2139 {FIX_TITLES[fix.applicability]}", "bold", color)]
    sign_style = {"-": "red", "+": "green", " ": None}
    for no_old, no_new, sign, text in rows:
        gutter = styled(f"{no_old} {no_new} |", GUTTER_STYLE, color)
        body = styled(sign + display(text), sign_style[sign], color)
        out.append(f"{gutter}{body}")
    return out


def block(d: Diagnostic, ctx: Context) -> list[str]:
    """The lines that report one diagnostic (no trailing blank line)."""
    color = ctx.color
    out = [header(d, color)]
    source = ctx.sources.get(d.filename)
    width = 1
    if source is not None and _may_quote(d, ctx):
        lines, width = snippet(d, source, color)
        out += lines
    if d.fix is not None:
        if d.fix.message:
            help_line = " " * width + " = " + styled("help", "bold", color) + ": "
            out.append(help_line + styled(printable(d.fix.message), None, color))
        if ctx.show_fix_diff and source is not None:
            diff = fix_diff(d.fix, source, color)
            if diff:
                out.append("")
                out += diff
    return out


def _may_quote(d: Diagnostic, ctx: Context) -> bool:
    """Whether the lines under ``d`` may be shown: not for a rule about secrets."""
    return all(rule.shows_source for rule in ctx.rules if rule.code == d.code)


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    return "".join("\n".join(block(d, ctx)) + "\n\n" for d in diagnostics)
