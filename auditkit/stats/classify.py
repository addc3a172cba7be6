"""Where a gain's interval lies relative to 0 and to the region of practical equivalence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from auditkit.stats.paired import corrected_resampled_t_test
from auditkit.stats.ttest import TTest, paired_t_test

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


def gain_t_test(
    gains: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    alternative: str = "greater",
    resampled: tuple[int, int] | None = None,
) -> TTest:
    """The t-test of per-seed gains: paired, or Nadeau–Bengio corrected for resampled designs.

    Parameters
    ----------
    gains : array-like of shape (n_seeds,)
        Gains per seed (positive = better).
    confidence, alternative
        As in ``paired_t_test``.
    resampled : tuple of (n_train, n_test), optional
        Set when the seeds train on overlapping resamples of one pool (cross-validation
        folds): the variance of the mean is corrected by ``n_test / n_train``.

    Returns
    -------
    TTest
    """
    if resampled is None:
        return paired_t_test(gains, confidence=confidence, alternative=alternative)
    n_train, n_test = resampled
    return corrected_resampled_t_test(
        gains, n_train=n_train, n_test=n_test, confidence=confidence, alternative=alternative
    )


def classify_gain(
    gains: npt.ArrayLike,
    *,
    alpha: float = 0.05,
    rope: float = 0.005,
    confidence: float = 0.95,
    resampled: tuple[int, int] | None = None,
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
    resampled : tuple of (n_train, n_test), optional
        Cross-validated design: intervals use the Nadeau–Bengio correction.

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
    test = gain_t_test(values, confidence=confidence, alternative="greater", resampled=resampled)
    status: GainStatus
    if test.high < 0:
        status = "reversed"
    elif test.low > 0:
        status = "holds"
    else:
        eq = gain_t_test(
            values, confidence=1 - 2 * alpha, alternative="two-sided", resampled=resampled
        )
        status = "vanished" if -rope < eq.low and eq.high < rope else "inconclusive"
    return GainClass(
        n=int(values.size), mean=test.mean, low=test.low, high=test.high, status=status
    )
