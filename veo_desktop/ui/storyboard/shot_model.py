"""The storyboard's shots as a Qt list model: one card per shot, in the film's order.

The model holds :class:`ShotCard` values (what a card shows, already in words) that
:class:`~veo_desktop.ui.storyboard.controller.StoryboardController` builds from the stored
storyboard. Moving a row (a drag in the list, or Alt+Shift+Up/Down) moves it here at once and
emits :attr:`ShotListModel.move_requested`; the panel asks the controller to keep the new
order, and the store's answer comes back through :meth:`ShotListModel.set_cards`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

AnyIndex = QModelIndex | QPersistentModelIndex

#: The card of a row (a :class:`ShotCard`).
CARD_ROLE = Qt.ItemDataRole.UserRole + 1
#: The shot's id (``str``).
SHOT_ID_ROLE = Qt.ItemDataRole.UserRole + 2
#: What a dragged shot carries (its id), so only our own rows are dropped here.
SHOT_MIME = "application/x-veo-storyboard-shot"


class CardTone(Enum):
    """How a card's state line is coloured."""

    WAITING = "waiting"  # not generated yet, nothing sent
    RUNNING = "running"  # sent, APIXO is making it, or it is downloading
    READY = "ready"  # a take is chosen and on disk
    PROBLEM = "problem"  # the last take failed, or the shot cannot be generated


@dataclass(frozen=True)
class ShotCard:
    """What one shot's card shows.

    Attributes:
        shot_id: the shot's id in the store.
        number: its place in the film, from 1.
        prompt: its prompt (the chosen take's, or the recipe's).
        settings: its settings in a line ("Fast · 16:9 · text to video").
        start: how it starts ("Continues shot 2", "Extends shot 2"; "" from its own settings).
        state: its state in words ("Not generated", "Generating", "Ready").
        tone: the colour of the state.
        take: the chosen take in words ("Take 2 of 3", "" when it has none).
        video: the chosen take's video file, when it is on disk (the thumbnail).
    """

    shot_id: str
    number: int
    prompt: str
    settings: str
    start: str
    state: str
    tone: CardTone
    take: str = ""
    video: Path | None = None

    @property
    def accessible_text(self) -> str:
        parts = [f"Shot {self.number}", self.prompt, self.settings, self.start, self.state]
        if self.take:
            parts.append(self.take)
        return ". ".join(part for part in parts if part)


class ShotListModel(QAbstractListModel):
    """The shot cards of one storyboard, reorderable by drag and drop and by keyboard.

    Signals:
        move_requested: a shot was moved here (its id, its new index): keep the order.
    """

    move_requested = Signal(str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cards: list[ShotCard] = []

    # -- contents -------------------------------------------------------------------------

    @property
    def cards(self) -> list[ShotCard]:
        return list(self._cards)

    def set_cards(self, cards: list[ShotCard]) -> None:
        """Show ``cards``: rows whose shot stays in place change in place (the selection
        and the scroll position stay); a new order, new or removed shots reset the list."""
        old = [card.shot_id for card in self._cards]
        new = [card.shot_id for card in cards]
        if old != new:
            self.beginResetModel()
            self._cards = list(cards)
            self.endResetModel()
            return
        for row, card in enumerate(cards):
            if card != self._cards[row]:
                self._cards[row] = card
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def row_of(self, shot_id: str) -> int:
        """The row of ``shot_id`` (-1 when it is not on this storyboard)."""
        for row, card in enumerate(self._cards):
            if card.shot_id == shot_id:
                return row
        return -1

    def card(self, row: int) -> ShotCard | None:
        return self._cards[row] if 0 <= row < len(self._cards) else None

    # -- Qt's model -----------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cards)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        card = self.card(index.row()) if index.isValid() else None
        if card is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{card.number}. {card.prompt}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return card.accessible_text
        if role == Qt.ItemDataRole.ToolTipRole:
            problem = card.state if card.tone is CardTone.PROBLEM else ""
            parts = (card.prompt, card.settings, card.start, card.take, problem)
            return "\n".join(p for p in parts if p)
        if role == CARD_ROLE:
            return card
        if role == SHOT_ID_ROLE:
            return card.shot_id
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [SHOT_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        ids = [self._cards[i.row()].shot_id for i in indexes if i.isValid()]
        data.setData(SHOT_MIME, QByteArray("\n".join(ids).encode()))
        return data

    def moveRows(
        self,
        source_parent: AnyIndex,
        source_row: int,
        count: int,
        destination_parent: AnyIndex,
        destination_child: int,
    ) -> bool:
        """Move one row (what the list view's internal drag and the keyboard ask for)."""
        last = len(self._cards)
        if (
            source_parent.isValid()
            or destination_parent.isValid()
            or count != 1
            or not 0 <= source_row < last
            or not 0 <= destination_child <= last
            or destination_child in (source_row, source_row + 1)
        ):
            return False
        if not self.beginMoveRows(
            QModelIndex(), source_row, source_row, QModelIndex(), destination_child
        ):
            return False
        card = self._cards.pop(source_row)
        target = destination_child - 1 if destination_child > source_row else destination_child
        self._cards.insert(target, card)
        self.endMoveRows()
        self.move_requested.emit(card.shot_id, target)
        return True

    def move_shot(self, row: int, offset: int) -> bool:
        """Move the shot in ``row`` by ``offset`` places (-1 up, 1 down); False at an end."""
        target = row + offset
        if not 0 <= row < len(self._cards) or not 0 <= target < len(self._cards):
            return False
        destination = target + 1 if offset > 0 else target
        return self.moveRows(QModelIndex(), row, 1, QModelIndex(), destination)
