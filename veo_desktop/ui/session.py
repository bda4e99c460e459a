"""One working session of the window: an API (real or the demo's simulator) and its tasks.

A session owns, for as long as it is open: the APIXO client, the task store, the engine,
the controller the widgets talk to, the image pipeline (URL checker, image host, uploader)
and its HTTP client, and in demo mode the embedded simulator. Changing the key, the base
URL or the library closes the session and opens a new one; tasks in flight resume in the
new one. Changing the image hosting only replaces the session's image host.

Which image hosting a session uses (as the command line decides it, see
:func:`veo_desktop.hosting.provider_for_cli`):

- S3-compatible storage when the settings choose it (its secret from the keyring);
- otherwise, in demo mode or against a simulator on this computer, the simulator's upload
  endpoint;
- otherwise none: local files are refused with a message pointing to Settings, and only
  image URLs can be used.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from veo_desktop.api.client import ApixoClient
from veo_desktop.api.urls import is_loopback_host
from veo_desktop.core.demo import DEMO_KEY, DEMO_TIMING, start_demo_simulator
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.hosting import (
    HostedImageCache,
    HostingConfig,
    HostingError,
    HostingProvider,
    ImageHost,
    ProviderKind,
    S3Secrets,
    UrlChecker,
    create_provider,
)
from veo_desktop.imaging import shutdown_imaging
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.images import HostingUnavailable, ImageUploader

if TYPE_CHECKING:
    from veo_desktop.sim import SimulatorThread

log = logging.getLogger(__name__)

IMAGE_HTTP_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)

_app_secrets: S3Secrets | None = None


def app_s3_secrets() -> S3Secrets:
    """The app's one S3 secret store (a secret kept for the session only lives here)."""
    global _app_secrets
    if _app_secrets is None:
        _app_secrets = S3Secrets()
    return _app_secrets


def origin_of(base_url: str) -> str:
    """``scheme://host:port`` of an API root."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def simulator_origin(base_url: str) -> str | None:
    """The origin of an API root served on this computer (a simulator), else None."""
    return origin_of(base_url) if is_loopback_host(urlsplit(base_url).hostname) else None


def effective_hosting(config: HostingConfig, demo_origin: str | None) -> HostingConfig:
    """The hosting a session uses: S3 when chosen, else the simulator's when there is one."""
    if demo_origin is not None and config.provider is not ProviderKind.S3:
        return config.replace(provider=ProviderKind.DEMO)
    return config


async def build_image_host(
    config: HostingConfig,
    *,
    secrets: S3Secrets,
    cache: HostedImageCache,
    checker: UrlChecker,
    demo_origin: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> ImageHost:
    """The image host for ``config``; hosting that cannot work refuses uploads with the reason.

    Never raises for a bad configuration (a missing secret, a locked keyring, demo hosting
    outside demo mode): the reason reaches the person on the slot they drop a file on.
    """
    effective = effective_hosting(config, demo_origin)
    provider: HostingProvider
    try:
        provider = await create_provider(
            effective, secrets=secrets, http=http, demo_origin=demo_origin
        )
    except HostingError as error:
        log.info("image hosting is not usable: %s", error)
        provider = HostingUnavailable(str(error))
    return ImageHost(provider, cache, checker=checker)


@dataclass
class Session:
    """Everything one API connection needs; built by :func:`open_session`, closed by aclose."""

    paths: AppPaths
    settings: Settings
    base_url: str
    demo: bool
    client: ApixoClient
    store: TaskStore
    engine: TaskEngine
    controller: EngineController
    uploader: ImageUploader
    http: httpx.AsyncClient
    checker: UrlChecker
    secrets: S3Secrets
    image_cache: HostedImageCache
    hosting: HostingConfig
    demo_origin: str | None = None
    simulator: SimulatorThread | None = None
    _closed: bool = False
    _hosting_job: asyncio.Task[None] | None = None
    _hosting_generation: int = 0

    @property
    def library_dir(self) -> Path:
        return self.engine.library_dir

    @property
    def closed(self) -> bool:
        return self._closed

    async def start(self) -> None:
        """Set up image hosting, take the data folder, recover and resume tasks, then read
        the balance.

        Raises:
            EngineBusyError: another Veo Desktop works on the same data folder.
        """
        await self.configure_hosting(self.hosting)
        await self.engine.start()
        self.controller.show_journal_orphans()
        await self.controller.refresh_balance()

    async def configure_hosting(self, config: HostingConfig) -> None:
        """Use ``config`` for image hosting from now on (uploads under way finish first).

        Uploads started meanwhile wait for the new host; the old one is closed once idle.
        """
        if self._closed:
            return
        self._hosting_generation += 1
        generation = self._hosting_generation
        self.hosting = config
        self.uploader.expect_host()
        host = await build_image_host(
            config,
            secrets=self.secrets,
            cache=self.image_cache,
            checker=self.checker,
            demo_origin=self.demo_origin,
            http=self.http,
        )
        if self._closed or generation != self._hosting_generation:
            await host.aclose()
            return
        self.uploader.set_host(host)

    def reconfigure_hosting(self, config: HostingConfig) -> None:
        """Start :meth:`configure_hosting` without waiting (the settings dialog's OK)."""
        if self._closed:
            return
        self.uploader.expect_host()
        job = self._hosting_job
        if job is not None and not job.done():
            job.cancel()
        self._hosting_job = asyncio.ensure_future(self.configure_hosting(config))

    async def aclose(self) -> None:
        """Cancel work, close the image pipeline, the HTTP clients and the store, stop the
        simulator."""
        if self._closed:
            return
        self._closed = True
        job = self._hosting_job
        if job is not None and not job.done():
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
        await self.controller.aclose()
        try:
            await self.engine.aclose()
        finally:
            await self.uploader.aclose()
            await asyncio.to_thread(shutdown_imaging)
            await self.client.aclose()
            await self.http.aclose()
            self.store.close()
            if self.simulator is not None:
                await asyncio.to_thread(self.simulator.stop)
            log.info("session closed (%s)", "demo" if self.demo else self.base_url)


def open_session(
    *,
    paths: AppPaths,
    settings: Settings,
    base_url: str,
    api_key: str,
    simulator: SimulatorThread | None = None,
    secrets: S3Secrets | None = None,
) -> Session:
    """Build a session (nothing runs until :meth:`Session.start`).

    Args:
        paths: the data, cache and config folders.
        settings: the settings in effect (the image hosting is read from them).
        base_url: the API root.
        api_key: the APIXO key.
        simulator: the embedded simulator of demo mode.
        secrets: where S3 secrets are kept (default: :func:`app_s3_secrets`).

    Raises:
        ValueError: the base URL or the key is not usable.
        StoreError, OSError: the task store cannot be opened.
    """
    paths.ensure()
    client = ApixoClient(api_key, base_url=base_url)
    try:
        store = TaskStore.open(paths.store_path)
    except BaseException:
        _close_soon(client)
        raise
    timing = DEMO_TIMING if simulator is not None else settings.timing
    library = settings.library(paths) if simulator is None else paths.library_dir
    engine = TaskEngine(
        client=client,
        store=store,
        library_dir=library,
        timing=timing,
        max_polls_in_flight=settings.max_polls_in_flight,
        max_download_bytes=settings.max_download_bytes,
    )
    http = httpx.AsyncClient(timeout=IMAGE_HTTP_TIMEOUT, trust_env=simulator is None)
    checker = UrlChecker()
    uploader = ImageUploader(checker, http=http)
    controller = EngineController(engine, images=uploader)
    return Session(
        paths=paths,
        settings=settings,
        base_url=client.base_url,
        demo=simulator is not None,
        client=client,
        store=store,
        engine=engine,
        controller=controller,
        uploader=uploader,
        http=http,
        checker=checker,
        secrets=secrets if secrets is not None else app_s3_secrets(),
        image_cache=HostedImageCache.in_cache_dir(paths),
        hosting=HostingConfig.from_settings(settings),
        demo_origin=simulator_origin(client.base_url),
        simulator=simulator,
    )


def open_demo_session(
    paths: AppPaths, settings: Settings, *, secrets: S3Secrets | None = None
) -> Session:
    """A session against a freshly started simulator, in the demo's own data folder."""
    demo_paths = paths.demo()
    simulator = start_demo_simulator()
    try:
        return open_session(
            paths=demo_paths,
            settings=dataclasses.replace(settings, library_dir=None),
            base_url=simulator.base_url,
            api_key=DEMO_KEY,
            simulator=simulator,
            secrets=secrets,
        )
    except BaseException:
        simulator.stop()
        raise


def _close_soon(client: ApixoClient) -> None:
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().create_task(client.aclose())
