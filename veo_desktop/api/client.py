"""The async APIXO client: submit, extend, status and balance over one ``httpx.AsyncClient``.

Reads (status, balance) are retried on 429, 5xx, connection errors and timeouts with
exponential backoff and jitter. A submission creates a paid task and is *not idempotent*,
so it is retried only when APIXO provably did not take it (nothing reached the server, or
APIXO answered 429 or 503). When the answer to a submission is lost after the body was
sent, :class:`SubmissionUncertainError` is raised and nothing is sent again.

Every failure leaves :meth:`ApixoClient._send` as a typed :class:`ApixoError`: an answer
larger than :data:`~veo_desktop.api.responses.MAX_ANSWER_BYTES` is refused while it is read,
a read (status, balance) has a total deadline on top of httpx's per-chunk timeouts, and no
text APIXO sends back can carry the client's own key into an error or a log line.

httpx (with httpcore, h11 and anyio, ~40 ms to import) loads with the first request, not
with this module: the window lists its tasks before it asks APIXO anything. The HTTP client
itself is made then too (:class:`SharedHttp`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import Enum
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import quote

from veo_desktop import __version__
from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    RateLimitedError,
    RequestBuildError,
    ResponseFormatError,
    SubmissionUncertainError,
    error_for_status,
)
from veo_desktop.api.models import AnyRequest, ExtendRequest, GenerationRequest, Model
from veo_desktop.api.responses import (
    MAX_ANSWER_BYTES,
    TaskStatus,
    error_text,
    is_sane_task_id,
    load_json,
    parse_balance,
    parse_status,
    parse_submit,
    unusable_task_id,
)
from veo_desktop.api.retry import RetryPolicy, parse_retry_after
from veo_desktop.api.urls import DEFAULT_BASE_URL, normalize_base_url
from veo_desktop.logs import REDACTED
from veo_desktop.safe_text import safe

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

USER_AGENT = f"veo-desktop/{__version__}"


class Timeouts(NamedTuple):
    """httpx's four timeouts in seconds (None: no limit), as a plain value: httpx takes this
    tuple wherever it takes a timeout (its own order), and naming it does not load httpx."""

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None


#: ``pool`` is the wait for one of our own connections (nothing sent yet): a batch may queue
#: dozens of submissions behind :data:`MAX_CONNECTIONS`, so it is generous.
DEFAULT_TIMEOUT = Timeouts(connect=10.0, read=30.0, write=30.0, pool=120.0)
#: One host, so a few connections are plenty (browsers open six). httpcore checks every
#: pooled connection's socket on each request and each response (a system call apiece):
#: httpx's default pool (100, keeping 20 alive) cost a quarter of the event loop's time
#: with 500 tasks polled, and stalled it (tests/benchmarks/test_gui_runtime.py).
MAX_CONNECTIONS = 16
#: Idle connections kept open to APIXO (see :data:`MAX_CONNECTIONS`).
MAX_KEEPALIVE_CONNECTIONS = 8
#: The longest a status or balance request may take from start to the body's last byte.
#: httpx's read timeout bounds the wait for *each* chunk, so a body trickling one byte
#: every 2 s would never end without it; 45 s leaves room for the 30 s read timeout.
READ_DEADLINE = 45.0
#: The longest a submission's answer body may take once its headers have arrived. It
#: starts only then (a batch's submissions may wait long for a pooled connection, and an
#: answer cut before APIXO is known to have the request would not be uncertain); a body cut
#: by it makes the submission uncertain, never re-sent.
SUBMIT_DEADLINE = 45.0
#: Status codes after which APIXO provably did not take a submission.
_SUBMIT_NOT_TAKEN = frozenset({429, 503})

Sleep = Callable[[float], Awaitable[None]]


class SharedHttp:
    """One ``httpx.AsyncClient``, made (and httpx imported) when a part first asks for it.

    The runtime's parts (the APIXO client, downloads, URL checks, uploads, thumbnails) are
    built when a session opens, before the window lists its tasks; they ask for the client
    (:meth:`get`) only when they send a request. It is made once, under a lock (a part may
    ask from a worker thread). :meth:`aclose` closes it if it was made; asked for after
    that, it raises as a closed client's requests do.

    Args:
        make: builds the client; called at most once.
    """

    def __init__(self, make: Callable[[], httpx.AsyncClient]) -> None:
        self._make = make
        self._client: httpx.AsyncClient | None = None
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def of(cls, client: httpx.AsyncClient) -> SharedHttp:
        """A holder of a client made already (its owner closes it)."""
        shared = cls(lambda: client)
        shared._client = client
        return shared

    def __repr__(self) -> str:
        state = "closed" if self.is_closed else "made" if self.made else "not made yet"
        return f"SharedHttp({state})"

    @property
    def made(self) -> bool:
        """Whether the client exists (a request was sent, or it was asked for)."""
        return self._client is not None

    @property
    def is_closed(self) -> bool:
        client = self._client
        return self._closed or (client is not None and client.is_closed)

    def get(self) -> httpx.AsyncClient:
        """The client, made now if this is the first time.

        Raises:
            RuntimeError: closed before the client was ever made.
        """
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                if self._closed:
                    raise RuntimeError("Cannot send a request, as the client has been closed.")
                self._client = self._make()
            return self._client

    async def aclose(self) -> None:
        """Close the client if it was made; it is not made any more after this."""
        client = self.refuse()
        if client is not None:
            await client.aclose()

    def refuse(self) -> httpx.AsyncClient | None:
        """Make no client from now on (without a loop to close one: a runtime whose opening
        failed half-way); returns the one made already, which its caller closes."""
        with self._lock:
            self._closed = True
            return self._client


def shared_http(http: httpx.AsyncClient | SharedHttp) -> SharedHttp:
    """``http`` as a :class:`SharedHttp` (a client made already is wrapped, not copied)."""
    return http if isinstance(http, SharedHttp) else SharedHttp.of(http)


class _Verdict(Enum):
    RETRY = "retry"
    UNCERTAIN = "uncertain"
    RAISE = "raise"


class _Secret:
    """Holds the API key; its repr never shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with the secret replaced by the logs' redaction mark."""
        return text.replace(self._value, REDACTED) if self._value in text else text

    def scrub_bytes(self, body: bytes) -> bytes:
        """``body`` without the secret, as it is or as JSON escapes it (``"``, ``\\``, ``/``)."""
        escaped = jsonlib.dumps(self._value)[1:-1]
        for form in {self._value, escaped, escaped.replace("/", "\\/")}:
            raw = form.encode("utf-8", "replace")
            if raw in body:
                body = body.replace(raw, REDACTED.encode())
        return body

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


class ApixoClient:
    """Talks to APIXO's Veo 3.1 endpoints. Close it with :meth:`aclose` (or ``async with``).

    Args:
        api_key: the APIXO key. Kept private: never in a repr, log line or error.
        base_url: the API root; https only, except plain http on a loopback host.
        timeout: httpx timeouts for every request.
        read_retry: backoff for status and balance requests.
        submit_retry: backoff for submissions (only used when provably not taken).
        read_deadline: seconds a status or balance request may take in all (a timeout
            after it is retried like any read timeout).
        submit_deadline: seconds a submission's answer body may take after its headers
            (a cut answer makes the submission uncertain).
        transport: an httpx transport (tests); default is httpx's own. Not with ``http``.
        http: a shared client (the runtime's, also used for downloads and images), or its
            :class:`SharedHttp` holder (made with the first request); it is not closed by
            :meth:`aclose`. Its default headers must not carry secrets: the key, timeouts
            and headers go with each request, and at most :data:`MAX_CONNECTIONS` requests
            to APIXO run at once, as with a client of its own. Without it the client makes
            its own with its first request.
        sleep: awaited between attempts (tests pass a fake).
        rng: jitter source in [0, 1).
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | Timeouts | float = DEFAULT_TIMEOUT,
        read_retry: RetryPolicy | None = None,
        submit_retry: RetryPolicy | None = None,
        read_deadline: float = READ_DEADLINE,
        submit_deadline: float = SUBMIT_DEADLINE,
        transport: httpx.AsyncBaseTransport | None = None,
        http: httpx.AsyncClient | SharedHttp | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("An APIXO API key is needed (Settings > API key).")
        self.base_url = normalize_base_url(base_url)
        self._key = _Secret(api_key.strip())
        self._read_retry = read_retry or RetryPolicy()
        self._submit_retry = submit_retry or RetryPolicy(max_attempts=4)
        self._read_deadline = read_deadline
        self._submit_deadline = submit_deadline
        self._sleep = sleep
        self._rng = rng
        self._timeout_setting = timeout
        self._closed = False
        #: Bounds the requests in flight on a shared client, as MAX_CONNECTIONS bounds an
        #: own one.
        self._gate: asyncio.Semaphore | None = None
        self._owns_http = http is None
        if http is None:
            self._http = SharedHttp(partial(self._own_http, transport))
        else:
            if transport is not None:
                raise ValueError("pass either a transport or a shared http client, not both")
            self._http = shared_http(http)
            self._gate = asyncio.Semaphore(MAX_CONNECTIONS)

    def _own_http(self, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(
            timeout=self._timeout,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
            ),
            transport=transport,
            follow_redirects=False,
        )

    @cached_property
    def _timeout(self) -> httpx.Timeout:
        """The timeouts as httpx takes them, built with the first request."""
        import httpx

        return httpx.Timeout(self._timeout_setting)

    def __repr__(self) -> str:
        return f"ApixoClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> ApixoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client; a shared http client stays open (its owner closes it)."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._closed or self._http.is_closed

    @property
    def shares_http(self) -> bool:
        """Whether requests go through a client someone else owns (and closes)."""
        return not self._owns_http

    # -- the API ---------------------------------------------------------------------

    async def submit(self, request: GenerationRequest) -> str:
        """Submit a ``veo-3-1`` task; return APIXO's task id.

        Raises:
            RequestInvalidError: the request breaks a documented rule; nothing was sent.
            SubmissionUncertainError: the request may have created a task; not re-sent.
            ApixoError: any other typed failure; APIXO did not take the task.
        """
        return await self._submit(request.validated())

    async def extend(self, request: ExtendRequest) -> str:
        """Submit a ``veo-3-1-extend`` task; return APIXO's task id (same errors as submit)."""
        return await self._submit(request.validated())

    async def status(self, task_id: str, *, model: str = Model.VEO) -> TaskStatus:
        """Fetch one task's status (``model`` is ``veo-3-1`` or ``veo-3-1-extend``).

        Raises:
            UnusableTaskIdError: ``task_id`` is not a sane id; nothing was sent.
            ApixoError: any other typed failure (see :func:`parse_status`).
        """
        if not task_id:
            raise ValueError("a task id is needed")
        if not is_sane_task_id(task_id):
            raise unusable_task_id(task_id, context="Not sent to APIXO:")
        # The query is encoded here, as httpx would encode ``params`` (a sane id is letters,
        # digits and ``_.:-``): one URL parse per poll instead of three.
        query = f"?taskId={quote(task_id, safe='')}"
        body = await self._read(f"/statusTask/{Model(model).value}", query)
        return self._parsed(partial(parse_status, expected_task_id=task_id), body)

    async def balance(self) -> Decimal:
        """The key's remaining balance in USD."""
        body = await self._read("/apikeys/current-balance")
        return self._parsed(parse_balance, body)

    # -- plumbing --------------------------------------------------------------------

    async def _read(self, path: str, query: str = "") -> bytes:
        policy = self._read_retry
        attempt = 1
        while True:
            try:
                return await self._send("GET", path, query=query)
            except ApixoError as error:
                if not error.transient or attempt >= policy.max_attempts:
                    raise
                if isinstance(error, ResponseFormatError):
                    raise
                await self._wait(policy, attempt, error, f"GET {path}")
                attempt += 1

    async def _submit(self, request: AnyRequest) -> str:
        path = f"/generateTask/{request.model.value}"
        payload = request.to_payload()
        policy = self._submit_retry
        attempt = 1
        while True:
            try:
                body = await self._send("POST", path, json=payload)
                try:
                    return self._parsed(parse_submit, body)
                except ResponseFormatError as error:
                    log.warning("submission to %s uncertain: %s", path, type(error).__name__)
                    raise SubmissionUncertainError(error, price=request.price) from error
                except ApiStatusError as error:  # an error code inside a 200 envelope
                    verdict = _submit_verdict(error)
                    if verdict is _Verdict.UNCERTAIN:
                        raise SubmissionUncertainError(error, price=request.price) from error
                    raise
            except SubmissionUncertainError:
                raise
            except ApixoError as error:
                verdict = _submit_verdict(error)
                if verdict is _Verdict.UNCERTAIN:
                    log.warning("submission to %s uncertain: %s", path, type(error).__name__)
                    raise SubmissionUncertainError(error, price=request.price) from error
                if verdict is _Verdict.RAISE or attempt >= policy.max_attempts:
                    raise
                await self._wait(policy, attempt, error, f"POST {path}")
                attempt += 1

    def _parsed(self, parse: Callable[[bytes], T], body: bytes) -> T:
        """Parse ``body``; a failure that is not typed (a bug) becomes a format error.

        An error code inside a 200 envelope quotes APIXO's message decoded from JSON, where
        escapes (``\\u0061``) may have hidden the key from the scrub of the raw body: its
        message is scrubbed again here.
        """
        try:
            return parse(body)
        except ApiStatusError as error:
            message, detail = self._key.scrub(error.api_message), self._key.scrub(error.detail)
            if (message, detail) == (error.api_message, error.detail):
                raise
            retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
            raise error_for_status(
                error.status_code, message, detail, retry_after=retry_after
            ) from None
        except ApixoError:
            raise
        except Exception as exc:  # noqa: BLE001 - an answer must never raise an untyped error
            log.warning("parsing APIXO's answer failed: %s", type(exc).__name__)
            raise ResponseFormatError(
                f"APIXO's answer could not be read ({type(exc).__name__})."
            ) from None

    async def _wait(self, policy: RetryPolicy, attempt: int, error: ApixoError, what: str) -> None:
        retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
        delay = policy.delay(attempt, retry_after, self._rng)
        log.info(
            "%s failed (%s); retry %d/%d in %.2f s",
            what,
            type(error).__name__,
            attempt,
            policy.max_attempts - 1,
            delay,
        )
        await self._sleep(delay)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        json: dict[str, Any] | None = None,
    ) -> bytes:
        """One request; its body (at most :data:`MAX_ANSWER_BYTES`) or a typed error.

        A GET has :attr:`_read_deadline` in all; a POST's body has :attr:`_submit_deadline`
        from the moment its headers arrive. Nothing but an :class:`ApixoError` leaves.
        """
        import httpx

        try:
            http = self._http.get()
        except (ValueError, OSError, ImportError) as exc:
            raise _setup_error(exc) from None
        try:
            request = http.build_request(
                method,
                self.base_url + path + query,
                json=json,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                    "Authorization": f"Bearer {self._key.reveal()}",
                },
                timeout=self._timeout,
            )
        except (httpx.InvalidURL, httpx.HTTPError, ValueError, TypeError) as exc:
            raise RequestBuildError(
                f"The request to APIXO could not be built ({type(exc).__name__}); nothing "
                "was sent. Check the API key and the API address in Settings."
            ) from None
        posting = method == "POST"
        deadline = self._submit_deadline if posting else self._read_deadline
        started = time.monotonic()
        gate = self._gate
        try:
            async with asyncio.timeout(None if posting else deadline) as scope:
                if gate is not None:
                    await self._enter(gate, request)
                try:
                    response = await http.send(request, stream=True, follow_redirects=False)
                    try:
                        if posting:
                            scope.reschedule(asyncio.get_running_loop().time() + deadline)
                        body, complete = await _read_body(response)
                    finally:
                        await response.aclose()
                finally:
                    if gate is not None:
                        gate.release()
        except TimeoutError:
            if not scope.expired():
                raise ApixoConnectionError(
                    f"The connection to {request.url.host} timed out. Check your internet "
                    "connection.",
                    sent=True,
                ) from None
            raise ApixoTimeoutError(
                f"{request.url.host} did not finish answering within {deadline:g} s. Check "
                "the connection; the app tries again.",
                sent=True,
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _transport_error(exc, sent=False) from None
        except httpx.TransportError as exc:
            raise _transport_error(exc, sent=True) from None
        except httpx.DecodingError as exc:
            raise ResponseFormatError(
                f"APIXO's answer could not be decoded ({type(exc).__name__}: "
                f"{safe(self._key.scrub(str(exc)), 120)})."
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as exc:
            raise ApixoConnectionError(
                f"The exchange with {request.url.host} failed ({type(exc).__name__}). Check "
                "your internet connection.",
                sent=True,
            ) from None
        body = self._key.scrub_bytes(body)
        elapsed = time.monotonic() - started
        log.debug("%s %s -> %d in %.3f s", method, path, response.status_code, elapsed)
        if response.is_success:
            if not complete:
                raise ResponseFormatError(
                    "APIXO's answer is larger than 1 MiB; APIXO's answers are a few hundred "
                    "bytes, so it was not read to the end."
                )
            return body
        raise self._status_error(response, body if complete else b"")

    async def _enter(self, gate: asyncio.Semaphore, request: httpx.Request) -> None:
        """Wait for a turn on a shared client as long as the pool timeout would wait for one of
        our own connections; nothing is sent before (a timeout here is provably not taken)."""
        if not gate.locked():
            await gate.acquire()
            return
        try:
            async with asyncio.timeout(self._timeout.pool):
                await gate.acquire()
        except TimeoutError:
            raise ApixoTimeoutError(
                f"Could not reach {request.url.host} in time. Check your internet connection.",
                sent=False,
            ) from None

    def _status_error(self, response: httpx.Response, body: bytes) -> ApiStatusError:
        message, detail = "", ""
        content_type = response.headers.get("content-type", "")
        if "json" in content_type or body[:1] in (b"{", b"["):
            with contextlib.suppress(ResponseFormatError):
                message, detail = error_text(load_json(body, what="an error"))
        elif "html" in content_type:
            detail = "(an HTML error page)"
        retry_after = parse_retry_after(response.headers)
        return error_for_status(
            response.status_code,
            self._key.scrub(message),
            self._key.scrub(detail),
            retry_after=retry_after,
        )


T = TypeVar("T")


async def _read_body(response: httpx.Response) -> tuple[bytes, bool]:
    """The body, and whether it was read whole within :data:`MAX_ANSWER_BYTES`."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            return b"", False
        chunks.append(chunk)
    return b"".join(chunks), True


def _submit_verdict(error: ApixoError) -> _Verdict:
    """Decide whether a failed submission may be retried, is uncertain, or is final."""
    if isinstance(error, ApixoConnectionError | ApixoTimeoutError):
        return _Verdict.UNCERTAIN if error.sent else _Verdict.RETRY
    if isinstance(error, ResponseFormatError):  # an answer arrived, but broken
        return _Verdict.UNCERTAIN
    if isinstance(error, ApiStatusError):
        if error.status_code in _SUBMIT_NOT_TAKEN:
            return _Verdict.RETRY
        if not 400 <= error.status_code <= 499:
            # 5xx, and any status outside the contract's errors (a 3xx the client does not
            # follow, a 1xx): the request was read and may have created the task.
            return _Verdict.UNCERTAIN
    return _Verdict.RAISE


def _setup_error(exc: Exception) -> ApixoConnectionError:
    """httpx could not make its client: a proxy or certificate setting of this computer it
    cannot use (``HTTPS_PROXY``, ``SSL_CERT_FILE``). Nothing was sent. A file's error names
    the file; any other says only its kind (a proxy URL may hold a password)."""
    why = type(exc).__name__
    if isinstance(exc, OSError):
        why = exc.strerror or str(exc).strip() or why
        why += f": {exc.filename}" if exc.filename else ""
    return ApixoConnectionError(
        f"Could not set up the connection to APIXO ({safe(why, 200)}). Check this "
        "computer's proxy and certificate settings (HTTPS_PROXY, HTTP_PROXY, SSL_CERT_FILE).",
        sent=False,
    )


def _transport_error(exc: httpx.TransportError, *, sent: bool) -> ApixoError:
    """Map an httpx failure to our errors; the message names the cause, never headers."""
    import httpx

    host = exc.request.url.host if _has_request(exc) else "APIXO"
    if isinstance(exc, httpx.TimeoutException):
        if sent:
            return ApixoTimeoutError(
                f"{host} did not answer in time. Check the connection; the app tries again.",
                sent=True,
            )
        return ApixoTimeoutError(
            f"Could not reach {host} in time. Check your internet connection.", sent=False
        )
    if sent:
        return ApixoConnectionError(
            f"The connection to {host} broke before an answer arrived "
            f"({type(exc).__name__}). Check your internet connection.",
            sent=True,
        )
    return ApixoConnectionError(
        f"Could not connect to {host} ({_short(exc)}). Check your internet connection "
        "and the API address in Settings.",
        sent=False,
    )


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when unset
    except RuntimeError:
        return False
    return True


def _short(exc: Exception) -> str:
    return safe(str(exc).strip(), 120) or type(exc).__name__
