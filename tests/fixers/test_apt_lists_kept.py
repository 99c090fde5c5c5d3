"""MF101 apt_lists_kept: inline cases (the golden fixtures hold the layout cases)."""

from __future__ import annotations

import pytest
from manifesto.fixers import apt_lists_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)
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
            "FROM debian AS build\nRUN apt-get update && apt-get install -y gcc\n"
            "FROM debian\nCOPY --from=build /x /x\n",
            id="builder stage",
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
            'FROM debian\nRUN ["update-ca-certificates"]\nRUN apt-get install -y x\n',
            f'FROM debian\nRUN ["update-ca-certificates"]\nRUN apt-get install -y x && {RM}\n',
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
            "FROM debian\nRUN apt-get install -y y\n",
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "FROM debian\nRUN apt-get install -y y && rm -rf /var/lib/apt/lists/*\n",
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
