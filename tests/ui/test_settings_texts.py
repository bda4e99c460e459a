"""What a person reads in Settings, and that it is true: the check-gap row reads as one
labelled sentence; the image hosting page says one thing about local files, the thing that
happens (the simulator hosts them in the demo; with a key and no hosting they cannot be
used); the key hint in the demo names a way to a real key that is on the screen, however the
demo was reached."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    drop,
    make_window_fixture,
    wait_started,
    write_image,
)
from tests.fixtures.contrast import assert_legible
from tests.fixtures.screenshots import check_and_save, save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.core.key_source import KeySource
from veo_desktop.core.paths import AppPaths
from veo_desktop.core.secrets import KeyStore
from veo_desktop.core.settings import Settings
from veo_desktop.core.timing import PollTiming
from veo_desktop.hosting import HostingError, ProviderKind
from veo_desktop.hosting.model import PreparedImage
from veo_desktop.runtime.wiring import image_provider
from veo_desktop.ui.settings.dialog import SettingsDialog
from veo_desktop.ui.window.main_window import MainWindow


def plain(text: str) -> str:
    """A label's text as read: without the mnemonic's ampersand."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def box_of(widget: QWidget, top: QWidget) -> QRect:
    return QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())


def row_as_read(section: QWidget, anchor: QWidget) -> str:
    """The visible labels and fields on ``anchor``'s line of ``section``, left to right."""
    line = box_of(anchor, section)
    found: list[tuple[int, str]] = []
    for widget in section.findChildren(QWidget):
        if not widget.isVisible():
            continue
        box = box_of(widget, section)
        if box.bottom() < line.top() or box.top() > line.bottom():
            continue
        if isinstance(widget, QLabel) and widget.text().strip():
            found.append((box.left(), plain(widget.text())))
        elif isinstance(widget, QAbstractSpinBox):
            found.append((box.left(), widget.text()))
    return " ".join(text for _x, text in sorted(found))


def visible_texts(page: QWidget) -> str:
    """Every text on ``page`` a person can see: labels, and the chosen entries of combos."""
    from PySide6.QtWidgets import QComboBox

    texts = [
        label.text()
        for label in page.findChildren(QLabel)
        if label.isVisible() and label.text().strip()
    ]
    texts += [combo.currentText() for combo in page.findChildren(QComboBox) if combo.isVisible()]
    return "\n".join(texts)


def key_dialog(tmp_path: Path, qtbot: Any, settings: Settings | None = None) -> SettingsDialog:
    """The dialog as opened with a key against the real API (no simulator, no session)."""
    dialog = SettingsDialog(
        settings=settings or Settings(),
        paths=AppPaths.resolve(tmp_path / "data"),
        key_store=KeyStore(),
        key_source=KeySource.ENVIRONMENT,
        keyring_ok=False,
    )
    qtbot.addWidget(dialog)
    dialog.resize(640, 600)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


# -- "Then every: 5.0 s | 10 s" ------------------------------------------------------------


def test_the_check_gap_row_reads_as_one_labelled_sentence(
    qloop: Any, tmp_path: Path, qtbot: Any, themed: Callable[[bool], None]
) -> None:
    themed(False)
    timing = PollTiming(first_poll_fast=60, first_poll_quality=90, interval_min=5, interval_max=10)
    dialog = key_dialog(tmp_path, qtbot, Settings(timing=timing))
    polling = dialog.polling
    dialog.general_tab.ensureWidgetVisible(polling.interval_max)
    check_and_save(dialog, tmp_path, "settings-check-gaps")

    assert row_as_read(polling, polling.interval_min) == "Then check every: 5.0 s to 10 s"
    # Each field has its own label (a buddy: its mnemonic focuses it) and its own name.
    spins = polling.findChildren(QDoubleSpinBox)
    buddies = {
        id(label.buddy()): plain(label.text())
        for label in polling.findChildren(QLabel)
        if label.buddy() is not None
    }
    assert {spin.objectName(): buddies.get(id(spin)) for spin in spins} == {
        "firstPollFast": "First check (fast):",
        "firstPollQuality": "First check (quality):",
        "intervalMin": "Then check every:",
        "intervalMax": "to",
    }
    assert polling.interval_min.accessibleName() == "Shortest gap between checks"
    assert polling.interval_max.accessibleName() == "Longest gap between checks"
    names = [spin.accessibleName() for spin in spins]
    assert len(set(names)) == len(names) == 4
    # The problem the row can have speaks of the same two gaps.
    polling.interval_max.setValue(2)
    assert polling.timing_message.text() == (
        "The longest gap must not be shorter than the shortest."
    )
    dialog.reject()


# -- Image hosting: one story about local files, the true one -------------------------------


def test_with_a_key_and_no_hosting_the_page_says_local_files_wait_for_hosting(
    qloop: Any, arun: Callable[..., Any], tmp_path: Path, qtbot: Any
) -> None:
    dialog = key_dialog(tmp_path, qtbot)
    dialog.tabs.setCurrentWidget(dialog.hosting_tab)
    save_screenshot(dialog.grab(), tmp_path, "settings-hosting-key")
    assert_legible(dialog, dialog.grab(), "settings-hosting-key")
    page = visible_texts(dialog.hosting_tab)
    assert dialog.hosting.config().provider is ProviderKind.URL
    assert "URL only (no uploads)" in page
    assert (
        "Local image files cannot be used until image hosting is set up: choose "
        "S3-compatible storage for them." in dialog.hosting.description.text()
    )
    assert "simulator" not in page.lower()
    assert dialog.hosting_note.isHidden()

    # What happens: a session against the real API with this configuration refuses a file.
    async def upload() -> str:
        async with httpx.AsyncClient() as http:
            provider = await image_provider(
                dialog.hosting.config(), secrets=None, http=http, demo_origin=None
            )
            image = PreparedImage(
                data=b"\x89PNG", mime="image/png", width=1, height=1, sha256="0" * 64
            )
            with pytest.raises(HostingError) as refused:
                await provider.upload(image)
            return str(refused.value)

    assert "Local files need image hosting" in arun(upload())
    dialog.reject()


@pytest.mark.parametrize("start", ["demo", "simulator-with-key"])
def test_while_the_simulator_is_the_api_the_page_says_it_hosts_local_files(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    start: str,
) -> None:
    if start == "demo":
        window = make_window(
            base_url="https://api.apixo.ai/api/v1",
            api_key=None,
            data_dir=tmp_path / "data",
            demo=True,
        )
    else:
        window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.resize(1024, 640)
    window.show()
    wait_started(qtbot, window, timeout=30_000)
    session = window.session
    assert session is not None and session.demo_origin is not None

    # What happens: a local file dropped on a slot is hosted by the simulator.
    compose = window.compose_panel
    assert compose is not None
    compose.type_selector.setCurrentIndex(
        compose.type_selector.findData("FIRST_AND_LAST_FRAMES_2_VIDEO")
    )
    drop(compose.first_slot, urls=[str(write_image(tmp_path / "frame.png"))])
    qtbot.waitUntil(lambda: compose.first_slot.url is not None, timeout=15_000)
    url = compose.first_slot.url
    assert url is not None and url.startswith(session.demo_origin)

    window.settings_action.trigger()
    dialog = window.settings_flow.dialog
    assert dialog is not None
    dialog.tabs.setCurrentWidget(dialog.hosting_tab)
    save_screenshot(dialog.grab(), tmp_path, f"settings-hosting-{start}")
    assert_legible(dialog, dialog.grab(), f"settings-hosting-{start}")
    hosting = dialog.hosting
    for kind in (ProviderKind.URL, ProviderKind.DEMO, ProviderKind.S3):
        hosting.provider.setCurrentIndex(hosting.provider.findData(kind.value))
        page = visible_texts(dialog.hosting_tab)
        assert "cannot be used" not in page, (kind, page)
        assert "no uploads" not in page, (kind, page)
        assert (
            "Unless S3-compatible storage is chosen, local images go to the simulator "
            f"({session.demo_origin}) while it is the API." in page
        ), (kind, page)
    hosting.provider.setCurrentIndex(hosting.provider.findData(ProviderKind.URL.value))
    assert hosting.provider.currentText() == "URL only (local files go to the simulator)"
    # The note sits right under what the choice does, not below the page's empty space.
    note = box_of(dialog.hosting_note, dialog)
    described = box_of(hosting.description, dialog)
    assert 0 <= note.top() - described.bottom() <= 24
    dialog.reject()


# -- The key hint in the demo ---------------------------------------------------------------


@pytest.mark.parametrize("start", ["--demo", "no-key"])
def test_the_demo_key_hint_names_a_button_that_leads_to_a_key(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    start: str,
) -> None:
    """``veo-desktop --demo`` and a start with no key both run the demo; the hint fits both."""
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.resize(1024, 640)
    window.show()
    if start == "--demo":
        window.start_demo()  # what app_loop does for --demo
    else:
        window.start_demo_with_welcome()  # what app_loop does with no key anywhere
        sheet = window.welcome_sheet
        assert sheet is not None
        stay = sheet.findChild(QAbstractButton, "tryDemoButton")
        assert stay is not None
        stay.click()
        qtbot.waitUntil(lambda: window.welcome_sheet is None)
    wait_started(qtbot, window, timeout=30_000)

    window.settings_action.trigger()
    dialog = window.settings_flow.dialog
    assert dialog is not None
    save_screenshot(dialog.grab(), tmp_path, f"settings-key-{start.strip('-')}")
    hint = dialog.api_key.key_message.text()
    assert "--demo" not in hint and "normal start" not in hint
    assert dialog.api_key.key_message.isVisible()
    assert not dialog.api_key.key_edit.isEnabled()
    named = re.search(r"\u201c(.+?)\u201d", hint)
    assert named is not None, hint
    dialog.reject()
    qtbot.waitUntil(lambda: window.settings_flow.dialog is None)

    buttons = [
        b
        for b in window.findChildren(QAbstractButton)
        if b.isVisible() and plain(b.text()) == named.group(1)
    ]
    assert len(buttons) == 1, (named.group(1), [b.text() for b in buttons])
    buttons[0].click()
    sheet = window.welcome_sheet
    assert sheet is not None and sheet.isVisible()
    key_edit = sheet.findChild(QLineEdit, "welcomeKeyEdit")
    assert key_edit is not None and key_edit.isVisible() and key_edit.isEnabled()
    sheet.reject()
    qtbot.waitUntil(lambda: window.welcome_sheet is None)


def test_with_no_key_the_key_field_is_where_a_key_goes(
    qloop: Any, tmp_path: Path, qtbot: Any
) -> None:
    dialog = SettingsDialog(
        settings=Settings(),
        paths=AppPaths.resolve(tmp_path / "data"),
        key_store=KeyStore(),
        key_source=KeySource.NONE,
        keyring_ok=False,
    )
    qtbot.addWidget(dialog)
    assert dialog.api_key.key_status.text() == "No key yet: paste yours below and press OK."
    assert dialog.api_key.key_edit.isEnabled()
