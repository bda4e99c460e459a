"""The hostile faults: odd answers a client must survive without losing a paid task."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from veo_desktop.sim import Fault, SimulatorThread
from veo_desktop.sim.faults import TRICKLE_DELAY


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": "media", "kind": "nested_json"}, "nested_json only applies to"),
        ({"endpoint": "submit", "kind": "odd_state"}, "odd_state only applies to"),
        ({"endpoint": "balance", "kind": "odd_task_id"}, "odd_task_id only applies to"),
        ({"endpoint": "submit", "kind": "extra_result_urls"}, "only applies to status"),
        ({"endpoint": "status", "kind": "media_close_cut"}, "only applies to media"),
        ({"endpoint": "submit", "kind": "media_html"}, "only applies to media"),
        ({"endpoint": "status", "kind": "media_gzip"}, "only applies to media"),
        ({"endpoint": "balance", "kind": "media_huge"}, "only applies to media"),
        ({"endpoint": "status", "kind": "redirect_loop"}, "only applies to media"),
        ({"endpoint": "status", "kind": "odd_balance"}, "only applies to balance"),
        ({"endpoint": "status", "kind": "echo_key", "status": 200}, "HTTP error status"),
        ({"endpoint": "status", "kind": "http_error", "value": "x"}, "value only applies"),
        ({"endpoint": "status", "kind": "odd_state", "count": 3}, "count only applies"),
        ({"endpoint": "status", "kind": "nested_json", "count": 0}, "at least 1"),
        ({"endpoint": "status", "kind": "nested_json", "count": "9"}, "whole number"),
        ({"endpoint": "status", "kind": "odd_state", "value": 5}, "must be a string"),
        ({"endpoint": "media", "kind": "redirect_loop", "times": 3}, "until cleared"),
    ],
)
def test_hostile_fault_rejects_nonsense(kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


def test_hostile_fault_defaults() -> None:
    assert Fault(endpoint="any", kind="trickle").delay == TRICKLE_DELAY
    assert Fault(endpoint="status", kind="trickle", delay=0.05).delay == 0.05
    assert Fault(endpoint="media", kind="redirect_loop").times == -1
    odd = Fault(endpoint="status", kind="odd_state")
    assert (odd.value, odd.count) == (None, None)


def test_control_api_takes_value_and_count(shared_sim: SimulatorThread) -> None:
    with httpx.Client(base_url=shared_sim.origin) as control:
        added = control.post(
            "/sim/faults",
            json=[
                {"endpoint": "status", "kind": "odd_state", "value": "SUCCESS"},
                {"endpoint": "any", "kind": "nested_json", "count": 50},
            ],
        )
        assert added.json() == {"added": 2}
        listed = control.get("/sim/faults").json()
        assert [(f["kind"], f["value"], f["count"]) for f in listed] == [
            ("odd_state", "SUCCESS", None),
            ("nested_json", None, 50),
        ]
        bad = control.post(
            "/sim/faults", json={"endpoint": "balance", "kind": "odd_balance", "count": 2}
        )
        assert bad.status_code == 400
        assert "count only applies" in bad.json()["error"]
