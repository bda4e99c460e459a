"""The HTTP client is made with the first request, once, and closing never makes one.

A window opens its session (the APIXO client, the downloads, the URL checker) before it
lists its tasks; httpx and the client wait for the first request (:class:`SharedHttp`).
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import httpx
import pytest

from tests.fixtures.core import count_http_clients
from veo_desktop.api.client import ApixoClient, SharedHttp, Timeouts
from veo_desktop.api.errors import ApixoConnectionError

KEY = "test-key-123"
BASE = "https://api.apixo.ai/api/v1"


def balance_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"code": 200, "message": "success", "data": 2.5})


def test_the_api_client_makes_its_http_client_with_the_first_request_and_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = count_http_clients(monkeypatch)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return balance_answer(request)

    async def scenario() -> tuple[int, list[Decimal], bool]:
        client = ApixoClient(
            KEY,
            base_url=BASE,
            transport=httpx.MockTransport(answer),
            timeout=Timeouts(connect=1.0, read=2.0, write=3.0, pool=4.0),
        )
        before = len(made)
        balances = [await client.balance(), await client.balance()]
        await client.aclose()
        return before, balances, client.is_closed

    before, balances, closed = asyncio.run(scenario())
    assert before == 0
    assert balances == [Decimal("2.5"), Decimal("2.5")]
    assert len(made) == 1 and made[0].is_closed and closed
    # The tuple's timeouts reach httpx in its order: connect, read, write, pool.
    assert seen[0].extensions["timeout"] == {"connect": 1.0, "read": 2.0, "write": 3.0, "pool": 4.0}


def test_an_api_client_closed_before_any_request_made_no_client_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = count_http_clients(monkeypatch)

    async def scenario() -> bool:
        client = ApixoClient(KEY, base_url=BASE)
        await client.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await client.balance()
        return client.is_closed

    assert asyncio.run(scenario())
    assert made == []


def test_a_shared_holder_is_made_by_the_first_part_that_sends_and_left_open_by_the_api_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = count_http_clients(monkeypatch)
    shared = SharedHttp(lambda: httpx.AsyncClient(transport=httpx.MockTransport(balance_answer)))

    async def scenario() -> tuple[bool, Decimal, bool]:
        client = ApixoClient(KEY, base_url=BASE, http=shared)
        made_before = shared.made
        balance = await client.balance()
        await client.aclose()  # the holder's owner closes it, not the APIXO client
        open_after = not shared.is_closed and not shared.get().is_closed
        await shared.aclose()
        return made_before, balance, open_after

    made_before, balance, open_after = asyncio.run(scenario())
    assert not made_before and balance == Decimal("2.5") and open_after
    assert len(made) == 1 and made[0].is_closed and shared.is_closed


def test_a_holder_closed_before_it_made_a_client_refuses_to_make_one() -> None:
    calls: list[int] = []

    def make() -> httpx.AsyncClient:
        calls.append(1)
        return httpx.AsyncClient()

    shared = SharedHttp(make)
    asyncio.run(shared.aclose())
    assert shared.is_closed and not shared.made
    with pytest.raises(RuntimeError, match="closed"):
        shared.get()
    assert calls == []


def test_threads_asking_at_once_get_one_client() -> None:
    """The first asker makes the client under the lock; the others wait for it. If a second
    thread could enter ``make`` meanwhile, it would be seen doing so."""
    askers = 6
    start = threading.Barrier(askers)
    second_entered = threading.Event()
    entered: list[str] = []

    def make() -> httpx.AsyncClient:
        entered.append(threading.current_thread().name)
        if len(entered) > 1:
            second_entered.set()
        else:
            second_entered.wait(0.3)  # the others have all asked by then
        return httpx.AsyncClient()

    shared = SharedHttp(make)
    got: list[httpx.AsyncClient] = []

    def ask() -> None:
        start.wait()
        got.append(shared.get())

    threads = [threading.Thread(target=ask, name=f"asker-{n}") for n in range(askers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(entered) == 1
    assert len(got) == askers and all(client is got[0] for client in got)
    asyncio.run(shared.aclose())
    assert got[0].is_closed


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("HTTPS_PROXY", "htp://someone:hunter2@proxy.example:8080", "ValueError"),
        ("SSL_CERT_FILE", "/no/such/folder/certificates.pem", "No such file or directory"),
    ],
    ids=["proxy", "certificates"],
)
def test_a_client_that_cannot_be_made_is_a_connection_error_that_sent_nothing(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    """A proxy or certificate setting httpx cannot use fails each request as a connection
    error that sent nothing, saying what to check (the proxy's password not repeated), not
    as a raw ValueError or OSError out of the client."""
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("SSL_CERT_DIR", "")

    async def scenario() -> ApixoConnectionError:
        client = ApixoClient(KEY, base_url=BASE)
        try:
            with pytest.raises(ApixoConnectionError) as caught:
                await client.balance()
            return caught.value
        finally:
            await client.aclose()

    error = asyncio.run(scenario())
    assert error.sent is False and error.transient
    assert said in str(error) and "SSL_CERT_FILE" in str(error)
    assert "hunter2" not in str(error) and KEY not in str(error)


def test_a_refused_holder_makes_no_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """A runtime whose opening failed where no loop runs refuses its holder: nothing asks
    for a client that no one would close."""
    made = count_http_clients(monkeypatch)
    holder = SharedHttp(lambda: httpx.AsyncClient())
    assert holder.refuse() is None
    with pytest.raises(RuntimeError, match="closed"):
        holder.get()
    assert made == [] and holder.is_closed
