"""Durable storage (no Qt): the sqlite task store and its schema migrations."""

from veo_desktop.storage.store import (
    PlannedDownload,
    StoreBusyError,
    StoreCorruptError,
    StoreDiskError,
    StoreError,
    StoreFullError,
    StorePermissionError,
    StoreReadOnlyError,
    StoreVersionError,
    TaskStore,
)

__all__ = [
    "PlannedDownload",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreDiskError",
    "StoreError",
    "StoreFullError",
    "StorePermissionError",
    "StoreReadOnlyError",
    "StoreVersionError",
    "TaskStore",
]
