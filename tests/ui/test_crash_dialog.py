"""The excepthook: an unexpected error is logged and shown in a dialog a person can act on."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from veo_desktop import logs
from veo_desktop.ui import crash_dialog
from veo_desktop.ui.crash_dialog import CrashDialog, CrashReporter, install_excepthook

KEY = "apx-live-Zq8Lm3Nv5Rt7Wx9Yb2"
ROOT = Path(__file__).resolve().parents[2]


def _exc_info(message: str) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    def submit_the_task() -> None:
        raise RuntimeError(message)

    try:
        submit_the_task()
    except RuntimeError as error:
        return type(error), error, error.__traceback__
    raise AssertionError("unreachable")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = logs.setup_logging(tmp_path / "logs", level=logging.DEBUG, secrets=[KEY])
    assert path is not None
    yield path
    logs.teardown_logging()
    logs.forget_secrets()


@pytest.fixture
def reporter(qapp: QApplication, log_file: Path) -> Iterator[CrashReporter]:
    hook = install_excepthook()
    yield hook
    hook.uninstall()
    if hook.dialog is not None:
        hook.dialog.close()  # finished -> the reporter lets go of it and deletes it
    assert hook.dialog is None
    hook.deleteLater()


def _shown(reporter: CrashReporter, qtbot: QtBot) -> CrashDialog:
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert dialog is not None
    return dialog


def _log_text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_an_uncaught_error_opens_a_dialog_saying_what_and_where(
    reporter: CrashReporter, qtbot: QtBot, log_file: Path
) -> None:
    sys.excepthook(*_exc_info(f"the server refused key {KEY}"))
    dialog = _shown(reporter, qtbot)
    assert dialog.objectName() == "crashDialog"
    assert dialog.summary_label.text() == "RuntimeError: the server refused key [REDACTED]"
    assert dialog.log_label.text() == f"Log file: {log_file}"
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Tasks you already submitted are saved" in texts
    assert KEY not in texts
    assert dialog.windowModality() == Qt.WindowModality.ApplicationModal


def test_copy_details_puts_the_redacted_traceback_on_the_clipboard(
    reporter: CrashReporter, qtbot: QtBot
) -> None:
    sys.excepthook(*_exc_info(f"Authorization: Bearer {KEY}"))
    dialog = _shown(reporter, qtbot)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.details
    assert "Traceback (most recent call last)" in copied
    assert "in submit_the_task" in copied
    assert "PySide6" in copied and "Python" in copied
    assert KEY not in copied
    assert "[REDACTED]" in copied
    assert dialog.copy_button.text() == "Copied"


def test_show_details_reveals_the_traceback(reporter: CrashReporter, qtbot: QtBot) -> None:
    sys.excepthook(*_exc_info("boom"))
    dialog = _shown(reporter, qtbot)
    assert not dialog.details_view.isVisible()
    qtbot.mouseClick(dialog.details_button, Qt.MouseButton.LeftButton)
    assert dialog.details_view.isVisible()
    assert "in submit_the_task" in dialog.details_view.toPlainText()


def test_the_traceback_goes_to_the_log_file_redacted(
    reporter: CrashReporter, qtbot: QtBot, log_file: Path
) -> None:
    sys.excepthook(*_exc_info(f"key {KEY} rejected"))
    _shown(reporter, qtbot)
    text = _log_text(log_file)
    assert "CRITICAL veo_desktop.crash" in text
    assert "Uncaught exception" in text
    assert "RuntimeError: key [REDACTED] rejected" in text
    assert KEY not in text


def test_errors_while_the_dialog_is_open_are_added_not_stacked(
    reporter: CrashReporter, qtbot: QtBot
) -> None:
    sys.excepthook(*_exc_info("first"))
    dialog = _shown(reporter, qtbot)
    sys.excepthook(*_exc_info("second"))
    sys.excepthook(*_exc_info("third"))
    assert reporter.dialog is dialog
    assert len([w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog)]) == 1
    assert dialog.more_label.text().startswith("2 more errors happened since")
    assert "RuntimeError: third" in dialog.details
    dialog.close_button.click()
    qtbot.waitUntil(lambda: reporter.dialog is None)
    sys.excepthook(*_exc_info("after closing"))
    assert _shown(reporter, qtbot).summary_label.text() == "RuntimeError: after closing"


def test_an_error_in_an_async_slot_reaches_the_dialog(
    reporter: CrashReporter, qtbot: QtBot, qloop: qasync.QEventLoop
) -> None:
    class Button(QObject):
        @qasync.asyncSlot()
        async def on_clicked(self) -> None:
            raise ValueError(f"async failure with {KEY}")

    button = Button()
    button.on_clicked()
    dialog = _shown(reporter, qtbot)
    assert dialog.summary_label.text() == "ValueError: async failure with [REDACTED]"


def test_an_error_in_a_thread_is_logged_and_shown(
    reporter: CrashReporter, qtbot: QtBot, log_file: Path
) -> None:
    def work() -> None:
        raise OSError(f"disk full while saving {KEY}")

    thread = threading.Thread(target=work, name="saver")
    thread.start()
    thread.join()
    dialog = _shown(reporter, qtbot)
    assert dialog.summary_label.text() == "OSError: disk full while saving [REDACTED]"
    assert "Uncaught exception in thread saver" in _log_text(log_file)


def test_a_failing_hook_falls_back_to_stderr_without_recursing(
    reporter: CrashReporter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the dialog cannot be built")

    monkeypatch.setattr(crash_dialog.CrashDialog, "__init__", broken)
    sys.excepthook(*_exc_info(f"original {KEY}"))
    err = capsys.readouterr().err
    assert "the dialog cannot be built" in err
    assert "RuntimeError: original [REDACTED]" in err
    assert KEY not in err
    assert reporter.dialog is None
    sys.excepthook(*_exc_info("next one is handled again"))
    assert "next one is handled again" in capsys.readouterr().err


def test_keyboard_interrupt_is_not_a_crash(
    reporter: CrashReporter, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        sys.excepthook(type(interrupt), interrupt, interrupt.__traceback__)
    assert reporter.dialog is None
    assert "KeyboardInterrupt" in capsys.readouterr().err


def test_open_log_folder_shows_the_folder(
    reporter: CrashReporter, qtbot: QtBot, log_file: Path
) -> None:
    opened: list[QUrl] = []

    class Catcher(QObject):
        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            opened.append(url)

    catcher = Catcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        sys.excepthook(*_exc_info("x"))
        dialog = _shown(reporter, qtbot)
        qtbot.mouseClick(dialog.open_log_button, Qt.MouseButton.LeftButton)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(url.toLocalFile()) for url in opened] == [log_file.parent]


def test_uninstall_restores_the_previous_hooks(qapp: QApplication) -> None:
    before = (sys.excepthook, threading.excepthook)
    hook = install_excepthook(log_file=lambda: None)
    assert sys.excepthook == hook.excepthook
    hook.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    hook.deleteLater()


def test_without_a_window_the_traceback_goes_to_stderr_and_the_log(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "from veo_desktop import logs\n"
        "from veo_desktop.ui.crash_dialog import install_excepthook\n"
        f"logs.setup_logging(Path({str(tmp_path)!r}), secrets=[{KEY!r}])\n"
        "install_excepthook()\n"
        f"raise ConnectionError('lost the server with key ' + {KEY!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 1
    assert "Veo Desktop: unexpected error" in result.stderr
    assert f"details in {tmp_path / logs.LOG_FILE_NAME}" in result.stderr
    assert "ConnectionError: lost the server with key [REDACTED]" in result.stderr
    assert KEY not in result.stderr
    logged = (tmp_path / logs.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "ConnectionError: lost the server with key [REDACTED]" in logged
    assert KEY not in logged


def test_sys_excepthook_called_off_the_gui_thread_shows_the_dialog_on_it(
    reporter: CrashReporter, qtbot: QtBot
) -> None:
    """A Qt slot running in a worker thread reports through sys.excepthook there."""
    worker = threading.Thread(target=lambda: sys.excepthook(*_exc_info("from a worker")))
    worker.start()
    worker.join()
    dialog = _shown(reporter, qtbot)
    assert dialog.thread() is QApplication.instance().thread()  # type: ignore[union-attr]
    assert dialog.summary_label.text() == "RuntimeError: from a worker"


HOSTILE = "\x1b[2Jbad <b>answer</b>\r\u202etxt.exe\nINFO fine"


def test_server_text_in_an_error_is_shown_escaped_and_as_plain_text(
    reporter: CrashReporter, qtbot: QtBot
) -> None:
    sys.excepthook(*_exc_info(f"APIXO said {HOSTILE} {KEY}"))
    dialog = _shown(reporter, qtbot)
    summary = dialog.summary_label.text()
    assert summary == "RuntimeError: APIXO said \\x1b[2Jbad <b>answer</b>\\r\\u202etxt.exe"
    assert dialog.summary_label.textFormat() == Qt.TextFormat.PlainText  # <b> is not bold
    assert dialog.log_label.textFormat() == Qt.TextFormat.PlainText
    details = dialog.details
    for char in ("\x1b", "\r", "\u202e"):
        assert char not in details
    assert "bad <b>answer</b>\\r\\u202etxt.exe\nINFO fine [REDACTED]" in details
    assert KEY not in details
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert "\x1b" not in QGuiApplication.clipboard().text()


def test_without_a_window_stderr_gets_no_control_characters(tmp_path: Path) -> None:
    code = (
        "from veo_desktop.ui.crash_dialog import install_excepthook\n"
        "install_excepthook()\n"
        f"raise ConnectionError({HOSTILE!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=False,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 1
    assert b"ConnectionError: \\x1b[2Jbad" in result.stderr
    assert b"\x1b" not in result.stderr and b"\r" not in result.stderr
    assert "\u202e".encode() not in result.stderr
