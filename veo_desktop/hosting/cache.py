"""Identical content is uploaded once: a cache of hosted URLs keyed by content hash.

:class:`HostedImageCache` maps (provider identity, sha256) to the URL an earlier upload got,
persisted as JSON in the cache directory. :class:`ImageHost` puts it in front of a
provider: an image whose URL is still good for long enough is not uploaded again, and two
slots uploading the same picture at once share one upload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from veo_desktop.core.fsutil import atomic_write_text
from veo_desktop.core.paths import AppPaths
from veo_desktop.hosting._cancel import run_cancellable
from veo_desktop.hosting.checker import UrlChecker
from veo_desktop.hosting.model import (
    HostedImage,
    HostingProvider,
    PreparedImage,
    ProgressCallback,
)

log = logging.getLogger(__name__)

CACHE_FILE_NAME = "hosted-images.json"
CACHE_VERSION = 1
#: A cached URL is re-used only while it keeps working at least this long (APIXO fetches
#: inputs within minutes of the submit; the margin covers a slow queue and a retry).
DEFAULT_MIN_VALIDITY = 2 * 3600.0
DEFAULT_MAX_ENTRIES = 5000


class HostedImageCache:
    """(provider identity, sha256) -> (url, expires_at), kept in a JSON file.

    Thread-safe; reads the file on first use. A missing or broken file is an empty cache.

    Args:
        path: the JSON file; None keeps the cache in memory only.
        clock: Unix time.
        max_entries: the oldest entries beyond this are dropped when saving.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        clock: Callable[[], float] = time.time,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self._path = path
        self._clock = clock
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], dict[str, Any]] | None = None

    @classmethod
    def in_cache_dir(cls, paths: AppPaths, **kwargs: Any) -> HostedImageCache:
        """The cache file in the app's cache directory."""
        return cls(paths.cache_dir / CACHE_FILE_NAME, **kwargs)

    @property
    def path(self) -> Path | None:
        return self._path

    def __len__(self) -> int:
        with self._lock:
            return len(self._load())

    def get(self, identity: str, sha256: str, *, min_validity: float = 0.0) -> HostedImage | None:
        """The cached URL, if it keeps working for at least ``min_validity`` seconds."""
        with self._lock:
            entry = self._load().get((identity, sha256))
        if entry is None:
            return None
        hosted = HostedImage(entry["url"], entry["expires_at"], identity)
        if hosted.valid_for(self._clock()) < min_validity:
            return None
        return hosted

    def put(self, sha256: str, hosted: HostedImage) -> None:
        """Remember ``hosted`` for ``sha256`` and save the file."""
        with self._lock:
            entries = self._load()
            entries[(hosted.provider, sha256)] = {
                "url": hosted.url,
                "expires_at": hosted.expires_at,
                "stored_at": self._clock(),
            }
            self._save(entries)

    def forget_url(self, url: str) -> int:
        """Drop every entry with this URL (it stopped working); returns how many."""
        with self._lock:
            entries = self._load()
            gone = [key for key, entry in entries.items() if entry["url"] == url]
            for key in gone:
                del entries[key]
            if gone:
                self._save(entries)
            return len(gone)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
            self._save(self._entries)

    # -- file ----------------------------------------------------------------------------

    def _load(self) -> dict[tuple[str, str], dict[str, Any]]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        if self._path is None:
            return self._entries
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self._entries
        except (OSError, ValueError) as error:
            log.warning("ignoring the hosted-image cache %s: %s", self._path, error)
            return self._entries
        items = data.get("entries") if isinstance(data, dict) else None
        for item in items if isinstance(items, list) else []:
            entry = _entry_from_json(item)
            if entry is not None:
                identity, sha256, values = entry
                self._entries[(identity, sha256)] = values
        return self._entries

    def _save(self, entries: dict[tuple[str, str], dict[str, Any]]) -> None:
        now = self._clock()
        for key in [k for k, v in entries.items() if _expired(v, now)]:
            del entries[key]
        if len(entries) > self._max_entries:
            oldest = sorted(entries, key=lambda k: entries[k]["stored_at"])
            for key in oldest[: len(entries) - self._max_entries]:
                del entries[key]
        if self._path is None:
            return
        payload = {
            "version": CACHE_VERSION,
            "entries": [
                {"provider": identity, "sha256": sha256, **values}
                for (identity, sha256), values in entries.items()
            ],
        }
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self._path, json.dumps(payload, indent=1, sort_keys=True) + "\n")
        except OSError as error:
            log.warning("cannot save the hosted-image cache %s: %s", self._path, error)


def _expired(entry: dict[str, Any], now: float) -> bool:
    expires_at = entry.get("expires_at")
    return isinstance(expires_at, int | float) and expires_at <= now


def _entry_from_json(item: object) -> tuple[str, str, dict[str, Any]] | None:
    if not isinstance(item, dict):
        return None
    identity, sha256, url = item.get("provider"), item.get("sha256"), item.get("url")
    expires_at, stored_at = item.get("expires_at"), item.get("stored_at", 0.0)
    if not (isinstance(identity, str) and isinstance(sha256, str) and isinstance(url, str)):
        return None
    if expires_at is not None and not isinstance(expires_at, int | float):
        return None
    if not isinstance(stored_at, int | float):
        stored_at = 0.0
    return identity, sha256, {"url": url, "expires_at": expires_at, "stored_at": stored_at}


class _Slot:
    """Uploads of one picture to one provider take turns (the second finds the cache)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class ImageHost:
    """A provider behind the content-hash cache; itself a :class:`HostingProvider`.

    Args:
        provider: where uploads go.
        cache: the URL cache (default: in memory only).
        checker: when given, a cached URL is checked before it is re-used, and uploaded
            again if it stopped working (deleted object, revoked key).
        min_validity: seconds a cached URL must still work (capped at half the
            provider's link lifetime, so short-lived links are still re-used).
    """

    def __init__(
        self,
        provider: HostingProvider,
        cache: HostedImageCache | None = None,
        *,
        checker: UrlChecker | None = None,
        min_validity: float = DEFAULT_MIN_VALIDITY,
    ) -> None:
        self._provider = provider
        self._cache = cache if cache is not None else HostedImageCache(None)
        self._checker = checker
        self._min_validity = min_validity
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._uploads = 0

    def __repr__(self) -> str:
        return f"ImageHost({self._provider!r})"

    @property
    def provider(self) -> HostingProvider:
        return self._provider

    @property
    def cache(self) -> HostedImageCache:
        return self._cache

    @property
    def identity(self) -> str:
        return self._provider.identity

    @property
    def url_lifetime(self) -> float | None:
        return self._provider.url_lifetime

    @property
    def uploads(self) -> int:
        """How many uploads reached the provider (cache hits do not count)."""
        return self._uploads

    @property
    def needed_validity(self) -> float:
        lifetime = self._provider.url_lifetime
        if lifetime is None:
            return self._min_validity
        return min(self._min_validity, lifetime / 2)

    async def upload(
        self,
        image: PreparedImage,
        *,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> HostedImage:
        """The image's URL: from the cache while it is good, else uploaded (once)."""
        key = (self._provider.identity, image.sha256)
        slot = self._slots.setdefault(key, _Slot())
        slot.users += 1
        try:
            await run_cancellable(slot.lock.acquire(), cancel)
            try:
                return await self._upload_once(image, progress, cancel)
            finally:
                slot.lock.release()
        finally:
            slot.users -= 1
            if slot.users == 0 and self._slots.get(key) is slot:
                del self._slots[key]

    async def _upload_once(
        self,
        image: PreparedImage,
        progress: ProgressCallback | None,
        cancel: asyncio.Event | None,
    ) -> HostedImage:
        cached = await self._cached(image)
        if cached is not None:
            if progress is not None:
                progress(image.size, image.size)
            return cached
        hosted = await self._provider.upload(image, progress=progress, cancel=cancel)
        self._uploads += 1
        await asyncio.to_thread(self._cache.put, image.sha256, hosted)
        return hosted

    async def _cached(self, image: PreparedImage) -> HostedImage | None:
        identity = self._provider.identity
        cached = await asyncio.to_thread(
            self._cache.get, identity, image.sha256, min_validity=self.needed_validity
        )
        if cached is None or self._checker is None:
            return cached
        check = await self._checker.check(cached.url)
        if check.ok:
            return cached
        log.info("cached image URL stopped working (%s); uploading again", check.message)
        await asyncio.to_thread(self._cache.forget_url, cached.url)
        return None

    async def forget(self, url: str) -> None:
        """Drop ``url`` from the cache (e.g. the check before submitting found it dead)."""
        await asyncio.to_thread(self._cache.forget_url, url)

    async def test_connection(self) -> str:
        return await self._provider.test_connection()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._provider.aclose()
