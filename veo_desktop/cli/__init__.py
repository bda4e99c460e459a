"""The command line: ``veo-desktop generate|extend|status|list|resume|download|balance`` (no Qt).

``main`` loads the commands (httpx, the engine, the store) on first use, so ``veo-desktop``
can ask :func:`is_cli_invocation` without paying for them when it opens the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veo_desktop.cli.args import ExitCode, is_cli_invocation, unknown_command, usage_mistake
from veo_desktop.lazy import lazy_exports

if TYPE_CHECKING:
    from veo_desktop.cli.commands import main

__all__ = [
    "ExitCode",
    "is_cli_invocation",
    "main",
    "unknown_command",
    "usage_mistake",
]


if not TYPE_CHECKING:  # (mypy reads the imports above: a name not there is an error)
    __getattr__ = lazy_exports(__name__, {"main": "veo_desktop.cli.commands"})
