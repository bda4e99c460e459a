"""Paths, settings, poll timing, the keyring, and the lifecycle vocabulary."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from decimal import Decimal
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest

from veo_desktop.api.models import ExtendRequest, GenerationRequest
from veo_desktop.core.paths import DATA_DIR_ENV, AppPaths
from veo_desktop.core.secrets import KeyringUnavailableError, KeyStore
from veo_desktop.core.settings import Settings, load, save
from veo_desktop.core.timing import PollTiming
from veo_desktop.records.lifecycle import RESUBMITTABLE, TaskState
from veo_desktop.records.task import TaskRecord

# -- paths -------------------------------------------------------------------------------------


def test_a_data_dir_holds_everything(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    paths = AppPaths.resolve(tmp_path / "d")
    root = (tmp_path / "d").resolve()
    assert paths.data_dir == root
    for path in (paths.config_dir, paths.cache_dir, paths.log_dir, paths.library_dir):
        assert root in path.parents
    assert paths.store_path == root / "tasks.sqlite3"
    assert not root.exists()
    paths.ensure()
    assert paths.config_dir.is_dir() and paths.log_dir.is_dir()
    assert not paths.library_dir.exists()


def test_the_environment_variable_is_honoured_and_the_option_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env"))
    assert AppPaths.resolve().data_dir == (tmp_path / "env").resolve()
    assert AppPaths.resolve(tmp_path / "opt").data_dir == (tmp_path / "opt").resolve()


def test_without_a_data_dir_the_platform_folders_are_used(monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    paths = AppPaths.resolve()
    assert "Veo Desktop" in str(paths.data_dir)
    assert paths.library_dir.name == "Veo Desktop"


def test_demo_paths_never_mix_with_real_ones(tmp_path):
    paths = AppPaths.resolve(tmp_path)
    demo = paths.demo()
    assert demo.store_path != paths.store_path
    assert demo.library_dir != paths.library_dir
    assert paths.data_dir in demo.data_dir.parents


def test_demo_videos_are_where_a_person_looks_for_videos(tmp_path, monkeypatch):
    """Issue 14: demo videos hid under ~/.local/share; they go to the library's Demo folder."""
    monkeypatch.delenv("VEO_DESKTOP_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / ".local" / "share"))
    paths = AppPaths.resolve()
    demo = paths.demo()
    assert demo.library_dir == paths.library_dir / "Demo"
    assert paths.data_dir not in demo.library_dir.parents


# -- settings ----------------------------------------------------------------------------------


def test_settings_round_trip(tmp_path):
    paths = AppPaths.resolve(tmp_path)
    settings = Settings(
        library_dir=tmp_path / "lib",
        base_url="http://127.0.0.1:9999/api/v1/",
        timing=PollTiming(first_poll_fast=60, interval_min=6, interval_max=9),
        notifications=False,
        max_download_bytes=10_000,
        max_polls_in_flight=3,
        extra={"window": {"width": 900}},
    )
    settings.base_url = "http://127.0.0.1:9999/api/v1"
    save(settings, paths)
    assert load(paths) == settings
    assert Settings.load(paths).library(paths) == tmp_path / "lib"


def test_missing_or_broken_settings_give_defaults(tmp_path):
    paths = AppPaths.resolve(tmp_path)
    assert load(paths) == Settings()
    paths.ensure()
    paths.settings_path.write_text("{not json")
    assert load(paths) == Settings()
    paths.settings_path.write_text("[1, 2]")
    assert load(paths) == Settings()


def test_each_bad_value_falls_back_alone(tmp_path):
    paths = AppPaths.resolve(tmp_path).ensure()
    paths.settings_path.write_text(
        json.dumps(
            {
                "base_url": "http://api.example.com",
                "timing": {"interval_min": 20, "interval_max": 5},
                "max_download_bytes": -1,
                "max_polls_in_flight": "many",
                "notifications": False,
                "library_dir": "~/Movies",
            }
        )
    )
    settings = load(paths)
    assert settings.base_url == Settings().base_url
    assert settings.timing == PollTiming()
    assert settings.max_download_bytes == Settings().max_download_bytes
    assert settings.max_polls_in_flight == 8
    assert settings.notifications is False
    assert settings.library_dir == Path("~/Movies").expanduser()


def test_settings_never_hold_a_key(tmp_path):
    paths = AppPaths.resolve(tmp_path).ensure()
    paths.settings_path.write_text(json.dumps({"api_key": "sk-secret", "theme": "dark"}))
    settings = load(paths)
    assert settings.extra == {"theme": "dark"}
    settings.extra["apixo_api_key"] = "sk-secret"
    save(settings, paths)
    assert "sk-secret" not in paths.settings_path.read_text()


def test_poll_timing_checks_its_values_and_takes_overrides():
    with pytest.raises(ValueError, match="interval_max"):
        PollTiming(interval_min=10, interval_max=5)
    with pytest.raises(ValueError, match="first_poll_fast"):
        PollTiming(first_poll_fast=-1)
    timing = PollTiming().with_overrides(first_poll=0.05, poll_every=0.1)
    assert timing.first_poll("fast") == timing.first_poll("quality") == 0.05
    assert timing.interval_min == timing.interval_max == 0.1
    assert timing.slow_interval == pytest.approx(0.6)
    assert PollTiming().with_overrides() == PollTiming()
    assert PollTiming().first_poll("quality") == 90 and PollTiming().first_poll("fast") == 75


# -- the keyring -------------------------------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.values:
            raise keyring.errors.PasswordDeleteError("none")
        del self.values[(service, username)]


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked with sk-secret")

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("cannot store sk-secret")


class HangingKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username):
        self.release.wait(5)
        return


def test_the_key_is_stored_read_and_deleted():
    backend = MemoryKeyring()
    store = KeyStore(backend=backend)
    assert store.available and store.get() is None
    store.set("  sk-123  ")
    assert store.get() == "sk-123"
    assert "sk-123" not in repr(store)
    store.delete()
    store.delete()
    assert store.get() is None
    with pytest.raises(ValueError, match="empty"):
        store.set("   ")


def test_the_async_variants_work_on_a_running_loop():
    store = KeyStore(backend=MemoryKeyring())

    async def scenario() -> str | None:
        await store.aset("sk-async")
        value = await store.aget()
        await store.adelete()
        assert await store.aget() is None
        return value

    assert asyncio.run(scenario()) == "sk-async"


def test_no_usable_keyring_is_a_clear_error():
    from keyring.backends import fail

    store = KeyStore(backend=fail.Keyring())
    assert not store.available
    assert store.get() is None
    with pytest.raises(KeyringUnavailableError, match="APIXO_API_KEY"):
        store.set("sk-1")
    assert store.backend_name == "keyring.backends.fail.Keyring"


def test_a_failing_keyring_never_shows_its_message_or_the_key():
    store = KeyStore(backend=BrokenKeyring())
    with pytest.raises(KeyringUnavailableError) as caught:
        store.get()
    assert "KeyringLocked" in str(caught.value) and "sk-secret" not in str(caught.value)
    with pytest.raises(KeyringUnavailableError):
        asyncio.run(store.aset("sk-secret"))


def test_a_hanging_keyring_is_given_up_after_the_timeout():
    backend = HangingKeyring()
    store = KeyStore(backend=backend, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(KeyringUnavailableError, match="did not answer"):
        store.get()
    with pytest.raises(KeyringUnavailableError, match="did not answer"):
        asyncio.run(store.aget())
    assert time.monotonic() - started < 2
    backend.release.set()


# -- lifecycle and records -----------------------------------------------------------------------


def test_every_state_is_active_final_or_uncertain():
    for state in TaskState:
        kinds = [state.is_active, state.is_final, state is TaskState.UNCERTAIN]
        assert kinds.count(True) == 1, state
    assert TaskState.UNCERTAIN in RESUBMITTABLE
    assert not any(s.is_active for s in RESUBMITTABLE)
    assert TaskState("downloading").label == "Downloading"


def test_a_record_exposes_its_request():
    body = GenerationRequest(prompt="Fox", mode="quality", aspect_ratio="9:16").to_payload()
    record = TaskRecord(
        "a" * 32, "veo-3-1", body, TaskState.PENDING, 1.0, 1.0, price=Decimal("1.5")
    )
    assert (record.prompt, record.mode, record.aspect_ratio) == ("Fox", "quality", "9:16")
    assert record.generation_type == "TEXT_2_VIDEO"
    assert record.request_model == GenerationRequest(
        prompt="Fox", mode="quality", aspect_ratio="9:16"
    )
    assert not record.charged and record.is_active and record.short_id == "aaaaaaaa"
    extend = ExtendRequest(task_id="task_1", prompt="more").to_payload()
    record = record.evolve(model="veo-3-1-extend", request=extend, apixo_task_id="task_2")
    assert record.request_model == ExtendRequest(task_id="task_1", prompt="more")
    assert record.is_extend and record.charged and record.aspect_ratio is None
