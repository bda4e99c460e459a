"""A paid task's APIXO id that could not be saved stays on screen until it is (issue 12, #1).

The real engine, store and simulator; the store refuses writes from the moment the
submission is on its way (as on a disk that filled up), and the accepted-ids journal
beside it cannot be written either at first. The window shows a notice above its panels with the id
("Write this id down"), copyable; it stays while the engine retries, says "kept in the
journal" once the journal takes the id, and goes away only when the store has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from tests.core.test_accepted_ids import FillsDiskOnSubmit, FullDiskStore
from tests.fixtures.sim import SIM_API_KEY
from tests.ui.tasks_support import QUICK_RETRY
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.journal import AcceptedJournal, IdSafety
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.task import TaskRecord
from veo_desktop.storage.store import TaskStore
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.tasks.id_notice import UnsavedIdNotice

#: The store's refused writes are retried every 0.05-0.2 s here (the default is minutes).
RETRYING = PollTiming(
    first_poll_fast=0.05,
    first_poll_quality=0.05,
    interval_min=0.05,
    interval_max=0.1,
    slow_interval=0.2,
)


class CountingStore(FullDiskStore):
    """The full-disk store, counting the writes it refused (the engine's retries)."""

    refused = 0

    def update(self, record: TaskRecord, *, new_events: Any = (), durable: bool = False) -> None:
        if self.full:
            type(self).refused += 1
        super().update(record, new_events=new_events, durable=durable)

    def refused_writes(self) -> int:
        return type(self).refused


@dataclass
class Setup:
    engine: TaskEngine
    controller: EngineController
    store: CountingStore
    notice: UnsavedIdNotice
    journal: Path
    arun: Callable[..., Any]


@pytest.fixture
def setup(sim: Any, tmp_path: Path, arun: Callable[..., Any], qtbot: Any) -> Iterator[Setup]:
    data = tmp_path / "data"
    plain = TaskStore.open(data / "tasks.sqlite3")
    CountingStore.refused = 0
    store = CountingStore(plain._db, plain.path)
    journal = AcceptedJournal.beside(store.path).path

    def fill() -> None:
        store.full = True
        journal.mkdir()  # the journal cannot be written either

    client = FillsDiskOnSubmit(fill, SIM_API_KEY, base_url=sim.base_url, read_retry=QUICK_RETRY)
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos", timing=RETRYING)
    arun(engine.start())
    journal.unlink()
    controller = EngineController(engine)
    notice = UnsavedIdNotice(controller)
    qtbot.addWidget(notice)
    notice.resize(900, 160)
    yield Setup(engine, controller, store, notice, journal, arun)
    notice.close_notice()
    if journal.is_dir():
        journal.rmdir()
    store.full = False
    arun(controller.aclose())
    arun(engine.aclose())
    arun(client.aclose())
    store.close()
    controller.deleteLater()


def test_an_unsaved_id_stays_on_screen_until_the_store_has_it(setup: Setup, qtbot: Any) -> None:
    notice = setup.notice
    assert notice.isHidden()
    record = setup.arun(setup.controller.submit(GenerationRequest(prompt="Paid on a full disk")))
    assert record is not None and record.apixo_task_id
    apixo_id = record.apixo_task_id
    assert setup.engine.id_safety(record.local_id) is IdSafety.UNSAVED

    qtbot.waitUntil(notice.isVisible)
    assert notice.heading.text().startswith("Write this id down")
    assert apixo_id in notice.ids.text()
    assert "(not saved)" in notice.ids.text()
    assert "disk is full" in notice.body.text()
    notice.copy_button.click()
    assert QGuiApplication.clipboard().text() == apixo_id

    # It stays while the engine keeps trying (not a toast that fades).
    tries = setup.store.refused_writes()
    qtbot.waitUntil(lambda: setup.store.refused_writes() >= tries + 3, timeout=10_000)
    assert notice.isVisible() and apixo_id in notice.ids.text()

    setup.journal.rmdir()  # the journal can be written again; the store still cannot
    qtbot.waitUntil(
        lambda: setup.engine.id_safety(record.local_id) is IdSafety.JOURNALED, timeout=10_000
    )
    qtbot.waitUntil(lambda: "(in the journal)" in notice.ids.text(), timeout=5_000)
    assert "recovered at the next start" in notice.body.text()
    assert notice.isVisible()

    setup.store.full = False  # space freed
    qtbot.waitUntil(
        lambda: setup.engine.id_safety(record.local_id) is IdSafety.STORED, timeout=10_000
    )
    qtbot.waitUntil(notice.isHidden, timeout=5_000)
    assert setup.controller.ids_at_risk() == ()


def test_a_paid_id_no_task_takes_is_shown_at_start_and_kept(
    sim: Any, tmp_path: Path, arun: Callable[..., Any], qtbot: Any
) -> None:
    """A journal beside a replaced task list: its paid id is named until dismissed."""
    from veo_desktop.api.client import ApixoClient
    from veo_desktop.core.journal import AcceptedId

    data = tmp_path / "data"
    data.mkdir()
    store = TaskStore.open(data / "tasks.sqlite3")
    journal = AcceptedJournal.beside(store.path)
    journal.append(AcceptedId("f" * 32, "task_paid_and_orphaned", "veo-3-1", 1.0))
    client = ApixoClient(SIM_API_KEY, base_url=sim.base_url)
    engine = TaskEngine(client=client, store=store, library_dir=data / "videos")
    controller = EngineController(engine)
    notice = UnsavedIdNotice(controller)
    qtbot.addWidget(notice)
    try:
        arun(engine.start())
        controller.show_journal_orphans()
        assert notice.isVisible()
        assert "in no task of this list" in notice.heading.text()
        assert "task_paid_and_orphaned  (in no task)" in notice.ids.text()
        assert notice.dismiss_button.isVisible()
        notice.dismiss_button.click()
        assert notice.isHidden()
        assert [e.apixo_task_id for e in journal.entries()] == ["task_paid_and_orphaned"]
    finally:
        notice.close_notice()
        arun(controller.aclose())
        arun(engine.aclose())
        arun(client.aclose())
        store.close()
        controller.deleteLater()


def test_mixed_ids_are_counted_and_explained_by_where_they_are() -> None:
    from veo_desktop.ui.controller import IdAtRisk
    from veo_desktop.ui.tasks.id_notice import notice_texts

    journaled = IdAtRisk("a" * 32, "task_journaled", IdSafety.JOURNALED, "a prompt")
    orphan = IdAtRisk("b" * 32, "task_orphan", IdSafety.ORPHANED, "")
    unsaved = IdAtRisk("c" * 32, "task_unsaved", IdSafety.UNSAVED, "another prompt")
    heading, body = notice_texts((journaled, orphan), None)
    assert heading == "APIXO accepted a paid video that the task list could not save yet"
    assert "recovered at the next start" in body and "in no task" in body
    heading, body = notice_texts((unsaved, orphan), "disk full")
    assert heading.startswith("Write this id down")
    assert "in no task" in body
