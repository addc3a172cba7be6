"""Random-state handling shared by the resampling functions."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

#: What every resampling function accepts as ``random_state``: a seed, a Generator, or
#: None for fresh OS entropy (not reproducible; avoid in audits).
RandomState: TypeAlias = int | np.random.Generator | None

#: Largest number of array elements one vectorised resampling batch may hold (32 MiB of
#: float64); bigger jobs run in batches so memory stays bounded.
MAX_BATCH_ELEMENTS = 1 << 22


def as_generator(random_state: RandomState) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``random_state`` (a Generator is used as is)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, int | np.integer):
        return np.random.default_rng(random_state)
    raise TypeError(
        f"random_state={random_state!r} must be an int seed, a numpy.random.Generator or None"
    )


def check_n_resamples(n_resamples: int, *, minimum: int = 1) -> int:
    """Validate a resample count."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise TypeError(f"n_resamples={n_resamples!r} must be an int")
    if n_resamples < minimum:
        raise ValueError(f"n_resamples={n_resamples!r} must be at least {minimum}")
    return int(n_resamples)


def batch_sizes(total: int, row_elements: int) -> list[int]:
    """Split ``total`` rows of ``row_elements`` each into batches under MAX_BATCH_ELEMENTS."""
    per = max(1, MAX_BATCH_ELEMENTS // max(1, row_elements))
    return [min(per, total - start) for start in range(0, total, per)]
