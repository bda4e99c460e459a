"""The image hosting settings page: fields, the keyring-only secret, and a live connection test."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from tests.fixtures.s3 import MemoryKeyring, S3Bucket
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.settings import Settings
from veo_desktop.hosting import HostingConfig, ProviderKind, S3Secrets
from veo_desktop.ui.settings.hosting import HostingSettingsWidget


def make_widget(
    qtbot: QtBot, config: HostingConfig | None = None, **kwargs: Any
) -> HostingSettingsWidget:
    widget = HostingSettingsWidget(config, **kwargs)
    qtbot.addWidget(widget)
    widget.resize(640, 560)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def fill_s3(qtbot: QtBot, widget: HostingSettingsWidget, bucket: S3Bucket, secret: str) -> None:
    widget.provider.setCurrentIndex(widget.provider.findData("s3"))
    type_into(qtbot, widget.endpoint, bucket.endpoint)
    type_into(qtbot, widget.region, "us-east-1")
    type_into(qtbot, widget.bucket, bucket.name)
    type_into(qtbot, widget.prefix, "veo/")
    type_into(qtbot, widget.access_key_id, bucket.access_key_id)
    type_into(qtbot, widget.secret, secret)


def result_text(widget: HostingSettingsWidget) -> Callable[[], bool]:
    return lambda: (
        widget.test_button.isEnabled()
        and widget.test_result.text()
        not in (
            "",
            "Testing…",
        )
    )


def test_s3_connection_test_runs_without_blocking_and_reports_inline(
    qtbot: QtBot, qloop: qasync.QEventLoop, s3_bucket: S3Bucket, memory_keyring: MemoryKeyring
) -> None:
    widget = make_widget(qtbot, secrets=S3Secrets(backend=memory_keyring))
    fill_s3(qtbot, widget, s3_bucket, s3_bucket.secret)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)

    with qtbot.waitSignal(widget.test_finished, timeout=20_000) as finished:
        qtbot.mouseClick(widget.test_button, Qt.MouseButton.LeftButton)
        assert widget.test_result.text() == "Testing…"
        assert not widget.test_button.isEnabled()
    timer.stop()

    assert finished.args[0] is True
    assert widget.test_result.text().startswith(f"Connected to bucket '{s3_bucket.name}'")
    assert widget.test_result.isVisible()
    assert ticks, "the window's event loop was blocked during the test"
    assert s3_bucket.object_keys() == []
    # Testing does not save the secret.
    assert memory_keyring.passwords == {}


def test_a_wrong_secret_is_explained_inline(
    qtbot: QtBot, qloop: qasync.QEventLoop, s3_bucket: S3Bucket, moto_auth: Any
) -> None:
    widget = make_widget(qtbot, secrets=S3Secrets(backend=MemoryKeyring()))
    fill_s3(qtbot, widget, s3_bucket, "not-the-secret")
    type_into(qtbot, widget.access_key_id, moto_auth.access_key_id)
    type_into(qtbot, widget.secret, "not-the-secret")
    with qtbot.waitSignal(widget.test_finished, timeout=20_000) as finished:
        widget.test_button.click()
    assert finished.args[0] is False
    assert widget.test_result.text() == (
        f"The secret access key does not match access key id {moto_auth.access_key_id}. "
        "Enter the secret again."
    )


def test_a_dead_endpoint_is_explained_inline(
    qtbot: QtBot, qloop: qasync.QEventLoop, s3_bucket: S3Bucket, dead_endpoint: str
) -> None:
    widget = make_widget(qtbot, secrets=S3Secrets(backend=MemoryKeyring()))
    fill_s3(qtbot, widget, s3_bucket, "x")
    type_into(qtbot, widget.endpoint, dead_endpoint)
    with qtbot.waitSignal(widget.test_finished, timeout=30_000):
        widget.test_button.click()
    assert widget.test_result.text().startswith(
        f"Cannot reach the storage server at {dead_endpoint}."
    )


def test_problems_show_next_to_their_fields(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    widget = make_widget(qtbot, HostingConfig(provider=ProviderKind.S3))
    type_into(qtbot, widget.endpoint, "http://minio.example.com")
    problem = widget.findChild(QWidget, "s3EndpointEditProblem")
    assert problem is not None
    qtbot.waitUntil(problem.isVisible)
    assert "must use https://" in problem.text()  # type: ignore[attr-defined]

    with qtbot.waitSignal(widget.test_finished) as finished:
        widget.test_button.click()
    assert finished.args == [False, "Fix the fields marked above first."]
    bucket_problem = widget.findChild(QWidget, "s3BucketEditProblem")
    assert bucket_problem is not None and bucket_problem.isVisible()
    assert bucket_problem.text() == "Enter the bucket's name."  # type: ignore[attr-defined]


def test_the_secret_goes_to_the_keyring_and_is_never_shown_back(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    arun: Callable[..., Any],
    s3_bucket: S3Bucket,
    memory_keyring: MemoryKeyring,
    tmp_path: Path,
) -> None:
    secrets = S3Secrets(backend=memory_keyring)
    widget = make_widget(qtbot, secrets=secrets)
    fill_s3(qtbot, widget, s3_bucket, "  super-secret-value  ")
    settings = Settings()

    config = arun(widget.apply(settings))

    assert memory_keyring.passwords == {
        ("Veo Desktop", f"s3:{s3_bucket.access_key_id}"): "super-secret-value"
    }
    assert widget.secret.text() == ""
    assert widget.secret.placeholderText() == "Stored (hidden); type to replace it"
    assert widget.secret_status.text() == "The secret is saved in the system keyring."
    paths = AppPaths.resolve(str(tmp_path)).ensure()
    settings.save(paths)
    saved = paths.settings_path.read_text()
    assert "super-secret-value" not in saved
    assert HostingConfig.from_settings(Settings.load(paths)) == config
    assert json.loads(saved)["hosting"]["bucket"] == s3_bucket.name

    # Shown again later: the stored secret is known, never displayed.
    again = make_widget(qtbot, config, secrets=secrets)
    qtbot.waitUntil(lambda: again.forget_secret.isEnabled())
    assert again.secret.text() == ""
    assert again.problems() == []
    again.forget_secret.click()
    qtbot.waitUntil(lambda: memory_keyring.passwords == {})
    qtbot.waitUntil(lambda: not again.forget_secret.isEnabled())


class GatedKeyring(MemoryKeyring):
    """A keyring slow to answer: a lookup reads at once but answers when the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.asked: list[str] = []
        self.answered = 0
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        value = super().get_password(service, username)
        with self._lock:
            self.asked.append(username)
        assert self.gate.wait(30), "the test never opened the keyring's gate"
        with self._lock:
            self.answered += 1
        return value


def test_a_lookup_answering_after_apply_does_not_undo_the_saved_state(
    qtbot: QtBot, qloop: qasync.QEventLoop, arun: Callable[..., Any], s3_bucket: S3Bucket
) -> None:
    keyring = GatedKeyring()
    widget = make_widget(qtbot, secrets=S3Secrets(backend=keyring))
    fill_s3(qtbot, widget, s3_bucket, "super-secret-value")
    account = f"s3:{s3_bucket.access_key_id}"
    # The lookup for the typed key id has read "nothing stored" and is still on its way back.
    qtbot.waitUntil(lambda: account in keyring.asked)

    arun(widget.apply(Settings()))
    assert widget.secret.placeholderText() == "Stored (hidden); type to replace it"

    keyring.gate.set()
    qtbot.waitUntil(lambda: keyring.answered == len(keyring.asked) and not widget.keyring_busy)
    assert keyring.passwords == {("Veo Desktop", account): "super-secret-value"}
    assert widget.secret.placeholderText() == "Stored (hidden); type to replace it"
    assert widget.secret_status.text() == "The secret is saved in the system keyring."
    assert widget.forget_secret.isEnabled()
    assert widget.problems() == []


def test_a_lookup_for_an_earlier_key_id_does_not_speak_for_the_new_one(
    qtbot: QtBot, qloop: qasync.QEventLoop, s3_bucket: S3Bucket
) -> None:
    keyring = GatedKeyring()
    keyring.passwords[("Veo Desktop", "s3:OLDKEY")] = "old-secret"
    widget = make_widget(
        qtbot,
        HostingConfig(provider=ProviderKind.S3, bucket="frames", access_key_id="OLDKEY"),
        secrets=S3Secrets(backend=keyring),
    )
    qtbot.waitUntil(lambda: "s3:OLDKEY" in keyring.asked)

    type_into(qtbot, widget.access_key_id, "NEWKEY")
    qtbot.waitUntil(lambda: "s3:NEWKEY" in keyring.asked)
    keyring.gate.set()
    qtbot.waitUntil(lambda: keyring.answered == len(keyring.asked) and not widget.keyring_busy)

    assert widget.secret.placeholderText() == "Not stored yet; kept in the keyring"
    assert not widget.forget_secret.isEnabled()
    assert [p.field for p in widget.problems()] == ["secret"]


def test_without_a_keyring_the_secret_is_kept_for_the_session(
    qtbot: QtBot, qloop: qasync.QEventLoop, arun: Callable[..., Any], s3_bucket: S3Bucket
) -> None:
    secrets = S3Secrets()  # null backend (tests/conftest.py)
    widget = make_widget(qtbot, secrets=secrets)
    fill_s3(qtbot, widget, s3_bucket, "abc")
    qtbot.waitUntil(lambda: "no usable keyring" in widget.secret_status.text())
    arun(widget.apply(Settings()))
    assert "kept until you quit" in widget.secret_status.text()
    assert arun(secrets.get(s3_bucket.access_key_id)) == "abc"


def test_provider_choice_shows_what_applies(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    widget = make_widget(qtbot)
    assert widget.config().provider is ProviderKind.URL
    assert not widget.pages.isVisible()
    assert not widget.test_button.isVisible()
    assert "public https addresses" in widget.description.text()

    widget.provider.setCurrentIndex(widget.provider.findData("s3"))
    assert widget.pages.isVisible()
    assert widget.test_button.isVisible()
    assert widget.endpoint.isVisible()

    demo_index = widget.provider.findData("demo")
    model = widget.provider.model()
    assert not model.flags(model.index(demo_index, 0)) & Qt.ItemFlag.ItemIsEnabled


def test_demo_connection_test(qtbot: QtBot, qloop: qasync.QEventLoop, sim: Any) -> None:
    widget = make_widget(qtbot, HostingConfig(provider=ProviderKind.DEMO), demo_origin=sim.origin)
    with qtbot.waitSignal(widget.test_finished, timeout=10_000) as finished:
        widget.test_button.click()
    assert finished.args[0] is True
    assert "takes uploads" in widget.test_result.text()


def test_config_round_trip(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    config = HostingConfig(
        provider=ProviderKind.S3,
        endpoint="https://abc.r2.cloudflarestorage.com",
        bucket="frames",
        prefix="veo/",
        access_key_id="KEY",
        public_base_url="https://img.example.com",
        presign_hours=72,
    )
    widget = make_widget(qtbot, config)
    assert widget.config() == config
    assert widget.region.placeholderText() == "from the endpoint (auto)"


def test_every_control_has_an_accessible_name(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    widget = make_widget(qtbot, HostingConfig(provider=ProviderKind.S3))
    kinds = (QLineEdit, QPushButton, QComboBox, QAbstractSpinBox)
    controls = [
        w
        for w in widget.findChildren(QWidget)
        if isinstance(w, kinds)
        and w.isVisible()
        and not isinstance(w.parentWidget(), QAbstractSpinBox)  # the spin box's own editor
    ]
    assert len(controls) >= 10
    unnamed = [w.objectName() for w in controls if not w.accessibleName()]
    assert unnamed == []


def test_closing_the_page_stops_a_test_under_way(qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    started: list[HostingConfig] = []

    async def never_answers(config: HostingConfig, secret: str | None) -> str:
        started.append(config)
        await asyncio.Event().wait()
        return "unreachable"

    widget = make_widget(
        qtbot,
        HostingConfig(provider=ProviderKind.DEMO),
        demo_origin="http://127.0.0.1:9",
        tester=never_answers,
    )
    widget.test_button.click()
    qtbot.waitUntil(lambda: bool(started))
    job = widget.connection.job
    assert job is not None

    widget.hide()

    qtbot.waitUntil(job.done)
    assert job.cancelled()
    assert widget.test_button.isEnabled()
    assert widget.test_result.text() == ""
