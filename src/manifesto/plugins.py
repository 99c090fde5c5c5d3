"""Third-party fixers, from the entry-point group ``manifesto.fixers``.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."manifesto.fixers"]
    no_add = "manifesto_no_add.rule"

where ``manifesto_no_add.rule`` is a module (or any object) shaped like a
built-in fixer: an ``INFO`` (:class:`manifesto.diagnostics.RuleInfo`) and a
``fix(tree, ctx)`` generator of :class:`manifesto.edits.Violation`. Its rule is
then listed by ``manifesto rules``, explained by ``explain``, selected by ``ALL``
and by its code or name, and applied by ``fix`` after the built-in rules.

A plugin cannot take a run down: one that fails to load, or whose code is not
``LETTERS`` + digits, uses the ``MF`` prefix (manifesto's own), or collides with
a rule already known, is left out with a warning naming its entry point; one
that raises while checking a file is reported for that file as an error naming
the rule and the package it came from, and the other files are processed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass

from manifesto.diagnostics import RuleInfo
from manifesto.fixer import Fixer

GROUP = "manifesto.fixers"
_CODE = re.compile(r"[A-Z]{1,8}[0-9]{1,5}")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Plugin:
    fixer: Fixer
    origin: str
    """The distribution that provides it (``manifesto-no-add``)."""
    entry_point: str


@dataclass(frozen=True, slots=True)
class Plugins:
    loaded: tuple[Plugin, ...]
    problems: tuple[str, ...]
    """One line per entry point left out, for the user."""


@functools.cache
def load_plugins(builtin: frozenset[str]) -> Plugins:
    """The installed plugins whose rules do not collide with ``builtin`` (codes and
    names, upper-cased) nor with each other; loaded once per process."""
    from importlib.metadata import entry_points

    loaded: list[Plugin] = []
    problems: list[str] = []
    taken = set(builtin)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        origin = ep.dist.name if ep.dist is not None else "an unknown package"
        where = f"plugin {ep.name!r} ({ep.value}, from {origin})"
        try:
            fixer = ep.load()
        except Exception as exc:  # any failure of foreign code: report it
            problems.append(f"manifesto: {where} cannot be loaded: {_describe(exc)}; left out")
            continue
        problem = _shape_problem(fixer, taken)
        if problem is not None:
            problems.append(f"manifesto: {where} {problem}; left out")
            continue
        info: RuleInfo = fixer.INFO
        taken.update({info.code.upper(), info.name.upper()})
        loaded.append(Plugin(fixer, origin, ep.name))
    return Plugins(tuple(loaded), tuple(problems))


def _shape_problem(fixer: object, taken: Collection[str]) -> str | None:
    info = getattr(fixer, "INFO", None)
    if not isinstance(info, RuleInfo):
        return "has no INFO (a manifesto.diagnostics.RuleInfo)"
    if not callable(getattr(fixer, "fix", None)):
        return "has no fix(tree, ctx) function"
    if _CODE.fullmatch(info.code) is None:
        return f"has an invalid rule code {info.code!r} (letters then digits, e.g. ACME101)"
    if info.code.startswith("MF"):
        return f"uses the code {info.code}: the MF prefix is manifesto's own"
    if _NAME.fullmatch(info.name) is None:
        return f"has an invalid rule name {info.name!r} (snake case)"
    for key in (info.code, info.name):
        if key.upper() in taken:
            return f"reuses {key!r}, already a rule's code or name"
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
