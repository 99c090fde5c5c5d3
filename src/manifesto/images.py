"""Image references as written in ``FROM``, ``COPY --from=`` and ``RUN --mount=from=``.

A reference is ``[registry[:port]/][namespace/...]name[:tag][@digest]``. Parsing
follows the grammar of the distribution ``reference`` package as BuildKit applies
it to ``FROM`` (``ParseNormalizedNamed``):

* The first ``/``-separated component is a registry when it contains ``.`` or
  ``:``, is ``localhost``, or has upper-case letters; otherwise the whole name is
  a Docker Hub repository.
* Repository path components are lower-case: ``[a-z0-9]+`` joined by ``.``,
  ``_``, ``__`` or runs of ``-``.
* Tags match ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``.
* Digests are ``algorithm:hex``; like Docker (go-digest) only ``sha256``,
  ``sha384`` and ``sha512`` are accepted, with lower-case hex of the exact length.
* The normalised name (``docker.io/library/...``) is at most 255 characters, and
  a bare 64-character hex string is refused (it would be an image ID).

:class:`ImageRef` keeps the spelling it was parsed from, so ``str(parse_image(x))
== x`` for every valid ``x``; :attr:`ImageRef.normalized` and
:attr:`ImageRef.familiar` give the other spellings.

Variables in a ``FROM`` line are expanded the way BuildKit's shell lexer does
(:func:`expand`); quotes and escapes are processed too, as they are for ``FROM``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Final

__all__ = [
    "AUTOMATIC_PLATFORM_ARGS",
    "DEFAULT_REGISTRY",
    "LEGACY_DEFAULT_REGISTRY",
    "OFFICIAL_NAMESPACE",
    "SCRATCH",
    "ImageRef",
    "expand",
    "has_variables",
    "is_scratch",
    "is_stage_reference",
    "parse_image",
    "referenced_variables",
]

DEFAULT_REGISTRY: Final = "docker.io"
LEGACY_DEFAULT_REGISTRY: Final = "index.docker.io"
OFFICIAL_NAMESPACE: Final = "library"
SCRATCH: Final = "scratch"
"""``FROM scratch``: the empty base; BuildKit compares it exactly (case-sensitive)."""
NAME_TOTAL_LENGTH_MAX: Final = 255

AUTOMATIC_PLATFORM_ARGS: Final = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    }
)
"""ARGs BuildKit defines in the global scope by itself; their value depends on the build."""

# --- grammar -----------------------------------------------------------------

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_PATH_RE: Final = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_RE: Final = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
)
_TAG_RE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST_RE: Final = re.compile(
    r"(?P<algorithm>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):(?P<hex>[0-9a-fA-F]{32,})"
)
_DIGEST_HEX_LENGTH: Final = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE: Final = re.compile(r"[a-f0-9]+")
_IDENTIFIER_RE: Final = re.compile(r"[a-f0-9]{64}")
_STAGE_INDEX_RE: Final = re.compile(r"[+-]?[0-9]+")


def _looks_like_registry(component: str) -> bool:
    """The rule that decides whether a first path component names a registry."""
    return (
        "." in component
        or ":" in component
        or component == "localhost"
        or component.lower() != component
    )


def _validate_digest(digest: str) -> None:
    match = _DIGEST_RE.fullmatch(digest)
    if match is None:
        raise ValueError(f"invalid digest format: {digest!r}")
    algorithm, hex_part = match["algorithm"], match["hex"]
    length = _DIGEST_HEX_LENGTH.get(algorithm)
    if length is None:
        raise ValueError(f"unsupported digest algorithm: {algorithm!r}")
    if len(hex_part) != length or _LOWER_HEX_RE.fullmatch(hex_part) is None:
        raise ValueError(f"invalid {algorithm} digest: {digest!r}")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A valid image reference, spelled as written.

    ``registry`` is ``None`` when the reference names none (Docker Hub is implied);
    ``path`` is the repository path after the registry (``namespace/.../name``).
    The constructor validates, raising :class:`ValueError`, so that every instance
    prints as a reference that parses back to an equal instance.
    """

    registry: str | None
    path: str
    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        if self.registry is not None:
            if _DOMAIN_RE.fullmatch(self.registry) is None:
                raise ValueError(f"invalid registry: {self.registry!r}")
            if not _looks_like_registry(self.registry):
                raise ValueError(
                    f"{self.registry!r} would be read as a Docker Hub namespace, not a registry"
                )
        if _PATH_RE.fullmatch(self.path) is None:
            if _PATH_RE.fullmatch(self.path.lower()) is not None:
                raise ValueError(f"repository name must be lowercase: {self.path!r}")
            raise ValueError(f"invalid repository path: {self.path!r}")
        if self.registry is None and "/" in self.path:
            first = self.path.split("/", 1)[0]
            if _looks_like_registry(first):
                raise ValueError(f"{first!r} would be read as a registry")
        if self.tag is not None and _TAG_RE.fullmatch(self.tag) is None:
            raise ValueError(f"invalid tag: {self.tag!r}")
        if self.digest is not None:
            _validate_digest(self.digest)
        if len(self.repository) > NAME_TOTAL_LENGTH_MAX:
            raise ValueError(
                f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            )
        if (
            self.registry is None
            and self.tag is None
            and self.digest is None
            and _IDENTIFIER_RE.fullmatch(self.path) is not None
        ):
            raise ValueError("a 64-character hexadecimal string is an image ID, not a name")

    def __str__(self) -> str:
        text = self.path if self.registry is None else f"{self.registry}/{self.path}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    @property
    def name(self) -> str:
        """The last path component: ``python`` for ``docker.io/library/python:3``."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def namespace(self) -> str | None:
        """The path before the name, as written (``None`` when there is none)."""
        head, sep, _ = self.path.rpartition("/")
        return head if sep else None

    @property
    def domain(self) -> str:
        """The registry the reference resolves to (``docker.io`` when none is written)."""
        if self.registry is None or self.registry == LEGACY_DEFAULT_REGISTRY:
            return DEFAULT_REGISTRY
        return self.registry

    @property
    def is_docker_hub(self) -> bool:
        return self.domain == DEFAULT_REGISTRY

    @property
    def repository(self) -> str:
        """The fully qualified repository, without tag or digest: ``docker.io/library/python``."""
        path = self.path
        if self.is_docker_hub and "/" not in path:
            path = f"{OFFICIAL_NAMESPACE}/{path}"
        return f"{self.domain}/{path}"

    @property
    def is_scratch(self) -> bool:
        """``scratch`` exactly as BuildKit special-cases it (no registry, tag or digest)."""
        return (
            self.registry is None
            and self.path == SCRATCH
            and self.tag is None
            and self.digest is None
        )

    @property
    def is_latest_or_untagged(self) -> bool:
        """Floating: tag absent or ``latest``, and no digest pinning it (never for scratch)."""
        return self.digest is None and self.tag in (None, "latest") and not self.is_scratch

    @property
    def normalized(self) -> ImageRef:
        """``docker.io/library/python:3`` for ``python:3``; tag and digest kept, none added."""
        domain, path = self.repository.split("/", 1)
        return ImageRef(domain, path, self.tag, self.digest)

    @property
    def familiar(self) -> ImageRef:
        """How users write it: ``python:3`` for ``docker.io/library/python:3``.

        Docker Hub's registry and ``library/`` are dropped, except that the
        registry stays when dropping it would make the namespace read as one
        (``docker.io/foo.bar/baz``).
        """
        if not self.is_docker_hub:
            return self
        path = self.path
        if path.startswith(f"{OFFICIAL_NAMESPACE}/"):
            rest = path[len(OFFICIAL_NAMESPACE) + 1 :]
            if "/" not in rest:
                path = rest
        if "/" in path and _looks_like_registry(path.split("/", 1)[0]):
            return ImageRef(DEFAULT_REGISTRY, path, self.tag, self.digest)
        return ImageRef(None, path, self.tag, self.digest)

    def with_tag(self, tag: str | None) -> ImageRef:
        """A copy with ``tag`` replaced (``None`` removes it); :class:`ValueError` if invalid."""
        return replace(self, tag=tag)

    def with_digest(self, digest: str | None) -> ImageRef:
        """A copy with ``digest`` replaced (``None`` removes it); :class:`ValueError` if invalid."""
        return replace(self, digest=digest)


def parse_image(text: str) -> ImageRef | None:
    """Parse a reference as BuildKit would for ``FROM``; ``None`` if it is not valid.

    The text must already be expanded (see :func:`expand`) and stripped. ``scratch``
    parses (see :attr:`ImageRef.is_scratch`); stage names parse too, so check
    :func:`is_stage_reference` first.
    """
    slash = text.find("/")
    if slash != -1 and _looks_like_registry(text[:slash]):
        registry: str | None = text[:slash]
        rest = text[slash + 1 :]
    else:
        registry, rest = None, text
    rest, at, digest = rest.partition("@")
    path, colon, tag = rest.partition(":")
    try:
        return ImageRef(registry, path, tag if colon else None, digest if at else None)
    except ValueError:
        return None


def is_scratch(text: str) -> bool:
    """``FROM scratch``; BuildKit compares exactly, so ``SCRATCH`` is not it."""
    return text == SCRATCH


def is_stage_reference(
    text: str, stage_names: Iterable[str], *, stage_count: int | None = None
) -> bool:
    """Whether ``text`` names a build stage rather than an image.

    Stage names compare case-insensitively, as BuildKit lower-cases them. Pass the
    names of the stages *before* the instruction for ``FROM``. For ``COPY --from``
    and ``RUN --mount=from=`` also pass ``stage_count`` (stages before it): there a
    number is a stage index, as ``strconv.Atoi`` reads it. BuildKit looks a
    ``FROM`` base up without lower-casing it, so ``FROM Builder`` after
    ``AS builder`` is not a working stage reference; it is not a valid image either.
    """
    if stage_count is not None and _STAGE_INDEX_RE.fullmatch(text):
        return 0 <= int(text) < stage_count
    wanted = text.lower()
    return any(name.lower() == wanted for name in stage_names)


# --- variables -----------------------------------------------------------------


class _LexError(Exception):
    """The shell lexer would fail on this text."""


class _State(Enum):
    SET = "set"
    UNSET = "unset"
    """Declared without a default: unset for the lexer, as in current BuildKit."""
    UNDECLARED = "undeclared"
    """Not in the mapping at all: only a default (``-`` / ``:-``) can stand for it."""
    UNKNOWN = "unknown"
    """Set by BuildKit at build time (platform ARGs): value unknowable here."""


_Lookup = Callable[[str], tuple[_State, str]]
_SPECIAL_PARAMS: Final = frozenset("@*#?-$!0")


class _Lexer:
    """A port of the semantics of BuildKit's ``shell.Lex.ProcessWord``.

    Every expansion yields ``str`` or ``None``; ``None`` (unknown) propagates
    through concatenation. Errors the real lexer reports raise :class:`_LexError`.
    """

    __slots__ = ("_escape", "_lookup", "_pos", "_text", "names", "saw_reference")

    def __init__(self, text: str, escape: str, lookup: _Lookup) -> None:
        if len(escape) != 1:
            raise ValueError(f"escape must be one character, not {escape!r}")
        self._text = text
        self._pos = 0
        self._escape = escape
        self._lookup = lookup
        self.names: list[str] = []
        self.saw_reference = False

    def _peek(self) -> str:
        return self._text[self._pos] if self._pos < len(self._text) else ""

    def _next(self) -> str:
        ch = self._peek()
        if ch:
            self._pos += 1
        return ch

    def word(self, stop: str = "") -> str | None:
        """``processStopOn``: read to ``stop`` (consumed) or, when empty, to the end."""
        parts: list[str] = []
        unknown = False
        while (ch := self._peek()) != "":
            if stop and ch == stop:
                self._next()
                return None if unknown else "".join(parts)
            value: str | None
            if ch == "$":
                value = self._dollar()
            elif ch == "'":
                value = self._single_quote()
            elif ch == '"':
                value = self._double_quote()
            else:
                self._next()
                if ch == self._escape:
                    ch = self._next()
                    if ch == "":
                        break
                value = ch
            if value is None:
                unknown = True
            else:
                parts.append(value)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return None if unknown else "".join(parts)

    def _single_quote(self) -> str:
        self._next()
        start = self._pos
        end = self._text.find("'", start)
        if end == -1:
            raise _LexError("unexpected end of statement while looking for matching single-quote")
        self._pos = end + 1
        return self._text[start:end]

    def _double_quote(self) -> str | None:
        self._next()
        parts: list[str] = []
        unknown = False
        while True:
            ch = self._peek()
            if ch == "":
                raise _LexError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                self._next()
                return None if unknown else "".join(parts)
            if ch == "$":
                value = self._dollar()
                if value is None:
                    unknown = True
                else:
                    parts.append(value)
                continue
            ch = self._next()
            if ch == self._escape:
                following = self._peek()
                if following == "":
                    continue
                if following in ('"', "$", self._escape):
                    ch = self._next()
            parts.append(ch)

    def _name(self) -> str:
        start = self._pos
        ch = self._peek()
        if ch.isdecimal():
            while self._peek().isdecimal():
                self._next()
            return self._text[start : self._pos]
        if ch in _SPECIAL_PARAMS:
            self._next()
            return ch
        while (ch := self._peek()) != "" and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self._next()
        return self._text[start : self._pos]

    def _read_name(self) -> str:
        name = self._name()
        if name:
            self.names.append(name)
        return name

    def _dollar(self) -> str | None:
        self._next()
        if self._peek() != "{":
            name = self._read_name()
            if not name:
                return "$"
            self.saw_reference = True
            state, value = self._lookup(name)
            return _plain(state, value)
        self.saw_reference = True
        self._next()
        ch = self._peek()
        if ch == "":
            raise _LexError("syntax error: missing '}'")
        if ch in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self._read_name()
        modifier = self._next()
        if modifier == "}":
            state, value = self._lookup(name)
            return _plain(state, value)
        null_is_unset = False
        if modifier == ":":
            null_is_unset = True
            modifier = self._next()
            if modifier == "" or modifier not in "+-?#%":
                raise _LexError(f"unsupported modifier (:{modifier}) in substitution")
        if modifier != "" and modifier in "+-?#%":
            word = self.word("}")
            state, value = self._lookup(name)
            return _modified(modifier, null_is_unset, state, value, word, name)
        if modifier == "/":
            if self._peek() == "/":
                self._next()
            self.word("/")
            self.word("}")
            return None  # pattern replacement is not modelled
        raise _LexError(f"unsupported modifier ({modifier}) in substitution")


def _plain(state: _State, value: str) -> str | None:
    if state is _State.SET:
        return value
    if state is _State.UNSET:
        return ""
    return None


def _modified(
    modifier: str, null_is_unset: bool, state: _State, value: str, word: str | None, name: str
) -> str | None:
    if state is _State.UNKNOWN:
        return None
    empty = state is _State.SET and null_is_unset and value == ""
    is_set = state is _State.SET and not empty
    if modifier == "-":
        return value if is_set else word
    if state is _State.UNDECLARED:
        return None
    if modifier == "+":
        return word if is_set else ""
    if modifier == "?":
        if not is_set:
            raise _LexError(f"{name}: is not allowed to be unset or empty")
        return value
    return None  # '#', '%': prefix/suffix trimming is not modelled


def _recording_lookup(name: str) -> tuple[_State, str]:
    return _State.UNSET, ""


def _scan(text: str, escape: str) -> _Lexer:
    lexer = _Lexer(text, escape, _recording_lookup)
    with contextlib.suppress(_LexError):
        lexer.word()
    return lexer


def has_variables(text: str, *, escape: str = "\\") -> bool:
    """Whether the text refers to a variable (``$VAR``, ``${VAR}``, ``${VAR:-x}``, ...).

    Escaped dollars (``\\$``) and dollars inside single quotes do not count; a
    dollar followed by nothing name-like is a literal ``$``. ``escape`` is the
    Dockerfile's escape character (``# escape=`` directive).
    """
    return _scan(text, escape).saw_reference


def referenced_variables(text: str, *, escape: str = "\\") -> tuple[str, ...]:
    """The names of the variables the text refers to, in order of first appearance."""
    return tuple(dict.fromkeys(_scan(text, escape).names))


def expand(text: str, args: Mapping[str, str | None], *, escape: str = "\\") -> str | None:
    """Expand variables, quotes and escapes as BuildKit does for ``FROM``.

    ``args`` maps the ARGs declared before the first ``FROM`` to their values
    (``None`` = declared without a default, which BuildKit leaves unset unless a
    build argument is given). Returns ``None`` when the result cannot be known:

    * a variable absent from ``args`` is used with no ``-``/``:-`` default;
    * an automatic platform ARG (``TARGETARCH``...) is used without a value in ``args``;
    * a ``#``, ``%`` or ``/`` pattern modifier is used;
    * the lexer would fail (unbalanced quotes or braces, bad substitution,
      ``${VAR?}`` on an unset variable).

    An unset variable expands to the empty string; ``${V:-d}`` gives ``d`` when
    ``V`` is unset or empty, ``${V-d}`` only when unset; ``${V:+a}`` gives ``a``
    when ``V`` is set and not empty, ``${V+a}`` when set. The result may be empty
    (BuildKit then fails with "base name should not be blank").
    """

    def lookup(name: str) -> tuple[_State, str]:
        automatic = name in AUTOMATIC_PLATFORM_ARGS
        if name in args:
            value = args[name]
            if value is not None:
                return _State.SET, value
            return (_State.UNKNOWN if automatic else _State.UNSET), ""
        return (_State.UNKNOWN if automatic else _State.UNDECLARED), ""

    try:
        return _Lexer(text, escape, lookup).word()
    except _LexError:
        return None
