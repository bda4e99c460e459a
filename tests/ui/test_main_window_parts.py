"""The parts the main window delegates to: the session manager, the menu table, the
window-state keeper, the drop-to-restore filter and the workspace's deferred panels.

Real parts throughout: the simulator, real sqlite, real Qt widgets; waits are on conditions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from tests.e2e.helpers import test_settings as fast_settings
from tests.e2e.test_creative_journey import dispatch_drop
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.ui.window import menus
from veo_desktop.ui.window.drop_restore import DropRestoreFilter, restorable_file
from veo_desktop.ui.window.main_window import MainWindow
from veo_desktop.ui.window.session_manager import SessionManager
from veo_desktop.ui.window.window_state import WINDOW_STATE_KEY, decode, encode

# -- the session manager ----------------------------------------------------------------------


def test_the_session_manager_opens_starts_switches_and_closes_sessions(
    sim: Any, tmp_path: Path, qtbot: Any, arun: Callable[..., Any]
) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    settings = fast_settings()
    manager = SessionManager(paths=paths, settings=lambda: settings, base_url=lambda: sim.base_url)
    opened: list[Any] = []
    started: list[Any] = []
    closing: list[Any] = []
    closed: list[bool] = []
    manager.opened.connect(opened.append)
    manager.started.connect(started.append)
    manager.closing.connect(closing.append)
    manager.closed.connect(lambda: closed.append(True))

    manager.open_with_key(SIM_API_KEY, source=KeySource.SESSION)
    first = manager.session
    assert first is not None and opened == [first]  # built at once, started in the background
    qtbot.waitUntil(lambda: started == [first], timeout=15_000)
    assert first.engine.started
    assert manager.key_source is KeySource.SESSION and manager.session_key == SIM_API_KEY

    # A second open closes the first (closing before its parts close), then opens anew.
    manager.open_with_key(SIM_API_KEY, source=KeySource.ENVIRONMENT)
    qtbot.waitUntil(lambda: len(started) == 2, timeout=15_000)
    second = manager.session
    assert second is not None and second is not first
    assert closing == [first] and closed == [True] and first.closed
    assert opened == [first, second]

    arun(manager.aclose())
    assert manager.session is None and second.closed
    assert closing == [first, second]
    manager.open_with_key(SIM_API_KEY, source=KeySource.SESSION)  # shut down: opens nothing
    assert manager.session is None


def test_the_session_manager_says_why_a_session_could_not_open(
    tmp_path: Path, qtbot: Any, arun: Callable[..., Any]
) -> None:
    paths = AppPaths.resolve(tmp_path / "data")
    manager = SessionManager(
        paths=paths, settings=Settings, base_url=lambda: "ftp://nowhere.example"
    )
    failed: list[tuple[str, str, bool]] = []
    manager.failed.connect(lambda title, text, retry: failed.append((title, text, retry)))
    manager.open_with_key(SIM_API_KEY, source=KeySource.SESSION)
    assert manager.session is None
    assert [(title, retry) for title, _, retry in failed] == [
        ("The workspace could not open", False)
    ]
    assert failed[0][1]  # the reason, in words
    arun(manager.aclose())


def test_a_failing_job_of_the_window_is_reported(qtbot: Any, arun: Callable[..., Any]) -> None:
    manager = SessionManager(
        paths=AppPaths.resolve(Path("/nonexistent")), settings=Settings, base_url=lambda: ""
    )
    reported: list[tuple[str, str]] = []
    manager.job_failed.connect(lambda name, text: reported.append((name, text)))

    async def broken() -> None:
        raise OSError("the disk is gone")

    job = arun(_started(manager, broken()))
    qtbot.waitUntil(job.done)
    qtbot.waitUntil(lambda: reported == [("Doing a thing", "the disk is gone")])
    assert manager.jobs == frozenset()
    arun(manager.aclose())


async def _started(manager: SessionManager, coro: Any) -> Any:
    return manager.run(coro, "Doing a thing")


# -- the menu table ---------------------------------------------------------------------------


def test_every_action_in_the_table_is_on_the_window_with_its_name_tip_and_menu(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    in_menus = {
        action.objectName()
        for menu in window.menuBar().findChildren(type(window.task_menu))
        for action in menu.actions()
    }
    for spec in menus.ACTIONS:
        action = getattr(window, spec.attr)
        assert action.objectName() == spec.object_name
        assert action.statusTip() == spec.tip and action.toolTip() == spec.tip
        assert action in window.actions()  # shortcuts work with the menu bar hidden
        assert spec.object_name in in_menus, spec.object_name
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == [*(menu.text for menu in menus.MENUS), "Story&board", "&Help"]
    assert window.generate_action.shortcuts()[1].toString() == "Ctrl+Enter"
    # Without a session only what needs none is enabled.
    for spec in menus.ACTIONS:
        assert getattr(window, spec.attr).isEnabled() == (not spec.needs_session), spec.attr
    assert not window.task_menu.isEnabled() and not window.prompts_menu.isEnabled()


def test_a_table_slot_may_name_a_part_of_the_window(qapp: Any) -> None:
    window = QMainWindow()
    calls: list[str] = []

    class Part:
        def act(self) -> None:
            calls.append("part")

    window.part = Part()  # type: ignore[attr-defined]
    spec = menus.ActionSpec("x", "xAction", "&X", "Ctrl+Shift+X", "Do x", slot="part.act")
    action = menus.make_action(window, spec)
    action.trigger()
    assert calls == ["part"]
    assert action.shortcut().toString() == "Ctrl+Shift+X"
    window.deleteLater()


# -- the window-state keeper ------------------------------------------------------------------


def test_the_window_remembers_its_geometry_and_the_splitter_the_person_moved(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
) -> None:
    data = tmp_path / "data"
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    window.resize(1100, 700)
    window.show()
    wait_started(qtbot, window)
    workspace = window.workspace
    assert workspace is not None
    workspace.splitter.setSizes([300, 500, 300])
    workspace.splitter.splitterMoved.emit(300, 1)  # as a drag of the handle does
    sizes = workspace.splitter.sizes()
    close_window(window, arun)
    saved = Settings.load(AppPaths.resolve(data)).extra[WINDOW_STATE_KEY]
    assert set(saved) == {"geometry", "splitter", "task_columns", "task_views"}

    # fast=False: keep the settings file the first window saved.
    again = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data, fast=False)
    # Restored (800 at the first start); the offscreen screen is narrower than the
    # window's minimum width, so only the height can show it.
    assert again.height() == 700
    again.show()
    wait_started(qtbot, again)
    assert again.workspace is not None and again.workspace.user_sized
    # The composer keeps its width; the narrower window shrinks the other two.
    assert again.workspace.splitter.sizes()[0] == sizes[0]


def test_geometry_text_that_is_not_base64_is_ignored() -> None:
    assert decode("not base64!").isEmpty()
    assert bytes(decode(encode(decode("AAEC"))).data()) == b"\x00\x01\x02"


# -- drop to restore --------------------------------------------------------------------------


def _mime(*paths: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    return mime


def test_only_one_local_video_or_json_is_restorable(tmp_path: Path) -> None:
    assert restorable_file(_mime(str(tmp_path / "a.MP4"))) == tmp_path / "a.MP4"
    assert restorable_file(_mime(str(tmp_path / "a.json"))) == tmp_path / "a.json"
    assert restorable_file(_mime(str(tmp_path / "a.png"))) is None
    assert restorable_file(_mime(str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4"))) is None
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.com/a.mp4")])
    assert restorable_file(remote) is None
    assert restorable_file(QMimeData()) is None


def test_the_filter_takes_restorable_drops_only_while_accepting(qapp: Any, tmp_path: Path) -> None:
    accepting = [False]
    drops = DropRestoreFilter(lambda: accepting[0])
    requested: list[Path] = []
    drops.restore_requested.connect(requested.append)
    target = QLabel("drop here")
    target.setAcceptDrops(True)
    drops.watch([target])
    video = tmp_path / "clip.mp4"

    assert not dispatch_drop(target, video)  # a label ignores drops, and no session yet
    accepting[0] = True
    assert dispatch_drop(target, video)
    assert requested == [video]
    assert not dispatch_drop(target, tmp_path / "notes.txt")
    drops.unwatch_all()
    assert not dispatch_drop(target, video)
    assert requested == [video]
    target.deleteLater()


def test_the_window_itself_takes_a_dropped_video_only_with_a_session(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    mime = _mime(str(tmp_path / "clip.mp4"))
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.event(enter)
    assert not enter.isAccepted()


# -- the workspace's deferred panels -----------------------------------------------------------


def test_the_workspace_is_usable_before_its_preview_and_history_are_built(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    workspace = window.workspace
    assert workspace is not None
    # Built, not yet painted: the composer and the task list are there, the rest waits.
    assert workspace.findChild(QWidget, "previewPlaceholder") is not None
    assert workspace.findChild(QWidget, "historyPlaceholder") is not None
    assert not workspace.preview_is_built
    usable: list[Any] = []
    window.workspace_usable.connect(usable.append)
    built: list[str] = []
    workspace.preview_built.connect(lambda _panel: built.append("preview"))
    workspace.history_built.connect(lambda _panel: built.append("history"))
    window.show()
    qtbot.waitUntil(lambda: usable == [window.session], timeout=15_000)
    qtbot.waitUntil(lambda: built == ["preview", "history"], timeout=15_000)
    assert workspace.splitter.widget(2) is window.preview_panel
    assert workspace.middle.widget(1) is window.history_panel
    assert workspace.middle.tabText(1) == "&Prompts"
    assert workspace.middle.currentWidget() is window.task_panel
    wait_started(qtbot, window)


def test_asking_for_a_deferred_panel_builds_it_at_once(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    workspace = window.workspace
    assert workspace is not None
    placeholder = workspace.findChild(QWidget, "historyPlaceholder")
    assert placeholder is not None
    workspace.middle.setCurrentIndex(1)  # the person clicks the Prompts tab
    assert workspace.middle.currentWidget() is workspace.history_panel
    assert workspace.middle.indexOf(placeholder) == -1
    assert window.preview_panel is workspace.splitter.widget(2)
    wait_started(qtbot, window)


# -- start-up ---------------------------------------------------------------------------------


def test_a_key_in_the_environment_leaves_the_keyring_unread(
    monkeypatch: Any, arun: Callable[..., Any]
) -> None:
    from veo_desktop.core.key_source import API_KEY_ENV
    from veo_desktop.ui.app_loop import read_key

    def no_keyring() -> Any:
        raise AssertionError("the keyring was opened")

    monkeypatch.setenv(API_KEY_ENV, " from-env ")
    assert arun(read_key(no_keyring)) == ("from-env", KeySource.ENVIRONMENT)
    monkeypatch.delenv(API_KEY_ENV)
    with pytest.raises(AssertionError, match="the keyring was opened"):
        arun(read_key(no_keyring))


def test_start_up_pauses_the_garbage_collector_until_the_session_has_started(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
    monkeypatch: Any,
) -> None:
    import gc

    from veo_desktop.core.key_source import API_KEY_ENV
    from veo_desktop.ui import app_loop

    monkeypatch.setenv(API_KEY_ENV, SIM_API_KEY)
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    seen: dict[str, bool] = {}
    # Connected before _run connects resume_gc, so these see the collector still paused.
    window.workspace_usable.connect(lambda _s: seen.setdefault("usable", gc.isenabled()))
    window.session_started.connect(lambda _s: seen.setdefault("started", gc.isenabled()))
    window.session_started.connect(lambda _s: window.close())
    try:
        app_loop.pause_gc_for_startup()
        seen["paused"] = gc.isenabled()
        assert arun(app_loop._run(window, demo=False), timeout=30) == 0
    finally:
        gc.enable()
        gc.unfreeze()  # _run froze the start-up heap, as veo-desktop does
    assert seen == {"paused": False, "usable": False, "started": False}
    assert gc.isenabled()  # on again once the session has started
