"""manifesto.layout: a command appended to a RUN is written in the file's own style."""

from __future__ import annotations

import pytest

from manifesto.context import FixContext
from manifesto.cst import Instruction, Line, parse
from manifesto.edits import apply_edits
from manifesto.layout import (
    Joint,
    aligned_under,
    append_command,
    append_commands,
    insert_option,
    joints,
)

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
    # two padded lines make the column; the default indent goes no deeper than the list
    assert _append(src).endswith(f"  pkg3 &&      \\\n  {CLEANUP}\n")


def test_escapes_that_happen_to_share_a_column_are_not_a_column() -> None:
    src = "FROM d\nRUN a && b \\\n  pkg1 \\\n  pkg2 \\\n  pkg-three\n"
    assert _append(src).endswith(f"  pkg-three && \\\n  {CLEANUP}\n")


# --- escapes in a column: only where the RUN really lines them up


@pytest.mark.parametrize(
    ("src", "last"),
    [
        pytest.param(
            "FROM d\nRUN a && b \\\n  pkg-one \\\n  p2     \\\n  pkg-two \\\n  p4\n",
            "  p4 && \\\n",
            id="two lines as long by chance, one padded: no column",
        ),
        pytest.param(
            "FROM d\nRUN a && b \\\n  pkg-1   \\\n  pkg-2   \\\n  pkg-3   \\\n"
            "  p4 \\\n  p5 \\\n  p6 \\\n  p8\n",
            "  p8 && \\\n",
            id="three padded lines but not most of them: no column",
        ),
        pytest.param(
            "FROM d\nRUN a && b \\\n  pkg-one \\\n  pkg2    \\\n  pkg-3   \\\n  p4\n",
            "  p4 &&   \\\n",
            id="three lines, one padded: a column",
        ),
        pytest.param(
            "FROM d\nRUN a && \\\n    b && \\\n    c\n",
            "    c && \\\n",
            id="equal lines without padding: no column",
        ),
        pytest.param(
            "FROM d\nRUN a &&     \\\n    b\n",
            "    b && \\\n",
            id="a padded joint with nothing to line up with: one space",
        ),
    ],
)
def test_escape_column_only_where_the_run_aligns(src: str, last: str) -> None:
    out = _append(src)
    assert last in out
    assert out.count("\\\n") == src.count("\\\n") + 1


# --- the indentation of a RUN without a joint of its own


def test_column_0_of_another_run_is_not_borrowed_by_a_run_with_command_lines() -> None:
    src = (
        "FROM d\nRUN a && \\\nb && \\\nc\n"
        "RUN apt-get update && \\\n    while read -r p; do \\\n"
        '        apt-get install -y "$p"; \\\n'
        "    done < deps\n"
    )
    assert _append(src, which=1).endswith(f"    done < deps && \\\n    {CLEANUP}\n")


def test_a_run_with_its_command_lines_at_column_0_keeps_column_0() -> None:
    src = "FROM d\nRUN x \\\n    && y\nRUN if a; then \\\nb; \\\nfi\n"
    assert _append(src, which=1).endswith(f"fi \\\n&& {CLEANUP}\n")


def test_column_0_of_another_run_is_not_borrowed_under_a_package_list() -> None:
    src = "FROM d\nRUN a && \\\nb\nRUN apt-get install -y \\\n  gcc \\\n  make\n"
    assert _append(src, which=1).endswith(f"  make && \\\n    {CLEANUP}\n")


def test_the_default_indent_goes_no_deeper_than_the_package_list() -> None:
    src = "FROM d\nRUN apt-get update && apt-get install -y \\\n  gcc \\\n  make\n"
    assert _append(src) == f"{src[:-1]} && \\\n  {CLEANUP}\n"


def test_the_file_indent_stands_over_a_shallower_package_list() -> None:
    src = "FROM d\nRUN apt-get install -y \\\n  gcc \\\n  make\nRUN x \\\n    && y\n"
    assert f"  make \\\n    && {CLEANUP}\nRUN x" in _append(src)


def test_a_package_list_at_column_0_gets_the_default_indent() -> None:
    src = "FROM d\nRUN apt-get install -y \\\ngcc \\\nmake\n"
    assert _append(src, with_file=False).endswith(f"make && \\\n    {CLEANUP}\n")


# --- blanks that end the script's last line stay where they are


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM d\nRUN a \\\n    && b   \n",
            f"FROM d\nRUN a \\\n    && b   \\\n    && {CLEANUP}\n",
            id="operator first",
        ),
        pytest.param(
            "FROM d\nRUN a && \\\n    b \n",
            f"FROM d\nRUN a && \\\n    b && \\\n    {CLEANUP}\n",
            id="operator last: the blank is the one before the operator",
        ),
        pytest.param(
            "FROM d\nRUN a && b \n",
            f"FROM d\nRUN a && b && {CLEANUP}\n",
            id="one line",
        ),
        pytest.param(
            "FROM d\r\nRUN a && \\\r\n    b \t\r\n",
            f"FROM d\r\nRUN a && \\\r\n    b \t&& \\\r\n    {CLEANUP}\r\n",
            id="crlf and a tab",
        ),
        pytest.param(
            "FROM d\nRUN <<EOF\nset -e\napt-get install -y x  \nEOF\n",
            f"FROM d\nRUN <<EOF\nset -e\napt-get install -y x  \n{CLEANUP}\nEOF\n",
            id="heredoc",
        ),
    ],
)
def test_trailing_blanks_stay_on_their_line(src: str, expected: str) -> None:
    assert _append(src) == expected


def test_commands_appended_together_keep_the_trailing_blank_in_place() -> None:
    src = "FROM d\nRUN a \\\n    && b \n"
    ctx, (ins,) = _runs(src)
    script = ctx.shell(ins)
    assert script is not None
    edit = append_commands(ins, script, ["yum clean all", "rm -rf /var/cache/yum"], ctx)
    assert apply_edits(src, [edit]) == (
        "FROM d\nRUN a \\\n    && b \\\n    && yum clean all \\\n    && rm -rf /var/cache/yum\n"
    )


# --- an option inserted into a command keeps the list aligned under it


def _insert_option(src: str, after: str, option: str) -> tuple[str, int]:
    at = src.index(after) + len(after)
    placed = insert_option(src, at, option, len(src.rstrip("\n")))
    return apply_edits(src, list(placed.edits)), len(placed.moved)


def test_lines_aligned_under_a_pushed_word_move_with_it() -> None:
    src = (
        "RUN pip3 install --no-binary lxml \\\n"
        "                             aioxmpp \\\n"
        "                             lxml\n"
    )
    out, moved = _insert_option(src, "install", " --no-cache-dir")
    assert moved == 2
    assert out == (
        "RUN pip3 install --no-cache-dir --no-binary lxml \\\n"
        "                                            aioxmpp \\\n"
        "                                            lxml\n"
    )


def test_an_option_put_before_a_word_moves_the_lines_under_that_word() -> None:
    src = "RUN apt-get install autoconf \\\n                    automake\n"
    at = src.index("autoconf")
    placed = insert_option(src, at, "--no-install-recommends ", len(src))
    assert placed.shift == " " * len("--no-install-recommends ")
    assert apply_edits(src, list(placed.edits)) == (
        "RUN apt-get install --no-install-recommends autoconf \\\n"
        "                                            automake\n"
    )


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "RUN pip install \\\n        flask \\\n        gunicorn\n", id="list not under"
        ),
        pytest.param("\tRUN pip install flask \\\n\t            gunicorn\n", id="tab before"),
        pytest.param("RUN pip install a && \\\n    pip install b\n", id="another command"),
    ],
)
def test_nothing_else_moves_when_no_line_is_under_a_pushed_word(src: str) -> None:
    out, moved = _insert_option(src, "install", " --no-cache-dir")
    assert moved == 0
    assert out == src.replace("install", "install --no-cache-dir", 1)


def test_lines_after_the_command_do_not_move() -> None:
    src = "RUN pip install flask && \\\n                apt-get install x\n"
    at = src.index("install") + len("install")
    command_end = src.index(" &&")
    placed = insert_option(src, at, " --no-cache-dir", command_end)
    assert placed.edits == (placed.edits[0],) and placed.moved == frozenset()
