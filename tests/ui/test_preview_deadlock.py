"""The preview and the compare window never hang the app when they stop or switch videos.

``QMediaPlayer.stop()`` (and ``setSource()``, which stops first) called from Python with the
GIL held could deadlock with the player's audio thread, which waits for the GIL while it holds
a lock ``stop()`` needs (see :mod:`veo_desktop.ui.media_calls`). Before the fix this loop hung
in four runs out of five, after 2, 13, 2 and 20 rounds: each round makes a fresh preview and a
fresh compare window, whose audio outputs are the ones at risk. It runs in a child process, so
that a deadlock fails the test at its timeout instead of hanging the run; the child also checks
that closing lets go of the files (no descriptor of the clips stays open).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.storyboard.players_clips import marked_clip

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 30

CHILD = """
import os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication

app = QApplication([])
from tests.ui.tasks_support import make_record
from veo_desktop.ui.compare import CompareWindow
from veo_desktop.ui.preview.panel import PreviewPanel

clips = [Path(name) for name in sys.argv[2:4]]
tasks = [make_record(n, files=(str(clip),)) for n, clip in enumerate(clips)]


def wait(what, condition):
    end = time.monotonic() + 20
    while not condition():
        if time.monotonic() > end:
            sys.exit(f"gave up waiting for {what}")
        app.processEvents()
        time.sleep(0.002)


def open_clips():
    fds = Path("/proc/self/fd")
    names = {str(clip) for clip in clips}
    return [fd for fd in fds.iterdir() if os.path.realpath(fd) in names]


for number in range(int(sys.argv[1])):
    first, second = tasks[number % 2], tasks[1 - number % 2]
    preview = PreviewPanel()
    preview.resize(320, 240)
    preview.show()
    for task in (first, second):
        seen = preview.surface.frames_received
        preview.show_task(task)
        wait("the preview's frames", lambda: preview.surface.frames_received > seen + 1)
    preview.step_frames(1)
    preview.toggle_play()
    preview.show_task(None)
    preview.shutdown()
    assert preview.player.source().isEmpty()
    preview.deleteLater()
    compare = CompareWindow(first, second)
    compare.show()
    wait("both first frames", lambda: all(s.frames_received for s in compare.surfaces))
    compare.play()
    wait("both playing", lambda: compare.position() > 100)
    compare.set_tasks(second, first)
    compare.play()
    wait("both playing again", lambda: compare.position() > 50)
    compare.close()
    assert all(player.source().isEmpty() for player in compare.players)
    compare.deleteLater()
    print("round", number, flush=True)
wait("the clips closed", lambda: not open_clips())
print("clean", flush=True)
"""


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("deadlock")
    return (
        marked_clip(folder / "first.mp4", fps=24, frames=24, mark=40),
        marked_clip(folder / "second.mp4", fps=30, frames=30, mark=200),
    )


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
def test_switching_and_closing_videos_over_and_over_never_hangs(clips: tuple[Path, Path]) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.pop("APIXO_API_KEY", None)
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROUNDS), *map(str, clips)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    except subprocess.TimeoutExpired as hung:
        out = hung.stdout.decode() if isinstance(hung.stdout, bytes) else hung.stdout or ""
        message = f"the players deadlocked after {out.count('round')} of {ROUNDS} rounds"
    else:
        message = ""
    if message:
        pytest.fail(message, pytrace=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == "clean", done.stdout[-2000:]
    assert done.stdout.count("round") == ROUNDS
