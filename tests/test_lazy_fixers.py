"""Built-in rules imported on demand: the same findings as the modules themselves.

The registry lists each rule by module name with its metadata from a generated
index (manifesto.rule_index) and imports the module only when the file passes the
rule's gate (manifesto.lazy_fixers). Both can drift from the modules: the index
when a rule changes its INFO, a gate when a rule looks for something new. These
tests compare with the modules directly.
"""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import FIXTURES, time_limit
from manifesto.context_files import context_file_reader, context_lister
from manifesto.cst import ParseError, parse
from manifesto.engine import EngineSettings, Finding, collect
from manifesto.lazy_fixers import GATES, LazyFixer, file_facts, index_source
from manifesto.registry import CHECKS, FIXERS, OPT_IN, built_in

INDEX = Path(__file__).resolve().parents[1] / "src" / "manifesto" / "rule_index.py"
REGENERATE = "regenerate it with: python -m manifesto.lazy_fixers"


def _name(fixer: object) -> str:
    assert isinstance(fixer, LazyFixer), (
        f"{fixer!r}: name the module in manifesto.registry (a string), not the module"
    )
    return fixer.__name__.rsplit(".", 1)[-1]


def _modules() -> list[ModuleType]:
    return [importlib.import_module(f"manifesto.fixers.{_name(f)}") for f in built_in()]


def test_the_index_is_what_the_modules_declare() -> None:
    names = tuple(_name(f) for f in built_in())
    for fixer, module in zip(built_in(), _modules(), strict=True):
        declared = dataclasses.replace(module.INFO, doc="")  # the index leaves the doc out
        assert declared == fixer.INFO, f"{module.__name__}: index is stale; {REGENERATE}"
        assert fixer.documented() == module.INFO  # type: ignore[attr-defined]
    assert INDEX.read_text("utf-8") == index_source(names), f"rule_index.py is stale; {REGENERATE}"


def test_every_gate_names_a_built_in_rule() -> None:
    assert set(GATES) <= {_name(f) for f in built_in()}


def test_a_lazy_fixer_stands_for_its_module() -> None:
    module = importlib.import_module("manifesto.fixers.chained_run")
    assert module in OPT_IN and module not in FIXERS
    (lazy,) = OPT_IN
    assert lazy == module and hash(lazy) == hash(
        LazyFixer(lazy.__name__.rsplit(".")[-1], lazy.INFO, None)
    )
    apk = next(f for f in FIXERS if f.INFO.name == "apk_cache_kept")
    assert apk.REMOVES == importlib.import_module(apk.__name__).REMOVES  # type: ignore[attr-defined]


def test_listing_and_selecting_rules_imports_no_fixer() -> None:
    code = (
        "import sys\n"
        "from manifesto.config import Settings, merge_cli\n"
        "from manifesto.registry import rule, rules\n"
        "assert len(rules()) > 30 and rule('MF101').title and rule('apk_cache_kept')\n"
        "merge_cli(Settings(root=__import__('pathlib').Path('.')), select=['MF1', 'root_user'])\n"
        "print(' '.join(m for m in sys.modules if m.startswith('manifesto.fixers.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == []


@pytest.mark.parametrize(
    "spelling",
    [
        "RUN apk add curl",
        'RUN a"p"k add curl',
        "RUN a'p'k add curl",
        "RUN a\\pk add curl",
        "RUN ap\\\nk add curl",
        "RUN ap\\\n# a comment line inside the continuation\nk add curl",
        'RUN ["/sbin/\\u0061pk", "add", "curl"]',
        "RUN <<EOF\nset -e\nAPK add curl\nEOF",
        "ONBUILD RUN /sbin/apk add curl",
        "RUN sh -c 'apk add curl'",
    ],
)
def test_a_program_is_found_however_it_is_written(spelling: str) -> None:
    text = f"FROM alpine:3.20\n{spelling}\n"
    facts = file_facts(parse(text), text)
    assert facts.has("RUN") and facts.mentions("apk")


def test_a_program_is_found_across_a_backquote_continuation() -> None:
    text = "# escape=`\nFROM alpine:3.20\nRUN ap`\nk add curl\n"
    tree = parse(text)
    assert tree.instructions[-1].logical.text.endswith("apk add curl")
    assert file_facts(tree, text).mentions("apk")


def test_rm_is_a_program_not_a_piece_of_a_word() -> None:
    def runs_rm(run: str) -> bool:
        text = f"FROM debian:bookworm\nRUN {run}\n"
        return file_facts(parse(text), text).runs_rm()

    assert not runs_rm("apt-get install -y rmlint && echo bookworm && form-rm x")
    for spelled in ("rm -rf /tmp/x", "/bin/rm x", "r'm' x", "true;rm x", "xargs rm <f"):
        assert runs_rm(spelled), spelled


def _files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "Dockerfile" in p.name)


def _same_findings(path: Path, text: str, modules: list[ModuleType]) -> None:
    try:
        tree = parse(text)
    except ParseError:
        return
    settings = EngineSettings(
        read_context_file=context_file_reader(path), list_context=context_lister(path)
    )
    lazy: list[Finding] = collect(text, tree, built_in(), settings)
    eager: list[Finding] = collect(text, tree, modules, settings)  # type: ignore[arg-type]
    # the rule of a finding is its index entry, which leaves the doc out
    assert [(f.rule.code, f.violation) for f in lazy] == [
        (f.rule.code, f.violation) for f in eager
    ], path
    assert [f.rule for f in lazy] == [dataclasses.replace(f.rule, doc="") for f in eager], path


def test_gates_hide_no_finding_of_the_fixtures() -> None:
    files = _files()
    assert len(files) > 100
    modules = _modules()
    with time_limit(600, "the fixtures took over 10 minutes"):
        for path in files:
            _same_findings(path, path.read_bytes().decode("utf-8", "replace"), modules)


@pytest.mark.corpus
@pytest.mark.slow
def test_gates_hide_no_finding_of_the_corpus(corpus: list[Path]) -> None:
    modules = _modules()
    with time_limit(1200, "the corpus took over 20 minutes"):
        for path in corpus:
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                continue
            _same_findings(path, text, modules)


def test_checks_fixers_and_opt_in_rules_are_all_lazy() -> None:
    assert all(isinstance(f, LazyFixer) for f in (*CHECKS, *FIXERS, *OPT_IN))
