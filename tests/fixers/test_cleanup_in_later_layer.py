"""MF201 cleanup_in_later_layer: inline cases (the golden fixtures hold the layouts)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from manifesto.fixers import apt_lists_kept, cleanup_in_later_layer, yum_cache_kept

from conftest import time_limit
from manifesto.cst import parse
from manifesto.cst.values import is_json
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.registry import FIXERS

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers"
INSTALL = "FROM debian\nRUN apt-get update && apt-get install -y x"
RM = "rm -rf /var/lib/apt/lists/*"
GET = "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz"


def _fix(src: str) -> str:
    result = fix_text(src, [cleanup_in_later_layer], SETTINGS)
    assert result.errors == ()
    return result.output


def _findings(src: str) -> list[tuple[str, str | None, bool]]:
    """(message, reason slug, has a fix) of each finding."""
    out = []
    for f in check_text(src, [cleanup_in_later_layer], SETTINGS):
        v = f.violation
        out.append((v.message, v.reason.slug if v.reason else None, v.fix is not None))
    return out


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN echo a && rm -rf /var/lib/apt/lists/* && echo b\n",
            INSTALL + f" && {RM}\nRUN echo a && echo b\n",
            id="middle of a chain",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN rm -rf /var/lib/apt/lists/* && echo b\n",
            INSTALL + f" && {RM}\nRUN echo b\n",
            id="head of a chain",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN echo b && \\\n    # the lists\n    rm -rf /var/lib/apt/lists/*\n",
            INSTALL + f" && {RM}\nRUN echo b\n",
            id="tail of a chain takes its comment line",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN rm -rf /var/lib/apt/lists/* && \\\n    # then b\n    echo b\n",
            INSTALL + f" && {RM}\nRUN \\\n    # then b\n    echo b\n",
            id="head of a chain: b's comment stays",
        ),
        pytest.param(
            "FROM debian\n\nRUN curl -o /tmp/a.tgz https://x/a.tgz\n\n"
            '# tidy\nRUN rm -f /tmp/a.tgz\n\nCMD ["a"]\n',
            "FROM debian\n\nRUN curl -o /tmp/a.tgz https://x/a.tgz && rm -f /tmp/a.tgz\n\n"
            'CMD ["a"]\n',
            id="whole RUN with its comment, one blank line left",
        ),
        pytest.param(
            "FROM debian\nRUN wget -qO /tmp/a.deb https://x/a.deb && dpkg -i /tmp/a.deb\n"
            "RUN rm /tmp/a.deb\n",
            "FROM debian\nRUN wget -qO /tmp/a.deb https://x/a.deb && dpkg -i /tmp/a.deb"
            " && rm /tmp/a.deb\n",
            id="wget -qO",
        ),
        pytest.param(
            "FROM debian\nRUN mkdir -p /tmp/build && git clone https://x/y /tmp/build/y\n"
            "RUN rm -rf /tmp/build\n",
            "FROM debian\nRUN mkdir -p /tmp/build && git clone https://x/y /tmp/build/y"
            " && rm -rf /tmp/build\n",
            id="a directory",
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz && tar -xzf /tmp/a.tgz -C /opt\n"
            "RUN rm -rf /tmp/*\n",
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz && tar -xzf /tmp/a.tgz -C /opt"
            " && rm -rf /tmp/*\n",
            id="a glob over the file",
        ),
        pytest.param(
            "FROM debian\nRUN set -e; apt-get update; apt-get install -y x\n"
            "RUN set -e; rm -rf /var/lib/apt/lists/*; echo b\n",
            f"FROM debian\nRUN set -e; apt-get update; apt-get install -y x; {RM}\n"
            "RUN set -e; echo b\n",
            id="set -e joins with ;",
        ),
        pytest.param(
            INSTALL + f"\nRUN {RM}; \\\n# then b\n    echo b\n",
            INSTALL + f" && {RM}\nRUN \\\n# then b\n    echo b\n",
            id="first statement: b's comment stays",
        ),
        pytest.param(
            "FROM fedora:40\nRUN dnf install -y make\nRUN dnf clean all\n",
            "FROM fedora:40\nRUN dnf install -y make && dnf clean all\n",
            id="dnf",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(src) == expected


@pytest.mark.parametrize(
    ("src", "slug", "words"),
    [
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nRUN ./install.sh\n"
            "RUN rm /tmp/a.tgz\n",
            "used-in-between",
            "line 3 may use it",
            id="a script in between",
        ),
        pytest.param(
            "FROM debian\nRUN mkdir -p /opt/app\nRUN cd /opt && tar -xzf /srv/b.tgz\n"
            "RUN tar -xzf /srv/c.tgz\n"
            "RUN rm -rf /opt/app\n",
            "used-in-between",
            "line 4 may use it",
            id="extracted into the working directory in between",
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nRUN cd /tmp && tar -xzf a.tgz\n"
            "RUN rm /tmp/a.tgz\n",
            "used-in-between",
            "line 3 uses it",
            id="read by its file name after cd",
        ),
        pytest.param(
            "FROM debian\nADD https://x/a.tgz /tmp/a.tgz\n"
            "RUN tar -xzf /tmp/a.tgz -C /opt && rm /tmp/a.tgz\n",
            "written-by-instruction",
            "the ADD on line 2 created",
            id="ADD is not a RUN",
        ),
        pytest.param(
            GET + "\nCOPY a.tgz /tmp/\nRUN rm /tmp/a.tgz\n",
            "written-by-instruction",
            "COPY on line 3 writes there",
            id="COPY over it",
        ),
        pytest.param(
            'FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nSHELL ["/bin/bash", "-c"]\n'
            "RUN rm /tmp/a.tgz\n",
            "environment-changes-between",
            "SHELL on line 3",
            id="SHELL in between",
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nWORKDIR /tmp/a.tgz.d\n"
            "RUN rm -rf /tmp/*\n",
            "written-by-instruction",
            "WORKDIR on line 3",
            id="WORKDIR under the glob",
        ),
        pytest.param(
            "FROM debian\nWORKDIR /tmp\nRUN curl -o a.tgz https://x/a.tgz\nWORKDIR /opt\n"
            "RUN rm a.tgz\n",
            "relative-path",
            "WORKDIR on line 4 changes the directory",
            id="relative path after WORKDIR",
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz && exec true\nRUN rm /tmp/a.tgz\n",
            "run-may-exit-early",
            "may exit",
            id="creating RUN ends with exec",
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nRUN rm /tmp/a.tgz || true\n",
            "cleanup-not-separable",
            "|| chain",
            id="guarded with ||",
        ),
        pytest.param(
            GET + "\nRUN touch /tmp/b & rm /tmp/a.tgz\n",
            "cleanup-not-separable",
            "|| chain",
            id="after a background job",
        ),
        pytest.param(
            "FROM debian AS base\nRUN curl -o /tmp/a.tgz https://x/a.tgz\n"
            "FROM base AS one\nRUN rm /tmp/a.tgz\n"
            "FROM debian\nCOPY --from=base /tmp/a.tgz /a.tgz\n",
            "stage-used-elsewhere",
            "stage `base`",
            id="stage copied from",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\nRUN apt-get install -y y\n"
            "RUN rm -rf /var/lib/apt/lists/*\n",
            "used-in-between",
            "line 3 uses it",
            id="lists read in between",
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /root/a.tgz https://x/a.tgz\nUSER app\nRUN rm ~/a.tgz\n",
            "environment-changes-between",
            "USER on line 3",
            id="~ after USER",
        ),
    ],
)
def test_reported_without_a_fix(src: str, slug: str, words: str) -> None:
    found = _findings(src)
    assert len(found) == 1, found
    message, reason, fixable = found[0]
    assert not fixable
    assert reason == slug
    assert words in message
    assert _fix(src) == src


@pytest.mark.parametrize(
    "src",
    [
        pytest.param(
            "FROM nginx\nRUN rm /etc/nginx/conf.d/default.conf\n", id="from the base image"
        ),
        pytest.param(
            "FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz && rm /tmp/a.tgz\n",
            id="same RUN",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\n"
            "RUN ./setup.sh && rm -rf /var/lib/apt/lists/*\n",
            id="the RUN may make them itself",
        ),
        pytest.param(
            'FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nRUN rm -rf "$TMP"/*\n',
            id="a variable path",
        ),
        pytest.param(
            'FROM debian\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nRUN rm -rf "/tmp/*"\n',
            id="a quoted glob",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y x\nRUN apt-get autoremove -y\n",
            id="autoremove alone",
        ),
        pytest.param(
            "FROM debian\nONBUILD RUN rm -rf /var/lib/apt/lists/*\n"
            "RUN apt-get update && apt-get install -y x\n",
            id="onbuild",
        ),
    ],
)
def test_no_finding(src: str) -> None:
    assert _findings(src) == []


def test_a_move_says_where_and_is_safe() -> None:
    src = (
        "FROM debian\nRUN apt-get update && apt-get install -y x\nRUN rm -rf /var/lib/apt/lists/*\n"
    )
    (finding,) = check_text(src, [cleanup_in_later_layer], EngineSettings())
    assert "line 2 created" in finding.violation.message
    assert finding.violation.fix is not None
    assert finding.violation.fix.applicability.value == "safe"


def test_not_shipped_stage_says_so() -> None:
    src = (
        "FROM debian AS build\nRUN curl -o /tmp/a.tgz https://x/a.tgz\nRUN rm /tmp/a.tgz\n"
        "FROM debian\nCOPY --from=build /opt /opt\n"
    )
    (message, _, fixable) = _findings(src)[0]
    assert fixable and "does not ship" in message


def test_with_apt_lists_kept_the_later_rm_goes_and_one_rm_stays() -> None:
    """MF101 appends the same rm first (it comes first in the registry); this rule then
    drops the later RUN, whose rm deletes nothing any more."""
    src = (
        "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends x\n"
        "# clean up\nRUN rm -rf /var/lib/apt/lists/*\n"
    )
    result = fix_text(src, [apt_lists_kept, cleanup_in_later_layer], SETTINGS)
    assert result.output == (
        "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends x"
        " && rm -rf /var/lib/apt/lists/*\n"
    )
    assert {a.rule.code for a in result.applied} == {"MF101", "MF201"}


def test_with_yum_cache_kept_one_clean_stays() -> None:
    src = "FROM rockylinux:9\nRUN yum install -y tar\nRUN yum clean all\n"
    result = fix_text(src, [yum_cache_kept, cleanup_in_later_layer], SETTINGS)
    assert result.output.count("yum clean all") == 1
    assert "RUN yum clean all" not in result.output


def test_every_fixer_together_settles() -> None:
    src = (
        "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n"
        "RUN curl -o /tmp/a.tgz https://x/a.tgz && tar -xzf /tmp/a.tgz -C /opt\n"
        "RUN apt-get clean && rm -rf /var/lib/apt/lists/* /tmp/a.tgz\n"
    )
    result = fix_text(src, FIXERS, SETTINGS)
    assert result.errors == ()
    again = fix_text(result.output, FIXERS, SETTINGS)
    assert again.output == result.output
    assert "RUN apt-get clean" not in result.output


def _scripts(text: str) -> list[str]:
    out = []
    for ins in parse(text).instructions:
        if ins.keyword == "RUN" and not is_json(ins):
            script = ins.args_text
            for heredoc in ins.heredocs:
                script += "\n" + heredoc.content + heredoc.terminator.content
            out.append(script + "\n")
    return out


@pytest.mark.parametrize("folder", ["cleanup_in_later_layer", "lists_read_stale"])
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_expected_outputs_parse_in_the_shells(folder: str, shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} not installed")
    outs = sorted((FIXTURES / folder).glob("*.out.Dockerfile"))
    assert outs
    for out in outs:
        for k, script in enumerate(_scripts(out.read_bytes().decode())):
            if script.lstrip().startswith("<<"):
                continue  # a here-document RUN: its body is the script, checked below
            path = tmp_path / f"{out.name}.{k}.sh"
            path.write_text(script.replace("\r\n", "\n"), encoding="utf-8")
            done = subprocess.run([shell, "-n", str(path)], capture_output=True, timeout=30)
            assert done.returncode == 0, f"{out.name}: {done.stderr.decode()}"


def _unrelated_cleanups(n: int) -> str:
    """Clean-ups of files nothing in the file creates: each walk back finds no creator."""
    return "FROM debian:12\n" + "".join(
        f"RUN echo {i} > /etc/f{i}\nRUN rm -f /x{i}\n" for i in range(n)
    )


def test_the_walk_back_stays_linear() -> None:
    """Quadratic work gives a ratio near 16 for four times the input; bounded walks ~4."""

    def cpu(text: str) -> float:
        start = time.process_time()
        fix_text(text, [cleanup_in_later_layer], EngineSettings())
        return time.process_time() - start

    with time_limit(120, "MF201 took over two minutes on a generated file"):
        cpu(_unrelated_cleanups(50))  # warm the parser
        small = cpu(_unrelated_cleanups(150))
        large = cpu(_unrelated_cleanups(600))
    assert large < 10 * small, (small, large)


@pytest.mark.parametrize(
    "later",
    [
        pytest.param("RUN rm /tmp/a.tgz; echo done", id="; without set -e"),
        pytest.param("RUN rm /tmp/a.tgz\nRUN true", id="rm alone, then a RUN: still moved"),
        pytest.param("RUN set -e; rm /tmp/a.tgz && echo a; echo b", id="set -e ignores && heads"),
    ],
)
def test_a_clean_up_whose_failure_was_ignored_is_not_moved(later: str) -> None:
    # The download may not have happened (`|| true`, an ARG-dependent `if`): the later
    # RUN went on when rm failed; appended to the download with && the rm would stop
    # the build.
    src = "FROM debian\nRUN curl -fo /tmp/a.tgz https://x/a.tgz || true\n" + later + "\n"
    found = _findings(src)
    assert len(found) == 1, found
    _, reason, fixable = found[0]
    if later.startswith("RUN rm /tmp/a.tgz\n"):
        assert fixable  # its failure failed the build before too
    else:
        assert (reason, fixable) == ("cleanup-failure-ignored", False)
        assert _fix(src) == src


def test_rm_f_cannot_fail_so_it_still_moves() -> None:
    src = (
        "FROM debian\nRUN curl -fo /tmp/a.tgz https://x/a.tgz || true\n"
        "RUN rm -f /tmp/a.tgz; echo done\n"
    )
    assert _fix(src) == (
        "FROM debian\nRUN curl -fo /tmp/a.tgz https://x/a.tgz || true && rm -f /tmp/a.tgz\n"
        "RUN echo done\n"
    )


def test_apt_get_clean_after_an_autoremove_of_its_own_run_stays() -> None:
    # Moved into the install RUN, the clean would run before the autoremove, which
    # (on a base that keeps apt's caches) writes pkgcache.bin again: it would ship.
    src = INSTALL + "\nRUN apt-get autoremove -y && apt-get clean\n"
    assert _findings(src) == []
    assert _fix(src) == src
