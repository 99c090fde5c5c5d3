"""MF607 env_legacy_format: the variable keeps its value."""

from __future__ import annotations

import pytest
from manifesto.fixers import env_legacy_format

from manifesto.cst import parse
from manifesto.cst.values import key_values, unquote
from manifesto.engine import EngineSettings, check_text, fix_text

dockerfile = pytest.importorskip("dockerfile")

SETTINGS = EngineSettings()


def _fix(src: str) -> str:
    result = fix_text(src, [env_legacy_format], SETTINGS)
    assert result.errors == ()
    return result.output


def _env(text: str) -> tuple[str, str]:
    (ins,) = (i for i in parse(text).instructions if i.keyword == "ENV")
    (pair,) = key_values(ins)
    return pair.key, pair.raw_value


@pytest.mark.parametrize(
    ("written", "raw"),
    [
        pytest.param("A b", "b", id="word"),
        pytest.param("A b c", '"b c"', id="spaces"),
        pytest.param("A  b   c", '"b   c"', id="runs of spaces kept"),
        pytest.param("A $X ${Y:-z}", '"$X ${Y:-z}"', id="variables still expand"),
        pytest.param('A "b c"', '"b c"', id="already quoted"),
        pytest.param("A 'b c'", "'b c'", id="single quoted"),
        pytest.param("A b=c", "b=c", id="equals in the value"),
        pytest.param("A b\\ c", "b\\ c", id="escaped space is one word"),
        pytest.param("A [1, 2]", '"[1, 2]"', id="brackets"),
        pytest.param("A b \\\n  c", '"b   c"', id="continuation"),
    ],
)
def test_the_value_is_the_same_after(written: str, raw: str) -> None:
    before = f"FROM debian:12\nENV {written}\n"
    after = _fix(before)
    dockerfile.parse_string(after)
    legacy_key, legacy_raw = _env(before)
    key, new_raw = _env(after)
    assert key == legacy_key == "A"
    assert new_raw == raw
    # What BuildKit's lexer makes of each: the legacy raw text and the new word.
    assert unquote(new_raw) == unquote(legacy_raw)


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param('ENV A "b" c', "value-needs-requoting", id="quote and space"),
        pytest.param("ENV A b\\ c d", "value-needs-requoting", id="escape and space"),
        pytest.param('ENV "A" b', "odd-key", id="quoted key"),
        # BuildKit splits at ASCII blanks only: the key is "A\u00a0", not "A".
        pytest.param("ENV A\u00a0 b c", "unicode-space-after-key", id="no-break space"),
    ],
)
def test_reported_without_fix(src: str, slug: str) -> None:
    text = f"FROM debian:12\n{src}\n"
    assert _fix(text) == text
    (finding,) = check_text(text, [env_legacy_format], SETTINGS)
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == slug


@pytest.mark.parametrize(
    "src",
    [
        "ENV A=b",
        'ENV A="b c" D=e',
        "LABEL a b",
        "ARG A",
        "ONBUILD ENV A b",
    ],
)
def test_nothing_to_say(src: str) -> None:
    assert check_text(f"FROM debian:12\n{src}\n", [env_legacy_format], SETTINGS) == []


def test_only_the_separator_and_quotes_are_new() -> None:
    src = "FROM debian:12\nENV   A \t b c   \n"
    assert _fix(src) == 'FROM debian:12\nENV   A="b c"   \n'


def test_a_comment_between_key_and_value_is_kept() -> None:
    # the fix would replace the blanks between key and value, comment line included
    from manifesto.fixers import env_legacy_format

    from manifesto.engine import EngineSettings, check_text, fix_text

    src = "FROM debian:12\nENV GPG_KEYS \\\n# Eric Evans\n\tCEC86BB4 \\\n\tAAAA\n"
    result = fix_text(src, [env_legacy_format], EngineSettings())
    assert result.output == src
    (finding,) = check_text(src, [env_legacy_format], EngineSettings())
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "comment-inside"
