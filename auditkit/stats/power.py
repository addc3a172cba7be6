"""Power of the one-sided paired t-test: seeds needed, and the minimum detectable effect."""

from __future__ import annotations

import math

from scipy import optimize
from scipy import stats as _st

from auditkit.stats._validation import check_probability

__all__ = ["decision_alpha", "minimum_detectable_effect", "seeds_needed", "t_test_power"]

#: seeds_needed gives up beyond this many seeds (an effect that small is not auditable).
MAX_SEEDS = 1_000_000


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n={n!r} must be an integer >= 2 (paired differences per claim)")
    return n


def _check_sd(sd: float) -> float:
    s = float(sd)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(
            f"sd={sd!r} must be positive and finite: the sd of the per-seed differences; "
            "with zero spread any effect is detected with 2 seeds"
        )
    return s


def decision_alpha(alpha: float, confidence: float) -> float:
    """One-sided level of a decision that needs both ``p < alpha`` and a two-sided CI above 0.

    Parameters
    ----------
    alpha : float
        One-sided significance level of the t-test.
    confidence : float
        Level of the two-sided t-interval whose lower end must exceed 0.

    Returns
    -------
    float
        ``min(alpha, (1 - confidence) / 2)``: the lower end of a two-sided ``confidence``
        t-interval exceeds 0 exactly when the one-sided p is below ``(1 - confidence) / 2``,
        so the stricter of the two conditions is the level the decision actually uses.
        Power, seeds needed and minimum detectable effect must be computed at this level,
        or they promise more than the verdict delivers (at alpha = 0.05 and a 95 % interval,
        seeds chosen for 80 % power at 0.05 reach SUPPORTED only about 71 % of the time).

    Examples
    --------
    >>> decision_alpha(0.05, 0.95)
    0.025
    """
    a = check_probability(alpha)
    c = check_probability(confidence, name="confidence")
    # round away the float noise of 1 - 0.95 so the level prints as 0.025
    return min(a, round((1.0 - c) / 2.0, 12))


def t_test_power(n: int, effect: float, sd: float, *, alpha: float = 0.05) -> float:
    """Exact power of the one-sided ("greater") paired t-test at level alpha.

    Parameters
    ----------
    n : int
        Number of paired differences (seeds), >= 2.
    effect : float
        True mean difference, in metric units.
    sd : float
        Standard deviation of the per-seed differences (> 0).
    alpha : float, default 0.05
        One-sided significance level.

    Returns
    -------
    float
        ``P(T > t_{1-alpha, n-1})`` where ``T`` is noncentral t with ``n - 1`` degrees of
        freedom and noncentrality ``effect / sd * sqrt(n)``. Equals statsmodels
        ``TTestPower().power(effect/sd, n, alpha, alternative="larger")``.

    Examples
    --------
    >>> round(t_test_power(10, 1.0, 1.0), 4)
    0.8975
    """
    n = _check_n(n)
    s = _check_sd(sd)
    a = check_probability(alpha)
    crit = float(_st.t.ppf(1.0 - a, n - 1))
    return float(_st.nct.sf(crit, n - 1, float(effect) / s * math.sqrt(n)))


def seeds_needed(effect: float, sd: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Smallest number of seeds for which the one-sided paired t-test reaches ``power``.

    Parameters
    ----------
    effect : float
        Mean difference to detect (> 0), e.g. the claimed gain.
    sd : float
        Estimated sd of the per-seed differences (> 0).
    alpha : float, default 0.05
        One-sided level.
    power : float, default 0.8
        Target power.

    Returns
    -------
    int
        Smallest ``n >= 2`` with ``t_test_power(n, effect, sd, alpha=alpha) >= power``
        (statsmodels' ``solve_power(...)`` rounded up).

    Raises
    ------
    ValueError
        If ``effect <= 0`` (nothing to detect), or more than 1,000,000 seeds are needed.

    Examples
    --------
    >>> seeds_needed(1.0, 1.0)
    8
    """
    e = float(effect)
    if not (math.isfinite(e) and e > 0):
        raise ValueError(f"effect={effect!r} must be a positive, finite mean difference")
    s = _check_sd(sd)
    check_probability(power, name="power")
    a = check_probability(alpha)

    def ok(n: int) -> bool:
        return t_test_power(n, e, s, alpha=a) >= power

    # power is increasing in n: double to bracket, then bisect.
    lo, hi = 1, 2
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > MAX_SEEDS:
            raise ValueError(
                f"detecting effect={e!r} with sd={s!r} needs more than {MAX_SEEDS} seeds "
                f"(d_z = {e / s:.3g}); the claim cannot be audited by reseeding"
            )
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return max(2, hi)


def minimum_detectable_effect(
    n: int, sd: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest true mean difference the one-sided paired t-test detects with ``power`` at n.

    Parameters
    ----------
    n : int
        Seeds used (>= 2).
    sd : float
        sd of the per-seed differences (> 0).
    alpha : float, default 0.05
        One-sided level.
    power : float, default 0.8
        Target power.

    Returns
    -------
    float
        The effect (metric units) solving ``t_test_power(n, effect, sd) == power``.

    Examples
    --------
    >>> round(minimum_detectable_effect(10, 1.0), 4)
    0.8528
    """
    n = _check_n(n)
    s = _check_sd(sd)
    pw = check_probability(power, name="power")
    a = check_probability(alpha)
    if pw <= a:
        return 0.0  # the test's size already reaches this "power" at zero effect

    def f(dz: float) -> float:
        return t_test_power(n, dz * s, s, alpha=a) - pw

    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-12)) * s
