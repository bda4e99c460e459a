"""The bottom of the Storyboard tab: Generate missing shots, Play film, Render film, and the
progress of what runs (a bar, a Cancel button, a line of words).

It also opens the storyboard's windows: the generate confirmation
(:class:`~veo_desktop.ui.storyboard.generate.GenerateDialog`), the more-takes confirmation
(:class:`~veo_desktop.ui.storyboard.takes_dialog.MoreTakesDialog`), the render
(:class:`~veo_desktop.ui.storyboard.render.RenderFlow`), the trim editor, the sequence player
and the comparison of two takes (:mod:`veo_desktop.ui.compare`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.records.storyboard import Shot, Storyboard
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.storyboard import GenerateProgress, GenerateResult, StoryboardError
from veo_desktop.ui import style
from veo_desktop.ui.storyboard.controller import StoryboardController
from veo_desktop.ui.storyboard.dialog_owner import DialogOwner
from veo_desktop.ui.storyboard.generate import GenerateDialog
from veo_desktop.ui.storyboard.render import RenderFlow
from veo_desktop.ui.storyboard.takes_dialog import MoreTakesDialog
from veo_desktop.ui.tasks.files import video_file

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.ui.compare import CompareWindow
    from veo_desktop.ui.storyboard.film_window import FilmWindow
    from veo_desktop.ui.storyboard.trim_dialog import TrimDialog

logger = logging.getLogger(__name__)


class FilmBar(DialogOwner, QWidget):
    """The film's actions and the progress of the one running (see the module docstring).

    Signals:
        said: a line for the person (shown under the buttons).
        current_shot_changed: the film player moved to this shot (its index).
    """

    said = Signal(str)
    current_shot_changed = Signal(int)

    def __init__(
        self,
        controller: StoryboardController,
        owner: QWidget,
        *,
        spending_cap: Callable[[], SpendingCap | None] | None = None,
    ) -> None:
        super().__init__(owner)
        self.setObjectName("filmBar")
        self._controller = controller
        self._owner = owner
        self._spending_cap = spending_cap
        self._board: Storyboard | None = None
        self._generate_job: asyncio.Task[Any] | None = None
        self._takes_job: asyncio.Task[Any] | None = None
        self._film_rows: list[int] = []
        #: The dialog open now (tests answer it); None when none is.
        self.dialog: QWidget | None = None
        self.compare_window: CompareWindow | None = None
        self.film_window: FilmWindow | None = None
        self.render_flow = RenderFlow(controller, owner)
        self.generate_button = QPushButton("&Generate missing\u2026")
        self.generate_button.setObjectName("generateShotsButton")
        self.play_button = QPushButton("P&lay film")
        self.play_button.setObjectName("playFilmButton")
        self.play_button.setToolTip("Play the chosen takes in order, with their trims")
        self.render_button = QPushButton("Re&nder film\u2026")
        self.render_button.setObjectName("renderFilmButton")
        self.render_button.setToolTip("Join the chosen takes into one MP4 file")
        self.progress = QProgressBar()
        self.progress.setObjectName("storyboardProgress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("storyboardCancelButton")
        self.message = QLabel()
        self.message.setObjectName("storyboardMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        style.follow_hint_color(self.message)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.generate_button)
        buttons.addStretch(1)
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.render_button)
        running = QHBoxLayout()
        running.addWidget(self.progress, 1)
        running.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addLayout(running)
        layout.addWidget(self.message)
        self._show_running(False)
        self.generate_button.clicked.connect(self.generate)
        self.play_button.clicked.connect(self.play)
        self.render_button.clicked.connect(self.render_film)
        self.cancel_button.clicked.connect(self.cancel)
        self.render_flow.started.connect(self.on_render_flow_started)
        self.render_flow.progress.connect(self.on_render_flow_progress)
        self.render_flow.finished.connect(self.on_render_flow_finished)
        self.render_flow.said.connect(self.show_message)
        self.render_flow.play_requested.connect(self.play_file)

    # -- state ----------------------------------------------------------------------------

    def show_board(self, board: Storyboard | None) -> None:
        """Enable what ``board`` allows (and say what Generate would cost)."""
        self._board = board
        has_shots = board is not None and bool(board.shots)
        busy = self.generating or self.render_flow.running
        self.generate_button.setEnabled(has_shots and not self.generating)
        self.play_button.setEnabled(has_shots)
        self.render_button.setEnabled(has_shots and not busy)
        if board is not None and board.shots:
            try:
                summary = self._controller.plan(board.id).summary()
            except (StoryboardError, KeyError) as error:
                summary = str(error)
            self.generate_button.setToolTip(f"{summary}. Shows the price before anything is sent")
        else:
            self.generate_button.setToolTip("Add shots first")

    @property
    def generating(self) -> bool:
        return self._generate_job is not None and not self._generate_job.done()

    def show_message(self, text: str) -> None:
        self.message.setText(printable(text, 600))

    def _show_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)

    def cancel(self) -> None:
        """Cancel what runs: the render (no film is left), or the wait for the shots (what
        was sent goes on in Tasks; Generate again sends nothing twice)."""
        if self.render_flow.running:
            self.render_flow.cancel()
        elif self.generating:
            assert self._generate_job is not None
            self._generate_job.cancel()

    # -- generate -------------------------------------------------------------------------

    def generate(self) -> GenerateDialog | None:
        """Show what Generate would send and its price; send only once confirmed."""
        board = self._board
        if board is None or self.generating:
            return None
        try:
            plan = self._controller.plan(board.id)
        except (StoryboardError, KeyError) as error:
            self.show_message(str(error))
            return None
        cap = self._spending_cap() if self._spending_cap is not None else None
        dialog = GenerateDialog(self._controller.engine, plan, cap, self._owner.window())
        dialog.confirmed.connect(lambda total, over: self._start_generate(board.id, total, over))
        dialog.declined.connect(lambda: self.show_message("Nothing was sent."))
        return self._show(dialog)

    def _start_generate(self, board_id: str, approved: Decimal, over_cap: bool) -> None:
        job = self._controller.generate(
            board_id, approved=approved, over_cap=over_cap, on_progress=self.on_generate_progress
        )
        self._generate_job = job
        job.add_done_callback(self._on_generate_done)
        self.progress.setValue(0)
        self._show_running(True)
        self.show_message("Sending the missing shots\u2026")
        self.show_board(self._board)

    def on_generate_progress(self, progress: GenerateProgress) -> None:
        steps = max(1, progress.to_send * 2)
        made = progress.sent + max(0, progress.sent - progress.running)
        self.progress.setValue(min(1000, made * 1000 // steps))
        text = f"{progress.sent} of {progress.to_send} sent, {progress.ready} of "
        text += f"{progress.shots} shots ready"
        self.show_message(f"{text}. {progress.message}" if progress.message else text)

    def _on_generate_done(self, job: asyncio.Task[GenerateResult | Exception]) -> None:
        if self._generate_job is job:
            self._generate_job = None
        self._show_running(False)
        self.show_board(self._board)
        if job.cancelled():
            self.show_message(
                "Stopped waiting. What was sent goes on in Tasks; Generate again sends "
                "only what is still missing."
            )
            return
        error = job.exception()
        result = job.result() if error is None else None
        if result is None or isinstance(result, Exception):
            # An unexpected failure is also reported by the session's job registry.
            self.show_message(f"Nothing more was sent: {result or error}")
            return
        if result.failures:
            self.show_message("Some shots were not made: " + "; ".join(result.failures))
        elif result.ready:
            self.show_message("Every shot has its take: the film can be rendered.")
        else:
            self.show_message(result.plan.summary() + ".")

    # -- render, play, trim, compare ------------------------------------------------------

    def render_film(self) -> None:
        board = self._board
        if board is not None:
            self.render_flow.ask(board.id, board.name)

    def on_render_flow_started(self, _output: object) -> None:
        self.progress.setValue(0)
        self._show_running(True)
        self.show_board(self._board)

    def on_render_flow_progress(self, fraction: float) -> None:
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * 1000))

    def on_render_flow_finished(self, _film: object) -> None:
        self._show_running(self.generating)
        self.show_board(self._board)

    def clips(self, board: Storyboard) -> list[tuple[str, float | None, float | None]]:
        """The chosen takes on disk, with their trims, in film order (and which shot each
        one is: :attr:`_film_rows`)."""
        clips: list[tuple[str, float | None, float | None]] = []
        self._film_rows = []
        for row, shot in enumerate(board.shots):
            task = self._controller.task(shot.chosen) if shot.chosen else None
            path = video_file(task)
            if path is None:
                continue
            start, end = shot.trim if shot.trim is not None else (None, None)
            clips.append((str(path), start, end))
            self._film_rows.append(row)
        return clips

    def play(self) -> FilmWindow | None:
        """Play the chosen takes in order, gaplessly, in the film window."""
        board = self._board
        if board is None:
            return None
        clips = self.clips(board)
        if len(clips) < len(board.shots):
            missing = len(board.shots) - len(clips)
            self.show_message(
                f"{missing} of {len(board.shots)} shots have no chosen take on disk yet: "
                "the film plays without them."
            )
        if not clips:
            return None
        window = self._film_window()
        window.set_film(board.name, clips)
        window.show()
        window.raise_()
        return window

    def _film_window(self) -> FilmWindow:
        from veo_desktop.ui.storyboard.film_window import FilmWindow

        if self.film_window is None:
            self.film_window = FilmWindow(self._owner.window())
            self.film_window.current_shot_changed.connect(self.on_film_window_shot_changed)
            self.film_window.destroyed.connect(self._on_film_window_destroyed)
        return self.film_window

    def play_file(self, film: object) -> FilmWindow:
        """Play a rendered film (one file) in the film window."""
        self._film_rows = []
        window = self._film_window()
        window.set_film(Path(str(film)).name, [(str(film), None, None)])
        window.show()
        window.raise_()
        return window

    def on_film_window_shot_changed(self, index: int) -> None:
        if 0 <= index < len(self._film_rows):
            self.current_shot_changed.emit(self._film_rows[index])

    def _on_film_window_destroyed(self) -> None:
        self.film_window = None

    def trim(self, board_id: str, shot: Shot, task: TaskRecord) -> TrimDialog | None:
        """Open the trim editor on the shot's chosen take; its OK keeps the trim."""
        path = video_file(task)
        if path is None:
            self.show_message("The chosen take's video is not on this computer.")
            return None
        from veo_desktop.ui.storyboard.trim_dialog import TrimDialog

        dialog = TrimDialog(path, shot.trim, self._owner.window())
        if self._board is not None and shot.id in {s.id for s in self._board.shots}:
            number = self._board.index_of(shot.id) + 1
            dialog.setWindowTitle(f"Trim shot {number}")

        def keep(trim: object) -> None:
            try:
                self._controller.set_trim(board_id, shot.id, trim)  # type: ignore[arg-type]
            except (StoryboardError, KeyError) as error:
                self.show_message(str(error))

        dialog.trim_chosen.connect(keep)
        return self._show(dialog)

    def more_takes(self, board_id: str, shot: Shot) -> MoreTakesDialog | None:
        """Ask how many more takes of the shot to make, with their price (the one money
        policy's question); once confirmed, send them the storyboard's durable way: each
        take is on the shot before its POST leaves, so a crash neither repeats nor loses one."""
        board = self._board
        if shot.request is None or shot.problem is not None:
            return None
        if self.sending_takes:
            self.show_message("More takes are being sent; wait a moment.")
            return None
        try:
            problem = self._controller.takes_problem(board_id, shot.id)
        except KeyError:
            problem = "The shot is no longer in the storyboard."
        if problem is not None:
            self.show_message(f"{problem} Nothing was sent.")
            return None
        number = board.index_of(shot.id) + 1 if board is not None and board.id == board_id else 1
        cap = self._spending_cap() if self._spending_cap is not None else None
        dialog = MoreTakesDialog(
            self._controller.engine,
            shot.request,
            number,
            2,
            cap,
            self._owner.window(),
            start=shot.start,
        )
        dialog.confirmed.connect(
            lambda count, total, over: self._send_takes(board_id, shot.id, count, total, over)
        )
        dialog.declined.connect(lambda: self.show_message("Nothing was sent."))
        return self._show(dialog)

    @property
    def sending_takes(self) -> bool:
        return self._takes_job is not None and not self._takes_job.done()

    def _send_takes(
        self, board_id: str, shot_id: str, count: int, approved: Decimal, over_cap: bool
    ) -> None:
        job = self._controller.more_takes(
            board_id, shot_id, count, approved=approved, over_cap=over_cap
        )
        self._takes_job = job
        job.add_done_callback(self._on_takes_done)
        takes = "take" if count == 1 else "takes"
        self.show_message(f"Sending {count} more {takes}\u2026")

    def _on_takes_done(
        self, job: asyncio.Task[tuple[tuple[str, ...], tuple[str, ...]] | Exception]
    ) -> None:
        if self._takes_job is job:
            self._takes_job = None
        if job.cancelled():
            self.show_message("Stopped. What was sent goes on in Tasks and is on the shot.")
            return
        error = job.exception()
        result = job.result() if error is None else None
        if isinstance(result, KeyError):
            self.show_message("The shot is no longer in the storyboard; no take was sent.")
            return
        if isinstance(result, StoryboardError):
            self.show_message(str(result))  # its words say that nothing was sent
            return
        if result is None or isinstance(result, Exception):
            # An unexpected failure is also reported by the session's job registry.
            self.show_message(f"No take was sent: {result or error}")
            return
        sent, problems = result
        text = f"{len(sent)} more takes sent: pick one when they are done." if sent else ""
        if problems:
            text = " ".join(p for p in (text, "; ".join(problems)) if p)
        self.show_message(text or "No take was sent.")

    def compare(self, takes: list[TaskRecord]) -> CompareWindow | None:
        if len(takes) != 2:
            return None
        from veo_desktop.ui.compare import open_compare

        if self.compare_window is not None:
            self.compare_window.close()
        window = open_compare(takes[0], takes[1], parent=self._owner.window())
        window.destroyed.connect(self._on_compare_window_destroyed)
        self.compare_window = window
        return window

    def _on_compare_window_destroyed(self) -> None:
        self.compare_window = None

    def shutdown(self) -> None:
        self.render_flow.cancel()
        if self.generating:
            assert self._generate_job is not None
            self._generate_job.cancel()
        for window in (self.film_window, self.compare_window):
            if window is not None:
                window.close()
