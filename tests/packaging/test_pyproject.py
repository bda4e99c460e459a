"""The wheel carries resources/ as ``veo_desktop.assets``: pyproject's package list stays whole.

setuptools cannot combine package discovery with mapping a folder outside the package, so
pyproject lists the packages; this test fails when a new package is missing from the list.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _setuptools() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(data.get("tool", {}).get("setuptools", {}))


def _packages_on_disk() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "veo_desktop").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def test_every_package_and_the_resources_are_in_the_wheel() -> None:
    config = _setuptools()
    packages = config.get("packages")
    if not isinstance(packages, list):
        pytest.skip(
            "pyproject.toml still discovers packages, so resources/ is not in the wheel yet; "
            "apply the [tool.setuptools] lines from packaging/README.md"
        )
    assert set(packages) == _packages_on_disk() | {"veo_desktop.assets"}
    assert config.get("package-dir", {}) == {"veo_desktop.assets": "resources"}  # type: ignore[comparison-overlap]
    data = config.get("package-data", {})
    assert isinstance(data, dict)
    globs = data.get("veo_desktop.assets", [])
    for icon in (ROOT / "resources" / "icons").iterdir():
        assert any(icon.match(f"resources/{pattern}") for pattern in globs), icon.name
