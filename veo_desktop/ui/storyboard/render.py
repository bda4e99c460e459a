""" "Render film…": where to save it, the render with its progress and Cancel, and the result.

:class:`RenderFlow` asks where the film goes (Qt's save dialog, opened with ``open()`` in the
folder "Save as…" uses, :func:`~veo_desktop.ui.preview.save_dialog.save_folder`), then runs
the storyboard service's render as a job of the session (off the GUI thread: the service
hands the work to the film renderer's thread) and reports its progress. Cancel cancels the
job: the renderer leaves no half film behind. A film of mixed aspect ratios is refused with
the renderer's own words and a "Letterbox" choice; a finished film is announced with a way to
play it (in the film window) and to show it in its folder.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from veo_desktop.film.render import FilmReport
from veo_desktop.film.timeline import FilmError
from veo_desktop.safe_text import printable
from veo_desktop.storyboard import StoryboardError
from veo_desktop.ui.preview.save_dialog import DIALOG_SIZE, save_folder
from veo_desktop.ui.screen_fit import fitted_size
from veo_desktop.ui.storyboard.controller import StoryboardController
from veo_desktop.ui.storyboard.dialog_owner import DialogOwner
from veo_desktop.ui.tasks.files import reveal_in_file_manager

logger = logging.getLogger(__name__)

_FILTERS = "MP4 video (*.mp4);;All files (*)"
_UNSAFE = re.compile(r"[^\w\- ]+", re.UNICODE)


def film_name(board_name: str) -> str:
    """``my-film.mp4`` from the storyboard's name."""
    stem = "-".join(_UNSAFE.sub(" ", board_name).split()).lower()[:60].strip("-")
    return f"{stem or 'film'}.mp4"


class RenderFlow(DialogOwner, QObject):
    """Renders one storyboard to one file (see the module docstring).

    Args:
        controller: the storyboard controller.
        owner: the widget dialogs are window-modal to.

    Signals:
        started: the render began (the film's path).
        play_requested: the person asked to play the rendered film (its path).
        progress: how far it is, 0.0 to 1.0.
        finished: it ended: the film's path, or None (cancelled, refused or failed).
        said: a message for the panel's status line.
    """

    started = Signal(object)
    play_requested = Signal(object)
    progress = Signal(float)
    finished = Signal(object)
    said = Signal(str)

    def __init__(self, controller: StoryboardController, owner: QWidget) -> None:
        super().__init__(owner)
        self._controller = controller
        self._owner = owner
        self._job: asyncio.Task[FilmReport | Exception] | None = None
        #: The dialog or question open now (tests answer it); None when none is.
        self.dialog: QWidget | None = None
        #: The last film rendered (None until one is).
        self.film: Path | None = None

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.done()

    def ask(self, board_id: str, board_name: str) -> QFileDialog:
        """Ask where the film goes, then render it there."""
        folder = save_folder()
        dialog = QFileDialog(self._owner.window(), "Render film as", str(folder), _FILTERS)
        dialog.setObjectName("renderFilmDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix("mp4")
        dialog.setDirectory(str(folder))
        dialog.selectFile(film_name(board_name))
        dialog.resize(fitted_size(self._owner, DIALOG_SIZE))

        def chosen(name: str) -> None:
            if name:
                path = Path(name)
                self.start(board_id, path if path.is_absolute() else folder / path)

        dialog.fileSelected.connect(chosen)
        return self._show(dialog)

    def start(self, board_id: str, output: Path) -> asyncio.Task[FilmReport | Exception] | None:
        """Render ``board_id`` to ``output`` now (one render at a time)."""
        if self.running:
            self.said.emit("A film is being rendered already.")
            return None
        self._job = self._controller.render(board_id, output, on_progress=self.progress.emit)
        self._job.add_done_callback(lambda job: self._on_done(job, board_id, output))
        self.started.emit(output)
        self.said.emit(f"Rendering {printable(output.name, 200)}\u2026")
        return self._job

    def cancel(self) -> None:
        """Stop the render under way (nothing is left of the film)."""
        if self.running:
            assert self._job is not None
            self._job.cancel()

    def _on_done(
        self, job: asyncio.Task[FilmReport | Exception], board_id: str, output: Path
    ) -> None:
        if self._job is job:
            self._job = None
        if job.cancelled():
            self.said.emit("Render cancelled: no film was written.")
            self.finished.emit(None)
            return
        failure = job.exception()
        result: FilmReport | BaseException = job.result() if failure is None else failure
        if not isinstance(result, BaseException):
            self.film = result.output
            self.said.emit(f"Film saved as {printable(self.film.name, 200)}.")
            self.finished.emit(self.film)
            self.announce(self.film)
            return
        if isinstance(result, FilmError):
            # A refusal may be the renderer's of mixed shapes: offer to letterbox then.
            refusal = result
            check = self._controller.engine.run(
                self._controller.mixed_shapes(board_id), name="Checking the shots' shapes"
            )
            check.add_done_callback(lambda done: self._after_check(done, board_id, output, refusal))
            return
        self._failed(result)

    def _after_check(
        self, check: asyncio.Task[bool], board_id: str, output: Path, error: FilmError
    ) -> None:
        if not check.cancelled() and check.exception() is None and check.result():
            self.finished.emit(None)
            self.ask_letterbox(board_id, output, str(error))
        else:
            self._failed(error)

    def _failed(self, error: BaseException) -> None:
        self.finished.emit(None)
        if isinstance(error, FilmError | StoryboardError | OSError):
            self.said.emit("The film was not rendered.")
            self._tell("The film was not rendered", printable(str(error), 1000))
        else:  # a bug: the session's job registry logs it and tells the person
            self.said.emit("The film was not rendered.")

    def _tell(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok)
        box.setParent(self._owner.window(), box.windowFlags())
        box.setObjectName("renderProblem")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r: self._closed(box))
        self.dialog = box
        box.open()
        return box

    def ask_letterbox(self, board_id: str, output: Path, message: str) -> QMessageBox:
        """The renderer refused mixed aspect ratios: say why, and offer to letterbox."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Shots of different shapes",
            printable(message, 1000),
            QMessageBox.StandardButton.Cancel,
        )
        box.setParent(self._owner.window(), box.windowFlags())
        box.setObjectName("letterboxQuestion")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(
            "Letterbox fits every shot into the first shot's frame with black bars."
        )
        letterbox = box.addButton("Letterbox", QMessageBox.ButtonRole.AcceptRole)
        letterbox.setObjectName("letterboxButton")
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            self._closed(box)
            if box.clickedButton() is letterbox:
                try:
                    self._controller.set_letterbox(board_id, True)
                except (StoryboardError, KeyError) as error:
                    self.said.emit(printable(str(error), 500))
                    return
                self.start(board_id, output)
            else:
                self.said.emit("Nothing was rendered.")

        box.finished.connect(answered)
        self.dialog = box
        box.open()
        return box

    def announce(self, film: Path) -> QMessageBox:
        """Say the film is ready, with Play and Show in folder."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Film rendered",
            f"Your film is saved as \u201c{printable(film.name, 200)}\u201d.",
            QMessageBox.StandardButton.Close,
        )
        box.setParent(self._owner.window(), box.windowFlags())
        box.setObjectName("filmRenderedMessage")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setInformativeText(printable(str(film.parent), 500))
        play = box.addButton("Play", QMessageBox.ButtonRole.ActionRole)
        play.setObjectName("playFilmButton")
        folder = box.addButton("Show in folder", QMessageBox.ButtonRole.ActionRole)
        folder.setObjectName("showFilmButton")
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            self._closed(box)
            if box.clickedButton() is play:
                self.play_requested.emit(film)
            elif box.clickedButton() is folder:
                reveal_in_file_manager(film)

        box.finished.connect(answered)
        self.dialog = box
        box.open()
        return box
