"""One count of a large library's older tasks at a time, for a tab that shows them.

The Spending and Prompts tabs count the tasks older than those a window loaded (in a
thread: ``EngineController.fold_tasks``, ``prompts_before``). A change of an older task, or
another range, asks for a new count while one runs; :class:`OlderCount` starts none then,
and says when the one under way ends that another was asked for (so a burst of changes is
one more count, not one each). A count that fails gives its reason in words (the store's
error, or the window closing); anything else is also reported as any job's failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import shiboken6
from PySide6.QtWidgets import QWidget

from veo_desktop.safe_text import safe
from veo_desktop.ui.task_commands import LOCAL_ERRORS

if TYPE_CHECKING:
    from veo_desktop.ui.controller import EngineController

_Counted = TypeVar("_Counted")
#: What a count gives its tab: the count (None when it failed), why it failed (a sentence;
#: None when it did not), and whether another count was asked for while it ran.
Done = Callable[[_Counted | None, str | None, bool], None]


class OlderCount(Generic[_Counted]):
    """Runs a tab's counts one at a time.

    Args:
        owner: the tab (once it is deleted, a count that ends tells nothing).
        controller: runs the count as one of the session's jobs.
        name: the job's name ("Counting spending").
    """

    def __init__(self, owner: QWidget, controller: EngineController, *, name: str) -> None:
        self._owner = owner
        self._controller = controller
        self._name = name
        self._running = False
        self._again = False

    def start(self, count: Callable[[], Awaitable[_Counted]], done: Done[_Counted]) -> bool:
        """Run ``count()`` and tell ``done`` its outcome; False (nothing started) while a
        count runs: the one under way then tells ``done`` another was asked for."""
        if self._running:
            self._again = True
            return False
        self._running = True
        self._controller.run(self._run(count, done), name=self._name)
        return True

    async def _run(self, count: Callable[[], Awaitable[_Counted]], done: Done[_Counted]) -> None:
        try:
            counted = await count()
        except asyncio.CancelledError:  # (the session closes: nothing to tell)
            self._running = False
            raise
        except (*LOCAL_ERRORS, RuntimeError) as error:  # (the store, or the window closed)
            self._end(done, None, safe(str(error), 300))
        except Exception as error:
            self._end(done, None, type(error).__name__)
            raise  # (reported as any job's failure)
        else:
            self._end(done, counted, None)

    def _end(self, done: Done[_Counted], counted: _Counted | None, failed: str | None) -> None:
        if failed is not None:
            failed = failed.strip() or "unknown error"
            failed += "" if failed.endswith((".", "!", "?")) else "."  # (said as a sentence)
        self._running = False
        again, self._again = self._again, False
        if shiboken6.isValid(self._owner):
            done(counted, failed, again)
