"""A batch being sent, as the widgets see it: a handle the controller returns.

Dialogs never build a :class:`~veo_desktop.core.batch.BatchRunner`: they ask the controller
(:meth:`~veo_desktop.ui.controller.EngineController.start_batch` for new takes,
:meth:`~veo_desktop.ui.controller.EngineController.resume_batch` for a stopped batch) and get
a :class:`BatchHandle`: its progress as a signal and a snapshot, its outcome, the ids of
the tasks it created, and a way to stop it. The runner itself runs as one of the
controller's jobs, so it is kept referenced and cancelled when the window closes.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from veo_desktop.core.batch import (
    BatchBusyError,
    BatchJournal,
    BatchProgress,
    BatchResult,
    BatchRunner,
)

logger = logging.getLogger(__name__)

#: What :meth:`BatchRunner.run` raises when the batch cannot run (already running, engine
#: not started): shown by the widget, not a bug.
EXPECTED_ERRORS = (BatchBusyError, RuntimeError)
#: What stopping says when no reason is given.
STOPPED = "Stopped; the rest were not sent."


class BatchHandle(QObject):
    """One batch being sent through the engine (see the module docstring).

    Signals:
        progressed: a :class:`BatchProgress` after every change.
        finished: the :class:`BatchResult` once every item is done or the batch stopped.
        failed: the exception when the batch could not run (nothing more is sent).
    """

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bound: BatchRunner | None = None
        self._result: BatchResult | None = None
        self._error: BaseException | None = None
        self._job: asyncio.Task[BatchResult | None] | None = None

    # -- state -----------------------------------------------------------------------------

    @property
    def _runner(self) -> BatchRunner:
        if self._bound is None:
            raise RuntimeError("The batch has no runner yet.")
        return self._bound

    @property
    def job(self) -> asyncio.Task[BatchResult | None]:
        """The asyncio task sending the batch (tests may wait on it)."""
        if self._job is None:
            raise RuntimeError("The batch was not started.")
        return self._job

    @property
    def journal(self) -> BatchJournal:
        return self._runner.journal

    @property
    def progress(self) -> BatchProgress:
        """Where the batch stands now."""
        return self._runner.progress()

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.done()

    @property
    def result(self) -> BatchResult | None:
        """What became of each item, once the batch ended (None before, or on failure)."""
        return self._result

    @property
    def error(self) -> BaseException | None:
        """Why the batch could not run (None while it runs or when it ran)."""
        return self._error

    def task_ids(self) -> list[str]:
        """The local ids of the tasks the batch created so far, in item order."""
        return [s.local_id for s in self._runner.statuses if s.local_id is not None]

    # -- commands --------------------------------------------------------------------------

    def cancel(self, reason: str | None = None) -> None:
        """Send no more items; those in flight finish (never cut mid-POST)."""
        self._runner.cancel(reason or STOPPED)

    # -- for the controller ----------------------------------------------------------------

    def bind(self, runner: BatchRunner) -> None:
        """Send through ``runner`` (built with :meth:`on_progress` as its callback)."""
        self._bound = runner

    def attach(self, job: asyncio.Task[BatchResult | None]) -> None:
        """Remember the job running :meth:`send` (the controller starts it)."""
        self._job = job

    def on_progress(self, progress: BatchProgress) -> None:
        """The runner's progress callback."""
        self.progressed.emit(progress)

    async def send(self) -> BatchResult | None:
        """Run the batch; None when it could not run (:attr:`failed` says why).

        An unexpected error is re-raised after :attr:`failed` (the job registry logs it
        and reports it).
        """
        try:
            result = await self._runner.run()
        except EXPECTED_ERRORS as error:
            logger.info("a batch could not run: %s", error)
            self._error = error
            self.failed.emit(error)
            return None
        except Exception as error:
            self._error = error
            self.failed.emit(error)
            raise
        self._result = result
        self.finished.emit(result)
        return result
