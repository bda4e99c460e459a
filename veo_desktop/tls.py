"""The HTTP client's TLS context, prepared ahead on another thread.

Making the shared HTTP client loads the certificate authorities (certifi's bundle, or
``$SSL_CERT_FILE`` / ``$SSL_CERT_DIR``): 25-40 ms of OpenSSL reading and parsing, which
releases the GIL meanwhile. The window starts that work right after its first paint
(:func:`prepare`), so that when its session makes the client (``runtime.open_http``) the
context is ready (:func:`take`) instead of being built on the GUI thread.

The context is the one httpx would build itself for ``verify=True`` (its
``create_ssl_context`` rules, without importing httpx: this module loads before it). A
prepared context is used once; any later client builds its own, as without this module.
Qt-free; only ``ssl`` and ``certifi``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

_lock = threading.Lock()
#: The context being prepared, and the ``trust_env`` it was prepared for.
_prepared: tuple[bool, Future[ssl.SSLContext]] | None = None


def default_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """The context httpx makes for ``verify=True``: the CA bundle named by
    ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR`` when ``trust_env``, else certifi's."""
    return _context(_authorities(trust_env=trust_env))


def _authorities(*, trust_env: bool) -> dict[str, str]:
    """Where the certificate authorities are (``cafile`` or ``capath``), by httpx's rules.

    ``certifi.where()`` imports (importlib.resources) on its first call: call this on the
    caller's thread, never on the worker.
    """
    import certifi

    if trust_env and os.environ.get("SSL_CERT_FILE"):
        return {"cafile": os.environ["SSL_CERT_FILE"]}
    if trust_env and os.environ.get("SSL_CERT_DIR"):
        return {"capath": os.environ["SSL_CERT_DIR"]}
    return {"cafile": certifi.where()}


def _context(authorities: dict[str, str]) -> ssl.SSLContext:
    import ssl

    return _build(ssl.create_default_context, authorities)


def _build(make: Callable[..., ssl.SSLContext], authorities: dict[str, str]) -> ssl.SSLContext:
    return make(cafile=authorities.get("cafile"), capath=authorities.get("capath"))


def prepare(*, trust_env: bool = True) -> None:
    """Start building the default context on a daemon thread (once until it is taken).

    Everything that imports (``ssl``, ``certifi`` and finding its bundle) runs here, on
    the caller's thread: the worker only reads and parses the certificates and runs no
    import statement, while the caller's thread goes on importing the app.
    """
    global _prepared
    import ssl

    authorities = _authorities(trust_env=trust_env)
    make = ssl.create_default_context
    with _lock:
        if _prepared is not None:
            return
        future: Future[ssl.SSLContext] = Future()
        _prepared = (trust_env, future)

    def build() -> None:
        try:
            future.set_result(_build(make, authorities))
        except OSError as error:  # an unreadable bundle: take() leaves it to httpx
            future.set_exception(error)
        except BaseException as error:  # a bug: take() raises it, never waits forever
            future.set_exception(error)
            raise

    threading.Thread(target=build, name="tls-context", daemon=True).start()


def take(*, trust_env: bool) -> ssl.SSLContext | None:
    """The prepared context for ``trust_env`` (waiting for it if it is still being
    built), or None when none was prepared for it or preparing it failed (the caller then
    lets httpx build one, as always). A context is handed out once."""
    global _prepared
    with _lock:
        if _prepared is None or _prepared[0] != trust_env:
            return None
        _, future = _prepared
        _prepared = None
    try:
        return future.result()
    except OSError:  # e.g. an unreadable $SSL_CERT_FILE: httpx will say so itself
        return None
