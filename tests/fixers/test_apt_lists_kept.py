"""MF101 apt_lists_kept: inline cases (the golden fixtures hold the layout cases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from manifesto.fixers import apt_lists_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers" / "apt_lists_kept"
RM = "rm -rf /var/lib/apt/lists/*"


def _fix(src: str) -> str:
    result = fix_text(src, [apt_lists_kept], SETTINGS)
    assert result.errors == ()
    return result.output


def _findings(src: str) -> list[tuple[str, bool]]:
    return [
        (f.violation.message, f.violation.fix is not None)
        for f in check_text(src, [apt_lists_kept], SETTINGS)
    ]


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("FROM debian\nRUN apt-get update\n", id="update only (MF102)"),
        pytest.param("FROM debian\nRUN apt-get purge -y curl\n", id="purge only"),
        pytest.param("FROM debian\nRUN apt-get upgrade -y\n", id="upgrade without update"),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -s curl\n", id="simulation"
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/*\n",
            id="rm /var/lib/apt/*",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x"
            " && rm -rf /var/lib/apt/lists*\n",
            id="rm lists* glob",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x"
            " && rm --recursive --force /var/lib/apt/lists/*\n",
            id="rm long options",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x"
            " && find /var/lib/apt/lists -type f -delete\n",
            id="find -delete",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x"
            " && sudo rm -rf /var/lib/apt/lists/*\n",
            id="sudo rm",
        ),
        pytest.param(
            "FROM debian\nRUN trap 'rm -rf /var/lib/apt/lists/*' EXIT;"
            " apt-get update && apt-get install -y x\n",
            id="rm in a trap",
        ),
        pytest.param(
            "FROM debian\nRUN --mount=type=tmpfs,target=/var/lib/apt/lists"
            " apt-get update && apt-get install -y x\n",
            id="tmpfs mount",
        ),
        pytest.param(
            "FROM debian\nRUN --mount=type=cache,target=/var"
            " apt-get update && apt-get install -y x\n",
            id="cache mount over a parent",
        ),
        pytest.param('FROM debian\nRUN ["apt-get", "install", "-y", "x"]\n', id="exec form"),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x && if then\n",
            id="shell syntax error",
        ),
        pytest.param(
            'FROM debian\nSHELL ["pwsh", "-Command"]\nRUN apt-get update; apt-get install -y x\n',
            id="powershell",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y x\n",
            id="lists from an earlier RUN",
        ),
    ],
)
def test_no_change(src: str) -> None:
    assert _fix(src) == src


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x # tools\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y x && {RM} # tools\n",
            id="trailing shell comment stays last",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && \\\n    apt-get install -y x # tools\n",
            "FROM debian\nRUN apt-get update && \\\n    apt-get install -y x && \\\n"
            f"    {RM} # tools\n",
            id="trailing shell comment, continuation",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x && cat <<EOF > /etc/x.conf\n"
            "key=value\nEOF\n",
            "FROM debian\nRUN apt-get update && apt-get install -y x && cat <<EOF > /etc/x.conf"
            f" && {RM}\nkey=value\nEOF\n",
            id="here-document in the last command",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x || exit 1\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y x || exit 1 && {RM}\n",
            id="|| exit 1",
        ),
        pytest.param(
            'FROM debian\nRUN ["update-ca-certificates"]\n'
            "RUN curl -fsSL https://example.com/setup | bash - && apt-get install -y x\n",
            'FROM debian\nRUN ["update-ca-certificates"]\n'
            f"RUN curl -fsSL https://example.com/setup | bash - && apt-get install -y x && {RM}\n",
            id="an earlier update-ca-certificates is not apt-get update",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && /usr/bin/apt-get install -y x\n",
            f"FROM debian\nRUN apt-get update && /usr/bin/apt-get install -y x && {RM}\n",
            id="full path",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get -q update && apt-get -q -o Dpkg::Use-Pty=0 install -y x\n",
            "FROM debian\nRUN apt-get -q update && apt-get -q -o Dpkg::Use-Pty=0 install -y x"
            f" && {RM}\n",
            id="options before the command",
        ),
        pytest.param(
            "FROM debian\nRUN apt update && apt install -y x\n",
            f"FROM debian\nRUN apt update && apt install -y x && {RM}\n",
            id="apt",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update; apt-get install -y x\n",
            f"FROM debian\nRUN apt-get update; apt-get install -y x && {RM}\n",
            id="semicolon without set -e",
        ),
        pytest.param(
            "FROM debian\nRUN set -e; apt-get update; apt-get install -y x\n",
            f"FROM debian\nRUN set -e; apt-get update; apt-get install -y x; {RM}\n",
            id="semicolon under set -e",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && if true; then apt-get install -y x; fi\n",
            f"FROM debian\nRUN apt-get update && if true; then apt-get install -y x; fi && {RM}\n",
            id="install inside if",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && (apt-get install -y x)\n",
            f"FROM debian\nRUN apt-get update && (apt-get install -y x) && {RM}\n",
            id="install inside a subshell",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a && apt-get install -y b\n",
            "FROM debian\nRUN apt-get update && apt-get install -y a && apt-get install -y b"
            f" && {RM}\n",
            id="several installs, one fix",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*"
            " && apt-get update && apt-get install -y y\n",
            "FROM debian\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*"
            f" && apt-get update && apt-get install -y y && {RM}\n",
            id="clean-up before a second install does not count",
        ),
        pytest.param(
            "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt"
            " apt-get update && apt-get install -y x\n",
            "FROM debian\nRUN --mount=type=cache,target=/var/cache/apt"
            f" apt-get update && apt-get install -y x && {RM}\n",
            id="cache mount over the archives only",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x && apt-get clean\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y x && apt-get clean && {RM}\n",
            id="apt-get clean is not enough",
        ),
        pytest.param(
            "FROM debian\nRUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -"
            " && apt-get install -y nodejs\n",
            "FROM debian\nRUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -"
            f" && apt-get install -y nodejs && {RM}\n",
            id="lists fetched by a setup script",
        ),
        pytest.param(
            "FROM debian\nRUN sudo -E apt-get update && sudo -E apt-get install -y x\n",
            "FROM debian\nRUN sudo -E apt-get update && sudo -E apt-get install -y x"
            " && sudo rm -rf /var/lib/apt/lists/*\n",
            id="sudo -E",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN apt-get update && apt-get install -y y && rm -rf /var/lib/apt/lists/*\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y x && {RM}\n"
            "RUN apt-get update && apt-get install -y y && rm -rf /var/lib/apt/lists/*\n",
            id="later RUN updates first",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\nRUN apt-get purge -y x\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y x && {RM}\n"
            "RUN apt-get purge -y x\n",
            id="later purge needs no lists",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "FROM debian\nRUN add-apt-repository -y ppa:x/y && apt-get install -y y\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y x && {RM}\n"
            "FROM debian\nRUN add-apt-repository -y ppa:x/y && apt-get install -y y"
            " && rm -rf /var/lib/apt/lists/*\n",
            id="other stage is another image",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(src) == expected


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param(
            "FROM debian\nRUN f() { apt-get install -y x; }; apt-get update && f\n",
            "install inside a function",
            id="function",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x && exit 0\n",
            "script ends with exit/exec",
            id="exit",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x &\n",
            "runs in the background",
            id="background",
        ),
        pytest.param(
            "FROM debian\nRUN gosu root apt-get update && gosu root apt-get install -y x\n",
            "apt runs as another user",
            id="gosu",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN xargs apt-get install -y < /deps.txt\n",
            "line 3 reads the lists",
            id="later xargs apt-get",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            'RUN ["apt-get", "install", "-y", "y"]\n',
            "line 3 reads the lists",
            id="later exec form",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "ONBUILD RUN apt-get install -y y\n",
            "line 3 reads the lists",
            id="later ONBUILD",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x\n"
            "FROM base\nRUN apt-cache policy x\n",
            "line 4 reads the lists",
            id="child stage",
        ),
        pytest.param(
            # rm -rf would empty the cache and then fail on its mount point
            "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt/lists/partial"
            " apt-get update && apt-get install -y x\n",
            "a mount inside /var/lib/apt/lists",
            id="cache mount below the lists",
        ),
        pytest.param(
            # the other stage installs from the copied lists, without an update
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x\n"
            "FROM scratch\nCOPY --from=base / /\nRUN apt-get install -y y\n",
            "line 4 may copy the lists to another stage",
            id="stage copied whole",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x\n"
            "FROM debian\nRUN --mount=from=base,target=/b cp -a /b/var/lib/apt /var/lib/\n",
            "line 4 may copy the lists to another stage",
            id="stage mounted whole",
        ),
    ],
)
def test_reported_without_fix(src: str, reason: str) -> None:
    assert _fix(src) == src
    findings = _findings(src)
    assert len(findings) == 1
    message, fixable = findings[0]
    assert not fixable
    assert reason in message


def test_span_is_the_last_install() -> None:
    src = "FROM debian\nRUN apt-get update && apt-get install -y a && apt-get install -y b\n"
    (finding,) = check_text(src, [apt_lists_kept], SETTINGS)
    assert src[finding.violation.start : finding.violation.end] == "apt-get install -y b"


def test_scan_for_readers_stops_at_the_next_update() -> None:
    """Each install RUN updates: the first is fixed, the second is kept for the third."""
    src = (
        "FROM debian\n"
        "RUN apt-get update && apt-get install -y a\n"
        "RUN apt-get update && apt-get install -y b\n"
        "RUN apt-get install -y c\n"
    )
    assert _findings(src) == [
        ("apt lists are kept in the layer: delete /var/lib/apt/lists/* in this RUN", True),
        (
            "apt lists are kept in the layer: delete /var/lib/apt/lists/* in this RUN"
            " (no fix: line 4 reads the lists without apt-get update)",
            False,
        ),
    ]
    assert _fix(src) == src.replace("install -y a\n", f"install -y a && {RM}\n")


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a\n"
            "RUN rm -rf /var/lib/apt/lists/*\nRUN apt-get install -y b\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y a && {RM}\n"
            "RUN rm -rf /var/lib/apt/lists/*\nRUN apt-get install -y b\n",
            id="a RUN in between deletes the lists",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a\n"
            "RUN apt-get dist-clean\nRUN apt-get install -y b\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y a && {RM}\n"
            "RUN apt-get dist-clean\nRUN apt-get install -y b\n",
            id="a RUN in between runs dist-clean",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a\n"
            "ONBUILD RUN apt-get install -y b\n"
            "RUN apt-get update && apt-get install -y c && rm -rf /var/lib/apt/lists/*\n",
            f"FROM debian\nRUN apt-get update && apt-get install -y a && {RM}\n"
            "ONBUILD RUN apt-get install -y b\n"
            "RUN apt-get update && apt-get install -y c && rm -rf /var/lib/apt/lists/*\n",
            id="trigger runs after the stage's refresh",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get update && apt-get install -y a\n"
            "FROM base\nRUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n"
            "RUN apt-get install -y c\n",
            f"FROM debian AS base\nRUN apt-get update && apt-get install -y a && {RM}\n"
            "FROM base\nRUN apt-get update && apt-get install -y b && rm -rf /var/lib/apt/lists/*\n"
            "RUN apt-get install -y c\n",
            id="child stage refreshes before reading",
        ),
    ],
)
def test_scan_stops_where_the_lists_are_replaced(src: str, expected: str) -> None:
    assert _fix(src) == expected


@pytest.mark.parametrize(
    ("src", "line"),
    [
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a\n"
            'RUN if [ -n "$U" ]; then apt-get update; fi\nRUN apt-get install -y b\n',
            4,
            id="conditional update does not stop the scan",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a\n"
            "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n"
            "RUN apt-get install -y b\n",
            4,
            id="update on a mount leaves the layer's lists",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y a\n"
            'RUN rm -rf "/var/lib/apt/lists/*"\nRUN apt-get install -y b\n',
            4,
            id="quoted glob deletes nothing",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get update && apt-get install -y a\n"
            "FROM base AS one\nRUN apt-get update && apt-get install -y b"
            " && rm -rf /var/lib/apt/lists/*\n"
            "FROM base\nRUN apt-get install -y c\n",
            6,
            id="a sibling stage still reads them",
        ),
    ],
)
def test_scan_goes_on_past_what_does_not_replace_the_lists(src: str, line: int) -> None:
    assert _fix(src) == src
    [(message, fixable)] = [f for f in _findings(src) if "line" in f[0]]
    assert not fixable
    assert f"(no fix: line {line} reads the lists without apt-get update)" in message


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM debian\nRUN apt-get install -y --only-upgrade ca-certificates\n",
            id="only-upgrade without update",
        ),
        pytest.param(
            "FROM debian\nRUN echo 'APT::Get::Assume-Yes \"true\";' > /etc/apt/apt.conf.d/y"
            " && apt-get install curl\n",
            id="known commands, none updates",
        ),
        pytest.param(
            "FROM ubuntu\nRUN curl -fsSL https://example.com/key | apt-key add -"
            " && apt-get install -y x\n",
            id="apt-key does not update",
        ),
    ],
)
def test_no_finding_when_the_run_did_not_write_the_lists(src: str) -> None:
    """The lists come from an earlier layer: an rm here saves nothing and breaks children."""
    assert _findings(src) == []


NO_FIX_FIXTURES = {
    "no-fix-in-function": "install inside a function",
    "no-fix-background": "runs in the background",
    "no-fix-exit": "script ends with exit/exec",
    "no-fix-other-user": "apt runs as another user",
    "lists-needed-later": "line 3 reads the lists without apt-get update",
}
"""Golden cases where a reason for not fixing holds, with that reason; each has a
twin where it does not (function-elsewhere, background-before-apt, exit-on-failure,
sudo, lists-refreshed-later and lists-deleted-by-a-later-run)."""


@pytest.mark.parametrize(("case", "reason"), NO_FIX_FIXTURES.items())
def test_no_fix_fixture_gives_its_reason(case: str, reason: str) -> None:
    src = (FIXTURES / f"{case}.in.Dockerfile").read_bytes().decode()
    [finding] = check_text(src, [apt_lists_kept], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.message.endswith(f"(no fix: {reason})")


def test_every_no_fix_fixture_is_asserted() -> None:
    cases = {p.name.removesuffix(".in.Dockerfile") for p in FIXTURES.glob("no-fix-*.in.Dockerfile")}
    assert cases <= set(NO_FIX_FIXTURES)


def test_a_later_trigger_that_only_purges_reads_no_lists() -> None:
    src = (
        "FROM debian\nRUN apt-get update && apt-get install -y curl\n"
        "ONBUILD RUN apt-get purge -y --auto-remove curl && rm -rf /tmp/*\n"
    )
    assert _fix(src) == src.replace("install -y curl\n", f"install -y curl && {RM}\n")


def test_a_copy_of_other_files_from_the_stage_keeps_the_fix() -> None:
    src = (
        "FROM debian AS base\nRUN apt-get update && apt-get install -y x\n"
        "FROM debian\nCOPY --from=base /usr/bin/x /usr/bin/x\n"
    )
    assert f"apt-get install -y x && {RM}\n" in _fix(src)
