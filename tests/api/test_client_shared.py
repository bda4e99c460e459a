"""ApixoClient over a shared ``httpx.AsyncClient`` (the runtime's): the key goes with each
request, closing the APIXO client leaves the shared one open, and APIXO still sees at most
``MAX_CONNECTIONS`` requests at once."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from veo_desktop.api import (
    ApixoClient,
    ApixoTimeoutError,
    AuthenticationError,
    GenerationRequest,
    RetryPolicy,
)
from veo_desktop.api.client import MAX_CONNECTIONS, USER_AGENT
from veo_desktop.sim import SimulatorThread

KEY = "test-key-123"
BASE = "https://api.apixo.ai/api/v1"
STATUS_BODY = {
    "code": 200,
    "msg": "success",
    "data": {"taskId": "t1", "state": "processing", "createTime": 1767965610929},
}


def test_a_shared_client_carries_the_key_with_each_request_and_stays_open(
    sim: SimulatorThread,
) -> None:
    async def scenario() -> tuple[Decimal, bool, bool, int]:
        async with httpx.AsyncClient() as http:
            client = ApixoClient(KEY, base_url=sim.base_url, http=http)
            balance = await client.balance()
            task_id = await client.submit(GenerationRequest(prompt="shared"))
            await client.status(task_id)
            await client.aclose()
            # The shared client still works for its owner (and never learned the key).
            answer = await http.get(f"{sim.base_url}/apikeys/current-balance")
            return balance, client.is_closed, http.is_closed, answer.status_code

    balance, apixo_closed, http_closed, anonymous = asyncio.run(scenario())

    assert balance > 0
    assert apixo_closed
    assert not http_closed
    assert anonymous == 401  # no key in the shared client's defaults
    assert [r.endpoint for r in sim.requests][:3] == ["balance", "submit", "status"]


def test_each_request_brings_its_headers_timeout_and_no_redirects() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "https://elsewhere.example/x"})

    timeout = httpx.Timeout(connect=1.0, read=2.0, write=3.0, pool=4.0)

    async def scenario() -> Exception:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(answer), follow_redirects=True
        ) as http:
            client = ApixoClient(
                KEY,
                base_url=BASE,
                http=http,
                timeout=timeout,
                read_retry=RetryPolicy(max_attempts=1),
            )
            with pytest.raises(Exception) as caught:
                await client.balance()
            return caught.value

    error = asyncio.run(scenario())

    assert len(seen) == 1, "a redirect is never followed, even on a client that would"
    request = seen[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["accept"] == "application/json"
    assert request.extensions["timeout"] == timeout.as_dict()
    assert KEY not in str(error)


def test_an_answer_quoting_the_key_is_scrubbed_on_a_shared_client() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {"code": 401, "msg": f"key {KEY} is not valid"}
        return httpx.Response(401, json=body)

    async def scenario() -> AuthenticationError:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = ApixoClient(KEY, base_url=BASE, http=http)
            with pytest.raises(AuthenticationError) as caught:
                await client.balance()
            return caught.value

    error = asyncio.run(scenario())
    assert KEY not in str(error) and KEY not in repr(vars(error))


def test_a_transport_and_a_shared_client_together_are_refused() -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient() as http:
            with pytest.raises(ValueError, match="not both"):
                ApixoClient(
                    KEY,
                    base_url=BASE,
                    http=http,
                    transport=httpx.MockTransport(lambda r: httpx.Response(200)),
                )

    asyncio.run(scenario())


class HeldAnswers:
    """A transport whose answers wait for ``release``; counts requests in flight."""

    def __init__(self, full_at: int) -> None:
        self.release = asyncio.Event()
        self.full = asyncio.Event()
        self._full_at = full_at
        self.in_flight = 0
        self.most = 0
        self.methods: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.method)
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self._full_at:
            self.full.set()
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return httpx.Response(200, content=json.dumps(STATUS_BODY).encode())


def test_a_shared_client_still_sends_at_most_the_apixo_limit_at_once() -> None:
    limit = MAX_CONNECTIONS
    assert limit is not None

    async def scenario() -> HeldAnswers:
        held = HeldAnswers(full_at=limit)
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(transport=httpx.MockTransport(held), limits=limits) as http:
            client = ApixoClient(KEY, base_url=BASE, http=http)
            polls = [asyncio.ensure_future(client.status("t1")) for _ in range(limit + 9)]
            await held.full.wait()
            for _ in range(50):  # let every other poll run up to where it waits
                await asyncio.sleep(0)
            in_flight = held.in_flight
            held.release.set()
            statuses = await asyncio.gather(*polls)
            assert in_flight == limit
            assert all(s.task_id == "t1" for s in statuses)
        return held

    held = asyncio.run(scenario())
    assert held.most == limit
    assert len(held.methods) == limit + 9


def test_a_submission_that_never_gets_a_turn_is_not_sent_and_not_uncertain() -> None:
    limit = MAX_CONNECTIONS
    assert limit is not None

    async def scenario() -> tuple[BaseException, list[str]]:
        held = HeldAnswers(full_at=limit)
        async with httpx.AsyncClient(transport=httpx.MockTransport(held)) as http:
            client = ApixoClient(
                KEY,
                base_url=BASE,
                http=http,
                timeout=httpx.Timeout(10.0, pool=0.1),
                submit_retry=RetryPolicy(max_attempts=1),
            )
            polls = [asyncio.ensure_future(client.status("t1")) for _ in range(limit)]
            await held.full.wait()
            with pytest.raises(ApixoTimeoutError) as caught:
                await client.submit(GenerationRequest(prompt="waits"))
            held.release.set()
            await asyncio.gather(*polls)
        return caught.value, held.methods

    error, methods = asyncio.run(scenario())
    assert isinstance(error, ApixoTimeoutError) and not error.sent
    assert "POST" not in methods


def test_the_api_client_needs_no_loop_to_be_built_on_a_shared_client() -> None:
    http = httpx.AsyncClient()
    client: Any = ApixoClient(KEY, base_url=BASE, http=http)
    assert client.shares_http
    assert "Authorization" not in http.headers
