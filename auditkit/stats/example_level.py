"""Example-level tests on one test set: McNemar and the paired 2x2-cell bootstrap.

Both treat the test examples as the random sample and one trained model per arm as
fixed. They ignore seed-to-seed variance, which is usually the larger source of
uncertainty in ML comparisons, so report them beside the seed-level tests, never instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

from auditkit.stats._random import RandomState, as_generator, check_n_resamples
from auditkit.stats._validation import check_alternative, check_confidence

__all__ = [
    "ExampleBootstrap",
    "McNemarTest",
    "PairedTable",
    "mcnemar_test",
    "paired_bootstrap_examples",
    "paired_table",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PairedTable:
    """The 2x2 table of per-example correctness of variant and baseline."""

    #: examples both models got right
    both: int
    #: examples only the variant got right (discordant, in the variant's favour)
    variant_only: int
    #: examples only the baseline got right (discordant, in the baseline's favour)
    baseline_only: int
    #: examples both got wrong
    neither: int

    @property
    def n(self) -> int:
        """Total number of examples."""
        return self.both + self.variant_only + self.baseline_only + self.neither


def _as_correct(values: npt.ArrayLike, name: str) -> npt.NDArray[np.bool_]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one entry per example), got {arr.shape}")
    if arr.dtype != np.bool_:
        if not np.all(np.isin(arr, (0, 1))):
            raise ValueError(f"{name} must hold per-example correctness: booleans or 0/1")
        arr = arr.astype(np.bool_)
    return arr


def paired_table(variant_correct: npt.ArrayLike, baseline_correct: npt.ArrayLike) -> PairedTable:
    """Count the 2x2 table from per-example correctness.

    Parameters
    ----------
    variant_correct, baseline_correct : array-like of bool or 0/1, shape (n_examples,)
        Whether each model got each test example right; entry i is the same example.

    Returns
    -------
    PairedTable
    """
    v = _as_correct(variant_correct, "variant_correct")
    b = _as_correct(baseline_correct, "baseline_correct")
    if v.shape != b.shape:
        raise ValueError(
            f"variant_correct has {v.size} examples but baseline_correct has {b.size}; "
            "both must score the same test set in the same order"
        )
    if v.size < 2:
        raise ValueError(f"need at least 2 test examples, got {v.size}")
    both = int(np.count_nonzero(v & b))
    v_only = int(np.count_nonzero(v & ~b))
    b_only = int(np.count_nonzero(~v & b))
    return PairedTable(both=both, variant_only=v_only, baseline_only=b_only,
                       neither=v.size - both - v_only - b_only)  # fmt: skip


def _table(
    variant_correct: npt.ArrayLike | PairedTable, baseline_correct: npt.ArrayLike | None
) -> PairedTable:
    if isinstance(variant_correct, PairedTable):
        if baseline_correct is not None:
            raise TypeError("pass either a PairedTable or two correctness arrays, not both")
        return variant_correct
    if baseline_correct is None:
        raise TypeError("baseline_correct is required unless a PairedTable is given")
    return paired_table(variant_correct, baseline_correct)


@dataclass(frozen=True, slots=True, kw_only=True)
class McNemarTest:
    """McNemar's test of equal accuracy on paired per-example correctness."""

    #: the 2x2 table tested
    table: PairedTable
    #: accuracy(variant) - accuracy(baseline) = (variant_only - baseline_only) / n
    accuracy_difference: float
    #: exact p-value for ``alternative``: binomial test of variant_only out of the
    #: discordant pairs against p = 1/2
    p_value: float
    #: "greater" (variant more accurate) | "less" | "two-sided"
    alternative: str
    #: continuity-corrected chi-square statistic, ``max(0, |b - c| - 1)**2 / (b + c)``
    chi2_statistic: float
    #: two-sided p-value of the chi-square statistic (1 degree of freedom)
    chi2_p_value: float


def mcnemar_test(
    variant_correct: npt.ArrayLike | PairedTable,
    baseline_correct: npt.ArrayLike | None = None,
    *,
    alternative: str = "greater",
) -> McNemarTest:
    """McNemar's test: exact binomial on the discordant pairs, plus the chi-square version.

    Parameters
    ----------
    variant_correct : array-like of bool, shape (n_examples,), or PairedTable
        Per-example correctness of the variant (or an already counted table).
    baseline_correct : array-like of bool, shape (n_examples,), optional
        Per-example correctness of the baseline on the same examples.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        For the exact test; "greater" means the variant is more accurate.

    Returns
    -------
    McNemarTest

    Notes
    -----
    Only discordant examples carry information: under H0 each is equally likely to favour
    either model, so ``b = variant_only ~ Binomial(b + c, 1/2)``; the exact p-value is
    ``scipy.stats.binomtest(b, b + c, 0.5, alternative)``. The two-sided exact and
    chi-square results agree with ``statsmodels.stats.contingency_tables.mcnemar``
    except when ``b == c``: statsmodels computes ``(|b - c| - 1)**2`` there, so the
    continuity correction overshoots to a positive statistic; we clamp at 0 (p = 1).
    With no discordant pairs both p-values are 1.

    Examples
    --------
    >>> t = mcnemar_test(PairedTable(both=80, variant_only=9, baseline_only=1, neither=10))
    >>> round(t.p_value, 6)  # P(Binomial(10, 1/2) >= 9) = 11 / 1024
    0.010742
    """
    tab = _table(variant_correct, baseline_correct)
    alt = check_alternative(alternative)
    b, c = tab.variant_only, tab.baseline_only
    m = b + c
    if m == 0:
        p = chi2_p = 1.0
        chi2 = 0.0
    else:
        p = float(_st.binomtest(b, m, 0.5, alternative=alt).pvalue)
        chi2 = max(0.0, abs(b - c) - 1.0) ** 2 / m
        chi2_p = float(_st.chi2.sf(chi2, 1))
    return McNemarTest(
        table=tab,
        accuracy_difference=(b - c) / tab.n,
        p_value=min(1.0, p),
        alternative=alt,
        chi2_statistic=chi2,
        chi2_p_value=chi2_p,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExampleBootstrap:
    """Paired bootstrap over test examples of the accuracy difference."""

    #: the 2x2 table resampled
    table: PairedTable
    #: accuracy of the variant on the test set
    accuracy_variant: float
    #: accuracy of the baseline on the test set
    accuracy_baseline: float
    #: accuracy_variant - accuracy_baseline (point estimate)
    difference: float
    #: lower end of the percentile interval of the difference
    low: float
    #: upper end of the percentile interval of the difference
    high: float
    #: confidence level
    confidence: float
    #: number of bootstrap resamples
    n_resamples: int
    #: sd of the bootstrap differences (bootstrap standard error)
    se: float


def paired_bootstrap_examples(
    variant_correct: npt.ArrayLike | PairedTable,
    baseline_correct: npt.ArrayLike | None = None,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    random_state: RandomState = 0,
) -> ExampleBootstrap:
    """Paired bootstrap CI of the accuracy difference, resampling the 2x2 cell counts.

    Parameters
    ----------
    variant_correct : array-like of bool, shape (n_examples,), or PairedTable
        Per-example correctness of the variant (or a counted table).
    baseline_correct : array-like of bool, shape (n_examples,), optional
        Per-example correctness of the baseline on the same examples.
    confidence : float, default 0.95
        Level of the percentile interval.
    n_resamples : int, default 10_000
        Bootstrap resamples.
    random_state : int, Generator or None, default 0
        Seed or generator; fixed by default so an audit is reproducible.

    Returns
    -------
    ExampleBootstrap

    Notes
    -----
    Resampling N examples (as pairs) with replacement and counting the four
    (variant, baseline) correctness cells gives counts distributed exactly as
    ``Multinomial(N, observed cell fractions)``, and an accuracy difference depends only
    on those counts: ``(n_10 - n_01) / N``. Drawing the multinomial directly is therefore
    the same bootstrap in distribution, at O(n_resamples) cost instead of
    O(n_resamples × N): 100k examples × 10k resamples takes milliseconds. Pairing is
    kept because an example's two outcomes move together (one cell).

    Examples
    --------
    >>> r = paired_bootstrap_examples(PairedTable(both=80, variant_only=9, baseline_only=1,
    ...                                           neither=10))
    >>> r.difference
    0.08
    """
    tab = _table(variant_correct, baseline_correct)
    conf = check_confidence(confidence)
    b_total = check_n_resamples(n_resamples, minimum=2)
    rng = as_generator(random_state)
    n = tab.n
    counts = np.array([tab.both, tab.variant_only, tab.baseline_only, tab.neither], np.float64)
    cells = rng.multinomial(n, counts / n, size=b_total)
    diffs = (cells[:, 1] - cells[:, 2]) / n
    alpha = (1.0 - conf) / 2.0
    low, high = np.quantile(diffs, [alpha, 1.0 - alpha])
    point = (tab.variant_only - tab.baseline_only) / n
    return ExampleBootstrap(
        table=tab,
        accuracy_variant=(tab.both + tab.variant_only) / n,
        accuracy_baseline=(tab.both + tab.baseline_only) / n,
        difference=point,
        low=float(min(low, point)),
        high=float(max(high, point)),
        confidence=conf,
        n_resamples=b_total,
        se=float(np.std(diffs, ddof=1)),
    )
