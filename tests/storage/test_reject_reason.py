"""Why a submission was rejected is a stored value (``reject_reason``), not a parsed string."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.storage.test_store import make_record
from veo_desktop.api.errors import (
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    RequestBuildError,
    error_for_status,
)
from veo_desktop.api.models import GenerationRequest
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.reject import RejectReason, reject_reason
from veo_desktop.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from veo_desktop.storage.store import TaskStore

NOT_TAKEN = {
    RejectReason.RATE_LIMITED,
    RejectReason.UNAVAILABLE,
    RejectReason.NO_BALANCE,
    RejectReason.UNAUTHORIZED,
    RejectReason.FORBIDDEN,
    RejectReason.UNREACHABLE,
    RejectReason.TIMED_OUT,
}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (error_for_status(429), RejectReason.RATE_LIMITED),
        (error_for_status(503), RejectReason.UNAVAILABLE),
        (error_for_status(402), RejectReason.NO_BALANCE),
        (error_for_status(401), RejectReason.UNAUTHORIZED),
        (error_for_status(403), RejectReason.FORBIDDEN),
        (ApixoConnectionError("refused", sent=False), RejectReason.UNREACHABLE),
        (ApixoTimeoutError("connect timeout", sent=False), RejectReason.TIMED_OUT),
        (error_for_status(400), RejectReason.REFUSED),
        (error_for_status(400, "TASKID_ERROR"), RejectReason.EXTEND_SOURCE),
        (error_for_status(404), RejectReason.REFUSED),
        (error_for_status(422), RejectReason.REFUSED),
        (RequestBuildError("bad header"), RejectReason.NOT_SENT),
    ],
)
def test_the_engine_names_each_rejection_by_its_error(
    error: ApixoError, reason: RejectReason
) -> None:
    assert reject_reason(error) is reason
    assert reason.not_taken is (reason in NOT_TAKEN)


def test_a_reason_survives_the_store(tmp_path: Path) -> None:
    path = tmp_path / "tasks.sqlite3"
    rows = {
        reason: make_record(
            str(reason), state=TaskState.REJECTED, fail_code="x", reject_reason=reason
        )
        for reason in RejectReason
    }
    plain = make_record("not rejected")
    with TaskStore.open(path) as store:
        for record in [*rows.values(), plain]:
            store.insert(record)
    with TaskStore.open(path) as store:
        for reason, record in rows.items():
            back = store.get(record.local_id)
            assert back == record and back is not None and back.reject_reason is reason
        assert store.get(plain.local_id) == plain


# fail_code (and message) as the engine wrote them before schema 3 -> the reason stored.
EXTEND_REFUSED = str(error_for_status(400, "TASKID_ERROR", "TASKID_ERROR: expired"))
OLD_ROWS = [
    ("rejected", "HTTP 429", "", RejectReason.RATE_LIMITED),
    ("rejected", "HTTP 503", "", RejectReason.UNAVAILABLE),
    ("rejected", "HTTP 402", "", RejectReason.NO_BALANCE),
    ("rejected", "HTTP 401", "", RejectReason.UNAUTHORIZED),
    ("rejected", "HTTP 403", "", RejectReason.FORBIDDEN),
    ("rejected", "ApixoConnectionError", "", RejectReason.UNREACHABLE),
    ("rejected", "ApixoTimeoutError", "", RejectReason.TIMED_OUT),
    ("rejected", "HTTP 400", "", RejectReason.REFUSED),
    ("rejected", "HTTP 400", EXTEND_REFUSED, RejectReason.EXTEND_SOURCE),
    ("rejected", "HTTP 400", "APIXO says: TASKID_ERROR: unknown task", RejectReason.EXTEND_SOURCE),
    ("rejected", "HTTP 422", "", RejectReason.REFUSED),
    ("rejected", "RequestBuildError", "", RejectReason.NOT_SENT),
    ("rejected", None, "", RejectReason.NOT_SENT),
    ("failed", "HTTP 404", "", None),
    ("failed", "SensitiveContent", "", None),
    ("succeeded", None, "", None),
]


def test_a_version_2_file_gets_the_reasons_of_its_rejected_rows(tmp_path: Path) -> None:
    """A real file at schema 2 (as the previous release left it) is migrated: every
    rejected row's reason is read once from the fail_code it was written with."""
    path = tmp_path / "v2.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 2")
    body = json.dumps(GenerationRequest(prompt="from version two").to_payload())
    for n, (state, code, message, _) in enumerate(OLD_ROWS):
        db.execute(
            "INSERT INTO tasks (local_id, model, request, state, created_at, updated_at, "
            "fail_code, fail_message, price) VALUES (?,?,?,?,?,?,?,?,?)",
            (f"{n:032d}", "veo-3-1", body, state, 100.0 + n, 100.0 + n, code, message, "0.20"),
        )
    db.close()

    with TaskStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 3
        records = store.load_all()
    assert [
        (r.state.value, r.fail_code, r.fail_message or "", r.reject_reason) for r in records
    ] == OLD_ROWS
    assert [r.price for r in records] == [Decimal("0.20")] * len(OLD_ROWS)
    db = sqlite3.connect(path)
    stored = [row[0] for row in db.execute("SELECT reject_reason FROM tasks ORDER BY local_id")]
    db.close()
    assert stored == [None if reason is None else reason.value for *_, reason in OLD_ROWS]
