"""What a fixer gets besides the tree: the text, and each RUN's shell parsed once."""

from __future__ import annotations

from dataclasses import dataclass, field

from manifesto.cst import Dockerfile, Instruction, stages
from manifesto.cst.stages import Stage, is_windows, shipped_stages
from manifesto.cst.values import is_json
from manifesto.shell import ShellScript, ShellSource, parse_shell


def shell_source(text: str, instruction: Instruction) -> ShellSource | None:
    """The shell script of a shell-form RUN, with its file offset; None otherwise."""
    if instruction.keyword != "RUN" or is_json(instruction):
        return None
    start, end = instruction.args.start, instruction.content_end
    if end < start:
        return None
    return ShellSource(text[start:end], start, instruction.escape)


@dataclass(slots=True)
class FixContext:
    """Shared, read-only inputs of one pass; the shell cache lives as long as the pass."""

    text: str
    tree: Dockerfile
    _shells: dict[int, ShellScript | None] = field(default_factory=dict)

    def shell(self, instruction: Instruction) -> ShellScript | None:
        """The parsed shell of a shell-form RUN (None for exec form and other keywords)."""
        key = instruction.start
        if key not in self._shells:
            source = shell_source(self.text, instruction)
            self._shells[key] = None if source is None else parse_shell(source)
        return self._shells[key]

    @property
    def stages(self) -> tuple[Stage, ...]:
        return stages(self.tree)

    @property
    def shipped(self) -> tuple[Stage, ...]:
        return shipped_stages(self.tree)

    @property
    def windows(self) -> bool:
        return is_windows(self.tree)
