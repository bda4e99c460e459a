"""README shows the app: its images are real 1600x1000 PNGs under resources/screenshots/,
small enough for a README, and packaging/screenshots.py (which makes them) still runs."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "resources" / "screenshots"
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (fails when the file is not a PNG)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} has no IHDR chunk first"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def readme_images() -> list[tuple[str, str]]:
    return IMAGE.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_shows_existing_screenshots_with_alt_text() -> None:
    images = readme_images()
    assert len(images) >= 2, "README shows no screenshots"
    for alt, target in images:
        assert alt.strip(), f"{target} has no alt text"
        path = (ROOT / target).resolve()
        assert path.parent == SCREENSHOTS, f"{target} is not under resources/screenshots/"
        assert path.is_file(), f"README shows {target}, which does not exist"
        assert png_size(path) == (1600, 1000), target
        assert path.stat().st_size < 400 * 1024, f"{target} is over 400 KB"


def test_every_screenshot_is_shown_in_the_readme() -> None:
    shown = {(ROOT / target).resolve() for _alt, target in readme_images()}
    for path in SCREENSHOTS.iterdir():
        assert path in shown, f"{path.name} is not in README (delete it or show it)"


def test_the_screenshot_script_renders_the_window(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "screenshots.py"), "--check", "--out", tmp_path],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shot = tmp_path / "check.png"
    assert png_size(shot) == (1600, 1000)
    assert shot.stat().st_size < 400 * 1024
