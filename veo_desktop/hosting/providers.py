"""The hosting providers besides S3, and building the one the settings choose.

- :class:`UrlOnlyProvider`: no hosting; only pasted URLs can be used.
- :class:`DemoProvider`: the simulator's ``POST {origin}/sim/upload`` (demo mode).
- :func:`create_provider`: the provider for a :class:`HostingConfig` (S3's secret from the
  keyring unless given).
- :func:`provider_for_cli`: the same for the command line, where ``VEO_S3_*`` and
  ``AWS_*`` environment variables win over the settings file.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from veo_desktop.api.client import SharedHttp, shared_http
from veo_desktop.api.urls import is_loopback_host, url_problem
from veo_desktop.core.settings import Settings
from veo_desktop.hosting._cancel import run_cancellable
from veo_desktop.hosting.config import (
    HostingConfig,
    ProviderKind,
    S3Secrets,
    secret_from_env,
)
from veo_desktop.hosting.model import (
    HostedImage,
    HostingError,
    HostingNotConfiguredError,
    HostingProvider,
    PreparedImage,
    ProgressCallback,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

NO_HOSTING_MESSAGE = (
    "Local files need image hosting: choose S3-compatible storage in Settings > Image "
    "hosting, or paste a public image URL instead."
)
_CHUNK = 64 * 1024


class UrlOnlyProvider:
    """No hosting: uploads are refused with a message saying how to set hosting up."""

    identity = "url-only"
    url_lifetime: float | None = None

    def __repr__(self) -> str:
        return "UrlOnlyProvider()"

    async def upload(
        self,
        image: PreparedImage,
        *,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> HostedImage:
        raise HostingNotConfiguredError(NO_HOSTING_MESSAGE)

    async def test_connection(self) -> str:
        return (
            "URL only: nothing to connect to. Image slots take public https addresses; "
            "each is checked before a task is sent."
        )

    async def aclose(self) -> None:
        return None


class HostingUnavailable:
    """Hosting that is configured but cannot work (a missing secret, a locked keyring…).

    Uploads are refused with the reason, so the slot says what to fix in Settings.
    """

    identity = "unavailable"
    url_lifetime: float | None = None

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"HostingUnavailable({self.message!r})"

    async def upload(
        self,
        image: PreparedImage,
        *,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> HostedImage:
        raise HostingNotConfiguredError(self.message)

    async def test_connection(self) -> str:
        raise HostingError(self.message)

    async def aclose(self) -> None:
        return None


class DemoProvider:
    """The simulator's upload endpoint: demo mode's stand-in for real hosting.

    Args:
        origin: the simulator's ``http://HOST:PORT`` (an API base URL ending in
            ``/api/v1`` is accepted too). Only this computer's addresses are allowed.
        http: the client to upload with (not closed here), or the holder that makes it with
            the first upload; by default its own.
        timeout: seconds for one upload.
    """

    url_lifetime: float | None = None

    def __init__(
        self,
        origin: str,
        *,
        http: httpx.AsyncClient | SharedHttp | None = None,
        timeout: float = 30.0,
    ) -> None:
        origin = origin.rstrip("/").removesuffix("/api/v1")
        problem = url_problem(origin, what="The demo server address")
        if problem:
            raise HostingError(problem)
        if not is_loopback_host(urlsplit(origin).hostname):
            raise HostingError("Demo hosting only works with the simulator on this computer.")
        self._origin = origin
        self._shared = None if http is None else shared_http(http)
        #: The provider's own client (made with its first upload when none was passed).
        self._http: httpx.AsyncClient | None = None
        self._owns_http = http is None
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"DemoProvider({self._origin!r})"

    @property
    def identity(self) -> str:
        return f"demo|{self._origin}"

    @property
    def origin(self) -> str:
        return self._origin

    async def _client(self) -> httpx.AsyncClient:
        if self._shared is not None:
            return self._shared.get()
        if self._http is None:
            import httpx

            return self._keep(await asyncio.to_thread(httpx.AsyncClient))
        return self._http

    def _keep(self, made: httpx.AsyncClient) -> httpx.AsyncClient:
        if self._http is None:
            self._http = made
        return self._http

    async def upload(
        self,
        image: PreparedImage,
        *,
        progress: ProgressCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> HostedImage:
        """POST the image's bytes to ``/sim/upload``; the simulator answers its URL."""
        import httpx

        total = image.size

        async def body() -> AsyncIterator[bytes]:
            sent = 0
            if progress is not None:
                progress(0, total)
            for start in range(0, total, _CHUNK):
                chunk = image.data[start : start + _CHUNK]
                yield chunk
                sent += len(chunk)
                if progress is not None:
                    progress(sent, total)

        http = await self._client()
        request = http.post(
            f"{self._origin}/sim/upload",
            content=body(),
            headers={"Content-Type": image.mime, "Content-Length": str(total)},
            timeout=self._timeout,
        )
        try:
            response = await run_cancellable(request, cancel)
        except httpx.TimeoutException:
            raise HostingError(
                f"The demo server did not answer within {self._timeout:g} s."
            ) from None
        except httpx.HTTPError as error:
            log.info("demo upload failed: %s", type(error).__name__)
            raise HostingError(
                f"The demo server at {self._origin} cannot be reached; is the demo running?"
            ) from None
        return HostedImage(url=self._read_url(response), expires_at=None, provider=self.identity)

    def _read_url(self, response: httpx.Response) -> str:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code // 100 != 2:
            detail = payload.get("error") if isinstance(payload, dict) else None
            words = f": {detail}" if isinstance(detail, str) and detail else ""
            raise HostingError(
                f"The demo server refused the image ({response.status_code}{words})."
            )
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or url_problem(url, what="The uploaded image URL"):
            raise HostingError("The demo server answered without a usable image URL.")
        return url

    async def test_connection(self) -> str:
        import httpx

        try:
            http = await self._client()
            response = await http.get(f"{self._origin}/sim/health", timeout=5.0)
        except httpx.HTTPError:
            raise HostingError(
                f"The demo server at {self._origin} cannot be reached; is the demo running?"
            ) from None
        if response.status_code != 200:
            raise HostingError(f"The demo server answered {response.status_code}.")
        return f"The demo server at {self._origin} takes uploads (no charges, nothing public)."

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
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None


async def create_provider(
    config: HostingConfig,
    *,
    secrets: S3Secrets | None = None,
    secret: str | None = None,
    http: httpx.AsyncClient | SharedHttp | None = None,
    demo_origin: str | None = None,
) -> HostingProvider:
    """The provider ``config`` chooses.

    Args:
        config: the hosting settings.
        secrets: where S3 secrets are kept (default: the system keyring).
        secret: the S3 secret to use instead of the stored one.
        http: a client for the demo upload and S3's connection test (not closed), or the
            holder that makes it with the first request.
        demo_origin: the simulator's origin, for the demo provider.

    Raises:
        HostingNotConfiguredError: demo hosting outside demo mode.
        HostingError: the S3 settings are incomplete or its secret is missing.
    """
    if config.provider is ProviderKind.DEMO:
        if demo_origin is None:
            raise HostingNotConfiguredError(
                "Demo hosting only works in demo mode; choose S3-compatible storage in "
                "Settings > Image hosting."
            )
        return DemoProvider(demo_origin, http=http)
    if config.provider is ProviderKind.S3:
        problems = config.problems()
        if problems:
            raise HostingError(
                "Image hosting is not set up: " + " ".join(problem.message for problem in problems)
            )
        if not secret:
            secret = await (secrets or S3Secrets()).get(config.access_key_id)
        if not secret:
            raise HostingError(
                f"No secret access key is stored for {config.access_key_id}: enter it in "
                "Settings > Image hosting (it is kept in the keyring), or set "
                "AWS_SECRET_ACCESS_KEY."
            )
        # boto3 takes ~170 ms to import: only pay for it when S3 hosting is really used.
        from veo_desktop.hosting.s3 import S3Provider

        return S3Provider(config, secret, http=http)
    return UrlOnlyProvider()


async def provider_for_cli(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    secrets: S3Secrets | None = None,
    http: httpx.AsyncClient | SharedHttp | None = None,
    demo_origin: str | None = None,
) -> HostingProvider:
    """The provider for ``veo-desktop generate --image``.

    ``VEO_S3_BUCKET`` (with ``VEO_S3_ENDPOINT``, ``VEO_S3_REGION``, ``VEO_S3_PREFIX``,
    ``VEO_S3_PUBLIC_BASE_URL``, ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``)
    configures S3 without the settings file; otherwise the settings file's hosting is used,
    with ``AWS_SECRET_ACCESS_KEY`` or the keyring for the secret. In demo mode
    (``demo_origin`` given) with no S3 in the environment, the simulator takes uploads.
    """
    env = os.environ if env is None else env
    config = HostingConfig.from_env(env)
    if config is None:
        config = HostingConfig.from_settings(settings)
        if demo_origin is not None and config.provider is not ProviderKind.S3:
            config = config.replace(provider=ProviderKind.DEMO)
    secret = secret_from_env(config, env) if config.provider is ProviderKind.S3 else None
    return await create_provider(
        config, secrets=secrets, secret=secret, http=http, demo_origin=demo_origin
    )
