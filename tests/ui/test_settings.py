"""Settings and the API key: keyring present, keyring absent, the environment, never on disk."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    drop,
    make_window_fixture,
    screenshot_window,
    submits,
    wait_started,
    write_image,
)
from tests.fixtures.contrast import assert_legible
from tests.fixtures.core import FAST_TIMING
from tests.fixtures.s3 import MemoryKeyring as S3MemoryKeyring
from tests.fixtures.s3 import S3Bucket
from tests.fixtures.screenshots import save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from tests.ui.test_compose_creative import window_with_dialog
from tests.ui.test_screenshots_window import clipped_labels
from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.secrets import SERVICE, USERNAME, KeyStore
from veo_desktop.core.settings import Settings
from veo_desktop.hosting import DemoProvider, S3Provider, S3Secrets
from veo_desktop.ui import session as session_module
from veo_desktop.ui.app_loop import read_key
from veo_desktop.ui.settings.dialog import SettingsDialog
from veo_desktop.ui.settings.general import CAP_HINT, CAP_PROBLEM
from veo_desktop.ui.window.main_window import MainWindow


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in this process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def files_containing(root: Path, secret: str) -> list[Path]:
    return [
        path for path in root.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()
    ]


def open_settings(window: MainWindow) -> SettingsDialog:
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    assert dialog is not None and dialog.isVisible()
    return dialog


def ok_button(dialog: SettingsDialog) -> Any:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button is not None
    return button


def test_a_key_entered_goes_to_the_keyring_and_can_be_removed(
    memory_keyring: MemoryKeyring,
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    assert "stored in" in window.welcome.storage_note.text()
    assert "MemoryKeyring" in window.welcome.storage_note.text()
    qtbot.keyClicks(window.welcome.key_edit, SIM_API_KEY)
    window.welcome.key_button.click()
    wait_started(qtbot, window)
    assert memory_keyring.items == {(SERVICE, USERNAME): SIM_API_KEY}
    assert window.key_source is KeySource.KEYRING

    dialog = open_settings(window)
    assert (
        "stored in" in dialog.api_key.key_status.text()
        and "MemoryKeyring" in dialog.api_key.key_status.text()
    )
    assert dialog.api_key.remove_key_button.isEnabled()
    dialog.api_key.remove_key_button.click()
    qtbot.waitUntil(lambda: memory_keyring.items == {})
    qtbot.waitUntil(lambda: "Removed from the keyring" in dialog.api_key.key_message.text())
    assert window.key_source is KeySource.SESSION
    assert "this session only" in dialog.api_key.key_status.text()
    dialog.reject()
    assert files_containing(tmp_path, SIM_API_KEY) == []


def test_the_key_is_read_from_the_keyring_or_the_environment(
    memory_keyring: MemoryKeyring, arun: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APIXO_API_KEY", raising=False)
    store = KeyStore()
    assert arun(read_key(store)) == (None, KeySource.NONE)
    memory_keyring.items[(SERVICE, USERNAME)] = "from-keyring"
    assert arun(read_key(store)) == ("from-keyring", KeySource.KEYRING)
    monkeypatch.setenv("APIXO_API_KEY", " from-env ")
    assert arun(read_key(store)) == ("from-env", KeySource.ENVIRONMENT)


def test_without_a_keyring_the_key_is_kept_for_this_session_only(
    no_keyring: None,
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    arun: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APIXO_API_KEY", raising=False)
    assert arun(read_key(KeyStore())) == (None, KeySource.NONE)
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    note = window.welcome.storage_note.text()
    assert "no usable keyring" in note and "this session only" in note
    assert "APIXO_API_KEY" in note
    qtbot.keyClicks(window.welcome.key_edit, SIM_API_KEY)
    window.welcome.key_button.click()
    wait_started(qtbot, window)
    assert window.key_source is KeySource.SESSION
    dialog = open_settings(window)
    assert "this session only" in dialog.api_key.key_status.text()
    assert not dialog.api_key.remove_key_button.isVisible()
    assert "no usable keyring" in dialog.api_key.key_message.text()
    ok_button(dialog).click()
    window.close()
    assert files_containing(tmp_path, SIM_API_KEY) == []


def test_the_dialog_checks_every_field(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, window)
    dialog = open_settings(window)
    assert ok_button(dialog).isEnabled()

    dialog.advanced.base_url_edit.setText("http://api.example.com/api/v1")
    assert dialog.advanced.base_url_message.text() == (
        "The base URL must use https:// (plain http is only allowed for this computer)."
    )
    assert not ok_button(dialog).isEnabled()
    dialog.advanced.base_url_edit.setText("http://127.0.0.1:9999/api/v1")
    assert dialog.advanced.base_url_message.isHidden()
    dialog.advanced.base_url_reset.click()
    assert dialog.advanced.base_url_edit.text() == "https://api.apixo.ai/api/v1"

    dialog.polling.interval_min.setValue(30)
    dialog.polling.interval_max.setValue(10)
    assert "must not be shorter" in dialog.polling.timing_message.text()
    assert not ok_button(dialog).isEnabled()
    dialog.polling.interval_max.setValue(40)
    assert ok_button(dialog).isEnabled()

    dialog.library.library_edit.setText("relative/folder")
    assert "full path" in dialog.library.library_message.text()
    dialog.library.library_edit.setText("")
    assert "Choose a folder" in dialog.library.library_message.text()
    dialog.reject()


def test_accepted_settings_are_saved_and_applied_without_the_key(
    memory_keyring: MemoryKeyring,
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    data = tmp_path / "data"
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    wait_started(qtbot, window)
    first_session = window.session
    dialog = open_settings(window)
    library = tmp_path / "Videos" / "Veo"
    dialog.library.library_edit.setText(str(library))
    dialog.polling.notifications_check.setChecked(False)
    dialog.polling.first_fast.setValue(0.1)
    dialog.api_key.key_edit.setText("a-new-key-456")
    ok_button(dialog).click()

    qtbot.waitUntil(lambda: window.session is not None and window.session is not first_session)
    wait_started(qtbot, window)
    session = window.session
    assert session is not None
    assert session.library_dir == library
    assert session.engine.timing.first_poll_fast == pytest.approx(0.1)
    assert memory_keyring.items[(SERVICE, USERNAME)] == "a-new-key-456"
    saved = json.loads(AppPaths.resolve(data).settings_path.read_text())
    assert saved["library_dir"] == str(library)
    assert saved["notifications"] is False
    assert Settings.load(AppPaths.resolve(data)).library_dir == library
    assert files_containing(tmp_path, "a-new-key-456") == []
    assert files_containing(tmp_path, SIM_API_KEY) == []
    qtbot.waitUntil(lambda: window.status.api_item.label.text() == "API unreachable")


# -- image hosting -------------------------------------------------------------------------------


@pytest.fixture
def s3_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[S3Secrets, S3MemoryKeyring]]:
    """The app's one S3 secret store, on an in-memory keyring (for this test only)."""
    backend = S3MemoryKeyring()
    secrets = S3Secrets(backend=backend)
    monkeypatch.setattr(session_module, "_app_secrets", secrets)
    yield secrets, backend


def fill_s3(qtbot: Any, dialog: SettingsDialog, bucket: S3Bucket, *, secret: str) -> None:
    hosting = dialog.hosting
    hosting.provider.setCurrentIndex(hosting.provider.findData("s3"))
    for edit, text in (
        (hosting.endpoint, bucket.endpoint),
        (hosting.region, "us-east-1"),
        (hosting.bucket, bucket.name),
        (hosting.prefix, "from-settings/"),
        (hosting.access_key_id, bucket.access_key_id),
        (hosting.secret, secret),
    ):
        edit.clear()
        qtbot.keyClicks(edit, text)


def test_the_image_hosting_tab_switches_the_open_session_to_s3(
    s3_secrets: tuple[S3Secrets, S3MemoryKeyring],
    s3_bucket: S3Bucket,
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    _secrets, backend = s3_secrets
    data = tmp_path / "data"
    # Polling values the dialog's fields show exactly, so OK changes nothing but hosting.
    timing = dataclasses.replace(
        FAST_TIMING, first_poll_fast=0.5, first_poll_quality=0.5, interval_min=0.5, interval_max=0.5
    )
    Settings(timing=timing).save(AppPaths.resolve(data))
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data, fast=False)
    wait_started(qtbot, window)
    session = window.session
    assert session is not None
    assert isinstance(session.uploader.host.provider, DemoProvider)  # type: ignore[union-attr]

    dialog = open_settings(window)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "&General",
        "&Image hosting",
    ]
    dialog.tabs.setCurrentWidget(dialog.hosting_tab)
    assert dialog.hosting.isVisible()
    assert "local images go to the simulator" in dialog.hosting_note.text()
    fill_s3(qtbot, dialog, s3_bucket, secret=s3_bucket.secret)
    ok_button(dialog).click()

    def on_s3() -> None:
        host = session.uploader.host
        assert host is not None and isinstance(host.provider, S3Provider)

    qtbot.waitUntil(on_s3, timeout=10_000)
    assert window.session is session  # no restart: only the image host changed
    assert backend.passwords == {(SERVICE, f"s3:{s3_bucket.access_key_id}"): s3_bucket.secret}
    saved = json.loads(AppPaths.resolve(data).settings_path.read_text())
    assert saved["hosting"]["provider"] == "s3"
    assert saved["hosting"]["bucket"] == s3_bucket.name
    assert files_containing(tmp_path, s3_bucket.secret) == []

    compose = window.compose_panel
    assert compose is not None
    compose.type_selector.setCurrentIndex(
        compose.type_selector.findData("FIRST_AND_LAST_FRAMES_2_VIDEO")
    )
    drop(compose.first_slot, urls=[str(write_image(tmp_path / "frame.png"))])
    qtbot.waitUntil(lambda: compose.first_slot.url is not None, timeout=15_000)
    url = compose.first_slot.url
    assert url is not None
    assert url.startswith(f"{s3_bucket.endpoint}/{s3_bucket.name}/from-settings/")
    assert "X-Amz-Signature=" in url
    assert files_containing(tmp_path, s3_bucket.secret) == []


def test_incomplete_hosting_settings_keep_the_dialog_open_on_their_tab(
    s3_secrets: tuple[S3Secrets, S3MemoryKeyring],
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    data = tmp_path / "data"
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data)
    wait_started(qtbot, window)
    dialog = open_settings(window)
    hosting = dialog.hosting
    hosting.provider.setCurrentIndex(hosting.provider.findData("s3"))
    ok_button(dialog).click()
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.hosting_tab
    assert dialog.hosting_message.text() == (
        "Fix the image hosting settings marked above, or choose URL only."
    )
    assert "Enter the bucket's name." in dialog.findChild(QWidget, "s3BucketEditProblem").text()
    dialog.reject()
    assert "hosting" not in Settings.load(AppPaths.resolve(data)).extra


def test_closing_the_dialog_stops_a_connection_test(
    s3_secrets: tuple[S3Secrets, S3MemoryKeyring],
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "d")
        wait_started(qtbot, window)
        dialog = open_settings(window)
        dialog.tabs.setCurrentWidget(dialog.hosting_tab)
        bucket = S3Bucket(endpoint, "silent-bucket", None)
        fill_s3(qtbot, dialog, bucket, secret="not-a-real-secret")
        dialog.hosting.test_button.click()
        assert dialog.hosting.test_result.text() == "Testing…"
        job = dialog.hosting.connection.job
        assert job is not None and not job.done()
        dialog.reject()
        qtbot.waitUntil(job.done, timeout=5000)
        assert job.cancelled()


# -- the daily spending cap ----------------------------------------------------------------------


def test_the_daily_cap_field_checks_what_is_typed(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    wait_started(qtbot, window)
    dialog = open_settings(window)
    edit = dialog.spending.cap_edit
    assert edit.accessibleName() == "Daily spending cap" and edit.accessibleDescription()
    assert edit.text() == "" and edit.placeholderText() == "no cap"
    assert dialog.spending.cap_message.isHidden()
    assert dialog.spending.cap_hint.text() == f"{CAP_HINT} Spent today: $0.00."
    for bad in ("lots", "-3", "12.5.1", "Infinity"):
        edit.setText(bad)
        assert dialog.spending.cap_message.text() == CAP_PROBLEM, bad
        assert not ok_button(dialog).isEnabled()
        assert dialog.change() is None
    for good, cap in (("$12.5", Decimal("12.50")), (" 1,000 ", Decimal("1000.00")), ("", None)):
        edit.setText(good)
        assert dialog.spending.cap_message.isHidden() and ok_button(dialog).isEnabled(), good
        change = dialog.change()
        assert change is not None and change.settings.daily_spending_cap == cap
    dialog.reject()


def test_the_daily_cap_is_saved_and_every_generate_reads_it(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    data = tmp_path / "data"
    # The default polling (the test's fast one is shown rounded, and OK would restart).
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=data, fast=False)
    wait_started(qtbot, window)
    session = window.session
    dialog = open_settings(window)
    dialog.spending.cap_edit.setText("0.10")
    ok_button(dialog).click()
    qtbot.waitUntil(lambda: window.settings.daily_spending_cap == Decimal("0.10"))
    saved = json.loads(AppPaths.resolve(data).settings_path.read_text())
    assert saved["daily_spending_cap"] == "0.10"
    assert window.session is session, "a new cap needs no new session"

    compose = window.compose_panel
    assert compose is not None
    compose.prompt_edit.setPlainText("A snail crosses a wet leaf")
    assert compose.generate()
    box = compose.cap_question
    assert box is not None and "over your daily cap of $0.10" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: compose.cap_question is None)
    assert submits(sim) == []

    dialog = open_settings(window)
    assert dialog.spending.cap_edit.text() == "0.10"
    dialog.spending.cap_edit.clear()
    ok_button(dialog).click()
    qtbot.waitUntil(lambda: window.settings.daily_spending_cap is None)
    assert (
        json.loads(AppPaths.resolve(data).settings_path.read_text())["daily_spending_cap"] is None
    )
    with qtbot.waitSignal(compose.submitted, timeout=10_000):
        assert compose.generate()
    assert compose.cap_question is None and len(submits(sim)) == 1


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", [(1024, 640), (1600, 1000)], ids=["1024x640", "1600x1000"])
def test_daily_cap_screenshots(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    size: tuple[int, int],
    dark: bool,
) -> None:
    window, tag = screenshot_window(
        make_window,
        themed,
        qtbot,
        size=size,
        dark=dark,
        base_url=sim.base_url,
        api_key=SIM_API_KEY,
        data_dir=tmp_path / "data",
    )
    compose = window.compose_panel
    assert compose is not None
    qtbot.waitUntil(lambda: "balance $100.00" in compose.cost_line.text())
    dialog = open_settings(window)
    dialog.spending.cap_edit.setText("25")
    dialog.general_tab.ensureWidgetVisible(dialog.spending.cap_hint)
    save_screenshot(window_with_dialog(window, dialog), tmp_path, f"settings-cap-{tag}")
    assert_legible(dialog, dialog.grab(), f"settings-cap-{tag}")
    assert clipped_labels(dialog) == []
    dialog.spending.cap_edit.setText("twenty")
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    dialog.general_tab.ensureWidgetVisible(dialog.spending.cap_hint)
    save_screenshot(window_with_dialog(window, dialog), tmp_path, f"settings-cap-problem-{tag}")
    assert_legible(dialog, dialog.grab(), f"settings-cap-problem-{tag}")
    assert clipped_labels(dialog) == []
    dialog.reject()
