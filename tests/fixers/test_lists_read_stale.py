"""MF202 lists_read_stale: inline cases, and how it works with the other apt rules."""

from __future__ import annotations

import pytest
from manifesto.fixers import apt_lists_kept, apt_update_alone, lists_read_stale

from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.registry import FIXERS

SETTINGS = EngineSettings(unsafe_fixes=True)
EARLIER = (
    "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends x\n"
)


def _fix(src: str) -> str:
    result = fix_text(src, [lists_read_stale], SETTINGS)
    assert result.errors == ()
    return result.output


def _findings(src: str) -> list[tuple[str, str | None, bool]]:
    out = []
    for f in check_text(src, [lists_read_stale], SETTINGS):
        v = f.violation
        out.append((v.message, v.reason.slug if v.reason else None, v.fix is not None))
    return out


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        pytest.param(
            "RUN apt-get install -y y\n", "RUN apt-get update && apt-get install -y y\n", id="plain"
        ),
        pytest.param(
            "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y y\n",
            "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y y\n",
            id="assignment before the install",
        ),
        pytest.param(
            "RUN mkdir -p /x; apt-get -y upgrade\n",
            "RUN mkdir -p /x; apt-get update && apt-get -y upgrade\n",
            id="upgrade after ; without set -e",
        ),
        pytest.param(
            "RUN apt install -y y | tee /log\n",
            "RUN apt-get update && apt install -y y | tee /log\n",
            id="apt, piped out",
        ),
        pytest.param(
            "RUN apt-get purge -y z && apt-get install -y y\n",
            "RUN apt-get purge -y z && apt-get update && apt-get install -y y\n",
            id="a purge needs no lists",
        ),
    ],
)
def test_fixes(later: str, expected: str) -> None:
    assert _fix(EARLIER + later) == EARLIER + expected


@pytest.mark.parametrize(
    ("later", "slug"),
    [
        pytest.param("RUN true || apt-get install -y y\n", "install-not-top-level", id="after ||"),
        pytest.param("RUN echo y | apt-get install y\n", "install-not-top-level", id="piped into"),
        pytest.param(
            "RUN for p in y z; do apt-get install -y $p; done\n",
            "install-not-top-level",
            id="in a loop",
        ),
        pytest.param(
            "RUN xargs apt-get install -y < /pkgs\n", "apt-through-another-command", id="xargs"
        ),
        pytest.param("RUN gosu app apt-get install -y y\n", "other-user", id="gosu"),
    ],
)
def test_reported_without_a_fix(later: str, slug: str) -> None:
    found = _findings(EARLIER + later)
    assert [(reason, fixable) for _, reason, fixable in found] == [(slug, False)]
    assert "line 2 downloaded" in found[0][0]


@pytest.mark.parametrize(
    "update",
    [
        # an archived release: a plain update fails on the expired Release file
        "apt-get -o Acquire::Check-Valid-Until=false update",
        # a release whose Suite changed: a plain update stops with exit 100
        "apt-get update --allow-releaseinfo-change",
        # one source list only: a plain update would read the others as well
        "apt-get update -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/x.list",
    ],
)
def test_an_earlier_update_with_options_gets_no_plain_update(update: str) -> None:
    src = f"FROM debian:stretch\nRUN {update} && apt-get install -y x\nRUN apt-get install -y y\n"
    assert _fix(src) == src
    [(message, slug, fixable)] = _findings(src)
    assert (slug, fixable) == ("update-options", False)
    assert "line 2 passes `-" in message


def test_quiet_and_yes_on_the_earlier_update_are_not_needed() -> None:
    src = (
        "FROM debian:12\nRUN apt-get update -qq -y && apt-get install -y x\nRUN apt-get install y\n"
    )
    assert _fix(src).endswith("RUN apt-get update && apt-get install y\n")


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(EARLIER + "RUN apt-get update && apt-get install -y y\n", id="own update"),
        pytest.param(EARLIER + "RUN apt-get install --update -y y\n", id="install --update"),
        pytest.param(EARLIER + "RUN apt-get install -s y\n", id="simulation"),
        pytest.param(EARLIER + "RUN apt-cache policy y\n", id="apt-cache"),
        pytest.param(
            EARLIER + "RUN rm -rf /var/lib/apt/lists/*\nRUN apt-get install -y y\n",
            id="lists deleted in between",
        ),
        pytest.param(
            'FROM debian\nRUN if [ -n "$X" ]; then apt-get update; fi\nRUN apt-get install -y y\n',
            id="a conditional update",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y y\n", id="left to MF102"
        ),
        pytest.param("FROM debian\nRUN apt-get install -y y\n", id="lists of the base image"),
        pytest.param(EARLIER + "ONBUILD RUN apt-get install -y y\n", id="onbuild"),
        pytest.param(EARLIER + 'RUN ["apt-get", "install", "-y", "y"]\n', id="exec form"),
    ],
)
def test_no_finding(src: str) -> None:
    assert _findings(src) == []


def test_the_fix_is_unsafe() -> None:
    (finding,) = check_text(EARLIER + "RUN apt-get install -y y\n", [lists_read_stale], SETTINGS)
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability is Applicability.UNSAFE
    safe_only = fix_text(
        EARLIER + "RUN apt-get install -y y\n", [lists_read_stale], EngineSettings()
    )
    assert safe_only.output == EARLIER + "RUN apt-get install -y y\n"


def test_apt_lists_kept_reports_the_same_reader_this_rule_fixes() -> None:
    """MF101 leaves the earlier RUN's lists because line 3 reads them (lists-read-later);
    once this rule gives line 3 its own update, MF101 deletes the lists in both RUNs."""
    src = EARLIER + "RUN apt-get install -y y\n"
    before = check_text(src, [apt_lists_kept, lists_read_stale], SETTINGS)
    kept = [f.violation for f in before if f.violation.code == "MF101"]
    assert [v.reason.slug if v.reason else None for v in kept] == ["lists-read-later"]
    assert "line 3 reads the lists" in kept[0].message
    stale = [f.violation for f in before if f.violation.code == "MF202"]
    assert len(stale) == 1 and src.count("\n", 0, stale[0].start) + 1 == 3
    result = fix_text(src, [apt_lists_kept, lists_read_stale], SETTINGS)
    assert result.output == (
        "FROM debian:bookworm\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends x"
        " && rm -rf /var/lib/apt/lists/*\n"
        "RUN apt-get update && apt-get install -y y && rm -rf /var/lib/apt/lists/*\n"
    )
    after = check_text(result.output, [apt_lists_kept, lists_read_stale], SETTINGS)
    assert list(after) == []


def test_with_every_fixer_the_update_is_not_doubled() -> None:
    src = "FROM debian:bookworm\nRUN apt-get update\nRUN apt-get install -y y\n"
    result = fix_text(src, [apt_update_alone, lists_read_stale], SETTINGS)
    assert result.output.count("apt-get update") == 1
    everything = fix_text(src, FIXERS, SETTINGS)
    assert everything.errors == ()
    assert everything.output.count("apt-get update") == 1
    again = fix_text(everything.output, FIXERS, SETTINGS)
    assert again.output == everything.output


def test_every_later_reader_is_fixed() -> None:
    src = EARLIER + "RUN apt-get install -y y\nRUN apt-get install -y z\n"
    assert _fix(src) == EARLIER + (
        "RUN apt-get update && apt-get install -y y\nRUN apt-get update && apt-get install -y z\n"
    )
