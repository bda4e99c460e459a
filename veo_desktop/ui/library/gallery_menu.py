"""View ▸ Gallery: the window's toggle between the task table and the gallery (with a key).

The window's menus exist before any session; the task panel (and its
:class:`~veo_desktop.ui.library.gallery.LibraryViews`) comes with a session. The action asks
the window for the panel each time it is triggered or its menu opens, so it needs no wiring
when sessions come and go (without one it does nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from veo_desktop.ui.shortcuts import shortcut

if TYPE_CHECKING:
    from veo_desktop.ui.window.main_window import MainWindow

GALLERY_TIP = "Show finished videos as a gallery of thumbnails instead of the table"


def add_gallery_toggle(window: MainWindow, menu: QMenu) -> QAction:
    """Add the checkable "Gallery" action (object name ``showGalleryAction``) to ``menu``
    and to ``window`` (so its key works with the menu bar hidden)."""
    action = QAction("&Gallery", window)
    action.setObjectName("showGalleryAction")
    action.setCheckable(True)
    action.setShortcuts(shortcut("toggle_gallery").sequences())
    action.setStatusTip(GALLERY_TIP)
    action.setToolTip(GALLERY_TIP)
    window.addAction(action)

    def sync() -> None:
        panel = window.task_panel
        action.setChecked(panel is not None and panel.views.gallery_shown)

    def toggle() -> None:
        panel = window.task_panel
        if panel is not None:
            panel.views.toggle()
            window.links.show_tasks()
        sync()

    action.triggered.connect(toggle)
    menu.aboutToShow.connect(sync)
    menu.addSeparator()
    menu.addAction(action)
    return action
