"""Variations: N copies of one request (1-8) that differ only in their seeds."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from veo_desktop.api.models import MAX_SEED, ExtendRequest, GenerationRequest

MIN_VARIATIONS = 1
MAX_VARIATIONS = 8

R = TypeVar("R", GenerationRequest, ExtendRequest)


def variation_requests(
    request: R, n: int, seed_source: random.Random | Callable[[], int] | int | None = None
) -> list[R]:
    """``n`` copies of ``request`` (1-8) that differ only in their seeds, all distinct.

    The request's own seed, when it has one, is kept for the first copy. ``seed_source``
    draws the others: a :class:`random.Random`, a function returning seeds, an int (a seed
    for a new Random), or None (the system's randomness).

    Raises:
        ValueError: ``n`` is outside 1-8, or ``seed_source`` keeps repeating itself.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_VARIATIONS <= n <= MAX_VARIATIONS:
        raise ValueError(f"Variations: choose from {MIN_VARIATIONS} to {MAX_VARIATIONS}, not {n}.")
    draw = _seed_drawer(seed_source)
    seeds: list[int] = [] if request.seed is None else [request.seed]
    attempts = 0
    while len(seeds) < n:
        seed = draw() % (MAX_SEED + 1)
        attempts += 1
        if seed not in seeds:
            seeds.append(seed)
        elif attempts > 100 * n:
            raise ValueError("The seed source keeps giving the same seeds.")
    return [request.replace(seed=seed) for seed in seeds]


def _seed_drawer(source: random.Random | Callable[[], int] | int | None) -> Callable[[], int]:
    if source is None:
        system = random.SystemRandom()
        return lambda: system.randint(0, MAX_SEED)
    if isinstance(source, int):
        seeded = random.Random(source)
        return lambda: seeded.randint(0, MAX_SEED)
    if isinstance(source, random.Random):
        rng = source
        return lambda: rng.randint(0, MAX_SEED)
    return source
