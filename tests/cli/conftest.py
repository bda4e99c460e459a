"""The engine fixtures (also registered suite-wide when the root conftest loads them)."""

from tests.fixtures.core import engine_kit, fake_clock, task_store

__all__ = ["engine_kit", "fake_clock", "task_store"]
