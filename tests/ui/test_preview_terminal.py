"""A preview prints nothing of FFmpeg's to the terminal (issue 14, item 16).

Qt Multimedia's FFmpeg backend printed an "Input #0, mov,mp4…" block to stderr for every
video the preview opened. A child process (its own stderr, as in a terminal) builds the real
preview, plays a real MP4 until frames arrive, and its stderr is read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.fixtures.mp4 import encoded_clip
from tests.imaging.test_ffmpeg_log import FFMPEG_MARKS, cut_clip

ROOT = Path(__file__).resolve().parents[2]

PLAY_IN_THE_PREVIEW = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtMultimedia import QMediaPlayer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from tests.ui.tasks_support import make_record
    from veo_desktop.ui.preview.panel import PreviewPanel

    panel = PreviewPanel()
    panel.audio.setMuted(True)
    panel.resize(640, 480)
    panel.show()
    panel.show_task(make_record(prompt="A lighthouse at dusk", files=(sys.argv[1],)))

    damaged = len(sys.argv) > 2  # then: played until FFmpeg met the damage
    fine = QMediaPlayer.Error.NoError

    def check() -> None:
        if panel.surface.frames_received > (0 if damaged else 3) and (
            not damaged or panel.player.error() != fine
        ):
            print(f"frames {panel.surface.frames_received}", flush=True)
            panel.shutdown()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    app.exec()
    """
)


def play(video: Path, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "play_in_the_preview.py"
    script.write_text(PLAY_IN_THE_PREVIEW)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("QT_LOGGING")}
    child_env.pop("QT_FFMPEG_DEBUG", None)
    child_env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, str(script), str(video), *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_preview_prints_no_ffmpeg_input_block(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    encoded_clip(video, frames=24, width=64, height=36)
    done = play(video, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("frames "), done.stderr  # it really played
    assert "Input #0" not in done.stderr
    assert "Stream #0" not in done.stderr
    assert "Using Qt multimedia with FFmpeg" not in done.stderr
    # A person debugging playback can still turn the messages on.
    loud = play(video, tmp_path, QT_LOGGING_RULES="qt.multimedia.ffmpeg*.info=true")
    assert loud.returncode == 0, loud.stderr
    assert f"Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '{video}'" in loud.stderr


def test_a_damaged_clip_prints_no_ffmpeg_error_lines(tmp_path: Path) -> None:
    """A clip cut short plays what it can; FFmpeg's "[h264 @ 0x…] Invalid NAL unit size"
    lines (Qt's own FFmpeg, its default log) no longer reach the terminal."""
    video = tmp_path / "cut.mp4"
    cut_clip(video)
    done = play(video, tmp_path, "damaged")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("frames "), done.stderr  # it played up to the damage
    printed = [line for line in done.stderr.splitlines() if any(m in line for m in FFMPEG_MARKS)]
    assert printed == []
    # QT_FFMPEG_DEBUG (Qt's own switch for FFmpeg's messages) still shows them.
    loud = play(video, tmp_path, "damaged", QT_FFMPEG_DEBUG="1")
    assert loud.returncode == 0, loud.stderr
    assert "NAL unit" in loud.stderr or "partial file" in loud.stderr
