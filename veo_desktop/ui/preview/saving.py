"""The preview's "Save as…": a copy of the video on show, wherever the person chooses
(Ctrl+S anywhere in the window). The copy runs without blocking the window.

The copy carries the task's recipe in its own metadata (``veo_desktop.film.recipe``) unless
the setting "Embed the recipe in saved videos" is off; the library's file is never changed.
A copy that worked is confirmed where the window's other confirmations appear, its status
bar ("Saved to /path/name.mp4"); one that failed says why in words (a message box).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStatusBar, QWidget

from veo_desktop.core.settings import Settings
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.preview.controls import save_button
from veo_desktop.ui.preview.save_dialog import ask_save_path, save_error_text
from veo_desktop.ui.tasks.icons import glyph_icon

#: How long "Saved to …" stays in the status bar (ms).
CONFIRMATION_MS = 10_000


class VideoSaver(QObject):
    """The "Save as…" button and window-wide action, and the copies they make.

    Args:
        owner: the widget the button and action belong to (and dialogs open over).
        task: the task on show.
        source: the video file loaded into the player.
    """

    #: A copy of the video was saved (the path).
    saved = Signal(object)
    #: Saving a copy failed (a message to show).
    save_failed = Signal(str)

    def __init__(
        self,
        owner: QWidget,
        *,
        task: Callable[[], TaskRecord | None],
        source: Callable[[], Path | None],
    ) -> None:
        super().__init__(owner)
        self._owner = owner
        self._task = task
        self._source = source
        self._jobs = JobRegistry()

        self.save_button = save_button(owner)

        self.save_action = QAction(glyph_icon("save"), "Save video as\u2026", owner)
        self.save_action.setObjectName("previewSaveAction")
        self.save_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        self.save_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.save_action.setStatusTip("Save a copy of the previewed video")
        owner.addAction(self.save_action)
        self.save_button.clicked.connect(self.save_action.trigger)
        self.save_action.triggered.connect(self.on_save_action_triggered)

    def set_enabled(self, enabled: bool) -> None:
        """Offer saving only while there is a video."""
        self.save_button.setEnabled(enabled)
        self.save_action.setEnabled(enabled)

    @Slot()
    def on_save_action_triggered(self) -> None:
        task = self._task()
        if task is None or self._source() is None:
            return
        ask_save_path(self._owner, task, self.save_to)

    def save_to(self, destination: Path) -> asyncio.Task[Path | None] | None:
        """Copy the video on show to ``destination`` (the dialog's answer; tests call it)."""
        source = self._source()
        task = self._task()
        if source is None or task is None:
            return None
        embed = embed_recipe_wanted(self._owner)

        async def save() -> Path | None:
            from veo_desktop.film.recipe import export_copy

            try:
                saved = await asyncio.to_thread(export_copy, task, source, destination, embed=embed)
            except OSError as error:
                message = save_error_text(source, destination, error)
                self.save_failed.emit(message)
                box = QMessageBox(
                    QMessageBox.Icon.Warning, "Video not saved", message, parent=self._owner
                )
                box.setObjectName("saveFailedBox")
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()
                return None
            self._tell(f"Saved to {printable(str(saved), 500)}")
            self.saved.emit(saved)
            return saved

        return self._jobs.start(save(), name="Saving the previewed video")

    def carried(self, source: Path) -> Path | None:
        """The file a drag of ``source`` out of the preview hands out: a cached copy that
        carries the recipe of the task on show (``ui.tasks.recipe_drag``), or ``source``;
        None: no drag (its copy was not ready in time)."""
        from veo_desktop.ui.tasks.recipe_drag import carried_file

        return carried_file(self._owner, self._task(), source)

    def _tell(self, text: str) -> None:
        """Show ``text`` in the window's status bar (where its confirmations appear)."""
        window = self._owner.window()
        bar = window.statusBar() if isinstance(window, QMainWindow) else None
        if bar is None:
            bar = window.findChild(QStatusBar)
        if bar is not None:
            bar.showMessage(text, CONFIRMATION_MS)

    def cancel(self) -> None:
        """Cancel copies still running (the window is closing)."""
        self._jobs.cancel_all()


def embed_recipe_wanted(widget: QWidget) -> bool:
    """Whether copies carry their recipe: the setting of the window ``widget`` is in."""
    settings = getattr(widget.window(), "settings", None)
    return settings.embed_recipe if isinstance(settings, Settings) else True
