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
    Span,
)
from manifesto.cst.text import (
    DIRECTIVE_RE,
    GO_SPACE_CHARS,
    MAX_LINE_BYTES,
    VALID_DIRECTIVES,
    trim_continuation,
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
    if start >= len(text):
        return []
    parts = text[start:].split("\n")
    last = parts.pop()
    lines: list[Line] = []
    new_line = tuple.__new__
    pos = start
    number = 1
    for part in parts:
        content = part.rstrip("\r")
        lines.append(new_line(Line, (pos, number, content, part[len(content) :] + "\n")))
        pos += len(part) + 1
        number += 1
    if last:
        content = last.rstrip("\r")
        lines.append(Line(pos, number, content, last[len(content) :]))
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
    instructions: list[Instruction] = []
    lines = state.lines
    count = len(lines)
    found = False
    while state.index < count:
        line = lines[state.index]
        stripped = line.content.lstrip(GO_SPACE_CHARS)
        if not state.directives_done:
            directive = _directive(line, stripped, seen, state)
            if directive is not None:
                elements.append(directive)
                state.index += 1
                continue
        if not stripped:
            elements.append(Blank(line))
            state.index += 1
            continue
        if stripped[0] == "#":
            elements.append(Comment(line))
            state.index += 1
            continue
        first, continued = trim_continuation(stripped, state.escape)
        instruction = _instruction(state, line, stripped, first, continued)
        elements.append(instruction)
        instructions.append(instruction)
        found = True
    if not found:
        last = state.lines[-1].number if state.lines else 1
        raise ParseError(last, 1, "file with no instructions")
    line_starts = tuple(ln.start for ln in state.lines) or (len(bom),)
    if bom and state.lines:
        line_starts = (0, *line_starts[1:])
    return Dockerfile(bom, state.escape, tuple(elements), line_starts, tuple(instructions))


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
    lines = state.lines
    escape = state.escape
    lead = len(first_line.content) - len(stripped)
    pieces = [Piece(0, first_line.start + lead, len(first))]
    owned = [first_line]
    roles = [Role.FIRST]
    index = state.index + 1
    if continued:
        text_parts = [first]
        at = len(first)
        count = len(lines)
        comment, blank, cont = Role.COMMENT, Role.BLANK, Role.CONTINUATION
        new_piece = tuple.__new__
        add_line, add_role, add_piece, add_part = (
            owned.append,
            roles.append,
            pieces.append,
            text_parts.append,
        )
        while continued and index < count:
            line = lines[index]
            index += 1
            add_line(line)
            content = line[2]
            head = content.lstrip(GO_SPACE_CHARS)
            if not head:
                add_role(blank)
                continue
            if head[0] == "#":
                add_role(comment)
                continue
            # trim_continuation, inlined: this loop runs for every continuation line.
            trimmed = content.rstrip(" \t")
            if trimmed.endswith(escape) and (len(trimmed) == 1 or trimmed[-2] != escape):
                part = trimmed[:-1]
            else:
                part, continued = content, False
            add_role(cont)
            add_piece(new_piece(Piece, (at, line[0], len(part))))
            add_part(part)
            at += len(part)
        logical = LogicalLine("".join(text_parts), tuple(pieces))
    else:
        logical = LogicalLine(first, tuple(pieces))
    start_line = first_line.number
    keyword, keyword_span, flags, args, args_text, exec_form, args_at = _header(
        logical, 0, escape, start_line
    )
    child: Instruction | None = None
    target_keyword = keyword
    if keyword == "ONBUILD" and args_text:
        c_kw, c_span, c_flags, c_args, c_text, exec_form, _ = _header(
            logical, args_at, escape, start_line
        )
        target_keyword = c_kw
        child = Instruction(
            c_kw, c_span, c_flags, c_args, logical, (), (), (), None, escape, c_text
        )
    heredocs: list[Heredoc] = []
    if target_keyword in HEREDOC_KEYWORDS and not exec_form and "<<" in logical.text:
        for spec in heredocs_in_line(logical.text):
            body: list[Line] = []
            terminator: Line | None = None
            while index < len(lines):
                line = lines[index]
                index += 1
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
    state.index = index
    lines_t, roles_t, docs_t = tuple(owned), tuple(roles), tuple(heredocs)
    if child is not None:
        child = replace(child, lines=lines_t, roles=roles_t, heredocs=docs_t)
    return Instruction(
        keyword,
        keyword_span,
        flags,
        args,
        logical,
        lines_t,
        roles_t,
        docs_t,
        child,
        escape,
        args_text,
    )


def _header(
    logical: LogicalLine, base: int, escape: str, line: int
) -> tuple[str, Span, tuple[Flag, ...], Span, str, bool, int]:
    """newNodeFromLine: keyword, flags and arguments of ``logical.text[base:]``,
    validated; the last item says whether the arguments are exec form."""
    text = logical.text
    split = split_command(text[base:] if base else text, base)
    keyword = split.keyword.value.upper()
    flags = tuple(Flag(f.value, logical.span(f.start, f.end)) for f in split.flags)
    args_text = text[split.args_start : split.args_end]
    try:
        exec_form = (
            values.validate_args(keyword, args_text, escape) if keyword != "ONBUILD" else False
        )
    except values.InstructionError as exc:
        raise ParseError(line, 1, str(exc)) from None
    return (
        keyword,
        logical.span(split.keyword.start, split.keyword.end),
        flags,
        logical.span(split.args_start, split.args_end),
        args_text,
        exec_form,
        split.args_start,
    )


__all__ = ["ParseError", "parse", "split_lines"]
