"""Screenshots of the task list and the preview in every state, light and dark.

Renders with ``QWidget.grab()`` on the offscreen platform at 1024x640 and 1600x1000 and
writes PNGs to ``tmp_path`` (set ``VEO_SCREENSHOT_DIR`` to keep copies for a person to look
at). Besides catching crashes in painting code, it checks what would be a visible defect:
the preview's frame really is in the picture, letterboxed, and nothing is clipped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import save_screenshot
from tests.ui.tasks_support import FAST_TIMING, QUICK_RETRY, SIM_KEY
from veo_desktop.api.client import ApixoClient
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.engine import TaskEngine
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.preview.panel import PreviewPanel
from veo_desktop.ui.tasks.columns import Column
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.thumbnails import ThumbnailCache

SIZES = [(1024, 640), (1600, 1000)]
#: (width, height, the list's share of the width, name): the list alone beside the
#: preview, and as narrow as it is in the main window at 1024 px (beside the composer).
LAYOUTS = [
    (1024, 640, 0.58, "wide"),
    (1024, 640, 0.36, "narrow"),
    (1600, 1000, 0.58, "wide"),
]

PROMPTS = [
    (
        "A red fox trots through fresh snow at sunrise, steam rising from its breath, "
        "cinematic slow motion, shallow depth of field",
        "fast",
        "16:9",
    ),
    (
        "Vertical close-up of rain drops sliding down a neon-lit window in Tokyo at night",
        "quality",
        "9:16",
    ),
    ("Aerial shot over a turquoise lagoon, a small boat leaves a white wake", "fast", "16:9"),
]


def crafted(now: float) -> list[TaskRecord]:
    """Tasks in the states a simulated run passes too fast to photograph."""

    def record(prompt: str, state: TaskState, age: float, **changes: Any) -> TaskRecord:
        request = GenerationRequest(
            prompt=prompt,
            mode=changes.pop("mode", "fast"),
            aspect_ratio=changes.pop("aspect_ratio", "16:9"),
        )
        created = now - age
        return TaskRecord(
            local_id=uuid.uuid4().hex,
            model="veo-3-1",
            request=request.to_payload(),
            state=state,
            created_at=created,
            updated_at=created,
            apixo_task_id=changes.pop("apixo_task_id", f"task_{uuid.uuid4().hex[:12]}"),
            price=request.price,
            history=(StateChange(created, state),),
            **changes,
        )

    return [
        record(
            "A hummingbird hovers at a red flower, macro, 120 fps look", TaskState.PROCESSING, 102
        ),
        record(
            "Timelapse of clouds rolling over a mountain ridge",
            TaskState.DOWNLOADING,
            150,
            mode="quality",
        ),
        record(
            "A chef flips a pancake in a sunny kitchen",
            TaskState.PENDING,
            48,
            note="Network error; retrying in 20 s",
        ),
        record(
            "Old film look: a tram passes in Lisbon",
            TaskState.PROCESSING,
            660,
            note="Taking longer than usual",
            mode="quality",
        ),
        record(
            "Two knights duel in the rain",
            TaskState.FAILED,
            4000,
            fail_code="SensitiveContent",
            fail_message="The prompt was flagged by the filter.",
        ),
        record(
            "A lighthouse beam sweeps over a stormy sea",
            TaskState.UNCERTAIN,
            7200,
            apixo_task_id=None,
            note="The answer to the submission was lost (HTTP 502).",
        ),
        record(
            "Portrait of a cat wearing sunglasses",
            TaskState.REJECTED,
            90_000,
            apixo_task_id=None,
            aspect_ratio="9:16",
            fail_message="APIXO rejected the request (HTTP 400). APIXO says: bad image.",
        ),
    ]


class Scene:
    def __init__(
        self,
        controller: EngineController,
        panel: TaskPanel,
        preview: PreviewPanel,
        window: QWidget,
        splitter: QSplitter,
        downloading: str,
        portrait: str,
        landscape: str,
    ) -> None:
        self.controller = controller
        self.panel = panel
        self.preview = preview
        self.window = window
        self.splitter = splitter
        self.downloading = downloading
        self.portrait = portrait
        self.landscape = landscape


@pytest.fixture
def scene(
    sim_factory: Callable[..., Any], tmp_path: Path, arun: Callable[..., Any], qtbot: Any
) -> Iterator[Scene]:
    sim = sim_factory(clip_seconds=2.0)
    data = tmp_path / "data"
    store = TaskStore.open(data / "tasks.sqlite3")
    client = ApixoClient(SIM_KEY, base_url=sim.base_url, read_retry=QUICK_RETRY)
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos", timing=FAST_TIMING)
    arun(engine.start())
    made = [
        arun(engine.submit(GenerationRequest(prompt=p, mode=m, aspect_ratio=a)))
        for p, m, a in PROMPTS
    ]
    for task in made:
        qtbot.waitUntil(
            lambda t=task: engine.get(t.local_id).state == TaskState.SUCCEEDED, timeout=20_000
        )
    arun(engine.aclose())
    extra = crafted(time.time())
    for record in extra:
        store.insert(record)
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos", timing=FAST_TIMING)
    arun(engine.start(resume=False))
    controller = EngineController(engine)
    thumbnails = ThumbnailCache(data / "cache" / "thumbnails")
    window = QWidget()
    window.setObjectName("screenshotWindow")
    panel = TaskPanel(controller, thumbnails=thumbnails)
    preview = PreviewPanel()
    preview.audio.setMuted(True)
    splitter = QSplitter(Qt.Orientation.Horizontal, window)
    splitter.addWidget(panel)
    splitter.addWidget(preview)
    splitter.setChildrenCollapsible(False)
    from PySide6.QtWidgets import QVBoxLayout

    layout = QVBoxLayout(window)
    layout.setContentsMargins(12, 12, 12, 12)
    layout.addWidget(splitter)
    panel.current_task_changed.connect(preview.show_task)
    qtbot.addWidget(window)
    downloading = next(r.local_id for r in extra if r.state == TaskState.DOWNLOADING)
    yield Scene(
        controller,
        panel,
        preview,
        window,
        splitter,
        downloading,
        made[1].local_id,
        made[0].local_id,
    )
    preview.shutdown()
    panel.shutdown()
    thumbnails.close()
    arun(controller.aclose())
    arun(engine.aclose())
    arun(client.aclose())
    store.close()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_task_list_and_preview_screenshots(
    scene: Scene, themed: Callable[[bool], None], qtbot: Any, tmp_path: Path, dark: bool
) -> None:
    themed(dark)
    panel, preview = scene.panel, scene.preview
    scene.window.show()
    panel.model.set_progress(scene.downloading, 6_200_000, 10_000_000)
    for width, height, share, layout in LAYOUTS:
        scene.window.resize(width, height)
        scene.splitter.setSizes([int(width * share), int(width * (1 - share))])
        shots = [("portrait", scene.portrait), ("landscape", scene.landscape)]
        for name, local_id in shots if layout == "wide" else shots[:1]:
            assert panel.select_task(local_id)
            qtbot.waitUntil(lambda: preview.source is not None, timeout=5000)
            preview.player.play()  # the same task as the last picture stays paused
            before = preview.surface.frames_received
            qtbot.waitUntil(
                lambda b=before: preview.surface.frames_received > b + 3, timeout=10_000
            )
            preview.player.pause()
            # Every finished row has its thumbnail before the picture is taken.
            qtbot.waitUntil(
                lambda: all(
                    panel.model.index(r, Column.THUMBNAIL).data(Qt.ItemDataRole.DecorationRole)
                    is not None
                    for r in range(panel.model.rowCount())
                    if panel.model.task_at(r).files
                ),
                timeout=10_000,
            )
            qtbot.wait(50)
            image = scene.window.grab().toImage()
            theme = "dark" if dark else "light"
            save_screenshot(image, tmp_path, f"tasks-{layout}-{name}-{width}x{height}-{theme}")
            assert_legible(scene.window, image, f"tasks-{layout}-{name}-{width}x{height}-{theme}")
            _assert_letterboxed(preview, name)
            _assert_frame_in_grab(preview)
            _assert_nothing_clipped(panel)


def _assert_letterboxed(preview: PreviewPanel, name: str) -> None:
    rect = preview.surface.video_rect()
    frame = preview.surface.frame_image
    assert frame is not None and not rect.isEmpty()
    expected = frame.width() / frame.height()
    assert rect.width() / rect.height() == pytest.approx(expected, rel=0.02)
    area = preview.surface.rect()
    if name == "portrait":
        assert rect.height() == pytest.approx(area.height(), abs=1)
        assert rect.left() > 0  # bars left and right
    else:
        assert rect.width() == pytest.approx(area.width(), abs=1) or rect.height() == (
            pytest.approx(area.height(), abs=1)
        )


def _assert_frame_in_grab(preview: PreviewPanel) -> None:
    """The video's picture is really in grab() (QVideoWidget's never is)."""
    grabbed = preview.surface.grab().toImage()
    center = preview.surface.video_rect().center().toPoint()
    color = grabbed.pixelColor(center)
    assert (color.red(), color.green(), color.blue()) != (12, 12, 13)


def _assert_nothing_clipped(panel: TaskPanel) -> None:
    assert panel.search.width() >= 120
    assert panel.state_filter.width() >= panel.state_filter.minimumSizeHint().width()
    header = panel.view.horizontalHeader()
    assert header.sectionSize(Column.PROMPT) >= 120
    assert not panel.view.isColumnHidden(Column.STATE)
    label = panel.count_label
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())


def test_empty_list_screenshot(
    qtbot: Any,
    tmp_path: Path,
    arun: Callable[..., Any],
    sim: Any,
    themed: Callable[[bool], None],
) -> None:
    themed(False)  # the app's light theme, as a person sees it (not Qt's bare default palette)
    store = TaskStore.open(tmp_path / "tasks.sqlite3")
    client = ApixoClient(SIM_KEY, base_url=sim.base_url)
    engine = TaskEngine(client=client, store=store, library_dir=tmp_path / "videos")
    arun(engine.start())
    controller = EngineController(engine)
    window = QWidget()
    panel = TaskPanel(controller)
    preview = PreviewPanel()
    splitter = QSplitter(window)
    splitter.addWidget(panel)
    splitter.addWidget(preview)
    from PySide6.QtWidgets import QVBoxLayout

    QVBoxLayout(window).addWidget(splitter)
    qtbot.addWidget(window)
    window.resize(1024, 640)
    window.show()
    assert "No videos yet" in panel.view.empty_text
    assert not panel.clock_timer.isActive()
    save_screenshot(window.grab().toImage(), tmp_path, "tasks-empty-1024x640-light")
    assert_legible(window, window.grab(), "tasks-empty-1024x640-light")
    panel.shutdown()
    preview.shutdown()
    arun(controller.aclose())
    arun(engine.aclose())
    arun(client.aclose())
    store.close()
    assert Decimal(0) == controller.spend_today()
