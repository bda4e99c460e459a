"""``--self-test`` and the bundle's launcher, run from the source tree (the fast tier).

The frozen bundle runs the same self-test in the bundle tier (test_bundle.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from veo_desktop.selftest import SelfTest, SelfTestError

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "packaging" / "launcher.py"
CHECKS = ["qt", "icons", "logging", "simulator", "store", "engine", "video"]


def _run(
    *args: str, stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def test_the_self_test_passes_every_check_through_the_launcher() -> None:
    result = _run(str(LAUNCHER), "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    checks = [line.split()[1] for line in lines if line.startswith(("ok ", "FAIL "))]
    assert checks == CHECKS
    assert all(line.startswith("ok ") for line in lines if line.split()[:1] in (["ok"], ["FAIL"]))
    assert "frames reached a QVideoSink" in result.stdout
    assert lines[-1].startswith("self-test passed")
    assert "Input #0" not in result.stderr, "FFmpeg's description of the video reached stderr"


def test_the_self_test_never_prints_its_key() -> None:
    result = _run(
        "-c", "from veo_desktop.selftest import run_self_test; raise SystemExit(run_self_test())"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sk-selftest-" not in result.stdout + result.stderr


def test_a_failing_check_is_reported_and_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = SelfTest(root=tmp_path)

    def broken() -> str:
        raise SelfTestError("no frame within 20 s")

    assert state.check("video", broken) is False
    assert state.check("store", lambda: "fine") is True
    assert state.failures == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("FAIL  video ") and "no frame within 20 s" in out[0]
    assert out[1].startswith("ok    store ") and "fine" in out[1]


def test_the_launcher_runs_the_render_worker(tmp_path: Path) -> None:
    from veo_desktop.sim import RENDER_WORKER_FLAG

    clip = tmp_path / "clip.mp4"
    job = {
        "path": str(clip),
        "width": 160,
        "height": 96,
        "seconds": 0.25,
        "fps": 8,
        "prompt": "launcher",
        "task_id": "task_launcher",
        "caption": "veo-3-1",
    }
    result = _run(str(LAUNCHER), RENDER_WORKER_FLAG, stdin=json.dumps({"id": 7, "job": job}) + "\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"id": 7, "ok": True}
    assert clip.read_bytes()[4:8] == b"ftyp"


def test_the_launcher_runs_only_its_own_modules() -> None:
    result = _run(str(LAUNCHER), "-m", "http.server")
    assert result.returncode == 2
    assert "cannot run module 'http.server'" in result.stderr
