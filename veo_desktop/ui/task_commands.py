"""What a person does to a task that exists: submit again, download again, check, dismiss,
remove, save a copy.

:class:`TaskCommands` is the controller's part for these (the controller's methods of the
same names call it): each one turns the engine's errors into a short title and message for
the window, so a widget never sees an engine exception. It shows nothing itself: it reports
through the callbacks it is given.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from veo_desktop.api.errors import (
    ApiStatusError,
    ApixoError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import AnyRequest, GenerationRequest, RequestInvalidError
from veo_desktop.core.engine import TaskEngine
from veo_desktop.core.errors import StoreError
from veo_desktop.records.lifecycle import RESUBMITTABLE
from veo_desktop.records.task import TaskRecord
from veo_desktop.ui.preview.save_dialog import save_error_text

logger = logging.getLogger(__name__)

#: Ends the message of a submission the image check blocked.
NOTHING_SENT = "Nothing was sent."
#: Failures of our own machine (disk full, store locked) that a person can act on.
LOCAL_ERRORS = (OSError, StoreError)
#: A task that is gone or in the wrong state for the action (the engine says which).
TASK_ERRORS = (KeyError, ValueError)


class TaskCommands:
    """The actions on existing tasks, with their errors put in words.

    Args:
        engine: the session's engine.
        failed: shows an action's failure (a short title, a message).
        api_error: reports an error that says something about APIXO's health.
        check_images: checks a request's image URLs the way APIXO will fetch them.
        refresh_later: refreshes the balance in the background (after a paid action).
    """

    def __init__(
        self,
        engine: TaskEngine,
        *,
        failed: Callable[[str, str], None],
        api_error: Callable[[ApixoError], None],
        check_images: Callable[[GenerationRequest], Awaitable[None]],
        refresh_later: Callable[[], None],
    ) -> None:
        self._engine = engine
        self._failed = failed
        self._api_error = api_error
        self._check_images = check_images
        self._refresh_later = refresh_later

    async def resubmit(self, local_id: str) -> TaskRecord | None:
        """Submit the request of ``local_id`` again as a new (paid) task, as the person chose.

        Its image URLs are checked first, as for any submission: a link that no longer
        works (a presigned URL that expired) blocks it with a message; nothing is sent.
        """
        try:
            old = self._engine.get(local_id)
        except KeyError as error:
            self._failed("Could not submit again", str(error))
            return None
        request = old.request_model
        try:
            if (
                old.state in RESUBMITTABLE
                and isinstance(request, GenerationRequest)
                and request.image_urls
            ):
                await self._check_images(request)
            task = await self._engine.resubmit(local_id)
        except RequestInvalidError as error:
            self._failed("Could not submit again", blocked_images_message(request, error))
            return None
        except SubmissionUncertainError as error:
            self._failed("The new submission is uncertain", str(error))
            self._refresh_later()
            return None
        except (ApixoError, *TASK_ERRORS) as error:
            if isinstance(error, ApixoError) and not isinstance(error, ApiStatusError):
                self._api_error(error)
            self._failed("Could not submit again", str(error))
            return None
        except LOCAL_ERRORS as error:
            logger.exception("Could not record the resubmission")
            self._failed("Could not submit again", f"Not saved on this computer: {error}")
            return None
        self._refresh_later()
        return task

    def redownload(self, local_id: str) -> TaskRecord | None:
        """Download a task's paid video again ("Download again"; nothing is charged)."""
        try:
            return self._engine.redownload(local_id)
        except (*TASK_ERRORS, *LOCAL_ERRORS) as error:
            self._failed("Could not download again", str(error))
            return None

    async def check_uncertain(self, local_id: str) -> str:
        """Ask APIXO what it can tell about an uncertain submission; a plain explanation."""
        try:
            return await self._engine.check_uncertain(local_id)
        except ApixoError as error:
            self._api_error(error)
            return f"APIXO could not be asked right now: {error}"
        except (*TASK_ERRORS, *LOCAL_ERRORS) as error:
            return f"The task could not be checked: {error}"

    def dismiss(self, local_id: str) -> None:
        """Hide an uncertain task without sending anything."""
        try:
            self._engine.dismiss(local_id)
        except (*TASK_ERRORS, *LOCAL_ERRORS) as error:
            self._failed("Could not dismiss the task", str(error))

    def remove(self, local_id: str, *, delete_files: bool) -> None:
        """Hide a task from the list; optionally delete its video (and sidecar)."""
        try:
            self._engine.remove(local_id, delete_files=delete_files)
        except (*TASK_ERRORS, *LOCAL_ERRORS) as error:
            self._failed("Could not remove the task", str(error))

    async def save_copy(
        self, local_id: str, destination: Path, *, embed_recipe: bool = True
    ) -> Path | None:
        """Copy the task's video to ``destination`` (off the GUI thread), its recipe embedded
        in the copy's metadata unless ``embed_recipe`` is False."""
        try:
            task = self._engine.get(local_id)
        except KeyError:
            task = None
        if task is None or not task.files:
            self._failed("Nothing to save", "This task has no downloaded video yet.")
            return None
        source = Path(task.files[0])
        try:
            from veo_desktop.film.recipe import export_copy

            return await asyncio.to_thread(
                export_copy, task, source, destination, embed=embed_recipe
            )
        except OSError as error:
            # In words: which file, which folder, what went wrong (no errno, no ".part").
            self._failed("Could not save the video", save_error_text(source, destination, error))
            return None


def blocked_images_message(request: AnyRequest, error: RequestInvalidError) -> str:
    """What to tell a person whose submission the image check blocked.

    Each image is named as its slot ("First frame: ..."); ends with "Nothing was sent."
    """
    from veo_desktop.hosting import describe_slot

    kind = request.generation_type if isinstance(request, GenerationRequest) else ""
    parts = []
    for problem in error.problems:
        index = image_index(problem.field)
        if index is None:
            parts.append(problem.message)
        else:
            parts.append(f"{describe_slot(str(kind), index)}: {problem.message}")
    return " ".join([*parts, NOTHING_SENT])


def image_index(field: str) -> int | None:
    """The ``i`` of a problem's ``image_urls[i]`` field (None for another field)."""
    if not (field.startswith("image_urls[") and field.endswith("]")):
        return None
    index = field[len("image_urls[") : -1]
    return int(index) if index.isdigit() else None


async def copy_file(source: Path, destination: Path) -> Path:
    """Copy ``source`` to ``destination`` in a worker thread (via a partial file).

    The copy appears under its name only once complete, so a file manager or a player
    never sees half a video.
    """

    def copy() -> Path:
        if source.resolve() == destination.resolve():
            return destination
        partial = destination.with_name(destination.name + ".part")
        try:
            shutil.copyfile(source, partial)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
        return destination

    return await asyncio.to_thread(copy)
