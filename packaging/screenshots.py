"""Render README's screenshots of the window: the demo, finished tasks, the composer.

Run from the repository root::

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python packaging/screenshots.py

It opens the real window in demo mode (the built-in simulator, no charges) in a throwaway
data folder, submits demo tasks through the window's controller, waits until they finish,
fills the composer with reference images and saves PNGs at 1600x1000 into
``resources/screenshots/``. Under X (Xvfb) the screen is captured, so the video preview's
picture is in it; on the offscreen platform the window is grabbed (no video picture).

``--check`` renders one screenshot (the composer, no waiting for tasks) into ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1600, 1000)
PROMPTS = (
    "A lighthouse on a rocky coast at dusk, waves crashing, slow dolly in",
    "A red fox runs through fresh snow at dawn, slow motion, low angle",
)
COMPOSER_PROMPT = (
    "The woman from the first image walks through the market from the second image, "
    "golden hour, handheld camera"
)

if "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QRect, Qt  # noqa: E402
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 90.0) -> None:
    """Wait (letting Qt and the loop run) until ``condition()`` holds; fail after ``limit`` s."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await asyncio.sleep(0.05)


def reference_image(path: Path, top: str, bottom: str) -> Path:
    """A small gradient picture to drop into a reference slot."""
    image = QImage(640, 360, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, 0, 360)
    gradient.setColorAt(0, QColor(top))
    gradient.setColorAt(1, QColor(bottom))
    painter.fillRect(image.rect(), gradient)
    painter.end()
    if not image.save(str(path)):
        raise SystemExit(f"screenshots: could not write {path}")
    return path


def capture(window: object, path: Path) -> Path:
    """Save the window at :data:`SIZE`: from the screen under X, else from the widget."""
    from veo_desktop.ui.window.main_window import MainWindow

    assert isinstance(window, MainWindow)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QCoreApplication.processEvents()
    if QGuiApplication.platformName() == "xcb":
        screen = window.screen()
        origin = window.mapToGlobal(QPoint(0, 0))
        pixmap = screen.grabWindow(0, origin.x(), origin.y(), *SIZE)
    else:
        pixmap = window.grab(QRect(0, 0, *SIZE))
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    if (image.width(), image.height()) != SIZE:
        image = image.scaled(*SIZE, Qt.AspectRatioMode.IgnoreAspectRatio)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Quality 0 is PNG's strongest compression (flat UI colours compress well).
    if not image.save(str(path), quality=0):
        raise SystemExit(f"screenshots: could not write {path}")
    sys.stdout.write(f"wrote {path} ({path.stat().st_size // 1024} KB)\n")
    return path


async def render(app: QApplication, out: Path, work: Path, *, check: bool) -> list[Path]:
    """Light theme first (submitting the demo tasks), then dark in a new window on the
    same data folder (a theme is applied before the widgets are made, as at start-up)."""
    if check:
        return [await shoot(app, work, out / "check.png", dark=False, submit=False)]
    return [
        await shoot(app, work, out / "workspace-light.png", dark=False, submit=True),
        await shoot(app, work, out / "workspace-dark.png", dark=True, submit=False),
    ]


async def shoot(app: QApplication, work: Path, path: Path, *, dark: bool, submit: bool) -> Path:
    """Open the demo window, fill it, capture it to ``path`` and close it."""
    from veo_desktop.api.models import GenerationRequest
    from veo_desktop.app import create_main_window
    from veo_desktop.ui import style
    from veo_desktop.ui.compose.image_slot import SlotState

    style.apply_theme(app, dark=dark)
    window = create_main_window(
        base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=work / "data", demo=True
    )
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    try:
        await wait_for(
            lambda: window.session is not None and window.session.engine.started,
            "the demo session to start",
        )
        session = window.session
        compose = window.compose_panel
        tasks = window.task_panel
        assert session is not None and compose is not None and tasks is not None
        controller = session.controller

        if submit:
            for prompt in PROMPTS:
                job = controller.run(
                    controller.submit(GenerationRequest(prompt=prompt)), name="submit"
                )
                await wait_for(job.done, "a submission")
            await wait_for(
                lambda: (
                    len(controller.tasks()) == len(PROMPTS)
                    and all(t.is_final for t in controller.tasks())
                ),
                "the demo tasks to finish",
                limit=120.0,
            )

        compose.prompt_edit.setPlainText(COMPOSER_PROMPT)
        compose.type_selector.setCurrentIndex(compose.type_selector.findData("REFERENCE_2_VIDEO"))
        images = [
            reference_image(work / "person.png", "#f2c48d", "#8a4b2f"),
            reference_image(work / "market.png", "#7fb3d5", "#2e4053"),
        ]
        for slot, image in zip(compose.reference_slots, images, strict=False):
            slot.load(image)
        await wait_for(
            lambda: all(s.state is SlotState.READY for s in compose.reference_slots[:2]),
            "the reference images",
        )
        await wait_for(lambda: "balance $" in compose.cost_line.text(), "the balance")
        finished = [t for t in controller.tasks() if t.is_final]
        if finished:
            tasks.select_task(finished[0].local_id)
            await asyncio.sleep(1.0)  # the preview's first frames: a picture, nothing to wait on
        return capture(window, path)
    finally:
        window.close()
        await window.aclose()
        window.deleteLater()
        for _ in range(3):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            QCoreApplication.processEvents()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument(
        "--check", action="store_true", help="render one screenshot (no tasks), quickly"
    )
    args = parser.parse_args(argv)

    import qasync

    from veo_desktop.ui.main import make_application

    app = make_application()
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="veo-screenshots-") as work:
        saved = loop.run_until_complete(render(app, args.out, Path(work), check=args.check))
        loop.close()
    return 0 if saved else 1


if __name__ == "__main__":
    sys.exit(main())
