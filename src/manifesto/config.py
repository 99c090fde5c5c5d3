"""Settings: from ``.manifesto.toml``, ``manifesto.toml`` or ``pyproject.toml``, then the CLI.

The keys mirror the CLI flags in kebab case, at the top level of
``.manifesto.toml`` / ``manifesto.toml`` and under ``[tool.manifesto]`` in
``pyproject.toml``::

    select = ["MF1", "MF3"]
    ignore = ["MF101"]
    extend-select = ["MF401"]
    unsafe-fixes = false
    target = "runtime"              # the stage `docker build --target` builds (default: the last)
    output-format = "full"
    exclude = [".git", "node_modules"]
    extend-exclude = ["vendor/"]
    respect-gitignore = true
    force-exclude = false
    max-file-size = "8MiB"          # larger Dockerfiles are refused (bytes, KiB, MiB, GiB)
    max-ignore-file-size = "1MiB"   # larger .gitignore / info/exclude files are refused
    resolve = false                 # ask registries for unknown image pins (network)
    digest = false                  # pin images as name:tag@sha256:...
    insecure-registries = ["registry.lan:5000"]   # plain HTTP besides localhost
    user-name = "app"               # the user MF401 creates and switches to
    user-id = 10001                 # its uid and gid (1000 and up: never a system account)

    [per-file-ignores]
    "legacy/*" = ["MF2"]
    "!ci/*" = ["MF6"]        # every file *not* under ci/

    [pins]                   # beat manifesto.lock; same shape (see manifesto.pins)
    "python:latest" = { tag = "3.13.1-slim-bookworm", digest = "sha256:..." }

One configuration applies to a run: the nearest one above the first path
(ruff's hierarchical per-directory configurations are not modelled). Patterns
(``exclude``, ``per-file-ignores`` keys) are gitignore-style globs relative to
the directory holding the configuration, the project root.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import tomllib

    from manifesto.diagnostics import RuleInfo

from manifesto.discover import DEFAULT_EXCLUDE, PatternSet
from manifesto.fileio import DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_IGNORE_FILE_SIZE
from manifesto.pins import ImagePins, Pin, PinFileError, pins_from_table
from manifesto.users import DEFAULT_APP_USER, AppUser, user_id_problem, user_name_problem

__all__ = [
    "CONFIG_FILENAMES",
    "OUTPUT_FORMATS",
    "ConfigError",
    "Settings",
    "find_config",
    "load_config",
    "merge_cli",
    "resolve_settings",
    "rule_selected",
]

CONFIG_FILENAMES = (".manifesto.toml", "manifesto.toml", "pyproject.toml")
"""Looked for in this order in each directory; pyproject counts only with [tool.manifesto]."""

OUTPUT_FORMATS = ("full", "concise", "json", "json-lines", "sarif", "rdjson", "github", "gitlab")

ALL = "ALL"
_SELECTOR = re.compile(r"ALL|[A-Z]+[0-9]*")

_T = TypeVar("_T")

PerFileIgnores = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run is configured by; change it with :func:`dataclasses.replace`."""

    select: tuple[str, ...] = (ALL,)
    """Rule codes or prefixes (``MF1``, ``MF101``, ``ALL``)."""
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    target: str | None = None
    """The stage built with ``docker build --target`` (None: the last stage of each file)."""
    output_format: str = "full"
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: PerFileIgnores = ()
    """(glob, codes) pairs; a glob starting with ``!`` applies to the files it does not match."""
    respect_gitignore: bool = True
    force_exclude: bool = False
    root: Path = field(default_factory=Path.cwd)
    """The project root: the directory holding the configuration, or the CWD."""
    config_path: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    """Bytes; a larger Dockerfile is refused unread (hostile trees hold /dev/zero look-alikes)."""
    max_ignore_file_size: int = DEFAULT_MAX_IGNORE_FILE_SIZE
    """Bytes; a larger ``.gitignore`` or ``info/exclude`` is refused and reported."""
    pins: tuple[tuple[str, Pin], ...] = ()
    """``[pins]``: (key, pin) pairs keyed by :func:`manifesto.pins.pin_key`; beat the lock file."""
    resolve: bool = False
    """Ask image registries for tags and digests the pins do not know (network)."""
    digest: bool = False
    """Pin images to ``name:tag@digest``, not only to a version tag."""
    insecure_registries: tuple[str, ...] = ()
    """Registries (``host[:port]``) reached over plain HTTP besides localhost."""
    image_pins: ImagePins | None = None
    """The pins of this run, resolved once by the session before any file is processed."""
    app_user: AppUser = DEFAULT_APP_USER
    """The user MF401 creates and switches images to (``user-name``, ``user-id``)."""


class ConfigError(Exception):
    """A configuration file that cannot be used; ``str()`` is ``path:line:col: message``."""

    def __init__(self, path: Path, line: int, col: int, message: str) -> None:
        super().__init__(path, line, col, message)
        self.path = path
        self.line = line
        self.col = col
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


# ---------------------------------------------------------------------------
# Finding


def find_config(start: Path) -> Path | None:
    """The nearest configuration at or above ``start`` (a file's directory, or a directory).

    In each directory the first of :data:`CONFIG_FILENAMES` that holds manifesto
    settings wins. A ``pyproject.toml`` that does not mention manifesto is
    skipped without being parsed, so a broken unrelated one does not stop us;
    one that does mention it must parse.
    """
    directory = Path(os.path.abspath(start))
    if os.path.isfile(directory):
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILENAMES:
            candidate = candidate_dir / name
            # os.path.isfile: a directory we may not search holds no configuration we can use
            if os.path.isfile(candidate) and _holds_settings(candidate):
                return candidate
    return None


def _holds_settings(path: Path) -> bool:
    if path.name != "pyproject.toml":
        return True
    text = _read_text(path)
    if "manifesto" not in text:
        return False
    return _manifesto_table(_parse_toml(path, text)) is not None


# ---------------------------------------------------------------------------
# Loading


def load_config(path: Path) -> Settings:
    """Read the settings in ``path``; raise :class:`ConfigError` when they are not usable."""
    path = Path(os.path.abspath(path))
    text = _read_text(path)
    data = _parse_toml(path, text)
    if path.name == "pyproject.toml":
        table = _manifesto_table(data)
        if table is None:
            raise ConfigError(path, 1, 1, "no [tool.manifesto] table")
    else:
        table = data
    return _Reader(path, text, table).settings()


def _read_text(path: Path) -> str:
    from manifesto.fileio import RefusedFile, read_regular_file

    try:
        return read_regular_file(path, _MAX_CONFIG_SIZE).decode("utf-8")
    except RefusedFile as error:
        raise ConfigError(path, 1, 1, error.message) from None
    except OSError as error:
        raise ConfigError(path, 1, 1, error.strerror or str(error)) from error
    except UnicodeDecodeError as error:
        raise ConfigError(path, 1, 1, f"not UTF-8: {error.reason}") from error


_MAX_CONFIG_SIZE = DEFAULT_MAX_IGNORE_FILE_SIZE
"""A configuration (or pyproject.toml) larger than this is refused: real ones are a few KiB."""

_DECODE_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_DECODE_AT_END = re.compile(r"\s*\(at end of document\)$")


def _parse_toml(path: Path, text: str) -> dict[str, object]:
    import tomllib  # here: a run without a configuration file never needs it (start-up)

    too_deep = _nesting_too_deep(text)
    if too_deep is not None:
        line, col = too_deep
        message = f"invalid TOML: arrays and inline tables nested deeper than {_MAX_NESTING}"
        raise ConfigError(path, line, col, message)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, col, message = _decode_error_position(error, text)
        raise ConfigError(path, line, col, f"invalid TOML: {message}") from error
    except (RecursionError, MemoryError):
        # The nesting bound above should make this unreachable; it is the backstop.
        raise ConfigError(path, 1, 1, "invalid TOML: too deeply nested to read") from None


_MAX_NESTING = 64
"""tomllib recurses once per nested array or inline table and fails past a few
hundred levels with RecursionError; a real configuration nests two or three."""


def _nesting_too_deep(text: str) -> tuple[int, int] | None:
    """(line, column) of the bracket that opens level ``_MAX_NESTING + 1``, if any.

    A linear scan that skips strings and comments; an unterminated string just
    ends the scan (tomllib reports it, with its position).
    """
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "[{":
            depth += 1
            if depth > _MAX_NESTING:
                line_start = text.rfind("\n", 0, i) + 1
                return text.count("\n", 0, i) + 1, i - line_start + 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end == -1 else end
            continue
        elif ch in "\"'":
            i = _string_end(text, i)
            continue
        i += 1
    return None


def _string_end(text: str, start: int) -> int:
    """Offset just past the TOML string starting at ``start`` (the text's end if unterminated)."""
    quote = text[start]
    delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
    i = start + len(delimiter)
    n = len(text)
    while i < n:
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text.startswith(delimiter, i):
            return i + len(delimiter)
        if len(delimiter) == 1 and text[i] == "\n":
            return i  # an unterminated one-line string: tomllib will say so
        i += 1
    return n


def _decode_error_position(error: tomllib.TOMLDecodeError, text: str) -> tuple[int, int, str]:
    """(line, column, message) of a decode error, from attributes (3.14+) or the message."""
    message = str(error)
    match = _DECODE_POSITION.search(message)
    if match is not None:
        return int(match[1]), int(match[2]), message[: match.start()]
    match = _DECODE_AT_END.search(message)
    if match is not None:
        lines = text.split("\n")
        return len(lines), len(lines[-1]) + 1, message[: match.start()]
    line, col = getattr(error, "lineno", 1), getattr(error, "colno", 1)
    return int(line), int(col), str(getattr(error, "msg", message))


def _manifesto_table(data: Mapping[str, object]) -> Mapping[str, object] | None:
    tool = data.get("tool")
    table = tool.get("manifesto") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


class _Invalid(Exception):
    """A value of the wrong shape; ``key`` locates it when it is not the option itself."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected a boolean, got {_describe(value)}")
    return value


_STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*", re.IGNORECASE)


def _stage_name(value: object) -> str:
    """A stage name as BuildKit accepts it after ``AS`` (compared lower-cased)."""
    if not isinstance(value, str):
        raise _Invalid(f"expected a stage name, got {_describe(value)}")
    if _STAGE_NAME.fullmatch(value) is None:
        raise _Invalid(f"invalid stage name {value!r}")
    return value


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Invalid(f"expected a list of strings, got {_describe(value)}")
    for item in value:
        if not isinstance(item, str):
            raise _Invalid(f"expected a list of strings, got {_describe(item)} in the list")
    return tuple(value)


def _selectors(value: object) -> tuple[str, ...]:
    return tuple(_known_selector(selector) for selector in _strings(value))


def _closest(wanted: str, candidates: Sequence[str]) -> list[str]:
    """At most two candidates like ``wanted`` (difflib's ratio at least 0.6); among equals,
    the one differing in fewest places (``MF1O1`` is MF101, not MF113)."""
    import difflib  # here: only a mistake needs it, and it costs start-up time

    def differing(candidate: str) -> int:
        return sum(a != b for a, b in zip(wanted, candidate, strict=False)) + abs(
            len(wanted) - len(candidate)
        )

    scored = [
        (difflib.SequenceMatcher(None, wanted, c).ratio(), -differing(c), c) for c in candidates
    ]
    return [c for ratio, _, c in sorted(scored, reverse=True)[:2] if ratio >= 0.6]


def _known_selector(selector: str) -> str:
    """``selector`` as the code or prefix it names, in any case or by rule name
    (``mf101``, ``apt_lists_kept``); a typo is an error, never a rule that
    silently matches nothing (a CI run that checks nothing would pass)."""
    from manifesto.registry import rules

    wanted = selector.strip()
    if wanted.upper() == ALL:
        return ALL
    infos = rules()
    for info in infos:
        if wanted.lower() == info.name.lower():
            return info.code
    code = wanted.upper()
    if _SELECTOR.fullmatch(code) is not None and any(i.code.startswith(code) for i in infos):
        return code
    raise _Invalid(
        f"unknown rule code or name {selector!r}{_did_you_mean(wanted, infos)}"
        " (expected ALL, a code or prefix such as MF1 or MF101, or a rule name)"
    )


def _did_you_mean(wanted: str, infos: Sequence[RuleInfo]) -> str:
    code = wanted.upper()
    # letters that look like digits in the number part: MF1O1 is MF101
    code = code[:2] + code[2:].translate(str.maketrans("OIL", "011"))
    close = [*_closest(code, [i.code for i in infos])]
    close += _closest(wanted.lower(), [i.name for i in infos])
    if not close:
        return ""
    return f"; did you mean {' or '.join(dict.fromkeys(close))}?"


def _user_name(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a user name, got {_describe(value)}")
    problem = user_name_problem(value)
    if problem is not None:
        raise _Invalid(problem)
    return value


def _user_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(f"expected an integer uid, got {_describe(value)}")
    problem = user_id_problem(value)
    if problem is not None:
        raise _Invalid(problem)
    return value


def _output_format(value: object) -> str:
    if not isinstance(value, str) or value not in OUTPUT_FORMATS:
        raise _Invalid(f"expected one of {', '.join(OUTPUT_FORMATS)}, got {_describe(value)}")
    return value


_SIZE = re.compile(r"([0-9]+)\s*(|B|KiB|MiB|GiB)")
_SIZE_UNITS = {"": 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def _size(value: object) -> int:
    """A size in bytes: an integer, or a string such as ``"512KiB"`` or ``"8MiB"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) == 0:
        raise _Invalid(
            f"expected a positive size such as 8388608 or '8MiB', got {_describe(value)}"
        )
    return int(match[1]) * _SIZE_UNITS[match[2]]


def _per_file_ignores(value: object) -> PerFileIgnores:
    if not isinstance(value, dict):
        raise _Invalid(f"expected a table of glob = [codes], got {_describe(value)}")
    entries: list[tuple[str, tuple[str, ...]]] = []
    for glob, codes in value.items():
        try:
            entries.append((glob, _selectors(codes)))
        except _Invalid as error:
            raise _Invalid(f"{glob!r}: {error.message}", key=glob) from error
    return tuple(entries)


def _pins(path: Path, value: object) -> tuple[tuple[str, Pin], ...]:
    try:
        return tuple(sorted(pins_from_table(value, path).items()))
    except PinFileError as error:
        raise _Invalid(error.message.removeprefix("pins: ")) from error


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    return {bool: "a boolean", int: "an integer", float: "a float", list: "an array"}.get(
        type(value), "a table" if isinstance(value, dict) else type(value).__name__
    )


_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "unsafe-fixes",
    "target",
    "output-format",
    "exclude",
    "extend-exclude",
    "per-file-ignores",
    "respect-gitignore",
    "force-exclude",
    "max-file-size",
    "max-ignore-file-size",
    "pins",
    "resolve",
    "digest",
    "insecure-registries",
    "user-name",
    "user-id",
)


@dataclass(frozen=True, slots=True)
class _Reader:
    """Reads one settings table, locating errors in the file's ``text``."""

    path: Path
    text: str
    table: Mapping[str, object]

    def settings(self) -> Settings:
        for key in self.table:
            if key not in _KEYS:
                raise self._error(key, None, _unknown_key_message(key))
        default = Settings(root=self.path.parent, config_path=self.path)
        return Settings(
            select=self._option("select", _selectors, default.select),
            ignore=self._option("ignore", _selectors, default.ignore),
            extend_select=self._option("extend-select", _selectors, default.extend_select),
            unsafe_fixes=self._option("unsafe-fixes", _bool, default.unsafe_fixes),
            target=self._option("target", _stage_name, default.target),
            output_format=self._option("output-format", _output_format, default.output_format),
            exclude=self._option("exclude", _strings, default.exclude),
            extend_exclude=self._option("extend-exclude", _strings, default.extend_exclude),
            per_file_ignores=self._option(
                "per-file-ignores", _per_file_ignores, default.per_file_ignores
            ),
            respect_gitignore=self._option("respect-gitignore", _bool, default.respect_gitignore),
            force_exclude=self._option("force-exclude", _bool, default.force_exclude),
            max_file_size=self._option("max-file-size", _size, default.max_file_size),
            max_ignore_file_size=self._option(
                "max-ignore-file-size", _size, default.max_ignore_file_size
            ),
            pins=self._option("pins", functools.partial(_pins, self.path), default.pins),
            resolve=self._option("resolve", _bool, default.resolve),
            digest=self._option("digest", _bool, default.digest),
            insecure_registries=self._option(
                "insecure-registries", _strings, default.insecure_registries
            ),
            app_user=AppUser(
                self._option("user-name", _user_name, default.app_user.name),
                self._option("user-id", _user_id, default.app_user.uid),
            ),
            root=default.root,
            config_path=default.config_path,
        )

    def _option(self, key: str, convert: Callable[[object], _T], default: _T) -> _T:
        if key not in self.table:
            return default
        try:
            return convert(self.table[key])
        except _Invalid as error:
            raise self._error(key, error.key, f"{key}: {error.message}") from error

    def _error(self, key: str, subkey: str | None, message: str) -> ConfigError:
        lines = self.text.splitlines()
        after = _table_header_line(lines, ("tool", "manifesto"))
        position = _key_position(lines, key, after)
        if subkey is not None:
            after = _table_header_line(lines, ("tool", "manifesto", key), after)
            position = _key_position(lines, subkey, after) or position
        line, col = position or (1, 1)
        return ConfigError(self.path, line, col, message)


def _unknown_key_message(key: str) -> str:
    import difflib  # here: only a mistake needs it, and it costs start-up time

    kebab = key.replace("_", "-")
    if kebab in _KEYS:
        return f"unknown key {key!r}; did you mean {kebab!r}? (keys are kebab-case)"
    close = difflib.get_close_matches(kebab, _KEYS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r}{hint}"


def _table_header_line(lines: Sequence[str], dotted: Sequence[str], after: int = 0) -> int:
    """Index of the line after the ``[a.b]`` header (the last part of ``dotted`` at least)."""
    for suffix_start in range(len(dotted)):
        parts = [_toml_key_regex(part) for part in dotted[suffix_start:]]
        header = re.compile(r"\s*\[\s*" + r"\s*\.\s*".join(parts) + r"\s*\]")
        for index in range(after, len(lines)):
            if header.match(lines[index]):
                return index + 1
    return after


def _key_position(lines: Sequence[str], key: str, after: int) -> tuple[int, int] | None:
    """1-based (line, column) of ``key =`` or a ``[...key]`` header at or after line ``after``."""
    key_regex = _toml_key_regex(key)
    assignment = re.compile(r"\s*(?:[^=\s]+\s*\.\s*)*(" + key_regex + r")\s*[=.]")
    header = re.compile(r"\s*\[\[?[^\]]*?(" + key_regex + r")\s*\]")
    for pattern in (assignment, header):
        for index in range(after, len(lines)):
            match = pattern.match(lines[index])
            if match is not None:
                return index + 1, match.start(1) + 1
    return None


def _toml_key_regex(key: str) -> str:
    escaped = re.escape(key)
    return f"(?:\"{escaped}\"|'{escaped}'|{escaped})"


# ---------------------------------------------------------------------------
# Combining with the CLI


def resolve_settings(start: Path | None = None, config: Path | None = None) -> Settings:
    """The settings of a run: ``config`` if given, else the nearest one above ``start``
    (default: the CWD), else the defaults rooted at the CWD."""
    if config is not None:
        return load_config(config)
    found = find_config(start if start is not None else Path.cwd())
    return load_config(found) if found is not None else Settings(root=Path.cwd())


def merge_cli(
    settings: Settings,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    extend_select: Sequence[str] | None = None,
    unsafe_fixes: bool | None = None,
    target: str | None = None,
    output_format: str | None = None,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] | None = None,
    per_file_ignores: Mapping[str, Sequence[str]] | PerFileIgnores | None = None,
    respect_gitignore: bool | None = None,
    force_exclude: bool | None = None,
) -> Settings:
    """Apply CLI flags over ``settings``; None means the flag was not given.

    Rule selection follows ruff's layering, flattened: ``--select`` starts
    afresh (the configuration's select, extend-select and ignore are dropped);
    otherwise ``--extend-select`` and ``--ignore`` apply on top of the
    configuration, so a flag beats any configured selector it covers (config
    ``select = ["MF101"]`` with ``--ignore MF1`` turns MF101 off). ``--exclude``
    replaces the configured list, ``--extend-exclude`` adds to it.

    Raises ValueError for an unknown output format or a malformed selector.
    """
    rules = _merged_rules(settings, select, ignore, extend_select)
    return replace(
        settings,
        select=rules.select,
        extend_select=rules.extend_select,
        ignore=rules.ignore,
        unsafe_fixes=_given(unsafe_fixes, settings.unsafe_fixes),
        target=settings.target if target is None else _checked(_stage_name, target),
        output_format=(
            settings.output_format
            if output_format is None
            else _checked(_output_format, output_format)
        ),
        exclude=settings.exclude if exclude is None else tuple(exclude),
        extend_exclude=(*settings.extend_exclude, *(extend_exclude or ())),
        per_file_ignores=(
            settings.per_file_ignores
            if per_file_ignores is None
            else _cli_per_file_ignores(per_file_ignores)
        ),
        respect_gitignore=_given(respect_gitignore, settings.respect_gitignore),
        force_exclude=_given(force_exclude, settings.force_exclude),
    )


def _given(flag: bool | None, configured: bool) -> bool:
    return configured if flag is None else flag


@dataclass(frozen=True, slots=True)
class _Rules:
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]


def _merged_rules(
    settings: Settings,
    select: Sequence[str] | None,
    ignore: Sequence[str] | None,
    extend_select: Sequence[str] | None,
) -> _Rules:
    cli_ignore = _checked_selectors(ignore or ())
    cli_extend = _checked_selectors(extend_select or ())
    if select is not None:
        return _Rules(_checked_selectors(select), cli_extend, cli_ignore)
    # A CLI selector overrides every configured selector it covers, so drop those
    # before flattening both layers into one (see merge_cli).
    return _Rules(
        select=_uncovered(settings.select, cli_ignore),
        extend_select=(*_uncovered(settings.extend_select, cli_ignore), *cli_extend),
        ignore=(*_uncovered(settings.ignore, cli_extend), *cli_ignore),
    )


def _uncovered(selectors: Iterable[str], by: Sequence[str]) -> tuple[str, ...]:
    return tuple(s for s in selectors if not any(_covers(other, s) for other in by))


def _covers(selector: str, other: str) -> bool:
    """Whether every rule ``other`` names is named by ``selector`` too."""
    return selector == ALL or (other != ALL and other.startswith(selector))


def _checked(convert: Callable[[object], _T], value: object) -> _T:
    try:
        return convert(value)
    except _Invalid as error:
        raise ValueError(error.message) from error


def _checked_selectors(selectors: Sequence[str]) -> tuple[str, ...]:
    return _checked(_selectors, list(selectors))


def _cli_per_file_ignores(value: Mapping[str, Sequence[str]] | PerFileIgnores) -> PerFileIgnores:
    pairs = value.items() if isinstance(value, Mapping) else value
    return tuple((glob, _checked_selectors(codes)) for glob, codes in pairs)


# ---------------------------------------------------------------------------
# Selecting rules


def rule_selected(code: str, settings: Settings, path: Path | None) -> bool:
    """Whether rule ``code`` runs on ``path`` (None: regardless of the file).

    ruff's semantics: ``select`` + ``extend_select`` against ``ignore``, where
    the most specific matching selector decides (``ALL`` < ``MF`` < ``MF1`` <
    ``MF101``) and ``ignore`` wins a tie; then ``per_file_ignores`` whose glob
    matches ``path`` (relative to ``settings.root``, or any directory of it)
    turn the rule off.
    """
    if not _selection_verdict(code, settings):
        return False
    if path is None:
        return True
    return not any(
        any(_matches(selector, code) for selector in codes) and _glob_applies(glob, settings, path)
        for glob, codes in settings.per_file_ignores
    )


def _selection_verdict(code: str, settings: Settings) -> bool:
    best_selected = max(_specificities(code, (*settings.select, *settings.extend_select)))
    best_ignored = max(_specificities(code, settings.ignore))
    return best_selected > best_ignored


def _specificities(code: str, selectors: Iterable[str]) -> list[int]:
    """The specificity of each selector that matches ``code``, and -1 for none."""
    return [-1, *(_specificity(s) for s in selectors if _matches(s, code))]


def _specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def _matches(selector: str, code: str) -> bool:
    return selector == ALL or code.startswith(selector)


def _glob_applies(glob: str, settings: Settings, path: Path) -> bool:
    matched = _per_file_glob(settings.root, glob).excludes(
        Path(os.path.abspath(path)), is_dir=False
    )
    return matched != glob.startswith("!")


@functools.lru_cache(maxsize=256)
def _per_file_glob(root: Path, glob: str) -> PatternSet:
    """The compiled glob (without its ``!``); pure, so memoised across files."""
    return PatternSet.from_lines(root, [glob.removeprefix("!")], floating=True)
