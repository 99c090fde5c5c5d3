"""Hostile text: templates and conflict markers refused, terminals and odd names kept safe.

Templates and merge conflicts are refused with their position; the ``{{`` that
real Dockerfiles hand to ``--format`` flags is not. Nothing a file or a file
name holds reaches a terminal as a control sequence; diffs stay ``git apply``-able
whatever the names; no name stops a run; a pathological configuration is a
located error.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import time_limit, write
from manifesto.diff import quote_path, unified_diff
from manifesto.foreign_syntax import find_foreign_syntax
from manifesto.source import SourceError, decode
from manifesto.terminal import printable, printable_lines

TIMEOUT = 120

DIRTY = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
FIXED_LINE = "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"

# What a hostile repository puts in a RUN: set the window title, move up a line
# and erase it (hiding the line above in a diff), then a bidi override.
HOSTILE_RUN = (
    "RUN echo \x1b]0;PWNED\x07 \x1b[1A\x1b[2K \u202eevil"
    " && apt-get update && apt-get install -y curl\n"
)
HOSTILE_NAME = "Dockerfile.\x1b]0;T\x07"
SGR = re.compile(rb"\x1b\[[0-9;]*m")
RAW_SEQUENCES = (b"\x1b]0;", b"\x1b[1A", b"\x1b[2K", b"\x07", "\u202e".encode())


def manifesto(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        env=env if env is not None else _env(),
        check=False,
        timeout=TIMEOUT,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(extra)
    return env


def manifesto_on_tty(*args: str, cwd: Path, **env: str) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal; everything the terminal received."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=_env(TERM="xterm", **env),
    )
    os.close(secondary)
    received = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            received += chunk
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    return code, bytes(received)


def refusal(text: str) -> tuple[int, int, str]:
    with pytest.raises(SourceError) as info:
        decode(text.encode("utf-8"), "Dockerfile")
    assert str(info.value).startswith(f"Dockerfile:{info.value.line}:{info.value.column}: ")
    return info.value.line, info.value.column, info.value.message


# ---------------------------------------------------------------------------
# Templates


@pytest.mark.parametrize(
    ("text", "line", "col", "syntax"),
    [
        pytest.param("FROM a\nRUN echo {{ .Values.x }}\n", 2, 10, "Helm", id="helm-mid-line"),
        pytest.param(
            'FROM a\nRUN echo {{- include "x.name" . -}}\n', 2, 10, "Helm", id="helm-trim"
        ),
        pytest.param("FROM a\nRUN echo hi {% for x in y %}\n", 2, 13, "Jinja", id="jinja-block"),
        pytest.param("FROM a\nRUN echo {{ version }}\n", 2, 10, "Jinja", id="jinja-expression"),
        pytest.param("FROM a\nRUN a {# note #}\n", 2, 7, "Jinja", id="jinja-comment"),
        pytest.param("FROM a\n{%- if x %}\nRUN a\n{% endif %}\n", 2, 1, "Jinja", id="jinja-line"),
        pytest.param("FROM a\nRUN echo '{{.Version}}'\n", 2, 11, "Go template", id="go-quoted"),
        pytest.param("FROM {{ .Base }}\n", 1, 6, "Go template", id="go-from"),
        pytest.param("FROM a\nENV X=<%= @version %>\n", 2, 7, "ERB", id="erb-output"),
        pytest.param("FROM a\n<% if x %>\nRUN a\n<% end %>\n", 2, 1, "ERB", id="erb-tag"),
        pytest.param(
            "FROM a\nRUN a {{#items}}b{{/items}}\n", 2, 7, "Mustache", id="mustache-section"
        ),
        pytest.param(
            "FROM a\nRUN a {{^empty}}b\n{{/empty}}\n", 2, 7, "Mustache", id="mustache-inverted"
        ),
        pytest.param("FROM a\nRUN a {{{raw}}}\n", 2, 7, "Mustache", id="mustache-triple"),
        pytest.param("FROM a\nRUN echo ${{ github.sha }}\n", 2, 10, "GitHub Actions", id="github"),
        pytest.param(
            "FROM a\nRUN docker inspect --format '${{ x }}' y\n",
            2,
            30,
            "GitHub Actions",
            id="github-never-a-format",
        ),
        pytest.param(
            "FROM a\nRUN docker inspect --format '{{ .Values.fmt }}' y\n",
            2,
            30,
            "Helm",
            id="helm-never-a-format",
        ),
        pytest.param("FROM a\nRUN cp -f {{ src }} /x\n", 2, 11, "Jinja", id="jinja-after-dash-f"),
        pytest.param(
            "{{\n\tdef is_alpine: env.variant;\n-}}\nFROM a\n", 1, 1, "Jinja", id="multi-line-tag"
        ),
        pytest.param("FROM a\n  {#\n note\n#}\n", 2, 3, "Jinja", id="multi-line-comment"),
        pytest.param("FROM a\n<%\n x\n%>\n", 2, 1, "ERB", id="multi-line-erb"),
        pytest.param(
            "FROM a\nRUN sed -i 's/{{ old }}/{{ new }}/' f\n", 2, 25, "Jinja", id="sed-replacement"
        ),
        pytest.param("\ufeffFROM {{ base }}\n", 1, 6, "Jinja", id="bom-not-counted"),
        pytest.param("FROM debian:%%SUITE%%\n", 1, 13, "placeholder", id="docker-library"),
        pytest.param(
            "FROM a\nRUN docker inspect --format {{ .Id }} x\n",
            2,
            29,
            "Go template",
            id="unquoted-spaces-split-the-word",
        ),
    ],
)
def test_template_is_refused_at_its_position(text: str, line: int, col: int, syntax: str) -> None:
    got_line, got_col, message = refusal(text)
    assert (got_line, got_col) == (line, col)
    assert message.startswith("template syntax (")
    assert syntax in message
    assert message.endswith("this is a template, not a Dockerfile")


LEGITIMATE = [
    "RUN docker inspect --format '{{json .}}' x",
    'RUN docker inspect --format "{{.Id}}" x',
    "RUN podman ps --format={{.Names}}",
    "RUN docker inspect --format='{{ index .Config.Labels \"org.opencontainers.image\"}}' x",
    "RUN docker ps --format 'table {{.ID}}\\t{{.Names}}'",
    "RUN docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' x",
    "RUN ssh h docker inspect -f \"'{{.State.Running}}'\" x",
    "RUN cp -R $(go list -m -f='{{.Dir}}' github.com/planetscale/vtprotobuf)/include /opt",
    "RUN go list -f '{{.ImportPath}} {{join .Deps \",\"}}' ./...",
    "RUN kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'",
    "RUN kubectl get pods -o=go-template={{.kind}}",
    "RUN docker run --log-opt tag='{{.Name}}' x",
    "RUN docker inspect --format \\\n    '{{.State.Health.Status}}' x",
    'HEALTHCHECK CMD ["docker", "inspect", "--format", "{{.State.Health.Status}}", "x"]',
    "HEALTHCHECK CMD docker inspect --format='{{ .State.Running }}' self || exit 1",
    "# docker inspect --format '{{json .Config}}' image",
    "RUN echo ${#arr[@]} ${x%%.*} {a,b} {{a,b},c} && awk '{print}' && printf '{%s}' 1",
    "RUN git log --format='%aN <%aE>' | sort -u",
    "RUN echo {{}} '{{ }}'",
    "RUN printf '%%d %%s' 1 a",
    "RUN sed -i 's/{{PORT}}/8080/g' /etc/nginx/nginx-template.conf",
    "RUN sed -i 's/{{API_BASE_URL}}/'\"$API_BASE_URL\"'/g' /usr/share/nginx/html/index.html",
    "RUN sed -i 's/{{env \"WEB_API\"}}/http:\\/\\/api/g' /etc/nginx/nginx.conf",
    "RUN sed -i 's/{{a}}/'\"$A\"'/g' /i.html && \\\n    sed -i 's/{{b}}/'\"$B\"'/g' /i.html",
    'RUN sed -e "s|{{DIR}}|$D|" -e "s|{{PORT}}|$P|;s/x/y/" t > o',
    "RUN sed -i 's/a/b/;s/{{X}}/y/' f && sed -i --expression='s/{{Y}}/z/' f",
]


@pytest.mark.parametrize("line", LEGITIMATE)
def test_real_dockerfile_braces_are_accepted(line: str) -> None:
    text = f"FROM debian:12\n{line}\n"
    assert decode(text.encode("utf-8"), "Dockerfile") == text


# ---------------------------------------------------------------------------
# Merge conflicts


@pytest.mark.parametrize(
    ("text", "line", "marker"),
    [
        pytest.param(
            "FROM a\n<<<<<<< HEAD\nRUN a\n=======\nRUN b\n>>>>>>> x\n", 2, "<<<<<<<", id="plain"
        ),
        pytest.param(
            "FROM a\n||||||| base\nRUN a\n=======\nRUN b\n", 2, "|||||||", id="diff3-only"
        ),
        pytest.param("FROM a\n|||||||\nRUN a\n", 2, "|||||||", id="diff3-bare"),
        pytest.param(
            "FROM a\nRUN a\n=======\nRUN b\n>>>>>>> theirs\n", 3, "=======", id="equals-paired"
        ),
        pytest.param("FROM a\r\n<<<<<<<\r\nRUN a\r\n", 2, "<<<<<<<", id="crlf"),
    ],
)
def test_conflict_marker_is_refused(text: str, line: int, marker: str) -> None:
    got_line, col, message = refusal(text)
    assert (got_line, col) == (line, 1)
    assert message == f"merge-conflict marker {marker!r}: resolve the conflict first"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM a\n=======\n", id="equals-alone"),
        pytest.param("FROM a\nCOPY <<EOF /t\n========\n<<<<<<<<\nEOF\n", id="eight-long"),
        pytest.param("FROM a\nRUN echo '<<<<<<< x'\n", id="not-at-line-start"),
        pytest.param("FROM a\n#>>>>>>> x\n", id="in-comment"),
    ],
)
def test_marker_look_alikes_are_accepted(text: str) -> None:
    assert decode(text.encode(), "Dockerfile") == text


def test_detection_refuses_nothing_in_the_corpus_but_its_conflicted_file(
    corpus: list[Path],
) -> None:
    refused = {}
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        found = find_foreign_syntax(text)
        if found is not None:
            refused[path.name] = (found.line, found.message)
    # The one file with real conflict markers (the repository keeps it as ".broken").
    assert refused == {
        "nats-bench__Dockerfile.broken": (
            21,
            "merge-conflict marker '<<<<<<<': resolve the conflict first",
        )
    }


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda n: "RUN " + "{{" * n + "\n", id="openers-without-closer"),
        pytest.param(lambda n: "RUN " + "{{.x " * n + "}}\n", id="one-huge-expression"),
        pytest.param(lambda n: "RUN " + "{% a " * n + "\n", id="jinja-openers"),
        pytest.param(lambda n: "RUN " + "<%= a " * n + "\n", id="erb-openers"),
        pytest.param(
            lambda n: "RUN docker inspect" + " --format '{{.Id}}'" * n + "\n", id="many-legit"
        ),
        pytest.param(lambda n: "RUN sed '" + "s/{{X}}/y/;" * n + "' f\n", id="many-sed"),
        pytest.param(lambda n: "=======\n" * n + ">>>>>>> x\n", id="markers"),
    ],
)
def test_detection_is_linear_on_pathological_lines(make: Callable[[int], str]) -> None:
    def best_time(n: int) -> float:
        text = "FROM a\n" + make(n)
        times = []
        for _ in range(2):
            started = time.perf_counter()
            find_foreign_syntax(text)
            times.append(time.perf_counter() - started)
        return min(times)

    with time_limit(60, "detection is not linear: stopped after 60 s"):
        small, large = best_time(10_000), best_time(40_000)
    # Four times the input: about four times the time; quadratic would be sixteen.
    assert large < 8 * small + 0.05, (small, large)


# ---------------------------------------------------------------------------
# Escaping for terminals and git


def test_printable_shows_what_a_terminal_would_obey() -> None:
    assert printable("a\x1b[2Kb\rc\x07\x7f") == "a\u241b[2Kb\u240dc\u2407\u2421"
    assert printable("\x9b31m \u202eabc\u2066 \u2028 \u200b") == (
        "\\x9b31m \\u202eabc\\u2066 \\u2028 \\u200b"
    )
    assert printable("Dockerfile.\udcff") == "Dockerfile.\\xff"
    assert printable("a\tb\nc") == "a\u2409b\u240ac"
    assert printable("a\tb\nc", "\t\n") == "a\tb\nc"
    assert printable("caf\u00e9 \u4e2d") == "caf\u00e9 \u4e2d"
    assert printable_lines("a\r\nb\rc\n\x1b\n") == "a\r\nb\u240dc\n\u241b\n"


def test_diff_headers_quote_names_as_git_does(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    names = [
        "plain/Dockerfile",
        "sp ace/Dockerfile",
        "nl\nx/Dockerfile",
        'q"b\\s',
        "t\tab",
        "caf\u00e9",
        os.fsdecode(b"Dockerfile.\xff"),
        "esc\x1b[1m\x7f",
    ]
    for name in names:
        write(tmp_path / name, "x\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=TIMEOUT)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True, timeout=TIMEOUT)
    listed = subprocess.run(
        ["git", "-c", "core.quotePath=true", "ls-files"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    ).stdout.decode("ascii")
    assert sorted(listed.splitlines()) == sorted(quote_path(n) for n in names)
    assert unified_diff("sp ace/Dockerfile", "a\n", "b\n").startswith(
        "--- a/sp ace/Dockerfile\t\n+++ b/sp ace/Dockerfile\t\n@@"
    )


def _hostile_tree(root: Path) -> None:
    write(root / "Dockerfile", DIRTY)
    write(root / "nl\nx" / "Dockerfile", DIRTY)
    write(root / os.fsdecode(b"Dockerfile.\xff"), DIRTY)
    write(root / "sp ace" / "Dockerfile", DIRTY)
    write(root / HOSTILE_NAME, "FROM debian:12\n" + HOSTILE_RUN)


def test_piped_diff_is_exact_and_git_applies_it_whatever_the_names(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    _hostile_tree(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=TIMEOUT)
    diff = manifesto("fix", "--diff", ".", cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert diff.stdout.count(b"\n+++ ") + diff.stdout.startswith(b"+++ ") == 5
    assert b'+++ "b/nl\\nx/Dockerfile"\n' in diff.stdout
    assert b'+++ "b/Dockerfile.\\377"\n' in diff.stdout
    assert b'+++ "b/Dockerfile.\\033]0;T\\a"\n' in diff.stdout
    # Piped, the diff is data: the file's own bytes, so that it applies.
    assert HOSTILE_RUN.encode() in diff.stdout
    patch = tmp_path.parent / "hostile.patch"
    patch.write_bytes(diff.stdout)
    for args in (["apply", "--check", str(patch)], ["apply", str(patch)]):
        applied = subprocess.run(
            ["git", *args], cwd=tmp_path, capture_output=True, timeout=TIMEOUT, check=False
        )
        assert applied.returncode == 0, applied.stderr
    assert (tmp_path / "nl\nx" / "Dockerfile").read_text().endswith(FIXED_LINE)
    assert (tmp_path / os.fsdecode(b"Dockerfile.\xff")).read_text().endswith(FIXED_LINE)
    again = manifesto("fix", "--diff", ".", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, b""), again.stderr


@pytest.mark.parametrize("no_color", [False, True], ids=["color", "no-color"])
def test_diff_on_a_terminal_shows_escapes_never_sends_them(tmp_path: Path, no_color: bool) -> None:
    _hostile_tree(tmp_path)
    env = {"NO_COLOR": "1"} if no_color else {}
    code, screen = manifesto_on_tty("fix", "--diff", ".", cwd=tmp_path, **env)
    assert code == 1, screen
    for raw in RAW_SEQUENCES:
        assert raw not in screen
    assert "echo \u241b]0;PWNED\u2407 \u241b[1A\u241b[2K \\u202eevil".encode() in screen
    assert b'+++ "b/Dockerfile.\\033]0;T\\a"' in screen


@pytest.mark.parametrize("fmt", ["full", "concise", "github"])
def test_check_reports_on_a_terminal_never_send_escapes(tmp_path: Path, fmt: str) -> None:
    _hostile_tree(tmp_path)
    write(tmp_path / "bad" / HOSTILE_NAME, "FROM a\nRUN echo {{ .Values.x }}\n")
    code, screen = manifesto_on_tty("check", "--output-format", fmt, ".", cwd=tmp_path)
    assert code == 2, screen
    for raw in RAW_SEQUENCES:
        assert raw not in screen
    screen = SGR.sub(b"", screen)  # our own colours, between a name and its colon
    # The error line names the file with its control characters shown.
    assert "bad/Dockerfile.\u241b]0;T\u2407:2:10: template syntax (Helm)".encode() in screen
    assert b"Dockerfile.\\xff" in screen
    if fmt != "github":
        assert "nl\u240ax/Dockerfile:2:".encode() in screen


def test_fix_check_names_and_errors_are_escaped_when_piped_too(tmp_path: Path) -> None:
    _hostile_tree(tmp_path)
    result = manifesto("fix", "--check", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    for raw in RAW_SEQUENCES:
        assert raw not in result.stdout + result.stderr
    lines = result.stdout.decode().splitlines()
    assert sorted(lines) == sorted(
        f"Would fix: {name}"
        for name in (
            "Dockerfile",
            "nl\u240ax/Dockerfile",
            "Dockerfile.\\xff",
            "sp ace/Dockerfile",
            "Dockerfile.\u241b]0;T\u2407",
        )
    )


# ---------------------------------------------------------------------------
# Names never stop a run


def test_undecodable_name_with_output_file_processes_every_file(tmp_path: Path) -> None:
    _hostile_tree(tmp_path)
    result = manifesto("fix", "-o", "report.txt", ".", cwd=tmp_path)
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr  # unsafe findings remain
    for name in (
        "Dockerfile",
        "nl\nx/Dockerfile",
        os.fsdecode(b"Dockerfile.\xff"),
        "sp ace/Dockerfile",
    ):
        assert (tmp_path / name).read_text().endswith(FIXED_LINE), name
    report = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert "Dockerfile.\\xff:2:" in report
    for raw in RAW_SEQUENCES:
        assert raw.decode() not in report


@pytest.mark.parametrize("fmt", ["json", "json-lines", "sarif", "rdjson", "gitlab"])
def test_machine_formats_keep_odd_names_as_json_escapes(tmp_path: Path, fmt: str) -> None:
    _hostile_tree(tmp_path)
    result = manifesto("check", "--output-format", fmt, "-o", "out.json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    data = (tmp_path / "out.json").read_bytes()
    for raw in RAW_SEQUENCES:
        assert raw not in data
    text = data.decode("utf-8")  # strict: valid UTF-8
    if fmt == "json-lines":
        documents = [json.loads(line) for line in text.splitlines()]
    else:
        documents = [json.loads(text)]
    names = {value for doc in documents for value in _strings(doc)}
    if fmt == "sarif":
        assert {"Dockerfile.%FF", "nl%0Ax/Dockerfile", "Dockerfile.%1B%5D0%3BT%07"} <= names
    else:
        # A lone surrogate escape reads back to the name os.fsdecode gave.
        assert {os.fsdecode(b"Dockerfile.\xff"), "nl\nx/Dockerfile", HOSTILE_NAME} <= names


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_path_starting_with_a_dash_after_double_dash(tmp_path: Path) -> None:
    write(tmp_path / "-rf" / "Dockerfile", DIRTY)
    result = manifesto("fix", "--", "-rf/Dockerfile", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # unsafe findings remain
    assert (tmp_path / "-rf" / "Dockerfile").read_text().endswith(FIXED_LINE)
    found = manifesto(
        "check", "--output-format", "concise", "--ignore", "MF401", "--", "-rf", cwd=tmp_path
    )
    assert found.stdout.startswith(b"-rf/Dockerfile:2:"), found.stderr


# ---------------------------------------------------------------------------
# Configuration


@pytest.mark.parametrize(
    ("name", "text", "line", "col"),
    [
        pytest.param(
            ".manifesto.toml", "select = " + "[" * 100_000 + "]" * 100_000, 1, 74, id="array"
        ),
        pytest.param(
            ".manifesto.toml",
            "# [[[\nx = '['\ny = " + "{a = " * 100_000 + "1" + "}" * 100_000,
            3,
            5 + 5 * 64,
            id="inline-table",
        ),
        pytest.param(
            "pyproject.toml", "[tool.manifesto]\nignore = " + "[" * 100_000, 2, 74, id="pyproject"
        ),
    ],
)
def test_deeply_nested_config_is_a_located_error(
    tmp_path: Path, name: str, text: str, line: int, col: int
) -> None:
    config = write(tmp_path / name, text)
    write(tmp_path / "Dockerfile", DIRTY)
    result = manifesto("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert result.stderr.decode() == (
        f"{config}:{line}:{col}: invalid TOML: arrays and inline tables nested deeper than 64\n"
    )
