"""Hostile APIXO answers through the parser: each is refused with a typed, printable error.

These are the parse-level halves of issue 12's defects #3, #5, #7, #8, #9 and #12: the
client-level halves (a real simulator over loopback) are in ``test_client_hostile.py``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api import page_examples as ex
from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoError,
    ForeignTaskError,
    ResponseFormatError,
    ServerError,
    TooManyResultsError,
    UnknownStateError,
    UnusableResultError,
    UnusableTaskIdError,
)
from veo_desktop.api.responses import (
    MAX_ANSWER_BYTES,
    MAX_RESULT_URLS,
    MAX_TASK_ID_LENGTH,
    ApixoState,
    is_sane_task_id,
    parse_balance,
    parse_status,
    parse_submit,
)
from veo_desktop.safe_text import is_printable

NESTED = b'{"code":200,"message":"success","data":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _status(**changes: object) -> bytes:
    doc = json.loads(ex.STATUS_SUCCESS)
    for key, value in changes.items():
        if value is None:
            doc["data"].pop(key, None)
        else:
            doc["data"][key] = value
    return json.dumps(doc).encode()


def _failed(**changes: object) -> bytes:
    doc = json.loads(ex.STATUS_FAILED)
    doc["data"].update(changes)
    return json.dumps(doc).encode()


def _submit(task_id: object) -> bytes:
    return json.dumps({"code": 200, "message": "success", "data": {"taskId": task_id}}).encode()


def _balance(data: str) -> bytes:
    return f'{{"code":200,"message":"success","data":{data}}}'.encode()


def _urls(count: int, url: str = "https://r2.apixo.ai/v.mp4") -> str:
    return json.dumps({"resultUrls": [f"{url}?n={i}" for i in range(count)]})


# -- #5: over-deep and over-long answers ------------------------------------------------------


@pytest.mark.parametrize("parse", [parse_status, parse_submit, parse_balance])
def test_a_deeply_nested_answer_is_a_format_error_not_a_recursion_error(parse: Any) -> None:
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        parse(NESTED)


def test_moderately_deep_nesting_is_refused_too() -> None:
    body = _status(extra=json.loads("[" * 500 + "]" * 500))
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        parse_status(body)


def test_a_deeply_nested_result_json_is_an_unusable_result() -> None:
    with pytest.raises(UnusableResultError, match="nested too deeply"):
        parse_status(_status(resultJson="[" * 100_000 + "]" * 100_000))


@pytest.mark.parametrize("parse", [parse_status, parse_submit, parse_balance])
def test_an_answer_of_many_megabytes_is_refused(parse: Any) -> None:
    body = _status(padding="x" * MAX_ANSWER_BYTES)
    with pytest.raises(ResponseFormatError, match="larger than 1 MiB"):
        parse(body)


def test_an_answer_echoing_a_long_prompt_fits_the_bound() -> None:
    status = parse_status(_status(param=json.dumps({"prompt": "\u00e9" * 10_000})))
    assert status.state is ApixoState.SUCCESS


@pytest.mark.parametrize(
    "task_id",
    [
        "x" * 200_000,
        "x" * (MAX_TASK_ID_LENGTH + 1),
        "task_1\nCRITICAL forged line",
        "task_\x1b[31mred",
        "task 1",
        "task/../../balance",
        "task?x=1",
        "t\u202eask",
        "",
    ],
)
def test_a_submission_answered_with_an_insane_task_id_is_refused(task_id: str) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_submit(_submit(task_id))
    message = str(caught.value)
    assert is_printable(message)
    assert len(message) < 600
    if task_id:
        assert isinstance(caught.value, UnusableTaskIdError)
        assert "unusable taskId '" in message
        assert is_printable(caught.value.task_id)


def test_the_unusable_task_id_is_kept_escaped_for_the_person() -> None:
    with pytest.raises(UnusableTaskIdError) as caught:
        parse_submit(_submit("task_1\nCRITICAL x"))
    assert "'task_1\\nCRITICAL x'" in str(caught.value)


@pytest.mark.parametrize(
    "task_id",
    ["task_12345678", "task_" + "0f" * 16, "a" * MAX_TASK_ID_LENGTH, "run-1.2:3", "ABC_def"],
)
def test_sane_task_ids_are_accepted(task_id: str) -> None:
    assert is_sane_task_id(task_id)
    assert parse_submit(_submit(task_id)) == task_id


@pytest.mark.parametrize("task_id", [5, None, ["task_1"], {"id": "task_1"}, True])
def test_a_submission_without_a_text_task_id_is_refused(task_id: object) -> None:
    with pytest.raises(ResponseFormatError, match="no taskId"):
        parse_submit(_submit(task_id))


# -- #8: states, case and whitespace; foreign task ids ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("SUCCESS", ApixoState.SUCCESS),
        (" Success", ApixoState.SUCCESS),
        ("success\n", ApixoState.SUCCESS),
        ("Failed", ApixoState.FAILED),
        ("PROCESSING", ApixoState.PROCESSING),
        ("\tPending ", ApixoState.PENDING),
    ],
)
def test_known_states_are_read_case_insensitively(raw: str, state: ApixoState) -> None:
    status = parse_status(_status(state=raw))
    assert status.state is state
    if state is ApixoState.SUCCESS:
        assert status.result_urls == ("https://r2.apixo.ai/xxx.mp4",)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("queued", "queued"),
        ("SUCCEEDED", "SUCCEEDED"),
        ("suc cess", "suc cess"),
        ("succ\u0131ss", "succ\u0131ss"),
        ("done\n\x1b[2J", "done\\n\\x1b[2J"),
        ("", ""),
        (7, "7"),
        (["success"], "['success']"),
    ],
)
def test_an_unknown_state_is_a_typed_error_with_the_printable_state(
    raw: object, shown: str
) -> None:
    with pytest.raises(UnknownStateError) as caught:
        parse_status(_status(state=raw))
    assert caught.value.state == shown
    assert f"APIXO answered an unknown task state '{shown}'" in str(caught.value)
    assert is_printable(str(caught.value))


def test_an_unknown_state_is_clipped() -> None:
    with pytest.raises(UnknownStateError) as caught:
        parse_status(_status(state="q" * 100_000))
    assert len(caught.value.state) <= 40
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("answered", ["task_other", "x" * 200_000, "task_1\r\nERROR forged"])
def test_a_status_for_another_task_is_a_foreign_task_error(answered: str) -> None:
    with pytest.raises(ForeignTaskError) as caught:
        parse_status(_status(taskId=answered), expected_task_id="task_12345678")
    assert is_printable(caught.value.answered_id)
    assert len(caught.value.answered_id) <= 200
    if answered == "task_other":
        assert caught.value.answered_id == "task_other"
    assert is_printable(str(caught.value))
    assert "when asked about 'task_12345678'" in str(caught.value)


def test_a_status_with_an_insane_task_id_is_refused_without_an_expected_id() -> None:
    with pytest.raises(UnusableTaskIdError):
        parse_status(_status(taskId="x" * 200_000))


# -- #3: a bounded number of bounded result URLs ------------------------------------------------


def test_up_to_the_bound_of_result_urls_is_accepted() -> None:
    status = parse_status(_status(resultJson=_urls(MAX_RESULT_URLS)))
    assert len(status.result_urls) == MAX_RESULT_URLS


@pytest.mark.parametrize("count", [MAX_RESULT_URLS + 1, 10_000])
def test_more_result_urls_than_veo_makes_are_refused(count: int) -> None:
    with pytest.raises(TooManyResultsError) as caught:
        parse_status(_status(resultJson=_urls(count)))
    assert f"{count} video URLs" in str(caught.value)
    assert isinstance(caught.value, UnusableResultError)
    assert len(str(caught.value)) < 400


def test_an_overlong_result_url_is_refused() -> None:
    url = "https://r2.apixo.ai/" + "v" * 10_000 + ".mp4"
    with pytest.raises(UnusableResultError, match="characters long") as caught:
        parse_status(_status(resultJson=json.dumps({"resultUrls": [url]})))
    assert len(str(caught.value)) < 400


def test_a_result_url_with_control_characters_is_refused_printably() -> None:
    url = "https://r2.apixo.ai/v.mp4\nCRITICAL forged"
    with pytest.raises(UnusableResultError) as caught:
        parse_status(_status(resultJson=json.dumps({"resultUrls": [url]})))
    assert is_printable(str(caught.value))


def test_unparseable_result_json_is_quoted_printably() -> None:
    with pytest.raises(UnusableResultError) as caught:
        parse_status(_status(resultJson="{not json\x1b[2J\n" + "z" * 1000))
    assert is_printable(str(caught.value))
    assert len(str(caught.value)) < 300


# -- #7: failCode and failMsg are printable and clipped where they are read -------------------


def test_fail_code_and_message_are_printable_and_clipped() -> None:
    status = parse_status(
        _failed(failCode="Bad\x1b[31mCode\n" + "c" * 5000, failMsg="line1\nline2\r" + "m" * 50_000)
    )
    assert status.fail_code is not None and status.fail_msg is not None
    assert is_printable(status.fail_code) and is_printable(status.fail_msg)
    assert status.fail_code.startswith("Bad\\x1b[31mCode\\n")
    assert status.fail_msg.startswith("line1\\nline2\\r")
    assert len(status.fail_code) <= 100
    assert len(status.fail_msg) <= 2000


def test_error_envelope_messages_are_made_safe() -> None:
    body = json.dumps(
        {
            "code": 500,
            "message": "boom",
            "data": {"error": "upstream said\n2026 CRITICAL forged\x1b[2J Bearer sk-live-abc"},
        }
    ).encode()
    with pytest.raises(ServerError) as caught:
        parse_status(body)
    assert is_printable(str(caught.value))
    assert "sk-live-abc" not in str(caught.value)


def test_non_text_fields_are_shown_printably() -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_status(_failed(failMsg={"a\nb": "c\x1b" * 10_000}))
    assert is_printable(str(caught.value))
    assert len(str(caught.value)) < 400


def test_html_and_junk_bodies_are_described_printably() -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_status(b"\x1b[2Jjunk\nCRITICAL forged")
    assert is_printable(str(caught.value))


# -- #12: the balance is a sane amount ------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        '"1e99999999"',
        "1e99999999",
        '"-5"',
        "-5",
        "-0.01",
        "1000000000",
        '"1E+9"',
        '"9' + "9" * 200 + '"',
        "9" * 4000,
        '"Infinity"',
        '"1e-99999999"',
        '"0x10"',
        '" 5"',
    ],
)
def test_an_absurd_balance_is_refused(data: str) -> None:
    with pytest.raises(ResponseFormatError, match="balance is not") as caught:
        parse_balance(_balance(data))
    assert len(str(caught.value)) < 200
    assert is_printable(str(caught.value))


def test_an_absurd_balance_says_what_it_was() -> None:
    with pytest.raises(ResponseFormatError, match=r"not a sane amount: '1e99999999'"):
        parse_balance(_balance('"1e99999999"'))


@pytest.mark.parametrize(
    ("data", "value"),
    [
        ("74.87", Decimal("74.87")),
        ('"74.87"', Decimal("74.87")),
        ("0", Decimal("0")),
        ("0.0", Decimal("0")),
        ("999999999.99", Decimal("999999999.99")),
        ("12", Decimal("12")),
        ('"1.5e2"', Decimal("150")),
    ],
)
def test_sane_balances_are_exact(data: str, value: Decimal) -> None:
    assert parse_balance(_balance(data)) == value


# -- property: any bytes, any JSON -> a value or a typed, printable error ----------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_field = st.one_of(
    _json,
    st.sampled_from(["success", "SUCCESS", "failed", "pending", "processing", "queued"]),
    st.sampled_from(["task_1", "task_12345678", "x" * 300, "t\n1"]),
    st.just(json.dumps({"resultUrls": ["https://r2.apixo.ai/a.mp4"]})),
    st.builds(lambda n: _urls(n), st.integers(0, 12)),
    st.integers(min_value=0, max_value=2**63),
)
_data = st.one_of(
    _json,
    st.fixed_dictionaries(
        {},
        optional={
            "taskId": _field,
            "state": _field,
            "resultJson": _field,
            "createTime": _field,
            "completeTime": _field,
            "costTime": _field,
            "failCode": _field,
            "failMsg": _field,
        },
    ),
)
_envelope = st.fixed_dictionaries(
    {},
    optional={
        "code": st.one_of(st.just(200), st.integers(100, 600), _json),
        "message": _json,
        "data": _data,
    },
)
_amounts = st.one_of(
    st.integers(),
    st.floats(),
    st.from_regex(r"-?\d{1,3}(\.\d{1,3})?[eE][+-]?\d{1,9}", fullmatch=True),
)
_bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda doc: json.dumps(doc).encode(), _envelope),
    st.builds(lambda doc: json.dumps(doc).encode(), _json),
    st.integers(1, 150_000).map(
        lambda n: b'{"code":200,"message":"success","data":' + b"[" * n + b"]" * n + b"}"
    ),
    _amounts.map(lambda amount: _balance(json.dumps(amount))),
    st.text().map(_submit),
)


def _check(parse: Any, body: bytes) -> None:
    try:
        value = parse(body)
    except ApixoError as error:
        assert is_printable(str(error)), str(error)
        for name in ("state", "answered_id", "task_id"):
            if hasattr(error, name):
                assert is_printable(getattr(error, name))
        if isinstance(error, ApiStatusError):
            assert is_printable(error.api_message) and is_printable(error.detail)
        return
    if parse is parse_submit:
        assert isinstance(value, str) and is_sane_task_id(value)
    elif parse is parse_balance:
        assert isinstance(value, Decimal) and value.is_finite() and 0 <= value < 10**9
    else:
        assert is_sane_task_id(value.task_id)
        assert isinstance(value.state, ApixoState)
        assert len(value.result_urls) <= MAX_RESULT_URLS
        assert all(is_printable(url) for url in value.result_urls)
        for text in (value.fail_code, value.fail_msg):
            assert text is None or is_printable(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies, which=st.sampled_from([parse_status, parse_submit, parse_balance]))
def test_any_answer_parses_or_raises_a_printable_apixo_error(body: bytes, which: Any) -> None:
    _check(which, body)
