"""One window per data folder: a second ``veo-desktop`` hands its arguments to the first,
and the "already open" page, when nobody answers, shows its whole title and text.

Real sockets throughout (QLocalServer in the test's Qt loop, clients on threads or in
child processes), real windows and the simulator; waits are on conditions.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QWidget

from tests.e2e.helpers import make_window_fixture, wait_started  # noqa: F401  (a fixture)
from tests.e2e.test_creative_journey import finished, open_window
from tests.fixtures.contrast import assert_legible
from tests.fixtures.sim import SIM_API_KEY
from tests.fixtures.startup import WATCH_WINDOW
from veo_desktop.api.models import GenerationRequest
from veo_desktop.core.paths import DATA_DIR_ENV
from veo_desktop.logs import LOG_FILE_NAME
from veo_desktop.ui import app_loop, single_instance
from veo_desktop.ui.main import parse_args
from veo_desktop.ui.single_instance import (
    MAX_MESSAGE_BYTES,
    HandOver,
    InstanceServer,
    hand_over,
    server_name,
)
from veo_desktop.ui.window.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


# -- the protocol, in this process --------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path, qtbot: Any) -> Iterator[tuple[InstanceServer, list[HandOver]]]:
    instance = InstanceServer(server_name(tmp_path / "data"))
    received: list[HandOver] = []
    instance.handed_over.connect(received.append)
    assert instance.listen()
    yield instance, received
    instance.close()
    instance.deleteLater()


def _in_thread(qtbot: Any, job: Callable[[], Any], timeout: int = 30_000) -> Any:
    """Run ``job`` on a thread while this one's Qt loop serves; its result."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(job()), daemon=True)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=timeout)
    return result[0]


def _socket_path(name: str) -> str:
    from PySide6.QtCore import QDir

    return str(Path(QDir.tempPath(), name))


def _raw(name: str, data: bytes, *, close_write: bool = True) -> bytes:
    """Send ``data`` on a plain Unix socket; what came back before the server hung up."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(20)
        client.connect(_socket_path(name))
        try:
            client.sendall(data)
            if close_write:
                client.shutdown(socket.SHUT_WR)
        except OSError:  # the server hung up on a flood before it was all sent
            pass
        reply = b""
        try:
            while chunk := client.recv(64):
                reply += chunk
        except OSError:
            pass
        return reply


def test_a_second_launch_hands_over_its_arguments_and_is_answered(
    server: tuple[InstanceServer, list[HandOver]], qtbot: Any, tmp_path: Path
) -> None:
    instance, received = server
    video = tmp_path / "clip.mp4"
    message = HandOver(demo=True, restore=[video])
    assert hand_over(instance.name, message) is True
    qtbot.waitUntil(lambda: received == [message])
    assert single_instance.may_be_listening(instance.name)


def test_nobody_listening_means_no_hand_over(tmp_path: Path, qtbot: Any) -> None:
    name = server_name(tmp_path / "nobody")
    assert not single_instance.may_be_listening(name)
    assert hand_over(name, HandOver(demo=True), 2000) is False


@pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets")
def test_hostile_messages_are_ignored_and_the_server_keeps_serving(
    server: tuple[InstanceServer, list[HandOver]], qtbot: Any
) -> None:
    instance, received = server
    hostile = [
        b"garbage\n",
        b"\xff\xfe\xfd\n",  # not UTF-8
        b"[1, 2, 3]\n",  # not an object
        b'{"demo": "yes", "restore": []}\n',
        b'{"demo": false, "restore": "/etc/passwd"}\n',
        b'{"demo": false, "restore": [1, 2]}\n',
        b'{"demo": false, "restore": ["a\\u0000b"]}\n',
        json.dumps({"demo": False, "restore": ["/x.mp4"] * 1000}).encode() + b"\n",
        b"[" * 200_000 + b"\n",  # nested too deep for json
        b'{"demo": true',  # cut off: the client hangs up
        b"x" * (MAX_MESSAGE_BYTES * 4),  # a flood with no end of line
    ]
    for data in hostile:
        assert _in_thread(qtbot, functools.partial(_raw, instance.name, data)) == b""
        assert instance.listening
    assert received == []
    # A client that connects and says nothing does not block the next one.
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(_socket_path(instance.name))
    try:
        good = HandOver(demo=False, restore=[Path("/videos/a.mp4")])
        assert hand_over(instance.name, good) is True
        qtbot.waitUntil(lambda: received == [good])
    finally:
        idle.close()


def test_each_data_folder_has_its_own_server(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    assert server_name(tmp_path / "one") == server_name(tmp_path / "two" / ".." / "one")
    assert server_name(tmp_path / "one") != server_name(tmp_path / "two")
    assert len(server_name(tmp_path / ("x" * 200))) < 40  # fits a Unix socket path


def test_a_stale_socket_from_a_crashed_window_is_replaced(tmp_path: Path, qtbot: Any) -> None:
    name = server_name(tmp_path / "data")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(_socket_path(name))  # bound, never listening: as a crash leaves it
    stale.close()
    instance = InstanceServer(name)
    try:
        assert instance.listen()
        assert hand_over(name, HandOver()) is True
    finally:
        instance.close()


# -- what the running window does with a hand-over -----------------------------------------------


def test_the_window_opens_the_demo_when_no_workspace_is_open(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path / "data")
    window.show()
    window.showMinimized()
    assert window.session is None
    single_instance.apply_hand_over(window, HandOver(demo=True))
    assert not window.isMinimized()
    wait_started(qtbot, window)
    assert window.is_demo


def test_a_window_with_a_key_stays_and_says_why_the_demo_did_not_open(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path / "data")
    window.show()
    wait_started(qtbot, window)
    session = window.session
    single_instance.apply_hand_over(window, HandOver(demo=True))
    assert window.session is session and not window.is_demo
    assert window.status.currentMessage() == (
        "Veo Desktop is already open with your API key: the demo was not opened."
    )


def test_a_video_handed_over_restores_its_settings_like_a_drop(
    make_window: Callable[..., MainWindow], sim: Any, tmp_path: Path, qtbot: Any
) -> None:
    window = open_window(make_window, sim, tmp_path / "data", qtbot)
    made = finished(
        window, qtbot, GenerationRequest(prompt="A whale breaches", mode="quality", seed=11)
    )
    compose = window.compose_panel
    assert compose is not None
    compose.clear_form()
    video = Path(made.files[0])
    single_instance.apply_hand_over(window, HandOver(restore=[video]))
    qtbot.waitUntil(lambda: compose.prompt_edit.toPlainText() == "A whale breaches", timeout=5_000)
    assert window.status.currentMessage() == f"Restored the settings of {video.name}."
    # ``veo-desktop VIDEO`` with no window open: restored once the first session started.
    app_loop._restore_once_started(window, [video])
    window.start_demo()

    def restored_in_the_demo() -> None:
        panel = window.compose_panel
        assert window.is_demo and panel is not None
        assert panel.prompt_edit.toPlainText() == "A whale breaches"

    qtbot.waitUntil(restored_in_the_demo, timeout=15_000)


def test_videos_named_on_the_command_line_are_to_be_restored(tmp_path: Path) -> None:
    options = parse_args(["--demo", str(tmp_path / "a.MP4"), "b.json", "-style", "notes.txt"])
    assert options.demo
    assert options.restore == [tmp_path / "a.MP4", Path("b.json").absolute()]


# -- two real processes -------------------------------------------------------------------------

SECOND_CHILD = (
    """
import sys

def watch(window):
    print("window built", flush=True)
"""
    + WATCH_WINDOW
    + """
from veo_desktop.app import main
sys.exit(main(sys.argv[1:]))
"""
)


def _env(data: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.pop("APIXO_API_KEY", None)
    env[DATA_DIR_ENV] = str(data)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


def test_a_second_veo_desktop_hands_over_to_the_first_and_exits(tmp_path: Path, qtbot: Any) -> None:
    data = tmp_path / "data"
    first = subprocess.Popen(
        [sys.executable, "-c", SECOND_CHILD, "--demo"],
        env=_env(data),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        name = server_name(data)
        log = data / "logs" / LOG_FILE_NAME

        def logged() -> str:
            return log.read_text() if log.exists() else ""

        def listening_and_started() -> None:
            assert first.poll() is None
            assert single_instance.may_be_listening(name)
            assert "session started (demo)" in logged()

        qtbot.waitUntil(listening_and_started, timeout=90_000)
        second = subprocess.run(
            [sys.executable, "-c", SECOND_CHILD, "--demo"],
            env=_env(data),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stderr[-3000:]
        assert "window built" not in second.stdout  # no second window
        qtbot.waitUntil(
            lambda: "handed over: demo=True, restore=0 file(s)" in logged(),
            timeout=30_000,
        )
    finally:
        first.kill()
        first.wait(timeout=30)
        Path(_socket_path(server_name(data))).unlink(missing_ok=True)  # what a kill leaves


# -- nobody answers: the "already open" page -----------------------------------------------------

LOCK_HOLDER = """
import sys
from pathlib import Path
from veo_desktop.core.lockfile import FileLock

lock = FileLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def held_data_folder(tmp_path: Path) -> Iterator[Path]:
    """A data folder whose lock another process (as the command line would) holds."""
    from veo_desktop.core.paths import AppPaths

    data = tmp_path / "data"
    store = AppPaths.resolve(data).ensure().store_path
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(store.with_name(store.name + ".lock"))],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield data
    finally:
        holder.kill()
        holder.communicate(timeout=30)  # and close its pipes


def _fully_shown(label: QLabel, page_rect: QRect) -> None:
    assert label.isVisible()
    assert label.wordWrap()
    needed = label.heightForWidth(label.width())
    assert needed <= label.height(), f"{label.text()!r} needs {needed} px, has {label.height()}"
    box = QFontMetrics(label.font()).boundingRect(
        QRect(0, 0, label.width(), 100_000), int(label.alignment()) | 0x1000, label.text()
    )  # 0x1000: Qt.TextWordWrap
    assert box.width() <= label.width() and box.height() <= label.height()
    top_left = label.mapTo(label.window(), label.rect().topLeft())
    assert page_rect.contains(QRect(top_left, label.size()))


@pytest.mark.parametrize(("width", "height"), [(1024, 640), (1600, 1000)])
def test_already_open_shows_its_whole_title_and_text(
    make_window: Callable[..., MainWindow],
    held_data_folder: Path,
    sim: Any,
    qtbot: Any,
    themed: Callable[[bool], None],
    width: int,
    height: int,
) -> None:
    themed(False)
    window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=held_data_folder)
    window.resize(width, height)
    window.show()
    page = window.message_page

    def refused() -> None:
        assert window.stack.currentWidget() is page
        assert page.title.text() == "Veo Desktop is already open"

    qtbot.waitUntil(refused, timeout=30_000)
    qtbot.waitUntil(lambda: window.width() == width and page.isVisible())
    assert page.text.text().startswith("Another Veo Desktop (the window or a command line)")
    assert page.text.text().endswith("Close it or wait for it to finish.")
    page_rect = QRect(page.mapTo(window, page.rect().topLeft()), page.size())
    _fully_shown(page.title, page_rect)
    _fully_shown(page.text, page_rect)

    # The title sits above the text, and the button below it, none overlapping.
    def on_page(widget: QWidget) -> QRect:
        return QRect(widget.mapTo(page, widget.rect().topLeft()), widget.size())

    title, text, button = (on_page(w) for w in (page.title, page.text, page.button))
    assert title.bottom() < text.top() and text.bottom() < button.top()
    shot = window.grab()
    out = os.environ.get("VEO_TEST_SHOTS")
    if out:
        shot.save(str(Path(out) / f"already-open-{width}x{height}.png"))
    assert_legible(page, page.grab(), f"already-open-{width}x{height}")
