"""Contract tests: the page's own JSON, byte for byte, through our parser."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.api import page_examples as ex
from veo_desktop.api.errors import (
    AuthenticationError,
    BadRequestError,
    ExtendSourceError,
    NotFoundError,
    ResponseFormatError,
)
from veo_desktop.api.responses import (
    ApixoState,
    parse_balance,
    parse_status,
    parse_submit,
)

PAGE = Path(__file__).resolve().parents[3] / "shared" / "apixo" / "veo-3-1-page.txt"


@pytest.mark.skipif(not PAGE.exists(), reason="../shared/apixo is not beside this checkout")
@pytest.mark.parametrize("name", sorted(ex.ALL))
def test_examples_are_still_verbatim_on_the_page(name: str) -> None:
    assert ex.ALL[name] in PAGE.read_text(encoding="utf-8")


def test_submit_example() -> None:
    assert parse_submit(ex.SUBMIT_ACCEPTED.encode()) == "task_12345678"


def test_processing_example() -> None:
    status = parse_status(ex.STATUS_PROCESSING.encode(), expected_task_id="task_12345678")
    assert status.state is ApixoState.PROCESSING
    assert status.create_time == 1767965610929
    assert status.complete_time is None
    assert status.result_urls == ()
    assert not status.is_final


def test_success_example() -> None:
    status = parse_status(ex.STATUS_SUCCESS.encode())
    assert status.state is ApixoState.SUCCESS
    assert status.result_urls == ("https://r2.apixo.ai/xxx.mp4",)
    assert (status.create_time, status.complete_time, status.cost_time) == (
        1767965610929,
        1767965730929,
        120000,
    )
    assert status.is_final


def test_failed_example() -> None:
    status = parse_status(ex.STATUS_FAILED.encode())
    assert status.state is ApixoState.FAILED
    assert status.fail_code == "SensitiveContent"
    assert status.fail_msg == "Content violates safety policy, please adjust the prompt"
    assert status.cost_time == 9203


def test_balance_example_is_exact_decimal() -> None:
    assert parse_balance(ex.BALANCE.encode()) == Decimal("74.87")


def test_error_envelope_inside_a_200_is_typed() -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_submit(ex.ERROR_400.encode())
    assert "Missing required field: input.prompt" in str(caught.value)
    assert "nothing was charged" in str(caught.value)


def _status_with(**changes: object) -> bytes:
    doc = json.loads(ex.STATUS_SUCCESS)
    for key, value in changes.items():
        if value is None:
            doc["data"].pop(key, None)
        else:
            doc["data"][key] = value
    return json.dumps(doc).encode()


def test_extra_fields_are_tolerated() -> None:
    status = parse_status(_status_with(progress=0.5, model="veo-3-1"))
    assert status.raw["progress"] == 0.5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_status_with(state="queued"), "unknown task state 'queued'"),
        (_status_with(state=None), "no 'state' field"),
        (_status_with(taskId=None), "no 'taskId' field"),
        (_status_with(createTime=None), "no 'createTime' field"),
        (_status_with(createTime="yesterday"), "non-integer 'createTime'"),
        (_status_with(resultJson="{not json"), "resultJson is not valid JSON"),
        (_status_with(resultJson='{"resultUrls": []}'), "lists no video URLs"),
        (_status_with(resultJson='{"other": 1}'), "lists no video URLs"),
        (_status_with(resultJson='{"resultUrls": [""]}'), "a result URL is empty"),
        (_status_with(resultJson=None), "not the documented JSON string"),
        (b"<html><body>502 Bad Gateway</body></html>", "an HTML page"),
        (b'{"code": 200, "message": "success", "data": {"taskId": "t', "was not JSON"),
        (b"", "an empty body"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"message": "success"}', "no 'code' field"),
        (b'{"code": 200, "message": "success"}', "no 'data' field"),
    ],
)
def test_broken_status_answers_raise_descriptive_errors(body: bytes, message: str) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_status(body)
    assert message in str(caught.value)


def test_status_for_another_task_is_refused() -> None:
    with pytest.raises(ResponseFormatError, match="asked about 'task_other'"):
        parse_status(ex.STATUS_PROCESSING.encode(), expected_task_id="task_other")


@pytest.mark.parametrize(
    ("code", "error"),
    [(401, AuthenticationError), (404, NotFoundError), (400, BadRequestError)],
)
def test_envelope_codes_map_to_typed_errors(code: int, error: type[Exception]) -> None:
    body = json.dumps({"code": code, "message": "nope", "data": None}).encode()
    with pytest.raises(error):
        parse_status(body)


def test_taskid_error_is_its_own_type() -> None:
    body = b'{"code":400,"message":"TASKID_ERROR","data":{"error":"TASKID_ERROR: expired"}}'
    with pytest.raises(ExtendSourceError, match="24 hours"):
        parse_submit(body)


@pytest.mark.parametrize("data", ['"lots"', "null", "true", '{"usd": 3}', '"NaN"'])
def test_balance_must_be_a_number(data: str) -> None:
    with pytest.raises(ResponseFormatError, match="balance is not a number"):
        parse_balance(f'{{"code":200,"message":"success","data":{data}}}'.encode())


def test_submit_without_task_id() -> None:
    with pytest.raises(ResponseFormatError, match="no taskId"):
        parse_submit(b'{"code":200,"message":"success","data":{}}')
