"""Reading `apt-get` and `apt` command lines the way apt reads them.

Private helpers shared by the apt fixers (MF101-MF104).

apt finds its command as the first argument that does not start with `-` and
is a command name (in `apt-get -t bookworm install x`, `bookworm` is
skipped because it is not a command), and accepts options anywhere, before or
after the command. Short options can be clustered (`-qqy`); an option that
takes an argument takes the rest of its cluster or the next word
(`-oAPT::X=1`, `-o APT::X=1`); long options take `--name=value` or
`--name value`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from manifesto.context import DEFAULT_SHELL, FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.values import exec_args, mounted_over
from manifesto.shell import Command, ShellScript, Word

APT_PROGRAMS = frozenset({"apt-get", "apt"})
"""The front ends the apt rules read and fix."""

LIST_READERS = frozenset({"apt-get", "apt", "apt-cache", "aptitude"})
"""Programs that may read ``/var/lib/apt/lists``."""

LISTS = "/var/lib/apt/lists"

COMMANDS = frozenset(
    {
        "update",
        "upgrade",
        "install",
        "reinstall",
        "remove",
        "purge",
        "autoremove",
        "auto-remove",
        "autopurge",
        "dist-upgrade",
        "full-upgrade",
        "dselect-upgrade",
        "build-dep",
        "satisfy",
        "clean",
        "autoclean",
        "auto-clean",
        "distclean",
        "dist-clean",
        "check",
        "source",
        "download",
        "changelog",
        "indextargets",
        "markauto",
        "unmarkauto",
        "moo",
        "help",
        # apt only
        "list",
        "search",
        "show",
        "showsrc",
        "policy",
        "depends",
        "rdepends",
        "madison",
        "edit-sources",
        "why",
        "why-not",
        "modernize-sources",
    }
)

INSTALLS = frozenset({"install", "reinstall", "build-dep", "satisfy"})
"""Commands that download and install packages: they need fresh lists."""

UPGRADES = frozenset({"upgrade", "dist-upgrade", "full-upgrade", "dselect-upgrade"})

PROMPTING = INSTALLS | UPGRADES | {"remove", "purge", "autoremove", "auto-remove", "autopurge"}
"""Commands that ask "Do you want to continue? [Y/n]" before changing packages."""

LIST_FREE = frozenset(
    {
        "update",
        "clean",
        "autoclean",
        "auto-clean",
        "distclean",
        "dist-clean",
        "remove",
        "purge",
        "autoremove",
        "auto-remove",
        "autopurge",
        "markauto",
        "unmarkauto",
        "help",
        "moo",
    }
)
"""Commands that do not read the lists (removal works from dpkg's status file)."""

LIST_DELETERS = frozenset({"distclean", "dist-clean"})
"""``apt-get distclean`` (apt 2.7.8+) deletes the lists itself."""

_SHORT_WITH_ARG = frozenset("octPS")
_LONG_WITH_ARG = frozenset(
    {
        "option",
        "config-file",
        "target-release",
        "default-release",
        "host-architecture",
        "build-profiles",
        "solver",
        "planner",
        "snapshot",
        "comment",
        "format",
        "with-source",
    }
)
_TRUE = frozenset({"1", "yes", "true", "with", "on", "enable"})
_FALSE = frozenset({"0", "no", "false", "without", "off", "disable"})
_YES_NAMES = frozenset({"y", "yes", "assume-yes"})
_QUIET_NAMES = frozenset({"q", "quiet", "silent"})
_NO_ACT_NAMES = frozenset(
    {"s", "simulate", "just-print", "dry-run", "recon", "no-act", "print-uris"}
)

APT_WORD = re.compile(r"(?<![\w.-])(?:apt-get|apt-cache|aptitude|apt)(?=[\s\"';&|)]|$)")
"""An apt front end named anywhere in a text (``xargs apt-get``, ``sh -c "apt ..."``,
``/usr/bin/apt-get``); not a path through ``/etc/apt/`` nor ``apt-transport-https``."""


@dataclass(frozen=True, slots=True)
class Option:
    """One option as apt reads it: long name or one short letter, and its value."""

    name: str
    """``yes``, ``quiet``, ``q``, ``y``, ``o``, ``option``, ``no-install-recommends`` ..."""
    value: str | None
    """The attached or following argument (``APT::X=1`` for ``-o APT::X=1``)."""
    word: Word


@dataclass(frozen=True, slots=True)
class AptCall:
    """One ``apt-get``/``apt``/``apt-cache``/``aptitude`` command with its parts."""

    command: Command
    program: str
    subcommand: Word | None
    """The command word (``install``); ``None`` when apt would find none."""
    options: tuple[Option, ...]
    """Options before and after the command word, in order."""
    after_subcommand: Word | None
    """The argument right after the command word, whatever it is."""
    hidden: tuple[Word, ...]
    """Arguments that are not literals and could expand to options (``$OPTS``)."""

    @property
    def name(self) -> str | None:
        return self.subcommand.value if self.subcommand is not None else None

    def has(self, *names: str) -> bool:
        return any(opt.name in names for opt in self.options)

    def config(self, key: str) -> str | None:
        """The last ``-o key=value`` for ``key`` (apt compares keys case-insensitively)."""
        found: str | None = None
        for opt in self.options:
            if opt.name in ("o", "option") and opt.value is not None:
                k, eq, v = opt.value.partition("=")
                if eq and k.strip().lower() == key.lower():
                    found = v.strip()
        return found

    @property
    def quiet_level(self) -> int:
        level = 0
        for opt in self.options:
            if opt.name in _QUIET_NAMES:
                if opt.value is None:
                    level += 1
                elif opt.value.isdigit():
                    level = int(opt.value)
        configured = self.config("quiet")
        if configured is not None and configured.isdigit():
            level = int(configured)
        return level

    @property
    def assumes_yes(self) -> bool:
        """apt answers its own prompts: ``-y``, ``--yes``, quiet level 2, or the config."""
        if self.has(*_YES_NAMES) or self.quiet_level >= 2:
            return True
        return truth(self.config("APT::Get::Assume-Yes")) is True

    @property
    def acts(self) -> bool:
        """False for ``-s``/``--simulate``/``--print-uris``: nothing is installed."""
        if self.has(*_NO_ACT_NAMES):
            return False
        return truth(self.config("APT::Get::Simulate")) is not True


def _may_hold_options(word: Word) -> bool:
    """A non-literal word that could expand to ``-y`` and friends: ``$OPTS``,
    ``"$@"``, ``$(cmd)``; not ``pkg=$VERSION`` (it starts with a literal)."""
    if word.value is not None:
        return False
    head = word.text.lstrip("\"'")
    return head[:1] in ("$", "`", "") or head.startswith("\\")


def _options(words: tuple[Word, ...]) -> tuple[list[Option], list[int]]:
    """The options in ``words`` and the indices of the other (plain) words."""
    options: list[Option] = []
    plain: list[int] = []
    i = 0
    while i < len(words):
        word = words[i]
        v = word.value
        i += 1
        if v is None or v == "-" or not v.startswith("-"):
            plain.append(i - 1)
            continue
        if v == "--":
            plain.extend(range(i, len(words)))
            break
        if v.startswith("--"):
            name, eq, value = v[2:].partition("=")
            if eq:
                options.append(Option(name, value, word))
            elif name in _LONG_WITH_ARG and i < len(words):
                options.append(Option(name, words[i].value or "", word))
                i += 1
            else:
                options.append(Option(name, None, word))
            continue
        k = 1
        while k < len(v):
            ch = v[k]
            if ch in _SHORT_WITH_ARG:
                rest = v[k + 1 :].removeprefix("=")
                if not rest and i < len(words):
                    rest = words[i].value or ""
                    i += 1
                options.append(Option(ch, rest, word))
                break
            if v[k + 1 : k + 2] == "=":
                options.append(Option(ch, v[k + 2 :], word))
                break
            options.append(Option(ch, None, word))
            k += 1
    return options, plain


def apt_call(command: Command) -> AptCall | None:
    """The apt view of ``command``, or None when it does not run an apt front end."""
    program = command.program
    if program is None or program not in LIST_READERS:
        return None
    words = command.effective_args
    options, plain = _options(words)
    subcommand: Word | None = None
    for idx in plain:
        value = words[idx].value
        if value is None:
            break  # apt-get $CMD: the command is unknown
        if value in COMMANDS or program in ("apt-cache", "aptitude"):
            subcommand = words[idx]
            break
    after: Word | None = None
    if subcommand is not None:
        pos = next(k for k, w in enumerate(words) if w is subcommand)
        after = words[pos + 1] if pos + 1 < len(words) else None
    hidden = tuple(w for w in words if _may_hold_options(w))
    return AptCall(command, program, subcommand, tuple(options), after, hidden)


def apt_calls(script: ShellScript, programs: frozenset[str] = APT_PROGRAMS) -> Iterator[AptCall]:
    """Every call of one of ``programs`` in the script, in source order."""
    for command in script.commands_named(*programs):
        call = apt_call(command)
        if call is not None:
            yield call


def yes_word(word: Word) -> bool:
    """``word`` alone makes apt assume yes: ``-y``, ``--yes``, ``-qq``, ``-yq``, ``-q=2``."""
    v = word.value
    if v is None or not v.startswith("-") or v == "--":
        return False
    options, plain = _options((word,))
    if plain or not options:
        return False
    if any(o.name not in _YES_NAMES | _QUIET_NAMES for o in options):
        return False
    quiet = sum(1 for o in options if o.name in _QUIET_NAMES and o.value is None)
    level = max([quiet, *(int(o.value) for o in options if o.value and o.value.isdigit())])
    return any(o.name in _YES_NAMES for o in options) or level >= 2


def truth(value: str | None) -> bool | None:
    """apt's StringToBool: True, False, or None when it is neither."""
    if value is None:
        return None
    v = value.strip().strip("\"'").lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def stdin_fed(command: Command) -> bool:
    """Something is piped or redirected into the command: its prompts get answers."""
    if command.in_pipeline and command.operator_before in ("|", "|&"):
        return True
    return any(
        r.operator in ("<", "<<", "<<-", "<<<", "<&", "<>") and r.descriptor in (None, "0")
        for r in command.redirects
    )


def words_of(command: Command) -> Iterator[Word]:
    """Every word of a command: name, arguments, assignment values, redirect targets."""
    yield from command.words
    for a in command.assignments:
        if a.value is not None:
            yield a.value
    for r in command.redirects:
        if r.target is not None:
            yield r.target
        if r.heredoc is not None:
            yield r.heredoc.body


def mentions(command: Command, needle: str) -> bool:
    return any(needle in w.text for w in words_of(command))


_INLINE_CODE_FLAGS = {
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "python": frozenset({"-c"}),
}
_PYTHON = re.compile(r"python(?:[23](?:\.\d+)?)?")
_REACHES_OUT = re.compile(
    r"subprocess|system|popen|spawn|exec|fork|child_process|worker_threads|cluster"
    r"|runpy|pty|ctypes|importlib|__import__|\beval\b|\bFunction\b|\bcompile\b"
    r"|require\s*\(\s*(?!['\"](?:fs|os|path|process)['\"]\s*\))|\bimport\s*\("
)
"""What lets inline code run another program or load code from a file: a process
spawn (``subprocess``, ``os.system``, ``child_process``, ``exec``...), an ``eval`` of
a built string, a ``require`` beyond a few built-in modules, a dynamic import."""
_IMPORT = re.compile(r"\bfrom\s+([\w.]+)\s+import\b|\bimport\s+([\w.\s,]+)")
_HARMLESS_MODULES = frozenset({"sys", "os", "platform", "json", "sysconfig", "struct"})
"""Python modules an inline ``-c`` may import: they start nothing by being imported."""


def _imports_only_harmless_modules(code: str) -> bool:
    for match in _IMPORT.finditer(code):
        if match.group(1) is not None:
            names = [match.group(1)]
        else:
            names = [part.split()[0] for part in match.group(2).split(",") if part.split()]
        if any(name.split(".")[0] not in _HARMLESS_MODULES for name in names):
            return False
    return True


def evaluates_inline_code_only(command: Command) -> bool:
    """``node -p "process.arch"``, ``python3 -c "import sys; print(...)"``: an
    interpreter evaluating an expression written in the RUN, which neither starts
    another program nor loads code from a file, so it cannot run ``apt-get update``
    out of sight. The eval flag must come first (``node -r mod -e`` preloads a
    module) and the code must be literal text."""
    program = command.program
    if program is None:
        return False
    flags = _INLINE_CODE_FLAGS.get("python" if _PYTHON.fullmatch(program) else program)
    args = command.effective_args
    if flags is None or len(args) < 2 or args[0].value not in flags:
        return False
    code = args[1].value
    if code is None or APT_WORD.search(code) or _REACHES_OUT.search(code):
        return False
    if not _imports_only_harmless_modules(code):
        return False
    return not command.redirects or all(r.heredoc is None for r in command.redirects)


_LISTS_TARGETS = frozenset({LISTS, "/var/lib/apt"})
_MAY_NOT_RUN = frozenset({"if", "while", "until", "for", "select", "case", "function"})


def runs_unconditionally(command: Command) -> bool:
    """The command runs whenever the script reaches it: not in a function, a loop, a
    condition, or after ``||`` (``x || apt-get update`` runs only when ``x`` fails)."""
    return not _MAY_NOT_RUN.intersection(command.context) and command.operator_before != "||"


def deletes_lists(command: Command) -> bool:
    """The command empties ``/var/lib/apt/lists``: ``apt-get distclean``, an ``rm`` of
    the lists (``/var/lib/apt/lists``, ``.../lists/*``, ``/var/lib/apt``, ``/var/lib/apt/*``)
    or a ``find /var/lib/apt/lists ... -delete``. A quoted glob (``"/var/lib/apt/lists/*"``)
    deletes nothing, and ``rm -rf /var/lib/apt/lists/partial`` leaves the lists."""
    call = apt_call(command)
    if call is not None:
        return call.name in LIST_DELETERS and call.acts
    if command.program == "find":
        args = [w.value for w in command.effective_args]
        return "-delete" in args and any(
            a is not None and a.rstrip("/") in _LISTS_TARGETS for a in args
        )
    if command.program != "rm":
        return False
    for word in command.effective_args:
        v = word.value
        if v is None or v.startswith("-"):
            continue
        glob = v.endswith("*")
        if glob and not word.text.endswith("*"):
            continue  # "/var/lib/apt/lists/*": the quoted star matches no file name
        if v.rstrip("*").rstrip("/") in _LISTS_TARGETS:
            return True
    return False


# --------------------------------------------------------------------------- RUNs


def apt_runs(
    tree: Dockerfile, ctx: FixContext
) -> Iterator[tuple[Instruction, ShellScript | None, str]]:
    """Every RUN (ONBUILD ones too) whose text names apt, with its parsed shell, or
    None and the reason it is not looked at: ``"onbuild"`` (it runs in another
    image), ``"windows"``, or ``"no shell"`` (exec form, a non-POSIX shell, or a
    script that does not parse)."""
    for ins in tree.instructions:
        if ins.effective.keyword != "RUN" or not APT_WORD.search(run_text(ctx, ins)):
            continue
        if ins.keyword == "ONBUILD":
            yield ins, None, "onbuild"
            continue
        if ctx.windows_at(ins):
            yield ins, None, "windows"
            continue
        script = ctx.shell(ins)
        if script is None or script.has_errors or not script.supported:
            yield ins, None, "no shell"
            continue
        yield ins, script, ""


def run_text(ctx: FixContext, ins: Instruction) -> str:
    """A RUN's command text for a conservative search: exec-form argv joined, or the
    instruction's text after the keyword (here-document bodies included)."""
    argv = exec_args(ins)
    if argv is not None:
        return " ".join(argv)
    return ctx.text[ins.args.start : ins.end]


def updates_first(call: AptCall) -> bool:
    """``apt-get install --update`` (apt 2.7+): the install runs the update itself
    before reading the lists, so it reads no lists an earlier layer left."""
    return call.name in INSTALLS | UPGRADES and call.has("update")


def reads_lists_first(ctx: FixContext, ins: Instruction) -> bool:
    """Whether a RUN may read ``/var/lib/apt/lists`` before fetching them itself.

    Parsed scripts are read command by command: an ``update`` first means no; a
    list-reading apt command first means yes; a command that names apt some other
    way (``xargs apt-get install``, ``sh -c "apt-get ..."``) means yes. Scripts that
    cannot be parsed are searched as text: any apt word not starting with an update
    means yes.
    """
    eff = ins.effective
    if eff.keyword != "RUN" or mounted_over(eff, LISTS, ("cache", "tmpfs", "bind")):
        return False
    # An ONBUILD trigger's RUN is read with the default shell: it runs in a child
    # image, so only when no SHELL is set where it is declared.
    default_shell = ins.keyword != "ONBUILD" or ctx.shell_argv(ins) == DEFAULT_SHELL
    script = ctx.shell(eff) if default_shell else None
    if script is not None and not script.has_errors and script.supported:
        for command in script.commands:
            call = apt_call(command)
            if call is not None:
                if call.name == "update" or updates_first(call):
                    return False
                if call.name in LIST_FREE:
                    continue
                return True
            if any(APT_WORD.search(w.text) for w in words_of(command)):
                return True
        return False
    text = run_text(ctx, eff)
    first = APT_WORD.search(text)
    if first is None:
        return False
    segment = re.split(r"&&|\|\||[;&|\n]", text[first.end() :], maxsplit=1)[0]
    return re.search(r"(?<![\w-])update(?![\w-])", segment) is None
