"""One trim point (in or out) as two linked fields: its time in seconds and its frame number.

Both name the same frame: the seconds are where that frame starts. Typing a time picks the
frame showing at that time; typing a frame number picks that frame. The fields only say
which frame the person chose (:attr:`TrimPointFields.frame_chosen`); the trim editor decides.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from veo_desktop.ui.storyboard.players_timing import ClipTiming


class TrimPointFields(QWidget):
    """ "In" or "Out": a seconds field and a frame field.

    Args:
        name: "In" or "Out" (the label, and the fields' object names: ``trimInSeconds``...).
        what: how the point reads in a sentence ("the in point"), for accessible descriptions.
    """

    #: The person typed or stepped to this frame.
    frame_chosen = Signal(int)

    def __init__(self, name: str, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"trim{name}Fields")
        self._timing: ClipTiming | None = None
        self.label = QLabel(name, self)
        self.label.setObjectName(f"trim{name}Label")
        self.seconds = QDoubleSpinBox(self)
        self.seconds.setObjectName(f"trim{name}Seconds")
        self.seconds.setDecimals(3)
        self.seconds.setSuffix(" s")
        self.seconds.setKeyboardTracking(False)
        self.seconds.setAccessibleName(f"{name} point, seconds")
        self.seconds.setAccessibleDescription(f"Where {what} is, in seconds from the clip's start")
        self.seconds.setToolTip(f"{name} point in seconds (snapped to a frame)")
        self.frame = QSpinBox(self)
        self.frame.setObjectName(f"trim{name}Frame")
        self.frame.setPrefix("frame ")
        self.frame.setKeyboardTracking(False)
        self.frame.setAccessibleName(f"{name} point, frame")
        self.frame.setAccessibleDescription(f"The frame {what} is on, counted from 0")
        self.frame.setToolTip(f"{name} point as a frame number (the first frame is 0)")
        self.label.setBuddy(self.seconds)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addWidget(self.seconds)
        layout.addWidget(self.frame)
        self.seconds.valueChanged.connect(self.on_seconds_value_changed)
        self.frame.valueChanged.connect(self.on_frame_value_changed)
        self.set_timing(None)

    def set_timing(self, timing: ClipTiming | None) -> None:
        """The clip the fields count in (None: empty and disabled)."""
        self._timing = timing
        last = max(0, timing.frames - 1) if timing is not None else 0
        with QSignalBlocker(self.seconds), QSignalBlocker(self.frame):
            self.seconds.setRange(0.0, timing.time_of(last) if timing is not None else 0.0)
            self.seconds.setSingleStep(timing.frame_s if timing is not None else 0.1)
            self.frame.setRange(0, last)
        self.setEnabled(timing is not None)

    def set_frame(self, frame: int) -> None:
        """Show ``frame`` (no signal)."""
        if self._timing is None:
            return
        with QSignalBlocker(self.seconds), QSignalBlocker(self.frame):
            self.frame.setValue(frame)
            self.seconds.setValue(self._timing.time_of(frame))

    @property
    def shown_frame(self) -> int:
        return self.frame.value()

    @Slot(float)
    def on_seconds_value_changed(self, value: float) -> None:
        if self._timing is not None:
            self.frame_chosen.emit(self._timing.frame_at(value))

    @Slot(int)
    def on_frame_value_changed(self, value: int) -> None:
        if self._timing is not None:
            self.frame_chosen.emit(value)
