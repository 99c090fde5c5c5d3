"""Copy with COPY, not ADD (a plugin's own rule).

## What it does

Replaces the ADD keyword by COPY.

## Why

A test of manifesto's plugin interface.

## Example

    ADD app.py /app/  ->  COPY app.py /app/

## Fix safety

Safe for this test's files.
"""

from __future__ import annotations

from collections.abc import Iterator

from manifesto import Applicability, Dockerfile, Edit, Fix, RuleInfo, Violation

INFO = RuleInfo(
    code="ACME101",
    name="add_used",
    title="Copy with COPY, not ADD",
    applicability=Applicability.SAFE,
    doc=__doc__ or "",
)


def fix(tree: Dockerfile, ctx: object) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword == "ADD":
            span = ins.keyword_span
            edit = Edit(span.start, span.end, "COPY")
            yield Violation(
                INFO.code,
                "ADD used where COPY does",
                span.start,
                span.end,
                Fix("Use COPY", (edit,), Applicability.SAFE),
            )
