"""The sequence player: the storyboard's chosen takes, trimmed, played one after the other as
one film, with one playhead across the whole film and the current shot named and lit.

The picture and controls are the preview's (:class:`~veo_desktop.ui.preview.surface.
VideoSurface`, :class:`~veo_desktop.ui.preview.transport.TransportBar`, its seek slider
spanning the film); "Previous shot" and "Next shot" (Page Up, Page Down) jump between shots
and the strip under the bar shows the shots to scale. Playback is gapless
(:mod:`~veo_desktop.ui.storyboard.sequence_decks`): each shot stops on its out frame and the
next starts on its in frame, already decoded.

Keyboard (while the player has focus): Space plays or pauses, "," and "." (or Left and Right)
step one frame, across shots; L loops the film; M mutes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QHideEvent
from PySide6.QtMultimedia import QVideoFrame
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from veo_desktop.imaging.worker import run_imaging
from veo_desktop.ui import style
from veo_desktop.ui.jobs import JobRegistry
from veo_desktop.ui.preview.surface import VideoSurface
from veo_desktop.ui.preview.transport import TransportBar, tool_button
from veo_desktop.ui.shortcuts import add_focused_key
from veo_desktop.ui.storyboard.players_timing import ClipTiming, clip_problem, probe_clip
from veo_desktop.ui.storyboard.sequence_decks import SequenceDecks
from veo_desktop.ui.storyboard.sequence_strip import ShotStrip
from veo_desktop.ui.storyboard.sequence_timeline import FilmTimeline
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.icons import glyph_icon

logger = logging.getLogger(__name__)

NO_SHOTS = "No shot has a chosen take yet.\nThe film plays here once shots are generated."

#: One shot of the film: its video, and where it starts and ends (None: the clip's own ends).
Clip = tuple[Path | str, float | None, float | None]


class SequencePlayer(QWidget):
    """Plays a list of trimmed clips as one film (see the module docstring)."""

    #: The shot on show changed (its index in the clips given to :meth:`set_clips`).
    current_shot_changed = Signal(int)
    #: Where in the film the frame on show starts (ms).
    position_changed = Signal(int)
    #: The clips are probed and the first frame is on show.
    ready = Signal()
    #: A clip cannot be played (a message to show).
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sequencePlayer")
        self.setAccessibleName("Film")
        self._clips: list[tuple[Path, float | None, float | None]] = []
        self._timings: dict[tuple[Path, int, int], ClipTiming] = {}
        self._awaiting_first_frame = False
        self._jobs = JobRegistry()

        self.surface = VideoSurface(self)
        self.surface.setObjectName("sequenceSurface")
        self.surface.setAccessibleDescription("The film. Click to play or pause.")
        self.decks = SequenceDecks(self)
        self.transport = TransportBar(
            "sequence", seek_description="Where in the film playback is; drag to seek", parent=self
        )
        self.transport.loop_button.setChecked(False)
        self.transport.loop_button.setToolTip("Loop the film (L)")
        self.previous_button = QPushButton("Previous shot", self)
        self.previous_button.setObjectName("sequencePreviousShotButton")
        self.previous_button.setToolTip("Back to this shot's start, or the shot before (Page Up)")
        self.next_button = QPushButton("Next shot", self)
        self.next_button.setObjectName("sequenceNextShotButton")
        self.next_button.setToolTip("To the next shot's start (Page Down)")
        self.mute_button = tool_button("sequenceMuteButton", "volume", "Mute (M)", checkable=True)
        self.shot_label = QLabel(self)
        self.shot_label.setObjectName("sequenceShotLabel")
        style.follow_hint_color(self.shot_label)
        self.transport.add_control(self.previous_button, space_before=8)
        self.transport.add_control(self.next_button)
        self.transport.add_control(self.mute_button, space_before=8)
        self.strip = ShotStrip(self)
        header = QHBoxLayout()
        header.addWidget(self.shot_label)
        header.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.surface, 1)
        layout.addWidget(self.strip)
        layout.addWidget(self.transport)

        for key, slot in (
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_Comma, lambda: self.step_frames(-1)),
            (Qt.Key.Key_Period, lambda: self.step_frames(1)),
            (Qt.Key.Key_Left, lambda: self.step_frames(-1)),
            (Qt.Key.Key_Right, lambda: self.step_frames(1)),
            (Qt.Key.Key_PageUp, self.previous_shot),
            (Qt.Key.Key_PageDown, self.next_shot),
            (Qt.Key.Key_L, self.transport.loop_button.toggle),
            (Qt.Key.Key_M, self.mute_button.toggle),
        ):
            add_focused_key(self, key, slot)

        self.transport.play_clicked.connect(self.toggle_play)
        self.transport.frame_step_requested.connect(self.step_frames)
        self.transport.seek_requested.connect(self.seek)
        self.transport.loop_button.toggled.connect(self.on_loop_button_toggled)
        self.previous_button.clicked.connect(self.previous_shot)
        self.next_button.clicked.connect(self.next_shot)
        self.mute_button.toggled.connect(self.on_mute_button_toggled)
        self.strip.seek_requested.connect(self.seek)
        self.surface.clicked.connect(self.toggle_play)
        self.decks.frame_ready.connect(self.on_decks_frame_ready)
        self.decks.shot_changed.connect(self.on_decks_shot_changed)
        self.decks.position_changed.connect(self.on_decks_position_changed)
        self.decks.playing_changed.connect(self.transport.show_playing)
        self.decks.failed.connect(self.on_decks_failed)
        self._show_film(FilmTimeline(()), NO_SHOTS)

    # -- the film ------------------------------------------------------------------------------

    @property
    def timeline(self) -> FilmTimeline:
        return self.decks.timeline

    @property
    def duration_ms(self) -> int:
        return round(self.decks.timeline.duration_s * 1000)

    @property
    def current_shot(self) -> int:
        """The index of the shot on show (-1: none)."""
        return self.decks.current

    @property
    def playing(self) -> bool:
        return self.decks.playing

    def set_clips(self, clips: Sequence[Clip]) -> None:
        """Play these shots from now on: (video, start_s, end_s) each, in film order."""
        wanted = [(Path(path), start, end) for path, start, end in clips]
        if wanted == self._clips:
            return
        self._clips = wanted
        self._jobs.cancel_all()
        keep = max(0, self.decks.current)
        self._show_film(FilmTimeline(()), NO_SHOTS if not wanted else "Opening the shots\u2026")
        if wanted:
            self._jobs.start(self._open(wanted, keep), name="Opening the film's shots")

    async def _open(self, clips: list[tuple[Path, float | None, float | None]], keep: int) -> None:
        timings: list[tuple[ClipTiming, float | None, float | None]] = []
        for number, (path, start, end) in enumerate(clips, 1):
            try:
                timing = await self._timing(path)
            except (OSError, ValueError) as error:
                logger.warning("cannot play shot %d (%s): %s", number, path, error)
                message = f"Shot {number} cannot be played: {clip_problem(path, error)}"
                self.surface.clear(message)
                self.failed.emit(message)
                return
            timings.append((timing, start, end))
        if clips != self._clips:
            return
        self._show_film(FilmTimeline.build(timings), "", shot=keep)

    async def _timing(self, path: Path) -> ClipTiming:
        stat = await run_imaging(path.stat)
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in self._timings:
            self._timings[key] = await run_imaging(probe_clip, path)
        return self._timings[key]

    def _show_film(self, timeline: FilmTimeline, message: str, shot: int = 0) -> None:
        has = bool(timeline.shots)
        self.surface.clear(message)
        self.strip.set_shots([s.length_s for s in timeline.shots])
        self.strip.set_position(0)
        self.transport.reset()
        self.transport.set_controls_enabled(has)
        self.transport.show_playing(False)
        self.previous_button.setEnabled(has)
        self.next_button.setEnabled(has)
        self.shot_label.setText("")
        self._awaiting_first_frame = has
        self.decks.set_timeline(timeline, shot)
        if has:
            self.transport.show_duration(self.duration_ms)
            self._describe(self.decks.current)

    def _describe(self, index: int) -> None:
        shots = self.decks.timeline.shots
        if not 0 <= index < len(shots):
            self.shot_label.setText("")
            return
        total = fmt.clock_text(round(self.decks.timeline.duration_s))
        self.shot_label.setText(f"Shot {index + 1} of {len(shots)} \u00b7 film {total}")

    # -- playback -------------------------------------------------------------------------------

    @Slot()
    def play(self) -> None:
        self.decks.play()

    @Slot()
    def pause(self) -> None:
        self.decks.pause()

    @Slot()
    def toggle_play(self) -> None:
        if self.decks.playing:
            self.decks.pause()
        else:
            self.decks.play()

    @Slot(int)
    def seek(self, film_ms: int) -> None:
        """Show the film at ``film_ms`` (in whichever shot that is)."""
        self.decks.seek(film_ms)

    def show_shot(self, index: int) -> None:
        """Go to shot ``index``'s in point (keeps playing if it was)."""
        shots = self.decks.timeline.shots
        if 0 <= index < len(shots):
            self.decks.cue(index, shots[index].in_frame, play=self.decks.playing)

    def step_frames(self, count: int) -> None:
        """Pause and move ``count`` frames (across shots)."""
        self.decks.step(count)

    @Slot()
    def next_shot(self) -> None:
        self.decks.next_shot()

    @Slot()
    def previous_shot(self) -> None:
        self.decks.previous_shot()

    @Slot(bool)
    def on_loop_button_toggled(self, checked: bool) -> None:
        self.decks.loop = checked

    @Slot(bool)
    def on_mute_button_toggled(self, checked: bool) -> None:
        self.decks.set_muted(checked)
        self.mute_button.setIcon(glyph_icon("muted" if checked else "volume"))
        self.mute_button.setToolTip("Unmute (M)" if checked else "Mute (M)")

    @Slot(QVideoFrame)
    def on_decks_frame_ready(self, frame: QVideoFrame) -> None:
        self.surface.on_sink_video_frame_changed(frame)
        if self._awaiting_first_frame:
            self._awaiting_first_frame = False
            self.ready.emit()

    @Slot(int)
    def on_decks_shot_changed(self, index: int) -> None:
        self.strip.set_current(index)
        self._describe(index)
        self.current_shot_changed.emit(index)

    @Slot(int)
    def on_decks_position_changed(self, film_ms: int) -> None:
        self.transport.show_position(film_ms)
        self.strip.set_position(film_ms)
        self.position_changed.emit(film_ms)

    @Slot(str)
    def on_decks_failed(self, message: str) -> None:
        logger.warning("the sequence player: %s", message)
        self.surface.clear(message)
        self.failed.emit(message)

    def hideEvent(self, event: QHideEvent) -> None:
        """Pause while hidden (another tab, a minimised window)."""
        if self.decks.playing:
            self.decks.pause()
        super().hideEvent(event)

    def shutdown(self) -> None:
        """Stop playback and forget the film (the window is closing)."""
        self._jobs.close()
        self._clips = []
        self.decks.set_timeline(FilmTimeline(()))
