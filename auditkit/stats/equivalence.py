"""TOST equivalence test of paired differences within a region of practical equivalence."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

from auditkit.stats._validation import as_sample, check_probability, is_constant

__all__ = ["TOST", "tost"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TOST:
    """Result of two one-sided t-tests for equivalence of the mean difference to 0 within ±delta."""

    #: number of paired differences
    n: int
    #: mean difference
    mean: float
    #: half-width of the region of practical equivalence (ROPE), ``(-delta, +delta)``
    delta: float
    #: TOST p-value, ``max(p_lower, p_upper)``; small means "equivalent within ±delta"
    p_value: float
    #: p-value of H0: mean <= -delta against H1: mean > -delta
    p_lower: float
    #: p-value of H0: mean >= +delta against H1: mean < +delta
    p_upper: float
    #: lower end of the two-sided (1 - 2 alpha) t-interval of the mean
    low: float
    #: upper end of the two-sided (1 - 2 alpha) t-interval of the mean
    high: float
    #: level of each one-sided test; the interval has confidence 1 - 2 alpha
    alpha: float
    #: degrees of freedom, n - 1
    df: int


def tost(differences: npt.ArrayLike, *, delta: float, alpha: float = 0.05) -> TOST:
    """Two one-sided t-tests (Schuirmann 1987) for equivalence within the ROPE ±delta.

    Parameters
    ----------
    differences : array-like of shape (n_seeds,)
        Variant minus baseline per seed.
    delta : float
        Half-width of the region of practical equivalence, in the metric's units (> 0).
    alpha : float, default 0.05
        Level of each one-sided test.

    Returns
    -------
    TOST
        ``p_value < alpha`` establishes equivalence; equivalently the (1 - 2 alpha)
        interval ``[low, high]`` lies inside ``(-delta, delta)``.

    Notes
    -----
    ``t_lower = (mean + delta) / se`` with ``p_lower = P(T > t_lower)`` and
    ``t_upper = (mean - delta) / se`` with ``p_upper = P(T < t_upper)``, ``T ~ t(n-1)``.
    Equals ``statsmodels.stats.weightstats.ttost_paired(variant, baseline, -delta,
    delta)``. Constant differences (se = 0): ``p = 0`` when ``|mean| < delta``, else 1.

    Examples
    --------
    >>> round(tost([0.1, -0.1, 0.0, 0.05], delta=0.5).p_value, 6)
    0.000721
    """
    d = as_sample(differences, name="differences")
    a = check_probability(alpha, name="alpha")
    dl = float(delta)
    if not (math.isfinite(dl) and dl > 0):
        raise ValueError(
            f"delta={delta!r} must be a positive, finite half-width of the ROPE (metric units)"
        )
    n = int(d.size)
    df = n - 1
    mean = float(d.mean())
    sd = float(np.std(d, ddof=1))
    if is_constant(d, sd):
        p_lower = 0.0 if mean > -dl else 1.0
        p_upper = 0.0 if mean < dl else 1.0
        return TOST(
            n=n, mean=mean, delta=dl, p_value=max(p_lower, p_upper), p_lower=p_lower,
            p_upper=p_upper, low=mean, high=mean, alpha=a, df=df,
        )  # fmt: skip
    se = sd / math.sqrt(n)
    p_lower = float(_st.t.sf((mean + dl) / se, df))
    p_upper = float(_st.t.cdf((mean - dl) / se, df))
    half = float(_st.t.ppf(1.0 - a, df)) * se
    return TOST(
        n=n,
        mean=mean,
        delta=dl,
        p_value=max(p_lower, p_upper),
        p_lower=p_lower,
        p_upper=p_upper,
        low=mean - half,
        high=mean + half,
        alpha=a,
        df=df,
    )
