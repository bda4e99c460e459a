"""The download manager's one rule for "Download again", from records alone."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from veo_desktop.core.download_manager import DOWNLOAD_FAILED_CODE, redownload_problem
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord

URLS = ("https://cdn.example.com/a.mp4", "https://cdn.example.com/b.mp4")


def record(state: TaskState, **changes: object) -> TaskRecord:
    base = TaskRecord(
        local_id=uuid.uuid4().hex,
        model="veo-3-1",
        request={"request_type": "async", "input": {"prompt": "a fox", "mode": "fast"}},
        state=state,
        created_at=1_767_000_000.0,
        updated_at=1_767_000_000.0,
        price=Decimal("0.20"),
        apixo_task_id="task_1",
        result_urls=URLS,
    )
    return base.evolve(**changes) if changes else base


@pytest.mark.parametrize(
    ("task", "problem"),
    [
        (record(TaskState.DOWNLOADING), "already downloading"),
        (record(TaskState.PROCESSING, result_urls=()), "has not finished on APIXO yet"),
        (record(TaskState.UNCERTAIN, result_urls=()), "has not finished on APIXO yet"),
        (record(TaskState.FAILED, result_urls=(), fail_code="X"), "has no video to download"),
        (record(TaskState.SUCCEEDED, files=("a.mp4", "b.mp4")), "already downloaded"),
        (record(TaskState.FAILED, fail_code="CONTENT"), "cannot be downloaded again"),
    ],
)
def test_a_task_with_nothing_to_download_again_says_why(task: TaskRecord, problem: str) -> None:
    reason = redownload_problem(task)
    assert reason is not None and problem in reason


@pytest.mark.parametrize(
    "task",
    [
        record(TaskState.FAILED, fail_code=DOWNLOAD_FAILED_CODE),
        record(TaskState.EXPIRED),
        record(TaskState.SUCCEEDED, files=("a.mp4",)),
    ],
)
def test_a_given_up_download_can_be_tried_again(task: TaskRecord) -> None:
    assert redownload_problem(task) is None
