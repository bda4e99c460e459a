"""Downloading finished videos: streamed to ``.part``, resumable, checked, then renamed.

A paid video exists on APIXO's side for 24 hours only, so a download must survive
interruptions (network, restart, a full disk, a stalled server) and pick up where it stopped
with an HTTP ``Range`` request. Nothing of the URL is trusted for naming: file names come
from our own data (:mod:`veo_desktop.core.video_names`). Only https URLs are fetched (plain
http only from this computer, for the simulator).

A file counts only once :func:`verify_video` passed it (every MP4 box whole, every packet
demuxed: :mod:`veo_desktop.core.mp4check`), resumed or not. Each :class:`DownloadError` says
whether trying the same URL again can help (``permanent``: a 404, a web page, a compressed
or too large body, a redirect loop).

httpx and httpcore load with the first download, not with this module (the window lists
its tasks before anything downloads).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from veo_desktop.api.client import SharedHttp, Timeouts, shared_http
from veo_desktop.api.urls import url_problem
from veo_desktop.core import mp4check
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.fsutil import fsync_dir
from veo_desktop.safe_text import safe

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_REDIRECTS = 5
PROGRESS_SECONDS = 0.1
#: Start writing a download to disk after every this many bytes (see _start_write_back).
WRITE_BACK_BYTES = 8 * 1024 * 1024
DOWNLOAD_TIMEOUT = Timeouts(connect=15.0, read=60.0, write=30.0, pool=15.0)
#: httpcore reads at most 64 KiB per event-loop turn by default; with 256 KiB a 200 MB
#: download costs a quarter less CPU and keeps up with ``curl`` (measured in
#: tests/benchmarks/test_core_download.py). It is a public class attribute of httpcore,
#: raised for the whole process: it only bounds how much one socket read may return.
READ_BYTES = 256 * 1024
#: A download that receives fewer than ``STALL_BYTES`` in ``STALL_SECONDS`` (headers
#: included) is cut and resumed later: httpx's read timeout alone lets a body trickling one
#: byte every few seconds hold a download forever.
STALL_SECONDS = 30.0
STALL_BYTES = 32 * 1024
#: Content types that are never a video (a web page, an API error, a script). ``text/plain``
#: is not among them: a storage bucket may label any upload so, and the MP4 check decides.
_NOT_VIDEO_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})

#: ``(bytes_done, bytes_total)`` while one file downloads: at the start, every
#: ``PROGRESS_SECONDS`` and at the end.
Progress = Callable[[int, int | None], None]


class DownloadError(Exception):
    """A download did not complete. ``str()`` is the note shown to the person.

    Attributes:
        retry: trying again later can work without a change (network, server, disk space).
        permanent: the same URL keeps failing the same way (404, an HTML page, too large, a
            redirect loop): the engine tries a few times, spaced, then ends the task failed.
    """

    retry: bool = True
    permanent: bool = False


class DownloadRefusedError(DownloadError):
    """The URL is not one we download from (not https, not loopback)."""

    retry = False


class DownloadHttpError(DownloadError):
    """The server answered with an error status.

    Permanent for a 4xx other than 408, 425 and 429: a missing (404, 410) or forbidden
    (401, 403, what an expired signed link answers) video stays so. 5xx and 429 pass.
    """

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.permanent = 400 <= status_code < 500 and status_code not in (408, 425, 429)


class DownloadRedirectError(DownloadError):
    """The video URL redirects in a loop (or too many times)."""

    permanent = True


class DownloadNetworkError(DownloadError):
    """The connection failed, broke or stalled; the ``.part`` file is kept for a resume."""


class DownloadCorruptError(DownloadError):
    """What arrived is not a complete mp4 video; the ``.part`` file is discarded.

    Transient: a body cut short downloads again. :class:`DownloadNotVideoError` is the
    permanent kind: the server sends something else entirely.
    """


class DownloadNotVideoError(DownloadCorruptError):
    """The server sends a web page, JSON, or anything else that is not an mp4 video."""

    permanent = True


class DownloadEncodingError(DownloadError):
    """The server compressed the body although we asked for it as is (``identity``).

    Not decoded: a compressed body cannot be resumed with a byte ``Range`` and its size
    cannot be checked before it is unpacked; a server that ignores ``Accept-Encoding``
    once does so again, so this is permanent.
    """

    permanent = True


class DownloadTooLargeError(DownloadError):
    """The video is larger than the size limit in Settings (permanent until it is raised)."""

    permanent = True


class DownloadDiskError(DownloadError):
    """The library folder cannot be written (full disk, permissions, missing drive)."""


@dataclass(frozen=True)
class FetchResult:
    """A verified, fsynced ``.part`` file."""

    path: Path
    size: int
    resumed_from: int


def download_url_problem(url: str) -> str | None:
    """Why a result URL is not downloaded, or None (https, or http on loopback)."""
    return url_problem(url, what="The video URL", allow_loopback_http=True)


def disk_error(error: OSError, folder: Path) -> DownloadDiskError:
    """The person-facing message for a file-system failure in ``folder``."""
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return DownloadDiskError(
            f"Disk full: free space in {folder}; the download resumes automatically."
        )
    reason = error.strerror or type(error).__name__
    return DownloadDiskError(
        f"Cannot write to {folder} ({reason}). Fix its permissions or choose another library "
        "folder in Settings; the download resumes automatically."
    )


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise disk_error(error, folder) from error
    if not os.access(folder, os.W_OK | os.X_OK):
        raise disk_error(PermissionError(errno.EACCES, "Permission denied"), folder)


def _start_write_back(fd: int, offset: int, length: int) -> None:
    """Ask the OS to start writing a span of the file to disk now, without waiting.

    A video left whole in the page cache makes the final fsync flush hundreds of MB at
    once; on ext4 that stalls every other write to the disk meanwhile, the task store's
    commits on the event loop among them (58 ms measured for 200 MB). Written back as it
    arrives, the final fsync has little left to do. Where the OS offers no such call, the
    final fsync does it all, as before.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


async def verify_video(path: Path) -> None:
    """Check that ``path`` is a complete mp4 video (every box whole, every packet demuxed).

    Runs :func:`veo_desktop.core.mp4check.video_problem` in a worker thread.

    Raises:
        DownloadCorruptError: the file is cut short or damaged; download it again.
    """
    problem = await asyncio.to_thread(mp4check.video_problem, path)
    if problem is not None:
        raise DownloadCorruptError(
            f"The downloaded video is incomplete or damaged ({problem}); it is downloaded again."
        )


def has_ftyp(path: Path) -> bool:
    """Whether the file starts like an mp4 (an ``ftyp`` box at offset 4)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return len(head) == 8 and head[4:8] == b"ftyp"


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``(start, total)`` from ``bytes start-end/total`` or ``bytes */total``."""
    if not value:
        return None, None
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value)
    if not match:
        return None, None
    start = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(2)) if match.group(2) != "*" else None
    return start, total


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Downloader:
    """Fetches one URL into a ``.part`` file, resuming what is already there.

    Args:
        http: the client used for downloads (never the API client: no key is sent), or
            the holder that makes it with the first download.
        max_bytes: a video larger than this is refused.
        stall_seconds: the window in which at least ``stall_bytes`` must arrive, else the
            download is cut (a :class:`DownloadNetworkError`, resumed later). None:
            :data:`STALL_SECONDS`.
        stall_bytes: see ``stall_seconds``. None: :data:`STALL_BYTES`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient | SharedHttp,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        stall_seconds: float | None = None,
        stall_bytes: int | None = None,
    ) -> None:
        self._http = shared_http(http)
        self.max_bytes = max_bytes
        self.stall_seconds = STALL_SECONDS if stall_seconds is None else stall_seconds
        self.stall_bytes = STALL_BYTES if stall_bytes is None else stall_bytes

    async def fetch(self, url: str, part: Path, progress: Progress | None = None) -> FetchResult:
        """Download ``url`` into ``part``, verified and fsynced; the caller renames it.

        Raises:
            DownloadError: a subclass saying what went wrong; the ``.part`` file is kept
                when a resume can continue it. ``permanent`` tells whether the same URL
                will keep failing the same way.
        """
        if problem := download_url_problem(url):
            raise DownloadRefusedError(problem)
        ensure_folder(part.parent)
        for _ in range(2):  # a second round only after a stale .part was discarded
            result = await self._attempt(url, part, progress)
            if result is not None:
                return result
        raise DownloadCorruptError("The server would not send the video from its start.")

    async def _attempt(self, url: str, part: Path, progress: Progress | None) -> FetchResult | None:
        import httpx

        offset = _size(part)
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            with _StallWatch(self.stall_seconds, self.stall_bytes) as watch:
                async with self._open(url, headers) as response:
                    status = response.status_code
                    if status == 416 and offset:
                        _, total = _content_range(response.headers.get("content-range"))
                        if total == offset:
                            watch.stop()
                            return await self._finish(part, offset, offset)
                        _discard(part)
                        return None
                    if status == 206 and offset:
                        start, total = _content_range(response.headers.get("content-range"))
                        if start != offset:
                            _discard(part)
                            return None
                        mode = "ab"
                    elif status == 200:
                        offset = 0
                        total = _int_header(response.headers.get("content-length"))
                        mode = "wb"
                    else:
                        raise _http_error(status)
                    _check_body(response)
                    if total is not None and total > self.max_bytes:
                        raise self._too_large(total)
                    done = await self._stream(response, part, mode, offset, total, progress, watch)
        except httpx.TransportError as error:
            raise DownloadNetworkError(
                f"The download was interrupted ({type(error).__name__}); it resumes automatically."
            ) from error
        if total is not None and done != total:
            raise DownloadNetworkError(
                f"The download stopped at {done:,} of {total:,} bytes; it resumes automatically."
            )
        return await self._finish(part, done, offset)

    @contextlib.asynccontextmanager
    async def _open(self, url: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        """GET ``url``, following redirects only to URLs we would download from."""
        _raise_read_size()
        http = self._http.get()
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            async with http.stream(
                "GET", current, headers=headers, follow_redirects=False, timeout=DOWNLOAD_TIMEOUT
            ) as response:
                if response.is_redirect and "location" in response.headers:
                    target = urljoin(current, response.headers["location"])
                    if problem := download_url_problem(target):
                        raise DownloadRefusedError(
                            f"The video URL redirects elsewhere: {safe(problem, 300)}"
                        )
                    current = target
                    continue
                yield response
                return
        raise DownloadRedirectError(
            f"The video URL redirects too many times (more than {MAX_REDIRECTS}); "
            "the server may be misconfigured."
        )

    async def _stream(
        self,
        response: httpx.Response,
        part: Path,
        mode: str,
        offset: int,
        total: int | None,
        progress: Progress | None,
        watch: _StallWatch,
    ) -> int:
        done = offset
        next_report = time.monotonic() + PROGRESS_SECONDS
        if progress:
            progress(done, total)
        watch.restart(done)
        try:
            with part.open(mode) as handle:
                written_back = done
                async for chunk in response.aiter_raw():
                    handle.write(chunk)
                    done += len(chunk)
                    watch.position = done
                    if done > self.max_bytes:
                        raise self._too_large(done)
                    crash_point("download.chunk")
                    if progress and (now := time.monotonic()) >= next_report:
                        progress(done, total)
                        next_report = now + PROGRESS_SECONDS
                    if done - written_back >= WRITE_BACK_BYTES:
                        handle.flush()
                        _start_write_back(handle.fileno(), written_back, done - written_back)
                        written_back = done
                watch.stop()
                handle.flush()
                fd = handle.fileno()
                await asyncio.to_thread(os.fsync, fd)
        except OSError as error:
            raise disk_error(error, part.parent) from error
        if progress:
            progress(done, total)
        return done

    async def _finish(self, part: Path, size: int, resumed_from: int) -> FetchResult:
        """Check the whole ``.part`` (resumed or not); discard it unless it is a video."""
        if size >= 8 and not has_ftyp(part):
            _discard(part)
            raise DownloadNotVideoError(
                "What the server sent is not an MP4 video; the link may be wrong or expired."
            )
        try:
            await verify_video(part)
        except DownloadCorruptError:
            _discard(part)
            raise
        crash_point("download.part_synced")
        return FetchResult(part, size, resumed_from)

    def _too_large(self, size: int) -> DownloadTooLargeError:
        return DownloadTooLargeError(
            f"The video is {size / 1024**2:,.0f} MB, above the {self.max_bytes / 1024**2:,.0f} "
            "MB download limit (Settings); raise the limit to download it."
        )


class _StallWatch:
    """Cuts the current task's download when fewer than ``min_bytes`` arrive per window.

    A timer checks :attr:`position` (set by the read loop: one attribute store per chunk)
    every ``seconds``; too little progress cancels the task, and leaving the block turns
    that cancellation into a :class:`DownloadNetworkError`, the way ``asyncio.timeout``
    turns its own into ``TimeoutError``. A cancellation from elsewhere passes unchanged.
    """

    def __init__(self, seconds: float, min_bytes: int) -> None:
        self.position = 0
        self._seconds = seconds
        self._min_bytes = min_bytes
        self._mark = 0
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None, "a download runs in a task"
        self._task = task
        self._cancelling = 0
        self._timer: asyncio.TimerHandle | None = None
        self._stalled = False

    def __enter__(self) -> _StallWatch:
        self._cancelling = self._task.cancelling()
        self._timer = self._loop.call_later(self._seconds, self._check)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        self.stop()
        if not self._stalled:
            return
        self._stalled = False
        if self._task.uncancel() <= self._cancelling and kind is asyncio.CancelledError:
            raise DownloadNetworkError(
                f"The download stalled (under {self._min_bytes // 1024:,} KB in "
                f"{self._seconds:g} s); it resumes automatically."
            ) from error

    def restart(self, position: int) -> None:
        """Count from ``position`` (where the body starts), a full window from now."""
        self.position = self._mark = position
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._loop.call_later(self._seconds, self._check)

    def stop(self) -> None:
        """No more checks (before the final fsync, which may rightly take a while)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        if self.position - self._mark < self._min_bytes:
            self._timer = None
            self._stalled = True
            self._task.cancel()
            return
        self._mark = self.position
        self._timer = self._loop.call_later(self._seconds, self._check)


def _check_body(response: httpx.Response) -> None:
    """Refuse a body that cannot be our video, before any of it is written.

    Raises:
        DownloadEncodingError: it is compressed (``Content-Encoding`` other than identity).
        DownloadNotVideoError: its ``Content-Type`` is a web page, text, JSON or XML.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise DownloadEncodingError(
            f"The video server sent the video compressed (Content-Encoding: "
            f"{safe(encoding, 40)}), which cannot be resumed or checked."
        )
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        raise DownloadNotVideoError("The video server sent a web page instead of the video.")
    text = kind.startswith("text/") and kind != "text/plain"
    if text or kind in _NOT_VIDEO_TYPES or kind.endswith(("+json", "+xml")):
        raise DownloadNotVideoError(f"The video server sent {safe(kind, 60)} instead of the video.")


def _raise_read_size() -> None:
    import httpcore

    connection = httpcore.AsyncHTTP11Connection
    current = getattr(connection, "READ_NUM_BYTES", None)
    if isinstance(current, int) and current < READ_BYTES:
        connection.READ_NUM_BYTES = READ_BYTES


def _http_error(status: int) -> DownloadHttpError:
    if status in (404, 410):
        message = f"The video server answered HTTP {status} (the link may have expired)."
    elif status in (401, 403):
        message = (
            f"The video server refused the download (HTTP {status}); the link may have expired."
        )
    elif status in (408, 425, 429) or status >= 500:
        message = f"The video server is busy (HTTP {status}); retrying."
    elif 400 <= status < 500:
        message = f"The video server refused the download (HTTP {status})."
    else:
        message = f"The video server answered HTTP {status} instead of the video; retrying."
    return DownloadHttpError(message, status)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def finalize(part: Path, video: Path) -> None:
    """Rename a verified ``.part`` to its final name, durably."""
    try:
        os.replace(part, video)
    except OSError as error:
        raise disk_error(error, video.parent) from error
    fsync_dir(video.parent)
