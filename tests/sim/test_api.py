"""The simulator's answers against the examples of APIXO's Veo 3.1 page, over real sockets."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.fixtures.sim import SIM_API_KEY, SimFactory
from tests.sim.conftest import EXTEND, GENERATE, Apixo, text_body
from veo_desktop.sim import SimulatorThread

# The page's examples (veo-3-1-page.txt), verbatim.
PAGE_SUBMIT = json.loads('{"code": 200, "message": "success", "data": {"taskId": "task_12345678"}}')
PAGE_PROCESSING = json.loads(
    '{"code": 200, "message": "success", "data": {"taskId": "task_12345678",'
    ' "state": "processing", "createTime": 1767965610929}}'
)
PAGE_SUCCESS = json.loads(
    '{"code": 200, "message": "success", "data": {"taskId": "task_12345678",'
    ' "state": "success", "resultJson": "{\\"resultUrls\\":[\\"https://r2.apixo.ai/xxx.mp4\\"]}",'
    ' "createTime": 1767965610929, "completeTime": 1767965730929, "costTime": 120000}}'
)
PAGE_FAILED = json.loads(
    '{"code": 200, "message": "success", "data": {"taskId": "task_12345678",'
    ' "state": "failed", "failCode": "SensitiveContent",'
    ' "failMsg": "Content violates safety policy, please adjust the prompt",'
    ' "createTime": 1767965610929, "completeTime": 1767965620132, "costTime": 9203}}'
)


def assert_shape(actual: Any, example: Any) -> None:
    """Same keys in the same order, and the same JSON types, all the way down."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), actual
        assert list(actual) == list(example)
        for key in example:
            assert_shape(actual[key], example[key])
    else:
        assert type(actual) is type(example), (actual, example)


def test_submit_answer_matches_the_page(api: Apixo) -> None:
    response = api.submit(text_body())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert_shape(body, PAGE_SUBMIT)
    assert body["code"] == 200
    assert body["message"] == "success"
    assert body["data"]["taskId"].startswith("task_")


def test_status_goes_pending_processing_success(sim_factory: SimFactory) -> None:
    """The timeline, walked by moving the task's clock (no race with a short duration)."""
    api = Apixo(sim_factory(duration=30.0))
    try:
        check_timeline(api, duration=30.0)
    finally:
        api.close()


def check_timeline(api: Apixo, *, duration: float) -> None:
    submitted = time.time()
    task_id = api.create()
    first = api.status(task_id).json()["data"]
    assert first["state"] == "pending"
    assert_shape(first, {"taskId": "", "state": "", "createTime": 0})

    api.sim.age_task(task_id, duration * 0.5)  # past the pending share, before the end
    middle = api.status(task_id).json()["data"]
    assert middle["state"] == "processing"
    assert_shape(middle, {"taskId": "", "state": "", "createTime": 0})

    aged = duration * 0.5 + duration  # now past the end: success once the clip is rendered
    api.sim.age_task(task_id, duration)
    deadline = time.monotonic() + 20
    while (body := api.status(task_id).json())["data"]["state"] != "success":
        assert body["data"]["state"] == "processing"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    data = body["data"]
    assert_shape(body, PAGE_SUCCESS)
    assert data["taskId"] == task_id
    assert abs(data["createTime"] / 1000 + aged - submitted) < 2
    assert data["completeTime"] >= data["createTime"] + duration * 1000
    assert data["costTime"] == data["completeTime"] - data["createTime"]
    result = json.loads(data["resultJson"])
    assert list(result) == ["resultUrls"]
    assert result["resultUrls"] == [f"{api.sim.origin}/media/{task_id}.mp4"]


def test_processing_answer_matches_the_page(sim_factory: SimFactory) -> None:
    api = Apixo(sim_factory(duration=30.0))
    try:
        task_id = api.create()
        api.sim.age_task(task_id, 15.0)
        body = api.status(task_id).json()
        assert body["data"]["state"] == "processing"
        assert_shape(body, PAGE_PROCESSING)
    finally:
        api.close()


def test_success_is_stable(api: Apixo) -> None:
    task_id = api.create()
    first = api.wait_done(task_id)
    assert api.status(task_id).json()["data"] == first


@pytest.mark.parametrize(
    ("word", "code", "message"),
    [
        (
            "#sensitive",
            "SensitiveContent",
            "Content violates safety policy, please adjust the prompt",
        ),
        ("#invalid", "PromptInvalid", None),
        ("#TIMEOUT", "Timeout", None),
    ],
)
def test_trigger_words_fail_the_task(api: Apixo, word: str, code: str, message: str | None) -> None:
    data = api.finished(text_body(f"a scene {word} here"))
    full = api.status(data["taskId"]).json()
    assert_shape(full, PAGE_FAILED)
    assert data["state"] == "failed"
    assert data["failCode"] == code
    if message:
        assert data["failMsg"] == message
    assert data["costTime"] == data["completeTime"] - data["createTime"]


def test_custom_triggers(sim_factory: SimFactory) -> None:
    sim = sim_factory(triggers={"banana": ("RateLimited", "Upstream rate limit reached")})
    client = Apixo(sim)
    try:
        failed = client.finished(text_body("a banana boat"))
        assert (failed["failCode"], failed["failMsg"]) == (
            "RateLimited",
            "Upstream rate limit reached",
        )
        assert client.finished(text_body("#sensitive"))["state"] == "success"
    finally:
        client.close()


def test_balance_answer_matches_the_docs(api: Apixo) -> None:
    api.sim.balance = 74.87
    body = api.balance().json()
    assert body == {"code": 200, "message": "success", "data": 74.87}


def test_tasks_are_charged_on_acceptance(api: Apixo) -> None:
    api.create(text_body())
    api.create(with_mode("quality"))
    assert api.sim.balance == pytest.approx(100 - 0.20 - 1.50)
    assert api.balance().json()["data"] == 98.3


def with_mode(mode: str) -> dict[str, Any]:
    body = text_body()
    body["input"]["mode"] = mode
    return body


def test_402_when_the_balance_runs_out(api: Apixo) -> None:
    api.sim.balance = 0.5
    assert api.submit(text_body()).status_code == 200
    assert api.submit(text_body()).status_code == 200
    rejected = api.submit(text_body())
    assert rejected.status_code == 402
    body = rejected.json()
    assert list(body) == ["code", "message", "data"]
    assert body["code"] == 402
    assert "Insufficient balance" in body["data"]["error"]
    assert api.sim.balance == pytest.approx(0.1)
    assert api.submit(with_mode("quality")).status_code == 402
    assert len([r for r in api.sim.requests if r.task_id]) == 2


def test_quality_needs_its_full_price(api: Apixo) -> None:
    api.sim.balance = 1.49
    assert api.submit(with_mode("quality")).status_code == 402
    assert api.submit(with_mode("fast")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic " + SIM_API_KEY},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "wrong key", "wrong scheme", "empty key"],
)
def test_401_without_the_right_key(shared_sim: SimulatorThread, headers: dict[str, str]) -> None:
    with httpx.Client(base_url=shared_sim.base_url, headers=headers) as http:
        answers = [
            http.post("/generateTask/veo-3-1", json=text_body()),
            http.get("/statusTask/veo-3-1", params={"taskId": "task_x"}),
            http.get("/apikeys/current-balance"),
            http.post("/generateTask/veo-3-1-extend", json=text_body()),
        ]
    for answer in answers:
        assert answer.status_code == 401
        assert answer.json() == {"code": 401, "message": "Unauthorized", "data": None}
    assert shared_sim.balance == 100.0
    assert all(not record.key_ok for record in shared_sim.requests)


def test_any_key_when_none_is_configured(sim_factory: SimFactory) -> None:
    sim = sim_factory(api_key=None)
    client = Apixo(sim, key="whatever-key")
    try:
        assert client.balance().status_code == 200
        assert sim.requests[-1].key_ok
    finally:
        client.close()
    with httpx.Client(base_url=sim.base_url) as http:
        assert http.get("/apikeys/current-balance").status_code == 401


def test_404_for_an_unknown_task(api: Apixo) -> None:
    response = api.status("task_doesnotexist")
    assert response.status_code == 404
    body = response.json()
    assert list(body) == ["code", "message", "data"]
    assert body["code"] == 404
    assert "task_doesnotexist" in body["data"]["error"]


def test_status_without_task_id(api: Apixo) -> None:
    response = api.http.get("/statusTask/veo-3-1")
    assert response.status_code == 400
    assert response.json()["data"]["error"] == "Missing required field: taskId"


def test_unknown_endpoint_and_method(api: Apixo) -> None:
    missing = api.http.post("/generateTask/veo-2", json=text_body())
    assert missing.status_code == 404
    assert missing.json()["code"] == 404
    wrong_method = api.http.get("/generateTask/veo-3-1")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == 405


def test_forgotten_task_is_404(api: Apixo) -> None:
    task_id = api.create()
    api.sim.forget_task(task_id)
    assert api.status(task_id).status_code == 404
    assert task_id in api.sim.created_task_ids


# ---------------------------------------------------------------------------- extend


def extend_body(task_id: str, prompt: str = "the camera keeps flying", **extra: Any) -> Any:
    return {"request_type": "async", "input": {"taskId": task_id, "prompt": prompt, **extra}}


def assert_taskid_error(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400
    assert body["message"] == "TASKID_ERROR"
    assert body["data"]["error"].startswith("TASKID_ERROR: ")
    assert reason in body["data"]["error"]


def test_extend_a_finished_task(api: Apixo) -> None:
    source = api.finished(text_body(aspect_ratio="9:16"))
    before = api.sim.balance
    response = api.submit(extend_body(source["taskId"]), EXTEND)
    assert_shape(response.json(), PAGE_SUBMIT)
    extend_id = response.json()["data"]["taskId"]
    assert api.sim.balance == pytest.approx(before - 0.20)
    done = api.wait_done(extend_id, EXTEND)
    assert_shape({"code": 200, "message": "success", "data": done}, PAGE_SUCCESS)
    info = api.sim.tasks[extend_id]
    assert (info.model, info.source_task_id, info.aspect_ratio) == (
        EXTEND,
        source["taskId"],
        "9:16",
    )
    # Each model's status endpoint knows only its own tasks.
    assert api.status(extend_id, GENERATE).status_code == 404
    assert api.status(source["taskId"], EXTEND).status_code == 404


def test_extend_is_billed_by_its_mode(api: Apixo) -> None:
    source = api.finished()
    before = api.sim.balance
    assert api.submit(extend_body(source["taskId"], mode="quality"), EXTEND).status_code == 200
    assert api.sim.balance == pytest.approx(before - 1.50)
    api.sim.balance = 0.1
    assert api.submit(extend_body(source["taskId"]), EXTEND).status_code == 402


def test_extend_of_an_unknown_task(api: Apixo) -> None:
    assert_taskid_error(api.submit(extend_body("task_nope"), EXTEND), "not found")


def test_extend_of_a_failed_task(api: Apixo) -> None:
    failed = api.finished(text_body("#sensitive"))
    assert_taskid_error(api.submit(extend_body(failed["taskId"]), EXTEND), "has not succeeded")


def test_extend_of_an_unfinished_task(api: Apixo) -> None:
    task_id = api.create()
    assert_taskid_error(api.submit(extend_body(task_id), EXTEND), "has not succeeded")


def test_extend_of_an_extend(api: Apixo) -> None:
    source = api.finished()
    extend_id = api.create(extend_body(source["taskId"]), EXTEND)
    api.wait_done(extend_id, EXTEND)
    assert_taskid_error(api.submit(extend_body(extend_id), EXTEND), "is not a veo-3-1 task")


def test_extend_of_an_expired_task(api: Apixo) -> None:
    source = api.finished()
    api.sim.age_task(source["taskId"], 24 * 3600 - 60)
    assert api.submit(extend_body(source["taskId"]), EXTEND).status_code == 200
    api.sim.age_task(source["taskId"], 120)
    before = api.sim.balance
    assert_taskid_error(api.submit(extend_body(source["taskId"]), EXTEND), "expired")
    assert api.sim.balance == before


def test_age_task_moves_the_reported_times(api: Apixo) -> None:
    done = api.finished()
    api.sim.age_task(done["taskId"], 3600)
    aged = api.status(done["taskId"]).json()["data"]
    assert aged["createTime"] == done["createTime"] - 3_600_000
    assert aged["completeTime"] == done["completeTime"] - 3_600_000
    assert aged["costTime"] == done["costTime"]
