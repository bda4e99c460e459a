"""Result videos and served files: Range requests, and the ways a download goes wrong.

``/media/{taskId}.mp4`` is a task's clip (404 until it succeeds and once its link expires,
24 h after completion); ``/media/files/{token}/{name}`` serves a file added with
``Simulator.add_media_file``. Both honour Range (206/416) and HEAD. The media faults that
shape the body are applied here, on the real file: a cut body, a close-delimited half, a
gzipped clip, a 5 GB promise, and :func:`trickle` (which the gateway also uses for the other
endpoints' answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web

from veo_desktop.sim.exchange import current_exchange
from veo_desktop.sim.state import SimState

logger = logging.getLogger(__name__)

_CHUNK: Final = 256 * 1024
#: What ``media_huge`` announces (5 GB) and how much of the clip it really sends.
_HUGE_LENGTH: Final = 5 * 1024**3
_HUGE_SENT: Final = 4096
#: A ``trickle`` gives up (closing the connection) after this long, finished or not.
TRICKLE_MAX_SECONDS: Final = 120.0


class MediaRoutes:
    """The ``/media/`` endpoints."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the clip and file routes (named ``media`` and ``media_file``)."""
        router.add_get("/media/{task_id}.mp4", self._on_media, name="media")
        router.add_get("/media/files/{token}/{name}", self._on_media_file, name="media_file")

    async def _on_media(self, request: web.Request) -> web.StreamResponse:
        task = self._state.tasks.get(request.match_info["task_id"])
        now = time.time()
        if (
            task is None
            or self._state.settled(task, now).state != "success"
            or task.result_expired(now)
            or task.clip is None
            or not task.clip.is_file()
        ):
            raise web.HTTPNotFound()
        return await self._serve_file(request, task.clip, "video/mp4")

    async def _on_media_file(self, request: web.Request) -> web.StreamResponse:
        path = self._state.media_files.get(request.match_info["token"])
        if path is None or path.name != request.match_info["name"] or not path.is_file():
            raise web.HTTPNotFound()
        return await self._serve_file(request, path, None)

    async def _serve_file(
        self, request: web.Request, path: Path, content_type: str | None
    ) -> web.StreamResponse:
        fault = current_exchange().fault
        kind = fault.kind if fault is not None and request.method == "GET" else None
        media_type = content_type or "application/octet-stream"
        if kind == "media_huge":
            return await _huge_download(request, path, media_type)
        if kind == "media_gzip":
            data = await asyncio.to_thread(_gzip_file, path)
            return web.Response(
                body=data, headers={"Content-Type": media_type, "Content-Encoding": "gzip"}
            )
        if fault is not None and kind in ("cut_media", "media_close_cut", "trickle"):
            size = (await asyncio.to_thread(path.stat)).st_size
            part = _byte_range(request, size, media_type)
            if part is not None:  # an unsatisfiable range gets the real 416 below
                if kind == "cut_media":
                    return await _cut_download(request, path, part)
                if kind == "media_close_cut":
                    return await _close_cut_download(request, path, part)
                data = await asyncio.to_thread(_read_range, path, part.start, part.length)
                return await trickle(
                    request, part.status, part.headers, data, fault.delay, self._state.stopping
                )
        headers = {"Content-Type": content_type} if content_type else None
        return web.FileResponse(path, chunk_size=_CHUNK, headers=headers)


async def trickle(
    request: web.Request,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    interval: float,
    stopping: asyncio.Event,
) -> web.StreamResponse:
    """Send ``body`` one byte every ``interval`` seconds (its full length announced).

    Ends early, closing the connection, when the client goes away, when ``stopping`` is set
    (the simulator stops), or after ``TRICKLE_MAX_SECONDS``.
    """
    kept = {
        name: value
        for name, value in headers.items()
        if name.lower() not in ("content-length", "transfer-encoding", "content-encoding")
    }
    response = web.StreamResponse(status=status, headers=kept)
    response.content_length = len(body)
    await response.prepare(request)
    deadline = time.monotonic() + TRICKLE_MAX_SECONDS
    for index in range(len(body)):
        if index:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)
        ended = _trickle_ended(request, deadline, stopping)
        if ended is None:
            with contextlib.suppress(ConnectionError):
                await response.write(body[index : index + 1])
                continue
            ended = "the client went away"
        logger.info(
            "trickle of %s %s ended after %d of %d bytes: %s",
            request.method,
            request.path,
            index,
            len(body),
            ended,
        )
        if request.transport is not None:
            request.transport.close()
        break
    return response


def _trickle_ended(request: web.Request, deadline: float, stopping: asyncio.Event) -> str | None:
    """Why a trickle must end now, or None to send the next byte."""
    if stopping.is_set():
        return "the simulator is stopping"
    if request.transport is None or request.transport.is_closing():
        return "the client went away"
    if time.monotonic() >= deadline:
        return f"{TRICKLE_MAX_SECONDS:g} s passed"
    return None


class _CloseDelimitedResponse(web.StreamResponse):
    """A body with neither Content-Length nor chunking: it ends when the connection closes."""

    _length_check = False


@dataclass(frozen=True)
class _ByteRange:
    """The part of a file a media GET asked for, with the headers of its answer (no length)."""

    start: int
    end: int
    status: int
    headers: dict[str, str]

    @property
    def length(self) -> int:
        return self.end - self.start


def _byte_range(request: web.Request, size: int, media_type: str) -> _ByteRange | None:
    """The whole file (200) or the requested range (206); None when the range is unsatisfiable.

    A malformed Range header is ignored, as the real file answer ignores it.
    """
    start, end, status = 0, size, 200
    with contextlib.suppress(ValueError):
        wanted = request.http_range
        if wanted.start is not None or wanted.stop is not None:
            start, end, _ = wanted.indices(size)
            status = 206
            if end <= start:
                return None
    headers = {"Content-Type": media_type, "Accept-Ranges": "bytes"}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return _ByteRange(start, end, status, headers)


async def _cut_download(request: web.Request, path: Path, part: _ByteRange) -> web.StreamResponse:
    """Announce the full length, send half of it, then close the connection."""
    response = web.StreamResponse(status=part.status, headers=part.headers)
    response.content_length = part.length
    await response.prepare(request)
    data = await asyncio.to_thread(_read_range, path, part.start, part.length // 2)
    await response.write(data)
    if request.transport is not None:
        request.transport.close()
    return response


async def _close_cut_download(
    request: web.Request, path: Path, part: _ByteRange
) -> web.StreamResponse:
    """No length announced, half the bytes, then a clean end of stream (connection close)."""
    response = _CloseDelimitedResponse(status=part.status, headers=part.headers)
    response.headers["Connection"] = "close"
    response.force_close()
    await response.prepare(request)
    data = await asyncio.to_thread(_read_range, path, part.start, part.length // 2)
    await response.write(data)
    return response


async def _huge_download(request: web.Request, path: Path, media_type: str) -> web.StreamResponse:
    """Announce 5 GB, send a few KB of the clip, then close the connection."""
    response = web.StreamResponse(headers={"Content-Type": media_type})
    response.content_length = _HUGE_LENGTH
    await response.prepare(request)
    await response.write(await asyncio.to_thread(_read_range, path, 0, _HUGE_SENT))
    if request.transport is not None:
        request.transport.close()
    return response


def _gzip_file(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), mtime=0)


def _read_range(path: Path, start: int, length: int) -> bytes:
    with path.open("rb") as file:
        file.seek(start)
        return file.read(length)
