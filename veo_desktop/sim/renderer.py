"""The simulator's side of the clip renderer: a persistent worker process spoken to in JSON lines.

The worker (:mod:`veo_desktop.sim.render`) owns Qt and the H.264 encoder, so the simulator never
imports PySide6 and can run in any thread of any process, including one that has its own
QApplication.

Protocol: one JSON object per line. Request ``{"id": 1, "job": {...RenderJob...}}``; answer
``{"id": 1, "ok": true}`` or ``{"id": 1, "ok": false, "error": "..."}``. The worker renders one
job at a time, writes the clip beside its final path and renames it into place, and exits when
its stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from veo_desktop.sim import RENDER_WORKER_FLAG

logger = logging.getLogger(__name__)

_WORKER_MODULE = "veo_desktop.sim.render"
_CLOSE_TIMEOUT = 5.0


def worker_command() -> list[str]:
    """The command that starts a render worker, frozen or not."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RENDER_WORKER_FLAG]
    return [sys.executable, "-m", _WORKER_MODULE]


class RenderError(RuntimeError):
    """The worker could not render a clip (or died trying)."""


@dataclass(frozen=True)
class RenderJob:
    """One clip to render.

    Attributes:
        path: where the finished mp4 goes (written elsewhere first, then renamed).
        width: frame width in pixels (even).
        height: frame height in pixels (even).
        seconds: clip length.
        fps: frames per second.
        prompt: drawn on every frame, wrapped and elided.
        task_id: drawn on every frame; also seeds the colours so clips differ per task.
        caption: a short line such as ``veo-3-1 · fast · 16:9``.
    """

    path: str
    width: int
    height: int
    seconds: float
    fps: int
    prompt: str
    task_id: str
    caption: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RenderJob:
        return cls(**data)


class RenderWorker:
    """A lazily started render worker process, shared by every render of one simulator."""

    def __init__(self, command: Sequence[str] | None = None) -> None:
        self._command = list(command) if command is not None else worker_command()
        self._process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._next_id = 0
        self._answered = 0  # answers read: below _next_id, the worker still has jobs queued
        self._start_lock = asyncio.Lock()
        self._closed = False

    async def render(self, job: RenderJob) -> None:
        """Render one clip; returns once the file is in place.

        Raises:
            RenderError: the worker reported a failure, died, or the worker is closed.
        """
        process = await self._ensure_started()
        assert process.stdin is not None
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        line = json.dumps({"id": request_id, "job": job.to_json()}) + "\n"
        try:
            process.stdin.write(line.encode())
            await process.stdin.drain()
            await future
        except (ConnectionError, BrokenPipeError) as exc:
            raise RenderError(f"render worker is gone: {exc}") from exc
        finally:
            self._pending.pop(request_id, None)

    async def close(self) -> None:
        """Stop the worker: close its stdin, wait for it, kill it if it hangs.

        Clips still queued are dropped: the worker is stopped at once rather than left to
        render every queued job first (hundreds of tasks queue seconds of work).
        """
        self._closed = True
        process, self._process = self._process, None
        if process is not None:
            if self._answered < self._next_id and process.returncode is None:
                # Before closing stdin: closing waits for the pipe to drain, job by job.
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
            if process.stdin is not None:
                process.stdin.close()
                with contextlib.suppress(ConnectionError, BrokenPipeError):
                    await process.stdin.wait_closed()
            try:
                await asyncio.wait_for(process.wait(), _CLOSE_TIMEOUT)
            except TimeoutError:
                logger.warning("render worker did not exit; killing it")
                process.kill()
                await process.wait()
        for reader in self._readers:
            await reader
        self._readers.clear()
        self._fail_pending("simulator stopped")

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        async with self._start_lock:
            if self._closed:
                raise RenderError("render worker is closed")
            if self._process is not None and self._process.returncode is None:
                return self._process
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
            try:
                process = await asyncio.create_subprocess_exec(
                    *self._command,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    env=env,
                )
            except OSError as exc:
                raise RenderError(f"cannot start the render worker: {exc}") from exc
            logger.debug("render worker started (pid %s)", process.pid)
            assert process.stdout is not None
            assert process.stderr is not None
            self._readers = [task for task in self._readers if not task.done()]
            self._readers.append(asyncio.create_task(self._read_answers(process)))
            self._readers.append(asyncio.create_task(self._read_log(process.stderr)))
            self._process = process
            return process

    async def _read_answers(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self._answered += 1
            try:
                answer = json.loads(line)
                future = self._pending.get(int(answer["id"]))
            except (ValueError, KeyError, TypeError):
                logger.warning("render worker said something odd: %r", line[:200])
                continue
            if future is None or future.done():
                continue
            if answer.get("ok"):
                future.set_result(None)
            else:
                future.set_exception(RenderError(str(answer.get("error", "unknown error"))))
        if self._process is process:
            self._process = None
            returncode = await process.wait()
            logger.warning("render worker exited unexpectedly (code %s)", returncode)
        self._fail_pending("render worker exited")

    async def _read_log(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            logger.debug("render worker: %s", line.decode(errors="replace").rstrip())

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(RenderError(reason))
