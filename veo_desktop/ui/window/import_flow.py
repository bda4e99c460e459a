"""File ▸ Import videos…: a folder of Veo videos (from another machine, an old library) joins
the library.

:class:`ImportFlow` asks for the folder (``importFolderDialog``), runs the import off the GUI
thread through the controller (``EngineController.import_videos``: the videos are copied
into the library as finished tasks, duplicates skipped) and says what happened in a message
box (``importResultBox``: how many were imported, and each skipped video with the reason)
and the status bar.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from veo_desktop.safe_text import printable

if TYPE_CHECKING:
    from veo_desktop.core.library_import import ImportResult
    from veo_desktop.ui.window.main_window import MainWindow

#: How many skipped videos the result box lists by name.
LISTED = 8


class ImportFlow(QObject):
    """The window's "Import videos…" action: choose a folder, import, report."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.dialog: QFileDialog | None = None
        self.result_box: QMessageBox | None = None
        #: The import under way (one at a time: two would both see the same known tasks).
        self.running: asyncio.Task[Any] | None = None

    def choose_folder(self) -> None:
        """Ask for the folder to import from (a non-blocking folder dialog)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return
        dialog = QFileDialog(self._window, "Import videos from a folder", str(Path.home()))
        dialog.setObjectName("importFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setLabelText(QFileDialog.DialogLabel.Accept, "Import")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.import_from(Path(name)))
        dialog.finished.connect(self.on_dialog_finished)
        self.dialog = dialog
        dialog.open()

    def on_dialog_finished(self, _result: int) -> None:
        self.dialog = None

    def import_from(self, folder: Path) -> asyncio.Task[Any] | None:
        """Import the videos of ``folder`` (the dialog's answer; tests call it). While an
        import runs, another is not started: a box says so and None is returned."""
        window = self._window
        session = window.session
        if session is None:
            return None
        if self.running is not None and not self.running.done():
            self.show_result(
                "Import already running",
                "An import is already running. Wait for it to finish, then import again.",
            )
            return None
        window.status.showMessage(f"Importing videos from {printable(folder.name, 80)}…")

        async def run() -> ImportResult | None:
            try:
                result = await session.controller.import_videos(folder)
            except OSError as error:
                self.show_result(
                    "Videos not imported", f"Nothing was imported: {printable(str(error), 400)}"
                )
                return None
            if window.session is session:
                self.report(result)
            return result

        self.running = window.run(run(), "Importing videos")
        return self.running

    def report(self, result: ImportResult) -> None:
        """Say what an import did: the status bar, and a box listing what was skipped."""
        summary = result.summary()
        self._window.status.showMessage(summary, 15000)
        title = "Videos imported" if result.added else "No videos imported"
        self.show_result(title, summary, result.details(LISTED))

    def show_result(self, title: str, text: str, lines: list[str] | None = None) -> None:
        if self.result_box is not None:
            # Its (later) deletion must not forget the box made now.
            self.result_box.destroyed.disconnect(self.on_box_destroyed)
            self.result_box.close()
        icon = QMessageBox.Icon.Information if not lines else QMessageBox.Icon.Warning
        box = QMessageBox(icon, title, text, parent=self._window)
        box.setObjectName("importResultBox")
        if lines:
            box.setInformativeText("Skipped:\n" + "\n".join(lines))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(self.on_box_destroyed)
        self.result_box = box
        box.open()

    def on_box_destroyed(self) -> None:
        self.result_box = None
