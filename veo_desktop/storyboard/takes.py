"""More takes of one shot: N variations of its request (distinct seeds), sent once agreed to.

A shot may have several takes; the person picks one (``choose_take``). :func:`generate_takes`
sends ``count`` takes of a shot that has its own settings, made as the shot's next take would
be (a continued shot from its predecessor's last frame, an extend from its predecessor's
take), through the same money checks and the same durable link as the missing shots. It
returns once they are sent; the takes finish in the engine (the service tells subscribers).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from veo_desktop.api.errors import (
    ApixoError,
    AuthenticationError,
    InsufficientBalanceError,
    PermissionDeniedError,
    SubmissionUncertainError,
)
from veo_desktop.api.models import AnyRequest, ExtendRequest, RequestInvalidError
from veo_desktop.core.batch import MAX_VARIATIONS, MIN_VARIATIONS, payload_key, variation_requests
from veo_desktop.core.spending import money
from veo_desktop.hosting.model import HostingError
from veo_desktop.records.storyboard import ShotStart
from veo_desktop.storage.store import StoreError
from veo_desktop.storyboard.director import shot_request
from veo_desktop.storyboard.planner import start_problem
from veo_desktop.storyboard.service import StoryboardError, StoryboardService


def takes_problem(service: StoryboardService, board_id: str, shot_id: str) -> str | None:
    """Why no take of the shot can be sent now (asked before its price is), else None: the
    shot is blocked, has no settings of its own, or cannot start as it says (a continued or
    extended shot whose previous shot has no video yet, an extend APIXO would refuse).

    Raises:
        KeyError: no such storyboard or shot.
    """
    board = service.get(board_id)
    index = board.index_of(shot_id)
    shot = board.shots[index]
    if shot.problem is not None:
        return f"Shot {index + 1}: {shot.problem.text}"
    if shot.request is None:
        return "A shot made from a finished task has no settings to make takes of."
    if shot.start is ShotStart.OWN:
        return None
    problem = start_problem(
        board,
        service.plan(board_id),
        index,
        service.record_of,
        now=service.clock.time(),
        records=service.engine.loaded_tasks(include_hidden=True),  # as plan() reads them
    )
    return f"Shot {index + 1}: {problem}" if problem is not None else None


async def generate_takes(
    service: StoryboardService,
    board_id: str,
    shot_id: str,
    count: int,
    *,
    approved: Decimal,
    over_cap: bool = False,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Send ``count`` takes (1-8) of a shot, each with its own seed.

    Returns:
        The local ids of the takes sent, and what went wrong (empty when all were sent).

    Raises:
        StoryboardError: nothing was sent, and why (see :func:`takes_problem`; more than
            ``approved``, the balance is short, past the cap).
        KeyError: no such storyboard or shot.
    """
    if not MIN_VARIATIONS <= count <= MAX_VARIATIONS:
        raise StoryboardError(f"Choose {MIN_VARIATIONS} to {MAX_VARIATIONS} takes.")
    problem = takes_problem(service, board_id, shot_id)
    if problem is not None:
        raise StoryboardError(f"{problem} Nothing was sent.")
    shot = service.get(board_id).shot(shot_id)
    assert shot.request is not None  # takes_problem says so otherwise
    total = shot.request.price * count
    if total > approved:
        raise StoryboardError(
            f"{count} takes cost {money(total)}, more than the {money(approved)} agreed; "
            "nothing was sent."
        )
    try:
        # The same source for every take: the take the film uses for the shot before (its
        # last frame for a continued shot, its task for an extend).
        base, parent_id = await shot_request(service, board_id, shot_id)
        variations: list[AnyRequest] = []
        if isinstance(base, ExtendRequest):  # one call per request type (the type checker)
            variations.extend(variation_requests(base, count))
        else:
            variations.extend(variation_requests(base, count))
        requests = [r.validated() for r in variations]
    except (ValueError, OSError, HostingError) as error:
        raise StoryboardError(f"No take was sent: {error}") from error
    with contextlib.suppress(ApixoError):
        await service.engine.balance()
    decision = service.confirmation_for(total)
    if decision.short_of_balance:
        raise StoryboardError(f"{decision.balance_text} Nothing was sent.")
    if decision.over_cap and not over_cap:
        raise StoryboardError(f"{decision.cap_text} Nothing was sent.")
    sent: list[str] = []
    failures: list[str] = []
    for number, request in enumerate(requests, start=1):
        key = payload_key(request.model.value, request.to_payload())
        await service.engine.wait_started()  # a window's start may still be loading tasks
        try:
            service.mark_sending(board_id, shot_id, key)
        except (KeyError, StoreError) as error:
            failures.append(f"Take {number} was not sent: {error}")
            break
        local_id: str | None = None
        try:
            record = await service.engine.submit(request, parent_id=parent_id)
            local_id = record.local_id
            sent.append(local_id)
        except SubmissionUncertainError as error:
            failures.append(f"Take {number} is uncertain: {error} It is not sent again.")
        except (InsufficientBalanceError, AuthenticationError, PermissionDeniedError) as error:
            failures.append(f"Take {number} was not sent: {error} The rest were not sent.")
            break
        except (ApixoError, RequestInvalidError) as error:
            failures.append(f"APIXO did not take take {number}: {error}")
        except StoreError as error:
            failures.append(f"Take {number} was not sent: {error} The rest were not sent.")
            break
        finally:
            service.end_sending(board_id, shot_id, key, local_id)
    return tuple(sent), tuple(failures)
