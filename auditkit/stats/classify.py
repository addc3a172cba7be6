"""Where a gain's interval lies relative to 0 and to the region of practical equivalence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from auditkit.stats.ttest import paired_t_test

GainStatus = Literal["holds", "reversed", "vanished", "inconclusive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GainClass:
    """A gain's mean, interval and status."""

    #: number of finite gains
    n: int
    #: mean gain, None with fewer than 2 gains
    mean: float | None
    #: two-sided t-interval at ``confidence``
    low: float | None
    high: float | None
    #: holds (interval above 0), reversed (below 0), vanished (the 1 − 2·alpha interval
    #: inside ±rope: TOST equivalence to no gain), or inconclusive
    status: GainStatus


def classify_gain(
    gains: npt.ArrayLike, *, alpha: float = 0.05, rope: float = 0.005, confidence: float = 0.95
) -> GainClass:
    """Classify per-seed gains by their t-interval.

    Parameters
    ----------
    gains : array-like of shape (n_seeds,)
        Gains per seed (positive = better).
    alpha : float
        TOST level: equivalence uses the (1 − 2·alpha) interval.
    rope : float
        Half-width of the region of practical equivalence.
    confidence : float
        Level of the interval that decides holds / reversed.

    Returns
    -------
    GainClass
        ``inconclusive`` with ``mean = None`` when fewer than 2 finite gains are given.

    Examples
    --------
    >>> classify_gain([0.02, 0.03, 0.025]).status
    'holds'
    >>> classify_gain([0.0001, -0.0001, 0.0]).status
    'vanished'
    """
    values = np.asarray(gains, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return GainClass(n=int(values.size), mean=None, low=None, high=None, status="inconclusive")
    test = paired_t_test(values, confidence=confidence, alternative="greater")
    status: GainStatus
    if test.high < 0:
        status = "reversed"
    elif test.low > 0:
        status = "holds"
    else:
        eq = paired_t_test(values, confidence=1 - 2 * alpha, alternative="two-sided")
        status = "vanished" if -rope < eq.low and eq.high < rope else "inconclusive"
    return GainClass(
        n=int(values.size), mean=test.mean, low=test.low, high=test.high, status=status
    )
