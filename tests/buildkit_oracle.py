"""BuildKit's own parser (the ``dockerfile`` package) as a test oracle."""

from __future__ import annotations

from typing import Any

import dockerfile

from manifesto.cst import Instruction, parse
from manifesto.cst.values import buildkit_value

Row = tuple[Any, ...]


def ours(text: str) -> list[Row]:
    rows: list[Row] = []
    for ins in parse(text).instructions:
        vals, is_json = buildkit_value(ins)
        child = ins.child
        heredocs = () if child is not None else tuple((h.name, h.content) for h in ins.heredocs)
        rows.append(
            (
                ins.keyword,
                child.keyword.lower() if child is not None else None,
                is_json,
                original(ins),
                ins.start_line,
                ins.end_line,
                tuple(f.raw for f in ins.flags),
                vals,
                heredocs,
            )
        )
    return rows


def original(ins: Instruction) -> str:
    text = ins.logical.text
    if ins.heredocs and ins.child is None:
        text += "\n" + "".join(h.content + h.name + "\n" for h in ins.heredocs)
    return text


def theirs(text: str) -> list[Row]:
    return [
        (
            c.cmd.upper(),
            c.sub_cmd.lower() if c.sub_cmd else None,
            c.json,
            c.original,
            c.start_line,
            c.end_line,
            tuple(c.flags),
            tuple(c.value),
            tuple((h.name, h.content) for h in c.heredocs),
        )
        for c in dockerfile.parse_string(text)
    ]
