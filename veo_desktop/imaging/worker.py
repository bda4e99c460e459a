"""One worker thread for image work, off the event loop's thread.

Decoding, cropping and encoding a 12 MP photo take up to a second or two. They run in a
single dedicated thread rather than the default executor's pool: on a 2-core machine two
big images at once only slow each other down, and without a QCoreApplication (the command
line) Qt's image plugins complain when they are used from one thread after another.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def imaging_executor() -> ThreadPoolExecutor:
    """The (lazily started) thread all image work runs in."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imaging")
        return _executor


async def run_imaging(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` in the imaging thread and await its result.

    Example: ``image = await run_imaging(prepare_image, path, aspect="16:9")``.
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(imaging_executor(), functools.partial(fn, *args, **kwargs))


def shutdown_imaging(*, wait: bool = True) -> None:
    """Stop the imaging thread (at quit; a later call to :func:`run_imaging` starts a new one)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait, cancel_futures=True)
