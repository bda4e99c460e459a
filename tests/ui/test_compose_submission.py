"""The composer's parts together: the form model drives the controls, the controls drive the
model, and a submission walks through its states, against the simulator and the real engine.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from tests.e2e.helpers import drop, submits, write_image
from tests.fixtures.s3 import Route
from tests.ui.compose_support import (  # noqa: F401  (fixtures)
    CapHolder,
    cap_fixture,
    panel_fixture,
    session_fixture,
)
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.spending import SpendingCap
from veo_desktop.sim import Fault
from veo_desktop.ui.compose.image_slot import ImageSlot
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.compose.slot_model import SlotModel, SlotState
from veo_desktop.ui.compose.submission import SubmitState
from veo_desktop.ui.session import Session

FRAMES = "FIRST_AND_LAST_FRAMES_2_VIDEO"


class StateLog:
    """Every state the submission passes through."""

    def __init__(self, panel: ComposePanel) -> None:
        self.states: list[SubmitState] = []
        panel.submission.state_changed.connect(self.states.append)


# -- the model drives the controls -------------------------------------------------------------


def test_a_change_to_the_form_model_shows_in_the_controls(panel: ComposePanel) -> None:
    form = panel.form
    form.set_generation_type("REFERENCE_2_VIDEO")
    assert panel.type_selector.currentData() == "REFERENCE_2_VIDEO"
    assert panel.references_page.isVisible()
    form.set_prompt("a cat in a hat")
    assert panel.prompt_edit.toPlainText() == "a cat in a hat"
    assert panel.prompt_counter.text() == "14 / 10,000"
    form.set_seed_text("12")
    assert panel.seed_edit.text() == "12"
    form.set_variations(3)
    assert panel.variations_spin.value() == 3
    assert panel.cost_line.text() == "Generate 3 variations · $0.60 · balance $100.00"
    form.set_generation_type("TEXT_2_VIDEO")
    assert panel.current_request() == GenerationRequest(prompt="a cat in a hat", seed=12)
    assert panel.generate_button.isEnabled()


def test_the_controls_write_into_the_model(panel: ComposePanel, qtbot: Any) -> None:
    qtbot.keyClicks(panel.prompt_edit, "fog")
    panel.watermark_edit.setText("studio")
    panel.provider_selector.setCurrentIndex(panel.provider_selector.findData("value"))
    panel.set_variations(2)
    form = panel.form
    assert (form.prompt, form.watermark, form.provider, form.variations) == (
        "fog",
        "studio",
        "value",
        2,
    )
    assert form.prompt_touched
    assert panel.current_request() is form.request


def test_every_slot_shows_its_model(panel: ComposePanel) -> None:
    for view, model in zip(panel.all_slots, panel.form.all_slots, strict=True):
        assert view.model is model
        assert view.objectName() == model.name


def test_a_slot_of_its_own_shows_a_ready_model(session: Session, qtbot: Any) -> None:
    model = SlotModel("Reference 1")
    slot = ImageSlot("Reference 1", session.uploader, model=model)
    qtbot.addWidget(slot)
    generation = model.start("Checking…", "https://img.example/x.png")
    assert slot.state is SlotState.BUSY and slot.busy_text == "Checking…"
    model.fail(generation, "The server answered 404: the image is not there.", "x")
    assert slot.message_text == "The server answered 404: the image is not there."
    assert slot.retry_button.isVisibleTo(slot)
    model.clear()
    assert slot.message_text == "" and not slot.clear_button.isVisibleTo(slot)


# -- the submission's states ---------------------------------------------------------------------


def test_one_take_is_sent_then_generate_rests(panel: ComposePanel, qtbot: Any, sim: Any) -> None:
    log = StateLog(panel)
    panel.prompt_edit.setPlainText("a lighthouse")
    assert panel.submission.state is SubmitState.IDLE
    with qtbot.waitSignal(panel.submitted, timeout=10_000):
        assert panel.generate()
        assert panel.submission.state is SubmitState.SENDING
        assert panel.submitting
    assert panel.submission.state is SubmitState.RESTING
    assert not panel.generate(), "resting"
    qtbot.waitUntil(lambda: panel.submission.state is SubmitState.IDLE, timeout=5_000)
    assert SubmitState.SENDING in log.states and SubmitState.RESTING in log.states
    assert log.states[-1] is SubmitState.IDLE
    assert len(submits(sim)) == 1


def test_a_refused_take_goes_back_to_idle(panel: ComposePanel, qtbot: Any, sim: Any) -> None:
    sim.add_fault(Fault(endpoint="submit", kind="http_error", status=402))
    panel.prompt_edit.setPlainText("too expensive")
    assert panel.generate()
    qtbot.waitUntil(lambda: "balance is too low" in panel.generate_message.text())
    assert panel.submission.state is SubmitState.IDLE
    assert panel.form.server_problem_elsewhere is not None
    panel.prompt_edit.setPlainText("cheaper")
    assert panel.form.server_problem is None, "the next edit clears what APIXO said"


def test_the_cap_question_is_a_state_of_its_own(
    panel: ComposePanel, session: Session, cap: CapHolder, qtbot: Any, sim: Any
) -> None:
    cap.cap = SpendingCap(Decimal("0.10"), session.engine)
    panel.prompt_edit.setPlainText("A hummingbird")
    assert panel.generate()
    assert panel.submission.state is SubmitState.ASKING_TO_PAY
    box = panel.cap_question
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: panel.submission.state is SubmitState.IDLE)
    assert panel.cap_question is None and submits(sim) == []


def test_variations_with_images_are_checked_in_their_own_state(
    panel: ComposePanel, qtbot: Any, tmp_path: Path, image_server: Any
) -> None:
    png = write_image(tmp_path / "start.png")
    url = image_server.add("/start.png", Route(body=png.read_bytes(), content_type="image/png"))
    panel.prompt_edit.setPlainText("The kite climbs")
    panel.form.set_generation_type(FRAMES)
    drop(panel.first_slot, urls=[url])
    qtbot.waitUntil(lambda: panel.first_slot.state is SlotState.READY, timeout=10_000)
    panel.set_variations(2)
    log = StateLog(panel)
    assert panel.generate()
    assert panel.submission.state is SubmitState.CHECKING_IMAGES
    qtbot.waitUntil(lambda: panel.variations_dialog is not None, timeout=10_000)
    assert panel.submission.state is SubmitState.IDLE
    assert log.states == [SubmitState.CHECKING_IMAGES, SubmitState.IDLE]
    dialog = panel.variations_dialog
    assert dialog is not None
    dialog.reject()


def delete(qtbot: Any, widget: QWidget) -> None:
    """Delete ``widget`` as Qt does later, and wait until it is gone."""
    gone: list[bool] = []
    widget.destroyed.connect(lambda *_: gone.append(True))
    widget.deleteLater()
    qtbot.waitUntil(lambda: bool(gone))


def test_a_deleted_view_stops_listening_to_its_model(session: Session, qtbot: Any) -> None:
    model = SlotModel("Reference 1")
    slot = ImageSlot("Reference 1", session.uploader, model=model)
    delete(qtbot, slot)
    generation = model.start("Checking…", "https://img.example/x.png")  # no deleted widget called
    model.fail(generation, "gone", "x")
    assert model.state is SlotState.ERROR

    panel = ComposePanel(session.controller, session.uploader)
    form = panel.form
    delete(qtbot, panel)
    form.set_prompt("still a model")
    form.set_variations(3)
    assert form.valid and form.variations == 3
