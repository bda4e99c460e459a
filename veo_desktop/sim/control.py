"""The control plane under ``/sim/``: how a test or the demo drives the simulator over HTTP.

Read and clear the request log, arm and clear faults, list, age and forget tasks, read and
set the balance, and (demo mode's stand-in for image hosting) upload an image and serve it
back. These endpoints take no key, are never faulted and are not logged (the gateway lets
``/sim/`` pass); they do exactly what the ``Simulator``'s Python methods do.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

import aiohttp
from aiohttp import web

from veo_desktop.sim.contract import IMAGE_MAX_BYTES
from veo_desktop.sim.exchange import API_PREFIX
from veo_desktop.sim.faults import Fault
from veo_desktop.sim.images import SNIFF_BYTES, sniff_image
from veo_desktop.sim.state import SimState


class ControlRoutes:
    """The ``/sim/`` endpoints."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/sim/health", self._on_health)
        router.add_get("/sim/requests", self._on_get_requests)
        router.add_delete("/sim/requests", self._on_clear_requests)
        router.add_get("/sim/faults", self._on_get_faults)
        router.add_post("/sim/faults", self._on_add_faults)
        router.add_delete("/sim/faults", self._on_clear_faults)
        router.add_get("/sim/tasks", self._on_get_tasks)
        router.add_post("/sim/tasks/{task_id}/age", self._on_age_task)
        router.add_delete("/sim/tasks/{task_id}", self._on_forget_task)
        router.add_get("/sim/balance", self._on_get_balance)
        router.add_put("/sim/balance", self._on_set_balance)
        router.add_post("/sim/upload", self._on_upload)
        router.add_get(r"/sim/files/{name:[0-9a-f]{64}\.(?:jpg|png|webp)}", self._on_file)

    async def _on_health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "base_url": self._state.origin + API_PREFIX})

    async def _on_get_requests(self, request: web.Request) -> web.Response:
        return web.json_response([record.to_json() for record in self._state.records()])

    async def _on_clear_requests(self, request: web.Request) -> web.Response:
        self._state.exchanges.clear()
        return web.json_response({"ok": True})

    async def _on_get_faults(self, request: web.Request) -> web.Response:
        return web.json_response([fault.to_json() for fault in self._state.faults.snapshot()])

    async def _on_add_faults(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            items = payload if isinstance(payload, list) else [payload]
            faults = [Fault.from_json(item) for item in items]
        except ValueError as exc:
            return _control_error(400, str(exc))
        for fault in faults:
            self._state.faults.add(fault)
        return web.json_response({"added": len(faults)})

    async def _on_clear_faults(self, request: web.Request) -> web.Response:
        self._state.faults.clear()
        return web.json_response({"ok": True})

    async def _on_get_tasks(self, request: web.Request) -> web.Response:
        infos = self._state.task_infos()
        return web.json_response({task_id: asdict(info) for task_id, info in infos.items()})

    async def _on_age_task(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            seconds = float(payload["seconds"])
        except (ValueError, KeyError, TypeError):
            return _control_error(400, 'expected {"seconds": NUMBER}')
        try:
            self._state.age_task(request.match_info["task_id"], seconds)
        except KeyError:
            return _control_error(404, "unknown task")
        return web.json_response({"ok": True})

    async def _on_forget_task(self, request: web.Request) -> web.Response:
        try:
            self._state.forget_task(request.match_info["task_id"])
        except KeyError:
            return _control_error(404, "unknown task")
        return web.json_response({"ok": True})

    async def _on_get_balance(self, request: web.Request) -> web.Response:
        return web.json_response({"balance": self._state.balance})

    async def _on_set_balance(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            self._state.balance = float(payload["balance"])
        except (ValueError, KeyError, TypeError):
            return _control_error(400, 'expected {"balance": NUMBER}')
        return web.json_response({"balance": self._state.balance})

    async def _on_upload(self, request: web.Request) -> web.Response:
        """Store an image (demo mode's stand-in for image hosting); answer its URL.

        The body is the raw image (any Content-Type), or ``multipart/form-data`` whose first
        file part is the image.
        """
        try:
            data = await _read_upload(request)
        except _UploadTooLarge:
            return _control_error(413, "image larger than 10 MB")
        if not data:
            return _control_error(400, "empty upload")
        kind = sniff_image(data[:SNIFF_BYTES])
        if kind is None:
            return _control_error(415, "not a JPEG, PNG or WebP image")
        name = f"{hashlib.sha256(data).hexdigest()}.{kind.extension}"
        path = self._state.media_path("uploads", name)
        if not path.exists():
            await asyncio.to_thread(_write_atomically, path, data)
        return web.json_response(
            {
                "url": f"{self._state.origin}/sim/files/{name}",
                "content_type": kind.content_type,
                "size": len(data),
            }
        )

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = self._state.media_path("uploads", name)
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": _kind_from_extension(name)})


class _UploadTooLarge(Exception):
    pass


def _control_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _read_upload(request: web.Request) -> bytes:
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, aiohttp.BodyPartReader) and part.filename is not None:
                return await _read_limited(part.read_chunk)
        return b""
    return await _read_limited(request.content.read)


async def _read_limited(read: Callable[[int], Awaitable[bytes]]) -> bytes:
    data = bytearray()
    while chunk := await read(64 * 1024):
        data += chunk
        if len(data) > IMAGE_MAX_BYTES:
            raise _UploadTooLarge
    return bytes(data)


def _kind_from_extension(name: str) -> str:
    extension = name.rsplit(".", 1)[-1]
    return {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[extension]


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)
