"""MF501's conversions, built for real: each ``benchmarks/lab/ms-*`` app is converted
with ``manifesto fix --unsafe-fixes --select MF501``, both Dockerfiles are built with
buildah, and the program each image runs must print the case's expected output, the
converted image being the smaller.

The builds need root, buildah, the lab's base image and the stand-ins of the official
images the Dockerfiles name (``benchmarks/lab/make_base.sh`` and ``make_standins.sh``,
which ``.ci/run`` runs); without them the build tests skip, and fail instead when
``MANIFESTO_REQUIRE_BUILDS=1`` (CI) says they must run. The checks of the conversions
themselves run everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, lab_builder
from manifesto import builders
from manifesto.builders import Builder
from manifesto.images import parse_image

LAB = ROOT / "benchmarks" / "lab"

STANDINS = (
    "docker.io/library/debian:bookworm",
    "docker.io/library/debian:12",
    "docker.io/library/debian:bookworm-slim",
    "docker.io/library/golang:1.19-bookworm",
    "docker.io/library/rust:slim-bookworm",
    "gcr.io/distroless/base-debian12",
)
"""What make_standins.sh makes; every FROM of an ms-* case, before or after MF501,
resolves to one of them."""

BUILD_TIMEOUT = 600
RUN_TIMEOUT = 60
QUERY_TIMEOUT = 120

# What buildah prints for each image a build commits or takes from its cache: the
# intermediate images this test made, to remove with the tagged ones.
_COMMITTED = re.compile(r"^--> (?:Using cache )?([0-9a-f]{10,64})\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    """The folder under benchmarks/lab/."""
    runtime: str
    """The FROM MF501 writes for the runtime stage."""


CASES = (
    Case("ms-go-static", "scratch"),
    Case("ms-go-gopath", "scratch"),
    Case("ms-go-cgo", "gcr.io/distroless/base-debian12"),
    Case("ms-go-sqlite", "debian:bookworm-slim"),
    Case("ms-c-zlib", "debian:bookworm-slim"),
    Case("ms-rust", "debian:bookworm-slim"),
)


FIX_MF501 = ("fix", "--unsafe-fixes", "--select", "MF501", "Dockerfile")


def froms(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.upper().startswith("FROM ")]


def convert(directory: Path) -> subprocess.CompletedProcess[str]:
    """``manifesto fix --unsafe-fixes --select MF501 Dockerfile`` in ``directory``."""
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *FIX_MF501],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# ------------------------------------------------------------------ the conversions


def test_every_lab_case_is_built_here() -> None:
    found = sorted(p.parent.name for p in LAB.glob("ms-*/Dockerfile"))
    assert found == sorted(case.name for case in CASES)
    for name in found:
        assert (LAB / name / "expected-output.txt").read_text().strip(), name


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_lab_case_is_converted_onto_a_standin(case: Case, tmp_path: Path) -> None:
    """The conversion happens, and every image the two files name is a stand-in: the
    builds need no registry."""
    context = tmp_path / case.name
    shutil.copytree(LAB / case.name, context)
    original = (context / "Dockerfile").read_text()
    done = convert(context)
    assert done.returncode == 0, done.stdout + done.stderr
    converted = (context / "Dockerfile").read_text()
    (first,) = froms(original)
    assert froms(converted) == [f"{first} AS build", f"FROM {case.runtime}"], converted
    assert "COPY --from=build " in converted
    images = {line.split()[1] for line in froms(converted)} - {"scratch"}  # no image at all
    qualified = {_qualified(image) for image in images}
    assert qualified <= set(STANDINS), qualified
    # the rewrite only adds: every line of the original is there, in its order
    assert _in_order(original.replace(first, f"{first} AS build", 1), converted)


def _in_order(original: str, converted: str) -> bool:
    remaining = iter(converted.splitlines())
    return all(any(line == other for other in remaining) for line in original.splitlines())


def _qualified(reference: str) -> str:
    """``debian:12`` as buildah resolves it locally: ``docker.io/library/debian:12``."""
    parsed = parse_image(reference)
    assert parsed is not None, reference
    return str(parsed.normalized)


# ------------------------------------------------------------------ real builds


@pytest.fixture(scope="module")
def standin_buildah() -> Iterator[Builder]:
    """buildah under the lab's storage and isolation, with every stand-in made."""
    yield from lab_builder(
        tuple(STANDINS),
        "run benchmarks/lab/make_base.sh and benchmarks/lab/make_standins.sh",
    )


def _buildah(builder: Builder, *args: str, timeout: float = QUERY_TIMEOUT) -> str:
    done = subprocess.run(
        [builder.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, f"buildah {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass(frozen=True, slots=True)
class Built:
    tag: str
    seconds: float
    committed: tuple[str, ...]


def _build(builder: Builder, dockerfile: Path, context: Path, tag: str) -> Built:
    """Build with the stand-ins only (``--pull=never``) and with layers kept, so the
    converted file's build stage reuses the original's steps, as it would in any
    builder's cache: the instructions and their parents are the same."""
    start = time.monotonic()
    done = subprocess.run(
        [
            *(builder.executable, "bud", "--pull=never", "--layers", "--network", "host"),
            *("-f", str(dockerfile), "-t", tag, str(context)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        timeout=BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    committed = tuple(_COMMITTED.findall(done.stdout))
    built = Built(tag, time.monotonic() - start, committed)
    if done.returncode != 0:
        builders.remove(builder, [tag], committed)
        tail = "\n".join(done.stdout.splitlines()[-30:])
        pytest.fail(f"{dockerfile} does not build:\n{tail}")
    return built


def _command(builder: Builder, tag: str) -> list[str]:
    """What the image runs: its ENTRYPOINT followed by its CMD."""
    inspected = json.loads(_buildah(builder, "inspect", "--type", "image", tag))
    config = inspected["OCIv1"]["config"]
    argv = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    assert argv, f"{tag} runs nothing"
    return argv


def _run(builder: Builder, tag: str) -> str:
    """The output of the image's own command, in a working container of the image
    (its WORKDIR, ENV and USER), without a shell: scratch and distroless have none."""
    container = _buildah(builder, "from", "--pull-never", "--quiet", tag).strip().splitlines()[-1]
    try:
        done = subprocess.run(
            [builder.executable, "run", container, "--", *_command(builder, tag)],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    finally:
        _buildah(builder, "rm", container)
    assert done.returncode == 0, f"{tag}: exit {done.returncode}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_converted_build_runs_the_same_program_in_a_smaller_image(
    case: Case, tmp_path: Path, standin_buildah: Builder
) -> None:
    source = LAB / case.name
    context = tmp_path / case.name
    shutil.copytree(source, context)
    done = convert(context)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(froms((context / "Dockerfile").read_text())) == 2, "not converted"
    expected = (source / "expected-output.txt").read_text()

    tag = f"localhost/manifesto-multistage/{case.name}-{os.urandom(4).hex()}"
    builds: list[Built] = []
    try:
        builds.append(_build(standin_buildah, source / "Dockerfile", source, f"{tag}:before"))
        builds.append(_build(standin_buildah, context / "Dockerfile", context, f"{tag}:after"))
        assert _run(standin_buildah, f"{tag}:before") == expected
        assert _run(standin_buildah, f"{tag}:after") == expected
        before, after = (
            builders.image_size(builders.layers(standin_buildah, f"{tag}:{which}"))
            for which in ("before", "after")
        )
        print(
            f"\n{case.name}: {before / 1e6:.1f} MB ({builds[0].seconds:.0f} s) -> "
            f"{after / 1e6:.1f} MB on {case.runtime} ({builds[1].seconds:.0f} s)"
        )
        assert after < before, (before, after)
    finally:
        committed = [image for built in builds for image in built.committed]
        builders.remove(standin_buildah, [f"{tag}:before", f"{tag}:after"], committed)
