"""Pass --no-install-recommends to apt-get install.

## What it does

Finds ``apt-get install`` and ``apt install`` commands that let apt install
every package the requested ones merely *recommend*, and inserts
``--no-install-recommends`` after the options that follow the ``install``
word, so that short options stay together (``install -y -q
--no-install-recommends x``, never ``-y --no-install-recommends -q``).

When the image then fetches something over https and nothing else puts the CA
certificates in it, the same fix adds ``ca-certificates`` to the package list:
on Debian and Ubuntu it is only *recommended* by ``curl``'s libcurl, ``wget``,
``git`` and friends, so the flag alone would drop it.

Already clean: ``--no-install-recommends``, ``--install-recommends=no`` (or
``false``, ``0``, ``off``), ``-o APT::Install-Recommends=false`` (or ``0``,
``no``, ``off``). Left alone: an explicit ``--install-recommends`` or
``-o APT::Install-Recommends=true`` (the author wants them), and images whose
Dockerfile configures ``APT::Install-Recommends`` before the install (for
example in ``/etc/apt/apt.conf.d``).

## Why

Recommends are "usually installed together" packages, not dependencies:
``python3-pip`` recommends a whole compiler toolchain (``build-essential``,
``python3-dev``), ``git`` recommends ``openssh-client``, ``patch`` and ``less``.
They grow the image, widen its attack surface and its CVE reports, and change
with the mirror. Debian and Ubuntu base images keep apt's default, which is to
install them.

## Example

Before:

    RUN apt-get update && apt-get install -y curl \\
        && curl -fsSL https://example.com/install.sh | sh \\
        && rm -rf /var/lib/apt/lists/*

After:

    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \\
        && curl -fsSL https://example.com/install.sh | sh \\
        && rm -rf /var/lib/apt/lists/*

## Fix safety

Unsafe. Something in the image may rely on a recommended package without
saying so. The one failure the fix can foresee it prevents: without
``ca-certificates`` a ``curl https://...`` fails with a certificate error, and
``curl ... | sh`` may even exit 0 and ship an image without the tool. So
``ca-certificates`` is added when the RUN, or a later RUN of the image (its
stage, or a stage built FROM it), fetches over https with a program that reads
the system CA store, and the image does not already have it: installed by name
earlier (or earlier in the same RUN), or shipped by the base image.

What counts as an https fetch: ``curl``/``wget``/``wget2``/``aria2c`` and
``git clone``/``fetch``/``pull``/``submodule``/``ls-remote`` of an ``https://``
URL, or of a URL in a variable whose value is https or unknown;
``git+https://`` requirements (pip and npm run git); ``gpg --keyserver
hkps://...``; an apt source ``deb https://...`` written by the RUN, or
``add-apt-repository`` of one; ``go get``/``go install``/``go mod`` and
``cargo install``/``fetch``/``build``. Not counted: ``pip`` (it carries its own
certificates; Debian's ``python3-pip`` depends on ``ca-certificates``), ``npm``
and ``node`` (built-in roots; Debian's ``nodejs`` depends on it), ``gem``
(``rubygems-integration`` depends on it), ``ADD https://...`` (the builder
fetches, not the image).

Base images known to ship ``ca-certificates``, read from their Dockerfiles:
``buildpack-deps`` and the official images built on it (``golang``, ``gcc``,
the non-slim ``node``, ``erlang`` and ``elixir``), ``python``, ``pypy``,
``ruby``, ``rust``, ``perl``, ``php`` (and ``wordpress``, ``drupal``),
``openjdk``, ``eclipse-temurin`` (and ``tomcat``, ``maven``, ``gradle``),
``haskell``, ``julia``, ``httpd``, ``haproxy``, ``mongo``, ``rabbitmq``,
Microsoft's ``dotnet`` images and ``nvidia/cuda``. Not ``debian``, ``ubuntu``,
``node:*-slim`` (its build purges curl and the certificates), ``postgres``,
``redis`` or ``memcached``.

Other recommended packages the image may need are not foreseen: ``git`` over
SSH needs ``openssh-client``. Review what apt stops installing
(``apt-get install --dry-run`` with and without the flag).

## Caveats

- Where the option goes: after the options that directly follow ``install``
  (``-y``, ``-q``, ``-t bookworm-backports``, ``-o X=Y``); without any, in front
  of the argument that follows on the same line, else right after ``install``.
  So this fix and MF103's ``-y`` never insert at the same offset when both
  apply, and the result does not depend on which runs first. Continuation lines
  aligned under a word the flag pushes right (``install autoconf \\`` over
  ``        automake \\``) move right with it.
- Where ``ca-certificates`` goes: in a list with one package per line, on a
  line of its own like the others (above a ``# comment`` line that heads the
  package it goes before); else on the line, before the first package.
  In a sorted list it takes its sorted place. It goes to the last fixed install
  before the fetch that installs the fetching program (``curl``, ``wget``,
  ``git``, ``gnupg``...), else to the last fixed install before it.
- A non-literal argument that could expand to options (``apt-get install $OPTS x``)
  may hold the flag: reported without a fix.
- Only ``install`` is covered (not ``build-dep``, ``reinstall`` or upgrades);
  ``aptitude`` is not read.
- Skipped: Windows images, ``ONBUILD`` triggers, exec-form ``RUN``s, scripts that
  do not parse, and simulations (``-s``).

## Related

hadolint DL3015 ("Avoid additional packages by specifying
``--no-install-recommends``"), which covers ``apt-get install`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction, Line
from manifesto.cst.values import arg_defaults, exec_args, key_values
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.images import parse_image
from manifesto.layout import aligned_under
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word

from . import _apt

INFO = RuleInfo(
    code="MF104",
    name="apt_recommends_installed",
    title="Pass --no-install-recommends to apt-get install",
    applicability=Applicability.UNSAFE,
    related=("DL3015",),
    doc=__doc__ or "",
)

FLAG = "--no-install-recommends"
CA_PACKAGE = "ca-certificates"
_CONFIG = re.compile(r"install-recommends", re.IGNORECASE)
_OPTION_BEFORE = re.compile(r"(?:--(?:no-)?|(?:-o|--option)[\s=]*[\"']?APT::)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Outcome:
    instruction: Instruction
    reason: str
    """``fix``, ``hidden options`` (reported without a fix), or why it is skipped."""
    call: _apt.AptCall | None = None
    placement: _Placement | None = None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    outcomes = list(_outcomes(tree, ctx))
    fixable = [(o.instruction, o.call) for o in outcomes if o.placement is not None and o.call]
    needs_ca = _ca_needed(ctx, fixable)
    for outcome in outcomes:
        call = outcome.call
        if call is None:
            continue
        name = f"{call.program} {call.name}"
        message = f"`{name}` also installs recommended packages: pass {FLAG}"
        fixed = None
        edits: tuple[Edit, ...]
        placement = outcome.placement
        if placement is not None:
            fetch_line = needs_ca.get(call.command.start)
            if fetch_line is None:
                title, edits = f"Insert {FLAG} after `{name}`", placement.edits
            else:
                title = (
                    f"Insert {FLAG} after `{name}` and install {CA_PACKAGE}, which the"
                    f" https fetch on line {fetch_line} needs"
                )
                ca = _ca_insertion(ctx, outcome.instruction, call, placement)
                edits = _merged(placement.edits[0], ca, *placement.edits[1:])
            fixed = Fix(title, edits, Applicability.UNSAFE)
        else:
            message += f" (no fix: {outcome.reason})"
        reason = None if fixed is not None else no_fix(outcome.reason)
        yield Violation(INFO.code, message, call.command.start, call.command.end, fixed, reason)


def _outcomes(tree: Dockerfile, ctx: FixContext) -> Iterator[_Outcome]:
    for ins, script, skipped in _apt.apt_runs(tree, ctx):
        if script is None:
            yield _Outcome(ins, skipped)
            continue
        configured: bool | None = None
        for call in _apt.apt_calls(script):
            if call.name != "install" or not call.acts or _recommends_chosen(call):
                continue
            if configured is None:
                configured = _configured(ctx, ins, script)
            if configured:
                yield _Outcome(ins, "configured")
                continue
            if call.hidden:
                yield _Outcome(ins, "hidden options", call)
                continue
            yield _Outcome(ins, "fix", call, _placement(ctx.text, call))


def _recommends_chosen(call: _apt.AptCall) -> bool:
    """The command says either way: ``--no-install-recommends``, ``--install-recommends``,
    or ``-o APT::Install-Recommends=...``."""
    if call.has("no-install-recommends", "install-recommends"):
        return True
    return call.config("APT::Install-Recommends") is not None


def _configured(ctx: FixContext, ins: Instruction, script: ShellScript) -> bool:
    """``APT::Install-Recommends`` is set in apt's configuration before the install:
    by an earlier instruction of the image, or by a command of this RUN that is not apt."""
    if next(ctx.earlier_matching(ins, _sets_config_in), None) is not None:
        return True  # indexed: each instruction is read once per pass, not once per RUN
    return any(
        _apt.apt_call(command) is None and any(_sets_config(w.text) for w in _apt.words_of(command))
        for command in script.commands
    )


def _sets_config_in(ctx: FixContext, instruction: Instruction) -> bool:
    return _sets_config(instruction.render())


def _sets_config(text: str) -> bool:
    """``Install-Recommends`` named as configuration, not as an apt option
    (``--no-install-recommends``, ``-o APT::Install-Recommends=0``)."""
    for match in _CONFIG.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        if not _OPTION_BEFORE.search(before):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Placement:
    """The flag's insertion, and the continuation lines moved right to stay aligned."""

    edits: tuple[Edit, ...]
    """The insertion first, then one insertion of blanks per moved line."""
    shift: str
    """The blanks put in front of each moved line."""
    moved: frozenset[int]
    """The file offsets where the moved lines start."""


def _placement(text: str, call: _apt.AptCall) -> _Placement:
    """Where the flag goes: after the options that directly follow ``install``; else in
    front of the argument that follows on the same line; else right after ``install``.

    Continuation lines of the command aligned under a word the flag pushes right
    (``install autoconf \\`` over ``        automake``) move right with it."""
    sub = call.subcommand
    assert sub is not None
    words, first = _after_subcommand(call)
    last_option: Word | None = None
    for k, word in enumerate(words):
        if k in first.packages or k >= first.stop:
            break
        last_option = word
    after = call.after_subcommand
    if last_option is not None:
        edit = Edit.insert(last_option.end, f" {FLAG}")
    elif after is not None and text[sub.end : after.start].strip(" \t") == "":
        edit = Edit.insert(after.start, f"{FLAG} ")
    else:
        edit = Edit.insert(sub.end, f" {FLAG}")
    return _keeping_alignment(text, call, edit)


def _keeping_alignment(text: str, call: _apt.AptCall, edit: Edit) -> _Placement:
    line_start = text.rfind("\n", 0, edit.start) + 1
    line_end = text.find("\n", edit.start)
    content = text[line_start : line_end if line_end != -1 else len(text)].rstrip("\r")
    column = edit.start - line_start
    below: list[Line] = []
    at = line_end + 1
    while 0 < at < call.command.end:
        end = text.find("\n", at)
        end = end if end != -1 else len(text)
        below.append(Line(at, 0, text[at:end].rstrip("\r"), ""))
        at = end + 1
    if "\t" in content[:column] or not aligned_under(content, column, below):
        return _Placement((edit,), "", frozenset())
    starts = {
        len(content[:i])
        for i in range(column, len(content))
        if content[i] not in " \t" and content[i - 1] in " \t"
    }
    moved = [
        ln.start
        for ln in below
        if ln.content.strip() and len(ln.content) - len(ln.content.lstrip(" ")) in starts
    ]
    shift = " " * len(edit.content)
    return _Placement(
        (edit, *(Edit.insert(start, shift) for start in moved)), shift, frozenset(moved)
    )


@dataclass(frozen=True, slots=True)
class _Arguments:
    packages: frozenset[int]
    """Indices (into the words after ``install``) of the package arguments."""
    stop: int
    """Index of the first word after the options run that follows ``install``."""


def _after_subcommand(call: _apt.AptCall) -> tuple[tuple[Word, ...], _Arguments]:
    """The words after ``install``, which of them are packages, and where the options
    that directly follow ``install`` (with their arguments: ``-t bookworm``) end."""
    words = call.command.effective_args
    sub = call.subcommand
    pos = next(k for k, w in enumerate(words) if w is sub)
    _, plain = _apt._options(words)
    rest = words[pos + 1 :]
    packages = frozenset(i - pos - 1 for i in plain if i > pos)
    stop = next((k for k in range(len(rest)) if k in packages), len(rest))
    return rest, _Arguments(packages, stop)


def _merged(*edits: Edit) -> tuple[Edit, ...]:
    """The edits in offset order, insertions at one offset joined in the order given."""
    out: list[Edit] = []
    for edit in sorted(edits, key=lambda e: e.start):
        if out and out[-1].start == out[-1].end == edit.start == edit.end:
            out[-1] = Edit.insert(edit.start, out[-1].content + edit.content)
        else:
            out.append(edit)
    return tuple(out)


# --------------------------------------------------------------------------- ca-certificates

_CA_WORD: Final = re.compile(r"(?<![\w.+/-])ca-certificates(?:-java)?(?![\w.+-])")
"""``ca-certificates`` named as a package (``ca-certificates=2023*`` too, and
``ca-certificates-java``, which depends on it); not ``update-ca-certificates`` nor
``/etc/ssl/certs/ca-certificates.crt``."""

_ARCH_NAMESPACES: Final = frozenset(
    {"amd64", "arm64v8", "arm32v7", "arm32v6", "arm32v5", "i386", "ppc64le", "s390x", "riscv64"}
)
_OFFICIAL_WITH_CA: Final = frozenset(
    {
        "buildpack-deps",
        "golang",
        "gcc",
        "python",
        "pypy",
        "ruby",
        "rust",
        "perl",
        "php",
        "wordpress",
        "drupal",
        "openjdk",
        "eclipse-temurin",
        "tomcat",
        "maven",
        "gradle",
        "haskell",
        "julia",
        "httpd",
        "haproxy",
        "mongo",
        "rabbitmq",
        "node",
        "erlang",
        "elixir",
    }
)
"""Docker Hub official images whose Debian and Ubuntu tags ship ``ca-certificates``,
read from their Dockerfiles: ``buildpack-deps`` installs it in every variant and
``golang``, ``gcc`` and the full ``node``, ``erlang`` and ``elixir`` build on it;
the others install it in a RUN of its own that their build clean-up keeps."""
_SLIM_WITHOUT_CA: Final = frozenset({"node", "erlang", "elixir"})
"""Their ``-slim`` tags purge it with the build tools (``apt-mark auto '.*'``)."""
_OTHER_WITH_CA: Final = (
    "mcr.microsoft.com/dotnet/",
    "mcr.microsoft.com/devcontainers/",
    "mcr.microsoft.com/vscode/devcontainers/",
    "docker.io/nvidia/cuda",
)
"""Repositories (by prefix) of other images that install it: .NET's runtime-deps
and everything built on it, the dev container images (their common-utils step
installs it), CUDA's base."""

_TEXT_FETCH: Final = re.compile(
    r"\b(?:curl|wget2?|aria2c|git\s+clone)\b[^\n;&|]*https://|git\+https://|hkps://"
    r"|\bdeb(?:-src)?\s+(?:\[[^\]]*\]\s+)?https://"
)
"""An https fetch in the text of a RUN whose shell is not read (exec form, odd syntax)."""
_APT_SOURCE: Final = re.compile(
    r"\bdeb(?:-src)?\s+(?:\[[^\]]*\]\s+)?https://|^\s*URIs:.*https://", re.MULTILINE
)
_VARIABLE: Final = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")

_URL_FETCHERS: Final = frozenset({"curl", "wget", "wget2", "aria2c"})
_GIT_FETCHES: Final = frozenset({"clone", "fetch", "pull", "submodule", "ls-remote"})
_GO_FETCHES: Final = frozenset({"get", "install", "mod"})
_CARGO_FETCHES: Final = frozenset({"install", "fetch", "build", "update", "vendor"})
_KEY_FETCHERS: Final = frozenset({"gpg", "gpg2", "apt-key"})
_SHELLS: Final = frozenset({"sh", "bash", "dash"})
_TOOL_PACKAGES: Final = {
    "curl": ("curl", "libcurl"),
    "wget": ("wget",),
    "wget2": ("wget2",),
    "aria2c": ("aria2",),
    "git": ("git",),
    "gpg": ("gnupg", "dirmngr"),
    "gpg2": ("gnupg", "dirmngr"),
    "apt-key": ("gnupg", "dirmngr"),
    "go": ("golang",),
    "cargo": ("cargo",),
}
"""Packages that bring the fetching program (and, as a recommendation, the certificates)."""


@dataclass(frozen=True, slots=True)
class _Fetch:
    instruction: Instruction
    offset: int
    program: str | None


def _ca_needed(
    ctx: FixContext, fixable: Sequence[tuple[Instruction, _apt.AptCall]]
) -> dict[int, int]:
    """The fixed installs that must also install ``ca-certificates``, by the offset of
    their command, with the line of the https fetch that needs it.

    Fetches are taken in file order. A fetch is covered when the base image ships
    the certificates, when they are installed by name before it in its image, or
    when an install chosen for an earlier fetch of the same image adds them.
    Otherwise one fixed install before it gets them: the last that installs the
    fetching program, else the last one.
    """
    chosen: dict[int, int] = {}
    if not fixable:
        return chosen
    for fetch in _https_fetches(ctx):
        ins = fetch.instruction
        if _base_has_ca(ctx, ins):
            continue
        earlier = [e for e in ctx.earlier_in_image(ins) if e.keyword != "ONBUILD"]
        if any(_CA_WORD.search(e.render()) for e in earlier):
            continue
        if _CA_WORD.search(ctx.text[ins.args.start : fetch.offset]):
            continue
        before = {id(e) for e in earlier}
        candidates = [
            call
            for owner, call in fixable
            if id(owner) in before or (owner is ins and call.command.start < fetch.offset)
        ]
        if not candidates or any(c.command.start in chosen for c in candidates):
            continue
        tools = _TOOL_PACKAGES.get(fetch.program or "", ())
        bringing = [c for c in candidates if any(p.startswith(tools) for p in _package_names(c))]
        target = (bringing or candidates)[-1] if tools else candidates[-1]
        chosen[target.command.start] = ctx.text.count("\n", 0, fetch.offset) + 1
    return chosen


def _base_has_ca(ctx: FixContext, ins: Instruction) -> bool:
    """Whether the image the RUN starts from is known to ship ``ca-certificates``.

    A reference with a variable in its tag (``python:${VERSION}``) still names its
    repository; a tag that cannot be read is not taken to be a slim one only where
    every tag of the repository ships the certificates."""
    base = ctx.base_of(ins)
    text = base.reference
    if text is None:
        stage = ctx.stage_of(ins)
        if stage is None or base.windows:
            return False
        written = ctx.ancestors(stage)[0].base
        head, colon, tag = written.rpartition(":")
        if not colon or "$" in head or "/" in tag:
            return False
        text = f"{head}:unknown-slim"
    ref = parse_image(text)
    if ref is None:
        return False
    repository = ref.normalized.repository
    if repository.startswith(_OTHER_WITH_CA):
        return True
    if not ref.is_docker_hub:
        return False
    namespace, _, name = ref.normalized.path.rpartition("/")
    if namespace not in ("library", *_ARCH_NAMESPACES):
        return False
    if name in _SLIM_WITHOUT_CA and "slim" in (ref.tag or ""):
        return False
    return name in _OFFICIAL_WITH_CA


def _https_fetches(ctx: FixContext) -> Iterator[_Fetch]:
    """Every https fetch of the file's RUNs that runs in its own image (not ONBUILD)."""
    for ins in ctx.tree.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            argv = exec_args(ins)
            text = " ".join(argv) if argv is not None else ctx.text[ins.args.start : ins.end]
            if _TEXT_FETCH.search(text):
                yield _Fetch(ins, ins.args.start, None)
            continue
        known = _known_values(ctx, ins, script)
        for command in script.commands:
            if _fetches_https(command, known):
                yield _Fetch(ins, command.start, command.program)


def _sets_variables(ctx: FixContext, instruction: Instruction) -> bool:
    return instruction.keyword in ("ENV", "ARG")


def _known_values(ctx: FixContext, ins: Instruction, script: ShellScript) -> dict[str, str]:
    """Variable values a URL may come from: ENV and ARG defaults of the image before
    the RUN, and assignments in the RUN (an ARG without default is left unknown)."""
    out: dict[str, str] = {}
    # Only ENVs and ARGs are read (indexed once per pass), not every earlier instruction.
    for earlier in ctx.earlier_matching(ins, _sets_variables):
        if earlier.keyword == "ENV":
            out.update((kv.key, kv.value) for kv in key_values(earlier))
        elif earlier.keyword == "ARG":
            out.update((k, v) for k, v in arg_defaults(earlier).items() if v is not None)
    for command in script.commands:
        for assignment in command.assignments:
            if assignment.value is not None:
                out[assignment.name] = assignment.value.text
    return out


def _fetches_https(command: Command, known: Mapping[str, str]) -> bool:
    texts = [w.text for w in _apt.words_of(command)]
    joined = " ".join(texts)
    if "git+https://" in joined or _APT_SOURCE.search(joined):
        return True
    program = command.program
    args = command.effective_args
    subcommand = next((w.value for w in args if w.value and not w.value.startswith("-")), None)
    if program in _URL_FETCHERS:
        return _https_url(args, known)
    if program == "git":
        return subcommand in _GIT_FETCHES and _https_url(args, known)
    if program in _KEY_FETCHERS:
        return "hkps://" in joined
    if program == "add-apt-repository":
        return "https://" in joined
    if program == "go":
        return subcommand in _GO_FETCHES
    if program == "cargo":
        return subcommand in _CARGO_FETCHES
    if program in _SHELLS:
        return _TEXT_FETCH.search(joined) is not None
    return False


def _https_url(args: Sequence[Word], known: Mapping[str, str]) -> bool:
    """An https URL among the arguments; a URL in a variable counts unless every
    variable it names is known not to be https."""
    if any("https://" in w.text for w in args):
        return True
    if any("://" in w.text for w in args):
        return False
    for word in args:
        if word.value is not None or word.text.startswith("-"):
            continue
        names = _VARIABLE.findall(word.text)
        if not names or "$(" in word.text or "`" in word.text:
            return True
        for name in names:
            value = known.get(name)
            if value is None or "https://" in value:
                return True
    return False


def _package_names(call: _apt.AptCall) -> list[str]:
    words, args = _after_subcommand(call)
    return [(words[k].value or "").lower() for k in sorted(args.packages)]


def _ca_insertion(
    ctx: FixContext, ins: Instruction, call: _apt.AptCall, placement: _Placement
) -> Edit:
    """``ca-certificates`` added to the call's package list, laid out like it: on a
    line of its own in a list of one package per line, else on the line; in its
    sorted place in a sorted list, else first (on a line of its own: after a first
    package that shares the install's line)."""
    text = ctx.text
    words, args = _after_subcommand(call)
    packages = [words[k] for k in sorted(args.packages)]
    if not packages:
        return Edit.insert(words[-1].end if words else call.command.end, f" {CA_PACKAGE}")
    names = [(w.value or "").lower() for w in packages]
    position = 0
    if all(names) and names == sorted(names):
        position = next((k for k, n in enumerate(names) if n > CA_PACKAGE), len(names))
    starts = [_starts_line(text, w.start) for w in packages]
    # one per line, the first one maybe on the install line with the others aligned under it
    own_lines = all(starts[1:]) and (starts[0] or len(packages) > 1)
    if own_lines and not starts[0]:
        position = max(position, 1)
    if not own_lines:
        if position < len(packages):
            return Edit.insert(packages[position].start, f"{CA_PACKAGE} ")
        return Edit.insert(packages[-1].end, f" {CA_PACKAGE}")
    newline = next((ln.newline for ln in ins.lines if ln.newline), "\n")
    gap = _gap_before_escape(text, packages, ins.escape)
    if position < len(packages):
        anchor = packages[position]
        line_start = text.rfind("\n", 0, anchor.start) + 1
        indent = _moved(placement, line_start) + text[line_start : anchor.start]
        at = _above_comments(text, line_start)
        return Edit.insert(at, f"{indent}{CA_PACKAGE}{gap}{ins.escape}{newline}")
    last = packages[-1]
    line_start = text.rfind("\n", 0, last.start) + 1
    indent = _moved(placement, line_start) + text[line_start : last.start]
    return Edit.insert(last.end, f"{gap}{ins.escape}{newline}{indent}{CA_PACKAGE}")


def _above_comments(text: str, line_start: int) -> int:
    """The start of the comment lines right above a line (a ``# group`` header of the
    package list belongs to the package under it, not to the one put before it)."""
    while line_start > 0:
        previous = text.rfind("\n", 0, line_start - 1) + 1
        if not text[previous:line_start].lstrip(" \t").startswith("#"):
            break
        line_start = previous
    return line_start


def _moved(placement: _Placement, line_start: int) -> str:
    return placement.shift if line_start in placement.moved else ""


def _starts_line(text: str, offset: int) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    return text[line_start:offset].strip(" \t") == ""


def _gap_before_escape(text: str, packages: Sequence[Word], escape: str) -> str:
    """The blanks a package line leaves before its line-continuation escape."""
    for word in packages:
        end = text.find("\n", word.end)
        rest = text[word.end : end if end != -1 else len(text)].rstrip("\r")
        if rest.rstrip(" \t").endswith(escape) and rest.strip(" \t") == escape:
            return rest[: rest.index(escape)]
    return " "
