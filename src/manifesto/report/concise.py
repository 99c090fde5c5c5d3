"""``concise``: one line per diagnostic, ``path:row:col: CODE [*] message``."""

from __future__ import annotations

from collections.abc import Sequence

from manifesto.diagnostics import Diagnostic
from manifesto.edits import Applicability
from manifesto.report._context import Context
from manifesto.report._markup import styled
from manifesto.terminal import printable

FIXABLE_MARKER = "[*]"


def is_fixable(d: Diagnostic) -> bool:
    """Fixed by a plain ``fix``: the diagnostic carries a safe fix."""
    return d.fix is not None and d.fix.applicability is Applicability.SAFE


def header(d: Diagnostic, color: bool) -> str:
    """``path:row:col: CODE [*] message``; ``[*]`` only for a safe fix.

    The file name and the message (which may quote the file) reach a terminal:
    their control characters are shown, not obeyed, and a newline in a name
    does not split the line.
    """
    colon = styled(":", "cyan", color)
    parts = [
        styled(printable(d.filename), "bold", color),
        colon,
        styled(str(d.location.row), None, color),
        colon,
        styled(str(d.location.column), None, color),
        colon,
        " ",
        styled(d.code, "bold red", color),
        " ",
    ]
    if is_fixable(d):
        parts += [styled(FIXABLE_MARKER, "cyan", color), " "]
    parts.append(styled(printable(d.message), None, color))
    return "".join(parts)


def render(diagnostics: Sequence[Diagnostic], ctx: Context) -> str:
    return "".join(header(d, ctx.color) + "\n" for d in diagnostics)
