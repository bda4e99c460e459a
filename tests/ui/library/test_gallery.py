"""The gallery with the real engine: finished videos only, grouped, scrubbed, filtered like the
table, and driving the table's actions with its selection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox, QPushButton, QToolButton

from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv
from veo_desktop.records.library import LabelChange
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui.library.gallery import ViewMode
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.library.gallery_layout import picture_height
from veo_desktop.ui.library.gallery_view import GalleryView
from veo_desktop.ui.library.labels import LibraryLabels
from veo_desktop.ui.tasks.columns import TASK_ROLE, Column
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.thumbnails import ThumbnailCache

engine_env = tasks_support.engine_env

FOX = "A red fox runs through fresh snow"
LAGOON = "Aerial shot over a turquoise lagoon"


@pytest.fixture
def panel(engine_env: EngineEnv, qtbot: Any) -> Iterator[TaskPanel]:
    thumbnails = ThumbnailCache(engine_env.cache / "thumbnails")
    controller = engine_env.controller
    if not controller.library.available:  # an engine that does not offer its store yet
        controller.library = LibraryLabels(engine_env.store, controller)
    widget = TaskPanel(controller, thumbnails=thumbnails)
    qtbot.addWidget(widget)
    widget.resize(1000, 640)
    widget.show()
    yield widget
    widget.shutdown()
    thumbnails.close()


def shown_ids(view: GalleryView) -> list[str]:
    model = view.model()
    return [model.index(row, 0).data(TASK_ROLE).local_id for row in view.shown_rows()]


def picture(view: GalleryView, local_id: str) -> QImage:
    """The grabbed pixels of the tile's picture (above the scrub's position bar)."""
    rect = tile(view, local_id)
    size = QSize(rect.width(), picture_height(rect.width()) - 4)
    return view.viewport().grab(QRect(rect.topLeft(), size)).toImage()


def tile_text(view: GalleryView, local_id: str) -> str:
    """The details line the tile of ``local_id`` paints (as last laid out)."""
    view.viewport().repaint()
    model = view.model()
    row = next(
        r for r in view.shown_rows() if model.index(r, 0).data(TASK_ROLE).local_id == local_id
    )
    task = model.index(row, 0).data(TASK_ROLE)
    width = tile(view, local_id).width()
    return view.tile_delegate.tile_lines(task, lambda: "", view.fontMetrics(), width)[1]


def tile(view: GalleryView, local_id: str) -> QRect:
    model = view.model()
    for row in view.shown_rows():
        if model.index(row, 0).data(TASK_ROLE).local_id == local_id:
            return view.visualRect(model.index(row, 0))
    raise AssertionError(f"{local_id} has no tile")


def test_the_gallery_shows_finished_videos_grouped_scrubbed_and_filtered_like_the_table(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    # Sent together, finished in any order (the takes one after the other, as a run is sent).
    first = engine_env.submit(FOX, seed=11)
    second = engine_env.submit(FOX, seed=12)
    lone = engine_env.submit(LAGOON)
    failed = engine_env.submit("A storm over the sea #sensitive")
    first, second, lone = (
        engine_env.wait_state(t.local_id, TaskState.SUCCEEDED) for t in (first, second, lone)
    )
    engine_env.wait_state(failed.local_id, TaskState.FAILED)

    button = panel.findChild(QToolButton, "galleryViewButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.views.mode == ViewMode.GALLERY
    assert panel.gallery.isVisible() and not panel.view.isVisible()
    view = panel.gallery.view
    # Finished videos only (the failed task is in the table, not here), newest first.
    qtbot.waitUntil(lambda: shown_ids(view) == [lone.local_id, second.local_id, first.local_id])
    assert panel.proxy.rowCount() == 4
    assert view.section_titles() == ["Today \u00b7 3 videos"]
    assert panel.gallery.count_label.text() == "3 videos"

    panel.gallery.set_grouping(Grouping.RUN)
    titles = view.section_titles()
    assert len(titles) == 2, titles
    assert titles[0].startswith(f"{FOX} \u00b7 2 takes \u00b7 "), titles
    assert titles[1] == "Single videos \u00b7 1 video"
    assert shown_ids(view) == [second.local_id, first.local_id, lone.local_id]
    headers = [title for title, _rect in view.header_rects()]
    assert headers == titles

    # By storyboard, once the storyboards are known: each video under the board it is a take of.
    # Asked for before (a grouping restored at start-up), it waits for them.
    assert panel.gallery.grouping.findData(Grouping.STORYBOARD.value) < 0
    panel.gallery.set_grouping(Grouping.STORYBOARD)
    assert view.grouping == Grouping.RUN
    assert panel.views.state()["grouping"] == "storyboard"
    boards = {first.local_id: "Fox film", second.local_id: "Fox film"}
    listeners: list[Callable[[str], None]] = []

    def subscribe(listener: Callable[[str], None]) -> Callable[[], None]:
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    panel.gallery.follow_storyboards(boards.get, subscribe)
    assert view.grouping == Grouping.STORYBOARD
    assert view.section_titles() == [
        "Fox film \u00b7 2 videos",
        "Not in a storyboard \u00b7 1 video",
    ]
    boards[lone.local_id] = "Lagoon"  # a board changed: the sections follow
    listeners[0]("board-id")
    qtbot.waitUntil(lambda: view.section_titles()[0] == "Lagoon \u00b7 1 video")
    panel.gallery.set_grouping(Grouping.RUN)

    # The same filtered set as the table.
    qtbot.keyClicks(panel.search, "lagoon")
    qtbot.waitUntil(lambda: shown_ids(view) == [lone.local_id])
    panel.search.clear()
    qtbot.waitUntil(lambda: len(shown_ids(view)) == 3)

    # Hover scrub: the tile shows the frame under the pointer (strips decoded off the GUI
    # thread), a different frame at its left and right ends.
    qtbot.waitUntil(lambda: panel.thumbnails.get(lone.files[0]) is not None, timeout=10_000)
    rect = tile(view, lone.local_id)
    still = picture(view, lone.local_id)
    left = QPoint(rect.left() + 4, rect.top() + 20)
    right = QPoint(rect.right() - 4, rect.top() + 20)
    qtbot.mouseMove(view.viewport(), left)
    qtbot.waitUntil(lambda: panel.gallery.strips.get(lone.files[0]) is not None, timeout=10_000)
    view.viewport().repaint()
    at_left = picture(view, lone.local_id)
    qtbot.mouseMove(view.viewport(), right)
    view.viewport().repaint()
    at_right = picture(view, lone.local_id)
    assert at_left != at_right, "scrubbing across the tile shows other frames"
    assert at_left != still or at_right != still
    assert list((engine_env.cache / "thumbnails" / "scrub").glob("*.png")), "strips are cached"


def test_selecting_tiles_drives_the_tables_actions(
    engine_env: EngineEnv, panel: TaskPanel, qtbot: Any
) -> None:
    first, second = engine_env.submit(FOX, seed=21), engine_env.submit(LAGOON)
    first, second = (
        engine_env.wait_state(t.local_id, TaskState.SUCCEEDED) for t in (first, second)
    )
    panel.views.set_mode(ViewMode.GALLERY)
    view = panel.gallery.view
    qtbot.waitUntil(lambda: len(shown_ids(view)) == 2)
    actions = panel.task_actions

    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=tile(view, first.local_id).center()
    )
    assert [t.local_id for t in panel.selected_tasks()] == [first.local_id]
    assert panel.current_task() is not None and panel.current_task().local_id == first.local_id
    assert actions.preview.isEnabled() and actions.reuse.isEnabled()
    assert not actions.compare.isEnabled()
    # The table shows the same selection.
    assert [i.row() for i in panel.view.selectionModel().selectedRows()] == [
        panel.proxy.mapFromSource(panel.model.index_of(first.local_id)).row()
    ]

    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        tile(view, second.local_id).center(),
    )
    assert {t.local_id for t in panel.selected_tasks()} == {first.local_id, second.local_id}
    assert actions.compare.isEnabled()
    actions.compare.trigger()
    window = actions.compare_window
    assert window is not None
    assert {t.local_id for t in window.tasks() if t is not None} == {
        first.local_id,
        second.local_id,
    }
    window.close()

    # Ctrl+A selects every tile (and no task the gallery does not show).
    view.setFocus()
    view.selectAll()
    assert {t.local_id for t in panel.selected_tasks()} == {first.local_id, second.local_id}

    # "Rate and tag" for both selected: their tiles show the stars and the heart.
    engine_env.controller.library.edit(
        [first.local_id, second.local_id], LabelChange(rating=4, favourite=True)
    )
    qtbot.waitUntil(lambda: tile_text(view, second.local_id).startswith("\u26054 \u2665 \u00b7 "))

    # Sorting the table (the model's layout changes) orders the tiles of a day the same way.
    assert shown_ids(view) == [second.local_id, first.local_id]  # newest first
    panel.view.sortByColumn(Column.PROMPT, Qt.SortOrder.AscendingOrder)
    assert shown_ids(view) == [first.local_id, second.local_id]  # "A red fox" < "Aerial"
    panel.view.sortByColumn(Column.CREATED, Qt.SortOrder.DescendingOrder)
    assert shown_ids(view) == [second.local_id, first.local_id]

    # The arrow keys move through the tiles; Enter previews the current one, as in the table.
    previewed: list[Any] = []
    panel.current_task_changed.connect(previewed.append)
    view.setCurrentIndex(view.model().index(view.shown_rows()[0], 0))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    current = panel.current_task()
    assert current is not None and current.local_id == shown_ids(view)[1]
    assert [t.local_id for t in panel.selected_tasks()] == [shown_ids(view)[1]]
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert previewed and previewed[-1].local_id == shown_ids(view)[0]

    # Remove acts on every selected tile (the table's Remove, asked once).
    view.selectAll()
    actions.remove.trigger()
    box = actions.dialog
    assert isinstance(box, QMessageBox)
    button = box.findChild(QPushButton, "confirmRemoveButton")
    assert button is not None
    button.click()
    qtbot.waitUntil(lambda: shown_ids(view) == [])
    assert engine_env.controller.tasks() == []
    assert view.empty_text.startswith("No finished videos yet")
