"""One working session of the window: an API (real or the demo's simulator) and its tasks.

A session wraps a :class:`~veo_desktop.runtime.Runtime` (the APIXO client, the task store,
the engine, the URL checker and image hosts over one shared HTTP client, and in demo mode
the embedded simulator) and adds what the widgets need: the controller they talk to and the
image uploader. Changing the key, the base URL or the library closes the session and opens
a new one; tasks in flight resume in the new one. Changing the image hosting only replaces
the session's image host.

Which image hosting a session uses (as the command line decides it, see
:func:`veo_desktop.hosting.provider_for_cli`):

- S3-compatible storage when the settings choose it (its secret from the keyring);
- otherwise, in demo mode or against a simulator on this computer, the simulator's upload
  endpoint;
- otherwise none: local files are refused with a message pointing to Settings, and only
  image URLs can be used.

A session opens before the window lists its tasks, so it loads only what that needs: the
hosting settings and providers, the URL checker, the imaging thread and httpx load when the
session starts or an image is first used.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from veo_desktop.runtime import (
    HTTP_TIMEOUT,
    Runtime,
    effective_hosting,
    image_provider,
    open_demo_runtime,
    open_runtime,
    origin_of,
    simulator_origin,
)
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.images import ImageUploader

if TYPE_CHECKING:
    import httpx

    from veo_desktop.api.client import ApixoClient
    from veo_desktop.core.engine import TaskEngine
    from veo_desktop.core.paths import AppPaths
    from veo_desktop.core.settings import Settings
    from veo_desktop.hosting import HostedImageCache, HostingConfig, S3Secrets, UrlChecker
    from veo_desktop.runtime.demo import SimulatorThread

log = logging.getLogger(__name__)

#: The shared client's default timeouts (each image request passes its own).
IMAGE_HTTP_TIMEOUT = HTTP_TIMEOUT

__all__ = [
    "IMAGE_HTTP_TIMEOUT",
    "Session",
    "app_s3_secrets",
    "effective_hosting",
    "open_demo_session",
    "open_session",
    "origin_of",
    "simulator_origin",
]

_app_secrets: S3Secrets | None = None


def app_s3_secrets() -> S3Secrets:
    """The app's one S3 secret store (a secret kept for the session only lives here)."""
    global _app_secrets
    if _app_secrets is None:
        from veo_desktop.hosting.config import S3Secrets

        _app_secrets = S3Secrets()
    return _app_secrets


@dataclass(eq=False)
class Session:
    """Everything one API connection needs; built by :func:`open_session`, closed by aclose.

    Its S3 secret store (default: :func:`app_s3_secrets`) and its image hosting settings
    (default: the settings') are read when first asked for.
    """

    runtime: Runtime
    controller: EngineController
    uploader: ImageUploader
    _secrets: S3Secrets | None = None
    _hosting: HostingConfig | None = None
    _closed: bool = False
    _hosting_job: asyncio.Task[None] | None = None
    _hosting_generation: int = 0

    @property
    def secrets(self) -> S3Secrets:
        """Where S3 secrets are kept."""
        if self._secrets is None:
            self._secrets = app_s3_secrets()
        return self._secrets

    @secrets.setter
    def secrets(self, secrets: S3Secrets) -> None:
        self._secrets = secrets

    @property
    def hosting(self) -> HostingConfig:
        """The image hosting in use (the settings' until :meth:`configure_hosting`)."""
        if self._hosting is None:
            from veo_desktop.hosting.config import HostingConfig

            self._hosting = HostingConfig.from_settings(self.settings)
        return self._hosting

    # -- the runtime's parts, as the window and the tests name them ----------------------------

    @property
    def paths(self) -> AppPaths:
        return self.runtime.paths

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def base_url(self) -> str:
        return self.runtime.base_url

    @property
    def demo(self) -> bool:
        return self.runtime.is_demo

    @property
    def client(self) -> ApixoClient:
        return self.runtime.client

    @property
    def engine(self) -> TaskEngine:
        return self.runtime.engine

    @property
    def http(self) -> httpx.AsyncClient:
        return self.runtime.http

    @property
    def checker(self) -> UrlChecker:
        return self.runtime.checker

    @property
    def image_cache(self) -> HostedImageCache:
        return self.runtime.image_cache

    @property
    def demo_origin(self) -> str | None:
        return self.runtime.demo_origin

    @property
    def simulator(self) -> SimulatorThread | None:
        return self.runtime.simulator

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
        # At once: a submit meanwhile waits for it. A large library's older tasks are read
        # while image hosting is set up.
        starting = self.engine.begin_start()
        try:
            await self.configure_hosting(self.hosting)
        except BaseException:  # a close (cancel) need not wait for the tasks to load
            starting.add_done_callback(_retrieved)
            raise
        await asyncio.shield(starting)
        self.controller.show_journal_orphans()
        await self.controller.refresh_balance()

    async def configure_hosting(self, config: HostingConfig) -> None:
        """Use ``config`` for image hosting from now on (uploads under way finish first).

        Uploads started meanwhile wait for the new host; the old one is closed once idle.
        """
        if self._closed:
            return
        from veo_desktop.hosting.cache import ImageHost

        self._hosting_generation += 1
        generation = self._hosting_generation
        self._hosting = config
        self.uploader.expect_host()
        provider = await image_provider(
            config,
            secrets=self.secrets,
            http=self.runtime.shared_http,
            demo_origin=self.demo_origin,
        )
        host = ImageHost(provider, self.image_cache, checker=self.checker)
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
        self._hosting_job = self.controller.run(
            self.configure_hosting(config), name="Setting up image hosting"
        )

    async def aclose(self) -> None:
        """Cancel work, then close in order: the engine, the image hosts, the store, the HTTP
        client, the simulator (:meth:`Runtime.aclose`)."""
        from veo_desktop.imaging.worker import shutdown_imaging

        if self._closed:
            return
        self._closed = True
        job = self._hosting_job
        if job is not None and not job.done():
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
        await self.controller.aclose()
        try:
            await self.runtime.close_engine()
        finally:
            try:
                await self.uploader.aclose()
                await asyncio.to_thread(shutdown_imaging)
            finally:
                await self.runtime.aclose()
                log.info("session closed (%s)", "demo" if self.demo else self.base_url)


def _retrieved(future: asyncio.Future[None]) -> None:
    """Mark a start nobody awaits any more as looked at (its error was told elsewhere)."""
    if not future.cancelled():
        future.exception()


def open_session(
    *,
    paths: AppPaths,
    settings: Settings,
    base_url: str,
    api_key: str,
    simulator: SimulatorThread | None = None,
    secrets: S3Secrets | None = None,
) -> Session:
    """Build a session (nothing runs until :meth:`Session.start`). Its engine loads the
    tasks a window shows first, and the rest when the session starts (``recent_first``).

    Args:
        paths: the data, cache and config folders.
        settings: the settings in effect (the image hosting is read from them).
        base_url: the API root.
        api_key: the APIXO key.
        simulator: the embedded simulator of demo mode (the session stops it).
        secrets: where S3 secrets are kept (default: :func:`app_s3_secrets`).

    Raises:
        ValueError: the base URL or the key is not usable.
        StoreError, OSError: the task store cannot be opened.
    """
    runtime = open_runtime(
        paths=paths,
        settings=settings,
        base_url=base_url,
        api_key=api_key,
        simulator=simulator,
        recent_first=True,
    )
    return _session(runtime, secrets)


def open_demo_session(
    paths: AppPaths,
    settings: Settings,
    *,
    secrets: S3Secrets | None = None,
    simulator: SimulatorThread | None = None,
) -> Session:
    """A session against the demo's simulator, in the demo's own data folder.

    ``simulator`` is one already started (e.g. off the GUI thread while the window paints,
    with :func:`veo_desktop.runtime.demo.start_demo_simulator`); by default one starts here.
    The session stops it when it closes.
    """
    return _session(open_demo_runtime(paths, settings, simulator=simulator), secrets)


def _session(runtime: Runtime, secrets: S3Secrets | None) -> Session:
    uploader = ImageUploader(lambda: runtime.checker, http=runtime.shared_http)
    controller = EngineController(runtime.engine, images=uploader)
    return Session(runtime=runtime, controller=controller, uploader=uploader, _secrets=secrets)
