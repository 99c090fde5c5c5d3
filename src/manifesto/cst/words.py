"""Word splitting exactly as BuildKit's line parsers do it.

``split_command`` / ``extract_flags`` follow split_command.go, ``parse_words``
follows parseWords in line_parsers.go, ``heredoc_words`` follows the shell
lexer's ProcessWords as heredocsFromLine calls it. Positions are indices into
the logical line so that callers can map them back to file offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from manifesto.cst.text import GO_SPACE, GO_SPACE_CHARS, HEREDOC_RE, WHITESPACE_RE, strip_go


class Token(NamedTuple):
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SplitCommand:
    """A logical line cut into keyword, builder flags and the rest."""

    keyword: Token
    flags: tuple[Token, ...]
    args_start: int
    args_end: int


def split_command(line: str, base: int = 0) -> SplitCommand:
    """splitCommand: keyword, flags, trimmed arguments (positions offset by ``base``)."""
    lead = len(line) - len(line.lstrip(GO_SPACE_CHARS))
    trimmed = strip_go(line)
    m = WHITESPACE_RE.search(trimmed)
    if m is None:
        kw = Token(trimmed, base + lead, base + lead + len(trimmed))
        end = base + lead + len(trimmed)
        return SplitCommand(kw, (), end, end)
    kw = Token(trimmed[: m.start()], base + lead, base + lead + m.start())
    rest_pos = lead + m.end()
    rest = trimmed[m.end() :]
    args_rel, raw_flags = extract_flags(rest) if rest.startswith("--") else (0, [])
    flags = tuple(
        Token(f.value, base + rest_pos + f.start, base + rest_pos + f.end) for f in raw_flags
    )
    args = rest[args_rel:]
    args_lead = len(args) - len(args.lstrip(GO_SPACE_CHARS))
    args_trimmed = strip_go(args)
    start = base + rest_pos + args_rel + args_lead
    return SplitCommand(kw, flags, start, start + len(args_trimmed))


def extract_flags(line: str) -> tuple[int, list[Token]]:
    """extractBuilderFlags: leading ``--flag`` words; returns (args start, flags)."""
    words: list[Token] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word: list[str] = []
    word_start = 0
    quote = ""
    blank_ok = False
    n = len(line)
    pos = 0
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if ch in GO_SPACE:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return pos, words
            phase = in_word
            word_start = pos
        if phase in (in_word, in_quote) and pos == n:
            w = "".join(word)
            if w != "--" and (blank_ok or w):
                words.append(Token(w, word_start, pos))
            break
        if phase == in_word:
            if ch in GO_SPACE:
                phase = in_spaces
                w = "".join(word)
                if w == "--":
                    return pos, words
                if blank_ok or w:
                    words.append(Token(w, word_start, pos))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in "'\"":
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == n:
                phase = in_word
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word.append(ch)
        pos += 1
    return n, words


_PLAIN_WORD = re.compile("[^" + "".join(sorted(GO_SPACE)) + "]+")


def parse_words(rest: str, escape: str) -> list[Token]:
    """parseWords: space-delimited words, quotes kept, used by ENV/LABEL/ARG."""
    if "'" not in rest and '"' not in rest and escape not in rest:
        # No quote or escape: words are exactly the runs of non-space characters.
        return [Token(m.group(), m.start(), m.end()) for m in _PLAIN_WORD.finditer(rest)]
    return _parse_words_slow(rest, escape)


def _parse_words_slow(rest: str, escape: str) -> list[Token]:
    words: list[Token] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word: list[str] = []
    start = 0
    quote = ""
    blank_ok = False
    n = len(rest)
    pos = 0
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if ch in GO_SPACE:
                pos += 1
                continue
            phase = in_word
            start = pos
        if phase in (in_word, in_quote) and pos == n:
            if blank_ok or word:
                words.append(Token("".join(word), start, pos))
            break
        if phase == in_word:
            if ch in GO_SPACE:
                phase = in_spaces
                if blank_ok or word:
                    words.append(Token("".join(word), start, pos))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in "'\"":
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
        if ch == escape and quote != "'":
            if pos + 1 == n:
                phase = in_word
                pos += 1
                continue
            pos += 1
            word.append(ch)
            ch = rest[pos]
        word.append(ch)
        pos += 1
    return words


class JSONArrayError(ValueError):
    """A JSON array whose elements are not all strings: BuildKit rejects the file."""


def parse_json_array(rest: str) -> list[str] | None:
    """parseJSON: the exec form, or None when BuildKit falls back to shell form.

    Like Go's json.Decoder, only the first JSON value counts; anything after it
    is ignored.
    """
    text = rest.lstrip(GO_SPACE_CHARS)
    if not text.startswith("["):
        return None
    import json  # here: only an exec form needs it, and it costs start-up time

    try:
        value, _ = json.JSONDecoder(strict=True).raw_decode(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, list):
        return None
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise JSONArrayError(
                "when using JSON array syntax, arrays must be comprised of strings only"
            )
        out.append(item)
    return out


def heredoc_words(line: str) -> list[str] | None:
    """Shell words of a line with quotes and escapes kept raw; None on a lexing error."""
    words: list[str] = []
    cur: list[str] = []
    have_word = False
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch in " \t\r\n":
            if have_word:
                words.append("".join(cur))
                cur = []
                have_word = False
            i += 1
            continue
        have_word = True
        if ch == "\\":
            cur.append(line[i : i + 2])
            i += 2
            continue
        if ch in "'\"":
            j = i + 1
            while j < n and line[j] != ch:
                if ch == '"' and line[j] == "\\":
                    j += 1
                j += 1
            if j >= n:
                return None
            cur.append(line[i : j + 1])
            i = j + 1
            continue
        if ch == "$" and i + 1 < n and line[i + 1] == "{":
            j = line.find("}", i)
            if j < 0:
                return None
            cur.append(line[i : j + 1])
            i = j + 1
            continue
        cur.append(ch)
        i += 1
    if have_word:
        words.append("".join(cur))
    return words


def unquote_word(raw: str) -> tuple[str, int] | None:
    """Process one raw shell word: remove quotes and escapes.

    Returns (value, number of words) where more than one word means the input
    was not a single word; None on a lexing error.
    """
    parts = heredoc_words(raw)
    if parts is None:
        return None
    if len(parts) != 1:
        return "", len(parts)
    out: list[str] = []
    s = parts[0]
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
        elif ch == "'":
            j = s.index("'", i + 1)
            out.append(s[i + 1 : j])
            i = j + 1
        elif ch == '"':
            j = i + 1
            while s[j] != '"':
                if s[j] == "\\" and s[j + 1] in '"\\$`':
                    j += 1
                out.append(s[j])
                j += 1
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), 1


@dataclass(frozen=True, slots=True)
class HeredocSpec:
    name: str
    chomp: bool
    expand: bool
    fd: int


def heredocs_in_line(line: str) -> list[HeredocSpec]:
    """heredocsFromLine: each shell word of the form ``[fd]<<[-]WORD``."""
    if "<<" not in line:
        return []
    words = heredoc_words(line)
    if not words:
        return []
    docs: list[HeredocSpec] = []
    for word in words:
        m = HEREDOC_RE.match(word)
        if m is None:
            continue
        rest = m.group(3)
        if not rest:
            continue
        processed = unquote_word(rest)
        if processed is None or processed[1] != 1:
            continue
        name = processed[0]
        quotes_raw = rest.count("'") + rest.count('"')
        quotes_cooked = name.count("'") + name.count('"')
        docs.append(
            HeredocSpec(
                name=name,
                chomp=m.group(2) == "-",
                expand=quotes_raw == quotes_cooked,
                fd=int(m.group(1)) if m.group(1) else 0,
            )
        )
    return docs
