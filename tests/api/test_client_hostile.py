"""ApixoClient against a hostile APIXO: the simulator's scripted faults over loopback.

Issue 12, defects #3, #4, #5, #7, #8, #9, #10, #12 and #14 at the client: every hostile
answer ends in a typed :class:`ApixoError` with a printable message that holds no key, no
submission whose answer may have been taken is sent twice, and no read outlives its deadline.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest

from tests.api.test_client import REQUEST, gets, make_client, posts, run, wait_final
from veo_desktop.api import (
    ApixoClient,
    ApixoError,
    ApixoState,
    ApixoTimeoutError,
    ResponseFormatError,
    RetryPolicy,
    SubmissionUncertainError,
    TaskStatus,
)
from veo_desktop.api.errors import (
    ForeignTaskError,
    RequestBuildError,
    TooManyResultsError,
    UnknownStateError,
    UnusableTaskIdError,
)
from veo_desktop.api.urls import is_loopback_host
from veo_desktop.safe_text import is_printable
from veo_desktop.sim import Fault

T = TypeVar("T")
ONE_TRY = RetryPolicy(max_attempts=1)


async def with_client(sim: Any, body: Callable[[ApixoClient], Awaitable[T]], **kwargs: Any) -> T:
    async with make_client(sim.base_url, **kwargs) as client:
        return await body(client)


async def finished_task(client: ApixoClient) -> str:
    task_id = await client.submit(REQUEST)
    await wait_final(client, task_id)
    return task_id


def assert_shown_safely(error: BaseException, *, limit: int = 1000) -> None:
    chain: BaseException | None = error
    while chain is not None:
        assert is_printable(str(chain)), str(chain)
        assert len(str(chain)) <= limit
        chain = chain.__cause__


# -- #5 / #9: over-deep, over-long answers and insane task ids --------------------------------


def test_a_nested_status_answer_is_a_format_error_and_not_hammered(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        sim.add_fault(Fault(endpoint="status", kind="nested_json"))
        return await client.status(task_id)

    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        run(with_client(sim, body))
    assert len(gets(sim, "/statusTask/")) == 1


def test_a_nested_balance_answer_is_a_format_error(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="nested_json"))
    with pytest.raises(ResponseFormatError, match="nested too deeply"):
        run(with_client(sim, lambda c: c.balance()))


def test_a_nested_submit_answer_is_uncertain_and_never_reposted(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="nested_json", accept_first=True))
    with pytest.raises(SubmissionUncertainError) as caught:
        run(with_client(sim, lambda c: c.submit(REQUEST)))
    assert len(posts(sim)) == 1
    assert len(sim.tasks) == 1
    assert "nested too deeply" in str(caught.value)
    assert_shown_safely(caught.value)


@pytest.mark.parametrize(
    "odd_id", [None, "task_1\n2026-01-01 CRITICAL forged", "task_\x1b[2Jcleared", "a/b?c"]
)
def test_a_submit_answered_with_an_insane_task_id_is_uncertain(
    sim: Any, odd_id: str | None
) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="odd_task_id", value=odd_id, accept_first=True))
    with pytest.raises(SubmissionUncertainError) as caught:
        run(with_client(sim, lambda c: c.submit(REQUEST)))
    assert len(posts(sim)) == 1
    assert len(sim.tasks) == 1  # APIXO took (and charged) it: never sent again
    assert "unusable taskId '" in str(caught.value)
    assert isinstance(caught.value.cause, UnusableTaskIdError)
    assert_shown_safely(caught.value)
    if odd_id is not None:
        assert caught.value.cause.task_id in str(caught.value)


def test_an_insane_task_id_is_never_put_in_a_url(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        return await client.status("x" * 200_000)

    with pytest.raises(UnusableTaskIdError) as caught:
        run(with_client(sim, body))
    assert sim.requests == []
    assert_shown_safely(caught.value, limit=600)


@pytest.mark.parametrize("task_id", ["task_1\r\nHost: evil", "task 1", "../balance", "t\u202e1"])
def test_a_task_id_with_odd_characters_is_refused_before_sending(sim: Any, task_id: str) -> None:
    with pytest.raises(UnusableTaskIdError):
        run(with_client(sim, lambda c: c.status(task_id)))
    assert sim.requests == []


def test_a_status_answer_of_many_megabytes_is_refused_while_reading() -> None:
    chunk = b" " * 65536
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"code":200,"message":"success","data":{"taskId":"task_1","pad":"'
        for i in range(2000):  # 128 MiB if read to the end
            sent.append(i)
            yield chunk

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())

    async def body() -> TaskStatus:
        async with ApixoClient(
            "k", base_url="https://api.apixo.ai/api/v1", transport=httpx.MockTransport(answer)
        ) as client:
            return await client.status("task_1")

    with pytest.raises(ResponseFormatError, match="larger than 1 MiB"):
        run(body())
    assert len(sent) <= 20


def test_an_error_body_of_many_megabytes_still_gives_the_typed_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, content=b"{" + b" " * (8 * 1024 * 1024))

    async def body() -> Decimal:
        async with ApixoClient(
            "k",
            base_url="https://api.apixo.ai/api/v1",
            transport=httpx.MockTransport(answer),
            read_retry=ONE_TRY,
        ) as client:
            return await client.balance()

    with pytest.raises(ApixoError) as caught:
        run(body())
    assert "server error (HTTP 503)" in str(caught.value)


def _mock_client(answer: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> ApixoClient:
    return ApixoClient(
        kwargs.pop("api_key", "k"),
        base_url="https://api.apixo.ai/api/v1",
        transport=httpx.MockTransport(answer),
        read_retry=ONE_TRY,
        sleep=lambda _s: asyncio.sleep(0),
        **kwargs,
    )


def _broken_gzip(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        content=b"this is not gzip at all",
    )


def test_an_undecodable_status_body_is_a_format_error() -> None:
    async def body() -> TaskStatus:
        async with _mock_client(_broken_gzip) as client:
            return await client.status("task_1")

    with pytest.raises(ResponseFormatError, match="could not be decoded"):
        run(body())


def test_an_undecodable_submit_answer_is_uncertain() -> None:
    async def body() -> str:
        async with _mock_client(_broken_gzip) as client:
            return await client.submit(REQUEST)

    with pytest.raises(SubmissionUncertainError):
        run(body())


def test_a_gzipped_answer_still_reads() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        doc = b'{"code":200,"message":"success","data":74.87}'
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(doc))

    async def body() -> Decimal:
        async with _mock_client(answer) as client:
            return await client.balance()

    assert run(body()) == Decimal("74.87")


def test_a_request_that_cannot_be_built_is_typed_and_not_sent() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 200, "message": "success", "data": 1})

    async def body() -> Decimal:
        async with _mock_client(answer, api_key="k\u00e9y-not-ascii") as client:
            return await client.balance()

    with pytest.raises(RequestBuildError) as caught:
        run(body())
    assert seen == []
    assert "k\u00e9y" not in str(caught.value)
    assert_shown_safely(caught.value)


def test_a_parser_failure_of_any_kind_makes_the_submission_uncertain(
    sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(body: bytes) -> str:
        raise KeyError("a bug in the parser")

    monkeypatch.setattr("veo_desktop.api.client.parse_submit", broken)
    with pytest.raises(SubmissionUncertainError) as caught:
        run(with_client(sim, lambda c: c.submit(REQUEST)))
    assert len(posts(sim)) == 1
    assert "could not be read (KeyError)" in str(caught.value)


# -- #8: states and foreign task ids ------------------------------------------------------------


def test_an_unknown_state_is_typed_with_the_state(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        sim.add_fault(Fault(endpoint="status", kind="odd_state"))
        return await client.status(task_id)

    with pytest.raises(UnknownStateError) as caught:
        run(with_client(sim, body))
    assert caught.value.state == "queued"
    assert "APIXO answered an unknown task state 'queued'" in str(caught.value)


def test_an_upper_case_success_is_a_success_with_its_video(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await finished_task(client)
        sim.add_fault(Fault(endpoint="status", kind="odd_state", value="SUCCESS"))
        return await client.status(task_id)

    status = run(with_client(sim, body))
    assert status.state is ApixoState.SUCCESS
    assert status.result_urls and status.result_urls[0].startswith(sim.origin)


@pytest.mark.parametrize("answered", ["task_someone_else", "task_1\n2026 CRITICAL forged"])
def test_a_status_for_another_task_is_a_foreign_task_error(sim: Any, answered: str) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        sim.add_fault(Fault(endpoint="status", kind="odd_task_id", value=answered))
        return await client.status(task_id)

    with pytest.raises(ForeignTaskError) as caught:
        run(with_client(sim, body))
    assert is_printable(caught.value.answered_id)
    assert_shown_safely(caught.value)


def test_a_status_with_a_huge_task_id_is_a_foreign_task_error(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        sim.add_fault(Fault(endpoint="status", kind="odd_task_id"))
        return await client.status(task_id)

    with pytest.raises(ForeignTaskError) as caught:
        run(with_client(sim, body))
    assert_shown_safely(caught.value, limit=600)


# -- #3: result URLs ------------------------------------------------------------------------------


def test_ten_thousand_result_urls_are_refused(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await finished_task(client)
        sim.add_fault(Fault(endpoint="status", kind="extra_result_urls"))
        return await client.status(task_id)

    with pytest.raises(TooManyResultsError) as caught:
        run(with_client(sim, body))
    assert caught.value.count == 10_001
    assert "10001 video URLs" in str(caught.value)


# -- #12: the balance -------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "-5", '"-5"', "1e99999999"])
def test_an_absurd_balance_is_a_format_error(sim: Any, value: str | None) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="odd_balance", value=value))
    with pytest.raises(ResponseFormatError, match="balance is not a sane amount") as caught:
        run(with_client(sim, lambda c: c.balance()))
    assert len(str(caught.value)) < 200


# -- #10: a total deadline --------------------------------------------------------------------


def test_a_trickling_balance_answer_is_cut_by_the_deadline(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="trickle", delay=0.2, times=-1))
    with pytest.raises(ApixoTimeoutError) as caught:
        run(
            with_client(
                sim,
                lambda c: c.balance(),
                read_deadline=1.0,
                read_retry=RetryPolicy(max_attempts=2),
            )
        )
    assert caught.value.sent is True
    assert "did not finish answering within 1 s" in str(caught.value)
    assert len(gets(sim, "current-balance")) == 2  # a read is retried as before


def test_a_trickling_status_answer_is_cut_by_the_deadline(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        sim.add_fault(Fault(endpoint="status", kind="trickle", delay=0.2))
        return await client.status(task_id)

    with pytest.raises(ApixoTimeoutError):
        run(with_client(sim, body, read_deadline=1.0, read_retry=ONE_TRY))


def test_a_trickling_submit_answer_is_uncertain_and_never_reposted(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="trickle", delay=0.2))
    with pytest.raises(SubmissionUncertainError) as caught:
        run(with_client(sim, lambda c: c.submit(REQUEST), submit_deadline=1.0))
    assert len(posts(sim)) == 1
    assert len(sim.tasks) == 1
    assert isinstance(caught.value.cause, ApixoTimeoutError)


def test_a_slow_but_steady_answer_within_the_deadline_is_read(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="trickle", delay=0.001))
    assert run(with_client(sim, lambda c: c.balance(), read_deadline=30.0)) == Decimal("100")


# -- #4 / #7: the key and control characters ---------------------------------------------------


def _unregistered_key() -> str:
    return "zz-unregistered-" + secrets.token_hex(8)


@pytest.mark.parametrize("where", ["http_500", "http_401", "envelope", "fail_msg", "html"])
def test_the_client_scrubs_its_own_key_from_what_apixo_echoes(
    where: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = _unregistered_key()
    caplog.set_level(logging.DEBUG)

    def answer(request: httpx.Request) -> httpx.Response:
        said = f"key {key} rejected\n2026 CRITICAL forged \x1b[2J {key}"
        if where == "http_500":
            return httpx.Response(500, json={"code": 500, "message": said, "data": None})
        if where == "http_401":
            return httpx.Response(401, json={"code": 401, "message": "no", "data": {"error": said}})
        if where == "html":
            return httpx.Response(502, headers={"Content-Type": "text/html"}, text=said)
        if where == "envelope":
            return httpx.Response(200, json={"code": 403, "message": said, "data": None})
        return httpx.Response(
            200,
            json={
                "code": 200,
                "message": "success",
                "data": {
                    "taskId": "task_1",
                    "state": "failed",
                    "createTime": 1,
                    "failCode": key,
                    "failMsg": said,
                },
            },
        )

    async def body() -> TaskStatus:
        async with _mock_client(answer, api_key=key) as client:
            return await client.status("task_1")

    try:
        status = run(body())
    except ApixoError as error:
        chain: BaseException | None = error
        while chain is not None:
            assert key not in str(chain) and key not in repr(chain)
            for value in vars(chain).values():
                assert key not in str(value)
            assert is_printable(str(chain))
            chain = chain.__cause__
    else:
        assert where == "fail_msg"
        assert key not in repr(status)
        assert key not in f"{status.fail_code} {status.fail_msg}"
        assert status.fail_msg is not None and is_printable(status.fail_msg)
    assert key not in caplog.text


def test_an_echoed_authorization_header_never_reaches_the_error(sim_factory: Any) -> None:
    key = _unregistered_key()
    sim = sim_factory(api_key=key)
    sim.add_fault(Fault(endpoint="balance", kind="echo_key", status=500, times=-1))
    with pytest.raises(ApixoError) as caught:
        run(with_client(sim, lambda c: c.balance(), api_key=key, read_retry=ONE_TRY))
    assert key not in str(caught.value)
    assert key not in f"{vars(caught.value)}"


# -- #14: loopback means this computer ------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("evil.localhost", False),
        ("localhost.evil.com", False),
        ("localhost.", False),
        ("127.0.0.1.nip.io", False),
        ("10.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_only_literal_loopback_and_localhost_count(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_plain_http_to_a_localhost_subdomain_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        ApixoClient("k", base_url="http://evil.localhost:8080/api/v1")


# -- envelope codes a submission cannot take at their word ---------------------------------------


#: A key that no answer quotes (the client removes its key from every answer it reads).
LONG_KEY = "sk-a-key-no-answer-quotes-7f3c9a"


def _counting(status: int, doc: dict[str, Any]) -> tuple[list[httpx.Request], Any]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=doc)

    return seen, answer


@pytest.mark.parametrize(
    ("status", "doc"),
    [
        (200, {"code": 503, "message": "busy", "data": {"taskId": "task_1"}}),
        (200, {"code": 429, "message": "slow down", "data": {"taskId": "task_1"}}),
        (200, {"code": 201, "message": "created", "data": {"taskId": "task_1"}}),
        (200, {"code": 0, "message": "ok", "data": {"taskId": "task_1"}}),
        (200, {"code": 302, "message": "moved", "data": None}),
        (302, {"code": 302, "message": "moved"}),
    ],
    ids=["503-naming-a-task", "429-naming-a-task", "code-201", "code-0", "code-302", "http-302"],
)
def test_an_answer_that_may_have_taken_the_submission_is_uncertain_and_never_reposted(
    status: int, doc: dict[str, Any]
) -> None:
    seen, answer = _counting(status, doc)

    async def body() -> str:
        async with _mock_client(
            answer, api_key=LONG_KEY, submit_retry=RetryPolicy(max_attempts=4)
        ) as client:
            return await client.submit(REQUEST)

    with pytest.raises(SubmissionUncertainError) as caught:
        run(body())
    assert len(seen) == 1
    assert_shown_safely(caught.value)


def test_a_503_envelope_naming_no_task_is_still_retried() -> None:
    seen, answer = _counting(200, {"code": 503, "message": "busy", "data": None})

    async def body() -> str:
        async with _mock_client(
            answer, api_key=LONG_KEY, submit_retry=RetryPolicy(max_attempts=3)
        ) as client:
            return await client.submit(REQUEST)

    with pytest.raises(ApixoError):
        run(body())
    assert len(seen) == 3


def test_a_key_hidden_by_json_escapes_in_a_200_error_envelope_is_scrubbed() -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in LONG_KEY)
    body = b'{"code": 401, "message": "bad key ' + escaped.encode() + b'", "data": null}'

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    async def read() -> Decimal:
        async with _mock_client(answer, api_key=LONG_KEY) as client:
            return await client.balance()

    with pytest.raises(ApixoError) as caught:
        run(read())
    assert LONG_KEY not in str(caught.value)
    assert "[REDACTED]" in str(caught.value)


def test_a_balance_in_other_scripts_digits_is_not_a_number(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="odd_balance", value='"\\u0663"'))
    with pytest.raises(ResponseFormatError, match="balance is not a number"):
        run(with_client(sim, lambda c: c.balance()))
