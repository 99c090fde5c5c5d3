"""Why a finding is left without a fix: a stable slug beside the human text.

A fixer explains in words why it reports a problem without curing it ("installs
as another user, whose cache an appended command would miss"). Those words are
for people and may be reworded; statistics, JSON and SARIF consumers need a key
that does not move. :func:`no_fix` turns a fixer's words into a :class:`Reason`
through one explicit catalogue, so the slug is decided here, once, and the same
cause gets the same slug whichever rule reports it (``other-user`` for apt, dnf
and npm alike).

Slugs never change once released, like rule codes. A text that is not in the
catalogue still gets a slug (its first words, kebab-cased) so nothing is lost,
but a test keeps every reason the fixers give in the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from manifesto.edits import Applicability

if TYPE_CHECKING:
    from manifesto.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a finding has no fix: ``slug`` for machines, ``text`` for people."""

    slug: str
    """Stable, kebab-case: ``other-user``."""
    text: str
    """The fixer's own words for this finding: ``installs as another user``."""


@dataclass(frozen=True, slots=True)
class _Entry:
    slug: str
    summary: str
    """What the slug stands for, in the statistics table."""
    pattern: re.Pattern[str]


def _entry(slug: str, summary: str, *patterns: str) -> _Entry:
    return _Entry(slug, summary, re.compile("|".join(f"(?:{p})" for p in patterns)))


# Ordered: the first entry whose pattern matches the start of the text wins.
_CATALOGUE: tuple[_Entry, ...] = (
    _entry(
        "file-cannot-build",
        "BuildKit refuses an instruction: the file cannot build",
        r"BuildKit refuses",
    ),
    _entry(
        "other-user",
        "the install runs as another user, whose cache or lists an appended command would miss",
        r"installs as another user",
        r"apt runs as another user",
    ),
    _entry(
        "cache-location-differs",
        "HOME or the cache location differs for the install",
        r"HOME or the cache location differs",
    ),
    _entry(
        "cache-option",
        "an option or the configuration chooses where the cache is",
        r"--cache-dir chooses",
        r"--setopt chooses the cache",
        r"--cache: `npm cache clean` empties another",
        r"--cache-folder: `yarn cache clean` empties another",
        r"a custom cache directory or configuration",
        r"a custom configuration may move the cache",
    ),
    _entry(
        "other-root",
        "the install writes under another root (--root, --installroot)",
        r"--installroot puts the cache",
        r"--root puts the cache",
    ),
    _entry(
        "download-only",
        "a download-only install keeps the packages on purpose",
        r"--download-?only keeps the packages",
    ),
    _entry(
        "tool-removed-later",
        "a later command may uninstall the package manager before an appended clean-up",
        r"a later command may (?:uninstall|remove) the package manager",
    ),
    _entry(
        "run-may-exit-early",
        "the RUN may exit (exit, exec) before an appended command",
        r"the RUN may exit before",
        r"script ends with exit/exec",
    ),
    _entry(
        "program-not-plain",
        "the program is not a plain path to repeat in an appended command",
        r"the program is not a plain path",
    ),
    _entry(
        "cache-read-later",
        "a later command reads the cache offline",
        r"a later RUN reads the cache offline",
        r"a later `apk --no-network` may read",
    ),
    _entry(
        "lists-read-later",
        "a later RUN reads the apt lists without updating them",
        r"line \d+ reads the lists",
    ),
    _entry(
        "unknown-base",
        "the base image is unknown (FROM $VAR) and nothing in the stage shows a POSIX shell",
        r"the base image is unknown and nothing in the stage shows a POSIX shell",
    ),
    _entry(
        "old-pip",
        "the base image's pip may predate --no-cache-dir",
        r"the base image's pip may predate",
    ),
    _entry("in-function", "the command is inside a shell function", r"install inside a function"),
    _entry("empty-script", "the RUN has no command", r"empty script"),
    _entry("background", "the command runs in the background", r"runs in the background"),
    _entry(
        "hidden-options",
        "options come from a variable or a file the fixer cannot read",
        r"hidden options",
    ),
    _entry(
        "pip-build-recommends",
        "python3-pip's recommended compiler and headers may be needed by a later pip install",
        r"python3?-pip recommends",
    ),
    _entry(
        "apk-update-kept",
        "`apk update` writes an index that nothing removes",
        r"`apk update` leaves the package index",
    ),
    _entry(
        "update-run-not-alone",
        "the update's RUN does more than the update, or has flags, or spans lines",
        r"RUN does more than the update",
        r"update RUN has flags",
        r"update spans lines",
        r"text after the update",
    ),
    _entry(
        "no-install-after-update",
        "no RUN that installs follows the update in its stage",
        r"nothing after it in the stage",
        r"\S+ comes before the install",
    ),
    _entry(
        "no-pin-known",
        "no pin is known for the image: no lock entry, and --resolve was not asked",
        r"no pin is known",
    ),
    _entry(
        "reference-not-literal",
        "the image reference is not written in one piece (quotes, text around a variable)",
        r"the reference is not written in one piece",
    ),
    _entry(
        "windows-image",
        "a Windows image: it has no root user to leave",
        r"a Windows image: it has no root user",
    ),
    _entry(
        "drops-privileges",
        "the entrypoint drops privileges itself (gosu, su-exec, setpriv, ...)",
        r"the entrypoint drops privileges itself",
    ),
    _entry(
        "privileged-port",
        "the image binds a port below 1024: change it or grant CAP_NET_BIND_SERVICE",
        r"binds port \d+, below 1024",
    ),
    _entry(
        "unknown-os-family",
        "the base image's operating system cannot be told from the file",
        r"the base image's operating system is unknown",
    ),
    _entry(
        "no-useradd",
        "nothing shows useradd in the image (ubi-minimal, microdnf): install shadow-utils first",
        r"no useradd in the image",
    ),
    _entry(
        "no-shell",
        "the image has no shell to run a command creating a user (chiseled)",
        r"a chiseled image has no shell",
    ),
    _entry(
        "user-name-variable",
        "the user the file creates is named by a variable",
        r"the user the file creates is named by a variable",
    ),
    _entry(
        "next-run-not-mergeable",
        "the next RUN cannot take the update exactly (flags, heredoc, several statements, ...)",
        r"next RUN ",
    ),
)

UNSAFE_FIX = Reason("unsafe-fix", "the fix may change behaviour: --unsafe-fixes applies it")
DISPLAY_ONLY = Reason("display-only", "the fix is a suggestion, never applied")
UNSPECIFIED = Reason("unspecified", "the rule gives no reason")


def no_fix(text: str) -> Reason:
    """The reason a fixer gives in ``text``, with its catalogue slug."""
    entry = _catalogued(text)
    if entry is not None:
        return Reason(entry.slug, text)
    return Reason(_slugify(text) or UNSPECIFIED.slug, text or UNSPECIFIED.text)


def catalogued(text: str) -> bool:
    """Whether ``text`` has a slug of its own in the catalogue (not a fallback)."""
    return _catalogued(text) is not None


def summary(slug: str) -> str | None:
    """What a catalogued slug stands for; None for a fallback slug."""
    for entry in (*_CATALOGUE, *_EXTRA):
        if entry.slug == slug:
            return entry.summary
    return None


def _catalogued(text: str) -> _Entry | None:
    for entry in _CATALOGUE:
        if entry.pattern.match(text):
            return entry
    return None


def _slugify(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:5])


_EXTRA = tuple(
    _entry(r.slug, r.text, re.escape(r.text)) for r in (UNSAFE_FIX, DISPLAY_ONLY, UNSPECIFIED)
)


def left_unfixed(diagnostic: Diagnostic, unsafe_fixes: bool) -> Reason | None:
    """Why ``fix`` (with these settings) leaves the finding as it is; None when it fixes it."""
    fix = diagnostic.fix
    if fix is None:
        return diagnostic.reason or UNSPECIFIED
    kind = fix.applicability
    if kind is Applicability.SAFE or (kind is Applicability.UNSAFE and unsafe_fixes):
        return None
    return UNSAFE_FIX if kind is Applicability.UNSAFE else DISPLAY_ONLY


def unfixed_slugs(diagnostics: Iterable[Diagnostic], unsafe_fixes: bool) -> Iterator[str]:
    """The slug of every finding that ``fix`` leaves as it is (for counting)."""
    for d in diagnostics:
        reason = left_unfixed(d, unsafe_fixes)
        if reason is not None:
            yield reason.slug
