"""Windows and dialogs that fit the screen they open on (a 1024x640 laptop included)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

#: The share of the screen's free area a window may take by default (room for its frame).
SHARE = 0.9


def fitted_size(near: QWidget | None, wanted: QSize, share: float = SHARE) -> QSize:
    """``wanted``, made smaller where it would not fit ``share`` of the free area of the
    screen ``near`` is on (the primary screen when ``near`` is None)."""
    from PySide6.QtGui import QGuiApplication

    screen = near.screen() if near is not None else QGuiApplication.primaryScreen()
    room = screen.availableGeometry().size()
    return QSize(wanted).boundedTo(QSize(int(room.width() * share), int(room.height() * share)))
