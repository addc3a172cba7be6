"""Small-sample guards: the smallest p-value an exact test can reach with n observations."""

from __future__ import annotations

import math
from typing import Literal

from auditkit.stats._validation import check_alternative, check_probability

__all__ = ["can_reach_significance", "min_attainable_p_value", "min_n_for_significance"]

ExactTest = Literal["sign-flip", "wilcoxon", "sign"]
_EXACT_TESTS = ("sign-flip", "wilcoxon", "sign")


def min_attainable_p_value(
    n: int, *, test: ExactTest = "sign-flip", alternative: str = "greater"
) -> float:
    """Smallest p-value an exact sign-based test can return with n paired differences.

    Parameters
    ----------
    n : int
        Number of non-zero paired differences (zeros dropped by the Wilcoxon test, or
        contributing nothing to a sign flip, do not count).
    test : {"sign-flip", "wilcoxon", "sign"}, default "sign-flip"
        The exact test. All three have the same floor: the most extreme outcome (every
        difference positive) is one of 2**n equally likely sign patterns.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        Direction of the test.

    Returns
    -------
    float
        ``2**-n`` one-sided, ``2**(1-n)`` two-sided (capped at 1). Ties among the
        absolute differences can only raise the floor for the sign-flip test.

    Examples
    --------
    >>> min_attainable_p_value(5), min_attainable_p_value(5, alternative="two-sided")
    (0.03125, 0.0625)
    """
    if test not in _EXACT_TESTS:
        raise ValueError(f"test={test!r} must be one of {_EXACT_TESTS}")
    alt = check_alternative(alternative)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n={n!r} must be a non-negative integer")
    p = 2.0**-n
    return min(1.0, 2.0 * p if alt == "two-sided" else p)


def min_n_for_significance(alpha: float = 0.05, *, alternative: str = "greater") -> int:
    """Fewest non-zero differences with which an exact sign-based test can reach p <= alpha.

    Parameters
    ----------
    alpha : float, default 0.05
        Significance level (after any multiple-comparison correction).
    alternative : {"greater", "less", "two-sided"}, default "greater"
        Direction of the test.

    Returns
    -------
    int
        5 one-sided and 6 two-sided at alpha = 0.05: with n <= 4 (one-sided) or
        n <= 5 (two-sided) no data can reach p < 0.05, so report that instead of a p-value.

    Examples
    --------
    >>> min_n_for_significance(0.05), min_n_for_significance(0.05, alternative="two-sided")
    (5, 6)
    """
    a = check_probability(alpha)
    alt = check_alternative(alternative)
    n = math.ceil(math.log2(1.0 / a)) + (1 if alt == "two-sided" else 0)
    # guard float rounding of log2 at exact powers of two
    while n > 0 and min_attainable_p_value(n - 1, alternative=alt) <= a:
        n -= 1
    while min_attainable_p_value(n, alternative=alt) > a:
        n += 1
    return n


def can_reach_significance(
    n: int, alpha: float = 0.05, *, test: ExactTest = "sign-flip", alternative: str = "greater"
) -> bool:
    """Whether an exact sign-based test with n non-zero differences can reach p <= alpha.

    Examples
    --------
    >>> can_reach_significance(5, 0.05, alternative="two-sided")
    False
    """
    return min_attainable_p_value(n, test=test, alternative=alternative) <= check_probability(alpha)
