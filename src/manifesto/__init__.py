"""manifesto: refactors Dockerfiles to follow the Container Build Manifesto."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: this package is imported before the Ctrl-C handler
if TYPE_CHECKING:
    from manifesto.cst import Dockerfile, Instruction, ParseError, parse

__all__ = ["Dockerfile", "Instruction", "ParseError", "parse"]


def __getattr__(name: str) -> object:
    # Imported on first use: the console script and ``python -m manifesto`` import
    # this package before their Ctrl-C handler runs (manifesto._entry), so importing
    # the parser here would put its start-up time outside that handler.
    if name in __all__:
        from manifesto import cst

        return getattr(cst, name)
    raise AttributeError(f"module 'manifesto' has no attribute {name!r}")
