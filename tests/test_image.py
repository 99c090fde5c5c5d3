"""manifesto's own image (docker/Dockerfile) follows manifesto's rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_own_image_passes_every_rule() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "manifesto", "check", "--select", "ALL", "docker/Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 findings remaining" in result.stderr


def test_no_stray_dockerfile_at_the_root() -> None:
    # the repository's Dockerfile is manifesto's image, under docker/
    assert not (ROOT / "Dockerfile").exists()
