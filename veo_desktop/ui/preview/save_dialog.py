"""Where "Save as…" starts, the dialog that asks, and what a failed save says.

On a fresh account the platform's Videos folder may not exist yet. Handing Qt's file dialog
a path inside a missing folder made it open in the current folder with the absolute path
shown as a *relative* name, so Enter saved to ``<cwd>/<home>/Videos/…``. The dialog now
opens in a folder that exists (Videos, else the home folder), given as an absolute path, with
only the file name suggested. A failed copy is described in words: which file, which folder,
what went wrong; never an errno or the name of the partial file the copy goes through.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QHeaderView, QSplitter, QTreeView, QWidget

from veo_desktop.records.task import TaskRecord
from veo_desktop.safe_text import printable
from veo_desktop.ui.screen_fit import fitted_size
from veo_desktop.ui.tasks.files import suggested_name

#: The file dialog's size when Qt draws it (its own default, ~630x410, cuts the columns).
DIALOG_SIZE = QSize(880, 540)
#: The width of the dialog's list of places (Computer, home...), so their names show.
PLACES_WIDTH = 170

_FILTERS = "MP4 video (*.mp4);;All files (*)"


def save_folder() -> Path:
    """The folder "Save as…" opens in: the platform's Videos folder if it exists, else home.

    Always absolute, and always an existing folder (nothing is created for it).
    """
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    if movies:
        folder = Path(movies).expanduser()
        if folder.is_absolute() and folder.is_dir():
            return folder
    return Path.home().expanduser().absolute()


def ask_save_path(
    parent: QWidget, task: TaskRecord, on_chosen: Callable[[Path], object]
) -> QFileDialog:
    """Open a "Save video as" dialog (non-blocking: ``open()``, safe inside the asyncio loop).

    It starts in :func:`save_folder` with the suggested file name selected; ``on_chosen`` is
    called with the absolute path the person picked; nothing happens on cancel.
    """
    folder = save_folder()
    dialog = QFileDialog(parent, "Save video as", str(folder), _FILTERS)
    dialog.setObjectName("saveVideoDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix("mp4")
    dialog.setDirectory(str(folder))
    dialog.selectFile(suggested_name(task))  # a bare name: it is taken inside the folder
    _size(dialog, parent)

    def chosen(name: str) -> None:
        if name:
            path = Path(name)
            on_chosen(path if path.is_absolute() else folder / path)

    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog


def _size(dialog: QFileDialog, parent: QWidget) -> None:
    """Give Qt's own dialog room for its columns (a native dialog sizes itself)."""
    size = fitted_size(parent, DIALOG_SIZE)
    dialog.resize(size)
    details = dialog.findChild(QTreeView, "treeView")
    if details is not None:
        # The Name column takes the room the Size, Type and Date columns leave.
        details.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    places = dialog.findChild(QSplitter, "splitter")
    if places is not None and places.count() == 2:
        places.setSizes([PLACES_WIDTH, max(1, size.width() - PLACES_WIDTH)])


def save_error_text(source: Path, destination: Path, error: OSError) -> str:
    """What a person reads when copying ``source`` to ``destination`` failed with ``error``."""
    folder = destination.parent
    name = printable(destination.name, 200)
    where = printable(str(folder), 500)
    code = error.errno
    if code == errno.ENOENT and error.filename is not None and Path(error.filename) == source:
        reason = "the video file to copy is no longer on this computer"
    elif code == errno.ENOENT or not folder.is_dir():
        reason = "that folder does not exist"
    elif code in (errno.EACCES, errno.EPERM):
        reason = "you are not allowed to write in that folder"
    elif code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        reason = "the disk is full"
    elif code == errno.EROFS:
        reason = "that disk is read-only"
    elif code == errno.EISDIR:
        reason = f"{name} is a folder"
    elif code == errno.ENAMETOOLONG:
        reason = "the file name is too long"
    else:
        words = error.strerror or type(error).__name__
        reason = printable(words[:1].lower() + words[1:], 200)
    return f"The video was not saved as \u201c{name}\u201d in {where}: {reason}."
