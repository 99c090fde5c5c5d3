"""Writes stay inside the tree and keep what the file was: links, owner, attributes."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import time_limit, write
from manifesto.fileio import remove_stale_temporaries
from manifesto.runner import Mode
from manifesto.session import RunOptions as Options
from manifesto.session import UsageError, run_session
from manifesto.source import write_atomic

# Each sample ends with a USER: an image that runs as root is a finding of its own (MF401).
DIRTY = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    "USER nobody\n"
)
FIXED = (
    "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl"
    " && rm -rf /var/lib/apt/lists/*\nUSER nobody\n"
)


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    with time_limit(20, "took more than 20 s"):
        yield


def fix(*paths: str, capsys: pytest.CaptureFixture[str], **options: object) -> tuple[int, str]:
    code = run_session(Mode.FIX, list(paths), Options(**options))  # type: ignore[arg-type]
    return code, capsys.readouterr().err


# -- symbolic links -----------------------------------------------------------


def test_link_out_of_the_tree_is_reported_and_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = write(tmp_path / "outside/Dockerfile", DIRTY)
    tree = tmp_path / "tree"
    write(tree / "Dockerfile", DIRTY)
    (tree / "app").mkdir()
    (tree / "app/Dockerfile").symlink_to(outside)
    monkeypatch.chdir(tree)
    for given in (".", "app/Dockerfile", "app"):
        code, err = fix(given, capsys=capsys)
        assert code == 2
        assert (
            f"app/Dockerfile:1:1: resolves to {outside}, outside the tree: not read or written "
            "(--follow-symlinks to allow)\n" in err
        )
        assert outside.read_text() == DIRTY
    assert (tree / "Dockerfile").read_text() == FIXED  # the rest of the run went on
    code, err = fix(".", capsys=capsys, follow_symlinks=True)
    assert code == 0, err
    assert outside.read_text() == FIXED
    assert (tree / "app/Dockerfile").is_symlink()


def test_file_named_from_the_top_may_link_anywhere_below_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # how a pre-commit hook or a bot names files: from the repository's top
    write(tmp_path / "Dockerfile", DIRTY)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker/Dockerfile").symlink_to("../Dockerfile")
    monkeypatch.chdir(tmp_path)
    code, err = fix("docker/Dockerfile", capsys=capsys)
    assert code == 0, err
    assert (tmp_path / "Dockerfile").read_text() == FIXED
    # but from inside the directory, the tree is the directory
    (tmp_path / "Dockerfile").write_text(DIRTY)
    monkeypatch.chdir(tmp_path / "docker")
    code, err = fix("Dockerfile", capsys=capsys)
    assert code == 2
    assert "outside the tree" in err


def test_link_through_a_linked_directory_out_of_the_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = write(tmp_path / "outside/Dockerfile", DIRTY)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "vendor").symlink_to(outside.parent)
    monkeypatch.chdir(tree)
    code, err = fix(".", capsys=capsys)
    assert code == 2
    assert "vendor/Dockerfile:1:1: resolves to" in err
    assert outside.read_text() == DIRTY


def test_check_does_not_read_out_of_the_tree_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # a review bot quoting lines of /etc/... in its comments would leak them
    secret = write(tmp_path / "secret", "FROM scratch\nRUN apt-get install -y token-1234\n")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree/Dockerfile").symlink_to(secret)
    monkeypatch.chdir(tmp_path / "tree")
    code = run_session(Mode.CHECK, ["."], Options(quiet=True))
    captured = capsys.readouterr()
    assert code == 2
    assert "token-1234" not in captured.out + captured.err


def test_link_inside_the_tree_is_fixed_once_and_stays_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = write(tmp_path / "base/Dockerfile", DIRTY)
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").symlink_to("../base/Dockerfile")
    monkeypatch.chdir(tmp_path)
    for paths in ([".", "app/Dockerfile"], ["app/Dockerfile", "base/Dockerfile"], ["."]):
        target.write_text(DIRTY)
        code, err = fix(*paths, capsys=capsys)
        assert code == 0, err
        assert "1 file scanned; 1 changed; 1 fix applied" in err
        assert target.read_text() == FIXED
        assert os.readlink(tmp_path / "app/Dockerfile") == "../base/Dockerfile"


# -- what the file was --------------------------------------------------------


def test_owner_group_and_mode_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    path.chmod(0o640)
    try:
        os.chown(path, 1234, 5678)
    except PermissionError:
        pytest.skip("not allowed to give a file away (not root)")
    write_atomic(path, FIXED)
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o640)
    assert path.read_text() == FIXED


def test_set_group_id_bit_survives_the_owner_change(tmp_path: Path) -> None:
    # chown clears set-id bits: the mode must be applied after it
    path = write(tmp_path / "Dockerfile", DIRTY)
    try:
        os.chown(path, 1234, 5678)
    except PermissionError:
        pytest.skip("not allowed to give a file away (not root)")
    path.chmod(0o2755)
    write_atomic(path, FIXED)
    assert stat.S_IMODE(path.stat().st_mode) == 0o2755


def test_extended_attributes_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    try:
        os.setxattr(path, "user.origin", b"reviewed")
    except OSError as error:
        if error.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            pytest.skip(f"no user.* attributes on this file system ({error.strerror})")
        raise
    write_atomic(path, FIXED)
    assert os.getxattr(path, "user.origin") == b"reviewed"
    assert path.read_text() == FIXED


# -- the report file ----------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "paths"),
    [
        pytest.param("Dockerfile", ["Dockerfile"], id="same-name"),
        pytest.param("report.txt", ["Dockerfile"], id="link-to-the-input"),
        pytest.param("sub/Dockerfile", ["."], id="found-by-discovery"),
        pytest.param("./Dockerfile", ["sub", "."], id="second-path"),
    ],
)
def test_output_file_that_is_an_input_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, paths: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", DIRTY)
    write(tmp_path / "sub/Dockerfile", DIRTY)
    (tmp_path / "report.txt").symlink_to("Dockerfile")
    with pytest.raises(UsageError, match=r"is an input .*: refusing to overwrite it"):
        run_session(Mode.CHECK, paths, Options(output_file=Path(output), quiet=True))
    assert (tmp_path / "Dockerfile").read_text() == DIRTY
    assert (tmp_path / "sub/Dockerfile").read_text() == DIRTY


def test_output_file_that_is_stdin_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DIRTY)
    with (tmp_path / "Dockerfile").open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "manifesto", "check", "-o", "Dockerfile", "-"],
            cwd=tmp_path,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "is an input (stdin): refusing to overwrite it" in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == DIRTY


def test_output_file_that_is_not_an_input_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", DIRTY)
    code = run_session(Mode.CHECK, ["."], Options(output_file=Path("report.txt"), quiet=True))
    assert code == 1
    assert "MF101" in (tmp_path / "report.txt").read_text()


# -- hard links ---------------------------------------------------------------


def test_hard_link_is_broken_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # replacing by rename keeps the write atomic and inside the tree; the other
    # name (which may lie outside it) keeps the old content, and the user is told
    elsewhere = write(tmp_path / "elsewhere/Dockerfile.keep", DIRTY)
    tree = tmp_path / "tree"
    tree.mkdir()
    os.link(elsewhere, tree / "Dockerfile")
    monkeypatch.chdir(tree)
    code, err = fix("Dockerfile", capsys=capsys)
    assert code == 0
    assert "Dockerfile: hard link broken: 1 other name of the file keeps the old content\n" in err
    assert (tree / "Dockerfile").read_text() == FIXED
    assert elsewhere.read_text() == DIRTY
    assert (tree / "Dockerfile").stat().st_nlink == 1
    assert elsewhere.stat().st_nlink == 1


# -- temporary files ----------------------------------------------------------


def _host_tag() -> str:
    return f"{zlib.crc32(os.uname().nodename.encode()):08x}"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_stale_temporary_files_are_removed_by_the_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", DIRTY)
    dead = write(tmp_path / f".manifesto-tmp-{_host_tag()}-{_dead_pid()}-0123abcd", "half")
    live = write(tmp_path / f".manifesto-tmp-{_host_tag()}-{os.getppid()}-0123abcd", "busy")
    other_host = write(tmp_path / ".manifesto-tmp-00000000-999999-0123abcd", "elsewhere")
    old = write(tmp_path / ".manifesto-tmp-00000000-999998-0123abcd", "old")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    not_ours = write(tmp_path / ".manifesto-tmp-notes.txt", "keep")
    code, err = fix(".", capsys=capsys)
    assert code == 0, err
    assert (tmp_path / "Dockerfile").read_text() == FIXED
    remaining = {path.name for path in tmp_path.iterdir()}
    assert dead.name not in remaining
    assert old.name not in remaining
    assert {live.name, other_host.name, not_ours.name} <= remaining


def test_remove_stale_temporaries_by_age(tmp_path: Path) -> None:
    young = write(tmp_path / ".manifesto-tmp-00000000-1-0123abcd", "x")
    now = young.stat().st_mtime
    assert remove_stale_temporaries(str(tmp_path), now=now + 60) == []
    assert remove_stale_temporaries(str(tmp_path), now=now + 601) == [young.name]


def test_no_temporary_file_is_left_when_a_write_fails(tmp_path: Path) -> None:
    path = write(tmp_path / "Dockerfile", DIRTY)
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "FROM \udcff\n")  # a lone surrogate cannot be encoded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]
    assert path.read_text() == DIRTY
