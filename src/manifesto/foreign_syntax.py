"""Text that is not a Dockerfile although it looks like one: templates and merge conflicts.

A template (Jinja, Helm or Go ``text/template``, ERB, Mustache, a GitHub
Actions ``${{ }}`` expression, docker-library's ``%%NAME%%`` placeholders) is
turned into a Dockerfile by another tool; rewriting it as if it were one edits
text whose meaning depends on what the template engine makes of it. A file with
merge-conflict markers holds two versions at once. Both are refused.

Where a real Dockerfile uses ``{{``: as the Go template handed to a tool's
format flag inside a shell command (``docker inspect --format '{{json .}}'``,
``podman ps --format={{.Names}}``, ``go list -f '{{.Dir}}'``,
``kubectl get -o go-template='{{...}}'``, ``--log-opt tag={{.Name}}``), and as
the placeholder a RUN fills in a copied file with sed
(``sed -i 's/{{PORT}}/8080/' nginx.conf``). Such an expression is accepted
when its shell word is the value of one of those flags and the expression reads
as Go (``{{.Id}}``, ``{{json .}}``, ``{{range ...}}``; Helm's
``.Values``/``.Release``/``.Chart`` never do), or when it lies in the pattern
of a sed ``s`` command (a template puts its expressions in the replacement).
``${{`` is never accepted. Everything else with template syntax, anywhere in a
line, is a template.

Every scan is linear in the text: openers are found by one regular expression
over the whole text, each closer is searched for at most once per line and
opener kind, and a line is split into shell words at most once.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["ForeignSyntax", "find_conflict_marker", "find_foreign_syntax", "find_template"]


@dataclass(frozen=True, slots=True)
class ForeignSyntax:
    """Where the text stops being a Dockerfile, and what it is instead."""

    line: int
    column: int
    """1-based, in characters; a BOM is not part of line 1."""
    message: str


# ---------------------------------------------------------------------------
# Merge conflicts

# git's markers at its default conflict-marker-size: seven characters at the start
# of a line, then a space and a label, or the end of the line. ``=======`` alone
# (a banner in a heredoc, an underline) is not a conflict; it counts only beside
# one of the others.
_MARKER = re.compile(r"^(?:(<{7}|>{7}|\|{7})(?=[ \t]|\r?$)|={7}(?=\r?$))", re.MULTILINE)


def find_conflict_marker(text: str) -> ForeignSyntax | None:
    """The first merge-conflict marker, when the file has one that is not ``=======``.

    A file with only diff3's ``|||||||`` base markers (the other markers deleted
    by hand) is still refused: the base version's lines are in it.
    """
    if "<<<<<<<" not in text and ">>>>>>>" not in text and "|||||||" not in text:
        return None
    first = None
    for match in _MARKER.finditer(text):
        if first is None:
            first = match
        if match[1] is not None:
            marker = text[first.start() : first.start() + 7]
            line, column = _position(text, first.start())
            return ForeignSyntax(
                line, column, f"merge-conflict marker {marker!r}: resolve the conflict first"
            )
    return None


# ---------------------------------------------------------------------------
# Templates

_OPENER = re.compile(r"\$?\{\{|\{%|\{#|<%|%%(?=[A-Z])")

# ``{%`` opens a Jinja statement only before a name (``{% if``, ``{%- for``);
# ``printf '{%s}'`` does not.
_JINJA_STATEMENT = re.compile(r"[-+]?[ \t]*[A-Za-z_]")
_ERB_TAG = re.compile(r"<%[=#-]?[ \t]")
_PLACEHOLDER = re.compile(r"%%[A-Z][A-Z0-9_]*%%")
_PLACEHOLDER_LINE = re.compile(r"[ \t]*(?i:from|arg|env|label)[ \t]")

_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}", "<%": "%>"}
_LINE_START_LABELS = {"{{": "Jinja", "{%": "Jinja", "{#": "Jinja", "<%": "ERB"}

_HELM = re.compile(
    r"\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|\b(?:include|toYaml|nindent|tpl)\b"
)
_GO_WORDS = frozenset(
    {
        # text/template actions and built-in functions
        *("if", "else", "end", "range", "with", "define", "template", "block"),
        *("break", "continue", "and", "or", "not", "call", "html", "index", "slice"),
        *("js", "len", "print", "printf", "println", "urlquery"),
        *("eq", "ne", "lt", "le", "gt", "ge"),
        # functions docker and podman add for --format
        *("json", "join", "lower", "upper", "split", "title", "pad", "truncate", "table"),
    }
)
_LEADING_WORD = re.compile(r"[A-Za-z_]\w*")

# Flags whose value is a Go template, alone (``--format '{{...}}'``) or joined
# (``--format={{...}}``); ``-o``/``--output`` only with ``go-template=`` or
# ``template=``; docker's ``--log-opt tag=``.
_FORMAT_FLAG = re.compile(r"-{1,2}(?:format|template|go-template)|-f")
_JOINED_FORMAT_FLAG = re.compile(
    r"(?:-{1,2}(?:format|template|go-template)|-f)="
    r"|(?:-o|--output)=?(?:go-template|template)="
    r"|--log-opt=tag="
)
_OUTPUT_FLAG = re.compile(r"-o|--output")
_OUTPUT_VALUE = re.compile(r"(?:go-template|template)=")
_LOG_OPT_VALUE = re.compile(r"tag=")


def find_template(text: str) -> ForeignSyntax | None:
    """The first template expression or tag, other than a real Dockerfile's ``{{``."""
    return _TemplateScan(text).first()


def find_foreign_syntax(text: str) -> ForeignSyntax | None:
    """The first conflict marker or template syntax, whichever comes first."""
    found = [f for f in (find_conflict_marker(text), find_template(text)) if f is not None]
    return min(found, key=lambda f: (f.line, f.column)) if found else None


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    """Offsets in the line; ``end`` exclusive."""
    value: str
    """The word with its quotes removed (and exec-form ``[``, ``,`` and ``]`` trimmed)."""


class _TemplateScan:
    """One pass over the text; state is per line, so the whole scan stays linear."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_start = -1
        self.line_end = -1
        self.closer_at: dict[str, int] = {}
        """Per opener kind: the next closer on the current line (``line_end`` when none)."""
        self.first_char = -1
        """Offset of the current line's first character that is not a blank."""
        self.words: list[_Word] | None = None
        self.word_starts: list[int] = []
        self.sed_patterns: dict[int, list[tuple[int, int]]] = {}
        """Per word of the current line: the spans of its sed ``s`` patterns."""

    def first(self) -> ForeignSyntax | None:
        text = self.text
        if not any(opener in text for opener in ("{{", "{%", "{#", "<%", "%%")):
            return None
        for match in _OPENER.finditer(text):
            pos = match.start()
            self._enter_line(pos)
            label = self._label(match[0], pos)
            if label is not None:
                line, column = _position(text, pos)
                return ForeignSyntax(
                    line,
                    column,
                    f"template syntax ({label}): this is a template, not a Dockerfile",
                )
        return None

    def _enter_line(self, pos: int) -> None:
        if self.line_start <= pos < self.line_end:
            return
        self.line_start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        self.line_end = len(self.text) if end == -1 else end
        self.closer_at = {}
        self.words = None
        first = self.line_start
        while first < self.line_end and self.text[first] in " \t":
            first += 1
        self.first_char = first

    def _closer(self, opener: str, after: int) -> int:
        """Offset of the first closer of ``opener`` at or after ``after`` on this line, or -1."""
        closer = _CLOSERS[opener]
        known = self.closer_at.get(opener)
        if known is None or known < after:
            found = self.text.find(closer, after, self.line_end)
            known = self.line_end if found == -1 else found
            self.closer_at[opener] = known
        return -1 if known >= self.line_end else known

    def _label(self, opener: str, pos: int) -> str | None:
        """What template syntax starts at ``pos``, or None when it is none (or legitimate)."""
        text = self.text
        if pos == self.first_char and opener in _LINE_START_LABELS:
            # No Dockerfile line starts so (BuildKit would read an instruction
            # named "{{"): a template's line, even when its tag spans lines.
            if opener == "{{":
                label = self._expression(opener, pos)
                if label is None:
                    rest = text[pos + 2 : self.line_end].strip()
                    label = _classify(rest) if rest else "Jinja"
                return label
            return _LINE_START_LABELS[opener]
        if opener.endswith("{{"):
            return self._expression(opener, pos)
        if opener == "{%":
            if _JINJA_STATEMENT.match(text, pos + 2) and self._closer("{%", pos + 2) >= 0:
                return "Jinja"
            return None
        if opener == "{#":
            # ``${#array[@]}`` is shell; ``{# ... #}`` is a Jinja comment.
            if pos > 0 and text[pos - 1] == "$":
                return None
            return "Jinja" if self._closer("{#", pos + 2) >= 0 else None
        if opener == "<%":
            if _ERB_TAG.match(text, pos) and self._closer("<%", pos + 2) >= 0:
                return "ERB"
            return None
        # ``%%NAME%%``: docker-library's placeholders, in the instructions that take them.
        if _PLACEHOLDER.match(text, pos) and _PLACEHOLDER_LINE.match(text, self.line_start):
            return "%%NAME%% placeholder"
        return None

    def _expression(self, opener: str, pos: int) -> str | None:
        text = self.text
        start = pos + len(opener)
        close = self._closer("{{", start)
        if close < 0:
            return None
        triple = text.startswith("{", start)  # Mustache's unescaped {{{name}}}
        if triple:
            start += 1
        # Braces inside are the shell's nested brace expansion ({{a,b},c}) or
        # awk's blocks, not an expression; so is an empty pair. Searched for
        # before the body is sliced: the region up to the next "{" is searched
        # once per opener, and a body without "{" holds no other opener.
        if text.find("{", start, close) != -1 or text.find("}", start, close) != -1:
            return None
        body = text[start:close]
        if not body.strip():
            return None
        if opener == "${{":
            return "GitHub Actions expression"
        label = "Mustache" if triple else _classify(body)
        if self._is_build_time_placeholder(pos, close + 2, go=label == "Go template"):
            return None
        return label

    def _is_build_time_placeholder(self, pos: int, end: int, go: bool) -> bool:
        """Whether ``text[pos:end]`` is a real Dockerfile's ``{{``, by its shell word.

        A Go expression that is a format flag's value; or any expression in the
        pattern of a sed ``s`` command, the placeholder a RUN replaces in a
        copied file (``sed -i 's/{{PORT}}/8080/' nginx.conf``): a template
        would put its expressions in the replacement.
        """
        words = self._line_words()
        offset = pos - self.line_start
        index = bisect.bisect_right(self.word_starts, offset) - 1
        if index < 0 or offset >= words[index].end:
            return False
        word = words[index]
        if end - self.line_start > word.end:
            return False  # split across words: the shell would break it apart
        if go:
            previous = words[index - 1].value if index > 0 else self._previous_line_word()
            if _names_format_value(previous, word.value):
                return True
        patterns = self.sed_patterns.get(index)
        if patterns is None:
            line = self.text[self.line_start : self.line_end]
            patterns = _sed_patterns(line, word)
            self.sed_patterns[index] = patterns
        # Spans are sorted and disjoint: only the last one starting at or before
        # the expression can hold it.
        at = bisect.bisect_right(patterns, (offset, len(self.text))) - 1
        return at >= 0 and end - self.line_start <= patterns[at][1]

    def _line_words(self) -> list[_Word]:
        if self.words is None:
            self.words = _shell_words(self.text[self.line_start : self.line_end])
            self.word_starts = [word.start for word in self.words]
            self.sed_patterns = {}
        return self.words

    def _previous_line_word(self) -> str | None:
        """The last word of the line before, when this line continues it (``\\``)."""
        if self.line_start == 0:
            return None
        end = self.line_start - 1
        start = self.text.rfind("\n", 0, end) + 1
        line = self.text[start:end].rstrip("\r").rstrip(" \t")
        if not line.endswith("\\"):
            return None
        words = _shell_words(line[:-1])
        return words[-1].value if words else None


def _names_format_value(previous: str | None, word: str) -> bool:
    if _JOINED_FORMAT_FLAG.match(word):
        return True
    if previous is None:
        return False
    if _FORMAT_FLAG.fullmatch(previous):
        return True
    if _OUTPUT_FLAG.fullmatch(previous) and _OUTPUT_VALUE.match(word):
        return True
    return previous == "--log-opt" and _LOG_OPT_VALUE.match(word) is not None


_SED_EXPRESSION_FLAG = "--expression="
_NOT_A_SED_DELIMITER = frozenset(" \t\\'\"{")


def _sed_patterns(line: str, word: _Word) -> list[tuple[int, int]]:
    """Spans (line offsets, end exclusive) of the patterns of ``s<d>pattern<d>...`` commands.

    Quotes are transparent (``'s/{{X}}/'"$X"'/g'`` is one word); commands are
    separated by ``;``. One pass over the word.
    """
    spans: list[tuple[int, int]] = []
    i, n = word.start, word.end
    if word.value.startswith(_SED_EXPRESSION_FLAG):
        i = line.index("=", i, n) + 1
    at_command = True
    while i < n:
        ch = line[i]
        if ch in "'\"":
            i += 1
            continue
        if at_command and ch == "s" and i + 1 < n:
            delimiter = line[i + 1]
            if not delimiter.isalnum() and delimiter not in _NOT_A_SED_DELIMITER:
                j = i + 2
                while j < n and line[j] != delimiter:
                    j += 2 if line[j] == "\\" else 1
                spans.append((i + 2, min(j, n)))
                i, at_command = j + 1, False
                continue
        at_command = ch == ";" or (at_command and ch in " \t")
        i += 1
    return spans


def _classify(body: str) -> str:
    """Which template language an expression ``{{ body }}`` is written in."""
    if body.startswith("/*"):
        return "Go template"  # {{/* a comment */}}
    if body[:1] in ("#", "/", "^", "!", ">", "&"):
        return "Mustache"
    core = body.strip("-~ \t")
    if _HELM.search(core):
        return "Helm"
    if core[:1] in (".", "$"):
        return "Go template"
    word = _LEADING_WORD.match(core)
    if word is not None and word[0] in _GO_WORDS:
        return "Go template"
    return "Jinja"


_WORD_BREAKS = frozenset(" \t\r;|&()<>`")


def _shell_words(line: str) -> list[_Word]:
    """Shell-like words of one line: quotes group, backslashes escape, operators split.

    Only good enough to tell which word an expression sits in and which word
    comes before it; the exec form's ``["a", "b"]`` punctuation is trimmed off.
    """
    words: list[_Word] = []
    value: list[str] = []
    start = -1
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch in _WORD_BREAKS:
            if start >= 0:
                words.append(_word(start, i, value))
                value, start = [], -1
            i += 1
            continue
        if start < 0:
            start = i
        if ch == "'":
            close = line.find("'", i + 1)
            close = n if close == -1 else close
            value.append(line[i + 1 : close])
            i = close + 1
        elif ch == '"':
            i += 1
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(line[i])
                i += 1
            i += 1
        elif ch == "\\" and i + 1 < n:
            value.append(line[i + 1])
            i += 2
        else:
            value.append(ch)
            i += 1
    if start >= 0:
        words.append(_word(start, min(i, n), value))
    return words


def _word(start: int, end: int, value: list[str]) -> _Word:
    return _Word(start, end, "".join(value).lstrip("[").rstrip(",]"))


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    line = text.count("\n", 0, offset) + 1
    column = offset - line_start + 1
    if line_start == 0 and text.startswith("\ufeff"):
        column -= 1
    return line, column
