"""Suppression comments: ours, hadolint's, and BuildKit's check=skip."""

from __future__ import annotations

import pytest

from manifesto.engine import EngineSettings, check_text
from manifesto.registry import FIXERS

INSTALL = "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"


def codes(text: str) -> list[str]:
    # MF401 (the image runs as root) reports every sample; these cases are about MF101
    settings = EngineSettings(selected=lambda code: code != "MF401")
    return [f.rule.code for f in check_text(text, FIXERS, settings)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM debian:12\n" + INSTALL, ["MF101"], id="no-pragma"),
        pytest.param("FROM debian:12\n# manifesto: ignore[MF101]\n" + INSTALL, [], id="own"),
        pytest.param("FROM debian:12\n# manifesto: ignore\n" + INSTALL, [], id="own-all"),
        pytest.param(
            "FROM debian:12\n# manifesto: ignore[MF105]\n" + INSTALL, ["MF101"], id="other-code"
        ),
        pytest.param(
            "FROM debian:12\n# manifesto: ignore[MF101]\n\n" + INSTALL,
            ["MF101"],
            id="blank-line-breaks-the-link",
        ),
        pytest.param(
            "# manifesto: file-ignore[MF101]\nFROM debian:12\n" + INSTALL + INSTALL,
            [],
            id="file-ignore",
        ),
        pytest.param("FROM debian:12\n# hadolint ignore=DL3009\n" + INSTALL, [], id="hadolint"),
        pytest.param(
            "FROM debian:12\n# hadolint ignore=DL3015,DL3009\n" + INSTALL, [], id="hadolint-list"
        ),
        pytest.param(
            "# hadolint global ignore=DL3009\nFROM debian:12\n" + INSTALL + INSTALL,
            [],
            id="hadolint-global",
        ),
        pytest.param(
            "FROM debian:12\n# hadolint ignore=DL3008\n" + INSTALL, ["MF101"], id="hadolint-other"
        ),
        pytest.param(
            "FROM debian:12\n# a note\n# manifesto: ignore[MF101]\n# another\n" + INSTALL,
            [],
            id="inside-a-comment-block",
        ),
    ],
)
def test_pragmas(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


def test_buildkit_check_skip_directive() -> None:
    from manifesto.cst import parse
    from manifesto.diagnostics import RuleInfo
    from manifesto.pragmas import read_pragmas

    info = RuleInfo("MF601", "shell_form_cmd", "t", None, ("buildkit:JSONArgsRecommended",))
    other = RuleInfo("MF602", "other", "t", None, ("buildkit:StageNameCasing",))
    tree = parse("# check=skip=JSONArgsRecommended\nFROM a\nCMD run\n")
    pragmas = read_pragmas(tree)
    assert pragmas.suppresses(info, tree.instructions[1])
    assert not pragmas.suppresses(other, tree.instructions[1])
    everything = read_pragmas(parse("# check=skip=all\nFROM a\n"))
    assert everything.suppresses(other, None)
