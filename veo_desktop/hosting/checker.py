"""Checking an image URL the way APIXO will fetch it, before any money is spent.

APIXO downloads every input image from its URL while the task runs; a URL it cannot fetch
fails the task after a paid wait. :class:`UrlChecker` asks the server for the image's
headers only (``HEAD``, or a one-byte ranged ``GET`` where ``HEAD`` is refused, as for
presigned S3 links, which are signed for ``GET``) and explains each failure in plain words.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import urljoin, urlsplit

from veo_desktop.api.client import SharedHttp, shared_http
from veo_desktop.api.urls import is_loopback_host, url_problem
from veo_desktop.hosting.model import MAX_IMAGE_BYTES, UrlCheck, describe_limit, describe_size

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
MAX_REDIRECTS = 5
USER_AGENT = "VeoDesktop-ImageCheck/1"

#: Content types APIXO takes, with their names; ``image/jpg`` and ``image/pjpeg`` are
#: sent by some servers for JPEG.
ACCEPTED_TYPES = {
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/pjpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
}
_OTHER_TYPES = {
    "text/html": "a web page",
    "application/xhtml+xml": "a web page",
    "text/plain": "plain text",
    "application/json": "JSON data",
    "application/xml": "an XML document",
    "text/xml": "an XML document",
    "application/pdf": "a PDF document",
    "image/gif": "a GIF image",
    "image/svg+xml": "an SVG drawing",
    "image/heic": "a HEIC photo",
    "image/heif": "a HEIF photo",
    "image/avif": "an AVIF image",
    "image/bmp": "a BMP image",
    "image/tiff": "a TIFF image",
    "video/mp4": "a video",
}


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    headers: httpx.Headers
    url: str


class _Failed(Exception):
    """Ends a check early with the message to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UrlChecker:
    """Checks that image URLs are https, reachable, JPEG/PNG/WebP and within 10 MB.

    Args:
        http: an HTTP client to use (not closed here), or the holder that makes it with the
            first check. Never pass a client carrying the API key in its default headers:
            image hosts are third parties. By default the checker makes its own.
        timeout: seconds one check may take in all (connect, redirects, answer).
        max_bytes: the largest image accepted.
        allow_loopback_http: accept ``http://`` on this computer (the simulator, tests).
    """

    def __init__(
        self,
        http: httpx.AsyncClient | SharedHttp | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_IMAGE_BYTES,
        allow_loopback_http: bool = True,
    ) -> None:
        self._shared = None if http is None else shared_http(http)
        #: The checker's own client (made with its first check when none was passed).
        self._http: httpx.AsyncClient | None = None
        self._owns_http = http is None
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._allow_loopback_http = allow_loopback_http

    @property
    def timeout(self) -> float:
        return self._timeout

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
        """Close the checker's own HTTP client (a client passed in is left open)."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _client(self) -> httpx.AsyncClient:
        if self._shared is not None:
            return self._shared.get()
        if self._http is None:
            import httpx

            # Building the TLS context reads the CA bundle (~0.1 s): not on the loop's thread.
            made = await asyncio.to_thread(httpx.AsyncClient, headers={"User-Agent": USER_AGENT})
            return self._keep(made)
        return self._http

    def _keep(self, made: httpx.AsyncClient) -> httpx.AsyncClient:
        """Keep ``made`` unless another check made a client meanwhile (``made`` is unused)."""
        if self._http is None:
            self._http = made
        return self._http

    async def check(self, url: str) -> UrlCheck:
        """Check ``url``; never raises for what the server or the network does."""
        problem = url_problem(
            url, what="The image URL", allow_loopback_http=self._allow_loopback_http
        )
        if problem:
            return UrlCheck(False, problem)
        try:
            async with asyncio.timeout(self._timeout):
                return await self._check(url)
        except _Failed as failure:
            return UrlCheck(False, failure.message)
        except TimeoutError:
            return UrlCheck(False, self._timeout_message())

    async def check_many(self, urls: list[str]) -> list[UrlCheck]:
        """Check several URLs at once (each distinct URL once), in the given order."""
        distinct = list(dict.fromkeys(urls))
        results = await asyncio.gather(*(self.check(url) for url in distinct))
        by_url = dict(zip(distinct, results, strict=True))
        return [by_url[url] for url in urls]

    # -- the check ---------------------------------------------------------------------

    async def _check(self, url: str) -> UrlCheck:
        answer = await self._fetch_headers("HEAD", url)
        if not 200 <= answer.status < 300:
            log.debug("HEAD %s answered %d; trying a ranged GET", _host(url), answer.status)
            answer = await self._fetch_headers("GET", url)
        return self._judge(answer)

    async def _fetch_headers(self, method: str, url: str) -> _Answer:
        """Send ``method`` (following redirects to https only); read no body."""
        import httpx

        headers = {"Range": "bytes=0-0"} if method == "GET" else {}
        http = await self._client()
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                async with http.stream(
                    method,
                    current,
                    headers=headers,
                    follow_redirects=False,
                    timeout=httpx.Timeout(self._timeout),
                ) as response:
                    answer = _Answer(
                        response.status_code, response.reason_phrase, response.headers, current
                    )
            except httpx.TimeoutException:
                raise _Failed(self._timeout_message()) from None
            except httpx.HTTPError as error:
                raise _Failed(_network_message(error, current)) from None
            location = answer.headers.get("location")
            if answer.status not in (301, 302, 303, 307, 308) or not location:
                return answer
            target = urljoin(current, location)
            if url_problem(
                target, what="The image URL", allow_loopback_http=self._allow_loopback_http
            ):
                raise _Failed(
                    f"The address redirects to {_short(target)}, which is not https; "
                    "APIXO only fetches https addresses."
                )
            current = target
        raise _Failed(
            f"The address redirects more than {MAX_REDIRECTS} times; APIXO would give up."
        )

    def _judge(self, answer: _Answer) -> UrlCheck:
        status = answer.status
        if status not in (200, 206):
            return UrlCheck(False, _status_message(status, answer.reason))
        raw_type = answer.headers.get("content-type", "")
        content_type = raw_type.split(";", 1)[0].strip().lower() or None
        size = _size(answer)
        kind = ACCEPTED_TYPES.get(content_type or "")
        if kind is None:
            return UrlCheck(False, _type_message(content_type), content_type, size)
        if size is not None and size > self._max_bytes:
            return UrlCheck(
                False,
                f"The image is {describe_size(size)}; APIXO accepts at most "
                f"{describe_limit(self._max_bytes)}.",
                content_type,
                size,
            )
        size_text = f" of {describe_size(size)}" if size is not None else ""
        message = f"A {kind} image{size_text}; APIXO can fetch it."
        if kind == "WebP":
            message = (
                f"A WebP image{size_text}. APIXO recommends JPEG or PNG; a WebP may be refused."
            )
        return UrlCheck(True, message, content_type, size)

    def _timeout_message(self) -> str:
        return (
            f"No answer within {format_seconds(self._timeout)}; APIXO would not be able to "
            "fetch the image either."
        )


def _size(answer: _Answer) -> int | None:
    if answer.status == 206:
        content_range = answer.headers.get("content-range", "")
        total = content_range.rsplit("/", 1)[-1].strip() if "/" in content_range else ""
        return int(total) if total.isdigit() else None
    length = answer.headers.get("content-length", "").strip()
    return int(length) if length.isdigit() else None


def _status_message(status: int, reason: str) -> str:
    if status in (404, 410):
        return f"The server answered {status}: the image is not there."
    if status in (401, 403):
        return (
            f"The server answered {status}: the image is not public (access denied). "
            "A presigned link may have expired."
        )
    if status == 429:
        return "The server answered 429: too many requests. Try again in a minute."
    if 500 <= status < 600:
        return f"The server answered {status}: it has a problem right now. Try again later."
    words = f" ({reason})" if reason else ""
    return f"The server answered {status}{words}: APIXO could not fetch the image."


def _type_message(content_type: str | None) -> str:
    if content_type is None:
        return (
            "The server does not say what the file is (no Content-Type); APIXO needs a "
            "JPEG, PNG or WebP image."
        )
    what = _OTHER_TYPES.get(content_type)
    if what is None and content_type.startswith("image/"):
        what = f"an image APIXO does not take ({content_type})"
    if what is None:
        what = content_type
    if what == "a web page":
        return "That address serves a web page (text/html), not an image."
    return f"That address serves {what} ({content_type}), not a JPEG, PNG or WebP image."


def _network_message(error: httpx.HTTPError, url: str) -> str:
    import httpx

    host = _host(url)
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"The secure connection to {host} failed: its certificate is not valid."
        if isinstance(cause, ssl.SSLError):
            return f"The secure connection to {host} failed ({cause.reason or 'TLS error'})."
        if isinstance(cause, ConnectionRefusedError):
            return f"{host} refused the connection: nothing is serving images there."
        if isinstance(cause, socket.gaierror):
            return f"The address {host} could not be found (no such server)."
        cause = cause.__cause__ or cause.__context__
    lowered = str(error).lower()
    if isinstance(error, httpx.ConnectError):
        if "name or service not known" in lowered or "name resolution" in lowered:
            return f"The address {host} could not be found (no such server)."
        if "refused" in lowered:
            return f"{host} refused the connection: nothing is serving images there."
        return f"Could not connect to {host}."
    if isinstance(error, httpx.RemoteProtocolError):
        return f"The server at {host} closed the connection without a proper answer."
    log.info("image URL check failed: %s", type(error).__name__)
    return f"Could not fetch the image from {host} ({type(error).__name__})."


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or url
    if parts.port is not None and is_loopback_host(host):
        return f"{host}:{parts.port}"
    return host


def _short(url: str, limit: int = 80) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"
