"""Desktop notifications when tasks end while the window is not active."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from tests.fixtures.qt import settle_controller
from tests.ui import tasks_support
from tests.ui.tasks_support import EngineEnv, make_record
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.ui import notifications
from veo_desktop.ui.notifications import TaskNotifier, compose

engine_env = tasks_support.engine_env


def notifier_for(
    engine_env: EngineEnv, qtbot: Any, *, active: bool
) -> tuple[TaskNotifier, list[tuple[str, str]]]:
    window = QWidget()
    qtbot.addWidget(window)
    notifier = TaskNotifier(
        engine_env.controller, window, QIcon(), window, is_active=lambda: active
    )
    posted: list[tuple[str, str]] = []
    notifier.notification_posted.connect(lambda title, text: posted.append((title, text)))
    return notifier, posted


def test_a_finished_task_is_announced_when_the_window_is_not_active(
    engine_env: EngineEnv, qtbot: Any
) -> None:
    notifier, posted = notifier_for(engine_env, qtbot, active=False)
    engine_env.finished("A lighthouse at dusk")
    qtbot.waitUntil(lambda: bool(posted), timeout=5000)
    assert posted == [
        ("Video ready", "\u201cA lighthouse at dusk\u201d is saved and ready to preview.")
    ]
    # Offscreen there is no tray: the message is decided, nothing breaks.
    assert notifier.tray_available == QSystemTrayIcon.isSystemTrayAvailable()


def test_nothing_is_announced_while_the_person_is_looking(
    engine_env: EngineEnv, qtbot: Any
) -> None:
    notifier, posted = notifier_for(engine_env, qtbot, active=True)
    engine_env.finished()
    settle_controller(engine_env.arun, engine_env.controller)
    notifier.flush()
    assert posted == []


def test_tasks_ending_together_make_one_message(
    engine_env: EngineEnv, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Together" is within the coalescing pause; on a busy machine the simulator's two tasks
    # may end further apart than the real pause, so the test makes it long.
    monkeypatch.setattr(notifications, "COALESCE_MS", 600_000)
    notifier, posted = notifier_for(engine_env, qtbot, active=False)
    first = engine_env.submit("One")
    second = engine_env.submit("Two #sensitive")
    engine_env.wait_state(first.local_id, TaskState.SUCCEEDED)
    engine_env.wait_state(second.local_id, TaskState.FAILED)
    notifier.flush()
    assert len(posted) == 1
    title, text = posted[0]
    assert title == "1 video ready, 1 failed"
    assert "\u2022 One" in text and "\u2022 Two #sensitive" in text


def test_disabled_notifications_stay_quiet(engine_env: EngineEnv, qtbot: Any) -> None:
    notifier, posted = notifier_for(engine_env, qtbot, active=False)
    notifier.enabled = False
    engine_env.finished()
    notifier.flush()
    assert posted == []


def test_messages_read_well() -> None:
    failed = make_record(
        0,
        state=TaskState.FAILED,
        prompt="Knights",
        fail_code="SensitiveContent",
        fail_message="Flagged",
    )
    assert compose([failed]) == ("Video failed", "\u201cKnights\u201d: SensitiveContent: Flagged")
    uncertain = make_record(1, state=TaskState.UNCERTAIN, prompt="Storm")
    assert compose([uncertain])[0] == "Submission uncertain"
    many = [make_record(i, prompt=f"Clip {i}") for i in range(6)]
    title, text = compose(many)
    assert title == "6 videos ready"
    assert text.endswith("\u2026 and 2 more")
