"""Rust: a ``cargo build`` whose binary the image runs.

The binary is ``target/<profile>/<bin>`` (``target/<triple>/<profile>/<bin>`` with
``--target``) under the directory the build runs in, or where a literal ``cp`` /
``mv`` / ``install`` later in the same RUN puts it. The bin is ``--bin``'s, else
the one the CMD/ENTRYPOINT names under ``target/``, else the only ``[[bin]]`` or
the ``[package]`` name of ``Cargo.toml`` when a COPY brings it from the build
context beside the Dockerfile and it can be read; otherwise nothing is guessed.

The runtime is ``debian:<codename>-slim`` of the release the base names
(``rust:1.79-bookworm``, ``rust:1.79-slim-bookworm``); an unqualified ``rust:1.79``
moves to the next Debian release some day, so it is refused. The program may
link shared libraries: on a slim base they are the ``-dev`` packages the file
installs; the full ``rust`` image ships many (``libssl-dev``, ...), so there
``Cargo.lock`` must be readable, and its ``-sys`` crates say what is linked.
CA certificates are always installed in the runtime: the rust images have them.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Mapping

from manifesto.cst import Instruction
from manifesto.cst.stages import ALPINE
from manifesto.cst.values import buildkit_value
from manifesto.shell import Command, ShellScript

from .core import (
    ARTIFACT_UNKNOWN,
    C_LIBRARY,
    LIBRARY_UNKNOWN,
    SEVERAL_ARTIFACTS,
    apt_install,
    cwd_before,
    debian_codename,
    entry,
    files_for_run_time,
    foreign_command,
    installed_packages,
    may_be_artifact,
    official_image,
    option_value,
    resolve,
    runs_artifact,
    runtime_packages,
)
from .plan import Artifact, BuildView, Conversion, NoConversion

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
"""Alpine's base image has it (package ca-certificates-bundle)."""

SYS_CRATE_LIBRARIES: Mapping[str, Mapping[str, str]] = {
    # a -sys crate -> {Debian codename: the shared library it links}
    "openssl-sys": {"bullseye": "libssl1.1", "bookworm": "libssl3", "trixie": "libssl3t64"},
    "pq-sys": {"bullseye": "libpq5", "bookworm": "libpq5", "trixie": "libpq5"},
    "libsqlite3-sys": {
        "bullseye": "libsqlite3-0",
        "bookworm": "libsqlite3-0",
        "trixie": "libsqlite3-0",
    },
    "libz-sys": {"bullseye": "zlib1g", "bookworm": "zlib1g", "trixie": "zlib1g"},
}
"""What a crate links when built against the system library (the full rust image
has the headers). ``openssl-sys`` with ``openssl-src`` in the lock is vendored."""

STATIC_SYS_CRATES = frozenset(
    {
        "linux-raw-sys",
        "windows-sys",
        "core-foundation-sys",
        "security-framework-sys",
        "js-sys",
        "web-sys",
        "wasm-bindgen",
        "zstd-sys",
        "bzip2-sys",
        "lzma-sys",
        "ring",
        "aws-lc-sys",
        "libgit2-sys",
        "libssh2-sys",
        "cc",
        "system-configuration-sys",
    }
)
"""``-sys`` crates that link nothing from the system on Linux (platform bindings,
or a C library they build and link statically: the full rust image has none of
zstd, bzip2, lzma, libgit2 or libssh2 headers, so their bundled copy is used)."""


def recognise(view: BuildView) -> Conversion | NoConversion | None:
    cargo = [
        (ins, script, command)
        for ins, script in view.runs
        for command in script.commands
        if command.program == "cargo"
    ]
    verbs = {_verb(c) for _, _, c in cargo}
    if "build" not in verbs or "run" in verbs:
        return None  # `cargo run` builds at start-up: the toolchain is needed at run time
    found = entry(view)
    if found is None or not may_be_artifact(found):
        return None
    builds = [b for b in cargo if _verb(b[2]) == "build"]
    ins, script, command = builds[-1]
    if any(i is not ins for i, _, _ in cargo[cargo.index(builds[-1]) + 1 :]):
        return NoConversion(
            f"{SEVERAL_ARTIFACTS}: cargo runs again after the build on line {ins.start_line}"
        )
    places = _binary(view, ins, script, command, found.program)
    if isinstance(places, NoConversion):
        return places
    ran = [p for p in places if runs_artifact(view, found, p)]
    if not ran:
        return None  # the image runs something else
    located = ran[-1]
    build_dir = cwd_before(view, ins, script, command)  # _binary read it already
    refusal = foreign_command(view, ins) or files_for_run_time(view, ins, build_dir)
    if refusal is not None:
        return refusal
    if view.base.family == ALPINE:
        return _on_alpine(view, ins, command, located)
    codename = debian_codename(view.base)
    if codename is None:
        return NoConversion(
            f"{C_LIBRARY}: `{view.base.reference}` does not name its Debian release"
        )
    libraries = _libraries(view, ins, codename)
    if isinstance(libraries, NoConversion):
        return libraries
    return Conversion(
        "rust",
        ins,
        f"debian:{codename}-slim",
        (Artifact(located, located),),
        (apt_install(("ca-certificates", *libraries)),),
    )


def _on_alpine(
    view: BuildView, ins: Instruction, command: Command, binary: str
) -> Conversion | NoConversion:
    """On Alpine, Rust targets musl and links it statically (``crt-static`` is the
    musl targets' default): the binary runs on ``scratch``, given the CA bundle that
    Alpine's base image has. A system library the build installs may be linked
    dynamically, which no scratch image has: refused."""
    _, triple = option_value(command, "--target")
    if triple is not None and "musl" not in triple:
        return NoConversion(f"{C_LIBRARY}: --target {triple} on an Alpine base")
    flags = view.env_at(ins).get("RUSTFLAGS", "") + view.env_at(ins).get(
        "CARGO_BUILD_RUSTFLAGS", ""
    )
    if "crt-static" in flags or any("RUSTFLAGS" in a.name for a in command.assignments):
        return NoConversion(f"{C_LIBRARY}: RUSTFLAGS may link the C library dynamically")
    installed = installed_packages(view)
    linked = [
        name
        for name in installed.names
        if name.endswith("-dev") and name not in ("musl-dev", "linux-headers")
    ]
    if installed.unknown or linked:
        return NoConversion(
            f"{LIBRARY_UNKNOWN}: the build installs "
            f"`{linked[0] if linked else 'packages named by a variable'}`, which the binary "
            "may link dynamically"
        )
    packages = runtime_packages(view, None, linked=False)
    if isinstance(packages, NoConversion):
        return packages
    artifacts = (Artifact(CA_BUNDLE, CA_BUNDLE), Artifact(binary, binary))
    return Conversion("rust", ins, "scratch", artifacts)


def _verb(command: Command) -> str | None:
    for word in command.effective_args:
        if word.value is None:
            return None
        if not word.value.startswith(("+", "-")):
            return word.value
    return None


def _binary(
    view: BuildView, ins: Instruction, script: ShellScript, command: Command, program: str
) -> list[str] | NoConversion:
    """The places the bin the build makes ends up in (the image runs one of them)."""
    line = ins.start_line
    if command.context:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the `cargo build` on line {line} is inside a "
            f"{command.context[-1]}"
        )
    if any(w.value is None for w in command.effective_args):
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the `cargo build` on line {line} has arguments that are "
            "not literal"
        )
    for option in ("--target-dir", "--manifest-path", "--package", "-p", "--workspace", "--all"):
        if option_value(command, option)[0]:
            return NoConversion(
                f"{ARTIFACT_UNKNOWN}: `cargo build {option}` on line {line} is not followed"
            )
    if "CARGO_TARGET_DIR" in view.env_at(ins) or "CARGO_BUILD_TARGET_DIR" in view.env_at(ins):
        return NoConversion(f"{ARTIFACT_UNKNOWN}: CARGO_TARGET_DIR moves the output")
    try:
        cwd = cwd_before(view, ins, script, command)
    except ValueError:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: a `cd` before the `cargo build` on line {line} is not literal"
        )
    release = option_value(command, "--release")[0] or option_value(command, "-r")[0]
    _, profile = option_value(command, "--profile")
    directory = {None: "release" if release else "debug", "dev": "debug"}.get(profile, profile)
    _, triple = option_value(command, "--target")
    out_dir = posixpath.join(cwd, "target", *([triple] if triple else []), directory or "")
    # a readable manifest is read first: a workspace's target/ is not where this
    # build's cwd says, whichever way the bin is named
    from_manifest = _bin_from_manifest(view, ins, cwd)
    if isinstance(from_manifest, NoConversion):
        return from_manifest
    _, flag_bin = option_value(command, "--bin")
    bin_name = (
        flag_bin
        or _bin_from_entry(view, program, out_dir)
        or _bin_copied(script, command, cwd, out_dir)
        or from_manifest
    )
    if bin_name is None:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: the bin the `cargo build` on line {line} makes is not "
            "named (no --bin, and "
            "Cargo.toml is not readable beside the Dockerfile): not guessed"
        )
    return _moved(script, command, cwd, posixpath.join(out_dir, bin_name))


def _bin_from_entry(view: BuildView, program: str, out_dir: str) -> str | None:
    if "/" not in program:
        return None
    found = entry(view)
    where = resolve(view, found.instruction, program) if found is not None else program
    if posixpath.dirname(where) == out_dir:
        return posixpath.basename(where)
    return None


def _bin_copied(script: ShellScript, command: Command, cwd: str, out_dir: str) -> str | None:
    """The bin a literal ``cp``/``mv``/``install`` after the build takes out of the
    output directory (``cp target/release/app /usr/local/bin/``)."""
    names = {
        posixpath.basename(source)
        for source, _ in _copies(script, command, cwd)
        if posixpath.dirname(source) == out_dir
    }
    return names.pop() if len(names) == 1 else None


def _copies(script: ShellScript, command: Command, cwd: str) -> list[tuple[str, str]]:
    """(source, destination as written) of the literal two-operand ``cp``/``mv``/
    ``install`` commands after ``command`` in the script, sources made absolute."""
    out: list[tuple[str, str]] = []
    for later in script.commands:
        if later.index <= command.index or later.program not in ("cp", "mv", "install"):
            continue
        if later.context or any(
            w.value is None or any(ch in w.value for ch in "*?[") for w in later.effective_args
        ):
            continue  # not literal, or a glob
        operands = [
            w.value for w in later.effective_args if w.value and not w.value.startswith("-")
        ]
        if len(operands) == 2:
            out.append((posixpath.normpath(posixpath.join(cwd, operands[0])), operands[1]))
    return out


def _bin_from_manifest(view: BuildView, ins: Instruction, cwd: str) -> str | NoConversion | None:
    manifest = _context_file(view, ins, cwd, "Cargo.toml")
    if manifest is None:
        return None
    try:
        data = tomllib.loads(manifest)
    except tomllib.TOMLDecodeError:
        return None
    if "workspace" in data:
        return NoConversion(
            f"{ARTIFACT_UNKNOWN}: Cargo.toml is a workspace, and which member's bin ships is "
            "not derived"
        )
    bins = data.get("bin")
    if isinstance(bins, list):
        names = [b.get("name") for b in bins if isinstance(b, dict)]
        if len(names) == 1 and isinstance(names[0], str):
            return names[0]
        return None
    package = data.get("package")
    name = package.get("name") if isinstance(package, dict) else None
    return name if isinstance(name, str) else None


def _context_file(view: BuildView, ins: Instruction, cwd: str, name: str) -> str | None:
    """``name`` from the build context, when a COPY before ``ins`` brings the context
    root (``.``) or that file into ``cwd``."""
    for item in view.stage.instructions:
        if item is ins:
            break
        if item.keyword not in ("COPY", "ADD") or item.flag("from") is not None:
            continue
        vals, _ = buildkit_value(item)
        if len(vals) < 2:
            continue
        sources = [s.rstrip("/") or "/" for s in vals[:-1]]
        dest = resolve(view, item, vals[-1])
        if (("." in sources or "./" in vals[:-1]) and dest == cwd) or (
            name in sources and dest in (cwd, posixpath.join(cwd, name))
        ):
            return view.context_file(name)
    return None


def _moved(script: ShellScript, command: Command, cwd: str, binary: str) -> list[str]:
    """The binary's path and the places literal ``cp``/``mv``/``install`` commands
    after the build in the same script put it (``cp target/release/app /usr/local/bin/``)."""
    places = [binary]
    for source, written in _copies(script, command, cwd):
        if source not in places:
            continue
        dest = posixpath.normpath(posixpath.join(cwd, written))
        # a destination that is a directory: written so, or one every image has
        if written.endswith("/") or dest in ("/usr/local/bin", "/usr/bin", "/bin"):
            dest = posixpath.join(dest, posixpath.basename(source))
        places.append(dest)
    return places


def _libraries(view: BuildView, ins: Instruction, codename: str) -> tuple[str, ...] | NoConversion:
    installed = runtime_packages(view, codename, linked=True)
    if isinstance(installed, NoConversion):
        return installed
    reference = (view.base.reference or "").lower()
    full_image = official_image(view.base, "rust") and "slim" not in reference
    if not full_image:
        return installed
    cwd = view.workdir_at(ins)
    lock = _context_file(view, ins, cwd, "Cargo.lock")
    if lock is None:
        return NoConversion(
            f"{LIBRARY_UNKNOWN}: the rust image ships the headers of many C libraries and "
            "Cargo.lock is not "
            "readable beside the Dockerfile: which shared libraries the binary links "
            "cannot be told"
        )
    crates = set(re.findall(r'^name = "([^"]+)"', lock, flags=re.MULTILINE))
    out = list(installed)
    for crate in sorted(crates):
        if crate == "openssl-sys" and "openssl-src" in crates:
            continue  # vendored: built and linked statically
        library = SYS_CRATE_LIBRARIES.get(crate, {}).get(codename)
        if library is not None:
            if library not in out:
                out.append(library)
        elif crate.endswith("-sys") and crate not in STATIC_SYS_CRATES:
            return NoConversion(
                f"{LIBRARY_UNKNOWN}: Cargo.lock has `{crate}`, whose system library the "
                "runtime image may lack"
            )
    return tuple(out)
