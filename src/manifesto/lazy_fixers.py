"""Built-in rules that import their module only when it can find something.

A ``manifesto check`` of one file used to import every fixer module and its
helpers (some 700 KB of source: most of the start-up where no bytecode cache
exists, as in an editable install run with ``PYTHONDONTWRITEBYTECODE``), though
most rules cannot find anything in a given file: no ``apk`` in it, no COPY, no
CMD. Each built-in rule in :mod:`manifesto.registry` is a :class:`LazyFixer`:

- its ``INFO`` comes from :mod:`manifesto.rule_index`, generated from the
  modules (``python -m manifesto.lazy_fixers`` writes it; a test keeps it equal
  to what the modules declare), so listing, selecting and reporting rules
  imports no fixer. The index leaves out each rule's ``doc`` (the module
  docstring, kept in one place): :meth:`LazyFixer.documented` imports the module
  for it, as ``explain``, SARIF and the rule pages do;
- its module is imported by the first ``fix(tree, ctx)`` whose file passes the
  rule's gate in :data:`GATES`: a necessary condition for any finding, read off
  the parsed file (an instruction keyword, a program name in the text). A gate
  never decides a finding, it only skips files where the rule's own code would
  yield nothing; a rule without a gate is always imported when it runs.

Each gate restates the first test of its rule (``if ins.keyword != "ADD"``, the
programs it matches): whoever changes what a rule looks for changes its gate too
(tests/test_lazy_fixers.py checks every fixture and corpus file with the lazy
rules and with the modules themselves, and expects the same findings).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from manifesto.cst.values import exec_args

if TYPE_CHECKING:
    from manifesto.context import FixContext
    from manifesto.cst import Dockerfile
    from manifesto.diagnostics import RuleInfo
    from manifesto.edits import Violation

PACKAGE = "manifesto.fixers"

# Dockerfile line continuations (the escape character, blanks, the newline), then
# every character that quoting and escaping take out of a shell word: what is
# left holds each literal word of the file (``a"p"k``, ``ap\<newline>k`` -> apk).
_CONTINUATION = re.compile(r"[\\`][ \t]*\r?\n")
_QUOTING = re.compile(r"[\\`'\"]")
# ``rm`` as a program name (``rm``, ``/bin/rm``), not inside ``bookworm`` or ``rmdir``.
_RM = re.compile(r"(?<![\w.+-])rm(?![\w.+-])")


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the gates ask of a file, computed once per parsed tree."""

    keywords: frozenset[str]
    """Every instruction's keyword, and the wrapped one of an ONBUILD."""
    text: str
    """Lower-cased: the file as written, the same without quoting and escapes, each
    instruction as BuildKit joins it (continuations joined, comments dropped) without
    them, and the decoded argv of each exec form. A literal word of any RUN, CMD or
    here-document, as a shell reads it, is a substring of it."""

    flagged_run: bool
    """A RUN has flags (``--mount``: a bind mount of the context)."""

    def has(self, *keywords: str) -> bool:
        return not self.keywords.isdisjoint(keywords)

    def mentions(self, *words: str) -> bool:
        return any(word in self.text for word in words)

    def runs_rm(self) -> bool:
        return _RM.search(self.text) is not None


def file_facts(tree: Dockerfile, text: str) -> FileFacts:
    """The facts of ``tree`` (whose source is ``text``); the last tree's are kept,
    since every rule of a pass asks about the same tree."""
    global _last
    if _last is not None and _last[0] is tree:
        return _last[1]
    keywords: set[str] = set()
    flagged_run = False
    parts = [text, _unquoted(text)]
    for ins in tree.instructions:
        effective = ins.effective
        keywords.update((ins.keyword, effective.keyword))
        flagged_run = flagged_run or (ins.keyword == "RUN" and bool(ins.flags))
        parts.append(_unquoted(ins.logical.text))
        if effective.args_text.startswith("["):
            argv = exec_args(ins)
            if argv is not None:
                joined = " ".join(argv)
                parts += (joined, _unquoted(joined))
    facts = FileFacts(frozenset(keywords), "\n".join(parts).lower(), flagged_run)
    _last = (tree, facts)
    return facts


_last: tuple[Dockerfile, FileFacts] | None = None


def _unquoted(text: str) -> str:
    return _QUOTING.sub("", _CONTINUATION.sub("", text))


Gate = Callable[[FileFacts, "FixContext"], bool]


def _run_naming(*programs: str) -> Gate:
    """A RUN (ONBUILD ones too) and one of ``programs`` named in the file."""
    return lambda facts, ctx: facts.has("RUN") and facts.mentions(*programs)


def _keyword(*keywords: str) -> Gate:
    return lambda facts, ctx: facts.has(*keywords)


def _cleanup_in_later_layer(facts: FileFacts, ctx: FixContext) -> bool:
    # The clean-ups it moves: rm, apt-get clean/distclean/purge/remove, yum/dnf/microdnf
    # clean all, apk del.
    return facts.has("RUN") and (
        facts.runs_rm() or facts.mentions("clean", "purge", "remove", "yum", "dnf", "apk")
    )


def _single_stage(facts: FileFacts, ctx: FixContext) -> bool:
    # Every recogniser answers None without a CMD or ENTRYPOINT (the entry it moves),
    # except two refusals: a Maven/Gradle build in an unknown folder, pip installs
    # of packages named by a variable.
    return facts.has("CMD", "ENTRYPOINT") or (
        facts.has("RUN") and facts.mentions("mvn", "gradle", "pip")
    )


def _dockerignore_missing(facts: FileFacts, ctx: FixContext) -> bool:
    # It needs the directory listing and something sent from the context: a COPY or
    # ADD, or a RUN bind mount (a RUN flag).
    return ctx.list_context is not None and (facts.has("COPY", "ADD") or facts.flagged_run)


_APT = _run_naming("apt")  # apt-get, apt, apt-cache, aptitude, add-apt-repository

GATES: dict[str, Gate] = {
    "apt_lists_kept": _APT,
    "apt_update_alone": _APT,
    "apt_prompt_unanswered": _APT,
    "apt_recommends_installed": _APT,
    "apt_cli_in_script": _APT,
    "lists_read_stale": _APT,
    "apk_cache_kept": _run_naming("apk"),
    "yum_cache_kept": _run_naming("yum"),
    "dnf_cache_kept": _run_naming("dnf"),  # microdnf too
    "zypper_cache_kept": _run_naming("zypper"),
    "rpm_prompt_unanswered": _run_naming("yum", "dnf", "zypper"),
    "pip_cache_kept": _run_naming("pip"),  # pip3.12, python -m pip
    "yarn_cache_kept": _run_naming("yarn"),  # yarnpkg
    "npm_cache_kept": _run_naming("npm"),
    "wget_progress_shown": _run_naming("wget"),
    "cd_in_run": _run_naming("cd"),
    "pipe_fails_silently": _run_naming("|"),
    "cleanup_in_later_layer": _cleanup_in_later_layer,
    "chained_run": _keyword("RUN"),
    "context_copied_before_install": _keyword("COPY"),
    "single_stage": _single_stage,
    "dockerignore_missing": _dockerignore_missing,
    "add_local_files": _keyword("ADD"),
    "maintainer_deprecated": _keyword("MAINTAINER"),
    "env_legacy_format": _keyword("ENV"),
    "secret_in_env": _keyword("ENV", "ARG"),
    "shell_form_command": _keyword("CMD", "ENTRYPOINT"),
    "several_processes": _keyword("CMD", "ENTRYPOINT"),
}
"""Rule module -> a necessary condition for it to find anything in a file. Rules
that look at every file (instruction_invalid, unpinned_image, root_user) have none."""


class LazyFixer:
    """A built-in fixer module, imported on the first call that needs it.

    It is what :class:`manifesto.fixer.Fixer` asks for (``INFO``, ``fix``); any
    other attribute (``REMOVES``) is the module's. It compares equal to its module,
    so ``chained_run in OPT_IN`` holds for the module object too.
    """

    def __init__(self, module: str, info: RuleInfo, gate: Gate | None) -> None:
        self.__name__ = f"{PACKAGE}.{module}"
        self.INFO = info
        self._gate = gate
        self._loaded: ModuleType | None = None

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        if self._gate is not None and not self._gate(file_facts(tree, ctx.text), ctx):
            return iter(())
        found: Iterator[Violation] = self.module().fix(tree, ctx)
        return found

    def documented(self) -> RuleInfo:
        """The ``INFO`` with its ``doc``: the module's own, imported for it."""
        info: RuleInfo = self.module().INFO
        return info

    def module(self) -> ModuleType:
        if self._loaded is None:
            self._loaded = _import_holding_interrupts(self.__name__)
        return self._loaded

    def __getattr__(self, name: str) -> object:
        # only reached for names the instance lacks: the module's own (REMOVES)
        if name.startswith("__") or name in ("_gate", "_loaded"):
            raise AttributeError(name)
        return getattr(self.module(), name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyFixer | ModuleType):
            return self.__name__ == other.__name__
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.__name__)

    def __repr__(self) -> str:
        return f"<LazyFixer {self.__name__}>"


def _import_holding_interrupts(name: str) -> ModuleType:
    """Import a fixer module with Ctrl-C held until it is done, as the CLI's own import
    is (:mod:`manifesto._entry`): an interrupt in the middle of an import can come out
    as another error (here a crash of the rule) or be swallowed; held, it arrives as a
    KeyboardInterrupt right after, and the run ends with status 130."""
    from manifesto._entry import hold_interrupts, release

    held = hold_interrupts()
    try:
        return importlib.import_module(name)
    finally:
        release(held)


def lazy_fixers(*modules: str) -> tuple[LazyFixer, ...]:
    """The rules of ``modules`` (names in ``manifesto.fixers``), in this order."""
    try:
        from manifesto.rule_index import RULES
    except ModuleNotFoundError:  # not generated yet: python -m manifesto.lazy_fixers
        RULES = {}
    return tuple(LazyFixer(m, RULES.get(m) or _declared(m), GATES.get(m)) for m in modules)


def _declared(module: str) -> RuleInfo:
    """The INFO of a module the index does not list yet (a rule just added): read from
    the module itself, until the index is regenerated (a test fails meanwhile)."""
    info: RuleInfo = importlib.import_module(f"{PACKAGE}.{module}").INFO
    return info


# --------------------------------------------------------------------------- the index


def index_source(modules: Iterator[str] | tuple[str, ...]) -> str:
    """The text of :mod:`manifesto.rule_index` for ``modules``: each module's INFO as
    it declares it (importing them all)."""
    import dataclasses

    from manifesto.diagnostics import RuleInfo
    from manifesto.edits import Applicability

    lines = [
        '"""The metadata of the built-in rules, as their modules declare it (``INFO``).',
        "",
        "Generated by ``python -m manifesto.lazy_fixers``; do not edit. It lets",
        "manifesto list, select and report rules without importing the fixer modules",
        "(:mod:`manifesto.lazy_fixers`); tests/test_lazy_fixers.py keeps it equal to them.",
        "Each rule's ``doc`` is left out: it is the module's docstring.",
        '"""',
        "",
        "# ruff: noqa: E501",
        "",
        "from __future__ import annotations",
        "",
        "from manifesto.diagnostics import RuleInfo",
        "from manifesto.edits import Applicability",
        "",
        "RULES: dict[str, RuleInfo] = {",
    ]
    for module in modules:
        info = importlib.import_module(f"{PACKAGE}.{module}").INFO
        assert isinstance(info, RuleInfo), module
        lines.append(f"    {module!r}: RuleInfo(".replace("'", '"'))
        for field in dataclasses.fields(RuleInfo):
            if field.name == "doc":
                continue  # the module docstring stays in the module (LazyFixer.documented)
            value = getattr(info, field.name)
            if isinstance(value, Applicability):
                shown = f"Applicability.{value.name}"
            elif isinstance(value, str) and "\n" in value:
                pieces = value.splitlines(keepends=True)
                shown = (
                    "(\n" + "".join(f"            {_literal(p)}\n" for p in pieces) + "        )"
                )
            elif isinstance(value, tuple):
                inner = ", ".join(_literal(v) for v in value)
                shown = f"({inner},)" if len(value) == 1 else f"({inner})"
            else:
                shown = _literal(value)
            lines.append(f"        {field.name}={shown},")
        lines.append("    ),")
    lines += ["}", ""]
    return "\n".join(lines)


def _literal(value: object) -> str:
    """``repr`` with double quotes where that needs no escape (ruff's format)."""
    text = repr(value)
    if isinstance(value, str) and text.startswith("'") and '"' not in value:
        return '"' + text[1:-1].replace("\\'", "'") + '"'
    return text


def main() -> int:
    """``python -m manifesto.lazy_fixers``: rewrite src/manifesto/rule_index.py from
    the modules the registry names."""
    from pathlib import Path

    from manifesto import registry

    names = [f.__name__.rsplit(".", 1)[-1] for f in registry.built_in()]  # type: ignore[attr-defined]
    target = Path(__file__).with_name("rule_index.py")
    target.write_text(index_source(tuple(names)), "utf-8")
    sys.stdout.write(f"wrote {target} ({len(names)} rules)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
