"""Walk every screen and dialog of the demo under X, capturing the whole screen each time.

Run from the repository root, under a real X server with a window manager (what a person
sees: title bars, placement, a screen that may be too small)::

    Xvfb :98 -screen 0 1024x640x24 & DISPLAY=:98 openbox &
    DISPLAY=:98 .venv/bin/python packaging/tour.py --out /tmp/tour --dark

It opens the demo window in a throwaway data folder and home, sends two demo tasks, then
opens in turn: Settings, Keyboard shortcuts, About, Save as, Restore settings from a video,
Save prompt, Extend, Compare, Rate and tag, Import videos, the Storyboard tab with Generate
missing shots, Trim and the film player, the Spending tab, and the Variations confirmation.
For each it saves a PNG of the screen and records whether the window lies inside the screen
and, when the test fixtures are importable, every text reading below WCAG AA, measured on
the screen's pixels (``tests/fixtures/contrast.py``). The report is
``report-<size>-<theme>.json``; the exit status is 1 when a window falls outside the screen
or a text is illegible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QAction, QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QSpinBox, QWidget  # noqa: E402

PROMPTS = ("A lighthouse on a rocky coast at dusk", "A red fox in fresh snow at dawn")


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"tour: timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Tour:
    """Captures the screen with each window open and keeps the report."""

    def __init__(self, out: Path, tag: str) -> None:
        self.out = out
        self.tag = tag
        self.report: list[dict[str, Any]] = []

    async def shoot(self, name: str, widget: QWidget, *, whole_window: bool = False) -> None:
        # Let Qt paint first (from the loop: processEvents() here would run other tasks
        # inside this one).
        await asyncio.sleep(0.05)
        screen = QGuiApplication.primaryScreen()
        picture = screen.grabWindow(0)
        path = self.out / f"{name}-{self.tag}.png"
        picture.save(str(path))
        frame = widget.frameGeometry()
        entry: dict[str, Any] = {
            "name": name,
            "png": str(path),
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            # The main window may be as large as the screen; its frame is drawn by the WM.
            "inside_screen": whole_window or screen.geometry().contains(frame),
        }
        try:
            from tests.fixtures.contrast import contrast_failures
        except ImportError:
            entry["illegible"] = None
        else:
            origin = widget.mapToGlobal(QPoint(0, 0))
            entry["illegible"] = [str(f) for f in contrast_failures(widget, picture, origin)]
        self.report.append(entry)
        sys.stdout.write(f"{name}: {path}\n")

    def save(self) -> bool:
        """Write the report; True when everything fits and reads."""
        (self.out / f"report-{self.tag}.json").write_text(json.dumps(self.report, indent=1))
        return all(e["inside_screen"] and not e["illegible"] for e in self.report)


def windows_open() -> list[QWidget]:
    from veo_desktop.ui.window.main_window import MainWindow

    kinds = (Qt.WindowType.Window, Qt.WindowType.Dialog)
    return [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and not isinstance(w, MainWindow) and w.windowType() in kinds
    ]


async def open_and_shoot(tour: Tour, name: str, trigger: Callable[[], object]) -> None:
    before = {id(w) for w in windows_open()}
    QTimer.singleShot(0, trigger)
    await wait_for(lambda: any(id(w) not in before for w in windows_open()), name)
    window = [w for w in windows_open() if id(w) not in before][-1]
    await wait_for(lambda: window.isActiveWindow(), f"{name} to be mapped and active", 10.0)
    await asyncio.sleep(0.5)  # the first frames of any video in it: a picture, nothing to wait on
    await tour.shoot(name, window)
    reject = getattr(window, "reject", None)
    if callable(reject):
        reject()
    else:
        window.close()
    await wait_for(lambda: not window.isVisible(), f"{name} to close")


async def walk(app: QApplication, tour: Tour, work: Path, *, dark: bool) -> None:
    from veo_desktop.api.models import GenerationRequest
    from veo_desktop.app import create_main_window
    from veo_desktop.ui import style

    style.apply_theme(app, dark=dark)
    window = create_main_window(
        base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=work / "data", demo=True
    )
    window.show()
    try:
        await wait_for(lambda: window.session is not None and window.session.engine.started, "")
        await tour.shoot("first-start", window, whole_window=True)
        session = window.session
        assert session is not None
        controller = session.controller
        for prompt in PROMPTS:
            job = controller.run(controller.submit(GenerationRequest(prompt=prompt)), name="tour")
            await wait_for(job.done, "a submission")
        await wait_for(
            lambda: (
                len(controller.tasks()) == len(PROMPTS)
                and all(t.is_final for t in controller.tasks())
            ),
            "the demo tasks to finish",
        )
        tasks = window.task_panel
        compose = window.compose_panel
        assert tasks is not None and compose is not None
        tasks.select_task(controller.tasks()[0].local_id)
        await asyncio.sleep(1.0)  # the preview's first frames
        await tour.shoot("workspace", window, whole_window=True)

        def action(name: str) -> QAction:
            found = window.findChild(QAction, name)
            if found is None:
                raise SystemExit(f"tour: no action {name}")
            return found

        for name, action_name in (
            ("settings", "settingsAction"),
            ("shortcuts", "keyboardShortcutsAction"),
            ("about", "aboutAction"),
            ("save-as", "previewSaveAction"),
            ("restore-from-video", "restoreSettingsAction"),
        ):
            await open_and_shoot(tour, name, action(action_name).trigger)
        compose.prompt_edit.setPlainText("A {animal} on a {place} at dusk")
        await open_and_shoot(tour, "save-prompt", action("saveTemplateAction").trigger)
        await open_and_shoot(tour, "extend", action("extendAction").trigger)
        tasks.view.selectAll()
        await open_and_shoot(tour, "compare", action("compareAction").trigger)
        tasks.view.selectAll()
        await open_and_shoot(tour, "rate-and-tag", action("editLabelsAction").trigger)
        await open_and_shoot(tour, "import-videos", action("importVideosAction").trigger)
        # The storyboard: two finished tasks as shots, then Generate missing and Trim.
        tasks.view.selectAll()
        action("addTaskToStoryboardAction").trigger()
        action("showStoryboardAction").trigger()
        await asyncio.sleep(1.0)  # the shot cards' thumbnails
        await tour.shoot("storyboard", window, whole_window=True)
        await open_and_shoot(tour, "generate-shots", action("generateShotsAction").trigger)
        trim = window.findChild(QWidget, "trimShotButton")
        if trim is not None and trim.isEnabled():
            await open_and_shoot(tour, "trim", trim.click)  # type: ignore[attr-defined]
        await open_and_shoot(tour, "film", action("playFilmAction").trigger)
        action("showSpendingAction").trigger()
        await asyncio.sleep(0.5)  # the chart's first paint
        await tour.shoot("spending", window, whole_window=True)
        action("showTasksAction").trigger()
        compose.prompt_edit.setPlainText("A kite over the dunes")
        spin = compose.findChild(QSpinBox, "variationsSpin")
        if spin is None:
            raise SystemExit("tour: no variations box")
        spin.setValue(3)
        await open_and_shoot(tour, "variations", action("generateAction").trigger)
    finally:
        tour.save()
        # Closed from Qt's loop, as a click would (not from inside this coroutine).
        QTimer.singleShot(0, window.close)
        await wait_for(lambda: not window.isVisible(), "the window to close")
        await asyncio.wait_for(window.aclose(), 60)
        window.deleteLater()
        for _ in range(3):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            QCoreApplication.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNGs and report")
    parser.add_argument("--dark", action="store_true", help="the dark theme (default: light)")
    args = parser.parse_args(argv)
    if QGuiApplication.platformName() not in ("", "xcb") and os.environ["QT_QPA_PLATFORM"] != "xcb":
        raise SystemExit("tour: run it under X (an Xvfb with a window manager)")

    import qasync

    from veo_desktop.ui.main import make_application

    with tempfile.TemporaryDirectory(prefix="veo-tour-") as folder:
        work = Path(folder)
        # A fresh account: Save as starts in a home without a Videos folder.
        os.environ["HOME"] = str(work / "home")
        (work / "home").mkdir()
        app = make_application()
        app.setQuitOnLastWindowClosed(False)
        size = app.primaryScreen().size()
        tour = Tour(args.out, f"{size.width()}x{size.height()}-{'dark' if args.dark else 'light'}")
        args.out.mkdir(parents=True, exist_ok=True)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        loop.run_until_complete(walk(app, tour, work, dark=args.dark))
        loop.close()
        good = tour.save()
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
