"""The Help menu: About with the versions, and the log and library folders opened."""

from __future__ import annotations

import platform
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, QUrl, Slot, qVersion
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot

import veo_desktop
from veo_desktop.core.paths import AppPaths
from veo_desktop.ui.help_menu import build_help_menu


class _Opened(QObject):
    """Stands in for the file manager: records the URLs Qt was asked to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    return AppPaths.resolve(tmp_path / "data").ensure()


@pytest.fixture
def window(qtbot: QtBot, paths: AppPaths) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.menuBar().addMenu(build_help_menu(window, paths))
    return window


@pytest.fixture
def file_manager() -> Iterator[_Opened]:
    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    yield opened
    QDesktopServices.unsetUrlHandler("file")


def _action(window: QMainWindow, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def test_the_menu_holds_the_three_entries(window: QMainWindow) -> None:
    (menu_action,) = window.menuBar().actions()
    assert menu_action.text() == "&Help"
    menu = menu_action.menu()
    names = [action.objectName() for action in menu.actions() if not action.isSeparator()]
    assert names == [
        "keyboardShortcutsAction",
        "openLogFolderAction",
        "openLibraryFolderAction",
        "aboutAction",
    ]
    assert all(action.statusTip() for action in menu.actions() if not action.isSeparator())


def test_about_names_the_app_qt_pyside_and_python_versions(
    window: QMainWindow, qtbot: QtBot
) -> None:
    _action(window, "aboutAction").trigger()
    box = window.findChild(QMessageBox, "aboutDialog")
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    text = box.text()
    for expected in (
        f"Veo Desktop {veo_desktop.__version__}",
        f"<td>{qVersion()}</td>",
        f"<td>{pyside_version}</td>",
        platform.python_version(),
    ):
        assert expected in text
    assert box.windowTitle() == "About Veo Desktop"
    box.accept()


def test_about_shows_the_app_icon(window: QMainWindow, qtbot: QtBot, qapp: QApplication) -> None:
    from veo_desktop.resources import app_icon

    previous = qapp.windowIcon()
    qapp.setWindowIcon(app_icon())
    try:
        _action(window, "aboutAction").trigger()
        box = window.findChild(QMessageBox, "aboutDialog")
        assert box is not None
        assert not box.iconPixmap().isNull()
        box.accept()
    finally:
        qapp.setWindowIcon(previous)


def test_open_log_folder_opens_the_log_directory(
    window: QMainWindow, paths: AppPaths, file_manager: _Opened
) -> None:
    _action(window, "openLogFolderAction").trigger()
    assert [Path(url.toLocalFile()) for url in file_manager.urls] == [paths.log_dir]


def test_open_library_folder_creates_it_first(
    window: QMainWindow, paths: AppPaths, file_manager: _Opened
) -> None:
    assert not paths.library_dir.exists()
    _action(window, "openLibraryFolderAction").trigger()
    assert paths.library_dir.is_dir()
    assert [Path(url.toLocalFile()) for url in file_manager.urls] == [paths.library_dir]


def test_a_folder_that_cannot_be_made_is_explained(
    qtbot: QtBot, tmp_path: Path, file_manager: _Opened
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the library should be")
    paths = AppPaths(
        data_dir=tmp_path,
        config_dir=tmp_path,
        cache_dir=tmp_path,
        log_dir=tmp_path,
        library_dir=blocker / "videos",
    )
    window = QMainWindow()
    qtbot.addWidget(window)
    window.menuBar().addMenu(build_help_menu(window, paths))
    _action(window, "openLibraryFolderAction").trigger()
    box = window.findChild(QMessageBox, "openFolderProblem")
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert str(blocker / "videos") in box.text()
    assert file_manager.urls == []
    box.accept()
