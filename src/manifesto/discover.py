"""Finding Dockerfiles: walking directories the way ruff walks Python files.

What counts as a Dockerfile by name (see :func:`is_dockerfile_name`):

* ``Dockerfile``, ``Containerfile`` and their lower-case spellings;
* ``Dockerfile.*``, ``Dockerfile-*``, ``Dockerfile_*`` and the same for
  ``Containerfile`` (real repositories use ``Dockerfile-base``,
  ``Dockerfile_tidyverse_4.0.0``, ``Dockerfile.ubi.openjdk8``);
* ``*.Dockerfile``, ``*.dockerfile``, ``*.Containerfile``, ``*.containerfile``;

but never templates, backups, editor droppings or documentation
(``Dockerfile.j2``, ``Dockerfile.in``, ``Dockerfile~``, ``Dockerfile.md``,
``Dockerfile.dockerignore``...): rewriting those would corrupt the thing that
*generates* a Dockerfile, or a file that is not one at all.

A path given explicitly that is a file is always yielded, whatever its name,
unless ``force_exclude`` is set and an exclude pattern matches it or one of
its directories below the project root. Directories given explicitly are
walked even when excluded or git-ignored (as ruff does); what is *inside*
them is filtered.

Patterns (``exclude``, ``extend_exclude``, ``.gitignore`` lines) share one
gitignore-style engine: ``*`` and ``?`` stop at ``/``; ``**`` spans
directories; ``[...]`` classes (``!``/``^`` negation, ranges, POSIX classes);
``\\`` escapes; a trailing ``/`` matches directories only; a pattern holding a
``/`` (other than a trailing one) is anchored to its base directory (the
project root for exclude patterns, the ``.gitignore``'s directory otherwise),
while one without a slash matches a name at any depth; ``!`` re-includes, and
the last matching pattern wins. Files under an excluded directory are never
re-included, because the walk never enters it.

``.gitignore`` files are read without git: in every walked directory, in the
ancestors of a walked directory up to the enclosing repository (the nearest
directory holding ``.git``) or, outside any repository, up to the project
root; plus ``.git/info/exclude`` of the repository. Deeper files take
precedence over shallower ones, and ``info/exclude`` has the lowest
precedence. A nested repository (a directory holding ``.git``) starts afresh,
as git does. The global ``core.excludesFile`` is not read.

Symbolic links: a symlinked file is yielded under its link path unless its
target is also reached directly; a symlinked directory is followed unless its
target was already walked, which also stops loops. Both are deferred until
everything reachable without links has been walked, so a file is always
reported under its real route when it has one. Every file is yielded at most
once (keyed by its real path), so a fixer never writes the same file twice.

Hostile trees: ignore files (``.gitignore``, ``info/exclude``, a ``.git``
file, ``commondir``) are read only when they are regular files, and only up to
a size limit (1 MiB by default), so a FIFO or a link to ``/dev/zero`` is
reported instead of hanging the walk or filling memory; globs are translated
to expressions that cannot backtrack catastrophically, and a pattern longer
than :data:`MAX_PATTERN_LENGTH` is reported and not used, as are the lines
after the first :data:`MAX_WILDCARDS_PER_FILE` wildcards of a file (compiling
them is what costs; plain names are looked up, not compiled). Our own temporary
files (``.manifesto-tmp-*``, see :mod:`manifesto.fileio`) are never yielded,
even when named explicitly.

Errors (unreadable directory, missing explicit path, unreadable or refused
ignore file) never stop the walk; they are passed to ``on_error`` as
:class:`DiscoveryError` values whose ``str()`` is ``path: message``.
"""

from __future__ import annotations

import enum
import errno
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from manifesto.fileio import (
    DEFAULT_MAX_IGNORE_FILE_SIZE,
    RefusedFile,
    is_temporary_name,
    read_regular_file,
)

__all__ = [
    "DEFAULT_EXCLUDE",
    "MAX_PATTERN_LENGTH",
    "MAX_WILDCARDS_PER_FILE",
    "Discovery",
    "DiscoveryError",
    "Pattern",
    "PatternSet",
    "compile_pattern",
    "discover",
    "is_dockerfile_name",
    "iter_dockerfiles",
]

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pycache__",
    "node_modules",
    "venv",
)
"""Directories skipped unless ``exclude`` is overridden (``extend_exclude`` adds)."""

# ---------------------------------------------------------------------------
# Names


_NOT_DOCKERFILE_EXTENSIONS = frozenset(
    {
        # templates: the Dockerfile is generated from them
        ".j2",
        ".jinja",
        ".jinja2",
        ".tmpl",
        ".tpl",
        ".template",
        ".gotmpl",
        ".mustache",
        ".hbs",
        ".erb",
        ".njk",
        ".liquid",
        ".in",
        # configuration languages that generate Dockerfiles (Nickel, CUE, Jsonnet, Dhall)
        ".ncl",
        ".cue",
        ".jsonnet",
        ".libsonnet",
        ".dhall",
        # backups and merge leftovers
        ".bak",
        ".orig",
        ".rej",
        ".old",
        ".swp",
        ".swo",
        # not Dockerfiles at all
        ".md",
        ".rst",
        ".txt",
        ".dockerignore",
        ".patch",
        ".diff",
    }
)


def _dockerfile_path_pattern() -> str:
    extensions = "|".join(sorted(re.escape(e[1:]) for e in _NOT_DOCKERFILE_EXTENSIONS))
    name = (
        r"[Dd]ockerfile|[Cc]ontainerfile"  # exact
        r"|(?:Dockerfile|Containerfile)[._-][^/]+"  # Dockerfile.alpine, Dockerfile-base
        r"|[^/]+\.(?:[Dd]ockerfile|[Cc]ontainerfile)"  # alpine.Dockerfile
        # api-Dockerfile, web_Dockerfile.prod: a prefix joined by "-" or "_"
        r"|[^/]+[_-](?:Dockerfile|Containerfile)(?:[._-][^/]+)?"
    )
    # editor leftovers (#x#, .#x, x~), templates, backups and documents are not
    # Dockerfiles, whatever their name says
    # \Z, not $: a name may end with a newline, which $ would let through
    not_leftover = rf"(?!#|\.#)(?![^/]*(?:~|\.(?i:{extensions}))\Z)"
    return rf"(?:^|/){not_leftover}(?:{name})\Z"


DOCKERFILE_PATH_PATTERN = _dockerfile_path_pattern()
"""The one definition of "is a Dockerfile", as a Python regex searched in a
``/``-separated path: directory discovery uses it on names, and the pre-commit
hooks' ``files`` is this very text (a test keeps them equal), so a file the hook
passes is one a directory walk would have found."""

_DOCKERFILE_PATH = re.compile(DOCKERFILE_PATH_PATTERN, re.DOTALL)


def is_dockerfile_name(name: str) -> bool:
    """Whether a file called ``name`` is picked up when walking a directory."""
    return "/" not in name and _DOCKERFILE_PATH.search(name) is not None


# ---------------------------------------------------------------------------
# Gitignore-style patterns


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}

_NEVER = re.compile(r"(?!)")

_WILDCARDS = re.compile(r"[*?\[\\]")

MAX_WILDCARDS_PER_FILE = 5_000
"""Wildcards (``*``, ``?``, ``[``) one ignore file may use; the patterns after are not.
Each costs the regex compiler some microseconds (a 1 MiB file of stars: a minute);
a real .gitignore has a few dozen."""

MAX_PATTERN_LENGTH = 1024
"""Longer patterns are not used: matching costs up to (path x pattern) length, and no
real path needs one this long (a longer one would be a hostile ``.gitignore``)."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled gitignore-style pattern."""

    source: str
    """The pattern as written (after stripping trailing spaces)."""
    regex: re.Pattern[str]
    """The glob translated; for a :attr:`literal` pattern, one that matches nothing
    (compiling tens of thousands of them would cost seconds; text is compared)."""
    negated: bool
    """A ``!`` pattern: a match re-includes instead of excluding."""
    dir_only: bool
    """A trailing ``/``: only directories match."""
    anchored: bool
    """Matched against the path relative to the base; otherwise against the name."""
    literal: str | None = None
    """The text to equal, for a pattern without wildcards or escapes (most lines of
    a large .gitignore): looked up in a dict instead of run as a regex."""

    def matches(self, relative: str, is_dir: bool) -> bool:
        """Whether the pattern matches ``relative`` (``/``-separated, relative to the base)."""
        if self.dir_only and not is_dir:
            return False
        target = relative if self.anchored else relative.rpartition("/")[2]
        if self.literal is not None:
            return target == self.literal
        return self.regex.fullmatch(target) is not None


@functools.lru_cache(maxsize=4096)
def compile_pattern(line: str) -> Pattern | None:
    """Compile one gitignore line; None for blank lines, comments and overlong patterns.

    Pure, hence memoised: the same exclude patterns are compiled once per run.
    """
    text = _strip_trailing_spaces(line.rstrip("\r\n"))
    if not text or text.startswith("#") or len(text) > MAX_PATTERN_LENGTH:
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    dir_only = text.endswith("/") and not text.endswith("\\/")
    text = text.rstrip("/") if dir_only else text
    if not text:
        return None
    anchored = "/" in text
    glob = text.removeprefix("/")
    literal = None if _WILDCARDS.search(glob) else glob
    return Pattern(
        source=line,
        regex=_compile_glob(glob) if literal is None else _NEVER,
        negated=negated,
        dir_only=dir_only,
        anchored=anchored,
        literal=literal,
    )


def _strip_trailing_spaces(text: str) -> str:
    end = len(text)
    while end > 0 and text[end - 1] == " ":
        if end >= 2 and text[end - 2] == "\\":
            break
        end -= 1
    return text[:end]


def _compile_glob(glob: str) -> re.Pattern[str]:
    try:
        return re.compile(_translate(glob), re.DOTALL)
    except re.error:
        # git treats a malformed pattern (e.g. the range [z-a]) as matching nothing
        return _NEVER


# A glob becomes a regular expression that cannot backtrack catastrophically.
#
# A naive translation (``a*a*a*b`` -> ``a[^/]*a[^/]*a[^/]*b``) makes Python's
# backtracking engine try every way of splitting a long name between the stars:
# exponential in the number of stars, which a hostile .gitignore chooses. But
# the glob between two stars is a *fixed-width* segment, and placing each middle
# segment at its earliest occurrence is always right (it leaves the most room
# for the rest), so each is matched in an atomic group that never gives its
# choice back: ``a(?>[^/]*?a)(?>[^/]*?a)[^/]*b``. Only the last segment of a
# path component, anchored at the component's end, is found by ordinary
# backtracking, within that one component. The same holds one level up:
# between two ``**/`` gaps lies a fixed run of whole components, placed at its
# earliest directory in an atomic group. Matching a path then costs at most
# about (path length x pattern length), not an exponential.
# (Stars exclude NUL because the walk matches keys joining path and name with NULs.)

_STAR = "[^/\\x00]*"
_LAZY_STAR = "[^/\\x00]*?"
_ANY_CHAR = "[^/\\x00]"
_DIRECTORIES = "(?:[^/\\x00]*/)*"
_LAZY_DIRECTORIES = "(?:[^/\\x00]*/)*?"
_ANYTHING = "[^\\x00]*"


class _Token(enum.Enum):
    STAR = "*"
    SLASH = "/"
    GAP = "**/"
    """A whole-segment ``**`` followed by ``/``: zero or more directories."""
    TAIL = "/**"
    """A whole-segment ``**`` at the end: anything below."""


_Item = str | _Token
"""The regex of one fixed-width character (literal, ``?``, a class) or a token."""


def _translate(glob: str) -> str:
    pieces: list[list[_Item]] = [[]]
    gaps: list[_Token] = []
    for item in _tokenize(glob):
        if item is _Token.GAP or item is _Token.TAIL:
            gaps.append(item)
            pieces.append([])
        else:
            pieces[-1].append(item)
    parts = [_piece(pieces[0])]
    for index, gap in enumerate(gaps):
        piece = _piece(pieces[index + 1])
        if gap is _Token.TAIL:
            parts.append(_ANYTHING)
        elif index == len(gaps) - 1:
            parts.append(_DIRECTORIES + piece)
        else:
            # whole components between two gaps: their earliest place is right
            parts.append(f"(?>{_LAZY_DIRECTORIES}{piece})")
    return "".join(parts)


def _tokenize(glob: str) -> list[_Item]:
    items: list[_Item] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if char == "*":
            token, index = _stars(glob, index)
            if not (token is _Token.STAR and items and items[-1] is _Token.STAR):
                items.append(token)
        elif char == "?":
            items.append(_ANY_CHAR)
            index += 1
        elif char == "[":
            text, index = _translate_class(glob, index)
            items.append(text)
        elif char == "\\":
            # an escaped character is literal; a trailing backslash is dropped
            escaped = glob[index + 1 : index + 2]
            if escaped:
                items.append(_Token.SLASH if escaped == "/" else re.escape(escaped))
            index += 2
        elif char == "/":
            items.append(_Token.SLASH)
            index += 1
        else:
            items.append(re.escape(char))
            index += 1
    return items


def _stars(glob: str, start: int) -> tuple[_Token, int]:
    end = start
    while end < len(glob) and glob[end] == "*":
        end += 1
    whole_segment = (start == 0 or glob[start - 1] == "/") and (
        end == len(glob) or glob[end] == "/"
    )
    if end - start < 2 or not whole_segment:
        return _Token.STAR, end
    if end == len(glob):
        return _Token.TAIL, end
    return _Token.GAP, end + 1


def _piece(items: list[_Item]) -> str:
    """Whole components joined by ``/``, each with its stars made safe."""
    components: list[list[_Item]] = [[]]
    for item in items:
        if item is _Token.SLASH:
            components.append([])
        else:
            components[-1].append(item)
    return "/".join(_component(component) for component in components)


def _component(items: list[_Item]) -> str:
    atoms: list[list[str]] = [[]]
    for item in items:
        if isinstance(item, _Token):  # only STAR remains inside a component
            atoms.append([])
        else:
            atoms[-1].append(item)
    segments = [_runs(segment) for segment in atoms]
    if len(segments) == 1:
        return segments[0]
    first, *middle, last = segments
    searched = "".join(f"(?>{_LAZY_STAR}{segment})" for segment in middle if segment)
    return f"{first}{searched}{_STAR}{last}"


def _runs(atoms: list[str]) -> str:
    """Atoms with runs of one atom counted (``???????`` -> ``[^/]{7}``): the same
    language, and one node instead of hundreds for ``re`` to compile."""
    parts: list[str] = []
    index = 0
    while index < len(atoms):
        end = index
        while end < len(atoms) and atoms[end] == atoms[index]:
            end += 1
        count = end - index
        parts.append(f"(?:{atoms[index]}){{{count}}}" if count > 3 else atoms[index] * count)
        index = end
    return "".join(parts)


def _translate_class(glob: str, start: int) -> tuple[str, int]:
    index = start + 1
    negate = index < len(glob) and glob[index] in "!^"
    index += int(negate)
    items: list[str] = []
    first = True
    while index < len(glob):
        char = glob[index]
        if char == "]" and not first:
            body = "".join(items)
            return (f"[^/\\x00{body}]" if negate else f"(?![/\\x00])[{body}]"), index + 1
        first = False
        posix = _posix_class(glob, index)
        if posix is not None:
            items.append(posix[0])
            index = posix[1]
            continue
        low, index = _class_char(glob, index)
        if index + 1 < len(glob) and glob[index] == "-" and glob[index + 1] != "]":
            high, index = _class_char(glob, index + 1)
            items.append(f"{re.escape(low)}-{re.escape(high)}")
        else:
            items.append(re.escape(low))
    # no closing bracket: the "[" is literal
    return re.escape("["), start + 1


def _posix_class(glob: str, index: int) -> tuple[str, int] | None:
    if not glob.startswith("[:", index):
        return None
    end = glob.find(":]", index + 2)
    if end < 0:
        return None
    body = _POSIX_CLASSES.get(glob[index + 2 : end])
    return None if body is None else (body, end + 2)


def _class_char(glob: str, index: int) -> tuple[str, int]:
    if glob[index] == "\\" and index + 1 < len(glob):
        return glob[index + 1], index + 2
    return glob[index], index + 1


@dataclass(frozen=True, slots=True)
class PatternSet:
    """Patterns read from one place (a ``.gitignore``, the exclude setting), with their base."""

    base: Path
    """Absolute directory the anchored patterns are relative to."""
    patterns: tuple[Pattern, ...]
    floating: bool = False
    """Whether unanchored patterns also apply to paths outside ``base`` (exclude patterns)."""
    _prefix: str = field(init=False, repr=False, compare=False)
    _last_match: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _globs: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """Indices in ``patterns`` of the alternatives of ``_last_match``, in pattern order."""
    _literals: dict[tuple[str, bool, bool], int] = field(init=False, repr=False, compare=False)
    """(text, anchored, dir_only) of each literal pattern -> its last index."""

    def __post_init__(self) -> None:
        base = str(self.base)
        object.__setattr__(self, "_prefix", base if base.endswith(os.sep) else base + os.sep)
        literals: dict[tuple[str, bool, bool], int] = {}
        globs: list[int] = []
        for index, pattern in enumerate(self.patterns):
            if pattern.literal is None:
                globs.append(index)
            else:
                literals[(pattern.literal, pattern.anchored, pattern.dir_only)] = index
        last_match = _last_match_regex([self.patterns[i] for i in globs], self.floating)
        object.__setattr__(self, "_last_match", last_match)
        object.__setattr__(self, "_globs", tuple(globs))
        object.__setattr__(self, "_literals", literals)

    @classmethod
    def from_lines(cls, base: Path, lines: Iterable[str], *, floating: bool = False) -> PatternSet:
        """Compile ``lines`` (skipping blanks and comments) relative to ``base``."""
        compiled = (compile_pattern(line) for line in lines)
        return cls(
            base=_absolute(base),
            patterns=tuple(pattern for pattern in compiled if pattern is not None),
            floating=floating,
        )

    def decide(self, path: Path, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included by ``!``, None if no pattern matches.

        ``path`` must be absolute and normalised (see :func:`os.path.abspath`).
        """
        return self.decide_text(str(path), is_dir)

    def excludes(self, path: Path, is_dir: bool) -> bool:
        """Whether ``path`` or a directory between ``base`` and it is ignored.

        For a path outside ``base`` only the path itself is considered.
        """
        text = str(path)
        relative = self._relative(text)
        if relative:
            parts = relative.split("/")
            for depth in range(1, len(parts)):
                if self.decide_text(self._prefix + os.sep.join(parts[:depth]), is_dir=True):
                    return True
        return bool(self.decide_text(text, is_dir))

    def decide_text(self, path: str, is_dir: bool) -> bool | None:
        """:meth:`decide` for a path already a string: the walk's hot path."""
        relative = self._relative(path)
        if relative == "" or (relative is None and not self.floating):
            return None
        name = path.rpartition(os.sep)[2]
        where = "o" if relative is None else "i"
        key = f"{relative or ''}\0{name}\0{'d' if is_dir else 'f'}{where}"
        match = self._last_match.fullmatch(key)
        last = -1 if match is None or match.lastindex is None else self._globs[-match.lastindex]
        if self._literals:
            last = max(last, self._last_literal(relative, name, is_dir))
        return None if last < 0 else not self.patterns[last].negated

    def _last_literal(self, relative: str | None, name: str, is_dir: bool) -> int:
        """Index of the last literal pattern matching, or -1."""
        last = -1
        for dir_only in (False, True) if is_dir else (False,):
            if relative is not None:
                last = max(last, self._literals.get((relative, True, dir_only), -1))
            if relative is not None or self.floating:
                last = max(last, self._literals.get((name, False, dir_only), -1))
        return last

    def _relative(self, path: str) -> str | None:
        """``path`` relative to ``base`` with ``/`` separators; None when not under it."""
        if path == self._prefix or path + os.sep == self._prefix:
            return ""
        if not path.startswith(self._prefix):
            return None
        return path[len(self._prefix) :].replace(os.sep, "/")


def _last_match_regex(patterns: Sequence[Pattern], floating: bool) -> re.Pattern[str]:
    """One regex for all ``patterns``, over keys ``relative\\0name\\0(d|f)(i|o)``.

    The alternatives are in reverse order, each in one capturing group, so the
    group that matches is the *last* matching pattern, which decides: group ``k``
    is ``patterns[-k]``. (Translated globs hold no capturing groups of their own.)
    """
    alternatives = [_alternative(pattern, floating) for pattern in reversed(patterns)]
    return re.compile("|".join(alternatives) or "(?!)", re.DOTALL)


def _alternative(pattern: Pattern, floating: bool) -> str:
    kind = "d" if pattern.dir_only else "[df]"
    where = "[io]" if floating and not pattern.anchored else "i"
    glob = pattern.regex.pattern
    if pattern.anchored:
        return f"((?:{glob})\0[^\0]*\0{kind}{where})"
    return f"([^\0]*\0(?:{glob})\0{kind}{where})"


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _relative_to(path: Path, base: Path) -> str | None:
    """``path`` relative to ``base`` with ``/`` separators; None when not under it."""
    path_text, base_text = str(path), str(base)
    if path_text == base_text:
        return ""
    prefix = base_text if base_text.endswith(os.sep) else base_text + os.sep
    if not path_text.startswith(prefix):
        return None
    return path_text[len(prefix) :].replace(os.sep, "/")


def _ancestors_below(path: Path, base: Path) -> list[Path]:
    """Directories strictly between ``base`` and ``path``, outermost first."""
    relative = _relative_to(path, base)
    if not relative:
        return []
    parts = relative.split("/")[:-1]
    return [base.joinpath(*parts[: depth + 1]) for depth in range(len(parts))]


# ---------------------------------------------------------------------------
# Walking


@dataclass(frozen=True, slots=True)
class DiscoveryError:
    """A path that could not be read; the walk went on without it."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Discovery:
    """Everything :func:`discover` found."""

    files: tuple[Path, ...]
    errors: tuple[DiscoveryError, ...]


IgnoreStack = tuple[PatternSet, ...]
"""Gitignore files in force in a directory, lowest precedence first."""

ErrorHandler = Callable[[DiscoveryError], None]


def discover(
    paths: Sequence[Path],
    *,
    root: Path | None = None,
    respect_gitignore: bool = True,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
    max_ignore_file_size: int = DEFAULT_MAX_IGNORE_FILE_SIZE,
) -> Discovery:
    """Collect :func:`iter_dockerfiles` into files and errors."""
    errors: list[DiscoveryError] = []
    files = tuple(
        iter_dockerfiles(
            paths,
            root=root,
            respect_gitignore=respect_gitignore,
            exclude=exclude,
            extend_exclude=extend_exclude,
            force_exclude=force_exclude,
            on_error=errors.append,
            max_ignore_file_size=max_ignore_file_size,
        )
    )
    return Discovery(files=files, errors=tuple(errors))


def iter_dockerfiles(
    paths: Sequence[Path],
    *,
    root: Path | None = None,
    respect_gitignore: bool = True,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
    on_error: ErrorHandler | None = None,
    max_ignore_file_size: int = DEFAULT_MAX_IGNORE_FILE_SIZE,
) -> Iterator[Path]:
    """Yield the Dockerfiles under ``paths``, each once, in a deterministic order.

    ``root`` is the project root exclude patterns are relative to (default: the
    current directory). Files are yielded in the form they were reached
    (``paths[i] / "sub" / "Dockerfile"``): explicit paths in the order given,
    each directory depth-first in name order with its files before its
    subdirectories, then whatever was only reachable through symbolic links.
    Errors go to ``on_error`` (dropped when it is None); they never stop the walk.
    Ignore files larger than ``max_ignore_file_size`` bytes, or that are not
    regular files, are reported and not used.
    """
    root_abs = _absolute(root if root is not None else Path.cwd())
    walker = _Walker(
        root=root_abs,
        exclude=PatternSet.from_lines(root_abs, (*exclude, *extend_exclude), floating=True),
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
        on_error=on_error if on_error is not None else _drop,
        max_ignore_file_size=max_ignore_file_size,
    )
    return walker.run(paths)


def _drop(error: DiscoveryError) -> None:
    del error


@dataclass(frozen=True, slots=True)
class _Directory:
    shown: Path
    """The path as the user will see it."""
    absolute: str
    """Normalised absolute path, through links (gitignore bases are lexical)."""
    real: str
    """The path with every link resolved, to recognise a directory met twice."""
    ignores: IgnoreStack


@dataclass(slots=True)
class _Walker:
    """The state of one walk; local to one :func:`iter_dockerfiles` call."""

    root: Path
    exclude: PatternSet
    respect_gitignore: bool
    force_exclude: bool
    on_error: ErrorHandler
    max_ignore_file_size: int = DEFAULT_MAX_IGNORE_FILE_SIZE
    seen_files: set[str] = field(default_factory=set)
    seen_dirs: set[str] = field(default_factory=set)
    linked_dirs: list[_Directory] = field(default_factory=list)
    linked_files: list[tuple[Path, str]] = field(default_factory=list)
    reported: set[DiscoveryError] = field(default_factory=set)
    """Errors already passed on: the repository's info/exclude is read once per way in."""

    def run(self, paths: Sequence[Path]) -> Iterator[Path]:
        for path in paths:
            yield from self._explicit(Path(path))
        yield from self._linked()

    def _explicit(self, path: Path) -> Iterator[Path]:
        absolute = _absolute(path)
        try:
            is_dir = absolute.is_dir()
            exists = is_dir or absolute.exists()
        except OSError as error:
            self._report(path, error)
            return
        if not exists:
            self._report(path, FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)))
        elif self.force_exclude and self.exclude.excludes(absolute, is_dir):
            return
        elif not is_dir and is_temporary_name(absolute.name):
            return  # another run's half-written file, never a Dockerfile
        elif is_dir:
            real = os.path.realpath(absolute)
            yield from self._walk(
                _Directory(path, str(absolute), real, self._ignores_above(absolute))
            )
        elif self._first_visit(os.path.realpath(absolute)):
            yield path

    def _linked(self) -> Iterator[Path]:
        """Symlinked directories and files, once everything direct is walked."""
        while self.linked_dirs or self.linked_files:
            if self.linked_dirs:
                yield from self._walk(self.linked_dirs.pop(0))
                continue
            link, absolute = self.linked_files.pop(0)
            if self._first_visit(os.path.realpath(absolute)):
                yield link

    def _walk(self, top: _Directory) -> Iterator[Path]:
        pending = [top]
        while pending:
            directory = pending.pop()
            if directory.real in self.seen_dirs:
                continue
            self.seen_dirs.add(directory.real)
            files, subdirectories = self._scan(directory)
            for file, real in files:
                if self._first_visit(real):
                    yield file
            pending.extend(reversed(subdirectories))

    def _scan(self, directory: _Directory) -> tuple[list[tuple[Path, str]], list[_Directory]]:
        """The Dockerfiles (with real paths) and subdirectories to walk in ``directory``."""
        try:
            with os.scandir(directory.absolute) as iterator:
                entries = sorted(iterator, key=lambda entry: entry.name)
        except OSError as error:
            self._report(directory.shown, error)
            return [], []
        ignores = self._ignores_inside(directory, {entry.name for entry in entries})
        files: list[tuple[Path, str]] = []
        subdirectories: list[_Directory] = []
        for entry in entries:
            if is_temporary_name(entry.name):
                continue
            is_dir, is_link = _entry_kind(entry)
            if self._skipped(entry.path, is_dir, ignores):
                continue
            shown = directory.shown / entry.name
            if is_dir:
                if is_link:
                    real = os.path.realpath(entry.path)
                    self.linked_dirs.append(_Directory(shown, entry.path, real, ignores))
                else:
                    real = os.path.join(directory.real, entry.name)
                    subdirectories.append(_Directory(shown, entry.path, real, ignores))
            elif is_dockerfile_name(entry.name) and _is_file(entry):
                if is_link:
                    self.linked_files.append((shown, entry.path))
                else:
                    files.append((shown, os.path.join(directory.real, entry.name)))
        return files, subdirectories

    def _skipped(self, path: str, is_dir: bool, ignores: IgnoreStack) -> bool:
        if self.exclude.decide_text(path, is_dir):
            return True
        return self.respect_gitignore and _ignored(ignores, path, is_dir)

    def _first_visit(self, real: str) -> bool:
        if real in self.seen_files:
            return False
        self.seen_files.add(real)
        return True

    def _report(self, path: Path, error: OSError) -> None:
        self._error(DiscoveryError(path, error.strerror or str(error)))

    def _error(self, error: DiscoveryError) -> None:
        if error not in self.reported:
            self.reported.add(error)
            self.on_error(error)

    # -- gitignore -----------------------------------------------------------

    def _ignores_above(self, directory: Path) -> IgnoreStack:
        """The gitignore files in force for the entries of a directory given explicitly,
        excluding the directory's own ``.gitignore`` (read when it is scanned)."""
        if not self.respect_gitignore:
            return ()
        repository = _enclosing_repository(directory)
        if repository is not None:
            start, stack = repository, self._repository_excludes(repository)
        else:
            under_root = _relative_to(directory, self.root) is not None
            start, stack = (self.root if under_root else directory), ()
        for ancestor in [start, *_ancestors_below(directory, start)]:
            if ancestor != directory:
                stack = self._with_gitignore(stack, ancestor)
        return stack

    def _ignores_inside(self, directory: _Directory, names: set[str]) -> IgnoreStack:
        if not self.respect_gitignore:
            return directory.ignores
        stack = directory.ignores
        if ".git" in names:
            # a repository (or a nested one: a submodule) starts afresh
            stack = self._repository_excludes(Path(directory.absolute))
        if ".gitignore" in names:
            stack = self._with_gitignore(stack, Path(directory.absolute))
        return stack

    def _with_gitignore(self, stack: IgnoreStack, directory: Path) -> IgnoreStack:
        lines = self._read_patterns(directory / ".gitignore")
        return (*stack, PatternSet.from_lines(directory, lines)) if lines else stack

    def _repository_excludes(self, repository: Path) -> IgnoreStack:
        git_dir = _git_dir(repository, self._read_text)
        if git_dir is None:
            return ()
        lines = self._read_patterns(git_dir / "info" / "exclude")
        return (PatternSet.from_lines(repository, lines),) if lines else ()

    def _read_patterns(self, path: Path) -> list[str]:
        """The lines of an ignore file, without the patterns too long to be used, and up
        to the wildcard budget (:data:`MAX_WILDCARDS_PER_FILE`)."""
        text = self._read_text(path)
        if text is None:
            return []
        lines = text.splitlines()
        wildcards = 0
        for number, line in enumerate(lines, start=1):
            wildcards += 0 if line.startswith("#") else len(_WILDCARDS.findall(line))
            if wildcards > MAX_WILDCARDS_PER_FILE:
                message = f"more than {MAX_WILDCARDS_PER_FILE} wildcards"
                self._error(DiscoveryError(path, f"{message}: lines {number} on not used"))
                return lines[: number - 1]
            pattern = line.rstrip(" \r")
            if len(pattern) > MAX_PATTERN_LENGTH and not pattern.startswith("#"):
                message = f"line {number}: pattern longer than {MAX_PATTERN_LENGTH} characters"
                self._error(DiscoveryError(path, f"{message}: not used"))
        return lines

    def _read_text(self, path: Path) -> str | None:
        """A small file git reads (an ignore file, ``commondir``, a ``.git`` file); None if
        it is absent or refused (then reported: a FIFO would block, ``/dev/zero`` never ends)."""
        try:
            data = read_regular_file(path, self.max_ignore_file_size)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except RefusedFile as refused:
            if refused.message != "is a directory":
                self._error(DiscoveryError(path, refused.message))
            return None
        except OSError as error:
            self._report(path, error)
            return None
        return data.decode("utf-8", errors="replace")


def _ignored(stack: IgnoreStack, path: str, is_dir: bool) -> bool:
    """The verdict of the deepest gitignore file with a matching pattern."""
    for patterns in reversed(stack):
        verdict = patterns.decide_text(path, is_dir)
        if verdict is not None:
            return verdict
    return False


def _entry_kind(entry: os.DirEntry[str]) -> tuple[bool, bool]:
    """(is a directory, following links; is a symbolic link)."""
    try:
        return entry.is_dir(), entry.is_symlink()
    except OSError:
        return False, False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _enclosing_repository(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if os.path.exists(candidate / ".git"):  # False, not an error, where we may not look
            return candidate
    return None


def _git_dir(repository: Path, read: Callable[[Path], str | None]) -> Path | None:
    """The repository's git directory; follows ``gitdir:`` files (worktrees, submodules).

    ``read`` returns a small file's text, or None when it is absent or refused.
    """
    dot_git = repository / ".git"
    if os.path.isdir(dot_git):
        return dot_git
    text = read(dot_git)
    if text is None:
        return None
    key, _, value = text.partition("\n")[0].partition(":")
    if key.strip() != "gitdir" or not value.strip():
        return None
    git_dir = repository / value.strip()
    common = read(git_dir / "commondir")
    if common is None or not common.strip():
        return git_dir
    return git_dir / common.strip()
