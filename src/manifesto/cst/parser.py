"""The lossless parser: text in, :class:`Dockerfile` out, BuildKit's rules throughout.

It walks physical lines the way BuildKit's ``parser.Parse`` does (parser
directives, continuation lines with dropped comment and empty lines, heredoc
bodies), and additionally records where every piece came from, so nothing is
lost and every view can be mapped back to file offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from manifesto.cst import values
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
    Piece,
    Role,
)
from manifesto.cst.text import (
    DIRECTIVE_RE,
    MAX_LINE_BYTES,
    VALID_DIRECTIVES,
    is_blank,
    is_comment,
    lstrip_go,
    trim_continuation,
    trim_newline,
)
from manifesto.cst.words import heredocs_in_line, split_command

HEREDOC_KEYWORDS = frozenset({"ADD", "COPY", "RUN"})


class ParseError(Exception):
    """The input is not a Dockerfile BuildKit would accept."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.line = line
        self.column = column
        self.message = message


def split_lines(text: str, start: int) -> list[Line]:
    """Physical lines as BuildKit's scanner cuts them: on ``\\n`` only."""
    lines: list[Line] = []
    pos = start
    n = len(text)
    number = 1
    while pos < n:
        nl = text.find("\n", pos)
        raw = text[pos:] if nl < 0 else text[pos : nl + 1]
        content = trim_newline(raw)
        lines.append(Line(pos, number, content, raw[len(content) :]))
        pos += len(raw)
        number += 1
    return lines


@dataclass(slots=True)
class _State:
    """Mutable cursor of one parse; local to a call, never shared."""

    lines: list[Line]
    index: int = 0
    escape: str = "\\"
    directives_done: bool = False


def parse(text: str) -> Dockerfile:
    """Parse a Dockerfile; raise :class:`ParseError` for input BuildKit rejects."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    state = _State(split_lines(text, len(bom)))
    _check_line_lengths(state.lines)
    seen: set[str] = set()
    elements: list[Element] = []
    while state.index < len(state.lines):
        line = state.lines[state.index]
        stripped = lstrip_go(line.content)
        if not state.directives_done:
            directive = _directive(line, stripped, seen, state)
            if directive is not None:
                elements.append(directive)
                state.index += 1
                continue
        if stripped.startswith("#"):
            elements.append(Comment(line))
            state.index += 1
            continue
        first, continued = trim_continuation(stripped, state.escape)
        if not continued and first == "":
            elements.append(Blank(line))
            state.index += 1
            continue
        elements.append(_instruction(state, line, stripped, first, continued))
    if not any(isinstance(e, Instruction) for e in elements):
        last = state.lines[-1].number if state.lines else 1
        raise ParseError(last, 1, "file with no instructions")
    line_starts = tuple(ln.start for ln in state.lines) or (len(bom),)
    if bom and state.lines:
        line_starts = (0, *line_starts[1:])
    return Dockerfile(bom, state.escape, tuple(elements), line_starts)


def _check_line_lengths(lines: list[Line]) -> None:
    for line in lines:
        if len(line.content) * 4 >= MAX_LINE_BYTES:
            size = len(line.render().encode("utf-8", "surrogatepass"))
            if size > MAX_LINE_BYTES:
                raise ParseError(
                    line.number,
                    1,
                    f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES - 1}",
                )


def _directive(line: Line, stripped: str, seen: set[str], state: _State) -> Directive | None:
    match = DIRECTIVE_RE.match(stripped)
    if match is None:
        state.directives_done = True
        return None
    name = match.group(1).lower()
    if name not in VALID_DIRECTIVES:
        state.directives_done = True
        return None
    if name in seen:
        raise ParseError(line.number, 1, f"only one {name} parser directive can be used")
    seen.add(name)
    value = match.group(2)
    if name == "escape":
        if value not in ("`", "\\"):
            raise ParseError(
                line.number, 1, f"invalid escape token '{value}' does not match ` or \\"
            )
        state.escape = value
    return Directive(line, name, value)


def _instruction(
    state: _State, first_line: Line, stripped: str, first: str, continued: bool
) -> Instruction:
    lead = len(first_line.content) - len(stripped)
    pieces = [Piece(0, first_line.start + lead, len(first))]
    text_parts = [first]
    at = len(first)
    owned = [first_line]
    roles = [Role.FIRST]
    state.index += 1
    while continued and state.index < len(state.lines):
        line = state.lines[state.index]
        state.index += 1
        owned.append(line)
        if is_comment(line.content):
            roles.append(Role.COMMENT)
            continue
        if is_blank(line.content):
            roles.append(Role.BLANK)
            continue
        part, continued = trim_continuation(line.content, state.escape)
        roles.append(Role.CONTINUATION)
        pieces.append(Piece(at, line.start, len(part)))
        text_parts.append(part)
        at += len(part)
    logical = LogicalLine("".join(text_parts), tuple(pieces))
    start_line, end_line = first_line.number, owned[-1].number
    node = _node(logical, 0, state.escape, (start_line, end_line))
    heredocs: list[Heredoc] = []
    target = node.child if node.child is not None else node
    if target.keyword in HEREDOC_KEYWORDS and not values.is_json(target):
        for spec in heredocs_in_line(logical.text):
            body: list[Line] = []
            terminator: Line | None = None
            while state.index < len(state.lines):
                line = state.lines[state.index]
                state.index += 1
                owned.append(line)
                candidate = line.content.lstrip("\t") if spec.chomp else line.content
                if candidate == spec.name:
                    terminator = line
                    roles.append(Role.TERMINATOR)
                    break
                body.append(line)
                roles.append(Role.HEREDOC)
            if terminator is None:
                raise ParseError(start_line, 1, "unterminated heredoc")
            heredocs.append(
                Heredoc(spec.name, spec.chomp, spec.expand, spec.fd, tuple(body), terminator)
            )
    lines_t, roles_t, docs_t = tuple(owned), tuple(roles), tuple(heredocs)
    child = None
    if node.child is not None:
        child = replace(node.child, lines=lines_t, roles=roles_t, heredocs=docs_t)
    return Instruction(
        keyword=node.keyword,
        keyword_span=node.keyword_span,
        flags=node.flags,
        args=node.args,
        logical=logical,
        lines=lines_t,
        roles=roles_t,
        heredocs=docs_t,
        child=child,
        escape=state.escape,
        args_text=node.args_text,
    )


def _node(logical: LogicalLine, base: int, escape: str, where: tuple[int, int]) -> Instruction:
    """newNodeFromLine: keyword, flags and arguments of ``logical.text[base:]``."""
    text = logical.text
    split = split_command(text[base:], base)
    keyword = split.keyword.value.upper()
    flags = tuple(Flag(f.value, logical.span(f.start, f.end)) for f in split.flags)
    args_text = text[split.args_start : split.args_end]
    child: Instruction | None = None
    if keyword == "ONBUILD" and args_text:
        child = _node(logical, split.args_start, escape, where)
    node = Instruction(
        keyword=keyword,
        keyword_span=logical.span(split.keyword.start, split.keyword.end),
        flags=flags,
        args=logical.span(split.args_start, split.args_end),
        logical=logical,
        lines=(),
        roles=(),
        heredocs=(),
        child=child,
        escape=escape,
        args_text=args_text,
    )
    try:
        values.validate(node)
    except values.InstructionError as exc:
        raise ParseError(where[0], 1, str(exc)) from None
    return node


__all__ = ["ParseError", "parse", "split_lines"]

