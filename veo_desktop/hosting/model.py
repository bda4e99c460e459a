"""What image hosting works with: a prepared image, where it ended up, and what went wrong.

Nothing here imports Qt: the command line, the engine and the window share these types.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

#: APIXO's documented limit for one input image.
MAX_IMAGE_BYTES = 10 * 1024 * 1024

#: The image types APIXO fetches, and the extension an upload of each gets.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

#: ``progress(sent_bytes, total_bytes)``; always called on the event loop's thread.
ProgressCallback = Callable[[int, int], None]


def describe_size(size: int) -> str:
    """A size the way people read it: ``820 KB``, ``14.2 MB`` (decimal units, like APIXO)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1000 * 1000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1000 / 1000:.1f} MB"


def describe_limit(limit: int = MAX_IMAGE_BYTES) -> str:
    """The size limit as APIXO writes it (``10 MB`` for 10 MiB)."""
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return describe_size(limit)


@dataclass(frozen=True)
class PreparedImage:
    """An image ready to upload: JPEG or PNG bytes within APIXO's limit.

    Attributes:
        data: the encoded image.
        mime: ``image/jpeg`` or ``image/png`` (``image/webp`` only if built by hand).
        width: pixels, after orientation and crop.
        height: pixels, after orientation and crop.
        sha256: hex digest of ``data``; the upload's identity.
        notes: what was changed and why, in plain words, for the slot to show.
        source: the file it came from (for pasted pixels, a descriptive name).
    """

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    sha256: str
    notes: tuple[str, ...] = ()
    source: Path = Path()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        """The file extension for this image's type (``jpg``, ``png``, ``webp``)."""
        return EXTENSIONS.get(self.mime, "bin")

    @property
    def name(self) -> str:
        """The source file's name, for messages."""
        return self.source.name or "image"


@dataclass(frozen=True)
class HostedImage:
    """An uploaded image's public URL.

    Attributes:
        url: the address APIXO fetches.
        expires_at: Unix time the URL stops working (a presigned link), None when it lasts.
        provider: the identity of the provider that holds it.
    """

    url: str
    expires_at: float | None
    provider: str

    def valid_for(self, now: float) -> float:
        """Seconds the URL keeps working from ``now`` (infinite when it does not expire)."""
        if self.expires_at is None:
            return float("inf")
        return self.expires_at - now


@dataclass(frozen=True)
class UrlCheck:
    """The outcome of checking an image URL the way APIXO will fetch it.

    Attributes:
        ok: APIXO can use it.
        message: what was found, or what is wrong and what to do, in plain words.
        content_type: the type the server declared (without parameters), when it answered.
        size: bytes, when the server said.
    """

    ok: bool
    message: str
    content_type: str | None = None
    size: int | None = None


class HostingError(Exception):
    """An upload or a hosting check failed; ``str()`` is a message for the person."""


class HostingNotConfiguredError(HostingError):
    """Local files cannot become URLs: no image hosting is chosen."""


class UploadCancelledError(HostingError):
    """The person cancelled the upload; nothing usable was left behind."""

    def __init__(self, message: str = "The upload was cancelled.") -> None:
        super().__init__(message)


class ImageError(ValueError):
    """A file cannot be used as an image; ``str()`` names the file and says why."""


@runtime_checkable
class HostingProvider(Protocol):
    """Somewhere local images become public URLs APIXO can fetch."""

    @property
    def identity(self) -> str:
        """A stable name for where uploads land (same bucket and prefix, same identity)."""
        ...

    @property
    def url_lifetime(self) -> float | None:
        """Seconds a new URL keeps working, None when it does not expire."""
        ...

    async def upload(
        self,
        image: PreparedImage,
        *,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> HostedImage:
        """Upload ``image`` and return its URL.

        Raises:
            UploadCancelledError: ``cancel`` was set (or the task was cancelled).
            HostingError: the upload failed; the message says why.
        """
        ...

    async def test_connection(self) -> str:
        """Check the configuration end to end; return what was verified.

        Raises:
            HostingError: what is wrong, in plain words.
        """
        ...

    async def aclose(self) -> None:
        """Release connections and worker threads; the provider is not used afterwards."""
        ...
