"""The player controls the preview and the compare window share: a seek row (elapsed time,
slider, length) over a row of buttons (previous frame, play/pause, next frame, loop), with
room at the right end of the buttons for the owner's own (volume, "Use frame", sound...).

The bar drives no player itself. It says what the person asked for (its signals
``play_clicked``, ``frame_step_requested`` and ``seek_requested``) and shows what its owner
tells it (``show_playing``, ``show_position``, ``show_duration``). It needs no QtMultimedia
(the preview's placeholder shows one before the player loads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.ui import style
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.icons import glyph_icon

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QMediaPlayer

#: Frame rate assumed when the file does not say (Veo 3.1 renders 24 fps).
DEFAULT_FPS = 24.0


def frame_rate(player: QMediaPlayer) -> float:
    """The frame rate of the player's video, or :data:`DEFAULT_FPS` when it does not say."""
    from PySide6.QtMultimedia import QMediaMetaData

    rate = player.metaData().value(QMediaMetaData.Key.VideoFrameRate)
    try:
        value = float(rate)
    except (TypeError, ValueError):
        return DEFAULT_FPS
    return value if 1.0 <= value <= 240.0 else DEFAULT_FPS


def frame_step_position(index: int, count: int, duration_ms: int, fps: float) -> int:
    """Where (ms) ``count`` frames from frame ``index`` is, kept inside the video.

    It aims at the middle of the frame, so that rounding never lands on its neighbour.
    """
    last = max(0, int(duration_ms * fps / 1000) - 1) if duration_ms > 0 else index + abs(count)
    target = min(max(0, index + count), last)
    return int((target + 0.5) * 1000 / fps)


class SeekSlider(QSlider):
    """A horizontal slider that jumps to where it is clicked (not by page steps)."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
            )
            if not handle.contains(event.position().toPoint()):
                value = QStyle.sliderValueFromPosition(
                    self.minimum(),
                    self.maximum(),
                    int(event.position().x()) - handle.width() // 2,
                    max(1, self.width() - handle.width()),
                )
                self.setValue(value)
                self.sliderMoved.emit(value)
        super().mousePressEvent(event)


def tool_button(name: str, icon: str, tip: str, *, checkable: bool = False) -> QToolButton:
    """A flat player-control button; its accessible name is the tooltip's first part."""
    button = QToolButton()
    button.setObjectName(name)
    button.setIcon(glyph_icon(icon))
    button.setIconSize(QSize(20, 20))
    button.setAutoRaise(True)
    button.setCheckable(checkable)
    button.setToolTip(tip)
    button.setAccessibleName(tip.split(" (")[0])
    button.setAccessibleDescription(tip)
    return button


class TransportBar(QWidget):
    """Seek row and control buttons for one player, or for two played as one.

    Args:
        prefix: the start of every control's object name (``previewPlayButton``...).
        what: what is played, for the tooltips: "" for one video, "both" for two
            ("Play both (Space)").
        seek_description: the seek slider's accessible description.
    """

    #: The play/pause button was clicked.
    play_clicked = Signal()
    #: A frame-step button was clicked: -1 (back) or 1 (forward).
    frame_step_requested = Signal(int)
    #: The person dragged or clicked the seek slider to this position (ms).
    seek_requested = Signal(int)

    def __init__(
        self,
        prefix: str,
        *,
        what: str = "",
        seek_description: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{prefix}Transport")
        self._suffix = f" {what}" if what else ""
        self.play_button = tool_button(f"{prefix}PlayButton", "play", self._play_tip(False))
        self.back_button = tool_button(
            f"{prefix}FrameBackButton", "frame-back", "Previous frame (Left)"
        )
        self.forward_button = tool_button(
            f"{prefix}FrameForwardButton", "frame-forward", "Next frame (Right)"
        )
        self.loop_button = tool_button(f"{prefix}LoopButton", "loop", "Loop (L)", checkable=True)
        self.loop_button.setChecked(True)

        self.seek_slider = SeekSlider(Qt.Orientation.Horizontal, self)
        self.seek_slider.setObjectName(f"{prefix}SeekSlider")
        self.seek_slider.setRange(0, 0)
        self.seek_slider.setToolTip(f"Position of {what} videos" if what else "Position")
        self.seek_slider.setAccessibleName("Position")
        self.seek_slider.setAccessibleDescription(seek_description)
        self.position_label = QLabel("0:00", self)
        self.position_label.setObjectName(f"{prefix}Position")
        self.position_label.setAccessibleName("Elapsed time")
        self.position_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.duration_label = QLabel("0:00", self)
        self.duration_label.setObjectName(f"{prefix}Duration")
        self.duration_label.setAccessibleName("Duration")
        for label in (self.position_label, self.duration_label):
            label.setFont(style.scaled_font(label, 0.92))
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("00:00") + 4)
            style.follow_hint_color(label)

        seek = QHBoxLayout()
        seek.setSpacing(8)
        seek.addWidget(self.position_label)
        seek.addWidget(self.seek_slider, 1)
        seek.addWidget(self.duration_label)
        #: The row of buttons; owners add their own at its right end (:meth:`add_control`).
        self.buttons_row = QHBoxLayout()
        self.buttons_row.setSpacing(2)
        self.buttons_row.addWidget(self.back_button)
        self.buttons_row.addWidget(self.play_button)
        self.buttons_row.addWidget(self.forward_button)
        self.buttons_row.addSpacing(8)
        self.buttons_row.addWidget(self.loop_button)
        self.buttons_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(seek)
        layout.addLayout(self.buttons_row)

        # Tab goes along the bar as it reads: the slider, then the buttons left to right.
        self._tab_order: list[QWidget] = [
            self.seek_slider,
            self.back_button,
            self.play_button,
            self.forward_button,
            self.loop_button,
        ]
        for first, second in zip(self._tab_order, self._tab_order[1:], strict=False):
            QWidget.setTabOrder(first, second)

        self.play_button.clicked.connect(self.play_clicked)
        self.back_button.clicked.connect(self.on_back_button_clicked)
        self.forward_button.clicked.connect(self.on_forward_button_clicked)
        self.seek_slider.sliderMoved.connect(self.seek_requested)

    def add_control(self, widget: QWidget, *, space_before: int = 0) -> None:
        """Put ``widget`` at the right end of the buttons (after ``space_before`` pixels)."""
        if space_before:
            self.buttons_row.addSpacing(space_before)
        self.buttons_row.addWidget(widget)
        QWidget.setTabOrder(self._tab_order[-1], widget)
        self._tab_order.append(widget)

    def set_controls_enabled(self, enabled: bool) -> None:
        """Enable the play, frame-step and seek controls (there is something to play)."""
        for widget in (self.play_button, self.back_button, self.forward_button, self.seek_slider):
            widget.setEnabled(enabled)

    def show_playing(self, playing: bool) -> None:
        self.play_button.setIcon(glyph_icon("pause" if playing else "play"))
        self.play_button.setToolTip(self._play_tip(playing))
        self.play_button.setAccessibleName("Pause" if playing else "Play")

    def show_position(self, position_ms: int) -> None:
        """Move the slider (unless the person holds it) and the elapsed time."""
        if not self.seek_slider.isSliderDown():
            self.seek_slider.setValue(position_ms)
        self.position_label.setText(fmt.clock_text(position_ms / 1000))

    def show_duration(self, duration_ms: int) -> None:
        duration_ms = max(0, duration_ms)
        self.seek_slider.setRange(0, duration_ms)
        self.seek_slider.setPageStep(max(1000, duration_ms // 10))
        self.duration_label.setText(fmt.clock_text(round(duration_ms / 1000)))

    def reset(self) -> None:
        """Nothing loaded: an empty slider and 0:00 twice."""
        self.seek_slider.setRange(0, 0)
        self.position_label.setText("0:00")
        self.duration_label.setText("0:00")

    def _play_tip(self, playing: bool) -> str:
        return f"{'Pause' if playing else 'Play'}{self._suffix} (Space)"

    @Slot()
    def on_back_button_clicked(self) -> None:
        self.frame_step_requested.emit(-1)

    @Slot()
    def on_forward_button_clicked(self) -> None:
        self.frame_step_requested.emit(1)
