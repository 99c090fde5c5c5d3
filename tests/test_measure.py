"""``manifesto measure``: builder detection, reports, and real builds with buildah.

The real builds need root, buildah and the lab's base image
(``benchmarks/lab/make_base.sh``, which ``.ci/run`` runs); without them those tests
skip, and fail instead when ``MANIFESTO_REQUIRE_BUILDS=1`` (CI) says they must run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, lab_builder, time_limit, write
from manifesto import builders, measure
from manifesto.builders import Builder, BuilderError, BuildOutcome, FileEntry, Layer
from manifesto.measure import (
    FixedFile,
    ImageBuild,
    Measurement,
    MeasureOptions,
    Status,
    TreeDiff,
    Verdict,
)

BASE = "localhost/manifesto-lab/debian:bookworm"

# --------------------------------------------------------------------------- detection


def fake_tool(directory: Path, name: str, version_exit: int) -> Path:
    """An executable that answers ``version`` with ``version_exit``."""
    return write_executable(
        directory / name,
        f"#!/bin/sh\n[ \"$1\" = version ] && {{ echo 'fake {name}' >&2; exit {version_exit}; }}\n"
        "exit 0\n",
    )


def write_executable(path: Path, text: str) -> Path:
    write(path, text)
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only the fake builders the test writes (and /bin for sh)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}")
    return bin_dir


def test_detection_prefers_docker_then_podman_then_buildah(fake_path: Path) -> None:
    for name in ("buildah", "podman", "docker"):
        fake_tool(fake_path, name, 0)
    assert builders.detect().kind == "docker"
    (fake_path / "docker").unlink()
    assert builders.detect().kind == "podman"
    (fake_path / "podman").unlink()
    found = builders.detect()
    assert found == Builder("buildah", str(fake_path / "buildah"))


def test_detection_passes_over_a_docker_client_without_daemon(fake_path: Path) -> None:
    fake_tool(fake_path, "docker", 1)  # `docker version` fails: no daemon
    fake_tool(fake_path, "buildah", 0)
    assert builders.detect().kind == "buildah"


def test_detection_says_what_to_do_when_nothing_answers(fake_path: Path) -> None:
    fake_tool(fake_path, "docker", 1)
    with pytest.raises(BuilderError, match=r"--builder.*docker does not answer: fake docker"):
        builders.detect()


def test_chosen_builder_must_exist_and_be_known(fake_path: Path) -> None:
    fake_tool(fake_path, "docker", 0)
    assert builders.detect("docker").kind == "docker"
    with pytest.raises(BuilderError, match="'buildah' not found on PATH"):
        builders.detect("buildah")
    with pytest.raises(BuilderError, match="unknown builder 'kaniko'"):
        builders.detect("kaniko")


def test_detection_gives_up_on_a_builder_that_hangs(fake_path: Path) -> None:
    write_executable(fake_path / "docker", "#!/bin/sh\nexec sleep 60\n")
    fake_tool(fake_path, "podman", 0)
    original = builders._call

    def quick(builder: Builder, args: list[str], **kwargs: object) -> object:
        kwargs["timeout"] = 0.5
        return original(builder, args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch, time_limit(20, "detection hung"):
        patch.setattr(builders, "_call", quick)
        assert builders.detect().kind == "podman"


# ----------------------------------------------------------------------- layer parsing


def test_buildah_layers_pair_history_with_manifest_layers() -> None:
    manifest = {
        "layers": [{"size": 170_400_768}, {"size": 168_582_656}, {"size": 2_560}],
    }
    inspect = {
        "Manifest": json.dumps(manifest),
        "OCIv1": {
            "history": [
                {"created_by": "mmdebstrap --variant=minbase bookworm"},
                {"created_by": "/bin/sh -c #(nop) ENV X=1", "empty_layer": True},
                {"created_by": "|1 V=2 /bin/sh -c apt-get update"},
                {"created_by": "/bin/sh -c echo hi > /hello"},
            ]
        },
    }
    assert builders._buildah_layers(inspect) == (
        Layer("mmdebstrap --variant=minbase bookworm", 170_400_768),
        Layer("RUN apt-get update", 168_582_656),
        Layer("RUN echo hi > /hello", 2_560),
    )


def test_docker_history_is_read_oldest_first_without_metadata_steps() -> None:
    lines = "\n".join(
        json.dumps(entry)
        for entry in (
            {"CreatedBy": 'CMD ["hello"]', "Size": "0"},
            {"CreatedBy": "RUN /bin/sh -c apt-get update # buildkit", "Size": "87300000"},
            {"CreatedBy": "COPY hello.c /src/ # buildkit", "Size": "0"},
            {"CreatedBy": "/bin/sh -c #(nop) ADD file:abc in / ", "Size": "74.8MB"},
        )
    )
    assert builders._docker_layers(lines) == (
        Layer("ADD file:abc in /", 74_800_000),
        Layer("COPY hello.c /src/", 0),
        Layer("RUN apt-get update", 87_300_000),
    )


def test_podman_history_is_read_oldest_first() -> None:
    entries = [
        {"createdBy": "/bin/sh -c #(nop) USER app", "size": 0},
        {"createdBy": "/bin/sh -c apt-get update", "size": 5000},
    ]
    assert builders._podman_layers(entries) == (Layer("RUN apt-get update", 5000),)


# ---------------------------------------------------------------------- tree compare


def entry(content: str = "x") -> FileEntry:
    return FileEntry("file", 0o644, (0, 0), content)


def test_tree_compare_allows_declared_removals_and_volatile_files() -> None:
    before = {
        "/var/lib/apt/lists/deb.debian.org_Packages": entry(),
        "/var/log/dpkg.log": entry("a"),
        "/usr/bin/curl": entry(),
    }
    after = {"/var/log/dpkg.log": entry("b"), "/usr/bin/curl": entry()}
    diff = measure.compare_trees(before, after, ("/var/lib/apt/lists/*",))
    assert diff.removed == ("/var/lib/apt/lists/deb.debian.org_Packages",)
    assert diff.volatile == ("/var/log/dpkg.log",)
    assert diff.unexpected == ()
    assert diff.verdict is Verdict.IDENTICAL


def test_tree_compare_flags_anything_else() -> None:
    before = {"/usr/bin/curl": entry(), "/etc/ssl/certs/ca.pem": entry()}
    after = {"/usr/bin/curl": FileEntry("file", 0o755, (0, 0), "x")}
    diff = measure.compare_trees(before, after, ("/var/lib/apt/lists/*",))
    assert diff.unexpected == ("/etc/ssl/certs/ca.pem", "/usr/bin/curl")
    assert diff.verdict is Verdict.CHANGED


def test_tree_compare_sets_aside_the_noise_a_baseline_build_measured() -> None:
    so = "/usr/local/lib/python3.11/dist-packages/markupsafe/_speedups.so"
    before, after = {so: entry("built in /tmp/pip-1")}, {so: entry("built in /tmp/pip-2")}
    assert measure.compare_trees(before, after, ()).unexpected == (so,)
    with_noise = measure.compare_trees(before, after, (), frozenset({so}))
    assert with_noise.unexpected == () and with_noise.volatile == (so,)


def test_package_cache_fixers_declare_what_they_remove() -> None:
    removes = measure.declared_removals()
    assert removes["MF101"] == ("/var/lib/apt/lists/*",)
    for code in ("MF105", "MF106", "MF107", "MF108", "MF111", "MF112", "MF113"):
        assert removes[code], code
    assert removes["MF104"] == ()  # unsafe: its differences are not excused


# ---------------------------------------------------------------------------- reports

BUILDAH = Builder("buildah", "/usr/bin/buildah")


def image(ok: bool, sizes: tuple[int, ...] = (), log: str = "") -> ImageBuild:
    layers = tuple(Layer(f"RUN step {i}", s) for i, s in enumerate(sizes))
    return ImageBuild(BuildOutcome(ok, 12.0, log), layers)


def test_a_fix_that_breaks_the_build_is_the_loudest_line() -> None:
    broken = Measurement(
        "lab/c-gcc/Dockerfile",
        Status.BROKEN_BY_FIX,
        ("MF101", "MF104"),
        unsafe=True,
        before=image(True, (170_000_000, 150_000_000)),
        after=image(False, log="hello.c:1:10: fatal error: stdio.h: No such file or directory"),
    )
    fine = Measurement(
        "lab/go/Dockerfile",
        Status.MEASURED,
        ("MF101",),
        before=image(True, (170_000_000, 90_000_000)),
        after=image(True, (170_000_000, 40_000_000)),
    )
    text = measure.render_text(BUILDAH, [fine, broken])
    lines = text.strip().splitlines()
    assert lines[0].startswith("BROKEN BY FIX: lab/c-gcc/Dockerfile: builds as written, fails")
    assert lines[-1] == lines[0]
    assert "stdio.h: No such file or directory" in text
    assert "50.0 MB (19%)" in text  # the go file's saving, of 260 MB
    assert measure.exit_code([fine, broken]) == measure.EXIT_FIXER_BUG
    assert measure.exit_code([fine]) == measure.EXIT_OK
    payload = json.loads(measure.to_json(BUILDAH, [fine, broken]))
    assert payload["broken_by_fix"] == ["lab/c-gcc/Dockerfile"]
    assert payload["exit_code"] == 2
    assert payload["files"][0]["saved_bytes"] == 50_000_000
    assert payload["files"][1]["after"]["log_tail"].endswith("No such file or directory")


def test_a_safe_fix_that_changes_other_files_is_a_fixer_bug_an_unsafe_one_is_not() -> None:
    tree = TreeDiff((), (), ("/usr/bin/x",), (), ("/usr/bin/x",), ())
    safe = Measurement("a", Status.MEASURED, ("MF101",), False, image(True), image(True), tree)
    unsafe = Measurement("b", Status.MEASURED, ("MF104",), True, image(True), image(True), tree)
    assert safe.fixer_bug and not unsafe.fixer_bug
    assert measure.render_text(BUILDAH, [safe]).startswith("FILES CHANGED BY A SAFE FIX: a:")
    assert measure.exit_code([unsafe]) == measure.EXIT_OK


def test_an_original_that_does_not_build_is_exit_one() -> None:
    failing = Measurement("a", Status.ORIGINAL_FAILS, ("MF101",), False, image(False), image(False))
    assert measure.exit_code([failing]) == measure.EXIT_UNMEASURED
    assert "fails as written" in measure.render_text(BUILDAH, [failing])


# ------------------------------------------------- the command with a scripted builder

FAKE_BUILDAH = """\
#!{python}
# A scripted buildah: builds "succeed" unless the Dockerfile deletes the apt lists
# (so MF101's fix "breaks" them); every call is logged, images live in a folder.
import json, os, sys
state = os.environ["FAKE_STATE"]
args = sys.argv[1:]
with open(os.path.join(state, "calls"), "a") as log:
    log.write(" ".join(args) + "\\n")
def image_file(name):
    return os.path.join(state, name.replace("/", "_"))
if args[0] == "version":
    sys.exit(0)
if args[0] == "bud":
    dockerfile = args[args.index("-f") + 1]
    tag = args[args.index("-t") + 1]
    if tag.endswith(":after") and os.environ.get("FAKE_SLOW_AFTER"):
        import time
        time.sleep(60)
    print("STEP 1/2: FROM base")
    if "rm -rf /var/lib/apt/lists" in open(dockerfile).read():
        print("E: Unable to locate package curl")
        sys.exit(1)
    open(image_file(tag), "w").close()
    open(image_file("0123456789a"), "w").close()
    print("--> 0123456789a")
    sys.exit(0)
if args[0] == "inspect":
    if not os.path.exists(image_file(args[-1])):
        sys.exit(125)
    manifest = {{"layers": [{{"size": 1000}}, {{"size": 500}}]}}
    history = [{{"created_by": "base"}}, {{"created_by": "/bin/sh -c apt-get update"}}]
    print(json.dumps({{"Manifest": json.dumps(manifest), "OCIv1": {{"history": history}}}}))
    sys.exit(0)
if args[0] == "rmi":
    os.remove(image_file(args[1]))
    sys.exit(0)
sys.exit(2)
"""


def test_command_reports_a_broken_fix_and_removes_what_it_built(
    tmp_path: Path, fake_path: Path
) -> None:
    write_executable(fake_path / "buildah", FAKE_BUILDAH.format(python=sys.executable))
    state = tmp_path / "state"
    state.mkdir()
    write(
        tmp_path / "app" / "Dockerfile",
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
        "USER nobody\n",
    )
    env = {**os.environ, "FAKE_STATE": str(state), "PATH": str(fake_path)}
    done = subprocess.run(
        [sys.executable, "-m", "manifesto", "measure", "--select", "MF101", "app"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("BROKEN BY FIX: app/Dockerfile: builds as written, fails after MF101")
    assert "E: Unable to locate package curl" in done.stdout
    calls = (state / "calls").read_text().splitlines()
    tags = [c.split(" -t ")[1].split()[0] for c in calls if c.startswith("bud ")]
    assert [t.rsplit(":", 1)[1] for t in tags] == ["before", "after"]
    assert all(t.startswith("localhost/manifesto-measure/") for t in tags)
    assert f"rmi {tags[0]}" in calls  # the built one; the failed one made nothing
    assert sorted(p.name for p in state.iterdir()) == ["calls"]  # nothing left


def test_a_killed_run_removes_what_it_built(tmp_path: Path, fake_path: Path) -> None:
    """SIGTERM (a CI time limit, `kill`) in the middle of the second build: the first
    build's image goes all the same, and the run ends at once."""
    write_executable(fake_path / "buildah", FAKE_BUILDAH.format(python=sys.executable))
    state = tmp_path / "state"
    state.mkdir()
    write(
        tmp_path / "app" / "Dockerfile",
        "FROM debian:12\nRUN apt-get update && apt-get install -y x\n",
    )
    env = {**os.environ, "FAKE_STATE": str(state), "PATH": str(fake_path), "FAKE_SLOW_AFTER": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "manifesto", "measure", "--select", "MF101", "app"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stderr is not None
        with time_limit(60, "the second build never started"):
            for line in proc.stderr:
                if "building the fixed file" in line:
                    break
        time.sleep(0.5)  # the slow build is running
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 130
    calls = (state / "calls").read_text()
    assert "rmi localhost/manifesto-measure/" in calls
    assert sorted(p.name for p in state.iterdir()) == ["calls"]  # nothing left


def test_command_refuses_stdin_and_unknown_formats(tmp_path: Path, fake_path: Path) -> None:
    fake_tool(fake_path, "buildah", 0)
    env = {**os.environ, "PATH": str(fake_path)}
    for args, message in (
        (["-"], "not stdin"),
        (["--output-format", "sarif", "."], "unknown output format 'sarif'"),
        (["--builder", "docker", "."], "'docker' not found on PATH"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "manifesto", "measure", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, args
        assert message in done.stderr, (args, done.stderr)


# ------------------------------------------------------------------------ real builds


@pytest.fixture(scope="module")
def lab_buildah() -> Iterator[Builder]:
    """buildah with the lab's base image, under the storage and isolation the lab uses."""
    yield from lab_builder((BASE,), "run benchmarks/lab/make_base.sh")


def small_install(marker: str) -> str:
    """A Dockerfile whose every image, intermediate ones included, carries ``marker`` as a
    label: what the test built can be told from what other builds on the machine make."""
    return f"""\
FROM {BASE}
LABEL org.manifesto.test-run={marker}
RUN apt-get update && apt-get install -y --no-install-recommends libpopt0
"""


def images_labelled(builder: Builder, marker: str) -> list[str]:
    done = subprocess.run(
        [
            builder.executable,
            "images",
            "-a",
            "-q",
            "--filter",
            f"label=org.manifesto.test-run={marker}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


MEASURE_MF101 = (
    "measure --builder buildah --select MF101 --compare-files --output-format json "
    "--timeout 240 Dockerfile"
)


@pytest.mark.slow
def test_real_build_mf101_saves_the_lists_and_nothing_else(
    tmp_path: Path, lab_buildah: Builder
) -> None:
    marker = os.urandom(8).hex()
    write(tmp_path / "Dockerfile", small_install(marker))
    done = subprocess.run(
        [sys.executable, "-m", "manifesto", *MEASURE_MF101.split()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(done.stdout)["files"]
    assert result["status"] == "measured"
    assert result["fixes"] == ["MF101"]
    before, after = result["before"]["size_bytes"], result["after"]["size_bytes"]
    # Debian 12's lists are tens of megabytes; the package itself is tiny
    assert before - after > 20_000_000, (before, after)
    assert result["saved_bytes"] == before - after
    base_before, base_after = result["before"]["layers"][0], result["after"]["layers"][0]
    assert base_before["size_bytes"] == base_after["size_bytes"]  # the same base layer
    files = result["files"]
    assert files["verdict"] == "identical"
    assert files["removed"], "the lists were not removed"
    assert all(p.startswith("/var/lib/apt/lists/") for p in files["removed"])
    assert files["added"] == []
    assert result["left_behind"] == []
    assert images_labelled(lab_buildah, marker) == []  # intermediate images too


@pytest.mark.slow
def test_real_build_broken_by_a_fix_is_reported_loudly(
    tmp_path: Path, lab_buildah: Builder
) -> None:
    """A "fix" with a real fixer bug: the lists deleted between update and install."""
    marker = os.urandom(8).hex()
    dockerfile = write(tmp_path / "Dockerfile", small_install(marker))
    broken_fix = small_install(marker).replace(
        "apt-get update && ", "apt-get update && rm -rf /var/lib/apt/lists/* && "
    )
    with time_limit(300, "the builds took more than five minutes"):
        result = measure.measure_file(
            lab_buildah,
            FixedFile(dockerfile, "Dockerfile", broken_fix, ("MF101",)),
            MeasureOptions(timeout=240, removes=measure.declared_removals()),
        )
    assert result.status is Status.BROKEN_BY_FIX
    assert result.after is not None
    assert "Unable to locate package libpopt0" in result.after.outcome.log_tail
    text = measure.render_text(lab_buildah, [result])
    assert text.splitlines()[0].startswith("BROKEN BY FIX: Dockerfile: builds as written")
    assert measure.exit_code([result]) == measure.EXIT_FIXER_BUG
    assert result.left_behind == ()
    assert images_labelled(lab_buildah, marker) == []  # the layers the failed build made too


def test_lab_dockerfiles_are_on_the_local_base() -> None:
    """The lab builds with no image registry: every FROM is the local base (the ms-*
    cases name the official images' local stand-ins: tests/test_multistage_builds.py)."""
    lab = ROOT / "benchmarks" / "lab"
    files = sorted(p for p in lab.glob("*/Dockerfile") if not p.parent.name.startswith("ms-"))
    assert len(files) >= 4
    for path in files:
        froms = [
            line.split()[1]
            for line in path.read_text().splitlines()
            if line.upper().startswith("FROM ")
        ]
        assert froms and all(f == BASE for f in froms), path
