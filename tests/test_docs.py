"""The README stays true: rule table in sync, Quick start as CI runs it."""

from __future__ import annotations

import re
from pathlib import Path

from manifesto.docs import with_rule_table
from manifesto.registry import FIXERS, documented, rules

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def test_rule_table_is_in_sync() -> None:
    assert with_rule_table(README, rules()) == README, (
        "README rule table is stale: regenerate it with "
        "python -c 'import pathlib; from manifesto.docs import with_rule_table; "
        'from manifesto.registry import rules; p = pathlib.Path("README.md"); '
        "p.write_text(with_rule_table(p.read_text(), rules()))'"
    )


def test_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(commands) == 2
    assert "manifesto fix --diff examples/Dockerfile" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert commands[1].strip() in ci


def test_every_rule_is_documented() -> None:
    sections = ("What it does", "Why", "Example", "Fix safety")
    for fixer in FIXERS:
        doc = documented(fixer.INFO).doc
        for heading in sections:
            assert heading in doc, f"{fixer.INFO.code}: no '{heading}' section"
        assert re.fullmatch(r"MF[1-6]\d\d", fixer.INFO.code)
        module = fixer.__name__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
        assert module == fixer.INFO.name


def test_codes_and_names_are_unique() -> None:
    codes = [r.code for r in rules()]
    names = [r.name for r in rules()]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)


DOCS = ROOT / "docs" / "rules"


def test_rule_pages_are_in_sync_with_the_docstrings() -> None:
    from manifesto.docs import rule_pages
    from manifesto.registry import built_in, documented

    wanted = rule_pages([documented(f.INFO) for f in built_in()])
    present = {p.name: p.read_text("utf-8") for p in DOCS.glob("*.md")}
    assert present == wanted, "docs/rules is stale: regenerate it with python -m manifesto.docs"


def test_rule_docs_are_markdown_not_rst() -> None:
    for info in map(documented, rules()):
        assert "``" not in info.doc, f"{info.code}: RST double backticks in its doc"
        assert not re.search(r":(class|func|mod|meth):`", info.doc), info.code


def test_every_built_in_rule_links_to_its_page_in_the_repository() -> None:
    import tomllib

    from manifesto.docs import REPOSITORY, RULE_DOCS, rule_url

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["urls"]
    assert urls["Repository"] == REPOSITORY
    assert urls["Documentation"] == RULE_DOCS
    prefix = f"{REPOSITORY}/blob/main/"
    for info in rules():
        url = rule_url(info)
        assert url is not None and url.startswith(prefix), info.code
        assert (ROOT / url.removeprefix(prefix)).is_file(), f"{info.code}: {url} has no page"


def test_a_rule_outside_the_registry_has_no_link_unless_it_names_one() -> None:
    from manifesto.diagnostics import RuleInfo
    from manifesto.docs import rule_url

    stranger = RuleInfo("XY123", "stranger", "A rule", None)
    assert rule_url(stranger) is None
    own = RuleInfo("XY124", "own", "A rule", None, url="https://example.test/XY124")
    assert rule_url(own) == "https://example.test/XY124"


def _report(fmt: str, tmp_path: Path) -> str:
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text("FROM debian:12\nADD app.txt /app/\nUSER nobody\n")
    (tmp_path / "app.txt").write_text("x\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "manifesto",
            "check",
            "-q",
            "--select",
            "MF604",
            "--output-format",
            fmt,
            "Dockerfile",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    return done.stdout


def test_json_rdjson_and_sarif_link_each_finding_to_a_page_that_exists(tmp_path: Path) -> None:
    import json

    from manifesto.docs import REPOSITORY

    page = f"{REPOSITORY}/blob/main/docs/rules/MF604.md"
    assert (DOCS / "MF604.md").is_file()
    (finding,) = json.loads(_report("json", tmp_path))
    assert finding["url"] == page
    (rd,) = json.loads(_report("rdjson", tmp_path))["diagnostics"]
    assert rd["code"] == {"value": "MF604", "url": page}
    driver = json.loads(_report("sarif", tmp_path))["runs"][0]["tool"]["driver"]
    uris = {r["id"]: r["helpUri"] for r in driver["rules"]}
    assert uris["MF604"] == page
    assert all(u == f"{REPOSITORY}/blob/main/docs/rules/{c}.md" for c, u in uris.items())
