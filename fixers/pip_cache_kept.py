"""## What it does

Finds `pip install` commands (`pip`, `pip3`, `pip3.12`, `python -m pip`,
`python3 -m pip`, ...) without `--no-cache-dir` in RUNs, and inserts
`--no-cache-dir` right after `install`. Stages that do not ship are fixed too,
and the message says so: the fix saves build cache and CI disk, not image size
(`--target` names the image).

## Why

pip keeps every wheel it downloads or builds, and its HTTP responses, in
`~/.cache/pip` (`/root/.cache/pip` for root). Nothing reads that cache again in a
built image, but the layer ships it: often tens or hundreds of megabytes.

## Example

Before:

    RUN pip install -r requirements.txt

After:

    RUN pip install --no-cache-dir -r requirements.txt

## Fix safety

Safe. `--no-cache-dir` changes where pip keeps downloads, not what it installs:
the same requirements resolve against the same index, and a wheel built from a
source distribution is built again instead of reused from the cache. The flag goes
right after `install`, one space; continuation lines aligned under a word the flag
pushes right (`pip3 install lxml \\` over `             aioxmpp \\`) move right with
it, and no other byte is touched. `pip install --upgrade pip` installs too, so it
is fixed as well.

No finding when no cache is kept or the author already chose: `--no-cache-dir` (or
an abbreviation pip accepts, such as `--no-cache`) anywhere on the command line;
`PIP_NO_CACHE_DIR` set to a non-empty value by an ENV of the stage (or a stage it
is built FROM), by an ARG of the stage with a default, by `NAME=value pip ...`,
`env NAME=value pip ...` or an earlier `export` in the RUN (pip 19 and later
disable the cache for any valid value, `false` and `0` included -- a historical
quirk kept on purpose; an empty value is ignored; an invalid one makes pip fail
either way); an earlier `pip config set ...no-cache-dir`; a cache, tmpfs or bind
mount over `/root/.cache/pip` (or `/root/.cache`), over a target ending in
`/.cache` or `/.cache/pip`, or over `PIP_CACHE_DIR` / `$XDG_CACHE_HOME/pip`.
`pip download` and `pip wheel` are not installs and are left alone (their output
is what the author asked for).

A finding without a fix: `--cache-dir` given (the author chose a cache; a
`--cache-dir` after the inserted flag would override it anyway), and stages whose
base image ships a pip older than 6.0 (Ubuntu 12.04 to 15.10, Debian 6 to 8, Alpine
up to 3.1, python images frozen before 2015, and any image tagged with the code name
of such a release, `buildpack-deps:jessie`), which rejects `--no-cache-dir`.

## Caveats

A `pip.conf` copied into the image, or a `PIP_NO_CACHE_DIR` set by the base image,
is not visible from the Dockerfile: the flag is then redundant but harmless.
`pipx`, `pipenv`, `uv pip` and `conda` have their own caches and are not matched.
`sh -c "pip install ..."` is not looked into.

## Related

hadolint DL3042.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Fix, Violation
from manifesto.layout import insert_option
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellScript, Word

from ._package_caches import (
    Assessment,
    Outcome,
    assigned_in_command,
    checked_runs,
    covered,
    env_value,
    exported_before,
    first_positional,
    mount_ends_with,
    option_value,
    stage_note,
    value,
)

INFO = RuleInfo(
    code="MF111",
    name="pip_cache_kept",
    title="Install Python packages with `pip install --no-cache-dir`",
    applicability=Applicability.SAFE,
    related=("DL3042",),
    doc=__doc__ or "",
)
REMOVES = ("*/.cache", "*/.cache/pip", "*/.cache/pip/*")
"""What the fix deletes from the image (globs, ``*`` crosses ``/``): the only paths
`manifesto measure --compare-files` lets differ."""

_PIP = re.compile(r"pip[0-9.]*")
_PYTHON = re.compile(r"python[0-9.]*")
# pip's general options that take a value (they may come before the command)
_PIP_VALUE_OPTIONS = frozenset(
    {
        "--python",
        "--log",
        "--log-file",
        "--local-log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--use-feature",
        "--use-deprecated",
        "--resume-retries",
        "--keyring-provider",
    }
)
_PYTHON_VALUE_OPTIONS = frozenset({"--check-hash-based-pycs"})
_ENV_NAMES = frozenset({"PIP_NO_CACHE_DIR"})
# pip older than 6.0 has no --no-cache-dir; these bases ship one from the distribution
_OLD_PIP_BASES = re.compile(
    r"(?:docker\.io/)?(?:library/)?"
    r"(?:ubuntu:(?:1[2-5]\.(?:04|10)|precise|quantal|raring|saucy|trusty|utopic|vivid|wily)"
    r"|debian:(?:6|7|8|squeeze|wheezy|jessie)|alpine:3\.[01]"
    # python images frozen before pip 6.0 (December 2014) came out
    r"|python:(?:2\.7\.[0-8]|3\.3\.[0-5]|3\.4\.[01]))"
    r"(?:[.\-@].*)?",
    re.IGNORECASE,
)
# Any other image tagged with the code name of such a release (buildpack-deps:jessie,
# node:6-wheezy) installs that release's pip with apt-get; python and pypy images
# bring their own, newer, pip.
_OLD_RELEASE_TAG = re.compile(
    r"(?:^|[^a-z])(?:precise|quantal|raring|saucy|trusty|utopic|vivid|wily|squeeze|wheezy"
    r"|jessie)(?:$|[^a-z])",
    re.IGNORECASE,
)
_OWN_PIP_IMAGES = re.compile(r"(?:docker\.io/)?(?:library/)?(?:python|pypy)", re.IGNORECASE)


def _pip_args(command: Command) -> tuple[Word, ...] | None:
    """The arguments pip itself gets: after ``pip`` or after ``python -m pip``."""
    prog = command.program
    args = command.effective_args
    if prog is not None and _PIP.fullmatch(prog):
        return args
    if prog is None or not _PYTHON.fullmatch(prog):
        return None
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None or not v.startswith("-") or v == "-":
            return None  # a script or stdin: not pip
        if v.startswith("--"):
            i += 2 if v in _PYTHON_VALUE_OPTIONS else 1
            continue
        step = 1
        for k, letter in enumerate(v[1:], start=1):
            rest = v[k + 1 :]
            if letter == "c":
                return None  # python -c CODE
            if letter == "m":  # -m pip, -mpip, -Im pip
                if rest:
                    return args[i + 1 :] if rest == "pip" else None
                module = args[i + 1].value if i + 1 < len(args) else None
                return args[i + 2 :] if module == "pip" else None
            if letter in "WX":  # -W ignore, -Wignore
                step = 1 if rest else 2
                break
        i += step
    return None


def install_word(command: Command) -> Word | None:
    """The ``install`` word of a pip install command."""
    args = _pip_args(command)
    if args is None:
        return None
    i = first_positional(args, 0, _PIP_VALUE_OPTIONS)
    if i is None or args[i].value != "install":
        return None
    return args[i]


def _no_cache_flag(text: str) -> bool:
    """``--no-cache-dir`` or an abbreviation pip's optparse accepts (``--no-cache``)."""
    return len(text) >= len("--no-cach") and "--no-cache-dir".startswith(text)


def _cache_dir(args: tuple[Word, ...]) -> str | None:
    """``--cache-dir DIR`` (or an abbreviation down to ``--cache``)."""
    return option_value(args, ("--cache-dir", "--cache-di", "--cache-d", "--cache-", "--cache"))


def _configured_off(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> bool:
    """``PIP_NO_CACHE_DIR`` in the environment, or ``pip config set ...no-cache-dir``."""
    env = env_value(ctx, ins, "PIP_NO_CACHE_DIR")
    if env:
        return True
    if assigned_in_command(command, _ENV_NAMES, nonempty=True) or exported_before(
        script, command.start, _ENV_NAMES, nonempty=True
    ):
        return True
    # Indexed: each earlier RUN is read once per pass, not once per pip RUN after it.
    if next(ctx.earlier_matching(ins, _configures_no_cache), None) is not None:
        return True
    return any(_sets_no_cache_config(c) for c in script.commands if c.end <= command.start)


def _configures_no_cache(ctx: FixContext, item: Instruction) -> bool:
    script = ctx.shell(item) if item.keyword == "RUN" else None
    return script is not None and any(_sets_no_cache_config(c) for c in script.commands)


def _sets_no_cache_config(command: Command) -> bool:
    args = _pip_args(command)
    if args is None:
        return False
    values = [value(w) for w in args]
    return (
        "config" in values and "set" in values and any(v.endswith("no-cache-dir") for v in values)
    )


def _cache_mounted(ctx: FixContext, ins: Instruction) -> bool:
    if covered(ins, "/root/.cache/pip") or mount_ends_with(ins, ("/.cache", "/.cache/pip")):
        return True
    pip_cache = env_value(ctx, ins, "PIP_CACHE_DIR")
    if pip_cache and covered(ins, pip_cache):
        return True
    xdg = env_value(ctx, ins, "XDG_CACHE_HOME")
    return bool(xdg) and covered(ins, f"{xdg}/pip")


def _old_pip_base(ctx: FixContext, ins: Instruction) -> bool:
    reference = ctx.base_of(ins).reference
    if reference is None:
        return False
    if _OLD_PIP_BASES.fullmatch(reference) is not None:
        return True
    name, _, tag = reference.partition("@")[0].rpartition(":")
    if not name or "/" in tag:
        return False  # no tag (the colon was a registry port)
    return _OWN_PIP_IMAGES.fullmatch(name) is None and _OLD_RELEASE_TAG.search(tag) is not None


def _assess_install(
    ctx: FixContext, ins: Instruction, script: ShellScript, command: Command
) -> Assessment:
    def outcome(kind: Outcome, reason: str) -> Assessment:
        return Assessment(ins, command, kind, reason)

    args = _pip_args(command) or ()
    if any(_no_cache_flag(value(w)) for w in args):
        return outcome(Outcome.SKIP, "--no-cache-dir given")
    if _configured_off(ctx, ins, script, command):
        return outcome(Outcome.SKIP, "PIP_NO_CACHE_DIR / pip config")
    if _cache_mounted(ctx, ins):
        return outcome(Outcome.SKIP, "cache mount")
    cache_dir = _cache_dir(args)
    if cache_dir is not None:
        if covered(ins, cache_dir):
            return outcome(Outcome.SKIP, "cache mount")
        return outcome(Outcome.REPORT, "--cache-dir chooses a cache")
    if _old_pip_base(ctx, ins):
        return outcome(Outcome.REPORT, "the base image's pip may predate --no-cache-dir")
    return outcome(Outcome.FIX, "")


def _assess(tree: Dockerfile, ctx: FixContext) -> Iterator[Assessment]:
    for ins, script in checked_runs(tree, ctx):
        for command in script.commands:
            if install_word(command) is not None:
                yield _assess_install(ctx, ins, script, command)


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for found in _assess(tree, ctx):
        if found.outcome is Outcome.SKIP:
            continue
        command = found.command
        word = install_word(command)
        name = command.effective_name
        assert word is not None and name is not None
        message = "`pip install` keeps what it downloads and builds in the pip cache"
        if found.outcome is Outcome.REPORT:
            yield Violation(
                INFO.code,
                f"{message} ({found.reason}){stage_note(ctx, found.instruction)}",
                name.start,
                word.end,
                reason=no_fix(found.reason),
            )
            continue
        yield Violation(
            INFO.code,
            f"{message}: use `pip install --no-cache-dir`{stage_note(ctx, found.instruction)}",
            name.start,
            word.end,
            Fix(
                "Insert `--no-cache-dir` after `pip install`",
                insert_option(ctx.text, word.end, " --no-cache-dir", command.end).edits,
                Applicability.SAFE,
            ),
        )
