"""MF102 apt_update_alone: inline cases."""

from __future__ import annotations

import pytest
from manifesto.fixers import apt_update_alone

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)


def _fix(src: str) -> str:
    result = fix_text(src, [apt_update_alone], SETTINGS)
    assert result.errors == ()
    return result.output


def _findings(src: str) -> list[tuple[str, bool]]:
    return [
        (f.violation.message, f.violation.fix is not None)
        for f in check_text(src, [apt_update_alone], SETTINGS)
    ]


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("FROM debian\nRUN apt-get update && apt-get install -y x\n", id="together"),
        pytest.param("FROM debian\nRUN apt-get update && apt-get -y upgrade\n", id="upgrade"),
        pytest.param("FROM debian\nRUN apt-get update && apt-cache policy x\n", id="apt-cache"),
        pytest.param(
            "FROM debian\nRUN apt-get update && xargs apt-get install -y < /deps\n", id="xargs"
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && sh -c 'apt-get install -y x'\n", id="sh -c"
        ),
        pytest.param("FROM debian\nRUN apt-get update && ./install.sh\n", id="a script"),
        pytest.param(
            "FROM debian\nRUN apt-get update && curl -sL https://x/setup | bash -\n",
            id="curl | bash",
        ),
        pytest.param("FROM debian\nRUN apt-get update && $INSTALL x\n", id="variable command"),
        pytest.param(
            "FROM debian\nRUN apt-get update && echo 'apt-get install x' > /i.sh && sh /i.sh\n",
            id="writes and runs a script",
        ),
        pytest.param(
            "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt apt-get update\n",
            id="cache mount",
        ),
        pytest.param("FROM debian\nRUN apt-get upgrade -y\n", id="no update"),
        pytest.param(
            "FROM debian\nRUN apt-get update; apt-get dist-clean\n", id="repository check"
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\n",
            id="lists deleted in the RUN",
        ),
    ],
)
def test_no_finding(src: str) -> None:
    assert _findings(src) == []


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM debian\nRUN apt update\nRUN apt install -y x\n",
            "FROM debian\nRUN apt update && apt install -y x\n",
            id="apt",
        ),
        pytest.param(
            "FROM debian\nRUN /usr/bin/apt-get -q update\nRUN apt-get -q install -y x\n",
            "FROM debian\nRUN /usr/bin/apt-get -q update && apt-get -q install -y x\n",
            id="full path and options",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update >/dev/null\nRUN apt-get install -y x\n",
            "FROM debian\nRUN apt-get update >/dev/null && apt-get install -y x\n",
            id="redirect moves with it",
        ),
        pytest.param(
            "FROM debian\n  RUN apt-get update # refresh\n  RUN apt-get install -y x\n",
            "FROM debian\n  # refresh\n  RUN apt-get update && apt-get install -y x\n",
            id="indented",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\n\n# tools\n\nRUN apt-get install -y x | tee /log\n",
            "FROM debian\n\n# tools\n\nRUN apt-get update && apt-get install -y x | tee /log\n",
            id="comments and blanks between, pipeline",
        ),
        pytest.param(
            "FROM debian\nRUN DEBIAN_FRONTEND=noninteractive apt-get update\n"
            "RUN apt-get install -y x\n",
            "FROM debian\nRUN DEBIAN_FRONTEND=noninteractive apt-get update"
            " && apt-get install -y x\n",
            id="assignment moves with it",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN \\\n  # first\n  apt-get install -y x\n",
            "FROM debian\nRUN \\\n  # first\n  apt-get update && apt-get install -y x\n",
            id="next RUN starts on a continuation line",
        ),
        pytest.param(
            "FROM debian\nrun apt-get update\nrun apt-get install -y x\n",
            "FROM debian\nrun apt-get update && apt-get install -y x\n",
            id="lower-case keyword",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(src) == expected


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param("FROM debian\nRUN apt-get update\n", "nothing after it", id="last"),
        pytest.param(
            "FROM debian\nRUN apt-get update\nFROM debian\nRUN apt-get install -y x\n",
            "nothing after it",
            id="next stage",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nENV DEBIAN_FRONTEND=noninteractive\n"
            "RUN apt-get install -y x\n",
            "ENV comes before",
            id="ENV between",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && rm -rf /tmp/*\nRUN apt-get install -y x\n",
            "RUN does more than the update",
            id="update RUN does more",
        ),
        pytest.param(
            'FROM debian\nRUN apt-get update; [ -z "$CHECK" ] || apt-get dist-clean\n',
            "RUN does more than the update",
            id="lists deleted only sometimes",
        ),
        pytest.param(
            'FROM debian\nRUN apt-get update && rm -rf "/var/lib/apt/lists/*"\n',
            "RUN does more than the update",
            id="quoted glob deletes nothing",
        ),
        pytest.param(
            "FROM debian\nRUN ! apt-get update\nRUN apt-get install -y x\n",
            "RUN does more than the update",
            id="negated",
        ),
        pytest.param(
            "FROM debian\nRUN (apt-get update)\nRUN apt-get install -y x\n",
            "RUN does more than the update",
            id="subshell",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN ! apt-get install -y x\n",
            "next RUN starts with !",
            id="negated next RUN",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN f() { apt-get install -y x; } && f\n",
            "next RUN defines a function",
            id="function in the next RUN",
        ),
        pytest.param(
            "FROM debian\nRUN --network=host apt-get update\nRUN apt-get install -y x\n",
            "update RUN has flags",
            id="update RUN flags",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN --network=none apt-get install -y x\n",
            "next RUN has flags",
            id="next RUN flags",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\n"
            "RUN --mount=type=secret,id=auth apt-get install -y x\n",
            "next RUN has flags",
            id="next RUN secret mount",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN echo hi\n",
            "does not install first",
            id="next RUN does not install",
        ),
        pytest.param(
            # it installs first, but from the cache mount: the reason says so
            "FROM debian\nRUN apt-get update\n"
            "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get install -y x\n",
            "reads the lists from a mount",
            id="next RUN mounts the lists",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y x & wait\n",
            "several statements",
            id="background",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update \\\n    -q\nRUN apt-get install -y x\n",
            "update spans lines",
            id="continuation in the update",
        ),
    ],
)
def test_reported_without_fix(src: str, reason: str) -> None:
    assert _fix(src) == src
    findings = _findings(src)
    assert findings, "expected a finding"
    message, fixable = findings[0]
    assert not fixable
    assert reason in message


def test_update_after_install_is_alone() -> None:
    src = "FROM debian\nRUN apt-get update && apt-get install -y x && apt-get update\n"
    ((message, fixable),) = _findings(src)
    assert "RUN does more than the update" in message
    assert not fixable


def test_two_update_runs() -> None:
    """The second merges into the install; the first stays, reported: its next RUN updates."""
    src = "FROM debian\nRUN apt-get update\nRUN apt-get update\nRUN apt-get install -y x\n"
    expected = "FROM debian\nRUN apt-get update\nRUN apt-get update && apt-get install -y x\n"
    assert _fix(src) == expected
    ((message, fixable),) = _findings(expected)
    assert "next RUN does not install first" in message
    assert not fixable


# ------------------------------------------------------------------ layout of the merge


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM debian\n# lists\nRUN apt-get update\n\n# tools\nRUN apt-get install -y x\n",
            "FROM debian\n# lists\n# tools\nRUN apt-get update && apt-get install -y x\n",
            id="its comment goes down with it",
        ),
        pytest.param(
            "FROM debian\n# lists\nRUN apt-get update\n\n\nRUN apt-get install -y x\n",
            "FROM debian\n# lists\nRUN apt-get update && apt-get install -y x\n",
            id="blank lines between go",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\n\n# tools\nRUN apt-get install -y x\n",
            "FROM debian\n\n# tools\nRUN apt-get update && apt-get install -y x\n",
            id="without a comment the blank line stays",
        ),
        pytest.param(
            "FROM debian\n\nRUN apt-get update\n\nRUN apt-get install -y x\n",
            "FROM debian\n\nRUN apt-get update && apt-get install -y x\n",
            id="between blank lines one blank line stays",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update # lists\n\nRUN apt-get install -y x\n",
            "FROM debian\n# lists\nRUN apt-get update && apt-get install -y x\n",
            id="a trailing shell comment goes down too",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl \\\n"
            "                       git\n",
            "FROM debian\nRUN apt-get update && \\\n    apt-get install -y curl \\\n"
            "                       git\n",
            id="aligned continuation keeps its column",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y \\\n    curl\n",
            "FROM debian\nRUN apt-get update && apt-get install -y \\\n    curl\n",
            id="indented continuation stays on the line",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN \\\n  apt-get install -y curl \\\n"
            "                     git\n",
            "FROM debian\nRUN \\\n  apt-get update && \\\n  apt-get install -y curl \\\n"
            "                     git\n",
            id="aligned under a continuation line",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl &&\\\n"
            "                       git\n",
            "FROM debian\nRUN apt-get update &&\\\n    apt-get install -y curl &&\\\n"
            "                       git\n",
            id="the file's operator spacing",
        ),
    ],
)
def test_merge_layout(src: str, expected: str) -> None:
    assert _fix(src) == expected
