"""Names a package exports but imports only when first used, through its ``__getattr__``.

The window paints before most of the app loads (``veo_desktop.ui.main``), and the command
line starts without Qt: a package's ``__init__`` must not pull in every module it exports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``; ``homes`` maps each name to its module."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return __getattr__
