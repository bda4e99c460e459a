"""The frozen bundle's entry point (PyInstaller runs this script as ``veo-desktop``).

A frozen app has no ``python`` to start helpers with: ``sys.executable`` is this program. So
besides the app itself it answers the two ways Veo Desktop starts Python code in a child
process or by hand:

- ``veo-desktop --sim-render-worker``: the simulator's clip renderer (the demo mode and the
  self-test start it as a child process, see ``veo_desktop.sim.renderer.worker_command``);
- ``veo-desktop -m veo_desktop.sim`` (the standalone simulator) and the other modules in
  :data:`RUNNABLE_MODULES`: run that module;
- ``veo-desktop --self-test``: :func:`veo_desktop.selftest.run_self_test`;
- anything else: :func:`veo_desktop.app.main` (the window, or the command line).
"""

from __future__ import annotations

import runpy
import sys

#: Modules that may be run with ``-m`` (nothing else: this is not a Python interpreter).
RUNNABLE_MODULES = ("veo_desktop.sim.render", "veo_desktop.sim", "veo_desktop.selftest")


def main(argv: list[str]) -> int:
    """Dispatch ``argv`` (without the program name); returns the exit status."""
    from veo_desktop.sim import RENDER_WORKER_FLAG

    if argv[:1] == [RENDER_WORKER_FLAG]:
        from veo_desktop.sim.render import main as render_main

        return render_main()
    if argv[:1] == ["-m"]:
        module = argv[1] if len(argv) > 1 else ""
        if module not in RUNNABLE_MODULES:
            sys.stderr.write(f"veo-desktop: cannot run module {module!r} in the bundle\n")
            return 2
        sys.argv = [sys.argv[0], *argv[2:]]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as done:
            return _status(done.code)
        return 0
    if "--self-test" in argv:
        from veo_desktop.selftest import run_self_test

        return run_self_test()
    from veo_desktop.app import main as app_main

    return app_main(argv)


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
