"""Semantic views computed from the tree: stages, pairs, exec form, mounts, spans."""

from __future__ import annotations

import pytest

from manifesto.cst import ParseError, global_args, is_windows, parse, shipped_stages, stage_named
from manifesto.cst.values import exec_args, key_values, mounted_over, mounts
from manifesto.images import expand, parse_image

TEXT = """\
ARG BASE=debian
ARG TAG
FROM --platform=$BUILDPLATFORM golang:1.23 AS Build
RUN --mount=type=cache,target=/root/.cache/go-build \\
    # comment inside the continuation
    go build -o /out/app ./...
FROM ${BASE}:${TAG:-12} AS runtime
ENV a=b c="d e" f=g\\ h
ENV LEGACY some value
LABEL "com.example.k"="v"
COPY --from=build /out/app /usr/local/bin/app
CMD ["app", "--serve"]
FROM runtime
HEALTHCHECK --interval=5s CMD ["app", "--ping"]
"""


def test_stages_and_shipping() -> None:
    tree = parse(TEXT)
    build = stage_named(tree, "BUILD")
    assert build is not None
    assert (build.index, build.name, build.base, build.platform) == (
        0,
        "build",
        "golang:1.23",
        "$BUILDPLATFORM",
    )
    assert [s.index for s in shipped_stages(tree)] == [2, 1]
    assert global_args(tree) == {"BASE": "debian", "TAG": None}


def test_from_with_variables_resolves_against_global_args() -> None:
    tree = parse(TEXT)
    runtime = stage_named(tree, "runtime")
    assert runtime is not None
    resolved = expand(runtime.base, global_args(tree))
    assert resolved == "debian:12"
    ref = parse_image(resolved)
    assert ref is not None
    assert (ref.name, ref.tag) == ("debian", "12")


def test_env_label_pairs_in_all_forms() -> None:
    tree = parse(TEXT)
    envs = [ins for ins in tree.instructions if ins.keyword in ("ENV", "LABEL")]
    pairs = [(kv.key, kv.value) for ins in envs for kv in key_values(ins)]
    assert pairs == [
        ("a", "b"),
        ("c", "d e"),
        ("f", "g h"),
        ("LEGACY", "some value"),
        ("com.example.k", "v"),
    ]


def test_exec_form_and_flags() -> None:
    tree = parse(TEXT)
    cmd = next(i for i in tree.instructions if i.keyword == "CMD")
    assert exec_args(cmd) == ("app", "--serve")
    health = tree.instructions[-1]
    assert exec_args(health) == ("app", "--ping")
    copy = next(i for i in tree.instructions if i.keyword == "COPY")
    flag = copy.flag("from")
    assert flag is not None and flag.value == "build"
    assert TEXT[flag.span.start : flag.span.end] == "--from=build"


def test_mounts() -> None:
    tree = parse(TEXT)
    run = next(i for i in tree.instructions if i.keyword == "RUN")
    (mount,) = mounts(run)
    assert (mount.type, mount.target) == ("cache", "/root/.cache/go-build")
    assert mounted_over(run, "/root/.cache/go-build/x")
    assert not mounted_over(run, "/root/.cache")


def test_spans_cross_continuations_and_skip_comment_lines() -> None:
    tree = parse(TEXT)
    run = next(i for i in tree.instructions if i.keyword == "RUN")
    assert (run.start_line, run.end_line) == (4, 6)
    assert run.args_text == "go build -o /out/app ./..."
    assert TEXT[run.args.start : run.args.end] == "go build -o /out/app ./..."
    assert run.logical.text.endswith("    go build -o /out/app ./...")
    assert TEXT[run.keyword_span.start : run.keyword_span.end] == "RUN"


def test_positions_with_bom_and_crlf() -> None:
    text = "\ufeffFROM a\r\nRUN b\r\n"
    tree = parse(text)
    run = tree.instructions[1]
    assert tree.position(run.start) == (2, 1)
    assert tree.position(tree.instructions[0].start) == (1, 1)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param("FROM a\nENV ONLYKEY\n", 2, "ENV must have two arguments", id="env"),
        pytest.param("FROM a\nRUN <<EOF\nnever ends\n", 2, "unterminated heredoc", id="heredoc"),
        pytest.param("# escape=x\nFROM a\n", 1, "invalid escape token", id="escape"),
        pytest.param("\n# only a comment\n", 2, "file with no instructions", id="empty"),
        pytest.param('FROM a\nCMD ["a", 1]\n', 2, "arrays must be comprised of strings", id="json"),
        pytest.param("# escape=\\\n# escape=`\nFROM a\n", 2, "only one escape", id="twice"),
    ],
)
def test_errors_have_a_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.line == line
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        pytest.param("# escape=`\nFROM a\n", True, id="backtick"),
        pytest.param("FROM mcr.microsoft.com/windows/servercore:ltsc2022\n", True, id="servercore"),
        pytest.param('FROM a\nSHELL ["powershell", "-Command"]\n', True, id="powershell"),
        pytest.param("FROM debian:12\n", False, id="linux"),
    ],
)
def test_windows_detection(text: str, windows: bool) -> None:
    assert is_windows(parse(text)) is windows
