"""A video that arrives, changes or leaves goes straight to its tile (issue 16).

The real task model, filter proxy, table and gallery, sharing one selection model: a task
that finishes, a video imported into an older day, a new day, a take that makes a variations
run, a storyboard take and a removal each land where a regrouping from scratch puts them,
without the gallery regrouping everything, and the selection, the current task and the
persistent indexes stay on their tasks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QPersistentModelIndex
from PySide6.QtWidgets import QMenu

from tests.ui.tasks_support import make_record
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import StateChange, TaskRecord
from veo_desktop.ui.library.gallery import Gallery
from veo_desktop.ui.library.gallery_groups import Grouping
from veo_desktop.ui.library.gallery_items import GalleryItems
from veo_desktop.ui.library.gallery_view import GalleryView
from veo_desktop.ui.tasks.columns import TASK_ROLE
from veo_desktop.ui.tasks.model import TaskTableModel
from veo_desktop.ui.tasks.proxy import TaskFilterProxy
from veo_desktop.ui.tasks.view import TaskView
from veo_desktop.ui.thumbnails import ThumbnailCache

Flag = QItemSelectionModel.SelectionFlag
DAY = 86_400.0
#: Noon today: the videos of "an hour ago" are today's at any hour the suite runs (with the
#: real now, they were yesterday's between midnight and one o'clock).
NOW = dt.datetime.combine(dt.date.today(), dt.time(12)).timestamp()


def video(number: int, created: float, **changes: Any) -> TaskRecord:
    return make_record(number, created_at=created, files=(f"/videos/clip-{number}.mp4",), **changes)


def take(number: int, seed: int, created: float, prompt: str) -> TaskRecord:
    """A finished take of a variations run (equal requests but for the seed)."""
    request = GenerationRequest(prompt=prompt, mode="fast", seed=seed)
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request=request.to_payload(),
        state=TaskState.SUCCEEDED,
        created_at=created,
        updated_at=created,
        apixo_task_id=f"take-{number}",
        price=request.price,
        files=(f"/videos/take-{number}.mp4",),
        history=(StateChange(created, TaskState.SUCCEEDED),),
    )


class Library:
    """The task list's real parts with the gallery on top, and a count of full regroupings."""

    def __init__(self, tasks: list[TaskRecord], qtbot: Any) -> None:
        self.thumbnails = ThumbnailCache(None)
        self.model = TaskTableModel(thumbnails=self.thumbnails)
        self.proxy = TaskFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.table = TaskView()
        self.table.setModel(self.proxy)
        self.model.set_tasks(tasks)
        self.boards: dict[str, str] = {}
        self.gallery = Gallery(
            self.proxy,
            self.table.selectionModel(),
            self.thumbnails,
            QMenu,
            storyboard_of=self.boards.get,
        )
        qtbot.addWidget(self.table)
        qtbot.addWidget(self.gallery)
        self.gallery.resize(1000, 700)
        self.gallery.show()
        self.view: GalleryView = self.gallery.view
        self.view.viewport().repaint()
        self.regroupings = 0
        items = self.view._items
        rebuild = items.rebuild

        def counted(*args: Any, **kwargs: Any) -> None:
            self.regroupings += 1
            rebuild(*args, **kwargs)

        items.rebuild = counted  # type: ignore[method-assign]

    def settle(self) -> None:
        """Lay the gallery out as it is now, then count regroupings from zero."""
        self.view.section_titles()
        self.view.viewport().repaint()
        self.regroupings = 0

    def shown_ids(self) -> list[str]:
        return [self.proxy.index(row, 0).data(TASK_ROLE).local_id for row in self.view.shown_rows()]

    def expected(self) -> tuple[list[str], list[str]]:
        """What a regrouping from scratch shows: the videos in order, and the headers."""
        fresh = GalleryItems(self.view._items.storyboard_of)
        fresh.grouping = self.view.grouping
        fresh.rebuild(self.proxy)
        return [t.local_id for t in fresh.rows], [s.text for s in fresh.sections]

    def check_in_place(self) -> None:
        self.view.viewport().repaint()
        ids, titles = self.expected()
        assert self.shown_ids() == ids
        assert self.view.section_titles() == titles
        assert self.gallery.count_label.text().split()[0] == f"{len(ids):,}"
        assert self.regroupings == 0, "the gallery regrouped every video for one change"

    def selected_ids(self) -> set[str]:
        rows = self.table.selectionModel().selectedRows()
        return {index.data(TASK_ROLE).local_id for index in rows}

    def close(self) -> None:
        self.gallery.close_strips()
        self.thumbnails.close()


@pytest.fixture
def days(qtbot: Any) -> Iterator[tuple[Library, list[TaskRecord]]]:
    # Three days of videos (newest first in the list), a failed task and two still running.
    tasks = [video(n, NOW - 2 * DAY + n * 60) for n in range(4)]
    tasks += [video(10 + n, NOW - DAY + n * 60) for n in range(3)]
    tasks += [video(20 + n, NOW - 3600 + n * 60) for n in range(3)]
    tasks += [make_record(30, state=TaskState.FAILED, created_at=NOW - 1800)]
    tasks += [
        make_record(40 + n, state=TaskState.PENDING, created_at=NOW - 900 + n) for n in (0, 1)
    ]
    library = Library(tasks, qtbot)
    yield library, tasks
    library.close()


def test_a_finished_task_lands_in_its_day_and_the_rest_keep_their_identity(
    days: tuple[Library, list[TaskRecord]],
) -> None:
    library, tasks = days
    view, proxy = library.view, library.proxy
    assert view.section_titles()[0] == "Today \u00b7 3 videos"
    # Two tiles selected (one of them current), and indexes held on two other rows.
    chosen = [tasks[1].local_id, tasks[8].local_id]  # clip-1, clip-21
    selection = library.table.selectionModel()
    for local_id in chosen:
        index = proxy.mapFromSource(library.model.index_of(local_id))
        selection.select(index, Flag.Select | Flag.Rows)
    selection.setCurrentIndex(
        proxy.mapFromSource(library.model.index_of(chosen[1])),
        Flag.NoUpdate,
    )
    assert library.selected_ids() == set(chosen)
    held = {
        local_id: QPersistentModelIndex(proxy.mapFromSource(library.model.index_of(local_id)))
        for local_id in (tasks[0].local_id, tasks[6].local_id)  # clip-0, clip-12
    }
    library.regroupings = 0

    # The newer of the two running tasks finishes: first under "Today".
    finished = tasks[-1].evolve(state=TaskState.SUCCEEDED, files=("/videos/clip-41.mp4",))
    library.model.upsert(finished)
    library.check_in_place()
    assert view.section_titles()[0] == "Today \u00b7 4 videos"
    assert library.shown_ids()[0] == finished.local_id

    # A video imported into yesterday, between two of yesterday's.
    imported = video(50, NOW - DAY + 90)
    library.model.upsert(imported)
    library.check_in_place()
    yesterday = [t.local_id for t in (tasks[6], imported, tasks[5], tasks[4])]
    assert library.shown_ids()[4:8] == yesterday
    assert view.section_titles()[1] == "Yesterday \u00b7 4 videos"

    # A video from a day with none yet: a new section, in its place.
    older = video(60, NOW - 5 * DAY)
    library.model.upsert(older)
    library.check_in_place()
    assert view.section_titles()[-1].endswith("\u00b7 1 video")
    assert library.shown_ids()[-1] == older.local_id

    # The other running task finishes, then one video is removed and the lone one leaves:
    # its section goes.
    library.model.upsert(tasks[-2].evolve(state=TaskState.SUCCEEDED, files=("/v/42.mp4",)))
    library.check_in_place()
    library.model.upsert(tasks[2].evolve(hidden=True))
    library.check_in_place()
    library.model.upsert(older.evolve(hidden=True))
    library.check_in_place()
    assert len(view.section_titles()) == 3

    # Everything else kept its identity: the selection, the current task, held indexes.
    assert library.selected_ids() == set(chosen)
    assert library.table.currentIndex().data(TASK_ROLE).local_id == chosen[1]
    for local_id, kept in held.items():
        assert kept.isValid()
        assert kept.data(TASK_ROLE).local_id == local_id
    # ... and the gallery draws them where they are.
    current = view.visualRect(library.table.currentIndex().siblingAtColumn(0))
    assert view.indexAt(current.center()).data(TASK_ROLE).local_id == chosen[1]


def test_with_a_search_shown_arrivals_follow_the_filter(
    days: tuple[Library, list[TaskRecord]], qtbot: Any
) -> None:
    library, tasks = days
    library.proxy.set_search_text("lighthouse")
    qtbot.waitUntil(lambda: library.proxy.complete)
    library.view.viewport().repaint()
    library.regroupings = 0
    library.model.upsert(video(70, NOW - 120))  # "Task number 70: a lighthouse at dusk"
    library.check_in_place()
    library.model.upsert(video(71, NOW - 60, prompt="A harbour at night"))  # not found
    library.check_in_place()
    library.model.upsert(tasks[7].evolve(hidden=True))  # clip-20
    library.check_in_place()
    assert len(library.shown_ids()) == 10


def test_takes_of_a_run_form_grow_and_leave_their_section(qtbot: Any) -> None:
    fox = "A red fox runs through fresh snow"
    first = take(1, 11, NOW - 3000, fox)
    others = [video(n, NOW - 7200 + n * 60) for n in range(3)]
    library = Library([first, *others], qtbot)
    try:
        library.gallery.set_grouping(Grouping.RUN)
        library.view.viewport().repaint()
        assert library.view.section_titles() == ["Single videos \u00b7 4 videos"]
        library.regroupings = 0
        second = take(2, 12, NOW - 2900, fox)
        library.model.upsert(second)  # two takes: a run
        library.check_in_place()
        assert library.view.section_titles()[0].startswith(f"{fox} \u00b7 2 takes \u00b7 ")
        library.model.upsert(take(3, 13, NOW - 2800, fox))
        library.check_in_place()
        assert library.view.section_titles()[0].startswith(f"{fox} \u00b7 3 takes \u00b7 ")
        library.model.upsert(take(4, 14, NOW - 2800 + 3600, fox))  # an hour later: alone
        library.check_in_place()
        library.model.upsert(second.evolve(hidden=True))
        library.model.upsert(first.evolve(hidden=True))
        library.check_in_place()
        assert library.view.section_titles() == ["Single videos \u00b7 5 videos"]
    finally:
        library.close()


def test_a_storyboard_take_moves_its_board_first(qtbot: Any) -> None:
    shots = [video(n, NOW - 7200 + n * 60) for n in range(4)]
    library = Library(shots, qtbot)
    try:
        library.boards.update({shots[0].local_id: "Harbour", shots[3].local_id: "Fox"})
        library.gallery.follow_storyboards(library.boards.get)
        library.gallery.set_grouping(Grouping.STORYBOARD)
        library.view.viewport().repaint()
        assert library.view.section_titles()[:2] == ["Fox \u00b7 1 video", "Harbour \u00b7 1 video"]
        library.regroupings = 0
        newest = video(9, NOW - 60)
        library.boards[newest.local_id] = "Harbour"
        library.model.upsert(newest)
        library.check_in_place()
        assert library.view.section_titles()[:2] == [
            "Harbour \u00b7 2 videos",
            "Fox \u00b7 1 video",
        ]
        library.model.upsert(newest.evolve(hidden=True))
        library.check_in_place()
        assert library.view.section_titles()[0] == "Fox \u00b7 1 video"
    finally:
        library.close()


@pytest.mark.parametrize("grouping", list(Grouping))
@pytest.mark.parametrize("search", ["", "fox"])
def test_any_run_of_changes_ends_where_a_regroup_would(
    grouping: Grouping, search: str, qtbot: Any
) -> None:
    """Random arrivals, finishes and removals (takes of runs, several days, storyboards),
    each checked against a regrouping from scratch."""
    rng = random.Random(f"{grouping.value}-{search}")
    prompts = ["A red fox in snow", "A fox at dusk", "A harbour at night"]
    numbers = itertools.count()

    def fresh(state: TaskState = TaskState.SUCCEEDED) -> TaskRecord:
        number = next(numbers)
        created = NOW - rng.choice([0, 1, 3]) * DAY - rng.randrange(0, 3000)
        made = take(number, rng.randrange(1, 99), created, rng.choice(prompts))
        if rng.random() < 0.3:
            made = video(number, created, prompt=rng.choice(prompts))
        if state is not TaskState.SUCCEEDED:
            made = made.evolve(state=state, files=())
        return made

    library = Library([fresh() for _ in range(12)], qtbot)
    try:
        library.gallery.follow_storyboards(library.boards.get)
        library.gallery.set_grouping(grouping)
        if search:
            library.proxy.set_search_text(search)
            qtbot.waitUntil(lambda: library.proxy.complete)
        library.settle()
        running: list[TaskRecord] = []
        for _ in range(40):
            tasks = library.model.tasks()
            roll = rng.random()
            if roll < 0.35:
                made = fresh()
                if rng.random() < 0.3:
                    library.boards[made.local_id] = rng.choice(["Fox film", "Harbour"])
                library.model.upsert(made)
            elif roll < 0.5:
                made = fresh(TaskState.PENDING)
                running.append(made)
                library.model.upsert(made)
            elif roll < 0.7 and running:
                task = running.pop(rng.randrange(len(running)))
                library.model.upsert(task.evolve(state=TaskState.SUCCEEDED, files=("/v/f.mp4",)))
            elif tasks:
                library.model.upsert(rng.choice(tasks).evolve(hidden=True))
            library.check_in_place()
    finally:
        library.close()
