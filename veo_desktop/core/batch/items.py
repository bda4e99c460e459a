"""One request of a batch (:class:`BatchItem`), its canonical key, and what a batch costs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from veo_desktop.api.models import AnyRequest


@dataclass(frozen=True)
class BatchItem:
    """One request of a batch and where it came from (its line; 0 when not from a file)."""

    line: int
    request: AnyRequest

    @property
    def price(self) -> Decimal:
        return self.request.price

    @property
    def payload(self) -> dict[str, Any]:
        return self.request.to_payload()

    @property
    def key(self) -> str:
        """A canonical text of the request: equal for requests that are the same."""
        return payload_key(self.request.model.value, self.payload)


def payload_key(model: str, payload: Mapping[str, Any]) -> str:
    return model + "\n" + json.dumps(payload, sort_keys=True, ensure_ascii=False)


def total_price(items: Iterable[BatchItem]) -> Decimal:
    """What the batch costs if APIXO accepts every item."""
    return sum((item.price for item in items), Decimal("0"))
