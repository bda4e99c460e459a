"""A notice that stays above the task list while a paid task's APIXO id is not safely saved.

APIXO charges for a video the moment it answers with its task id. When the task store
cannot take that id right then (a full disk), the engine keeps it in the accepted-ids
journal beside the store (the next start recovers it) or, when nothing can be written, in
memory only. Either way the person must know: this notice names each such id (selectable,
with a Copy button), says "Write this id down" when only memory holds it, and stays until
the store takes every id again. It is never a toast that fades.

At start it also names the paid ids the journal holds that no task takes (the task list was
replaced): those the person must look up at APIXO; Dismiss hides them until the next start.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from veo_desktop.core.journal import IdSafety
from veo_desktop.safe_text import printable
from veo_desktop.ui import style
from veo_desktop.ui.controller import EngineController
from veo_desktop.ui.id_watch import IdAtRisk

#: At most this many ids are listed (more are counted).
MAX_LISTED = 6
_WHERE = {
    IdSafety.UNSAVED: "not saved",
    IdSafety.JOURNALED: "in the journal",
    IdSafety.ORPHANED: "in no task",
    IdSafety.STORED: "saved",
}


def notice_texts(at_risk: tuple[IdAtRisk, ...], problem: str | None) -> tuple[str, str]:
    """The (heading, body) of the notice for ``at_risk`` (not empty)."""
    unsaved = [item for item in at_risk if item.safety is IdSafety.UNSAVED]
    why = f" ({printable(problem, 300)})" if problem else ""
    if all(item.safety is IdSafety.ORPHANED for item in at_risk):
        one = len(at_risk) == 1
        heading = (
            "APIXO accepted a paid video that is in no task of this list"
            if one
            else f"APIXO accepted {len(at_risk)} paid videos that are in no task of this list"
        )
        body = (
            "The accepted-ids journal beside the task list kept "
            + ("its id" if one else "their ids")
            + ", but the task list has no task for "
            + ("it" if one else "them")
            + " (it may have been replaced). Look "
            + ("it" if one else "them")
            + " up in the APIXO dashboard or ask APIXO support (APIXO keeps a video 24 "
            "hours). The journal keeps the ids; Dismiss hides this notice until next start."
        )
        return heading, body
    if unsaved:
        one = len(unsaved) == 1
        heading = (
            "Write this id down: APIXO accepted a paid video"
            if one
            else f"Write these ids down: APIXO accepted {len(unsaved)} paid videos"
        ) + ", but nothing could be saved on this computer"
        body = (
            f"The task list cannot be written{why}. If the app closes now, only "
            + ("this id finds the video" if one else "these ids find the videos")
            + " again (APIXO keeps a video 24 hours). Free some disk space: this notice "
            "stays until the task list has saved " + ("it." if one else "them.")
        )
    else:
        journaled = [item for item in at_risk if item.safety is IdSafety.JOURNALED]
        one = len(journaled) == 1
        heading = (
            "APIXO accepted a paid video that the task list could not save yet"
            if one
            else f"APIXO accepted {len(journaled)} paid videos that the task list could not "
            "save yet"
        )
        body = (
            f"The task list cannot be written{why}. "
            + ("Its id is" if one else "Their ids are")
            + " kept in the journal beside it and recovered at the next start; this notice "
            "stays until the task list has saved " + ("it." if one else "them.")
        )
    if any(item.safety is IdSafety.ORPHANED for item in at_risk):
        body += (
            " The ids marked \u201cin no task\u201d belong to no task of this list: look them "
            "up in the APIXO dashboard."
        )
    return heading, body


def id_lines(at_risk: tuple[IdAtRisk, ...]) -> str:
    """One line per id: the APIXO id, where it is kept, the prompt's start."""
    lines = []
    for item in at_risk[:MAX_LISTED]:
        where = _WHERE[item.safety]
        prompt = " ".join(item.prompt.split())
        prompt = prompt if len(prompt) <= 48 else prompt[:47] + "\u2026"
        quoted = f" \u201c{printable(prompt)}\u201d" if prompt else ""
        lines.append(f"{printable(item.apixo_task_id, 200)}  ({where}){quoted}")
    if len(at_risk) > MAX_LISTED:
        lines.append(f"\u2026 and {len(at_risk) - MAX_LISTED} more (Copy takes them all)")
    return "\n".join(lines)


class UnsavedIdNotice(QFrame):
    """The ids not safely saved, with Copy; shown while there are any (see module docs).

    Args:
        controller: reports :attr:`EngineController.ids_at_risk_changed`.
    """

    def __init__(self, controller: EngineController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unsavedIdNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Task ids not saved")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._controller = controller
        self._at_risk: tuple[IdAtRisk, ...] = ()
        self.heading = QLabel(self)
        self.heading.setObjectName("unsavedIdHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setFont(style.scaled_font(self.heading, 1.0, bold=True))
        self.body = QLabel(self)
        self.body.setObjectName("unsavedIdBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.ids = QLabel(self)
        self.ids.setObjectName("unsavedIdList")
        self.ids.setTextFormat(Qt.TextFormat.PlainText)
        self.ids.setWordWrap(True)
        self.ids.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.ids.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.ids.setAccessibleName("APIXO task ids")
        self.ids.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("Copy ids", self)
        self.copy_button.setObjectName("copyUnsavedIdsButton")
        self.copy_button.setToolTip("Copy the APIXO task ids to the clipboard")
        self.copy_button.setAccessibleDescription(self.copy_button.toolTip())
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("dismissOrphanIdsButton")
        self.dismiss_button.setToolTip("Hide this notice until the next start (the ids are kept)")
        self.dismiss_button.setAccessibleDescription(self.dismiss_button.toolTip())
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.ids, 1, Qt.AlignmentFlag.AlignTop)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addWidget(self.body)
        layout.addLayout(row)
        self.copy_button.clicked.connect(self.on_copy_button_clicked)
        self.dismiss_button.clicked.connect(self.on_dismiss_button_clicked)
        controller.ids_at_risk_changed.connect(self.on_controller_ids_at_risk_changed)
        self._listening = True
        self._recolor()
        self.show_ids(controller.ids_at_risk())

    @property
    def at_risk(self) -> tuple[IdAtRisk, ...]:
        return self._at_risk

    def show_ids(self, at_risk: tuple[IdAtRisk, ...]) -> None:
        """Show these ids (hide the notice when there are none)."""
        self._at_risk = at_risk
        if not at_risk:
            self.hide()
            return
        heading, body = notice_texts(at_risk, self._controller.store_problem_text())
        self.heading.setText(heading)
        self.body.setText(body)
        self.ids.setText(id_lines(at_risk))
        self.dismiss_button.setVisible(all(i.safety is IdSafety.ORPHANED for i in at_risk))
        self.setAccessibleDescription(f"{heading}. {body}")
        self._recolor()
        self.show()

    def copy_text(self) -> str:
        return "\n".join(printable(item.apixo_task_id, 200) for item in self._at_risk)

    @Slot(object)
    def on_controller_ids_at_risk_changed(self, at_risk: tuple[IdAtRisk, ...]) -> None:
        self.show_ids(at_risk)

    @Slot()
    def on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text())

    @Slot()
    def on_dismiss_button_clicked(self) -> None:
        self._controller.dismiss_journal_orphans()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._recolor()

    def _recolor(self) -> None:
        unsaved = any(item.safety is IdSafety.UNSAVED for item in self._at_risk)
        color = style.problem_color(self) if unsaved else style.warning_color(self)
        self.setStyleSheet(
            f"QFrame#unsavedIdNotice {{ border: 2px solid {color.name()}; border-radius: 4px; }}"
        )
        # The warning colour is a border only: as text it is too faint on a light window.
        text = color if unsaved else self.palette().color(QPalette.ColorRole.WindowText)
        style.set_text_color(self.heading, text)

    def close_notice(self) -> None:
        """Stop listening (the panel shuts down)."""
        if self._listening:
            self._listening = False
            self._controller.ids_at_risk_changed.disconnect(self.on_controller_ids_at_risk_changed)
