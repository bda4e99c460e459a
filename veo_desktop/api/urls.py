"""URL rules shared by the client, the request model and the downloader.

APIXO is reached over https only. Plain http is accepted for loopback hosts so the
bundled simulator (demo mode, tests) can run without certificates.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://api.apixo.ai/api/v1"


def is_loopback_host(host: str | None) -> bool:
    """True for literal loopback addresses (``127.0.0.0/8``, ``::1``) and ``localhost``.

    Only the exact name ``localhost``: a name such as ``evil.localhost`` is resolved by
    whatever resolver the machine has, and may well lead off it (with the key in clear).
    """
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, what: str, allow_loopback_http: bool = True) -> str | None:
    """Return why ``url`` is not acceptable as an https URL, or None when it is.

    Args:
        url: the URL to check.
        what: how the message names the URL ("Image URL", "Base URL", ...).
        allow_loopback_http: accept ``http://`` when the host is a loopback address.
    """
    if not url or not url.strip():
        return f"{what} is empty."
    if url != url.strip():
        return f"{what} has spaces around it."
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return f"{what} is not a valid URL: {url}"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        return f"{what} must be a full https:// address, not {url!r}."
    if scheme == "http" and not (allow_loopback_http and is_loopback_host(host)):
        return f"{what} must use https:// (plain http is only allowed for this computer)."
    return None


def normalize_base_url(url: str) -> str:
    """Validate an APIXO base URL and drop a trailing slash.

    Raises:
        ValueError: the URL is not https (and not a loopback http URL).
    """
    problem = url_problem(url, what="The API base URL")
    if problem:
        raise ValueError(problem)
    return url.rstrip("/")
