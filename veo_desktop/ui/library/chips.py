"""The search bar's filters as removable chips ("#night ✕", "★★★★ or more ✕"), wrapping onto
as many lines as the width needs.

:class:`ChipRow` shows the chips of a :class:`~veo_desktop.records.library.LibraryQuery`
and says which one the person removed (:attr:`ChipRow.chip_removed`); it holds no query.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QLayout, QLayoutItem, QSizePolicy, QToolButton, QWidget

from veo_desktop.records.library import Chip

#: What follows a chip's label: the mark that says a click removes it.
REMOVE_MARK = "  \u2715"
_STYLE = (
    "QToolButton#filterChip { border: 1px solid palette(mid); border-radius: 10px;"
    " padding: 1px 8px; background: palette(base); color: palette(text); }"
    " QToolButton#filterChip:hover { border-color: palette(highlight); }"
    " QToolButton#filterChip:focus { border: 2px solid palette(highlight); }"
)


class FlowLayout(QLayout):
    """Lays its items left to right, starting a new line where the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + self._gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y()


class ChipRow(QWidget):
    """The chips of the current filters (hidden when there are none)."""

    #: The person removed this filter (a :class:`Chip`).
    chip_removed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterChips")
        self.setAccessibleName("Search filters")
        self.setStyleSheet(_STYLE)
        self._layout = FlowLayout(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._chips: tuple[Chip, ...] = ()
        self._buttons: list[QToolButton] = []
        #: Says why a typed filter is not one (``rating:9``); after the chips.
        self.problem = QLabel(self)
        self.problem.setObjectName("searchProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self._layout.addWidget(self.problem)
        self.hide()

    @property
    def chips(self) -> tuple[Chip, ...]:
        return self._chips

    def buttons(self) -> list[QToolButton]:
        """The chips' buttons, in order."""
        return list(self._buttons)

    def set_chips(self, chips: tuple[Chip, ...]) -> None:
        if chips == self._chips:
            return
        self._chips = chips
        while self._layout.takeAt(0) is not None:
            pass
        for old in self._buttons:
            old.hide()
            old.deleteLater()
        self._buttons = []
        for chip in chips:
            button = QToolButton(self)
            button.setObjectName("filterChip")
            button.setText(chip.label + REMOVE_MARK)
            button.setToolTip(f"{chip.token}: click to remove this filter")
            button.setAccessibleName(f"Remove filter {chip.label}")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, c=chip: self.chip_removed.emit(c))
            self._layout.addWidget(button)
            self._buttons.append(button)
            button.show()
        self._layout.addWidget(self.problem)  # the problem goes last
        self.setVisible(bool(chips) or not self.problem.isHidden())
        self.updateGeometry()

    def set_problem(self, text: str | None) -> None:
        """Show (or with None hide) why a typed filter is not one."""
        self.problem.setText(text or "")
        self.problem.setVisible(text is not None)
        self.setVisible(bool(self._chips) or text is not None)
        self.updateGeometry()
