"""Special files and pathological sizes: refused with a located error, never a hang or a crash.

Every case uses a real special file (FIFO, links to devices, a link loop) and
runs under a deadline, so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import time_limit, write
from manifesto.discover import (
    MAX_PATTERN_LENGTH,
    MAX_WILDCARDS_PER_FILE,
    compile_pattern,
    discover,
)
from manifesto.fileio import RefusedFile, describe_size, read_regular_file
from manifesto.runner import Mode
from manifesto.session import RunOptions as Options
from manifesto.session import UsageError, run_session
from manifesto.source import SourceError, read_source

DIRTY = "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Fail a test that takes more than 10 s: the bugs here are hangs (a blocked open
    of a FIFO is interrupted by the alarm too)."""
    with time_limit(10, "took more than 10 s: hanging on a special file?"):
        yield


def run(
    mode: Mode, *paths: str, capsys: pytest.CaptureFixture[str], **options: object
) -> tuple[int, str]:
    code = run_session(mode, list(paths), Options(**{"quiet": True, **options}))  # type: ignore[arg-type]
    return code, capsys.readouterr().err


# -- Dockerfiles that are not regular files ---------------------------------


def test_fifo_given_as_dockerfile_is_refused_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "Dockerfile")
    write(tmp_path / "other/Dockerfile", DIRTY)
    code, err = run(Mode.FIX, "Dockerfile", "other", capsys=capsys)
    assert code == 2
    assert "Dockerfile:1:1: not a regular file (fifo)\n" in err
    assert (tmp_path / "other/Dockerfile").read_text() != DIRTY  # the other file was fixed


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_link_to_a_device_is_refused_unread(
    device: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").symlink_to(device)
    code, err = run(Mode.FIX, "Dockerfile", capsys=capsys)
    assert code == 2
    assert f"Dockerfile:1:1: resolves to {device}, outside the tree" in err
    # allowed to follow the link, it still reads nothing from a device
    code, err = run(Mode.FIX, "Dockerfile", capsys=capsys, follow_symlinks=True)
    assert code == 2
    assert "Dockerfile:1:1: not a regular file (character device)\n" in err


def test_link_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").symlink_to("Dockerfile.loop")
    (tmp_path / "Dockerfile.loop").symlink_to("Dockerfile")
    code, err = run(Mode.CHECK, "Dockerfile", capsys=capsys, follow_symlinks=True)
    assert code == 2
    assert err.startswith("Dockerfile:1:1: ")  # located, whatever the words
    with pytest.raises(SourceError, match="Too many levels of symbolic links"):
        read_source(tmp_path / "Dockerfile")


def test_special_files_in_a_walked_directory_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "fifo.Dockerfile")
    (tmp_path / "zero.Dockerfile").symlink_to("/dev/zero")
    (tmp_path / "loop.Dockerfile").symlink_to("loop.Dockerfile")
    write(tmp_path / "Dockerfile", "FROM scratch\nUSER 65532\n")
    code, err = run(Mode.FIX, ".", capsys=capsys, quiet=False)
    assert code == 0, err
    assert "1 file scanned" in err


def test_read_helpers_refuse_directories(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r":1:1: is a directory$"):
        read_source(tmp_path)
    with pytest.raises(RefusedFile, match="is a directory"):
        read_regular_file(tmp_path, 100)


def test_directory_where_a_file_is_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", DIRTY)
    (tmp_path / "dir").mkdir()
    with pytest.raises(UsageError, match="dir:1:1: is a directory"):
        run(Mode.CHECK, "Dockerfile", capsys=capsys, config=Path("dir"))
    with pytest.raises(UsageError, match="cannot write dir: Is a directory"):
        run(Mode.CHECK, "Dockerfile", capsys=capsys, output_file=Path("dir"))
    # a directory named like a Dockerfile is walked, not read
    (tmp_path / "sub/Dockerfile").mkdir(parents=True)
    code, _ = run(Mode.CHECK, "sub/Dockerfile", capsys=capsys)
    assert code == 0


def test_unsearchable_directory_given_as_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # root searches any directory whatever its mode, so the kernel's answer for a
    # directory without search permission is played by the os functions
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "locked/Dockerfile", DIRTY)
    write(tmp_path / "open/Dockerfile", "FROM scratch\n")
    locked = str(tmp_path / "locked")
    real_scandir = os.scandir

    def refuse(function: Any) -> Any:
        def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
            inside = not isinstance(path, int) and os.path.abspath(path).startswith(locked)
            if inside and (os.path.abspath(path) != locked or function is real_scandir):
                raise PermissionError(13, "Permission denied", str(path))
            return function(path, *args, **kwargs)

        return guarded

    for name in ("stat", "scandir", "open", "lstat"):
        monkeypatch.setattr(os, name, refuse(getattr(os, name)))
    code, err = run(Mode.CHECK, "open", "locked", "locked/Dockerfile", capsys=capsys)
    assert code == 2
    assert sorted(err.splitlines()) == [
        "locked/Dockerfile:1:1: Permission denied",
        "locked:1:1: Permission denied",
    ]


# -- sizes --------------------------------------------------------------------


def test_too_large_file_is_refused_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    big = write(tmp_path / "big/Dockerfile", b"")
    with big.open("wb") as handle:
        handle.truncate(9 * 1024 * 1024)  # sparse: cheap to make, 9 MiB to read
    write(tmp_path / "small/Dockerfile", DIRTY)
    code, err = run(Mode.CHECK, ".", capsys=capsys)
    assert code == 2
    assert "big/Dockerfile:1:1: file too large (9 MiB > 8 MiB limit)\n" in err
    assert "small/Dockerfile:2:" in capsys.readouterr().out or code == 2


def test_size_limit_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".manifesto.toml", 'max-file-size = "1KiB"\n')
    write(tmp_path / "Dockerfile", "FROM scratch\n" + "# padding\n" * 200)
    code, err = run(Mode.CHECK, "Dockerfile", capsys=capsys)
    assert code == 2
    assert "Dockerfile:1:1: file too large (2.0 KiB > 1 KiB limit)" in err


def test_endless_stdin_is_cut_at_the_limit(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zero:
        result = subprocess.run(
            [sys.executable, "-m", "manifesto", "check", "-"],
            cwd=tmp_path,
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "-:1:1: file too large (more than the 8 MiB limit)\n" in result.stderr


def test_special_configuration_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", "FROM scratch\nUSER 65532\n")
    os.mkfifo(tmp_path / "fifo.toml")
    with pytest.raises(UsageError, match=r"fifo\.toml:1:1: not a regular file \(fifo\)"):
        run(Mode.CHECK, "Dockerfile", capsys=capsys, config=Path("fifo.toml"))
    with pytest.raises(UsageError, match=r"null:1:1: not a regular file \(character device\)"):
        run(Mode.CHECK, "Dockerfile", capsys=capsys, config=Path("/dev/null"))
    # a FIFO where a configuration is looked for is not one: the defaults apply
    os.mkfifo(tmp_path / ".manifesto.toml")
    assert run(Mode.CHECK, "Dockerfile", capsys=capsys) == (0, "")


def test_bad_size_setting_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".manifesto.toml", "select = ['ALL']\nmax-file-size = '8 parsecs'\n")
    write(tmp_path / "Dockerfile", "FROM scratch\n")
    with pytest.raises(UsageError, match=r"\.manifesto\.toml:2:1: max-file-size: expected"):
        run_session(Mode.CHECK, ["Dockerfile"], Options(quiet=True))


def test_a_file_growing_past_the_limit_while_read(tmp_path: Path) -> None:
    # /proc files say they are empty and then deliver: the limit holds on what is read
    environ = Path("/proc/self/environ")
    if not environ.exists() or len(environ.read_bytes()) < 10:
        pytest.skip("no /proc/self/environ with content")
    with pytest.raises(RefusedFile, match=r"file too large \(more than the 8 bytes limit\)"):
        read_regular_file(environ, 8)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(100, "100 bytes"), (2048, "2 KiB"), (1536 * 1024, "1.5 MiB"), (8 << 30, "8 GiB")],
)
def test_sizes_are_described_briefly(size: int, shown: str) -> None:
    assert describe_size(size) == shown


# -- ignore files -------------------------------------------------------------


def _repository(tmp_path: Path) -> Path:
    (tmp_path / ".git/info").mkdir(parents=True)
    write(tmp_path / "Dockerfile", "FROM scratch\n")
    return tmp_path


@pytest.mark.parametrize("where", [".gitignore", ".git/info/exclude", "sub/.gitignore"])
def test_fifo_ignore_file_is_reported_and_the_walk_goes_on(tmp_path: Path, where: str) -> None:
    root = _repository(tmp_path)
    write(root / "sub/Dockerfile", "FROM scratch\n")
    os.mkfifo(root / where)
    result = discover([root], root=root)
    assert set(result.files) == {root / "Dockerfile", root / "sub/Dockerfile"}
    assert [str(error) for error in result.errors] == [f"{root / where}: not a regular file (fifo)"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_ignore_file_linked_to_a_device(tmp_path: Path, device: str) -> None:
    root = _repository(tmp_path)
    (root / ".gitignore").symlink_to(device)
    result = discover([root], root=root)
    assert result.files == (root / "Dockerfile",)
    assert [str(e) for e in result.errors] == [
        f"{root / '.gitignore'}: not a regular file (character device)"
    ]


def test_fifo_commondir_and_git_file(tmp_path: Path) -> None:
    # a worktree: .git is a file naming the git directory, which names the common one
    git_dir = tmp_path / "main/.git/worktrees/w"
    git_dir.mkdir(parents=True)
    os.mkfifo(git_dir / "commondir")
    root = tmp_path / "w"
    write(root / ".git", f"gitdir: {git_dir}\n")
    write(root / "Dockerfile", "FROM scratch\n")
    result = discover([root], root=root)
    assert result.files == (root / "Dockerfile",)
    assert [str(e) for e in result.errors] == [
        f"{git_dir / 'commondir'}: not a regular file (fifo)"
    ]
    (root / ".git").unlink()
    os.mkfifo(root / ".git")
    result = discover([root], root=root)
    assert result.files == (root / "Dockerfile",)
    assert [str(e) for e in result.errors] == [f"{root / '.git'}: not a regular file (fifo)"]


def test_too_large_ignore_file(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    write(root / ".gitignore", b"\n" * (2 * 1024 * 1024))
    result = discover([root], root=root)
    assert result.files == (root / "Dockerfile",)
    assert [str(e) for e in result.errors] == [
        f"{root / '.gitignore'}: file too large (2 MiB > 1 MiB limit)"
    ]
    small_limit = discover([root], root=root, max_ignore_file_size=3 * 1024 * 1024)
    assert small_limit.errors == ()


def test_ignore_file_errors_make_the_run_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repository(tmp_path)
    monkeypatch.chdir(root)
    os.mkfifo(root / ".gitignore")
    code, err = run(Mode.CHECK, ".", capsys=capsys)
    assert code == 2
    assert f"{root / '.gitignore'}:1:1: not a regular file (fifo)" in err


def test_temporary_files_are_never_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # another run's half-written file: binary garbage that would be an error if read
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "Dockerfile", "FROM scratch\nUSER 65532\n")
    temporary = write(tmp_path / ".manifesto-tmp-0badc0de-123-deadbeef", b"\x00\x01")
    code, err = run(Mode.CHECK, ".", str(temporary.name), capsys=capsys)
    assert (code, err) == (0, "")


# -- gitignore patterns that would backtrack ----------------------------------

_HOSTILE_PATTERNS = [
    "a*" * 30 + "b",
    "*a" * 30 + "*b",
    "a" + "?*" * 40 + "b",
    "[a]*" * 30 + "b",
    "**/" + "a*a*a*a*/**/" * 8 + "b",
    "/" + "a*/" * 20 + "**/" + "*a" * 20 + "*b",
]


def test_backtracking_patterns_on_long_names_are_fast(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    write(root / ".gitignore", "\n".join(_HOSTILE_PATTERNS) + "\n")
    deep = root.joinpath(*["a" * 40] * 25)
    for index in range(20):
        write(deep / f"{'a' * 200}{index}.Dockerfile", "FROM scratch\n")
        write(root / f"{'a' * 240}{index}.Dockerfile", "FROM scratch\n")
    started = time.perf_counter()
    result = discover([root], root=root)
    elapsed = time.perf_counter() - started
    assert len(result.files) == 41  # none matches: every name ends in .Dockerfile, not b
    assert elapsed < 2, f"discovery took {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        pytest.param("literal", "build-{}/output.log", id="names"),
        pytest.param("globs", "build-{}/*.log", id="globs"),
        pytest.param("stars", "*a" * 500 + "{}", id="stars"),
    ],
)
def test_a_1_mib_ignore_file_is_bounded_in_time(tmp_path: Path, kind: str, line: str) -> None:
    root = _repository(tmp_path)
    lines: list[str] = []
    size = 0
    while size + len(line) + 8 < 1024 * 1024:
        lines.append(line.format(len(lines)))
        size += len(lines[-1]) + 1
    write(root / ".gitignore", "\n".join(lines) + "\n")
    started = time.perf_counter()
    result = discover([root], root=root)
    elapsed = time.perf_counter() - started
    assert result.files == (root / "Dockerfile",)
    assert elapsed < 10, f"a 1 MiB .gitignore of {kind} took {elapsed:.1f} s"  # minutes before
    if kind == "literal":
        assert result.errors == ()
    else:
        (error,) = result.errors
        assert error.message.startswith(f"more than {MAX_WILDCARDS_PER_FILE} wildcards: lines ")


@pytest.mark.parametrize(
    ("lines", "ignored"),
    [
        pytest.param(["keep.Dockerfile", "!*.Dockerfile"], False, id="glob-after-name"),
        pytest.param(["!*.Dockerfile", "keep.Dockerfile"], True, id="name-after-glob"),
        pytest.param(["*.Dockerfile", "!keep.Dockerfile"], False, id="negated-name"),
        pytest.param(["sub/keep.Dockerfile"], True, id="anchored-name"),
        pytest.param(["/keep.Dockerfile"], False, id="anchored-elsewhere"),
        pytest.param(["keep.Dockerfile/"], False, id="directory-only-name"),
        pytest.param(["sub/"], True, id="directory-name"),
    ],
)
def test_names_and_globs_share_last_match_wins(
    tmp_path: Path, lines: list[str], ignored: bool
) -> None:
    # plain names are looked up in a dict, globs run as one regex: same verdicts as git
    root = _repository(tmp_path)
    write(root / ".gitignore", "\n".join(lines) + "\n")
    write(root / "sub/keep.Dockerfile", "FROM scratch\n")
    found = discover([root], root=root).files
    assert (root / "sub/keep.Dockerfile" not in found) is ignored


def test_overlong_pattern_is_reported_and_not_used(tmp_path: Path) -> None:
    root = _repository(tmp_path)
    long_comment = "# " + "-" * MAX_PATTERN_LENGTH
    write(root / ".gitignore", f"{long_comment}\n" + "*" * (MAX_PATTERN_LENGTH + 1) + "\nx\n")
    result = discover([root], root=root)
    assert result.files == (root / "Dockerfile",)
    assert [str(e) for e in result.errors] == [
        f"{root / '.gitignore'}: line 2: pattern longer than {MAX_PATTERN_LENGTH} characters: "
        "not used"
    ]


def _naive_regex(glob: str) -> str:
    """The textbook translation (exponential on hostile input): the reference for small ones."""
    out = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index) and (index == 0 or glob[index - 1] == "/"):
            out.append("(?:[^/]*/)*")
            index += 3
        elif (
            glob.startswith("**", index)
            and index + 2 == len(glob)
            and glob[index - 1 : index] in ("", "/")
        ):
            out.append(".*")
            index += 2
        elif glob[index] == "*":
            while index < len(glob) and glob[index] == "*":
                index += 1
            out.append("[^/]*")
        elif glob[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(glob[index]))
            index += 1
    return "".join(out)


_GLOB = st.lists(st.sampled_from(["a", "b", "*", "?", "/", "**/", "ab", "*a"]), max_size=8).map(
    "".join
)
_PATH = st.lists(st.sampled_from(["a", "b", "ab", "ba", "aab", "bba"]), min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(glob=_GLOB, parts=_PATH)
def test_safe_translation_matches_like_the_textbook_one(glob: str, parts: list[str]) -> None:
    glob = glob.strip("/").replace("//", "/")
    if not glob or glob.endswith("**/") or "/**/**" in glob or "***" in glob:
        return
    compiled = compile_pattern("/" + glob)
    assert compiled is not None
    path = "/".join(parts)
    expected = re.fullmatch(_naive_regex(glob), path, re.DOTALL) is not None
    assert compiled.matches(path, is_dir=False) is expected, compiled.regex.pattern
