"""Pass --no-install-recommends to apt-get install.

## What it does

Finds `apt-get install` and `apt install` commands that let apt install
every package the requested ones merely *recommend*, and inserts
`--no-install-recommends` after the options that follow the `install`
word, so that short options stay together (`install -y -q
--no-install-recommends x`, never `-y --no-install-recommends -q`).

When a later command of the image needs a package that the install brought
only as a recommendation, the same fix adds that package to the list (see Fix
safety): `ca-certificates` for an https fetch, `dirmngr` for a keyserver,
Python's headers for a `pip install` that builds from source.

Already clean: `--no-install-recommends`, `--install-recommends=no` (or
`false`, `0`, `off`), `-o APT::Install-Recommends=false` (or `0`,
`no`, `off`). Left alone: an explicit `--install-recommends` or
`-o APT::Install-Recommends=true` (the author wants them), and images whose
Dockerfile configures `APT::Install-Recommends` before the install (for
example in `/etc/apt/apt.conf.d`).

## Why

Recommends are "usually installed together" packages, not dependencies:
`python3-pip` recommends a whole compiler toolchain (`build-essential`,
`python3-dev`), `git` recommends `openssh-client`, `patch` and `less`.
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
saying so. The failures the fix can foresee it prevents, from one table of
(what a later command needs) -> (the package the flag would drop), each added
to the package list when the RUN, or a later RUN of the image (its stage, or a
stage built FROM it), needs it and the image does not already have it
(installed by name earlier, or earlier in the same RUN, or shipped by the base):

| later command | needs | because (Debian 12, `apt-cache show`) |
|---|---|---|
| https fetch | `ca-certificates` | `curl` Depends `libcurl4`: Recommends it |
| keyserver use | `dirmngr` | `gpg` Recommends `gnupg`: Depends on it |
| `pip install` build | `python3-dev` | `python3-pip` Recommends it, `build-essential` |
| C compile with `gcc` | `libc6-dev` | `gcc` Recommends `libc6-dev` |
| ssh use | `openssh-client` | `git` Recommends `ssh-client`, `mercurial` it |

(`wget` and `git` also only recommend `ca-certificates`; `gnupg2`
Depends `gnupg`; `python3-dev` Depends, through `libpython3.11-dev` and
`zlib1g-dev`, on `libc6-dev`, which `gcc` only Recommends.)

Without `ca-certificates` a `curl https://...` fails with a certificate
error, and `curl ... | sh` may even exit 0 and ship an image without the
tool. What counts as an https fetch: `curl`/`wget`/`wget2`/`aria2c` and
`git clone`/`fetch`/`pull`/`submodule`/`ls-remote` of a URL that is
or may be https; `git+https://` requirements (pip and npm run git); `gpg
--keyserver hkps://...`; an apt source `deb https://...` written by the RUN,
or `add-apt-repository` of one; `go get`/`go install`/`go mod` and
`cargo install`/`fetch`/`build`. Not counted: `pip` (it carries its own
certificates; Debian's `python3-pip` depends on `ca-certificates`), `npm`
and `node` (built-in roots; Debian's `nodejs` depends on it), `gem`
(`rubygems-integration` depends on it), `ADD https://...` (the builder
fetches, not the image).

A URL may be https unless its value is proven otherwise. Variables are resolved
through each other: an ENV (which wins over an ARG of the same name, and is
inherited from the stage built on), an ARG default of the stage (an ARG without
default takes the global ARG's default), and the RUN's own assignments,
`export`/`declare`/`local` included (`ARG ROOT=https://x`, `ENV
ROOT=$ROOT`, then `U="$ROOT/y" && curl "$U"`). What cannot be known counts
as possibly https: a variable the file never sets (the base image or a
`--build-arg` may), `${V:-default}` of such a variable, a command
substitution (`U=$(printf ...)`), a pattern operator (`${U/http/https}`),
a loop or `read` variable, a URL list read from a file (`wget -i`,
`curl -K`). A value is proven not https once its scheme is: plain
`http://` (`http://$HOST/$(uname -m)` too), another scheme, or a path.
Values of options that name a file, a header or a number (`-o "$DEST"`,
`-H`) are not URLs.

`dirmngr` is what gpg runs to reach a keyserver or a web key directory:
`gpg --recv-keys`/`--recv-key`/`--fetch-keys`/`--search-keys`/
`--refresh-keys`/`--locate-keys`/`--keyserver`/`--auto-key-locate`,
and `apt-key adv --keyserver`; without it gpg fails with "No dirmngr". It
is added to an install of `gpg` that names neither `dirmngr` nor
`gnupg`/`gnupg2` (both depend on it from Debian 10 and Ubuntu 18.04 on);
on Debian 9, whose `gnupg` only recommends `dirmngr`, to an install of
`gnupg` too. Bases that ship it: the non-slim tags of `buildpack-deps` and
the official images built on it.

`python3-pip` recommends `build-essential` and `python3-dev`; without
them a `pip install` of a package with a C extension fails (or silently
installs a slower pure-Python fallback). A `pip install` (`pip3`,
`python3 -m pip`...) counts when it may build from source: packages from an
index, a requirements file, an editable or a VCS requirement, a list in a
variable; not when it has `--only-binary :all:` or `--no-index`, nor when
it installs only local wheels or pip's own tools (`pip`, `setuptools`,
`wheel`, `virtualenv`). When such a `pip install` follows an install of
`python3-pip` and nothing in the image names Python 3's headers
(`python3-dev`, `python3.X-dev`, `libpython3-dev`; `python-dev` is
Python 2's), the outcome depends on intent:

- a compiler is named in the image before the `pip install` (`gcc`,
  `g++`, `clang`, `build-essential`, versioned or not): the build is
  meant, so the fix also installs `python3-dev` and, unless named,
  `build-essential` -- exactly the two recommends the flag drops
  (`python3-dev` brings `libc6-dev`, which `gcc` only recommends);
- no compiler is named: the install is reported without a fix. Whether the
  packages have wheels for the platform cannot be told from the file, and
  adding a compiler the author did not ask for would be a guess.

`python-pip` (Python 2) is read the same way with `python-dev`. Base images
whose `pip` is their own, with its headers (`python`, `pypy`), are left
out of this rule.

Base images known to ship `ca-certificates`, read from their Dockerfiles:
`buildpack-deps` and the official images built on it (`golang`, `gcc`,
the non-slim `node`, `erlang` and `elixir`), `python`, `pypy`,
`ruby`, `rust`, `perl`, `php` (and `wordpress`, `drupal`),
`openjdk`, `eclipse-temurin` (and `tomcat`, `maven`, `gradle`),
`haskell`, `julia`, `httpd`, `haproxy`, `mongo`, `rabbitmq`,
Microsoft's `dotnet` images and `nvidia/cuda`. Not `debian`, `ubuntu`,
`node:*-slim` (its build purges curl and the certificates), `postgres`,
`redis` or `memcached`.

An ssh use is `ssh`, `scp`, `sftp`, `ssh-keyscan`, `ssh-keygen`, `ssh-add`
or `ssh-agent` run by name, or a `git`, `hg` or `pip` command given an ssh
URL written out (`git@github.com:org/repo`, `ssh://`, `git+ssh://`);
`openssh-client` goes to the last fixed install of `git` (or `mercurial`)
before it, unless the client is named before it or the base is a non-slim
official image built on `buildpack-deps` (its `scm` layer ships it).

Other recommended packages the image may need are not foreseen: an
`http://` URL that redirects to https needs the certificates; a C++
extension with only `gcc` named needs `g++` (it comes with
`build-essential`); `cmake` and `cpanminus` only recommend `make`, `rustc`
`cargo`, `zip` `unzip`, `git` `patch`. Review what apt stops installing
(`apt-get install --dry-run` with and without the flag).

## Caveats

- Where the option goes: after the options that directly follow `install`
  (`-y`, `-q`, `-t bookworm-backports`, `-o X=Y`); without any, in front
  of the argument that follows on the same line, else right after `install`.
  So this fix and MF103's `-y` never insert at the same offset when both
  apply, and the result does not depend on which runs first. Continuation lines
  aligned under a word the flag pushes right (`install autoconf \\` over
  `        automake \\`) move right with it.
- Where `ca-certificates` goes: in a list with one package per line, on a
  line of its own like the others (above a `# comment` line that heads the
  package it goes before); else on the line, before the first package.
  In a sorted list it takes its sorted place (so does every added package;
  several go in name order). It goes to the last fixed install
  before the fetch that installs the fetching program (`curl`, `wget`,
  `git`, `gnupg`...), else to the last fixed install before it.
  `openssh-client` goes to the last fixed install of `git` before the ssh use,
  `dirmngr` to the last fixed install of `gpg` before the keyserver
  use, Python's headers to the last fixed install of `python3-pip` before
  the `pip install`.
- A non-literal argument that could expand to options (`apt-get install $OPTS x`)
  may hold the flag: reported without a fix.
- Only `install` is covered (not `build-dep`, `reinstall` or upgrades);
  `aptitude` is not read.
- Skipped: Windows images, `ONBUILD` triggers, exec-form `RUN`s, scripts that
  do not parse, and simulations (`-s`).

## Related

hadolint DL3015 ("Avoid additional packages by specifying
`--no-install-recommends`"), which covers `apt-get install` only.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import global_arg_values
from manifesto.cst.values import arg_defaults, exec_args, key_values
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.images import expand, parse_image, referenced_variables
from manifesto.layout import OptionInsertion, insert_option
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
    placement: OptionInsertion | None = None


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    outcomes = list(_outcomes(tree, ctx))
    fixable = [(o.instruction, o.call) for o in outcomes if o.placement is not None and o.call]
    # Decided first: an install left without a fix loses no recommends to cover.
    pip = _pip_needed(ctx, fixable) if fixable else {}
    fixable = [(o, c) for o, c in fixable if not _reported(pip.get(c.command.start))]
    needs_ca = _ca_needed(ctx, fixable)
    needs_dirmngr = _dirmngr_needed(ctx, fixable) if fixable else {}
    needs_libc = _libc_needed(ctx, fixable)
    needs_ssh = _ssh_client_needed(ctx, fixable) if fixable else {}
    for outcome in outcomes:
        call = outcome.call
        if call is None:
            continue
        name = f"{call.program} {call.name}"
        message = f"`{name}` also installs recommended packages: pass {FLAG}"
        fixed = None
        placement = outcome.placement
        start = call.command.start
        why = outcome.reason
        needed = pip.get(start)
        if placement is not None and needed is not None and not needed.added:
            placement, why = None, needed.reason
        if placement is not None:
            additions: list[tuple[tuple[str, ...], str]] = []
            if start in needs_ca:
                additions.append(
                    ((CA_PACKAGE,), f"the https fetch on line {needs_ca[start]} needs")
                )
            if start in needs_dirmngr:
                line = needs_dirmngr[start]
                additions.append((("dirmngr",), f"the keyserver use on line {line} needs"))
            if start in needs_ssh:
                line = needs_ssh[start]
                additions.append(((SSH_PACKAGE,), f"the ssh use on line {line} needs"))
            if needed is not None:
                line = needed.line
                additions.append(
                    (needed.added, f"the `pip install` on line {line} needs to build from source")
                )
            elif start in needs_libc:
                additions.append((("libc6-dev",), "`gcc` needs to compile C"))
            title = f"Insert {FLAG} after `{name}`"
            if additions:
                title += " and install " + ", and ".join(
                    f"{' and '.join(packages)}, which {what}" for packages, what in additions
                )
            inserted = sorted(p for packages, _ in additions for p in packages)
            edits = _merged(
                placement.edits[0],
                *(
                    _package_insertion(ctx, outcome.instruction, call, placement, p)
                    for p in inserted
                ),
                *placement.edits[1:],
            )
            fixed = Fix(title, edits, Applicability.UNSAFE)
        else:
            message += f" (no fix: {why})"
        reason = None if fixed is not None else no_fix(why)
        yield Violation(INFO.code, message, call.command.start, call.command.end, fixed, reason)


def _reported(needed: _PipOutcome | None) -> bool:
    return needed is not None and not needed.added


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


def _placement(text: str, call: _apt.AptCall) -> OptionInsertion:
    """Where the flag goes: after the options that directly follow ``install``; else in
    front of the argument that follows on the same line; else right after ``install``.

    Continuation lines of the command aligned under a word the flag pushes right
    (``install autoconf \\`` over ``        automake``) move right with it."""
    sub = call.subcommand
    assert sub is not None
    words, first = _after_subcommand(call)
    last_option: Word | None = None
    for k, word in enumerate(words):
        # after ``--`` every word is a package: the flag goes in front of it
        if k in first.packages or k >= first.stop or word.value == "--":
            break
        last_option = word
    after = call.after_subcommand
    if last_option is not None:
        edit = Edit.insert(last_option.end, f" {FLAG}")
    elif after is not None and text[sub.end : after.start].strip(" \t") == "":
        edit = Edit.insert(after.start, f"{FLAG} ")
    else:
        edit = Edit.insert(sub.end, f" {FLAG}")
    return insert_option(text, edit.start, edit.content, call.command.end)


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
    targets: list[tuple[Instruction, int]] = []  # owner and offset of each chosen install
    if not fixable:
        return chosen
    for fetch in _https_fetches(ctx):
        ins = fetch.instruction
        if _base_has_ca(ctx, ins):
            continue
        # Indexed: each instruction is searched once per pass, not once per later fetch.
        if next(ctx.earlier_matching(ins, _names_ca_outside_onbuild), None) is not None:
            continue
        if _CA_WORD.search(ctx.text[ins.args.start : fetch.offset]):
            continue
        # An install already chosen for an earlier fetch of this image covers this one:
        # asked of the few chosen installs before every candidate is listed (which, for
        # every fetch of a long file, would be quadratic).
        if any(
            (owner.keyword != "ONBUILD" and ctx.is_earlier_in_image(owner, ins))
            or (owner is ins and start < fetch.offset)
            for owner, start in targets
        ):
            continue
        earlier = [e for e in ctx.earlier_in_image(ins) if e.keyword != "ONBUILD"]
        before = {id(e) for e in earlier}
        owned = [
            (owner, call)
            for owner, call in fixable
            if id(owner) in before or (owner is ins and call.command.start < fetch.offset)
        ]
        candidates = [call for _, call in owned]
        if not candidates or any(c.command.start in chosen for c in candidates):
            continue
        tools = _TOOL_PACKAGES.get(fetch.program or "", ())
        bringing = [c for c in candidates if any(p.startswith(tools) for p in _package_names(c))]
        target = (bringing or candidates)[-1] if tools else candidates[-1]
        chosen[target.command.start] = ctx.text.count("\n", 0, fetch.offset) + 1
        targets += [(owner, call.command.start) for owner, call in owned if call is target]
    return chosen


def _names_ca_outside_onbuild(ctx: FixContext, instruction: Instruction) -> bool:
    return instruction.keyword != "ONBUILD" and _CA_WORD.search(instruction.render()) is not None


def _base_has_ca(ctx: FixContext, ins: Instruction) -> bool:
    """Whether the image the RUN starts from is known to ship ``ca-certificates``."""
    found = _base_repository(ctx, ins)
    if found is None:
        return False
    name, tag = found
    if name.startswith(_OTHER_WITH_CA):
        return True
    if name in _SLIM_WITHOUT_CA and "slim" in tag:
        return False
    return name in _OFFICIAL_WITH_CA


def _base_repository(ctx: FixContext, ins: Instruction) -> tuple[str, str] | None:
    """The repository of the image the RUN starts from (a Docker Hub official image
    by its bare name, ``python``) and its tag; ``None`` when unknown.

    A reference with a variable in its tag (``python:${VERSION}``) still names its
    repository; a tag that cannot be read is taken to be a slim one, so that only
    what every tag of the repository ships counts."""
    base = ctx.base_of(ins)
    text = base.reference
    if text is None:
        stage = ctx.stage_of(ins)
        if stage is None or base.windows:
            return None
        written = ctx.ancestors(stage)[0].base
        head, colon, tag = written.rpartition(":")
        if not colon or "$" in head or "/" in tag:
            return None
        text = f"{head}:unknown-slim"
    ref = parse_image(text)
    if ref is None:
        return None
    tag = ref.tag or ""
    if ref.is_docker_hub:
        namespace, _, name = ref.normalized.path.rpartition("/")
        if namespace in ("library", *_ARCH_NAMESPACES):
            return name, tag
    return ref.normalized.repository, tag


def _base_name(ctx: FixContext, ins: Instruction) -> str | None:
    found = _base_repository(ctx, ins)
    return None if found is None else found[0]


def _slim(ctx: FixContext, ins: Instruction) -> bool:
    """The base's tag is a slim one, or cannot be read."""
    found = _base_repository(ctx, ins)
    return found is None or "slim" in found[1]


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
        values = _Values(ctx, ins, script)
        for command in script.commands:
            if _fetches_https(command, values):
                yield _Fetch(ins, command.start, command.program)


class _Values:
    """What the variables of one RUN may hold where it fetches: the values the RUN
    assigns (plain assignments, ``export``/``declare``/``local``/``readonly``), and
    the ENV and ARG values of the image before it, each resolved through the
    variables it refers to in turn (``ENV X=$ARG``, ``U="$X/y"``).

    A value is a list of the strings it may expand to, or ``None`` when any part
    of it cannot be known: a variable nothing in the file sets (the base image's
    ENV or a ``--build-arg`` may), an ARG without default, a command substitution,
    an arithmetic expansion, a pattern operator, a loop or ``read`` variable, or a
    chain deeper than :data:`_MAX_DEPTH`. Unknown counts as possibly https.
    """

    __slots__ = ("_assigned", "_ctx", "_image", "_ins", "_unknown")

    def __init__(self, ctx: FixContext, ins: Instruction, script: ShellScript) -> None:
        self._ctx = ctx
        self._ins = ins
        self._assigned: dict[str, list[tuple[int, str]]] = {}
        """Each name's values assigned in the RUN, with the offset of the assignment."""
        self._unknown: set[str] = set()
        self._image: dict[str, str] = {}
        for command in script.commands:
            for assignment in command.assignments:
                text = "" if assignment.value is None else assignment.value.text
                self._assign(assignment.name, assignment.start, text, appended=assignment.append)
            if command.kind == "declaration":
                for word in command.args:
                    if word.kind == "variable_assignment":
                        name, _, text = word.text.partition("=")
                        appended = name.endswith("+")
                        self._assign(name.rstrip("+"), word.start, text, appended=appended)
            elif command.program in _READERS:
                self._unknown.update(w.value for w in command.args if w.value and w.value[0] != "-")
        self._unknown.update(_LOOP_VARIABLE.findall(script.source.text))
        self._unknown.add(_SUBSTITUTION)

    def _assign(self, name: str, at: int, text: str, *, appended: bool) -> None:
        if appended:
            self._unknown.add(name)  # ``X+=y``: what it adds to is not tracked
        self._assigned.setdefault(name, []).append((at, text))

    def expansions(
        self, text: str, at: int, seen: frozenset[str] = frozenset()
    ) -> list[str] | None:
        """The strings a shell word at file offset ``at`` may expand to, with
        :data:`_UNKNOWN` standing for each variable whose value cannot be known;
        ``None`` when the word as a whole cannot be (a command substitution in an
        odd place, a pattern operator, too many values)."""
        text = _substitutions_unknown(text)
        if len(seen) > _MAX_DEPTH or "$(" in text or "`" in text:
            return None
        names = referenced_variables(text)
        choices = [self._possible(name, at, seen) for name in names]
        if any(possible is None for possible in choices):
            return None
        out: list[str] = []
        combinations = itertools.product(*(c for c in choices if c is not None))
        for combination in itertools.islice(combinations, _MAX_EXPANSIONS + 1):
            value = expand(text, dict(zip(names, combination, strict=True)))
            if value is None or len(out) == _MAX_EXPANSIONS:
                return None
            out.append(value)
        return out

    def _possible(self, name: str, at: int, seen: frozenset[str]) -> list[str] | None:
        if name in self._unknown:
            return [_UNKNOWN]
        assigned = [text for start, text in self._assigned.get(name, ()) if start < at]
        if not assigned or name in seen:
            # Not yet assigned by the RUN where the word is; in ``X="$X/y"`` the X on
            # the right is the value from before the RUN.
            if name not in self._image:
                self._image[name] = _image_value(self._ctx, self._ins, name, 0)
            return [self._image[name]]
        # Assigned by the RUN before the word (in any branch): the image's value is
        # overwritten.
        out: list[str] = []
        for text in assigned:
            values = self.expansions(text, at, seen | {name})
            if values is None:
                return None
            out += values
        return out


_UNKNOWN: Final = "\x00"
"""Stands in an expansion for a value that cannot be known."""
_SUBSTITUTION: Final = "MANIFESTO_COMMAND_SUBSTITUTION"
"""The variable a command substitution is read as: its output cannot be known."""


def _substitutions_unknown(text: str) -> str:
    """``text`` with each command substitution (``$(...)``, nested ones included, and
    backquotes) replaced by a variable of unknown value, so that what is around it
    is still read (``http://x/$(uname -m)`` is http). Arithmetic (``$((``) and
    unbalanced text are left as they are: the word then counts as unknown."""
    out: list[str] = []
    k = 0
    while k < len(text):
        if text.startswith("$(", k) and not text.startswith("$((", k):
            depth, end = 0, k + 1
            while end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
            if depth != 0:
                return text
            out.append(f"${{{_SUBSTITUTION}}}")
            k = end + 1
        elif text[k] == "`":
            end = text.find("`", k + 1)
            if end == -1:
                return text
            out.append(f"${{{_SUBSTITUTION}}}")
            k = end + 1
        else:
            out.append(text[k])
            k += 1
    return "".join(out)


_MAX_DEPTH: Final = 8
"""Variables resolved through more references than this count as unknown."""
_MAX_EXPANSIONS: Final = 16
"""A word with more possible values than this (variables assigned in several
branches, combined) counts as unknown."""
_READERS: Final = frozenset({"read", "mapfile", "readarray", "getopts"})
_LOOP_VARIABLE: Final = re.compile(r"(?<![\w$])(?:for|select)\s+([A-Za-z_][A-Za-z0-9_]*)\b")


def _image_value(ctx: FixContext, ins: Instruction, name: str, depth: int) -> str:
    """The value ENV or ARG gives ``name`` at ``ins``, its own references resolved, with
    :data:`_UNKNOWN` for what the file does not tell (``ENV U=http://$HOST/x`` is
    ``http://<unknown>/x``: its scheme is known).

    ENV wins over an ARG of the same name wherever it is (as in BuildKit), and is
    inherited from the stages the image is built FROM; an ARG is seen only in its
    own stage, and one without a default takes the default of the global ARG of
    the same name (or a ``--build-arg``: unknown). A variable the file never sets
    may come from the base image: unknown."""
    if depth > _MAX_DEPTH:
        return _UNKNOWN
    setters = list(
        ctx.earlier_matching(
            ins, lambda _, item: _declares(item, name), key=("MF104 declares", name)
        )
    )
    envs = [s for s in setters if s.keyword == "ENV"]
    if envs:
        setter = envs[-1]
    else:
        stage = ctx.stage_of(ins)
        args = [s for s in setters if stage is not None and ctx.stage_of(s) is stage]
        if not args:
            return _UNKNOWN
        setter = args[-1]
        if arg_defaults(setter).get(name) is None:
            found = ctx.cached(("MF104 global ARGs",), lambda: global_arg_values(ctx.tree))
            return found.get(name, _UNKNOWN)
    raw = next(kv.raw_value for kv in reversed(key_values(setter)) if kv.key == name)
    values = {
        reference: _image_value(ctx, setter, reference, depth + 1)
        for reference in referenced_variables(raw, escape=setter.escape)
    }
    value = expand(raw, values, escape=setter.escape)
    return _UNKNOWN if value is None else value


def _declares(instruction: Instruction, name: str) -> bool:
    """An ENV that sets ``name``, or an ARG that declares it (default or not)."""
    if instruction.keyword == "ENV":
        return any(kv.key == name for kv in key_values(instruction))
    return instruction.keyword == "ARG" and name in arg_defaults(instruction)


def _fetches_https(command: Command, values: _Values) -> bool:
    texts = [w.text for w in _apt.words_of(command)]
    joined = " ".join(texts)
    if "git+https://" in joined or _APT_SOURCE.search(joined):
        return True
    program = command.program
    args = command.effective_args
    subcommand = next((w.value for w in args if w.value and not w.value.startswith("-")), None)
    if program in _URL_FETCHERS:
        return _fetcher_https(program, args, values)
    if program == "git":
        return subcommand in _GIT_FETCHES and _git_https(args, values)
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


def _may_be_https(word: Word, values: _Values) -> bool:
    """Whether a word may be an https URL: it says ``https://``, or it may expand to
    something that does, or whose scheme cannot be known. Only a value proven to
    be plain ``http://`` (or another scheme, or a path) is not; a value is known
    not to be https once its scheme is (``http://$HOST/$FILE``)."""
    if word.value is not None:
        return "https://" in word.value
    if "https://" in word.text:
        return True
    possible = values.expansions(word.text, word.start)
    if possible is None:
        return True
    for value in possible:
        scheme_end = value.find("://")
        head = value if scheme_end == -1 else value[:scheme_end]
        if "https://" in value or _UNKNOWN in head:
            return True
    return False


def _fetcher_https(program: str, args: Sequence[Word], values: _Values) -> bool:
    """A ``curl``/``wget``/``aria2c`` command that may fetch an https URL: any of its
    words that is not an option, nor the value of an option that names a file, a
    header or a number, may be one; a list of URLs read from a file counts."""
    valued, short, from_file = _FETCHER_OPTIONS[program.removesuffix("2")]
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        text = word.value if word.value is not None else word.text.lstrip("\"'")
        if text.startswith("--"):
            option, eq, _ = text.partition("=")
            if option in from_file:
                return True
            if eq and option not in valued and _may_be_https(word, values):
                return True  # ``--url=https://...``
            skip = option in valued and not eq
            continue
        if text.startswith("-") and len(text) > 1:
            # ``-fsSLo out``: a letter that takes a value takes the rest of its
            # cluster (``-o/tmp/x``), or the next word when it is the last one.
            for k, letter in enumerate(text[1:], 1):
                if f"-{letter}" in from_file:
                    return True
                if letter in short:
                    skip = k == len(text) - 1
                    break
            continue
        if _may_be_https(word, values):
            return True
    return False


def _git_https(args: Sequence[Word], values: _Values) -> bool:
    """A ``git clone``/``fetch``/``pull``/... whose repository (the first word after
    the subcommand that is not an option) may be an https URL."""
    words = iter(args)
    for word in words:
        if word.value in ("-C", "-c"):
            next(words, None)  # ``git -C dir`` / ``git -c key=value`` before the subcommand
        elif word.value is None or not word.value.startswith("-"):
            break  # the subcommand
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.value is not None and word.value.startswith("-"):
            skip = word.value in _GIT_VALUED
            continue
        return _may_be_https(word, values)
    return False


_FETCHER_OPTIONS: Final[Mapping[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]] = {
    "curl": (
        frozenset(
            [
                "--output",
                "--header",
                "--data",
                "--data-raw",
                "--data-binary",
                "--data-urlencode",
                "--user",
                "--user-agent",
                "--write-out",
                "--max-time",
                "--connect-timeout",
                "--retry",
                "--retry-delay",
                "--retry-max-time",
                "--cookie",
                "--cookie-jar",
                "--form",
                "--upload-file",
                "--request",
                "--range",
                "--continue-at",
                "--cacert",
                "--capath",
                "--cert",
                "--key",
                "--output-dir",
                "--time-cond",
                "--referer",
                "--proxy",
                "--limit-rate",
                "--max-filesize",
                "--speed-limit",
                "--speed-time",
                "--stderr",
                "--trace",
                "--trace-ascii",
                "--dump-header",
            ]
        ),
        frozenset("oHduAwmbcFTXrCEzexYyD"),
        frozenset({"-K", "--config"}),
    ),
    "wget": (
        frozenset(
            [
                "--output-document",
                "--directory-prefix",
                "--output-file",
                "--append-output",
                "--user-agent",
                "--header",
                "--tries",
                "--timeout",
                "--wait",
                "--user",
                "--password",
                "--http-user",
                "--http-password",
                "--ca-certificate",
                "--ca-directory",
                "--post-data",
                "--post-file",
                "--referer",
                "--execute",
                "--quota",
                "--level",
                "--accept",
                "--reject",
                "--domains",
            ]
        ),
        frozenset("OPoaUtTweQlARD"),
        frozenset({"-i", "--input-file"}),
    ),
    "aria2c": (
        frozenset(
            [
                "--out",
                "--dir",
                "--split",
                "--max-connection-per-server",
                "--max-concurrent-downloads",
            ]
        ),
        frozenset("odsxjk"),
        frozenset({"-i", "--input-file"}),
    ),
}
"""Per program: long options whose value is not a URL, short options that take a
value, and options that read the URLs from a file. ``wget2`` reads as ``wget``."""
_GIT_VALUED: Final = frozenset(
    {"-b", "--branch", "--depth", "-c", "--config", "--reference", "-o", "--origin"}
    | {"--separate-git-dir", "-j", "--jobs", "--filter", "-u", "--upload-pack"}
)


# --------------------------------------------------------------------------- other recommends


@dataclass(frozen=True, slots=True)
class _Use:
    """A command that needs a package the flag may drop: a keyserver use or a
    ``pip install`` that may build from source."""

    instruction: Instruction
    offset: int

    def line(self, ctx: FixContext) -> int:
        return ctx.text.count("\n", 0, self.offset) + 1


@dataclass(frozen=True, slots=True)
class _PipOutcome:
    """What a fixed install of ``python3-pip`` needs for a later ``pip install``."""

    line: int
    added: tuple[str, ...]
    """The packages to add with the flag; empty: report without a fix."""
    pip: str
    """``python3-pip`` or ``python-pip``."""

    @property
    def reason(self) -> str:
        return (
            f"{self.pip} recommends build-essential and {_DEV_PACKAGE[self.pip]}, which the"
            f" `pip install` on line {self.line} may need to build packages from source;"
            " the install names no compiler to tell"
        )


_KEYSERVER_OPTIONS: Final = frozenset(
    {"--recv-keys", "--recv-key", "--recv", "--receive-keys", "--fetch-keys", "--fetch-key"}
    | {"--search-keys", "--search-key", "--refresh-keys", "--locate-keys", "--keyserver"}
    | {"--locate-external-keys", "--locate-external-key", "--auto-key-locate"}
    | {"--auto-key-retrieve"}
)
"""gpg options that ask dirmngr to reach a keyserver or a web key directory
(``apt-key adv`` passes them to gpg)."""
_KEYSERVER_TEXT: Final = re.compile(
    r"\b(?:gpg2?|apt-key\s+adv)\b[^\n;&|]*--(?:recv|receive-keys|fetch-key|search-key"
    r"|refresh-keys|locate-|keyserver\b|auto-key-(?:locate|retrieve))"
)
"""A keyserver use in the text of a RUN whose shell is not read, or of ``sh -c``."""
_DIRMNGR_WORD: Final = re.compile(r"(?<![\w.+/-])dirmngr(?![\w.+-])")
_GNUPG_WORD: Final = re.compile(r"(?<![\w.+/-])(?:dirmngr|gnupg2?)(?![\w.+-])")
"""``gnupg`` (and ``gnupg2``, which depends on it) depends on ``dirmngr`` from
Debian 10 and Ubuntu 18.04 on."""
_OFFICIAL_WITH_DIRMNGR: Final = frozenset(
    {"buildpack-deps", "golang", "gcc", "python", "ruby", "rust", "perl", "node", "erlang"}
    | {"elixir"}
)
"""Docker Hub official images whose non-slim Debian tags ship ``gnupg`` (and so
``dirmngr``): ``buildpack-deps``'s ``curl`` layer installs it, and these build on
``buildpack-deps``."""

_PIP_PACKAGES: Final = frozenset({"python3-pip", "python-pip"})
_DEV_PACKAGE: Final = {"python3-pip": "python3-dev", "python-pip": "python-dev"}
_DEV_WORD: Final = {
    "python3-pip": re.compile(r"(?<![\w.+/-])(?:lib)?python3(?:\.\d+)?(?:-all)?-dev(?![\w.+-])"),
    "python-pip": re.compile(
        r"(?<![\w.+/-])(?:lib)?python(?:2(?:\.\d+)?)?(?:-all)?-dev(?![\w.+-])"
    ),
}
"""The headers of the pip's Python named as a package: ``python3-dev``,
``python3.11-dev``, ``libpython3-dev``, ``python3-all-dev``; for Python 2's pip
``python-dev``, ``python2.7-dev``... (``python-dev`` does not serve ``pip3``)."""
_COMPILER_WORD: Final = re.compile(
    r"(?<![\w.+/-])(?:build-essential|gcc|g\+\+|clang)(?:-\d+(?:\.\d+)*)?(?![\w.+-])"
)
"""A C or C++ compiler named as a package: ``gcc``, ``gcc-12``, ``g++``, ``clang-15``,
``build-essential``."""
_BUILD_ESSENTIAL_WORD: Final = re.compile(r"(?<![\w.+/-])build-essential(?![\w.+-])")
_OWN_PYTHON: Final = frozenset({"python", "pypy"})
"""Official images whose ``pip`` (first on ``PATH``) is their own, with its headers."""
_PIP_PROGRAM: Final = re.compile(r"pip[23]?(?:\.\d+)?")
_PYTHON_PROGRAM: Final = re.compile(r"python[23]?(?:\.\d+)?")
_PIP_VALUED: Final = frozenset(
    {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url"}
    | {"--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root"}
    | {"--src", "--platform", "--python-version", "--implementation", "--abi"}
    | {"--no-binary", "--only-binary", "--progress-bar", "--upgrade-strategy", "--cache-dir"}
    | {"--log", "--timeout", "--retries", "--proxy", "--cert", "--client-cert"}
    | {"--trusted-host", "--global-option", "--install-option", "-C", "--config-settings"}
    | {"--exists-action", "--report", "--python", "--keyring-provider", "--root-user-action"}
)
"""pip options that take a value (``-r file``, ``--only-binary :all:``)."""
_PURE_PYTHON: Final = frozenset({"pip", "setuptools", "wheel", "virtualenv"})
"""Requirements that never build anything (pure-Python wheels, and so are their
dependencies): ``pip install -U pip setuptools wheel`` needs no compiler."""


def _dirmngr_needed(
    ctx: FixContext, fixable: Sequence[tuple[Instruction, _apt.AptCall]]
) -> dict[int, int]:
    """The fixed installs that must also install ``dirmngr``, by the offset of their
    command, with the line of the keyserver use that needs it.

    A keyserver use is covered when the base image ships ``gnupg``, or when
    ``dirmngr`` or ``gnupg`` is named before it in its image. Otherwise the last
    fixed install before it that installs ``gpg`` without either gets it (on
    Debian 9, whose ``gnupg`` only recommends ``dirmngr``, an install of ``gnupg``
    too)."""
    chosen: dict[int, int] = {}
    installs = [(o, c) for o, c in fixable if {"gpg", "gnupg", "gnupg2"} & _bare_names(c)]
    starts = [call.command.start for _, call in installs]
    decided: set[int] = set()
    for use in _uses(ctx, _keyserver_uses) if installs else ():
        ins = use.instruction
        found = _last_install_before(ctx, installs, starts, use)
        # An install is decided at its first use: what covers that one covers the next.
        if found is None or found.command.start in decided:
            continue
        decided.add(found.command.start)
        stretch = _stretch(ctx, ins)
        if not ({"gpg", "gnupg", "gnupg2"} if stretch else {"gpg"}) & _bare_names(found):
            continue
        if _base_name(ctx, ins) in _OFFICIAL_WITH_DIRMNGR and not _slim(ctx, ins):
            continue
        if not _named_before(ctx, use, _DIRMNGR_WORD if stretch else _GNUPG_WORD):
            chosen[found.command.start] = use.line(ctx)
    return chosen


SSH_PACKAGE = "openssh-client"
_SSH_RECOMMENDERS: Final = frozenset({"git", "mercurial"})
"""Debian 12: ``git`` Recommends ``ssh-client`` (which ``openssh-client`` provides),
``mercurial`` Recommends ``openssh-client``: neither depends on it."""
_SSH_PROGRAMS: Final = frozenset(
    {"ssh", "scp", "sftp", "ssh-keyscan", "ssh-keygen", "ssh-add", "ssh-agent"}
)
_SSH_URL: Final = re.compile(r"(?:git\+)?ssh://|(?<![/\w.-])[\w.-]+@[\w.-]+:(?![\d/])")
"""An ssh URL, or git's scp-like ``git@github.com:org/repo`` (not ``https://u@h:8080``)."""
_SSH_CLIENT_WORD: Final = re.compile(
    r"(?<![\w.+/-])(?:openssh-client|ssh-client|openssh-server)(?![\w.+-])"
)


def _ssh_client_needed(
    ctx: FixContext, fixable: Sequence[tuple[Instruction, _apt.AptCall]]
) -> dict[int, int]:
    """The fixed installs of ``git`` (or ``mercurial``) that must also install
    ``openssh-client``, by the offset of their command, with the line of the ssh use
    that needs it: ``git clone git@host:org/repo``, an ``ssh://`` URL, ``ssh-keyscan``.
    Without the client git fails with "cannot run ssh". Not when the client is named
    before the use, or the base is a non-slim official image built on
    ``buildpack-deps``, whose ``scm`` layer ships it."""
    chosen: dict[int, int] = {}
    installs = [(o, c) for o, c in fixable if _SSH_RECOMMENDERS & _bare_names(c)]
    starts = [call.command.start for _, call in installs]
    decided: set[int] = set()
    for use in _uses(ctx, _ssh_uses) if installs else ():
        found = _last_install_before(ctx, installs, starts, use)
        if found is None or found.command.start in decided:
            continue
        decided.add(found.command.start)
        ins = use.instruction
        if _base_name(ctx, ins) in _OFFICIAL_WITH_DIRMNGR and not _slim(ctx, ins):
            continue
        if not _named_before(ctx, use, _SSH_CLIENT_WORD):
            chosen[found.command.start] = use.line(ctx)
    return chosen


def _ssh_uses(command: Command) -> bool:
    """An ssh client run by name, or a git, hg or pip command given an ssh URL."""
    if command.program in _SSH_PROGRAMS:
        return True
    if command.program not in ("git", "hg", "pip", "pip3"):
        return False
    return any(w.value is not None and _SSH_URL.search(w.value) for w in command.effective_args)


_GCC: Final = re.compile(r"gcc(?:-\d+)?")
_BRINGS_LIBC: Final = re.compile(
    r"libc6?-dev|build-essential|g\+\+(?:-\d+)?|libstdc\+\+-\d+-dev|python3?(?:\.\d+)?-dev"
)
_LIBC_WORD: Final = re.compile(r"(?<![\w.+/-])(?:libc6?-dev|build-essential)(?![\w.+-])")


def _libc_needed(ctx: FixContext, fixable: Sequence[tuple[Instruction, _apt.AptCall]]) -> set[int]:
    """The fixed installs of ``gcc`` that must also install ``libc6-dev``, by the offset
    of their command. Debian's ``gcc`` only recommends ``libc6-dev`` (``libc-dev``):
    without it every C compile fails with "stdio.h: No such file or directory".
    Not when the install also names what brings it (``build-essential``, ``g++``,
    a ``-dev`` of Python), an earlier instruction of the image names it, or the base
    is a non-slim official image built on ``buildpack-deps``, which ships it."""
    out: set[int] = set()
    for ins, call in fixable:
        names = _bare_names(call)
        if not any(_GCC.fullmatch(n) for n in names):
            continue
        if any(_BRINGS_LIBC.fullmatch(n) for n in names):
            continue
        if _base_name(ctx, ins) in _OFFICIAL_WITH_DIRMNGR and not _slim(ctx, ins):
            continue
        if any(_LIBC_WORD.search(i.args_text) for i in ctx.earlier_in_image(ins)):
            continue
        out.add(call.command.start)
    return out


def _pip_needed(
    ctx: FixContext, fixable: Sequence[tuple[Instruction, _apt.AptCall]]
) -> dict[int, _PipOutcome]:
    """The fixed installs of ``python3-pip`` (or ``python-pip``) followed in their
    image by a ``pip install`` that may build from source, while nothing names
    Python's headers: with a compiler in sight the flag comes with the headers
    (and ``build-essential``, pip's other recommendation, unless named); without
    one the install is reported without a fix."""
    chosen: dict[int, _PipOutcome] = {}
    installs = [(o, c) for o, c in fixable if _PIP_PACKAGES & _bare_names(c)]
    starts = [call.command.start for _, call in installs]
    decided: set[int] = set()
    for use in _uses(ctx, _pip_builds) if installs else ():
        ins = use.instruction
        call = _last_install_before(ctx, installs, starts, use)
        if call is None or call.command.start in decided:
            continue
        decided.add(call.command.start)
        pip = sorted(_PIP_PACKAGES & _bare_names(call))[-1]  # python3-pip over python-pip
        if _base_name(ctx, ins) in _OWN_PYTHON or _named_before(ctx, use, _DEV_WORD[pip]):
            continue
        added: tuple[str, ...] = ()
        if _named_before(ctx, use, _COMPILER_WORD):
            added = (_DEV_PACKAGE[pip],)
            if not _named_before(ctx, use, _BUILD_ESSENTIAL_WORD):
                added += ("build-essential",)
        chosen[call.command.start] = _PipOutcome(use.line(ctx), added, pip)
    return chosen


def _last_install_before(
    ctx: FixContext,
    installs: Sequence[tuple[Instruction, _apt.AptCall]],
    starts: Sequence[int],
    use: _Use,
) -> _apt.AptCall | None:
    """The last of ``installs`` (in file order; ``starts`` are their offsets) that runs
    before ``use`` in its image: earlier in its RUN, or in an earlier instruction of
    the image (not ONBUILD).

    Walked from the use backwards (bisected), so that a file with a use in each of
    its RUNs does not read every install for every use."""
    ins = use.instruction
    for k in range(bisect.bisect_left(starts, use.offset) - 1, -1, -1):
        owner, call = installs[k]
        if owner is ins or (owner.keyword != "ONBUILD" and ctx.is_earlier_in_image(owner, ins)):
            return call
    return None


def _named_before(ctx: FixContext, use: _Use, word: re.Pattern[str]) -> bool:
    """Whether ``word`` is in the image before ``use``: in an earlier instruction (not
    an ONBUILD trigger) or earlier in its RUN."""
    ins = use.instruction
    if word.search(ctx.text[ins.args.start : use.offset]):
        return True
    found = ctx.earlier_matching(
        ins,
        lambda _, item: item.keyword != "ONBUILD" and word.search(item.render()) is not None,
        key=("MF104 names", word.pattern),
    )
    return next(found, None) is not None


def _uses(ctx: FixContext, test: Callable[[Command], bool]) -> Iterator[_Use]:
    """The commands of the file's RUNs (in their own image, not ONBUILD) that pass
    ``test``; for a RUN whose shell is not read, its text if it shows a keyserver use."""
    for ins in ctx.tree.instructions:
        if ins.keyword != "RUN" or ctx.windows_at(ins):
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            if test is _keyserver_uses:
                argv = exec_args(ins)
                text = " ".join(argv) if argv is not None else ctx.text[ins.args.start : ins.end]
                if _KEYSERVER_TEXT.search(text):
                    yield _Use(ins, ins.args.start)
            continue
        for command in script.commands:
            if test(command):
                yield _Use(ins, command.start)


def _keyserver_uses(command: Command) -> bool:
    """``gpg --recv-keys``, ``--keyserver``, ``--locate-keys``..., ``apt-key adv
    --keyserver``, or one of them in ``sh -c '...'``."""
    program = command.program
    if program in _SHELLS:
        return _KEYSERVER_TEXT.search(" ".join(w.text for w in command.args)) is not None
    if program not in _KEY_FETCHERS:
        return False
    options = {(w.value or "").partition("=")[0] for w in command.effective_args}
    if program == "apt-key" and "adv" not in options:
        return False
    return bool(options & _KEYSERVER_OPTIONS)


def _pip_builds(command: Command) -> bool:
    """A ``pip install`` (``pip3``, ``python3 -m pip``...) that may build a package
    from source: it installs from an index or a requirements file, not only
    ``--only-binary :all:``, ``--no-index`` or local wheels, and not only pip's own
    packaging tools. A requirement in a variable counts."""
    args = _pip_install_args(command)
    if args is None:
        return False
    builds = False
    k = 0
    while k < len(args):
        word = args[k]
        k += 1
        text = word.value
        if text is None:
            builds = True
            continue
        if text.startswith("-") and text != "-":
            option, eq, value = text.partition("=")
            if not text.startswith("--") and len(text) > 2 and text[:2] in _PIP_VALUED:
                option, eq, value = text[:2], "=", text[2:]
            if option in _PIP_VALUED and not eq:
                value = (args[k].value or "") if k < len(args) else ""
                k += 1
            if (option == "--only-binary" and ":all:" in value) or option == "--no-index":
                return False
            if option in ("-r", "--requirement", "-e", "--editable"):
                builds = True
            continue
        name = re.split(r"[\[<>=!~;@\s]", text, maxsplit=1)[0].lower()
        if not text.endswith(".whl") and name not in _PURE_PYTHON:
            builds = True
    return builds


def _pip_install_args(command: Command) -> Sequence[Word] | None:
    """The words after ``install`` of a pip command; ``None`` for another command."""
    program = command.program or ""
    args = command.effective_args
    if _PYTHON_PROGRAM.fullmatch(program):
        values = [w.value for w in args]
        at = next((k for k, v in enumerate(values[:-1]) if v == "-m"), None)
        if at is None or values[at + 1] != "pip":
            return None
        args = args[at + 2 :]
    elif not _PIP_PROGRAM.fullmatch(program):
        return None
    k = 0
    while k < len(args):
        value = args[k].value
        if value is None or not value.startswith("-"):
            return args[k + 1 :] if value == "install" else None
        k += 2 if value in _PIP_VALUED else 1
    return None


def _stretch(ctx: FixContext, ins: Instruction) -> bool:
    base = ctx.base_of(ins)
    return base.family == "debian" and (base.version == "stretch" or base.major == 9)


def _bare_names(call: _apt.AptCall) -> set[str]:
    """The call's package names without version or architecture (``gpg=2.2*``, ``gpg:amd64``)."""
    return {re.split(r"[=:]", name, maxsplit=1)[0] for name in _package_names(call)}


def _package_names(call: _apt.AptCall) -> list[str]:
    words, args = _after_subcommand(call)
    return [(words[k].value or "").lower() for k in sorted(args.packages)]


def _package_insertion(
    ctx: FixContext, ins: Instruction, call: _apt.AptCall, placement: OptionInsertion, package: str
) -> Edit:
    """``package`` added to the call's package list, laid out like it: on a
    line of its own in a list of one package per line, else on the line; in its
    sorted place in a sorted list, else first (on a line of its own: after a first
    package that shares the install's line)."""
    text = ctx.text
    words, args = _after_subcommand(call)
    packages = [words[k] for k in sorted(args.packages)]
    if not packages:
        return Edit.insert(words[-1].end if words else call.command.end, f" {package}")
    names = [(w.value or "").lower() for w in packages]
    position = 0
    if all(names) and names == sorted(names):
        position = next((k for k, n in enumerate(names) if n > package), len(names))
    starts = [_starts_line(text, w.start) for w in packages]
    # one per line, the first one maybe on the install line with the others aligned under it
    own_lines = all(starts[1:]) and (starts[0] or len(packages) > 1)
    if own_lines and not starts[0]:
        position = max(position, 1)
    if not own_lines:
        if position < len(packages):
            return Edit.insert(packages[position].start, f"{package} ")
        return Edit.insert(packages[-1].end, f" {package}")
    newline = ins.line_break or "\n"
    gap = _gap_before_escape(text, packages, ins.escape)
    if position < len(packages):
        anchor = packages[position]
        line_start = text.rfind("\n", 0, anchor.start) + 1
        indent = _moved(placement, line_start) + text[line_start : anchor.start]
        at = _above_comments(text, line_start)
        return Edit.insert(at, f"{indent}{package}{gap}{ins.escape}{newline}")
    last = packages[-1]
    line_start = text.rfind("\n", 0, last.start) + 1
    indent = _moved(placement, line_start) + text[line_start : last.start]
    return Edit.insert(last.end, f"{gap}{ins.escape}{newline}{indent}{package}")


def _above_comments(text: str, line_start: int) -> int:
    """The start of the comment lines right above a line (a ``# group`` header of the
    package list belongs to the package under it, not to the one put before it)."""
    while line_start > 0:
        previous = text.rfind("\n", 0, line_start - 1) + 1
        if not text[previous:line_start].lstrip(" \t").startswith("#"):
            break
        line_start = previous
    return line_start


def _moved(placement: OptionInsertion, line_start: int) -> str:
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
