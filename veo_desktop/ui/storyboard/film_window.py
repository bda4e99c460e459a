"""The film window: the storyboard's chosen takes played as one film, gaplessly, with their
trims (helper C2's :class:`~veo_desktop.ui.storyboard.sequence.SequencePlayer`: a playhead
across the whole film, the current shot named and highlighted). The storyboard's list
follows it: the shot on show is selected there too.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from veo_desktop.safe_text import printable
from veo_desktop.ui import style
from veo_desktop.ui.screen_fit import fitted_size
from veo_desktop.ui.storyboard.sequence import SequencePlayer

#: The window's size when it first opens (it shrinks to fit a small screen).
WINDOW_SIZE = QSize(900, 620)


class FilmWindow(QWidget):
    """Plays one storyboard's film; deletes itself when closed.

    Signals:
        current_shot_changed: the shot on show (its index in the clips given).
    """

    current_shot_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("filmWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Film")
        self.player = SequencePlayer(self)
        self.problem = QLabel()
        self.problem.setObjectName("filmProblem")
        self.problem.setWordWrap(True)
        style.set_text_color(self.problem, style.problem_color(self))
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.player, 1)
        layout.addWidget(self.problem)
        self.player.current_shot_changed.connect(self.current_shot_changed)
        self.player.failed.connect(self.on_player_failed)
        self.resize(fitted_size(parent, WINDOW_SIZE))

    def set_film(self, name: str, clips: Sequence[tuple[str, float | None, float | None]]) -> None:
        """Play ``clips`` (video, in, out; None: the take's start or end) as the film ``name``."""
        self.setWindowTitle(f"{printable(name, 80)} \u2014 Film")
        self.problem.hide()
        self.player.set_clips(list(clips))

    def on_player_failed(self, message: str) -> None:
        self.problem.setText(printable(message, 600))
        self.problem.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.player.shutdown()
        super().closeEvent(event)
