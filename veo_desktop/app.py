"""Entry point: ``veo-desktop`` opens the window; ``veo-desktop COMMAND`` runs the command line.

It also builds the whole window for tests and embedders: :func:`create_main_window` (the
window from :func:`veo_desktop.ui.main.build_main_window`, then a session opened through
the runtime, :mod:`veo_desktop.runtime`) for a running QApplication whose current asyncio
loop is a qasync loop. Qt is imported only when the
window is wanted, so the command line starts without it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from veo_desktop.core.key_source import KeySource
    from veo_desktop.core.secrets import KeyStore
    from veo_desktop.ui.window.main_window import MainWindow


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the command line (a subcommand, or a mistake in naming one) or the window.

    Two flags are for the program itself rather than a person: ``--self-test`` (a headless
    check that the installed or frozen app works end to end) and the simulator's
    clip-render worker, which a frozen app must start as itself (there is no ``python``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    from veo_desktop.sim import RENDER_WORKER_FLAG

    if args[:1] == [RENDER_WORKER_FLAG]:
        from veo_desktop.sim.render import main as render_main

        return render_main()
    if args[:1] == ["--self-test"]:
        from veo_desktop.selftest import run_self_test

        return run_self_test()
    from veo_desktop import cli

    if cli.is_cli_invocation(args) or cli.usage_mistake(args) is not None:
        # A mistyped command ("gen"), or a command's option without it ("--prompt x"), is
        # the command line's usage error, never the window.
        return cli.main(args)
    # The Qt-free modules the window's first paint needs load before PySide6 does: after
    # it, every import also runs PySide6's __feature__ import hook, which reads the module's
    # source (about 7 ms of the start, measured in tests/benchmarks/test_gui_startup.py).
    from veo_desktop.core import key_source, settings  # noqa: F401
    from veo_desktop.ui.main import run_gui

    return run_gui(args)


def create_main_window(
    *,
    base_url: str,
    api_key: str | None,
    data_dir: Path | None,
    demo: bool = False,
    key_store: KeyStore | None = None,
    key_source: KeySource | None = None,
) -> MainWindow:
    """Build the whole window for a running QApplication on a qasync loop.

    Args:
        base_url: the APIXO API root (https; plain http only on loopback, e.g. the simulator).
        api_key: the key to use; None shows the welcome panel ("Enter API key" / "Try the demo").
        data_dir: where tasks, settings, logs and videos live; None means the platform's
            folders (or ``$VEO_DESKTOP_DATA_DIR``).
        demo: run against an embedded simulator ("Demo: simulated API, no charges").
        key_store: the keyring access (default: the system keyring).
        key_source: where ``api_key`` came from (shown in Settings); default "session".

    The window is returned unshown. With a key (or ``demo``) its workspace exists at once and
    the session starts in the background (:attr:`MainWindow.session_started`). Close it, then
    ``await window.aclose()`` to cancel work and close the HTTP clients and the store.
    """
    from veo_desktop.core.key_source import KeySource
    from veo_desktop.ui.main import build_main_window

    window = build_main_window(base_url=base_url, data_dir=data_dir, key_store=key_store)
    if demo:
        window.start_demo()
    elif api_key:
        window.open_with_key(api_key, source=key_source or KeySource.SESSION)
    else:
        window.show_welcome()
    return window
