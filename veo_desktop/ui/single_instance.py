"""One window per data folder: a second ``veo-desktop`` hands its arguments to the first.

The running window listens on a local socket (:class:`InstanceServer`, a
``QLocalServer``) named after its data folder and user (:func:`server_name`), so two
data folders can still run side by side. A second ``veo-desktop`` on the same folder
calls :func:`hand_over` before it builds any window: it sends one JSON line,
``{"demo": bool, "restore": [paths...]}``, waits for ``ok`` and exits; the first window
comes to the front and opens the demo or restores the video's settings. Only when
nobody answers (the command line holds the folder, or the window hangs) does the second
one open and say "Veo Desktop is already open".

Anyone on this computer may connect to the socket, so a message is read as untrusted
input: at most :data:`MAX_MESSAGE_BYTES`, valid JSON, the expected types; anything else
is dropped with a log line and the server keeps serving. A message never runs anything:
it can only open the demo and restore settings from a file, as a drop on the window can.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

    from veo_desktop.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)

#: The longest message a client may send (a few restore paths fit many times over).
MAX_MESSAGE_BYTES = 64 * 1024
#: The most restore paths one message may carry.
MAX_RESTORE_PATHS = 16
#: How long a second launch waits for the running window to answer.
HAND_OVER_TIMEOUT_MS = 3000
#: The reply that says the message was taken.
OK_REPLY = b"ok\n"


class InvalidHandOverError(ValueError):
    """A message that is not a hand-over (too long, not JSON, wrong types)."""


@dataclass(frozen=True)
class HandOver:
    """What a second launch asks the running window to do."""

    demo: bool = False
    restore: list[Path] = field(default_factory=list)

    def encode(self) -> bytes:
        message = {"demo": self.demo, "restore": [str(path) for path in self.restore]}
        return json.dumps(message).encode() + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> HandOver:
        """The message in ``data`` (one JSON line); raises :class:`InvalidHandOverError`
        when it is not one."""
        if len(data) > MAX_MESSAGE_BYTES:
            raise InvalidHandOverError("message too long")
        try:
            message = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise InvalidHandOverError(f"not JSON: {error}") from None
        if not isinstance(message, dict):
            raise InvalidHandOverError("not a JSON object")
        demo = message.get("demo", False)
        restore = message.get("restore", [])
        if not isinstance(demo, bool):
            raise InvalidHandOverError("'demo' is not true or false")
        if not isinstance(restore, list) or len(restore) > MAX_RESTORE_PATHS:
            raise InvalidHandOverError("'restore' is not a short list")
        if not all(isinstance(path, str) and path and "\0" not in path for path in restore):
            raise InvalidHandOverError("'restore' holds something other than paths")
        return cls(demo=demo, restore=[Path(path) for path in restore])


def server_name(data_dir: Path) -> str:
    """The socket's name for ``data_dir`` (resolved) and this user: short, no separators."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid
        user = "unknown"
    digest = hashlib.sha256(f"{user}\0{data_dir.resolve()}".encode()).hexdigest()[:20]
    return f"veo-desktop-{digest}"


def may_be_listening(name: str) -> bool:
    """Whether a window may listen on ``name``: on Unix its socket file exists (cheap, so
    a first launch does not wait on a connection); elsewhere always try."""
    if sys.platform == "win32":  # pragma: no cover - named pipes leave no file
        return True
    return Path(QDir.tempPath(), name).exists()


def hand_over(name: str, message: HandOver, timeout_ms: int = HAND_OVER_TIMEOUT_MS) -> bool:
    """Send ``message`` to the window listening on ``name``; True once it answered ``ok``.

    Runs a local Qt event loop (a QApplication must exist) until the answer, a hang-up, an
    error or ``timeout_ms``, whichever is first.
    """
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtNetwork import QLocalSocket

    loop = QEventLoop()
    reply = bytearray()
    finished = False

    def finish(*_args: object) -> None:
        nonlocal finished
        finished = True
        loop.quit()

    def on_ready_read() -> None:
        reply.extend(bytes(socket.readAll().data()))
        if b"\n" in reply or len(reply) >= len(OK_REPLY):
            finish()

    socket = QLocalSocket()
    socket.connected.connect(lambda: socket.write(message.encode()))
    socket.readyRead.connect(on_ready_read)
    socket.disconnected.connect(finish)
    socket.errorOccurred.connect(finish)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(finish)
    deadline.start(timeout_ms)
    socket.connectToServer(name)
    if not finished and socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        loop.exec()
    deadline.stop()
    if socket.bytesAvailable():
        reply.extend(bytes(socket.readAll().data()))
    socket.abort()
    return bytes(reply) == OK_REPLY


class InstanceServer(QObject):
    """Listens for second launches on ``name`` and emits what they ask for.

    Signals:
        handed_over(HandOver): a valid message arrived (it was answered ``ok``).
    """

    handed_over = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer  # ~10 ms: loaded after the first paint

        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self.on_new_connection)
        #: Each connected client and what it sent so far (None once its message was read).
        self._clients: dict[QLocalSocket, bytearray | None] = {}

    def listen(self) -> bool:
        """Start listening (after removing a socket a crashed window left); False if not."""
        self._server.removeServer(self.name)
        if not self._server.listen(self.name):
            log.warning("not listening for second launches: %s", self._server.errorString())
            return False
        log.info("listening for second launches on %s", self.name)
        return True

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        self._server.close()
        for socket in list(self._clients):
            socket.abort()
            self._forget(socket)

    def on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._clients[socket] = bytearray()
            socket.readyRead.connect(self._reader(socket))
            socket.disconnected.connect(self._forgetter(socket))

    def _reader(self, socket: QLocalSocket) -> Callable[[], None]:
        return lambda: self._read(socket)

    def _forgetter(self, socket: QLocalSocket) -> Callable[[], None]:
        return lambda: self._forget(socket)

    def _forget(self, socket: QLocalSocket) -> None:
        if socket in self._clients:
            del self._clients[socket]
            socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._clients.get(socket)
        data = bytes(socket.readAll().data())
        if buffer is None:
            return  # more after its message: not read
        buffer += data
        end = buffer.find(b"\n")
        if end < 0 and len(buffer) <= MAX_MESSAGE_BYTES:
            return  # more to come
        line = bytes(buffer[:end]) if end >= 0 else bytes(buffer)
        self._clients[socket] = None
        try:
            message = HandOver.decode(line)
        except InvalidHandOverError as error:
            log.warning("ignored a message from a second launch: %s", error)
            socket.abort()
            self._forget(socket)
            return
        socket.write(OK_REPLY)
        socket.disconnectFromServer()  # once the reply is written; then forgotten
        log.info("handed over: demo=%s, restore=%d file(s)", message.demo, len(message.restore))
        self.handed_over.emit(message)


def apply_hand_over(window: MainWindow, message: HandOver) -> None:
    """Bring ``window`` to the front and do what a second launch asked: open the demo when
    no workspace is open, restore each video's settings as a drop on the window would."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
    if window.closing or not hasattr(window, "sessions"):
        return
    if message.demo:
        session = window.session
        if session is None:
            window.start_demo()
        elif not session.demo:
            window.status.showMessage(
                "Veo Desktop is already open with your API key: the demo was not opened.",
                15000,
            )
    for path in message.restore:
        if window.session is None:
            window.status.showMessage(
                f"No settings restored from {path.name}: no workspace is open.", 15000
            )
            break
        window.links.restore_settings_from(path)
