"""Plugins that misbehave: one raises on files that say BOOM, one reuses MF101."""

from __future__ import annotations

from collections.abc import Iterator

from manifesto import Dockerfile, RuleInfo, Violation


class Boom:
    INFO = RuleInfo("BOOM100", "boom", "Explode on BOOM", None, doc="Explodes.")

    @staticmethod
    def fix(tree: Dockerfile, ctx: object) -> Iterator[Violation]:
        for ins in tree.instructions:
            if "BOOM" in ins.args_text:
                raise RuntimeError("the plugin exploded")
        yield from ()


class Collides:
    INFO = RuleInfo("MF101", "apt_lists_kept", "Take a built-in code", None)

    @staticmethod
    def fix(tree: Dockerfile, ctx: object) -> Iterator[Violation]:
        yield from ()
