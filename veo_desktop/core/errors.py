"""The task store's errors, as the layers above ``core`` catch them.

Windows and the command line handle a store that cannot be written (disk full, read-only,
locked...) without importing ``storage`` themselves: they import these names from here.
"""

from __future__ import annotations

from veo_desktop.storage.store import (
    StoreBusyError,
    StoreCorruptError,
    StoreDiskError,
    StoreError,
    StoreFullError,
    StorePermissionError,
    StoreReadOnlyError,
    StoreVersionError,
)

__all__ = [
    "StoreBusyError",
    "StoreCorruptError",
    "StoreDiskError",
    "StoreError",
    "StoreFullError",
    "StorePermissionError",
    "StoreReadOnlyError",
    "StoreVersionError",
]
