"""The trim editor and the sequence player side by side in a window, light and dark, at
1024x640 and 1600x1000: every text legible on the grabbed pixels, no label clipped, the
pictures on show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter

from tests.fixtures.screenshots import check_and_save
from tests.ui.storyboard.players_clips import marked_clip, what_shows
from veo_desktop.ui.storyboard.sequence import SequencePlayer
from veo_desktop.ui.storyboard.trim import TrimEditor

SIZES = [(1024, 640), (1600, 1000)]


def clipped(window: QMainWindow) -> list[str]:
    """Visible one-line labels whose text does not fit."""
    return [
        label.text()
        for label in window.findChildren(QLabel)
        if label.isVisible()
        and label.text()
        and label.fontMetrics().horizontalAdvance(label.text()) > label.contentsRect().width() + 1
    ]


def players_window(
    qtbot: Any, first: Path, second: Path
) -> tuple[QMainWindow, SequencePlayer, TrimEditor]:
    """Both players in a window, each paused on a known frame."""
    window = QMainWindow()
    qtbot.addWidget(window)
    splitter = QSplitter(Qt.Orientation.Horizontal)
    sequence, trim = SequencePlayer(), TrimEditor()
    sequence.mute_button.setChecked(True)
    trim.audio.setMuted(True)
    splitter.addWidget(sequence)
    splitter.addWidget(trim)
    window.setCentralWidget(splitter)
    window.resize(*SIZES[0])
    window.show()
    with qtbot.waitSignal(sequence.ready, timeout=10_000):
        sequence.set_clips([(first, 0.25, 0.75), (second, None, None)])
    with qtbot.waitSignal(trim.ready, timeout=10_000):
        trim.set_clip(second, (0.2, 0.6))
    sequence.seek(700)
    trim.step_frames(2)
    # 0.2 s into the second shot (the first keeps 0.5 s): its frame 6 at 30 fps.
    qtbot.waitUntil(lambda: (what_shows(sequence.surface.frame_image) or (0, 0))[1] == 6)
    qtbot.waitUntil(lambda: trim.shown_frame == 8)
    return window, sequence, trim


def test_players_look_right_light_and_dark_at_both_sizes(
    qtbot: Any, qloop: Any, tmp_path: Path, themed: Callable[[bool], None]
) -> None:
    first = marked_clip(tmp_path / "one.mp4", fps=24, frames=24, mark=40)
    second = marked_clip(tmp_path / "two.mp4", fps=30, frames=30, mark=200)
    for dark in (False, True):
        themed(dark)
        window, sequence, trim = players_window(qtbot, first, second)
        assert sequence.shot_label.text() == "Shot 2 of 2 \u00b7 film 0:02"
        for width, height in SIZES:
            window.resize(width, height)
            qtbot.waitUntil(lambda win=window, w=width, h=height: win.size().toTuple() == (w, h))
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            name = f"storyboard_players_{width}x{height}_{'dark' if dark else 'light'}"
            check_and_save(window, tmp_path, name)
            assert clipped(window) == [], name
        sequence.shutdown()
        trim.shutdown()
        window.close()
