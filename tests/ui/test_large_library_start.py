"""A window with a large library starts with its newest tasks and reads the others on demand.

The real window opens a session with a key against the simulator, on a real store of a few
thousand tasks, most of them older than the first load (``RecordBook``'s ``recent_first``):
the session starts on the tasks loaded first (every unfinished one is among them); the older
ones are read in a thread (held at a gate here) when the list is scrolled to its end, a search
or filter is set, or an action that must see every task asks, and are then listed.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QPushButton

from tests.core.test_record_book_loading import Library, insert_rows, task
from tests.e2e.helpers import drop, make_window_fixture, wait_started  # noqa: F401 (a fixture)
from tests.fixtures.mp4 import encoded_clip
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core import record_book as record_book_module
from veo_desktop.core.cleanup import size_text
from veo_desktop.core.paths import AppPaths
from veo_desktop.film.recipe import embed_recipe, recipe_for
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import StoreError, TaskStore
from veo_desktop.ui.library.gallery import ViewMode
from veo_desktop.ui.spending import view as spending_view_module
from veo_desktop.ui.spending.view import SpendingView
from veo_desktop.ui.tasks import panel as panel_module
from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE, Column, StateFilter
from veo_desktop.ui.tasks.panel import TaskPanel
from veo_desktop.ui.window.main_window import MainWindow
from veo_desktop.ui.workspace import FIRST_PAGE, Workspace


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds the background read of the older tasks until set (the read itself is real)."""
    opened = threading.Event()
    real = TaskStore.open_reader.__func__  # type: ignore[attr-defined]

    def open_reader(cls: type[TaskStore], path: Path) -> TaskStore:
        opened.wait(timeout=30)
        return real(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(TaskStore, "open_reader", classmethod(open_reader))
    yield opened
    opened.set()


def open_large(
    make_window: Callable[..., MainWindow],
    sim: Any,
    data: Path,
    edit: Callable[[Library, sqlite3.Connection], object] | None = None,
) -> tuple[Library, MainWindow]:
    """A window opened with a key on a library of 3,020 tasks, most of them old (their
    rows changed by ``edit`` first, as another program would)."""
    library = Library(AppPaths.resolve(data).ensure().store_path, time.time())
    if edit is not None:
        db = sqlite3.connect(library.path)
        with db:
            edit(library, db)
        db.close()
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=data)
    window.show()
    window.open_with_key(SIM_API_KEY, source=window.key_source)
    return library, window


@pytest.fixture
def large(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, gate: threading.Event
) -> tuple[Library, MainWindow]:
    """A window opened with a key on a library of 3,020 tasks whose older ones are held
    at the gate."""
    return open_large(make_window, sim, tmp_path / "data")


def name_files(
    db: sqlite3.Connection, record: TaskRecord, files: list[Path], change: str = ""
) -> None:
    """Make the row of ``record`` list ``files`` (and ``change`` more columns: SQL)."""
    db.execute(
        f"UPDATE tasks SET files = ?{', ' + change if change else ''} WHERE local_id = ?",
        (json.dumps([str(f) for f in files], ensure_ascii=False), record.local_id),
    )


def wait_listed(qtbot: Any, window: MainWindow, count: int) -> None:
    """Wait until the window's task list lists ``count`` tasks."""

    def listed() -> None:
        assert window.task_panel is not None
        assert window.task_panel.model.rowCount() == count

    qtbot.waitUntil(listed)


def list_every_page(qtbot: Any, panel: TaskPanel) -> None:
    """Scroll the task list to its end until every older page is listed (read at the gate)."""
    listed = [panel.model.rowCount()]
    while not panel.listed_whole:
        panel.view.scrollToBottom()
        qtbot.waitUntil(lambda: panel.model.rowCount() > listed[-1] or panel.listed_whole)
        listed.append(panel.model.rowCount())


def count_text(window: MainWindow) -> str:
    assert window.task_panel is not None
    return window.task_panel.count_label.text()


def started_on_the_newest(qtbot: Any, window: MainWindow, library: Library) -> None:
    """The session has started while the older tasks were never read (the gate is shut)."""
    wait_started(qtbot, window)
    session = window.session
    assert session is not None and window.task_panel is not None
    assert not session.controller.tasks_complete
    listed = window.task_panel.model.rowCount()
    assert FIRST_PAGE <= listed < len(library.everything)
    assert window.task_panel.proxy.index(0, 0).data(LOCAL_ID_ROLE) == library.recent[-1].local_id
    # The task still polled, three days old, is loaded: the engine polls it.
    assert session.controller.get(library.old[0].local_id).state is TaskState.PENDING
    assert count_text(window).startswith(f"{listed:,}")  # ("of 3,020" once counted)
    assert "as you scroll" in window.task_panel.count_label.toolTip()


def scroll_to_the_end(qtbot: Any, window: MainWindow) -> None:
    """Scroll the task list to its end; the older tasks' read has begun (held at the gate)."""
    assert window.task_panel is not None
    window.task_panel.view.scrollToBottom()  # the view asks its model for more
    qtbot.waitUntil(lambda: count_text(window).endswith("\u00b7 loading\u2026"))


def session_failures_while_older_tasks_load(
    qtbot: Any, window: MainWindow, library: Library
) -> list[tuple[str, str]]:
    """The session started, the older tasks' read held at the gate: what the window's
    sessions report as failed from now on."""
    started_on_the_newest(qtbot, window, library)
    failed: list[tuple[str, str]] = []
    window.sessions.job_failed.connect(lambda what, text: failed.append((what, text)))
    scroll_to_the_end(qtbot, window)
    return failed


def test_the_session_starts_on_the_newest_tasks_and_lists_older_pages_at_the_end_of_the_list(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session, panel = window.session, window.task_panel
    assert session is not None and panel is not None
    panel.view.setCurrentIndex(panel.proxy.index(2, 0))
    chosen = panel.current_task()
    assert chosen is not None
    first = panel.model.rowCount()
    scroll_to_the_end(qtbot, window)
    gate.set()
    qtbot.waitUntil(lambda: panel.model.rowCount() > first)
    # One page: the next thousand older ones (the first may be the oldest listed already).
    assert first + 999 <= panel.model.rowCount() <= first + 1000
    assert not session.controller.tasks_complete
    bar = panel.view.verticalScrollBar()
    assert 0 < bar.value() < bar.maximum()  # where it was: the new rows are below
    list_every_page(qtbot, panel)
    assert panel.model.rowCount() == len(library.everything)
    # The older pages are listed, not loaded: their rows keep a few facts, and a row shown
    # reads its task from the store (the oldest, at the end of the list).
    assert not session.controller.tasks_complete
    assert len(session.controller.tasks()) < 1100
    assert panel.model.shelved_count > 1900
    oldest = min(library.everything, key=lambda t: t.created_at)
    last = panel.proxy.index(panel.proxy.rowCount() - 1, int(Column.PROMPT))
    assert last.data(LOCAL_ID_ROLE) == oldest.local_id
    assert last.data() == " ".join(oldest.prompt.split())
    assert count_text(window).startswith("3,020 tasks")
    assert window.task_panel is not None and window.task_panel.count_label.toolTip() == ""
    current = panel.current_task()
    assert current is not None and current.local_id == chosen.local_id  # kept


def test_a_window_left_alone_reads_no_older_task(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    """Nothing the window builds on its own (the list, the gallery, the Prompts and Spending
    tabs not looked at, the count) reads the older tasks: with no gate, once everything
    has settled, they are still unread and the count says how many there are."""
    library, window = open_large(make_window, sim, tmp_path / "data")
    wait_started(qtbot, window)
    session = window.session
    assert session is not None and window.workspace is not None
    assert window.workspace.history_panel is not None  # built, not shown
    qtbot.waitUntil(lambda: session.controller.quiescent, timeout=20_000)
    qtbot.waitUntil(lambda: " of 3,020" in count_text(window), timeout=5000)
    assert not session.controller.tasks_complete
    assert len(session.controller.tasks()) < len(library.everything)


def test_a_search_reads_and_lists_only_the_older_tasks_that_match(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session, panel = window.session, window.task_panel
    assert session is not None and panel is not None
    loaded = len(session.controller.tasks())
    panel.set_search_text("shot 1717")
    qtbot.waitUntil(lambda: count_text(window).endswith("\u00b7 searching\u2026"))
    gate.set()

    def found() -> None:
        assert panel.proxy.rowCount() == 1
        assert panel.proxy.index(0, 0).data(LOCAL_ID_ROLE) == library.old[1717].local_id
        assert count_text(window) == "1 of 3,020"  # every task counted, one read

    qtbot.waitUntil(found)
    assert not session.controller.tasks_complete
    assert len(session.controller.tasks()) == loaded + 1
    panel.search_bar.clear()
    qtbot.waitUntil(lambda: count_text(window) == f"{loaded + 1:,} of 3,020")


def test_a_state_filter_reads_the_older_tasks_in_that_state(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """The "Failed" filter finds an old failed task that was never loaded."""
    library, window = large
    failed = library.old[40]
    db = sqlite3.connect(library.path)
    with db:  # (before the window loads anything: the session is still opening)
        db.execute("UPDATE tasks SET state = 'failed' WHERE local_id = ?", (failed.local_id,))
    db.close()
    gate.set()  # (the start reads again: the store changed since the window loaded it)
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    panel.set_state_filter(StateFilter.FAILED)

    def found() -> None:
        assert panel.proxy.rowCount() == 1
        assert panel.proxy.index(0, 0).data(LOCAL_ID_ROLE) == failed.local_id

    qtbot.waitUntil(found)
    assert window.session is not None and not window.session.controller.tasks_complete


def test_an_action_that_must_see_every_task_waits_for_them(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    wait_started(qtbot, window)
    session = window.session
    assert session is not None
    controller = session.controller
    said: list[str] = []
    controller.action_done.connect(said.append)
    seen: list[int] = []
    controller.when_all_loaded(
        lambda: seen.append(len(controller.tasks(include_hidden=True))), name="test"
    )
    controller.when_all_loaded(lambda: seen.append(-2), name="test")  # a second click
    assert seen == []
    assert said == ["Reading the rest of your library first\u2026"]
    gate.set()
    qtbot.waitUntil(lambda: seen != [])
    assert seen == [len(library.everything)]
    controller.when_all_loaded(lambda: seen.append(-1), name="test")  # now: at once
    assert seen == [len(library.everything), -1]
    wait_listed(qtbot, window, len(library.everything))  # the list follows


def test_remove_keeps_a_file_an_older_task_names_without_reading_every_task(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    gate: threading.Event,
    qtbot: Any,
) -> None:
    """Remove with its videos, in a large library not loaded whole: a file an older task
    (not loaded) also names is found in the store and kept, the task's own file goes, and
    the older tasks are not all read for it (before, Remove read every task first)."""
    videos = tmp_path / "videos"
    videos.mkdir()
    shared, own = videos / "shared take.mp4", videos / "own take.mp4"
    shared.write_bytes(b"\0" * 5000)
    own.write_bytes(b"\0" * 3000)

    def edit(library: Library, db: sqlite3.Connection) -> None:
        name_files(db, library.recent[-1], [shared, own])
        name_files(db, library.old[1234], [shared])

    library, window = open_large(make_window, sim, tmp_path / "data", edit)
    removed, older = library.recent[-1], library.old[1234]
    started_on_the_newest(qtbot, window, library)
    session, panel = window.session, window.task_panel
    assert session is not None and panel is not None
    controller = session.controller
    loaded = len(controller.tasks(include_hidden=True))
    assert older.local_id not in {t.local_id for t in controller.tasks(include_hidden=True)}
    panel.select_tasks([library.recent[-2].local_id])
    panel.task_actions.remove.trigger()
    panel.select_tasks([removed.local_id])  # (another task chosen while the store is read)
    panel.task_actions.remove.trigger()
    panel.task_actions.remove.trigger()  # (a second click: one question)
    assert panel.task_actions.dialog is None  # (the store is read first, held at the gate)
    gate.set()
    qtbot.waitUntil(lambda: isinstance(panel.task_actions.dialog, QMessageBox))
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    check = box.checkBox()
    assert check is not None and check.text() == f"Also delete its videos ({size_text(3000)})"
    check.setChecked(True)
    with qtbot.waitSignal(controller.action_done) as said:
        next(
            b for b in box.findChildren(QPushButton) if b.objectName() == "confirmRemoveButton"
        ).click()
    assert said.args == [f"Removed 1 task and freed {size_text(3000)}."]
    assert shared.exists() and not own.exists()
    assert not controller.tasks_complete
    assert len(controller.tasks(include_hidden=True)) == loaded


def test_removing_hundreds_of_tasks_takes_their_rows_out_together(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """Remove on 500 selected tasks: the list takes the first few out one by one, the rest
    in one go at the end of that turn of the event loop (one reset, not a renumbering of
    every row above each), the others' order and the count line as they should be."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    gate.set()
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    listed = [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(700)]
    chosen, kept = listed[100:600], listed[:100] + listed[600:]
    panel.select_tasks(chosen)
    before = panel.model.rowCount()
    resets: list[int] = []
    one_by_one: list[int] = []
    panel.model.modelReset.connect(lambda: resets.append(panel.model.rowCount()))
    panel.model.rowsRemoved.connect(lambda _parent, first, _last: one_by_one.append(first))
    panel.task_actions.remove.trigger()
    qtbot.waitUntil(lambda: isinstance(panel.task_actions.dialog, QMessageBox))
    box = panel.task_actions.dialog
    assert isinstance(box, QMessageBox)
    with qtbot.waitSignal(session.controller.action_done) as said:
        next(
            b for b in box.findChildren(QPushButton) if b.objectName() == "confirmRemoveButton"
        ).click()
    assert said.args == ["Removed 500 tasks; no files were deleted."]
    qtbot.waitUntil(lambda: panel.model.rowCount() == before - 500)
    assert len(one_by_one) == panel_module.REMOVED_ONE_BY_ONE
    assert resets == [before - 500]
    shown = [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(200)]
    assert shown == kept[:200]
    assert count_text(window).startswith(f"{before - 500:,} of")
    # (the current task passed on to the row above, as Qt passes on a removed row's)
    current = panel.current_task()
    assert current is not None and current.local_id == listed[99]
    assert not panel.view.selectionModel().selectedRows()


def test_a_current_task_removed_among_many_passes_on_to_the_row_above(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """Twenty tasks removed in one turn (as Clean up removes them), the current one among
    those taken out together: the task above the removed ones becomes current, as Qt makes
    the row above a removed current row current."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    gate.set()
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    listed = [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(100)]
    panel.select_tasks([listed[50]])
    before = panel.model.rowCount()
    for local_id in listed[40:60]:
        session.controller.remove(local_id, delete_files=False)
    qtbot.waitUntil(lambda: panel.model.rowCount() == before - 20)
    current = panel.current_task()
    assert current is not None and current.local_id == listed[39]
    assert [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(80)] == (
        listed[:40] + listed[60:100]
    )


def finished_only(qtbot: Any, window: MainWindow, library: Library) -> list[str]:
    """The session started, every older task read, the list filtered to finished tasks
    (its rows then come in slices after each reset): the first 800 rows' tasks."""
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    panel.set_state_filter(StateFilter.FINISHED)
    qtbot.waitUntil(lambda: panel.proxy.complete and not panel._searching_older)
    qtbot.waitUntil(lambda: panel.proxy.rowCount() > 800 and panel.proxy.complete)
    return [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(800)]


def test_with_a_filter_set_removing_many_keeps_the_selection_and_passes_the_current_on(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """With a filter set, the rows come back in slices after the reset that takes many
    removed tasks out: the selection (far down the list) and the current row come back
    once they are there."""
    library, window = large
    gate.set()
    listed = finished_only(qtbot, window, library)
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    panel.select_tasks([listed[500]])
    before = panel.model.rowCount()
    for local_id in listed[490:510]:
        session.controller.remove(local_id, delete_files=False)
    qtbot.waitUntil(lambda: panel.model.rowCount() == before - 20 and panel.proxy.complete)
    current = panel.current_task()
    assert current is not None and current.local_id == listed[489]
    panel.select_tasks([listed[600], listed[700], listed[100]])
    for local_id in listed[300:320]:
        session.controller.remove(local_id, delete_files=False)
    qtbot.waitUntil(lambda: panel.model.rowCount() == before - 40 and panel.proxy.complete)
    assert sorted(panel._selected_ids()) == sorted([listed[100], listed[600], listed[700]])
    current = panel.current_task()
    assert current is not None and current.local_id == listed[600]


def test_removals_among_other_changes_are_taken_out_in_one_go(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """A hundred listed tasks removed in one turn, each followed by the removal of a task
    the list does not hold (as Clean up removes older ones): one reset, not one a change."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    gate.set()
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    listed = [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(100)]
    unlisted = [r for r in library.old[1:200] if panel.model.row_of(r.local_id) is None]
    assert len(unlisted) >= 100
    resets: list[int] = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    before = panel.model.rowCount()
    for local_id, other in zip(listed, unlisted, strict=False):
        session.controller.remove(local_id, delete_files=False)
        session.controller.remove(other.local_id, delete_files=False)
    qtbot.waitUntil(lambda: panel.model.rowCount() == before - 100)
    assert resets == [1]


def test_selecting_many_tasks_is_one_change_of_the_selection(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """Hundreds of tasks selected at once (Compare, a selection kept across a reset) change
    the selection once: one by one, each change had every selected row counted again."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    listed = [panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(700)]
    changes: list[int] = []
    panel.view.selectionModel().selectionChanged.connect(lambda *_: changes.append(1))
    chosen = listed[600:650] + listed[10:300:2] + listed[400:500]
    panel.select_tasks(chosen)
    assert len(changes) == 1
    assert sorted(panel._selected_ids()) == sorted(chosen)
    current = panel.current_task()
    assert current is not None and current.local_id == listed[600]


def test_a_dropped_video_restores_its_settings_reading_every_task_only_without_a_recipe(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    gate: threading.Event,
    qtbot: Any,
) -> None:
    """A video carrying its recipe, dropped on the window of a large library, restores its
    settings at once (before, every drop read every task first). One without a recipe or a
    sidecar, a copy of an older task's video, still finds that task once every task is
    read."""
    clips = tmp_path / "clips"
    clips.mkdir()
    plain = clips / "plain.mp4"
    encoded_clip(plain, frames=3)
    kept = clips / "kept.mp4"  # (an older task's video; the drop is a renamed copy)
    shutil.copyfile(plain, kept)
    library, window = open_large(
        make_window, sim, tmp_path / "data", lambda lib, db: name_files(db, lib.old[1000], [kept])
    )
    known = library.old[1000]
    carrying = clips / "carrying.mp4"
    embed_recipe(plain, carrying, recipe_for(library.old[1717], video=Path("shot.mp4")))
    started_on_the_newest(qtbot, window, library)
    session, compose = window.session, window.compose_panel
    assert session is not None and compose is not None

    assert drop(window, urls=[str(carrying)])  # (the older tasks' read stays held)
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == library.old[1717].prompt)
    assert not session.controller.tasks_complete

    copy = shutil.copy(plain, clips / "renamed copy.mp4")
    assert drop(window, urls=[str(copy)])
    gate.set()
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == known.prompt)
    assert session.controller.tasks_complete


def test_a_dropped_file_that_cannot_be_read_as_a_video_is_found_among_every_task(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    gate: threading.Event,
    qtbot: Any,
) -> None:
    """A dropped ``.mp4`` that FFmpeg cannot read (so no recipe), in a large library not
    loaded whole: an older task whose video is the same file's content still gives its
    settings, once every task is read."""
    clips = tmp_path / "clips"
    clips.mkdir()
    kept = clips / "kept.mp4"
    kept.write_bytes(b"not a video, but an older task's file" * 50)
    library, window = open_large(
        make_window, sim, tmp_path / "data", lambda lib, db: name_files(db, lib.old[900], [kept])
    )
    started_on_the_newest(qtbot, window, library)
    session, compose = window.session, window.compose_panel
    assert session is not None and compose is not None
    assert drop(window, urls=[str(shutil.copy(kept, clips / "renamed.mp4"))])
    gate.set()
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == library.old[900].prompt)
    assert session.controller.tasks_complete


def test_clean_up_reads_the_tasks_it_may_choose_and_those_naming_their_files_only(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    gate: threading.Event,
    qtbot: Any,
) -> None:
    """Clean up in a large library not loaded whole: an older failed task leaves with its
    own video, a dismissed one's video goes, a video a task in the list also names stays,
    and the older tasks are not all read for it (before, Clean up read every task first)."""
    videos = tmp_path / "videos"
    videos.mkdir()
    own, shared, dismissed_video = videos / "own.mp4", videos / "shared.mp4", videos / "d.mp4"
    for path, size in ((own, 4000), (shared, 6000), (dismissed_video, 2000)):
        path.write_bytes(b"\0" * size)

    def edit(library: Library, db: sqlite3.Connection) -> None:
        ten_days = "state = 'failed', created_at = created_at - 864000"
        name_files(db, library.old[10], [own, shared], ten_days)
        name_files(db, library.old[20], [dismissed_video], "state = 'uncertain', hidden = 1")
        name_files(db, library.old[30], [shared])

    library, window = open_large(make_window, sim, tmp_path / "data", edit)
    failed = library.old[10]
    started_on_the_newest(qtbot, window, library)
    session = window.session
    assert session is not None
    controller = session.controller
    loaded = len(controller.tasks(include_hidden=True))
    disk = show_spending(window).disk
    assert disk is not None
    disk.clean_button.click()
    disk.clean_button.click()  # (a second click: one question)
    assert disk.dialog is None  # (the store is read first, held at the gate)
    gate.set()
    qtbot.waitUntil(lambda: disk.dialog is not None)
    box = disk.dialog
    assert box is not None
    assert box.text() == f"Remove 1 task and {size_text(6000)} of videos?"  # (own + d)
    thumbnails = disk._thumbnails
    assert thumbnails is not None and thumbnails.cache_dir is not None
    orphan = thumbnails.cache_dir / ("0" * 32 + ".png")  # (a thumbnail of no video)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"\x89PNG" + b"\0" * 2000)
    done: list[Any] = []
    disk.cleaned.connect(done.append)
    with qtbot.waitSignal(disk.thumbnails_cleaned):
        next(b for b in box.buttons() if b.objectName() == "confirmCleanUpButton").click()
    (freed,) = done
    assert freed.tasks == 1 and freed.bytes == 6000
    assert not orphan.exists()  # (every video's name read from the store, not loaded)
    assert shared.exists() and not own.exists() and not dismissed_video.exists()
    assert controller.get(failed.local_id).hidden
    assert not controller.tasks_complete
    assert len(controller.tasks(include_hidden=True)) <= loaded + 3


def test_older_tasks_that_cannot_be_read_are_reported_and_asked_for_again(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """The older tasks cannot be read (the disk went away): the failure is reported, the
    workspace (whose engine has started, so its tasks are polled) stays, and scrolling to
    the end again reads them once the disk is back."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session = window.session
    panel = window.task_panel
    assert session is not None and panel is not None
    failed: list[tuple[str, str]] = []
    session.controller.action_failed.connect(lambda title, text: failed.append((title, text)))
    away = library.path.rename(library.path.with_name("elsewhere.sqlite3"))
    scroll_to_the_end(qtbot, window)
    gate.set()
    qtbot.waitUntil(lambda: failed != [])
    qtbot.waitUntil(lambda: not count_text(window).endswith("\u2026"))  # not loading now
    assert "Traceback" not in repr(failed)
    assert window.session is session and session.engine.started
    away.rename(library.path)
    panel.view.scrollToTop()
    panel.view.scrollToBottom()
    wait_listed(qtbot, window, len(library.everything))


def test_every_task_is_listed_when_the_newest_are_mostly_hidden(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    gate: threading.Event,
) -> None:
    """What the first load read does not fill the list once removed tasks are left out: the
    list asks for the older tasks by itself, and lists them once loaded."""
    data = tmp_path / "data"
    path = AppPaths.resolve(data).ensure().store_path
    library = Library(path, time.time())
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "UPDATE tasks SET hidden = 1 WHERE local_id IN "
            "(SELECT local_id FROM tasks ORDER BY created_at DESC LIMIT 995)"
        )
    db.close()
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=data)
    window.show()
    window.open_with_key(SIM_API_KEY, source=window.key_source)
    wait_started(qtbot, window)
    qtbot.waitUntil(lambda: count_text(window).endswith("\u00b7 loading\u2026"))
    gate.set()
    shown = len(library.everything) - 995
    wait_listed(qtbot, window, shown)
    assert count_text(window).startswith(f"{shown:,} tasks")
    assert window.task_panel is not None and window.task_panel.count_label.toolTip() == ""


def test_generate_at_once_in_a_large_library_sends_once(
    large: tuple[Library, MainWindow], sim: Any, qtbot: Any, gate: threading.Event
) -> None:
    """A submit needs no older task: it goes at once, while the older ones are never read."""
    _library, window = large
    session = window.session
    assert session is not None
    controller = session.controller
    failures: list[tuple[str, str]] = []
    controller.submit_failed.connect(lambda field, text: failures.append((field, text)))
    job = controller.run(controller.submit(GenerationRequest(prompt="A fox at dawn")), name="t")
    qtbot.waitUntil(job.done, timeout=20_000)
    task = job.result()
    assert task is not None and failures == []
    assert sim.created_task_ids == [task.apixo_task_id]
    assert not controller.tasks_complete  # the gate is still shut
    assert task.local_id in {t.local_id for t in controller.tasks()}


def test_signing_out_while_older_tasks_load_tells_of_no_failure(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    failed = session_failures_while_older_tasks_load(qtbot, window, library)
    closing = window.run(window.close_session(), "Signing out")
    gate.set()
    qtbot.waitUntil(closing.done, timeout=20_000)
    qtbot.waitUntil(lambda: not window.sessions.jobs)
    assert failed == []
    assert window.stack.currentWidget() is not window.message_page


def test_opening_another_session_while_older_tasks_load_tells_of_no_failure(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    failed = session_failures_while_older_tasks_load(qtbot, window, library)
    first = window.session
    window.open_with_key(SIM_API_KEY, source=window.key_source)  # the key again: a switch
    gate.set()
    qtbot.waitUntil(lambda: window.session is not None and window.session is not first)
    started_on_the_newest(qtbot, window, library)
    qtbot.waitUntil(lambda: not window.sessions.jobs)
    assert failed == []


def test_selecting_an_older_task_not_read_yet_reads_and_lists_it(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """A storyboard's take or a compare may name a task of three days ago: the list shows
    and selects it (read by id), without reading the other older tasks."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session, panel = window.session, window.task_panel
    assert session is not None and panel is not None
    wanted = library.old[1234]
    assert panel.model.index_of(wanted.local_id).isValid() is False
    assert panel.select_task(wanted.local_id)
    current = panel.current_task()
    assert current is not None and current.local_id == wanted.local_id
    assert not session.controller.tasks_complete
    assert not panel.select_task("f" * 32)


def test_a_page_of_older_tasks_keeps_the_top_row_with_a_run_folded(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a variations run folded the filter lists the rows in slices after a page: the
    view still comes back to the row that was at its top, not to the first slice's end."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    data = tmp_path / "data"
    now = time.time()
    library = Library(AppPaths.resolve(data).ensure().store_path, now)
    run = [
        task(now - 1800 + i, TaskState.SUCCEEDED, 9000 + i).evolve(
            request={"request_type": "async", "input": {"prompt": "run", "seed": 10 + i}}
        )
        for i in range(2)
    ]
    insert_rows(library.path, run)
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=data)
    window.show()
    window.open_with_key(SIM_API_KEY, source=window.key_source)
    wait_started(qtbot, window)
    panel = window.task_panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.model.rowCount() > 900)
    panel.model.fold_run(run[0].local_id, True)
    assert panel.model.has_folds
    qtbot.waitUntil(lambda: panel.proxy.complete)
    first = panel.model.rowCount()
    panel.view.scrollToBottom()
    top = panel.view.indexAt(QPoint(2, 2)).data(LOCAL_ID_ROLE)
    assert panel.model.row_of(top) > 700
    gate.set()
    qtbot.waitUntil(lambda: panel.model.rowCount() > first and panel.proxy.complete)
    qtbot.waitUntil(lambda: panel.view.indexAt(QPoint(2, 2)).data(LOCAL_ID_ROLE) == top)


def test_a_gallery_without_enough_videos_to_scroll_reads_older_pages(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The newest tasks hold no video (none downloaded here): the gallery, empty, has no
    end to scroll to, so it asks for the older pages by itself until it has looked at all;
    it lists them shelved, as the table does."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = large
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    panel.views.set_mode(ViewMode.GALLERY)
    qtbot.waitUntil(lambda: count_text(window).endswith("\u00b7 loading\u2026"))
    gate.set()
    wait_listed(qtbot, window, len(library.everything))
    assert panel.listed_whole and panel.model.shelved_count > 1900
    assert window.session is not None
    assert len(window.session.controller.tasks()) < 1100
    assert panel.gallery.count_label.text() == "0 videos"


def with_videos(library: Library, db: sqlite3.Connection) -> None:
    """Every fourth old task has a video (the newest have none)."""
    for record in library.old[4::4]:
        name_files(db, record, [Path(f"/videos/{record.prompt}.mp4")])


def tile_prompts(panel: TaskPanel) -> dict[str, str]:
    """The prompt line of every tile in view, by task, as painted."""
    view = panel.gallery.view
    view.viewport().repaint()
    lines, area = view.tile_delegate._lines, view.viewport().rect()
    found = {}
    for row in view.shown_rows():
        index = panel.proxy.index(row, 0)
        local_id = index.data(LOCAL_ID_ROLE)
        if local_id in lines and area.intersects(view.visualRect(index)):
            found[local_id] = lines[local_id][2][0]
    return found


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many tasks each read of the store reads, from now on."""
    reads: list[int] = []
    among, one = TaskStore.load_among, TaskStore.get

    def load_among(store: TaskStore, local_ids: Any) -> list[TaskRecord]:
        reads.append(len(local_ids))
        return among(store, local_ids)

    def get(store: TaskStore, local_id: str) -> TaskRecord | None:
        reads.append(1)
        return one(store, local_id)

    monkeypatch.setattr(TaskStore, "load_among", load_among)
    monkeypatch.setattr(TaskStore, "get", get)
    return reads


def test_the_gallery_over_shelved_rows_reads_only_the_tiles_in_view(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The table scrolled to its end lists the older pages shelved; the gallery shown then
    groups their videos by their facts (nothing read, nothing listed again) and reads the
    records of the tiles in view only, one query a paint; the task chosen stays chosen."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = open_large(make_window, sim, tmp_path / "data", with_videos)
    started_on_the_newest(qtbot, window, library)
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    gate.set()
    list_every_page(qtbot, panel)
    shelved = panel.model.shelved_count
    assert shelved > 1900
    oldest = library.old[4]  # (the oldest video)
    panel.select_task(oldest.local_id)
    reads = count_reads(monkeypatch)
    reset = []
    panel.model.modelReset.connect(lambda: reset.append(True))
    panel.views.set_mode(ViewMode.GALLERY)
    view = panel.gallery.view
    view.viewport().repaint()
    videos = len(library.old[4::4])
    assert panel.gallery.count_label.text() == f"{videos:,} videos"
    assert panel.model.shelved_count == shelved and not reset
    assert len(session.controller.tasks()) < 1100
    # In view: the oldest video (the current task), read with the tiles around it.
    qtbot.waitUntil(lambda: oldest.local_id in tile_prompts(panel))
    assert tile_prompts(panel)[oldest.local_id] == oldest.prompt
    assert panel.current_task() is not None
    assert panel.current_task().local_id == oldest.local_id
    in_view = len(tile_prompts(panel))
    assert 0 < sum(reads) <= 2 * in_view + 2, (reads, in_view)
    # Scrolled to a video in the middle of the shelved rows: the tiles around it, read in
    # one query.
    del reads[:]
    middle = library.old[1200]
    assert panel.model.row_of(middle.local_id) is not None
    view.scrollTo(panel.proxy.mapFromSource(panel.model.index_of(middle.local_id)))
    prompts = tile_prompts(panel)
    assert prompts[middle.local_id] == middle.prompt
    assert len(reads) == 1 and reads[0] <= len(prompts), (reads, len(prompts))


def test_the_gallery_shows_a_page_read_meanwhile_as_shelved_rows(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page asked for by the table lands, shelved, after the gallery was shown: its
    videos join the gallery's tiles in place."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = open_large(make_window, sim, tmp_path / "data", with_videos)
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    listed = {panel.model.local_id_at(row) for row in range(panel.model.rowCount())}
    before = sum(1 for task in library.old[4::4] if task.local_id in listed)
    scroll_to_the_end(qtbot, window)  # (the table's page read, held at the gate)
    panel.views.set_mode(ViewMode.GALLERY)
    assert panel.gallery.count_label.text() == f"{before:,} videos"
    first = panel.model.rowCount()
    gate.set()
    qtbot.waitUntil(lambda: panel.model.rowCount() > first)
    assert panel.model.shelved_count > 0
    listed = {panel.model.local_id_at(row) for row in range(panel.model.rowCount())}
    now = sum(1 for task in library.old[4::4] if task.local_id in listed)
    assert now > before
    qtbot.waitUntil(lambda: panel.gallery.count_label.text() == f"{now:,} videos")


def test_a_search_reads_only_the_matches_not_listed_yet(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page of older tasks listed (shelved), a search finds its matches among the listed
    rows by their facts, and reads from the store only the matches older than the list."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = large
    started_on_the_newest(qtbot, window, library)
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    first = panel.model.rowCount()
    scroll_to_the_end(qtbot, window)
    gate.set()
    qtbot.waitUntil(lambda: panel.model.rowCount() > first)
    listed = library.old[1500]  # (shelved: in the page listed)
    older = library.old[150]  # (older than every task listed)
    assert panel.model.row_of(listed.local_id) is not None
    assert panel.model.row_of(older.local_id) is None
    panel.set_search_text("shot 150")
    qtbot.waitUntil(lambda: session.controller.holds(older.local_id))
    qtbot.waitUntil(lambda: panel.proxy.complete and not panel._searching_older)
    shown = {panel.proxy.index(row, 0).data(LOCAL_ID_ROLE) for row in range(panel.proxy.rowCount())}
    assert {listed.local_id, older.local_id} <= shown
    assert not session.controller.holds(listed.local_id)  # (found by its facts, not read)


def test_rating_a_selection_of_shelved_rows_reads_none_of_them(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rate and tag over every row (most of them shelved) opens at once, for all of them,
    without reading their tasks (it needs their ids)."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = large
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    gate.set()
    list_every_page(qtbot, panel)
    reads: list[int] = []
    real = TaskStore.load_among

    def load_among(store: TaskStore, local_ids: Any) -> list[TaskRecord]:
        reads.append(len(local_ids))
        return real(store, local_ids)

    monkeypatch.setattr(TaskStore, "load_among", load_among)
    panel.view.selectAll()
    panel.task_actions.edit_labels.trigger()
    editor = panel.findChild(QDialog, "labelEditor")
    assert editor is not None
    assert editor.findChild(QLabel).text().startswith(f"{len(library.everything):,} tasks")
    assert reads == []
    editor.close()


def test_sorting_by_another_column_lists_every_task_shelved(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """Sorted oldest first (or by another column), the top of the list must be the top of
    every task, not of the newest read so far: the older ones are read in one go, as
    shelved rows (their records not kept), then listed in that order."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    panel, session = window.task_panel, window.session
    assert panel is not None and session is not None
    panel.view.sortByColumn(Column.CREATED, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: count_text(window).endswith("\u00b7 loading\u2026"))
    gate.set()
    wait_listed(qtbot, window, len(library.everything))
    oldest = min(library.everything, key=lambda r: r.created_at)
    qtbot.waitUntil(lambda: panel.proxy.index(0, 0).data(LOCAL_ID_ROLE) == oldest.local_id)
    assert panel.listed_whole and panel.model.shelved_count > 1900
    assert len(session.controller.tasks()) < 1100  # (not every record read and kept)
    assert panel.proxy.index(0, int(Column.PROMPT)).data() == oldest.prompt


def test_a_sort_asked_while_a_page_is_read_lists_every_task_after_it(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The table scrolled to its end reads a page; a sort by prompt asked meanwhile waits
    for it, then has every older task listed."""
    monkeypatch.setattr(panel_module, "OLDER_PAGE", 1000)
    library, window = large
    started_on_the_newest(qtbot, window, library)
    panel = window.task_panel
    assert panel is not None
    scroll_to_the_end(qtbot, window)  # (the page's read held at the gate)
    panel.view.sortByColumn(Column.PROMPT, Qt.SortOrder.AscendingOrder)
    gate.set()
    wait_listed(qtbot, window, len(library.everything))
    first = min(library.everything, key=lambda r: r.prompt.casefold())
    assert panel.proxy.index(0, int(Column.PROMPT)).data() == first.prompt
    qtbot.waitUntil(lambda: not count_text(window).endswith("\u2026"))  # (read no more)
    assert panel.listed_whole


def test_the_spending_tab_counts_the_older_tasks_without_keeping_them(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event, tmp_path: Path
) -> None:
    """The Spending tab of a large library shows the loaded tasks' figures "so far", then
    every task's (the older ones counted in a thread, a page at a time), and the window
    still holds only the tasks it loaded; its CSV counts every task too."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session, workspace = window.session, window.workspace
    assert session is not None and workspace is not None
    # The oldest task, still polled, settles first (the simulator has lost it): its change
    # would have the older tasks counted again, and the export below wait for that count.
    polled = library.old[0].local_id
    qtbot.waitUntil(lambda: session.controller.get(polled).is_final, timeout=10_000)
    loaded = len(session.controller.tasks(include_hidden=True))
    workspace.show_spending()
    view = workspace.spending_view
    assert view is not None
    qtbot.waitUntil(lambda: view.totals_label.text().startswith("Counting your older tasks"))
    assert not view.complete
    assert view.export_to(tmp_path / "early.csv") is None  # not a part as if it were all
    gate.set()
    count = len(library.everything)
    every = f"${Decimal('0.20') * count:,.2f} on {count:,} videos"  # ($604.00 on 3,020)
    qtbot.waitUntil(lambda: every in view.totals_label.text())
    assert view.complete and "so far" not in view.totals_label.text().lower()
    assert not session.controller.tasks_complete
    assert len(session.controller.tasks(include_hidden=True)) == loaded  # none kept
    written = view.export_to(tmp_path / "spending.csv")
    assert written is not None
    rows = written.read_text(encoding="utf-8").splitlines()[1:]
    assert sum(Decimal(row.split(",")[-1]) for row in rows) == Decimal("0.20") * len(
        library.everything
    )


def test_the_prompts_tab_finds_an_older_prompt_without_keeping_its_task(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session, workspace = window.session, window.workspace
    assert session is not None and workspace is not None
    loaded = len(session.controller.tasks(include_hidden=True))
    prompts = workspace.history_panel
    workspace.middle.setCurrentWidget(prompts)
    prompts.set_query("shot 1717")  # an old task's, not loaded
    assert prompts.recent_items() == []
    assert prompts.recent_empty.text() == "Looking through your older prompts\u2026"
    gate.set()
    qtbot.waitUntil(lambda: [p.prompt for p in prompts.recent_items()] == ["shot 1717"])
    assert prompts.recent_items()[0].local_id == library.old[1717].local_id
    prompts.set_query("")
    newest = [p.prompt for p in prompts.recent_items()[:2]]
    assert newest == [library.recent[-1].prompt, library.recent[-2].prompt]
    assert len(prompts.recent_items()) == 200  # (RECENT_LIMIT) of 3,020
    assert not session.controller.tasks_complete
    assert len(session.controller.tasks(include_hidden=True)) == loaded  # none kept


def started_with_failures_heard(
    qtbot: Any, window: MainWindow, library: Library
) -> tuple[Workspace, list[tuple[str, str]]]:
    """The session started on the newest tasks; its workspace, and the failures its
    controller tells from now on (title, text)."""
    started_on_the_newest(qtbot, window, library)
    session, workspace = window.session, window.workspace
    assert session is not None and workspace is not None
    failures: list[tuple[str, str]] = []
    session.controller.action_failed.connect(lambda title, text: failures.append((title, text)))
    return workspace, failures


def show_spending(window: MainWindow) -> SpendingView:
    assert window.workspace is not None
    window.workspace.show_spending()
    view = window.workspace.spending_view
    assert view is not None
    return view


def test_older_tasks_changed_while_spending_counts_start_one_more_count_not_one_each(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three older tasks removed while the Spending tab counts (held at the gate): when that
    count ends, one more runs (for the changes), not three, and its figures are shown."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    counts: list[float] = []
    real = TaskStore.summaries

    def summaries(store: TaskStore, since: float, until: float = math.inf) -> Any:
        counts.append(until)
        return real(store, since, until)

    monkeypatch.setattr(TaskStore, "summaries", summaries)
    view = show_spending(window)
    session = window.session
    assert session is not None
    for old in library.old[100:103]:  # (each taken in by a refresh of its own)
        session.controller.remove(old.local_id, delete_files=False)
        assert view._refresh.isActive()
        qtbot.waitUntil(lambda: not view._refresh.isActive())
    gate.set()
    count = len(library.everything)
    every = f"${Decimal('0.20') * count:,.2f} on {count:,} videos"  # (removed ones were paid)
    qtbot.waitUntil(lambda: every in view.totals_label.text() and view.complete)
    qtbot.waitUntil(lambda: session.controller.quiescent)
    assert len(counts) == 2


def test_a_spending_count_that_fails_says_why_and_counts_again_when_looked_at_again(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    library, window = large
    workspace, failures = started_with_failures_heard(qtbot, window, library)

    def unreadable(store: TaskStore, since: float, until: float = math.inf) -> Any:
        raise StoreError("The disk went away.", store.path)

    with monkeypatch.context() as broken:
        broken.setattr(TaskStore, "summaries", unreadable)
        gate.set()
        view = show_spending(window)
        qtbot.waitUntil(lambda: "could not be counted" in view.totals_label.text())
        assert "The disk went away." in view.totals_label.text()
        assert failures == []  # (said where the figures are, not in a dialog)
        view.export_button.click()  # (counts again, fails again: nothing is exported)
        qtbot.waitUntil(lambda: failures != [])
        assert failures[0][0] == "Not exported" and view.dialog is None
    workspace.middle.setCurrentIndex(0)  # looked away, and back: counted again
    workspace.middle.setCurrentWidget(view)
    count = len(library.everything)
    qtbot.waitUntil(lambda: f"on {count:,} videos" in view.totals_label.text() and view.complete)
    assert view.dialog is None  # (the export asked before failed: no dialog pops up now)


def test_a_window_holding_every_task_counts_only_the_last_days_at_each_change(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A window holding many tasks (every one, here) counts only the last two days' on its
    own thread at each change (not the whole library, every 400 ms while tasks change),
    the older ones once, in a thread. When an older one changes they are counted again
    there, and the totals stay up meanwhile instead of dropping to "so far"."""
    library, window = large
    started_on_the_newest(qtbot, window, library)
    session = window.session
    assert session is not None
    controller = session.controller
    gate.set()
    controller.when_all_loaded(lambda: None, name="Reading every task", message=None)
    qtbot.waitUntil(lambda: controller.tasks_complete)
    # (the old task still polled ends first: APIXO no longer knows it, it is lost)
    qtbot.waitUntil(lambda: controller.get(library.old[0].local_id).is_final, timeout=30_000)
    monkeypatch.setattr(spending_view_module, "COUNTED_HERE_MOST", 100)
    monkeypatch.setattr(record_book_module, "FOLD_HERE_MOST", 100)
    here: list[int] = []  # how many tasks each count on the window's thread saw
    away: list[int] = []  # (and in a thread)
    entered, held = threading.Event(), threading.Event()
    held.set()
    real = spending_view_module.spend_figures

    def counting(records: Any, **how: Any) -> Any:
        records = list(records)
        if threading.current_thread() is threading.main_thread():
            here.append(len(records))
        else:
            entered.set()
            held.wait(30)
            away.append(len(records))
        return real(records, **how)

    monkeypatch.setattr(spending_view_module, "spend_figures", counting)
    view = show_spending(window)
    view.range_combo.setCurrentIndex(len(spending_view_module.RANGES) - 1)  # (52 weeks)
    count = len(library.everything)
    every = f"${Decimal('0.20') * count:,.2f} on {count:,} videos"  # ($604.00 on 3,020)
    qtbot.waitUntil(lambda: every in view.totals_label.text() and view.complete)
    days = len(library.recent)  # (the last 20 hours'; the others are 3 days old or more)
    assert here and max(here) <= days
    assert away and max(away) >= count - days
    counted_away = len(away)

    here.clear()  # a task of today changes: counted here, the older ones are not
    controller.remove(library.recent[-1].local_id, delete_files=False)
    qtbot.waitUntil(lambda: here != [] and controller.quiescent)
    assert max(here) <= days and len(away) == counted_away
    assert every in view.totals_label.text() and view.complete  # (a removed one was paid)

    held.clear()  # an older task changes: they are counted again, held in the thread
    entered.clear()
    controller.remove(library.old[5].local_id, delete_files=False)
    qtbot.waitUntil(entered.is_set)
    qtbot.waitUntil(lambda: not view._refresh.isActive())
    assert every in view.totals_label.text() and "so far" not in view.totals_label.text()
    assert not view.complete  # (an export waits for the new count)
    held.set()
    qtbot.waitUntil(lambda: view.complete and len(away) == counted_away + 1)
    assert every in view.totals_label.text()

    # A task from before the range changes (Clean up hides a years-old one): no count.
    view.on_controller_task_changed(library.old[7].evolve(created_at=1.0, hidden=True))
    qtbot.waitUntil(lambda: not view._refresh.isActive() and controller.quiescent)
    assert view.complete and len(away) == counted_away + 1


def test_older_prompts_that_cannot_be_read_say_why_once_and_are_read_when_looked_at_again(
    large: tuple[Library, MainWindow],
    qtbot: Any,
    gate: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    library, window = large
    workspace, failures = started_with_failures_heard(qtbot, window, library)
    reads: list[float] = []

    def unreadable(store: TaskStore, normal: Any, until: float = math.inf) -> Any:
        reads.append(until)
        raise StoreError("The disk went away.", store.path)

    prompts = workspace.history_panel
    with monkeypatch.context() as broken:
        broken.setattr(TaskStore, "distinct_prompts", unreadable)
        gate.set()
        workspace.middle.setCurrentWidget(prompts)
        for typed in ("s", "sh", "shot 1717"):  # (each key lists again; none reads again)
            prompts.set_query(typed)
        said = "Your older prompts could not be read: The disk went away."
        qtbot.waitUntil(lambda: prompts.recent_empty.text() == said)
        prompts.set_query("shot 1717 ")
        assert prompts.recent_empty.text() == said and len(reads) == 1 and failures == []
    workspace.middle.setCurrentIndex(0)  # looked away, and back: read again
    workspace.middle.setCurrentWidget(prompts)
    qtbot.waitUntil(lambda: [p.prompt for p in prompts.recent_items()] == ["shot 1717"])
