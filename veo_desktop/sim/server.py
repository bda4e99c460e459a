"""The APIXO simulator: a real HTTP server speaking the published Veo 3.1 contract.

:class:`Simulator` is the front: its settings, its life (start, stop) and its Python API. The
work is split by job, each part sharing one :class:`~veo_desktop.sim.state.SimState`:

- ``api_routes``: APIXO's endpoints (submit, status, balance), with ``studio`` preparing
  the clips of accepted tasks;
- ``media``: result videos and served files, with Range and the media faults;
- ``control``: the ``/sim/`` control plane (request log, fault arming, tasks, balance, uploads);
- ``gateway``: the middleware that logs each APIXO/media request, checks the key and applies
  the armed faults.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from aiohttp import web

from veo_desktop.sim.api_routes import ApiRoutes
from veo_desktop.sim.contract import DEFAULT_TRIGGERS
from veo_desktop.sim.control import ControlRoutes
from veo_desktop.sim.exchange import API_PREFIX
from veo_desktop.sim.faults import Fault
from veo_desktop.sim.gateway import Gateway
from veo_desktop.sim.media import MediaRoutes
from veo_desktop.sim.records import RequestRecord
from veo_desktop.sim.state import SimState, VideoMode
from veo_desktop.sim.studio import Studio
from veo_desktop.sim.tasks import TaskInfo

__all__ = ["Simulator", "VideoMode"]

logger = logging.getLogger(__name__)

_MAX_BODY_BYTES: Final = 1024 * 1024
_SHUTDOWN_TIMEOUT: Final = 0.5


class Simulator:
    """An APIXO server on loopback, for demo mode and tests. Runs on one asyncio loop.

    Every public method is synchronous and must be called on the simulator's loop (use
    :class:`~veo_desktop.sim.thread.SimulatorThread` to drive it from another thread).

    Args:
        api_key: the only key accepted; None accepts any non-empty Bearer key.
        duration: seconds from submit to completion (pending for the first fifth).
        balance: USD on the key; each accepted task is charged its price at once.
        host: the address to bind (loopback unless you mean it).
        port: the port to bind; 0 picks a free one.
        clip_seconds: length of the rendered clips.
        video: ``"per_task"`` renders a clip for every task; ``"shared"`` renders one per
            aspect ratio and serves it for every task (load tests).
        media_dir: where clips and uploads live; None uses a temporary directory removed at
            :meth:`stop`.
        triggers: prompt words that make a task fail, as ``{word: (failCode, failMsg)}``,
            matched case-insensitively; None uses ``contract.DEFAULT_TRIGGERS``.
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
        self._state = SimState(
            api_key=api_key,
            duration=duration,
            balance=balance,
            clip_seconds=clip_seconds,
            video=video,
            triggers=DEFAULT_TRIGGERS if triggers is None else triggers,
        )
        self._host = host
        self._port = port
        self._media_dir_option = Path(media_dir) if media_dir is not None else None
        self._studio = Studio(self._state)
        self._runner: web.AppRunner | None = None
        self._owns_media_dir = False

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Bind and serve; returns the base URL, e.g. ``http://127.0.0.1:PORT/api/v1``."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        state = self._state
        if self._media_dir_option is None:
            state.media_dir = Path(tempfile.mkdtemp(prefix="veo-sim-"))
            self._owns_media_dir = True
        else:
            state.media_dir = self._media_dir_option
            state.media_dir.mkdir(parents=True, exist_ok=True)
        state.media_path("uploads").mkdir(exist_ok=True)
        state.stopping = asyncio.Event()
        self._studio.open()
        runner = web.AppRunner(
            self._build_app(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            await self._release()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        state.serve_at(f"http://{host}:{port}")
        logger.info("APIXO simulator serving %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, stop the render worker and remove the temporary media directory."""
        runner, self._runner = self._runner, None
        self._state.stopping.set()
        if runner is not None:
            await runner.cleanup()
        await self._release()
        self._state.serve_at(None)
        logger.info("APIXO simulator stopped")

    async def _release(self) -> None:
        await self._studio.close()
        state = self._state
        if self._owns_media_dir and state.media_dir is not None:
            await asyncio.to_thread(shutil.rmtree, state.media_dir, True)
            state.media_dir = None
            self._owns_media_dir = False

    def _build_app(self) -> web.Application:
        """One aiohttp app: the gateway in front of the API, media and control routes."""
        gateway = Gateway(self._state)
        app = web.Application(middlewares=[gateway.middleware], client_max_size=_MAX_BODY_BYTES)
        app.on_response_prepare.append(gateway.on_response_prepare)
        ApiRoutes(self._state, self._studio).add_routes(app.router)
        MediaRoutes(self._state).add_routes(app.router)
        ControlRoutes(self._state).add_routes(app.router)
        return app

    @property
    def origin(self) -> str:
        """``http://HOST:PORT``, once started."""
        return self._state.origin

    @property
    def base_url(self) -> str:
        """The APIXO base URL, ``http://HOST:PORT/api/v1``, once started."""
        return self.origin + API_PREFIX

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    # ------------------------------------------------------------ the Python API

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault; faults are matched and used up in the order they were added."""
        self._state.faults.add(fault)

    def clear_faults(self) -> None:
        self._state.faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults still queued (``times`` is what remains)."""
        return self._state.faults.snapshot()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every APIXO and media request received so far, in order of arrival.

        A request still being answered (a ``delay`` fault) is already listed, with status None.
        """
        return self._state.records()

    def clear_requests(self) -> None:
        self._state.exchanges.clear()

    @property
    def created_task_ids(self) -> list[str]:
        """Ids of every task accepted (and charged), in order, including forgotten ones."""
        return list(self._state.created)

    @property
    def balance(self) -> float:
        """USD left on the key."""
        return self._state.balance

    @balance.setter
    def balance(self, value: float) -> None:
        self._state.balance = value

    @property
    def tasks(self) -> dict[str, TaskInfo]:
        """Snapshots of every task held, states brought up to date."""
        return self._state.task_infos()

    def age_task(self, task_id: str, seconds: float) -> None:
        """Move a task's create/complete times ``seconds`` into the past.

        Age a finished task to test expiry (result URLs and extend sources die 24 h after
        completion); aging a task that is still rendering fixes its completion at render end.

        Raises:
            KeyError: unknown task id.
        """
        self._state.age_task(task_id, seconds)

    def forget_task(self, task_id: str) -> None:
        """Drop a task as if APIXO purged it: later status and media requests answer 404.

        Raises:
            KeyError: unknown task id.
        """
        self._state.forget_task(task_id)

    def add_media_file(self, path: str | Path) -> str:
        """Serve a local file (with Range and HEAD) under ``/media/files/``; returns its URL.

        Raises:
            FileNotFoundError: ``path`` is not a file.
        """
        return self._state.add_media_file(path)
