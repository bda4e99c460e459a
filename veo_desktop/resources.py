"""Finding the app's icons, wherever Veo Desktop runs from.

The files live in the repository's top-level ``resources/`` folder. An installed wheel carries
them as the data package ``veo_desktop.assets`` and the frozen bundle at the same place
(``veo_desktop/assets``); a checkout or an editable install reads the repository folder.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

APP_ICON = "veo-desktop"
#: The reverse-DNS id of the .desktop file and AppStream metainfo (packaging/linux/). Pass it to
#: ``QGuiApplication.setDesktopFileName`` so Wayland compositors and docks match the window to
#: the menu entry and its icon.
DESKTOP_FILE_ID = "io.github.veo_desktop.VeoDesktop"
#: The PNG sizes rendered from the SVG (packaging/render_icons.py).
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


class ResourceNotFoundError(FileNotFoundError):
    """A file that ships with the app is missing: the installation is incomplete."""


def resource_dirs() -> list[Path]:
    """Where resources may be, most specific first (only existing folders)."""
    here = Path(__file__).resolve().parent
    candidates = [here / "assets", here.parent / "resources"]
    return [path for path in candidates if (path / "icons").is_dir()]


@functools.cache
def resource_root() -> Path:
    """The folder holding ``icons/``.

    Raises:
        ResourceNotFoundError: no copy of the resources is installed.
    """
    found = resource_dirs()
    if not found:
        here = Path(__file__).resolve().parent
        raise ResourceNotFoundError(
            f"Veo Desktop's resources are missing (looked in {here / 'assets'} and "
            f"{here.parent / 'resources'}); reinstall the app."
        )
    return found[0]


def icon_path(name: str) -> Path:
    """The path of ``icons/<name>``; ``name`` may omit the extension (``.svg`` is tried first).

    Raises:
        ResourceNotFoundError: no such icon ships with the app.
    """
    icons = resource_root() / "icons"
    candidates = (
        [icons / name]
        if Path(name).suffix
        else [icons / f"{name}{ext}" for ext in (".svg", ".png")]
    )
    for path in candidates:
        if path.is_file():
            return path
    raise ResourceNotFoundError(f"no icon {name!r} in {icons}")


def app_icon() -> QIcon:
    """The app and window icon, from every rendered PNG size (Qt scales between them)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_path(f"{APP_ICON}-{size}.png")), QSize(size, size))
    return icon
