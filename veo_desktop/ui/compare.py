"""Two finished takes side by side, played in sync, with their settings listed under each.

One transport bar drives both players: play, pause, seek and frame steps apply to both.
The longer video is the clock; the other follows it (re-synced when it drifts) and holds
its last frame once it has ended. Settings that differ between the two are shown in bold,
so a person sees at once what changed between takes. The players are driven through
:mod:`veo_desktop.ui.media_calls` (made straight from Python, calls could deadlock them).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.ui import media_calls, style
from veo_desktop.ui.preview.elided import ElidedLabel
from veo_desktop.ui.preview.media_logs import quiet_ffmpeg_errors
from veo_desktop.ui.preview.surface import VideoSurface
from veo_desktop.ui.preview.transport import TransportBar, frame_rate, frame_step_position
from veo_desktop.ui.screen_fit import fitted_size
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.files import video_file

logger = logging.getLogger(__name__)

#: A follower further than this from the clock (ms) is moved back in step.
DRIFT_MS = 120
SIDES = ("left", "right")


def settings_rows(task: TaskRecord) -> list[tuple[str, str]]:
    """The settings of a take, as (label, value) rows, in a fixed order."""
    data = task.input
    images = data.get("image_urls") or []
    seed = data.get("seed")
    took = fmt.took_seconds(task)
    rows = [
        ("Prompt", task.prompt),
        ("Type", fmt.kind_description(task)),
        ("Mode", f"{fmt.mode_label(task)} ({fmt.money_text(task.price)})"),
        ("Aspect", fmt.aspect_label(task)),
        ("Seed", "random" if seed is None else str(seed)),
        ("Watermark", str(data.get("watermark") or "none")),
        ("Images", str(len(images)) if images else "none"),
        ("Made", f"{dt.datetime.fromtimestamp(task.created_at):%Y-%m-%d %H:%M}"),
        ("Took", fmt.clock_text(took) if took is not None else "unknown"),
        ("Task id", printable(task.apixo_task_id or task.short_id, 200)),
    ]
    if task.is_extend:
        rows.insert(1, ("Extends", str(data.get("taskId", ""))))
    return rows


def _settings_html(rows: list[tuple[str, str]], differs: set[str], hint: str) -> str:
    cells = []
    for label, value in rows:
        text = html.escape(value if len(value) <= 600 else value[:599] + "\u2026")
        text = text.replace("\n", "<br>")
        if label in differs:
            text = f"<b>{text}</b>"
        cells.append(
            f"<tr><td style='color:{hint}; padding-right:10px' valign='top'>"
            f"{html.escape(label)}</td><td>{text}</td></tr>"
        )
    return "<table cellspacing='0' cellpadding='1'>" + "".join(cells) + "</table>"


class _Side:
    """One take: its player, surface, title and settings."""

    def __init__(self, owner: QWidget, side: str) -> None:
        self.side = side
        self.task: TaskRecord | None = None
        self.source: Path | None = None
        self.surface = VideoSurface(owner)
        self.surface.setObjectName(f"compare{side.title()}Surface")
        self.surface.setAccessibleName(f"{side.title()} video")
        self.surface.setAccessibleDescription(f"The {side} take")
        self.player = QMediaPlayer(owner)
        quiet_ffmpeg_errors()  # Qt's FFmpeg is loaded now
        self.player.setObjectName(f"compare{side.title()}Player")
        self.audio = QAudioOutput(owner)
        self.audio.setObjectName(f"compare{side.title()}Audio")
        self.player.setAudioOutput(self.audio)
        self.player.setVideoSink(self.surface.sink)
        self.player.setLoops(QMediaPlayer.Loops.Once)
        media_calls.settle_overrides(self.player, self.audio, self.surface.sink)
        self.title = ElidedLabel(owner)
        self.title.setObjectName(f"compare{side.title()}Title")
        self.title.setFont(style.scaled_font(self.title, 1.0, bold=True))
        self.settings = QLabel(owner)
        self.settings.setObjectName(f"compare{side.title()}Settings")
        self.settings.setTextFormat(Qt.TextFormat.RichText)
        self.settings.setWordWrap(True)
        self.settings.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.settings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.settings.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self.settings.setAccessibleName(f"Settings of the {side} take")

    def load(self, task: TaskRecord) -> None:
        self.task = task
        video = video_file(task)
        self.surface.set_file(video)
        if video is not None and video == self.source:
            return  # the same file: keep its frame (a reload would show nothing until played)
        self.source = video
        media_calls.stop(self.player)
        self.surface.clear(
            "" if video is not None else "The video file of this task is not on this computer."
        )
        media_calls.set_source(self.player, video)
        if video is not None:
            media_calls.pause(self.player)  # decodes and shows the first frame

    def duration(self) -> int:
        return max(0, self.player.duration())

    def ended(self) -> bool:
        return self.player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia

    def shutdown(self) -> None:
        media_calls.release(self.player)
        self.source = None


class CompareWindow(QWidget):
    """Plays two finished tasks side by side in sync (a top-level window).

    Keyboard: Space plays or pauses, Left/Right step one frame, Home goes to the start,
    L toggles looping, Escape closes.
    """

    #: The window was closed (it deletes itself afterwards).
    closed = Signal()

    def __init__(self, left: TaskRecord, right: TaskRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareWindow")
        self.setAccessibleName("Compare takes")
        self.setAccessibleDescription("Two videos played side by side, in sync")
        self._playing = False
        self._sides = (_Side(self, "left"), _Side(self, "right"))

        self.transport = TransportBar(
            "compare",
            what="both",
            seek_description="Where both videos are; drag to seek both",
            parent=self,
        )
        self.audio_selector = QComboBox(self)
        self.audio_selector.setObjectName("compareAudioSelector")
        self.audio_selector.setAccessibleName("Sound")
        self.audio_selector.setAccessibleDescription("Which video's sound is heard")
        self.audio_selector.setToolTip("Which video's sound is heard")
        for text, value in (("Sound: left", "left"), ("Sound: right", "right"), ("Muted", "")):
            self.audio_selector.addItem(text, value)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        for column, side in enumerate(self._sides):
            grid.addWidget(side.title, 0, column)
            grid.addWidget(side.surface, 1, column)
            grid.addWidget(side.settings, 2, column)
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(1, 1)
        self.transport.add_control(self.audio_selector)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(grid, 1)
        layout.addWidget(self.transport)

        self._shortcut(Qt.Key.Key_Space, self.toggle_play)
        self._shortcut(Qt.Key.Key_Left, lambda: self.step_frames(-1))
        self._shortcut(Qt.Key.Key_Right, lambda: self.step_frames(1))
        self._shortcut(Qt.Key.Key_Home, lambda: self.seek(0))
        self._shortcut(Qt.Key.Key_L, self.transport.loop_button.toggle)
        close = QAction(self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.triggered.connect(self.close)
        self.addAction(close)
        self._shortcut(Qt.Key.Key_Escape, self.close)

        self.transport.play_clicked.connect(self.toggle_play)
        self.transport.frame_step_requested.connect(self.step_frames)
        self.transport.seek_requested.connect(self.seek)
        self.audio_selector.currentIndexChanged.connect(
            self.on_audio_selector_current_index_changed
        )
        for side in self._sides:
            side.surface.clicked.connect(self.toggle_play)
            side.player.durationChanged.connect(self.on_player_duration_changed)
            side.player.positionChanged.connect(self.on_player_position_changed)
            side.player.mediaStatusChanged.connect(self.on_player_media_status_changed)
            side.player.errorOccurred.connect(self.on_player_error_occurred)
        # As large as a laptop screen allows (the title bar and the controls stay on it).
        self.resize(fitted_size(parent, QSize(1100, 720)).expandedTo(self.minimumSizeHint()))
        self.set_tasks(left, right)

    def _shortcut(self, key: Qt.Key, slot: object) -> None:
        action = QAction(self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)

    # -- content ---------------------------------------------------------------------------

    @property
    def left(self) -> _Side:
        return self._sides[0]

    @property
    def right(self) -> _Side:
        return self._sides[1]

    @property
    def players(self) -> tuple[QMediaPlayer, QMediaPlayer]:
        return self._sides[0].player, self._sides[1].player

    @property
    def surfaces(self) -> tuple[VideoSurface, VideoSurface]:
        return self._sides[0].surface, self._sides[1].surface

    def tasks(self) -> tuple[TaskRecord | None, TaskRecord | None]:
        return self._sides[0].task, self._sides[1].task

    def set_tasks(self, left: TaskRecord, right: TaskRecord) -> None:
        """Show these two takes (paused at their first frame until played)."""
        self.pause()
        for side, task in zip(self._sides, (left, right), strict=True):
            side.load(task)
            # Elided with "…" to the title's own width (again on resize); all of it in the tooltip.
            side.title.set_full_text(fmt.short_prompt(task), tooltip=task.prompt[:2000])
        rows = [settings_rows(left), settings_rows(right)]
        values = [dict(r) for r in rows]
        differs = {
            label
            for label in values[0].keys() | values[1].keys()
            if label not in ("Made", "Took", "Task id")
            and values[0].get(label) != values[1].get(label)
        }
        hint = style.hint_color(self).name()
        for side, side_rows in zip(self._sides, rows, strict=True):
            side.settings.setText(_settings_html(side_rows, differs, hint))
            side.settings.setAccessibleDescription(
                "; ".join(f"{label}: {value}" for label, value in side_rows)
            )
        self.setWindowTitle(f"Compare \u2013 {_excerpt(left.prompt)} / {_excerpt(right.prompt)}")
        self.on_audio_selector_current_index_changed(self.audio_selector.currentIndex())
        self.transport.set_controls_enabled(all(side.source is not None for side in self._sides))
        self.on_player_duration_changed(0)
        self.transport.show_position(self.position())

    # -- transport -------------------------------------------------------------------------

    def clock(self) -> QMediaPlayer:
        """The player that drives the shared position: the longer video."""
        left, right = self._sides
        return left.player if left.duration() >= right.duration() else right.player

    def duration(self) -> int:
        return max(side.duration() for side in self._sides)

    def position(self) -> int:
        return self.clock().position()

    def is_playing(self) -> bool:
        return self._playing

    @Slot()
    def toggle_play(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        """Play both from where they are (from the start when the clock had ended)."""
        if any(side.source is None for side in self._sides):
            return
        clock = self.clock()
        if clock.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia:
            self._set_positions(0)
        self._playing = True
        at = clock.position()
        for side in self._sides:
            if side.duration() <= 0 or at < side.duration():
                media_calls.play(side.player)
        self._show_state()

    def pause(self) -> None:
        self._playing = False
        for side in self._sides:
            if side.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
                media_calls.pause(side.player)
        self._show_state()

    def seek(self, position_ms: int) -> None:
        """Move both videos to ``position_ms`` (the shorter one stops at its end)."""
        position_ms = max(0, min(position_ms, self.duration() or position_ms))
        self._set_positions(position_ms)
        if self._playing:
            for side in self._sides:
                if side.duration() <= 0 or position_ms < side.duration():
                    media_calls.play(side.player)
        self.transport.show_position(position_ms)

    def _set_positions(self, position_ms: int) -> None:
        for side in self._sides:
            length = side.duration()
            target = min(position_ms, max(0, length - 1)) if length > 0 else position_ms
            if side.ended() or side.player.playbackState() == (
                QMediaPlayer.PlaybackState.StoppedState
            ):
                # A stopped player shows nothing new until it plays; pause keeps the frame.
                media_calls.set_position(side.player, target)
                media_calls.pause(side.player)
            else:
                media_calls.set_position(side.player, target)

    def frame_rate(self) -> float:
        return frame_rate(self.clock())

    def step_frames(self, count: int) -> None:
        """Pause both and move ``count`` frames (negative: back)."""
        if any(side.source is None for side in self._sides):
            return
        self.pause()
        fps = self.frame_rate()
        index = int(self.position() * fps / 1000)
        self.seek(frame_step_position(index, count, self.duration(), fps))

    def _show_state(self) -> None:
        self.transport.show_playing(self._playing)

    # -- slots -----------------------------------------------------------------------------

    @Slot(int)
    def on_audio_selector_current_index_changed(self, _index: int) -> None:
        wanted = str(self.audio_selector.currentData() or "")
        for side in self._sides:
            media_calls.set_muted(side.audio, side.side != wanted)

    @Slot("qlonglong")
    def on_player_duration_changed(self, _duration: int) -> None:
        self.transport.show_duration(self.duration())

    @Slot("qlonglong")
    def on_player_position_changed(self, position: int) -> None:
        clock = self.clock()
        if self.sender() is not clock:
            return
        self.transport.show_position(position)
        if not self._playing:
            return
        for side in self._sides:
            follower = side.player
            if follower is clock or side.ended():
                continue
            if position >= side.duration() > 0:
                continue
            if abs(follower.position() - position) > DRIFT_MS:
                media_calls.set_position(follower, position)

    @Slot(QMediaPlayer.MediaStatus)
    def on_player_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status != QMediaPlayer.MediaStatus.EndOfMedia or self.sender() is not self.clock():
            return
        if self._playing and self.transport.loop_button.isChecked():
            self._set_positions(0)
            for side in self._sides:
                media_calls.play(side.player)
            return
        self._playing = False
        self._show_state()

    @Slot(QMediaPlayer.Error, str)
    def on_player_error_occurred(self, error: QMediaPlayer.Error, message: str) -> None:
        if error == QMediaPlayer.Error.NoError:
            return
        for side in self._sides:
            if side.player is self.sender():
                logger.warning("compare cannot play %s: %s", side.source, message)
                side.surface.clear(f"This video cannot be played here.\n{message}")

    # -- closing ---------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop both players and release the files."""
        self._playing = False
        for side in self._sides:
            side.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        self.closed.emit()
        super().closeEvent(event)


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def open_compare(
    left: TaskRecord, right: TaskRecord, parent: QWidget | None = None
) -> CompareWindow:
    """Open a compare window that deletes itself when closed."""
    window = CompareWindow(left, right, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    return window
