"""MF501 single_stage: the core's rewrite, the Go/Rust/C recognisers, the build-context
reader, and what BuildKit makes of the output (the golden fixtures hold the cases)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from manifesto.fixers import single_stage
from manifesto.fixers._multistage.core import build_view, rewrite
from manifesto.fixers._multistage.plan import Artifact, Conversion, NoConversion

from buildkit_oracle import ours, theirs
from manifesto.context import FixContext
from manifesto.context_files import CONTEXT_FILE_LIMIT, context_file_reader
from manifesto.cst import parse
from manifesto.edits import apply_edits
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.reasons import catalogued

SETTINGS = EngineSettings(unsafe_fixes=True)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fixers" / "single_stage"
# the cases of the Go, Rust and C/C++ ecosystems and the core (the managed
# runtimes' cases, in the same folder, have their own test module)
MINE = ("go-", "rust-", "c-", "unknown-")
EXPECTED = sorted(p for p in FIXTURES.glob("*.out.Dockerfile") if p.name.startswith(MINE))
LOOK_ALIKES = sorted(
    p
    for p in FIXTURES.glob("*.in.Dockerfile")
    if p.name.startswith(MINE) and not p.with_name(p.name.replace(".in.", ".out.")).exists()
)


def fix(src: str, settings: EngineSettings = SETTINGS) -> str:
    result = fix_text(src, [single_stage], settings)
    assert result.errors == ()
    return result.output


def reasons(src: str, settings: EngineSettings = SETTINGS) -> list[str | None]:
    return [
        f.violation.reason.slug if f.violation.reason is not None else None
        for f in check_text(src, [single_stage], settings)
    ]


# --------------------------------------------------------------------------- outputs


@pytest.mark.parametrize("path", EXPECTED, ids=[p.name for p in EXPECTED])
def test_every_expected_output_parses_the_same_in_buildkit(path: Path) -> None:
    pytest.importorskip("dockerfile")
    text = path.read_text("utf-8")
    assert ours(text) == theirs(text)
    froms = [row for row in theirs(text) if row[0] == "FROM"]
    assert len(froms) == 2
    builder = froms[0][7][-1]  # FROM <image> AS <name>
    copies = [row for row in theirs(text) if row[0] == "COPY"]
    assert any(f"--from={builder}" in row[6] for row in copies)


@pytest.mark.parametrize("path", LOOK_ALIKES, ids=[p.name for p in LOOK_ALIKES])
def test_every_reason_of_a_look_alike_is_catalogued(path: Path) -> None:
    for finding in check_text(path.read_text("utf-8"), [single_stage], SETTINGS):
        assert finding.violation.fix is None or finding.violation.fix.applicability.value != (
            "unsafe"
        )
        reason = finding.violation.reason
        assert reason is not None and catalogued(reason.text), reason


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("go-cgo-unqualified", "c-library-unmatched"),
        ("go-gopath-workdir", "base-image-variable"),
        ("go-healthcheck-curl", "healthcheck-program-missing"),
        ("go-no-output-name", "artifact-unknown"),
        ("go-third-party-base-workdir", "artifact-unknown"),
        ("go-run-after-build", "step-after-build"),
        ("go-shell-cmd-scratch", "runtime-has-no-shell"),
        ("go-user-created", "run-not-build"),
        ("rust-unqualified", "c-library-unmatched"),
        ("rust-full-image-no-lock", "shared-libraries-unknown"),
        ("c-gcc-image", "shared-libraries-unknown"),
        ("c-unmapped-dev", "shared-libraries-unknown"),
        ("c-runtime-package", "runtime-package"),
        ("c-make-install", "make-install"),
    ],
)
def test_refusals_say_why(name: str, slug: str) -> None:
    text = (FIXTURES / f"{name}.in.Dockerfile").read_text("utf-8")
    assert reasons(text) == [slug]


@pytest.mark.parametrize(
    "name",
    ["go-run", "go-builder-image", "go-already-multistage", "go-windows", "rust-cargo-run"],
)
def test_no_finding_when_the_toolchain_is_the_point_or_the_file_is_not_a_candidate(
    name: str,
) -> None:
    assert reasons((FIXTURES / f"{name}.in.Dockerfile").read_text("utf-8")) == []


def test_only_with_unsafe_fixes() -> None:
    text = (FIXTURES / "go-scratch.in.Dockerfile").read_text("utf-8")
    assert fix(text, EngineSettings()) == text
    assert fix(text) == (FIXTURES / "go-scratch.out.Dockerfile").read_text("utf-8")


def test_crlf_file_gets_crlf_lines() -> None:
    src = (
        "FROM golang:1.22-bookworm\r\nWORKDIR /src\r\nENV A=1 \\\r\n    B=2\r\nCOPY . .\r\n"
        'RUN CGO_ENABLED=0 go build -o /app .\r\nENTRYPOINT ["/app"]\r\n'
    )
    out = fix(src)
    assert "\r\nFROM scratch\r\n" in out
    assert "\r\nENV A=1 \\\r\n    B=2\r\nENTRYPOINT" in out  # repeated whole, line ends kept
    assert "\r\r" not in out
    assert out.replace("\r\n", "").count("\n") == 0


def test_file_without_final_newline() -> None:
    src = (
        "FROM golang:1.22-bookworm\nCOPY . /src\n"
        'RUN cd /src && CGO_ENABLED=0 go build -o /app\nCMD ["/app"]'
    )
    out = fix(src)
    assert out.endswith('CMD ["/app"]')
    assert "RUN cd /src && CGO_ENABLED=0 go build -o /app\n\nFROM scratch\n" in out


def test_inserted_apt_runs_parse_in_posix_shells() -> None:
    scripts = [
        line.removeprefix("RUN ")
        for path in EXPECTED
        for line in path.read_text("utf-8").split("\nFROM ", 2)[-1].splitlines()
        if line.startswith("RUN apt-get")
    ]
    assert len(scripts) >= 3
    for shell in ("dash", "bash"):
        for script in scripts:
            done = subprocess.run(
                [shell, "-n", "-c", script], capture_output=True, text=True, timeout=10, check=False
            )
            assert done.returncode == 0, (shell, script, done.stderr)


# --------------------------------------------------------------------------- the core alone


def _view(src: str) -> tuple[FixContext, object]:
    ctx = FixContext(src, parse(src))
    view = build_view(ctx)
    assert view is not None
    return ctx, view


def test_core_applies_entry_paths_setup_and_redeclares_used_args() -> None:
    src = (
        "from eclipse-temurin:21-jdk\n"
        "arg APP=demo PORT=8080 UNUSED=1\n"
        "workdir /w\n"
        "# build it\n"
        "run ./mvnw -q package\n"
        "# the port\n"
        "expose $PORT\n"
        'entrypoint ["java", "-jar", "/w/target/demo.jar"]\n'
    )
    ctx = FixContext(src, parse(src))
    view = build_view(ctx)
    assert view is not None
    build = view.stage.instructions[2]
    conversion = Conversion(
        "java",
        build,
        "eclipse-temurin:21-jre",
        (Artifact("/w/target/demo.jar", "/app/app.jar"),),
        ("RUN mkdir -p /data",),
        {"/w/target/demo.jar": "/app/app.jar"},
    )
    done = rewrite(view, conversion)
    assert not isinstance(done, NoConversion)
    assert apply_edits(src, done.edits) == (
        "from eclipse-temurin:21-jdk as build\n"
        "arg APP=demo PORT=8080 UNUSED=1\n"
        "workdir /w\n"
        "# build it\n"
        "run ./mvnw -q package\n"
        "\n"
        "from eclipse-temurin:21-jre\n"
        "arg PORT=8080\n"
        "run mkdir -p /data\n"
        "copy --from=build /w/target/demo.jar /app/app.jar\n"
        "workdir /w\n"
        "# the port\n"
        "expose $PORT\n"
        'entrypoint ["java", "-jar", "/app/app.jar"]\n'
    )


def test_core_refuses_a_copy_after_the_build() -> None:
    src = (
        'FROM golang:1.22-bookworm\nCOPY . .\nRUN go build -o /x .\nCOPY conf /etc/x\nCMD ["/x"]\n'
    )
    ctx = FixContext(src, parse(src))
    view = build_view(ctx)
    assert view is not None
    conversion = Conversion("go", view.stage.instructions[1], "scratch", (Artifact("/x", "/x"),))
    done = rewrite(view, conversion)
    assert isinstance(done, NoConversion)
    assert done.reason.startswith("a step follows the build: COPY on line 4")


def test_view_reads_workdir_and_literal_environment() -> None:
    src = (
        "ARG GLOBAL=g\n"
        "FROM golang:1.22-bookworm\n"
        "ARG GLOBAL\n"
        "ARG OPEN\n"
        "ENV ROOT=/srv CGO_ENABLED=0\n"
        "WORKDIR $ROOT\n"
        "WORKDIR app\n"
        "ENV DERIVED=$ROOT/x UNKNOWN=$HOME/y\n"
        "RUN go build -o out .\n"
    )
    ctx = FixContext(src, parse(src))
    view = build_view(ctx)
    assert view is not None
    run = view.stage.instructions[-1]
    assert view.workdir_at(run) == "/srv/app"
    assert dict(view.env_at(run)) == {
        "GLOBAL": "g",
        "ROOT": "/srv",
        "CGO_ENABLED": "0",
        "DERIVED": "/srv/x",
    }
    # before a WORKDIR of the file's own: the golang image's (WORKDIR $GOPATH)
    assert view.workdir_at(view.stage.instructions[0]) == "/go"


# --------------------------------------------------------------------------- build context


RUST_DOCKERFILE = (
    "FROM rust:1.79-bookworm\n"
    "WORKDIR /app\n"
    "COPY . .\n"
    "RUN cargo build --release\n"
    'CMD ["/app/target/release/{bin}"]\n'
)


def _with_context(tmp_path: Path, files: dict[str, str], dockerfile: str) -> EngineSettings:
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    (tmp_path / "Dockerfile").write_text(dockerfile, "utf-8")
    return EngineSettings(
        unsafe_fixes=True, read_context_file=context_file_reader(tmp_path / "Dockerfile")
    )


CARGO_TOML = '[package]\nname = "shop"\nversion = "0.1.0"\n'


def test_rust_full_image_reads_cargo_lock_for_linked_libraries(tmp_path: Path) -> None:
    lock = (
        'version = 3\n\n[[package]]\nname = "openssl-sys"\nversion = "0.9.0"\n\n'
        '[[package]]\nname = "shop"\nversion = "0.1.0"\n'
    )
    dockerfile = RUST_DOCKERFILE.format(bin="shop")
    settings = _with_context(tmp_path, {"Cargo.toml": CARGO_TOML, "Cargo.lock": lock}, dockerfile)
    out = fix(dockerfile, settings)
    assert "FROM debian:bookworm-slim\n" in out
    assert "apt-get install -y --no-install-recommends ca-certificates libssl3 &&" in out
    assert "COPY --from=build /app/target/release/shop /app/target/release/shop\n" in out


def test_vendored_openssl_needs_no_library(tmp_path: Path) -> None:
    lock = '[[package]]\nname = "openssl-sys"\n\n[[package]]\nname = "openssl-src"\n'
    dockerfile = RUST_DOCKERFILE.format(bin="shop")
    settings = _with_context(tmp_path, {"Cargo.toml": CARGO_TOML, "Cargo.lock": lock}, dockerfile)
    assert "--no-install-recommends ca-certificates &&" in fix(dockerfile, settings)


def test_unknown_sys_crate_is_refused(tmp_path: Path) -> None:
    lock = '[[package]]\nname = "rdkafka-sys"\n'
    dockerfile = RUST_DOCKERFILE.format(bin="shop")
    settings = _with_context(tmp_path, {"Cargo.toml": CARGO_TOML, "Cargo.lock": lock}, dockerfile)
    assert reasons(dockerfile, settings) == ["shared-libraries-unknown"]
    assert fix(dockerfile, settings) == dockerfile


def test_rust_bin_followed_through_a_move_after_the_build() -> None:
    dockerfile = (
        "FROM rust:1.79-slim-bookworm\nWORKDIR /app\nCOPY . .\n"
        "RUN cargo build --release && mv target/release/shop /usr/local/bin/shop\n"
        'CMD ["shop"]\n'
    )
    assert "COPY --from=build /usr/local/bin/shop /usr/local/bin/shop\n" in fix(dockerfile)
    # a glob is not followed: which bins it moves is not known
    globbed = dockerfile.replace("mv target/release/shop", "mv target/release/*")
    assert fix(globbed) == globbed


def test_rust_bin_from_cargo_toml(tmp_path: Path) -> None:
    dockerfile = (
        "FROM rust:1.79-slim-bookworm\nWORKDIR /app\nCOPY . .\n"
        "RUN cargo build --release\n"
        "WORKDIR /app/target/release\n"
        'CMD ["./shop"]\n'
    )
    settings = _with_context(tmp_path, {"Cargo.toml": CARGO_TOML}, dockerfile)
    out = fix(dockerfile, settings)
    assert "COPY --from=build /app/target/release/shop /app/target/release/shop\n" in out


def test_rust_workspace_is_refused(tmp_path: Path) -> None:
    dockerfile = RUST_DOCKERFILE.format(bin="api").replace("bookworm", "slim-bookworm")
    dockerfile = dockerfile.replace('CMD ["/app/target/release/api"]', 'CMD ["/usr/bin/api"]')
    dockerfile = dockerfile.replace(
        "cargo build --release", "cargo build --release && cp target/release/api /usr/bin/api"
    )
    settings = _with_context(
        tmp_path, {"Cargo.toml": '[workspace]\nmembers = ["api"]\n'}, dockerfile
    )
    assert reasons(dockerfile, settings) == ["artifact-unknown"]


def test_context_reader_stays_in_the_dockerfile_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret").write_text("s", "utf-8")
    (project / "Cargo.toml").write_text(CARGO_TOML, "utf-8")
    (project / "big.toml").write_bytes(b"x" * (CONTEXT_FILE_LIMIT + 1))
    (project / "binary").write_bytes(b"\xff\xfe\x00")
    os.symlink(tmp_path / "secret", project / "link")
    os.mkfifo(project / "fifo")
    read = context_file_reader(project / "Dockerfile")
    assert read("Cargo.toml") == CARGO_TOML
    assert read("./Cargo.toml") == CARGO_TOML
    for refused in ("../secret", str(tmp_path / "secret"), "link", "big.toml", "binary", "fifo"):
        assert read(refused) is None, refused
    assert read("missing") is None
    assert read("") is None
    assert read(".") is None


def test_the_cli_reads_cargo_lock_beside_the_dockerfile(tmp_path: Path) -> None:
    dockerfile = RUST_DOCKERFILE.format(bin="shop")
    (tmp_path / "Dockerfile").write_text(dockerfile, "utf-8")
    (tmp_path / "Cargo.toml").write_text(CARGO_TOML, "utf-8")
    (tmp_path / "Cargo.lock").write_text('[[package]]\nname = "shop"\n', "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "manifesto", "fix", "--unsafe-fixes", "--select", "MF501", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fixed = (tmp_path / "Dockerfile").read_text("utf-8")
    assert "COPY --from=build /app/target/release/shop /app/target/release/shop\n" in fixed
    # stdin has no directory: Cargo.lock is not read, so no fix
    piped = subprocess.run(
        [sys.executable, "-m", "manifesto", "fix", "--unsafe-fixes", "--select", "MF501", "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert piped.stdout == dockerfile
