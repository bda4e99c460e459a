"""Entry point: ``veo-desktop`` opens the window; ``veo-desktop COMMAND`` runs the command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the command line (a subcommand was given) or the window."""
    args = list(sys.argv[1:] if argv is None else argv)
    from veo_desktop import cli

    if cli.is_cli_invocation(args):
        return cli.main(args)
    from veo_desktop.ui.main import run_gui

    return run_gui(args)
