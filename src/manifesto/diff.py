"""Unified diffs that ``git apply -p1`` accepts, newline quirks included."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def split_keep(text: str) -> list[str]:
    """Lines split on ``\\n`` only (a lone ``\\r`` stays inside its line)."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    """``--- a/PATH`` / ``+++ b/PATH`` diff of two texts; empty when equal."""
    if before == after:
        return ""
    out: list[str] = []
    for line in difflib.unified_diff(
        split_keep(before),
        split_keep(after),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
        n=context,
        lineterm="\n",
    ):
        if line.startswith(("---", "+++")) and not line.endswith("\n"):
            line += "\n"
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n")
            out.append(NO_NEWLINE)
    return "".join(out)
