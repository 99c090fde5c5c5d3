"""Bad input gets a located error and is never written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from manifesto.source import SourceError, decode, read_source, write_atomic


@pytest.mark.parametrize(
    ("data", "line", "col", "needle"),
    [
        pytest.param(b"FROM a\nRUN \xff\n", 2, 5, "invalid UTF-8", id="invalid-utf8"),
        pytest.param(b"FROM a\n\x00\x01", 2, 1, "binary", id="binary"),
        pytest.param(
            b"FROM a\n<<<<<<< HEAD\nRUN a\n=======\nRUN b\n>>>>>>> x\n",
            2,
            1,
            "merge-conflict",
            id="conflict",
        ),
        pytest.param(b"FROM {{ .Base }}\n", 1, 6, "template", id="go-template-from"),
        pytest.param(b"{% if x %}\nFROM a\n", 1, 1, "template", id="jinja-block"),
        pytest.param(
            b"FROM a\nRUN caf\xc3\xa9 \xc3\n", 2, 10, "invalid UTF-8", id="truncated-utf8"
        ),
    ],
)
def test_bad_input_is_located(data: bytes, line: int, col: int, needle: str) -> None:
    with pytest.raises(SourceError) as info:
        decode(data, "Dockerfile")
    assert (info.value.line, info.value.column) == (line, col)
    assert needle in info.value.message
    assert str(info.value).startswith(f"Dockerfile:{line}:{col}: ")


def test_go_template_inside_run_is_fine() -> None:
    text = "FROM a\nRUN docker inspect --format '{{.Id}}' x\n"
    assert decode(text.encode(), "Dockerfile") == text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "nope")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="directory"):
        read_source(tmp_path)


def test_write_atomic_keeps_mode_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbfFROM a\r\n")
    os.chmod(path, 0o640)
    write_atomic(path, "\ufeffFROM b\r\n")
    assert path.read_bytes() == b"\xef\xbb\xbfFROM b\r\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]
