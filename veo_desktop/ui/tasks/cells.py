"""What the task list's cells say: the texts, tooltips, accessible texts and sort values.

:class:`TaskRow` holds one task and its texts (computed on first use, once per change);
:class:`TaskCells` answers the task model's ``data()`` for the roles that take more than a
lookup. Only the state and age of a task are formatted on every call, because their clock
moves.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.columns import EXTEND_MARK, STATE_ORDER, Column
from veo_desktop.ui.tasks.lineage_places import LineagePlaces
from veo_desktop.ui.tasks.row_index import IdKey, id_key
from veo_desktop.ui.tasks.tracking import Progress
from veo_desktop.ui.thumbnails import ThumbnailCache

_TOOLTIP_LIMIT = 2000


class TaskRow:
    """One task and the texts derived from it (made on first use, once per change).

    Ten thousand rows are built when the list opens, but only the visible ones are ever
    displayed, so the texts are computed lazily.
    """

    __slots__ = ("_folded", "_key", "_texts", "task")

    def __init__(self, task: TaskRecord) -> None:
        self.task = task
        self._texts: tuple[str, str, str, str, str] | None = None
        self._folded: str | None = None
        self._key: IdKey | None = None

    @property
    def id_key(self) -> IdKey:
        """The local id as the list's index keeps it."""
        if self._key is None:
            self._key = id_key(self.task.local_id)
        return self._key

    @property
    def prompt(self) -> str:
        return self.texts[0]

    # What the list orders by, as a ShelvedRow says it too.

    @property
    def local_id(self) -> str:
        return self.task.local_id

    @property
    def created_at(self) -> float:
        return self.task.created_at

    @property
    def state(self) -> TaskState:
        return self.task.state

    @property
    def price(self) -> Decimal:
        return self.task.price

    @property
    def has_files(self) -> bool:
        return bool(self.task.files)

    @property
    def kind_text(self) -> str:
        return fmt.kind_label(self.task)

    @property
    def mode_text(self) -> str:
        return fmt.mode_label(self.task)

    @property
    def aspect_text(self) -> str:
        return fmt.aspect_label(self.task)

    @property
    def folded_prompt(self) -> str:
        if self._folded is None:
            self._folded = fmt.short_prompt(self.task).casefold()
        return self._folded

    @property
    def texts(self) -> tuple[str, str, str, str, str]:
        """(prompt, type, mode, aspect, price)."""
        if self._texts is None:
            task = self.task
            self._texts = (
                fmt.short_prompt(task),
                fmt.kind_label(task),
                fmt.mode_label(task),
                fmt.aspect_label(task),
                fmt.price_text(task),
            )
        return self._texts


#: What each column sorts by: times and prices as numbers, words case-folded. A row is a
#: :class:`TaskRow` or a ``ShelvedRow`` (both say these).
SORT_VALUES: dict[int, Callable[[Any], Any]] = {
    Column.THUMBNAIL: lambda row: 1 if row.has_files else 0,
    Column.PROMPT: lambda row: row.folded_prompt,
    Column.TYPE: lambda row: row.kind_text,
    Column.MODE: lambda row: row.mode_text,
    Column.ASPECT: lambda row: row.aspect_text,
    Column.STATE: lambda row: STATE_ORDER.get(row.state, 99),
    Column.PRICE: lambda row: row.price,
    Column.CREATED: lambda row: row.created_at,
}


class TaskCells:
    """The words and pictures of a row's cells, for the roles the model forwards here.

    Args:
        clock: the time now (for running clocks and ages).
        progress: download progress by local id (the model's own, updated in place).
        places: the lineage places (for the depth of extends).
        thumbnails: the first-frame cache, if thumbnails are shown.
        parent_of: the task in the list that a local id extends.
        take_of: "Take 2/4 · seed 17" for a take of a variations run, else "".
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        progress: dict[str, Progress],
        places: LineagePlaces,
        thumbnails: ThumbnailCache | None,
        parent_of: Callable[[str], TaskRecord | None],
        take_of: Callable[[str], str] = lambda _local_id: "",
    ) -> None:
        self._clock = clock
        self._progress = progress
        self._places = places
        self._thumbnails = thumbnails
        self._parent_of = parent_of
        self.take_of = take_of

    def display(self, row: TaskRow, column: int) -> str | None:
        if column == Column.STATE:
            return fmt.state_line(row.task, self._clock(), self._progress.get(row.task.local_id))
        if column == Column.CREATED:
            return fmt.created_text(row.task.created_at, self._clock())
        if column == Column.PROMPT:
            depth = self._places.depth.get(row.task.local_id, 0)
            return EXTEND_MARK + row.texts[0] if depth else row.texts[0]
        if Column.PROMPT < column <= Column.ASPECT:
            return row.texts[column - Column.PROMPT]
        if column == Column.PRICE:
            return row.texts[4]
        return None

    @staticmethod
    def sort_key(row: Any, column: int) -> Any:
        value = SORT_VALUES[column](row)
        return float(value) if isinstance(value, Decimal) else value

    def thumbnail(self, task: TaskRecord) -> Any:
        if self._thumbnails is None or not task.files:
            return None
        return self._thumbnails.get(task.files[0])

    def progress_fraction(self, row: TaskRow) -> float | None:
        progress = self._progress.get(row.task.local_id)
        return fmt.progress_fraction(*progress) if progress else None

    @staticmethod
    def detail(row: TaskRow) -> str:
        """The second line of the state cell (a note or why it failed); may be empty."""
        return fmt.detail_line(row.task)

    def meta(self, row: TaskRow) -> str:
        """The take (if any), then mode, aspect, price, age and type on one line."""
        _, kind, mode, aspect, price = row.texts
        created = fmt.created_text(row.task.created_at, self._clock())
        take = self.take_of(row.task.local_id)
        return " \u00b7 ".join((*((take,) if take else ()), mode, aspect, price, created, kind))

    def short_state(self, row: TaskRow) -> str:
        progress = self._progress.get(row.task.local_id)
        return fmt.short_state_line(row.task, self._clock(), progress)

    def tooltip(self, row: TaskRow, column: int) -> str | None:
        task = row.task
        if column in (Column.PROMPT, Column.THUMBNAIL):
            text = task.prompt
            if len(text) > _TOOLTIP_LIMIT:
                text = text[:_TOOLTIP_LIMIT] + "\u2026"
            tip = f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
            take = self.take_of(task.local_id)
            if take:
                tip += f"<p>{html.escape(take)}</p>"
            parent = self._parent_of(task.local_id) if task.is_extend else None
            if parent is not None:
                source = fmt.short_prompt(parent)
                source = source if len(source) <= 80 else source[:79] + "\u2026"
                tip += f"<p><i>Extends \u201c{html.escape(source)}\u201d</i></p>"
            return tip
        if column == Column.STATE:
            detail = fmt.detail_line(task)
            line = fmt.state_line(task, self._clock(), self._progress.get(task.local_id))
            return f"{line}\n{detail}" if detail else line
        if column == Column.TYPE:
            return fmt.kind_description(task)
        if column == Column.PRICE:
            return fmt.price_tooltip(task)
        if column == Column.CREATED:
            return fmt.created_tooltip(task.created_at)
        return None

    def accessible(self, row: TaskRow, column: int) -> str | None:
        if column == Column.PROMPT:
            take = self.take_of(row.task.local_id)
            text = f"{row.texts[0]}. {take}" if take else row.texts[0]
            return f"Extension: {text}" if self._places.depth.get(row.task.local_id, 0) else text
        if column == Column.THUMBNAIL:
            return "Video thumbnail" if row.task.files else "No video yet"
        if column == Column.STATE:
            detail = fmt.detail_line(row.task)
            line = fmt.state_line(row.task, self._clock(), self._progress.get(row.task.local_id))
            return f"{line}. {detail}" if detail else line
        return self.display(row, column)
