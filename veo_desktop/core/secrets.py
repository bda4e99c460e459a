"""The APIXO key in the operating system's keyring, and nowhere else.

Some keyring backends block (a locked Secret Service waiting for a prompt, a hung D-Bus):
every call runs in its own daemon thread and is given up after a timeout, so neither the
window nor the event loop ever freezes on it. The ``keyring`` package (~60 ms to import)
loads on the first keyring call, not when this module does: with ``$APIXO_API_KEY`` set,
start-up never needs it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import keyring.backend
    import keyring.errors

log = logging.getLogger(__name__)

SERVICE = "Veo Desktop"
USERNAME = "APIXO API key"
DEFAULT_TIMEOUT = 10.0

T = TypeVar("T")

#: Backends that cannot keep a secret.
_USELESS_BACKENDS = frozenset({"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"})


class KeyringUnavailableError(RuntimeError):
    """The system keyring cannot be used; the message says what to do instead."""


class KeyStore:
    """Reads and writes the API key in the system keyring.

    Args:
        service: the keyring service name.
        username: the keyring entry name.
        timeout: seconds to wait for the keyring before giving up.
        backend: a specific keyring backend (tests); default is keyring's choice.
    """

    def __init__(
        self,
        *,
        service: str = SERVICE,
        username: str = USERNAME,
        timeout: float = DEFAULT_TIMEOUT,
        backend: keyring.backend.KeyringBackend | None = None,
    ) -> None:
        self._service = service
        self._username = username
        self._timeout = timeout
        self._backend = backend

    def __repr__(self) -> str:
        return f"KeyStore(backend={self.backend_name!r})"

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        if self._backend is not None:
            return self._backend
        import keyring

        return keyring.get_keyring()

    @property
    def backend_name(self) -> str:
        """The keyring backend in use, e.g. ``keyring.backends.SecretService.Keyring``."""
        cls = type(self.backend)
        return f"{cls.__module__}.{cls.__qualname__}"

    @property
    def available(self) -> bool:
        """Whether a real keyring backend is configured (it may still fail when used)."""
        backend = self.backend
        name = self.backend_name
        if name in _USELESS_BACKENDS:
            return False
        if name == "keyring.backends.chainer.ChainerBackend":
            return bool(getattr(backend, "backends", []))
        return True

    # -- blocking API (with a timeout) ---------------------------------------------------

    def get(self) -> str | None:
        """The stored key, or None when none is stored.

        Raises:
            KeyringUnavailableError: the keyring cannot be read.
        """
        if not self.available:
            return None
        return _clean(self._run(self._get))

    def set(self, key: str) -> None:
        """Store ``key`` (stripped).

        Raises:
            ValueError: the key is empty.
            KeyringUnavailableError: the keyring cannot store it.
        """
        key = _require_key(key)
        self._require_backend()
        self._run(lambda: self._set(key))

    def delete(self) -> None:
        """Forget the stored key (no error when none was stored)."""
        if not self.available:
            return
        self._run(self._delete)

    # -- async API (the event loop keeps running while the keyring thinks) -------------

    async def aget(self) -> str | None:
        if not self.available:
            return None
        return _clean(await self._arun(self._get))

    async def aset(self, key: str) -> None:
        key = _require_key(key)
        self._require_backend()
        await self._arun(lambda: self._set(key))

    async def adelete(self) -> None:
        if not self.available:
            return
        await self._arun(self._delete)

    # -- plumbing ------------------------------------------------------------------------

    def _require_backend(self) -> None:
        if not self.available:
            raise KeyringUnavailableError(
                "This system has no usable keyring (Secret Service, macOS Keychain or "
                "Windows Credential Manager), so the API key cannot be saved. Set the "
                "APIXO_API_KEY environment variable instead."
            )

    def _get(self) -> str | None:
        value = self.backend.get_password(self._service, self._username)
        return value if isinstance(value, str) else None

    def _set(self, key: str) -> None:
        self.backend.set_password(self._service, self._username, key)

    def _delete(self) -> None:
        import keyring.errors

        try:
            self.backend.delete_password(self._service, self._username)
        except keyring.errors.PasswordDeleteError:
            return

    def _run(self, fn: Callable[[], T]) -> T:
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = fn()
            except BaseException as error:  # noqa: BLE001 - handed to the caller below
                box["error"] = error
            finally:
                done.set()

        threading.Thread(target=work, name="keyring", daemon=True).start()
        if not done.wait(self._timeout):
            raise self._timeout_error()
        value: T = self._unbox(box)
        return value

    async def _arun(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(value: Any, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

        def work() -> None:
            value: Any = None
            caught: BaseException | None = None
            try:
                value = fn()
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                caught = error
            try:
                loop.call_soon_threadsafe(settle, value, caught)
            except RuntimeError:  # the loop closed while the keyring was thinking
                return

        import keyring.errors

        threading.Thread(target=work, name="keyring", daemon=True).start()
        try:
            value = await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            raise self._timeout_error() from None
        except keyring.errors.KeyringError as error:
            raise self._unavailable(error) from None
        return value

    def _unbox(self, box: dict[str, Any]) -> Any:  # the value of the keyring call
        import keyring.errors

        error = box.get("error")
        if error is None:
            return box.get("value")
        if isinstance(error, keyring.errors.KeyringError):
            raise self._unavailable(error) from None
        raise error

    def _timeout_error(self) -> KeyringUnavailableError:
        log.warning("keyring %s did not answer within %.0f s", self.backend_name, self._timeout)
        return KeyringUnavailableError(
            f"The system keyring did not answer within {self._timeout:.0f} s (it may be "
            "locked or waiting for a password prompt). Unlock it and try again, or set the "
            "APIXO_API_KEY environment variable."
        )

    def _unavailable(self, error: keyring.errors.KeyringError) -> KeyringUnavailableError:
        log.warning("keyring %s failed: %s", self.backend_name, type(error).__name__)
        return KeyringUnavailableError(
            f"The system keyring cannot be used ({type(error).__name__}). Unlock or set up "
            "your keyring, or set the APIXO_API_KEY environment variable."
        )


def _require_key(key: str) -> str:
    key = key.strip() if isinstance(key, str) else ""
    if not key:
        raise ValueError("The API key is empty.")
    return key


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
