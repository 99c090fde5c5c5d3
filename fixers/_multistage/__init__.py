"""MF501's ecosystems: one recogniser per module, asked in the order of ECOSYSTEMS.

Each module exports ``recognise(view: BuildView) -> Conversion | NoConversion | None``
(see :mod:`.plan`); the first that does not answer None decides. Compiled
languages come first: a Go or Rust build that also runs ``npm`` for its assets is
a Go or Rust image.
"""

from __future__ import annotations

from . import c, dotnet, go, java, node, python, rust
from .plan import Recognise

ECOSYSTEMS: tuple[tuple[str, Recognise], ...] = (
    ("go", go.recognise),
    ("rust", rust.recognise),
    ("c", c.recognise),
    ("java", java.recognise),
    ("dotnet", dotnet.recognise),
    ("node", node.recognise),
    ("python", python.recognise),
)
"""(ecosystem, recogniser) in the order they are asked."""

__all__ = ["ECOSYSTEMS"]
