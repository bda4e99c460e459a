"""The real-keyring tier: KeyStore against a real Secret Service (gnome-keyring over D-Bus).

Plain ``pytest`` runs this tier through test_keyring_tier.py, inside a throwaway D-Bus
session with its own gnome-keyring and HOME. By hand (Debian: dbus, gnome-keyring):

    KR_HOME=$(mktemp -d); HOME=$KR_HOME VEO_KEYRING_THROWAWAY=1 \\
    PYTHON_KEYRING_BACKEND=keyring.backends.SecretService.Keyring dbus-run-session -- sh -c \\
      'echo "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"' \\
      sh .venv/bin/python -m pytest -m real_keyring tests/keyring

The tests that use the app's own keyring entry (as the window and the command line do) only
run when ``VEO_KEYRING_THROWAWAY=1`` says the keyring is a throwaway one: on a desktop they
would replace the person's real key.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.SecretService
import pytest

from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.core.secrets import SERVICE, USERNAME, KeyStore
from veo_desktop.sim import SimulatorThread

pytestmark = pytest.mark.real_keyring

ROOT = Path(__file__).resolve().parents[2]
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
THROWAWAY = os.environ.get("VEO_KEYRING_THROWAWAY") == "1"


def _secret_service() -> keyring.backends.SecretService.Keyring:
    backend = keyring.backends.SecretService.Keyring()
    try:
        backend.priority  # noqa: B018 - raises when no Secret Service answers
    except Exception as error:
        pytest.fail(f"no Secret Service on this D-Bus session ({error}); see the module docstring")
    return backend


@pytest.fixture
def test_store() -> Iterator[KeyStore]:
    """A KeyStore on the Secret Service, under a service name of its own."""
    store = KeyStore(service=f"Veo Desktop test {uuid.uuid4().hex[:8]}", backend=_secret_service())
    yield store
    store.delete()


@pytest.fixture
def app_store() -> Iterator[KeyStore]:
    """The app's own entry (what the window and the command line read)."""
    if not THROWAWAY:
        pytest.skip("set VEO_KEYRING_THROWAWAY=1 only in a throwaway keyring session")
    store = KeyStore()
    yield store
    store.delete()


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": SECRET_SERVICE, **env},
    )


def test_the_default_backend_is_the_secret_service(app_store: KeyStore) -> None:
    assert app_store.backend_name == SECRET_SERVICE
    assert app_store.available


def test_store_read_replace_delete(test_store: KeyStore) -> None:
    assert test_store.get() is None
    test_store.set("  first-key-0001  ")
    assert test_store.get() == "first-key-0001"
    test_store.set("second-key-0002")
    assert test_store.get() == "second-key-0002"
    test_store.delete()
    assert test_store.get() is None
    test_store.delete()  # deleting nothing is fine


def test_the_async_api_works_on_a_running_loop(test_store: KeyStore) -> None:
    async def round_trip() -> tuple[str | None, str | None]:
        await test_store.aset("async-key-0003")
        stored = await test_store.aget()
        await test_store.adelete()
        return stored, await test_store.aget()

    assert asyncio.run(round_trip()) == ("async-key-0003", None)


def test_the_secret_is_encrypted_at_rest(test_store: KeyStore) -> None:
    key = f"plain-{uuid.uuid4().hex}"
    test_store.set(key)
    home = Path.home()
    keyrings = list((home / ".local" / "share" / "keyrings").glob("*")) if THROWAWAY else []
    for path in keyrings:
        assert key.encode() not in path.read_bytes(), f"{path} holds the key in clear"


def test_a_fresh_process_finds_the_key_and_sees_it_go(app_store: KeyStore) -> None:
    app_store.set("fresh-process-key-0004")
    code = (
        "from veo_desktop.core.secrets import KeyStore\n"
        "store = KeyStore()\n"
        "print(store.backend_name, store.get())\n"
    )
    found = _python(code)
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == [SECRET_SERVICE, "fresh-process-key-0004"]
    app_store.delete()
    gone = _python(code)
    assert gone.stdout.split() == [SECRET_SERVICE, "None"]


def test_a_key_another_process_saved_is_read_here(app_store: KeyStore) -> None:
    code = "from veo_desktop.core.secrets import KeyStore; KeyStore().set('from-child-0005')"
    saved = _python(code)
    assert saved.returncode == 0, saved.stderr
    assert app_store.get() == "from-child-0005"
    assert keyring.get_keyring().__class__.__name__ == "Keyring"
    assert _secret_service().get_password(SERVICE, USERNAME) == "from-child-0005"


def test_the_command_line_uses_the_key_from_the_keyring(
    app_store: KeyStore, sim: SimulatorThread, tmp_path: Path
) -> None:
    app_store.set(SIM_API_KEY)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "veo_desktop",
            "balance",
            "--base-url",
            sim.base_url,
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "APIXO_API_KEY"},
            "PYTHON_KEYRING_BACKEND": SECRET_SERVICE,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "100" in result.stdout
    assert [r.key_ok for r in sim.requests] == [True]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SIM_API_KEY.encode() not in path.read_bytes(), path
