"""Unexpected errors: logged with their traceback, then shown in a dialog a person can act on.

:func:`install_excepthook` replaces ``sys.excepthook`` (which PySide6 slots and qasync's
``asyncSlot`` call on an uncaught exception) and ``threading.excepthook``. For each error it

1. logs the traceback (through the redaction filter) to the log file;
2. shows a :class:`CrashDialog`: what happened, that submitted tasks are safe, where the log
   is, and "Copy details" (the traceback and versions, with every secret redacted).

The dialog is opened without a nested event loop (``show()``, never ``exec()``), so it is
safe inside an ``asyncSlot``. While it is open, further errors are logged and counted in it
instead of stacking dialogs; an error inside the hook itself is written to stderr, never
handled again. Without a QApplication (the command line, or before the window exists) the
redacted traceback goes to stderr.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, QThread, QUrl, Signal, Slot, qVersion
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from veo_desktop import __version__, logs
from veo_desktop.safe_text import safe, safe_block

log = logging.getLogger("veo_desktop.crash")

APP_NAME: Final = "Veo Desktop"
_SUMMARY_LIMIT: Final = 400

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
LogFileSource = Callable[[], Path | None]
SysHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadHook = Callable[[threading.ExceptHookArgs], object]


def describe_exception(exc: BaseException) -> str:
    """One safe line: ``ValueError: the message`` (its first line, redacted, control
    characters escaped, shortened when long)."""
    message = str(exc).strip().split("\n")[0]
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return safe(text, _SUMMARY_LIMIT)


def environment_lines() -> list[str]:
    """App, Python, PySide6, Qt and OS versions, for bug reports."""
    return [
        f"{APP_NAME} {__version__}",
        f"Python {platform.python_version()} ({sys.executable})",
        f"PySide6 {pyside_version}, Qt {qVersion()}",
        f"{platform.platform()}",
    ]


def crash_details(exc_info: ExcInfo, *, log_file: Path | None, when: datetime) -> str:
    """The text "Copy details" puts on the clipboard: versions, log path, traceback; redacted,
    and every control character but the line breaks escaped."""
    lines = [
        f"{APP_NAME} ran into an unexpected error at {f'{when:%Y-%m-%d %H:%M:%S %z}'.strip()}.",
        *environment_lines(),
        f"Log file: {log_file if log_file else 'none (logging to a file is off)'}",
        "",
        "".join(traceback.format_exception(*exc_info)).rstrip("\n"),
    ]
    return safe_block("\n".join(lines))


class CrashDialog(QDialog):
    """What went wrong, where the log is, and buttons to copy the details or open the log."""

    def __init__(
        self,
        summary: str,
        details: str,
        log_file: Path | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(f"{APP_NAME} - unexpected error")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._details = details
        self._log_file = log_file
        self._extra_errors = 0

        icon = QLabel(self)
        style = self.style()
        icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        title = QLabel(f"{APP_NAME} ran into a problem it did not expect.", self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        title.setWordWrap(True)

        self.summary_label = QLabel(summary, self)
        self.summary_label.setObjectName("crashSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)  # server text is not HTML
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        advice = QLabel(
            "Tasks you already submitted are saved and keep going; nothing is sent twice. "
            "If the app misbehaves from here on, quit and start it again. To report the "
            'problem, use "Copy details" and paste them into your report.',
            self,
        )
        advice.setWordWrap(True)

        where = str(log_file) if log_file else "not written (logging to a file is off)"
        self.log_label = QLabel(f"Log file: {where}", self)
        self.log_label.setObjectName("crashLogPath")
        self.log_label.setTextFormat(Qt.TextFormat.PlainText)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.more_label = QLabel(self)
        self.more_label.setObjectName("crashMoreErrors")
        self.more_label.setWordWrap(True)
        self.more_label.hide()

        self.details_view = QPlainTextEdit(details, self)
        self.details_view.setObjectName("crashDetails")
        self.details_view.setReadOnly(True)
        self.details_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setMinimumHeight(180)
        self.details_view.setAccessibleName("Error details")
        self.details_view.hide()

        buttons = QDialogButtonBox(self)
        self.details_button = QPushButton("Show details", self)
        self.details_button.setObjectName("showDetailsButton")
        self.details_button.setCheckable(True)
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.setObjectName("copyDetailsButton")
        self.copy_button.setToolTip("Copy the error, the versions and the traceback (no API key)")
        self.open_log_button = QPushButton("Open log folder", self)
        self.open_log_button.setObjectName("openLogFolderButton")
        self.open_log_button.setEnabled(log_file is not None)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("closeButton")
        for button in (self.details_button, self.copy_button, self.open_log_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.details_button.toggled.connect(self.on_details_button_toggled)
        self.copy_button.clicked.connect(self.on_copy_button_clicked)
        self.open_log_button.clicked.connect(self.on_open_log_button_clicked)
        buttons.rejected.connect(self.reject)
        self.close_button.setDefault(True)
        for button in (self.details_button, self.copy_button, self.open_log_button):
            button.setAutoDefault(False)

        text = QVBoxLayout()
        text.addWidget(title)
        text.addWidget(self.summary_label)
        text.addWidget(advice)
        text.addWidget(self.log_label)
        text.addWidget(self.more_label)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_view, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    @property
    def details(self) -> str:
        return self._details

    def add_error(self, details: str) -> None:
        """Another error happened while this dialog was open: count it, keep its details."""
        self._extra_errors += 1
        self._details += f"\n\n--- another error ---\n{details}"
        self.details_view.setPlainText(self._details)
        count = self._extra_errors
        self.more_label.setText(
            f"{count} more error{'s' if count > 1 else ''} happened since; "
            "the details include them."
        )
        self.more_label.show()

    @Slot(bool)
    def on_details_button_toggled(self, shown: bool) -> None:
        self.details_view.setVisible(shown)
        self.details_button.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    @Slot()
    def on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._details)
        self.copy_button.setText("Copied")

    @Slot()
    def on_open_log_button_clicked(self) -> None:
        if self._log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_file.parent)))


class CrashReporter(QObject):
    """The excepthook: logs, then shows one :class:`CrashDialog` at a time.

    Args:
        log_file: returns the current log file (default: :func:`logs.current_log_file`).
        parent_widget: returns the window to parent the dialog to (None: the active window).
    """

    #: Carries an error raised in another thread to the GUI thread.
    thread_error = Signal(object)
    #: A dialog was shown (for tests and the main window).
    dialog_shown = Signal(object)

    def __init__(
        self,
        *,
        log_file: LogFileSource = logs.current_log_file,
        parent_widget: Callable[[], QWidget | None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._log_file = log_file
        self._parent_widget = parent_widget or QApplication.activeWindow
        self._handling = False
        self._dialog: CrashDialog | None = None
        self._previous_hooks: tuple[SysHook, ThreadHook] | None = None
        self.thread_error.connect(self.on_thread_error, Qt.ConnectionType.QueuedConnection)

    @property
    def dialog(self) -> CrashDialog | None:
        """The crash dialog on screen, if any."""
        return self._dialog

    # -- installing ------------------------------------------------------------------------

    def install(self) -> None:
        """Become ``sys.excepthook`` and ``threading.excepthook``."""
        if self._previous_hooks is None:
            self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        """Put the previous hooks back (only if ours are still installed)."""
        if self._previous_hooks is None:
            return
        previous_sys, previous_thread = self._previous_hooks
        if sys.excepthook == self.excepthook:
            sys.excepthook = previous_sys
        if threading.excepthook == self.thread_excepthook:
            threading.excepthook = previous_thread
        self._previous_hooks = None

    # -- the hooks -------------------------------------------------------------------------

    def excepthook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        """``sys.excepthook``: log the error and show it. Never raises, never recurses."""
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if self._handling:
            _fallback((exc_type, exc, tb), reason="error while reporting an error")
            return
        self._handling = True
        try:
            self._report((exc_type, exc, tb))
        except BaseException as hook_error:  # noqa: BLE001 - the hook must not fail
            _fallback((type(hook_error), hook_error, hook_error.__traceback__), reason="hook")
            _fallback((exc_type, exc, tb), reason="original error")
        finally:
            self._handling = False

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        """``threading.excepthook``: log at once; the dialog opens in the GUI thread."""
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        exc_info: ExcInfo = (args.exc_type, args.exc_value, args.exc_traceback)
        try:
            name = args.thread.name if args.thread is not None else "unknown"
            log.critical("Uncaught exception in thread %s", name, exc_info=exc_info)
            if QApplication.instance() is not None:
                self.thread_error.emit(exc_info)
            else:
                _fallback(exc_info, reason=f"thread {name}", logged=True)
        except BaseException:  # noqa: BLE001 - the hook must not fail
            _fallback(exc_info, reason="thread hook")

    @Slot(object)
    def on_thread_error(self, exc_info: ExcInfo) -> None:
        if self._handling:
            return
        self._handling = True
        try:
            self._show(exc_info)
        except BaseException as hook_error:  # noqa: BLE001 - the hook must not fail
            _fallback((type(hook_error), hook_error, hook_error.__traceback__), reason="hook")
        finally:
            self._handling = False

    # -- reporting -------------------------------------------------------------------------

    def _report(self, exc_info: ExcInfo) -> None:
        log.critical("Uncaught exception", exc_info=exc_info)
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            _fallback(exc_info, reason="no window", logged=True, log_file=self._log_file())
            return
        if QThread.currentThread() is not app.thread():
            self.thread_error.emit(exc_info)  # widgets live in the GUI thread only
            return
        self._show(exc_info)

    def _show(self, exc_info: ExcInfo) -> None:
        log_file = self._log_file()
        details = crash_details(exc_info, log_file=log_file, when=datetime.now().astimezone())
        if self._dialog is not None:
            self._dialog.add_error(details)
            self._dialog.raise_()
            return
        parent = self._parent_widget()
        if isinstance(parent, CrashDialog):
            parent = None
        dialog = CrashDialog(describe_exception(exc_info[1]), details, log_file, parent)
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        dialog.finished.connect(self.on_dialog_finished)
        self._dialog = dialog
        dialog.show()  # never exec(): this may run inside an asyncio task step
        dialog.raise_()
        self.dialog_shown.emit(dialog)

    @Slot(int)
    def on_dialog_finished(self, _result: int) -> None:
        dialog, self._dialog = self._dialog, None
        if dialog is not None:
            dialog.deleteLater()


def _fallback(
    exc_info: ExcInfo,
    *,
    reason: str,
    logged: bool = False,
    log_file: Path | None = None,
) -> None:
    """Write the redacted traceback to stderr (which may be None in a windowless app)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        text = safe_block("".join(traceback.format_exception(*exc_info)))
        where = f" (details in {log_file})" if logged and log_file else ""
        stream.write(f"{APP_NAME}: unexpected error [{reason}]{where}\n{text}")
        stream.flush()
    except (OSError, ValueError):
        return


def install_excepthook(
    *,
    log_file: LogFileSource = logs.current_log_file,
    parent_widget: Callable[[], QWidget | None] | None = None,
) -> CrashReporter:
    """Install the crash reporter as the process's excepthook; keep the returned object.

    Call it once the QApplication exists (the reporter lives in the GUI thread); before
    that, or in the command line, uncaught errors are logged and printed to stderr.
    """
    reporter = CrashReporter(log_file=log_file, parent_widget=parent_widget)
    reporter.install()
    return reporter
