"""The state of one image input of the composer, without Qt.

A slot is empty, busy (preparing, uploading or checking its image), ready (it holds an
image URL APIXO can fetch) or in error. :class:`SlotModel` keeps that state, the upload's
progress, the problem the request rules found with its image and the shape of the video
it is a frame of; :class:`~veo_desktop.ui.compose.image_slot.ImageSlot` shows it and runs the
work that moves it along. Each piece of work gets a number (:meth:`SlotModel.start`): a
result or a progress report for an older number is ignored, so a cleared or replaced slot
never shows a late answer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from veo_desktop.ui.compose.observable import Notifier

#: Added to the message when the check before submitting blocked the task.
NOTHING_SENT = "Nothing was sent."


class SlotState(StrEnum):
    EMPTY = "empty"
    BUSY = "busy"
    READY = "ready"
    ERROR = "error"


class PreviewLike(Protocol):
    """What a slot knows of a picture (``ui.images.ImagePreview`` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> int | None: ...

    @property
    def width(self) -> int | None: ...

    @property
    def height(self) -> int | None: ...

    @property
    def summary(self) -> str: ...


class ImageLike(Protocol):
    """An image ready to send (``ui.images.SlotImage`` is one)."""

    @property
    def url(self) -> str: ...

    @property
    def preview(self) -> PreviewLike: ...

    @property
    def notes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class SlotContent:
    """What a slot holds; swapped whole between the first and the last frame.

    ``source`` is what the image was taken from (a path, a URL, pixels), kept to try again.
    """

    state: SlotState = SlotState.EMPTY
    image: ImageLike | None = None
    preview: PreviewLike | None = None
    error: str | None = None
    source: object = None
    retryable: bool = True


class SlotModel:
    """One image input: its content, its work's progress and the problems shown under it.

    Args:
        title: what people call it ("First frame", "Reference 2").
        name: the name problems are filed under (the view's object name, "firstFrameSlot").

    Notifiers:
        changed: the content changed (state, image, error); the composer re-checks the form.
        external_changed: the request rules' problem with the image changed.
        aspect_changed: the shape of the video this slot is a frame of changed.
        progress_changed: the work under way reported progress (:attr:`busy_text`).
    """

    def __init__(self, title: str, name: str = "") -> None:
        self.title = title
        self.name = name
        self.changed = Notifier()
        self.external_changed = Notifier()
        self.aspect_changed = Notifier()
        self.progress_changed = Notifier()
        self._content = SlotContent()
        self._external: str | None = None
        self._frame_aspect: str | None = None
        self._generation = 0
        #: What the slot is doing while busy ("Preparing…", "Uploading… 40%").
        self.busy_text = ""
        #: How far an upload is (0 to 1), None when it is not uploading.
        self.busy_progress: float | None = None

    # -- what views and the form read -------------------------------------------------------

    @property
    def content(self) -> SlotContent:
        return self._content

    @property
    def state(self) -> SlotState:
        return self._content.state

    @property
    def image(self) -> ImageLike | None:
        """The image to send (None unless ready)."""
        return self._content.image if self._content.state is SlotState.READY else None

    @property
    def url(self) -> str | None:
        """The image URL to send, when the slot holds a usable image."""
        image = self.image
        return image.url if image is not None else None

    @property
    def problem(self) -> str | None:
        """Why this slot blocks Generate: its own error, or still busy."""
        if self.state is SlotState.ERROR:
            return self._content.error
        if self.state is SlotState.BUSY:
            doing = self.busy_text.split("…", 1)[0].lower()
            return f"Wait for the {self.title.lower()}: {doing}…"
        return None

    @property
    def message(self) -> str | None:
        """The problem shown under the picture: its error, or the request rules' problem."""
        if self.state is SlotState.ERROR:
            return self._content.error
        if self._external and self.state is SlotState.READY:
            return self._external
        return None

    @property
    def notes(self) -> str | None:
        """What was changed or found about a ready image, in plain words."""
        image = self.image
        return " ".join(image.notes) if image is not None else None

    @property
    def retry_offered(self) -> bool:
        """Whether trying again may work (a failure with something to take again)."""
        content = self._content
        return content.state is SlotState.ERROR and content.source is not None and content.retryable

    @property
    def external_problem(self) -> str | None:
        return self._external

    @property
    def frame_aspect(self) -> str | None:
        """The shape of the video this slot is a frame of (None: not a frame)."""
        return self._frame_aspect

    @property
    def generation(self) -> int:
        """The number of the work under way (or of the last one)."""
        return self._generation

    def is_current(self, generation: int) -> bool:
        return generation == self._generation

    # -- changes ---------------------------------------------------------------------------

    def cancel(self) -> int:
        """Forget the work under way: its late results and progress are ignored."""
        self._generation += 1
        return self._generation

    def start(self, busy_text: str, source: object) -> int:
        """Begin new work on ``source`` (replacing any under way); returns its number."""
        generation = self.cancel()
        self.busy_text = busy_text
        self.busy_progress = None
        self._set(SlotContent(state=SlotState.BUSY, source=source))
        return generation

    def report_progress(self, generation: int, sent: int, total: int) -> bool:
        """An upload of work ``generation`` sent ``sent`` of ``total`` bytes."""
        if generation != self._generation or self.state is not SlotState.BUSY:
            return False
        fraction = sent / total if total > 0 else 0.0
        self.busy_progress = fraction
        self.busy_text = f"Uploading… {round(fraction * 100)}%"
        self.progress_changed.emit()
        return True

    def succeed(self, generation: int, image: ImageLike, source: object) -> None:
        """Work ``generation`` made ``image`` ready (ignored when it is not current)."""
        if generation == self._generation:
            self._set(SlotContent(SlotState.READY, image, image.preview, None, source))

    def fail(
        self,
        generation: int,
        error: str,
        source: object,
        *,
        preview: PreviewLike | None = None,
        retryable: bool = True,
    ) -> None:
        """Work ``generation`` failed with ``error`` (ignored when it is not current)."""
        if generation == self._generation:
            self._set(SlotContent(SlotState.ERROR, None, preview, error, source, retryable))

    def fail_keeping_picture(self, generation: int, error: str) -> None:
        """Work on the picture held failed for good (a crop that cannot be made)."""
        if generation == self._generation:
            self._set(replace(self._content, state=SlotState.ERROR, error=error, retryable=False))

    def clear(self) -> None:
        """Empty the slot (any work under way is forgotten)."""
        self.cancel()
        self._set(SlotContent())

    def swap_with(self, other: SlotModel) -> None:
        """Exchange contents with another slot (first and last frame); not while busy."""
        if SlotState.BUSY in (self.state, other.state):
            return
        mine, theirs = self._content, other._content
        self._set(theirs)
        other._set(mine)

    def show_submit_problem(self, message: str) -> None:
        """The check just before submitting found the image unusable: nothing was sent.

        The slot keeps its picture and shows ``message`` as its problem (blocking Generate).
        """
        content = self._content
        if content.state is not SlotState.READY:
            return
        text = message if message.endswith(NOTHING_SENT) else f"{message} {NOTHING_SENT}"
        self._set(replace(content, state=SlotState.ERROR, error=text))

    def set_frame_aspect(self, aspect: str | None) -> None:
        """Make this a frame of an ``aspect`` video (None: not a frame)."""
        if aspect != self._frame_aspect:
            self._frame_aspect = aspect
            self.aspect_changed.emit()

    def set_external_problem(self, message: str | None) -> None:
        """A problem the request rules found with this slot's image (shown under it)."""
        if message != self._external:
            self._external = message
            self.external_changed.emit()

    def _set(self, content: SlotContent) -> None:
        self._content = content
        if content.state is not SlotState.BUSY:
            self.busy_progress = None
        if content.state is not SlotState.READY:
            self._external = None
        self.changed.emit()
