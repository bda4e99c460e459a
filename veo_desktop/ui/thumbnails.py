"""First frames of downloaded videos as small pictures for the task list.

Decoding happens on one worker thread (PyAV), newest request first, so the rows a person
is looking at get their pictures before rows scrolled past long ago. Finished thumbnails
are written as PNG files to the cache folder (keyed by path, size and modification time,
so a replaced video gets a new picture) and kept in a small in-memory LRU of pixmaps. The
GUI thread never decodes, scales or reads a file: :meth:`ThumbnailCache.get` answers from
memory or schedules the work and returns ``None``; :attr:`thumbnail_ready` says when to
paint again.

The PNG files stay within a byte cap (:data:`DEFAULT_MAX_BYTES`): each use of a file marks
it recently used (its modification time), and once the folder passes the cap the least
recently used files are deleted until it is under :data:`TRIM_TO` of the cap again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from veo_desktop.imaging.frames import first_frame

logger = logging.getLogger(__name__)

#: Thumbnails are made to fit this box (twice the list's cell, for high-DPI screens).
DEFAULT_SIZE = QSize(192, 108)
#: How many requests may wait; older ones (rows scrolled away) are dropped first.
MAX_QUEUED = 96
#: The worker thread ends after this long without work.
IDLE_EXIT_S = 5.0
#: The thumbnail folder's cap (a thumbnail is some 20-60 KB: a few thousand videos).
DEFAULT_MAX_BYTES = 150_000_000
#: Trimming stops once the folder is under this share of the cap (not at every new file).
TRIM_TO = 0.8


class ThumbnailCache(QObject):
    """Thumbnails of video files, made off the GUI thread and cached on disk and in memory.

    Args:
        cache_dir: where PNG thumbnails are kept between runs; ``None`` keeps them in
            memory only.
        size: the box thumbnails are scaled to fit.
        memory_items: how many pixmaps stay in memory (least recently used go first).
        max_bytes: the most the PNG files may take on disk (least recently used go first).
    """

    #: A thumbnail for this video path is now available from :meth:`get`.
    thumbnail_ready = Signal(str)
    _decoded = Signal(str, object)  # video path, QImage | None (from the worker thread)

    def __init__(
        self,
        cache_dir: Path | None,
        *,
        size: QSize = DEFAULT_SIZE,
        memory_items: int = 300,
        max_bytes: int = DEFAULT_MAX_BYTES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._cache_dir = cache_dir
        self.max_bytes = max_bytes
        self._disk_bytes: int | None = None  # measured on first need, then kept up
        self._disk_lock = threading.RLock()
        self._last_use = 0
        self._size = QSize(size)
        self._memory_items = memory_items
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._failed: set[str] = set()
        self._pending: OrderedDict[str, None] = OrderedDict()
        self._in_flight: str | None = None
        self._lock = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._decoded.connect(self._on_worker_decoded, Qt.ConnectionType.QueuedConnection)

    @property
    def cache_dir(self) -> Path | None:
        return self._cache_dir

    def get(self, video: str) -> QPixmap | None:
        """The thumbnail if it is in memory; otherwise schedule it and return ``None``."""
        pixmap = self._pixmaps.get(video)
        if pixmap is not None:
            self._pixmaps.move_to_end(video)
            return pixmap
        if video not in self._failed:
            self._schedule(video)
        return None

    def failed(self, video: str) -> bool:
        """Whether ``video`` could not be turned into a thumbnail (missing, not a video)."""
        return video in self._failed

    def forget(self, video: str) -> None:
        """Drop what is known about ``video`` (it was replaced or deleted)."""
        self._pixmaps.pop(video, None)
        self._failed.discard(video)

    def close(self) -> None:
        """Stop the worker thread (waits for the one decode in progress, if any)."""
        with self._lock:
            self._closing = True
            self._pending.clear()
            self._lock.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=10)

    def _schedule(self, video: str) -> None:
        with self._lock:
            if self._closing or video == self._in_flight:
                return
            self._pending[video] = None
            self._pending.move_to_end(video)
            while len(self._pending) > MAX_QUEUED:
                self._pending.popitem(last=False)
            self._lock.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="thumbnails", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._pending and not self._closing:
                    self._lock.wait(IDLE_EXIT_S)
                if self._closing or not self._pending:
                    # Idle (or closing): the thread ends; the next request starts another.
                    self._thread = None
                    return
                video, _ = self._pending.popitem(last=True)
                self._in_flight = video
            try:
                image = self._load(video)
            except Exception:
                logger.exception("Thumbnail of %s failed", video)
                image = None
            if self._finish(video):
                try:
                    self._decoded.emit(video, image)
                except RuntimeError:  # the cache was deleted without close()
                    return

    def _finish(self, video: str) -> bool:
        """Mark ``video`` done; whether its result should still be delivered."""
        with self._lock:
            if self._in_flight == video:
                self._in_flight = None
            return not self._closing

    def _load(self, video: str) -> QImage | None:
        path = Path(video)
        try:
            stat = path.stat()
        except OSError:
            return None
        cached = self._cached_file(path, stat)
        if cached is not None and cached.exists():
            image = QImage(str(cached))
            if not image.isNull():
                self._touch(cached)  # used now: the last to be trimmed
                return image
        try:
            image = self._decode(path, self._size)
        except (OSError, ValueError) as error:
            logger.info("No %s for %s: %s", self.WHAT, path.name, error)
            return None
        if cached is not None:
            self._store(image, cached)
        return image

    #: What one picture of this cache is called in the log.
    WHAT = "thumbnail"

    def _decode(self, path: Path, size: QSize) -> QImage:
        """The picture of ``path`` this cache keeps (the first frame; a subclass may differ).

        Raises:
            OSError, ValueError: the video cannot be read.
        """
        return first_frame(path, size)

    def _cached_file(self, path: Path, stat: os.stat_result) -> Path | None:
        if self._cache_dir is None:
            return None
        box = f"{self._size.width()}x{self._size.height()}"
        key = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{box}"
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self._cache_dir / f"{digest}.png"

    def _store(self, image: QImage, target: Path) -> None:
        partial = target.with_suffix(".png.part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if image.save(str(partial), "PNG"):  # type: ignore[call-overload]
                size = partial.stat().st_size
                os.replace(partial, target)
                self._touch(target)
                self._grew(size)
        except OSError as error:
            logger.info("Could not cache a thumbnail in %s: %s", target.parent, error)
        finally:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)

    def disk_bytes(self) -> int:
        """What the thumbnail files take on disk now (reads the folder the first time)."""
        with self._disk_lock:
            if self._disk_bytes is None:
                self._disk_bytes = sum(size for _p, size, _t in self._files())
            return self._disk_bytes

    def trim(self, max_bytes: int | None = None) -> int:
        """Delete the least recently used thumbnail files until they take at most
        ``max_bytes`` (default: :data:`TRIM_TO` of the cap); returns the bytes freed.

        Reads and deletes files: call it off the GUI thread (the worker calls it by itself
        when the cap is passed).
        """
        limit = int(self.max_bytes * TRIM_TO) if max_bytes is None else max_bytes
        with self._disk_lock:
            files = sorted(self._files(), key=lambda item: item[2])
            total = sum(size for _p, size, _t in files)
            freed = 0
            for path, size, _used in files:
                if total - freed <= limit:
                    break
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as error:
                    logger.info("Could not delete the thumbnail %s: %s", path.name, error)
                    continue
                freed += size
            self._disk_bytes = total - freed
        return freed

    def drop_orphans(self, videos: Iterable[Path | str]) -> int:
        """Delete the thumbnail files of no video in ``videos`` (every video the library
        still has: deleted and replaced ones leave theirs behind); returns the bytes freed.

        Reads every video's size and time and deletes files: call it off the GUI thread.
        """
        wanted = set()
        for video in videos:
            path = Path(video)
            try:
                cached = self._cached_file(path, path.stat())
            except OSError:
                continue
            if cached is not None:
                wanted.add(cached.name)
        freed = 0
        with self._disk_lock:
            for path, size, _used in self._files():
                if path.name in wanted:
                    continue
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError as error:
                    logger.info("Could not delete the thumbnail %s: %s", path.name, error)
                    continue
                freed += size
            if self._disk_bytes is not None:
                self._disk_bytes = max(0, self._disk_bytes - freed)
        return freed

    def _files(self) -> list[tuple[Path, int, int]]:
        """Every thumbnail file: path, size, last use (nanoseconds)."""
        if self._cache_dir is None:
            return []
        found = []
        try:
            entries = list(os.scandir(self._cache_dir))
        except OSError:
            return []
        for entry in entries:
            if not entry.name.endswith(".png"):
                continue
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found.append((Path(entry.path), stat.st_size, stat.st_mtime_ns))
        return found

    def _touch(self, path: Path) -> None:
        """Mark ``path`` used now (its modification time, strictly later than the last
        one marked, so that files used in one clock tick keep their order)."""
        with self._disk_lock:
            self._last_use = max(time.time_ns(), self._last_use + 1)
            stamp = self._last_use
        with contextlib.suppress(OSError):
            os.utime(path, ns=(stamp, stamp))

    def _grew(self, size: int) -> None:
        """A thumbnail of ``size`` bytes was written: trim once the cap is passed."""
        with self._disk_lock:
            if self._disk_bytes is None:
                self._disk_bytes = sum(size for _p, size, _t in self._files())
            else:
                self._disk_bytes += size
            over = self._disk_bytes > self.max_bytes
        if over:
            self.trim()

    @Slot(str, object)
    def _on_worker_decoded(self, video: str, image: object) -> None:
        if not isinstance(image, QImage) or image.isNull():
            self._failed.add(video)
            return
        self._pixmaps[video] = QPixmap.fromImage(image)
        self._pixmaps.move_to_end(video)
        while len(self._pixmaps) > self._memory_items:
            self._pixmaps.popitem(last=False)
        self.thumbnail_ready.emit(video)
