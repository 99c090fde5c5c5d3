"""A typed view of the shell script of a Dockerfile ``RUN`` instruction.

:func:`parse_shell` turns a :class:`ShellSource` (the shell-form command text of one
``RUN`` and its file offset) into a :class:`ShellScript`: the simple commands in
source order with their words, assignments and redirections, the top-level
statements, and whether ``set -e`` is in force. Every offset in the model is an
index into the Python ``str`` of the whole Dockerfile, so that ``file[w.start:w.end]
== w.text`` for every word, command, redirect and statement.

How the text reaches bash
-------------------------
BuildKit does not hand the file text to the shell as it stands. It joins the
instruction's physical lines first: a line ending in the escape character
(optionally followed by spaces or tabs, and by ``\\r`` on CRLF files) continues
onto the next, the escape, those blanks and the line break are removed, every
line loses its trailing ``\\r`` characters, and comment lines (``^\\s*#``) and
blank lines met while a continuation is pending are dropped. Here-documents
(``<<EOF`` words on that logical line) then take the following physical lines
up to their terminator line, raw.

This module rebuilds exactly that text -- the *logical* script -- together with a
map from each of its characters back to a file offset, and gives tree-sitter-bash
the logical script. The map, not a same-length blanked copy, keeps offsets exact:
it also handles what blanking cannot, such as ``foo\\<NL>bar`` (one word
``foobar`` for the shell), a comment line dropped in the middle of a word, or
the leading tabs that ``<<-`` strips.

Here-documents are handled in BuildKit's terms:

* ``RUN <<EOF`` (the command is only a here-document word): BuildKit runs the
  body as the script, so the *body* is parsed (tabs stripped for ``<<-``). A body
  starting with ``#!`` is run by its interpreter: a POSIX-like shell is parsed as
  usual (``-e`` in the shebang line sets errexit); any other interpreter
  (python, perl, ...) gives an unsupported script.
* Any other command with here-documents: the command line is parsed with each
  ``<<WORD`` turned into a plain ``<`` redirection of the same length (for
  tree-sitter only), and the bodies are kept out of the parse: they are data
  for the command, reported as :class:`Heredoc` values on the redirect.
  tree-sitter-bash's own here-document support mis-parses ``cat <<EOF; x`` and
  ``<<A <<B``, which this avoids.

Scripts written for the backquote escape character (``# escape=`` directive,
Windows images) are not analysed: they come back with ``supported=False``.
"""

from __future__ import annotations

import array
import bisect
import dataclasses
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import tree_sitter
import tree_sitter_bash

__all__ = [
    "Assignment",
    "Command",
    "Heredoc",
    "Redirect",
    "ShellCache",
    "ShellScript",
    "ShellSource",
    "Statement",
    "Word",
    "iter_words",
    "parse_shell",
    "shell_options",
]


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class ShellSource:
    """The shell-form command text of one ``RUN`` instruction.

    ``text`` is the file slice from the first character of the command (after
    ``RUN`` and its ``--flags``) through the end of the instruction: continuation
    lines, comment lines inside continuations, here-document bodies and their
    terminator lines included; the instruction's final newline excluded.
    """

    text: str
    offset: int
    """File offset (index into the ``str`` of the whole file) of ``text[0]``."""
    escape: str = "\\"
    """The Dockerfile escape character: ``\\`` or a backquote."""

    @property
    def end(self) -> int:
        return self.offset + len(self.text)


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word (or redirect target, or here-document body) with file offsets."""

    text: str
    """The exact file slice ``file[start:end]`` (continuations included)."""
    start: int
    end: int
    value: str | None
    """The word as the command receives it when it is a literal (plain, quoted or
    escaped text, before brace, tilde and pathname expansion); ``None`` when it
    contains a parameter, command or arithmetic expansion, or ANSI-C quoting."""
    kind: str
    """The tree-sitter node type (``word``, ``string``, ``raw_string``,
    ``concatenation``, ``number``, ...), or ``keyword`` / ``heredoc_body``."""


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document: its delimiter, body and terminator line."""

    delimiter: str
    """The terminator word, unquoted."""
    chomp: bool
    """``<<-``: leading tabs are stripped from the body and terminator."""
    quoted: bool
    """The delimiter was quoted or escaped: the body is not expanded."""
    body: Word
    """The body lines, newline after the last one included (``value`` is the body
    when it cannot expand: quoted delimiter, or no ``$``, backquote or backslash)."""
    terminator: Word | None
    """The terminator line's word (tabs excluded); ``None`` when unterminated."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """``NAME=value`` (or ``NAME+=value``) before a command, or on its own."""

    text: str
    start: int
    end: int
    name: str
    value: Word | None
    append: bool = False


@dataclass(frozen=True, slots=True)
class Redirect:
    """A redirection such as ``>/dev/null``, ``2>&1``, ``<<EOF`` or ``<<<word``."""

    text: str
    """File slice; for a here-document only the operator and delimiter."""
    start: int
    end: int
    operator: str
    """``>``, ``>>``, ``<``, ``>&``, ``&>``, ``<<``, ``<<-``, ``<<<``, ..."""
    descriptor: str | None
    """The file descriptor before the operator (``2`` in ``2>&1``), if any."""
    target: Word | None
    """The destination (file, descriptor number, here-document delimiter)."""
    heredoc: Heredoc | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command (``cmd args``, ``export ...``, ``[ ... ]``, ``A=1``)."""

    index: int
    """Position in :attr:`ShellScript.commands` (source order)."""
    kind: str
    """``simple`` (incl. assignment-only and redirect-only commands),
    ``declaration`` (export, declare, local, readonly, typeset), ``unset`` or
    ``test`` (``[ ... ]`` / ``[[ ... ]]``: ``args`` is empty)."""
    text: str
    start: int
    end: int
    """File offsets covering assignments, words and redirects (here-document
    bodies excluded: ``end`` is on the command's own line)."""
    name: Word | None
    args: tuple[Word, ...]
    assignments: tuple[Assignment, ...]
    redirects: tuple[Redirect, ...]
    context: tuple[str, ...]
    """Enclosing constructs, outermost first: ``if``, ``while``, ``until``,
    ``for``, ``select``, ``case``, ``function``, ``subshell``, ``group``
    (``{ ...; }``), ``arithmetic``, ``command_substitution``,
    ``process_substitution``; ``()`` at top level."""
    operator_before: str | None
    """The operator joining this command to the previous element of its list:
    ``&&``, ``||``, ``|``, ``|&``, ``;``, ``&``, ``;;`` or ``\\n``; ``None`` when
    it starts its list (first command, or first after ``then``, ``do``, ``{``, ...)."""
    operator_after: str | None
    in_pipeline: bool
    errexit: bool
    """``set -e`` is in force when the command starts (scoped to subshells)."""
    pipefail: bool
    effective_name: Word | None
    """The command actually run once wrappers (``sudo``, ``env X=Y``,
    ``command``, ``exec``, ``nice``, ``nohup``, ``time``, ``eatmydata``, ``gosu``,
    ...) and their options are skipped; ``name`` when there is no wrapper."""
    effective_args: tuple[Word, ...]

    @property
    def words(self) -> tuple[Word, ...]:
        """``name`` followed by ``args``."""
        return self.args if self.name is None else (self.name, *self.args)

    @property
    def program(self) -> str | None:
        """Basename of the effective command (``apt-get`` for ``/usr/bin/apt-get``)."""
        if self.effective_name is None or self.effective_name.value is None:
            return None
        return _basename(self.effective_name.value)


@dataclass(frozen=True, slots=True)
class Statement:
    """One item of the script's top-level list (an and-or list of pipelines)."""

    index: int
    text: str
    start: int
    end: int
    """End of the statement's last token, here-document bodies excluded: where
    ``&& next`` can be appended."""
    commands: tuple[Command, ...]
    """Every command inside the statement, nested ones included."""
    operators: tuple[str, ...]
    """The ``&&``, ``||``, ``|`` and ``|&`` operators joining its parts, in order."""
    terminator: str | None
    """The separator after it: ``;``, ``&``, ``\\n`` or ``None`` (last one)."""


@dataclass(frozen=True, slots=True)
class ShellScript:
    """The analysed shell script of one ``RUN`` instruction."""

    source: ShellSource
    commands: tuple[Command, ...]
    statements: tuple[Statement, ...]
    has_errors: bool
    """tree-sitter found a syntax error, a here-document is unterminated, or the
    script is unsupported. Fixers must not edit a script with errors."""
    supported: bool
    """False for backquote-escape files and non-shell shebang heredoc scripts."""
    error: str | None
    """Short reason for ``has_errors``."""
    errexit: bool
    """``set -e`` is in force at the end of the script (top level)."""
    pipefail: bool
    end: int
    """File offset after the last top-level statement (here-document bodies
    excluded); ``source.offset`` for an empty script."""
    heredocs: tuple[Heredoc, ...]
    script_heredoc: Heredoc | None
    """For ``RUN <<EOF``: the here-document whose body is the script."""
    errexit_changes: tuple[tuple[int, bool], ...]
    """``(offset, state)`` for each top-level ``set`` that changes errexit; the
    offset is the end of that ``set`` command."""
    initial_errexit: bool = False

    def commands_named(self, *names: str) -> tuple[Command, ...]:
        """Commands whose effective program is one of ``names`` (basenames match:
        ``apt-get`` finds ``/usr/bin/apt-get`` and ``sudo -E apt-get``)."""
        wanted = {_basename(n) for n in names}
        return tuple(c for c in self.commands if c.program in wanted)

    def statement_of(self, command: Command) -> Statement | None:
        """The top-level statement containing ``command``."""
        # Statements hold disjoint runs of ``commands`` in source order: the only
        # candidate is the last statement starting at or before the command (a
        # bisection, not a scan per command of a long script).
        at = bisect.bisect_right(self.statements, command.start, key=_statement_start) - 1
        if at < 0:
            return None
        st = self.statements[at]
        if st.commands and st.commands[0].index <= command.index <= st.commands[-1].index:
            return st
        return None

    def insertion_point_after(self, command: Command) -> int:
        """File offset right after the top-level statement containing ``command``:
        where ``" && rm -rf ..."`` belongs."""
        st = self.statement_of(command)
        return command.end if st is None else st.end

    def argument(self, k: int, j: int) -> Word | None:
        """``commands[k].args[j]``, or ``None`` when out of range."""
        if not (0 <= k < len(self.commands)):
            return None
        args = self.commands[k].args
        return args[j] if 0 <= j < len(args) else None

    def errexit_at(self, offset: int) -> bool:
        """Whether ``set -e`` is in force at top level at file ``offset``."""
        state = self.initial_errexit
        for pos, new in self.errexit_changes:
            if pos > offset:
                break
            state = new
        return state

    def append_operator(self) -> str:
        """The operator to join a command appended after the script's end: the
        separator already used between statements under ``set -e`` (``;`` or
        ``\\n``), otherwise ``&&``."""
        if self.errexit and len(self.statements) >= 2:
            sep = self.statements[-2].terminator
            if sep in (";", "\n") and _errexit_stops_at(self.statements[-1]):
                return sep
        return "&&"


_COMPOUND_START = re.compile(r"(?:if|for|while|until|case|select|function)\b|[{(!]")


def _errexit_stops_at(statement: Statement) -> bool:
    """Whether ``set -e`` ends the script when ``statement`` fails.

    Not for an and-or list (``a && b``: a failure of ``a`` is ignored, the list
    just returns non-zero), a negation, or a compound command (a failure inside
    one can be ignored the same way): appending ``; cmd`` after those would
    turn the RUN's failure into success, so the caller joins with ``&&``.
    """
    if any(op in ("&&", "||") for op in statement.operators):
        return False
    return _COMPOUND_START.match(statement.text.lstrip()) is None


def _statement_start(statement: Statement) -> int:
    return statement.start


# --------------------------------------------------------------------------- cache


@functools.cache
def _language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_bash.language())


class ShellCache:
    """Per-run cache: owns a tree-sitter parser and memoises parsed scripts.

    A script depends only on its :class:`ShellSource` (text, offset, escape) and
    the initial errexit and pipefail flags, which together form the cache key.
    The offset only moves the script: a script met again at another offset (an
    edit earlier in the file moved it) is the cached one shifted, not a new parse,
    so a fix pass re-parses only the RUNs whose text changed.
    """

    __slots__ = ("_by_text", "_parser", "_scripts")

    def __init__(self) -> None:
        self._parser: tree_sitter.Parser | None = None
        self._scripts: dict[tuple[ShellSource, bool, bool], ShellScript] = {}
        self._by_text: dict[tuple[str, str, bool, bool], ShellScript] = {}

    @property
    def parser(self) -> tree_sitter.Parser:
        if self._parser is None:
            self._parser = tree_sitter.Parser(_language())
        return self._parser

    def script(
        self, source: ShellSource, *, errexit: bool = False, pipefail: bool = False
    ) -> ShellScript:
        key = (source, errexit, pipefail)
        found = self._scripts.get(key)
        if found is not None:
            return found
        text_key = (source.text, source.escape, errexit, pipefail)
        seen = self._by_text.get(text_key)
        if seen is not None and _shiftable(seen):
            found = _shifted(seen, source)
        else:
            found = _parse(source, errexit, pipefail, self)
            self._by_text[text_key] = found
        self._scripts[key] = found
        return found

    def __len__(self) -> int:
        return len(self._scripts)


def _shiftable(script: ShellScript) -> bool:
    # Error messages name file offsets; a broken script is parsed again instead
    # (rare, and no fixer edits it).
    return script.error is None or " at offset " not in script.error


def _shifted(script: ShellScript, source: ShellSource) -> ShellScript:
    """``script`` parsed from the same text at ``source.offset`` instead.

    Rebuilt object by object: values shared in the original (a command in
    ``commands`` and in its statement, a word that is also ``effective_name``,
    a here-document on its redirect and in ``heredocs``) stay shared.
    """
    delta = source.offset - script.source.offset
    if delta == 0:
        return dataclasses.replace(script, source=source)
    words: dict[int, Word] = {}
    docs: dict[int, Heredoc] = {}

    def word(w: Word) -> Word:
        new = words.get(id(w))
        if new is None:
            new = Word(w.text, w.start + delta, w.end + delta, w.value, w.kind)
            words[id(w)] = new
        return new

    def opt_word(w: Word | None) -> Word | None:
        return None if w is None else word(w)

    def heredoc(h: Heredoc) -> Heredoc:
        new = docs.get(id(h))
        if new is None:
            new = Heredoc(h.delimiter, h.chomp, h.quoted, word(h.body), opt_word(h.terminator))
            docs[id(h)] = new
        return new

    def redirect(r: Redirect) -> Redirect:
        return Redirect(
            r.text,
            r.start + delta,
            r.end + delta,
            r.operator,
            r.descriptor,
            opt_word(r.target),
            None if r.heredoc is None else heredoc(r.heredoc),
        )

    def command(c: Command) -> Command:
        return Command(
            c.index,
            c.kind,
            c.text,
            c.start + delta,
            c.end + delta,
            opt_word(c.name),
            tuple(map(word, c.args)),
            tuple(
                Assignment(
                    a.text, a.start + delta, a.end + delta, a.name, opt_word(a.value), a.append
                )
                for a in c.assignments
            ),
            tuple(map(redirect, c.redirects)),
            c.context,
            c.operator_before,
            c.operator_after,
            c.in_pipeline,
            c.errexit,
            c.pipefail,
            opt_word(c.effective_name),
            tuple(map(word, c.effective_args)),
        )

    commands = tuple(map(command, script.commands))
    statements = tuple(
        Statement(
            st.index,
            st.text,
            st.start + delta,
            st.end + delta,
            tuple(commands[c.index] for c in st.commands),
            st.operators,
            st.terminator,
        )
        for st in script.statements
    )
    return ShellScript(
        source,
        commands,
        statements,
        script.has_errors,
        script.supported,
        script.error,
        script.errexit,
        script.pipefail,
        script.end + delta,
        tuple(map(heredoc, script.heredocs)),
        None if script.script_heredoc is None else heredoc(script.script_heredoc),
        tuple((at + delta, state) for at, state in script.errexit_changes),
        script.initial_errexit,
    )


def parse_shell(
    source: ShellSource,
    *,
    errexit: bool = False,
    pipefail: bool = False,
    cache: ShellCache | None = None,
) -> ShellScript:
    """Analyse the shell script of a ``RUN``; never raises.

    ``errexit`` and ``pipefail`` are the options in force before the script runs
    (see :func:`shell_options` for a ``SHELL`` instruction).
    """
    owner = cache if cache is not None else ShellCache()
    return owner.script(source, errexit=errexit, pipefail=pipefail)


# --------------------------------------------------------------------------- logical text


class _Logical:
    """Text given to the shell, with the file offset of each character."""

    __slots__ = ("chars", "offsets")

    def __init__(self) -> None:
        self.chars: list[str] = []
        # One machine integer per character, not an int object: a RUN of a
        # hundred thousand continuation lines holds millions of them.
        self.offsets = array.array("q")

    def add(self, text: str, start: int, end: int, base: int) -> None:
        self.chars.append(text[start:end])
        self.offsets.extend(range(base + start, base + end))


def _line(text: str, i: int) -> tuple[int, int]:
    """(end of content without trailing CR/LF, start of the next line) for the line at i."""
    j = text.find("\n", i)
    le, nxt = (len(text), len(text)) if j < 0 else (j, j + 1)
    ce = le
    while ce > i and text[ce - 1] == "\r":
        ce -= 1
    return ce, nxt


def _continuation_at(text: str, start: int, end: int, esc: str) -> int | None:
    """Index of the line-continuation escape in text[start:end], if the line has one."""
    p = end
    while p > start and text[p - 1] in " \t":
        p -= 1
    if p > start and text[p - 1] == esc and (p - 1 == start or text[p - 2] != esc):
        return p - 1
    return None


def _logical_line(text: str, esc: str) -> tuple[list[tuple[int, int]], int]:
    """Segments of ``text`` forming BuildKit's joined line, and where the rest starts."""
    segments: list[tuple[int, int]] = []
    ce, nxt = _line(text, 0)
    cont = _continuation_at(text, 0, ce, esc)
    if cont is None:
        return [(0, ce)], nxt
    segments.append((0, cont))
    i = nxt
    while i < len(text):
        ce, nxt = _line(text, i)
        content = text[i:ce].lstrip()
        if not content or content.startswith("#"):
            i = nxt  # dropped: comment or blank line inside a continuation
            continue
        cont = _continuation_at(text, i, ce, esc)
        if cont is None:
            segments.append((i, ce))
            return segments, nxt
        segments.append((i, cont))
        i = nxt
    return segments, len(text)


@dataclass(slots=True)
class _HeredocWord:
    start: int  # index in the logical line of the word
    op_start: int  # index of the first "<"
    op_len: int  # 2 for "<<", 3 for "<<-"
    name: str
    chomp: bool
    quoted: bool


def _buildkit_words(line: str) -> list[tuple[int, int]]:
    """Whitespace-separated words of ``line``, quotes and escapes kept (BuildKit lexer)."""
    words: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        while i < n and not line[i].isspace():
            ch = line[i]
            if ch == "\\":
                i += 2
            elif ch == "'":
                j = line.find("'", i + 1)
                i = n if j < 0 else j + 1
            elif ch == '"':
                i += 1
                while i < n and line[i] != '"':
                    i += 2 if line[i] == "\\" else 1
                i += 1
            elif ch == "$" and line.startswith("${", i):
                j = line.find("}", i + 2)
                i = n if j < 0 else j + 1
            else:
                i += 1
        words.append((start, min(i, n)))
    return words


def _unquote_name(rest: str) -> list[str] | None:
    """BuildKit's ``ProcessWords`` for a here-document name; ``None`` on bad quoting."""
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if ch.isspace():
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
            i += 1
            continue
        in_word = True
        if ch == "\\":
            if i + 1 < n:
                cur.append(rest[i + 1])
            i += 2
        elif ch == "'":
            j = rest.find("'", i + 1)
            if j < 0:
                return None
            cur.append(rest[i + 1 : j])
            i = j + 1
        elif ch == '"':
            i += 1
            while i < n and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < n and rest[i + 1] in '"\\$`':
                    i += 1
                cur.append(rest[i])
                i += 1
            if i >= n:
                return None
            i += 1
        else:
            cur.append(ch)
            i += 1
    if in_word:
        words.append("".join(cur))
    return words


_HEREDOC_WORD = re.compile(r"(\d*)<<(-?)([^<]*)")


def _heredoc_from_word(word: str) -> tuple[str, bool, bool, int] | None:
    """(name, chomp, quoted, digits) when ``word`` is a here-document word."""
    m = _HEREDOC_WORD.fullmatch(word)
    if m is None or not m.group(3):
        return None
    names = _unquote_name(m.group(3))
    if names is None or len(names) != 1:
        return None
    quoted = any(c in m.group(3) for c in "'\"\\")
    return names[0], m.group(2) == "-", quoted, len(m.group(1))


def _find_heredocs(line: str) -> list[_HeredocWord]:
    found: list[_HeredocWord] = []
    if "<<" not in line:
        return found
    for start, end in _buildkit_words(line):
        hd = _heredoc_from_word(line[start:end])
        if hd is not None:
            name, chomp, quoted, digits = hd
            found.append(
                _HeredocWord(start, start + digits, 3 if chomp else 2, name, chomp, quoted)
            )
    return found


_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"})


def _set_options(
    args: Sequence[str | None], errexit: bool, pipefail: bool, *, stop_at_c: bool = False
) -> tuple[bool, bool]:
    """Apply ``set``-style options (``-e``, ``+e``, ``-o errexit``, ``-euxo pipefail``)."""
    i = 0
    while i < len(args):
        v = args[i]
        if v is None or v in ("-", "--") or v[:1] not in ("-", "+") or v.startswith("--"):
            break
        on = v[0] == "-"
        for ch in v[1:]:
            if ch == "e":
                errexit = on
            elif ch == "o" and i + 1 < len(args):
                i += 1
                opt = args[i]
                if opt == "errexit":
                    errexit = on
                elif opt == "pipefail":
                    pipefail = on
        if stop_at_c and "c" in v[1:]:
            break
        i += 1
    return errexit, pipefail


def shell_options(argv: Sequence[str]) -> tuple[bool, bool] | None:
    """``(errexit, pipefail)`` set by a ``SHELL`` instruction's argv, such as
    ``["/bin/bash", "-eo", "pipefail", "-c"]``; ``None`` when it is not a POSIX
    shell (``powershell``, ``cmd``, ...): do not analyse RUNs with :func:`parse_shell` then.
    """
    if not argv or _basename(argv[0]) not in _SHELLS:
        return None
    return _set_options(argv[1:], False, False, stop_at_c=True)


def _shebang(first_line: str) -> tuple[str | None, bool, bool]:
    """(interpreter basename, errexit, pipefail) from a ``#!`` line."""
    parts = first_line[2:].split()
    if not parts:
        return None, False, False
    prog, args = _basename(parts[0]), parts[1:]
    if prog == "env":
        while args and args[0].startswith("-"):
            args = args[1:]
        if not args:
            return None, False, False
        prog, args = _basename(args[0]), args[1:]
    return prog, *_set_options(args, False, False)


# --------------------------------------------------------------------------- words


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] or path


_EXPANDING = frozenset(
    {
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
        "ansi_c_string",
    }
)
_DQ_ESCAPABLE = frozenset('$`"\\\n')
_PARAM_START = re.compile(r"[A-Za-z0-9_{(@*#?$!-]")


def _literal(s: str) -> str | None:
    """Bash quote removal for a word without expansions; ``None`` if it expands."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            if i + 1 < n:
                if s[i + 1] != "\n":
                    out.append(s[i + 1])
                i += 2
            else:
                out.append(ch)
                i += 1
        elif ch == "'":
            j = s.find("'", i + 1)
            if j < 0:
                return None
            out.append(s[i + 1 : j])
            i = j + 1
        elif ch == '"' or (ch == "$" and s.startswith('$"', i)):
            i += 2 if ch == "$" else 1
            while i < n and s[i] != '"':
                c = s[i]
                if c == "\\" and i + 1 < n and s[i + 1] in _DQ_ESCAPABLE:
                    if s[i + 1] != "\n":
                        out.append(s[i + 1])
                    i += 2
                    continue
                if c == "`" or (c == "$" and i + 1 < n and _PARAM_START.match(s, i + 1)):
                    return None
                out.append(c)
                i += 1
            if i >= n:
                return None
            i += 1
        elif ch == "`" or (
            ch == "$" and i + 1 < n and (s[i + 1] == "'" or _PARAM_START.match(s, i + 1))
        ):
            return None
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# --------------------------------------------------------------------------- wrappers


def _skip_options(words: Sequence[Word], i: int, with_arg: frozenset[str]) -> int:
    while i < len(words):
        v = words[i].value
        if v is None or not v.startswith("-") or v == "-":
            break
        i += 1
        if v == "--":
            break
        if v in with_arg:
            i += 1
    return i


_SUDO_ARG = frozenset(
    {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group"}
)
_ENV_ARG = frozenset({"-u", "--unset", "-C", "--chdir"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _effective(words: Sequence[Word]) -> int | None:
    """Index in ``words`` (name + args) of the command actually run."""
    i = 0
    for _ in range(len(words) + 1):
        if i >= len(words):
            return None
        v = words[i].value
        prog = _basename(v) if v else None
        if prog in ("sudo", "doas"):
            i = _skip_options(words, i + 1, _SUDO_ARG)
            while i < len(words) and _ASSIGNMENT.match(words[i].value or ""):
                i += 1
        elif prog == "env":
            j = i + 1
            while j < len(words):
                w = words[j].value
                if w is None:
                    break
                if w in ("-S", "--split-string") or w.startswith("-S"):
                    return i  # env -S: the command is inside a string
                if w.startswith("-") and w != "-":
                    j += 2 if w in _ENV_ARG else 1
                    if w == "--":
                        break
                elif _ASSIGNMENT.match(w) or w == "-":
                    j += 1
                else:
                    break
            i = j
        elif prog == "command":
            nxt = words[i + 1].value if i + 1 < len(words) else None
            if nxt is not None and nxt.startswith("-") and ("v" in nxt or "V" in nxt):
                return i  # command -v NAME: a lookup, NAME is not run
            i = _skip_options(words, i + 1, frozenset())
        elif prog == "exec":
            i = _skip_options(words, i + 1, frozenset({"-a"}))
        elif prog == "nice":
            i = _skip_options(words, i + 1, frozenset({"-n", "--adjustment"}))
        elif prog == "time":
            i = _skip_options(words, i + 1, frozenset({"-f", "-o", "--format", "--output"}))
        elif prog in ("nohup", "eatmydata"):
            i += 1
        elif prog in ("gosu", "su-exec"):
            i += 2
        else:
            return i
    return None


# --------------------------------------------------------------------------- tree walk

_Node = tree_sitter.Node

_SIMPLE = {
    "command": "simple",
    "declaration_command": "declaration",
    "unset_command": "unset",
    "test_command": "test",
    "variable_assignment": "simple",
    "variable_assignments": "simple",
}
_SEPARATORS = frozenset({";", "&", ";;", ";&", ";;&", "\n"})
_CHAIN_OPS = frozenset({"&&", "||", "|", "|&"})
_TOP_SEPARATORS = frozenset({";", "&", "\n"})
_CLAUSES = frozenset({"elif_clause", "else_clause", "do_group", "case_item"})
_VALUE_FIELDS = frozenset({"value", "variable", "name", "initializer", "update", "descriptor"})
_VALUE_TYPES = frozenset(
    {
        "word",
        "string",
        "raw_string",
        "concatenation",
        "number",
        "simple_expansion",
        "expansion",
        "variable_name",
        "extglob_pattern",
        "ansi_c_string",
        "translated_string",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
        "heredoc_body",
        "heredoc_start",
        "heredoc_end",
    }
)
_SCOPED = frozenset({"subshell", "function_definition"})


@dataclass(slots=True)
class _Op:
    value: str


@dataclass(slots=True)
class _Elem:
    node: _Node | None
    in_pipeline: bool
    redirects: list[_Node]


_Item = _Op | _Elem


@dataclass(slots=True)
class _Attach:
    """Flattening step: give ``redirects`` to the last element produced since ``start``."""

    start: int
    redirects: list[_Node]
    trailing: list[_Item]


@dataclass(slots=True)
class _RawCommand:
    seq: int
    kind: str
    start: int
    end: int
    name: Word | None
    args: list[Word]
    assignments: tuple[Assignment, ...]
    redirects: tuple[Redirect, ...]
    context: tuple[str, ...]
    before: str | None
    after: str | None
    in_pipeline: bool
    errexit: bool
    pipefail: bool


@dataclass(slots=True)
class _RawStatement:
    start: int
    end: int
    full_end: int
    operators: list[str]
    terminator: str | None


class _Walker:
    def __init__(
        self,
        source: ShellSource,
        logical: str,
        offsets: array.array[int],
        heredoc_ops: dict[int, tuple[int, Heredoc]],
        errexit: bool,
        pipefail: bool,
    ) -> None:
        self.source = source
        self.logical = logical
        self.offsets = offsets
        self.heredoc_ops = heredoc_ops
        self.errexit = errexit
        self.pipefail = pipefail
        self.depth = 0  # scoped constructs (subshells, ...) entered
        self.changes: list[tuple[int, bool]] = []
        self.raw: list[_RawCommand] = []
        self.statements: list[_RawStatement] = []
        self.heredocs: list[Heredoc] = []
        data = logical.encode("utf-8")
        self.b2c: list[int] | None = None
        if len(data) != len(logical):
            b2c: list[int] = []
            for ci, ch in enumerate(logical):
                b2c.extend([ci] * len(ch.encode("utf-8")))
            b2c.append(len(logical))
            self.b2c = b2c

    # -- positions

    def char(self, byte: int) -> int:
        return byte if self.b2c is None else self.b2c[byte]

    def span(self, node: _Node) -> tuple[int, int]:
        return self.cspan(self.char(node.start_byte), self.char(node.end_byte))

    def cspan(self, s: int, e: int) -> tuple[int, int]:
        start = self.offsets[s]
        end = self.offsets[e - 1] + 1 if e > s else start
        return start, max(start, end)

    def ftext(self, start: int, end: int) -> str:
        off = self.source.offset
        return self.source.text[start - off : end - off]

    def ltext(self, node: _Node) -> str:
        return self.logical[self.char(node.start_byte) : self.char(node.end_byte)]

    def word(self, node: _Node, kind: str | None = None) -> Word:
        start, end = self.span(node)
        value = None if _expands(node) else _literal(self.ltext(node))
        if node.type == "command_name" and node.named_child_count == 1:
            child = node.named_children[0]
            kind = kind or child.type
        return Word(self.ftext(start, end), start, end, value, kind or node.type)

    # -- containers

    def container(self, node: _Node, ctx: tuple[str, ...], *, root: bool = False) -> None:
        items: list[_Item] = []
        prev_end: int | None = None
        for i, child in enumerate(node.children):
            field = node.field_name_for_child(i)
            if not child.is_named:
                if child.type in _SEPARATORS or child.type in _CHAIN_OPS:
                    items.append(_Op(child.type))
                    prev_end = None
                else:  # keyword or bracket: a new list starts
                    self.process(items, ctx, root)
                    items, prev_end = [], None
                continue
            if child.type == "comment":
                continue
            if child.type in _CLAUSES:
                self.process(items, ctx, root)
                items, prev_end = [], None
                self.container(child, ctx)
                continue
            if field in _VALUE_FIELDS or child.type in _VALUE_TYPES:
                self.process(items, ctx, root)
                items, prev_end = [], None
                self.substitutions(child, ctx)
                continue
            if items and isinstance(items[-1], _Elem) and prev_end is not None:
                gap = self.logical[self.char(prev_end) : self.char(child.start_byte)]
                if "\n" in gap:
                    items.append(_Op("\n"))
            if node.type == "function_definition" and field == "body":
                self.process(items, ctx, root)
                items = []
                self.compound(child, ctx, label=None)
            else:
                items.extend(self.flatten(child))
            prev_end = child.end_byte
        self.process(items, ctx, root)

    def flatten(self, node: _Node) -> list[_Item]:
        """The and-or/pipeline chain under ``node`` as elements and operators."""
        out: list[_Item] = []
        self._flatten(node, False, out)
        return out

    def _flatten(self, node: _Node, in_pipeline: bool, out: list[_Item]) -> None:
        # Iterative: tree-sitter nests ``a && b && c`` to the left, one level per operator.
        stack: list[tuple[_Node, bool] | _Op | _Attach] = [(node, in_pipeline)]
        while stack:
            top = stack.pop()
            if isinstance(top, _Op):
                out.append(top)
                continue
            if isinstance(top, _Attach):
                # Bash binds a trailing redirection to the last simple command of a
                # list or pipeline; tree-sitter attaches it to the whole list.
                for item in reversed(out[top.start :]):
                    if isinstance(item, _Elem):
                        item.redirects.extend(top.redirects)
                        break
                out.extend(top.trailing)
                continue
            n, piped = top
            t = n.type
            if t in ("list", "pipeline"):
                p = piped or t == "pipeline"
                pending: list[tuple[_Node, bool] | _Op | _Attach] = []
                for child in n.children:
                    if child.is_named:
                        if child.type != "comment":
                            pending.append((child, p))
                    elif child.type in _CHAIN_OPS or child.type in _SEPARATORS:
                        pending.append(_Op(child.type))
                stack.extend(reversed(pending))
            elif t == "negated_command":
                stack.extend(reversed([(c, piped) for c in n.named_children]))
            elif t == "redirected_statement":
                body = n.child_by_field_name("body")
                redirects: list[_Node] = []
                trailing: list[_Item] = []
                for i, child in enumerate(n.children):
                    if child.is_named and n.field_name_for_child(i) != "body":
                        redirects.append(child)
                        if child.type == "heredoc_redirect":
                            self._heredoc_trailing(child, trailing)
                if trailing and isinstance(trailing[0], _Op) and trailing[0].value in ("|", "|&"):
                    piped = True
                stack.append(_Attach(len(out), redirects, trailing))
                if body is None:
                    out.append(_Elem(None, piped, []))
                else:
                    stack.append((body, piped))
            else:
                out.append(_Elem(n, piped, []))

    def _heredoc_trailing(self, node: _Node, out: list[_Item]) -> None:
        """tree-sitter nests ``&& rest`` / ``| rest`` after ``<<EOF`` inside the redirect."""
        for i, child in enumerate(node.children):
            field = node.field_name_for_child(i)
            if field == "operator" and not child.is_named:
                out.append(_Op(child.type))
            elif field == "right" or child.type in ("pipeline", "list"):
                if (
                    child.type == "pipeline"
                    and child.child_count
                    and not child.children[0].is_named
                ):
                    self._flatten(child, True, out)
                else:
                    self._flatten(child, False, out)

    def process(self, items: list[_Item], ctx: tuple[str, ...], root: bool) -> None:
        if not items:
            return
        stmt: _RawStatement | None = None
        for idx, item in enumerate(items):
            if isinstance(item, _Op):
                if root and stmt is not None:
                    if item.value in _TOP_SEPARATORS:
                        stmt.terminator = item.value
                        stmt = None
                    else:
                        stmt.operators.append(item.value)
                continue
            prev = items[idx - 1] if idx > 0 else None
            nxt = items[idx + 1] if idx + 1 < len(items) else None
            before = prev.value if isinstance(prev, _Op) else None
            after = nxt.value if isinstance(nxt, _Op) else None
            start, end, full_end = self.element(item, ctx, before, after)
            if root:
                if stmt is None:
                    stmt = _RawStatement(start, end, full_end, [], None)
                    self.statements.append(stmt)
                else:
                    stmt.end = max(stmt.end, end)
                    stmt.full_end = max(stmt.full_end, full_end)

    def element(
        self, elem: _Elem, ctx: tuple[str, ...], before: str | None, after: str | None
    ) -> tuple[int, int, int]:
        """Handle one list element; return (start, end without heredoc bodies, full end)."""
        node = elem.node
        scoped = elem.in_pipeline
        if scoped:
            saved = (self.errexit, self.pipefail)
            self.depth += 1
        try:
            if node is None or node.type in _SIMPLE:
                cmd = self.command(elem, ctx, before, after)
                full = cmd.end
                for r in elem.redirects:
                    full = max(full, self.span(r)[1])
                return cmd.start, cmd.end, full
            start, full_end = self.span(node)
            end = full_end
            self.compound(node, ctx, label=_label(node))
            for r in elem.redirects:
                rs, re_ = self.redirect_span(r)
                start, end = min(start, rs), max(end, re_)
                full_end = max(full_end, self.span(r)[1])
                self.substitutions(r, ctx)
            return start, end, full_end
        finally:
            if scoped:
                self.errexit, self.pipefail = saved
                self.depth -= 1

    def compound(self, node: _Node, ctx: tuple[str, ...], *, label: str | None) -> None:
        inner = (*ctx, label) if label else ctx
        scoped = node.type in _SCOPED
        if scoped:
            saved = (self.errexit, self.pipefail)
            self.depth += 1
        try:
            self.container(node, inner)
        finally:
            if scoped:
                self.errexit, self.pipefail = saved
                self.depth -= 1

    def substitutions(self, node: _Node, ctx: tuple[str, ...]) -> None:
        """Walk command and process substitutions inside a word-like node."""
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in ("command_substitution", "process_substitution"):
                saved = (self.errexit, self.pipefail)
                self.depth += 1
                try:
                    self.container(n, (*ctx, n.type))
                finally:
                    self.errexit, self.pipefail = saved
                    self.depth -= 1
                continue
            stack.extend(reversed(n.named_children))

    # -- commands

    def command(
        self, elem: _Elem, ctx: tuple[str, ...], before: str | None, after: str | None
    ) -> _RawCommand:
        node = elem.node
        kind = "simple" if node is None else _SIMPLE[node.type]
        name: Word | None = None
        args: list[Word] = []
        assignments: list[Assignment] = []
        redirects: list[Redirect] = []
        word_nodes: list[_Node] = []
        starts: list[int] = []
        ends: list[int] = []
        if node is not None:
            s, e = self.span(node)
            starts.append(s)
            ends.append(e)
            t = node.type
            if t == "variable_assignment":
                assignments.append(self.assignment(node))
            elif t == "variable_assignments":
                assignments.extend(
                    self.assignment(c)
                    for c in node.named_children
                    if c.type == "variable_assignment"
                )
            elif t == "command":
                for i, child in enumerate(node.children):
                    field = node.field_name_for_child(i)
                    if child.type == "variable_assignment":
                        assignments.append(self.assignment(child))
                    elif field == "name":
                        name = self.word(child)
                        word_nodes.append(child)
                    elif field == "argument":
                        args.append(self.word(child))
                        word_nodes.append(child)
                    elif child.type.endswith("_redirect"):
                        redirects.extend(self.redirects(child, args))
                        word_nodes.append(child)
                    elif child.is_named:
                        word_nodes.append(child)
            else:  # declaration, unset, test
                first = node.children[0] if node.child_count else None
                if first is not None and not first.is_named:
                    fs, fe = self.span(first)
                    name = Word(self.ftext(fs, fe), fs, fe, self.ltext(first), "keyword")
                for child in node.named_children:
                    if child.type.endswith("_redirect"):
                        redirects.extend(self.redirects(child, args))
                    elif kind != "test" and child.type != "comment":
                        args.append(self.word(child))
                    word_nodes.append(child)
        for rnode in elem.redirects:
            redirects.extend(self.redirects(rnode, args))
        for red in redirects:
            starts.append(red.start)
            ends.append(red.end)
        for a in assignments:
            starts.append(a.start)
            ends.append(a.end)
        for w in args:
            starts.append(w.start)
            ends.append(w.end)
        args.sort(key=lambda w: w.start)
        start = min(starts) if starts else self.source.offset
        end = max(ends) if ends else start
        raw = _RawCommand(
            len(self.raw),
            kind,
            start,
            end,
            name,
            args,
            tuple(assignments),
            tuple(redirects),
            ctx,
            before,
            after,
            elem.in_pipeline,
            self.errexit,
            self.pipefail,
        )
        self.raw.append(raw)
        if name is not None and name.value == "set":
            self.apply_set(args, end)
        for wn in word_nodes:
            self.substitutions(wn, ctx)
        # the values of assignments (a declaration's are among its words): a bare
        # `V=$(curl ... | awk ...)` runs that pipe too
        if node is not None and node.type == "variable_assignment":
            self.substitutions(node, ctx)
        elif node is not None and node.type in ("variable_assignments", "command"):
            for child in node.named_children:
                if child.type == "variable_assignment":
                    self.substitutions(child, ctx)
        for r in elem.redirects:
            self.substitutions(r, ctx)
        return raw

    def apply_set(self, args: Sequence[Word], end: int) -> None:
        errexit, pipefail = _set_options([w.value for w in args], self.errexit, self.pipefail)
        if self.depth == 0 and errexit != self.errexit:
            self.changes.append((end, errexit))
        self.errexit, self.pipefail = errexit, pipefail

    def assignment(self, node: _Node) -> Assignment:
        start, end = self.span(node)
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        append = any(not c.is_named and c.type == "+=" for c in node.children)
        return Assignment(
            self.ftext(start, end),
            start,
            end,
            self.ltext(name_node) if name_node is not None else "",
            self.word(value_node) if value_node is not None else None,
            append,
        )

    def redirect_span(self, node: _Node) -> tuple[int, int]:
        """(start, end) of a redirect's own text: operator and first target only
        (no here-document body, no stray words tree-sitter files under it)."""
        start, end = self.span(node)
        last = start
        for i, child in enumerate(node.children):
            field = node.field_name_for_child(i)
            if child.type in ("heredoc_body", "heredoc_end", "pipeline", "list"):
                break
            if field in ("operator", "right", "redirect"):
                break
            last = max(last, self.span(child)[1])
            if field == "destination" or child.type == "heredoc_start":
                break
            if child.is_named and child.type in _VALUE_TYPES and field != "descriptor":
                break
        return start, max(start, min(end, last))

    def redirects(self, node: _Node, args: list[Word]) -> list[Redirect]:
        """The redirect ``node`` and those tree-sitter nests under a ``<<EOF``."""
        out = [self.redirect(node, args)]
        if node.type == "heredoc_redirect":
            for i, child in enumerate(node.children):
                if node.field_name_for_child(i) == "redirect" and child.type.endswith("_redirect"):
                    out.append(self.redirect(child, args))
        return out

    def redirect(self, node: _Node, args: list[Word]) -> Redirect:
        start, end = self.redirect_span(node)
        descriptor: str | None = None
        target: Word | None = None
        operator = ""
        op_char: int | None = None
        heredoc: Heredoc | None = None
        for i, child in enumerate(node.children):
            field = node.field_name_for_child(i)
            if field == "descriptor":
                descriptor = self.ltext(child)
            elif not child.is_named:
                if op_char is None:
                    op_char = self.char(child.start_byte)
                    operator = self.ltext(child)
            elif field == "destination" or (
                field is None and child.type in _VALUE_TYPES and not child.type.startswith("here")
            ):
                if target is None:
                    target = self.word(child)
                else:  # ``cmd 2>&1 arg``: tree-sitter files ``arg`` under the redirect
                    args.append(self.word(child))
        if op_char is not None and op_char in self.heredoc_ops:
            op_len, heredoc = self.heredoc_ops[op_char]
            os_, oe = self.cspan(op_char, op_char + op_len)
            operator = self.ftext(os_, oe)
        elif node.type == "heredoc_redirect":
            heredoc, target = self.ts_heredoc(node, operator)
        return Redirect(self.ftext(start, end), start, end, operator, descriptor, target, heredoc)

    def ts_heredoc(self, node: _Node, operator: str) -> tuple[Heredoc, Word | None]:
        """A here-document parsed by tree-sitter (inside a ``RUN <<EOF`` script)."""
        start_node = body_node = end_node = None
        for child in node.children:
            if child.type == "heredoc_start":
                start_node = child
            elif child.type == "heredoc_body":
                body_node = child
            elif child.type == "heredoc_end":
                end_node = child
        delim = self.word(start_node, "heredoc_start") if start_node is not None else None
        raw_delim = self.ltext(start_node) if start_node is not None else ""
        quoted = any(c in raw_delim for c in "'\"\\")
        if body_node is not None:
            bs, be = self.span(body_node)
        else:
            bs = be = self.span(end_node)[0] if end_node is not None else self.span(node)[1]
        body_text = self.ftext(bs, be)
        terminator = None
        if end_node is not None and not end_node.is_missing:
            terminator = self.word(end_node, "heredoc_end")
        heredoc = Heredoc(
            delimiter=(delim.value or raw_delim) if delim is not None else "",
            chomp=operator == "<<-",
            quoted=quoted,
            body=Word(body_text, bs, be, _body_value(body_text, quoted), "heredoc_body"),
            terminator=terminator,
        )
        self.heredocs.append(heredoc)
        return heredoc, delim


def _label(node: _Node) -> str | None:
    t = node.type
    if t == "if_statement":
        return "if"
    if t in ("while_statement", "for_statement"):
        first = node.children[0] if node.child_count else None
        return first.type if first is not None and not first.is_named else t[:-10]
    if t == "c_style_for_statement":
        return "for"
    if t == "case_statement":
        return "case"
    if t == "function_definition":
        return "function"
    if t == "subshell":
        return "subshell"
    if t == "compound_statement":
        first = node.children[0] if node.child_count else None
        return "arithmetic" if first is not None and first.type == "((" else "group"
    return None


def _expands(node: _Node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in _EXPANDING:
            return True
        stack.extend(n.named_children)
    return False


def _body_value(body: str, quoted: bool) -> str | None:
    if quoted or not any(c in body for c in "$`\\"):
        return body
    return None


def _first_error(node: _Node) -> _Node | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


# --------------------------------------------------------------------------- parse


def _empty(
    source: ShellSource, error: str | None, *, supported: bool, errexit: bool, pipefail: bool
) -> ShellScript:
    return ShellScript(
        source=source,
        commands=(),
        statements=(),
        has_errors=error is not None,
        supported=supported,
        error=error,
        errexit=errexit,
        pipefail=pipefail,
        end=source.offset,
        heredocs=(),
        script_heredoc=None,
        errexit_changes=(),
        initial_errexit=errexit,
    )


def _parse(source: ShellSource, errexit: bool, pipefail: bool, cache: ShellCache) -> ShellScript:
    try:
        return _parse_unsafe(source, errexit, pipefail, cache)
    except Exception as exc:  # the contract: never raise on any input
        return _empty(
            source,
            f"internal error: {type(exc).__name__}",
            supported=False,
            errexit=errexit,
            pipefail=pipefail,
        )


def _parse_unsafe(
    source: ShellSource, errexit: bool, pipefail: bool, cache: ShellCache
) -> ShellScript:
    if source.escape != "\\":
        return _empty(
            source,
            "escape character is not a backslash",
            supported=False,
            errexit=errexit,
            pipefail=pipefail,
        )
    text, base = source.text, source.offset
    segments, rest = _logical_line(text, "\\")
    line_builder = _Logical()
    for s, e in segments:
        line_builder.add(text, s, e, base)
    line = "".join(line_builder.chars)
    line_offsets = line_builder.offsets

    errors: list[str] = []
    found = _find_heredocs(line)
    heredocs: list[Heredoc] = []
    bodies: list[tuple[int, int]] = []  # text-relative spans of the bodies
    i = rest
    for hd in found:
        body_start = i
        terminator: Word | None = None
        body_end = len(text)
        while i < len(text):
            ce, nxt = _line(text, i)
            tstart = i
            if hd.chomp:
                while tstart < ce and text[tstart] == "\t":
                    tstart += 1
            if text[tstart:ce] == hd.name:
                body_end = i
                terminator = Word(text[tstart:ce], base + tstart, base + ce, hd.name, "heredoc_end")
                i = nxt
                break
            i = nxt
        if terminator is None:
            errors.append(f"unterminated here-document {hd.name!r}")
            i = len(text)
        body_text = text[body_start:body_end]
        heredocs.append(
            Heredoc(
                delimiter=hd.name,
                chomp=hd.chomp,
                quoted=hd.quoted,
                body=Word(
                    body_text,
                    base + body_start,
                    base + body_end,
                    _body_value(body_text, hd.quoted),
                    "heredoc_body",
                ),
                terminator=terminator,
            )
        )
        bodies.append((body_start, body_end))
    if text[i:].strip():
        errors.append("text after the end of the command")

    script_heredoc: Heredoc | None = None
    simple = _HEREDOC_WORD.fullmatch(line.strip())
    if (
        found
        and simple is not None
        and simple.group(3)
        and (names := _unquote_name(simple.group(3))) is not None
        and len(names) == 1
    ):
        # RUN <<EOF: BuildKit runs the first here-document's body as the script.
        script_heredoc = heredocs[0]
        body_start, body_end = bodies[0]
        logical = _Logical()
        k = body_start
        while k < body_end:
            j = text.find("\n", k, body_end)
            nxt = body_end if j < 0 else j + 1
            s = k
            if script_heredoc.chomp:
                while s < nxt and text[s] == "\t":
                    s += 1
            logical.add(text, s, nxt, base)
            k = nxt
        script = "".join(logical.chars)
        offsets = logical.offsets
        end_pos = base + body_end
        heredoc_ops: dict[int, tuple[int, Heredoc]] = {}
        if script_heredoc.body.text.startswith("#!"):
            first = script.split("\n", 1)[0].rstrip("\r")
            prog, flag_e, flag_pipefail = _shebang(first)
            if prog not in _SHELLS:
                return dataclasses.replace(
                    _empty(
                        source,
                        f"heredoc script run by {prog or 'an unknown interpreter'}",
                        supported=False,
                        errexit=errexit,
                        pipefail=pipefail,
                    ),
                    heredocs=tuple(heredocs),
                    script_heredoc=script_heredoc,
                )
            errexit, pipefail = errexit or flag_e, pipefail or flag_pipefail
    else:
        heredoc_ops = {}
        script = line
        if found:
            chars = list(line)
            for hd, heredoc in zip(found, heredocs, strict=True):
                # for tree-sitter only: "<<EOF" -> "< EOF", "<<-EOF" -> "<  EOF"
                for k in range(hd.op_start + 1, hd.op_start + hd.op_len):
                    chars[k] = " "
                heredoc_ops[hd.op_start] = (hd.op_len, heredoc)
            script = "".join(chars)
        offsets = line_offsets
        end_pos = (line_offsets[-1] + 1) if line_offsets else base

    offsets.append(end_pos)  # the builder is not used after this
    tree = cache.parser.parse(script.encode("utf-8"))
    root = tree.root_node
    walker = _Walker(source, script, offsets, heredoc_ops, errexit, pipefail)
    walker.container(root, (), root=True)
    walker.heredocs[:0] = heredocs

    if root.has_error:
        bad = _first_error(root)
        if bad is None:
            errors.append("syntax error")
        else:
            s, e = walker.span(bad)
            what = "missing " + repr(bad.type) if bad.is_missing else "syntax error"
            errors.append(f"{what} at offset {s}: {walker.ftext(s, e)[:40]!r}")

    raws = sorted(walker.raw, key=lambda r: (r.start, r.seq))
    commands: list[Command] = []
    for idx, r in enumerate(raws):
        words = [r.name, *r.args] if r.name is not None else list(r.args)
        eff = _effective(words) if r.kind == "simple" else (0 if words else None)
        commands.append(
            Command(
                index=idx,
                kind=r.kind,
                text=walker.ftext(r.start, r.end),
                start=r.start,
                end=r.end,
                name=r.name,
                args=tuple(r.args),
                assignments=r.assignments,
                redirects=r.redirects,
                context=r.context,
                operator_before=r.before,
                operator_after=r.after,
                in_pipeline=r.in_pipeline,
                errexit=r.errexit,
                pipefail=r.pipefail,
                effective_name=words[eff] if eff is not None else None,
                effective_args=tuple(words[eff + 1 :]) if eff is not None else (),
            )
        )
    starts = [c.start for c in commands]
    statements = tuple(
        Statement(
            index=n,
            text=walker.ftext(st.start, st.end),
            start=st.start,
            end=st.end,
            commands=tuple(
                commands[
                    bisect.bisect_left(starts, st.start) : bisect.bisect_left(
                        starts, min(max(st.full_end, st.end + 1), limit)
                    )
                ]
            ),
            operators=tuple(st.operators),
            terminator=st.terminator,
        )
        for n, (st, limit) in enumerate(
            zip(
                walker.statements,
                [*(x.start for x in walker.statements[1:]), source.end + 1][
                    : len(walker.statements)
                ],
                strict=True,
            )
        )
    )
    return ShellScript(
        source=source,
        commands=tuple(commands),
        statements=statements,
        has_errors=bool(errors),
        supported=True,
        error="; ".join(errors) if errors else None,
        errexit=walker.errexit,
        pipefail=walker.pipefail,
        end=statements[-1].end if statements else base,
        heredocs=tuple(walker.heredocs),
        script_heredoc=script_heredoc,
        errexit_changes=tuple(walker.changes),
        initial_errexit=errexit,
    )


def iter_words(script: ShellScript) -> Iterator[Word]:
    """Every word of every command (names, arguments, assignment values, redirect
    targets, here-document bodies and terminators)."""
    for c in script.commands:
        yield from c.words
        for a in c.assignments:
            if a.value is not None:
                yield a.value
        for r in c.redirects:
            if r.target is not None:
                yield r.target
            if r.heredoc is not None:
                yield r.heredoc.body
                if r.heredoc.terminator is not None:
                    yield r.heredoc.terminator
