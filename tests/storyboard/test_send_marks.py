"""A send mark finds its take by the request's payload key; the cheap tests in front of the
exact comparison (model, prompt as the key spells it) never turn a match away."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.batch.items import payload_key
from veo_desktop.records.lifecycle import TaskState
from veo_desktop.records.task import TaskRecord
from veo_desktop.storyboard.service import _has_key

prompts = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")


def record_of(request: GenerationRequest) -> TaskRecord:
    return TaskRecord(
        local_id=uuid.uuid4().hex,
        model=request.model,
        request=request.to_payload(),
        state=TaskState.PENDING,
        created_at=1.0,
        updated_at=1.0,
        price=request.price,
    )


@given(prompts, prompts, st.sampled_from(["fast", "quality"]), st.sampled_from(["fast", "quality"]))
def test_the_quick_tests_agree_with_the_exact_key(a: str, b: str, mode_a: str, mode_b: str) -> None:
    # Quotes, backslashes, control and non-ASCII characters included (the key escapes them).
    mine = GenerationRequest(prompt=a, mode=mode_a)
    other = record_of(GenerationRequest(prompt=b, mode=mode_b))
    key = payload_key(mine.model.value, mine.to_payload())
    assert _has_key(record_of(mine), key)
    assert _has_key(other, key) == (payload_key(other.model, other.request) == key)
