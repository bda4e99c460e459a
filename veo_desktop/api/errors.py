"""Typed APIXO errors, by meaning, each with a message that says what to do next.

``str(error)`` is written for the person using the app. None of them ever holds the API
key or a control character: messages are built from status codes, our text, and APIXO's
own words passed through :func:`veo_desktop.safe_text.safe` (redacted, escaped, clipped).
"""

from __future__ import annotations

from decimal import Decimal

from veo_desktop.safe_text import safe_line

#: How much of APIXO's own message an error quotes.
QUOTE_LIMIT = 300


class ApixoError(Exception):
    """Base of every error the APIXO client raises."""

    #: Whether doing the same thing again later can work without a change by the person.
    transient: bool = False


class ApiStatusError(ApixoError):
    """APIXO answered with an error status (HTTP or the envelope's ``code``)."""

    status_code: int = 0
    #: What happened and what to do next, in the person's words (each subclass has its own).
    summary = "APIXO returned an error"
    advice = "Try again later."

    def __init__(self, status_code: int, api_message: str = "", detail: str = "") -> None:
        self.status_code = status_code
        #: APIXO's ``message`` and ``data.error``, redacted, escaped and clipped.
        self.api_message = _quote(api_message)
        self.detail = _quote(detail)
        super().__init__(self._compose())

    def _compose(self) -> str:
        said = self.detail or self.api_message
        said = f" APIXO says: {said}." if said else ""
        return f"{self.summary} (HTTP {self.status_code}).{said} {self.advice}".strip()


class BadRequestError(ApiStatusError):
    """400: APIXO rejected the request; sending it unchanged will fail again."""

    advice = "Fix the request before trying again; nothing was charged."
    summary = "APIXO rejected the request"


class ExtendSourceError(BadRequestError):
    """400 with ``TASKID_ERROR``: the task to extend is unknown, expired or not veo-3-1."""

    advice = (
        "Only a finished veo-3-1 task APIXO still holds (about 24 hours after it "
        "completed) can be extended. Nothing was charged."
    )
    summary = "APIXO cannot extend that task"


class AuthenticationError(ApiStatusError):
    """401: the key is missing or invalid."""

    advice = "Check the API key in Settings (APIXO dashboard > API keys)."
    summary = "APIXO did not accept the API key"


class InsufficientBalanceError(ApiStatusError):
    """402: not enough balance or quota; never retried automatically."""

    advice = "Add balance in the APIXO dashboard, or switch to another key. Nothing was charged."
    summary = "The APIXO balance is too low for this video"


class PermissionDeniedError(ApiStatusError):
    """403: the key or route cannot use this model."""

    advice = "Check the key's permissions and route settings in the APIXO dashboard."
    summary = "This API key cannot use Veo 3.1"


class NotFoundError(ApiStatusError):
    """404: APIXO does not know this task (or model)."""

    advice = "APIXO no longer holds this task; it cannot be checked any more."
    summary = "APIXO does not know this task"


class RateLimitedError(ApiStatusError):
    """429: rate or concurrency limit."""

    transient = True
    advice = "Too many requests at once; the app slows down and tries again."

    def __init__(
        self,
        status_code: int = 429,
        api_message: str = "",
        detail: str = "",
        *,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status_code, api_message, detail)

    summary = "APIXO is rate limiting this key"


class ServerError(ApiStatusError):
    """5xx: APIXO or its upstream failed."""

    transient = True
    advice = "This is on APIXO's side; try again in a moment."
    summary = "APIXO had a server error"


class ApixoConnectionError(ApixoError):
    """No connection to APIXO (refused, DNS, TLS, reset)."""

    transient = True

    def __init__(self, message: str, *, sent: bool) -> None:
        #: Whether the request may have reached APIXO before the connection failed.
        self.sent = sent
        super().__init__(message)


class ApixoTimeoutError(ApixoError):
    """APIXO did not answer in time."""

    transient = True

    def __init__(self, message: str, *, sent: bool) -> None:
        self.sent = sent
        super().__init__(message)


class ResponseFormatError(ApixoError):
    """APIXO's answer is not what the documented contract says (HTML, bad JSON, fields)."""

    transient = True


class UnusableResultError(ResponseFormatError):
    """APIXO reported ``success`` but its ``resultJson`` holds no usable video URL."""


class TooManyResultsError(UnusableResultError):
    """APIXO reported ``success`` with more result URLs than a Veo task can make.

    Attributes:
        count: how many URLs the answer listed.
    """

    def __init__(self, message: str, *, count: int) -> None:
        self.count = count
        super().__init__(message)


class UnusableTaskIdError(ResponseFormatError):
    """A task id that is not a sane token (too long, or characters an id never holds).

    Raised when such an id arrives from APIXO (a submission is then uncertain) and before
    a status request would put one in a URL. The same id fails the same way every time.

    Attributes:
        task_id: the id, made printable and clipped (never raw).
    """

    transient = False

    def __init__(self, message: str, *, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(message)


class RequestBuildError(ApixoError):
    """The request could not be built (an unusable URL or header); nothing was sent."""


class UnknownStateError(ResponseFormatError):
    """APIXO answered a task state it does not document (``queued``, ``SUCCEEDED``...).

    Attributes:
        state: the state as APIXO sent it, made printable and clipped (never raw).
    """

    def __init__(self, message: str, *, state: str) -> None:
        self.state = state
        super().__init__(message)


class ForeignTaskError(ResponseFormatError):
    """APIXO answered a status request with the status of another task.

    Attributes:
        answered_id: the task id APIXO answered about, made printable and clipped.
    """

    def __init__(self, message: str, *, answered_id: str) -> None:
        self.answered_id = answered_id
        super().__init__(message)


class SubmissionUncertainError(ApixoError):
    """A submission may or may not have created a (paid) task: the answer was lost.

    The client never re-sends such a request: a second POST could cost twice. The person
    decides, with the price in front of them.
    """

    def __init__(self, cause: ApixoError, *, price: Decimal | None = None) -> None:
        self.cause = cause
        self.price = price
        cost = f" (${price:.2f})" if price is not None else ""
        super().__init__(
            "The submission may or may not have reached APIXO"
            f"{cost}: {cause} It was not sent again, so you are not charged twice. "
            "Check your APIXO dashboard before submitting it again."
        )


def _quote(text: str) -> str:
    """APIXO's words as an error may quote them: one line, no secret, clipped."""
    return safe_line(text, QUOTE_LIMIT)


STATUS_ERRORS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientBalanceError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitedError,
}


def error_for_status(
    status_code: int, api_message: str = "", detail: str = "", *, retry_after: float | None = None
) -> ApiStatusError:
    """Build the typed error for an HTTP (or envelope) status code."""
    if status_code == 429:
        return RateLimitedError(status_code, api_message, detail, retry_after=retry_after)
    if status_code == 400 and "TASKID_ERROR" in f"{api_message} {detail}":
        return ExtendSourceError(status_code, api_message, detail)
    if status_code >= 500:
        return ServerError(status_code, api_message, detail)
    cls = STATUS_ERRORS.get(status_code, ApiStatusError)
    return cls(status_code, api_message, detail)
