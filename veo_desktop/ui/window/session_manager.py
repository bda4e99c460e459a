"""The window's sessions: open one (with a key or the demo), switch to another, close it.

:class:`SessionManager` owns the open :class:`~veo_desktop.ui.session.Session` and the
window's asyncio jobs. The window listens: :attr:`~SessionManager.opened` shows the
workspace, :attr:`~SessionManager.closing` takes it down before the session's parts close,
:attr:`~SessionManager.started` follows a finished start, :attr:`~SessionManager.failed`
shows what went wrong.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.ui.jobs import JobRegistry

if TYPE_CHECKING:
    from veo_desktop.core.settings import Settings
    from veo_desktop.ui.session import Session

log = logging.getLogger(__name__)

SessionFactory = Callable[[], "Session"]


class SessionManager(QObject):
    """Opens, switches and closes the window's sessions; runs the window's jobs.

    Args:
        paths: the app's directories.
        settings: returns the settings in effect when a session opens.
        base_url: returns the API root for sessions opened with a key.

    Signals:
        opened(Session): a session was built; show its workspace (its start runs next).
        started(Session): the session started (tasks recovered, balance asked).
        closing(Session | None): the session is about to close; take its workspace down.
        closed(): the session closed (its tasks resume when a session opens again).
        failed(str, str, bool): a title, a message, and whether trying again may help.
        job_failed(str, str): a job's name and its error message.
    """

    opened = Signal(object)
    started = Signal(object)
    closing = Signal(object)
    closed = Signal()
    failed = Signal(str, str, bool)
    job_failed = Signal(str, str)

    def __init__(
        self,
        *,
        paths: AppPaths,
        settings: Callable[[], Settings],
        base_url: Callable[[], str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths = paths
        self._settings = settings
        self._base_url = base_url
        self.session: Session | None = None
        #: Where the session's key came from.
        self.key_source = KeySource.NONE
        #: The key of the session opened with one (None in the demo).
        self.session_key: str | None = None
        #: Set when the window closes: nothing opens any more.
        self.shutting_down = False
        self._switching = False
        self._jobs = JobRegistry(on_failure=self._on_job_failed)

    @property
    def jobs(self) -> frozenset[asyncio.Task[Any]]:
        return self._jobs.jobs

    def run(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``coro`` as one of the window's jobs (cancelled when the window closes)."""
        return self._jobs.start(coro, name=name)

    def _on_job_failed(self, name: str, error: BaseException) -> None:
        self.job_failed.emit(name, str(error))

    # -- opening ---------------------------------------------------------------------------

    def open_with_key(self, api_key: str, *, source: KeySource) -> None:
        """Open a session with ``api_key``; the current one is closed first."""
        from veo_desktop import logs

        logs.register_secret(api_key)
        self.session_key = api_key
        self.key_source = source
        self._open(
            lambda: _session_module().open_session(
                paths=self._paths,
                settings=self._settings(),
                base_url=self._base_url(),
                api_key=api_key,
            ),
            "Opening the workspace",
        )

    def start_demo(self) -> None:
        """Open a session against the embedded simulator (no key, no charges)."""
        self.key_source = KeySource.DEMO
        self.session_key = None
        self._open(
            lambda: _session_module().open_demo_session(self._paths, self._settings()),
            "Starting the demo",
        )

    def retry(self) -> bool:
        """Open the last session again; False when there is nothing to retry."""
        if self.key_source is KeySource.DEMO:
            self.start_demo()
        elif self.session_key:
            self.open_with_key(self.session_key, source=self.key_source)
        else:
            return False
        return True

    def _open(self, factory: SessionFactory, name: str) -> None:
        if self.shutting_down:
            return
        if self.session is None and not self._switching:
            self._install(factory)
        else:
            self.run(self._switch(factory), name)

    async def _switch(self, factory: SessionFactory) -> None:
        self._switching = True
        try:
            await self.close_session()
        finally:
            self._switching = False
        if not self.shutting_down:
            self._install(factory)

    def _install(self, factory: SessionFactory) -> None:
        try:
            session = factory()
        except (OSError, ValueError, RuntimeError) as error:  # StoreError is a RuntimeError
            log.warning("could not open the session: %s", error)
            self.failed.emit("The workspace could not open", str(error), False)
            return
        self.session = session
        self.opened.emit(session)
        self.run(self._start(session), "Starting the session")

    async def _start(self, session: Session) -> None:
        from veo_desktop.core.engine import EngineBusyError
        from veo_desktop.core.errors import StoreError

        try:
            await session.start()
        except Exception as error:
            if self.session is not session or session.closed:
                return  # closed meanwhile (a sign-out, another key): nothing to tell
            if isinstance(error, EngineBusyError):
                await self.close_session()
                self.failed.emit("Veo Desktop is already open", str(error), True)
                return
            if isinstance(error, StoreError | OSError):
                # The tasks could not be read (a large library's older ones are read
                # here): a session that cannot start would poll and download nothing.
                log.warning("could not start the session: %s", error)
                await self.close_session()
                self.failed.emit("The workspace could not open", str(error), True)
                return
            raise
        if self.session is session:
            log.info("session started (%s)", "demo" if session.demo else session.base_url)
            self.started.emit(session)

    # -- closing ---------------------------------------------------------------------------

    async def close_session(self) -> None:
        """Close the current session (its tasks resume when a session opens again)."""
        session, self.session = self.session, None
        self.closing.emit(session)
        if session is not None:
            await session.aclose()
        self.closed.emit()

    async def aclose(self) -> None:
        """Cancel the window's jobs and close the session (the window is closing)."""
        self.shutting_down = True
        current = asyncio.current_task()
        pending = [job for job in self._jobs.jobs if job is not current]
        for job in pending:
            job.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await self.close_session()


def _session_module() -> Any:
    from veo_desktop.ui import session

    return session
