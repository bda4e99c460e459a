"""A whole session, then every file the app wrote is searched for the API key: zero hits.

The window (key entered at the welcome panel, a video generated, the balance refreshed, an
uncertain submission, an unexpected error with the key in its message) and then the command
line on the same data folder (generate and wait, balance, a 401 with a wrong key, another
uncertain submission), all against the simulator over loopback with logging at DEBUG.
Afterwards no file under the data, config, cache, log and library folders holds either key,
in any of the encodings a file could hold it in.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import qasync
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QPushButton

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    close_window,
    make_window_fixture,
    wait_started,
)
from tests.fixtures.s3 import MemoryKeyring
from veo_desktop import logs
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.secrets import KeyStore
from veo_desktop.sim import Fault
from veo_desktop.ui.crash_dialog import install_excepthook
from veo_desktop.ui.window.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
STATE_ROLE = Qt.ItemDataRole.UserRole + 1


def _encodings(secret: str) -> list[bytes]:
    forms = {secret, quote(secret, safe=""), secret.encode("unicode_escape").decode()}
    found = [form.encode("utf-8") for form in forms]
    found += [form.encode("utf-16-le") for form in forms]
    return found


def _files_holding(root: Path, secret_values: list[str]) -> list[str]:
    needles = [needle for secret in secret_values for needle in _encodings(secret)]
    hits = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        hits += [f"{path.relative_to(root)}" for needle in needles if needle in data]
    return sorted(set(hits))


def _states(view: QAbstractItemView) -> list[str]:
    model = view.model()
    return [str(model.data(model.index(row, 0), STATE_ROLE)) for row in range(model.rowCount())]


@pytest.fixture
def debug_logging(tmp_path: Path) -> Iterator[AppPaths]:
    """Logging as ``run_gui`` sets it up, but at DEBUG: the most a log could ever hold."""
    paths = AppPaths.resolve(tmp_path / "data")
    logs.setup_logging(paths.log_dir, level=logging.DEBUG)
    logs.install_qt_message_handler()
    yield paths
    logs.uninstall_qt_message_handler()
    logs.teardown_logging()
    logs.forget_secrets()


def _cli(*args: str, key: str, data: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APIXO_API_KEY": key, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "veo_desktop",
            *args,
            "--data-dir",
            str(data),
            "--base-url",
            base_url,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def test_no_file_holds_the_key_after_a_whole_session(
    make_window: Callable[..., MainWindow],
    sim_factory: Any,
    debug_logging: AppPaths,
    qtbot: Any,
    qloop: qasync.QEventLoop,
    arun: Callable[..., Any],
    tmp_path: Path,
) -> None:
    key = "apx-e2e-" + secrets.token_urlsafe(24)
    wrong_key = "apx-wrong-" + secrets.token_urlsafe(16)
    sim = sim_factory(api_key=key)
    paths = debug_logging
    keyring = MemoryKeyring()
    reporter = install_excepthook()

    # -- the window: the key typed in at the welcome panel -----------------------------------
    window = make_window(
        base_url=sim.base_url,
        api_key=None,
        data_dir=paths.data_dir,
        key_store=KeyStore(backend=keyring),
    )
    window.show()
    key_edit = window.findChild(QLineEdit, "welcomeKeyEdit")
    assert key_edit is not None
    qtbot.keyClicks(key_edit, key)
    enter = window.findChild(QPushButton, "enterKeyButton")
    assert enter is not None
    enter.click()
    wait_started(qtbot, window)
    assert keyring.passwords, "the key went to the keyring"

    compose = window.compose_panel
    assert compose is not None
    view = window.findChild(QAbstractItemView, "taskView")
    assert view is not None
    compose.prompt_edit.setPlainText("A lighthouse at dusk, waves breaking")
    with qtbot.waitSignal(compose.submitted, timeout=10_000):
        compose.generate()
    qtbot.waitUntil(lambda: _states(view) == ["succeeded"], timeout=30_000)
    window.refresh_balance_action.trigger()

    # An answer lost after APIXO took the task: the task becomes uncertain.
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=502, accept_first=True))
    compose.prompt_edit.setPlainText("A second lighthouse, the answer gets lost")
    button = window.findChild(QPushButton, "generateButton")
    assert button is not None
    qtbot.waitUntil(button.isEnabled, timeout=10_000)  # after the double-click guard
    button.click()
    qtbot.waitUntil(lambda: "uncertain" in _states(view), timeout=30_000)

    # An unexpected error whose message carries the key (the crash dialog and the log).
    class Broken(QObject):
        @qasync.asyncSlot()
        async def on_clicked(self) -> None:
            raise RuntimeError(f"unexpected failure while using {key}")

    broken = Broken()
    broken.on_clicked()
    qtbot.waitUntil(lambda: reporter.dialog is not None)
    assert reporter.dialog is not None
    assert key not in reporter.dialog.details
    reporter.dialog.copy_button.click()
    reporter.dialog.close()
    reporter.uninstall()
    reporter.deleteLater()
    close_window(window, arun)

    # -- the command line on the same data folder ------------------------------------------
    data, url = paths.data_dir, sim.base_url
    made = _cli(
        "generate", "--prompt", "From the command line", "--wait", "--first-poll", "0.2",
        "--poll-every", "0.2", key=key, data=data, base_url=url,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    balance = _cli("balance", key=key, data=data, base_url=url)
    assert balance.returncode == 0, balance.stderr
    refused = _cli("balance", key=wrong_key, data=data, base_url=url)
    assert refused.returncode != 0
    assert "401" in refused.stderr or "key" in refused.stderr.lower()
    sim.add_fault(Fault(endpoint="submit", kind="reset", accept_first=True))
    lost = _cli(
        "generate", "--prompt", "Lost answer from the CLI", key=key, data=data, base_url=url
    )
    assert lost.returncode != 0
    assert "may or may not have reached APIXO" in lost.stderr
    listing = _cli("list", key=key, data=data, base_url=url)
    assert listing.returncode == 0, listing.stderr
    for result in (made, balance, refused, lost, listing):
        assert key not in result.stdout + result.stderr
        assert wrong_key not in result.stdout + result.stderr

    # -- the scan ----------------------------------------------------------------------------
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    log_text = "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in paths.log_dir.glob("*.log*")
    )
    assert "Uncaught exception" in log_text, "the crash reached the log"
    assert "uncertain" in log_text.lower()
    assert len(list(paths.library_dir.glob("*.mp4"))) == 2  # the window's and the CLI's video
    assert any(p.name.endswith(".sqlite3") for p in written)
    assert any(p.name == "settings.json" for p in written)
    canary = tmp_path / "canary.bin"  # the scan itself finds a key written as UTF-16
    canary.write_bytes(b"\0" + f"x{key}x".encode("utf-16-le"))
    assert _files_holding(tmp_path, [key, wrong_key]) == ["canary.bin"]
    canary.unlink()
    assert _files_holding(tmp_path, [key, wrong_key]) == []
