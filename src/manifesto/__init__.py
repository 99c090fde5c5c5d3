"""manifesto: refactors Dockerfiles to follow the Container Build Manifesto."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: this package is imported before the Ctrl-C handler
if TYPE_CHECKING:
    from manifesto.api import check_text, fix_text
    from manifesto.cst import Dockerfile, Instruction, ParseError, parse
    from manifesto.diagnostics import RuleInfo
    from manifesto.edits import Applicability, Edit, Fix, Violation
    from manifesto.engine import AppliedFix, Finding, Result

__all__ = [
    "Applicability",
    "AppliedFix",
    "Dockerfile",
    "Edit",
    "Finding",
    "Fix",
    "Instruction",
    "ParseError",
    "Result",
    "RuleInfo",
    "Violation",
    "check_text",
    "fix_text",
    "parse",
]

# The public API, by the module that defines each name. Imported on first use: the
# console script and ``python -m manifesto`` import this package before their
# Ctrl-C handler runs (manifesto._entry), so importing the parser here would put
# its start-up time outside that handler.
_HOME = {
    "check_text": "manifesto.api",
    "fix_text": "manifesto.api",
    "Dockerfile": "manifesto.cst",
    "Instruction": "manifesto.cst",
    "ParseError": "manifesto.cst",
    "parse": "manifesto.cst",
    "RuleInfo": "manifesto.diagnostics",
    "Applicability": "manifesto.edits",
    "Edit": "manifesto.edits",
    "Fix": "manifesto.edits",
    "Violation": "manifesto.edits",
    "AppliedFix": "manifesto.engine",
    "Finding": "manifesto.engine",
    "Result": "manifesto.engine",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'manifesto' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
