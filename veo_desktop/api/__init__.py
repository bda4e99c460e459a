"""The APIXO client layer (no Qt): request models, validation, the async client, errors.

Every name loads on first use: importing one submodule (say ``veo_desktop.api.urls``, which
the settings need before the window's first paint) does not pull in the others, nor httpx.
"""

from typing import TYPE_CHECKING

from veo_desktop.lazy import lazy_exports

if TYPE_CHECKING:
    from veo_desktop.api.client import ApixoClient
    from veo_desktop.api.errors import (
        ApiStatusError,
        ApixoConnectionError,
        ApixoError,
        ApixoTimeoutError,
        AuthenticationError,
        BadRequestError,
        ExtendSourceError,
        ForeignTaskError,
        InsufficientBalanceError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitedError,
        RequestBuildError,
        ResponseFormatError,
        ServerError,
        SubmissionUncertainError,
        TooManyResultsError,
        UnknownStateError,
        UnusableResultError,
        UnusableTaskIdError,
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

_HOMES = {
    "ApixoClient": "client",
    **dict.fromkeys(
        (
            "ApiStatusError",
            "ApixoConnectionError",
            "ApixoError",
            "ApixoTimeoutError",
            "AuthenticationError",
            "BadRequestError",
            "ExtendSourceError",
            "InsufficientBalanceError",
            "NotFoundError",
            "PermissionDeniedError",
            "RateLimitedError",
            "ResponseFormatError",
            "ServerError",
            "SubmissionUncertainError",
            "UnusableResultError",
            "ForeignTaskError",
            "RequestBuildError",
            "TooManyResultsError",
            "UnknownStateError",
            "UnusableTaskIdError",
        ),
        "errors",
    ),
    **dict.fromkeys(
        (
            "PRICES",
            "AspectRatio",
            "ExtendRequest",
            "GenerationRequest",
            "GenerationType",
            "Mode",
            "Model",
            "Problem",
            "RequestInvalidError",
            "price_of",
        ),
        "models",
    ),
    "ApixoState": "responses",
    "TaskStatus": "responses",
    "RetryPolicy": "retry",
}


if not TYPE_CHECKING:  # (mypy reads the imports above: a name not there is an error)
    __getattr__ = lazy_exports(
        __name__, {name: f"{__name__}.{home}" for name, home in _HOMES.items()}
    )


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
    "ForeignTaskError",
    "GenerationRequest",
    "GenerationType",
    "InsufficientBalanceError",
    "Mode",
    "Model",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "RateLimitedError",
    "RequestBuildError",
    "RequestInvalidError",
    "ResponseFormatError",
    "RetryPolicy",
    "ServerError",
    "SubmissionUncertainError",
    "TaskStatus",
    "TooManyResultsError",
    "UnknownStateError",
    "UnusableResultError",
    "UnusableTaskIdError",
    "price_of",
]
