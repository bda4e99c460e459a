"""Durable storage (no Qt): the sqlite task store and its schema migrations."""

from veo_desktop.storage.store import PlannedDownload, StoreError, TaskStore

__all__ = ["PlannedDownload", "StoreError", "TaskStore"]
