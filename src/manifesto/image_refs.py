"""Every image a Dockerfile pulls, with where its text can be edited.

Images are named by ``FROM``, ``COPY --from=<image>`` and ``RUN
--mount=from=<image>`` (``ONBUILD`` forms included). Stage names, stage indexes
and ``scratch`` are not images. A ``FROM`` built from global ARGs is expanded
with their defaults, as BuildKit does without ``--build-arg``; when the whole
reference is one ARG (``FROM ${BASE}``), the place to edit is that ARG's default.

The fixer for unpinned images and the run that resolves pins both read this, so
a reference is found the same way by both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from manifesto.cst import Dockerfile, Flag, Instruction, LogicalLine, Span
from manifesto.cst.stages import global_args, stages
from manifesto.cst.words import parse_words
from manifesto.images import ImageRef, expand, has_variables, is_stage_reference, parse_image

__all__ = ["ImageUse", "image_uses"]

_WORD: Final = re.compile(r"[^ \t\r\n\f\v]+")
_SINGLE_VARIABLE: Final = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True, slots=True)
class ImageUse:
    """One image reference in the file."""

    instruction: Instruction
    """The instruction as it appears in the file (the ``ONBUILD`` one for its forms)."""
    where: str
    """``FROM``, ``COPY --from`` or ``RUN --mount`` (prefixed ``ONBUILD`` when wrapped)."""
    written: str
    """The reference as written, variables and quotes included."""
    ref: ImageRef
    """The reference as BuildKit reads it (ARG defaults expanded)."""
    span: Span
    """Where the reference is written (for reports)."""
    edit: Span | None
    """A span whose text is exactly ``str(ref)``: replace it to change the reference.
    None when the reference is not written in one piece (quotes, escapes, a line
    continuation, variables mixed with text)."""
    arg: str | None = None
    """The global ARG whose default ``edit`` lies in, for ``FROM ${ARG}``."""


def image_uses(text: str, tree: Dockerfile) -> tuple[ImageUse, ...]:
    """The image references of ``tree`` (parsed from ``text``), in file order."""
    all_stages = stages(tree)
    names = [s.name for s in all_stages if s.name]
    gargs = global_args(tree)
    uses: list[ImageUse] = []
    stage_index = -1
    for ins in tree.instructions:
        if ins.keyword == "FROM":
            stage_index += 1
            use = _from_use(text, tree, ins, names[:stage_index], gargs)
            if use is not None:
                uses.append(use)
            continue
        uses.extend(_flag_uses(text, ins, names, max(stage_index, 0)))
    return tuple(uses)


def _from_use(
    text: str,
    tree: Dockerfile,
    ins: Instruction,
    earlier_names: list[str],
    gargs: dict[str, str | None],
) -> ImageUse | None:
    located = _first_word(ins)
    if located is None:
        return None
    written, start, end = located
    span = ins.logical.span(start, end)
    expanded = expand(written, gargs, escape=ins.escape)
    if not expanded:
        return None
    # Before the names: BuildKit looks a FROM base up among the stages before it.
    if expanded == "scratch" or is_stage_reference(expanded, earlier_names):
        return None
    ref = parse_image(expanded)
    if ref is None or ref.is_scratch:
        return None
    edit: Span | None = None
    arg: str | None = None
    if not has_variables(written, escape=ins.escape):
        if written == expanded and text[span.start : span.end] == written:
            edit = span
    else:
        single = _SINGLE_VARIABLE.fullmatch(written)
        if single is not None:
            arg = single["braced"] or single["bare"]
            edit = _arg_default_span(text, tree, arg, expanded)
            if edit is None:
                arg = None
    return ImageUse(ins, "FROM", written, ref, span, edit, arg)


def _flag_uses(text: str, ins: Instruction, names: list[str], stages_before: int) -> list[ImageUse]:
    effective = ins.effective
    onbuild = effective is not ins
    # (where, flag, value, value's start and end inside the flag's raw text)
    found: list[tuple[str, Flag, str, int, int]] = []
    if effective.keyword == "COPY":
        for flag in effective.flags_named("from"):
            if flag.value is not None:
                found.append(("COPY --from", flag, flag.value, len("--from="), len(flag.raw)))
    elif effective.keyword == "RUN":
        for flag in effective.flags_named("mount"):
            offset = len("--mount=")
            for part in (flag.value or "").split(","):
                key, eq, value = part.partition("=")
                if eq and key.strip().lower() == "from":
                    start = offset + len(key) + 1
                    found.append(("RUN --mount", flag, value, start, start + len(value)))
                offset += len(part) + 1
    out: list[ImageUse] = []
    for where, flag, value, start, end in found:
        ref = _flag_image(value, names, stages_before, onbuild=onbuild)
        if ref is None:
            continue
        edit = None
        if text[flag.span.start : flag.span.end] == flag.raw and str(ref) == value:
            edit = Span(flag.span.start + start, flag.span.start + end)
        where = f"ONBUILD {where}" if onbuild else where
        out.append(ImageUse(ins, where, value, ref, edit or flag.span, edit))
    return out


def _flag_image(
    value: str, names: list[str], stages_before: int, *, onbuild: bool
) -> ImageRef | None:
    if not value or has_variables(value) or value == "scratch":
        return None
    # A stage may be named after a later FROM too: never pin a name that can be one.
    if is_stage_reference(value, names, stage_count=stages_before):
        return None
    ref = parse_image(value)
    if ref is None or ref.is_scratch:
        return None
    # An ONBUILD trigger runs in another build, whose stage names are unknown:
    # a bare ``builder`` there is more likely a stage than an image.
    if (
        onbuild
        and ref.registry is None
        and "/" not in ref.path
        and ref.tag is None
        and ref.digest is None
    ):
        return None
    return ref


def _logical_position(logical: LogicalLine, offset: int) -> int | None:
    for piece in logical.pieces:
        if piece.start <= offset <= piece.start + piece.length:
            return piece.at + offset - piece.start
    return None


def _first_word(ins: Instruction) -> tuple[str, int, int] | None:
    """The first argument of an instruction and its start/end in the logical line."""
    at = _logical_position(ins.logical, ins.args.start)
    if at is None:
        return None
    match = _WORD.search(ins.logical.text, at)
    if match is None:
        return None
    return match.group(), match.start(), match.end()


def _arg_default_span(text: str, tree: Dockerfile, name: str, value: str) -> Span | None:
    """Where the default of global ARG ``name`` is written, if it is written as ``value``.

    The last declaration before the first FROM decides the value; its default must
    be the literal text (or the inside of plain quotes) for an edit to be exact.
    """
    last: tuple[Instruction, int, str] | None = None
    for ins in tree.instructions:
        if ins.keyword == "FROM":
            break
        if ins.keyword != "ARG":
            continue
        at = _logical_position(ins.logical, ins.args.start)
        if at is None:
            continue
        for token in parse_words(ins.args_text, ins.escape):
            key, eq, raw = token.value.partition("=")
            if key == name:
                last = (ins, at + token.start + len(key) + 1, raw if eq else "")
                if not eq:
                    last = None
    if last is None:
        return None
    ins, start, raw = last
    if raw[:1] in ('"', "'") and len(raw) >= 2 and raw[-1] == raw[0]:
        start, raw = start + 1, raw[1:-1]
    if raw != value or any(ch in raw for ch in ("'", '"', "$", ins.escape)):
        return None
    span = ins.logical.span(start, start + len(raw))
    return span if text[span.start : span.end] == raw else None
