"""ApixoClient against the simulator over real loopback sockets.

Every retry path counts the requests the simulator saw: a submission must never be sent
twice unless APIXO provably did not take it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest

from veo_desktop.api import (
    ApixoClient,
    ApixoConnectionError,
    ApixoState,
    ApixoTimeoutError,
    AuthenticationError,
    BadRequestError,
    ExtendRequest,
    ExtendSourceError,
    GenerationRequest,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestInvalidError,
    ResponseFormatError,
    RetryPolicy,
    ServerError,
    SubmissionUncertainError,
    TaskStatus,
)
from veo_desktop.api.client import USER_AGENT
from veo_desktop.sim import Fault

KEY = "test-key-123"
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Sleeps:
    """Records the backoff waits instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def make_client(base_url: str, sleeps: Sleeps | None = None, **kwargs: Any) -> ApixoClient:
    kwargs.setdefault("timeout", httpx.Timeout(2.0))
    return ApixoClient(
        kwargs.pop("api_key", KEY),
        base_url=base_url,
        sleep=sleeps or Sleeps(),
        rng=lambda: 0.0,
        **kwargs,
    )


def posts(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.method == "POST" and "/generateTask/" in r.path]


def gets(sim: Any, part: str) -> list[Any]:
    return [r for r in sim.requests if r.method == "GET" and part in r.path]


REQUEST = GenerationRequest(prompt="a lighthouse in a storm, slow dolly in")


async def wait_final(client: ApixoClient, task_id: str, model: str = "veo-3-1") -> TaskStatus:
    """Poll until the task is final (the simulator's tasks take a fraction of a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        status = await client.status(task_id, model=model)
        if status.is_final or loop.time() > deadline:
            return status
        await asyncio.sleep(0.05)


async def with_client(sim: Any, body: Callable[[ApixoClient], Awaitable[T]], **kwargs: Any) -> T:
    async with make_client(sim.base_url, **kwargs) as client:
        return await body(client)


# -- the happy path ---------------------------------------------------------------------


def test_submit_poll_to_success_and_download_url(sim: Any) -> None:
    async def body(client: ApixoClient) -> tuple[str, TaskStatus, Decimal, Decimal]:
        before = await client.balance()
        task_id = await client.submit(REQUEST)
        status = await wait_final(client, task_id)
        after = await client.balance()
        return task_id, status, before, after

    task_id, status, before, after = run(with_client(sim, body))
    assert status.state is ApixoState.SUCCESS
    assert status.task_id == task_id
    assert status.result_urls and status.result_urls[0].startswith(sim.origin)
    assert status.complete_time is not None and status.cost_time is not None
    assert before - after == Decimal("0.20")
    (post,) = posts(sim)
    assert post.body == REQUEST.to_payload()
    assert post.key_ok
    media = httpx.get(status.result_urls[0])
    assert media.status_code == 200
    assert media.content[4:8] == b"ftyp"


def test_user_agent_and_bearer_key_are_sent() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 200, "message": "success", "data": 1.5})

    async def body() -> Decimal:
        async with ApixoClient(
            KEY, base_url="https://api.apixo.ai/api/v1", transport=httpx.MockTransport(answer)
        ) as client:
            return await client.balance()

    assert run(body()) == Decimal("1.5")
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert str(seen[0].url) == "https://api.apixo.ai/api/v1/apikeys/current-balance"


def test_failed_task_reports_fail_code(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(GenerationRequest(prompt="a beach #sensitive"))
        return await wait_final(client, task_id)

    status = run(with_client(sim, body))
    assert status.state is ApixoState.FAILED
    assert status.fail_code == "SensitiveContent"
    assert status.fail_msg


def test_extend_of_a_finished_task(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        source = await client.submit(REQUEST)
        await wait_final(client, source)
        extend_id = await client.extend(ExtendRequest(task_id=source, prompt="keep going"))
        return await wait_final(client, extend_id, model="veo-3-1-extend")

    assert run(with_client(sim, body)).state is ApixoState.SUCCESS
    extend_post = posts(sim)[-1]
    assert extend_post.path.endswith("/generateTask/veo-3-1-extend")


def test_extend_of_an_unknown_task_is_a_clear_error(sim: Any) -> None:
    async def body(client: ApixoClient) -> str:
        return await client.extend(ExtendRequest(task_id="task_nope", prompt="more"))

    with pytest.raises(ExtendSourceError) as caught:
        run(with_client(sim, body))
    assert "24 hours" in str(caught.value)


# -- errors that are not retried ----------------------------------------------------------


def test_invalid_request_is_never_sent(sim: Any) -> None:
    async def body(client: ApixoClient) -> str:
        return await client.submit(
            GenerationRequest(prompt="  ", mode="quality", generation_type="REFERENCE_2_VIDEO")
        )

    with pytest.raises(RequestInvalidError) as caught:
        run(with_client(sim, body))
    assert {p.field for p in caught.value.problems} == {"prompt", "image_urls", "mode"}
    assert sim.requests == []


def test_wrong_key_is_an_authentication_error_without_the_key(sim: Any) -> None:
    secret = "sk-live-DO-NOT-LEAK-0001"

    async def body(client: ApixoClient) -> str:
        return await client.submit(REQUEST)

    with pytest.raises(AuthenticationError) as caught:
        run(with_client(sim, body, api_key=secret))
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert "API key" in str(caught.value)
    assert len(posts(sim)) == 1
    assert not posts(sim)[0].key_ok


def test_insufficient_balance_is_not_retried(sim: Any) -> None:
    sim.balance = 1.0

    async def body(client: ApixoClient) -> str:
        return await client.submit(REQUEST.replace(mode="quality"))

    with pytest.raises(InsufficientBalanceError, match="Add balance"):
        run(with_client(sim, body))
    assert len(posts(sim)) == 1
    assert sim.tasks == {}


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (403, PermissionDeniedError)],
)
def test_client_errors_on_submit_are_final(sim: Any, status: int, error: type[Exception]) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=status, times=-1))

    async def body(client: ApixoClient) -> str:
        return await client.submit(REQUEST)

    with pytest.raises(error):
        run(with_client(sim, body))
    assert len(posts(sim)) == 1


def test_unknown_task_is_not_found(sim: Any) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        return await client.status("task_does_not_exist")

    with pytest.raises(NotFoundError):
        run(with_client(sim, body))
    assert len(gets(sim, "/statusTask/")) == 1


# -- reads retry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="balance", kind="http_error", status=500, times=2),
        Fault(endpoint="balance", kind="http_error", status=502, times=2),
        Fault(endpoint="balance", kind="http_error", status=503, times=2),
        Fault(endpoint="balance", kind="http_error", status=504, times=2),
        Fault(endpoint="balance", kind="html", status=502, times=2),
        Fault(endpoint="balance", kind="http_error", status=429, times=2),
        Fault(endpoint="balance", kind="reset", times=2),
        Fault(endpoint="balance", kind="delay", delay=1.0, times=2),
    ],
    ids=lambda f: f"{f.kind}-{f.status}",
)
def test_balance_retries_transient_faults_with_backoff(sim: Any, fault: Fault) -> None:
    sim.add_fault(fault)
    sleeps = Sleeps()
    timeout = httpx.Timeout(2.0, read=0.3)
    balance = run(with_client(sim, lambda c: c.balance(), sleeps=sleeps, timeout=timeout))
    assert balance == Decimal("100")
    assert len(gets(sim, "current-balance")) == 3
    assert sleeps.delays == [0.5, 1.0]


def test_retry_after_is_honoured(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="status", kind="http_error", status=429, retry_after="3"))
    sleeps = Sleeps()

    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        return await client.status(task_id)

    run(with_client(sim, body, sleeps=sleeps))
    assert sleeps.delays == [3.0]


def test_reads_give_up_after_the_bound(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="http_error", status=500, times=-1))
    sleeps = Sleeps()
    with pytest.raises(ServerError, match="try again"):
        run(
            with_client(
                sim, lambda c: c.balance(), sleeps=sleeps, read_retry=RetryPolicy(max_attempts=4)
            )
        )
    assert len(gets(sim, "current-balance")) == 4
    assert len(sleeps.delays) == 3


def test_rate_limit_that_never_ends_is_typed(sim: Any) -> None:
    sim.add_fault(
        Fault(endpoint="balance", kind="http_error", status=429, times=-1, retry_after="1")
    )
    with pytest.raises(RateLimitedError) as caught:
        run(with_client(sim, lambda c: c.balance(), read_retry=RetryPolicy(max_attempts=2)))
    assert caught.value.retry_after == 1.0


@pytest.mark.parametrize("kind", ["malformed_json", "bad_result_json", "no_result_urls"])
def test_broken_status_bodies_are_typed_and_not_hammered(sim: Any, kind: str) -> None:
    async def body(client: ApixoClient) -> TaskStatus:
        task_id = await client.submit(REQUEST)
        await wait_final(client, task_id)
        sim.add_fault(Fault(endpoint="status", kind=kind))
        return await client.status(task_id)

    with pytest.raises(ResponseFormatError):
        run(with_client(sim, body))


# -- submissions: retried only when provably not taken ----------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_submit_retries_when_apixo_did_not_take_it(sim: Any, status: int) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=status, times=2))
    sleeps = Sleeps()
    task_id = run(with_client(sim, lambda c: c.submit(REQUEST), sleeps=sleeps))
    assert len(posts(sim)) == 3
    assert list(sim.tasks) == [task_id]
    assert len(sleeps.delays) == 2


@pytest.mark.parametrize(
    "fault",
    [
        Fault(endpoint="submit", kind="http_error", status=500, accept_first=True),
        Fault(endpoint="submit", kind="http_error", status=502, accept_first=True),
        Fault(endpoint="submit", kind="http_error", status=504, accept_first=True),
        Fault(endpoint="submit", kind="html", status=502, accept_first=True),
        Fault(endpoint="submit", kind="reset", accept_first=True),
        Fault(endpoint="submit", kind="delay", delay=1.0, accept_first=True),
        Fault(endpoint="submit", kind="malformed_json", accept_first=True),
    ],
    ids=lambda f: f"{f.kind}-{f.status}",
)
def test_submit_with_a_lost_answer_is_uncertain_and_never_reposted(sim: Any, fault: Fault) -> None:
    sim.add_fault(fault)
    timeout = httpx.Timeout(2.0, read=0.3)
    with pytest.raises(SubmissionUncertainError) as caught:
        run(with_client(sim, lambda c: c.submit(REQUEST.replace(mode="quality")), timeout=timeout))
    assert len(posts(sim)) == 1
    assert len(sim.tasks) == 1  # APIXO did take it: exactly the case we must not repeat
    assert caught.value.price == Decimal("1.50")
    assert "not sent again" in str(caught.value)


def test_submit_to_a_closed_port_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(ApixoConnectionError) as caught:
        run(with_client_url(f"http://127.0.0.1:{port}/api/v1", sleeps))
    assert caught.value.sent is False
    assert len(sleeps.delays) == 3  # four attempts: nothing ever reached a server
    assert "Could not connect" in str(caught.value)


async def with_client_url(url: str, sleeps: Sleeps) -> str:
    async with make_client(url, sleeps) as client:
        return await client.submit(REQUEST)


def test_status_timeout_is_typed(sim: Any) -> None:
    sim.add_fault(Fault(endpoint="balance", kind="delay", delay=1.0, times=-1))
    with pytest.raises(ApixoTimeoutError, match="did not answer in time"):
        run(
            with_client(
                sim,
                lambda c: c.balance(),
                timeout=httpx.Timeout(2.0, read=0.2),
                read_retry=RetryPolicy(max_attempts=2),
            )
        )


# -- configuration and secrecy ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://api.apixo.ai/api/v1", "ftp://127.0.0.1/api", "api.apixo.ai"]
)
def test_non_https_base_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="https"):
        ApixoClient(KEY, base_url=url)


def test_loopback_http_base_url_is_allowed() -> None:
    client = ApixoClient(KEY, base_url="http://127.0.0.1:9/api/v1/")
    assert client.base_url == "http://127.0.0.1:9/api/v1"
    run(client.aclose())
    assert client.is_closed


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="API key"):
        ApixoClient("  ")


def test_the_key_never_reaches_logs_reprs_or_errors(
    sim: Any, caplog: pytest.LogCaptureFixture
) -> None:
    secret = KEY
    caplog.set_level(logging.DEBUG)
    sim.add_fault(Fault(endpoint="balance", kind="http_error", status=500))
    sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=True))
    errors: list[BaseException] = []

    async def body(client: ApixoClient) -> None:
        assert secret not in repr(client)
        assert secret not in repr(vars(client))
        await client.balance()
        for call in (client.submit(REQUEST), client.status("task_missing")):
            try:
                await call
            except Exception as error:
                errors.append(error)

    run(with_client(sim, body))
    assert len(errors) == 2
    for error in errors:
        chain: BaseException | None = error
        while chain is not None:
            assert secret not in str(chain)
            assert secret not in repr(chain)
            chain = chain.__cause__ or chain.__context__
    assert secret not in caplog.text
