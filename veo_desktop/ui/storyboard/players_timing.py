"""Frame timing of a clip, read from the file with PyAV: its real frame rate, frame count and
size, and the arithmetic the trim editor and the sequence player share (which frame a time
falls in, where a frame starts, snapping a time to a frame boundary).

Trims are half-open: a shot keeps ``[start_s, end_s)``, from the start of its in frame to the
end of its out frame, so a trim of frames 3 to 10 lasts 8 frames.

:func:`probe_clip` blocks (it opens the file; no frame is decoded when the container says how
many frames it holds): call it off the GUI thread (``await run_imaging(probe_clip, path)``).
PyAV loads with the first probe, on that thread, not with this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from veo_desktop.logs import quiet_ffmpeg

#: Half a microsecond in seconds: times this close to a frame boundary count as on it.
_EPSILON = 5e-7


@dataclass(frozen=True)
class ClipTiming:
    """How a clip's frames lie in time.

    Attributes:
        path: the video file.
        fps: frames per second, exactly as the file says (``Fraction(30000, 1001)``...).
        frames: how many video frames the clip has.
        width: frame width in pixels.
        height: frame height in pixels.
    """

    path: Path
    fps: Fraction
    frames: int
    width: int
    height: int

    @property
    def duration_s(self) -> float:
        """The clip's length: the end of its last frame."""
        return self.time_of(self.frames)

    @property
    def frame_s(self) -> float:
        """One frame's length in seconds."""
        return float(1 / self.fps)

    def time_of(self, frame: int) -> float:
        """Where ``frame`` starts (seconds); ``time_of(frames)`` is the clip's end."""
        return float(Fraction(frame) / self.fps)

    def frame_at(self, seconds: float) -> int:
        """The frame showing at ``seconds``, kept inside the clip."""
        index = math.floor(seconds * self.fps + _EPSILON)
        return min(max(0, index), max(0, self.frames - 1))

    def boundary(self, seconds: float) -> int:
        """The frame boundary nearest ``seconds`` (0 to ``frames``)."""
        return min(max(0, round(Fraction(seconds) * self.fps)), self.frames)

    def snap(self, seconds: float) -> float:
        """``seconds`` moved to the nearest frame boundary inside the clip."""
        return self.time_of(self.boundary(seconds))

    def snap_trim(self, start_s: float | None, end_s: float | None) -> tuple[int, int]:
        """A trim as (in frame, out frame), both kept inside the clip, at least one frame long.

        ``None`` means the clip's start (for ``start_s``) or end (for ``end_s``).
        """
        last = max(0, self.frames - 1)
        first = 0 if start_s is None else min(self.boundary(start_s), last)
        end = self.frames if end_s is None else self.boundary(end_s)
        return first, min(max(first, end - 1), last)

    def frame_of_us(self, microseconds: int) -> int:
        """The frame a player's video frame starting at ``microseconds`` is (not clamped)."""
        return round(Fraction(microseconds, 1_000_000) * self.fps)

    def position_ms(self, frame: int) -> int:
        """The player position (ms) that shows ``frame``: just after its start.

        A paused player shows the frame that started at or before its position, so a
        position exactly on a boundary shows the frame before; one millisecond in is safe
        (frames last at least 4 ms) and, played from there, the frame lasts nearly whole.
        """
        frame = min(max(0, frame), max(0, self.frames - 1))
        return math.floor(Fraction(frame * 1000) / self.fps) + 1

    def trim_seconds(self, in_frame: int, out_frame: int) -> tuple[float, float]:
        """The trim keeping frames ``in_frame`` to ``out_frame`` (inclusive) in seconds."""
        return self.time_of(in_frame), self.time_of(out_frame + 1)


def probe_clip(path: Path) -> ClipTiming:
    """Read ``path``'s frame rate, frame count and size from its first video stream.

    Raises:
        ValueError: no video stream, no frame rate, or FFmpeg cannot read the file.
        OSError: the file cannot be read.
    """
    import av

    quiet_ffmpeg()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if rate is None or rate <= 0:
                raise ValueError(f"{path.name} does not say its frame rate")
            fps = Fraction(rate)
            frames = int(stream.frames or 0)
            if frames <= 0:
                frames = sum(1 for packet in container.demux(stream) if packet.size)
            if frames <= 0:
                raise ValueError(f"{path.name} has no video frames")
            return ClipTiming(
                path=path,
                fps=fps,
                frames=frames,
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
            )
    except av.FFmpegError as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ValueError(f"{path.name} cannot be read as a video ({reason})") from error


def clip_problem(path: Path, error: OSError | ValueError) -> str:
    """What went wrong opening ``path``, in words (no errno, no traceback)."""
    if isinstance(error, FileNotFoundError):
        return f"{path.name} is missing (it was at {path.parent})."
    if isinstance(error, OSError):
        return f"{path.name} cannot be read: {error.strerror or error}."
    return f"{error}."
