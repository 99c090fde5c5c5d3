"""What a fixer gets besides the tree: the text, each RUN's shell parsed once, and
the one view of the stages (:class:`manifesto.cst.stages.StageGraph`)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar, cast

from manifesto.context_files import ContextListing
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import WINDOWS, BaseImage, Stage, StageGraph, stage_graph
from manifesto.cst.values import exec_args, is_json
from manifesto.pins import ImagePins
from manifesto.shell import ShellCache, ShellScript, ShellSource, shell_options
from manifesto.users import DEFAULT_APP_USER, AppUser

DEFAULT_SHELL = ("/bin/sh", "-c")

_T = TypeVar("_T")

LINUX_PACKAGE_MANAGERS = frozenset(
    {
        "apt-get",
        "apt",
        "aptitude",
        "dpkg",
        "apk",
        "yum",
        "dnf",
        "microdnf",
        "tdnf",
        "zypper",
        "rpm",
        "pacman",
        "emerge",
        "xbps-install",
    }
)
"""Programs that only exist on Linux: a RUN calling one runs a POSIX shell."""
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


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
    target: str | None = None
    """The stage ``docker build --target`` builds (None: the last one)."""
    _graph: StageGraph | None = None
    # Per-instruction lookups built once per pass: asked per RUN by every fixer,
    # a scan of the stage each time would make a pass quadratic in the RUNs.
    _argv_by_id: dict[int, tuple[str, ...]] | None = None
    _posix_by_stage: dict[int, bool] = field(default_factory=dict)
    _starts: list[int] | None = None
    _order: _ImageOrder | None = None
    _match_memo: dict[Hashable, _Matches] = field(default_factory=dict)
    _shells: dict[int, tuple[Instruction, ShellScript | None]] = field(default_factory=dict)
    _memo: dict[Hashable, object] = field(default_factory=dict)
    image_pins: ImagePins | None = None
    """The run's image pins (lock file, config, registry); None: no source of truth."""
    read_context_file: Callable[[str], str | None] | None = None
    """Reads a small build-context file (a path relative to the Dockerfile's
    directory, never outside the tree): its text, or None when it is missing, too
    big or not text. None: this run reads no context files."""
    app_user: AppUser = DEFAULT_APP_USER
    """The user MF401 creates and switches images to (``user-name``, ``user-id``)."""
    list_context: Callable[[], ContextListing | None] | None = None
    """What the Dockerfile's directory holds (:mod:`manifesto.context_files`); None:
    this run lists nothing (stdin, tests)."""

    def shell(self, instruction: Instruction) -> ShellScript | None:
        """The parsed shell of a shell-form RUN; None for exec form, other keywords,
        and RUNs whose stage sets a non-POSIX ``SHELL`` (PowerShell, cmd)."""
        # Every fixer asks for every RUN: remembered per instruction, so the script
        # text is not sliced and hashed again each time (the instruction is kept
        # with it, so its id cannot be reused by another object).
        known = self._shells.get(id(instruction))
        if known is not None and known[0] is instruction:
            return known[1]
        script = self._shell(instruction)
        self._shells[id(instruction)] = (instruction, script)
        return script

    def _shell(self, instruction: Instruction) -> ShellScript | None:
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
        if self._argv_by_id is None:
            self._argv_by_id = self._shells_in_force()
        return self._argv_by_id.get(id(instruction), DEFAULT_SHELL)

    def _shells_in_force(self) -> dict[int, tuple[str, ...]]:
        # The tree keeps every instruction alive, so their ids are unique for the
        # life of this context. A FROM sees the last SHELL of its stage (it is not
        # among the stage's instructions, so the scan used to run to the end).
        out: dict[int, tuple[str, ...]] = {}
        for stage in self.stages:
            argv: tuple[str, ...] = DEFAULT_SHELL
            for ins in stage.instructions:
                out[id(ins)] = argv
                if ins.keyword == "SHELL":
                    args = exec_args(ins)
                    if args:
                        argv = args
            out[id(stage.from_)] = argv
        return out

    @property
    def graph(self) -> StageGraph:
        """The stages with their resolved bases, parents and shipping (built once)."""
        if self._graph is None:
            self._graph = stage_graph(self.tree, self.target)
        return self._graph

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.graph.stages

    def stage_of(self, instruction: Instruction) -> Stage | None:
        return self.graph.stage_of(instruction)

    def base_of(self, instruction: Instruction) -> BaseImage:
        """What the stage of ``instruction`` is built on (family, version, Windows, unknown)."""
        return self.graph.base_of(instruction)

    def windows_at(self, instruction: Instruction) -> bool:
        """Whether ``instruction`` is in a Windows stage: left alone by the fixers."""
        return self.graph.base_of(instruction).windows

    def posix_shell_at(self, instruction: Instruction) -> bool:
        """Whether the RUNs of the stage of ``instruction`` certainly run a POSIX shell.

        True for a known base that is not Windows. For an unknown base (``FROM $BASE``)
        only when the stage, or a stage it is built FROM, shows one: a RUN calling a
        Linux package manager or ``set -e``, or a SHELL that is a POSIX shell.
        """
        base = self.base_of(instruction)
        if base.windows:
            return False
        if not base.unknown or base.family not in (None, WINDOWS):
            return True
        stage = self.stage_of(instruction)
        if stage is None:
            return False
        found = self._posix_by_stage.get(stage.index)
        if found is None:
            found = any(
                self._shows_posix(i) for s in self.graph.ancestors(stage) for i in s.instructions
            )
            self._posix_by_stage[stage.index] = found
        return found

    def _shows_posix(self, instruction: Instruction) -> bool:
        if instruction.keyword == "SHELL":
            argv = exec_args(instruction) or ()
            return bool(argv) and argv[0].rsplit("/", 1)[-1] in POSIX_SHELLS
        script = self.shell(instruction)
        if script is None or script.has_errors:
            return False
        for command in script.commands:
            if command.program in LINUX_PACKAGE_MANAGERS:
                return True
            if command.program == "set" and any(
                re.fullmatch(r"-[a-zA-Z]*e[a-zA-Z]*", w.value or "") or w.value == "errexit"
                for w in command.effective_args
            ):
                return True
        return False

    @property
    def shipped(self) -> tuple[Stage, ...]:
        """The stages whose layers may end up in the image, the top one first."""
        return tuple(s for s in reversed(self.stages) if s.index in self.graph.shipped)

    def is_shipped(self, instruction: Instruction) -> bool:
        """Whether the instruction's layers may end up in the image (``--target`` or the
        last stage, and the stages it is built FROM)."""
        stage = self.stage_of(instruction)
        return stage is not None and self.graph.is_shipped(stage)

    def ancestors(self, stage: Stage) -> tuple[Stage, ...]:
        """The stage and the stages it is built FROM, oldest first."""
        return self.graph.ancestors(stage)

    def earlier_in_image(self, instruction: Instruction) -> tuple[Instruction, ...]:
        """What ran before ``instruction`` in the image it builds (its ENV reaches it)."""
        return self.graph.earlier_in_image(instruction)

    def later_in_image(self, instruction: Instruction) -> tuple[Instruction, ...]:
        """What runs on top of ``instruction``'s layer, in its stage and the stages that
        are (or, through an unknown base, may be) built FROM it."""
        return self.graph.later_in_image(instruction)

    def instruction_at(self, offset: int) -> Instruction | None:
        """The instruction whose text holds file offset ``offset``."""
        instructions = self.tree.instructions
        if self._starts is None:
            self._starts = [ins.start for ins in instructions]
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset <= instructions[i].end:
            return instructions[i]
        return None

    def earlier_matching(
        self, instruction: Instruction, predicate: InstructionTest, key: Hashable = None
    ) -> Iterator[Instruction]:
        """The instructions of :meth:`earlier_in_image` for which ``predicate`` holds, in
        the same order, lazily.

        A fixer asking about the predecessors of every RUN would be quadratic with
        ``earlier_in_image``; here ``predicate(ctx, item)`` is asked once per
        instruction and pass, and each question costs the matches it reads. The
        predicate must depend on the item alone; ``key`` (default: the predicate)
        names it in the memo, so a closure passes what it closes over.
        """
        return self._image_order().earlier(instruction, self._matches(predicate, key))

    def later_matching(
        self, instruction: Instruction, predicate: InstructionTest, key: Hashable = None
    ) -> Iterator[Instruction]:
        """The instructions of :meth:`later_in_image` for which ``predicate`` holds, in
        the same order, lazily (see :meth:`earlier_matching`)."""
        return self._image_order().later(instruction, self._matches(predicate, key))

    def cached(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, once per pass for ``key``: for an index a helper builds over the
        whole file and then asks about each RUN (asking the file anew for every RUN
        would be quadratic). ``key`` must name the helper and what the result is."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(_T, self._memo[key])

    def is_earlier_in_image(self, item: Instruction, instruction: Instruction) -> bool:
        """Whether ``item`` is one of :meth:`earlier_in_image` of ``instruction``, without
        listing them."""
        return self._image_order().is_earlier(item, instruction)

    def _image_order(self) -> _ImageOrder:
        if self._order is None:
            self._order = _ImageOrder(self.graph)
        return self._order

    def _matches(self, predicate: InstructionTest, key: Hashable) -> _Matches:
        memo_key = predicate if key is None else key
        found = self._match_memo.get(memo_key)
        if found is None:
            found = _Matches(self, predicate)
            self._match_memo[memo_key] = found
        return found


InstructionTest = Callable[[FixContext, Instruction], bool]


class _Matches:
    """Per stage, the positions of the instructions a predicate holds for (computed
    for a stage the first time it is asked about)."""

    __slots__ = ("_ctx", "_positions", "_predicate")

    def __init__(self, ctx: FixContext, predicate: InstructionTest) -> None:
        self._ctx = ctx
        self._predicate = predicate
        self._positions: dict[int, list[int]] = {}

    def of(self, stage: Stage) -> list[int]:
        found = self._positions.get(stage.index)
        if found is None:
            test, ctx = self._predicate, self._ctx
            found = [i for i, ins in enumerate(stage.instructions) if test(ctx, ins)]
            self._positions[stage.index] = found
        return found


class _ImageOrder:
    """Where each instruction sits in its stage, and which later stages may be built
    on each stage: what ``earlier_in_image`` and ``later_in_image`` walk, indexed."""

    __slots__ = ("_builders", "_graph", "_position")

    def __init__(self, graph: StageGraph) -> None:
        self._graph = graph
        self._position: dict[int, int] = {}
        for stage in graph.stages:
            # A FROM is not among its stage's instructions: everything in the stage
            # is before it for earlier_in_image, after it for later_in_image.
            self._position.update((id(ins), i) for i, ins in enumerate(stage.instructions))
        self._builders: dict[int, tuple[Stage, ...]] = {}

    def _at(self, instruction: Instruction) -> tuple[Stage, int | None] | None:
        stage = self._graph.stage_of(instruction)
        if stage is None:
            return None
        return stage, self._position.get(id(instruction))

    def earlier(self, instruction: Instruction, matches: _Matches) -> Iterator[Instruction]:
        found = self._at(instruction)
        if found is None:
            return
        stage, position = found
        end = len(stage.instructions) if position is None else position
        for st in self._graph.ancestors(stage):
            body = st.instructions
            if st.index == stage.index:
                positions = matches.of(st)
                for i in positions[: bisect.bisect_left(positions, end)]:
                    yield body[i]
                return
            for i in matches.of(st):
                yield body[i]

    def is_earlier(self, item: Instruction, instruction: Instruction) -> bool:
        found = self._at(instruction)
        item_stage = self._graph.stage_of(item)
        item_position = self._position.get(id(item))
        if found is None or item_stage is None or item_position is None:
            return False  # a FROM is in no stage's instructions
        stage, position = found
        if item_stage.index == stage.index:
            return position is None or item_position < position
        return any(st.index == item_stage.index for st in self._graph.ancestors(stage))

    def later(self, instruction: Instruction, matches: _Matches) -> Iterator[Instruction]:
        found = self._at(instruction)
        if found is None:
            return
        stage, position = found
        start = -1 if position is None else position
        positions = matches.of(stage)
        body = stage.instructions
        for i in positions[bisect.bisect_right(positions, start) :]:
            yield body[i]
        for other in self._built_on(stage):
            for i in matches.of(other):
                yield other.instructions[i]

    def _built_on(self, stage: Stage) -> tuple[Stage, ...]:
        found = self._builders.get(stage.index)
        if found is None:
            found = self._graph.built_on(stage)
            self._builders[stage.index] = found
        return found


__all__ = ["FixContext", "shell_source"]
