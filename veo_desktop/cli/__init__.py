"""The command line: ``veo-desktop generate|extend|status|list|resume|balance`` (no Qt)."""

from veo_desktop.cli.args import ExitCode, is_cli_invocation
from veo_desktop.cli.commands import main

__all__ = ["ExitCode", "is_cli_invocation", "main"]
