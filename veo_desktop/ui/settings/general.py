"""The sections of the settings' General tab besides the API key: the library folder,
checking on videos (poll timing and notifications), the daily spending cap, and the API's
base URL. Each section shows its own problems and hands back the values it holds.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.api.urls import DEFAULT_BASE_URL
from veo_desktop.core.settings import parse_cap
from veo_desktop.ui.compose.widgets import MessageLabel, Tone

if TYPE_CHECKING:
    from veo_desktop.core.timing import PollTiming

CAP_PROBLEM = "Enter the cap in dollars, such as 20 or 12.50, or leave it empty for no cap."
CAP_HINT = "A video that would bring today's spending past the cap asks first. Empty: no cap."


class LibrarySection(QGroupBox):
    """The folder finished videos are saved in (a full path), with a folder chooser, and
    whether copies that leave the library carry their recipe."""

    def __init__(
        self, folder: Path, parent: QWidget | None = None, *, embed_recipe: bool = True
    ) -> None:
        super().__init__("Library", parent)
        self._folder_dialog: QFileDialog | None = None
        self.library_edit = QLineEdit(str(folder))
        self.library_edit.setObjectName("libraryEdit")
        self.library_edit.setAccessibleName("Library folder")
        self.library_edit.setAccessibleDescription("Where finished videos are saved")
        self.library_button = QPushButton("Choose…")
        self.library_button.setAccessibleName("Choose library folder")
        self.library_button.setAccessibleDescription("Pick the folder for finished videos")
        self.library_message = MessageLabel(Tone.PROBLEM)
        self.embed_recipe_check = QCheckBox("Embed the recipe in saved videos")
        self.embed_recipe_check.setObjectName("embedRecipeCheck")
        self.embed_recipe_check.setChecked(embed_recipe)
        self.embed_recipe_check.setAccessibleName("Embed the recipe")
        recipe_tip = (
            "Copies saved, dragged out or written by the command line carry the prompt and "
            "every setting in the video file itself; the library's own files are never changed"
        )
        self.embed_recipe_check.setToolTip(recipe_tip)
        self.embed_recipe_check.setAccessibleDescription(recipe_tip)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.library_edit, 1)
        row.addWidget(self.library_button)
        layout.addLayout(row)
        layout.addWidget(self.library_message)
        layout.addWidget(self.embed_recipe_check)
        self.library_button.clicked.connect(self.on_library_button_clicked)

    def folder(self) -> Path:
        return Path(self.library_edit.text().strip()).expanduser()

    def embed_recipe(self) -> bool:
        return self.embed_recipe_check.isChecked()

    def validate(self) -> bool:
        library = self.library_edit.text().strip()
        problem = None if library else "Choose a folder for finished videos."
        if library and not Path(library).expanduser().is_absolute():
            problem = "Use a full path (starting at the root of the disk)."
        self.library_message.show_message(problem)
        return problem is None

    def on_library_button_clicked(self) -> None:
        if self._folder_dialog is not None:
            self._folder_dialog.raise_()
            return
        dialog = QFileDialog(self, "Choose the library folder", self.library_edit.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.library_edit.setText)
        dialog.finished.connect(self.on_folder_dialog_finished)
        self._folder_dialog = dialog
        dialog.open()

    def on_folder_dialog_finished(self, _result: int) -> None:
        self._folder_dialog = None


def _seconds(value: float, maximum: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.0, maximum)
    box.setDecimals(0 if value >= 10 else 1)
    box.setSuffix(" s")
    box.setValue(value)
    box.setToolTip(tip)
    box.setAccessibleDescription(tip)
    return box


class PollingSection(QGroupBox):
    """When videos are checked on (first check by mode, then the gap) and notifications."""

    def __init__(
        self, timing: PollTiming, notifications: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__("Checking on videos", parent)
        self._timing = timing
        self.first_fast = _seconds(
            timing.first_poll_fast, 600, "Wait before the first status check of a fast video"
        )
        self.first_fast.setObjectName("firstPollFast")
        self.first_fast.setAccessibleName("First check, fast")
        self.first_quality = _seconds(
            timing.first_poll_quality, 600, "Wait before the first status check of a quality video"
        )
        self.first_quality.setObjectName("firstPollQuality")
        self.first_quality.setAccessibleName("First check, quality")
        between = "each later check waits a random time between the two"
        self.interval_min = _seconds(
            timing.interval_min, 300, f"Shortest gap between checks ({between})"
        )
        self.interval_min.setObjectName("intervalMin")
        self.interval_min.setAccessibleName("Shortest gap between checks")
        self.interval_max = _seconds(
            timing.interval_max, 300, f"Longest gap between checks ({between})"
        )
        self.interval_max.setObjectName("intervalMax")
        self.interval_max.setAccessibleName("Longest gap between checks")
        self.interval_label = QLabel("Then check &every:")
        self.interval_label.setObjectName("intervalLabel")
        self.interval_label.setBuddy(self.interval_min)
        self.interval_to = QLabel("&to")
        self.interval_to.setObjectName("intervalToLabel")
        self.interval_to.setBuddy(self.interval_max)
        interval_row = QHBoxLayout()
        interval_row.addWidget(self.interval_min, 1)
        interval_row.addWidget(self.interval_to)
        interval_row.addWidget(self.interval_max, 1)
        self.timing_message = MessageLabel(Tone.PROBLEM)
        self.timing_message.setObjectName("timingMessage")
        self.notifications_check = QCheckBox(
            "Notify me when a video is ready or fails (while I work elsewhere)"
        )
        self.notifications_check.setObjectName("notificationsCheck")
        self.notifications_check.setChecked(notifications)
        self.notifications_check.setAccessibleName("Notifications")
        self.notifications_check.setAccessibleDescription(
            "Show a desktop notification when a task finishes or fails"
        )
        form = QFormLayout(self)
        form.addRow("First check (fast):", self.first_fast)
        form.addRow("First check (quality):", self.first_quality)
        form.addRow(self.interval_label, interval_row)
        form.addRow("", self.timing_message)
        form.addRow(self.notifications_check)

    def spin_boxes(self) -> tuple[QDoubleSpinBox, ...]:
        return (self.first_fast, self.first_quality, self.interval_min, self.interval_max)

    def timing(self) -> PollTiming | None:
        """The poll timing the fields describe, or None when it is not valid."""
        try:
            return dataclasses.replace(
                self._timing,
                first_poll_fast=self.first_fast.value(),
                first_poll_quality=self.first_quality.value(),
                interval_min=self.interval_min.value(),
                interval_max=self.interval_max.value(),
            )
        except ValueError:
            return None

    def notifications(self) -> bool:
        return self.notifications_check.isChecked()

    def validate(self) -> bool:
        ok = self.timing() is not None
        self.timing_message.show_message(
            None if ok else "The longest gap must not be shorter than the shortest."
        )
        return ok


class SpendingSection(QGroupBox):
    """The daily spending cap in dollars (empty: no cap) and what was spent today."""

    def __init__(self, cap: Decimal | None, parent: QWidget | None = None) -> None:
        super().__init__("Spending", parent)
        self.cap_edit = QLineEdit("" if cap is None else str(cap))
        self.cap_edit.setObjectName("spendingCapEdit")
        self.cap_edit.setPlaceholderText("no cap")
        self.cap_edit.setClearButtonEnabled(True)
        self.cap_edit.setMaximumWidth(self.cap_edit.fontMetrics().horizontalAdvance("0") * 16)
        self.cap_edit.setAccessibleName("Daily spending cap")
        self.cap_edit.setAccessibleDescription(
            "Dollars per day; a video that would pass it asks first. Empty means no cap."
        )
        self.cap_edit.setToolTip(CAP_HINT)
        self.cap_message = MessageLabel(Tone.PROBLEM)
        self.cap_message.setObjectName("spendingCapMessage")
        self.cap_hint = MessageLabel(Tone.HINT)
        self.cap_hint.setObjectName("spendingCapHint")
        cap_label = QLabel("Daily &cap:")
        cap_label.setBuddy(self.cap_edit)
        cap_row = QHBoxLayout()
        cap_row.setSpacing(4)
        cap_row.addWidget(cap_label)
        cap_row.addSpacing(6)
        cap_row.addWidget(QLabel("$"))
        cap_row.addWidget(self.cap_edit)
        cap_row.addWidget(QLabel("per day"))
        cap_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(cap_row)
        layout.addWidget(self.cap_message)
        layout.addWidget(self.cap_hint)
        self.show_spent_today(None)

    def show_spent_today(self, spent: str | None) -> None:
        """The hint under the cap, with today's spending when a session is open."""
        self.cap_hint.show_message(
            CAP_HINT if spent is None else f"{CAP_HINT} Spent today: {spent}."
        )

    def spending_cap(self) -> tuple[bool, Decimal | None]:
        """Whether the cap field is valid, and the cap it holds (None: no cap)."""
        text = self.cap_edit.text().strip()
        if not text:
            return True, None
        cap = parse_cap(text)
        return cap is not None, cap

    def validate(self) -> bool:
        ok, _cap = self.spending_cap()
        self.cap_message.show_message(None if ok else CAP_PROBLEM)
        return ok


class AdvancedSection(QGroupBox):
    """The APIXO API's base URL (https only; plain http only for this computer)."""

    def __init__(self, base_url: str, parent: QWidget | None = None) -> None:
        super().__init__("Advanced", parent)
        self.base_url_edit = QLineEdit(base_url)
        self.base_url_edit.setObjectName("baseUrlEdit")
        self.base_url_edit.setAccessibleName("API base URL")
        self.base_url_edit.setAccessibleDescription(
            "The APIXO API root; https only (plain http only for this computer)"
        )
        self.base_url_reset = QPushButton("Default")
        self.base_url_reset.setAccessibleName("Default base URL")
        self.base_url_reset.setAccessibleDescription(f"Use {DEFAULT_BASE_URL}")
        self.base_url_message = MessageLabel(Tone.PROBLEM)
        self.base_url_message.setObjectName("baseUrlMessage")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.base_url_edit, 1)
        row.addWidget(self.base_url_reset)
        layout.addLayout(row)
        layout.addWidget(self.base_url_message)
        self.base_url_reset.clicked.connect(self.on_base_url_reset_clicked)

    def base_url(self) -> str:
        return self.base_url_edit.text().strip().rstrip("/")

    def validate(self) -> bool:
        from veo_desktop.api.urls import url_problem

        problem = url_problem(self.base_url_edit.text().strip(), what="The base URL")
        self.base_url_message.show_message(problem)
        return problem is None

    def on_base_url_reset_clicked(self) -> None:
        self.base_url_edit.setText(DEFAULT_BASE_URL)
