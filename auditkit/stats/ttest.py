"""The paired t-test and t-interval on per-seed differences (variant minus baseline)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

from auditkit.stats._validation import (
    as_sample,
    check_alternative,
    check_confidence,
    is_constant,
    p_value_from_sides,
)

__all__ = ["TTest", "paired_t_test"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TTest:
    """Result of a one-sample t-test on paired differences, with its t-interval."""

    #: number of paired differences (seeds)
    n: int
    #: mean of the differences (the point estimate of the improvement)
    mean: float
    #: sample standard deviation of the differences (ddof=1)
    sd: float
    #: standard error of the mean, ``sd / sqrt(n)``
    se: float
    #: lower end of the two-sided t-interval of the mean at ``confidence``
    low: float
    #: upper end of the two-sided t-interval of the mean at ``confidence``
    high: float
    #: confidence level of ``[low, high]``, e.g. 0.95
    confidence: float
    #: t statistic ``mean / se``; ``±inf`` when the differences are constant and non-zero
    statistic: float
    #: degrees of freedom, ``n - 1``
    df: int
    #: p-value for ``alternative``
    p_value: float
    #: "greater" (variant better), "less" or "two-sided"
    alternative: str


def paired_t_test(
    differences: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    alternative: str = "greater",
) -> TTest:
    """Paired t-test of the mean difference, and the two-sided t-interval of the mean.

    Parameters
    ----------
    differences : array-like of shape (n_seeds,)
        Variant minus baseline, one value per seed (the two arms share each seed).
    confidence : float, default 0.95
        Confidence level of the interval ``[low, high]``. The interval is always
        two-sided, whatever ``alternative`` is, so it can be shown next to any test.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        "greater" tests H1: mean difference > 0 (the variant improves).

    Returns
    -------
    TTest
        Point estimate, spread, interval, statistic, degrees of freedom and p-value.

    Raises
    ------
    ValueError
        If there are fewer than 2 differences, any is NaN/inf, or an argument is invalid.

    Notes
    -----
    Matches ``scipy.stats.ttest_1samp(differences, 0, alternative=...)`` whenever the
    differences vary. When they are constant (up to floating-point rounding; see
    ``is_constant``) the t statistic is 0/0 or x/0, and scipy returns NaN with a warning.
    We return instead the limit that a reader expects:

    * ``sd = se = 0`` and the interval collapses to ``[mean, mean]``;
    * mean > 0: ``statistic = +inf``, p = 0 for "greater" and "two-sided", 1 for "less";
    * mean < 0: mirrored;
    * mean = 0: ``statistic = 0`` and p = 1 for every alternative (no evidence either way).

    Constant differences usually mean the seeds did not reach the code (identical runs);
    the verdict layer should treat them as invalid evidence rather than trust p = 0.

    Examples
    --------
    >>> r = paired_t_test([1.0, 2.0, 3.0])
    >>> r.mean, r.sd, r.df
    (2.0, 1.0, 2)
    >>> round(r.p_value, 4)
    0.0371
    """
    # over 80 lines for its numpydoc docstring (45 lines); the code itself is 49 lines
    d = as_sample(differences, name="differences")
    conf = check_confidence(confidence)
    alt = check_alternative(alternative)
    n = int(d.size)
    df = n - 1
    mean = float(np.mean(d))
    sd = float(np.std(d, ddof=1))

    if is_constant(d, sd):
        if mean > 0:
            statistic, p_greater, p_less = math.inf, 0.0, 1.0
        elif mean < 0:
            statistic, p_greater, p_less = -math.inf, 1.0, 0.0
        else:
            statistic, p_greater, p_less = 0.0, 1.0, 1.0
        # min(1, 2*min(p_g, p_l)) gives 1 at mean 0 and 0 otherwise, as documented.
        return TTest(
            n=n,
            mean=mean,
            sd=0.0,
            se=0.0,
            low=mean,
            high=mean,
            confidence=conf,
            statistic=statistic,
            df=df,
            p_value=p_value_from_sides(p_greater, p_less, alt),
            alternative=alt,
        )

    se = sd / math.sqrt(n)
    statistic = mean / se
    half = float(_st.t.ppf(0.5 + conf / 2.0, df)) * se
    # sf/cdf rather than 1 - cdf keep precision in the far tails.
    p_greater = float(_st.t.sf(statistic, df))
    p_less = float(_st.t.cdf(statistic, df))
    return TTest(
        n=n,
        mean=mean,
        sd=sd,
        se=se,
        low=mean - half,
        high=mean + half,
        confidence=conf,
        statistic=statistic,
        df=df,
        p_value=p_value_from_sides(p_greater, p_less, alt),
        alternative=alt,
    )
