"""Stage-aware views: build stages, their bases, and which of them are shipped."""

from __future__ import annotations

from dataclasses import dataclass

from manifesto.cst.nodes import Dockerfile, Instruction
from manifesto.cst.values import arg_defaults, buildkit_value

WINDOWS_BASE_HINTS = (
    "servercore",
    "nanoserver",
    "windows/",
    "windowsservercore",
    "mcr.microsoft.com/windows",
)


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    from_: Instruction
    instructions: tuple[Instruction, ...]
    """The instructions after FROM, up to the next FROM."""

    @property
    def base(self) -> str:
        """The image (or stage) the stage starts from, as written."""
        vals, _ = buildkit_value(self.from_)
        return vals[0] if vals else ""

    @property
    def name(self) -> str | None:
        """The ``AS`` name, lower-cased as BuildKit compares it."""
        vals, _ = buildkit_value(self.from_)
        if len(vals) >= 3 and vals[1].lower() == "as":
            return vals[2].lower()
        return None

    @property
    def platform(self) -> str | None:
        flag = self.from_.flag("platform")
        return flag.value if flag is not None else None


def stages(tree: Dockerfile) -> tuple[Stage, ...]:
    out: list[Stage] = []
    current: Instruction | None = None
    body: list[Instruction] = []
    for ins in tree.instructions:
        if ins.keyword == "FROM":
            if current is not None:
                out.append(Stage(len(out), current, tuple(body)))
            current, body = ins, []
        elif current is not None:
            body.append(ins)
    if current is not None:
        out.append(Stage(len(out), current, tuple(body)))
    return tuple(out)


def global_args(tree: Dockerfile) -> dict[str, str | None]:
    """ARGs declared before the first FROM: the only ones a FROM line can use."""
    out: dict[str, str | None] = {}
    for ins in tree.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword == "ARG":
            out.update(arg_defaults(ins))
    return out


def stage_named(tree: Dockerfile, name: str) -> Stage | None:
    wanted = name.lower()
    for stage in stages(tree):
        if stage.name == wanted:
            return stage
    return None


def stage_of(
    tree: Dockerfile, instruction: Instruction, all_stages: tuple[Stage, ...] | None = None
) -> Stage | None:
    """The stage an instruction belongs to (``all_stages``: ``stages(tree)``, if at hand)."""
    for stage in all_stages if all_stages is not None else stages(tree):
        if stage.from_ is instruction or any(i is instruction for i in stage.instructions):
            return stage
    return None


def shipped_stages(tree: Dockerfile, target: str | None = None) -> tuple[Stage, ...]:
    """The target stage (default: the last) and every stage it is built FROM.

    A stage used only by ``COPY --from`` ships just the files copied, not its
    layers, so it is not in this list.
    """
    all_stages = stages(tree)
    if not all_stages:
        return ()
    by_name = {s.name: s for s in all_stages if s.name}
    stage = by_name.get(target.lower()) if target else all_stages[-1]
    chain: list[Stage] = []
    seen: set[int] = set()
    while stage is not None and stage.index not in seen:
        chain.append(stage)
        seen.add(stage.index)
        parent = by_name.get(stage.base.lower())
        stage = parent if parent is not None and parent.index < stage.index else None
    return tuple(chain)


def is_windows(tree: Dockerfile) -> bool:
    """Windows images are left alone: backtick escape, Windows bases, PowerShell/cmd shells."""
    if tree.escape == "`":
        return True
    for ins in tree.instructions:
        eff = ins.effective
        if eff.keyword == "FROM":
            base = (buildkit_value(eff)[0] or ("",))[0].lower()
            if any(hint in base for hint in WINDOWS_BASE_HINTS):
                return True
        if eff.keyword == "SHELL":
            shell = " ".join(buildkit_value(eff)[0]).lower()
            if "powershell" in shell or "pwsh" in shell or "cmd" in shell.split("\\")[-1].split():
                return True
    return False
