"""Image hosting on S3-compatible storage: AWS S3, Cloudflare R2, Backblaze B2, MinIO.

Images are stored under ``<prefix><sha256>.<ext>`` with their content type; an object that
is already there with the same content is not uploaded again. APIXO gets a presigned GET
link (SigV4) that lives as long as the settings say (1 h to 7 days), or ``<public base
URL>/<key>`` when the bucket is public.

boto3 is synchronous: every call runs in a worker thread (one shared client per provider),
so the window and the event loop never wait on the network.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import quote, urlsplit

import boto3
import httpx
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSLError,
)

from veo_desktop.api.client import SharedHttp, shared_http
from veo_desktop.hosting._cancel import run_cancellable
from veo_desktop.hosting.checker import format_seconds
from veo_desktop.hosting.config import HostingConfig, ProviderKind
from veo_desktop.hosting.model import (
    HostedImage,
    HostingError,
    PreparedImage,
    ProgressCallback,
    UploadCancelledError,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

#: Larger than any image APIXO takes, so every upload is one PUT (cancellable mid-body).
_SINGLE_PUT_LIMIT = 64 * 1024 * 1024
_PROBE_BODY = b"Veo Desktop connection test. Safe to delete.\n"

_BAD_KEY_CODES = {"InvalidAccessKeyId", "InvalidClientTokenId", "InvalidToken", "Unauthorized"}
_REGION_CODES = {
    "AuthorizationHeaderMalformed",
    "PermanentRedirect",
    "IllegalLocationConstraintException",
    "301",
}


class _Stopped(Exception):
    """Raised inside boto3's progress callback to abort an upload."""


class S3Provider:
    """Uploads images to an S3-compatible bucket and hands out links APIXO can fetch.

    Args:
        config: the S3 settings (``config.provider`` must be S3).
        secret: the secret access key (from the keyring or ``AWS_SECRET_ACCESS_KEY``).
        http: a client for fetching the probe object in :meth:`test_connection` (not
            closed here), or the holder that makes it then; by default the provider makes
            its own.
        clock: Unix time, for link expiry.
        connect_timeout: seconds to connect to the storage server.
        read_timeout: seconds to wait for one answer.
        max_attempts: tries per request for transient failures (botocore's standard mode).
    """

    def __init__(
        self,
        config: HostingConfig,
        secret: str,
        *,
        http: httpx.AsyncClient | SharedHttp | None = None,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        if config.provider is not ProviderKind.S3:
            raise ValueError("S3Provider needs an S3 configuration")
        problems = config.problems()
        if problems:
            raise HostingError(" ".join(problem.message for problem in problems))
        if not secret.strip():
            raise HostingError(
                f"No secret access key for {config.access_key_id}: enter it in Settings "
                "(it is kept in the keyring) or set AWS_SECRET_ACCESS_KEY."
            )
        self._config = config
        self._secret = secret.strip()
        self._shared = None if http is None else shared_http(http)
        #: The provider's own client (made for the first connection test when none was
        #: passed).
        self._http: httpx.AsyncClient | None = None
        self._owns_http = http is None
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_attempts = max_attempts
        self._client: S3Client | None = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"S3Provider(endpoint={self._config.endpoint_label!r}, "
            f"bucket={self._config.bucket!r}, access_key_id={self._config.access_key_id!r})"
        )

    # -- what it is ------------------------------------------------------------------------

    @property
    def config(self) -> HostingConfig:
        return self._config

    @property
    def identity(self) -> str:
        """Same bucket, prefix, key and URL form: same identity (uploads are shared)."""
        cfg = self._config
        form = f"public={cfg.public_base_url.rstrip('/')}" if cfg.public_base_url else "presigned"
        return (
            f"s3|{cfg.endpoint_url or 'aws'}|{cfg.bucket}|{cfg.key_prefix}|"
            f"{cfg.access_key_id}|{form}"
        )

    @property
    def url_lifetime(self) -> float | None:
        return None if self._config.public_base_url else float(self._config.presign_seconds)

    def key_for(self, image: PreparedImage) -> str:
        """The object key: ``<prefix><sha256>.<ext>``."""
        return f"{self._config.key_prefix}{image.sha256}.{image.extension}"

    def url_for(self, key: str) -> tuple[str, float | None]:
        """The URL APIXO gets for ``key`` and when it expires (None: it does not)."""
        base = self._config.public_base_url.strip().rstrip("/")
        if base:
            return f"{base}/{quote(key)}", None
        seconds = self._config.presign_seconds
        now = self._clock()
        url = self._get_client().generate_presigned_url(
            "get_object",
            Params={"Bucket": self._config.bucket, "Key": key},
            ExpiresIn=seconds,
        )
        return url, now + seconds

    # -- uploading ---------------------------------------------------------------------------

    async def upload(
        self,
        image: PreparedImage,
        *,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> HostedImage:
        """Upload ``image`` (unless the bucket has it already) and return its link.

        ``progress`` is called on the event loop's thread; setting ``cancel`` aborts the
        transfer (nothing is left in the bucket) and raises :class:`UploadCancelledError`.
        """
        key = self.key_for(image)
        total = image.size
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        report = _progress_reporter(loop, progress, total)
        if progress is not None:
            progress(0, total)
        try:
            uploaded = await run_cancellable(
                asyncio.to_thread(self._put_image, image, key, stop, report),
                cancel,
                on_cancel=stop.set,
            )
            url, expires_at = await asyncio.to_thread(self.url_for, key)
        except _Stopped:
            raise UploadCancelledError from None
        except (BotoCoreError, ClientError) as error:
            log.info("S3 upload of %s failed: %s", key, _error_code(error))
            raise HostingError(self.explain(error)) from None
        if progress is not None:
            progress(total, total)
        log.info("S3 %s %s (%d bytes)", "uploaded" if uploaded else "already had", key, total)
        return HostedImage(url=url, expires_at=expires_at, provider=self.identity)

    def _put_image(
        self,
        image: PreparedImage,
        key: str,
        stop: threading.Event,
        report: Callable[[int], None],
    ) -> bool:
        """Upload in this worker thread; False when the object was already there."""
        client = self._get_client()
        if self._already_stored(client, key, image):
            return False
        if stop.is_set():
            raise _Stopped
        sent = 0

        def on_bytes(amount: int) -> None:
            nonlocal sent
            if stop.is_set():
                raise _Stopped
            sent = max(0, sent + amount)
            report(sent)

        client.upload_fileobj(
            io.BytesIO(image.data),
            self._config.bucket,
            key,
            ExtraArgs={"ContentType": image.mime, "Metadata": {"sha256": image.sha256}},
            Callback=on_bytes,
            Config=TransferConfig(multipart_threshold=_SINGLE_PUT_LIMIT, use_threads=False),
        )
        return True

    def _already_stored(self, client: S3Client, key: str, image: PreparedImage) -> bool:
        try:
            head = client.head_object(Bucket=self._config.bucket, Key=key)
        except ClientError as error:
            if _error_code(error) in ("404", "NoSuchKey", "NotFound", "403", "400"):
                return False
            raise
        stored_hash = head.get("Metadata", {}).get("sha256")
        return (
            head.get("ContentLength") == image.size
            and head.get("ContentType", "").split(";")[0] == image.mime
            and stored_hash in (None, image.sha256)
        )

    # -- checking the configuration ------------------------------------------------------

    async def test_connection(self) -> str:
        """Upload a small test file, fetch it through the link APIXO would get, delete it.

        Raises:
            HostingError: what is wrong (bad credentials, missing bucket, dead endpoint,
                a link that does not work), in plain words.
        """
        cfg = self._config
        key = f"{cfg.key_prefix}veo-desktop-connection-test-{uuid.uuid4().hex}.txt"
        try:
            await asyncio.to_thread(self._put_probe, key)
            url, _ = await asyncio.to_thread(self.url_for, key)
        except (BotoCoreError, ClientError) as error:
            log.info("S3 connection test failed: %s", _error_code(error))
            raise HostingError(self.explain(error)) from None
        try:
            fetch_problem = await self._fetch_probe(url)
        finally:
            delete_problem = await self._delete_probe(key)
        how = (
            f"the public address {cfg.public_base_url.rstrip('/')}/…"
            if cfg.public_base_url
            else f"a presigned link (valid {_hours(cfg.presign_hours)})"
        )
        if fetch_problem:
            raise HostingError(f"{fetch_problem}{delete_problem}")
        return (
            f"Connected to bucket '{cfg.bucket}' at {cfg.endpoint_label}: a test file was "
            f"uploaded, fetched through {how} and deleted.{delete_problem}"
        )

    def _put_probe(self, key: str) -> None:
        self._get_client().put_object(
            Bucket=self._config.bucket, Key=key, Body=_PROBE_BODY, ContentType="text/plain"
        )

    async def _fetch_probe(self, url: str) -> str:
        """Fetch the probe through ``url``; the problem in words, or an empty string."""
        cfg = self._config
        what = "the public address" if cfg.public_base_url else "the presigned link"
        if self._shared is not None:
            http = self._shared.get()
        else:
            if self._http is None:
                self._http = await asyncio.to_thread(httpx.AsyncClient)
            http = self._http
        try:
            response = await http.get(url, timeout=self._read_timeout)
        except httpx.HTTPError as error:
            log.info("probe fetch failed: %s", type(error).__name__)
            host = urlsplit(url).hostname or url
            return (
                f"The test file was uploaded, but {what} ({host}) could not be reached "
                f"({type(error).__name__})."
                + (" Check the public base URL." if cfg.public_base_url else "")
            )
        if response.status_code == 200 and response.content == _PROBE_BODY:
            return ""
        advice = (
            " Check the public base URL, or leave it empty to use presigned links."
            if cfg.public_base_url
            else " The storage server does not honour presigned links as expected."
        )
        return (
            f"The test file was uploaded, but {what} answered {response.status_code} "
            f"instead of the file, so APIXO could not fetch images from there.{advice}"
        )

    async def _delete_probe(self, key: str) -> str:
        try:
            await asyncio.to_thread(
                self._get_client().delete_object, Bucket=self._config.bucket, Key=key
            )
        except (BotoCoreError, ClientError) as error:
            log.info("probe delete failed: %s", _error_code(error))
            return (
                f" (The test file {key} could not be deleted ({_error_code(error)}); the key "
                "may lack permission to delete. Remove it by hand.)"
            )
        return ""

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
        """Close the provider's own HTTP client and the S3 client."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)

    # -- plumbing ----------------------------------------------------------------------------

    def _get_client(self) -> S3Client:
        with self._client_lock:
            if self._client is None:
                cfg = self._config
                session = boto3.session.Session()
                self._client = session.client(
                    "s3",
                    endpoint_url=cfg.endpoint_url,
                    region_name=cfg.effective_region,
                    aws_access_key_id=cfg.access_key_id,
                    aws_secret_access_key=self._secret,
                    config=Config(
                        signature_version="s3v4",
                        s3={"addressing_style": "path" if cfg.path_style else "auto"},
                        connect_timeout=self._connect_timeout,
                        read_timeout=self._read_timeout,
                        retries={"max_attempts": self._max_attempts, "mode": "standard"},
                        # Several S3-compatible services refuse boto3's default trailing
                        # checksums; only send them where the API requires them.
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        user_agent_extra="VeoDesktop",
                    ),
                )
            return self._client

    def explain(self, error: BaseException) -> str:
        """A plain-words message for a botocore failure (never includes the secret)."""
        return explain_s3_error(error, self._config, read_timeout=self._read_timeout)


def explain_s3_error(
    error: BaseException, config: HostingConfig, *, read_timeout: float = 30.0
) -> str:
    """What a botocore failure means for this configuration, and what to do."""
    where = config.endpoint_label
    bucket = config.bucket
    key_id = config.access_key_id
    if isinstance(error, ClientError):
        code = _error_code(error)
        details = error.response.get("Error", {})
        if code in _BAD_KEY_CODES:
            return (
                f"The access key id {key_id} is not known at {where}. Check it, and that it "
                "belongs to this storage provider."
            )
        if code == "SignatureDoesNotMatch":
            return (
                f"The secret access key does not match access key id {key_id}. Enter the "
                "secret again."
            )
        if code in ("NoSuchBucket", "404"):
            return (
                f"The bucket '{bucket}' does not exist at {where}. Check its name (and the "
                "endpoint or region)."
            )
        if code in ("AccessDenied", "403", "AllAccessDisabled", "Forbidden"):
            return (
                f"Access denied: access key {key_id} may not write to bucket '{bucket}'. It "
                "needs permission to put, get and delete objects there."
            )
        if code in _REGION_CODES:
            region = details.get("Region") or details.get("Endpoint")
            hint = f" ({region})" if region else ""
            return (
                f"The bucket '{bucket}' is in another region{hint}; set the region (now "
                f"{config.effective_region}) to the bucket's."
            )
        if code == "RequestTimeTooSkewed":
            return "This computer's clock is wrong; the storage server refused the request."
        if code == "InvalidBucketName":
            return f"'{bucket}' is not a valid bucket name for {where}."
        if code in ("EntityTooLarge", "MaxMessageLengthExceeded"):
            return "The storage server refused the image as too large."
        if code in ("SlowDown", "ServiceUnavailable", "InternalError", "503", "500"):
            return f"The storage server at {where} has a problem right now ({code}); try later."
        message = details.get("Message") or "no details"
        return f"The storage server at {where} refused the request ({code}: {message})."
    if isinstance(error, SSLError):
        return f"The secure connection to {where} failed (certificate or TLS problem)."
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return (
            f"Cannot reach the storage server at {where}. Check the endpoint address and "
            "your internet connection."
        )
    if isinstance(error, ReadTimeoutError):
        waited = format_seconds(read_timeout)
        return f"The storage server at {where} did not answer within {waited}."
    if isinstance(error, ConnectionClosedError):
        return f"The storage server at {where} closed the connection; try again."
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return "No S3 credentials: enter the access key id and its secret in Settings."
    return f"The storage request to {where} failed ({type(error).__name__})."


def _error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "")) or "unknown"
    return type(error).__name__


def _hours(hours: int) -> str:
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} h"


def _progress_reporter(
    loop: asyncio.AbstractEventLoop, progress: ProgressCallback | None, total: int
) -> Callable[[int], None]:
    """A thread-side reporter that hands progress to the loop, at most once per percent."""
    last = -1

    def report(sent: int) -> None:
        nonlocal last
        if progress is None:
            return
        percent = sent * 100 // max(total, 1)
        if percent == last:
            return
        last = percent
        try:
            loop.call_soon_threadsafe(progress, min(sent, total), total)
        except RuntimeError:  # the loop closed while uploading
            return

    return report
