"""``veo-desktop``: the window on a qasync loop.

One asyncio loop for the app's life, owned by Qt (qasync). The window's close emits a
signal; the main coroutine then awaits ``window.aclose()`` (cancel work, close the HTTP
clients, keep the store consistent) before the loop ends, so tasks in flight resume at the
next start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

from veo_desktop import __version__, logs
from veo_desktop.core.paths import APP_NAME, AppPaths
from veo_desktop.resources import DESKTOP_FILE_ID
from veo_desktop.ui import style
from veo_desktop.ui.settings_dialog import KEY_ENV, KeySource

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore

log = logging.getLogger(__name__)


def parse_args(args: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="veo-desktop",
        description="Make short videos with Veo 3.1 through the APIXO API.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in simulator: no key, no charges",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep tasks, settings, logs and videos in this folder "
        "(default: the platform's folders, or $VEO_DESKTOP_DATA_DIR)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help="the APIXO API root for this run (https; http only on this computer)",
    )
    parser.add_argument("--verbose", action="store_true", help="also log to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    options, _qt_args = parser.parse_known_args(list(args))
    if options.base_url is not None:
        from veo_desktop.api.urls import normalize_base_url

        try:
            options.base_url = normalize_base_url(options.base_url)
        except ValueError as error:
            parser.error(str(error))
    return options


def make_application(argv: Sequence[str] = ()) -> QApplication:
    """The QApplication with the app's name, icon and Fusion theme (dark when asked)."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *argv])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE_ID)
    style.apply_theme(app)
    try:
        from veo_desktop.resources import ResourceNotFoundError, app_icon

        app.setWindowIcon(app_icon())
    except (ImportError, ResourceNotFoundError) as error:
        log.warning("no app icon: %s", error)
    return app


async def read_key(key_store: KeyStore) -> tuple[str | None, KeySource]:
    """The key to start with: ``$APIXO_API_KEY`` first, then the keyring."""
    from veo_desktop.core.secrets import KeyringUnavailableError

    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env, KeySource.ENVIRONMENT
    try:
        key = await key_store.aget()
    except KeyringUnavailableError as error:
        log.warning("keyring not readable: %s", error)
        return None, KeySource.NONE
    return (key, KeySource.KEYRING) if key else (None, KeySource.NONE)


class _SignalWaker:
    """Lets SIGINT/SIGTERM close the window while Qt sleeps (no polling timer)."""

    def __init__(self, on_signal: Callable[[], object]) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self.on_notifier_activated)
        self._previous = {
            sig: signal.signal(sig, lambda *_: on_signal())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }

    def on_notifier_activated(self) -> None:
        with contextlib.suppress(OSError):
            self._reader.recv(64)

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._reader.close()
        self._writer.close()


async def _run(options: argparse.Namespace) -> int:
    """Paint the window first; then read the key and open the workspace.

    With no key anywhere, the app opens in demo mode with the welcome sheet on top.
    """
    from veo_desktop.app import build_main_window

    window = build_main_window(base_url=options.base_url or "", data_dir=options.data_dir)
    if not options.base_url:
        window.base_url = window.settings.base_url

    async def open_workspace() -> None:
        if options.demo:
            window.start_demo()
            return
        key, source = await read_key(window.key_store)
        if key:
            logs.register_secret(key)
            window.open_with_key(key, source=source)
        else:
            window.start_demo_with_welcome()

    window.start_after_first_paint(open_workspace)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)

    def on_session_started(_session: object) -> None:
        # Start-up built most long-lived objects (modules, widgets, the loaded tasks): move
        # them out of the collector's reach, whose full passes otherwise stall the event loop
        # for tens of milliseconds when hundreds of tasks are polled.
        gc.freeze()

    window.session_started.connect(on_session_started)
    waker = _SignalWaker(window.close)
    try:
        window.show()
        log.info("window shown")
        await closed
    finally:
        waker.close()
        await window.aclose()
        window.deleteLater()
    return 0


def run_gui(args: Sequence[str]) -> int:
    """Open the window and run until it is closed; returns the exit status."""
    options = parse_args(args)
    paths = AppPaths.resolve(options.data_dir).ensure()
    try:
        logs.setup_logging(
            paths.log_dir,
            console=options.verbose,
            console_level=logging.DEBUG if options.verbose else logging.WARNING,
        )
    except OSError as error:
        sys.stderr.write(f"veo-desktop: cannot write the log in {paths.log_dir}: {error}\n")
    app = make_application()
    logs.install_qt_message_handler()
    from veo_desktop.ui.crash_dialog import install_excepthook

    reporter = install_excepthook(parent_widget=QApplication.activeWindow)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        status: int = loop.run_until_complete(_run(options))
        return status
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        reporter.uninstall()
