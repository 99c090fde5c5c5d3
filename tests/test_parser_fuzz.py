"""Hypothesis: random Dockerfiles round-trip and agree with BuildKit."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildkit_oracle import ours, theirs
from manifesto.cst import ParseError, parse

dockerfile = pytest.importorskip("dockerfile")

KEYWORDS = [
    "FROM",
    "RUN",
    "CMD",
    "COPY",
    "ADD",
    "ENV",
    "ARG",
    "LABEL",
    "ONBUILD RUN",
    "EXPOSE",
    "WORKDIR",
    "USER",
    "ENTRYPOINT",
    "HEALTHCHECK CMD",
    "SHELL",
    "VOLUME",
    "STOPSIGNAL",
    "MAINTAINER",
    "frobnicate",
]
WORD_CHARS = "abcXYZ019_-./=$'\"\\{}[],:#@ \t"

words = st.text(alphabet=WORD_CHARS, min_size=1, max_size=8)
newline = st.sampled_from(["\n", "\r\n"])
flag = st.sampled_from(["--from=build", "--mount=type=cache,target=/x", "--chown=1:1", "--link"])


@st.composite
def instruction(draw: st.DrawFn) -> str:
    kw = draw(st.sampled_from(KEYWORDS))
    kw = draw(st.sampled_from([kw, kw.lower(), kw.title()]))
    lead = draw(st.sampled_from(["", " ", "\t"]))
    parts = [lead + kw]
    parts += draw(st.lists(flag, max_size=2))
    if draw(st.booleans()) and kw.upper() in ("RUN", "CMD", "COPY", "ENTRYPOINT"):
        parts.append('["' + draw(st.text(alphabet="ab c", max_size=5)) + '", "x"]')
    else:
        parts += draw(st.lists(words, min_size=1, max_size=5))
    nl = draw(newline)
    out = parts[0]
    for part in parts[1:]:
        if draw(st.integers(0, 3)) == 0:
            out += draw(st.sampled_from([" \\", " \\  ", "\\"])) + nl
            out += draw(st.sampled_from(["", "# note" + nl, "  # indented" + nl, nl, "  " + nl]))
            out += draw(st.sampled_from(["", "  ", "\t"]))
        out += " " + part
    if kw.upper() in ("RUN", "COPY") and draw(st.booleans()):
        out += " <<EOF" + nl + draw(st.text(alphabet="ab \\$\n", max_size=10)) + nl + "EOF"
    return out + nl


@st.composite
def dockerfile_text(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(["", "# syntax=docker/dockerfile:1\n", "# escape=`\n"]))
    text += "FROM alpine\n"
    for _ in range(draw(st.integers(0, 6))):
        text += draw(st.one_of(instruction(), st.sampled_from(["\n", "# comment\n", "  \n"])))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfile_text())
def test_random_files_round_trip_and_agree(text: str) -> None:
    try:
        expected = theirs(text)
    except dockerfile.GoParseError:
        with pytest.raises(ParseError):
            parse(text)
        return
    assert parse(text).render() == text
    assert ours(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="FROMRUN \\\n\r\t#<EOF=\"'[]", max_size=60))
def test_arbitrary_text_never_raises_anything_but_parse_error(text: str) -> None:
    try:
        tree = parse(text)
    except ParseError as exc:
        assert exc.line >= 1
        assert exc.column >= 1
        return
    assert tree.render() == text
