"""Documentation generated from the registry: the README's rule table, the rule pages
(``docs/rules/``, what ``explain`` prints) and the links reports carry to them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from manifesto.diagnostics import RuleInfo

START = "<!-- rules:start -->"
END = "<!-- rules:end -->"


def rules_markdown(rules: Sequence[RuleInfo]) -> str:
    lines = [
        "| Code | Name | Fix | What it fixes | Related |",
        "|---|---|---|---|---|",
    ]
    for r in rules:
        fix = r.applicability.value if r.applicability else "report only"
        related = ", ".join(r.related) or ""
        lines.append(f"| {r.code} | `{r.name}` | {fix} | {r.title} | {related} |")
    return "\n".join(lines) + "\n"


def with_rule_table(readme: str, rules: Sequence[RuleInfo]) -> str:
    """The README with the table between the markers replaced."""
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{rules_markdown(rules)}{END}{tail}"


REPOSITORY = "https://github.com/manifesto-dev/manifesto"
"""Where the project is published; pyproject's ``[project.urls]`` says the same (tested)."""
RULE_DOCS = f"{REPOSITORY}/blob/main/docs/rules"
"""The folder of rule pages, generated from the rule docstrings into ``docs/rules/``."""


def rule_page(info: RuleInfo) -> str:
    """A rule's documentation page in Markdown: what ``explain`` prints and what
    ``docs/rules/<CODE>.md`` holds."""
    doc = info.doc.strip()
    # a rule's doc opens with its title; say it once
    head = "" if doc.startswith(info.title) else f"{info.title}\n\n"
    fix = info.applicability.value if info.applicability else "none (report only)"
    facts = f"Fix: {fix}."
    if info.related:
        facts += f" Related: {', '.join(info.related)}."
    return f"# {info.code} {info.name}\n\n{head}{doc}\n\n{facts}\n"


def rule_url(info: RuleInfo) -> str | None:
    """The page a report links to: the rule's own ``url`` (plugins), the page under
    ``docs/rules/`` for a built-in rule, else none."""
    if info.url is not None:
        return info.url
    return f"{RULE_DOCS}/{info.code}.md" if _built_in(info.code) else None


@cache
def _built_in(code: str) -> bool:
    from manifesto.registry import origin, rules

    return origin(code) == "manifesto" and any(r.code == code for r in rules())


def rules_index(rules: Sequence[RuleInfo]) -> str:
    """``docs/rules/README.md``: every rule with a link to its page."""
    lines = [
        "# Rules",
        "",
        "Generated from the rule docstrings (`python -m manifesto.docs`); do not edit by hand.",
        "",
        "| Code | Name | Fix | What it fixes |",
        "|---|---|---|---|",
    ]
    for r in rules:
        fix = r.applicability.value if r.applicability else "report only"
        lines.append(f"| [{r.code}]({r.code}.md) | `{r.name}` | {fix} | {r.title} |")
    return "\n".join(lines) + "\n"


def rule_pages(rules: Sequence[RuleInfo]) -> dict[str, str]:
    """Every file of ``docs/rules/``, by name."""
    pages = {f"{r.code}.md": rule_page(r) for r in rules}
    pages["README.md"] = rules_index(rules)
    return pages


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m manifesto.docs [DIR]``: write the rule pages (default ``docs/rules``)."""
    import sys
    from pathlib import Path

    from manifesto.registry import built_in, documented

    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0] if args else "docs/rules")
    folder.mkdir(parents=True, exist_ok=True)
    wanted = rule_pages([documented(f.INFO) for f in built_in()])
    for stale in folder.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (folder / name).write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
