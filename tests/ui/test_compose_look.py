"""What a person sees of the composer: hints they can read (contrast measured on the grabbed
pixels), a form that stays still while hints come and go, and the focus back in the prompt
after Generate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QVBoxLayout, QWidget

from tests.e2e.helpers import running_session, submits, write_image
from tests.fixtures.contrast import label_contrast
from veo_desktop.core.spending import SpendingCap
from veo_desktop.ui.compose.image_slot import SlotState
from veo_desktop.ui.compose.panel import ComposePanel
from veo_desktop.ui.compose.submission import SubmitState
from veo_desktop.ui.compose.widgets import MessageLabel, Tone
from veo_desktop.ui.session import Session

MIN_CONTRAST = 4.5


def settle_layout() -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    QApplication.processEvents()


class CapHolder:
    def __init__(self) -> None:
        self.cap: SpendingCap | None = None

    def __call__(self) -> SpendingCap | None:
        return self.cap


@pytest.fixture
def session(sim: Any, tmp_path: Path, arun: Any) -> Iterator[Session]:
    with running_session(sim, tmp_path / "data", arun) as opened:
        yield opened


@pytest.fixture
def cap() -> CapHolder:
    return CapHolder()


@pytest.fixture
def make_panel(
    session: Session, qtbot: Any, tmp_path: Path, cap: CapHolder
) -> Iterator[Callable[[], ComposePanel]]:
    made: list[ComposePanel] = []

    def make() -> ComposePanel:
        widget = ComposePanel(
            session.controller,
            session.uploader,
            spending_cap=cap,
            journal_dir=tmp_path / "batches",
        )
        qtbot.addWidget(widget)
        widget.resize(380, 760)
        widget.show()
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.cancel()


# -- item 1: hints are legible ---------------------------------------------------------------


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_hints_of_the_composer_are_legible_on_the_screen(
    make_panel: Callable[[], ComposePanel],
    themed: Callable[[bool], None],
    qtbot: Any,
    dark: bool,
) -> None:
    themed(dark)
    panel = make_panel()
    panel.form.set_generation_type("REFERENCE_2_VIDEO")
    settle_layout()
    assert panel.generate_message.text() == "Write a prompt to generate."
    assert "Reference images use fast mode and 16:9" in panel.type_explanation.text()
    for label in (panel.generate_message, panel.type_explanation):
        assert label.isVisible()
        ratio = label_contrast(label)
        assert ratio >= MIN_CONTRAST, (label.text(), round(ratio, 2))


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_hint_made_without_a_parent_keeps_its_contrast_through_theme_changes(
    themed: Callable[[bool], None], qtbot: Any, dark: bool
) -> None:
    themed(not dark)
    hint = MessageLabel(Tone.HINT)  # no parent yet, as the composer makes its labels
    hint.show_message("Write a prompt to generate.")
    themed(dark)
    themed(not dark)
    themed(dark)
    holder = QWidget()
    qtbot.addWidget(holder)
    QVBoxLayout(holder).addWidget(hint)
    holder.resize(300, 60)
    holder.show()
    qtbot.waitExposed(holder)
    ratio = label_contrast(hint)
    assert ratio >= MIN_CONTRAST, round(ratio, 2)


# -- item 8: the form stays still ------------------------------------------------------------


def positions(panel: ComposePanel) -> dict[str, QPoint]:
    settle_layout()
    return {
        name: widget.mapTo(panel, QPoint(0, 0))
        for name, widget in (
            ("generate", panel.generate_button),
            ("seed", panel.seed_edit),
            ("mode", panel.mode_selector),
            ("variations", panel.variations_spin),
        )
    }


def test_nothing_moves_when_a_hint_appears_or_goes(
    make_panel: Callable[[], ComposePanel], qtbot: Any
) -> None:
    panel = make_panel()
    qtbot.waitExposed(panel)
    start = positions(panel)
    assert panel.generate_message.isVisible()  # "Write a prompt to generate."
    assert not panel.prompt_message.isVisible()

    qtbot.keyClicks(panel.prompt_edit, "x")
    assert not panel.generate_message.isVisible()
    assert positions(panel) == start, "the hint under Generate went away"

    qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Backspace)
    assert panel.prompt_message.isVisible()  # "Write a prompt: describe the video you want."
    assert panel.generate_message.isVisible()
    assert positions(panel) == start, "the prompt's hint came"


def test_nothing_below_the_slots_moves_when_an_image_arrives(
    make_panel: Callable[[], ComposePanel], qtbot: Any, tmp_path: Path
) -> None:
    panel = make_panel()
    panel.form.set_generation_type("FIRST_AND_LAST_FRAMES_2_VIDEO")
    qtbot.waitExposed(panel)
    start = positions(panel)
    assert panel.images_message.isVisible()  # "... needs a first frame ..."
    panel.first_slot.load(write_image(tmp_path / "first.png", width=1280, height=720))
    qtbot.waitUntil(lambda: panel.first_slot.state is SlotState.READY, timeout=10_000)
    assert not panel.images_message.isVisible()
    assert "1280" in panel.first_slot.info_text
    assert positions(panel) == start


# -- item 9: the focus goes back to the prompt -----------------------------------------------


def type_into_focus(qtbot: Any, text: str) -> None:
    """Type as a person does: into whatever has the keyboard focus."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClicks(focused, text)


def test_after_generate_the_next_typing_goes_into_the_prompt(
    make_panel: Callable[[], ComposePanel], qtbot: Any, sim: Any
) -> None:
    panel = make_panel()
    panel.activateWindow()
    qtbot.waitUntil(lambda: panel.isActiveWindow())
    panel.prompt_edit.setFocus()
    qtbot.waitUntil(panel.prompt_edit.hasFocus)
    type_into_focus(qtbot, "A lighthouse")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.submission.state is SubmitState.IDLE, timeout=10_000)
    assert len(submits(sim)) == 1
    type_into_focus(qtbot, "4")
    assert panel.variations == 1
    assert panel.prompt_edit.toPlainText() == "A lighthouse4"


def test_after_the_pay_question_closes_the_next_typing_goes_into_the_prompt(
    make_panel: Callable[[], ComposePanel],
    session: Session,
    cap: CapHolder,
    qtbot: Any,
) -> None:
    cap.cap = SpendingCap(Decimal("0.10"), session.engine)
    panel = make_panel()
    panel.activateWindow()
    qtbot.waitUntil(lambda: panel.isActiveWindow())
    panel.prompt_edit.setFocus()
    qtbot.waitUntil(panel.prompt_edit.hasFocus)
    type_into_focus(qtbot, "A hummingbird")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert panel.submission.state is SubmitState.ASKING_TO_PAY
    box = panel.cap_question
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: panel.submission.state is SubmitState.IDLE)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    type_into_focus(qtbot, "4")
    assert panel.variations == 1
    assert panel.prompt_edit.toPlainText() == "A hummingbird4"
