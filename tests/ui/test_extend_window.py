"""ExtendWindow (the extend dialog's Qt-free model of how long a source stays extendable),
without widgets. (The variations dialog's outcome text is tested in tests/ui/test_variations.py.)"""

from __future__ import annotations

import time

from tests.ui.tasks_support import make_record
from veo_desktop.api.models import ExtendRequest, Model
from veo_desktop.core import lineage
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason
from veo_desktop.ui.extend_dialog import ExtendWindow

HOUR = 3600.0


def test_the_window_is_lineages_answer_over_the_sources_extends() -> None:
    now = time.time()
    source = make_record(1, created_at=now - 2 * HOUR, results_at=now - HOUR)
    assert source.charged
    window = ExtendWindow(source, [], lambda: now)
    assert window.until() == lineage.extendable_until(source) == now - HOUR + 24 * HOUR
    assert window.is_open()
    assert (
        window.text()
        == lineage.extend_window_text(source, now)
        == ("Extendable for 23 h 00 min more.")
    )

    later = ExtendWindow(source, [], lambda: now + 24 * HOUR)
    assert not later.is_open()
    assert later.text().startswith("No longer extendable: APIXO keeps a video for 24 hours")


def test_a_refusal_closes_the_window_and_follow_takes_in_the_sources_changes() -> None:
    now = time.time()
    source = make_record(1, created_at=now - 2 * HOUR, results_at=now - HOUR)
    window = ExtendWindow(source, [], lambda: now)
    unrelated = make_record(2)
    assert not window.follow(unrelated)

    refused = make_record(
        3,
        created_at=now - 10,
        state=TaskState.REJECTED,
        parent_id=source.local_id,
        reject_reason=RejectReason.EXTEND_SOURCE,
        model=Model.EXTEND,
        request=ExtendRequest(task_id=str(source.apixo_task_id), prompt="More").to_payload(),
    )
    assert refused.is_extend and lineage.is_taskid_error(refused)
    assert window.follow(refused)
    assert window.until() == refused.created_at and not window.is_open()
    assert window.text() == "No longer extendable: APIXO said it no longer holds this video."

    renamed = source.evolve(note="seen again")
    assert window.follow(renamed) and window.source is renamed

    window.refused = True
    assert not window.is_open()
    assert window.text() == "No longer extendable: APIXO does not hold this video any more."
