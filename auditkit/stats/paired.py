"""Tests and effect sizes on per-seed paired differences beyond the t-test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy import stats as _st

from auditkit.stats._validation import (
    as_sample,
    check_alternative,
    check_confidence,
    is_constant,
)
from auditkit.stats.resampling import EXACT_SIGN_FLIP_MAX_N, _exact_tail_counts
from auditkit.stats.ttest import TTest, paired_t_test

__all__ = [
    "EffectSize",
    "GainInteraction",
    "ProbabilityOfImprovement",
    "WilcoxonTest",
    "corrected_resampled_t_test",
    "effect_size_dz",
    "gain_interaction_test",
    "probability_of_improvement",
    "snap_ties",
    "wilcoxon_test",
]


#: relative tolerance under which two magnitudes are the same number (float noise, not data)
TIE_RTOL = 1e-9


def snap_ties(values: npt.NDArray[np.float64], rtol: float = TIE_RTOL) -> npt.NDArray[np.float64]:
    """Merge magnitudes that differ only by float noise, so rank tests see true ties.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Signed differences.
    rtol : float, default 1e-9
        Magnitudes within ``rtol * max(|values|)`` of their sorted neighbour share one value
        (the first of the run), and magnitudes within that tolerance of 0 become 0.

    Returns
    -------
    ndarray of shape (n,)
        The values with snapped magnitudes and their original signs.

    Notes
    -----
    ``0.3 - 0.2`` and ``0.4 - 0.3`` differ in the last bits; ranked as they are, a true tie
    becomes two ranks and an exact test uses the wrong null distribution.

    Examples
    --------
    >>> snap_ties(np.array([0.1, -0.1 * (1 + 1e-12), 0.2])).tolist()
    [0.1, -0.1, 0.2]
    """
    mags = np.abs(values)
    scale = float(mags.max()) if mags.size else 0.0
    if scale == 0.0:
        return values.copy()
    tol = rtol * scale
    order = np.argsort(mags, kind="stable")
    snapped = mags.copy()
    anchor = 0.0  # magnitudes near 0 join the zero run
    for i in order:
        if mags[i] - anchor > tol:
            anchor = float(mags[i])
        snapped[i] = anchor
    out: npt.NDArray[np.float64] = np.sign(values) * snapped
    return out


# --- Wilcoxon signed-rank ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WilcoxonTest:
    """Result of the Wilcoxon signed-rank test on paired differences."""

    #: number of paired differences given
    n: int
    #: differences that are not exactly zero
    n_nonzero: int
    #: T+, the sum of the (mid)ranks of the positive differences, for every alternative
    statistic: float
    #: p-value for ``alternative``
    p_value: float
    #: "greater" | "less" | "two-sided"
    alternative: str
    #: "exact" (scipy, no ties or zeros), "exact-conditional" (enumerated sign patterns of
    #: the observed midranks) or "normal-approximation" (ties or zeros and n > 16)
    method: str
    #: how zeros were handled: "wilcox" (dropped) or "pratt" (ranked, then given no sign)
    zero_method: str


def wilcoxon_test(
    differences: npt.ArrayLike,
    *,
    alternative: str = "greater",
    zero_method: Literal["wilcox", "pratt"] = "wilcox",
) -> WilcoxonTest:
    """Wilcoxon signed-rank test of paired differences, exact whenever possible.

    Parameters
    ----------
    differences : array-like of shape (n_seeds,)
        Variant minus baseline per seed.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        "greater" tests H1: the differences are shifted above 0.
    zero_method : {"wilcox", "pratt"}, default "wilcox"
        "wilcox" drops zero differences before ranking (the classical test); "pratt"
        ranks them with the others and then gives them no sign, which is more
        powerful when zeros are frequent.

    Returns
    -------
    WilcoxonTest

    Notes
    -----
    Without ties or zeros this is ``scipy.stats.wilcoxon(d, method="exact")``. With ties
    or zeros, scipy's "exact" method uses the null distribution of untied ranks and
    rounds the statistic, which is not exact. We instead enumerate the 2**n sign patterns
    of the observed midranks (the exact conditional null distribution, the same as
    ``scipy.stats.wilcoxon(d, method=PermutationMethod())`` when 2**n fits in its
    resamples) for n <= 16, and use scipy's normal approximation with tie and continuity
    corrections beyond. Magnitudes equal within ``1e-9`` relative (float noise) are ties,
    and those within it of 0 are zeros (``snap_ties``). If every difference is zero,
    p = 1. With n <= 4 (one-sided) or n <= 5 (two-sided) no outcome reaches p < 0.05; see
    ``min_attainable_p_value``.

    Examples
    --------
    >>> wilcoxon_test([1.0, 2.0, 3.0, 4.0, 5.0]).p_value  # 1 / 2**5
    0.03125
    """
    # over 80 lines for its numpydoc docstring (35 lines); the code itself is 47 lines
    # magnitudes equal up to float noise are ties, and near-zero ones are zeros
    d = snap_ties(as_sample(differences, name="differences"))
    alt = check_alternative(alternative)
    if zero_method not in ("wilcox", "pratt"):
        raise ValueError(f"zero_method={zero_method!r} must be 'wilcox' or 'pratt'")
    n = int(d.size)
    nonzero = d != 0
    n_nonzero = int(np.count_nonzero(nonzero))
    if n_nonzero == 0:
        return WilcoxonTest(
            n=n, n_nonzero=0, statistic=0.0, p_value=1.0, alternative=alt,
            method="exact-conditional", zero_method=zero_method,
        )  # fmt: skip

    ranked = d[nonzero] if zero_method == "wilcox" else d
    ranks = _st.rankdata(np.abs(ranked))
    signs = np.sign(ranked)  # zeros (pratt) keep their rank but contribute 0
    signed = ranks * signs
    t_plus = float(ranks[signs > 0].sum())
    has_ties = np.unique(np.abs(ranked[ranked != 0])).size < n_nonzero
    has_zeros = n_nonzero < n

    if not has_ties and not has_zeros:
        res = _st.wilcoxon(d, alternative=alt, method="exact")
        p, method = float(res.pvalue), "exact"
    elif signed.size <= EXACT_SIGN_FLIP_MAX_N:
        # T+ = (sum(signed) + sum(|ranks of nonzero|)) / 2 is monotone in sum(signed), so the
        # sign-flip distribution of the signed ranks is the conditional null of T+.
        observed = float(signed.sum())
        ge, le = _exact_tail_counts(signed, observed, 1e-9)
        total = 1 << signed.size
        pg, pl = ge / total, le / total
        p = pg if alt == "greater" else pl if alt == "less" else min(1.0, 2.0 * min(pg, pl))
        method = "exact-conditional"
    else:
        res = _st.wilcoxon(
            d, alternative=alt, method="asymptotic", zero_method=zero_method, correction=True
        )
        p, method = float(res.pvalue), "normal-approximation"
    return WilcoxonTest(
        n=n,
        n_nonzero=n_nonzero,
        statistic=t_plus,
        p_value=min(1.0, max(0.0, p)),
        alternative=alt,
        method=method,
        zero_method=zero_method,
    )


# --- effect size ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EffectSize:
    """Standardised mean difference of paired data, d_z, with its exact interval."""

    #: number of paired differences
    n: int
    #: d_z = mean / sd of the differences (ddof=1)
    dz: float
    #: lower end of the two-sided noncentral-t interval of d_z
    low: float
    #: upper end of the two-sided noncentral-t interval of d_z
    high: float
    #: confidence level of ``[low, high]``
    confidence: float


def _nct_bound(t_obs: float, df: int, n: int, target: float) -> float:
    """Solve ``P(T <= t_obs; df, nc) = target`` for the noncentrality, returned as nc / sqrt(n)."""

    def f(nc: float) -> float:
        cdf = float(_st.nct.cdf(t_obs, df, nc))
        if math.isnan(cdf):
            # scipy's nct.cdf returns NaN in parts of the far tails (e.g. cdf(7, 7, -9.15)
            # in scipy 1.17); the cdf is monotone decreasing in nc and saturated there.
            cdf = 1.0 if nc < t_obs else 0.0
        return cdf - target

    # cdf is decreasing in nc. Start from the normal approximation of the bound's distance
    # (sd of t is about sqrt(1 + t^2 / (2 df))) and widen until the sign changes.
    z = abs(float(_st.norm.ppf(target)))
    width = 2.0 * (z + 1.0) * math.sqrt(1.0 + t_obs * t_obs / (2.0 * df))
    lo, hi = t_obs - width, t_obs + width
    while f(lo) < 0:
        lo -= width
    while f(hi) > 0:
        hi += width
    return float(optimize.brentq(f, lo, hi, xtol=1e-12)) / math.sqrt(n)


def effect_size_dz(differences: npt.ArrayLike, *, confidence: float = 0.95) -> EffectSize:
    """Cohen's d_z for paired data: mean difference over the sd of the differences.

    Parameters
    ----------
    differences : array-like of shape (n_seeds,)
        Variant minus baseline per seed.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    EffectSize

    Notes
    -----
    ``t = d_z * sqrt(n)`` follows a noncentral t with ``n - 1`` degrees of freedom and
    noncentrality ``δ sqrt(n)``; the interval inverts that distribution (Cumming &
    Finch 2001), so it is exact under normality, unlike ``d_z ± z * se`` formulas.
    Constant differences have no spread: d_z is ``+inf``/``-inf`` by the sign of the
    mean (0 when the mean is 0) and the interval collapses onto it.

    Examples
    --------
    >>> effect_size_dz([1.0, 2.0, 3.0]).dz
    2.0
    """
    d = as_sample(differences, name="differences")
    conf = check_confidence(confidence)
    n = int(d.size)
    mean = float(d.mean())
    sd = float(np.std(d, ddof=1))
    if is_constant(d, sd):
        dz = math.copysign(math.inf, mean) if mean != 0 else 0.0
        return EffectSize(n=n, dz=dz, low=dz, high=dz, confidence=conf)
    dz = mean / sd
    t_obs = dz * math.sqrt(n)
    alpha = 1.0 - conf
    low = _nct_bound(t_obs, n - 1, n, 1.0 - alpha / 2.0)
    high = _nct_bound(t_obs, n - 1, n, alpha / 2.0)
    return EffectSize(n=n, dz=dz, low=min(low, dz), high=max(high, dz), confidence=conf)


# --- probability of improvement ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbabilityOfImprovement:
    """Fraction of seeds on which the variant beats the baseline, with a Wilson interval."""

    #: number of seeds (paired differences)
    n: int
    #: (#{d > 0} + 0.5 #{d = 0}) / n
    estimate: float
    #: lower end of the Wilson score interval
    low: float
    #: upper end of the Wilson score interval
    high: float
    #: confidence level of ``[low, high]``
    confidence: float


def probability_of_improvement(
    differences: npt.ArrayLike, *, confidence: float = 0.95
) -> ProbabilityOfImprovement:
    """Probability that the variant beats the baseline on a seed, P(d > 0) + P(d = 0) / 2.

    Parameters
    ----------
    differences : array-like of shape (n_seeds,)
        Variant minus baseline per seed. Only the signs matter.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    ProbabilityOfImprovement

    Notes
    -----
    The definition is paired: it compares variant and baseline *trained with the same
    seed*, seed by seed, and counts a tie as half a win. (rliable's unpaired version
    compares every variant run with every baseline run; with shared seeds the paired
    version is the one that matches the experiment.) 0.5 means no tendency either way.
    The interval is the Wilson score interval for a proportion with ``k = n * estimate``
    successes (half-integer k allowed); unlike a bootstrap it does not collapse to
    ``[1, 1]`` when every seed improves.

    Examples
    --------
    >>> probability_of_improvement([0.2, 0.0, -0.1, 0.3]).estimate
    0.625
    """
    d = as_sample(differences, name="differences")
    conf = check_confidence(confidence)
    n = int(d.size)
    k = float(np.count_nonzero(d > 0)) + 0.5 * float(np.count_nonzero(d == 0))
    p = k / n
    z = float(_st.norm.ppf(0.5 + conf / 2.0))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return ProbabilityOfImprovement(
        n=n,
        estimate=p,
        low=max(0.0, min(p, centre - half)),
        high=min(1.0, max(p, centre + half)),
        confidence=conf,
    )


# --- Nadeau–Bengio ----------------------------------------------------------------------


def corrected_resampled_t_test(
    differences: npt.ArrayLike,
    *,
    n_train: int,
    n_test: int,
    confidence: float = 0.95,
    alternative: str = "greater",
) -> TTest:
    """Nadeau–Bengio corrected resampled t-test for cross-validated or resampled designs.

    Parameters
    ----------
    differences : array-like of shape (n_folds,)
        Variant minus baseline on each of J train/test splits (e.g. all r×k folds of a
        repeated k-fold cross-validation).
    n_train : int
        Training-set size of one split.
    n_test : int
        Test-set size of one split.
    confidence : float, default 0.95
        Level of the (corrected) two-sided interval.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        "greater" tests H1: mean difference > 0 (the variant improves).

    Returns
    -------
    TTest
        As ``paired_t_test``, except that ``se`` (and so the statistic, interval and
        p-value) uses the corrected variance; ``sd`` is the plain sample sd.

    Notes
    -----
    The folds share training data, so their differences are positively correlated and
    the naive ``sd / sqrt(J)`` understates the uncertainty (inflated type I error).
    Nadeau & Bengio (2003, Machine Learning 52:239) replace ``1/J`` by
    ``1/J + n_test/n_train`` in the variance of the mean: ``se = sd *
    sqrt(1/J + n_test/n_train)``, with ``J - 1`` degrees of freedom. For k-fold CV
    ``n_test/n_train = 1/(k-1)``. Constant differences are handled as in
    ``paired_t_test``.

    Examples
    --------
    >>> r = corrected_resampled_t_test([1.0, 2.0, 3.0], n_train=90, n_test=10)
    >>> round(r.se, 6)  # 1 * sqrt(1/3 + 1/9)
    0.666667
    """
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name}={value!r} must be a positive integer (examples per split)")
    base = paired_t_test(differences, confidence=confidence, alternative=alternative)
    if base.se == 0.0:
        return base
    conf = check_confidence(confidence)
    alt = check_alternative(alternative)
    j = base.n
    se = base.sd * math.sqrt(1.0 / j + n_test / n_train)
    statistic = base.mean / se
    half = float(_st.t.ppf(0.5 + conf / 2.0, base.df)) * se
    p_greater = float(_st.t.sf(statistic, base.df))
    p_less = float(_st.t.cdf(statistic, base.df))
    p = (
        p_greater
        if alt == "greater"
        else p_less
        if alt == "less"
        else min(1.0, 2.0 * min(p_greater, p_less))
    )
    return TTest(
        n=j,
        mean=base.mean,
        sd=base.sd,
        se=se,
        low=base.mean - half,
        high=base.mean + half,
        confidence=conf,
        statistic=statistic,
        df=base.df,
        p_value=p,
        alternative=alt,
    )


# --- interaction: does a condition lower the gain? --------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GainInteraction:
    """One-sided test that a claim's gain under a condition is below its nominal gain."""

    #: seeds (paired) or runs per arm (unpaired) used
    n: int
    #: mean gain under the condition minus mean nominal gain (negative: the gain shrinks)
    change: float
    #: one-sided p-value of H1: the condition lowers the gain
    p_value: float
    #: True: paired by seed (t-test of per-seed differences); False: Welch's t-test
    paired: bool


def gain_interaction_test(
    nominal: npt.ArrayLike,
    condition: npt.ArrayLike,
    *,
    paired: bool,
    resampled: tuple[int, int] | None = None,
) -> GainInteraction:
    """Test whether a condition lowers a gain: the gain × condition interaction.

    Parameters
    ----------
    nominal : array-like of shape (n,)
        Per-seed gains at the nominal setting.
    condition : array-like of shape (n,) or (m,)
        Per-seed gains under the condition; with ``paired`` entry i comes from the same
        seed as ``nominal[i]``.
    paired : bool
        Pair by seed (t-test of ``condition - nominal``), else Welch's unpaired t-test.
    resampled : tuple of (n_train, n_test), optional
        Cross-validated design: the paired test is Nadeau–Bengio corrected.

    Returns
    -------
    GainInteraction

    Notes
    -----
    A gain that "vanishes" under a condition is a difference of differences: asking only
    whether the condition's own interval touches 0 confuses "not shown" with "gone", and
    asking whether it lies inside the ROPE needs far more seeds than an audit has. The
    interaction test compares the two gains directly, seed by seed, so the seed noise they
    share cancels. Constant differences follow ``paired_t_test`` (p = 0 for a constant
    drop, 1 for no change).

    Examples
    --------
    >>> r = gain_interaction_test([0.10, 0.12, 0.11], [0.0, 0.01, 0.005], paired=True)
    >>> r.change < 0 and r.p_value < 0.01
    True
    """
    a = as_sample(nominal, name="nominal gains")
    b = as_sample(condition, name="condition gains")
    if paired:
        if a.size != b.size:
            raise ValueError(
                f"paired gains need one value per seed in each: got {a.size} nominal and "
                f"{b.size} under the condition"
            )
        if resampled is None:
            t = paired_t_test(b - a, alternative="less")
        else:
            t = corrected_resampled_t_test(
                b - a, n_train=resampled[0], n_test=resampled[1], alternative="less"
            )
        return GainInteraction(n=int(a.size), change=t.mean, p_value=t.p_value, paired=True)
    change = float(b.mean() - a.mean())
    if np.std(a, ddof=1) == 0 and np.std(b, ddof=1) == 0:
        p = 0.0 if change < 0 else 1.0
    else:
        p = float(_st.ttest_ind(b, a, equal_var=False, alternative="less").pvalue)
    return GainInteraction(n=int(min(a.size, b.size)), change=change, p_value=p, paired=False)
