"""The Compose section against the real engine, controller and simulator over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QFileDialog

from tests.e2e.helpers import drop, running_session, submits, write_image
from veo_desktop.api.models import MAX_SEED, GenerationRequest
from veo_desktop.hosting import ImageHost, UrlChecker, UrlOnlyProvider
from veo_desktop.hosting.providers import NO_HOSTING_MESSAGE
from veo_desktop.sim.faults import Fault
from veo_desktop.ui.compose.image_slot import ImageSlot, SlotState
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.images import ImageUploader
from veo_desktop.ui.session import Session


@pytest.fixture
def session(sim: Any, tmp_path: Path, arun: Any) -> Iterator[Session]:
    with running_session(sim, tmp_path / "data", arun) as opened:
        yield opened


@pytest.fixture
def panel(session: Session, qtbot: Any) -> Iterator[ComposePanel]:
    widget = ComposePanel(session.controller, session.uploader)
    qtbot.addWidget(widget)
    widget.resize(360, 720)
    widget.show()
    yield widget
    widget.cancel()


def select(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def item_enabled(combo: QComboBox, value: str) -> bool:
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    return model.item(combo.findData(value)).isEnabled()


def item_tooltip(combo: QComboBox, value: str) -> str:
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    return model.item(combo.findData(value)).toolTip()


def wait_slot(qtbot: Any, slot: ImageSlot, state: SlotState, timeout: int = 10_000) -> None:
    def settled() -> None:
        assert slot.state is state, (slot.state, slot.message_text)

    qtbot.waitUntil(settled, timeout=timeout)


# -- prompt --------------------------------------------------------------------------------


def test_counter_counts_live_and_marks_the_prompt_past_the_limit(
    panel: ComposePanel, qtbot: Any
) -> None:
    assert panel.prompt_counter.text() == "0 / 10,000"
    assert not panel.generate_button.isEnabled()
    qtbot.keyClicks(panel.prompt_edit, "A fox")
    assert panel.prompt_counter.text() == "5 / 10,000"
    assert panel.generate_button.isEnabled()

    panel.prompt_edit.setPlainText("x" * 10_003)
    assert panel.prompt_counter.text() == "10,003 / 10,000"
    assert not panel.generate_button.isEnabled()
    assert "limit is 10,000" in panel.prompt_message.text()
    assert "Shorten it by 3" in panel.prompt_message.text()
    marked = panel.prompt_edit.extraSelections()
    assert len(marked) == 1
    assert marked[0].cursor.selectionStart() == 10_000
    assert marked[0].cursor.selectionEnd() == 10_003

    panel.prompt_edit.setPlainText("x" * 10_000)
    assert panel.generate_button.isEnabled()
    assert panel.prompt_edit.extraSelections() == []
    assert not panel.prompt_message.isVisible()


def test_prompt_undo_and_redo(panel: ComposePanel, qtbot: Any) -> None:
    qtbot.keyClicks(panel.prompt_edit, "first")
    panel.prompt_edit.selectAll()
    qtbot.keyClicks(panel.prompt_edit, "second")
    panel.prompt_edit.undo()
    assert panel.prompt_edit.toPlainText() == "first"
    panel.prompt_edit.redo()
    assert panel.prompt_edit.toPlainText() == "second"


def test_empty_prompt_is_a_hint_not_an_error_until_touched(panel: ComposePanel, qtbot: Any) -> None:
    assert not panel.prompt_message.isVisible()
    assert panel.generate_message.text() == "Write a prompt to generate."
    qtbot.keyClicks(panel.prompt_edit, "x")
    panel.prompt_edit.clear()
    assert panel.prompt_message.text() == "Write a prompt: describe the video you want."


# -- options ---------------------------------------------------------------------------------


def test_selectors_carry_api_values_and_prices(panel: ComposePanel) -> None:
    modes = [panel.mode_selector.itemData(i) for i in range(panel.mode_selector.count())]
    assert modes == ["fast", "quality"]
    assert "$0.20" in panel.mode_selector.itemText(0)
    assert "$1.50" in panel.mode_selector.itemText(1)
    kinds = [panel.type_selector.itemData(i) for i in range(panel.type_selector.count())]
    assert kinds == ["TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO", "REFERENCE_2_VIDEO"]
    aspects = [panel.aspect_selector.itemData(i) for i in range(panel.aspect_selector.count())]
    assert aspects == ["16:9", "9:16", "auto"]
    for combo in (panel.mode_selector, panel.type_selector, panel.aspect_selector):
        assert combo.accessibleName()
        assert combo.accessibleDescription()


def test_each_type_has_a_one_line_explanation_and_its_slots(panel: ComposePanel) -> None:
    seen = set()
    for kind in ("TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO", "REFERENCE_2_VIDEO"):
        select(panel.type_selector, kind)
        seen.add(panel.type_explanation.text())
        assert panel.frames_page.isVisible() == (kind == "FIRST_AND_LAST_FRAMES_2_VIDEO")
        assert panel.references_page.isVisible() == (kind == "REFERENCE_2_VIDEO")
    assert len(seen) == 3


def test_reference_images_switch_to_fast_and_16_9_and_say_why(panel: ComposePanel) -> None:
    select(panel.mode_selector, "quality")
    select(panel.aspect_selector, "9:16")
    select(panel.type_selector, "REFERENCE_2_VIDEO")
    assert panel.mode_selector.currentData() == "fast"
    assert panel.aspect_selector.currentData() == "16:9"
    assert not item_enabled(panel.mode_selector, "quality")
    assert (
        item_tooltip(panel.mode_selector, "quality") == "Reference images work only in fast mode."
    )
    for aspect in ("9:16", "auto"):
        assert not item_enabled(panel.aspect_selector, aspect)
        assert "only with 16:9" in item_tooltip(panel.aspect_selector, aspect)
    assert "fast mode and 16:9" in panel.type_explanation.text()

    select(panel.type_selector, "TEXT_2_VIDEO")
    assert item_enabled(panel.mode_selector, "quality")
    assert item_enabled(panel.aspect_selector, "9:16")
    assert item_tooltip(panel.mode_selector, "quality") == ""


def test_seed_watermark_and_advanced_options_reach_the_request(
    panel: ComposePanel, qtbot: Any
) -> None:
    panel.prompt_edit.setPlainText("waves")
    assert panel.seed_edit.placeholderText() == "random"
    assert panel.current_request().seed is None
    panel.seed_edit.setText("42")
    panel.watermark_edit.setText("studio")
    panel.advanced.set_expanded(True)
    select(panel.provider_selector, "official")
    select(panel.translation_selector, False)
    body = panel.current_request().to_payload()
    assert body["provider"] == "official"
    assert body["input"]["seed"] == 42
    assert body["input"]["watermark"] == "studio"
    assert body["input"]["enableTranslation"] is False

    panel.seed_edit.setText(str(MAX_SEED + 1))
    assert not panel.generate_button.isEnabled()
    assert panel.seed_message.text() == f"The seed must be a whole number from 0 to {MAX_SEED}."
    panel.seed_edit.clear()
    qtbot.keyClicks(panel.seed_edit, "7a")  # the field takes digits only
    assert panel.seed_edit.text() == "7"
    panel.seed_edit.setText("seven")  # text set around the validator is still refused
    assert panel.seed_message.text() == f"The seed must be a whole number from 0 to {MAX_SEED}."
    panel.seed_edit.clear()
    assert panel.generate_button.isEnabled()


# -- image slots -------------------------------------------------------------------------------


def test_frames_need_a_first_frame_and_slots_take_dropped_files(
    panel: ComposePanel, qtbot: Any, tmp_path: Path, sim: Any
) -> None:
    panel.prompt_edit.setPlainText("the sun sets")
    select(panel.type_selector, "FIRST_AND_LAST_FRAMES_2_VIDEO")
    assert not panel.generate_button.isEnabled()
    assert "needs a first frame" in panel.images_message.text()

    last = write_image(tmp_path / "last.png", color="#c33")
    drop(panel.last_slot, urls=[str(last)])
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    assert panel.images_message.text() == "Add a first frame: a last frame alone is not enough."
    assert not panel.generate_button.isEnabled()

    panel.swap_button.click()
    assert panel.first_slot.state is SlotState.READY
    assert panel.last_slot.state is SlotState.EMPTY
    assert panel.generate_button.isEnabled()
    url = panel.first_slot.url
    assert url is not None and url.startswith(sim.origin + "/sim/files/")
    assert panel.current_request().image_urls == (url,)
    image = panel.first_slot.image
    assert image is not None
    assert image.preview.name == "last.png"
    assert ("PNG" in image.preview.summary and "KB" in image.preview.summary) or "bytes" in (
        image.preview.summary
    )
    assert not image.preview.thumbnail.isNull()


def test_three_reference_slots_take_files_urls_and_pixels(
    panel: ComposePanel, qtbot: Any, tmp_path: Path, sim: Any
) -> None:
    panel.prompt_edit.setPlainText("a cat in a hat")
    select(panel.type_selector, "REFERENCE_2_VIDEO")
    one, two, three = panel.reference_slots
    drop(one, urls=[str(write_image(tmp_path / "one.jpg"))])
    web_url = sim.add_media_file(write_image(tmp_path / "web.png", color="#36c"))
    drop(two, urls=[web_url])  # a browser drags the image's address
    pixels = QImage(40, 30, QImage.Format.Format_RGB32)
    pixels.fill(QColor("#fc0"))
    drop(three, image=pixels)
    for slot in (one, two, three):
        wait_slot(qtbot, slot, SlotState.READY)
    assert two.url == web_url
    urls = panel.current_request().image_urls
    assert len(urls) == 3 and urls[1] == web_url
    assert panel.generate_button.isEnabled()


def test_slot_problems_are_shown_inline(
    panel: ComposePanel, qtbot: Any, tmp_path: Path, sim: Any
) -> None:
    panel.prompt_edit.setPlainText("a cat")
    select(panel.type_selector, "REFERENCE_2_VIDEO")
    one, two, three = panel.reference_slots

    gif = tmp_path / "anim.gif"
    gif.write_bytes(b"GIF89a" + b"\0" * 64)
    drop(one, urls=[str(gif)])
    wait_slot(qtbot, one, SlotState.ERROR)
    assert one.message_text.startswith("anim.gif looks like a GIF image but cannot be decoded")

    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    drop(two, urls=[str(notes)])
    wait_slot(qtbot, two, SlotState.ERROR)
    assert two.message_text.startswith("notes.txt is a text file, not an image")

    drop(three, urls=[f"{sim.origin}/media/files/0000/missing.png"])
    wait_slot(qtbot, three, SlotState.ERROR)
    assert three.message_text == "The server answered 404: the image is not there."

    assert not panel.generate_button.isEnabled()
    assert "problems above" in panel.generate_message.text()

    three.clear()
    assert three.state is SlotState.EMPTY and three.message_text == ""
    drop(three, urls=["http://example.com/photo.png"])
    wait_slot(qtbot, three, SlotState.ERROR)
    assert "must use https://" in three.message_text

    for slot in (one, two, three):
        slot.clear()
    assert "needs a reference image (up to 3)" in panel.images_message.text()


def test_unreachable_host_is_reported(panel: ComposePanel, qtbot: Any) -> None:
    select(panel.type_selector, "FIRST_AND_LAST_FRAMES_2_VIDEO")
    drop(panel.first_slot, text="http://127.0.0.1:9/nothing.png")
    wait_slot(qtbot, panel.first_slot, SlotState.ERROR)
    assert panel.first_slot.message_text == (
        "127.0.0.1:9 refused the connection: nothing is serving images there."
    )


def test_local_files_need_hosting_outside_the_simulator(
    qtbot: Any, tmp_path: Path, qloop: Any
) -> None:
    uploader = ImageUploader(UrlChecker, host=ImageHost(UrlOnlyProvider()))
    assert not uploader.can_upload
    slot = ImageSlot("First frame", uploader)
    qtbot.addWidget(slot)
    drop(slot, urls=[str(write_image(tmp_path / "a.png"))])
    wait_slot(qtbot, slot, SlotState.ERROR)
    assert slot.message_text == NO_HOSTING_MESSAGE
    assert "Settings > Image hosting" in slot.message_text
    assert slot.image is None
    task = qloop.create_task(uploader.aclose())
    qtbot.waitUntil(task.done)


def test_paste_takes_an_image_or_an_address(
    panel: ComposePanel, qtbot: Any, tmp_path: Path, sim: Any
) -> None:
    select(panel.type_selector, "FIRST_AND_LAST_FRAMES_2_VIDEO")
    clipboard = QGuiApplication.clipboard()
    pixels = QImage(32, 32, QImage.Format.Format_RGB32)
    pixels.fill(QColor("#0a0"))
    clipboard.setImage(pixels)
    panel.first_slot.setFocus()
    qtbot.keyClick(panel.first_slot, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    assert panel.first_slot.url is not None

    url = sim.add_media_file(write_image(tmp_path / "end.png"))
    mime = QMimeData()
    mime.setText(url)
    clipboard.setMimeData(mime)
    assert panel.last_slot.paste()
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    assert panel.last_slot.url == url
    qtbot.keyClick(panel.last_slot, Qt.Key.Key_Delete)
    assert panel.last_slot.state is SlotState.EMPTY

    clipboard.setText("just words")
    assert not panel.last_slot.paste()
    assert "no image" in panel.last_slot.message_text
    clipboard.clear()


def test_file_dialog_fills_the_slot(panel: ComposePanel, qtbot: Any, tmp_path: Path) -> None:
    select(panel.type_selector, "FIRST_AND_LAST_FRAMES_2_VIDEO")
    path = write_image(tmp_path / "chosen.png")
    panel.first_slot.browse()
    dialog = panel.window().findChild(QFileDialog, "firstFrameSlotFileDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.fileSelected.emit(str(path))
    dialog.reject()
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    image = panel.first_slot.image
    assert image is not None and image.local_path == str(path)


def test_load_request_fills_the_form_images_included(
    panel: ComposePanel, qtbot: Any, tmp_path: Path, sim: Any
) -> None:
    first = sim.add_media_file(write_image(tmp_path / "a.png"))
    last = sim.add_media_file(write_image(tmp_path / "b.png"))
    request = GenerationRequest(
        prompt="again",
        mode="quality",
        generation_type="FIRST_AND_LAST_FRAMES_2_VIDEO",
        aspect_ratio="9:16",
        image_urls=(first, last),
        seed=7,
        watermark="w",
        provider="value",
        enable_translation=True,
    )
    panel.load_request(request)
    wait_slot(qtbot, panel.first_slot, SlotState.READY)
    wait_slot(qtbot, panel.last_slot, SlotState.READY)
    assert panel.current_request() == request
    assert panel.advanced.is_expanded()


def test_reference_rules_are_shown_for_a_loaded_request(panel: ComposePanel, qtbot: Any) -> None:
    panel.load_request(
        GenerationRequest(
            prompt="p", mode="quality", generation_type="REFERENCE_2_VIDEO", aspect_ratio="auto"
        )
    )
    assert panel.mode_message.text() == "Reference images work only in fast mode. Choose fast."
    assert panel.aspect_message.text() == "Reference images work only with 16:9. Choose 16:9."
    assert not panel.generate_button.isEnabled()


# -- generate ----------------------------------------------------------------------------------


def test_generate_sends_one_task_and_refreshes_the_balance(
    panel: ComposePanel, qtbot: Any, sim: Any
) -> None:
    qtbot.waitUntil(lambda: "balance $100.00" in panel.cost_line.text())
    assert panel.cost_line.text() == "Generate · $0.20 · balance $100.00"
    select(panel.mode_selector, "quality")
    assert panel.cost_line.text() == "Generate · $1.50 · balance $100.00"
    qtbot.keyClicks(panel.prompt_edit, "a lighthouse in a storm")
    with qtbot.waitSignal(panel.submitted, timeout=10_000) as submitted:
        qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        panel.generate_button.click()  # a second press while the first is on its way
        panel.generate()
    record = submitted.args[0]
    assert record.prompt == "a lighthouse in a storm"
    sent = submits(sim)
    assert len(sent) == 1
    assert sent[0].body["input"] == {
        "mode": "quality",
        "prompt": "a lighthouse in a storm",
        "generationType": "TEXT_2_VIDEO",
        "aspect_ratio": "16:9",
    }
    assert not panel.generate_button.isEnabled()  # resting after the submission
    assert panel.generate_message.text().startswith("Submitted ($1.50)")
    qtbot.waitUntil(lambda: "balance $98.50" in panel.cost_line.text())
    qtbot.waitUntil(panel.generate_button.isEnabled, timeout=5000)
    assert len(submits(sim)) == 1


def test_nothing_invalid_is_sent(panel: ComposePanel, sim: Any) -> None:
    panel.prompt_edit.setPlainText("x" * 10_001)
    assert panel.generate() is False
    select(panel.type_selector, "REFERENCE_2_VIDEO")
    panel.prompt_edit.setPlainText("ok")
    assert panel.generate() is False
    assert submits(sim) == []


def test_a_rejected_submission_is_explained(panel: ComposePanel, qtbot: Any, sim: Any) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    panel.prompt_edit.setPlainText("too expensive")
    assert panel.generate()
    qtbot.waitUntil(lambda: "balance is too low" in panel.generate_message.text())
    assert panel.generate_button.isEnabled()


def test_balance_shortfall_is_flagged_on_the_cost_line(
    panel: ComposePanel, session: Session, qtbot: Any
) -> None:
    session.controller.balance_changed.emit(Decimal("1.00"))
    select(panel.mode_selector, "quality")
    assert panel.cost_line.text() == "Generate · $1.50 · balance $1.00 (not enough)"
    session.controller.balance_changed.emit(None)
    assert panel.cost_line.text() == "Generate · $1.50 · balance unknown"
