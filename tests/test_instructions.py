"""BuildKit's instruction layer: what it accepts, what it refuses, and where."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from buildkit_oracle import ours, theirs
from manifesto.cst import ParseError, parse
from manifesto.cst.instructions import FLAGS, KEYWORDS, problems
from manifesto.registry import CHECKS, documented, rules

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def first_problem(text: str) -> tuple[int, int, str] | None:
    tree = parse(text)
    found = problems(tree)
    if not found:
        return None
    row, col = tree.position(found[0].span.start)
    return row, col, found[0].message


ACCEPTED = [
    pytest.param("FROM alpine\n", id="from"),
    pytest.param("FROM alpine AS build\n", id="from-as"),
    pytest.param("from alpine as Build-1.x_y\n", id="from-lower-case-stage-name"),
    pytest.param("FROM --platform=$BUILDPLATFORM golang:1.22 AS b\n", id="from-platform"),
    pytest.param("ARG BASE=alpine\nARG TAG\nFROM $BASE:$TAG\n", id="args-before-from"),
    pytest.param("FROM a\nRUN\n", id="run-without-arguments"),
    pytest.param("FROM a\nCMD\nENTRYPOINT\n", id="cmd-entrypoint-without-arguments"),
    pytest.param(
        "FROM a\nRUN --mount=type=cache,target=/x --mount=type=tmpfs,target=/t "
        "--network=none --security=insecure --device=x echo\n",
        id="run-flags",
    ),
    pytest.param("FROM a\nRUN --network=$NET echo\n", id="run-network-variable"),
    pytest.param(
        "FROM a\nCOPY --from=build --chown=1:1 --chmod=755 --link --parents "
        "--exclude=*.md --exclude=*.txt a b /dst/\n",
        id="copy-flags",
    ),
    pytest.param("FROM a\nCOPY --link=false a b\n", id="copy-bool-value"),
    pytest.param(
        "FROM a\nADD --checksum=sha256:00 --keep-git-dir=true --unpack=TRUE --chown=a "
        "https://x/y.tgz /y\n",
        id="add-flags",
    ),
    pytest.param("FROM a\nCOPY <<EOF /x\nhello\nEOF\n", id="copy-heredoc-source"),
    pytest.param('FROM a\nCOPY ["a", "b"]\n', id="copy-json"),
    pytest.param("FROM a\nENV a=b c=d\nENV legacy value with spaces\n", id="env"),
    pytest.param('FROM a\nLABEL a=b "c d"=e\n', id="label"),
    pytest.param("FROM a\nARG a b=c\n", id="arg-several"),
    pytest.param(
        "FROM a\nHEALTHCHECK --interval=1m30s --timeout=.5s --start-period=0 "
        "--start-interval=0s --retries=0 CMD curl -f http://localhost/\n",
        id="healthcheck-flags",
    ),
    pytest.param('FROM a\nHEALTHCHECK CMD ["curl", "-f", "x"]\n', id="healthcheck-json"),
    pytest.param("FROM a\nHEALTHCHECK NONE\n", id="healthcheck-none"),
    pytest.param("FROM a\nHEALTHCHECK --anything=5 NONE\n", id="healthcheck-none-flags-unread"),
    pytest.param("FROM a\nSTOPSIGNAL --anything SIGTERM\n", id="stopsignal-flags-unread"),
    pytest.param('FROM a\nSHELL ["/bin/bash", "-c"]\n', id="shell"),
    pytest.param("FROM a\nONBUILD RUN --whatever echo\n", id="onbuild-trigger-not-read"),
    pytest.param("FROM a\nMAINTAINER me <me@x>\nUSER app\nWORKDIR /x y\n", id="one-argument"),
    pytest.param("FROM a\nEXPOSE 80/tcp 443\nVOLUME /data /logs\n", id="expose-volume"),
    pytest.param("FROM a\nCOPY --from=$STAGE a b\n", id="flag-value-variable"),
    pytest.param(
        "FROM a\nRUN apt-get install -y \\\n    curl \\\n    git\nRUN echo\n",
        id="continuations-intact",
    ),
    pytest.param(
        "# syntax=devthefuture/dockerfile-x\nFROM a\nINCLUDE ./common.dockerfile\n",
        id="another-frontend",
    ),
    pytest.param(
        "# syntax=docker.io/docker/dockerfile-upstream:master-labs\nFROM a\n"
        "COPY --parents --exclude=x a b\n",
        id="docker-frontend-labs",
    ),
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_buildkit_accepts(text: str) -> None:
    assert first_problem(text) is None


REFUSED = [
    pytest.param(
        "FROM fedora:39\nRUN dnf install -y \\\n    ghc-aeson-devel\n"
        "    ghc-unordered-containers-devel \\\n    ghc-vector-devel\n",
        (4, 5),
        'unknown instruction "GHC-UNORDERED-CONTAINERS-DEVEL" '
        "(a continuation backslash missing on the line before?)",
        id="missing-backslash",
    ),
    pytest.param(
        "FROM a\nRUN apt-get update\n    && apt-get install -y curl\n",
        (3, 5),
        'unknown instruction "&&" (a continuation backslash missing on the line before?)',
        id="missing-backslash-operator",
    ),
    pytest.param(
        "FROM a\nRUNN echo\n", (2, 1), 'unknown instruction "RUNN" (did you mean "RUN"?)', id="typo"
    ),
    pytest.param(
        "FROM a\n\nfoo bar\n", (3, 1), 'unknown instruction "FOO"', id="unknown-after-blank"
    ),
    pytest.param(
        "FROM a\nRUN --from=build echo\n",
        (2, 5),
        "RUN does not take --from (it takes --mount, --network, --security, --device)",
        id="run-from",
    ),
    pytest.param(
        "FROM a\nRUN --chmod=755 echo\n", (2, 5), "RUN does not take --chmod", id="run-chmod"
    ),
    pytest.param(
        "FROM a\nCOPY --mount=type=cache,target=/x a b\n",
        (2, 6),
        "COPY does not take --mount",
        id="copy-mount",
    ),
    pytest.param("FROM a\nADD --from=x a b\n", (2, 5), "ADD does not take --from", id="add-from"),
    pytest.param(
        'FROM a\nCMD --doit ["a"]\n', (2, 5), "CMD takes no flags, not --doit", id="cmd-flag"
    ),
    pytest.param("FROM a\nENV --x=1 a=b\n", (2, 5), "ENV takes no flags", id="env-flag"),
    pytest.param(
        "FROM a\nCOPY --from build /app /srv\n",
        (2, 6),
        "--from needs a value: --from=<value>",
        id="flag-without-value",
    ),
    pytest.param(
        "FROM a\nCOPY --link=yes a b\n",
        (2, 6),
        '--link takes true or false, not "yes"',
        id="bool-flag-value",
    ),
    pytest.param(
        "FROM a\nCOPY --from=a --from=b c d\n",
        (2, 15),
        "COPY --from is given twice",
        id="flag-twice",
    ),
    pytest.param(
        "FROM a\nRUN --network=bridge echo\n",
        (2, 5),
        '--network="bridge" is not a network mode',
        id="network-mode",
    ),
    pytest.param(
        "FROM a\nRUN --security=privileged echo\n",
        (2, 5),
        '--security="privileged" is not valid',
        id="security-mode",
    ),
    pytest.param(
        "FROM a\nCOPY app.jar\n",
        (2, 1),
        "COPY needs a source and a destination",
        id="copy-one-argument",
    ),
    pytest.param(
        "FROM a\nCOPY --chown=app <<EOF\nx\nEOF\n",
        (2, 1),
        "COPY needs a source and a destination",
        id="copy-heredoc-without-destination",
    ),
    pytest.param(
        "FROM a\nADD x <<EOF\ny\nEOF\n",
        (2, 1),
        "ADD cannot take a heredoc as its destination",
        id="add-heredoc-destination",
    ),
    pytest.param("FROM\n", (1, 1), "FROM without an image", id="from-empty"),
    pytest.param(
        "FROM --platform=linux/amd64\n", (1, 1), "FROM without an image", id="from-flag-only"
    ),
    pytest.param(
        "FROM a b\n", (1, 1), "FROM takes an image and optionally AS <name>", id="from-two"
    ),
    pytest.param("FROM a AS 1st\n", (1, 1), 'invalid stage name "1st"', id="from-bad-stage-name"),
    pytest.param("FROM --plat=x a\n", (1, 6), "FROM does not take --plat", id="from-flag"),
    pytest.param("FROM a\nENV\n", (2, 1), "ENV requires at least one argument", id="env-empty"),
    pytest.param("FROM a\nENV =x\n", (2, 1), "ENV with a blank name", id="env-blank-name"),
    pytest.param(
        "FROM a\nLABEL\n", (2, 1), "LABEL requires at least one argument", id="label-empty"
    ),
    pytest.param("FROM a\nARG\n", (2, 1), "ARG requires at least one argument", id="arg-empty"),
    pytest.param("FROM a\nARG =x\n", (2, 1), "ARG with a blank name", id="arg-blank-name"),
    pytest.param(
        "FROM a\nMAINTAINER\n", (2, 1), "MAINTAINER requires exactly one", id="maintainer"
    ),
    pytest.param("FROM a\nUSER\n", (2, 1), "USER requires exactly one argument", id="user"),
    pytest.param("FROM a\nWORKDIR\n", (2, 1), "WORKDIR requires exactly one", id="workdir"),
    pytest.param(
        "FROM a\nSTOPSIGNAL\n", (2, 1), "STOPSIGNAL requires exactly one", id="stopsignal"
    ),
    pytest.param("FROM a\nEXPOSE\n", (2, 1), "EXPOSE requires at least one", id="expose"),
    pytest.param("FROM a\nVOLUME\n", (2, 1), "VOLUME requires at least one", id="volume"),
    pytest.param('FROM a\nVOLUME [""]\n', (2, 1), "VOLUME with an empty path", id="volume-empty"),
    pytest.param(
        "FROM a\nSHELL /bin/bash -c\n", (2, 1), "SHELL needs a JSON array", id="shell-not-json"
    ),
    pytest.param("FROM a\nSHELL []\n", (2, 1), "SHELL requires at least one", id="shell-empty"),
    pytest.param(
        "FROM a\nHEALTHCHECK\n", (2, 1), "HEALTHCHECK requires at least one", id="health-empty"
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK NONE x\n", (2, 1), "HEALTHCHECK NONE takes no", id="health-none-arg"
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK CONNECT TCP 7000\n",
        (2, 1),
        'HEALTHCHECK type "CONNECT" is unknown',
        id="health-type",
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK CMD\n", (2, 1), "HEALTHCHECK CMD needs a command", id="health-cmd"
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK --interval=5 CMD true\n",
        (2, 13),
        '--interval="5" is not a duration',
        id="health-duration",
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK --timeout=10us CMD true\n",
        (2, 13),
        "--timeout=10us is less than the minimum, 1ms",
        id="health-too-short",
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK --retries=three CMD true\n",
        (2, 13),
        '--retries="three" is not a whole number',
        id="health-retries",
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK --retries=-1 CMD true\n",
        (2, 13),
        "--retries=-1 cannot be negative",
        id="health-retries-negative",
    ),
    pytest.param(
        "FROM a\nHEALTHCHECK --period=5s CMD true\n",
        (2, 13),
        "HEALTHCHECK does not take --period",
        id="health-flag",
    ),
    pytest.param(
        "FROM a\nONBUILD FROM b\n", (2, 1), "FROM is not allowed as an ONBUILD", id="onbuild-from"
    ),
    pytest.param(
        "FROM a\nONBUILD MAINTAINER me\n",
        (2, 1),
        "MAINTAINER is not allowed as an ONBUILD trigger",
        id="onbuild-maintainer",
    ),
    pytest.param(
        "FROM a\nONBUILD ONBUILD RUN x\n", (2, 1), "chaining ONBUILD", id="onbuild-onbuild"
    ),
    pytest.param(
        "FROM a\nONBUILD --x RUN y\n", (2, 9), "ONBUILD takes no flags", id="onbuild-flag"
    ),
    pytest.param(
        "# syntax=docker/dockerfile:1\nLABEL a=b\nFROM a\n",
        (2, 1),
        "LABEL before the first FROM",
        id="before-from",
    ),
    pytest.param("ARG A=1\n", (1, 1), "no FROM: the file has no stage to build", id="no-from"),
    pytest.param(
        "# syntax=docker/dockerfile:1.7\nFROM a\nINCLUDE x\n",
        (3, 1),
        'unknown instruction "INCLUDE"',
        id="docker-frontend-include",
    ),
]


@pytest.mark.parametrize(("text", "where", "message"), REFUSED)
def test_buildkit_refuses(text: str, where: tuple[int, int], message: str) -> None:
    found = first_problem(text)
    assert found is not None
    row, col, said = found
    assert (row, col) == where
    assert message in said


@pytest.mark.parametrize(
    "text", [*ACCEPTED, *(pytest.param(p.values[0], id=p.id) for p in REFUSED)]
)
def test_buildkit_parser_reads_every_case_as_we_do(text: str) -> None:
    """BuildKit's parser accepts every case (a refusal is its instruction layer's) and
    reads the same keywords, flags and arguments the checks judge."""
    got, expected = ours(text), theirs(text)
    if "ONBUILD ONBUILD" in text:
        # BuildKit's parser gives the inner ONBUILD the value ("",); only its keyword
        # is judged, so compare up to the values
        got, expected = [r[:7] for r in got], [r[:7] for r in expected]
    assert got == expected


def test_one_problem_per_instruction_every_instruction() -> None:
    text = "FROM a\nRUN --from=x --chmod=1 echo\nCOPY a\nRUN ok\n  oops\n"
    tree = parse(text)
    found = problems(tree)
    assert [tree.position(p.span.start) for p in found] == [(2, 5), (3, 1), (5, 3)]
    assert found[0].span.end - found[0].span.start == len("--from=x")


def test_the_hint_follows_a_real_instruction_only() -> None:
    """A template is not a cut RUN: only the line after a known keyword gets the hint."""
    text = "FROM a\nlet x = 1\n  in y\n"
    found = problems(parse(text))
    assert [p.message for p in found] == ['unknown instruction "LET"', 'unknown instruction "IN"']


def test_every_keyword_with_flags_is_a_keyword() -> None:
    assert set(FLAGS) <= KEYWORDS


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/corpus")
def test_corpus_flags_only_files_buildkit_refuses() -> None:
    """Real files flagged, each read and checked against BuildKit's source by hand:
    a Nickel template (``let ... in``), a file with merge-conflict markers, and
    ``COPY --from build`` (a string flag without ``=``: "missing a value on flag").
    BuildKit's own parser test cases are left out: they test the parser only."""
    flagged: dict[str, int] = {}
    for path in sorted(CORPUS.rglob("*")):
        rel = path.relative_to(CORPUS).as_posix()
        if not path.is_file() or rel.startswith("buildkit-parser-tests/") or "/" not in rel:
            continue
        try:
            tree = parse(path.read_text("utf-8"))
        except (ParseError, UnicodeDecodeError):
            continue  # files BuildKit's parser refuses are other tests' business
        count = len(problems(tree))
        if count:
            flagged[rel] = count
    assert flagged == {
        "haskell__docker-haskell/template__Dockerfile.ncl": 23,
        "sixeyed__dockerfiles-windows/nats-bench__Dockerfile.broken": 3,
        "vimagick__dockerfiles/obs-web-arm__Dockerfile": 1,
    }


# --------------------------------------------------------------------------- the CLI

CUT_RUN = (
    "FROM fedora:39\n"
    "RUN dnf install -y \\\n"
    "    ghc-aeson-devel\n"
    "    ghc-unordered-containers-devel \\\n"
    "    ghc-vector-devel\n"
)
APT = "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
APT_FIXED = APT.rstrip("\n") + " && rm -rf /var/lib/apt/lists/*\n"
REFUSAL = (
    'broken/Dockerfile:4:5: unknown instruction "GHC-UNORDERED-CONTAINERS-DEVEL" '
    "(a continuation backslash missing on the line before?); "
    "not fixed: the file cannot build (MF001)"
)


def manifesto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def two_files(root: Path) -> tuple[Path, Path]:
    (root / "broken").mkdir()
    (root / "ok").mkdir()
    broken, ok = root / "broken" / "Dockerfile", root / "ok" / "Dockerfile"
    broken.write_bytes(CUT_RUN.encode())
    ok.write_bytes(APT.encode())
    return broken, ok


def test_fix_refuses_the_file_and_fixes_the_others(tmp_path: Path) -> None:
    broken, ok = two_files(tmp_path)
    result = manifesto("fix", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert REFUSAL in result.stderr.splitlines()
    assert broken.read_bytes() == CUT_RUN.encode()
    assert ok.read_bytes() == APT_FIXED.encode()


def test_fix_diff_shows_only_the_files_it_would_fix(tmp_path: Path) -> None:
    broken, _ = two_files(tmp_path)
    result = manifesto("fix", "--diff", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert REFUSAL in result.stderr.splitlines()
    assert "+++ b/ok/Dockerfile" in result.stdout
    assert "broken/Dockerfile" not in result.stdout
    assert broken.read_bytes() == CUT_RUN.encode()


def test_fix_refuses_whatever_the_selection(tmp_path: Path) -> None:
    broken, _ = two_files(tmp_path)
    result = manifesto("fix", "--select", "MF107", "broken", cwd=tmp_path)
    assert result.returncode == 2
    assert broken.read_bytes() == CUT_RUN.encode()


def test_a_pragma_lets_an_instruction_through(tmp_path: Path) -> None:
    """The way out when BuildKit has a flag newer than this release."""
    path = tmp_path / "Dockerfile"
    text = (
        "FROM debian:12\n# manifesto: ignore[MF001]\nRUN --newflag=x echo\n" + APT.split("\n", 1)[1]
    )
    path.write_text(text)
    # MF401 (the image runs as root) would leave an unsafe finding: not this test's subject
    result = manifesto("fix", "--ignore", "MF401", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_text().endswith("rm -rf /var/lib/apt/lists/*\n")


def test_check_reports_the_code_and_drops_the_fixes_fix_would_not_apply(
    tmp_path: Path,
) -> None:
    two_files(tmp_path)
    result = manifesto(
        "check", "--output-format", "json", "--ignore", "MF401", "broken", cwd=tmp_path
    )
    assert result.returncode == 1
    found = {d["code"]: d for d in json.loads(result.stdout)}
    assert set(found) == {"MF001", "MF107"}
    mf001 = found["MF001"]
    assert mf001["name"] == "instruction_invalid"
    assert mf001["location"] == {"row": 4, "column": 5}
    assert mf001["end_location"] == {"row": 4, "column": 35}
    assert mf001["fix"] is None
    assert mf001["reason"]["slug"] == "file-cannot-build"
    # the dnf fix would land on the half of the RUN before the cut: `fix` refuses it
    assert found["MF107"]["fix"] is None
    assert found["MF107"]["reason"]["slug"] == "file-cannot-build"


def test_check_leaves_mf001_out_when_not_selected(tmp_path: Path) -> None:
    two_files(tmp_path)
    result = manifesto(
        "check", "--ignore", "MF001", "--output-format", "concise", "broken", cwd=tmp_path
    )
    assert "MF001" not in result.stdout
    assert "MF107" in result.stdout


def test_rules_lists_mf001_and_explain_documents_it(tmp_path: Path) -> None:
    rules = manifesto("rules", cwd=tmp_path)
    assert rules.returncode == 0
    assert "MF001" in rules.stdout and "instruction_invalid" in rules.stdout
    explain = manifesto("explain", "MF001", cwd=tmp_path)
    assert explain.returncode == 0
    for heading in ("What it does", "Why", "Example", "Fix safety", "Caveats", "Related"):
        assert heading in explain.stdout


def test_checks_are_documented_like_fixers() -> None:
    for check in CHECKS:
        info = check.INFO
        assert re.fullmatch(r"MF0\d\d", info.code)
        assert info.applicability is None
        assert check.__name__.rsplit(".", 1)[-1] == info.name  # type: ignore[attr-defined]
        for heading in ("What it does", "Why", "Example", "Fix safety"):
            assert heading in documented(info).doc
    assert {c.INFO.code for c in CHECKS} <= {r.code for r in rules()}
