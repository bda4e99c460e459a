"""A film by re-encoding: every shot decoded, fitted, crossfaded, and encoded with libx264 + AAC.

Used when stream copy cannot make the film (another codec or size, cuts between keyframes, a
crossfade, letterboxing). Frames are placed by number, never by clock: the film has exactly
the frames :class:`~veo_desktop.film.timeline.FilmPlan` counts, shot ``k`` starting at film
frame ``plan.starts()[k]``. The audio is placed the same way, sample-exact: shot ``k`` fills
the film's samples from ``round(start_k / fps * rate)`` for as long as its frames last, so
audio and video end together (a shot with less audio, or none, is padded with silence).

A crossfade of N frames overlaps the last N frames of a shot with the first N of the next,
blending them (the incoming shot's weight rising from 1/(N+1) to N/(N+1)); the audio under
them is mixed with a linear ramp over the same time.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Final

import av
from av.container import OutputContainer

from veo_desktop.film.timeline import FilmPlan, ShotPlan, Source

#: libx264 settings of a re-encoded film (the benchmark's baseline uses the same).
VIDEO_OPTIONS: Final = {"preset": "veryfast", "crf": "18"}
AUDIO_BIT_RATE: Final = 192_000
_AAC_FRAME: Final = 1024
_PIX_FMT: Final = "yuv420p"


def write_encoded(
    plan: FilmPlan, out: OutputContainer, advance: Callable[[int], None]
) -> Fraction | None:
    """Write ``plan``'s shots into ``out``, re-encoded.

    ``advance(frames)`` is called as film frames are encoded (it raises to cancel).

    Returns:
        The duration of the audio written, in seconds (None without audio).
    """
    video = _VideoOut(plan, out, advance)
    audio = _AudioOut(plan, out) if plan.has_audio else None
    starts = plan.starts()
    for index, (shot, source) in enumerate(zip(plan.shots, plan.sources, strict=True)):
        last = index == len(plan.shots) - 1
        next_start = None if last else starts[index + 1]
        video.begin_shot(shot, fade_in=index > 0, fade_out=not last)
        samples = audio.shot_samples(starts[index], shot) if audio is not None else 0
        collected = _decode_shot(plan, shot, source, video, audio, samples)
        video.end_shot()
        if audio is not None:
            audio.add_shot(starts[index], collected, next_start)
    video.finish()
    return audio.finish() if audio is not None else None


def _decode_shot(
    plan: FilmPlan,
    shot: ShotPlan,
    source: Source,
    video: _VideoOut,
    audio: _AudioOut | None,
    samples: int,
) -> list[array[float]]:
    """Decode one shot, feeding its frames to ``video``; its audio, ``samples`` long."""
    fitter = _Fitter(source, plan.width, plan.height)
    first_pts = source.frame_pts[shot.first_frame]
    collector = (
        _AudioCollector(audio.rate, audio.layout, source.frame_time(shot.first_frame), samples)
        if audio is not None
        else None
    )
    with av.open(str(source.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        streams: list[av.stream.Stream] = [stream]
        if collector is not None and container.streams.audio:
            streams.append(container.streams.audio[0])
        if shot.first_frame > 0:
            container.seek(first_pts, stream=stream, backward=True)
        for packet in container.demux(streams):
            if packet.stream is stream:
                for frame in packet.decode():
                    if not isinstance(frame, av.VideoFrame) or frame.pts is None:
                        continue
                    index = bisect.bisect_left(source.frame_pts, frame.pts)
                    if shot.first_frame <= index < shot.end_frame:
                        video.add_source_frame(index - shot.first_frame, fitter.fit(frame))
            elif collector is not None:
                for sound in packet.decode():
                    if isinstance(sound, av.AudioFrame):
                        collector.add(sound)
            if video.shot_done() and (collector is None or collector.done()):
                break
    if collector is None:
        return []
    return collector.channels()


class _Fitter:
    """Turns a clip's frames into the film's size and pixel format (letterboxed if needed)."""

    def __init__(self, source: Source, width: int, height: int) -> None:
        self._width, self._height = width, height
        self._graph: av.filter.Graph | None = None
        self._same_size = (source.width, source.height) == (width, height)
        self._same_shape = abs(source.width * height - source.height * width) < 0.02 * (
            source.width * height
        )
        if not self._same_size and not self._same_shape:
            scale = min(width / source.width, height / source.height)
            fit_w = max(2, int(source.width * scale) // 2 * 2)
            fit_h = max(2, int(source.height * scale) // 2 * 2)
            graph = av.filter.Graph()
            buffer = graph.add_buffer(
                width=source.width,
                height=source.height,
                format=av.VideoFormat(source.pix_fmt or _PIX_FMT),
                time_base=Fraction(1, 1) / source.fps,
            )
            chain = [
                buffer,
                graph.add("scale", f"{fit_w}:{fit_h}"),
                graph.add("pad", f"{width}:{height}:(ow-iw)/2:(oh-ih)/2:black"),
                graph.add("setsar", "1"),
                graph.add("format", _PIX_FMT),
                graph.add("buffersink"),
            ]
            for upstream, downstream in itertools.pairwise(chain):
                upstream.link_to(downstream)
            graph.configure()
            self._graph = graph

    def fit(self, frame: av.VideoFrame) -> av.VideoFrame:
        if self._graph is not None:
            self._graph.push(frame)
            fitted = self._graph.pull()
            assert isinstance(fitted, av.VideoFrame)
            return fitted
        if self._same_size and frame.format.name == _PIX_FMT:
            return frame
        return frame.reformat(width=self._width, height=self._height, format=_PIX_FMT)


def _blend(incoming: av.VideoFrame, outgoing: av.VideoFrame, weight: float) -> av.VideoFrame:
    """``incoming * weight + outgoing * (1 - weight)``, plane by plane."""
    graph = av.filter.Graph()
    time_base = Fraction(1, 1000)
    inputs = [
        graph.add_buffer(
            width=incoming.width,
            height=incoming.height,
            format=av.VideoFormat(_PIX_FMT),
            time_base=time_base,
        )
        for _ in range(2)
    ]
    blend = graph.add("blend", f"all_mode=normal:all_opacity={weight:.6f}")
    sink = graph.add("buffersink")
    inputs[0].link_to(blend, 0, 0)
    inputs[1].link_to(blend, 0, 1)
    blend.link_to(sink)
    graph.configure()
    for buffer, frame in zip(inputs, (incoming, outgoing), strict=True):
        frame.pts, frame.time_base = 0, time_base
        buffer.push(frame)
        buffer.push(None)
    mixed = sink.pull()
    assert isinstance(mixed, av.VideoFrame)
    return mixed


class _VideoOut:
    """The film's video: numbers frames, holds back and blends crossfades, encodes."""

    def __init__(self, plan: FilmPlan, out: OutputContainer, advance: Callable[[int], None]):
        self._out = out
        self._advance = advance
        self._fps = plan.fps
        self._crossfade = plan.crossfade_frames
        stream = out.add_stream("libx264", rate=plan.fps)
        stream.width, stream.height, stream.pix_fmt = plan.width, plan.height, _PIX_FMT
        stream.options = dict(VIDEO_OPTIONS)
        stream.codec_context.time_base = 1 / plan.fps
        self._stream = stream
        self._next_pts = 0
        self._held: list[av.VideoFrame] = []  # the previous shot's tail, to blend
        self._holding: list[av.VideoFrame] = []  # this shot's tail
        self._shot: ShotPlan | None = None
        self._fade_in = self._fade_out = False
        self._placed = 0  # film frames of this shot placed so far
        self._last: av.VideoFrame | None = None

    def begin_shot(self, shot: ShotPlan, *, fade_in: bool, fade_out: bool) -> None:
        self._shot = shot
        self._fade_in, self._fade_out = fade_in, fade_out
        self._placed = 0
        self._last = None

    def add_source_frame(self, index: int, frame: av.VideoFrame) -> None:
        """Frame ``index`` of the shot (from 0, at the clip's rate): place it as many times
        as the film's frame rate needs (once when the rates agree)."""
        shot = self._shot
        assert shot is not None
        ratio = Fraction(shot.frames, shot.film_frames)
        while self._placed < shot.film_frames and int(self._placed * ratio) <= index:
            self._place(frame)
        self._last = frame

    def shot_done(self) -> bool:
        return self._shot is not None and self._placed >= self._shot.film_frames

    def end_shot(self) -> None:
        """Fill a shot whose clip ended early with its last frame."""
        shot = self._shot
        assert shot is not None
        if self._placed < shot.film_frames and self._last is None:
            raise av.InvalidDataError(0, f"no frame of {shot.label} could be decoded")
        while self._placed < shot.film_frames:
            assert self._last is not None
            self._place(self._last)
        self._held, self._holding = self._holding, []

    def _place(self, frame: av.VideoFrame) -> None:
        shot = self._shot
        assert shot is not None
        at = self._placed
        self._placed += 1
        fade = self._crossfade
        if self._fade_in and at < fade:
            self._encode(_blend(frame, self._held[at], (at + 1) / (fade + 1)))
        elif self._fade_out and at >= shot.film_frames - fade:
            self._holding.append(frame)
        else:
            self._encode(frame)

    def _encode(self, frame: av.VideoFrame) -> None:
        frame.pts = self._next_pts
        frame.time_base = 1 / self._fps
        self._next_pts += 1
        for packet in self._stream.encode(frame):
            self._out.mux(packet)
        self._advance(1)

    def finish(self) -> None:
        for packet in self._stream.encode(None):
            self._out.mux(packet)


class _AudioCollector:
    """One shot's audio: decoded, resampled to the film's format, cut to the shot."""

    def __init__(self, rate: int, layout: str, start: Fraction, samples: int) -> None:
        self._rate = rate
        self._resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        self._channels = av.AudioLayout(layout).nb_channels
        self._start = round(start * rate)  # the clip's sample where the shot starts
        self._samples = samples
        self._buffer = array("f", bytes(4 * samples * self._channels))  # interleaved
        self._position: int | None = None  # the clip's sample of the next resampled one

    def add(self, frame: av.AudioFrame) -> None:
        if self._position is None:
            if frame.pts is None or frame.time_base is None:
                return
            self._position = round(frame.pts * frame.time_base * self._rate)
        for piece in self._resampler.resample(frame):
            self._take(piece)

    def _take(self, piece: av.AudioFrame) -> None:
        assert self._position is not None
        count = piece.samples
        begin = max(self._position, self._start) - self._start
        end = min(self._position + count, self._start + self._samples) - self._start
        if end > begin:
            skip = begin + self._start - self._position
            data = array("f")
            width = self._channels
            data.frombytes(
                bytes(piece.planes[0])[skip * 4 * width : (skip + end - begin) * 4 * width]
            )
            self._buffer[begin * width : end * width] = data
        self._position += count

    def done(self) -> bool:
        return self._position is not None and self._position >= self._start + self._samples

    def channels(self) -> list[array[float]]:
        """The shot's samples, one array per channel (silence where the clip had none)."""
        width = self._channels
        return [self._buffer[channel::width] for channel in range(width)]


class _AudioOut:
    """The film's audio: mixes shots into place (crossfading), encodes AAC frames."""

    def __init__(self, plan: FilmPlan, out: OutputContainer) -> None:
        first = next(source.audio for source in plan.sources if source.audio is not None)
        self.rate = first.sample_rate
        self.layout = first.layout if av.AudioLayout(first.layout).nb_channels <= 2 else "stereo"
        self._fps = plan.fps
        self._out = out
        stream = out.add_stream("aac", rate=self.rate, layout=self.layout)
        stream.bit_rate = AUDIO_BIT_RATE
        self._stream = stream
        width = av.AudioLayout(self.layout).nb_channels
        self._pending: list[array[float]] = [array("f") for _ in range(width)]
        self._pending_start = 0  # the film sample of pending[...][0]
        self._queue: list[array[float]] = [array("f") for _ in range(width)]
        self._written = 0  # film samples handed to the encoder

    def _sample(self, film_frame: int) -> int:
        return round(Fraction(film_frame) / self._fps * self.rate)

    def shot_samples(self, start: int, shot: ShotPlan) -> int:
        return self._sample(start + shot.film_frames) - self._sample(start)

    def add_shot(
        self, start: int, channels: Sequence[array[float]], next_start: int | None
    ) -> None:
        """Mix a shot's samples in at film frame ``start``; send out what no later shot
        overlaps (everything before ``next_start``)."""
        at = self._sample(start)
        overlap = self._pending_start + len(self._pending[0]) - at
        for pending, incoming in zip(self._pending, channels, strict=True):
            if overlap > 0:
                base = len(pending) - overlap
                for offset in range(overlap):
                    weight = (offset + 0.5) / overlap
                    pending[base + offset] = (
                        pending[base + offset] * (1 - weight) + incoming[offset] * weight
                    )
            pending.extend(incoming[max(0, overlap) :])
        if next_start is None:
            cut = len(self._pending[0])
        else:
            cut = self._sample(next_start) - self._pending_start
        for pending, queue in zip(self._pending, self._queue, strict=True):
            queue.extend(pending[:cut])
            del pending[:cut]
        self._pending_start += cut
        self._encode_queue(final=next_start is None)

    def _encode_queue(self, *, final: bool) -> None:
        """Encode the queued samples in AAC frames (the rest, if ``final``)."""
        available = len(self._queue[0])
        taken = 0
        while available - taken >= _AAC_FRAME or (final and available > taken):
            count = min(_AAC_FRAME, available - taken)
            frame = av.AudioFrame(format="fltp", layout=self.layout, samples=count)
            for plane, queue in zip(frame.planes, self._queue, strict=True):
                plane.update(queue[taken : taken + count].tobytes())
            taken += count
            frame.sample_rate = self.rate
            frame.pts = self._written
            frame.time_base = Fraction(1, self.rate)
            self._written += count
            for packet in self._stream.encode(frame):
                self._out.mux(packet)
        for queue in self._queue:
            del queue[:taken]

    def finish(self) -> Fraction:
        """Flush the encoder; the audio's duration in seconds."""
        self._encode_queue(final=True)
        for packet in self._stream.encode(None):
            self._out.mux(packet)
        return Fraction(self._written, self.rate)
