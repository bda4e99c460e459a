"""The hostile faults: odd answers a client must survive without losing a paid task."""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
import threading
import time
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import SIM_API_KEY, SimFactory
from tests.sim.conftest import EXTEND, Apixo, text_body
from tests.sim.test_faults import wait_until
from veo_desktop.sim import Fault, SimulatorThread
from veo_desktop.sim.faults import EXTRA_RESULT_URLS, NESTED_JSON_DEPTH, ODD_TASK_ID, TRICKLE_DELAY


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


# ------------------------------------------------------------ API answers


def clip_of(api: Apixo) -> tuple[str, bytes]:
    url: str = json.loads(api.finished()["resultJson"])["resultUrls"][0]
    answer = api.web.get(url)
    assert answer.status_code == 200
    return url, answer.content


ENVELOPE_HEAD = '{"code": 200, "message": "success", "data": '


def test_nested_json_on_submit_after_accepting(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="nested_json", accept_first=True))
    answer = api.submit(text_body("paid, answer unreadable"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    depth = NESTED_JSON_DEPTH
    assert answer.text == ENVELOPE_HEAD + "[" * depth + "]" * depth + "}"
    with pytest.raises(RecursionError):
        json.loads(answer.text)
    record = api.sim.requests[-1]
    assert record.fault == "nested_json"
    assert record.task_id is not None
    assert api.sim.tasks[record.task_id].prompt == "paid, answer unreadable"
    assert api.sim.balance == pytest.approx(99.8)


def test_nested_json_on_submit_without_accepting_creates_nothing(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="nested_json", count=3))
    answer = api.submit(text_body())
    assert answer.json() == {"code": 200, "message": "success", "data": [[[]]]}
    assert api.sim.requests[-1].task_id is None
    assert api.sim.balance == 100.0


@pytest.mark.parametrize("endpoint", ["status", "balance"])
def test_nested_json_on_reads(api: Apixo, endpoint: Any) -> None:
    task_id = api.create()
    api.sim.add_fault(Fault(endpoint=endpoint, kind="nested_json", count=2))
    answer = api.status(task_id) if endpoint == "status" else api.balance()
    assert (answer.status_code, answer.json()["data"]) == (200, [[]])
    assert api.sim.requests[-1].fault == "nested_json"


def test_odd_task_id_on_submit_after_accepting(api: Apixo) -> None:
    """APIXO took (and charged) the task but answered with an id that is not its own."""
    api.sim.add_fault(
        Fault(endpoint="submit", kind="odd_task_id", value="task_\x1b[31mred", accept_first=True)
    )
    answer = api.submit(text_body())
    assert answer.json() == {
        "code": 200,
        "message": "success",
        "data": {"taskId": "task_\x1b[31mred"},
    }
    record = api.sim.requests[-1]
    assert (record.fault, record.status) == ("odd_task_id", 200)
    assert record.task_id in api.sim.tasks
    assert api.sim.balance == pytest.approx(99.8)


def test_odd_task_id_on_submit_without_accepting(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="odd_task_id"))
    answer = api.submit(text_body())
    assert answer.json()["data"] == {"taskId": ODD_TASK_ID}
    assert len(ODD_TASK_ID) == 200_000
    assert api.sim.requests[-1].task_id is None
    assert api.sim.balance == 100.0


def test_odd_task_id_on_status_names_a_foreign_task(api: Apixo) -> None:
    mine = api.finished()
    other = api.create()
    api.sim.add_fault(
        Fault(endpoint="status", kind="odd_task_id", value=other, task_id=mine["taskId"])
    )
    data = api.status(mine["taskId"]).json()["data"]
    assert data == {**mine, "taskId": other}
    assert list(data) == list(mine)
    assert api.sim.requests[-1].fault == "odd_task_id"
    assert api.status(mine["taskId"]).json()["data"] == mine


def test_odd_task_id_default_is_huge(api: Apixo) -> None:
    task_id = api.create()
    api.sim.add_fault(Fault(endpoint="status", kind="odd_task_id"))
    assert api.status(task_id).json()["data"]["taskId"] == "x" * 200_000


def test_odd_state_keeps_the_rest_of_a_success(api: Apixo) -> None:
    done = api.finished()
    api.sim.add_fault(Fault(endpoint="status", kind="odd_state", value="SUCCESS"))
    data = api.status(done["taskId"]).json()["data"]
    assert data == {**done, "state": "SUCCESS"}
    assert json.loads(data["resultJson"])["resultUrls"]
    assert api.sim.requests[-1].fault == "odd_state"


def test_odd_state_default_on_a_running_task(api: Apixo) -> None:
    task_id = api.create()
    api.sim.add_fault(Fault(endpoint="status", kind="odd_state"))
    data = api.status(task_id).json()["data"]
    assert data["state"] == "queued"
    assert data["taskId"] == task_id
    assert "createTime" in data


def test_odd_state_on_extend_status(api: Apixo) -> None:
    source = api.finished()
    extend_id = api.create(
        {"request_type": "async", "input": {"taskId": source["taskId"], "prompt": "on"}}, EXTEND
    )
    api.sim.add_fault(Fault(endpoint="extend_status", kind="odd_state", value="\x07bell"))
    assert api.status(extend_id, EXTEND).json()["data"]["state"] == "\x07bell"


def test_extra_result_urls_default_to_404s_on_the_simulator(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="status", kind="extra_result_urls"))
    data = api.finished()
    urls = json.loads(data["resultJson"])["resultUrls"]
    assert len(urls) == 1 + EXTRA_RESULT_URLS
    assert urls[0] == f"{api.sim.origin}/media/{data['taskId']}.mp4"
    assert urls[1] == f"{api.sim.origin}/media/expired-result.mp4?n=0"
    assert urls[-1] == f"{api.sim.origin}/media/expired-result.mp4?n={EXTRA_RESULT_URLS - 1}"
    assert api.web.get(urls[1]).status_code == 404
    assert api.web.get(urls[0]).status_code == 200


def test_extra_result_urls_with_value_and_count(api: Apixo) -> None:
    task_id = api.create()
    api.sim.add_fault(
        Fault(
            endpoint="status",
            kind="extra_result_urls",
            count=2,
            value="https://cdn.invalid/v.mp4?sig=1",
        )
    )
    assert api.status(task_id).json()["data"]["state"] != "success"
    assert len(api.sim.faults) == 1, "only a success answer carries result URLs"
    data = api.wait_done(task_id)
    assert json.loads(data["resultJson"])["resultUrls"][1:] == [
        "https://cdn.invalid/v.mp4?sig=1&n=0",
        "https://cdn.invalid/v.mp4?sig=1&n=1",
    ]
    assert api.sim.requests[-1].fault == "extra_result_urls"


@pytest.mark.parametrize(("endpoint", "status"), [("submit", 500), ("status", 401)])
def test_echo_key_quotes_the_authorization_header(api: Apixo, endpoint: Any, status: int) -> None:
    api.sim.add_fault(Fault(endpoint=endpoint, kind="echo_key", status=status, retry_after=1))
    answer = api.submit(text_body()) if endpoint == "submit" else api.status("task_x")
    assert answer.status_code == status
    assert answer.headers["retry-after"] == "1"
    body = answer.json()
    assert list(body) == ["code", "message", "data"]
    assert body["code"] == status
    assert f"Bearer {SIM_API_KEY}" in body["message"]
    assert f"Bearer {SIM_API_KEY}" in body["data"]["error"]
    assert api.sim.requests[-1].fault == "echo_key"
    assert api.sim.balance == 100.0


def test_echo_key_after_accepting(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="echo_key", accept_first=True))
    assert api.submit(text_body()).status_code == 500
    assert api.sim.requests[-1].task_id in api.sim.tasks


@pytest.mark.parametrize(
    ("value", "body", "data"),
    [
        (None, "1e99999999", math.inf),
        ("-5", "-5", -5),
        ('"1e99999999"', '"1e99999999"', "1e99999999"),
        ("lots of money", '"lots of money"', "lots of money"),
        ("null", "null", None),
    ],
)
def test_odd_balance(api: Apixo, value: str | None, body: str, data: Any) -> None:
    api.sim.add_fault(Fault(endpoint="balance", kind="odd_balance", value=value))
    answer = api.balance()
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.text == ENVELOPE_HEAD + body + "}"
    assert answer.json()["data"] == data
    assert api.sim.requests[-1].fault == "odd_balance"


# ------------------------------------------------------------------ media


def test_media_close_cut_ends_cleanly_at_half(api: Apixo) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="media_close_cut"))
    with httpx.Client() as http, http.stream("GET", url) as answer:
        assert answer.status_code == 200
        assert "content-length" not in answer.headers
        assert "transfer-encoding" not in answer.headers
        assert answer.headers["connection"] == "close"
        received = b"".join(answer.iter_raw())  # no error: a clean end of stream
    assert received == clip[: len(clip) // 2]
    assert api.sim.requests[-1].fault == "media_close_cut"
    assert api.web.get(url).content == clip


def test_media_close_cut_of_a_range(api: Apixo) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="media_close_cut"))
    with httpx.Client() as http:
        answer = http.get(url, headers={"Range": "bytes=100-"})
    assert answer.status_code == 206
    assert answer.headers["content-range"] == f"bytes 100-{len(clip) - 1}/{len(clip)}"
    assert answer.content == clip[100 : 100 + (len(clip) - 100) // 2]


def test_media_html(api: Apixo) -> None:
    url, _ = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="media_html"))
    answer = api.web.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.startswith("<!DOCTYPE html>")
    assert api.sim.requests[-1].fault == "media_html"


def test_media_gzip(api: Apixo) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="media_gzip"))
    with httpx.Client() as http, http.stream("GET", url) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.headers["content-type"] == "video/mp4"
        raw = b"".join(answer.iter_raw())
    assert int(answer.headers["content-length"]) == len(raw)
    assert gzip.decompress(raw) == clip
    assert api.sim.requests[-1].fault == "media_gzip"


def test_media_huge(api: Apixo) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="media_huge"))
    received = bytearray()
    with httpx.Client() as http, http.stream("GET", url) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-length"] == "5368709120"
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_raw():
                received += chunk
    assert bytes(received) == clip[:4096]
    assert api.sim.requests[-1].fault == "media_huge"


def test_redirect_loop_forever_until_cleared(api: Apixo) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="redirect_loop"))
    first = api.web.get(url)
    assert first.status_code == 302
    assert first.headers["location"] == url
    with pytest.raises(httpx.TooManyRedirects):
        api.web.get(url, follow_redirects=True)
    assert api.web.get(url).status_code == 302
    assert [fault.kind for fault in api.sim.faults] == ["redirect_loop"]
    assert {r.fault for r in api.sim.requests if r.endpoint == "media"} == {
        "redirect_loop",
        None,
    }
    api.sim.clear_faults()
    assert api.web.get(url).content == clip


def test_media_faults_keep_to_media(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="any", kind="media_html"))
    assert api.balance().json()["data"] == 100.0
    assert len(api.sim.faults) == 1


# ------------------------------------------------------------------ trickle


def test_trickle_sends_the_real_answer_byte_by_byte(api: Apixo) -> None:
    normal = api.balance().content
    api.sim.add_fault(Fault(endpoint="balance", kind="trickle", delay=0.01))
    started = time.monotonic()
    with api.http.stream("GET", "/apikeys/current-balance") as answer:
        assert answer.status_code == 200
        assert int(answer.headers["content-length"]) == len(normal)
        assert answer.headers["content-type"].startswith("application/json")
        assert "content-encoding" not in answer.headers
        received = b"".join(answer.iter_raw())
    assert received == normal
    assert time.monotonic() - started >= (len(normal) - 1) * 0.01
    assert api.sim.requests[-1].fault == "trickle"


def test_trickle_on_submit_creates_the_task(api: Apixo) -> None:
    api.sim.add_fault(Fault(endpoint="submit", kind="trickle", delay=0.001))
    answer = api.submit(text_body())
    assert answer.json()["data"]["taskId"] == api.sim.requests[-1].task_id
    assert api.sim.balance == pytest.approx(99.8)


def test_trickle_of_media(api: Apixo) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="trickle", delay=0.05))
    received = bytearray()
    with httpx.Client() as http, http.stream("GET", url) as answer:
        assert answer.status_code == 200
        assert int(answer.headers["content-length"]) == len(clip)
        for chunk in answer.iter_raw():
            received += chunk
            if len(received) >= 3:
                break
    assert bytes(received) == clip[: len(received)]
    assert api.sim.requests[-1].fault == "trickle"
    assert api.web.get(url).content == clip, "the simulator still serves after the client left"


def test_stop_is_prompt_during_a_trickle(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.add_fault(Fault(endpoint="balance", kind="trickle", delay=30.0))
    first_byte = threading.Event()
    outcome: list[BaseException | bytes] = []

    def read() -> None:
        received = bytearray()
        try:
            with (
                httpx.Client(timeout=60.0) as http,
                http.stream(
                    "GET",
                    f"{sim.base_url}/apikeys/current-balance",
                    headers={"Authorization": f"Bearer {SIM_API_KEY}"},
                ) as answer,
            ):
                for chunk in answer.iter_raw():
                    received += chunk
                    first_byte.set()
            outcome.append(bytes(received))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert first_byte.wait(10.0)
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 10.0
    reader.join(10.0)
    assert not reader.is_alive()
    assert isinstance(outcome[0], httpx.RemoteProtocolError), "the body ended incomplete"


def test_trickle_ends_when_the_client_goes_away(
    api: Apixo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="veo_desktop.sim.media")
    url, _ = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind="trickle", delay=0.05))
    with httpx.Client() as http, http.stream("GET", url) as answer:
        next(answer.iter_raw())
    # Another test's trickle may end (and log) meanwhile: wait for this one's own line.
    ended = re.compile(
        rf"trickle of GET {re.escape(url.removeprefix(api.sim.origin))} ended after "
        r"\d+ of \d+ bytes: the client went away"
    )
    wait_until(lambda: ended.search(caplog.text) is not None)


def test_trickle_ends_by_itself(api: Apixo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("veo_desktop.sim.media.TRICKLE_MAX_SECONDS", 0.2)
    api.sim.add_fault(Fault(endpoint="balance", kind="trickle", delay=0.05))
    received = bytearray()
    with api.http.stream("GET", "/apikeys/current-balance") as answer:
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_raw():
                received += chunk
        expected = int(answer.headers["content-length"])
    assert 0 < len(received) < expected


@pytest.mark.parametrize("kind", ["cut_media", "media_close_cut", "trickle"])
def test_unsatisfiable_range_still_gets_416(api: Apixo, kind: Any) -> None:
    url, clip = clip_of(api)
    api.sim.add_fault(Fault(endpoint="media", kind=kind, delay=0.01))
    answer = api.web.get(url, headers={"Range": f"bytes={len(clip) + 10}-"})
    assert answer.status_code == 416
    assert api.sim.requests[-1].fault == kind
