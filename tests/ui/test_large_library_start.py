"""A window with a large library shows its workspace before the older tasks are read.

The real window opens a session with a key against the simulator, on a real store of a few
thousand tasks, most of them older than the first load (``RecordBook``'s ``recent_first``):
the workspace lists the newest tasks at once, every task once the session has started, and
an action that must see every task waits for them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_record_book_loading import Library
from tests.e2e.helpers import make_window_fixture, wait_started  # noqa: F401 (a fixture)
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.paths import AppPaths
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.tasks.columns import LOCAL_ID_ROLE
from veo_desktop.ui.window.main_window import MainWindow
from veo_desktop.ui.workspace import FIRST_PAGE


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
    make_window: Callable[..., MainWindow], sim: Any, data: Path
) -> tuple[Library, MainWindow]:
    """A window opened with a key on a library of 3,020 tasks, most of them old."""
    library = Library(AppPaths.resolve(data).ensure().store_path, time.time())
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


def wait_listed(qtbot: Any, window: MainWindow, count: int) -> None:
    """Wait until the window's task list lists ``count`` tasks."""

    def listed() -> None:
        assert window.task_panel is not None
        assert window.task_panel.model.rowCount() == count

    qtbot.waitUntil(listed)


def test_the_workspace_lists_the_newest_tasks_first_and_every_task_once_started(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    session = window.session
    assert session is not None and window.task_panel is not None
    qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.isVisible())
    # The workspace is up while the older tasks are still being read.
    assert not session.controller.tasks_complete
    listed = window.task_panel.model.rowCount()
    assert FIRST_PAGE <= listed < len(library.everything)
    top = window.task_panel.proxy.index(0, 0).data(LOCAL_ID_ROLE)
    assert top == library.recent[-1].local_id  # the newest first
    loading = "\u00b7 loading older tasks\u2026"
    assert window.task_panel.count_label.text().endswith(loading)
    window.task_panel.fill_rest()  # as the workspace does after its first paint
    assert window.task_panel.model.rowCount() < len(library.everything)
    assert window.task_panel.count_label.text().endswith(loading)
    assert not session.engine.started

    gate.set()
    wait_started(qtbot, window)
    assert session.controller.tasks_complete
    wait_listed(qtbot, window, len(library.everything))
    assert window.task_panel.count_label.text().startswith("3,020 tasks")
    assert "loading" not in window.task_panel.count_label.text()


def test_an_action_that_must_see_every_task_waits_for_them(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
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
    assert said == ["Reading the rest of your library first…"]
    gate.set()
    qtbot.waitUntil(lambda: seen != [])
    assert seen == [len(library.everything)]
    controller.when_all_loaded(lambda: seen.append(-1), name="test")  # now: at once
    assert seen == [len(library.everything), -1]
    wait_started(qtbot, window)


def test_a_library_that_cannot_be_read_says_so_and_offers_to_try_again(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    """The older tasks cannot be read (the disk went away): the window says so, with
    "Try again", instead of keeping a workspace whose tasks are never polled."""
    library, window = large
    away = library.path.rename(library.path.with_name("elsewhere.sqlite3"))
    gate.set()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.message_page)
    assert window.message_page.title.text() == "The workspace could not open"
    assert window.message_page.button.text() == "Try again"
    assert window.session is None
    away.rename(library.path)
    window.message_page.button.click()
    wait_started(qtbot, window)
    wait_listed(qtbot, window, len(library.everything))


def test_every_task_is_listed_even_when_the_newest_are_mostly_hidden(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    gate: threading.Event,
) -> None:
    """What the first load read fits the first page once removed tasks are left out: the
    older tasks are listed all the same once loaded."""
    data = tmp_path / "data"
    path = AppPaths.resolve(data).ensure().store_path
    library = Library(path, time.time())
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "UPDATE tasks SET hidden = 1 WHERE local_id IN "
            "(SELECT local_id FROM tasks ORDER BY created_at DESC LIMIT 950)"
        )
    db.close()
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=data)
    window.show()
    window.open_with_key(SIM_API_KEY, source=window.key_source)
    gate.set()
    wait_started(qtbot, window)
    shown = len(library.everything) - 950
    wait_listed(qtbot, window, shown)
    assert window.task_panel is not None
    assert "loading" not in window.task_panel.count_label.text()


def test_generate_while_the_library_loads_waits_and_sends_once(
    large: tuple[Library, MainWindow], sim: Any, qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    session = window.session
    assert session is not None
    controller = session.controller
    failures: list[tuple[str, str]] = []
    controller.submit_failed.connect(lambda field, text: failures.append((field, text)))
    job = controller.run(controller.submit(GenerationRequest(prompt="A fox at dawn")), name="t")
    qtbot.waitUntil(lambda: not session.controller.tasks_complete)
    assert not job.done()  # it waits for the tasks, it is not refused
    assert sim.created_task_ids == []
    gate.set()
    qtbot.waitUntil(job.done, timeout=20_000)
    task = job.result()
    assert task is not None and failures == []
    assert sim.created_task_ids == [task.apixo_task_id]
    assert len(controller.tasks(include_hidden=True)) == len(library.everything) + 1


def test_signing_out_while_the_library_loads_tells_of_no_failure(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    _library, window = large
    failed: list[tuple[str, str]] = []
    window.sessions.job_failed.connect(lambda what, text: failed.append((what, text)))
    first = window.session
    assert first is not None
    qtbot.waitUntil(lambda: not first.engine.started and first.engine.tasks_complete is False)
    closing = window.run(window.close_session(), "Signing out")
    gate.set()
    qtbot.waitUntil(closing.done, timeout=20_000)
    qtbot.waitUntil(lambda: not window.sessions.jobs)  # the start's job has ended too
    assert failed == []
    assert window.stack.currentWidget() is not window.message_page


def test_opening_another_session_while_the_library_loads_tells_of_no_failure(
    large: tuple[Library, MainWindow], qtbot: Any, gate: threading.Event
) -> None:
    library, window = large
    failed: list[tuple[str, str]] = []
    window.sessions.job_failed.connect(lambda what, text: failed.append((what, text)))
    first = window.session
    window.open_with_key(SIM_API_KEY, source=window.key_source)  # the key again: a switch
    gate.set()
    qtbot.waitUntil(lambda: window.session is not None and window.session is not first)
    wait_started(qtbot, window)
    wait_listed(qtbot, window, len(library.everything))
    qtbot.waitUntil(lambda: not window.sessions.jobs)  # the first start's job ended too
    assert failed == []
