"""The gallery in a real window: the Table | Gallery switch and the grouping survive a restart;
screenshots of the gallery with finished videos at 1024x640 and 1600x1000, light and dark,
whose texts (the window's, and those the gallery paints) are legible on the grabbed pixels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QColor, QImage
from PySide6.QtWidgets import QToolButton

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from tests.fixtures.contrast import MIN_RATIO, ratio
from tests.fixtures.screenshots import check_and_save
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.library.gallery import ViewMode
from veo_desktop.ui.library.gallery_delegate import TEXT_GAP
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.library.gallery_layout import picture_height
from veo_desktop.ui.library.gallery_view import GalleryView
from veo_desktop.ui.window.main_window import MainWindow

PROMPTS = [
    ("A red fox trots through fresh snow at sunrise, steam rising from its breath", 7),
    ("A red fox trots through fresh snow at sunrise, steam rising from its breath", 8),
    ("Aerial shot over a turquoise lagoon, a small boat leaves a white wake", None),
]


def open_window(
    make_window: Callable[..., MainWindow], sim: Any, data_dir: Path, qtbot: Any, **kw: Any
) -> MainWindow:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data_dir, **kw)
    window.resize(1024, 640)
    window.show()
    wait_started(qtbot, window)
    workspace = window.workspace
    assert workspace is not None
    workspace.middle.setCurrentWidget(workspace.task_panel)
    return window


def test_the_gallery_and_its_grouping_are_remembered_after_a_restart(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any, arun: Any
) -> None:
    data_dir = tmp_path / "data"
    window = open_window(make_window, sim, data_dir, qtbot)
    panel = window.task_panel
    assert panel is not None
    assert panel.views.mode == ViewMode.TABLE, "the table shows at the first start"
    qtbot.mouseClick(panel.findChild(QToolButton, "galleryViewButton"), Qt.MouseButton.LeftButton)
    panel.gallery.set_grouping(Grouping.RUN)
    assert panel.views.state() == {"mode": "gallery", "grouping": "run"}
    close_window(window, arun)

    again = open_window(make_window, sim, data_dir, qtbot, fast=False)
    panel = again.task_panel
    assert panel is not None
    assert panel.views.mode == ViewMode.GALLERY
    assert panel.gallery.view.grouping == Grouping.RUN
    assert panel.findChild(QToolButton, "galleryViewButton").isChecked()
    # View > Gallery (Ctrl+Shift+G) shows the table again, and is checked as the view is.
    toggle = again.findChild(QAction, "showGalleryAction")
    assert toggle is not None and toggle.shortcut().toString() == "Ctrl+Shift+G"
    toggle.trigger()
    assert panel.views.mode == ViewMode.TABLE and panel.view.isVisible()
    assert not toggle.isChecked()
    qtbot.mouseClick(panel.findChild(QToolButton, "galleryViewButton"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.findChild(QToolButton, "tableViewButton"), Qt.MouseButton.LeftButton)
    assert panel.views.mode == ViewMode.TABLE
    close_window(again, arun)

    third = open_window(make_window, sim, data_dir, qtbot, fast=False)
    assert third.task_panel is not None and third.task_panel.views.mode == ViewMode.TABLE
    # The window lets the gallery group by storyboard once its first paint is done.
    grouping = third.task_panel.gallery.grouping
    qtbot.waitUntil(lambda: grouping.findData(Grouping.STORYBOARD.value) >= 0)
    third.task_panel.gallery.set_grouping(Grouping.STORYBOARD)
    assert third.task_panel.gallery.view.grouping == Grouping.STORYBOARD


def painted_text_failures(view: GalleryView, image: QImage) -> list[str]:
    """Headers and tile texts the gallery paints itself, measured as the contrast fixture
    measures a label: the most common colour is the background, the pixel contrasting most
    with it the text."""
    line = view.fontMetrics().height()
    areas = [(title, rect) for title, rect in view.header_rects()]
    model = view.model()
    for row in view.shown_rows():
        tile = view.visualRect(model.index(row, 0))
        if not view.viewport().rect().contains(tile):
            continue
        top = tile.top() + picture_height(tile.width()) + TEXT_GAP
        for number in range(2):
            areas.append((f"tile {row} line {number}", QRect(tile.left(), top, tile.width(), line)))
            top += line
    assert len(areas) >= 3, "nothing painted to measure"
    failures = []
    for name, rect in areas:
        colours: dict[int, int] = {}
        for y in range(rect.top(), rect.bottom() + 1):
            for x in range(rect.left(), rect.right() + 1):
                pixel = image.pixel(x, y)
                colours[pixel] = colours.get(pixel, 0) + 1
        background = QColor.fromRgb(max(colours, key=lambda p: colours[p]))
        text = max((QColor.fromRgb(p) for p in colours), key=lambda c: ratio(c, background))
        if ratio(text, background) < MIN_RATIO:
            failures.append(f"{name}: {ratio(text, background):.2f}")
    return failures


def test_gallery_screenshots(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Any,
    themed: Callable[[bool], None],
) -> None:
    data_dir = tmp_path / "data"
    themed(False)
    window = open_window(make_window, sim, data_dir, qtbot)
    session = window.session
    assert session is not None
    made = []
    for prompt, seed in PROMPTS:
        task = arun(session.controller.submit(GenerationRequest(prompt=prompt, seed=seed)))
        made.append(task.local_id)

    def finished() -> None:
        assert all(session.engine.get(i).state == TaskState.SUCCEEDED for i in made)

    qtbot.waitUntil(finished, timeout=20_000)
    videos = [session.engine.get(i).files[0] for i in made]
    for dark in (False, True):
        if dark:  # the theme is chosen when the window is made: the same library, again
            close_window(window, arun)
            themed(True)
            window = open_window(make_window, sim, data_dir, qtbot, fast=False)
        panel = window.task_panel
        assert panel is not None
        panel.views.set_mode(ViewMode.GALLERY)
        view = panel.gallery.view
        qtbot.waitUntil(lambda view=view: len(view.shown_rows()) == len(made))
        for grouping, size in ((Grouping.RUN, (1024, 640)), (Grouping.DAY, (1600, 1000))):
            panel.gallery.set_grouping(grouping)
            window.resize(*size)
            qtbot.waitUntil(lambda size=size, window=window: window.width() == size[0])
            qtbot.waitUntil(lambda panel=panel: all(panel.thumbnails.get(v) for v in videos))
            window.repaint()
            name = f"gallery-{grouping.value}-{size[0]}x{size[1]}-{'dark' if dark else 'light'}"
            shot = window.grab()
            check_and_save(window, tmp_path, name, shot)
            origin = view.viewport().mapTo(window, view.viewport().rect().topLeft())
            image = shot.toImage().copy(QRect(origin, view.viewport().size()))
            assert not painted_text_failures(view, image), name
