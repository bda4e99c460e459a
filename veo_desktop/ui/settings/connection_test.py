"""Image hosting's "Test connection": a button and its result, run without blocking the
window (the test uploads a small file, fetches it the way APIXO would and deletes it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from veo_desktop.hosting import HostingConfig, HostingError, S3Secrets, create_provider
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.jobs import JobRegistry

log = logging.getLogger(__name__)

#: ``tester(config, secret) -> message``; raises HostingError with what is wrong.
ConnectionTester = Callable[[HostingConfig, str | None], Awaitable[str]]


async def test_with_provider(
    config: HostingConfig, secret: str | None, *, secrets: S3Secrets, demo_origin: str | None
) -> str:
    """Build the provider ``config`` describes and run its own connection test."""
    provider = await create_provider(
        config, secrets=secrets, secret=secret, demo_origin=demo_origin
    )
    try:
        return await provider.test_connection()
    finally:
        await provider.aclose()


class ConnectionTest(QWidget):
    """The "Test connection" button and the line that says how the test went.

    The page that holds it decides when a test may start (:meth:`start`) and what is wrong
    before one can (:meth:`finish`); :attr:`test_finished` reports every outcome.
    """

    test_finished = Signal(bool, str)

    def __init__(self, tester: ConnectionTester, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tester = tester
        self._jobs = JobRegistry()
        self._job: asyncio.Task[None] | None = None
        self.test_button = QPushButton("Test connection", self)
        self.test_button.setObjectName("hostingTestButton")
        self.test_button.setAccessibleName("Test the image hosting connection")
        self.test_button.setAccessibleDescription(
            "Uploads a small test file, fetches it the way APIXO would and deletes it"
        )
        self.test_result = MessageLabel(Tone.HINT, self, small=False)
        self.test_result.setObjectName("hostingTestResult")
        self.test_result.setAccessibleName("Connection test result")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.test_result, 1)

    @property
    def job(self) -> asyncio.Task[None] | None:
        """The test under way or last run (None before the first)."""
        return self._job

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.done()

    def start(self, config: HostingConfig, secret: str | None) -> None:
        """Test ``config`` (with a typed ``secret``, if any) without blocking the window."""
        self.test_button.setEnabled(False)
        self.test_result.show_message("Testing…", Tone.HINT)
        self._job = self._jobs.start(self._run(config, secret), name="Testing image hosting")

    def finish(self, ok: bool, message: str) -> None:
        """Show how the test went (or why it could not start) and report it."""
        if not shiboken6.isValid(self):
            return
        self.test_button.setEnabled(True)
        self.test_result.show_message(message, Tone.OK if ok else Tone.PROBLEM)
        self.test_finished.emit(ok, message)

    def cancel(self) -> None:
        """Stop a test under way (the page is closing); its result line is cleared."""
        if not self.running:
            return
        assert self._job is not None
        self._job.cancel()
        if shiboken6.isValid(self):
            self.test_button.setEnabled(True)
            self.test_result.show_message(None)

    async def _run(self, config: HostingConfig, secret: str | None) -> None:
        try:
            message = await self._tester(config, secret)
        except HostingError as error:
            self.finish(False, str(error))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("connection test failed unexpectedly")
            self.finish(False, f"The test failed unexpectedly ({type(error).__name__}).")
        else:
            self.finish(True, message)
