"""The APIXO client layer (no Qt): request models, validation, the async client, errors.

``ApixoClient`` is imported lazily: it pulls in httpx, which the window does not need
before its first paint.
"""

from typing import TYPE_CHECKING, Any

from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoConnectionError,
    ApixoError,
    ApixoTimeoutError,
    AuthenticationError,
    BadRequestError,
    ExtendSourceError,
    InsufficientBalanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    SubmissionUncertainError,
    UnusableResultError,
)
from veo_desktop.api.models import (
    PRICES,
    AspectRatio,
    ExtendRequest,
    GenerationRequest,
    GenerationType,
    Mode,
    Model,
    Problem,
    RequestInvalidError,
    price_of,
)
from veo_desktop.api.responses import ApixoState, TaskStatus
from veo_desktop.api.retry import RetryPolicy

if TYPE_CHECKING:
    from veo_desktop.api.client import ApixoClient


def __getattr__(name: str) -> Any:
    if name == "ApixoClient":
        from veo_desktop.api.client import ApixoClient

        return ApixoClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PRICES",
    "ApiStatusError",
    "ApixoClient",
    "ApixoConnectionError",
    "ApixoError",
    "ApixoState",
    "ApixoTimeoutError",
    "AspectRatio",
    "AuthenticationError",
    "BadRequestError",
    "ExtendRequest",
    "ExtendSourceError",
    "GenerationRequest",
    "GenerationType",
    "InsufficientBalanceError",
    "Mode",
    "Model",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "RateLimitedError",
    "RequestInvalidError",
    "ResponseFormatError",
    "RetryPolicy",
    "ServerError",
    "SubmissionUncertainError",
    "TaskStatus",
    "UnusableResultError",
    "price_of",
]
