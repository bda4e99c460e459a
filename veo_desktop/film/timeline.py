"""What a film is made of, before anything is written: the clips, their trims, and the plan.

:func:`plan_film` demuxes every clip (no frame is decoded), turns each trim into exact frame
numbers, and decides how the film can be made: by **stream copy** (the clips' packets written
as they are, when every clip shares codec, encoder settings, size, frame rate and audio
format, and every cut falls where a decoder can start and stop) or by **re-encoding**
(libx264 and AAC). The plan says which and why, in words; problems a person must fix (an
unreadable clip, a trim outside the clip, shots of another shape) are a :class:`FilmError`
naming the shots.

Blocking (it reads every clip): call it off the event loop. PyAV loads with the first plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Final, Literal

from veo_desktop.logs import quiet_ffmpeg

#: The film method: the clips' packets written as they are, or decoded and encoded again.
Method = Literal["copy", "encode"]

#: Sizes whose width:height differ by less than this are the same shape (rounding to even).
_ASPECT_TOLERANCE: Final = 0.02


class FilmError(Exception):
    """The film cannot be made; ``str()`` says why in a sentence for a person."""


class MixedAspectError(FilmError):
    """Shots of another shape than the film's, and letterboxing was not asked for."""


class FilmCancelled(FilmError):
    """The render was cancelled; nothing was left behind."""

    def __init__(self) -> None:
        super().__init__("The render was cancelled.")


@dataclass(frozen=True)
class Clip:
    """One shot of a film: a video file and the part of it to use.

    Attributes:
        path: the video file.
        start_s: where the shot starts, in seconds on the clip's own timeline.
        end_s: where it ends (exclusive); None for the clip's end.
        label: how messages name the shot; None for "shot N" (N from 1).
    """

    path: Path
    start_s: float = 0.0
    end_s: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class VideoPacketInfo:
    """One demuxed video packet, in decode order (timestamps in the stream's time base)."""

    pts: int
    dts: int | None
    keyframe: bool


@dataclass(frozen=True)
class AudioPacketInfo:
    """One demuxed audio packet (timestamps in the stream's time base)."""

    pts: int
    duration: int


@dataclass(frozen=True)
class AudioFormat:
    """An audio stream's format; two streams can be copied into one when these are equal."""

    codec: str
    sample_rate: int
    layout: str
    extradata: bytes


@dataclass(frozen=True)
class Source:
    """What demuxing one clip found: its streams' parameters and packet index."""

    path: Path
    codec: str
    width: int
    height: int
    pix_fmt: str | None
    fps: Fraction
    time_base: Fraction
    extradata: bytes
    packets: tuple[VideoPacketInfo, ...]
    #: pts of every frame in display order: frame ``i`` has pts ``frame_pts[i]``.
    frame_pts: tuple[int, ...]
    audio: AudioFormat | None
    audio_time_base: Fraction | None
    audio_packets: tuple[AudioPacketInfo, ...]

    @property
    def frame_count(self) -> int:
        return len(self.frame_pts)

    def frame_time(self, index: int) -> Fraction:
        """When frame ``index`` is shown, in seconds on the clip's timeline."""
        return self.frame_pts[index] * self.time_base

    def audio_end(self) -> Fraction:
        """Where the clip's audio ends, in seconds (0 without audio)."""
        if not self.audio_packets or self.audio_time_base is None:
            return Fraction(0)
        last = self.audio_packets[-1]
        return (last.pts + last.duration) * self.audio_time_base


@dataclass(frozen=True)
class ShotPlan:
    """One shot as it goes into the film.

    Attributes:
        label: how messages name it.
        first_frame: the clip's first frame used (display order, from 0).
        end_frame: the frame after the last one used.
        width: the clip's frame width.
        height: the clip's frame height.
        has_audio: whether the clip has an audio track.
        film_frames: how many film frames it lasts (its frames, at the film's frame rate).
    """

    label: str
    first_frame: int
    end_frame: int
    width: int
    height: int
    has_audio: bool
    film_frames: int

    @property
    def frames(self) -> int:
        """Frames of the clip used (at the clip's own frame rate)."""
        return self.end_frame - self.first_frame


@dataclass(frozen=True)
class FilmPlan:
    """How a film will be made.

    Attributes:
        method: ``"copy"`` (packets written as they are) or ``"encode"`` (libx264 + AAC).
        reason: why, in words.
        width: the film's frame width.
        height: the film's frame height.
        fps: the film's frame rate.
        frames: how many frames the film has.
        has_audio: whether the film has an audio track.
        crossfade_frames: frames each cut blends over.
        letterbox: whether shots of another shape are fitted with black bars.
        shots: every shot, in order.
        sources: what demuxing each clip found (the renderer's input).
    """

    method: Method
    reason: str
    width: int
    height: int
    fps: Fraction
    frames: int
    has_audio: bool
    crossfade_frames: int
    letterbox: bool
    shots: tuple[ShotPlan, ...]
    sources: tuple[Source, ...] = field(repr=False, compare=False)

    @property
    def duration_s(self) -> float:
        return float(self.frames / self.fps)

    def starts(self) -> list[int]:
        """The film frame where each shot starts (crossfades overlap neighbours)."""
        starts, at = [], 0
        for shot in self.shots:
            starts.append(at)
            at += shot.film_frames - self.crossfade_frames
        return starts


def plan_film(
    clips: Sequence[Clip], *, crossfade_frames: int = 0, letterbox: bool = False
) -> FilmPlan:
    """Demux ``clips`` and decide how the film is made.

    Raises:
        FilmError: no clips, a clip that is not a readable video, a trim outside its clip, a
            crossfade longer than a shot, or shots of another shape without ``letterbox``.
    """
    if not clips:
        raise FilmError("The film has no shots.")
    if crossfade_frames < 0:
        raise FilmError("The crossfade cannot be negative.")
    labels = [clip.label or f"shot {number}" for number, clip in enumerate(clips, 1)]
    sources = [probe(clip.path, label) for clip, label in zip(clips, labels, strict=True)]
    first = sources[0]
    shots = tuple(
        _shot(clip, source, label, first.fps)
        for clip, source, label in zip(clips, sources, labels, strict=True)
    )
    _check_shapes(sources, labels, letterbox=letterbox)
    _check_crossfade(shots, crossfade_frames)
    frames = sum(shot.film_frames for shot in shots) - crossfade_frames * (len(shots) - 1)
    has_audio = any(source.audio is not None for source in sources)
    why_not = _why_not_copy(sources, shots, crossfade_frames)
    return FilmPlan(
        method="encode" if why_not else "copy",
        reason=f"re-encoding: {why_not}" if why_not else _copy_reason(first, has_audio),
        width=first.width,
        height=first.height,
        fps=first.fps,
        frames=frames,
        has_audio=has_audio,
        crossfade_frames=crossfade_frames,
        letterbox=letterbox,
        shots=shots,
        sources=tuple(sources),
    )


def probe(path: Path, label: str) -> Source:
    """Demux ``path`` (no decoding) into a :class:`Source`.

    Raises:
        FilmError: the file is missing, unreadable, or has no video frames.
    """
    import av  # here, not at import: the window's start-up needs no PyAV

    quiet_ffmpeg()
    name = f"{label} ({Path(path).name})"
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise FilmError(f"{_cap(name)} has no video.")
            video = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            packets: list[VideoPacketInfo] = []
            audio_packets: list[AudioPacketInfo] = []
            wanted = [video] if audio is None else [video, audio]
            for packet in container.demux(wanted):
                if packet.size == 0 or packet.pts is None:
                    continue
                if packet.stream is video:
                    packets.append(VideoPacketInfo(packet.pts, packet.dts, packet.is_keyframe))
                else:
                    audio_packets.append(AudioPacketInfo(packet.pts, packet.duration or 0))
            context = video.codec_context
            audio_format = None
            if audio is not None and audio_packets:
                audio_context = audio.codec_context
                audio_format = AudioFormat(
                    codec=audio_context.name,
                    sample_rate=audio_context.sample_rate,
                    layout=audio_context.layout.name,
                    extradata=bytes(audio_context.extradata or b""),
                )
            fps = video.average_rate or video.guessed_rate or video.base_rate
            if not packets or video.time_base is None or not fps:
                raise FilmError(f"{_cap(name)} has no video frames.")
            return Source(
                path=Path(path),
                codec=context.name,
                width=context.width,
                height=context.height,
                pix_fmt=context.pix_fmt,
                fps=_tidy_rate(Fraction(fps)),
                time_base=Fraction(video.time_base),
                extradata=bytes(context.extradata or b""),
                packets=tuple(packets),
                frame_pts=tuple(sorted(packet.pts for packet in packets)),
                audio=audio_format,
                audio_time_base=(
                    Fraction(audio.time_base)
                    if audio is not None and audio.time_base is not None
                    else None
                ),
                audio_packets=tuple(audio_packets),
            )
    except FileNotFoundError:
        raise FilmError(f"{_cap(name)} is missing: {path}") from None
    except av.FFmpegError as error:
        raise FilmError(f"{_cap(name)} is not a readable video ({error.strerror}).") from None
    except OSError as error:
        raise FilmError(f"{_cap(name)} cannot be read ({error.strerror or error}).") from None


def _tidy_rate(rate: Fraction) -> Fraction:
    """A measured average rate (23.9997...) as the nominal one it is closest to."""
    nominal = rate.limit_denominator(1001)
    return nominal if abs(nominal - rate) < Fraction(1, 1000) else rate


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shot(clip: Clip, source: Source, label: str, film_fps: Fraction) -> ShotPlan:
    fps = source.fps
    count = source.frame_count
    length = Fraction(count) / fps
    if clip.start_s < 0 or (clip.end_s is not None and clip.end_s <= clip.start_s):
        raise FilmError(
            f"{_cap(label)}: the trim {_trim_text(clip)} is empty or backwards; "
            "the end must come after the start."
        )
    first = round(Fraction(clip.start_s) * fps)
    end = count if clip.end_s is None else round(Fraction(clip.end_s) * fps)
    slack = 1  # a trim may name the clip's end rounded up by one frame
    if first >= count or end > count + slack:
        raise FilmError(
            f"{_cap(label)}: the trim {_trim_text(clip)} is outside the clip, which is "
            f"{float(length):.2f} s long."
        )
    end = min(end, count)
    if end <= first:
        raise FilmError(f"{_cap(label)}: the trim {_trim_text(clip)} keeps no frame.")
    return ShotPlan(
        label=label,
        first_frame=first,
        end_frame=end,
        width=source.width,
        height=source.height,
        has_audio=source.audio is not None,
        film_frames=max(1, round((end - first) * film_fps / fps)),
    )


def _trim_text(clip: Clip) -> str:
    end = "end" if clip.end_s is None else f"{clip.end_s:g} s"
    return f"{clip.start_s:g} s to {end}"


def _shape(width: int, height: int) -> str:
    """A size's shape in words: ``16:9 (640x360)``."""
    for name, ratio in (("16:9", 16 / 9), ("9:16", 9 / 16), ("1:1", 1.0), ("4:3", 4 / 3)):
        if abs(width / height - ratio) / ratio < _ASPECT_TOLERANCE:
            return f"{name} ({width}x{height})"
    return f"{width}x{height}"


def _check_shapes(sources: Sequence[Source], labels: Sequence[str], *, letterbox: bool) -> None:
    first = sources[0]
    ratio = first.width / first.height
    odd = [
        (label, source)
        for label, source in zip(labels, sources, strict=True)
        if abs(source.width / source.height - ratio) / ratio >= _ASPECT_TOLERANCE
    ]
    if odd and not letterbox:
        names = _join([label for label, _ in odd])
        shapes = _join(sorted({_shape(source.width, source.height) for _, source in odd}))
        verb = "is" if len(odd) == 1 else "are"
        raise MixedAspectError(
            f"Mixed aspect ratios: {names} {verb} {shapes} but the film is "
            f"{_shape(first.width, first.height)} like {labels[0]}. Letterbox them to fit "
            "with black bars, or use takes of one shape."
        )


def _check_crossfade(shots: Sequence[ShotPlan], crossfade: int) -> None:
    if crossfade == 0 or len(shots) < 2:
        return
    for index, shot in enumerate(shots):
        sides = (index > 0) + (index < len(shots) - 1)
        if shot.film_frames < crossfade * sides + 1:
            raise FilmError(
                f"{_cap(shot.label)} has {shot.film_frames} frames, too short for a crossfade of "
                f"{crossfade} frames at each cut: shorten the crossfade or lengthen the shot."
            )


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _why_not_copy(
    sources: Sequence[Source], shots: Sequence[ShotPlan], crossfade: int
) -> str | None:
    """Why the film cannot be made by stream copy, or None when it can."""
    if crossfade and len(shots) > 1:
        return "a crossfade blends frames of two shots"
    first = sources[0]
    for source, shot in zip(sources, shots, strict=True):
        name = shot.label
        if source.codec != first.codec:
            return f"{name} is {source.codec}, {shots[0].label} is {first.codec}"
        if (source.width, source.height) != (first.width, first.height):
            return (
                f"{name} is {source.width}x{source.height}, the film {first.width}x{first.height}"
            )
        if source.fps != first.fps:
            return f"{name} runs at {float(source.fps):g} fps, the film at {float(first.fps):g}"
        if source.extradata != first.extradata or source.pix_fmt != first.pix_fmt:
            return f"{name} was encoded with other settings than {shots[0].label}"
        if source.time_base != first.time_base:
            return f"{name} has another time base than {shots[0].label}"
        if source.audio != first.audio:
            return f"{name} has another audio format than {shots[0].label}"
        problem = _cut_problem(source, shot)
        if problem:
            return f"{name} {problem}"
    return None


def _cut_problem(source: Source, shot: ShotPlan) -> str | None:
    """Why the shot's cuts need decoding, or None when its packets can be copied."""
    first_pts = source.frame_pts[shot.first_frame]
    end_pts = source.frame_pts[shot.end_frame] if shot.end_frame < source.frame_count else None
    keep = [
        index
        for index, packet in enumerate(source.packets)
        if packet.pts >= first_pts and (end_pts is None or packet.pts < end_pts)
    ]
    start_packet = source.packets[keep[0]]
    if start_packet.pts != first_pts or not start_packet.keyframe:
        return f"starts at frame {shot.first_frame + 1}, which is not a keyframe"
    if keep[-1] - keep[0] + 1 != len(keep):
        return f"ends at frame {shot.end_frame} inside a group of frames that depend on later ones"
    if source.audio is not None:
        start = source.frame_time(shot.first_frame)
        end = start + Fraction(shot.frames) / source.fps
        frame = Fraction(max(p.duration for p in source.audio_packets)) * (
            source.audio_time_base or 1
        )
        if source.audio_end() < end - frame / 2:
            return "has less audio than video"
        audio_start = min(p.pts for p in source.audio_packets) * (source.audio_time_base or 1)
        if audio_start > start + frame / 2:
            return "has its sound start after its picture"
    return None


def _copy_reason(first: Source, has_audio: bool) -> str:
    audio = f" and {first.audio.codec} audio" if first.audio is not None and has_audio else ""
    return (
        f"stream copy: every shot is {first.codec} {first.width}x{first.height} at "
        f"{float(first.fps):g} fps{audio} with the same settings, and every cut falls on a keyframe"
    )
