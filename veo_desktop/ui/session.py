"""One working session of the window: an API (real or the demo's simulator) and its tasks.

A session owns, for as long as it is open: the APIXO client, the task store, the engine,
the controller the widgets talk to, the image uploader and its HTTP client, and in demo
mode the embedded simulator. Changing the key, the base URL or the library closes the
session and opens a new one; tasks in flight resume in the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from veo_desktop.api.client import ApixoClient
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.core.timing import PollTiming
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.images import ImageUploader

if TYPE_CHECKING:
    from veo_desktop.sim import SimulatorThread

log = logging.getLogger(__name__)

#: How long a demo task takes (real ones take 1-3 minutes; the demo keeps it short).
DEMO_DURATION = 25.0
DEMO_CLIP_SECONDS = 4.0
DEMO_BALANCE = 100.0
DEMO_KEY = "demo-key"
#: Demo polling: the simulator finishes in seconds, so the first check comes early.
DEMO_TIMING = PollTiming(
    first_poll_fast=6.0,
    first_poll_quality=8.0,
    interval_min=2.0,
    interval_max=4.0,
    slow_after=120.0,
    slow_interval=10.0,
)
IMAGE_HTTP_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)


@dataclass
class Session:
    """Everything one API connection needs; built by :func:`open_session`, closed by aclose."""

    paths: AppPaths
    settings: Settings
    base_url: str
    demo: bool
    client: ApixoClient
    store: TaskStore
    engine: TaskEngine
    controller: EngineController
    uploader: ImageUploader
    http: httpx.AsyncClient
    simulator: SimulatorThread | None = None
    _closed: bool = False

    @property
    def library_dir(self) -> Path:
        return self.engine.library_dir

    async def start(self) -> None:
        """Take the data folder, recover and resume tasks, then read the balance.

        Raises:
            EngineBusyError: another Veo Desktop works on the same data folder.
        """
        await self.engine.start()
        await self.controller.refresh_balance()

    async def aclose(self) -> None:
        """Cancel work, close the HTTP clients and the store, stop the simulator."""
        if self._closed:
            return
        self._closed = True
        await self.controller.aclose()
        try:
            await self.engine.aclose()
        finally:
            await self.client.aclose()
            await self.http.aclose()
            self.store.close()
            if self.simulator is not None:
                await asyncio.to_thread(self.simulator.stop)
            log.info("session closed (%s)", "demo" if self.demo else self.base_url)


def open_session(
    *,
    paths: AppPaths,
    settings: Settings,
    base_url: str,
    api_key: str,
    simulator: SimulatorThread | None = None,
) -> Session:
    """Build a session (nothing runs until :meth:`Session.start`).

    Raises:
        ValueError: the base URL or the key is not usable.
        StoreError, OSError: the task store cannot be opened.
    """
    paths.ensure()
    client = ApixoClient(api_key, base_url=base_url)
    try:
        store = TaskStore.open(paths.store_path)
    except BaseException:
        _close_soon(client)
        raise
    timing = DEMO_TIMING if simulator is not None else settings.timing
    library = settings.library(paths) if simulator is None else paths.library_dir
    engine = TaskEngine(
        client=client,
        store=store,
        library_dir=library,
        timing=timing,
        max_polls_in_flight=settings.max_polls_in_flight,
        max_download_bytes=settings.max_download_bytes,
    )
    controller = EngineController(engine)
    http = httpx.AsyncClient(timeout=IMAGE_HTTP_TIMEOUT, trust_env=simulator is None)
    uploader = ImageUploader.for_base_url(http, client.base_url)
    return Session(
        paths=paths,
        settings=settings,
        base_url=client.base_url,
        demo=simulator is not None,
        client=client,
        store=store,
        engine=engine,
        controller=controller,
        uploader=uploader,
        http=http,
        simulator=simulator,
    )


def start_demo_simulator() -> SimulatorThread:
    """Start the embedded simulator for demo mode (realistic but short durations).

    Its clips and uploads live in a temporary folder removed when it stops; finished videos
    are downloaded into the demo library like real ones.
    """
    from veo_desktop.sim import SimulatorThread

    simulator = SimulatorThread(
        api_key=DEMO_KEY,
        duration=DEMO_DURATION,
        balance=DEMO_BALANCE,
        clip_seconds=DEMO_CLIP_SECONDS,
    )
    simulator.start()
    return simulator


def open_demo_session(paths: AppPaths, settings: Settings) -> Session:
    """A session against a freshly started simulator, in the demo's own data folder."""
    demo_paths = paths.demo()
    simulator = start_demo_simulator()
    try:
        return open_session(
            paths=demo_paths,
            settings=dataclasses.replace(settings, library_dir=None),
            base_url=simulator.base_url,
            api_key=DEMO_KEY,
            simulator=simulator,
        )
    except BaseException:
        simulator.stop()
        raise


def _close_soon(client: ApixoClient) -> None:
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().create_task(client.aclose())
