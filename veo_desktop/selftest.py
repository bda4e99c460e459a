"""``veo-desktop --self-test``: prove that this installation (a venv or the frozen bundle) works.

Headless (offscreen unless ``QT_QPA_PLATFORM`` says otherwise) and self-contained: everything
happens in a temporary folder against the embedded simulator on loopback, so it costs nothing
and touches neither the person's data nor their keyring. One line per check on stdout::

    ok    qt             offscreen, Qt 6.11.3, PySide6 6.11.3 (0.1 s)
    FAIL  video          no frame within 20 s

Checks: Qt starts, the icons ship, logging redacts the key, the simulator starts and renders
clips, the task store opens, a task goes through the real engine (submit, poll, download)
on the qasync loop, and the downloaded clip plays through QtMultimedia (frames reach a
``QVideoSink``). Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from veo_desktop.sim import SimulatorThread

log = logging.getLogger(__name__)

#: Seconds each step may take before it counts as failed.
STEP_TIMEOUT: Final = 60.0
FRAME_TIMEOUT: Final = 20.0
PROMPT: Final = "Self-test: a paper boat drifting across a calm lake at sunrise"


class SelfTestError(RuntimeError):
    """A check failed; the message says how."""


@dataclass
class SelfTest:
    """The state shared by the checks, and what they found."""

    root: Path
    api_key: str = field(default_factory=lambda: "sk-selftest-" + secrets.token_urlsafe(18))
    app: QApplication | None = None
    sim: SimulatorThread | None = None
    base_url: str = ""
    video: Path | None = None
    failures: int = 0
    lines: list[str] = field(default_factory=list)

    def say(self, ok: bool, name: str, detail: str, seconds: float) -> None:
        line = f"{'ok' if ok else 'FAIL':<5} {name:<14} {detail} ({seconds:.1f} s)"
        self.lines.append(line)
        _out(line + "\n")

    def check(self, name: str, step: Callable[[], str]) -> bool:
        started = time.monotonic()
        try:
            detail = step()
        except Exception as error:
            self.failures += 1
            log.debug("self-test %s failed", name, exc_info=True)
            detail = f"{type(error).__name__}: {error}"
            if not isinstance(error, SelfTestError):
                detail += " | " + traceback.format_exc(limit=3).strip().splitlines()[-1]
            self.say(False, name, detail, time.monotonic() - started)
            return False
        self.say(True, name, detail, time.monotonic() - started)
        return True


# -- the checks ------------------------------------------------------------------------------


def _check_qt(state: SelfTest) -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from veo_desktop.logs import install_qt_message_handler

    existing = QApplication.instance()
    if existing is not None and not isinstance(existing, QApplication):
        raise SelfTestError("a non-widget Qt application is already running")
    state.app = existing or QApplication([sys.argv[0], "-platform", _platform()])
    install_qt_message_handler()
    platform_name = QGuiApplication.platformName()
    return f"{platform_name}, Qt {qVersion()}, PySide6 {pyside_version}"


def _check_icons(state: SelfTest) -> str:
    from veo_desktop.resources import app_icon, resource_root

    icon = app_icon()
    if icon.isNull():
        raise SelfTestError("the app icon is empty")
    sizes = sorted(size.width() for size in icon.availableSizes())
    if not sizes or icon.pixmap(64, 64).isNull():
        raise SelfTestError("the app icon has no pixmaps")
    if state.app is not None:
        state.app.setWindowIcon(icon)
    return f"{len(sizes)} sizes ({sizes[0]}-{sizes[-1]} px) from {resource_root()}"


def _check_logging(state: SelfTest) -> str:
    from veo_desktop import logs

    log_dir = state.root / "logs"
    path = logs.setup_logging(log_dir, level=logging.DEBUG, secrets=[state.api_key])
    if path is None:
        raise SelfTestError("no log file was set up")
    logging.getLogger("veo_desktop.selftest").info(
        "key %s, Authorization: Bearer %s", state.api_key, state.api_key
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    if state.api_key in text:
        raise SelfTestError("the API key reached the log file")
    if logs.REDACTED not in text:
        raise SelfTestError("the log line was not written")
    return f"redacted, rotating file in {log_dir}"


def _check_simulator(state: SelfTest) -> str:
    from veo_desktop.sim import SimulatorThread

    sim = SimulatorThread(
        api_key=state.api_key,
        duration=0.3,
        clip_seconds=1.0,
        media_dir=state.root / "sim-media",
    )
    state.base_url = sim.start()
    state.sim = sim
    return f"listening at {state.base_url}"


def _check_store(state: SelfTest) -> str:
    from veo_desktop.core.paths import AppPaths
    from veo_desktop.storage import TaskStore

    paths = AppPaths.resolve(state.root / "data").ensure()
    with TaskStore.open(paths.store_path) as store:
        store.set_meta("self_test", "1")
        version = store.schema_version
    with TaskStore.open(paths.store_path) as store:
        if store.get_meta("self_test") != "1":
            raise SelfTestError("a value written to the store did not come back")
    return f"sqlite {_sqlite_version()}, schema {version}, at {paths.store_path}"


def _check_engine(state: SelfTest) -> str:
    summary = _run_async(state, _engine_round_trip(state))
    if state.video is None or state.video.read_bytes()[4:8] != b"ftyp":
        raise SelfTestError(f"the downloaded file {state.video} is not an MP4 video")
    return f"{summary} ({state.video.stat().st_size / 1024:.0f} KB)"


async def _engine_round_trip(state: SelfTest) -> str:
    from veo_desktop.api.models import GenerationRequest
    from veo_desktop.core.paths import AppPaths
    from veo_desktop.core.settings import Settings
    from veo_desktop.core.timing import PollTiming
    from veo_desktop.records.lifecycle import TaskState
    from veo_desktop.runtime import open_runtime

    paths = AppPaths.resolve(state.root / "data").ensure()
    timing = PollTiming(
        first_poll_fast=0.2, first_poll_quality=0.2, interval_min=0.2, interval_max=0.3
    )
    started = time.monotonic()
    runtime = open_runtime(
        paths=paths,
        settings=Settings(timing=timing),
        base_url=state.base_url,
        api_key=state.api_key,
    )
    try:
        engine = runtime.engine
        await engine.start()
        balance = await engine.balance()
        record = await engine.submit(GenerationRequest(prompt=PROMPT))
        done = await asyncio.wait_for(engine.wait(record.local_id), STEP_TIMEOUT)
    finally:
        await runtime.aclose()
    if done.state is not TaskState.SUCCEEDED:
        raise SelfTestError(f"the task ended {done.state.value}: {done.fail_message or ''}")
    if not done.files:
        raise SelfTestError("the task succeeded without a downloaded file")
    state.video = Path(done.files[0])
    return (
        f"balance ${balance}, task {done.apixo_task_id} succeeded in "
        f"{time.monotonic() - started:.1f} s, downloaded {state.video.name}"
    )


def _check_video(state: SelfTest) -> str:
    if state.video is None:
        raise SelfTestError("no clip to play (the engine check failed)")
    return _run_async(state, _play(state.video))


async def _play(video: Path) -> str:
    from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink

    from veo_desktop.ui import media_calls
    from veo_desktop.ui.preview.media_logs import quiet_ffmpeg_errors, quiet_ffmpeg_logs

    quiet_ffmpeg_logs()  # no FFmpeg "Input #0" block on the self-test's terminal
    loop = asyncio.get_running_loop()
    first: asyncio.Future[tuple[int, int]] = loop.create_future()
    frames = 0
    player = QMediaPlayer()
    quiet_ffmpeg_errors()
    sink = QVideoSink()
    # Calls into the player run without the GIL (ui/media_calls.py: its threads may need it).
    media_calls.settle_overrides(player, sink)

    def on_frame(frame: QVideoFrame) -> None:
        nonlocal frames
        if not frame.isValid():
            return
        frames += 1
        if not first.done():
            first.set_result((frame.width(), frame.height()))

    def on_error(_error: QMediaPlayer.Error, message: str) -> None:
        if not first.done():
            first.set_exception(SelfTestError(f"QMediaPlayer: {message}"))

    sink.videoFrameChanged.connect(on_frame)
    player.errorOccurred.connect(on_error)
    player.setVideoSink(sink)
    media_calls.set_source(player, video)
    media_calls.play(player)
    try:
        width, height = await asyncio.wait_for(first, FRAME_TIMEOUT)
    except TimeoutError:
        raise SelfTestError(f"no video frame within {FRAME_TIMEOUT:.0f} s") from None
    finally:
        media_calls.release(player)
        sink.videoFrameChanged.disconnect(on_frame)
        player.errorOccurred.disconnect(on_error)
        player.deleteLater()
    return f"{width}x{height} frames reached a QVideoSink ({frames} so far)"


# -- plumbing --------------------------------------------------------------------------------


def _out(text: str) -> None:
    """Print to stdout, which a windowed (Windows) app may not have."""
    if sys.stdout is not None:
        sys.stdout.write(text)
        sys.stdout.flush()


def _platform() -> str:
    return os.environ.get("QT_QPA_PLATFORM") or "offscreen"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


_loop: list[Any] = []


def _run_async(state: SelfTest, coroutine: Awaitable[str]) -> str:
    """Run ``coroutine`` on a qasync loop driven by the app's Qt event loop (as the app does)."""
    import qasync

    if not _loop:
        loop = qasync.QEventLoop(state.app)
        asyncio.set_event_loop(loop)
        _loop.append(loop)

    async def bounded() -> str:
        return await asyncio.wait_for(coroutine, STEP_TIMEOUT)

    result: str = _loop[0].run_until_complete(bounded())
    return result


def _show_log_tail(log_dir: Path, lines: int = 400) -> None:
    """After a failure, the end of the (redacted) log says why."""
    from veo_desktop import logs

    for handler in logging.getLogger().handlers:
        handler.flush()
    path = logs.log_file_path(log_dir)
    if not path.exists():
        return
    tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    _out("--- the end of the log ---\n" + "\n".join(tail) + "\n---\n")


@contextlib.contextmanager
def _cleanup(state: SelfTest) -> Iterator[None]:
    try:
        yield
    finally:
        if state.sim is not None:
            with contextlib.suppress(Exception):
                state.sim.stop()
        if _loop:
            loop = _loop.pop()
            with contextlib.suppress(Exception):
                loop.close()
            asyncio.set_event_loop(None)
        from veo_desktop import logs

        logs.teardown_logging()
        logs.uninstall_qt_message_handler()


def run_self_test() -> int:
    """Run every check, print one line per check; 0 when all passed, 1 otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="veo-desktop-selftest-") as temp:
        state = SelfTest(root=Path(temp))
        with _cleanup(state):
            frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
            _out(f"Veo Desktop self-test{frozen}: {sys.executable}\n")
            checks: list[tuple[str, Callable[[SelfTest], str]]] = [
                ("qt", _check_qt),
                ("icons", _check_icons),
                ("logging", _check_logging),
                ("simulator", _check_simulator),
                ("store", _check_store),
                ("engine", _check_engine),
                ("video", _check_video),
            ]
            for name, step in checks:
                if name != "qt" and state.app is None:
                    state.say(False, name, "skipped: Qt did not start", 0.0)
                    state.failures += 1
                    continue
                state.check(name, lambda step=step: step(state))  # type: ignore[misc]
            if state.failures:
                _show_log_tail(state.root / "logs")
    verdict = "passed" if not state.failures else f"FAILED ({state.failures} checks)"
    _out(f"self-test {verdict} in {time.monotonic() - started:.1f} s\n")
    return 0 if not state.failures else 1


if __name__ == "__main__":
    raise SystemExit(run_self_test())
