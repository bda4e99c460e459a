"""The whole journey through the real window, against the simulator over loopback.

Type a prompt, pick options, drop images onto slots (the demo upload), generate, watch the
row go through its states to ``succeeded``, preview it, save a copy, compare the bytes; then
restart with a task in flight and watch it resume.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QPlainTextEdit, QPushButton, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    drop,
    make_window_fixture,
    submits,
    wait_started,
    write_image,
)
from tests.fixtures.recipe import assert_carries_recipe
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.ui.window.main_window import MainWindow

STATE_ROLE = Qt.ItemDataRole.UserRole + 1


def child(window: MainWindow, kind: type[Any], name: str) -> Any:
    found = window.findChild(kind, name)
    assert found is not None, name
    return found


def states_in(view: QAbstractItemView) -> list[str]:
    model = view.model()
    return [str(model.data(model.index(row, 0), STATE_ROLE)) for row in range(model.rowCount())]


def select(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_compose_generate_track_preview_save(
    make_window: Callable[..., MainWindow], sim: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1280, 800)
    window.show()
    wait_started(qtbot, window)

    prompt = child(window, QPlainTextEdit, "promptEdit")
    qtbot.keyClicks(prompt, "A paper boat drifts down a rainy street")
    select(child(window, QComboBox, "generationTypeSelector"), "FIRST_AND_LAST_FRAMES_2_VIDEO")
    select(child(window, QComboBox, "modeSelector"), "quality")
    select(child(window, QComboBox, "aspectRatioSelector"), "9:16")
    first = child(window, QWidget, "firstFrameSlot")
    last = child(window, QWidget, "lastFrameSlot")
    assert drop(first, urls=[str(write_image(tmp_path / "start.png", width=90, height=160))])
    assert drop(last, urls=[str(write_image(tmp_path / "end.jpg", width=90, height=160))])
    generate = child(window, QPushButton, "generateButton")
    qtbot.waitUntil(generate.isEnabled, timeout=10_000)

    view = child(window, QAbstractItemView, "taskView")
    seen: list[str] = []

    def on_data_changed(top: QModelIndex, *_args: Any) -> None:
        state = str(view.model().data(view.model().index(top.row(), 0), STATE_ROLE))
        if not seen or seen[-1] != state:
            seen.append(state)

    view.model().dataChanged.connect(on_data_changed)
    view.model().rowsInserted.connect(lambda *_: seen.append(states_in(view)[0]))
    generate.click()
    qtbot.waitUntil(lambda: states_in(view) == ["succeeded"], timeout=30_000)

    assert seen[-1] == "succeeded"
    assert "pending" in seen or "processing" in seen
    assert seen.index("downloading") < seen.index("succeeded")
    sent = submits(sim)
    assert len(sent) == 1
    body = sent[0].body["input"]
    assert body["mode"] == "quality" and body["aspect_ratio"] == "9:16"
    assert body["generationType"] == "FIRST_AND_LAST_FRAMES_2_VIDEO"
    assert [u.startswith(sim.origin + "/sim/files/") for u in body["image_urls"]] == [True, True]
    assert [u == s.url for u, s in zip(body["image_urls"], (first, last), strict=True)] == [
        True,
        True,
    ]

    session = window.session
    assert session is not None
    task = session.controller.tasks()[0]
    assert task.files
    video = Path(task.files[0])
    assert video.is_file() and video.parent == session.library_dir

    panel = window.task_panel
    assert panel is not None
    panel.select_task(task.local_id)
    player = child(window, QMediaPlayer, "previewPlayer")
    loaded = {
        QMediaPlayer.MediaStatus.LoadedMedia,
        QMediaPlayer.MediaStatus.BufferedMedia,
        QMediaPlayer.MediaStatus.BufferingMedia,
        QMediaPlayer.MediaStatus.EndOfMedia,
    }
    qtbot.waitUntil(lambda: player.mediaStatus() in loaded, timeout=15_000)
    assert Path(player.source().toLocalFile()) == video

    preview = window.preview_panel
    assert preview is not None
    copy = tmp_path / "saved" / "my video.mp4"
    copy.parent.mkdir()
    job = preview.save_to(copy)
    assert job is not None
    qtbot.waitUntil(job.done, timeout=10_000)
    assert_carries_recipe(copy, video, task)

    assert window.status.balance_label.text() == "Balance $98.50"
    qtbot.waitUntil(lambda: window.status.spend_item.label.text() == "Today $1.50")


def test_tasks_in_flight_resume_after_a_restart(
    make_window: Callable[..., MainWindow],
    sim_factory: Any,
    arun: Callable[..., Any],
    qtbot: Any,
    tmp_path: Path,
) -> None:
    sim = sim_factory(duration=2.5)
    data = tmp_path / "data"
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    window.show()
    wait_started(qtbot, window)
    compose = window.compose_panel
    assert compose is not None
    compose.prompt_edit.setPlainText("still rendering when the window closes")
    with qtbot.waitSignal(compose.submitted, timeout=10_000):
        compose.generate()
    view = child(window, QAbstractItemView, "taskView")
    qtbot.waitUntil(lambda: states_in(view)[0] in ("pending", "processing"))
    close_window(window, arun)

    again = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    again.show()
    view = child(again, QAbstractItemView, "taskView")
    assert states_in(view)[0] in ("pending", "processing")
    qtbot.waitUntil(lambda: states_in(view) == ["succeeded"], timeout=30_000)
    assert len(submits(sim)) == 1
