"""The welcome sheet over the demo (issue 14, item 10): it offers to stay in the demo, not to
start it; it sits centred over the window; once closed it does not come back by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QAbstractButton, QLabel

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from veo_desktop.ui.window.main_window import MainWindow


def _button(window: MainWindow, name: str) -> QAbstractButton:
    sheet = window.welcome_sheet
    assert sheet is not None
    button = sheet.findChild(QAbstractButton, name)
    assert button is not None
    return button


def test_the_sheet_offers_to_continue_in_the_running_demo(
    make_window: Callable[..., MainWindow], tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=tmp_path)
    window.show()
    window.start_demo_with_welcome()
    sheet = window.welcome_sheet
    assert sheet is not None
    texts = [label.text() for label in sheet.findChildren(QLabel)]
    assert _button(window, "tryDemoButton").text() == "Continue in the demo"
    assert not any("Try the demo" in text for text in texts)
    wait_started(qtbot, window, timeout=30_000)


def test_the_sheet_stays_centred_over_the_window(
    make_window: Callable[..., MainWindow], tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=tmp_path)
    window.resize(900, 600)
    window.show()
    window.start_demo_with_welcome()
    sheet = window.welcome_sheet
    assert sheet is not None
    qtbot.waitExposed(sheet)

    def centred() -> None:
        here = sheet.frameGeometry().center()
        there = window.frameGeometry().center()
        assert abs(here.x() - there.x()) <= 2 and abs(here.y() - there.y()) <= 2, (here, there)

    qtbot.waitUntil(centred)
    window.resize(1400, 900)  # the window grows to its saved size after the sheet opened
    qtbot.waitUntil(centred)
    wait_started(qtbot, window, timeout=30_000)


def test_once_closed_the_sheet_does_not_come_back_by_itself(
    make_window: Callable[..., MainWindow], tmp_path: Path, qtbot: Any, arun: Any
) -> None:
    first = make_window(base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=tmp_path)
    first.show()
    first.start_demo_with_welcome()
    wait_started(qtbot, first, timeout=30_000)
    _button(first, "tryDemoButton").click()
    qtbot.waitUntil(lambda: first.welcome_sheet is None)
    close_window(first, arun)

    second = make_window(
        base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=tmp_path, fast=False
    )
    second.show()
    second.start_demo_with_welcome()
    wait_started(qtbot, second, timeout=30_000)
    assert second.welcome_sheet is None, "the second launch opens the demo alone"
    assert second.is_demo and second.banner.isVisible()
    second.banner.use_key_button.click()  # the way to a key is still one click away
    assert second.welcome_sheet is not None
