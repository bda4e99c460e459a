"""Which accepted (paid) tasks have an APIXO id that is not safely in the store yet.

The controller feeds :class:`IdWatch` every task change; the window's id notice
(:mod:`veo_desktop.ui.tasks.id_notice`) shows what it holds. Qt-free: it reports a change
through a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.journal import IdSafety
from veo_desktop.records.task import TaskRecord


@dataclass(frozen=True)
class IdAtRisk:
    """An accepted (paid) task whose APIXO id is not safely in the store."""

    local_id: str
    apixo_task_id: str
    safety: IdSafety
    prompt: str


class IdWatch:
    """Follows where each accepted task's APIXO id is kept.

    Args:
        engine: the engine that knows where each id is (store, journal, memory).
        changed: called with the ids at risk (oldest first) whenever they change.
    """

    def __init__(self, engine: TaskEngine, changed: Callable[[tuple[IdAtRisk, ...]], None]) -> None:
        self._engine = engine
        self._changed = changed
        self._at_risk: dict[str, IdAtRisk] = {}

    def ids_at_risk(self) -> tuple[IdAtRisk, ...]:
        """The accepted tasks whose APIXO id only the journal or memory holds (oldest first)."""
        return tuple(self._at_risk.values())

    def show_journal_orphans(self) -> None:
        """Add the journal's paid ids that no task takes (once the engine started)."""
        orphans = self._engine.journal_orphans
        for entry in orphans:
            self._at_risk[f"orphan:{entry.local_id}"] = IdAtRisk(
                entry.local_id, entry.apixo_task_id, IdSafety.ORPHANED, ""
            )
        if orphans:
            self._changed(self.ids_at_risk())

    def dismiss_journal_orphans(self) -> None:
        """Stop showing them for this session (the journal keeps them)."""
        kept = {k: v for k, v in self._at_risk.items() if v.safety is not IdSafety.ORPHANED}
        if len(kept) != len(self._at_risk):
            self._at_risk = kept
            self._changed(self.ids_at_risk())

    def check(self, task: TaskRecord) -> None:
        """Follow where ``task``'s APIXO id is kept (the engine notifies every change)."""
        try:
            safety = self._engine.id_safety(task.local_id)
        except KeyError:
            safety = IdSafety.STORED
        before = self._at_risk.get(task.local_id)
        if safety is IdSafety.STORED or task.apixo_task_id is None:
            self._at_risk.pop(task.local_id, None)
        else:
            self._at_risk[task.local_id] = IdAtRisk(
                task.local_id, task.apixo_task_id, safety, task.prompt
            )
        if self._at_risk.get(task.local_id) != before:
            self._changed(self.ids_at_risk())
