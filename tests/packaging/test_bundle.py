"""The bundle tier: build the PyInstaller bundle from a clean venv and run it.

    .venv/bin/python -m pytest -m bundle tests/packaging      # ~2-3 minutes

Builds with packaging/build-bundle.sh into build/bundle/ and dist/ (both gitignored);
``VEO_BUNDLE_KEEP_VENV=1`` reuses the build venv for a faster rebuild. The frozen app then
runs its self-test headless (offscreen), the archive is checked, and the desktop entry is
installed into a temporary XDG data folder and validated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import veo_desktop

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
BUNDLE = DIST / "veo-desktop"
PROGRAM = BUNDLE / ("veo-desktop.exe" if sys.platform == "win32" else "veo-desktop")
APP_ID = "io.github.veo_desktop.VeoDesktop"

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the build script is bash"),
]


@pytest.fixture(scope="module")
def build() -> Iterator[str]:
    """Build once for the module; yields the build script's output."""
    args = ["bash", str(ROOT / "packaging" / "build-bundle.sh")]
    if os.environ.get("VEO_BUNDLE_KEEP_VENV") == "1":
        args.append("--keep-venv")
    started = time.monotonic()
    result = subprocess.run(
        args, capture_output=True, text=True, check=False, timeout=1800, cwd=ROOT
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    report = [line for line in output.splitlines() if line.startswith(("bundle:", "build time:"))]
    sys.stdout.write(f"\n{chr(10).join(report)} (test saw {time.monotonic() - started:.0f} s)\n")
    yield output


def _frozen(*args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    clean.update({"QT_QPA_PLATFORM": "offscreen", **env})
    return subprocess.run(
        [str(PROGRAM), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=clean,
        cwd=Path.home() if Path.home().is_dir() else "/",
    )


def test_the_frozen_app_passes_its_self_test(build: str) -> None:
    result = _frozen("--self-test")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "self-test (frozen)" in result.stdout
    assert "frames reached a QVideoSink" in result.stdout
    assert f"{BUNDLE}" in result.stdout  # the icons came from inside the bundle
    assert result.stdout.splitlines()[-1].startswith("self-test passed")


def test_the_archive_holds_the_bundle(build: str) -> None:
    version = veo_desktop.__version__
    (archive,) = DIST.glob(f"veo-desktop-{version}-linux-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "veo-desktop/veo-desktop" in names
    assert "veo-desktop/install-desktop-entry.sh" in names
    assert f"veo-desktop/share/applications/{APP_ID}.desktop" in names
    assert any(name.endswith("libffmpegmediaplugin.so") for name in names)
    assert any(name.startswith("veo-desktop/_internal/av/") for name in names), "PyAV missing"


def test_unused_qt_parts_are_left_out(build: str) -> None:
    internal = BUNDLE / "_internal"
    files = [path.relative_to(internal).as_posix() for path in internal.rglob("*")]
    for unwanted in ("Qt6Pdf", "Qt6WebEngine", "Qt6VirtualKeyboard", "Qt6Quick3D", "libgtk-3"):
        assert not [name for name in files if unwanted in name], unwanted
    assert not [name for name in files if "/qml/" in name]
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in files
    assert "PySide6/Qt/plugins/platforms/libqwayland.so" in files


def test_every_bundled_library_resolves(build: str) -> None:
    if shutil.which("ldd") is None:
        pytest.skip("ldd is not installed")
    internal = BUNDLE / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    missing = []
    for path in internal.rglob("*.so*"):
        if not path.is_file():
            continue
        result = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, check=False, timeout=60, env=env
        )
        missing += [
            f"{path.relative_to(internal)}: {line.strip()}"
            for line in result.stdout.splitlines()
            if "not found" in line
        ]
    assert not missing, "\n".join(missing)


def test_the_installed_package_finds_its_icons(build: str) -> None:
    """The wheel carries resources/ as veo_desktop.assets (pyproject package-dir mapping)."""
    python = ROOT / "build" / "bundle" / "venv" / "bin" / "python"
    result = subprocess.run(
        [
            str(python),
            "-c",
            "from veo_desktop.resources import resource_root; print(resource_root())",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages/veo_desktop/assets" in result.stdout, result.stdout


def test_the_desktop_entry_installs_into_the_menu(build: str, tmp_path: Path) -> None:
    data_home = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    script = BUNDLE / "install-desktop-entry.sh"
    result = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, check=False, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    desktop = data_home / "applications" / f"{APP_ID}.desktop"
    text = desktop.read_text(encoding="utf-8")
    assert f'Exec="{PROGRAM}"\n' in text
    assert f'Exec="{PROGRAM}" --demo\n' in text
    assert f"TryExec={PROGRAM}\n" in text
    for size in (16, 48, 256, 512):
        assert (
            data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        ).is_file()
    assert (data_home / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(desktop)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
    removed = subprocess.run(
        ["bash", str(script), "--uninstall"], capture_output=True, text=True, check=False, env=env
    )
    assert removed.returncode == 0, removed.stderr
    assert not desktop.exists()
