"""manifesto: refactors Dockerfiles to follow the Container Build Manifesto."""

from manifesto.cst import Dockerfile, Instruction, ParseError, parse

__all__ = ["Dockerfile", "Instruction", "ParseError", "parse"]
