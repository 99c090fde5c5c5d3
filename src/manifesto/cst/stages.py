"""Stage-aware views: build stages, their resolved bases, and which of them ship.

One view, :class:`StageGraph`, answers every stage question the fixers ask, so
that they all agree: what a stage is built FROM (through the ARGs declared
before the first FROM, and through earlier stage names), which operating
system its base image runs (family and version, when the reference tells),
whether it is a Windows stage, which stages end up in the image, and what runs
before and on top of an instruction's layers.

A FROM whose variables have no value (``ARG BASE`` without a default, an
automatic platform ARG) is an *unknown base*: BuildKit takes the value from
``--build-arg``, so the stage may be built from any image or any earlier stage.
Questions about it are answered conservatively: every earlier stage may be
under it (it may ship, it may run on top of them), and nothing is assumed about
its shell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from manifesto.cst.nodes import Dockerfile, Instruction
from manifesto.cst.values import arg_defaults, buildkit_value, exec_args
from manifesto.cst.words import parse_words
from manifesto.images import ImageRef, expand, parse_image

WINDOWS_BASE_HINTS: Final = (
    "servercore",
    "nanoserver",
    "windows/",
    "windowsservercore",
    "mcr.microsoft.com/windows",
    # .NET Framework's images (runtime:4.8.1, sdk:4.8) run on Windows only and their
    # tags name no Windows release
    "mcr.microsoft.com/dotnet/framework/",
)
"""Substrings of an image reference that only Windows images have."""

DEBIAN = "debian"
UBUNTU = "ubuntu"
ALPINE = "alpine"
RHEL_LIKE = "rhel-like"
"""RHEL and its rebuilds: UBI, CentOS (Stream), Rocky, Alma, Oracle Linux."""
FEDORA = "fedora"
AMAZONLINUX = "amazonlinux"
SUSE = "suse"
WINDOWS = "windows"


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    from_: Instruction
    instructions: tuple[Instruction, ...]
    """The instructions after FROM, up to the next FROM."""

    @property
    def base(self) -> str:
        """The image (or stage) the stage starts from, as written (variables unexpanded)."""
        vals, _ = buildkit_value(self.from_)
        return vals[0] if vals else ""

    @property
    def name(self) -> str | None:
        """The ``AS`` name, lower-cased as BuildKit compares it."""
        written = self.name_as_written
        return written.lower() if written is not None else None

    @property
    def name_as_written(self) -> str | None:
        """The ``AS`` name in the file's own case (``getRuntime``), for messages."""
        vals, _ = buildkit_value(self.from_)
        if len(vals) >= 3 and vals[1].lower() == "as":
            return vals[2]
        return None

    @property
    def platform(self) -> str | None:
        flag = self.from_.flag("platform")
        return flag.value if flag is not None else None


@dataclass(frozen=True, slots=True)
class BaseImage:
    """What a stage is built on, as far as the file tells.

    For a stage built FROM an earlier stage, ``reference``, ``family`` and
    ``version`` are those of the image at the root of the chain; ``windows``
    also counts the SHELLs of the stages in between.
    """

    reference: str | None
    """The external image at the root of the stage chain, ARGs expanded; None when
    unknown (a variable without a value) or ``scratch``."""
    family: str | None
    """``debian``, ``ubuntu``, ``alpine``, ``rhel-like``, ``fedora``, ``amazonlinux``,
    ``suse``, ``windows``; None when the reference does not tell."""
    version: str | None
    """The release as the reference spells it (``12``, ``bookworm``, ``22.04``, ``8``,
    ``2023``); None when it does not tell."""
    windows: bool
    """A Windows stage: Windows base, PowerShell or cmd SHELL here or in a stage
    it is built from, or a backtick escape directive."""
    unknown: bool
    """The stage chain reaches a FROM whose value cannot be known: the base may be
    any image or any earlier stage."""

    @property
    def major(self) -> int | None:
        """The leading number of ``version`` (``8`` for ``8.9``), when it is one."""
        match = re.match(r"\d+", self.version or "")
        return int(match.group()) if match else None


UNKNOWN_BASE: Final = BaseImage(None, None, None, windows=False, unknown=True)


@dataclass(frozen=True, slots=True)
class StageGraph:
    """Every stage with its resolved base and parent, and which stages ship."""

    stages: tuple[Stage, ...]
    resolved: tuple[str | None, ...]
    """Each FROM's base with the global ARGs expanded; None when it cannot be known."""
    parents: tuple[int | None, ...]
    """The index of the earlier stage each stage is built FROM, if it is one."""
    candidates: tuple[tuple[int, ...], ...]
    """For a FROM that cannot be resolved, the earlier stages it may name: those whose
    name fits its literal parts (``base-$TARGETARCH``: ``base-amd64``, ``base-arm64``),
    every earlier stage for a bare variable (``$BASE``); empty otherwise."""
    bases: tuple[BaseImage, ...]
    shipped: frozenset[int]
    """Stages whose layers may end up in the image: the target (default: the last
    stage) and the stages it is built FROM, through the stages an unresolved FROM
    may name. A stage used only by ``COPY --from`` does not ship."""
    _by_instruction: dict[int, int] = field(repr=False, compare=False)
    _children: tuple[tuple[int, ...], ...] = field(default=(), repr=False, compare=False)
    """For each stage, the later stages whose FROM names it (or may: a candidate)."""

    def stage_of(self, instruction: Instruction) -> Stage | None:
        index = self._by_instruction.get(id(instruction))
        return self.stages[index] if index is not None else None

    def base_of(self, instruction: Instruction) -> BaseImage:
        stage = self.stage_of(instruction)
        return self.bases[stage.index] if stage is not None else UNKNOWN_BASE

    def is_shipped(self, stage: Stage) -> bool:
        return stage.index in self.shipped

    def ancestors(self, stage: Stage) -> tuple[Stage, ...]:
        """The stage and the stages it is built FROM, oldest first."""
        chain = [stage]
        parent = self.parents[stage.index]
        while parent is not None:
            chain.append(self.stages[parent])
            parent = self.parents[parent]
        return tuple(reversed(chain))

    def built_on(self, stage: Stage) -> tuple[Stage, ...]:
        """The later stages built on ``stage``, directly or not, through a FROM that
        names it or may (an unresolved one), in file order, in time linear in the
        number of stages."""
        seen: set[int] = set()
        todo = list(self._children[stage.index]) if self._children else []
        while todo:
            index = todo.pop()
            if index not in seen:
                seen.add(index)
                todo.extend(self._children[index])
        return tuple(self.stages[i] for i in sorted(seen))

    def earlier_in_image(self, instruction: Instruction) -> tuple[Instruction, ...]:
        """The instructions whose ENV and files reach ``instruction``: every instruction
        of the stages its stage is built FROM, then its own stage up to it."""
        stage = self.stage_of(instruction)
        if stage is None:
            return ()
        out: list[Instruction] = []
        for st in self.ancestors(stage):
            for item in st.instructions:
                if item is instruction:
                    return tuple(out)
                out.append(item)
        return tuple(out)

    def later_in_image(self, instruction: Instruction) -> tuple[Instruction, ...]:
        """Instructions that run on top of ``instruction``'s layer: the rest of its
        stage, and every later stage built FROM it, directly or not (a stage whose
        base is unknown counts: it may be)."""
        stage = self.stage_of(instruction)
        if stage is None:
            return ()
        body = stage.instructions
        position = next((i for i, x in enumerate(body) if x is instruction), -1)
        out = list(body[position + 1 :])
        for other in self.built_on(stage):
            out.extend(other.instructions)
        return tuple(out)


# --------------------------------------------------------------------------- building the view


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
    """ARGs declared before the first FROM (the only ones a FROM line can use), with
    their defaults as written, quotes removed (None when declared without one)."""
    out: dict[str, str | None] = {}
    for ins in tree.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword == "ARG":
            out.update(arg_defaults(ins))
    return out


def global_arg_values(tree: Dockerfile) -> dict[str, str]:
    """The global ARGs whose value the file tells: each default expanded as BuildKit
    does, against the ARGs declared before it. ARGs without a default (their value
    comes from ``--build-arg``) and defaults that cannot be expanded are left out,
    so that a FROM using them is unknown rather than empty."""
    known: dict[str, str] = {}
    for ins in tree.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword != "ARG":
            continue
        for word in parse_words(ins.args_text, ins.escape):
            key, eq, raw = word.value.partition("=")
            value = expand(raw, known, escape=ins.escape) if eq else None
            if value is None:
                known.pop(key, None)
            else:
                known[key] = value
    return known


def stage_graph(tree: Dockerfile, target: str | None = None) -> StageGraph:
    """The view of ``tree``'s stages; ``target`` names the stage built with
    ``docker build --target`` (ignored when the file has no stage of that name)."""
    all_stages = stages(tree)
    args = global_arg_values(tree)
    resolved: list[str | None] = []
    parents: list[int | None] = []
    candidates: list[tuple[int, ...]] = []
    bases: list[BaseImage] = []
    by_name: dict[str, int] = {}
    backtick = tree.escape == "`"
    for stage in all_stages:
        text = expand(stage.base, args, escape=stage.from_.escape)
        resolved.append(text)
        parent = by_name.get(text.lower()) if text is not None else None
        parents.append(parent)
        maybe = () if text is not None else _stages_named_like(stage.base, by_name)
        candidates.append(maybe)
        own_windows = backtick or _windows_shell_in(stage) or _windows_hint(stage.base)
        if parent is not None:
            bases.append(_inherited((bases[parent],), own_windows))
        elif maybe and _has_literal_name(stage.base):
            # a FROM whose literal parts only fit stage names names one of them
            bases.append(_inherited(tuple(bases[c] for c in maybe), own_windows))
        else:
            bases.append(_external_base(stage.base, text, own_windows))
        if stage.name:
            # BuildKit refuses a name used twice; the nearest one is the best guess
            by_name[stage.name] = stage.index
    index = {id(ins): s.index for s in all_stages for ins in (s.from_, *s.instructions)}
    children: list[list[int]] = [[] for _ in all_stages]
    for child, (parent, maybe) in enumerate(zip(parents, candidates, strict=True)):
        for named in ((parent,) if parent is not None else ()) + maybe:
            children[named].append(child)
    graph = StageGraph(
        all_stages,
        tuple(resolved),
        tuple(parents),
        tuple(candidates),
        tuple(bases),
        frozenset(),
        index,
        tuple(tuple(c) for c in children),
    )
    return replace(graph, shipped=_shipped(graph, target))


_VARIABLE = re.compile(r"\$(?:\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])")


def _has_literal_name(written: str) -> bool:
    return _VARIABLE.sub("", written) != ""


def _stages_named_like(written: str, by_name: Mapping[str, int]) -> tuple[int, ...]:
    """The earlier stages an unresolved FROM may name: every one for a bare variable,
    else those whose name fits the literal parts, a variable standing for anything."""
    if not _has_literal_name(written):
        return tuple(sorted(set(by_name.values())))
    pieces = _VARIABLE.split(written.lower())
    pattern = re.compile(".*".join(re.escape(p) for p in pieces))
    return tuple(sorted({i for name, i in by_name.items() if pattern.fullmatch(name)}))


def _inherited(above: tuple[BaseImage, ...], own_windows: bool) -> BaseImage:
    """The base of a stage built FROM one of the stages ``above``: what they agree on."""

    def common(values: set[str | None]) -> str | None:
        return values.pop() if len(values) == 1 else None

    return BaseImage(
        common({b.reference for b in above}),
        common({b.family for b in above}),
        common({b.version for b in above}),
        windows=own_windows or any(b.windows for b in above),
        unknown=any(b.unknown for b in above),
    )


def _shipped(graph: StageGraph, target: str | None) -> frozenset[int]:
    if not graph.stages:
        return frozenset()
    top = graph.stages[-1]
    if target:
        named = [s for s in graph.stages if s.name == target.lower()]
        top = named[-1] if named else top
    out: set[int] = set()
    pending = [top.index]
    while pending:
        stage = graph.stages[pending.pop()]
        chain = graph.ancestors(stage)
        out.update(s.index for s in chain)
        pending.extend(c for c in graph.candidates[chain[0].index] if c not in out)
    return frozenset(out)


def _windows_shell_in(stage: Stage) -> bool:
    for ins in stage.instructions:
        if ins.keyword == "SHELL" and is_windows_shell(exec_args(ins) or ()):
            return True
    return False


def is_windows_shell(argv: tuple[str, ...]) -> bool:
    """A SHELL of PowerShell, pwsh or cmd: the RUNs after it are not POSIX shell."""
    shell = " ".join(argv).lower()
    return "powershell" in shell or "pwsh" in shell or "cmd" in shell.split("\\")[-1].split()


def _windows_hint(text: str) -> bool:
    lowered = text.lower()
    return any(hint in lowered for hint in WINDOWS_BASE_HINTS)


def _external_base(written: str, text: str | None, own_windows: bool) -> BaseImage:
    """The base of a stage that starts from an image (or an unknown base)."""
    if text is None:
        family, version = _family_of_partial(written)
        windows = own_windows or family == WINDOWS
        return BaseImage(None, family, version, windows=windows, unknown=True)
    ref = parse_image(text.strip())
    if ref is None or ref.is_scratch:
        return BaseImage(None, None, None, windows=own_windows, unknown=False)
    family, version = os_of(ref)
    windows = own_windows or family == WINDOWS or _windows_hint(text)
    return BaseImage(text.strip(), family, version, windows=windows, unknown=False)


def _family_of_partial(written: str) -> tuple[str | None, str | None]:
    """What an unresolved reference still tells by its literal parts: the repository
    of a distribution (``alpine:${ALPINE_VERSION}``) or a variant in the tag
    (``python:${PY}-alpine``); the release is unknown."""
    if _windows_hint(written):
        return WINDOWS, None
    head = written.split("$", 1)[0]
    last = head.rsplit("/", 1)[-1]
    if ":" not in last:
        return None, None
    ref = parse_image(head[: len(head) - len(last)] + last.split(":", 1)[0])
    if ref is None:
        return None, None
    family, _ = _distribution(ref, None)
    if family is not None:
        return family, None
    tag = written[len(head) - len(last) :].split(":", 1)[1].lower()
    family, _ = _tag_variant(tag)
    return family, None


# --------------------------------------------------------------------------- operating systems


_DEBIAN_CODENAMES: Final = frozenset(
    {"jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "sid"}
)
_UBUNTU_CODENAMES: Final = frozenset(
    {
        "trusty",
        "xenial",
        "bionic",
        "focal",
        "jammy",
        "kinetic",
        "lunar",
        "mantic",
        "noble",
        "oracular",
        "plucky",
    }
)
_DEBIAN_BY_DEFAULT: Final = frozenset(
    {
        "python",
        "node",
        "golang",
        "ruby",
        "php",
        "perl",
        "rust",
        "pypy",
        "gcc",
        "buildpack-deps",
        "erlang",
        "elixir",
        "haskell",
        "julia",
        "httpd",
        "nginx",
        "postgres",
        "redis",
        "r-base",
        "dart",
    }
)
"""Docker Hub official images whose tags without a variant are Debian."""

_RHEL_LIKE_NAMES: Final = frozenset({"centos", "rockylinux", "almalinux", "oraclelinux", "rhel"})


def os_of(ref: ImageRef) -> tuple[str | None, str | None]:
    """The operating system family and release an image reference names, if it does."""
    if _windows_hint(str(ref)):
        return WINDOWS, ref.tag
    tag = (ref.tag or "").lower()
    found = _distribution(ref, tag)
    if found[0] is not None:
        return found
    return _variant(ref, tag)


def _distribution(ref: ImageRef, tag: str | None) -> tuple[str | None, str | None]:
    """Images of a distribution itself, recognised by repository name."""
    path = ref.path.lower()
    name = ref.name.lower()
    ubi = re.search(r"(?:^|/)(?:ubi|rhel)(\d+)(?:/|-|$)", path)
    if ubi:
        return RHEL_LIKE, ubi.group(1)
    release = _leading_release(tag)
    if name in ("debian", "ubuntu"):
        return name, release
    if name == "alpine":
        return ALPINE, release
    if name in _RHEL_LIKE_NAMES or path.startswith(("almalinux/", "rockylinux/")):
        return RHEL_LIKE, _el_release(tag, name if name[:1].isdigit() else None)
    if name == "fedora" or path.startswith("fedora/"):
        return FEDORA, release
    if name == "amazonlinux":
        return AMAZONLINUX, release
    if path.startswith(("opensuse/", "suse/", "bci/")) or name in ("sles", "sle15"):
        return SUSE, release
    return None, None


def _leading_release(tag: str | None) -> str | None:
    """``12`` in ``12-slim``, ``bookworm`` in ``bookworm-slim``, ``22.04``; None for
    ``latest``, ``stable`` and other names that move."""
    if not tag:
        return None
    head = tag.split("-", 1)[0]
    if re.fullmatch(r"\d+(?:\.\d+)*", head) or head in _DEBIAN_CODENAMES | _UBUNTU_CODENAMES:
        return head
    return None


def _el_release(tag: str | None, name_release: str | None) -> str | None:
    """``7`` in ``7.9.2009``, ``centos7``, ``stream9``, ``8-minimal``."""
    for text in (tag, name_release):
        match = re.match(r"(?:centos|stream)?(\d+)", text or "")
        if match:
            return match.group(1)
    return None


def _tag_variant(tag: str) -> tuple[str | None, str | None]:
    """The distribution a tag names as its variant (``3.12-slim-bookworm``,
    ``20-alpine3.19``, ``8-jdk-jammy``, ``17-al2023``, ``open-17-jdk-ubi``)."""
    for part in re.split(r"[-_]", tag):
        alpine = re.fullmatch(r"alpine(\d+(?:\.\d+)*)?", part)
        if alpine:
            return ALPINE, alpine.group(1)
        if part in _DEBIAN_CODENAMES:
            return DEBIAN, part
        if part in _UBUNTU_CODENAMES:
            return UBUNTU, part
        if re.fullmatch(r"ubi\d*", part):
            return RHEL_LIKE, part[3:] or None
        if part in ("al2", "al2023"):
            # Amazon's images name their Amazon Linux release so (amazoncorretto:21-al2023)
            return AMAZONLINUX, part[2:]
    return None, None


def _variant(ref: ImageRef, tag: str) -> tuple[str | None, str | None]:
    """Images built on a distribution the tag names, or official images that are
    Debian when the tag names none."""
    found = _tag_variant(tag)
    if found[0] is not None:
        return found
    official = ref.is_docker_hub and ref.namespace in (None, "library")
    if official and ref.name in _DEBIAN_BY_DEFAULT:
        return DEBIAN, None
    return None, None


# --------------------------------------------------------------------------- plain helpers


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
    """The stages whose layers may end up in the image, the top one first."""
    graph = stage_graph(tree, target)
    return tuple(s for s in reversed(graph.stages) if s.index in graph.shipped)


def is_windows(tree: Dockerfile) -> bool:
    """Whether any stage of the file is a Windows stage (see :attr:`BaseImage.windows`)."""
    return any(base.windows for base in stage_graph(tree).bases)
