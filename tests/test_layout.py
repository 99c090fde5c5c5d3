"""manifesto.layout: a command appended to a RUN is written in the file's own style."""

from __future__ import annotations

import pytest

from manifesto.context import FixContext
from manifesto.cst import Instruction, Line, parse
from manifesto.edits import apply_edits
from manifesto.layout import Joint, aligned_under, append_command, joints

CLEANUP = "rm -rf /var/lib/apt/lists/*"


def _runs(text: str) -> tuple[FixContext, list[Instruction]]:
    tree = parse(text)
    return FixContext(text, tree), [i for i in tree.instructions if i.keyword == "RUN"]


def _append(text: str, *, which: int = 0, with_file: bool = True) -> str:
    ctx, runs = _runs(text)
    ins = runs[which]
    script = ctx.shell(ins)
    assert script is not None
    edit = append_command(ins, script, CLEANUP, ctx if with_file else None)
    return apply_edits(text, [edit])


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM d\nRUN a && b\n",
            f"FROM d\nRUN a && b && {CLEANUP}\n",
            id="one line stays one line",
        ),
        pytest.param(
            "FROM d\nRUN a && \\\n    b \\\n        pkg1 \\\n        pkg2\n",
            f"FROM d\nRUN a && \\\n    b \\\n        pkg1 \\\n        pkg2 && \\\n    {CLEANUP}\n",
            id="chain indent, not the package list's",
        ),
        pytest.param(
            "FROM d\nRUN a &&\\\n  b \\\n      pkg\n",
            f"FROM d\nRUN a &&\\\n  b \\\n      pkg &&\\\n  {CLEANUP}\n",
            id="no space before the escape",
        ),
        pytest.param(
            "FROM d\nRUN a \\\n && b \\\n      pkg\n",
            f"FROM d\nRUN a \\\n && b \\\n      pkg \\\n && {CLEANUP}\n",
            id="operator first, one space",
        ),
        pytest.param(
            "FROM d\nRUN a\\\n    &&  b\n",
            f"FROM d\nRUN a\\\n    &&  b\\\n    &&  {CLEANUP}\n",
            id="operator first, its own spacing",
        ),
        pytest.param(
            "FROM d\nRUN set -eux; \\\n\ta; \\\n\tb \\\n\t\tpkg \\\n\t; \\\n\tc\n",
            "FROM d\nRUN set -eux; \\\n\ta; \\\n\tb \\\n\t\tpkg \\\n\t; \\\n"
            f"\tc; \\\n\t{CLEANUP}\n",
            id="set -e and semicolons, tabs",
        ),
        pytest.param(
            "FROM d\n  RUN a \\\n    && b \\\n         pkg\n",
            f"FROM d\n  RUN a \\\n    && b \\\n         pkg \\\n    && {CLEANUP}\n",
            id="indented RUN",
        ),
        pytest.param(
            "FROM d\nRUN a && \\\n    # a comment line\n    b\n",
            f"FROM d\nRUN a && \\\n    # a comment line\n    b && \\\n    {CLEANUP}\n",
            id="comment line inside the joint",
        ),
        pytest.param(
            "FROM d\r\nRUN a && \\\r\n    b \\\r\n        pkg\r\n",
            f"FROM d\r\nRUN a && \\\r\n    b \\\r\n        pkg && \\\r\n    {CLEANUP}\r\n",
            id="crlf",
        ),
    ],
)
def test_joined_like_the_run(src: str, expected: str) -> None:
    assert _append(src) == expected


def test_the_last_joint_of_the_run_wins() -> None:
    src = "FROM d\nRUN a && \\\n  b && \\\n    c \\\n        pkg\n"
    assert _append(src).endswith(f"pkg && \\\n    {CLEANUP}\n")


def test_a_run_without_joint_takes_the_file_style() -> None:
    src = (
        "FROM d\n"
        "RUN apt-get update && apt-get install -y \\\n      gcc \\\n      make\n"
        "RUN set -e \\\n  && groupadd app \\\n  && useradd -g app app\n"
        "RUN x \\\n  && y\n"
    )
    out = _append(src)
    assert f"      make \\\n  && {CLEANUP}\nRUN set -e" in out


def test_the_most_common_file_style_wins_over_the_nearest() -> None:
    src = "FROM d\nRUN a && b \\\n      pkg\nRUN c &&\\\n\td\nRUN e \\\n  && f\nRUN g \\\n  && h\n"
    assert f"      pkg \\\n  && {CLEANUP}\n" in _append(src)


def test_a_semicolon_joint_is_used_for_an_and_chain_with_its_spacing() -> None:
    src = "FROM d\nRUN a && b \\\n\t\tpkg\nRUN set -e; \\\n\tc; \\\n\td\n"
    assert f"\t\tpkg && \\\n\t{CLEANUP}\nRUN" in _append(src)


def test_without_the_file_the_default_is_and_at_the_end_and_four_spaces() -> None:
    src = "FROM d\nRUN a && b \\\n        pkg\nRUN c \\\n  && d\n"
    assert _append(src, with_file=False).startswith(
        f"FROM d\nRUN a && b \\\n        pkg && \\\n    {CLEANUP}\n"
    )


def test_default_indent_is_a_tab_in_a_tab_indented_run() -> None:
    src = "FROM d\nRUN a && b \\\n\t\tpkg\n"
    assert _append(src) == f"FROM d\nRUN a && b \\\n\t\tpkg && \\\n\t{CLEANUP}\n"


def test_heredoc_script_appends_on_the_last_line() -> None:
    src = "FROM d\nRUN <<EOF\nset -e\napt-get install -y x\nEOF\n"
    assert _append(src) == f"FROM d\nRUN <<EOF\nset -e\napt-get install -y x\n{CLEANUP}\nEOF\n"


def test_joints_are_read_relative_to_the_run_line() -> None:
    ctx, (ins,) = _runs("FROM d\n  RUN a \\\n    && b\n")
    script = ctx.shell(ins)
    assert script is not None
    assert joints(ins, script) == [Joint("&&", True, " ", " ", " ", "  ")]


def test_nested_commands_make_no_joint() -> None:
    ctx, (ins,) = _runs("FROM d\nRUN if a; then \\\n      b; \\\n    fi\n")
    script = ctx.shell(ins)
    assert script is not None
    assert joints(ins, script) == []


@pytest.mark.parametrize(
    ("content", "first", "below", "aligned"),
    [
        ("RUN install -y curl \\", 4, ["               git"], True),
        ("RUN install -y curl \\", 4, ["    git"], True),
        ("RUN install -y curl \\", 5, ["    git"], False),
        ("RUN install -y curl \\", 4, ["        git"], False),
        ("RUN install -y curl \\", 4, ["", "# note"], False),
        ("\tRUN install x \\", 0, ["\t\tx"], False),
        ("\tRUN install x \\", 0, ["\t            x"], True),
    ],
)
def test_aligned_under(content: str, first: int, below: list[str], aligned: bool) -> None:
    lines = [Line(0, 0, text, "\n") for text in below]
    assert aligned_under(content, first, lines) is aligned


def test_the_escape_joins_the_column_of_the_other_escapes() -> None:
    src = "FROM d\nRUN a && b \\\n  pkg1         \\\n  pkg2         \\\n  pkg3\n"
    assert _append(src).endswith(f"  pkg3 &&      \\\n    {CLEANUP}\n")


def test_escapes_that_happen_to_share_a_column_are_not_a_column() -> None:
    src = "FROM d\nRUN a && b \\\n  pkg1 \\\n  pkg2 \\\n  pkg-three\n"
    assert _append(src).endswith(f"  pkg-three && \\\n    {CLEANUP}\n")
