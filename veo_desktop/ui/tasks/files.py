"""Videos on disk from the person's side: the name a copy is offered under, the file a task's
video is in, dragging it out, showing it in the file manager.

Where "Save as…" asks (the dialog, its starting folder, what a failed copy says) is
:mod:`veo_desktop.ui.preview.save_dialog`, shared by the preview and the task list.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QDesktopServices

from veo_desktop.records.task import TaskRecord

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^\w\- ]+", re.UNICODE)


def suggested_name(task: TaskRecord) -> str:
    """A file name from the prompt's first words: ``a-red-fox-in-snow.mp4``."""
    words = _UNSAFE.sub(" ", task.prompt).split()[:8]
    stem = "-".join(words).lower()[:60].strip("-") or f"veo-{task.short_id}"
    suffix = Path(task.files[0]).suffix if task.files else ".mp4"
    return f"{stem}{suffix or '.mp4'}"


def video_file(task: TaskRecord | None) -> Path | None:
    """The task's downloaded video if it is on disk."""
    if task is None or not task.files:
        return None
    path = Path(task.files[0])
    return path if path.is_file() else None


def file_mime(path: Path) -> QMimeData:
    """Mime data carrying ``path`` as a file URL (what file managers accept on drop)."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    return data


def reveal_in_file_manager(path: Path) -> bool:
    """Show ``path`` selected in the file manager (its folder, where selecting is not offered)."""
    if sys.platform == "darwin":
        from PySide6.QtCore import QProcess

        return QProcess.startDetached("open", ["-R", str(path)])[0]
    if sys.platform == "win32":
        from PySide6.QtCore import QProcess

        return QProcess.startDetached("explorer.exe", [f"/select,{path}"])[0]
    if _show_items_over_dbus(path):
        return True
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def _show_items_over_dbus(path: Path) -> bool:
    """The freedesktop FileManager1 interface (Nautilus, Dolphin, Nemo, Thunar...)."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    interface = QDBusInterface(
        "org.freedesktop.FileManager1",
        "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1",
        bus,
    )
    if not interface.isValid():
        return False
    reply = interface.call("ShowItems", [QUrl.fromLocalFile(str(path)).toString()], "")
    if reply.type() == QDBusMessage.MessageType.ErrorMessage:
        logger.info("The file manager could not show %s: %s", path, reply.errorMessage())
        return False
    return True
