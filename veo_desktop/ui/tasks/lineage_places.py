"""Where extends sit in the task list: under their source, indented by depth.

:class:`LineagePlaces` is the task model's memory of the lineage (no Qt): for each extend,
the root it hangs under and its place in that root's tree, and how deep it is. It is rebuilt
only when the set of rows changes (a task added or removed), never on a state change, and
only extends and the tasks they name take part, so a list of plain generations costs one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from veo_desktop.core.lineage import Lineage, source_task_id
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.tasks.row_index import IdKey, id_key


class Dated(Protocol):
    """A list's row: what its place by creation is worked out from."""

    @property
    def local_id(self) -> str: ...
    @property
    def id_key(self) -> IdKey: ...
    @property
    def created_at(self) -> float: ...


#: (root's created_at, root's local id as the list keeps it (``row_index.id_key``), place in
#: the root's tree): what orders a lineage.
Place = tuple[float, IdKey, int]


class LineagePlaces:
    """The place and depth of every extend (a task not known here is a root of its own)."""

    def __init__(self) -> None:
        self._lineage = Lineage(())
        self._places: dict[str, Place] = {}
        #: How deep each extend sits (read-only for others; replaced on every rebuild).
        self.depth: dict[str, int] = {}
        #: Local ids and APIXO ids that extends without a source here point to.
        self._orphan_refs: set[str] = set()

    def place_of(self, row: Dated) -> Place:
        """Where ``row`` (a list's row) sorts by creation: its root's time and id (as the
        list keeps it), then its place."""
        return self._places.get(row.local_id) or (row.created_at, row.id_key, 0)

    @property
    def orphan_refs(self) -> frozenset[str]:
        """The local ids and APIXO ids of the sources extends name that are not known here."""
        return frozenset(self._orphan_refs)

    def depth_of(self, local_id: str) -> int:
        return self.depth.get(local_id, 0)

    def parent_id_of(self, local_id: str) -> str | None:
        """The local id of the task ``local_id`` extends, among the tasks known here."""
        parent = self._lineage.parent_of(local_id)
        return None if parent is None else parent.local_id

    def has_children(self, local_id: str) -> bool:
        return bool(self._lineage.children_of(local_id))

    def adopts(self, task: TaskRecord) -> bool:
        """Whether ``task`` is the missing source of extends already known."""
        return task.local_id in self._orphan_refs or (
            task.apixo_task_id is not None and task.apixo_task_id in self._orphan_refs
        )

    def links(self, task: TaskRecord) -> bool:
        """Whether a new task changes the lineage of others (an extend, or a missing source)."""
        return task.is_extend or self.adopts(task)

    def add_root(self, task: TaskRecord) -> None:
        """A new generation nobody extends yet: its own root (nothing to rebuild or store)."""
        self.forget(task.local_id)

    def forget(self, local_id: str) -> None:
        self._places.pop(local_id, None)
        self.depth.pop(local_id, None)

    def rebuild(self, tasks: Iterable[TaskRecord]) -> set[str]:
        """Rebuild the lineage of ``tasks``; returns the ids whose depth changed.

        A task alone in its tree keeps the default place, so nothing is stored for it.
        """
        tasks = list(tasks)
        extends = [t for t in tasks if t.is_extend or t.parent_id]
        places: dict[str, Place] = {}
        depths: dict[str, int] = {}
        orphans: set[str] = set()
        lineage = Lineage(())
        if extends:
            parents = {t.parent_id for t in extends if t.parent_id}
            sources = {ref for ref in map(source_task_id, extends) if ref}
            lineage = Lineage(
                t
                for t in tasks
                if t.is_extend
                or t.parent_id
                or t.local_id in parents
                or (t.apixo_task_id is not None and t.apixo_task_id in sources)
            )
            for root in lineage.tree():
                record = root.record
                if record.is_extend:
                    orphans.update(r for r in (record.parent_id, source_task_id(record)) if r)
                if not root.children:
                    continue
                for place, node in enumerate(root.walk()):
                    if place:
                        local_id = node.record.local_id
                        places[local_id] = (record.created_at, id_key(record.local_id), place)
                        depths[local_id] = node.depth
        old = self.depth
        changed = {i for i in old.keys() | depths.keys() if old.get(i, 0) != depths.get(i, 0)}
        self._lineage = lineage
        self._places = places
        self.depth = depths
        self._orphan_refs = orphans
        return changed
