"""``veo-desktop``: the window, painted before the rest of the app loads.

A person judges an app by how soon its window appears. :func:`run_gui` parses the
arguments, makes the QApplication with its theme, builds the window (title, saved size,
menus, "Opening your workspace…") and waits for its first paint; only then does
:mod:`veo_desktop.ui.app_loop` load asyncio and qasync and open the workspace. Keep this
module's imports light: each one delays the first paint.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from veo_desktop import __version__
from veo_desktop.core import heap
from veo_desktop.core.paths import APP_NAME
from veo_desktop.resources import DESKTOP_FILE_ID
from veo_desktop.ui import style

if TYPE_CHECKING:
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)

#: How long start-up waits for the window's first paint before loading the rest anyway.
FIRST_PAINT_TIMEOUT_MS = 1000


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
    options, rest = parser.parse_known_args(list(args))
    from veo_desktop.ui.window.drop_restore import RESTORABLE_SUFFIXES

    # A video of ours (or its .json) named on the command line: its settings are restored
    # (by the window already open on this data folder, when there is one).
    options.restore = [
        Path(arg).expanduser().absolute()
        for arg in rest
        if not arg.startswith("-") and Path(arg).suffix.lower() in RESTORABLE_SUFFIXES
    ]
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


def skip_httpx_command_line() -> None:
    """Keep httpx from importing its command-line tool when the app imports httpx.

    ``import httpx`` also imports ``httpx._main`` (the ``httpx`` command) whenever click,
    rich and pygments happen to be installed (a developer's environment has them, through
    import-linter): about 50 ms of the start, before the workspace can be used, for a
    command this process never runs. httpx guards that import and, when it fails, defines
    a stub ``httpx.main`` that prints how to install the command; an entry of ``None`` in
    :data:`sys.modules` makes it fail. Only ``veo-desktop``'s own window process does this
    (an embedder or a test importing the package keeps httpx as it is), and only before
    httpx is first imported (``setdefault``: an httpx already loaded is left alone).
    """
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "not there"


def check_pyside_use_cheaply(answers: PysideUseAnswers | None = None) -> None:
    """Make PySide6's import hook answer "does this module use PySide6?" without inspect.

    Once PySide6 is imported, every ``import`` statement runs its ``__feature__`` hook,
    which records, for each newly imported module, whether the module's source mentions
    "PySide6" (a module that never does is left out of ``from __feature__ import ...``
    switching). It finds out with ``inspect.getsource``: ``linecache`` reads the whole
    file line by line (detecting its encoding, keeping every line in memory), about 0.2 ms
    a module, 50-75 ms for the ~330 modules between the window's first paint and a usable
    workspace (tests/benchmarks/test_gui_startup.py). :func:`module_mentions_pyside`
    gives the same answer from the file's bytes in a third of that, and ``answers`` (the
    answers of earlier starts, see :class:`PysideUseAnswers`) without reading the file
    at all. Only ``veo-desktop``'s own window process does this; without the hook
    (another PySide6) nothing changes.
    """
    feature = sys.modules.get("PySide6.support.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        check = module_mentions_pyside if answers is None else answers.mentions_pyside
        feature._mod_uses_pyside = check  # type: ignore[attr-defined]


def module_mentions_pyside(module: ModuleType) -> bool:
    """Whether ``module``'s source file contains "PySide6" (False without a ``.py`` file),
    as ``"PySide6" in inspect.getsource(module)`` tells for a module loaded from source."""
    origin = _source_of(module)
    return origin is not None and _file_mentions_pyside(origin)


def _source_of(module: ModuleType) -> str | None:
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    return origin if isinstance(origin, str) and origin.endswith(".py") else None


def _file_mentions_pyside(origin: str) -> bool:
    try:
        with open(origin, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


class PysideUseAnswers:
    """:func:`module_mentions_pyside`'s answers, kept from one start to the next.

    Reading each module's file for the word "PySide6" still cost about 10 ms of the time
    from the window's first paint to a usable workspace (~360 files); a ``stat`` of each
    costs a quarter of that. An answer is reused only while the file has the same size and
    modification time (nanoseconds) as when it was read; any other file is read as before.
    The answers live in one small JSON file in the cache folder, written when the window
    closes (only when something new was read, or most kept answers went unused: the file
    keeps the answers this start used, so it does not grow with files long gone); a
    missing, unreadable or foreign file just means every module is read this time. Safe
    to call from any thread (PySide6's hook runs on whichever imports).

    Args:
        path: the JSON file (``None``: keep nothing between starts).
    """

    #: The file's format; another is ignored (and replaced when the window closes).
    VERSION = 1

    def __init__(self, path: Path | None) -> None:
        self.path = path
        #: origin -> (mtime_ns, size, mentions "PySide6")
        self._known: dict[str, tuple[int, int, bool]] = {}
        #: The files asked about in this process.
        self._used: set[str] = set()
        self._changed = False
        if path is not None:
            self._known = _read_answers(path, self.VERSION)

    def mentions_pyside(self, module: ModuleType) -> bool:
        """As :func:`module_mentions_pyside`, reading the file only when its answer is not
        known for the file as it is now."""
        origin = _source_of(module)
        if origin is None:
            return False
        try:
            found = os.stat(origin)
        except OSError:
            return False
        self._used.add(origin)
        known = self._known.get(origin)
        if known is not None and known[0] == found.st_mtime_ns and known[1] == found.st_size:
            return known[2]
        answer = _file_mentions_pyside(origin)
        self._known[origin] = (found.st_mtime_ns, found.st_size, answer)
        self._changed = True
        return answer

    def save(self) -> None:
        """Write the answers this start used, for the next start (see the class)."""
        used = set(self._used)  # (a thread may be importing meanwhile)
        stale = len(self._known) > 2 * len(used)
        if self.path is None or not (self._changed or stale):
            return
        from veo_desktop.core.fsutil import atomic_write_text

        kept = list(self._known.items())  # (one step: a thread may add to it meanwhile)
        known = {origin: answer for origin, answer in kept if origin in used}
        text = json.dumps({"version": self.VERSION, "files": known}, separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, text)
        except OSError as error:
            log.info("could not keep the PySide6 use answers: %s", error)
            return
        self._changed = False


def _read_answers(path: Path, version: int) -> dict[str, tuple[int, int, bool]]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != version:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    known: dict[str, tuple[int, int, bool]] = {}
    for origin, entry in files.items():
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and type(entry[0]) is int
            and type(entry[1]) is int
            and type(entry[2]) is bool
        ):
            known[origin] = (entry[0], entry[1], entry[2])
    return known


#: Where :class:`PysideUseAnswers` keeps its answers, in the cache folder.
PYSIDE_USE_FILE = "pyside-use.json"


def run_gui(args: Sequence[str]) -> int:
    """Open the window and run until it is closed; returns the exit status.

    The window's frame is painted first, from the few modules it needs (Qt, the theme,
    the settings): "Opening your workspace…" at its saved size. Only then do the menus and
    the status bar, asyncio, qasync, the log, the crash dialog, the keyring and the
    workspace load (:func:`veo_desktop.ui.app_loop.run_window`).
    """
    check_pyside_use_cheaply()
    options = parse_args(args)
    answers = remember_pyside_use(options.data_dir)
    skip_httpx_command_line()
    # The collector stays paused from here until the workspace is usable (app_loop resumes it
    # then, or after a few seconds): its passes over start-up's long-lived objects cost ~70 ms
    # of a 920 ms start (interleaved runs, tests/benchmarks/test_gui_startup.py).
    gc.disable()
    # Until the session has started (app_loop.resume_gc), like the collector's pause.
    heap.map_large_blocks_while_starting()
    app = make_application()
    if handed_to_running_window(options):
        gc.enable()
        heap.started()
        return 0
    app.setQuitOnLastWindowClosed(False)
    window = build_main_window(
        base_url=options.base_url or "", data_dir=options.data_dir, chrome=False
    )
    if not options.base_url:
        window.base_url = window.settings.base_url
    wait_for_first_paint(window)
    listen_for_second_launches(window)
    # The session's HTTP client needs the certificate authorities loaded (25-40 ms, off the
    # GIL): a thread reads them while this one builds the chrome and the workspace.
    from veo_desktop import tls

    tls.prepare()
    window.build_chrome()
    from veo_desktop.ui.app_loop import run_window

    try:
        return run_window(app, window, options)
    finally:
        answers.save()


def remember_pyside_use(data_dir: Path | None) -> PysideUseAnswers:
    """Answer PySide6's "does this module use PySide6?" from the answers of earlier starts
    (in the cache folder of ``data_dir``'s app folders; see :class:`PysideUseAnswers`)."""
    from veo_desktop.core.paths import AppPaths

    answers = PysideUseAnswers(AppPaths.resolve(data_dir).cache_dir / PYSIDE_USE_FILE)
    check_pyside_use_cheaply(answers)
    return answers


def handed_to_running_window(options: argparse.Namespace) -> bool:
    """Whether a window already open on this data folder took this launch's arguments
    (``--demo``, videos to restore) and came to the front: then no second window opens.

    On Unix the check costs a file lookup when no window listens (QtNetwork, ~10 ms, loads
    only when the socket file exists).
    """
    from veo_desktop.core.paths import AppPaths
    from veo_desktop.ui import single_instance

    name = single_instance.server_name(AppPaths.resolve(options.data_dir).data_dir)
    if not single_instance.may_be_listening(name):
        return False
    message = single_instance.HandOver(demo=options.demo, restore=list(options.restore))
    if not single_instance.hand_over(name, message):
        log.info("no window answered on %s", name)
        return False
    return True


def listen_for_second_launches(window: MainWindow) -> None:
    """Let a second ``veo-desktop`` on this data folder hand its arguments to ``window``."""
    from veo_desktop.ui import single_instance

    server = single_instance.InstanceServer(
        single_instance.server_name(window.paths.data_dir), window
    )
    server.handed_over.connect(lambda message: single_instance.apply_hand_over(window, message))
    window.closed.connect(server.close)  # a launch while this one closes opens its own
    server.listen()


def wait_for_first_paint(window: MainWindow, timeout_ms: int = FIRST_PAINT_TIMEOUT_MS) -> None:
    """Show ``window`` and let Qt paint it before anything else loads.

    Gives up after ``timeout_ms`` (a window that starts minimised, or on a hidden
    workspace, may not paint until it is looked at).
    """
    waiting = QEventLoop()
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(waiting.quit)
    window.first_painted.connect(waiting.quit)
    give_up.start(timeout_ms)
    window.show()
    waiting.exec()
    give_up.stop()
    window.first_painted.disconnect(waiting.quit)


def build_main_window(
    *,
    base_url: str,
    data_dir: Path | None,
    key_store: KeyStore | None = None,
    chrome: bool = True,
) -> MainWindow:
    """The window without a session yet ("Opening your workspace…"); the caller opens one.

    ``veo-desktop`` builds it with ``chrome=False``, so that its first paint needs nothing
    but the frame; it then adds the menus and status bar (:meth:`MainWindow.build_chrome`),
    reads the keyring, opens the task store and builds the workspace.
    """
    from veo_desktop.core.paths import AppPaths
    from veo_desktop.core.settings import Settings
    from veo_desktop.ui.window.main_window import MainWindow

    paths = AppPaths.resolve(data_dir).ensure()
    settings = Settings.load(paths)
    return MainWindow(
        paths=paths, settings=settings, base_url=base_url, key_store=key_store, chrome=chrome
    )
