"""Helpers for the window's tests: images on disk, drops, sessions against the simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QWidget

from tests.fixtures.core import FAST_TIMING
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.app import create_main_window
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.ui.session import Session, open_session
from veo_desktop.ui.window.main_window import MainWindow


def write_image(path: Path, *, width: int = 160, height: int = 90, color: str = "#3a7") -> Path:
    """A real PNG (or JPEG, by suffix) on disk."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path)), path
    return path


def write_big_jpeg(path: Path, size: int = 10 * 1024 * 1024 + 1024) -> Path:
    """A file that starts like a JPEG and is over APIXO's 10 MB limit."""
    with path.open("wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0" + b"\0" * (size - 4))
    return path


def drop(
    widget: QWidget,
    *,
    urls: list[str] | None = None,
    text: str | None = None,
    image: QImage | None = None,
) -> bool:
    """Drag a QMimeData over ``widget`` and drop it, as a file manager or browser does.

    Qt delivers drop events through ``QApplication`` only during a real drag, so the
    enter and drop events are handed to the widget's ``event()`` directly.
    Returns whether the widget accepted the drop.
    """
    mime = QMimeData()
    if urls is not None:
        mime.setUrls([QUrl(u) if "://" in u else QUrl.fromLocalFile(u) for u in urls])
    if text is not None:
        mime.setText(text)
    if image is not None:
        mime.setImageData(image)
    centre = widget.rect().center()
    enter = QDragEnterEvent(
        centre,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.event(enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(
        QPointF(centre),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.event(event)
    return event.isAccepted()


def test_settings() -> Settings:
    """Settings with fast polling (the simulator finishes in a fraction of a second)."""
    return Settings(timing=FAST_TIMING)


@contextmanager
def running_session(sim: Any, root: Path, arun: Callable[..., Any]) -> Iterator[Session]:
    """A started session against ``sim`` in ``root``; closed on exit."""
    paths = AppPaths.resolve(root)
    session = open_session(
        paths=paths, settings=test_settings(), base_url=sim.base_url, api_key=SIM_API_KEY
    )
    try:
        arun(session.start())
        yield session
    finally:
        arun(session.aclose())


def submits(sim: Any) -> list[Any]:
    """The generation requests the simulator received."""
    return [r for r in sim.requests if r.endpoint == "submit"]


def write_settings(root: Path) -> AppPaths:
    """Fast polling for the window built on ``root`` (create_main_window reads it)."""
    paths = AppPaths.resolve(root)
    test_settings().save(paths)
    return paths


def process_deletions() -> None:
    """Delete what ``deleteLater()`` scheduled (no event loop runs between tests)."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


@pytest.fixture(name="make_window")
def make_window_fixture(
    qapp: QApplication, qloop: Any, arun: Callable[..., Any], qtbot: Any, sim_factory: Any
) -> Iterator[Callable[..., MainWindow]]:
    """Build windows with ``create_main_window`` (fast polling); closes them at teardown and
    fails the test when a top-level widget is left behind.

    It depends on ``sim_factory`` so that simulators stop only after the windows closed.
    """
    quit_before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    before = {id(w) for w in QApplication.topLevelWidgets()}
    made: list[MainWindow] = []

    def make(**kwargs: Any) -> MainWindow:
        if kwargs.get("data_dir") is not None and kwargs.pop("fast", True):
            write_settings(kwargs["data_dir"])
        window = create_main_window(**kwargs)
        made.append(window)
        return window

    yield make
    for window in made:
        close_window(window, arun)
    process_deletions()
    qapp.setQuitOnLastWindowClosed(quit_before)
    leaked = [
        f"{type(w).__name__}({w.objectName()!r})"
        for w in QApplication.topLevelWidgets()
        if id(w) not in before
    ]
    assert not leaked, f"top-level widgets left behind: {leaked}"


def close_window(window: MainWindow, arun: Callable[..., Any]) -> None:
    """Close a window the way the app does: close(), then await aclose()."""
    if window.closed_for_good:
        return
    window.close()
    arun(window.aclose(), timeout=30)
    window.deleteLater()
    process_deletions()


def wait_started(qtbot: Any, window: MainWindow, timeout: int = 15_000) -> None:
    def started() -> None:
        assert window.session is not None and window.session.engine.started

    qtbot.waitUntil(started, timeout=timeout)


def screenshot_window(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    qtbot: Any,
    *,
    size: tuple[int, int],
    dark: bool,
    **window_args: Any,
) -> tuple[MainWindow, str]:
    """A window for screenshots: themed, at ``size``, shown, and (when it has a key) with
    its session started; and the tag its PNGs are named with, e.g. ``1024x640-dark``."""
    themed(dark)
    window = make_window(**window_args)
    window.resize(*size)
    window.show()
    if window_args.get("api_key"):
        wait_started(qtbot, window)
    return window, f"{size[0]}x{size[1]}-{'dark' if dark else 'light'}"
