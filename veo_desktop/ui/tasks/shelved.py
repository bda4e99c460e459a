"""Rows of a large library's list that keep a few facts instead of the task's record.

Scrolled to its end, a list of 100,000 tasks would hold 100,000 records (about 1.5 KB each
with their requests, histories and file names): the older pages are listed as
:class:`ShelvedRow` instead, which keeps what the list orders, filters and groups takes by
(about 0.35 KB with its place in the list's index). The record itself is read from the
store when the row is shown or acted on (``TaskTableModel`` keeps the last few), and the
row becomes a full one when its task changes.

Only finished tasks that nothing in the list links to are shelved: an extend, or a task an
extend names, keeps its record (their places in the list are worked out from them).
"""

from __future__ import annotations

from decimal import Decimal

from veo_desktop.api.models import Model
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks import format as fmt
from veo_desktop.ui.tasks.cells import TaskRow
from veo_desktop.ui.tasks.row_index import IdKey, id_key, id_text
from veo_desktop.ui.tasks.takes import run_key

#: (state, mode, type, aspect, price, has files, type text, mode text, aspect text, price
#: text): a few hundred combinations among any number of rows, each kept once.
_Look = tuple[TaskState, str, str | None, str | None, Decimal, bool, str, str, str, str]
_LOOKS: dict[_Look, _Look] = {}
#: The note of a row whose task could not be read (see :meth:`ShelvedRow.stand_in`).
UNREAD_NOTE = "This task could not be read from your library just now."


def can_shelve(task: TaskRecord) -> bool:
    """Whether ``task`` may be listed as a :class:`ShelvedRow`: finished, shown, no extend
    (whether an extend names it is the list's to say)."""
    return task.is_final and not task.hidden and not task.is_extend and not task.parent_id


class ShelvedRow:
    """A listed task's facts (see the module docstring); made by :meth:`of`.

    It answers what a search looks at (a :class:`~veo_desktop.records.library.TaskFacts`)
    and what the list sorts and groups takes by. Its local id is kept as the list's index
    keeps it (:func:`~veo_desktop.ui.tasks.row_index.id_key`).
    """

    __slots__ = ("_look", "created_at", "folded_prompt", "id_key", "run", "seed")

    is_extend = False

    def __init__(
        self,
        key: IdKey,
        created_at: float,
        folded_prompt: str,
        look: _Look,
        seed: int | None,
        run: int | None,
    ) -> None:
        #: The local id, as the list's index keeps it.
        self.id_key = key
        self.created_at = created_at
        #: The prompt on one line, case-folded (what a search's words are looked for in).
        self.folded_prompt = folded_prompt
        self._look = look
        #: The request's seed (None: it had none).
        self.seed = seed
        #: What every take of its variations run shares, hashed (None: it has no seed).
        self.run = run

    @classmethod
    def of(cls, task: TaskRecord) -> ShelvedRow | None:
        """The facts of ``task`` (one :func:`can_shelve` allows); None when its seed is
        not a whole number (it keeps its record)."""
        seed = task.seed
        if seed is not None and type(seed) is not int:
            return None
        look: _Look = (
            task.state,
            task.mode,
            task.generation_type,
            task.aspect_ratio,
            task.price,
            bool(task.files),
            fmt.kind_label(task),
            fmt.mode_label(task),
            fmt.aspect_label(task),
            fmt.price_text(task),
        )
        key = run_key(task)
        return cls(
            id_key(task.local_id),
            task.created_at,
            fmt.short_prompt(task).casefold(),
            _LOOKS.setdefault(look, look),
            seed,
            None if key is None else hash(key),
        )

    @property
    def local_id(self) -> str:
        return id_text(self.id_key)

    @property
    def state(self) -> TaskState:
        return self._look[0]

    @property
    def mode(self) -> str:
        return self._look[1]

    @property
    def generation_type(self) -> str | None:
        return self._look[2]

    @property
    def aspect_ratio(self) -> str | None:
        return self._look[3]

    @property
    def price(self) -> Decimal:
        return self._look[4]

    @property
    def has_files(self) -> bool:
        return self._look[5]

    @property
    def kind_text(self) -> str:
        return self._look[6]

    @property
    def mode_text(self) -> str:
        return self._look[7]

    @property
    def aspect_text(self) -> str:
        return self._look[8]

    def stand_in(self) -> TaskRecord:
        """A record saying what the row knows, for a task that could not be read (the store
        failed): shown, saying so, until the list is filled again; no action takes it
        (:func:`is_stand_in`)."""
        return TaskRecord(
            local_id=self.local_id,
            model=Model.VEO,
            request={"input": {"prompt": self.folded_prompt, "mode": self.mode}},
            state=self.state,
            created_at=self.created_at,
            updated_at=self.created_at,
            price=self.price,
            note=UNREAD_NOTE,
        )


#: A row of the task list: a task's record (and its texts), or its facts.
ListRow = TaskRow | ShelvedRow


def is_stand_in(task: TaskRecord | None) -> bool:
    """Whether ``task`` is a shelved row's :meth:`~ShelvedRow.stand_in` (no action takes it:
    its prompt is case-folded, its settings unknown)."""
    return task is not None and task.note == UNREAD_NOTE and not task.request.get("request_type")


def shelve(task: TaskRecord) -> ShelvedRow | None:
    """``task``'s shelved row; None: it must keep its record (see :func:`can_shelve`)."""
    return ShelvedRow.of(task) if can_shelve(task) else None
