"""Reporters: diagnostics rendered in one of :data:`FORMATS`.

``render(fmt, diagnostics, rules=..., sources=...)`` returns the whole report as
one ``str``; printing it is the caller's job. Diagnostics are reported sorted by
file, position and code (a stable sort: ties keep their given order).

``sources`` maps each filename to the file's full text, as read (CRLF, a BOM,
any Unicode); formats that show source lines, convert to byte columns, compute
fingerprints or build line suggestions need it, and do without when a file is
missing from it.

Shared conventions, documented in :mod:`manifesto.report._source`: rows and
columns are 1-based, columns count characters, ends are exclusive, a CRLF's
``\\r`` is not part of the line, and a BOM is not part of line 1 (column 1 of
line 1 is the character after the BOM).

``color`` makes ``full`` and ``concise`` return rich markup (print it with
markup on, and highlighting and emoji codes off); without it every format is plain text. Every
non-empty report ends with a newline; JSON keeps non-ASCII characters as they are.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from manifesto.diagnostics import Diagnostic, FileError, RuleInfo
from manifesto.report._context import Context
from manifesto.report._source import Sources, sort_key

Renderer = Callable[[Sequence[Diagnostic], Context], str]

# Format -> module; a module is imported only when its format is asked for, so a
# run that prints JSON does not pay for rich's markup at start-up.
_MODULES: Mapping[str, str] = MappingProxyType(
    {
        "full": "full",
        "concise": "concise",
        "json": "json_array",
        "json-lines": "json_lines",
        "sarif": "sarif",
        "rdjson": "rdjson",
        "github": "github",
        "gitlab": "gitlab",
    }
)


def _renderer(fmt: str) -> Renderer | None:
    module = _MODULES.get(fmt)
    if module is None:
        return None
    loaded = importlib.import_module(f"manifesto.report.{module}")
    render_function: Renderer = loaded.render
    return render_function


FORMATS: tuple[str, ...] = tuple(_MODULES)

__all__ = ["FORMATS", "render"]


def render(
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    *,
    rules: Sequence[RuleInfo],
    sources: Mapping[str, str],
    show_fix_diff: bool = False,
    color: bool = False,
    errors: Sequence[FileError] = (),
    unsafe_fixes: bool = False,
) -> str:
    """Render ``diagnostics`` in format ``fmt``; ValueError for an unknown format."""
    renderer = _renderer(fmt)
    if renderer is None:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
    ctx = Context(
        rules=rules,
        sources=Sources(sources),
        show_fix_diff=show_fix_diff,
        color=color,
        errors=errors,
        unsafe_fixes=unsafe_fixes,
    )
    return renderer(sorted(diagnostics, key=sort_key), ctx)
