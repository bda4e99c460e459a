"""A widget that paints the frames a QVideoSink receives, letterboxed.

``QVideoWidget`` draws through a native surface that ``QWidget.grab()`` never sees (and
that some platforms composite badly inside splitters); painting the sink's frames with
QPainter keeps the preview in screenshots and under every platform plugin, and lets us
keep the video's aspect ratio ourselves for 16:9 and 9:16 alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QDrag,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
)
from PySide6.QtMultimedia import QVideoFrame, QVideoSink
from PySide6.QtWidgets import QApplication, QWidget

from veo_desktop.ui.preview.controls import (
    SURFACE_COLOR,
    SURFACE_SIZE_HINT,
    paint_message,
    shape_surface,
)
from veo_desktop.ui.tasks.files import file_mime


def letterbox(frame: QSize, area: QRectF) -> QRectF:
    """The largest rect with ``frame``'s aspect ratio centred in ``area``."""
    if frame.isEmpty() or area.isEmpty():
        return QRectF()
    size = frame.toSizeF()
    size.scale(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    rect = QRectF(QPointF(0, 0), size)
    rect.moveCenter(area.center())
    return rect


class VideoSurface(QWidget):
    """Shows the latest frame of :attr:`sink`, or a message when there is no video.

    The person can drag the video out (into a file manager) when :meth:`set_file` gave it
    a file, and click it to play or pause.
    """

    #: A click without a drag (the panel toggles play/pause).
    clicked = Signal()
    #: A new frame was painted (its start time in microseconds).
    frame_shown = Signal(object)
    #: The frames' size changed (a new video, or the first frame).
    frame_size_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewSurface")
        self.setAccessibleName("Video")
        self.setAccessibleDescription(
            "The selected video. Click to play or pause; drag it to a folder to copy it."
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        shape_surface(self)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self.on_sink_video_frame_changed)
        self._image: QImage | None = None
        self._frame_time = -1
        self._frames = 0
        self._message = ""
        self._file: Path | None = None
        self._press: QPoint | None = None
        #: The file a drag hands out for the one on show (a copy carrying its recipe); None:
        #: the file itself.
        self.carry: Callable[[Path], Path | None] | None = None

    # -- content ---------------------------------------------------------------------------

    @Slot(QVideoFrame)
    def on_sink_video_frame_changed(self, frame: QVideoFrame) -> None:
        if not frame.isValid():
            return
        image = frame.toImage()
        if image.isNull():
            return
        resized = self._image is None or self._image.size() != image.size()
        self._image = image
        self._frame_time = frame.startTime()
        if resized:
            self.frame_size_changed.emit()
        self._frames += 1
        self.update()
        self.frame_shown.emit(self._frame_time)

    def clear(self, message: str = "") -> None:
        """Forget the frame and show ``message`` instead."""
        self._image = None
        self._frame_time = -1
        self._message = message
        self.update()

    def set_message(self, message: str) -> None:
        """A message over a black surface (shown while there is no frame)."""
        self._message = message
        self.update()

    def set_file(self, path: Path | None) -> None:
        """The file a drag out of the preview carries (``None``: no drag)."""
        self._file = path
        self.setCursor(
            Qt.CursorShape.OpenHandCursor if path is not None else Qt.CursorShape.ArrowCursor
        )

    @property
    def message(self) -> str:
        return self._message

    @property
    def frame_image(self) -> QImage | None:
        """The frame on show (``None`` when there is none)."""
        return self._image

    @property
    def frame_time_us(self) -> int:
        """Start time of the frame on show in microseconds (-1 when none)."""
        return self._frame_time

    @property
    def frames_received(self) -> int:
        return self._frames

    def video_rect(self) -> QRectF:
        """Where the frame is painted: the widget's rect, letterboxed to the frame's shape."""
        if self._image is None:
            return QRectF()
        return letterbox(self._image.size(), QRectF(self.rect()))

    def sizeHint(self) -> QSize:
        return SURFACE_SIZE_HINT

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), SURFACE_COLOR)
        target = self.video_rect()
        if self._image is not None and not target.isEmpty():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image)
        elif self._message:
            paint_message(self, painter, self._message)
        painter.end()

    # -- mouse -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if (
            self._press is not None
            and self._file is not None
            and (event.position().toPoint() - self._press).manhattanLength()
            >= QApplication.startDragDistance()
        ):
            self._press = None
            self.start_drag()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            self._press = None
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def drag_mime(self) -> QMimeData | None:
        """The mime data a drag out carries (``None`` without a file)."""
        if self._file is None:
            return None
        carried = self._file if self.carry is None else self.carry(self._file)
        return None if carried is None else file_mime(carried)

    def start_drag(self) -> None:
        data = self.drag_mime()
        if data is None:
            return
        drag = QDrag(self)
        drag.setMimeData(data)
        if self._image is not None:
            preview = self._image.scaled(
                160,
                160,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            drag.setPixmap(QPixmap.fromImage(preview))
        drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)
