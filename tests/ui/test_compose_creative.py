"""The composer's creative workflow against the simulator, the real engine and sqlite.

Variations (N x price on the cost line, the images checked once, then the confirmation that
sends the takes), the daily spending cap asking before a plain Generate, and a grabbed frame
put into a frame slot through the normal hosting path. The last tests render these states in
the real window, light and dark, at 1024x640 and 1600x1000.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QComboBox, QMessageBox, QPushButton, QWidget

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    drop,
    make_window_fixture,
    running_session,
    screenshot_window,
    submits,
    wait_started,
    write_image,
)
from tests.fixtures.contrast import assert_legible
from tests.fixtures.s3 import Route
from tests.fixtures.screenshots import save_screenshot
from tests.fixtures.sim import SIM_API_KEY
from tests.ui.compose_support import (  # noqa: F401  (fixtures)
    CapHolder,
    cap_fixture,
    panel_fixture,
    session_fixture,
)
from tests.ui.test_screenshots_window import clipped_labels
from veo_desktop.core.batch import BatchJournal
from veo_desktop.core.spending import SpendingCap, store_cap
from veo_desktop.records.task import TaskRecord
from veo_desktop.sim import Fault
from veo_desktop.ui.compose.image_slot import ImageSlot, SlotState
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.session import Session
from veo_desktop.ui.variations import VariationsDialog
from veo_desktop.ui.window.main_window import MainWindow

SIZES = ((1024, 640), (1600, 1000))
FRAMES = "FIRST_AND_LAST_FRAMES_2_VIDEO"


def select(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def wait_slot(qtbot: Any, slot: ImageSlot, state: SlotState, timeout: int = 10_000) -> None:
    def settled() -> None:
        assert slot.state is state, (slot.state, slot.message_text)

    qtbot.waitUntil(settled, timeout=timeout)


def opened_dialog(qtbot: Any, panel: ComposePanel) -> VariationsDialog:
    qtbot.waitUntil(lambda: panel.variations_dialog is not None, timeout=10_000)
    dialog = panel.variations_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def go_button(panel: ComposePanel) -> QPushButton:
    """The cap question's "Generate anyway" button."""
    box = panel.cap_question
    assert box is not None and box.isVisible()
    button = box.findChild(QPushButton, "confirmOverCapButton")
    assert button is not None
    return button


def png_route(path: Path) -> Route:
    return Route(body=path.read_bytes(), content_type="image/png")


# -- variations ------------------------------------------------------------------------------


def test_the_variations_box_multiplies_the_cost_line(
    panel: ComposePanel, session: Session, qtbot: Any
) -> None:
    spin = panel.variations_spin
    assert spin.accessibleName() == "Variations" and spin.accessibleDescription()
    assert (spin.minimum(), spin.maximum(), spin.value()) == (1, 8, 1)
    assert panel.variations_label.buddy() is spin
    assert panel.cost_line.text() == "Generate · $0.20 · balance $100.00"
    assert panel.generate_button.text() == "Generate"

    panel.set_variations(4)
    assert panel.variations == 4
    assert panel.cost_line.text() == "Generate 4 variations · $0.80 · balance $100.00"
    assert panel.cost_line.toolTip() == "4 videos of $0.20 each cost $0.80 when APIXO accepts them."
    assert panel.generate_button.text() == "Generate…", "a confirmation comes first"
    assert panel.generate_button.accessibleName() == "Generate 4 variations"
    select(panel.mode_selector, "quality")
    assert panel.cost_line.text() == "Generate 4 variations · $6.00 · balance $100.00"
    session.controller.balance_changed.emit(Decimal("5.00"))
    assert panel.cost_line.full_text == (
        "Generate 4 variations · $6.00 · balance $5.00 (not enough)"
    )
    assert panel.cost_line.text().endswith("4 variations · $6.00 · balance $5.00 (not enough)")
    panel.set_variations(20)
    assert panel.variations == 8
    panel.set_variations(1)
    assert panel.cost_line.text() == "Generate · $1.50 · balance $5.00"
    assert panel.generate_button.text() == "Generate"

    # Narrow, the line keeps what matters: the total and the balance.
    panel.set_variations(8)
    panel.resize(panel.minimumWidth(), panel.height())
    qtbot.waitUntil(lambda: panel.cost_line.width() < 300)
    text = panel.cost_line.text()
    assert text.endswith("$12.00 · balance $5.00 (not enough)"), text
    assert panel.cost_line.fontMetrics().horizontalAdvance(text) <= panel.cost_line.width()
    assert panel.cost_line.full_text == (
        "Generate 8 variations · $12.00 · balance $5.00 (not enough)"
    )


def test_generate_with_variations_opens_the_confirmation_which_sends_them(
    panel: ComposePanel, qtbot: Any, sim: Any, tmp_path: Path
) -> None:
    panel.prompt_edit.setPlainText("A paper lantern rises over a night harbour")
    panel.seed_edit.setText("77")
    panel.set_variations(3)
    assert panel.generate()
    dialog = opened_dialog(qtbot, panel)
    assert dialog.parent() is panel.window()
    assert dialog.count == 3
    assert dialog.requests()[0] == panel.current_request()
    assert dialog.cost_label.text() == "3 \u00d7 $0.20 = $0.60"
    assert dialog.balance_label.text() == "$100.00 → $99.40 after"
    assert submits(sim) == [], "nothing is sent before the confirmation"
    assert not panel.generate(), "one confirmation at a time"

    made: list[list[TaskRecord]] = []
    panel.variations_submitted.connect(made.append)
    with qtbot.waitSignal(panel.submitted, timeout=15_000) as first:
        dialog.confirm_button.click()
    assert len(made) == 1 and len(made[0]) == 3
    assert first.args[0] is made[0][0]
    assert sorted(r.body["input"]["seed"] for r in submits(sim)) == sorted(
        int(t.request_model.seed or 0) for t in made[0]
    )
    assert 77 in [t.request_model.seed for t in made[0]]
    assert panel.generate_message.text() == (
        "Submitted 3 variations ($0.60). Follow them in the task list."
    )
    [journal] = (tmp_path / "batches").glob("batch-*.json")
    assert BatchJournal.load(journal).finished
    with qtbot.waitSignal(dialog.finished):
        dialog.close_button.click()
    assert panel.variations_dialog is None


def test_the_images_are_checked_once_before_the_confirmation_opens(
    panel: ComposePanel, qtbot: Any, sim: Any, tmp_path: Path, image_server: Any
) -> None:
    url = image_server.add("/start.png", png_route(write_image(tmp_path / "start.png")))
    panel.prompt_edit.setPlainText("The kite climbs over the dunes")
    select(panel.type_selector, FRAMES)
    drop(panel.first_slot, urls=[url])
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    panel.set_variations(2)

    image_server.add("/start.png", status=404, body=b"gone", content_type="text/plain")
    assert panel.generate()
    assert panel.generate_message.text() == "Checking the images…"
    assert not panel.generate_button.isEnabled()
    wait_slot(qtbot, panel.first_slot, SlotState.ERROR)
    assert panel.first_slot.message_text == (
        "The server answered 404: the image is not there. Nothing was sent."
    )
    assert panel.variations_dialog is None, "no confirmation for takes that cannot be sent"
    assert submits(sim) == []
    assert not panel.generate_button.isEnabled()

    image_server.add("/start.png", png_route(tmp_path / "start.png"))
    panel.first_slot.retry()
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    checked = len(image_server.requests_for("/start.png"))
    assert panel.generate()
    dialog = opened_dialog(qtbot, panel)
    assert len(image_server.requests_for("/start.png")) > checked
    assert dialog.requests()[0].image_urls == (url,)
    with qtbot.waitSignal(dialog.submitted, timeout=15_000):
        dialog.confirm()
    assert [r.body["input"]["image_urls"] for r in submits(sim)] == [[url], [url]]


def test_the_confirmation_asks_about_the_daily_cap(
    panel: ComposePanel, session: Session, cap: CapHolder, qtbot: Any
) -> None:
    cap.cap = SpendingCap(Decimal("0.50"), session.engine)
    panel.prompt_edit.setPlainText("Waves break on black sand")
    panel.set_variations(3)
    assert panel.generate()
    dialog = opened_dialog(qtbot, panel)
    assert "over your daily cap of $0.50" in dialog.message.text()
    assert dialog.confirm_button.text() == "Submit anyway \u2013 $0.60"
    assert panel.cap_question is None, "the confirmation itself asks"
    dialog.reject()


# -- the daily cap on a plain Generate ---------------------------------------------------------


def test_generate_asks_first_past_the_daily_cap_and_sends_nothing_on_cancel(
    panel: ComposePanel, session: Session, cap: CapHolder, qtbot: Any, sim: Any
) -> None:
    cap.cap = SpendingCap(Decimal("0.10"), session.engine)
    panel.prompt_edit.setPlainText("A hummingbird at a feeder, slow motion")
    assert panel.generate()
    box = panel.cap_question
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == (
        "This costs $0.20 and would bring today's spending to $0.20, over your daily cap "
        "of $0.10 (spent today: $0.00). Submit anyway?"
    )
    assert not panel.generate_button.isEnabled()
    assert not panel.generate(), "one question at a time"
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: panel.cap_question is None)
    assert panel.generate_message.text() == "Nothing was sent."
    assert submits(sim) == []
    assert panel.generate_button.isEnabled()
    assert panel.generate()
    assert panel.cap_question is not None
    panel.cap_question.close()  # the window's close button
    qtbot.waitUntil(lambda: panel.cap_question is None)
    assert submits(sim) == [] and panel.generate_button.isEnabled()

    assert panel.generate()
    go = go_button(panel)
    assert go.text() == "Generate anyway \u2013 $0.20"
    with qtbot.waitSignal(panel.submitted, timeout=10_000):
        go.click()
    assert len(submits(sim)) == 1


def test_under_the_cap_or_without_one_nothing_is_asked(
    panel: ComposePanel, session: Session, cap: CapHolder, qtbot: Any, sim: Any
) -> None:
    panel.prompt_edit.setPlainText("Fog rolls over a pine forest")
    with qtbot.waitSignal(panel.submitted, timeout=10_000):
        assert panel.generate()  # no cap at all
    assert panel.cap_question is None
    qtbot.waitUntil(panel.generate_button.isEnabled, timeout=5_000)
    cap.cap = SpendingCap(Decimal("1.00"), session.engine)  # $0.20 spent: $0.40 fits
    with qtbot.waitSignal(panel.submitted, timeout=10_000):
        assert panel.generate()
    assert panel.cap_question is None
    assert len(submits(sim)) == 2


def test_a_form_changed_while_asking_is_not_sent(
    panel: ComposePanel, session: Session, cap: CapHolder, qtbot: Any, sim: Any
) -> None:
    cap.cap = SpendingCap(Decimal("0"), session.engine)
    panel.prompt_edit.setPlainText("One prompt")
    assert panel.generate()
    panel.prompt_edit.setPlainText("Another prompt")  # (a drop or an upload can do this)
    go_button(panel).click()
    assert panel.generate_message.text() == (
        "The form changed while asking; nothing was sent. Press Generate again."
    )
    assert submits(sim) == []


def test_a_rejection_after_the_question_is_shown_on_the_composer(
    panel: ComposePanel, session: Session, cap: CapHolder, qtbot: Any, sim: Any
) -> None:
    cap.cap = SpendingCap(Decimal("0"), session.engine)
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    panel.prompt_edit.setPlainText("Too expensive today")
    assert panel.generate()
    go_button(panel).click()
    qtbot.waitUntil(lambda: "balance is too low" in panel.generate_message.text())


# -- a grabbed frame into a slot ------------------------------------------------------------------


@pytest.mark.parametrize("which", ["first", "last"])
def test_use_frame_hosts_the_picture_in_its_slot(
    panel: ComposePanel, qtbot: Any, sim: Any, tmp_path: Path, which: str
) -> None:
    select(panel.type_selector, "REFERENCE_2_VIDEO")
    frame = write_image(tmp_path / "frame.png", width=320, height=180, color="#c84")
    panel.use_frame(which, frame)
    assert panel.type_selector.currentData() == FRAMES
    assert panel.frames_page.isVisible()
    slot = panel.first_slot if which == "first" else panel.last_slot
    wait_slot(qtbot, slot, SlotState.READY)
    url = slot.url
    assert url is not None and url.startswith(sim.origin + "/sim/files/")
    image = slot.image
    assert image is not None and image.local_path == str(frame)
    assert (image.preview.width, image.preview.height) == (320, 180)
    hosted = QImage.fromData(httpx.get(url, trust_env=False).content)
    assert (hosted.width(), hosted.height()) == (320, 180), "the video's size, as grabbed"
    assert hosted.pixelColor(160, 90) == QColor("#c84")
    if which == "first":
        panel.prompt_edit.setPlainText("The scene continues")
        with qtbot.waitSignal(panel.submitted, timeout=10_000):
            panel.generate()
        assert submits(sim)[0].body["input"]["image_urls"] == [url]
    else:
        assert panel.images_message.text() == (
            "Add a first frame: a last frame alone is not enough."
        )


def test_use_frame_names_only_frame_slots(panel: ComposePanel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="first"):
        panel.use_frame("middle", tmp_path / "frame.png")
    assert panel.type_selector.currentData() == "TEXT_2_VIDEO"


def test_use_frame_with_a_missing_file_says_so_on_the_slot(
    panel: ComposePanel, qtbot: Any, tmp_path: Path
) -> None:
    panel.use_frame("first", tmp_path / "gone.png")
    wait_slot(qtbot, panel.first_slot, SlotState.ERROR)
    assert "gone.png" in panel.first_slot.message_text


# -- the real window ------------------------------------------------------------------------------


def window_with_dialog(window: QWidget, dialog: QWidget) -> QImage:
    """The window as a person sees it with ``dialog`` open over its centre."""
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    picture = window.grab().toImage()
    shown = dialog.grab().toImage()
    painter = QPainter(picture)
    corner = QPoint(
        (picture.width() - shown.width()) // 2, (picture.height() - shown.height()) // 2
    )
    painter.fillRect(picture.rect(), QColor(0, 0, 0, 40))
    painter.fillRect(
        corner.x() - 1, corner.y() - 1, shown.width() + 2, shown.height() + 2, QColor(0, 0, 0, 90)
    )
    painter.drawImage(corner, shown)
    painter.end()
    return picture


def test_the_window_reads_the_cap_from_its_settings(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.show()
    wait_started(qtbot, window)
    compose = window.compose_panel
    assert compose is not None and window.session is not None
    store_cap(window.settings, Decimal("0.10"))
    compose.prompt_edit.setPlainText("A snail crosses a wet leaf")
    assert compose.generate()
    box = compose.cap_question
    assert box is not None and "over your daily cap of $0.10" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: compose.cap_question is None)
    assert submits(sim) == []
    assert compose.variations_journal_dir() == window.session.paths.data_dir / "batches"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", SIZES, ids=["1024x640", "1600x1000"])
def test_screenshots(
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
    compose.prompt_edit.setPlainText(
        "A paper lantern rises over a night harbour, slow dolly out, warm light on the water"
    )
    compose.set_variations(4)
    assert compose.cost_line.full_text == "Generate 4 variations · $0.80 · balance $100.00"
    assert compose.cost_line.text().endswith("$0.80 · balance $100.00")
    for _ in range(3):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    save_screenshot(window.grab().toImage(), tmp_path, f"compose-variations-{tag}")
    assert_legible(window, window.grab(), f"compose-variations-{tag}")
    assert clipped_labels(compose) == []
    assert compose.generate_button.width() >= compose.generate_button.sizeHint().width()

    compose.set_variations(1)
    store_cap(window.settings, Decimal("0.10"))
    assert compose.generate()
    box = compose.cap_question
    assert box is not None
    save_screenshot(window_with_dialog(window, box), tmp_path, f"compose-cap-question-{tag}")
    assert_legible(box, box.grab(), f"compose-cap-question-{tag}")
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: compose.cap_question is None)
