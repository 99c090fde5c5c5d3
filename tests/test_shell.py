"""Tests for manifesto.shell: the typed view of a RUN instruction's shell script."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifesto.context import shell_source
from manifesto.cst import ParseError, is_windows
from manifesto.cst import parse as parse_dockerfile
from manifesto.shell import (
    Command,
    ShellCache,
    ShellScript,
    ShellSource,
    Word,
    iter_words,
    parse_shell,
    shell_options,
)

CORPUS = (Path(__file__).parents[1] / ".." / "shared" / "corpus").resolve()


# --------------------------------------------------------------------------- helpers


def parse(text: str, offset: int = 0, *, errexit: bool = False) -> ShellScript:
    return parse_shell(ShellSource(text, offset), errexit=errexit)


def embed(text: str, prefix: str = "FROM alpine\nRUN ") -> tuple[str, ShellScript]:
    """Put ``text`` in a little Dockerfile and parse it at its real offset."""
    file_text = prefix + text + "\n"
    return file_text, parse_shell(ShellSource(text, len(prefix)))


def names(script: ShellScript) -> list[str | None]:
    return [c.name.value if c.name else None for c in script.commands]


def argv(cmd: Command) -> list[str | None]:
    return [w.value for w in cmd.words]


def spans(script: ShellScript) -> Iterator[tuple[str, int, int]]:
    """(text, start, end) of everything in the model that carries offsets."""
    for c in script.commands:
        yield c.text, c.start, c.end
        for a in c.assignments:
            yield a.text, a.start, a.end
        for r in c.redirects:
            yield r.text, r.start, r.end
    for w in iter_words(script):
        yield w.text, w.start, w.end
    for s in script.statements:
        yield s.text, s.start, s.end
    for h in script.heredocs:
        yield h.body.text, h.body.start, h.body.end
        if h.terminator is not None:
            yield h.terminator.text, h.terminator.start, h.terminator.end


def assert_exact(file_text: str, script: ShellScript) -> None:
    assert not (script.error or "").startswith("internal error"), script.error
    lo, hi = script.source.offset, script.source.end
    for text, start, end in spans(script):
        assert lo <= start <= end <= hi, (text, start, end, lo, hi)
        assert file_text[start:end] == text, (text, start, end)
    assert lo <= script.end <= hi


# --------------------------------------------------------------------------- lists and operators


def test_and_chain_names_args_and_operators() -> None:
    file_text, sc = embed(
        "apt-get update && apt-get install -y --no-install-recommends curl \\\n"
        "    ca-certificates && rm -rf /var/lib/apt/lists/*"
    )
    assert not sc.has_errors and sc.supported
    assert names(sc) == ["apt-get", "apt-get", "rm"]
    install = sc.commands[1]
    assert [a.value for a in install.args] == [
        "install",
        "-y",
        "--no-install-recommends",
        "curl",
        "ca-certificates",
    ]
    assert [(c.operator_before, c.operator_after) for c in sc.commands] == [
        (None, "&&"),
        ("&&", "&&"),
        ("&&", None),
    ]
    assert len(sc.statements) == 1
    assert sc.statements[0].operators == ("&&", "&&")
    assert sc.statements[0].terminator is None
    assert sc.end == len(file_text) - 1
    assert file_text[sc.end - 1] == "*"
    arg = sc.argument(1, 4)
    assert arg is not None and arg.text == "ca-certificates"
    assert file_text[arg.start : arg.end] == "ca-certificates"
    assert sc.argument(1, 5) is None and sc.argument(7, 0) is None
    assert_exact(file_text, sc)


def test_semicolons_pipes_or_and_background() -> None:
    file_text, sc = embed("a; b | c || d & e")
    assert names(sc) == ["a", "b", "c", "d", "e"]
    ops = [(c.operator_before, c.operator_after) for c in sc.commands]
    assert ops == [(None, ";"), (";", "|"), ("|", "||"), ("||", "&"), ("&", None)]
    assert [c.in_pipeline for c in sc.commands] == [False, True, True, False, False]
    assert [(s.text, s.operators, s.terminator) for s in sc.statements] == [
        ("a", (), ";"),
        ("b | c || d", ("|", "||"), "&"),
        ("e", (), None),
    ]
    assert_exact(file_text, sc)


def test_newline_separated_statements_in_heredoc_script() -> None:
    file_text, sc = embed("<<EOF\nset -e\napt-get update\napt-get install -y x\nEOF")
    assert names(sc) == ["set", "apt-get", "apt-get"]
    assert [c.operator_before for c in sc.commands] == [None, "\n", "\n"]
    assert [s.terminator for s in sc.statements] == ["\n", "\n", None]
    assert sc.script_heredoc is not None and sc.script_heredoc.delimiter == "EOF"
    assert sc.errexit and sc.append_operator() == "\n"
    assert_exact(file_text, sc)


def test_set_e_errexit_tracking() -> None:
    file_text, sc = embed("a; set -eux; b && set +e; c; set -o errexit -o pipefail; d")
    a, _set1, b, _set2, c, _set3, d = sc.commands
    assert [x.errexit for x in sc.commands] == [False, False, True, True, False, False, True]
    assert d.pipefail and not c.pipefail
    assert sc.errexit and sc.pipefail
    assert not sc.errexit_at(a.start)
    assert sc.errexit_at(b.start)
    assert not sc.errexit_at(c.start)
    assert sc.errexit_at(d.start)
    assert sc.append_operator() == ";"
    assert_exact(file_text, sc)


def test_errexit_is_scoped_to_subshells_and_given_initially() -> None:
    _, sc = embed("(set -e; a); b; f() { set -e; }; c")
    a, b, c = sc.commands_named("a", "b", "c")
    assert a.errexit and not b.errexit and not c.errexit
    assert not sc.errexit
    _, sc2 = embed("a && b", prefix="RUN ")
    assert not sc2.errexit
    sc3 = parse("a && b", errexit=True)
    assert all(x.errexit for x in sc3.commands) and sc3.errexit
    assert sc3.append_operator() == "&&"


def test_set_e_flags_variants() -> None:
    for text, expected in [
        ("set -e; x", True),
        ("set -ex; x", True),
        ("set -euxo pipefail; x", True),
        ("set -o errexit; x", True),
        ("set -x; x", False),
        ("set -o pipefail; x", False),
        ("set -- -e; x", False),
        ("echo set -e; x", False),
    ]:
        sc = parse(text)
        assert sc.commands[-1].errexit is expected, text


def test_shell_options_from_shell_instruction() -> None:
    assert shell_options(["/bin/sh", "-c"]) == (False, False)
    assert shell_options(["/bin/bash", "-o", "pipefail", "-c"]) == (False, True)
    assert shell_options(["/bin/bash", "-eo", "pipefail", "-c"]) == (True, True)
    assert shell_options(["bash", "-ec"]) == (True, False)
    assert shell_options(["bash", "-c", "-e"]) == (False, False)
    assert shell_options(["powershell", "-Command"]) is None
    assert shell_options(["cmd", "/S", "/C"]) is None
    assert shell_options([]) is None
    sc = parse_shell(ShellSource("a | b", 0), errexit=True, pipefail=True)
    assert sc.errexit and sc.pipefail and all(c.pipefail and c.errexit for c in sc.commands)


# --------------------------------------------------------------------------- constructs


def test_if_for_while_case_function_contexts() -> None:
    file_text, sc = embed(
        "if [ -f /x ]; then apt-get install -y a; elif true; then b; else c; fi && "
        "for f in 1 2; do if d; then e; fi; done; while read l; do g; done < /in; "
        'until h; do i; done; case "$x" in a|b) j;; *) k;; esac; fn() { m; }'
    )
    ctx = {c.name.value: c.context for c in sc.commands if c.name and c.name.value}
    assert ctx["["] == ("if",)
    assert ctx["apt-get"] == ("if",)
    assert ctx["c"] == ("if",)
    assert ctx["d"] == ("for", "if")
    assert ctx["e"] == ("for", "if")
    assert ctx["g"] == ("while",)
    assert ctx["h"] == ("until",) and ctx["i"] == ("until",)
    assert ctx["j"] == ("case",) and ctx["k"] == ("case",)
    assert ctx["m"] == ("function",)
    test = sc.commands[0]
    assert test.kind == "test" and test.operator_after == ";" and test.operator_before is None
    j = sc.commands_named("j")[0]
    assert j.operator_after == ";;"
    assert [s.terminator for s in sc.statements] == [";", ";", ";", ";", None]
    # the first statement is the whole if ... fi && for ... done
    first = sc.statements[0]
    assert first.text.startswith("if ") and first.text.endswith("done")
    assert first.operators == ("&&",)
    apt = sc.commands_named("apt-get")[0]
    assert sc.insertion_point_after(apt) == first.end
    assert_exact(file_text, sc)


def test_subshell_group_and_substitutions() -> None:
    file_text, sc = embed(
        '(cd /src && make) && { a; b; } > /log; echo "$(cat <(ls) | tr a b)" `date`'
    )
    by = {c.name.value: c for c in sc.commands if c.name}
    assert by["cd"].context == ("subshell",) and by["make"].context == ("subshell",)
    assert by["make"].operator_before == "&&"
    assert by["a"].context == ("group",) and by["b"].operator_after == ";"
    assert by["cat"].context == ("command_substitution",)
    assert by["ls"].context == ("command_substitution", "process_substitution")
    assert by["tr"].in_pipeline and by["date"].context == ("command_substitution",)
    echo = by["echo"]
    assert [w.value for w in echo.args] == [None, None]
    assert names(sc) == ["cd", "make", "a", "b", "echo", "cat", "ls", "tr", "date"]
    assert [c.index for c in sc.commands] == list(range(9))
    assert_exact(file_text, sc)


def test_redirects_assignments_and_trailing_redirect_binding() -> None:
    file_text, sc = embed(
        "DEBIAN_FRONTEND=noninteractive X+=1 apt-get install -y x >/dev/null 2>&1 && a && b > /out"
    )
    apt, a, b = sc.commands
    assert [(x.name, x.value and x.value.value, x.append) for x in apt.assignments] == [
        ("DEBIAN_FRONTEND", "noninteractive", False),
        ("X", "1", True),
    ]
    assert [(r.operator, r.descriptor, r.target and r.target.value) for r in apt.redirects] == [
        (">", None, "/dev/null"),
        (">&", "2", "1"),
    ]
    assert apt.text.endswith("2>&1") and apt.text.startswith("DEBIAN_FRONTEND")
    assert not a.redirects
    assert [r.text for r in b.redirects] == ["> /out"]  # bash binds it to b only
    assert b.text == "b > /out"
    assert_exact(file_text, sc)


def test_words_after_redirect_are_arguments() -> None:
    file_text, sc = embed("echo >/x foo 2>&1 bar")
    (cmd,) = sc.commands
    assert [w.value for w in cmd.args] == ["foo", "bar"]
    assert [r.text for r in cmd.redirects] == [">/x", "2>&1"]
    assert cmd.text == "echo >/x foo 2>&1 bar"
    assert_exact(file_text, sc)


def test_assignment_only_declaration_unset_and_redirect_only() -> None:
    file_text, sc = embed("A=1 B=2; export C=3 D; unset E; >/f")
    assign, export, unset, redir = sc.commands
    assert assign.name is None and [a.name for a in assign.assignments] == ["A", "B"]
    assert export.kind == "declaration" and argv(export) == ["export", "C=3", "D"]
    assert unset.kind == "unset" and argv(unset) == ["unset", "E"]
    assert redir.name is None and redir.redirects[0].target is not None
    assert redir.redirects[0].target.value == "/f"
    assert_exact(file_text, sc)


def test_word_values() -> None:
    file_text, sc = embed(
        'echo plain \'single q\' "double $HOME" "esc \\" \\$x" a\\ b \'x\'"y"z '
        "$VAR ${V:-d} $(id) `id` $((1+2)) $'\\n' /usr/*.txt"
    )
    (echo, *_subs) = sc.commands
    assert [w.value for w in echo.args] == [
        "plain",
        "single q",
        None,
        'esc " $x',
        "a b",
        "xyz",
        None,
        None,
        None,
        None,
        None,
        None,
        "/usr/*.txt",
    ]
    assert [w.kind for w in echo.args[:3]] == ["word", "raw_string", "string"]
    assert_exact(file_text, sc)


# --------------------------------------------------------------------------- effective command


def test_commands_named_skips_wrappers() -> None:
    file_text, sc = embed(
        "sudo -E -u root env DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y x; "
        "command -v apt-get; command apt-get update; apt-get clean; nice -n 5 nohup yum -y up; "
        "eatmydata apt-get -q purge y"
    )
    apts = sc.commands_named("apt-get")
    assert [argv(c)[0] for c in apts] == ["sudo", "command", "apt-get", "eatmydata"]
    assert [[w.value for w in c.effective_args] for c in apts] == [
        ["install", "-y", "x"],
        ["update"],
        ["clean"],
        ["-q", "purge", "y"],
    ]
    first = apts[0]
    assert first.effective_name is not None and first.effective_name.value == "/usr/bin/apt-get"
    assert first.program == "apt-get"
    lookup = sc.commands[1]
    assert lookup.program == "command"
    assert [c.program for c in sc.commands_named("yum")] == ["yum"]
    assert sc.commands_named("/usr/bin/apt-get") == apts
    assert_exact(file_text, sc)


# --------------------------------------------------------------------------- Dockerfile line rules


def test_comment_and_blank_lines_inside_continuation_are_dropped() -> None:
    text = "apt-get install -y \\\n    # the tools\n    curl \\\n\n   \t\n  #another\n    git"
    file_text, sc = embed(text)
    assert not sc.has_errors
    (cmd,) = sc.commands
    assert argv(cmd) == ["apt-get", "install", "-y", "curl", "git"]
    git = cmd.args[-1]
    assert file_text[git.start : git.end] == "git"
    assert cmd.end == len(file_text) - 1
    assert_exact(file_text, sc)


def test_comment_line_does_not_end_command_and_hash_is_not_stripped() -> None:
    # BuildKit joins "a # c \" with the next line, so bash sees "a # c   b": b is commented out.
    file_text, sc = embed("echo a # c \\\n  b")
    assert argv(sc.commands[0]) == ["echo", "a"]
    assert len(sc.commands) == 1
    assert_exact(file_text, sc)


def test_trailing_blanks_after_backslash_continue() -> None:
    file_text, sc = embed("apt-get update \\  \t\n && apt-get install -y x")
    assert not sc.has_errors
    assert names(sc) == ["apt-get", "apt-get"]
    assert sc.commands[1].operator_before == "&&"
    assert_exact(file_text, sc)


def test_continuation_joins_words_like_buildkit() -> None:
    file_text, sc = embed("echo foo\\\nbar \\\n# dropped\n\\\nbaz")
    (echo,) = sc.commands
    assert [w.value for w in echo.args] == ["foobar", "baz"]
    assert echo.args[0].text == "foo\\\nbar"
    assert_exact(file_text, sc)


def test_escaped_backslash_is_not_a_continuation() -> None:
    sc = parse("echo a\\\\")
    assert [w.value for w in sc.commands[0].args] == ["a\\"]
    sc2 = parse("echo a\\\\\nb")
    assert sc2.has_errors and "after the end" in (sc2.error or "")


def test_crlf_file() -> None:
    text = "apt-get update \\\r\n  && apt-get install -y \\\r\n\r\n  # c\r\n  curl\\\r\n  git\r"
    file_text, sc = embed(text, prefix="FROM x\r\nRUN ")
    assert not sc.has_errors
    assert names(sc) == ["apt-get", "apt-get"]
    assert [w.value for w in sc.commands[1].args] == ["install", "-y", "curl", "git"]
    assert "\r" not in sc.commands[1].args[-1].text
    assert file_text[sc.end - 3 : sc.end] == "git"
    assert_exact(file_text, sc)


def test_crlf_heredoc() -> None:
    text = "cat <<EOF > /x\r\nline\r\nEOF\r"
    file_text, sc = embed(text)
    assert not sc.has_errors
    (cat,) = sc.commands
    heredoc = cat.redirects[0].heredoc
    assert heredoc is not None and heredoc.body.text == "line\r\n"
    assert heredoc.terminator is not None and heredoc.terminator.text == "EOF"
    assert sc.end == cat.end and file_text[cat.start : cat.end] == "cat <<EOF > /x"
    assert_exact(file_text, sc)


def test_backquote_escape_is_unsupported() -> None:
    sc = parse_shell(ShellSource("echo a `\n b", 10, escape="`"))
    assert not sc.supported and sc.has_errors and sc.commands == () and sc.end == 10


# --------------------------------------------------------------------------- heredocs


@pytest.mark.parametrize(
    ("marker", "delimiter", "quoted", "chomp"),
    [
        ("<<EOF", "EOF", False, False),
        ("<<-EOF", "EOF", False, True),
        ('<<"EOF"', "EOF", True, False),
        ("<<'EOF'", "EOF", True, False),
    ],
)
def test_heredoc_script_body_is_the_script(
    marker: str, delimiter: str, quoted: bool, chomp: bool
) -> None:
    text = f"{marker}\n\tapt-get update\n\tapt-get install -y x && rm -rf /l\n\t{delimiter}"
    if not chomp:
        text = text.replace("\n\t" + delimiter, "\n" + delimiter)
    file_text, sc = embed(text)
    assert not sc.has_errors, sc.error
    h = sc.script_heredoc
    assert h is not None and (h.delimiter, h.quoted, h.chomp) == (delimiter, quoted, chomp)
    assert names(sc) == ["apt-get", "apt-get", "rm"]
    assert file_text[sc.end - 5 : sc.end] == "rm -rf /l"[-5:]
    assert sc.commands[2].operator_before == "&&"
    assert len(sc.statements) == 2
    assert_exact(file_text, sc)


def test_heredoc_script_with_shell_shebang() -> None:
    file_text, sc = embed("<<EOF\n#!/bin/bash -ex\napt-get update\nEOF")
    assert sc.supported and not sc.has_errors
    assert names(sc) == ["apt-get"] and sc.commands[0].errexit
    _, sc2 = embed("<<EOF\n#!/usr/bin/env sh\necho hi\nEOF")
    assert sc2.supported and not sc2.commands[0].errexit
    _, sc3 = embed("<<EOF\n#!/bin/bash -o pipefail\necho hi | cat\nEOF")
    assert sc3.pipefail and not sc3.errexit and sc3.commands[1].pipefail
    # with <<- the tab before "#!" hides the shebang from BuildKit: the body runs under sh
    _, sc4 = embed("<<-EOF\n\t#!/bin/bash -e\n\techo hi\n\tEOF")
    assert sc4.supported and not sc4.commands[0].errexit
    assert_exact(file_text, sc)


def test_heredoc_script_with_other_interpreter_is_unsupported() -> None:
    _, sc = embed("<<EOF\n#!/usr/bin/env python3\nprint('hi')\nEOF")
    assert not sc.supported and sc.has_errors and sc.commands == ()
    assert "python3" in (sc.error or "")


def test_heredoc_inside_heredoc_script() -> None:
    text = "<<EOF\ncat <<EOT > /etc/x && echo done\nhello\nEOT\napt-get update\nEOF"
    file_text, sc = embed(text)
    assert not sc.has_errors, sc.error
    cat, echo, apt = sc.commands
    assert cat.text == "cat <<EOT > /etc/x" and cat.operator_after == "&&"
    assert echo.operator_before == "&&" and echo.operator_after == "\n"
    assert [r.operator for r in cat.redirects] == ["<<", ">"]
    h = cat.redirects[0].heredoc
    assert h is not None and h.body.text == "hello\n" and h.delimiter == "EOT"
    assert sc.statements[0].text == "cat <<EOT > /etc/x && echo done"
    assert apt.operator_before == "\n"
    assert_exact(file_text, sc)


def test_command_with_heredocs_is_parsed_without_bodies() -> None:
    text = 'cat <<EOF > /x && python3 - <<-"PY" | sort; echo "c"\n$HOME\nEOF\n\tprint(1)\n\tPY'
    file_text, sc = embed(text)
    assert not sc.has_errors, sc.error
    assert names(sc) == ["cat", "python3", "sort", "echo"]
    cat, py, sort, echo = sc.commands
    assert [(r.operator, r.text) for r in cat.redirects] == [("<<", "<<EOF"), (">", "> /x")]
    h1 = cat.redirects[0].heredoc
    h2 = py.redirects[0].heredoc
    assert h1 is not None and h1.body.text == "$HOME\n" and h1.body.value is None
    assert h2 is not None and h2.chomp and h2.quoted and h2.body.value == "\tprint(1)\n"
    assert py.redirects[0].operator == "<<-"
    assert py.operator_after == "|" and sort.operator_after == ";"
    assert [h.delimiter for h in sc.heredocs] == ["EOF", "PY"]
    assert sc.end == echo.end and echo.text == 'echo "c"'
    assert_exact(file_text, sc)


def test_unterminated_heredoc_is_an_error() -> None:
    sc = parse("cat <<EOF\nhello")
    assert sc.has_errors and "unterminated" in (sc.error or "")


def test_spaced_heredoc_operator_is_not_a_buildkit_heredoc() -> None:
    # BuildKit only recognises "<<WORD" as one word; "<< EOF" is left to the shell.
    sc = parse("cat << EOF")
    assert sc.heredocs == () or sc.heredocs[0].delimiter == "EOF"
    assert names(sc) == ["cat"]


# --------------------------------------------------------------------------- errors and unicode


def test_syntax_error_is_reported_not_raised() -> None:
    sc = parse('echo "unterminated')
    assert sc.has_errors and sc.supported and sc.error
    sc2 = parse("if true; then echo")
    assert sc2.has_errors


def test_empty_script() -> None:
    sc = parse("", 42)
    assert sc.commands == () and sc.statements == () and sc.end == 42 and not sc.has_errors


def test_non_ascii_offsets() -> None:
    text = 'echo "grüße 😀" && touch /tmp/é\\\nü 😀 && echo ok'
    file_text, sc = embed(text, prefix="# ünïcödé 😀\nFROM x\nRUN ")
    assert not sc.has_errors
    echo, touch, ok = sc.commands
    assert echo.args[0].value == "grüße 😀"
    assert [w.value for w in touch.args] == ["/tmp/éü", "😀"]
    assert file_text[touch.start : touch.end] == "touch /tmp/é\\\nü 😀"
    assert ok.text == "echo ok" and file_text[ok.start : ok.end] == "echo ok"
    assert_exact(file_text, sc)


def test_cache_memoises_and_owns_parser() -> None:
    cache = ShellCache()
    src = ShellSource("a && b", 3)
    one = parse_shell(src, cache=cache)
    two = cache.script(ShellSource("a && b", 3))
    assert one is two and len(cache) == 1
    assert cache.parser is cache.parser
    assert parse_shell(src, errexit=True, cache=cache) is not one and len(cache) == 2


def test_insertion_point_after_statement_with_nested_command() -> None:
    file_text, sc = embed("set -e; if x; then apt-get update; fi; echo a | tee b; c")
    apt = sc.commands_named("apt-get")[0]
    at = sc.insertion_point_after(apt)
    assert file_text[:at].endswith("fi")
    tee = sc.commands_named("tee")[0]
    assert file_text[: sc.insertion_point_after(tee)].endswith("tee b")
    st_ = sc.statement_of(tee)
    assert st_ is not None and [c.program for c in st_.commands] == ["echo", "tee"]


_ALPHABET = st.sampled_from(
    [*"ab $'\"\\\n\r\t#;&|()<>{}`=-E0ü😀", "<<EOF", "\nEOF", "&&", "||", "if ", " fi", "${x}"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join), st.integers(0, 5))
def test_never_raises_and_offsets_are_exact(text: str, pad: int) -> None:
    file_text = "x" * pad + text
    sc = parse_shell(ShellSource(text, pad))
    assert_exact(file_text, sc)
    assert [c.index for c in sc.commands] == list(range(len(sc.commands)))
    assert [c.start for c in sc.commands] == sorted(c.start for c in sc.commands)


# --------------------------------------------------------------------------- corpus


def find_runs(text: str) -> list[ShellSource]:
    """Shell-form RUN instructions of a Dockerfile, read by the real parser."""
    try:
        tree = parse_dockerfile(text)
    except ParseError:
        return []
    if is_windows(tree):
        return []  # PowerShell and cmd scripts are not bash
    sources = (shell_source(text, ins) for ins in tree.instructions)
    return [s for s in sources if s is not None]


def test_find_runs() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM x\nRUN --mount=type=cache,target=/c \\\n"
        '    # c\n    apt-get update\nrun ["a", "b"]\nRUN <<EOF\nRUN inside\nEOF\n'
        "ENV A=1 \\\n  RUN=2\n  RUN echo last\r\n"
    )
    runs = find_runs(text)
    assert [r.text for r in runs] == ["apt-get update", "<<EOF\nRUN inside\nEOF", "echo last"]
    for r in runs:
        assert text[r.offset : r.offset + len(r.text)] == r.text


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_offsets_are_exact() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".tsv", ".md"))
    files = [p for p in files if p.name != "result"]
    cache = ShellCache()
    runs = errors = commands = 0
    started = time.perf_counter()
    for path in files:
        file_text = path.read_bytes().decode("utf-8", errors="replace")
        for src in find_runs(file_text):
            sc = parse_shell(src, cache=cache)
            runs += 1
            errors += sc.has_errors
            commands += len(sc.commands)
            assert_exact(file_text, sc)
            for c in sc.commands:
                for w in c.words:
                    assert isinstance(w, Word) and w.text == file_text[w.start : w.end]
    elapsed = time.perf_counter() - started
    print(
        f"\ncorpus: {len(files)} files, {runs} RUNs, {commands} commands, "
        f"{errors} with errors, {elapsed:.1f}s"
    )
    assert runs > 5000
    assert errors < runs * 0.02


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a bare assignment runs its substitution: the pipe inside is a pipe of the script
        pytest.param(
            "V=$(curl -s u | awk '{exit}') && echo $V", ["curl", "awk", "echo"], id="bare"
        ),
        pytest.param("A=$(id -u) B=`hostname`", ["id", "hostname"], id="several"),
        pytest.param("V=$(date) make", ["make", "date"], id="prefix"),
        # a declaration's assignment is one of its words: walked once, not twice
        pytest.param("export V=$(uname -m)", ["export", "uname"], id="declaration"),
    ],
)
def test_substitutions_in_assignments_are_commands(text: str, expected: list[str]) -> None:
    sc = parse(text)
    assert [c.name.value for c in sc.commands if c.name] == expected
    pipe = [c for c in sc.commands if c.name and c.name.value in ("curl", "awk")]
    assert all(c.in_pipeline for c in pipe)
