"""The render worker: paints clip frames with Qt and encodes them to H.264 with PyAV, with a
stereo AAC soundtrack (a tone whose pitch comes from the task id, beeping once a second), as
Veo 3.1 clips carry sound.

Run as ``python -m veo_desktop.sim.render``; it speaks the JSON-lines protocol described in
:mod:`veo_desktop.sim.renderer` and owns its own offscreen QGuiApplication. This is the only
module of the simulator that imports PySide6, and only this process imports it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
from dataclasses import dataclass
from typing import IO, Any

import av
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPen,
)

from veo_desktop.logs import quiet_ffmpeg
from veo_desktop.sim.renderer import RenderJob

logger = logging.getLogger(__name__)

_PROMPT_MAX_CHARS = 240
_SANS = "DejaVu Sans"
_MONO = "DejaVu Sans Mono"
_ENCODER_OPTIONS = {"preset": "ultrafast", "crf": "28"}
AUDIO_RATE = 48_000
AUDIO_LAYOUT = "stereo"
_AUDIO_BIT_RATE = 64_000
_AUDIO_FRAME = 1024
_AUDIO_VOLUME = "0.4"


def render_clip(job: RenderJob) -> None:
    """Render ``job`` to ``job.path`` (via a temporary file, so the path appears complete)."""
    quiet_ffmpeg()
    frames = max(1, round(job.seconds * job.fps))
    background = _paint_background(job)
    partial = f"{job.path}.part"
    try:
        with av.open(partial, mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream("libx264", rate=job.fps)
            stream.width = job.width
            stream.height = job.height
            stream.pix_fmt = "yuv420p"
            stream.options = dict(_ENCODER_OPTIONS)
            sound = _Sound(job, frames / job.fps, out)
            for index in range(frames):
                image = _paint_frame(background, job, index, frames)
                frame = av.VideoFrame.from_bytes(
                    bytes(image.constBits()), job.width, job.height, format="rgba"
                )
                for packet in stream.encode(frame):
                    out.mux(packet)
                sound.encode((index + 1) / job.fps)
            for packet in stream.encode():
                out.mux(packet)
            sound.encode(None)
        os.replace(partial, job.path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


class _Sound:
    """The clip's sound: a sine tone whose pitch comes from the task id (220-880 Hz), beeping
    at twice the pitch once a second, encoded to AAC in step with the video."""

    def __init__(self, job: RenderJob, seconds: float, out: av.container.OutputContainer):
        digest = hashlib.sha256(job.task_id.encode()).digest()
        pitch = 220 + int.from_bytes(digest[2:4], "big") % 661
        graph = av.filter.Graph()
        source = graph.add(
            "sine",
            f"frequency={pitch}:beep_factor=2:sample_rate={AUDIO_RATE}"
            f":samples_per_frame={_AUDIO_FRAME}:duration={seconds:.6f}",
        )
        soften = graph.add("volume", _AUDIO_VOLUME)  # a soft tone: the demo plays it aloud
        convert = graph.add("aformat", f"sample_fmts=fltp:channel_layouts={AUDIO_LAYOUT}")
        sink = graph.add("abuffersink")
        source.link_to(soften)
        soften.link_to(convert)
        convert.link_to(sink)
        graph.configure()
        self._graph = graph
        self._out = out
        self._stream = out.add_stream("aac", rate=AUDIO_RATE, layout=AUDIO_LAYOUT)
        self._stream.bit_rate = _AUDIO_BIT_RATE
        self._samples = 0

    def encode(self, until: float | None) -> None:
        """Encode the sound up to ``until`` seconds; None: all of it, and flush."""
        while until is None or self._samples < until * AUDIO_RATE:
            try:
                frame = self._graph.pull()
            except (av.BlockingIOError, av.EOFError):
                break
            assert isinstance(frame, av.AudioFrame)
            self._samples += frame.samples
            self._out.mux(self._stream.encode(frame))
        if until is None:
            self._out.mux(self._stream.encode(None))


def _palette(task_id: str) -> tuple[QColor, QColor, QColor]:
    """Three colours derived from the task id, so two tasks never look alike."""
    digest = hashlib.sha256(task_id.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    top = QColor.fromHsv(hue, 160, 110)
    bottom = QColor.fromHsv((hue + 40) % 360, 200, 45)
    accent = QColor.fromHsv((hue + 180) % 360, 200, 250)
    return top, bottom, accent


@dataclass(frozen=True)
class _Layout:
    """Where everything goes on a frame, from the top down and from the bottom up."""

    margin: float
    caption: QRectF
    prompt: QRectF
    task_id: QRectF
    counter: QRectF
    track_y: float
    radius: float
    small_px: int
    big_px: int

    @classmethod
    def of(cls, width: int, height: int) -> _Layout:
        unit = min(width, height)
        margin = max(12.0, unit / 24)
        inner = width - 2 * margin
        small_px = max(10, unit // 26)
        big_px = max(14, unit // 15)
        line = small_px * 1.5
        radius = max(6.0, unit / 30)
        track_y = height - margin - 3
        counter_bottom = track_y - 2 * radius - 10
        counter = QRectF(margin, counter_bottom - line, inner, line)
        task_id = QRectF(margin, counter.top() - line, inner, line)
        caption = QRectF(margin, margin, inner, line)
        prompt_top = caption.bottom() + line
        prompt = QRectF(margin, prompt_top, inner, task_id.top() - line - prompt_top)
        return cls(margin, caption, prompt, task_id, counter, track_y, radius, small_px, big_px)


def _font(family: str, pixel_size: int, *, bold: bool = False) -> QFont:
    font = QFont(family)
    font.setPixelSize(pixel_size)
    font.setBold(bold)
    return font


def _fitted(family: str, text: str, pixel_size: int, width: float) -> QFont:
    """``family`` at ``pixel_size``, or smaller until ``text`` fits in ``width``."""
    font = _font(family, pixel_size)
    while pixel_size > 8 and QFontMetricsF(font).horizontalAdvance(text) > width:
        pixel_size -= 1
        font = _font(family, pixel_size)
    return font


def _paint_background(job: RenderJob) -> QImage:
    """Everything that does not move: gradient, caption, prompt, task id."""
    width, height = job.width, job.height
    layout = _Layout.of(width, height)
    top, bottom, _ = _palette(job.task_id)
    image = QImage(width, height, QImage.Format.Format_RGBA8888)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        gradient = QLinearGradient(0, 0, 0, height)
        gradient.setColorAt(0.0, top)
        gradient.setColorAt(1.0, bottom)
        painter.fillRect(0, 0, width, height, gradient)

        left_middle = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        small = _font(_SANS, layout.small_px)
        caption = QFontMetricsF(small).elidedText(
            f"APIXO simulator \u00b7 {job.caption}",
            Qt.TextElideMode.ElideRight,
            layout.caption.width(),
        )
        painter.setFont(small)
        painter.setPen(QColor(255, 255, 255, 200))
        painter.drawText(layout.caption, left_middle, caption)

        prompt = " ".join(job.prompt.split())
        if len(prompt) > _PROMPT_MAX_CHARS:
            prompt = prompt[: _PROMPT_MAX_CHARS - 1].rstrip() + "\u2026"
        big = _font(_SANS, layout.big_px, bold=True)
        painter.setFont(big)
        painter.setPen(QColor("white"))
        painter.drawText(
            layout.prompt,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            _elide_to_box(prompt, big, layout.prompt),
        )

        painter.setFont(_fitted(_MONO, job.task_id, layout.small_px, layout.task_id.width()))
        painter.setPen(QColor(255, 255, 255, 220))
        painter.drawText(layout.task_id, left_middle, job.task_id)
    finally:
        painter.end()
    return image


def _elide_to_box(text: str, font: QFont, box: QRectF) -> str:
    """Shorten ``text`` word by word until its wrapped layout fits in ``box``."""
    metrics = QFontMetricsF(font)
    flags = int(Qt.TextFlag.TextWordWrap.value)
    words = text.split(" ")
    candidate = text
    while len(words) > 1:
        bounds = metrics.boundingRect(QRectF(0, 0, box.width(), 1e6), flags, candidate)
        if bounds.height() <= box.height():
            return candidate
        words.pop()
        candidate = " ".join(words) + "\u2026"
    return candidate


def _paint_frame(background: QImage, job: RenderJob, index: int, frames: int) -> QImage:
    """One frame: the background plus a moving ball, a progress bar and a frame counter."""
    width = job.width
    layout = _Layout.of(job.width, job.height)
    _, _, accent = _palette(job.task_id)
    image = background.copy()
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        margin, radius, track_y = layout.margin, layout.radius, layout.track_y
        progress = index / max(1, frames - 1)
        swing = 0.5 - 0.5 * math.cos(2 * math.pi * progress)
        ball_x = margin + radius + swing * (width - 2 * (margin + radius))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 90))
        painter.drawRoundedRect(QRectF(margin, track_y - 2, width - 2 * margin, 4), 2, 2)
        painter.setBrush(accent)
        painter.drawRoundedRect(
            QRectF(margin, track_y - 2, (width - 2 * margin) * progress, 4), 2, 2
        )
        painter.drawEllipse(QPointF(ball_x, track_y - radius - 6), radius, radius)

        painter.setFont(_font(_MONO, layout.small_px))
        painter.setPen(QPen(QColor("white")))
        painter.drawText(
            layout.counter,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            f"frame {index + 1}/{frames} \u00b7 {index / job.fps:05.2f}s",
        )
    finally:
        painter.end()
    return image


def serve(requests: IO[str], answers: IO[str]) -> None:
    """Render jobs read from ``requests`` until it closes, answering each on ``answers``."""
    for line in requests:
        if not line.strip():
            continue
        answer: dict[str, Any]
        try:
            message = json.loads(line)
            request_id = message["id"]
            job = RenderJob.from_json(message["job"])
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("bad render request %r: %s", line[:200], exc)
            continue
        try:
            render_clip(job)
            answer = {"id": request_id, "ok": True}
        except Exception as exc:  # any failure is reported back; the worker lives on
            logger.exception("rendering %s failed", job.path)
            answer = {"id": request_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main() -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    # Keep stray prints away from the protocol channel.
    answers, sys.stdout = sys.stdout, sys.stderr
    app = QGuiApplication([sys.argv[0]])
    try:
        serve(sys.stdin, answers)
    finally:
        del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
