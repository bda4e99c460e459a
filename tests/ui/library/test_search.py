"""The search bar with real widgets on a real store and engine: typing, chips, the Filters
menu, removing a chip, saved searches, and "Rate and tag…" for three tasks at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import check_and_save, save_screenshot
from tests.ui.tasks_support import FAST_TIMING, QUICK_RETRY, SIM_KEY, make_record
from veo_desktop.api.client import ApixoClient
from veo_desktop.core.engine import TaskEngine
from veo_desktop.records.library import LabelChange, Labels, LibraryQuery, format_query
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.library.labels import LibraryLabels
from veo_desktop.ui.library.tag_editor import LabelEditor, open_label_editor
from veo_desktop.ui.tasks.columns import LABELS_ROLE, LOCAL_ID_ROLE, TASK_ROLE, Column, StateFilter
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.thumbnails import ThumbnailCache

PROMPTS = [
    ("A red fox runs through fresh snow", "fast"),
    ("A fox cub sleeps in the grass", "quality"),
    ("Arctic FOX at dawn, slow motion", "fast"),
    ("Aerial shot over a turquoise lagoon", "fast"),
    ("Neon city street in the rain", "quality"),
    ("A fox and a hound, cartoon", "fast"),
]


KEEPER = LabelChange(add_tags=frozenset({"keeper"}))


@dataclass
class Scene:
    panel: TaskPanel
    store: TaskStore
    records: list[TaskRecord]
    library: LibraryLabels
    controller: EngineController

    def shown(self) -> list[str]:
        proxy = self.panel.proxy
        return sorted(proxy.index(r, 0).data(LOCAL_ID_ROLE) for r in range(proxy.rowCount()))

    def ids(self, *numbers: int) -> list[str]:
        return sorted(self.records[n].local_id for n in numbers)

    def chips(self) -> list[str]:
        return [b.text() for b in self.panel.search_bar.chips.buttons()]


@pytest.fixture
def scene(sim: Any, tmp_path: Path, arun: Callable[..., Any], qtbot: Any) -> Iterator[Scene]:
    store = TaskStore.open(tmp_path / "data" / "tasks.sqlite3")
    records = [
        make_record(n, prompt=p, mode=m, state=TaskState.FAILED if n == 4 else TaskState.SUCCEEDED)
        for n, (p, m) in enumerate(PROMPTS)
    ]
    for record in records:
        store.insert(record, durable=False)
    client = ApixoClient(SIM_KEY, base_url=sim.base_url, read_retry=QUICK_RETRY)
    engine = TaskEngine(
        client=client, store=store, library_dir=tmp_path / "videos", timing=FAST_TIMING
    )
    arun(engine.start(resume=False))
    controller = EngineController(engine)
    assert controller.library.available
    thumbnails = ThumbnailCache(tmp_path / "thumbnails")
    panel = TaskPanel(controller, thumbnails=thumbnails)
    qtbot.addWidget(panel)
    panel.resize(900, 560)
    panel.show()
    yield Scene(panel, store, records, controller.library, controller)
    panel.shutdown()
    thumbnails.close()
    arun(controller.aclose())
    arun(engine.aclose())
    arun(client.aclose())
    store.close()


def test_type_see_chips_remove_one_and_rate_three_tasks(scene: Scene, qtbot: Any) -> None:
    panel, bar = scene.panel, scene.panel.search_bar
    qtbot.keyClicks(panel.search, "fox")
    assert scene.shown() == scene.ids(0, 1, 2, 5)
    assert scene.chips() == []

    qtbot.keyClicks(panel.search, " rating:9 ")
    problem = bar.chips.problem
    assert problem.isVisible()
    assert problem.text().startswith("rating: takes a number of stars from 1 to 5.")
    assert scene.shown() == []  # "rating:9" is searched for as text
    for _ in range(len("rating:9 ")):
        qtbot.keyClick(panel.search, Qt.Key.Key_Backspace)
    assert not problem.isVisible()

    qtbot.keyClicks(panel.search, " mode:fast ")
    assert scene.chips() == ["Fast  \u2715"]
    assert panel.search.text() == "fox "
    assert scene.shown() == scene.ids(0, 2, 5)
    assert "3 of 6" in panel.count_label.text()

    # Three tasks rated, tagged and made favourites in one edit.
    panel.select_tasks([scene.records[n].local_id for n in (0, 2, 5)])
    assert panel.task_actions.edit_labels.isEnabled()
    panel.task_actions.edit_labels.trigger()
    editor = panel.findChild(LabelEditor, "labelEditor")
    assert editor is not None and editor.isVisible()
    editor.rating.setCurrentIndex(editor.rating.findData(4))
    editor.favourite.setChecked(True)
    qtbot.keyClicks(editor.add_tags, "Keeper, snow ")
    editor.note.setPlainText("for the reel")
    with qtbot.waitSignal(scene.controller.action_done) as said:
        editor.buttons.button(editor.buttons.StandardButton.Save).click()
    assert said.args == ["Saved the stars, tags and note of 3 tasks."]
    qtbot.waitUntil(lambda: not editor.isVisible())
    labels = Labels(4, True, frozenset({"keeper", "snow"}), "for the reel")
    assert scene.store.labels() == dict.fromkeys(scene.ids(0, 2, 5), labels)

    # Remove the mode chip with a click: the list updates at once.
    fast = bar.chips.buttons()[0]
    qtbot.mouseClick(fast, Qt.MouseButton.LeftButton)
    assert scene.chips() == []
    assert scene.shown() == scene.ids(0, 1, 2, 5)

    # A tag from the Filters menu, then a saved search.
    bar.filter_menu.aboutToShow.emit()
    tag_menu = next(a.menu() for a in bar.filter_menu.actions() if a.text() == "Tag")
    keeper = next(a for a in tag_menu.actions() if a.data() == "tag:keeper")
    keeper.trigger()
    assert scene.chips() == ["#keeper  \u2715"]
    assert scene.shown() == scene.ids(0, 2, 5)
    assert bar.saved.save("Keepers") is not None
    panel.search.clear()
    bar.clear()
    assert scene.shown() == scene.ids(0, 1, 2, 3, 4, 5)
    bar.saved.aboutToShow.emit()
    pick = next(a for a in bar.saved.actions() if a.text() == "Keepers")
    pick.trigger()
    assert format_query(bar.query) == "fox tag:keeper"
    assert scene.shown() == scene.ids(0, 2, 5)

    # A label edit that makes a task match shows it without typing anything.
    scene.library.edit([scene.records[1].local_id], KEEPER)
    assert scene.shown() == scene.ids(0, 1, 2, 5)

    bar.saved.aboutToShow.emit()
    delete = next(a.menu() for a in bar.saved.actions() if a.text() == "Delete")
    next(a for a in delete.actions() if a.text() == "Keepers").trigger()
    assert scene.store.saved_searches() == []

    # Without a store, the editor says why instead of opening.
    ids = [task.local_id for task in panel.selected_tasks()]
    assert open_label_editor(ids, LibraryLabels(None), panel) is None
    box = panel.findChild(QMessageBox)
    assert box is not None and "cannot be saved" in box.text()
    box.close()


def test_filters_combine_with_the_state_filter_and_keep_the_selection(
    scene: Scene, qtbot: Any
) -> None:
    panel = scene.panel
    keep = scene.records[2].local_id
    panel.select_task(keep)
    panel.search_bar.set_query(LibraryQuery(words=("fox",)))
    assert panel.current_task() is not None and panel.current_task().local_id == keep
    panel.set_state_filter(StateFilter.FAILED)
    assert scene.shown() == []
    assert panel.current_task() is None
    assert "No failed tasks match" in panel.view.empty_text
    panel.set_state_filter(StateFilter.ALL)
    panel.search_bar.add_filter("seed", "0")
    assert scene.shown() == []
    assert "fox seed:0" in panel.view.empty_text


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_search_bar_screenshot(
    scene: Scene, themed: Callable[[bool], None], tmp_path: Path, dark: bool
) -> None:
    themed(dark)
    panel = scene.panel
    scene.library.edit([scene.records[0].local_id], KEEPER)
    panel.search_bar.set_query(
        LibraryQuery(words=("fox",)).with_filter("tag", "keeper").with_filter("rating", "3")
    )
    panel.search_bar.add_filter("mode", "fast")
    for width, height in ((1024, 640), (1600, 1000)):
        panel.resize(int(width * 0.55), height)
        theme = "dark" if dark else "light"
        check_and_save(panel, tmp_path, f"search-chips-{width}x{height}-{theme}")


def test_a_long_list_fills_in_slices_and_follows_changes(qtbot: Any, qtmodeltester: Any) -> None:
    """900 tasks: the first rows come at once, the rest on the event loop; a narrowing
    keystroke looks only through the rows shown; new and changed tasks find their place."""
    model = TaskTableModel()
    model.set_tasks(
        make_record(n, prompt=f"take {n} of a lighthouse {'at dusk' if n % 3 else 'in fog'}")
        for n in range(900)
    )
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    with qtbot.waitSignal(proxy.filter_finished, timeout=10_000):
        proxy.set_query(LibraryQuery(words=("lighthouse",)))
        assert 0 < proxy.rowCount() < 900 and not proxy.complete
    assert proxy.rowCount() == 900
    proxy.set_query(LibraryQuery(words=("lighthouse", "fog")))
    qtbot.waitUntil(lambda: proxy.complete, timeout=10_000)
    assert proxy.rowCount() == 300
    prompts = [proxy.index(r, 0).data(TASK_ROLE).prompt for r in range(proxy.rowCount())]
    assert all("fog" in p for p in prompts)

    newest = make_record(5000, prompt="a lighthouse in fog, again", created_at=time.time() + 9e3)
    model.upsert(newest)
    assert proxy.index(0, 0).data(LOCAL_ID_ROLE) == newest.local_id
    model.upsert(newest.evolve(state=TaskState.FAILED))
    proxy.set_state_filter(StateFilter.FINISHED)
    qtbot.waitUntil(lambda: proxy.complete, timeout=10_000)
    assert proxy.mapFromSource(model.index_of(newest.local_id)).isValid() is False
    assert proxy.rowCount() == 300
    model.upsert(newest.evolve(state=TaskState.SUCCEEDED))
    assert proxy.rowCount() == 301
    model.upsert(newest.evolve(hidden=True))
    assert proxy.rowCount() == 300
    model.sort(Column.PROMPT, Qt.SortOrder.AscendingOrder)
    rows = list(proxy.source_rows())
    assert rows == sorted(rows) and len(rows) == 300
    qtmodeltester.check(proxy, force_py=True)


def test_rows_show_stars_favourite_and_tags_and_follow_edits(
    scene: Scene, qtbot: Any, tmp_path: Path
) -> None:
    panel, model, view = scene.panel, scene.panel.model, scene.panel.view
    first, other = scene.records[0].local_id, scene.records[1].local_id
    assert model.index_of(first, Column.PROMPT).data(LABELS_ROLE) == ""
    panel.resize(1400, 500)
    panel.show()
    qtbot.waitExposed(panel)

    def lower_band(local_id: str) -> list[int]:
        """The pixels of the lower part of the row's prompt cell, as painted now."""
        image = view.viewport().grab().toImage()
        row = next(
            r
            for r in range(view.model().rowCount())
            if view.model().index(r, Column.PROMPT).data(LOCAL_ID_ROLE) == local_id
        )
        top, height = view.rowViewportPosition(row), view.rowHeight(row)
        left = view.columnViewportPosition(Column.PROMPT)
        return [
            image.pixel(x, y)
            for y in range(top + int(height * 0.62), top + int(height * 0.95))
            for x in range(left + 8, left + 200)
        ]

    before = lower_band(first)
    changed: list[int] = []
    model.dataChanged.connect(lambda top, *_: changed.append(top.row()))
    tags = frozenset({"snow", "b", "c", "d"})
    scene.library.edit([first], LabelChange(rating=4, favourite=True, add_tags=tags))
    # The row repaints at once, with its labels on the line under the prompt.
    assert model.row_of(first) in changed
    shown = model.index_of(first, Column.PROMPT)
    assert shown.data(LABELS_ROLE) == "\u2605\u2605\u2605\u2605 \u2665 #b #c #d +1"
    spoken = str(shown.data(Qt.ItemDataRole.AccessibleTextRole))
    assert spoken.endswith("Rated 4 of 5, favourite, tagged b, c, d, snow")
    assert model.index_of(other, Column.PROMPT).data(LABELS_ROLE) == ""
    qtbot.waitUntil(lambda: lower_band(first) != before)
    save_screenshot(view.grab(), tmp_path, "labelled-rows")
    assert_legible(view, view.grab(), "labelled rows")
    scene.library.edit([first], LabelChange(rating=0, favourite=False, remove_tags=tags))
    assert model.index_of(first, Column.PROMPT).data(LABELS_ROLE) == ""
    qtbot.waitUntil(lambda: lower_band(first) == before)
