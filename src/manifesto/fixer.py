"""The shape every fixer module has: ``INFO`` and ``fix(tree, ctx)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from manifesto.context import FixContext
from manifesto.cst import Dockerfile
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Violation


class Fixer(Protocol):
    INFO: RuleInfo

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]: ...
