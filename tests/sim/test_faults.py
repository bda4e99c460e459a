"""Every fault switch, scripted through the Python API and the ``/sim/faults`` control API."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.sim.conftest import EXTEND, Apixo, text_body
from veo_desktop.sim import Fault, SimulatorThread


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def test_429_with_retry_after_then_recovers(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="http_error", status=429, retry_after=7))
    refused = api.submit(text_body())
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "7"
    assert refused.json() == {
        "code": 429,
        "message": "Too Many Requests",
        "data": {"error": "Rate limit or concurrency limit reached, please retry later"},
    }
    assert api.sim.balance == 100.0
    assert api.sim.requests[-1].fault == "http_error"
    assert api.sim.requests[-1].task_id is None
    assert api.submit(text_body()).status_code == 200
    assert api.sim.faults == []


def test_429_without_retry_after(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="status", kind="http_error", status=429))
    answer = api.status("task_any")
    assert answer.status_code == 429
    assert "retry-after" not in answer.headers


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_use_the_error_envelope(api: Apixo, status: int) -> None:
    task_id = api.create()
    api.sim.add_fault(Fault(endpoint="status", kind="http_error", status=status))
    answer = api.status(task_id)
    assert answer.status_code == status
    body = answer.json()
    assert list(body) == ["code", "message", "data"]
    assert body["code"] == status
    assert body["data"]["error"]
    assert api.status(task_id).status_code == 200


def test_html_error_page_from_a_proxy(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="balance", kind="html", status=502))
    answer = api.balance()
    assert answer.status_code == 502
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in answer.text
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_reset_without_any_answer(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="reset"))
    with pytest.raises(httpx.RemoteProtocolError):
        api.submit(text_body())
    record = api.sim.requests[-1]
    assert (record.status, record.fault, record.task_id) == (None, "reset", None)
    assert api.sim.balance == 100.0


def test_reset_after_accepting_creates_and_charges(api: Apixo) -> None:
    """A POST APIXO took but whose answer was lost: the task exists and is paid for."""
    api.sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=True))
    with pytest.raises(httpx.RemoteProtocolError):
        api.submit(text_body("lost answer"))
    record = api.sim.requests[-1]
    assert record.task_id is not None
    assert record.status is None
    assert api.sim.balance == pytest.approx(99.8)
    assert api.sim.tasks[record.task_id].prompt == "lost answer"
    assert api.wait_done(record.task_id)["state"] == "success"


@pytest.mark.parametrize("kind", ["http_error", "malformed_json", "delay"])
def test_accept_first_on_other_kinds(api: Apixo, kind: Any) -> None:
    api.sim.add_fault(
        Fault(endpoint="submit", kind=kind, status=502, accept_first=True, delay=0.05)
    )
    answer = api.submit(text_body())
    created = api.sim.requests[-1].task_id
    assert created is not None
    assert created in api.sim.tasks
    assert api.sim.balance == pytest.approx(99.8)
    if kind == "http_error":
        assert answer.status_code == 502
    elif kind == "malformed_json":
        with pytest.raises(json.JSONDecodeError):
            answer.json()
    else:
        assert answer.json()["data"]["taskId"] == created


def test_delay_past_a_client_timeout(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="balance", kind="delay", delay=0.5))
    with pytest.raises(httpx.ReadTimeout):
        api.http.get("/apikeys/current-balance", timeout=0.1)
    assert api.balance().status_code == 200


def test_delayed_submit_still_creates_its_task(api: Apixo) -> None:
    """The client gave up, but the server went on and took the task (and the money)."""
    api.sim.add_fault(Fault(endpoint="submit", kind="delay", delay=0.3))
    with pytest.raises(httpx.ReadTimeout):
        api.http.post("/generateTask/veo-3-1", json=text_body(), timeout=0.05)
    wait_until(lambda: len(api.sim.created_task_ids) > 0 and api.sim.balance < 100)


def test_malformed_json_on_submit_creates_nothing(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="malformed_json"))
    answer = api.submit(text_body())
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.text.startswith('{"code": 200')
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    assert api.sim.requests[-1].task_id is None
    assert api.sim.balance == 100.0


def test_malformed_json_on_status_cuts_the_real_answer(api: Apixo) -> None:
    task_id = api.create()
    api.sim.add_fault(Fault(endpoint="status", kind="malformed_json", task_id=task_id))
    answer = api.status(task_id)
    assert answer.status_code == 200
    assert task_id[:10] in answer.text or answer.text.startswith('{"code": 200')
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_bad_result_json_waits_for_success(api: Apixo) -> None:
    task_id = api.create()
    api.sim.add_fault(Fault(endpoint="status", kind="bad_result_json"))
    assert api.status(task_id).json()["data"]["state"] == "pending"
    assert len(api.sim.faults) == 1, "only a success answer can carry a bad resultJson"
    deadline = time.monotonic() + 20
    while (data := api.status(task_id).json()["data"])["state"] != "success":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert isinstance(data["resultJson"], str)
    with pytest.raises(json.JSONDecodeError):
        json.loads(data["resultJson"])
    assert api.sim.requests[-1].fault == "bad_result_json"
    healthy = api.status(task_id).json()["data"]
    assert json.loads(healthy["resultJson"])["resultUrls"]


def test_no_result_urls(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="status", kind="no_result_urls"))
    data = api.finished()
    assert json.loads(data["resultJson"]) == {"resultUrls": []}


def test_result_faults_on_extend_status(api: Apixo) -> None:
    source = api.finished()
    api.sim.add_fault(Fault(endpoint="extend_status", kind="no_result_urls"))
    extend_id = api.create(
        {"request_type": "async", "input": {"taskId": source["taskId"], "prompt": "on"}}, EXTEND
    )
    data = api.wait_done(extend_id, EXTEND)
    assert json.loads(data["resultJson"]) == {"resultUrls": []}


def media_url(data: Any) -> str:
    url: str = json.loads(data["resultJson"])["resultUrls"][0]
    return url


@pytest.mark.parametrize("ranged", [False, True])
def test_cut_media_announces_everything_and_sends_half(api: Apixo, ranged: bool) -> None:
    url = media_url(api.finished())
    size = int(api.web.head(url).headers["content-length"])
    api.sim.add_fault(Fault(endpoint="media", kind="cut_media"))
    headers = {"Range": "bytes=100-"} if ranged else {}
    received = bytearray()
    with httpx.Client() as http, http.stream("GET", url, headers=headers) as answer:
        assert answer.status_code == (206 if ranged else 200)
        expected = size - 100 if ranged else size
        assert int(answer.headers["content-length"]) == expected
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_raw():
                received += chunk
    assert 0 < len(received) < expected
    assert api.web.get(url).content.__len__() == size


def test_any_endpoint_times_and_order(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="any", kind="http_error", status=503, times=2))
    api.sim.add_fault(Fault(endpoint="balance", kind="http_error", status=500))
    assert api.balance().status_code == 503
    assert api.status("task_x").status_code == 503
    assert api.balance().status_code == 500
    assert api.balance().status_code == 200


def test_forever_until_cleared(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="balance", kind="http_error", status=500, times=-1))
    assert [api.balance().status_code for _ in range(5)] == [500] * 5
    api.sim.clear_faults()
    assert api.balance().status_code == 200


def test_task_id_targets_one_task(api: Apixo) -> None:
    one, two = api.create(), api.create()
    api.sim.add_fault(Fault(endpoint="status", kind="http_error", status=500, task_id=two))
    assert api.status(one).status_code == 200
    assert api.status(two).status_code == 500


def test_delay_applies_to_other_kinds(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="balance", kind="http_error", status=504, delay=0.3))
    with pytest.raises(httpx.ReadTimeout):
        api.http.get("/apikeys/current-balance", timeout=0.05)


def test_control_api_scripts_faults(shared_sim: SimulatorThread, api: Apixo) -> None:
    with httpx.Client(base_url=shared_sim.origin) as control:
        added = control.post(
            "/sim/faults",
            json=[
                {"endpoint": "balance", "kind": "http_error", "status": 429, "retry_after": 3},
                {"endpoint": "balance", "kind": "html", "status": 502},
            ],
        )
        assert added.json() == {"added": 2}
        listed = control.get("/sim/faults").json()
        assert [fault["kind"] for fault in listed] == ["http_error", "html"]
        assert api.balance().status_code == 429
        assert control.delete("/sim/faults").status_code == 200
        assert api.balance().status_code == 200
        bad = control.post("/sim/faults", json={"endpoint": "submit", "kind": "explode"})
        assert bad.status_code == 400
        assert "unknown fault kind" in bad.json()["error"]
        unknown = control.post("/sim/faults", json={"endpoint": "submit", "oops": 1})
        assert unknown.status_code == 400


def test_control_api_is_never_faulted(shared_sim: SimulatorThread) -> None:
    shared_sim.add_fault(Fault(endpoint="any", kind="reset", times=-1))
    with httpx.Client(base_url=shared_sim.origin) as control:
        assert control.get("/sim/health").status_code == 200
        assert control.delete("/sim/faults").status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"endpoint": "nowhere", "kind": "reset"},
        {"endpoint": "submit", "kind": "boom"},
        {"endpoint": "submit", "kind": "reset", "times": 0},
        {"endpoint": "submit", "kind": "delay"},
        {"endpoint": "submit", "kind": "http_error", "status": 200},
        {"endpoint": "submit", "kind": "bad_result_json"},
        {"endpoint": "status", "kind": "cut_media"},
        {"endpoint": "media", "kind": "malformed_json"},
    ],
)
def test_fault_rejects_nonsense(kwargs: Any) -> None:
    with pytest.raises(ValueError):
        Fault(**kwargs)


def test_added_fault_is_copied(api: Apixo) -> None:
    fault = Fault(endpoint="balance", kind="http_error", status=500, times=2)
    api.sim.add_fault(fault)
    api.balance()
    assert fault.times == 2
    assert api.sim.faults[0].times == 1
