"""Running a :class:`Simulator` on its own asyncio loop in a daemon thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar

from veo_desktop.sim.faults import Fault
from veo_desktop.sim.records import RequestRecord
from veo_desktop.sim.server import Simulator, VideoMode
from veo_desktop.sim.tasks import TaskInfo

logger = logging.getLogger(__name__)

T = TypeVar("T")

_CALL_TIMEOUT: Final = 30.0


class SimulatorThread:
    """A :class:`Simulator` served from a background thread; every method is thread-safe.

    Calls are forwarded to the simulator's loop and wait for the answer, so snapshots such as
    :attr:`requests` are consistent. Use it as a context manager, or call :meth:`start` and
    :meth:`stop`. Takes the same arguments as :class:`Simulator`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        duration: float = 30.0,
        balance: float = 100.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clip_seconds: float = 4.0,
        video: VideoMode = "per_task",
        media_dir: str | Path | None = None,
        triggers: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self._simulator = Simulator(
            api_key=api_key,
            duration=duration,
            balance=balance,
            host=host,
            port=port,
            clip_seconds=clip_seconds,
            video=video,
            media_dir=media_dir,
            triggers=triggers,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Start the loop thread and the simulator; returns the base URL."""
        if self._thread is not None:
            raise RuntimeError("the simulator thread is already running")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run, args=(loop,), name="apixo-simulator", daemon=True
        )
        self._loop, self._thread = loop, thread
        thread.start()
        starting = asyncio.run_coroutine_threadsafe(self._simulator.start(), loop)
        try:
            self._base_url = starting.result(timeout=_CALL_TIMEOUT)
        except BaseException:
            self._end_loop()
            raise
        return self._base_url

    def stop(self) -> None:
        """Stop the simulator and its loop, and wait for the thread to end. Idempotent."""
        loop = self._loop
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._simulator.stop(), loop).result(_CALL_TIMEOUT)
        finally:
            self._end_loop()

    def _end_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        self._base_url = None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=_CALL_TIMEOUT)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                leftovers = asyncio.all_tasks(loop)
                for task in leftovers:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def _call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the simulator's loop and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the simulator thread is not running")
        if threading.current_thread() is self._thread:
            return function()  # already on the loop (e.g. from a callback): waiting would hang

        async def on_loop() -> T:
            return function()

        coroutine: Coroutine[Any, Any, T] = on_loop()
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(_CALL_TIMEOUT)

    # ------------------------------------------------------------ the Python API

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/api/v1``."""
        if self._base_url is None:
            raise RuntimeError("the simulator thread is not running")
        return self._base_url

    @property
    def origin(self) -> str:
        """``http://HOST:PORT``."""
        return self.base_url.removesuffix("/api/v1")

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def add_fault(self, fault: Fault) -> None:
        self._call(lambda: self._simulator.add_fault(fault))

    def clear_faults(self) -> None:
        self._call(self._simulator.clear_faults)

    @property
    def faults(self) -> list[Fault]:
        return self._call(lambda: self._simulator.faults)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log."""
        return self._call(lambda: self._simulator.requests)

    def clear_requests(self) -> None:
        self._call(self._simulator.clear_requests)

    @property
    def created_task_ids(self) -> list[str]:
        return self._call(lambda: self._simulator.created_task_ids)

    @property
    def balance(self) -> float:
        return self._call(lambda: self._simulator.balance)

    @balance.setter
    def balance(self, value: float) -> None:
        def set_balance() -> None:
            self._simulator.balance = value

        self._call(set_balance)

    @property
    def tasks(self) -> dict[str, TaskInfo]:
        """A snapshot of every task held."""
        return self._call(lambda: self._simulator.tasks)

    def age_task(self, task_id: str, seconds: float) -> None:
        self._call(lambda: self._simulator.age_task(task_id, seconds))

    def forget_task(self, task_id: str) -> None:
        self._call(lambda: self._simulator.forget_task(task_id))

    def add_media_file(self, path: str | Path) -> str:
        return self._call(lambda: self._simulator.add_media_file(path))
