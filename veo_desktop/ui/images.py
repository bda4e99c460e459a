"""Image inputs for the composer: a local file, pasted pixels or a URL become an image URL.

APIXO has no upload endpoint: it fetches every input image from a public URL. A URL a person
drops or pastes is used as it is, after checking that it answers with a JPEG, PNG or WebP of at
most 10 MB. A local file (or pasted pixels) needs somewhere to live; until image hosting is
configured, only the demo's simulator can take it (``POST {origin}/sim/upload``).

Reading and decoding run in a worker thread (QImage is reentrant), so a 10 MB JPEG never
stalls the window.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

from veo_desktop.api.urls import is_loopback_host, url_problem

log = logging.getLogger(__name__)

#: APIXO's documented limit for one input image.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: How the limit is written for people (APIXO says "10 MB" for 10 MiB).
LIMIT_TEXT = "10 MB"
#: Longest side of the thumbnails the slots show.
THUMBNAIL_SIZE = 320
HOSTING_NEEDED = "Local files need image hosting (configure it in Settings)."
SUPPORTED = "JPEG, PNG or WebP"

_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}
_OTHER_FORMATS = (
    (b"GIF8", "a GIF"),
    (b"BM", "a BMP"),
    (b"%PDF", "a PDF"),
    (b"II*\x00", "a TIFF"),
    (b"MM\x00*", "a TIFF"),
)


def sniff_image_type(head: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or WebP from its first bytes; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def describe_size(size: int) -> str:
    """A size the way a file manager writes it: ``820 KB``, ``1.2 MB``."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1000 * 1000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1000 / 1000:.1f} MB"


class ImageInputError(Exception):
    """An image cannot be used; ``str()`` is the message the slot shows.

    Attributes:
        preview: what was recognised of the image (for the slot to show beside the
            message), when anything was.
    """

    def __init__(self, message: str, preview: ImagePreview | None = None) -> None:
        super().__init__(message)
        self.preview = preview


@dataclass(frozen=True)
class ImagePreview:
    """What a slot shows of an image: its name, size and a small picture."""

    name: str
    size: int | None
    content_type: str | None
    thumbnail: QImage

    @property
    def summary(self) -> str:
        kind = _TYPES.get(self.content_type or "", "")
        size = describe_size(self.size) if self.size is not None else ""
        return " · ".join(part for part in (kind, size) if part)


@dataclass(frozen=True)
class PreparedImage:
    """An image ready to be sent: the URL APIXO will fetch, and what the slot shows."""

    url: str
    preview: ImagePreview
    local_path: str | None = None


def _problem_for(name: str, data: bytes, size: int) -> str | None:
    if size > MAX_IMAGE_BYTES:
        return f"{name} is {describe_size(size)}; the limit is {LIMIT_TEXT}."
    if sniff_image_type(data[:16]) is None:
        for magic, what in _OTHER_FORMATS:
            if data.startswith(magic):
                return f"{name} is {what}; use a {SUPPORTED} image."
        return f"{name} is not a {SUPPORTED} image."
    return None


def _thumbnail(data: bytes) -> QImage:
    """Decode ``data`` scaled down to a thumbnail (a null QImage when it cannot be read)."""
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
    return image


def _inspect(name: str, data: bytes, size: int) -> ImagePreview:
    """Check and decode an image; raise :class:`ImageInputError` with what is wrong."""
    content_type = sniff_image_type(data[:16])
    thumbnail = _thumbnail(data) if content_type and size <= MAX_IMAGE_BYTES else QImage()
    preview = ImagePreview(name=name, size=size, content_type=content_type, thumbnail=thumbnail)
    if problem := _problem_for(name, data, size):
        raise ImageInputError(problem, preview)
    if thumbnail.isNull():
        raise ImageInputError(f"{name} looks like an image but cannot be read.", preview)
    return preview


def _read_file(path: Path) -> tuple[bytes, int]:
    """Read a local image, at most one byte past the limit (the size comes from stat)."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ImageInputError(f"{path.name} is not a file.")
        with path.open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1) if size <= MAX_IMAGE_BYTES else handle.read(16)
    except FileNotFoundError:
        raise ImageInputError(f"{path.name} no longer exists.") from None
    except PermissionError:
        raise ImageInputError(f"{path.name} cannot be read (permission denied).") from None
    except OSError as error:
        raise ImageInputError(f"{path.name} cannot be read: {error.strerror or error}.") from None
    return data, size


def _inspect_file(path: Path) -> tuple[bytes, ImagePreview]:
    data, size = _read_file(path)
    return data, _inspect(path.name, data, size)


def _name_from_url(url: str) -> str:
    path = unquote(urlsplit(url).path)
    return path.rsplit("/", 1)[-1] or urlsplit(url).hostname or url


class ImageUploader:
    """Turns what a person gives an image slot into a URL APIXO can fetch.

    Args:
        http: the app's shared HTTP client (not closed here).
        upload_url: where local files are uploaded (the simulator's ``/sim/upload``), or
            None when no image hosting is configured.
        timeout: seconds for one URL check or upload.
    """

    def __init__(
        self, http: httpx.AsyncClient, *, upload_url: str | None = None, timeout: float = 30.0
    ) -> None:
        self._http = http
        self._upload_url = upload_url
        self._timeout = timeout

    @classmethod
    def for_base_url(cls, http: httpx.AsyncClient, base_url: str) -> ImageUploader:
        """An uploader for an API root: a loopback root is the simulator, which takes uploads."""
        parts = urlsplit(base_url)
        if is_loopback_host(parts.hostname):
            return cls(http, upload_url=f"{parts.scheme}://{parts.netloc}/sim/upload")
        return cls(http)

    @property
    def can_upload(self) -> bool:
        """Whether local files can become URLs (image hosting is available)."""
        return self._upload_url is not None

    async def from_file(self, path: Path) -> PreparedImage:
        """Check a local image and upload it.

        Raises:
            ImageInputError: not an image we can send, or no hosting, or the upload failed.
        """
        data, preview = await asyncio.to_thread(_inspect_file, path)
        url = await self._upload(data, preview)
        return PreparedImage(url=url, preview=preview, local_path=str(path))

    async def from_image(self, image: QImage, *, name: str = "Pasted image.png") -> PreparedImage:
        """Encode pasted pixels as PNG and upload them."""
        data = await asyncio.to_thread(_encode_png, image)
        preview = await asyncio.to_thread(_inspect, name, data, len(data))
        url = await self._upload(data, preview)
        return PreparedImage(url=url, preview=preview)

    async def from_url(self, url: str) -> PreparedImage:
        """Check that ``url`` answers with an image APIXO takes; the URL is used as it is.

        Raises:
            ImageInputError: not an https URL, unreachable, not an image, or too large.
        """
        if problem := url_problem(url, what="The image URL"):
            raise ImageInputError(problem)
        name = _name_from_url(url)
        data = await self._fetch(url, name)
        preview = await asyncio.to_thread(_inspect, name, data, len(data))
        return PreparedImage(url=url, preview=preview)

    async def _fetch(self, url: str, name: str) -> bytes:
        try:
            async with self._http.stream(
                "GET", url, follow_redirects=True, timeout=self._timeout
            ) as response:
                if response.status_code != httpx.codes.OK:
                    raise ImageInputError(f"Cannot reach the image (HTTP {response.status_code}).")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
                    raise ImageInputError(
                        f"{name} is {describe_size(int(declared))}; the limit is {LIMIT_TEXT}."
                    )
                chunks: list[bytes] = []
                received = 0
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received > MAX_IMAGE_BYTES:
                        raise ImageInputError(f"{name} is over the {LIMIT_TEXT} limit.")
                    chunks.append(chunk)
        except httpx.TimeoutException:
            raise ImageInputError("The image address did not answer in time.") from None
        except httpx.HTTPError as error:
            log.info("image URL check failed: %s", type(error).__name__)
            raise ImageInputError("Cannot reach the image address (no connection).") from None
        return b"".join(chunks)

    async def _upload(self, data: bytes, preview: ImagePreview) -> str:
        if self._upload_url is None:
            raise ImageInputError(HOSTING_NEEDED, preview)
        try:
            response = await self._http.post(
                self._upload_url,
                content=data,
                headers={
                    "Content-Type": preview.content_type or "application/octet-stream",
                    "X-Filename": preview.name.encode("ascii", "replace").decode(),
                },
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            log.info("image upload failed: %s", type(error).__name__)
            raise ImageInputError("The image could not be uploaded (no connection).") from None
        if response.status_code // 100 != 2:
            raise ImageInputError(
                f"The image could not be uploaded (HTTP {response.status_code}).", preview
            )
        try:
            url = response.json()["url"]
        except (ValueError, KeyError, TypeError):
            raise ImageInputError("The image host answered without a URL.", preview) from None
        if not isinstance(url, str) or url_problem(url, what="The uploaded image URL"):
            raise ImageInputError("The image host answered with an unusable URL.", preview)
        return url


def _encode_png(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 accepts the format only as str here (its stubs say bytes).
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise ImageInputError("The pasted image could not be read.")
    buffer.close()
    return bytes(buffer.data().data())
