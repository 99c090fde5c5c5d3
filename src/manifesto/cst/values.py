"""Semantic views of an instruction, computed from its text on demand.

``buildkit_value`` reproduces BuildKit's line parsers (line_parsers.go) so the
tree can be compared with BuildKit's own AST; the other helpers are the views
fixers use: key/value pairs, the exec-form list, the shell script of a RUN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from manifesto.cst.text import GO_SPACE, WHITESPACE_RE
from manifesto.cst.words import JSONArrayError, parse_json_array, parse_words

if TYPE_CHECKING:
    from manifesto.cst.nodes import Instruction


class InstructionError(Exception):
    """BuildKit refuses the arguments of an instruction."""


def _maybe_json(rest: str) -> tuple[tuple[str, ...], bool]:
    if rest == "":
        return (), False
    try:
        array = parse_json_array(rest)
    except JSONArrayError as exc:
        raise InstructionError(str(exc)) from None
    if array is not None:
        return tuple(array), True
    return (rest,), False


def _whitespace_delimited(rest: str) -> tuple[str, ...]:
    if rest == "":
        return ()
    return tuple(WHITESPACE_RE.split(rest))


def _maybe_json_to_list(rest: str) -> tuple[tuple[str, ...], bool]:
    try:
        array = parse_json_array(rest)
    except JSONArrayError as exc:
        raise InstructionError(str(exc)) from None
    if array is not None:
        return tuple(array), True
    return _whitespace_delimited(rest), False


def _name_val(rest: str, keyword: str, escape: str) -> tuple[str, ...]:
    words = parse_words(rest, escape)
    if not words:
        return ()
    if "=" not in words[0].value:
        parts = WHITESPACE_RE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise InstructionError(f"{keyword} must have two arguments")
        return (parts[0], parts[1])
    out: list[str] = []
    for word in words:
        if "=" not in word.value:
            raise InstructionError(
                f'Syntax error - can\'t find = in "{word.value}". Must be of the form: name=value'
            )
        key, value = word.value.split("=", 1)
        out += [key, value]
    return tuple(out)


def _health(rest: str) -> tuple[tuple[str, ...], bool]:
    sep = 0
    while sep < len(rest) and rest[sep] not in GO_SPACE:
        sep += 1
    nxt = sep
    while nxt < len(rest) and rest[nxt] in GO_SPACE:
        nxt += 1
    if sep == 0:
        return (), False
    cmd, is_json = _maybe_json(rest[nxt:])
    return (rest[:sep], *cmd), is_json


def buildkit_value(node: Instruction) -> tuple[tuple[str, ...], bool]:
    """The node's values and JSON attribute as BuildKit's parser returns them."""
    if node.keyword == "ONBUILD":
        if node.child is None:
            return (), False
        return buildkit_value(node.child)
    return args_value(node.keyword, node.args_text, node.escape)


def args_value(kw: str, rest: str, escape: str) -> tuple[tuple[str, ...], bool]:
    """BuildKit's line parser for keyword ``kw`` applied to its arguments."""
    if kw in ("ADD", "COPY", "VOLUME"):
        return _maybe_json_to_list(rest)
    if kw in ("CMD", "ENTRYPOINT", "RUN", "SHELL"):
        return _maybe_json(rest)
    if kw in ("ENV", "LABEL"):
        return _name_val(rest, kw, escape), False
    if kw == "ARG":
        return tuple(w.value for w in parse_words(rest, escape)), False
    if kw in ("EXPOSE", "FROM"):
        return _whitespace_delimited(rest), False
    if kw == "HEALTHCHECK":
        return _health(rest)
    if kw in ("MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR"):
        return ((rest,) if rest else ()), False
    return ("",), False


_JSON_KEYWORDS = frozenset(
    {"ADD", "COPY", "VOLUME", "CMD", "ENTRYPOINT", "RUN", "SHELL", "HEALTHCHECK"}
)


def validate_args(kw: str, rest: str, escape: str) -> bool:
    """Raise :class:`InstructionError` where BuildKit's parser would fail; return
    whether the arguments are a JSON array (exec form).

    Only ENV/LABEL pairs and JSON arrays can fail, so only those are read here.
    """
    if kw in ("ENV", "LABEL"):
        _name_val(rest, kw, escape)
        return False
    if kw in _JSON_KEYWORDS and "[" in rest:
        return args_value(kw, rest, escape)[1]
    return False


def is_json(node: Instruction) -> bool:
    """Exec form: the arguments are a JSON array of strings."""
    if "[" not in node.args_text:
        return False
    return buildkit_value(node)[1]


def exec_args(node: Instruction) -> tuple[str, ...] | None:
    """The exec-form argument list of RUN/CMD/ENTRYPOINT/SHELL, or None for shell form."""
    vals, json_form = buildkit_value(node.effective)
    if not json_form:
        return None
    if node.effective.keyword == "HEALTHCHECK":
        return vals[1:]
    return vals


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    raw_value: str
    """As written, quotes included."""
    value: str
    """Quotes removed and escapes resolved (no variable expansion)."""


def unquote(raw: str, escape: str = "\\") -> str:
    """Quote removal as BuildKit's shell lexer does it, without expansion."""
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == escape and i + 1 < n:
            out.append(raw[i + 1])
            i += 2
        elif ch == "'":
            j = raw.find("'", i + 1)
            j = n if j < 0 else j
            out.append(raw[i + 1 : j])
            i = j + 1
        elif ch == '"':
            i += 1
            while i < n and raw[i] != '"':
                if raw[i] == escape and i + 1 < n and raw[i + 1] in ('"', "$", escape, "\n"):
                    i += 1
                out.append(raw[i])
                i += 1
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def key_values(node: Instruction) -> tuple[KeyValue, ...]:
    """The pairs of ENV, LABEL and ARG in all their forms.

    ``ENV a=b c="d e"``, the legacy ``ENV a b c`` (key ``a``, value ``b c``), and
    ``ARG name`` / ``ARG name=default`` (an ARG without default has value ``""``
    and ``raw_value`` ``""``; use :func:`arg_defaults` to tell them apart).
    """
    node = node.effective
    if node.keyword == "ARG":
        out = []
        for word in parse_words(node.args_text, node.escape):
            key, _, raw = word.value.partition("=")
            out.append(KeyValue(key, raw, unquote(raw, node.escape)))
        return tuple(out)
    if node.keyword not in ("ENV", "LABEL"):
        return ()
    vals, _ = buildkit_value(node)
    pairs = []
    for i in range(0, len(vals) - 1, 2):
        key = unquote(vals[i], node.escape)
        pairs.append(KeyValue(key, vals[i + 1], unquote(vals[i + 1], node.escape)))
    return tuple(pairs)


def arg_defaults(node: Instruction) -> dict[str, str | None]:
    """ARG names with their default (None when declared without one)."""
    out: dict[str, str | None] = {}
    if node.effective.keyword != "ARG":
        return out
    for word in parse_words(node.effective.args_text, node.escape):
        key, eq, raw = word.value.partition("=")
        out[key] = unquote(raw, node.escape) if eq else None
    return out


@dataclass(frozen=True, slots=True)
class Mount:
    """One ``RUN --mount=...`` flag, read as BuildKit reads its CSV fields."""

    type: str
    target: str | None
    fields: tuple[tuple[str, str], ...]


def mounts(node: Instruction) -> tuple[Mount, ...]:
    out: list[Mount] = []
    for flag in node.effective.flags_named("mount"):
        fields: list[tuple[str, str]] = []
        for part in (flag.value or "").split(","):
            key, _, value = part.partition("=")
            fields.append((key.strip().lower(), value.strip()))
        kinds = [v for k, v in fields if k == "type"]
        targets = [v for k, v in fields if k in ("target", "dst", "destination")]
        out.append(
            Mount(kinds[-1] if kinds else "bind", targets[-1] if targets else None, tuple(fields))
        )
    return tuple(out)


def mounted_over(node: Instruction, path: str, kinds: tuple[str, ...] = ("cache", "tmpfs")) -> bool:
    """Whether a cache or tmpfs mount covers ``path`` (the directory or a parent)."""
    wanted = path.rstrip("/") or "/"
    for mount in mounts(node):
        if mount.type not in kinds or not mount.target:
            continue
        target = mount.target.rstrip("/") or "/"
        if wanted == target or wanted.startswith(target + "/") or target == "/":
            return True
    return False
