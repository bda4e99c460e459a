"""The film as the sequence player sees it: the shots in order, each a trimmed run of one clip's
frames, laid end to end on one time line.

Qt-free arithmetic: where each shot starts in the film, which shot and frame a film time falls
in, and the film time of a shot's frame. A shot keeps its frames ``in_frame`` to ``out_frame``
(inclusive), so it lasts ``out_frame - in_frame + 1`` frames of its own clip's frame rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from veo_desktop.ui.storyboard.players_timing import ClipTiming


@dataclass(frozen=True)
class FilmShot:
    """One shot of the film: a clip's frames ``in_frame`` to ``out_frame``, from ``start_s``."""

    index: int
    timing: ClipTiming
    in_frame: int
    out_frame: int
    start_s: float

    @property
    def path(self) -> Path:
        return self.timing.path

    @property
    def length_s(self) -> float:
        return self.timing.time_of(self.out_frame + 1) - self.timing.time_of(self.in_frame)

    @property
    def end_s(self) -> float:
        return self.start_s + self.length_s

    def film_time(self, frame: int) -> float:
        """When (film seconds) this shot's ``frame`` starts."""
        return self.start_s + self.timing.time_of(frame) - self.timing.time_of(self.in_frame)

    def frame_at(self, film_s: float) -> int:
        """The shot's frame showing at ``film_s``, kept inside the shot."""
        local = self.timing.time_of(self.in_frame) + film_s - self.start_s
        return min(max(self.in_frame, self.timing.frame_at(local)), self.out_frame)

    def contains(self, frame: int) -> bool:
        return self.in_frame <= frame <= self.out_frame


class FilmTimeline:
    """The shots end to end (see the module docstring)."""

    def __init__(self, shots: Sequence[FilmShot]) -> None:
        self.shots: tuple[FilmShot, ...] = tuple(shots)

    @classmethod
    def build(cls, clips: Sequence[tuple[ClipTiming, float | None, float | None]]) -> FilmTimeline:
        """Shots from (timing, start_s, end_s) in film order; trims snap to frame boundaries."""
        shots: list[FilmShot] = []
        start = 0.0
        for index, (timing, start_s, end_s) in enumerate(clips):
            in_frame, out_frame = timing.snap_trim(start_s, end_s)
            shot = FilmShot(index, timing, in_frame, out_frame, start)
            shots.append(shot)
            start = shot.end_s
        return cls(shots)

    def __len__(self) -> int:
        return len(self.shots)

    @property
    def duration_s(self) -> float:
        return self.shots[-1].end_s if self.shots else 0.0

    def locate(self, film_s: float) -> tuple[int, int]:
        """(shot index, frame) showing at ``film_s``; times past the end give the last frame."""
        if not self.shots:
            raise ValueError("the film has no shots")
        for shot in self.shots:
            if film_s < shot.end_s:
                return shot.index, shot.frame_at(max(film_s, shot.start_s))
        last = self.shots[-1]
        return last.index, last.out_frame

    def next_index(self, index: int, *, loop: bool) -> int | None:
        """The shot after ``index`` (the first again when looping; None at the end)."""
        if index + 1 < len(self.shots):
            return index + 1
        return 0 if loop and self.shots else None
