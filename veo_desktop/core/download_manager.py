"""The download manager: a finished task's videos into the library, before APIXO drops them.

For each task in ``downloading`` it plans a file name per result URL (kept in the store, so
a restart resumes into the same ``.part``), fetches each URL with
:class:`~veo_desktop.core.downloads.Downloader` (resumed, checked), writes the sidecar
(:mod:`veo_desktop.core.sidecar`), renames the video into place, and records it on the task.

Each URL stands alone (issue 12 #13): a URL that is refused, or fails permanently
:data:`PERMANENT_DOWNLOAD_TRIES` times, is given up while the others download. The task
succeeds with every video it got (the rest noted on it), and fails only when no URL gave a
video; ``Download again`` (:func:`redownload_problem`) starts over. A transient error keeps
the task downloading, retried with backoff, until a day after APIXO made the videos.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veo_desktop import __version__
from veo_desktop.api.client import SharedHttp, shared_http
from veo_desktop.api.responses import MAX_RESULT_URLS
from veo_desktop.api.retry import Backoff
from veo_desktop.core import downloads, sidecar, video_names
from veo_desktop.core.clock import Activity, Clock
from veo_desktop.core.crashpoints import crash_point
from veo_desktop.core.downloads import (
    DOWNLOAD_TIMEOUT,
    DownloadCorruptError,
    Downloader,
    DownloadError,
    DownloadTooLargeError,
)
from veo_desktop.core.poll_policy import NOTE_LIMIT, failed, too_many_results
from veo_desktop.core.record_book import RecordBook, remove_listener
from veo_desktop.core.scheduler import STOP_WAIT, cancel_and_wait
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import safe
from veo_desktop.storage.store import PlannedDownload, StoreError, TaskStore

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

OnProgress = Callable[[str, int, int | None], None]

#: How far APIXO's clock may be from ours for its times to be believed (seconds).
CLOCK_SKEW = 3600.0
UNSAFE_URL_CODE = "UnsafeVideoUrl"
#: The fail code of a task whose video could not be downloaded (see "Download again").
DOWNLOAD_FAILED_CODE = "DownloadFailed"
#: A URL failing permanently (404, an HTML page, too large...) is tried this many times,
#: spaced by the poll timing, before it is given up.
PERMANENT_DOWNLOAD_TRIES = 3
#: A URL whose complete download fails the video check this many times in one run (a cut
#: body would pass on a later try) is given up too: the server sends a damaged video.
DAMAGED_DOWNLOAD_TRIES = 5


@dataclass
class _Tries:
    #: Permanent failures so far, by result index.
    permanent: dict[int, int] = field(default_factory=dict)
    #: Complete downloads that failed the video check, by result index.
    damaged: dict[int, int] = field(default_factory=dict)
    #: Result indexes given up: (the reason shown, whether the URL was refused outright).
    given_up: dict[int, tuple[str, bool]] = field(default_factory=dict)


class DownloadManager:
    """Runs one download task per ``downloading`` task; see the module docs.

    Args:
        book: the records (downloads change them through it).
        store: where the planned file names are kept.
        library_dir: where finished videos are saved.
        timing: spaces the retries; ``result_lifetime`` ends them.
        clock: time and sleep.
        activity: counts a download pass as work in progress.
        http: the client for downloads, or the holder that makes it with the first
            download; if None, one is created with the first download (and closed).
        max_bytes: the size limit of one video.
        rng: jitter source in [0, 1).
    """

    def __init__(
        self,
        *,
        book: RecordBook,
        store: TaskStore,
        library_dir: Path,
        timing: PollTiming,
        clock: Clock,
        activity: Activity,
        http: httpx.AsyncClient | SharedHttp | None,
        max_bytes: int,
        rng: Callable[[], float],
    ) -> None:
        self._book = book
        self._store = store
        self.library_dir = library_dir
        self._timing = timing
        self._clock = clock
        self._activity = activity
        self._rng = rng
        self._owns_http = http is None
        self._http = SharedHttp(_own_http) if http is None else shared_http(http)
        self._downloader = Downloader(self._http, max_bytes=max_bytes)
        self._tries: dict[str, _Tries] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress_subscribers: list[OnProgress] = []
        #: Downloads start by themselves (false until the engine resumes its work).
        self.running = False
        self._closed = False

    def subscribe_progress(self, on_progress: OnProgress) -> Callable[[], None]:
        """Call ``on_progress(local_id, bytes_done, bytes_total)`` while downloading."""
        self._progress_subscribers.append(on_progress)
        return lambda: remove_listener(self._progress_subscribers, on_progress)

    def start(self, local_id: str, *, force: bool = False) -> None:
        """Download the task's videos (``force``: even before the engine resumed)."""
        if (not self.running and not force) or self._closed:
            return
        running = self._tasks.get(local_id)
        if running is not None and not running.done():
            return
        task = asyncio.get_running_loop().create_task(
            self._download_loop(local_id), name=f"download-{local_id[:8]}"
        )
        self._tasks[local_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tasks.get(local_id) is done:
                del self._tasks[local_id]

        task.add_done_callback(forget)

    def again(self, local_id: str) -> None:
        """Start over ("Download again"): every URL is tried afresh."""
        self._tries.pop(local_id, None)

    def paths(self, record: TaskRecord) -> list[Path]:
        """Every file of the task: its videos, planned or done, their sidecars and parts."""
        videos = [Path(f) for f in record.files]
        videos += [planned.path for planned in self._store.planned_downloads(record.local_id)]
        return [
            victim
            for path in dict.fromkeys(videos)
            for victim in (path, sidecar.sidecar_path(path), video_names.part_path(path))
        ]

    async def aclose(self) -> None:
        """Cancel the downloads (their ``.part`` files stay for a resume)."""
        self._closed = True
        self.running = False
        await cancel_and_wait(list(self._tasks.values()), "download")
        self._tasks.clear()

    async def close_http(self) -> None:
        """Close the download client if this manager made it (nothing if no download
        ever made it)."""
        if self._owns_http:
            try:
                async with asyncio.timeout(STOP_WAIT):
                    await self._http.aclose()
            except TimeoutError:
                log.warning("the download connections did not close in time")

    # -- one task ---------------------------------------------------------------------------

    async def _download_loop(self, local_id: str) -> None:
        failures = 0
        while True:
            record = self._book.lookup(local_id)
            if record is None or record.state is not TaskState.DOWNLOADING:
                self._tries.pop(local_id, None)
                return
            error: DownloadError | None
            try:
                with self._activity.busy():
                    error = await self._download_all(local_id)
            except asyncio.CancelledError:
                raise
            except DownloadError as caught:
                error = caught
            except StoreError as caught:
                error = DownloadError(safe(str(caught), NOTE_LIMIT))
            except Exception as caught:
                log.exception("download of %s failed unexpectedly", local_id[:8])
                error = DownloadError(f"The download failed ({type(caught).__name__}); retrying.")
            if error is None:
                failures = 0
                continue  # ended; unless "Download again" already restarted it
            failures += 1
            if not self._after_error(local_id, error):
                return
            await self._clock.sleep(self._backoff(error).delay(failures, self._rng))

    def _backoff(self, error: DownloadError) -> Backoff:
        """The wait between passes, from the poll timing.

        A permanent error (see :data:`PERMANENT_DOWNLOAD_TRIES`) waits ``interval_max``
        doubling: it fails the same way unless something changed on the server's side.
        """
        t = self._timing
        cap = max(5 * t.slow_interval, t.interval_max)
        base = max(t.interval_max, 0.01) if _is_permanent(error) else max(t.interval_min, 0.01)
        return Backoff(base, cap, jitter=0.2)

    def _after_error(self, local_id: str, error: DownloadError) -> bool:
        """Record a failed pass; False when the task ended (its result expired)."""
        record = self._book.get(local_id)
        log.info("download of %s failed: %s", record.short_id, type(error).__name__)
        reason = safe(str(error), NOTE_LIMIT)
        if self._clock.time() >= self._result_expiry(record):
            self._discard_parts(local_id)
            self._tries.pop(local_id, None)
            if record.files:
                missing = len(record.result_urls) - len(record.files)
                self._book.update(
                    local_id,
                    state=TaskState.SUCCEEDED,
                    note=_missing_note(missing, len(record.result_urls), reason),
                )
                return False
            self._book.update(
                local_id,
                state=TaskState.EXPIRED,
                fail_message=(
                    "The video could not be downloaded within a day of being made, and "
                    f"APIXO no longer keeps it. Last error: {reason}"
                ),
                note=None,
            )
            return False
        self._book.set_note(local_id, reason)
        return True

    def _discard_parts(self, local_id: str, indexes: set[int] | None = None) -> None:
        """Delete the partial downloads of a task (or of some of its URLs) that end here."""
        try:
            planned = self._store.planned_downloads(local_id)
        except StoreError as error:
            log.warning("partial downloads of %s left in place: %s", local_id[:8], error)
            return
        for item in planned:
            if indexes is None or item.index in indexes:
                with contextlib.suppress(OSError):
                    video_names.part_path(item.path).unlink(missing_ok=True)

    def _result_expiry(self, record: TaskRecord) -> float:
        """When APIXO stops keeping the task's videos: a day after it finished them.

        APIXO's ``completeTime`` is used only when it is sane (not before the task was sent,
        give or take :data:`CLOCK_SKEW`, and not after the app saw the result): a value in
        other units or a hostile one must neither keep a download going forever nor end it
        at once.
        """
        seen = record.results_at if record.results_at is not None else record.updated_at
        made = seen
        if record.api_complete_time:
            said = record.api_complete_time / 1000
            if record.created_at - CLOCK_SKEW <= said <= seen:
                made = said
        return made + self._timing.result_lifetime

    async def _download_all(self, local_id: str) -> DownloadError | None:
        """One pass over the task's URLs; the error to retry after, or None when it ended."""
        record = self._book.get(local_id)
        if len(record.result_urls) > MAX_RESULT_URLS:
            self._fail(local_id, too_many_results(record, len(record.result_urls)))
            return None
        plan = self._plan(record)
        tries = self._tries.setdefault(local_id, _Tries())
        files = list(record.files)
        retry: DownloadError | None = None
        for item in plan:
            if str(item.path) in files or item.index in tries.given_up:
                continue
            try:
                await self._download_one(local_id, item)
            except DownloadError as error:
                if not self._give_up(local_id, tries, item, error):
                    retry = retry or error
                continue
            files.append(str(item.path))
            self._book.update(local_id, files=tuple(files), note=None)
            crash_point("download.file_committed")
        if retry is not None:
            return retry
        self._finish(local_id, tries)
        return None

    async def _download_one(self, local_id: str, item: PlannedDownload) -> None:
        record = self._book.get(local_id)
        if await self._adopt_existing(record, item):
            return
        part = video_names.part_path(item.path)

        def progress(done: int, total: int | None) -> None:
            self._emit_progress(local_id, done, total)

        await self._downloader.fetch(item.url, part, progress)
        try:
            sidecar.write_sidecar(record, item.index, item.path)
        except OSError as error:
            raise downloads.disk_error(error, item.path.parent) from error
        crash_point("download.sidecar_written")
        downloads.finalize(part, item.path)
        crash_point("download.renamed")

    def _give_up(
        self, local_id: str, tries: _Tries, item: PlannedDownload, error: DownloadError
    ) -> bool:
        """Count a failure of one URL; True when that URL is given up for good."""
        reason = safe(str(error), NOTE_LIMIT)
        if error.retry and _is_permanent(error):
            count = tries.permanent[item.index] = tries.permanent.get(item.index, 0) + 1
            if count < PERMANENT_DOWNLOAD_TRIES:
                return False
        elif error.retry and isinstance(error, DownloadCorruptError):
            # A cut-short body downloads again; a server that sends a damaged video every
            # time would otherwise be fetched again and again for a whole day.
            damaged = tries.damaged[item.index] = tries.damaged.get(item.index, 0) + 1
            if damaged < DAMAGED_DOWNLOAD_TRIES:
                return False
            reason = f"The video server keeps sending a damaged video. {reason}"
        elif error.retry:
            return False
        log.warning(
            "result %d of task %s is given up: %s",
            item.index + 1,
            local_id[:8],
            type(error).__name__,
        )
        tries.given_up[item.index] = (reason, not error.retry)
        self._discard_parts(local_id, {item.index})
        return True

    def _finish(self, local_id: str, tries: _Tries) -> None:
        self._tries.pop(local_id, None)
        record = self._book.get(local_id)
        if not tries.given_up:
            self._book.update(local_id, state=TaskState.SUCCEEDED, note=None)
            log.info("task %s downloaded: %s", local_id[:8], ", ".join(record.files))
            return
        reason, _ = tries.given_up[min(tries.given_up)]
        if record.files:
            note = _missing_note(len(tries.given_up), len(record.result_urls), reason)
            self._book.update(local_id, state=TaskState.SUCCEEDED, note=note)
            log.info("task %s downloaded in part: %s", local_id[:8], ", ".join(record.files))
            return
        if all(refused for _, refused in tries.given_up.values()):
            self._fail(
                local_id,
                failed(
                    UNSAFE_URL_CODE,
                    f"{reason} It was not downloaded; the result URLs are listed in the task "
                    "details until they expire.",
                ),
            )
            return
        self._fail(
            local_id,
            failed(DOWNLOAD_FAILED_CODE, f"The video could not be downloaded: {reason}"),
        )

    def _fail(self, local_id: str, changes: dict[str, Any]) -> None:
        self._tries.pop(local_id, None)
        self._book.update(local_id, **changes)

    def _plan(self, record: TaskRecord) -> list[PlannedDownload]:
        plan = self._store.planned_downloads(record.local_id)
        if len(plan) >= len(record.result_urls):
            return plan
        downloads.ensure_folder(self.library_dir)
        taken = self._store.planned_paths()
        known = {p.index for p in plan}
        new: list[PlannedDownload] = []
        for index, url in enumerate(record.result_urls):
            if index in known:
                continue
            path = video_names.unique_path(self.library_dir, record, index, taken)
            taken.add(str(path))
            new.append(PlannedDownload(index, url, path))
        self._store.plan_downloads(record.local_id, new)
        return sorted([*plan, *new], key=lambda p: p.index)

    async def _adopt_existing(self, record: TaskRecord, item: PlannedDownload) -> bool:
        """A video renamed into place just before a crash is ours if its sidecar says so
        and it passes the full check (every MP4 box whole, every packet demuxed)."""
        if not item.path.exists():
            return False
        try:
            meta = sidecar.read_sidecar(sidecar.sidecar_path(item.path))
        except sidecar.SidecarError:
            return False
        if meta.get("local_task_id") != record.local_id:
            return False
        try:
            await downloads.verify_video(item.path)
        except DownloadError as error:
            log.warning("%s is not a complete video (%s); downloading it again", item.path, error)
            return False
        return True

    def _emit_progress(self, local_id: str, done: int, total: int | None) -> None:
        for callback in list(self._progress_subscribers):
            try:
                callback(local_id, done, total)
            except Exception:
                log.exception("a progress subscriber failed")


def _own_http() -> httpx.AsyncClient:
    """The download client of a manager given none (made with its first download)."""
    import httpx

    return httpx.AsyncClient(
        timeout=DOWNLOAD_TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": f"veo-desktop/{__version__}"},
    )


def redownload_problem(record: TaskRecord) -> str | None:
    """Why ``record``'s videos cannot be downloaded again (free); None when they can.

    The one rule behind the engine's ``redownload``, the window's "Download again" and the
    command line's ``download`` hints.
    """
    state = record.state
    if state is TaskState.DOWNLOADING:
        return "This task is already downloading."
    if record.is_active or state is TaskState.UNCERTAIN:
        return "This task has not finished on APIXO yet; its video downloads by itself."
    if not record.result_urls:
        return f"This {state.value} task has no video to download."
    if state is TaskState.FAILED and record.fail_code == DOWNLOAD_FAILED_CODE:
        return None
    if state is TaskState.EXPIRED:
        return None
    if state is TaskState.SUCCEEDED and len(record.files) < len(record.result_urls):
        return None
    if state is TaskState.SUCCEEDED:
        return "Every video of this task is already downloaded."
    return f"This task {state.value} ({record.fail_code}); its video cannot be downloaded again."


def _is_permanent(error: DownloadError) -> bool:
    return error.permanent or isinstance(error, DownloadTooLargeError)


def _missing_note(missing: int, total: int, reason: str) -> str:
    if total == 1:
        return f"The video could not be downloaded: {reason}"
    return f"{missing} of {total} videos could not be downloaded: {reason}"
