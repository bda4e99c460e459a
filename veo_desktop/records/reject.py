"""Why APIXO refused a submission, as a stored value (the ``reject_reason`` column).

A ``rejected`` row keeps APIXO's words in ``fail_code`` and ``fail_message`` for people to
read; what the app decides from (may a batch send the item again?) is this enum, set by
the engine where it rejects and never parsed back out of text. Renaming an error class or
rewording a message therefore cannot change how a stored batch resumes.
"""

from __future__ import annotations

from enum import StrEnum

from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    ExtendSourceError,
)

__all__ = ["RejectReason", "reject_reason"]


class RejectReason(StrEnum):
    """Why a submission ended ``rejected`` (nothing was charged in every case).

    The first seven are *not taken*: APIXO provably did not take the task, and sending the
    same request again (later, or once the person fixed their account) can make it. The
    others are refusals of the request itself: sent unchanged it is refused again.
    """

    RATE_LIMITED = "rate_limited"  # HTTP 429
    UNAVAILABLE = "unavailable"  # HTTP 503
    NO_BALANCE = "no_balance"  # HTTP 402
    UNAUTHORIZED = "unauthorized"  # HTTP 401: the key
    FORBIDDEN = "forbidden"  # HTTP 403: the account
    UNREACHABLE = "unreachable"  # the connection failed before the request left
    TIMED_OUT = "timed_out"  # a timeout before the request left
    EXTEND_SOURCE = "extend_source"  # HTTP 400 TASKID_ERROR: APIXO cannot extend that task
    REFUSED = "refused"  # any other error status (400, 404, 422, ...)
    NOT_SENT = "not_sent"  # the request could not be built or sent as it is

    @property
    def not_taken(self) -> bool:
        """Whether sending the same request again can turn it into a task."""
        return self in _NOT_TAKEN


_NOT_TAKEN = frozenset(
    {
        RejectReason.RATE_LIMITED,
        RejectReason.UNAVAILABLE,
        RejectReason.NO_BALANCE,
        RejectReason.UNAUTHORIZED,
        RejectReason.FORBIDDEN,
        RejectReason.UNREACHABLE,
        RejectReason.TIMED_OUT,
    }
)

_BY_STATUS = {
    429: RejectReason.RATE_LIMITED,
    503: RejectReason.UNAVAILABLE,
    402: RejectReason.NO_BALANCE,
    401: RejectReason.UNAUTHORIZED,
    403: RejectReason.FORBIDDEN,
}


def reject_reason(error: ApixoError) -> RejectReason:
    """The reason to store for a submission that failed with ``error`` and was rejected
    (the engine rejects on every :class:`ApixoError` but a ``SubmissionUncertainError``)."""
    if isinstance(error, ExtendSourceError):
        return RejectReason.EXTEND_SOURCE
    if isinstance(error, ApiStatusError):
        return _BY_STATUS.get(error.status_code, RejectReason.REFUSED)
    if isinstance(error, ApixoConnectionError):
        return RejectReason.UNREACHABLE
    if isinstance(error, ApixoTimeoutError):
        return RejectReason.TIMED_OUT
    return RejectReason.NOT_SENT
