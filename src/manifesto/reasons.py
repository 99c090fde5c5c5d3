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
    pattern: str
    """A regular expression, compiled on its first match (``re`` keeps the compiled
    patterns): compiling the whole catalogue at import cost every start-up ~5 ms."""


def _entry(slug: str, summary: str, *patterns: str) -> _Entry:
    return _Entry(slug, summary, "|".join(f"(?:{p})" for p in patterns))


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
        "yarn-project-unseen",
        "the project comes from a COPY of a directory or a download: it may use Yarn 2+, "
        "whose `yarn cache clean` deletes what Plug'n'Play loads",
        r"a COPY of a directory or a download may bring a Yarn 2\+ project",
    ),
    _entry(
        "mount-inside-cache",
        "a mount sits inside the cache directory: the clean-up would empty it",
        r"a mount inside the cache directory",
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
        "lists-copied-out",
        "a COPY --from (or RUN --mount from=) may take the apt lists to another stage",
        r"line \d+ may copy the lists to another stage",
    ),
    _entry(
        "mount-inside-lists",
        "a mount sits inside /var/lib/apt/lists: rm would empty it and fail on it",
        r"a mount inside /var/lib/apt/lists",
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
        "no-version-tag",
        "the image's pin (lock entry or registry) has a digest but no version tag",
        r"no version tag is known for the image",
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
        "base-image",
        "the image looks like a base for other images: a USER would be their RUN steps' too",
        r"this image looks like a base for other images",
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
        "user-name-taken",
        "the file already creates a group with the configured user's name or id",
        r"the file already creates a group with the name or id of the new user",
    ),
    _entry(
        "workdir-variable",
        "the WORKDIR is a variable without a value in the file: the new user cannot be given it",
        r"the WORKDIR .+? is a variable the file gives no value",
    ),
    _entry(
        "workdir-in-root-home",
        "the WORKDIR is inside root's home, which other users cannot enter",
        r"the WORKDIR .+? is inside root's home",
    ),
    _entry(
        "volume-not-writable",
        "a VOLUME the new user is not given: the program could not write its data",
        r"VOLUME .+? is a directory the new user is not given",
        r"VOLUME .+? is a variable the file gives no value",
    ),
    _entry(
        "needs-root",
        "the command runs a program that needs root (iptables, crond, tcpdump, openvpn, ...)",
        r"(?:the command|\S+) runs \S+, which needs root",
    ),
    _entry(
        "next-run-not-mergeable",
        "the next RUN cannot take the update exactly (flags, heredoc, several statements, ...)",
        r"next RUN ",
    ),
    _entry(
        "needs-shell",
        "the command uses the shell (variables, operators, redirects, globs, quotes)",
        r"the command uses the shell",
    ),
    _entry(
        "shell-builtin",
        "the program is a shell builtin or keyword: exec form has no shell to run it",
        r"the program is a shell builtin",
    ),
    _entry(
        "custom-shell",
        "the stage's SHELL is not /bin/sh -c: shell form ran under it",
        r"the stage's SHELL runs shell-form commands",
    ),
    _entry(
        "windows-stage",
        "a Windows stage: shell form runs cmd or PowerShell",
        r"a Windows stage: its shell form",
    ),
    _entry(
        "comment-inside",
        "comment lines inside the instruction's continuation would be lost",
        r"comment lines inside the instruction",
    ),
    _entry(
        "add-only-flag",
        "a flag only ADD takes (--checksum, --keep-git-dir, --unpack)",
        r"a flag only ADD takes",
    ),
    _entry(
        "may-be-archive",
        "a source may be an archive, a URL or a git repository once expanded",
        r"the source may be an archive",
    ),
    _entry(
        "relative-destination",
        "a relative destination before any WORKDIR (hadolint would report DL3045 on COPY)",
        r"a relative destination before any WORKDIR",
    ),
    _entry(
        "authors-label-set",
        "the stage already sets org.opencontainers.image.authors",
        r"the stage already sets org.opencontainers.image.authors",
    ),
    _entry(
        "value-needs-requoting",
        "the legacy ENV value has spaces as well as quotes or escapes",
        r"the value has spaces as well as quotes or escapes",
    ),
    _entry("odd-key", "the ENV key has quotes or escapes", r"the key has quotes or escapes"),
    _entry(
        "unicode-space-after-key",
        "a Unicode space follows the legacy ENV key: BuildKit keeps it in the key",
        r"a Unicode space \(not a blank\) follows the key",
    ),
    _entry(
        "comment-inside",
        "a comment line sits inside the instruction where the fix would rewrite it",
        r"a comment line sits between the key and the value",
    ),
    _entry(
        "secret-mount-needed",
        "a secret belongs in a RUN --mount=type=secret, which only the author can wire",
        r"a secret needs a secret mount",
    ),
    _entry(
        "several-processes",
        "several processes in one container: splitting them changes how it is deployed",
        r"several processes: splitting them",
    ),
    _entry(
        "no-apt-get-command",
        "apt-get has no such command (apt list, search, show: use apt-cache or dpkg-query)",
        r"apt-get has no such command",
    ),
    _entry(
        "apt-get-twin-unchecked",
        "apt-get has a command of that name (download, source, satisfy ...), not checked "
        "to run as apt's does",
        r"apt-get's command of that name is not checked",
    ),
    _entry(
        "command-unknown",
        "the command is not written out (a variable)",
        r"the apt command is not written out",
    ),
    _entry(
        "program-not-plain-word",
        "the program is not a plain word (quoted, or from a variable)",
        r"the program is not a plain word",
    ),
    _entry(
        "wget-unknown",
        "the base image does not tell whether wget is GNU or BusyBox (which lacks --progress)",
        r"the base image does not tell whether wget is GNU or BusyBox",
    ),
    _entry(
        "no-bash",
        "bash is not certainly in the image (Alpine, BusyBox, distroless, unknown base)",
        r"bash is not certainly in the image",
    ),
    _entry(
        "custom-shell-set",
        "the stage's SHELL is not /bin/sh: add -o pipefail to it by hand",
        r"the stage's SHELL is not /bin/sh",
    ),
    _entry(
        "inherits-shell-fix",
        "the stage is built FROM a stage that gets the SHELL: it inherits it",
        r"the stage it is built FROM gets the SHELL",
    ),
    _entry(
        "ends-in-continuation",
        "the file ends inside a continuation (a trailing escape): a line written after it"
        " would be read as part of it",
        r"the [\w ]+ ends the file inside a continuation",
        r"the [A-Z]+ on line \d+ ends the file inside a continuation",
    ),
    # MF204 context_copied_before_install
    _entry(
        "copy-flags",
        "the COPY has a flag the rule does not move (--exclude, --parents)",
        r"the COPY has --",
    ),
    _entry(
        "path-not-literal",
        "a path the rule must follow is not literal (variables, quotes, globs)",
        r"the COPY destination is not a literal path",
        r"a requirement file is not named by a literal path",
        r"line \d+ \(WORKDIR\) between the COPY and the install is not a literal",
        r"the install RUN starts with a `cd` the rule cannot follow",
        r"\S+ includes `[^`]*`, which the rule cannot follow",
        r"the directory is not a literal path",
    ),
    _entry(
        "sources-read-before-install",
        "a RUN between the COPY and the install, or a command of the install RUN, may read"
        " the sources",
        r"line \d+ \(RUN\) between the COPY and the install may read",
        r"the install RUN also runs",
    ),
    _entry(
        "copy-between",
        "a COPY, ADD or VOLUME between the COPY and the install: moving past it changes what"
        " ends up in the image",
        r"line \d+ \((?:COPY|ADD)\) between the COPY and the install writes",
        r"line \d+ \(VOLUME\) between the COPY and the install",
    ),
    _entry(
        "workdir-between",
        "a WORKDIR between the COPY and the install changes where a relative destination goes",
        r"line \d+ \(WORKDIR\) between the COPY and the install changes",
    ),
    _entry(
        "install-scripts",
        "the install runs the project's scripts or plugins, which may need the sources",
        r"\S+ runs `[^`]+` on install",
        r"composer install runs the project's scripts",
        r"\S+ allows plugins",
    ),
    _entry(
        "install-needs-sources",
        "the install (or its manifest) needs more of the context than the manifests",
        r"\S+ needs other files of the context",
        r"`pip install -e` installs",
        r"`pip install \S+` installs from the sources",
        r"`--find-links \S+` reads",
        r"`mvn [^`]+` (?:builds modules|reads a settings file)",
        r"\S+ is not valid JSON",
        r"\S+ is not a JSON object",
    ),
    _entry(
        "install-writes-workdir",
        "the install checks a project out into the working directory, where the sources land",
        r"(?:\S+: )?`-e \S+` checks a project out into the working directory",
    ),
    _entry(
        "manifest-ignored",
        ".dockerignore excludes a manifest the install reads",
        r"\.dockerignore excludes",
    ),
    _entry(
        "manifests-apart",
        "the manifests are not in one directory of the context",
        r"the manifests are not all in one directory",
    ),
    # MF603 cd_in_run
    _entry(
        "cd-not-first",
        "`cd` is not the RUN's first command: WORKDIR cannot stand for it",
        r"`cd` is not the RUN's first command",
    ),
    _entry(
        "cd-alone",
        "the RUN only changes directory, which the next RUN does not keep",
        r"the RUN only changes directory",
    ),
    _entry(
        "cd-not-chained",
        "`cd` is followed by `;` or a newline, not `&&`",
        r"`cd` is followed by",
    ),
    _entry(
        "oldpwd-used",
        "a later command uses OLDPWD (`cd -`), which WORKDIR leaves unset",
        r"a later command uses OLDPWD",
    ),
    _entry(
        "mount-relative",
        "a --mount target is relative to the working directory",
        r"a --mount target is relative",
    ),
    _entry(
        "cd-into-mount",
        "the directory is under a --mount target of the RUN: WORKDIR would create it in the image",
        r"the directory is under a --mount target",
    ),
    _entry(
        "comment-in-chain",
        "a comment or blank line inside the continuation would be deleted with `cd`",
        r"a comment or blank line follows `cd`",
    ),
    _entry(
        "workdir-unknown",
        "the working directory before the RUN is the base image's, which the file does not name",
        r"the working directory before the RUN is unknown",
    ),
    _entry(
        "workdir-not-literal",
        "the working directory before the RUN is set by a WORKDIR that is not a literal path",
        r"the working directory before the RUN is set by a WORKDIR that is not a literal",
    ),
    # MF201 cleanup_in_later_layer, MF202 lists_read_stale
    _entry(
        "used-in-between",
        "an instruction between the creating RUN and the clean-up uses (or may use) its files",
        r"line \d+ (?:may )?uses? (?:it|the packages)",
    ),
    _entry(
        "environment-changes-between",
        "USER, SHELL or HOME changes between the creating RUN and the clean-up",
        r"(?:USER|SHELL|ENV|ARG) on line \d+ changes",
        r"SHELL differs between the two RUNs",
    ),
    _entry(
        "relative-path",
        "a relative path may name another file in the creating RUN (cd, WORKDIR)",
        r"relative path after cd",
        r"WORKDIR on line \d+ changes the directory",
    ),
    _entry(
        "written-by-instruction",
        "a COPY, ADD, WORKDIR or VOLUME writes (or covers) what the clean-up deletes",
        r"(?:COPY|ADD|WORKDIR|VOLUME) on line \d+ (?:writes|creates|covers)",
        r"(?:COPY|ADD) on line \d+ writes where the rule cannot tell",
    ),
    _entry(
        "used-before-cleanup",
        "the clean-up's own RUN uses what it deletes before deleting it",
        r"this RUN uses it before the clean-up",
    ),
    _entry(
        "several-creators",
        "what the clean-up deletes comes from several RUNs",
        r"what it deletes comes from several RUNs",
    ),
    _entry(
        "heredoc-run",
        "the command is in a here-document RUN, which the fix does not edit",
        r"the RUN is a here-document",
    ),
    _entry(
        "cleanup-failure-ignored",
        "the later RUN goes on when the clean-up fails; moved, its failure would stop the build",
        r"the later RUN goes on when the clean-up fails",
    ),
    _entry(
        "cleanup-not-separable",
        "the clean-up cannot be taken out alone (||, a pipeline, a compound command, odd lines)",
        r"the clean-up is part of",
        r"the clean-up spans lines",
    ),
    _entry(
        "stage-used-elsewhere",
        "the creating RUN's stage is also used by other stages",
        r"stage `[^`]*` is used by other stages",
    ),
    _entry(
        "apt-through-another-command",
        "apt runs through another command (xargs, sh -c)",
        r"apt runs through another command",
    ),
    _entry(
        "install-not-top-level",
        "the install is inside a condition, loop, function or pipeline: no place for the update",
        r"the install is inside",
        r"the install runs after \|\| or in a pipeline",
        r"the install reads a here-document",
    ),
    _entry(
        "update-options",
        "the earlier apt-get update passes options (-o, --allow-releaseinfo-change) a plain"
        " update would lack",
        r"the update on line \d+ passes `",
    ),
    # MF501 single_stage: each reason starts with one of fixers/_multistage/core.py's
    # prefixes, followed by the file's own details.
    _entry(
        "artifact-unknown",
        "where the build puts the artifact the image runs cannot be derived",
        r"the artifact cannot be located",
    ),
    _entry(
        "several-artifacts",
        "more than one artifact is built: which ones the program needs cannot be told",
        r"more than one artifact is built",
    ),
    _entry(
        "step-after-build",
        "a RUN, COPY or ADD follows the build: it would run without the toolchain",
        r"a step follows the build",
    ),
    _entry(
        "run-not-build",
        "a RUN does more than fetch and build: its effects would stay in the builder",
        r"a RUN does more than build",
    ),
    _entry(
        "run-not-read",
        "a RUN does not parse, or runs a command named by a variable, or is exec form",
        r"a RUN cannot be read",
    ),
    _entry(
        "runtime-package",
        "the build installs a package the program may need at run time",
        r"a package may be needed at run time",
    ),
    _entry(
        "shared-libraries-unknown",
        "which shared libraries the binary links cannot be told or mapped to runtime packages",
        r"the shared libraries it links are unknown",
    ),
    _entry(
        "c-library-unmatched",
        "the binary links the C library and the base names no Debian release to match",
        r"the C library cannot be matched",
    ),
    _entry(
        "runtime-has-no-shell",
        "a shell-form CMD, ENTRYPOINT or HEALTHCHECK needs /bin/sh the runtime image lacks",
        r"the runtime image has no shell",
    ),
    _entry(
        "runtime-user-missing",
        "the USER is an account the runtime image does not have",
        r"the runtime image lacks the user",
    ),
    _entry(
        "healthcheck-program-missing",
        "the HEALTHCHECK runs a program (curl, wget) the runtime image does not have",
        r"the runtime image lacks the health check's program",
    ),
    _entry(
        "base-image-variable",
        "a runtime instruction uses a variable the base image sets ($GOPATH)",
        r"a runtime instruction uses the base image's variable",
    ),
    _entry(
        "platform-variable",
        "the FROM's --platform is a variable",
        r"the platform is a variable",
    ),
    _entry(
        "not-linux",
        "the binary is built for another operating system",
        r"the binary is not for Linux",
    ),
    _entry(
        "make-install",
        "`make install` spreads files in places not derived",
        r"`make install` spreads files",
    ),
    _entry(
        "no-runtime-image",
        "no minimal runtime image is known for the base's distribution",
        r"no runtime image is known",
    ),
    _entry(
        "runtime-files",
        "a COPY brings files the program may read at run time (templates, configuration)",
        r"files may be needed at run time",
    ),
    _entry(
        "static-files",
        "the image serves static files: moving them to nginx replaces the command",
        r"the program is static files",
    ),
    _entry(
        "pipe-ends-early",
        "a pipe ends early on purpose (`yes |`, `| head`): pipefail would fail the RUN",
        r"a pipe of the stage ends early on purpose",
    ),
    _entry(
        "pipe-grep-may-match-nothing",
        "a pipe reads grep, which exits 1 when nothing matches: pipefail would fail the RUN",
        r"a pipe of the stage reads grep, which fails when nothing matches",
    ),
    _entry(
        "shared-context",
        "several Dockerfiles share the directory: one .dockerignore would serve them all",
        r"several Dockerfiles share this directory",
    ),
    _entry(
        "context-too-large",
        "the build context is too large to list",
        r"the directory is too large to list",
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
        if re.match(entry.pattern, text):
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
