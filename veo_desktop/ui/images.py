"""Image inputs for the composer: a local file, pasted pixels or a URL become an image URL.

APIXO has no upload endpoint: it fetches every input image from a public URL.

- A local file is prepared in the imaging thread (converted to JPEG or PNG, turned upright,
  shrunk to fit 10 MB, optionally cropped; :func:`veo_desktop.imaging.prepare_image`), then
  uploaded through the session's :class:`~veo_desktop.hosting.ImageHost` (S3-compatible
  storage, the demo's simulator, or none), which uploads identical content once.
- Pasted pixels go the same way (:func:`veo_desktop.imaging.prepare_qimage`).
- A URL is checked the way APIXO will fetch it (:class:`~veo_desktop.hosting.UrlChecker`) and
  used as it is; a small copy is fetched for the slot's thumbnail.

The session builds the uploader with its URL checker and hands it an image host once the
hosting settings are read (:meth:`ImageUploader.set_host`); work started before that waits
for it. A host replaced by new settings is closed once its uploads have ended.

The composer imports this module before the window lists its tasks; the image preparation
(:mod:`veo_desktop.imaging`), the hosting providers and httpx load with the first image.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

from veo_desktop.api.client import SharedHttp, shared_http
from veo_desktop.hosting.model import (
    MAX_IMAGE_BYTES,
    HostedImage,
    HostingError,
    ImageError,
    PreparedImage,
    ProgressCallback,
    UploadCancelledError,
    describe_size,
)

if TYPE_CHECKING:
    import httpx

    from veo_desktop.hosting import ImageHost, UrlChecker
    from veo_desktop.imaging.crop import CropRect

log = logging.getLogger(__name__)

#: How the limit is written for people (APIXO says "10 MB" for 10 MiB).
LIMIT_TEXT = "10 MB"
#: Longest side of the thumbnails the slots show.
THUMBNAIL_SIZE = 320
#: What a slot accepts, in words.
SUPPORTED = "JPEG, PNG, WebP, GIF, BMP or TIFF"
#: The file dialog's filter.
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.gif *.bmp *.tif *.tiff);;All files (*)"

_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}
_TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class ImagePreview:
    """What a slot shows of an image: its name, size, shape and a small picture.

    Attributes:
        name: the file name (or the last part of the URL).
        size: bytes of what APIXO will fetch, when known.
        content_type: the type APIXO will fetch, when known.
        thumbnail: a small picture (null when none could be made).
        width: pixels of what APIXO will fetch, when known.
        height: pixels of what APIXO will fetch, when known.
    """

    name: str
    size: int | None
    content_type: str | None
    thumbnail: QImage
    width: int | None = None
    height: int | None = None

    @property
    def summary(self) -> str:
        kind = _TYPES.get(self.content_type or "", "")
        dims = f"{self.width}{_TIMES}{self.height}" if self.width and self.height else ""
        size = describe_size(self.size) if self.size is not None else ""
        return " · ".join(part for part in (kind, dims, size) if part)


@dataclass(frozen=True)
class SlotImage:
    """An image ready to be sent: the URL APIXO will fetch, and what the slot shows.

    Attributes:
        url: the address APIXO fetches.
        preview: name, size, shape and thumbnail.
        local_path: the file it came from (None for a URL or pasted pixels).
        notes: what was changed or found, in plain words ("Converted from WebP to PNG…").
        expires_at: Unix time the URL stops working (a presigned link), None when it lasts.
    """

    url: str
    preview: ImagePreview
    local_path: str | None = None
    notes: tuple[str, ...] = ()
    expires_at: float | None = None


class ImageInputError(Exception):
    """An image cannot be used; ``str()`` is the message the slot shows.

    Attributes:
        preview: what was recognised of the image (for the slot to show beside the
            message), when anything was.
        retryable: trying again may work (a network or hosting failure, not a file that
            is no image).
    """

    def __init__(
        self, message: str, preview: ImagePreview | None = None, *, retryable: bool = True
    ) -> None:
        super().__init__(message)
        self.preview = preview
        self.retryable = retryable


def _thumbnail(data: bytes) -> tuple[QImage, int | None, int | None]:
    """Decode ``data`` scaled down to a thumbnail, upright; also the full size.

    A null QImage (and no size) when it cannot be read. Runs in the imaging thread.
    """
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > THUMBNAIL_SIZE:
        reader.setScaledSize(
            size.scaled(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE), Qt.AspectRatioMode.KeepAspectRatio)
        )
    image = reader.read()
    buffer.close()
    if image.isNull() or not size.isValid():
        return QImage(), None, None
    width, height = size.width(), size.height()
    if image.width() < image.height() and width > height:
        width, height = height, width  # turned upright by the orientation tag
    return image, width, height


def _preview_of(prepared: PreparedImage, name: str) -> ImagePreview:
    """The slot's view of a prepared image (decodes the thumbnail: imaging thread)."""
    thumbnail, _, _ = _thumbnail(prepared.data)
    return ImagePreview(
        name=name,
        size=prepared.size,
        content_type=prepared.mime,
        thumbnail=thumbnail,
        width=prepared.width,
        height=prepared.height,
    )


def _prepare_file(
    path: Path, aspect: str | None, crop: CropRect | None
) -> tuple[PreparedImage, ImagePreview]:
    from veo_desktop.imaging.prepare import crop_image, prepare_image

    prepared = prepare_image(path) if aspect is None else crop_image(path, aspect, crop)
    return prepared, _preview_of(prepared, path.name)


def _prepare_pixels(image: QImage, name: str) -> tuple[PreparedImage, ImagePreview]:
    from veo_desktop.imaging.prepare import prepare_qimage

    prepared = prepare_qimage(image, name=name)
    return prepared, _preview_of(prepared, name)


def _name_from_url(url: str) -> str:
    path = unquote(urlsplit(url).path)
    return path.rsplit("/", 1)[-1] or urlsplit(url).hostname or url


class ImageUploader:
    """Turns what a person gives an image slot into a URL APIXO can fetch.

    Args:
        checker: makes the URL checker (checks URLs the way APIXO fetches them; closed by
            :meth:`aclose`) when it is first needed: ``UrlChecker`` itself will do.
        http: a client for fetching thumbnails of URL images (not closed here), or the
            holder that makes it with the first thumbnail.
        host: where local images go; None until :meth:`set_host` (work waits for it).
        timeout: seconds for fetching a thumbnail.
    """

    def __init__(
        self,
        checker: Callable[[], UrlChecker],
        *,
        http: httpx.AsyncClient | SharedHttp | None = None,
        host: ImageHost | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._make_checker = checker
        self._checker: UrlChecker | None = None
        self._http = None if http is None else shared_http(http)
        self._timeout = timeout
        self._host: ImageHost | None = None
        self._last_host: ImageHost | None = None
        self._ready = asyncio.Event()
        self._users: Counter[ImageHost] = Counter()
        self._retired: list[ImageHost] = []
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False
        if host is not None:
            self.set_host(host)

    # -- the host ----------------------------------------------------------------------------

    @property
    def checker(self) -> UrlChecker:
        if self._checker is None:
            self._checker = self._make_checker()
        return self._checker

    @property
    def host(self) -> ImageHost | None:
        """The image host uploads go to now (None while it is being set up)."""
        return self._host

    @property
    def can_upload(self) -> bool:
        """Whether local files can become URLs (image hosting is set up and usable)."""
        host = self._host
        if host is None:
            return False
        from veo_desktop.hosting.providers import HostingUnavailable, UrlOnlyProvider

        return not isinstance(host.provider, UrlOnlyProvider | HostingUnavailable)

    def expect_host(self) -> None:
        """New hosting settings are on their way: new work waits for :meth:`set_host`."""
        self._ready.clear()
        self._retire(self._host)
        self._host = None

    def set_host(self, host: ImageHost) -> None:
        """Send uploads to ``host`` from now on; the previous host closes once idle."""
        if self._closed:
            self._close_later(host)
            return
        if host is not self._host:
            self._retire(self._host)
        self._host = host
        self._last_host = host
        self._ready.set()
        log.info("image hosting: %r", host.provider)

    def _retire(self, host: ImageHost | None) -> None:
        if host is None:
            return
        if self._users[host]:
            self._retired.append(host)
        else:
            self._close_later(host)

    def _close_later(self, host: ImageHost) -> None:
        task = asyncio.ensure_future(host.aclose())
        self._closing.add(task)
        task.add_done_callback(self._on_closed)

    def _on_closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("closing an image host failed: %s", task.exception())

    @contextlib.asynccontextmanager
    async def _using_host(self) -> AsyncIterator[ImageHost]:
        while self._host is None:
            if self._closed:
                raise ImageInputError("The session is closing.")
            await self._ready.wait()
        host = self._host
        self._users[host] += 1
        try:
            yield host
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host]
                if host in self._retired:
                    self._retired.remove(host)
                    self._close_later(host)

    async def aclose(self) -> None:
        """Close every image host and the URL checker (the session is closing)."""
        self._closed = True
        self._ready.set()
        hosts = [self._host, *self._retired]
        self._host = None
        self._retired = []
        for host in hosts:
            if host is not None:
                self._close_later(host)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        if self._checker is not None:  # (one never made has nothing to close)
            await self._checker.aclose()

    async def forget(self, url: str) -> None:
        """Drop ``url`` from the upload cache (it failed its check before a submit)."""
        host = self._host or self._last_host  # the cache outlives a host being replaced
        if host is not None:
            await host.forget(url)

    # -- inputs ------------------------------------------------------------------------------

    async def from_file(
        self,
        path: Path,
        *,
        aspect: str | None = None,
        crop: CropRect | None = None,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> SlotImage:
        """Prepare a local image (optionally cropped to ``aspect``) and upload it.

        Args:
            path: the file.
            aspect: crop to this shape (``16:9`` or ``9:16``); None keeps the whole picture.
            crop: the part to keep (upright pixels); None centres the largest crop.
            progress: ``progress(sent, total)`` while uploading.
            cancel: set to stop the upload.

        Raises:
            ImageInputError: not an image, no hosting, or the upload failed.
        """
        from veo_desktop.imaging.worker import run_imaging

        try:
            prepared, preview = await run_imaging(_prepare_file, path, aspect, crop)
        except ImageError as error:
            raise ImageInputError(str(error), retryable=False) from None
        hosted = await self._upload(prepared, preview, progress, cancel)
        return SlotImage(
            url=hosted.url,
            preview=preview,
            local_path=str(path),
            notes=prepared.notes,
            expires_at=hosted.expires_at,
        )

    async def from_image(
        self,
        image: QImage,
        *,
        name: str = "Pasted image",
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> SlotImage:
        """Encode pasted pixels (PNG, or JPEG for a large photo) and upload them."""
        from veo_desktop.imaging.worker import run_imaging

        try:
            prepared, preview = await run_imaging(_prepare_pixels, image, name)
        except ImageError as error:
            raise ImageInputError(str(error), retryable=False) from None
        hosted = await self._upload(prepared, preview, progress, cancel)
        return SlotImage(
            url=hosted.url, preview=preview, notes=prepared.notes, expires_at=hosted.expires_at
        )

    async def from_url(self, url: str) -> SlotImage:
        """Check that ``url`` answers the way APIXO needs; the URL is used as it is.

        Raises:
            ImageInputError: not https, unreachable, not a JPEG/PNG/WebP, or too large.
        """
        url = url.strip()
        check = await self.checker.check(url)
        if not check.ok:
            raise ImageInputError(check.message)
        thumbnail, width, height = await self._fetch_thumbnail(url)
        preview = ImagePreview(
            name=_name_from_url(url),
            size=check.size,
            content_type=check.content_type,
            thumbnail=thumbnail,
            width=width,
            height=height,
        )
        return SlotImage(url=url, preview=preview, notes=(check.message,))

    async def _upload(
        self,
        prepared: PreparedImage,
        preview: ImagePreview,
        progress: ProgressCallback | None,
        cancel: asyncio.Event | None,
    ) -> HostedImage:
        async with self._using_host() as host:
            try:
                return await host.upload(prepared, progress=progress, cancel=cancel)
            except UploadCancelledError as error:
                raise ImageInputError(str(error), preview) from None
            except HostingError as error:
                raise ImageInputError(str(error), preview) from None

    async def _fetch_thumbnail(self, url: str) -> tuple[QImage, int | None, int | None]:
        """A small copy of the image at ``url`` for the slot (best effort, never raises)."""
        if self._http is None:
            return QImage(), None, None
        import httpx

        from veo_desktop.imaging.worker import run_imaging

        chunks: list[bytes] = []
        received = 0
        try:
            async with self._http.get().stream(
                "GET", url, follow_redirects=True, timeout=self._timeout
            ) as response:
                if response.status_code != httpx.codes.OK:
                    return QImage(), None, None
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received > MAX_IMAGE_BYTES:
                        return QImage(), None, None
                    chunks.append(chunk)
        except httpx.HTTPError as error:
            log.info("no thumbnail for an image URL: %s", type(error).__name__)
            return QImage(), None, None
        return await run_imaging(_thumbnail, b"".join(chunks))
