"""A damaged clip's FFmpeg messages never reach the terminal, and PyAV's log callback (which
can deadlock FFmpeg's threads against the GIL) stays off (issue 16).

A clip cut short makes FFmpeg complain ("Invalid NAL unit size", "Error splitting the input
into NAL units") while the thumbnail worker and the scrub strips decode it. A child process
(its own stderr, as in a terminal) sets up the app's logging, asks the app's thumbnail cache,
scrub strips and last-frame decoder for a truncated real MP4, and prints what came back and
PyAV's log level; its stderr and its log file are read.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[2]

DECODE_A_DAMAGED_CLIP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from veo_desktop.logs import setup_logging

    if sys.argv[2] != "-":
        setup_logging(Path(sys.argv[2]))
    import av.logging
    av.logging.set_level(av.logging.WARNING)  # (as another library may: the app turns it off)
    app = QApplication([])
    from veo_desktop.imaging.frames import last_frame
    from veo_desktop.ui.library.scrub import ScrubStrips
    from veo_desktop.ui.thumbnails import ThumbnailCache

    video = sys.argv[1]
    caches = {"thumbnail": ThumbnailCache(None), "strip": ScrubStrips(None)}
    for cache in caches.values():
        cache.get(video)

    def check() -> None:
        done = {n: c.get(video) is not None or c.failed(video) for n, c in caches.items()}
        if all(done.values()):
            for name, cache in caches.items():
                print(name, "failed" if cache.failed(video) else "made", flush=True)
                cache.close()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(20)
    app.exec()
    try:
        last_frame(Path(video))
        print("last frame made")
    except ValueError:
        print("last frame refused")
    print("pyav log callback", av.logging.get_level())
    """
)

#: What FFmpeg's own log lines hold ("[h264 @ 0x55…] Invalid NAL unit size (…)").
FFMPEG_MARKS = ("@ 0x", "NAL unit", "h264", "mov,mp4", "partial file", "Packet corrupt")


def cut_clip(path: Path) -> None:
    """A real H.264 MP4 (index first, noisy frames: big NAL units), cut at half its bytes."""
    noise = random.Random(16)
    whole = path.with_name("whole.mp4")
    with av.open(str(whole), "w", format="mp4", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for _ in range(48):
            frame = av.VideoFrame(320, 180, "yuv420p")
            for plane in frame.planes:
                plane.update(noise.randbytes(plane.buffer_size))
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def decode(video: Path, tmp_path: Path, log_dir: Path | None) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "decode_a_damaged_clip.py"
    script.write_text(DECODE_A_DAMAGED_CLIP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_LOGGING", "PYAV"))}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, str(script), str(video), "-" if log_dir is None else str(log_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ffmpeg_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(mark in line for mark in FFMPEG_MARKS)]


def test_a_damaged_clip_prints_nothing_of_ffmpeg_and_leaves_pyavs_log_callback_off(
    tmp_path: Path,
) -> None:
    video = tmp_path / "cut.mp4"
    cut_clip(video)
    log_dir = tmp_path / "logs"

    done = decode(video, tmp_path, log_dir)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # The thumbnail path came back cleanly: a picture or a refusal, never a crash.
    assert done.stdout.splitlines()[:2] == ["thumbnail made", "strip failed"], done.stdout
    assert done.stdout.splitlines()[2] in ("last frame made", "last frame refused")
    assert ffmpeg_lines(done.stderr) == []
    # PyAV's callback into Python stays off: a codec thread logging while its driver holds
    # the GIL would wait for it forever (a cancelled render hung so).
    assert done.stdout.splitlines()[3] == "pyav log callback None"
    assert ffmpeg_lines((log_dir / "veo-desktop.log").read_text(encoding="utf-8")) == []


def test_without_logging_set_up_nothing_of_ffmpeg_is_printed(tmp_path: Path) -> None:
    video = tmp_path / "cut.mp4"
    cut_clip(video)

    done = decode(video, tmp_path, None)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[:2] == ["thumbnail made", "strip failed"], done.stdout
    assert ffmpeg_lines(done.stderr) == []
