"""The lossless Dockerfile syntax tree."""

from manifesto.cst.nodes import (
    Blank,
    Comment,
    Directive,
    Dockerfile,
    Element,
    Flag,
    Heredoc,
    Instruction,
    Line,
    LogicalLine,
    Role,
    Span,
)
from manifesto.cst.parser import ParseError, parse

__all__ = [
    "Blank",
    "Comment",
    "Directive",
    "Dockerfile",
    "Element",
    "Flag",
    "Heredoc",
    "Instruction",
    "Line",
    "LogicalLine",
    "ParseError",
    "Role",
    "Span",
    "parse",
]

from manifesto.cst.stages import (
    BaseImage,
    Stage,
    StageGraph,
    global_args,
    is_windows,
    shipped_stages,
    stage_graph,
    stage_named,
    stage_of,
    stages,
)

__all__ += [
    "BaseImage",
    "Stage",
    "StageGraph",
    "global_args",
    "is_windows",
    "shipped_stages",
    "stage_graph",
    "stage_named",
    "stage_of",
    "stages",
]
