"""At start-up, a non-blocking offer to send the rest of each batch that was stopped.

The offers sit above the task list (:class:`~veo_desktop.ui.tasks.batch_offer.BatchOffer`);
:class:`StoppedBatchOffers` finds the stopped batches once the session has started, shows
an offer for each, and takes them down when the session closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6

if TYPE_CHECKING:
    from veo_desktop.core.spending import SpendingCap
    from veo_desktop.ui.session import Session
    from veo_desktop.ui.tasks.batch_offer import BatchOffer
    from veo_desktop.ui.tasks.panel import TaskPanel

log = logging.getLogger(__name__)


class StoppedBatchOffers:
    """The offers shown for the current session (newest first).

    Args:
        spending_cap: returns the daily cap in effect (an offer asks past it).
        show_message: puts a line in the status bar (text, milliseconds).
    """

    def __init__(
        self,
        spending_cap: Callable[[], SpendingCap | None],
        show_message: Callable[[str, int], None],
    ) -> None:
        self._spending_cap = spending_cap
        self._show_message = show_message
        self.offers: list[BatchOffer] = []

    async def offer(self, session: Session, panel: Callable[[], TaskPanel | None]) -> None:
        """Look for stopped batches of ``session`` and offer each above ``panel()``'s list
        (unless the session is gone by then: ``panel()`` returns None)."""
        from veo_desktop.ui.tasks.batch_offer import BatchOffer, stopped_batches

        try:
            journals = await stopped_batches(session.controller, session.paths.data_dir)
        except OSError as error:
            log.warning("could not look for stopped batches: %s", error)
            return
        task_panel = panel()
        if task_panel is None:
            return
        for journal in reversed(journals):
            offer = BatchOffer(
                session.controller, journal, spending_cap=self._spending_cap, parent=task_panel
            )
            task_panel.add_notice(offer)
            self.offers.insert(0, offer)
        if journals:
            self._show_message(
                "A batch was stopped before every item was sent: see above the task list.", 10000
            )

    def shutdown(self) -> None:
        """Stop the offers (their session closes)."""
        for offer in self.offers:
            if shiboken6.isValid(offer):
                offer.shutdown()
        self.offers = []
