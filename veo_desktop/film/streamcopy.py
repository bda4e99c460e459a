"""A film by stream copy: every shot's packets written as they are, retimed one after another.

Used when :func:`veo_desktop.film.timeline.plan_film` chose ``"copy"``: the clips share codec,
encoder settings, size, frame rate and audio format, and every cut falls on a keyframe. No
frame is decoded. Video packets keep their bytes and their order; only their timestamps move.
Audio packets (AAC frames of about 21 ms) are taken so that the film's audio ends as close
to each shot's last video frame as whole packets allow, counted over the whole film, so the
tracks never drift apart by more than half a packet.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import av
from av.container import OutputContainer

from veo_desktop.film.timeline import FilmPlan, ShotPlan, Source


def write_copy(
    plan: FilmPlan, out: OutputContainer, advance: Callable[[int], None]
) -> Fraction | None:
    """Write ``plan``'s shots into ``out`` by stream copy.

    ``advance(frames)`` is called as video frames are written (it raises to cancel).

    Returns:
        The duration of the audio written, in seconds (None without audio).
    """
    first = plan.sources[0]
    with av.open(str(first.path)) as template:
        video_out = out.add_stream_from_template(template.streams.video[0])
        audio_out = (
            out.add_stream_from_template(template.streams.audio[0])
            if plan.has_audio and template.streams.audio
            else None
        )
    ticks_per_frame = 1 / (first.fps * first.time_base)
    film_frames = 0
    audio_ticks = 0
    audio_base = first.audio_time_base
    for shot, source in zip(plan.shots, plan.sources, strict=True):
        offset = round(film_frames * ticks_per_frame)
        film_frames += shot.frames
        audio_end = round(Fraction(film_frames) / first.fps / audio_base) if audio_base else 0
        audio_ticks = _copy_shot(
            shot, source, out, video_out, audio_out, offset, audio_ticks, audio_end, advance
        )
    if audio_out is None or audio_base is None:
        return None
    return audio_ticks * audio_base


def _copy_shot(
    shot: ShotPlan,
    source: Source,
    out: OutputContainer,
    video_out: av.video.stream.VideoStream,
    audio_out: av.audio.stream.AudioStream | None,
    offset: int,
    audio_ticks: int,
    audio_end: int,
    advance: Callable[[int], None],
) -> int:
    """Copy one shot's packets; the film's audio position (in ticks) after it."""
    first_pts = source.frame_pts[shot.first_frame]
    end_pts = source.frame_pts[shot.end_frame] if shot.end_frame < source.frame_count else None
    audio_start = source.frame_time(shot.first_frame)
    with av.open(str(source.path)) as container:
        video = container.streams.video[0]
        streams: list[av.stream.Stream] = [video]
        audio = None
        if audio_out is not None and container.streams.audio:
            audio = container.streams.audio[0]
            streams.append(audio)
        audio_started = False
        for packet in container.demux(streams):
            if packet.size == 0 or packet.pts is None:
                continue
            if packet.stream is video:
                if packet.pts < first_pts or (end_pts is not None and packet.pts >= end_pts):
                    continue
                dts = packet.dts if packet.dts is not None else packet.pts
                packet.pts = offset + packet.pts - first_pts
                packet.dts = offset + dts - first_pts
                packet.stream = video_out
                out.mux(packet)
                advance(1)
            elif audio is not None and audio_out is not None:
                length = packet.duration or 0
                if not audio_started:
                    start = packet.pts * Fraction(audio.time_base or 1)
                    half = Fraction(length, 2) * Fraction(audio.time_base or 1)
                    if start < audio_start - half:
                        continue
                    audio_started = True
                if audio_ticks + length / 2 > audio_end:
                    continue
                packet.pts = packet.dts = audio_ticks
                audio_ticks += length
                packet.stream = audio_out
                out.mux(packet)
    return audio_ticks
