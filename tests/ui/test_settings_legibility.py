"""Every text in the Settings dialog can be read: light and dark, in the demo and with a key,
the contrast of each visible label is measured on the grabbed pixels (WCAG 2.x, at least
4.5:1), the hints included (the key status, the key hint, the daily cap, image hosting)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.contrast import Measured, measure
from tests.fixtures.screenshots import save_screenshot
from tests.ui.test_settings import MemoryKeyring
from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.secrets import SERVICE, USERNAME, KeyStore
from veo_desktop.core.settings import Settings
from veo_desktop.ui.settings.dialog import SettingsDialog
from veo_desktop.ui.window.main_window import MainWindow

#: The hint texts of issue 14 (drawn #EDEDED on #EFEFEF): each must be measured.
GENERAL_HINTS = ("keyStatusLabel", "keyMessage", "spendingCapHint")


def settle_layout() -> None:
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QApplication.processEvents()


def measured_tab(
    dialog: SettingsDialog, tab: QScrollArea, tmp_path: Path, name: str
) -> list[Measured]:
    """Every text of ``dialog`` measured on its grab, with ``tab`` shown and scrolled from
    top to bottom a page at a time (each view saved as a PNG)."""
    dialog.tabs.setCurrentWidget(tab)
    bar = tab.verticalScrollBar()
    bar.setValue(0)
    found: list[Measured] = []
    view = 0
    while True:
        settle_layout()
        picture = dialog.grab()
        save_screenshot(picture, tmp_path, f"{name}-{view}")
        found += measure(dialog, picture)
        if bar.value() >= bar.maximum():
            return found
        bar.setValue(bar.value() + max(1, bar.pageStep() - 40))
        view += 1


def failures(found: list[Measured]) -> list[str]:
    """The texts below WCAG AA, except placeholders (grey hints in empty fields): their colour
    is the palette's (ui/style.py), not Settings', and test_settings.py's screenshots check
    them with assert_legible."""
    return [
        f"{m.widget} {m.text!r}: {m.ratio:.2f} ({m.text_colour} on {m.background})"
        for m in found
        if m.ratio < m.required
        and not (m.widget.startswith("QLineEdit") and m.text in PLACEHOLDERS)
    ]


PLACEHOLDERS = {"Paste a new key to replace the current one", "no cap"}


def names(found: list[Measured]) -> set[str]:
    """The object names of the measured widgets."""
    return {m.widget.partition("#")[2] for m in found}


def check_both_tabs(
    dialog: SettingsDialog, tmp_path: Path, tag: str, hosting_hints: tuple[str, ...]
) -> None:
    general = measured_tab(dialog, dialog.general_tab, tmp_path, f"settings-general-{tag}")
    hosting = measured_tab(dialog, dialog.hosting_tab, tmp_path, f"settings-hosting-{tag}")
    assert set(GENERAL_HINTS) <= names(general), general
    assert set(hosting_hints) <= names(hosting), hosting
    assert failures(general) == []
    assert failures(hosting) == []


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_settings_text_is_legible_in_the_demo(
    make_window: Callable[..., MainWindow],
    themed: Callable[[bool], None],
    tmp_path: Path,
    qtbot: Any,
    dark: bool,
) -> None:
    themed(dark)
    window = make_window(
        base_url="https://api.apixo.ai/api/v1", api_key=None, data_dir=tmp_path / "data", demo=True
    )
    window.resize(1024, 640)
    window.show()
    wait_started(qtbot, window, timeout=30_000)
    window.settings_action.trigger()
    dialog = window.settings_flow.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    tag = f"demo-{'dark' if dark else 'light'}"
    check_both_tabs(
        dialog,
        tmp_path,
        tag,
        ("hostingDescription", "hostingSessionNote"),
    )
    dialog.reject()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_settings_text_is_legible_with_a_key(
    memory_keyring: MemoryKeyring,
    qloop: Any,
    themed: Callable[[bool], None],
    tmp_path: Path,
    qtbot: Any,
    dark: bool,
) -> None:
    themed(dark)
    store = KeyStore()
    memory_keyring.set_password(SERVICE, USERNAME, "sk-test")
    dialog = SettingsDialog(
        settings=Settings(),
        paths=AppPaths.resolve(tmp_path / "data"),
        key_store=store,
        key_source=KeySource.KEYRING,
        keyring_ok=True,
    )
    qtbot.addWidget(dialog)
    dialog.resize(640, 560)
    dialog.show()
    qtbot.waitExposed(dialog)
    tag = f"key-{'dark' if dark else 'light'}"
    check_both_tabs(dialog, tmp_path, tag, ("hostingDescription",))
    dialog.reject()
