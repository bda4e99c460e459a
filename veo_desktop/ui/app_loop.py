"""The window's life on the qasync loop, once it has painted.

One asyncio loop for the app's life, owned by Qt (qasync). :func:`run_window` sets up the
log and the crash dialog, reads the key, opens the workspace (or the demo with the welcome
sheet), and runs until the window is closed; it then awaits ``window.aclose()`` (cancel
work, close the HTTP clients, keep the store consistent) before the loop ends, so tasks in
flight resume at the next start.
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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication

from veo_desktop import logs
from veo_desktop.core import heap
from veo_desktop.core.key_source import API_KEY_ENV, KeySource

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)


async def read_key(
    key_store: KeyStore | Callable[[], KeyStore],
) -> tuple[str | None, KeySource]:
    """The key to start with: ``$APIXO_API_KEY`` first, then the keyring.

    ``key_store`` may be a function that makes the keyring access: with a key in the
    environment the keyring module (~60 ms to import) is not loaded at start-up.
    """
    env = os.environ.get(API_KEY_ENV, "").strip()
    if env:
        return env, KeySource.ENVIRONMENT
    from veo_desktop.core.secrets import KeyringUnavailableError

    store = key_store() if callable(key_store) else key_store
    try:
        key = await store.aget()
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


#: The longest start-up keeps the garbage collector paused (for a session that never
#: starts, e.g. when the store cannot open; 100,000 tasks load in about 4 s).
STARTUP_GC_PAUSE_S = 15.0


def pause_gc_for_startup() -> None:
    """Pause the cyclic garbage collector while start-up builds what lives as long as the
    app (hundreds of modules, Qt's enums, the workspace's widgets, the loaded tasks).

    Its passes over those objects cost about a tenth of the time from the window's first
    paint to a usable workspace (measured with tests/benchmarks/test_gui_startup.py).
    :func:`resume_gc` turns it back on: when the session has started (after
    :func:`freeze_startup_heap`), the window closes, or after :data:`STARTUP_GC_PAUSE_S`,
    whichever is first. Not at the workspace's first paint: a large library's older tasks
    are still loading then (``RecordBook.load_rest``), and the collector's first full pass
    over them, once on, held the GIL (and the window) for 200 ms at 100,000 tasks.
    """
    gc.disable()


def resume_gc(_arg: object = None) -> None:
    """Turn the garbage collector back on (after :func:`pause_gc_for_startup`), and end the
    start-up's mapping of large blocks (``heap.map_large_blocks_while_starting``)."""
    gc.enable()
    heap.started()


def freeze_startup_heap(_session: object = None) -> None:
    """Move the objects start-up built out of the garbage collector's reach, once, when the
    first session has started (modules, widgets, the loaded tasks).

    They live as long as the app, and the collector's full passes over them otherwise
    stall the event loop for tens of milliseconds while hundreds of tasks are polled
    (45 ms measured in tests/benchmarks/test_gui_runtime.py). Later sessions are not
    frozen: what a closed session leaves behind must stay collectable.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()


async def _open_workspace(window: MainWindow, *, demo: bool) -> None:
    """The demo when asked; else the key from the environment or the keyring; with no key
    anywhere, the demo with the welcome sheet on top."""
    if demo:
        window.start_demo()
        return
    key, source = await read_key(lambda: window.key_store)
    if window.closing:
        return
    if key:
        window.open_with_key(key, source=source)  # which registers the key for redaction
    else:
        window.start_demo_with_welcome()


def _restore_once_started(window: MainWindow, restore: list[Path]) -> None:
    """Restore the settings of the videos named on the command line once the session has
    started (as if they were dropped on the window)."""
    from veo_desktop.ui.single_instance import HandOver, apply_hand_over

    def on_started(_session: object) -> None:
        window.session_started.disconnect(on_started)
        apply_hand_over(window, HandOver(restore=restore))

    window.session_started.connect(on_started)


async def _run(window: MainWindow, *, demo: bool, restore: list[Path] | None = None) -> int:
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.closed.connect(on_closed)
    if window.closing:  # closed while it painted
        on_closed()

    # Frozen first, then on: the collector never walks what start-up built.
    window.session_started.connect(freeze_startup_heap)
    window.session_started.connect(resume_gc)
    gc_deadline = asyncio.get_running_loop().call_later(STARTUP_GC_PAUSE_S, resume_gc)
    waker = _SignalWaker(window.close)
    try:
        if restore:
            _restore_once_started(window, restore)
        if not closed.done():
            await _open_workspace(window, demo=demo)
        await closed
    finally:
        gc_deadline.cancel()
        resume_gc()
        waker.close()
        await window.aclose()
        window.deleteLater()
    return 0


def run_window(app: QApplication, window: MainWindow, options: argparse.Namespace) -> int:
    """Run the shown window on a qasync loop until it is closed; returns the exit status."""
    pause_gc_for_startup()
    try:
        logs.setup_logging(
            window.paths.log_dir,
            console=options.verbose,
            console_level=logging.DEBUG if options.verbose else logging.WARNING,
        )
    except OSError as error:
        sys.stderr.write(f"veo-desktop: cannot write the log in {window.paths.log_dir}: {error}\n")
    logs.install_qt_message_handler()
    from veo_desktop.ui.crash_dialog import install_excepthook

    reporter = install_excepthook(parent_widget=QApplication.activeWindow)
    log.info("window shown")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        status: int = loop.run_until_complete(
            _run(window, demo=options.demo, restore=getattr(options, "restore", None))
        )
        return status
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        reporter.uninstall()
