"""The fixpoint loop: applying, converging, rolling back broken output."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, ParseError
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.fixer import Fixer


@dataclass(frozen=True)
class _Keyword:
    """Test fixer: upper-cases a lower-case keyword (one per pass when ``one_at_a_time``)."""

    INFO: RuleInfo
    applicability: Applicability = Applicability.SAFE

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        for ins in tree.instructions:
            span = ins.keyword_span
            written = ctx.text[span.start : span.end]
            if written != written.upper():
                edit = Edit(span.start, span.end, written.upper())
                yield Violation(
                    self.INFO.code,
                    "keyword not upper-case",
                    span.start,
                    span.end,
                    Fix("upper-case it", (edit,), self.applicability),
                )


@dataclass(frozen=True)
class _Breaker:
    """Test fixer whose output never parses."""

    INFO: RuleInfo

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        ins = tree.instructions[-1]
        edit = Edit(ins.start, ins.start, "ENV ONLYKEY\n")
        yield Violation(
            self.INFO.code, "breaks", ins.start, ins.end, Fix("break", (edit,), Applicability.SAFE)
        )


@dataclass(frozen=True)
class _Forever:
    """Test fixer that always has more to add: never converges."""

    INFO: RuleInfo

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        end = len(ctx.text)
        yield Violation(
            self.INFO.code,
            "more",
            0,
            0,
            Fix("more", (Edit(end, end, "# more\n"),), Applicability.SAFE),
        )


@dataclass(frozen=True)
class _ShellBreaker:
    """Test fixer that appends a dangling ``&&`` to every RUN."""

    INFO: RuleInfo

    def fix(self, tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
        for ins in tree.instructions:
            if ins.keyword == "RUN":
                at = ins.content_end
                yield Violation(
                    self.INFO.code,
                    "x",
                    at,
                    at,
                    Fix("x", (Edit(at, at, " &&"),), Applicability.SAFE),
                )


def _info(code: str, name: str) -> RuleInfo:
    return RuleInfo(code, name, name, Applicability.SAFE)


KEYWORD: Fixer = _Keyword(_info("MF901", "keyword_case"))
UNSAFE_KEYWORD: Fixer = _Keyword(_info("MF902", "keyword_case_unsafe"), Applicability.UNSAFE)


def test_applies_and_converges() -> None:
    text = "from alpine:3.20\r\nrun echo hi\r\n"
    result = fix_text(text, [KEYWORD], EngineSettings())
    assert result.output == "FROM alpine:3.20\r\nRUN echo hi\r\n"
    assert [a.rule.code for a in result.applied] == ["MF901", "MF901"]
    assert result.remaining == ()
    again = fix_text(result.output, [KEYWORD], EngineSettings())
    assert again.output == result.output
    assert again.applied == ()


def test_unsafe_fixes_need_the_flag() -> None:
    text = "from alpine:3.20\n"
    plain = fix_text(text, [UNSAFE_KEYWORD], EngineSettings())
    assert plain.output == text
    assert len(plain.remaining) == 1
    unsafe = fix_text(text, [UNSAFE_KEYWORD], EngineSettings(unsafe_fixes=True))
    assert unsafe.output == "FROM alpine:3.20\n"


def test_selection_turns_a_rule_off() -> None:
    text = "from alpine:3.20\n"
    result = fix_text(text, [KEYWORD], EngineSettings(selected=lambda code: code != "MF901"))
    assert result.output == text
    assert result.remaining == ()


def test_pragma_ignores_next_instruction_only() -> None:
    text = "# manifesto: ignore[MF901]\nfrom alpine:3.20\nrun true\n"
    result = fix_text(text, [KEYWORD], EngineSettings())
    assert result.output == "# manifesto: ignore[MF901]\nfrom alpine:3.20\nRUN true\n"


def test_file_pragma() -> None:
    text = "# manifesto: file-ignore[MF901]\nfrom alpine:3.20\nrun true\n"
    assert fix_text(text, [KEYWORD], EngineSettings()).output == text


def test_output_that_does_not_parse_is_rolled_back_and_named() -> None:
    text = "FROM alpine:3.20\nRUN true\n"
    result = fix_text(text, [_Breaker(_info("MF903", "breaker"))], EngineSettings())
    assert result.output == text
    assert result.errors
    assert "MF903" in result.errors[0]
    assert "does not parse" in result.errors[0]


def test_output_that_breaks_a_shell_is_rolled_back() -> None:
    text = "FROM alpine:3.20\nRUN echo a && echo b\n"
    result = fix_text(text, [_ShellBreaker(_info("MF904", "shell_breaker"))], EngineSettings())
    assert result.output == text
    assert "shell" in result.errors[0]


def test_not_converging_is_an_error() -> None:
    text = "FROM alpine:3.20\n"
    result = fix_text(text, [_Forever(_info("MF905", "forever"))], EngineSettings(max_passes=5))
    assert result.output == text
    assert "converge" in result.errors[0]
    assert "MF905" in result.errors[0]


def test_check_reports_without_applying() -> None:
    findings = check_text("from a\nrun b\n", [KEYWORD], EngineSettings())
    assert [(f.rule.code, f.violation.start) for f in findings] == [("MF901", 0), ("MF901", 7)]


def test_bad_input_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        fix_text("ENV ONLYKEY\n", [KEYWORD], EngineSettings())
