"""Turning an accepted task into its clip, as APIXO does while a task is processing.

The :class:`Studio` fetches a task's input images that live on this machine (failing the
task as APIXO would for an unreachable, oversized or non-image file), then has the render
worker paint and encode the clip. It owns what that needs for the simulator's life: the
render worker, an HTTP session for the images, the clips shared between tasks, and the
background jobs, all ended by :meth:`Studio.close`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from veo_desktop.sim.contract import GENERATE_MODEL, IMAGE_MAX_BYTES, is_loopback_host
from veo_desktop.sim.images import SNIFF_BYTES, sniff_image
from veo_desktop.sim.renderer import RenderError, RenderJob, RenderWorker
from veo_desktop.sim.state import SimState
from veo_desktop.sim.tasks import RENDER_FAILED, SimTask

logger = logging.getLogger(__name__)

FPS: Final = 24
#: Frame sizes per requested aspect ratio ("auto" renders landscape).
FRAME_SIZES: Final[dict[str, tuple[int, int]]] = {
    "16:9": (640, 360),
    "9:16": (360, 640),
    "auto": (640, 360),
}
_IMAGE_FETCH_TIMEOUT: Final = 15.0


class Studio:
    """Prepares accepted tasks (input images, then the clip) in the background."""

    def __init__(self, state: SimState) -> None:
        self._state = state
        self._render: RenderWorker | None = None
        self._http: aiohttp.ClientSession | None = None
        self._shared_clips: dict[str, asyncio.Task[Path]] = {}
        self._background: set[asyncio.Task[None]] = set()

    def open(self) -> None:
        """Get ready to prepare tasks (the render worker itself starts on the first job)."""
        self._render = RenderWorker()
        self._http = aiohttp.ClientSession(trust_env=False)

    async def close(self) -> None:
        """Cancel the jobs under way, stop the render worker, close the HTTP session."""
        pending: list[asyncio.Task[Any]] = [*self._background, *self._shared_clips.values()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._background.clear()
        self._shared_clips.clear()
        if self._render is not None:
            await self._render.close()
            self._render = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    def prepare_later(self, task: SimTask, image_urls: tuple[str, ...]) -> None:
        """Start preparing ``task`` in the background."""
        self._spawn(self._prepare(task, image_urls))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _prepare(self, task: SimTask, image_urls: tuple[str, ...]) -> None:
        """Fetch loopback input images and render the clip, as APIXO would while processing."""
        if task.planned_failure is not None:
            return
        failure: tuple[str, str] | None = None
        try:
            for url in image_urls:
                failure = await self._fetch_image(url)
                if failure is not None:
                    break
            if failure is None:
                task.clip = await self._clip_for(task)
        except RenderError as exc:
            logger.warning("rendering the clip of %s failed: %s", task.task_id, exc)
            failure = RENDER_FAILED
        except Exception:
            logger.exception("preparing %s failed", task.task_id)
            failure = RENDER_FAILED
        task.prepare_failure = failure
        task.prepared_at = time.time()
        task.prepared = True
        state = self._state
        if task.task_id not in state.tasks and state.video == "per_task" and task.clip:
            task.clip.unlink(missing_ok=True)

    async def _fetch_image(self, url: str) -> tuple[str, str] | None:
        """Download one input image if it lives on this machine; the failure, if any.

        Non-loopback URLs are taken on trust: the simulator has no network.
        """
        if not is_loopback_host(urlsplit(url).hostname):
            return None
        assert self._http is not None
        download_failed = ("IMAGE_DOWNLOAD_FAILED", f"Failed to download image: {url}")
        too_large = ("IMAGE_TOO_LARGE", f"Image exceeds 10 MB: {url}")
        data = bytearray()
        try:
            timeout = aiohttp.ClientTimeout(total=_IMAGE_FETCH_TIMEOUT)
            async with self._http.get(url, timeout=timeout) as response:
                if response.status != 200:
                    return download_failed
                if (response.content_length or 0) > IMAGE_MAX_BYTES:
                    return too_large
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > IMAGE_MAX_BYTES:
                        return too_large
        except (aiohttp.ClientError, TimeoutError):
            return download_failed
        if sniff_image(bytes(data[:SNIFF_BYTES])) is None:
            return ("ImageFormatIncorrect", f"Input image format is not accepted: {url}")
        return None

    async def _clip_for(self, task: SimTask) -> Path:
        if self._state.video == "shared":
            clip = self._shared_clips.get(task.aspect_ratio)
            if clip is None or (clip.done() and (clip.cancelled() or clip.exception())):
                clip = asyncio.create_task(self._render_shared(task.aspect_ratio))
                self._shared_clips[task.aspect_ratio] = clip
            return await asyncio.shield(clip)
        path = self._state.media_path(f"{task.task_id}.mp4")
        caption = f"{task.model} \u00b7 {task.mode} \u00b7 {task.aspect_ratio}"
        if task.source_task_id:
            caption += f" \u00b7 extends {task.source_task_id}"
        await self._render_clip(path, task.aspect_ratio, task.prompt, task.task_id, caption)
        return path

    async def _render_shared(self, aspect_ratio: str) -> Path:
        path = self._state.media_path(f"shared-{aspect_ratio.replace(':', 'x')}.mp4")
        await self._render_clip(
            path,
            aspect_ratio,
            "Shared clip: every task of this aspect ratio plays this video (video=shared)",
            f"shared {aspect_ratio}",
            f"{GENERATE_MODEL} \u00b7 shared \u00b7 {aspect_ratio}",
        )
        return path

    async def _render_clip(
        self, path: Path, aspect_ratio: str, prompt: str, label: str, caption: str
    ) -> None:
        if self._render is None:
            raise RenderError("the simulator is not running")
        width, height = FRAME_SIZES[aspect_ratio]
        await self._render.render(
            RenderJob(
                path=str(path),
                width=width,
                height=height,
                seconds=self._state.clip_seconds,
                fps=FPS,
                prompt=prompt,
                task_id=label,
                caption=caption,
            )
        )
