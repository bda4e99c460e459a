"""``veo-desktop`` paints its window before the rest of the app loads.

The window's frame ("Opening your workspace…") is what a person sees first; asyncio, the
HTTP stack, the keyring, the task store, the settings dialog and the workspace's panels
(QtMultimedia among them) load after that first paint. A module pulled in too early
delays the window for everyone; this test names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.sim import SIM_API_KEY
from tests.fixtures.startup import WATCH_WINDOW
from veo_desktop.sim import SimulatorThread

ROOT = Path(__file__).resolve().parents[2]

CHILD = (
    """
import json, os, sys

def watch(window):
    def on_first_paint():
        loading = window.stack.currentWidget()
        print(json.dumps({
            "modules": sorted(sys.modules),
            "showing": loading.text() if loading is window.loading else None,
            "size": [window.width(), window.height()],
            "room": [window.screen().availableGeometry().width(),
                     window.screen().availableGeometry().height()],
            "least": [window.minimumWidth(), window.minimumHeight()],
        }), flush=True)
        os._exit(0)

    window.first_painted.connect(on_first_paint)
"""
    + WATCH_WINDOW
    + """
from veo_desktop.app import main
sys.exit(main(["--data-dir", sys.argv[1]]))
"""
)

#: Modules that must wait for the first paint, and why a person would notice them.
LATER = {
    "asyncio": "the event loop (about 30 ms to import)",
    "qasync": "the event loop",
    "httpx": "the HTTP client",
    "keyring": "the keyring",
    "sqlite3": "the task store",
    "veo_desktop.storage.store": "the task store",
    "veo_desktop.core.engine": "the task engine",
    "PySide6.QtMultimedia": "the video preview",
    "veo_desktop.ui.compose.panel": "the composer",
    "veo_desktop.ui.tasks.panel": "the task list",
    "veo_desktop.ui.settings.dialog": "the settings dialog",
    "veo_desktop.ui.crash_dialog": "the crash dialog",
    "veo_desktop.ui.window.menus": "the menus (QtGui's action and shortcut enums)",
    "veo_desktop.ui.window.session_manager": "the sessions (asyncio, the job registry)",
    "veo_desktop.ui.status_bar": "the status bar (it pulls in the composer's formats)",
    "veo_desktop.ui.workspace": "the workspace",
}


def test_the_window_paints_before_the_rest_of_the_app_loads(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.pop("APIXO_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "data")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout, done.stderr[-3000:]
    painted = json.loads(done.stdout.splitlines()[0])
    assert painted["showing"] == "Opening your workspace…"
    # The first start's size (1280x800, made smaller to fit a smaller screen), painted at once.
    (room_w, room_h), (least_w, least_h) = painted["room"], painted["least"]
    fits = [min(1280, int(room_w * 0.95)), min(800, int(room_h * 0.95))]
    assert painted["size"] == [max(fits[0], least_w), max(fits[1], least_h)]
    loaded = set(painted["modules"])
    assert "veo_desktop.ui.window.main_window" in loaded
    early = {name: why for name, why in LATER.items() if name in loaded}
    assert not early, f"loaded before the window's first paint: {early}"


USABLE_CHILD = (
    """
import json, os, sys

def watch(window):
    def on_usable(_session):
        # (a name blocked with None in sys.modules was not loaded)
        loaded = [name for name, module in sys.modules.items() if module is not None]
        print(json.dumps({"modules": sorted(loaded)}), flush=True)
        os._exit(0)

    window.workspace_usable.connect(on_usable)
"""
    + WATCH_WINDOW
    + """
from veo_desktop.app import main
sys.exit(main(["--data-dir", sys.argv[1], "--base-url", sys.argv[2]]))
"""
)

#: Modules that must not load before the workspace is usable (prompt editable, tasks
#: listed), and why.
LATER_THAN_USABLE = {
    "httpx._main": "httpx's command-line tool (click, rich, pygments: ~50 ms), never run",
    "click": "httpx's command-line tool",
    "rich": "httpx's command-line tool",
    "pygments": "httpx's command-line tool",
    "keyring": "the keyring (the key comes from $APIXO_API_KEY here)",
    "PySide6.QtMultimedia": "the video preview (built after the workspace's first paint)",
    "av": "PyAV (~50 ms): it loads with the first video decoded (a thumbnail, a frame)",
    "veo_desktop.ui.history_panel": "the prompt history (built after the first paint)",
    "httpx": "the HTTP client (~40 ms with httpcore, h11, anyio): made with the first request",
    "httpcore": "the HTTP transport (downloads tune it): loads with the first request",
    "veo_desktop.storyboard": "the storyboards: opened when first used",
    "veo_desktop.storyboard.service": "the storyboards: opened when first used",
    "veo_desktop.hosting.config": "the image hosting settings: read when the session starts",
    "veo_desktop.hosting.providers": "the image hosts: set up when the session starts",
    "veo_desktop.hosting.cache": "the upload cache: read with the first upload or check",
    "veo_desktop.hosting.checker": "the URL checker: made with the first image URL",
    "veo_desktop.hosting.inputs": "the image inputs' checks: with the first submission",
    "veo_desktop.imaging.prepare": "the image preparation: loads with the first image",
    "veo_desktop.imaging.worker": "the imaging thread: starts with the first image",
    # (veo_desktop.imaging itself loads: the crop dialog's rectangles and the gallery's
    # video stills use two small modules of it)
}


def test_the_workspace_is_usable_before_what_it_does_not_need_loads(
    tmp_path: Path, sim: SimulatorThread
) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env["APIXO_API_KEY"] = SIM_API_KEY
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    done = subprocess.run(
        [sys.executable, "-c", USABLE_CHILD, str(tmp_path / "data"), sim.base_url],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.splitlines()[0])["modules"])
    assert {"veo_desktop.ui.workspace", "veo_desktop.ui.tasks.panel"} <= loaded
    early = {name: why for name, why in LATER_THAN_USABLE.items() if name in loaded}
    assert not early, f"loaded before the workspace was usable: {early}"


SKIP_CHILD = """
import contextlib, io, json, sys
from veo_desktop.ui.main import skip_httpx_command_line

skip_httpx_command_line()
import httpx

out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        httpx.main()
    except SystemExit as stop:
        code = stop.code
transport = httpx.MockTransport(lambda request: httpx.Response(200, text="ok"))
with httpx.Client(transport=transport) as client:
    text = client.get("https://example.test/").text
print(json.dumps({
    "cli": [name for name in ("click", "rich", "pygments") if name in sys.modules],
    "stub": out.getvalue(), "code": code, "text": text,
}))
"""


def test_the_window_process_leaves_out_httpx_command_line_tool_and_nothing_else() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", SKIP_CHILD],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["cli"] == []  # click, rich and pygments were not imported
    assert "httpx command line client could not run" in result["stub"]
    assert result["code"] == 1
    assert result["text"] == "ok"  # httpx itself works as before
