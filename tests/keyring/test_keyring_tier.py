"""Runs the real-keyring tier (test_real_keyring.py) inside a throwaway D-Bus session.

So a plain ``pytest`` (and CI) exercises the real Secret Service: a fresh HOME, a D-Bus
session bus from ``dbus-run-session`` and a gnome-keyring unlocked with an empty password
(its stdin must carry a newline, or no login keyring is created: PLATFORM.md).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEEDED = {"dbus-run-session": "dbus", "gnome-keyring-daemon": "gnome-keyring"}
SESSION = 'echo "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"'


def test_the_real_keyring_tier_passes_under_a_throwaway_secret_service(tmp_path: Path) -> None:
    missing = [f"{tool} ({package})" for tool, package in NEEDED.items() if not shutil.which(tool)]
    if missing:
        pytest.skip(
            f"cannot start a Secret Service: {', '.join(missing)} not installed "
            "(bash packaging/setup.sh --test installs them)"
        )
    home = tmp_path / "home"
    home.mkdir()
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "QT_QPA_PLATFORM", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring",
        VEO_KEYRING_THROWAWAY="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    (tmp_path / "run").mkdir(mode=0o700)
    command = [
        "dbus-run-session",
        "--",
        "sh",
        "-c",
        SESSION,
        "sh",
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "real_keyring",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        str(ROOT / "tests" / "keyring"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=300, cwd=ROOT, env=env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 7, output[-3000:]
    assert "skipped" not in summary, output[-3000:]
