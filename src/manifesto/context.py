"""What a fixer gets besides the tree: the text, and each RUN's shell parsed once."""

from __future__ import annotations

from dataclasses import dataclass, field

from manifesto.cst import Dockerfile, Instruction, stages
from manifesto.cst.stages import Stage, is_windows, shipped_stages, stage_of
from manifesto.cst.values import exec_args, is_json
from manifesto.shell import ShellCache, ShellScript, ShellSource, shell_options

DEFAULT_SHELL = ("/bin/sh", "-c")


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
    _cache: ShellCache = field(default_factory=ShellCache)
    _stages: tuple[Stage, ...] | None = None
    _shipped: frozenset[int] | None = None

    def shell(self, instruction: Instruction) -> ShellScript | None:
        """The parsed shell of a shell-form RUN; None for exec form, other keywords,
        and RUNs whose stage sets a non-POSIX ``SHELL`` (PowerShell, cmd)."""
        source = shell_source(self.text, instruction)
        if source is None:
            return None
        options = shell_options(self.shell_argv(instruction))
        if options is None:
            return None
        errexit, pipefail = options
        return self._cache.script(source, errexit=errexit, pipefail=pipefail)

    def shell_argv(self, instruction: Instruction) -> tuple[str, ...]:
        """The SHELL in force for an instruction (the last one before it in its stage)."""
        stage = self.stage_of(instruction)
        argv: tuple[str, ...] = DEFAULT_SHELL
        if stage is None:
            return argv
        for ins in stage.instructions:
            if ins is instruction:
                break
            if ins.keyword == "SHELL":
                args = exec_args(ins)
                if args:
                    argv = args
        return argv

    @property
    def stages(self) -> tuple[Stage, ...]:
        if self._stages is None:
            self._stages = stages(self.tree)
        return self._stages

    def stage_of(self, instruction: Instruction) -> Stage | None:
        return stage_of(self.tree, instruction, self.stages)

    @property
    def shipped(self) -> tuple[Stage, ...]:
        return shipped_stages(self.tree)

    def is_shipped(self, instruction: Instruction) -> bool:
        """Whether the instruction's layers end up in the final image."""
        if self._shipped is None:
            self._shipped = frozenset(s.index for s in self.shipped)
        stage = self.stage_of(instruction)
        return stage is not None and stage.index in self._shipped

    @property
    def windows(self) -> bool:
        return is_windows(self.tree)


__all__ = ["FixContext", "shell_source"]
