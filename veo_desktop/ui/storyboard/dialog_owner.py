"""The one dialog a part of the Storyboard tab has open at a time (picker, film bar, render)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QDialog, QWidget

D = TypeVar("D", bound=QDialog)


class DialogOwner:
    """Keeps ``dialog``: the dialog this part opened (None when none is open). A dialog shown
    with :meth:`_show` is opened window-modal, forgotten and deleted once it closes."""

    dialog: QWidget | None = None

    def _show(self, dialog: D) -> D:
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _closed(self, dialog: QWidget) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
