"""MF107 dnf_cache_kept: inline cases for dnf and microdnf."""

from __future__ import annotations

import pytest
from manifesto.fixers import dnf_cache_kept

from manifesto.engine import EngineSettings, check_text, fix_text

SETTINGS = EngineSettings(unsafe_fixes=True)


def _fix(src: str) -> str:
    result = fix_text(src, [dnf_cache_kept], SETTINGS)
    assert result.errors == ()
    return result.output


@pytest.mark.parametrize(
    "src",
    [
        pytest.param("RUN dnf install -y x && dnf clean all", id="already clean"),
        pytest.param("RUN dnf install -y x && yum clean all", id="yum clean all"),
        pytest.param("RUN microdnf install -y x && microdnf clean all", id="microdnf clean"),
        pytest.param("RUN dnf install -y x && rm -rf /var/cache/dnf/*", id="rm dnf cache"),
        pytest.param("RUN dnf5 install -y x && rm -rf /var/cache/libdnf5", id="dnf5 not read"),
        pytest.param("RUN microdnf install -y x && rm -rf /var/cache/yum", id="rm yum cache"),
        pytest.param(
            "RUN dnf install -y x && rm -rf /var/cache/yum",
            id="rm of yum's cache counts, as for hadolint (microdnf's cache on some versions)",
        ),
        pytest.param("RUN dnf makecache", id="makecache"),
        pytest.param("RUN dnf remove -y x", id="remove"),
        pytest.param("RUN microdnf remove -y x", id="microdnf remove"),
        pytest.param("RUN dnf -C install -y x", id="cache only"),
        pytest.param("RUN yum install -y x", id="yum is another rule"),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/dnf dnf install -y x", id="cache mount"
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/yum microdnf install -y x",
            id="microdnf cache mount",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/libdnf5 dnf install -y x", id="dnf5 mount"
        ),
        pytest.param('RUN ["dnf", "install", "-y", "x"]', id="exec form"),
        pytest.param("ONBUILD RUN dnf install -y x", id="onbuild"),
    ],
)
def test_no_change(src: str) -> None:
    text = f"FROM fedora:40\n{src}\n"
    assert _fix(text) == text


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("RUN dnf install -y x", "RUN dnf install -y x && dnf clean all", id="basic"),
        pytest.param(
            "RUN microdnf install x", "RUN microdnf install x && microdnf clean all", id="microdnf"
        ),
        pytest.param(
            "RUN /usr/bin/microdnf update -y",
            "RUN /usr/bin/microdnf update -y && /usr/bin/microdnf clean all",
            id="path",
        ),
        pytest.param(
            "RUN sudo dnf install -y x",
            "RUN sudo dnf install -y x && sudo dnf clean all",
            id="sudo",
        ),
        pytest.param(
            "RUN dnf -y --setopt=install_weak_deps=False install x",
            "RUN dnf -y --setopt=install_weak_deps=False install x && dnf clean all",
            id="unrelated setopt",
        ),
        pytest.param(
            "RUN dnf -y module install nodejs:18",
            "RUN dnf -y module install nodejs:18 && dnf clean all",
            id="module install",
        ),
        pytest.param(
            "RUN dnf -y builddep x.spec",
            "RUN dnf -y builddep x.spec && dnf clean all",
            id="builddep",
        ),
        pytest.param(
            "RUN dnf -y distro-sync", "RUN dnf -y distro-sync && dnf clean all", id="distro-sync"
        ),
        pytest.param(
            "RUN microdnf install -y dnf && dnf install -y x",
            "RUN microdnf install -y dnf && dnf install -y x"
            " && microdnf clean all && dnf clean all",
            id="both tools",
        ),
        pytest.param(
            "RUN microdnf install -y x && dnf clean all",
            "RUN microdnf install -y x && dnf clean all && microdnf clean all",
            id="dnf clean does not clean microdnf",
        ),
        pytest.param(
            "RUN for p in a b; do dnf install -y $p; done",
            "RUN for p in a b; do dnf install -y $p; done && dnf clean all",
            id="inside a loop",
        ),
    ],
)
def test_fixes(src: str, expected: str) -> None:
    assert _fix(f"FROM fedora:40\n{src}\n") == f"FROM fedora:40\n{expected}\n"


@pytest.mark.parametrize(
    ("src", "reason"),
    [
        pytest.param(
            "RUN dnf install -y --installroot /r --releasever 40 bash",
            "--installroot",
            id="installroot",
        ),
        pytest.param("RUN dnf --setopt=cachedir=/c install -y x", "--setopt", id="cachedir"),
        pytest.param(
            "RUN microdnf install -y x && microdnf remove -y microdnf",
            "remove the package manager",
            id="microdnf removes itself",
        ),
        pytest.param(
            "RUN dnf install -y x && rm -f /usr/bin/dnf",
            "remove the package manager",
            id="rm of the program",
        ),
        pytest.param("RUN dnf install -y x && exec bash", "exit", id="exec"),
    ],
)
def test_report_only(src: str, reason: str) -> None:
    text = f"FROM fedora:40\n{src}\n"
    assert _fix(text) == text
    messages = [f.violation.message for f in check_text(text, [dnf_cache_kept], SETTINGS)]
    assert messages and reason in messages[0]


def test_a_cache_mount_inside_the_cache_directory_gets_no_fix() -> None:
    # `dnf clean all` would empty the packages the author keeps in a cache mount.
    src = "FROM fedora:40\nRUN --mount=type=cache,target=/var/cache/dnf/packages dnf install -y x\n"
    assert _fix(src) == src
    (finding,) = check_text(src, [dnf_cache_kept], SETTINGS)
    assert finding.violation.fix is None
    assert finding.violation.reason is not None
    assert finding.violation.reason.slug == "mount-inside-cache"
