"""The window's title names the app once (issue 14, item 16): "demo — Veo Desktop".

The app sets ``QGuiApplication.applicationDisplayName`` ("Veo Desktop"), and Qt's platform
windows (xcb, cocoa, windows) append " — <display name>" to every title that does not *end*
with it (``QPlatformWindow::formatWindowTitle`` in qtbase). The window's title was
"Veo Desktop — demo", so the title bar read "Veo Desktop — demo — Veo Desktop". The title now
puts what the window shows first and the app's name last, as Qt expects.

One test reads the title a window manager is given from a real X window (Xvfb, openbox,
xprop); one checks the rule on the offscreen platform for each kind of session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from tests.e2e.helpers import (  # noqa: F401  (make_window_fixture is a fixture)
    make_window_fixture,
    wait_started,
)
from tests.fixtures.sim import SIM_API_KEY
from veo_desktop.ui.window.main_window import MainWindow

APP = "Veo Desktop"
#: The separator Qt's xcb and cocoa windows put before the display name (an em dash).
SEPARATOR = " \u2014 "
X_TOOLS = ("Xvfb", "openbox", "xprop", "xdotool")


def title_bar_text(title: str, display_name: str) -> str:
    """What Qt hands the window manager for ``title`` (QPlatformWindow::formatWindowTitle)."""
    if display_name and not title.endswith(display_name):
        return f"{title}{SEPARATOR}{display_name}" if title else display_name
    return title or QGuiApplication.applicationName()


@pytest.fixture
def app_display_name(qapp: Any) -> Iterator[str]:
    """The display name the app sets (ui.main.make_application), restored afterwards."""
    before = QGuiApplication.applicationDisplayName()
    QGuiApplication.setApplicationDisplayName(APP)
    yield APP
    QGuiApplication.setApplicationDisplayName(before)


@pytest.mark.parametrize("kind", ["demo", "key"])
def test_the_title_names_the_app_once_after_what_the_window_shows(
    make_window: Callable[..., MainWindow],
    sim: Any,
    tmp_path: Path,
    qtbot: Any,
    app_display_name: str,
    kind: str,
) -> None:
    if kind == "demo":
        window = make_window(base_url=sim.base_url, api_key=None, data_dir=tmp_path, demo=True)
        expected = f"demo{SEPARATOR}{APP}"
    else:
        window = make_window(base_url=sim.base_url, api_key=SIM_API_KEY, data_dir=tmp_path)
        expected = f"local simulator{SEPARATOR}{APP}"
    window.show()
    wait_started(qtbot, window)
    assert window.windowTitle() == expected
    shown = title_bar_text(window.windowTitle(), app_display_name)
    assert shown == expected and shown.count(APP) == 1


def _start(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(check: Callable[[], str | None], what: str, seconds: float = 60) -> str:
    """Poll ``check`` until it returns a value (each poll asks the X server once)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _x(display: str, *args: str) -> str:
    done = subprocess.run(
        list(args), env={**os.environ, "DISPLAY": display}, capture_output=True, timeout=20
    )
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


@pytest.mark.skipif(
    sys.platform != "linux" or any(shutil.which(tool) is None for tool in X_TOOLS),
    reason="needs Xvfb, openbox, xprop and xdotool",
)
def test_the_x_title_bar_says_veo_desktop_once(tmp_path: Path) -> None:
    home, cwd = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    cwd.mkdir()
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    children: list[subprocess.Popen[bytes]] = []
    try:
        with os.fdopen(read) as answer:
            display = f":{answer.readline().strip()}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("QT_", "XDG_"))},
            "DISPLAY": display,
            "HOME": str(home),
            "QT_QPA_PLATFORM": "xcb",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        children.append(_start(["openbox"], env, tmp_path / "openbox.log", cwd))
        children.append(
            _start([sys.executable, "-m", "veo_desktop", "--demo"], env, tmp_path / "app.log", cwd)
        )

        def demo_window() -> str | None:
            ids = _x(display, "xdotool", "search", "--name", "demo").split()
            return ids[0] if ids else None

        window_id = _wait_for(demo_window, "the demo window (see app.log)")
        prop = _x(display, "xprop", "-id", window_id, "_NET_WM_NAME")
        assert prop.strip() == f'_NET_WM_NAME(UTF8_STRING) = "demo{SEPARATOR}{APP}"'
        if shutil.which("import"):
            picture = tmp_path / "title-bar-xcb.png"
            _x(display, "import", "-window", "root", str(picture))
            keep = os.environ.get("VEO_SCREENSHOT_DIR")
            if keep and picture.exists():
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(picture, Path(keep) / picture.name)
    finally:
        for child in reversed(children):
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        server.terminate()
        server.wait(timeout=20)
