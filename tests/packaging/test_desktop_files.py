"""The Linux desktop integration files validate with the freedesktop tools and agree."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import veo_desktop

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.veo_desktop.VeoDesktop"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
INSTALL_HINT = "install it with: bash packaging/setup.sh --test (apt-get install {})"


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed; " + INSTALL_HINT.format(package))
    return path


def test_the_desktop_file_validates() -> None:
    tool = _tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run(
        [tool, str(DESKTOP)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()


def test_the_metainfo_validates_offline() -> None:
    tool = _tool("appstreamcli", "appstream")
    result = subprocess.run(
        [tool, "validate", "--no-net", "--explain", str(METAINFO)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_file_launches_the_installed_command_with_our_icon() -> None:
    entry = _desktop_entry()
    assert entry["Exec"].split()[0] == "veo-desktop"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert "AudioVideo" in entry["Categories"].split(";")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'veo-desktop = "veo_desktop.app:main"' in pyproject


def test_the_metainfo_describes_this_app_and_version() -> None:
    tree = ET.parse(METAINFO)
    component = tree.getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("name") == _desktop_entry()["Name"]
    assert component.findtext("provides/binary") == "veo-desktop"
    assert component.findtext("developer_name")  # AppStream 0.16 (Debian 12) wants it
    versions = [release.get("version") for release in component.iter("release")]
    assert versions[0] == veo_desktop.__version__, "add a <release> for the new version"


def test_the_bundle_installer_script_is_valid_bash() -> None:
    script = LINUX / "install-desktop-entry.sh"
    result = subprocess.run(
        ["bash", "-n", str(script)], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert script.stat().st_mode & 0o111, "install-desktop-entry.sh must be executable"


def test_the_app_announces_the_desktop_file_id() -> None:
    from veo_desktop.resources import DESKTOP_FILE_ID

    assert DESKTOP_FILE_ID == APP_ID == DESKTOP.stem
