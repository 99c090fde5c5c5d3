"""Third-party rules through the ``manifesto.fixers`` entry points, installed by pip
into a virtualenv of their own, as a user installs them."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write

PLUGINS = Path(__file__).parent / "data" / "plugins"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv that sees this environment's packages (manifesto among them,
    through its own .pth files) and has the plugin packages installed by pip."""
    root = tmp_path_factory.mktemp("plugin-venv")
    env_dir = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=300, capture_output=True
    )
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    # addsitedir, not a bare path: this environment's own .pth files (the editable
    # install of manifesto) must run too
    ours = site.getsitepackages()[0]
    (Path(purelib) / "zz_host.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    for name in ("manifesto-no-add", "manifesto-boom"):
        copy = root / name
        shutil.copytree(PLUGINS / name, copy)
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-index",
                "--no-deps",
                "--no-build-isolation",
                str(copy),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    return env_dir


def manifesto(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYTHONPATH")}
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "manifesto", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_plugin_rule_is_listed_explained_and_applied(venv: Path, tmp_path: Path) -> None:
    rules = manifesto(venv, "rules", cwd=tmp_path)
    assert rules.returncode == 0, rules.stderr
    assert "ACME101  add_used" in rules.stdout
    assert "BOOM100" in rules.stdout
    explained = manifesto(venv, "explain", "acme101", cwd=tmp_path)
    assert explained.returncode == 0
    assert "Replaces the ADD keyword by COPY." in explained.stdout

    path = write(tmp_path / "Dockerfile", "FROM debian:12\nADD app.py /app/\nUSER nobody\n")
    fixed = manifesto(venv, "fix", "--select", "ACME1", "Dockerfile", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert path.read_text() == "FROM debian:12\nCOPY app.py /app/\nUSER nobody\n"


def test_plugin_rule_follows_the_configuration(venv: Path, tmp_path: Path) -> None:
    text = "FROM debian:12\nADD app.py /app/\nUSER nobody\n"
    path = write(tmp_path / "Dockerfile", text)
    write(tmp_path / "manifesto.toml", 'ignore = ["add_used", "add_local_files"]\n')
    result = manifesto(venv, "fix", "Dockerfile", cwd=tmp_path)
    assert path.read_text() == text
    assert "ACME101" not in result.stdout
    write(tmp_path / "manifesto.toml", 'select = ["ACME101"]\n')
    checked = manifesto(venv, "check", "Dockerfile", cwd=tmp_path)
    assert checked.returncode == 1
    assert "ACME101" in checked.stdout
    assert "MF" not in checked.stdout  # only the plugin's rule was selected


def test_bad_plugins_are_left_out_with_their_names(venv: Path, tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM debian:12\nUSER nobody\n")
    result = manifesto(venv, "check", "Dockerfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "plugin 'collides' (manifesto_boom:Collides, from manifesto-boom)" in result.stderr
    assert "MF prefix is manifesto's own" in result.stderr
    assert "plugin 'missing' (manifesto_boom_not_there, from manifesto-boom) cannot be" in (
        result.stderr
    )
    assert "ModuleNotFoundError" in result.stderr


def test_a_plugin_that_raises_does_not_take_the_run_down(venv: Path, tmp_path: Path) -> None:
    boom = write(tmp_path / "a" / "Dockerfile", "FROM debian:12\nLABEL x=BOOM\nADD a /a\n")
    fine = write(tmp_path / "b" / "Dockerfile", "FROM debian:12\nADD b /b\nUSER nobody\n")
    result = manifesto(venv, "fix", "--select", "ACME101,BOOM100", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "a/Dockerfile:1:1: rule BOOM100 (boom) failed: RuntimeError: the plugin exploded"
        " (file left unchanged; please report this to manifesto-boom)"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert boom.read_text() == "FROM debian:12\nLABEL x=BOOM\nADD a /a\n"
    assert fine.read_text() == "FROM debian:12\nCOPY b /b\nUSER nobody\n"
