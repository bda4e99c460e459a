"""The library on disk: "Library: 2.3 GB" and a Clean up… button that says what it frees
before it frees anything, and afterwards what it did.

The measuring reads folders, so it runs off the GUI thread (a controller job); the plan
(:func:`veo_desktop.core.cleanup.cleanup_plan`) looks only at the few tasks Clean up
would touch. Removing goes through the controller's ``remove`` (the task leaves the list;
spending history keeps it); the files are deleted by :func:`~veo_desktop.core.cleanup.carry_out`,
exactly those the question named. A storyboard's takes (also those removed from the list)
and their videos are never touched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from veo_desktop.core.cleanup import (
    CLEANUP_AGE_DAYS,
    DiskUse,
    Freed,
    FreePlan,
    cleanup_plan,
    disk_use,
    size_text,
)
from veo_desktop.ui.spending.removal import remove_plan

if TYPE_CHECKING:
    from veo_desktop.records.task import TaskRecord
    from veo_desktop.storyboard.service import StoryboardService
    from veo_desktop.ui.controller import EngineController
    from veo_desktop.ui.thumbnails import ThumbnailCache


def storyboard_takes(service: StoryboardService | None) -> set[str]:
    """The local ids of every take of every storyboard's shots (Clean up keeps them)."""
    if service is None:
        return set()
    return {
        local_id for board in service.boards() for shot in board.shots for local_id in shot.takes
    }


class DiskRow(QWidget):
    """``Library: 2.3 GB`` · ``Clean up…``, and the last clean up's result.

    Args:
        controller: the session's controller (tasks, remove, jobs).
        library: returns the videos folder in effect.
        thumbnails: the thumbnail cache (its folder is measured and trimmed).
        frames_dir: the frames cache.
        clock: unix time (how old a failed task is).
        storyboards: the session's storyboards (every take of every shot is kept, also a
            take removed from the list); by default the window's session's.
    """

    #: The size was measured again (a :class:`DiskUse`).
    measured = Signal(object)
    #: A clean up was done (a :class:`Freed`).
    cleaned = Signal(object)
    #: The thumbnails of videos gone, and those past the cap, were deleted (bytes freed).
    thumbnails_cleaned = Signal(int)

    def __init__(
        self,
        controller: EngineController,
        *,
        library: Callable[[], Path | None],
        thumbnails: ThumbnailCache | None = None,
        frames_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        storyboards: Callable[[], StoryboardService | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("diskRow")
        self._controller = controller
        self._library = library
        self._thumbnails = thumbnails
        self._frames_dir = frames_dir
        self._clock = clock
        self._storyboards = storyboards or self._window_storyboards
        self.use: DiskUse | None = None
        #: The question being asked (tests answer it); None when none is open.
        self.dialog: QMessageBox | None = None
        self._measuring: asyncio.Task[DiskUse] | None = None
        #: Whether Clean up is reading the tasks it must see.
        self._finding = False
        self.size_label = QLabel("Library: measuring\u2026", self)
        self.size_label.setObjectName("librarySizeLabel")
        self.size_label.setAccessibleName("Library size on disk")
        self.clean_button = QPushButton("Clean up\u2026", self)
        self.clean_button.setObjectName("cleanUpButton")
        self.clean_button.setToolTip(
            f"Take failed tasks older than {CLEANUP_AGE_DAYS} days out of the list and delete "
            "what they and dismissed tasks left; says what it frees first"
        )
        self.result_label = QLabel("", self)
        self.result_label.setObjectName("cleanUpResult")
        self.result_label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.size_label)
        layout.addWidget(self.clean_button)
        layout.addWidget(self.result_label, 1)
        self.clean_button.clicked.connect(self.on_clean_button_clicked)

    # -- measuring -------------------------------------------------------------------------

    def measure(self) -> asyncio.Task[DiskUse] | None:
        """Measure the library's folders again (off the GUI thread); the label follows."""
        if self._measuring is not None and not self._measuring.done():
            return self._measuring
        library = self._library()
        thumbs = self._thumbnails.cache_dir if self._thumbnails is not None else None
        frames = self._frames_dir

        async def run() -> DiskUse:
            use = await asyncio.to_thread(disk_use, library, thumbs, frames)
            if shiboken6.isValid(self):
                self.show_use(use)
            return use

        self._measuring = self._controller.run(run(), name="Measuring the library")
        return self._measuring

    def show_use(self, use: DiskUse) -> None:
        self.use = use
        self.size_label.setText(use.text())
        tip = use.detail()
        if self._thumbnails is not None:
            tip += f" (thumbnails kept under {size_text(self._thumbnails.max_bytes)})"
        self.size_label.setToolTip(tip)
        self.measured.emit(use)

    # -- clean up --------------------------------------------------------------------------

    def plans(self, records: list[TaskRecord] | None = None) -> tuple[FreePlan, FreePlan]:
        """(what Clean up does, what it does when removed tasks' videos go too), over
        ``records`` (what :meth:`EngineController.cleanup_tasks` reads; None: every task
        loaded)."""
        if records is None:
            records = self._controller.tasks(include_hidden=True)
        now = self._clock()
        takes = storyboard_takes(self._storyboards())
        return (
            cleanup_plan(records, now=now, keep=takes),
            cleanup_plan(records, now=now, removed_videos=True, keep=takes),
        )

    def _window_storyboards(self) -> StoryboardService | None:
        session = getattr(self.window(), "session", None)
        runtime = getattr(session, "runtime", None)
        return getattr(runtime, "storyboards", None) if runtime is not None else None

    def on_clean_button_clicked(self) -> None:
        """Ask what Clean up frees (then free it). In a library not loaded whole, the tasks
        it must see are read first (not every task; one read however many clicks)."""
        if self._controller.tasks_complete:
            self._ask_clean(*self.plans())
        elif not self._finding:
            self._finding = True
            self._controller.run(self._find_then_ask(), name="Cleaning up")

    async def _find_then_ask(self) -> None:
        try:
            records = await self._controller.cleanup_tasks()
        finally:
            self._finding = False
        if shiboken6.isValid(self):
            self._ask_clean(*self.plans(records))

    def _ask_clean(self, plain: FreePlan, wider: FreePlan) -> None:
        """The Clean up question: ``plain`` plan, or ``wider`` with removed tasks' videos."""
        box = QMessageBox(self)
        box.setObjectName("cleanUpDialog")
        box.setWindowTitle("Clean up the library")
        box.setIcon(QMessageBox.Icon.Question)
        extra = wider.bytes - plain.bytes
        check: QCheckBox | None = None
        if extra > 0:
            planned = {path for path, _ in plain.files}
            count = sum(1 for p, _ in wider.files if p.suffix == ".mp4" and p not in planned)
            check = QCheckBox(
                f"Also delete the videos of tasks removed from the list earlier "
                f"({count} video{'s' if count != 1 else ''}, {size_text(extra)})",
                box,
            )
            check.setObjectName("removedVideosCheck")
            box.setCheckBox(check)
        if plain.empty and check is None:
            box.setIcon(QMessageBox.Icon.Information)
            box.setText("Nothing to clean up.")
            box.setInformativeText(
                f"No failed task is older than {CLEANUP_AGE_DAYS} days, and no dismissed task "
                "left files. Thumbnails are kept under their cap by themselves."
            )
            box.addButton(QMessageBox.StandardButton.Close)
            self._ask(box, lambda _plan: None, plain, plain)
            return

        def say() -> None:
            plan = wider if check is not None and check.isChecked() else plain
            box.setText(plan.question() if not plan.empty else "Nothing to clean up.")

        say()
        if check is not None:
            check.toggled.connect(say)
        box.setInformativeText(
            f"Failed tasks older than {CLEANUP_AGE_DAYS} days leave the list, and the files "
            "they and dismissed tasks left are deleted, with the thumbnails of videos no "
            "longer there. Spending history keeps every task. Videos of tasks in the list "
            "are never touched."
        )
        go = box.addButton("Clean up", QMessageBox.ButtonRole.DestructiveRole)
        go.setObjectName("confirmCleanUpButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)

        def answered(_plan: FreePlan) -> None:
            if box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.DestructiveRole:
                self.clean(wider if check is not None and check.isChecked() else plain)

        self._ask(box, answered, plain, wider)

    def _ask(self, box: QMessageBox, on_done: Callable[[FreePlan], None], *plans: FreePlan) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = box

        def finished(_result: int) -> None:
            if self.dialog is box:
                self.dialog = None
            on_done(plans[0])
            box.deleteLater()

        box.finished.connect(finished)
        box.open()

    def clean(self, plan: FreePlan) -> Freed:
        """Carry out ``plan`` (the answer to the question; tests call it), say what it freed
        and measure again."""
        controller = self._controller
        freed = remove_plan(controller, plan)
        self.result_label.setText(freed.text())
        self.cleaned.emit(freed)
        controller.action_done.emit(freed.text())
        thumbnails = self._thumbnails
        if thumbnails is None:
            self.measure()
            return freed
        complete = controller.tasks_complete  # (else the store's names are read)
        tasks = controller.tasks(include_hidden=True) if complete else []
        videos = [name for task in tasks for name in task.files]

        async def tidy() -> int:
            names = videos if complete else await controller.file_names()

            def work() -> int:
                assert thumbnails is not None
                return thumbnails.drop_orphans(names) + thumbnails.trim()

            dropped = await asyncio.to_thread(work)
            if shiboken6.isValid(self):
                if dropped:
                    self.result_label.setText(
                        f"{freed.text()} Old thumbnails: {size_text(dropped)} deleted."
                    )
                self.thumbnails_cleaned.emit(dropped)
                self.measure()
            return dropped

        controller.run(tidy(), name="Cleaning the thumbnails")
        return freed
