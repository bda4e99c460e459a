"""The app's parts for one API and one data folder, opened once and closed in order.

:class:`Runtime` holds one shared ``httpx.AsyncClient`` and everything that talks through
it: the APIXO client, the engine's downloads, the URL checker, the image hosts, and the
window's thumbnails of URL images. It also holds the task store and the engine. The
command line opens the parts it needs one by one (``list`` needs no key, ``balance`` no
store); the window's session opens them all with :func:`open_runtime`.

:meth:`Runtime.aclose` closes them in order: the engine (its polls and downloads stop),
the image hosts, the store, then the APIXO client and the shared HTTP client, and in demo
mode the simulator last.

What no part needs before a window lists its tasks loads later: the shared HTTP client (and
httpx) is made with the first request (:class:`~veo_desktop.api.client.SharedHttp`), the URL
checker and the upload cache when first used, image hosting when it is set up, and the
storyboards (:attr:`Runtime.storyboards`) when first opened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from veo_desktop import __version__, tls
from veo_desktop.api.client import ApixoClient, SharedHttp, Timeouts
from veo_desktop.api.urls import is_loopback_host
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.core.timing import PollTiming
from veo_desktop.runtime.demo import DEMO_KEY, DEMO_TIMING, demo_balance, start_demo_simulator
from veo_desktop.storage.store import StoreError, TaskStore

if TYPE_CHECKING:
    import httpx

    from veo_desktop.api.retry import RetryPolicy
    from veo_desktop.hosting import (
        HostedImageCache,
        HostingConfig,
        HostingProvider,
        ImageHost,
        PreparedImage,
        S3Secrets,
        UrlChecker,
    )
    from veo_desktop.sim import SimulatorThread
    from veo_desktop.storyboard.service import StoryboardService

log = logging.getLogger(__name__)

_closing: set[asyncio.Task[None]] = set()

USER_AGENT = f"veo-desktop/{__version__}"
#: The shared client's defaults, for requests that bring no timeout of their own (each
#: part passes its own: APIXO calls, downloads, URL checks, uploads, thumbnails).
HTTP_TIMEOUT = Timeouts(connect=10.0, read=30.0, write=30.0, pool=10.0)
#: Downloads are not bounded in number (httpx's default of 100 connections, as their own
#: client had); APIXO calls are held to :data:`veo_desktop.api.client.MAX_CONNECTIONS` by
#: the APIXO client itself.
HTTP_MAX_CONNECTIONS = 100
#: Idle connections are few: httpcore checks each one's socket on every request
#: (tests/benchmarks/test_core_load.py).
HTTP_MAX_KEEPALIVE_CONNECTIONS = 8


def open_http(
    *,
    trust_env: bool = True,
    timeout: httpx.Timeout | Timeouts = HTTP_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The one HTTP client of a runtime: no secrets in its defaults, no redirects followed
    unless a request asks (the APIXO client sends its key with each request).

    Its TLS context is the one the window prepared off the GUI thread
    (:func:`veo_desktop.tls.prepare`) when there is one, else httpx's own default.
    """
    import httpx

    prepared = tls.take(trust_env=trust_env)
    return httpx.AsyncClient(
        verify=True if prepared is None else prepared,
        timeout=timeout,
        limits=httpx.Limits(
            max_connections=HTTP_MAX_CONNECTIONS,
            max_keepalive_connections=HTTP_MAX_KEEPALIVE_CONNECTIONS,
        ),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=trust_env,
        transport=transport,
    )


def origin_of(base_url: str) -> str:
    """``scheme://host:port`` of an API root."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def simulator_origin(base_url: str) -> str | None:
    """The origin of an API root served on this computer (a simulator), else None."""
    return origin_of(base_url) if is_loopback_host(urlsplit(base_url).hostname) else None


def effective_hosting(config: HostingConfig, demo_origin: str | None) -> HostingConfig:
    """The hosting a session uses: S3 when chosen, else the simulator's when there is one."""
    from veo_desktop.hosting.config import ProviderKind

    if demo_origin is not None and config.provider is not ProviderKind.S3:
        return config.replace(provider=ProviderKind.DEMO)
    return config


async def prepare_local_image(path: Path) -> PreparedImage:
    """A local image file made ready to upload, in the imaging thread (Qt loads here)."""
    from veo_desktop.imaging import prepare_image, run_imaging

    return await run_imaging(prepare_image, path)


async def grab_last_frame(video: Path) -> PreparedImage:
    """A video's last frame made ready to upload, in the imaging thread (Qt loads here)."""
    from veo_desktop.imaging import prepare_qimage, run_imaging
    from veo_desktop.imaging.frames import last_frame

    def grab() -> PreparedImage:
        return prepare_qimage(last_frame(video), name=f"{video.stem}-last-frame.png")

    return await run_imaging(grab)


class Runtime:
    """The parts of the app for one API root and one data folder, over one HTTP client.

    Args:
        paths: the data, cache and config folders.
        settings: the settings in effect.
        base_url: the API root.
        simulator: demo mode's embedded simulator (stopped by :meth:`aclose`).
        timeout: the shared client's default timeouts.
        transport: an httpx transport for the shared client (tests).

    The shared client is made with the first request (or the first read of :attr:`http`);
    a runtime closed before that never makes one.
    """

    def __init__(
        self,
        *,
        paths: AppPaths,
        settings: Settings,
        base_url: str,
        simulator: SimulatorThread | None = None,
        timeout: httpx.Timeout | Timeouts = HTTP_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.base_url = base_url
        self.simulator = simulator
        #: Proxies from the environment are for the internet, not a simulator on loopback.
        self._http = SharedHttp(
            partial(open_http, trust_env=simulator is None, timeout=timeout, transport=transport)
        )
        self._checker: UrlChecker | None = None
        self._image_cache: HostedImageCache | None = None
        self._client: ApixoClient | None = None
        self._store: TaskStore | None = None
        self._engine: TaskEngine | None = None
        self._hosts: list[ImageHost] = []
        self._frame_host: ImageHost | None = None
        self._storyboards: StoryboardService | None = None
        self._closed = False

    @classmethod
    def demo(
        cls, paths: AppPaths, settings: Settings, *, simulator: SimulatorThread | None = None
    ) -> Runtime:
        """A runtime against the demo's simulator (``simulator``, already started, e.g. in a
        worker thread while the window paints; else one started here), in the demo's own data
        folder. The runtime stops the simulator when it closes."""
        if simulator is None:
            simulator = start_demo_simulator()
        try:
            return cls(
                paths=paths.demo(),
                settings=dataclasses.replace(settings, library_dir=None),
                base_url=simulator.base_url,
                simulator=simulator,
            )
        except BaseException:
            simulator.stop()
            raise

    def __repr__(self) -> str:
        return f"Runtime(base_url={self.base_url!r}, demo={self.is_demo})"

    @property
    def is_demo(self) -> bool:
        return self.simulator is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def demo_origin(self) -> str | None:
        """The simulator's origin when the API is served on this computer, else None."""
        return simulator_origin(self.base_url)

    @property
    def timing(self) -> PollTiming:
        """The poll cadence: the settings', or the demo's quick one."""
        return DEMO_TIMING if self.is_demo else self.settings.timing

    @property
    def library_dir(self) -> Path:
        """Where videos go: the settings' library, or the demo folder's own."""
        return self.paths.library_dir if self.is_demo else self.settings.library(self.paths)

    # -- the parts, opened once ------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared HTTP client (made now if no part has made it yet)."""
        return self._http.get()

    @property
    def shared_http(self) -> SharedHttp:
        """The shared HTTP client's holder, for parts that make it with their first request."""
        return self._http

    @property
    def checker(self) -> UrlChecker:
        """The URL checker over the shared client (made once, when first used)."""
        if self._checker is None:
            from veo_desktop.hosting.checker import UrlChecker

            self._checker = UrlChecker(self._http)
        return self._checker

    @property
    def image_cache(self) -> HostedImageCache:
        """What was uploaded already, in the cache folder (read when first used)."""
        if self._image_cache is None:
            from veo_desktop.hosting.cache import HostedImageCache

            self._image_cache = HostedImageCache.in_cache_dir(self.paths)
        return self._image_cache

    @property
    def client(self) -> ApixoClient:
        if self._client is None:
            raise RuntimeError("the APIXO client is not open (Runtime.connect)")
        return self._client

    @property
    def store(self) -> TaskStore:
        if self._store is None:
            raise RuntimeError("the task store is not open (Runtime.open_engine)")
        return self._store

    @property
    def engine(self) -> TaskEngine:
        if self._engine is None:
            raise RuntimeError("the engine is not open (Runtime.open_engine)")
        return self._engine

    @property
    def has_engine(self) -> bool:
        return self._engine is not None

    def connect(self, api_key: str, *, read_retry: RetryPolicy | None = None) -> ApixoClient:
        """The APIXO client over the shared HTTP client (opened once; in demo mode it
        always uses the simulator's key).

        Raises:
            ValueError: the key or the base URL is not usable.
        """
        self._check_open()
        if self._client is None:
            key = DEMO_KEY if self.is_demo else api_key
            self._client = ApixoClient(
                key, base_url=self.base_url, http=self._http, read_retry=read_retry
            )
            self.base_url = self._client.base_url
        return self._client

    def open_store(self) -> TaskStore:
        """The task store of the data folder (opened once).

        Raises:
            StoreError, OSError: it cannot be opened.
        """
        self._check_open()
        if self._store is None:
            self._store = TaskStore.open(self.paths.store_path)
        return self._store

    def open_engine(
        self, *, timing: PollTiming | None = None, recent_first: bool = False
    ) -> TaskEngine:
        """The engine (not started) on the store, polling with the client, downloading over
        the shared HTTP client. Needs :meth:`connect` first. ``recent_first``: see
        :class:`TaskEngine` (a window's session: it shows before a large library loads).

        Raises:
            StoreError, OSError: the task store cannot be opened.
        """
        if self._engine is None:
            client = self.client
            store = self.open_store()
            self._engine = TaskEngine(
                client=client,
                store=store,
                library_dir=self.library_dir,
                timing=timing or self.timing,
                max_polls_in_flight=self.settings.max_polls_in_flight,
                max_download_bytes=self.settings.max_download_bytes,
                download_http=self._http,
                recent_first=recent_first,
            )
        return self._engine

    async def open_image_host(
        self, config: HostingConfig, *, secrets: S3Secrets | None = None
    ) -> ImageHost:
        """The image host for ``config``; hosting that cannot work refuses uploads with the
        reason (see :func:`image_provider`). Closed by :meth:`aclose` unless closed before."""
        provider = await image_provider(
            config, secrets=secrets, http=self._http, demo_origin=self.demo_origin
        )
        return self.adopt_host(provider)

    def adopt_host(self, provider: HostingProvider) -> ImageHost:
        """An image host for ``provider`` with the runtime's cache and checker."""
        from veo_desktop.hosting.cache import ImageHost

        host = ImageHost(provider, self.image_cache, checker=self.checker)
        self._hosts.append(host)
        return host

    def seed_demo_balance(self) -> None:
        """Demo mode: give the simulator's key what the demo's tasks left of its balance.

        Each start has a new simulator; without this its key would hold $100.00 again while
        the demo's store remembers what was spent. Reads the engine's tasks when it is open,
        else the demo's store (if there is one yet). A store that cannot be read leaves the
        simulator's balance as it is (logged); opening it for real reports the problem.
        """
        simulator = self.simulator
        if simulator is None:
            return
        try:
            if self._engine is not None:
                records = self._engine.tasks(include_hidden=True)
            elif self._store is not None or self.paths.store_path.exists():
                records = self.open_store().load_all()
            else:
                records = []
        except (StoreError, OSError) as error:
            log.warning("demo balance not seeded: the demo's tasks cannot be read: %s", error)
            return
        simulator.balance = float(demo_balance(records))

    @property
    def storyboards(self) -> StoryboardService:
        """The storyboards of the data folder: one service, made once the engine is open; it
        follows the engine, and resolves what a crash left once the engine has started.
        The storyboard modules load then, not with the runtime."""
        if self._storyboards is None:
            from veo_desktop.storyboard.service import StoryboardService

            self._storyboards = StoryboardService(
                engine=self.engine,
                store=self.store,
                settings=self.settings,
                frame_url=self.frame_url,
                frame_check=self.frame_host,
            )
        if self.engine.started:
            self._storyboards.start()
        return self._storyboards

    async def frame_host(self) -> ImageHost:
        """The image host continued shots' first frames go to (the settings' hosting, or
        the simulator's in demo mode; made once).

        Raises:
            HostingError: no image hosting is set up (the message says how to).
        """
        if self._frame_host is None:
            from veo_desktop.hosting.providers import provider_for_cli

            provider = await provider_for_cli(
                self.settings, http=self._http, demo_origin=self.demo_origin
            )
            self._frame_host = self.adopt_host(provider)
        return self._frame_host

    async def frame_url(self, video: Path) -> str:
        """The URL of ``video``'s last frame, uploaded to the image hosting (a continued
        shot's first frame)."""
        host = await self.frame_host()
        image = await grab_last_frame(video)
        return (await host.upload(image)).url

    async def prepare_image(self, path: Path) -> PreparedImage:
        """A local image made ready to upload (see :func:`prepare_local_image`)."""
        return await prepare_local_image(path)

    # -- closing -----------------------------------------------------------------------------

    async def close_engine(self) -> None:
        """Stop the engine's polls and downloads (the store stays open)."""
        if self._storyboards is not None:
            self._storyboards.close()
        if self._engine is not None:
            await self._engine.aclose()

    async def aclose(self) -> None:
        """Close the engine, the image hosts, the store, the APIXO client and the HTTP
        client, in that order, then stop the simulator. Each step runs even if one fails."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.close_engine()
        finally:
            try:
                await self._close_hosts()
            finally:
                try:
                    if self._store is not None:
                        self._store.close()
                finally:
                    try:
                        if self._client is not None:
                            await self._client.aclose()
                        if self._checker is not None:
                            await self._checker.aclose()
                        await self._http.aclose()
                    finally:
                        if self.simulator is not None:
                            await asyncio.to_thread(self.simulator.stop)

    async def _close_hosts(self) -> None:
        hosts, self._hosts = self._hosts, []
        results = await asyncio.gather(*(h.aclose() for h in hosts), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.warning("closing an image host failed: %s", type(result).__name__)

    def close_soon(self) -> None:
        """:meth:`aclose` in the background (building failed half-way; may run off a loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._close_without_loop()
            return
        job = loop.create_task(self.aclose())
        _closing.add(job)
        job.add_done_callback(_closing.discard)

    def _close_without_loop(self) -> None:
        self._closed = True
        self._http.refuse()  # (no client made after this; none is made before a request)
        if self._store is not None:
            self._store.close()
        if self.simulator is not None:
            self.simulator.stop()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the runtime is closed")


async def image_provider(
    config: HostingConfig,
    *,
    secrets: S3Secrets | None,
    http: httpx.AsyncClient | SharedHttp,
    demo_origin: str | None,
) -> HostingProvider:
    """The provider for ``config`` (S3 when chosen, the simulator's on loopback, else none).

    Never raises for a bad configuration (a missing secret, a locked keyring, demo hosting
    outside demo mode): :class:`HostingUnavailable` carries the reason to whoever uploads.
    """
    from veo_desktop.hosting.model import HostingError
    from veo_desktop.hosting.providers import HostingUnavailable, create_provider

    effective = effective_hosting(config, demo_origin)
    try:
        return await create_provider(effective, secrets=secrets, http=http, demo_origin=demo_origin)
    except HostingError as error:
        log.info("image hosting is not usable: %s", error)
        return HostingUnavailable(str(error))


def open_runtime(
    *,
    paths: AppPaths,
    settings: Settings,
    base_url: str,
    api_key: str,
    simulator: SimulatorThread | None = None,
    recent_first: bool = False,
) -> Runtime:
    """A runtime with every part open (client, store, engine not yet started);
    ``recent_first``: see :class:`TaskEngine`.

    Raises:
        ValueError: the base URL or the key is not usable.
        StoreError, OSError: the task store cannot be opened.
    """
    paths.ensure()
    runtime = Runtime(paths=paths, settings=settings, base_url=base_url, simulator=simulator)
    try:
        runtime.connect(api_key)
        runtime.open_engine(recent_first=recent_first)
    except BaseException:
        runtime.close_soon()
        raise
    return runtime


def open_demo_runtime(
    paths: AppPaths, settings: Settings, *, simulator: SimulatorThread | None = None
) -> Runtime:
    """:func:`open_runtime` against the demo's simulator (see :meth:`Runtime.demo`), in the
    demo's data folder."""
    runtime = Runtime.demo(paths, settings, simulator=simulator)
    try:
        runtime.paths.ensure()
        runtime.connect(DEMO_KEY)
        runtime.open_engine()
        runtime.seed_demo_balance()
    except BaseException:
        runtime.close_soon()
        raise
    return runtime
