"""MF606 maintainer_deprecated: the label carries exactly MAINTAINER's text."""

from __future__ import annotations

import pytest
from manifesto.fixers import maintainer_deprecated

from manifesto.cst import parse
from manifesto.cst.values import key_values
from manifesto.engine import EngineSettings, check_text, fix_text

dockerfile = pytest.importorskip("dockerfile")

SETTINGS = EngineSettings()


def _fix(src: str) -> str:
    result = fix_text(src, [maintainer_deprecated], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Jane Doe <jane@example.com>", id="name and mail"),
        pytest.param('"Jane Doe"', id="quotes kept"),
        pytest.param("'single' quotes", id="single quotes kept"),
        pytest.param("$USER and ${TEAM}", id="no expansion"),
        pytest.param("back\\slash \\\\ \\$", id="backslashes"),
        pytest.param("a  b\tc", id="inner blanks"),
        pytest.param("Zoë Ödön 李", id="non-ascii"),
    ],
)
@pytest.mark.parametrize("escape", ["\\", "`"])
def test_the_label_reads_back_as_the_maintainer_text(text: str, escape: str) -> None:
    directive = "# escape=`\n" if escape == "`" else ""
    out = _fix(f"{directive}FROM debian:12\nMAINTAINER {text}\n")
    dockerfile.parse_string(out)
    (label,) = (i for i in parse(out).instructions if i.keyword == "LABEL")
    (pair,) = key_values(label)
    assert pair.key == "org.opencontainers.image.authors"
    assert pair.value == text


def test_keyword_case_follows_the_file() -> None:
    assert _fix("FROM debian:12\nmaintainer x\n") == (
        'FROM debian:12\nlabel org.opencontainers.image.authors="x"\n'
    )
    assert _fix("FROM debian:12\nMaintainer x\n") == (
        'FROM debian:12\nLabel org.opencontainers.image.authors="x"\n'
    )


@pytest.mark.parametrize(
    ("src", "slug"),
    [
        pytest.param(
            'FROM debian:12\nMAINTAINER a\nLABEL org.opencontainers.image.authors="b"\n',
            "authors-label-set",
            id="label after",
        ),
        pytest.param(
            "FROM debian:12\nMAINTAINER a \\\n# who\n  b\n", "comment-inside", id="comment line"
        ),
    ],
)
def test_reported_without_fix(src: str, slug: str) -> None:
    assert _fix(src) == src
    (finding,) = check_text(src, [maintainer_deprecated], SETTINGS)
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == slug


def test_another_stage_label_does_not_count() -> None:
    src = 'FROM debian:12\nLABEL org.opencontainers.image.authors="b"\nFROM alpine\nMAINTAINER a\n'
    assert _fix(src).endswith('LABEL org.opencontainers.image.authors="a"\n')
