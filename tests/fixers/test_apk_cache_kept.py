"""Inline cases for MF105 apk_cache_kept (the golden fixtures cover the layouts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifesto.fixers import apk_cache_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers" / "apk_cache_kept"


def fix(src: str) -> str:
    result = fix_text(src, [apk_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


def findings(src: str) -> list[tuple[str, bool]]:
    return [
        (f.violation.message, f.violation.fix is not None)
        for f in check_text(src, [apk_cache_kept], SETTINGS)
    ]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM alpine\nRUN apk add x\n", "FROM alpine\nRUN apk add --no-cache x\n", id="basic"
        ),
        pytest.param(
            "FROM alpine\nRUN apk -q add x\n",
            "FROM alpine\nRUN apk -q add --no-cache x\n",
            id="option-before-add",
        ),
        pytest.param(
            "FROM alpine\nRUN apk --root /mnt -X http://r add x\n",
            "FROM alpine\nRUN apk --root /mnt -X http://r add --no-cache x\n",
            id="options-with-values-before-add",
        ),
        pytest.param(
            "FROM alpine\nRUN sudo -E /sbin/apk add x\n",
            "FROM alpine\nRUN sudo -E /sbin/apk add --no-cache x\n",
            id="sudo-and-path",
        ),
        pytest.param(
            "FROM alpine\nRUN apk add -t .deps gcc\n",
            "FROM alpine\nRUN apk add --no-cache -t .deps gcc\n",
            id="virtual-short",
        ),
        pytest.param(
            "FROM alpine\nRUN apk add -U --upgrade x\n",
            "FROM alpine\nRUN apk add --no-cache -U --upgrade x\n",
            id="update-flag-kept",
        ),
        pytest.param(
            'FROM alpine\nRUN if [ -n "$X" ]; then apk add x; fi\n',
            'FROM alpine\nRUN if [ -n "$X" ]; then apk add --no-cache x; fi\n',
            id="inside-if",
        ),
        pytest.param(
            "FROM alpine\nRUN (apk add x) && apk add $PKGS\n",
            "FROM alpine\nRUN (apk add --no-cache x) && apk add --no-cache $PKGS\n",
            id="subshell-and-several",
        ),
        pytest.param(
            "FROM alpine\nRUN rm -rf /var/cache/apk/* && apk add x\n",
            "FROM alpine\nRUN rm -rf /var/cache/apk/* && apk add --no-cache x\n",
            id="clean-before-is-not-clean-after",
        ),
        pytest.param(
            "FROM alpine\nRUN apk add x && rm -f /var/cache/apk/*.apk.tmp\n",
            "FROM alpine\nRUN apk add --no-cache x && rm -f /var/cache/apk/*.apk.tmp\n",
            id="partial-rm-is-not-clean",
        ),
        pytest.param(
            "FROM alpine\nRUN --mount=type=cache,target=/root/.cache apk add x\n",
            "FROM alpine\nRUN --mount=type=cache,target=/root/.cache apk add --no-cache x\n",
            id="mount-elsewhere",
        ),
        pytest.param(
            "FROM alpine AS base\nRUN apk add x\nFROM base\nRUN echo\n",
            "FROM alpine AS base\nRUN apk add --no-cache x\nFROM base\nRUN echo\n",
            id="stage-shipped-through-child",
        ),
        pytest.param(
            "FROM alpine\nRUN apk add x\nRUN apk --no-network list --installed\n",
            "FROM alpine\nRUN apk add --no-cache x\nRUN apk --no-network list --installed\n",
            id="offline-list-of-installed-reads-no-index",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert fix(src) == expected


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("FROM alpine\nRUN apk add --no-cache x\n", id="flag-after"),
        pytest.param("FROM alpine\nRUN apk --no-cache add x\n", id="flag-before"),
        pytest.param("FROM alpine\nRUN apk add x --no-cache\n", id="flag-last"),
        pytest.param("FROM alpine\nRUN apk add --no-network --virtual .r x\n", id="no-network"),
        pytest.param(
            "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add x\n",
            id="cache-mount",
        ),
        pytest.param(
            "FROM alpine\nRUN --mount=type=cache,target=/etc/apk/cache apk add x\n",
            id="package-cache-mount",
        ),
        pytest.param(
            "FROM alpine\nRUN --mount=type=tmpfs,target=/var/cache apk add x\n", id="parent-tmpfs"
        ),
        pytest.param("FROM alpine\nRUN apk add x && rm -rf /var/cache/apk\n", id="rm-dir"),
        pytest.param("FROM alpine\nRUN apk add x; rm -rf /var/cache/*\n", id="rm-parent"),
        pytest.param("FROM alpine\nRUN apk del x && apk info && apk update\n", id="not-add"),
        pytest.param("FROM alpine\nRUN echo apk add x\n", id="echo"),
        pytest.param("FROM alpine\nRUN $APK add x\n", id="variable-program"),
        pytest.param('FROM alpine\nRUN ["apk", "add", "x"]\n', id="exec-form"),
        pytest.param("FROM alpine\nONBUILD RUN apk add x\n", id="onbuild"),
        pytest.param("FROM alpine\nRUN apk add x &&\n", id="broken-shell"),
        pytest.param(
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN apk add x\n", id="windows"
        ),
    ],
)
def test_no_change(src: str) -> None:
    assert fix(src) == src
    assert not any(fixable for _, fixable in findings(src))


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param("FROM alpine\nRUN apk add --cache-dir /c x\n", "--cache-dir", id="cache-dir"),
        pytest.param(
            "FROM alpine\nRUN apk add x && apk add --no-network y\n",
            "--no-network",
            id="offline-reader-same-run",
        ),
        pytest.param(
            "FROM alpine AS a\nRUN apk add x\nFROM a\nRUN apk --no-network search y\n",
            "--no-network",
            id="offline-reader-child-stage",
        ),
    ],
)
def test_reported_without_fix(src: str, reason: str) -> None:
    assert fix(src) == src
    [(message, fixable)] = findings(src)
    assert not fixable
    assert reason in message


def test_apk_update_before_a_fixed_add_is_dropped() -> None:
    src = "FROM alpine\nRUN apk update && apk add x\n"
    assert fix(src) == "FROM alpine\nRUN apk add --no-cache x\n"
    assert findings(src) == [
        ("`apk add` keeps the package index in /var/cache/apk: use `apk add --no-cache`", True),
        (
            "`apk update` leaves the package index in /var/cache/apk, and the `--no-cache` "
            "commands after it fetch their own: drop it",
            True,
        ),
    ]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM alpine\nRUN apk update && apk add --no-cache x\n",
            "FROM alpine\nRUN apk add --no-cache x\n",
            id="update-before-no-cache-add",
        ),
        pytest.param(
            "FROM alpine\nRUN set -x && apk update && apk upgrade && apk add --no-cache x\n",
            "FROM alpine\nRUN set -x && apk upgrade --no-cache && apk add --no-cache x\n",
            id="update-and-upgrade-mid-chain",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update; apk add --no-cache x\n",
            "FROM alpine\nRUN apk add --no-cache x\n",
            id="update-then-semicolon",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update && apk add x && apk del y\n",
            "FROM alpine\nRUN apk add --no-cache x && apk del y\n",
            id="del-reads-no-index",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update && apk add --no-cache x && apk info -v\n",
            "FROM alpine\nRUN apk update && apk add --no-cache x && apk info -v"
            " && rm -rf /var/cache/apk/*\n",
            id="other-reader-keeps-update-rm-appended",
        ),
        pytest.param(
            'FROM alpine\nRUN if [ -n "$U" ]; then apk update; fi && apk add --no-cache x\n',
            'FROM alpine\nRUN if [ -n "$U" ]; then apk update; fi && apk add --no-cache x'
            " && rm -rf /var/cache/apk/*\n",
            id="conditional-update-rm-appended",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update || true && apk add --no-cache x\n",
            "FROM alpine\nRUN apk update || true && apk add --no-cache x"
            " && rm -rf /var/cache/apk/*\n",
            id="update-or-true-rm-appended",
        ),
        pytest.param(
            "FROM alpine\nRUN sudo apk update && sudo apk add --no-cache x && apk info\n",
            "FROM alpine\nRUN sudo apk update && sudo apk add --no-cache x && apk info"
            " && sudo rm -rf /var/cache/apk/*\n",
            id="sudo-rm",
        ),
        pytest.param(
            "FROM alpine\nRUN apk upgrade\n",
            "FROM alpine\nRUN apk upgrade --no-cache\n",
            id="upgrade",
        ),
    ],
)
def test_apk_update_index_taken_out(src: str, expected: str) -> None:
    assert fix(src) == expected
    assert findings(expected) == []


@pytest.mark.parametrize(
    ("src", "message", "reason"),
    [
        pytest.param(
            "FROM alpine\nRUN apk update\nRUN apk add --no-cache x\n",
            "`apk update` leaves the package index in /var/cache/apk and nothing after it in "
            "this RUN installs: delete it (`apk add --no-cache` fetches the index itself)",
            "deleting it is left to you",
            id="standalone-update",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update\nRUN apk add --no-network x\n",
            "`apk update` leaves the package index in /var/cache/apk and nothing after it in "
            "this RUN installs",
            "a later `apk --no-network` may read the cached index",
            id="standalone-update-read-offline",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update && apk add x && apk add --no-network y\n",
            "`apk update` leaves the package index in /var/cache/apk (a later `apk --no-network`"
            " may read the cached index)",
            "a later `apk --no-network` may read the cached index",
            id="offline-reader-after-update",
        ),
        pytest.param(
            "FROM alpine\nRUN apk update && apk add --no-cache x && apk info; exit 0\n",
            "`apk update` leaves the package index in /var/cache/apk: delete it at the end of "
            "the RUN (the RUN may exit before an appended command)",
            "the RUN may exit before an appended command",
            id="exit-blocks-rm",
        ),
    ],
)
def test_apk_update_reported_without_fix(src: str, message: str, reason: str) -> None:
    assert "apk update" in fix(src)
    [update] = [
        f.violation
        for f in check_text(src, [apk_cache_kept], SETTINGS)
        if src[f.violation.start : f.violation.end] == "apk update"
    ]
    assert update.fix is None
    assert update.message.startswith(message)
    assert update.reason is not None
    assert update.reason.text.endswith(reason)


def test_apk_update_with_clean_up_is_fine() -> None:
    src = "FROM alpine\nRUN apk update && apk add x && rm -rf /var/cache/apk/*\n"
    assert findings(src) == []


def test_finding_spans_program_and_subcommand() -> None:
    src = "FROM alpine\nRUN sudo apk -q add x\n"
    [finding] = check_text(src, [apk_cache_kept], SETTINGS)
    assert src[finding.violation.start : finding.violation.end] == "apk -q add"


NO_FIX_FIXTURES = {
    "no-fix-cache-dir": "`apk add` keeps the package index in /var/cache/apk"
    " (--cache-dir chooses a cache)",
    "later-offline-reader": "`apk add` keeps the package index in /var/cache/apk"
    " (a later `apk --no-network` may read the cached index)",
    "no-fix-update-alone": "`apk update` leaves the package index in /var/cache/apk and nothing"
    " after it in this RUN installs: delete it (`apk add --no-cache` fetches the index itself)",
    "no-fix-update-read-offline": "`apk update` leaves the package index in /var/cache/apk"
    " (a later `apk --no-network` may read the cached index)",
    "no-fix-update-then-exec": "`apk update` leaves the package index in /var/cache/apk: delete"
    " it at the end of the RUN (the RUN may exit before an appended command)",
}
"""Golden cases where a reason for not fixing holds, with the finding's message; each
has a twin where it does not (cache-dir-on-a-mount, offline-list-of-installed,
update-before-add, update-and-upgrade, update-with-other-reader)."""


@pytest.mark.parametrize(("case", "message"), NO_FIX_FIXTURES.items())
def test_no_fix_fixture_gives_its_reason(case: str, message: str) -> None:
    src = (FIXTURES / f"{case}.in.Dockerfile").read_bytes().decode()
    found = check_text(src, [apk_cache_kept], SETTINGS)
    assert not any(f.violation.fix for f in found)
    assert message in [f.violation.message for f in found]


def test_every_no_fix_fixture_is_asserted() -> None:
    cases = {p.name.removesuffix(".in.Dockerfile") for p in FIXTURES.glob("no-fix-*.in.Dockerfile")}
    assert cases <= set(NO_FIX_FIXTURES)
