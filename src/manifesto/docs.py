"""Documentation generated from the registry: the README's rule table."""

from __future__ import annotations

from collections.abc import Sequence

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
