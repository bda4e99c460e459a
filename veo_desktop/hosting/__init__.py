"""Image hosting: local images become public URLs APIXO can fetch, and URLs are checked.

No Qt here (the command line and the engine use it too). Public API::

    from veo_desktop.hosting import (
        PreparedImage, HostedImage, UrlCheck, HostingProvider,     # the shared types
        HostingError, HostingNotConfiguredError, UploadCancelledError, ImageError,
        UrlChecker,                                                 # URL checks
        S3Provider, DemoProvider, UrlOnlyProvider, HostingUnavailable,  # providers
        HostingConfig, ProviderKind, S3Secrets,                     # configuration
        create_provider, provider_for_cli,
        HostedImageCache, ImageHost,                                # upload once
        resolve_image_inputs, check_before_submit, ImageUrlProblem, # request inputs
    )
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veo_desktop.lazy import lazy_exports

if TYPE_CHECKING:
    from veo_desktop.hosting.cache import HostedImageCache, ImageHost
    from veo_desktop.hosting.checker import UrlChecker
    from veo_desktop.hosting.config import (
        ConfigProblem,
        HostingConfig,
        ProviderKind,
        S3Secrets,
        secret_from_env,
    )
    from veo_desktop.hosting.inputs import (
        ImageInputsError,
        ImageUrlProblem,
        InputProblem,
        check_before_submit,
        describe_slot,
        ensure_images_reachable,
        resolve_image_inputs,
        submit_blocked_error,
    )
    from veo_desktop.hosting.model import (
        MAX_IMAGE_BYTES,
        HostedImage,
        HostingError,
        HostingNotConfiguredError,
        HostingProvider,
        ImageError,
        PreparedImage,
        ProgressCallback,
        UploadCancelledError,
        UrlCheck,
        describe_size,
    )
    from veo_desktop.hosting.providers import (
        DemoProvider,
        HostingUnavailable,
        UrlOnlyProvider,
        create_provider,
        provider_for_cli,
    )
    from veo_desktop.hosting.s3 import S3Provider

_HOMES = {
    **dict.fromkeys(("HostedImageCache", "ImageHost"), "cache"),
    "UrlChecker": "checker",
    **dict.fromkeys(
        ("ConfigProblem", "HostingConfig", "ProviderKind", "S3Secrets", "secret_from_env"),
        "config",
    ),
    **dict.fromkeys(
        (
            "ImageInputsError",
            "ImageUrlProblem",
            "InputProblem",
            "check_before_submit",
            "describe_slot",
            "ensure_images_reachable",
            "resolve_image_inputs",
            "submit_blocked_error",
        ),
        "inputs",
    ),
    **dict.fromkeys(
        (
            "MAX_IMAGE_BYTES",
            "HostedImage",
            "HostingError",
            "HostingNotConfiguredError",
            "HostingProvider",
            "ImageError",
            "PreparedImage",
            "ProgressCallback",
            "UploadCancelledError",
            "UrlCheck",
            "describe_size",
        ),
        "model",
    ),
    **dict.fromkeys(
        (
            "DemoProvider",
            "HostingUnavailable",
            "UrlOnlyProvider",
            "create_provider",
            "provider_for_cli",
        ),
        "providers",
    ),
    # S3Provider pulls in boto3 (~170 ms).
    "S3Provider": "s3",
}

# Every name loads with its module when first asked for: the composer needs
# ``describe_size`` before the window lists its tasks, the uploads, checks and settings
# (and httpx, the keyring, boto3) only later.
if not TYPE_CHECKING:  # (mypy reads the imports above: a name not there is an error)
    __getattr__ = lazy_exports(
        __name__, {name: f"{__name__}.{home}" for name, home in _HOMES.items()}
    )


__all__ = [
    "MAX_IMAGE_BYTES",
    "ConfigProblem",
    "DemoProvider",
    "HostedImage",
    "HostedImageCache",
    "HostingConfig",
    "HostingError",
    "HostingNotConfiguredError",
    "HostingProvider",
    "HostingUnavailable",
    "ImageError",
    "ImageHost",
    "ImageInputsError",
    "ImageUrlProblem",
    "InputProblem",
    "PreparedImage",
    "ProgressCallback",
    "ProviderKind",
    "S3Provider",
    "S3Secrets",
    "UploadCancelledError",
    "UrlCheck",
    "UrlChecker",
    "UrlOnlyProvider",
    "check_before_submit",
    "create_provider",
    "describe_size",
    "describe_slot",
    "ensure_images_reachable",
    "provider_for_cli",
    "resolve_image_inputs",
    "secret_from_env",
    "submit_blocked_error",
]
