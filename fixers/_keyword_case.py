"""New keywords in the case the file writes its own: `copy` beside `add`."""

from __future__ import annotations

from manifesto.context import FixContext
from manifesto.cst import Instruction


def keyword_like(ctx: FixContext, ins: Instruction, keyword: str) -> str:
    """``keyword`` in the case of ``ins``'s keyword as written: lower, upper, or
    capitalised for anything mixed (``Add`` gives ``Copy``)."""
    written = ctx.text[ins.keyword_span.start : ins.keyword_span.end]
    if written.islower():
        return keyword.lower()
    if written.isupper():
        return keyword.upper()
    return keyword.capitalize()
