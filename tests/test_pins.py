"""The lock file and the pin map: parsing, writing, keys, tag choice; the offline CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from manifesto.config import ConfigError, load_config
from manifesto.images import parse_image
from manifesto.pins import (
    ImagePins,
    Pin,
    PinFileError,
    most_specific_tag,
    parse_lock,
    pin_key,
    read_lock,
    render_lock,
    version_of,
    write_lock,
)

PY = "sha256:" + "4e1c0b7f" * 8
NG = "sha256:" + "0a399eb1" * 8


def _key(reference: str) -> str:
    ref = parse_image(reference)
    assert ref is not None
    return pin_key(ref)


def test_keys_join_every_spelling_of_one_reference() -> None:
    spellings = ["python", "python:latest", "library/python", "docker.io/library/python:latest"]
    assert {_key(s) for s in spellings} == {"docker.io/library/python:latest"}
    assert _key("index.docker.io/library/python:3") == _key("python:3")
    assert _key("ghcr.io/acme/app") != _key("acme/app")


def test_lock_round_trips_and_is_written_readably(tmp_path: Path) -> None:
    entries = {
        _key("python"): Pin("3.13.1-bookworm", PY),
        _key("ghcr.io/acme/app:1.4"): Pin(None, NG),
    }
    path = tmp_path / "manifesto.lock"
    write_lock(path, entries)
    assert read_lock(path) == entries
    text = path.read_text()
    assert f'"python:latest" = {{ tag = "3.13.1-bookworm", digest = "{PY}" }}' in text
    assert f'"ghcr.io/acme/app:1.4" = {{ digest = "{NG}" }}' in text
    assert text.index("ghcr.io") < text.index("python")  # sorted: stable diffs
    assert render_lock(read_lock(path)) == text
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_missing_lock_is_empty(tmp_path: Path) -> None:
    assert read_lock(tmp_path / "manifesto.lock") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[pins]\n", "unsupported lock version", id="no-version"),
        pytest.param("version = 2\n", "unsupported lock version 2", id="future-version"),
        pytest.param("version = 1\nextra = 1\n", "unknown key 'extra'", id="unknown-key"),
        pytest.param(
            'version = 1\n[pins]\n"Python" = { tag = "3" }\n', "not an image reference", id="bad"
        ),
        pytest.param(
            f'version = 1\n[pins]\n"python@{PY}" = {{ tag = "3" }}\n',
            "not an image reference",
            id="digest-in-key",
        ),
        pytest.param(
            f'version = 1\n[pins]\npython = {{ digest = "{PY[:-1]}" }}\n',
            "invalid sha256 digest",
            id="short-digest",
        ),
        pytest.param(
            'version = 1\n[pins]\npython = { tag = "latest" }\n',
            "must not be 'latest'",
            id="latest",
        ),
        pytest.param(
            'version = 1\n[pins]\npython = { tag = "3", sha = "x" }\n', "expected", id="extra-field"
        ),
        pytest.param(
            'version = 1\n[pins]\npython = { tag = "3" }\n'
            '"docker.io/library/python" = { tag = "4" }\n',
            "pinned twice",
            id="two-spellings-disagree",
        ),
        pytest.param("version = 1\npins = [", "invalid TOML", id="toml"),
    ],
)
def test_bad_lock_files_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PinFileError) as caught:
        parse_lock(text, "manifesto.lock")
    assert message in str(caught.value)
    assert str(caught.value).startswith("manifesto.lock:")


def test_versions_and_the_most_specific_tag() -> None:
    assert version_of("3.13.1-slim-bookworm") == (3, 13, 1)
    assert version_of("v1.2") == (1, 2)
    assert version_of("3.14.0rc1") is None
    assert version_of("bookworm") is None
    assert version_of("latest") is None
    tags = ["3", "3.13", "latest", "3.13.1", "3.13.1-slim-bookworm", "slim", "3.13-slim"]
    assert most_specific_tag(tags) == "3.13.1-slim-bookworm"
    assert most_specific_tag(["3", "3.13"]) == "3.13"
    assert most_specific_tag(["latest", "stable"]) is None


def test_tag_for_a_digest_comes_from_the_pins_of_that_repository() -> None:
    pins = ImagePins(
        {
            _key("python"): Pin("3.13.1-bookworm", PY),
            _key("python:3.13"): Pin(None, PY),
            _key("nginx"): Pin("1.27.3", NG),
        }
    )
    ref = parse_image(f"docker.io/library/python@{PY}")
    assert ref is not None
    assert pins.tag_for_digest(ref) == "3.13.1-bookworm"
    other = parse_image(f"python@{NG}")
    assert other is not None
    assert pins.tag_for_digest(other) is None


def test_config_pins_and_keys(tmp_path: Path) -> None:
    config = tmp_path / ".manifesto.toml"
    config.write_text(
        'digest = true\nresolve = false\ninsecure-registries = ["registry.lan:5000"]\n'
        f'[pins]\n"python" = {{ tag = "3.13.1", digest = "{PY}" }}\n'
    )
    settings = load_config(config)
    assert settings.digest is True and settings.resolve is False
    assert settings.insecure_registries == ("registry.lan:5000",)
    assert dict(settings.pins) == {_key("python"): Pin("3.13.1", PY)}
    config.write_text('[pins]\npython = "3.13"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert "pins" in str(caught.value) and ":2:" in str(caught.value)


# --- offline, through the command line ---------------------------------------------------


def _manifesto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".cache"), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_fix_uses_the_lock_file_offline(tmp_path: Path) -> None:
    # the USER keeps MF401 (an image that runs as root) out of what `fix` applies
    (tmp_path / "Dockerfile").write_text(
        "ARG BASE=python\nFROM ${BASE}\nCOPY --from=nginx / /\nUSER nobody\n"
    )
    write_lock(tmp_path / "manifesto.lock", {_key("python"): Pin("3.13.1-bookworm", PY)})
    listed = _manifesto("pin", ".", cwd=tmp_path)
    assert listed.returncode == 1  # nginx is not pinned
    assert f"python  3.13.1-bookworm@{PY}" in listed.stdout
    assert "nginx  (not pinned)" in listed.stdout
    done = _manifesto("fix", "--unsafe-fixes", "--digest", ".", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # nginx stays a finding
    assert (tmp_path / "Dockerfile").read_text() == (
        f"ARG BASE=python:3.13.1-bookworm@{PY}\nFROM ${{BASE}}\nCOPY --from=nginx / /\n"
        "USER nobody\n"
    )
    assert "MF301" in done.stdout and "nginx" in done.stdout


def test_a_broken_lock_file_is_exit_2_and_nothing_written(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python\n")
    (tmp_path / "manifesto.lock").write_text("version = 7\n")
    done = _manifesto("fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert "manifesto.lock:1:1: unsupported lock version 7" in done.stderr
    assert dockerfile.read_text() == "FROM python\n"
