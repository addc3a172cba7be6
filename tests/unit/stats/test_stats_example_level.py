"""mcnemar_test, paired_table and paired_bootstrap_examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from auditkit.stats import PairedTable, mcnemar_test, paired_bootstrap_examples, paired_table

TABLE = PairedTable(both=80, variant_only=9, baseline_only=1, neither=10)


def test_paired_table_counts() -> None:
    v = np.array([1, 1, 0, 0, 1], dtype=bool)
    b = np.array([1, 0, 1, 0, 0], dtype=bool)
    assert paired_table(v, b) == PairedTable(both=1, variant_only=2, baseline_only=1, neither=1)
    assert paired_table([1, 0], [0, 0]).n == 2
    with pytest.raises(ValueError, match="same test set"):
        paired_table([True, False], [True])
    with pytest.raises(ValueError, match="correctness"):
        paired_table([0.5, 1.0], [1, 0])


def test_mcnemar_hand_computed() -> None:
    r = mcnemar_test(TABLE)
    assert r.p_value == pytest.approx(11 / 1024)  # P(Bin(10, .5) >= 9)
    assert r.chi2_statistic == pytest.approx((8 - 1) ** 2 / 10)
    assert r.accuracy_difference == pytest.approx(0.08)
    assert mcnemar_test(TABLE, alternative="less").p_value == pytest.approx(1 - 1 / 1024)


@pytest.mark.parametrize("cells", [(50, 9, 1, 40), (10, 3, 7, 10), (500, 40, 25, 35), (5, 0, 4, 1)])
def test_mcnemar_matches_statsmodels(cells: tuple[int, int, int, int]) -> None:
    both, v_only, b_only, neither = cells
    tab = PairedTable(both=both, variant_only=v_only, baseline_only=b_only, neither=neither)
    r = mcnemar_test(tab, alternative="two-sided")
    table = [[both, v_only], [b_only, neither]]
    assert r.p_value == pytest.approx(mcnemar(table, exact=True).pvalue)
    chi = mcnemar(table, exact=False, correction=True)
    assert r.chi2_statistic == pytest.approx(chi.statistic)
    assert r.chi2_p_value == pytest.approx(chi.pvalue)
    assert r.p_value == pytest.approx(stats.binomtest(v_only, v_only + b_only).pvalue)


def test_mcnemar_degenerate() -> None:
    r = mcnemar_test(PairedTable(both=5, variant_only=0, baseline_only=0, neither=5))
    assert (r.p_value, r.chi2_p_value, r.chi2_statistic) == (1.0, 1.0, 0.0)
    # b == c: the corrected statistic is clamped at 0 (statsmodels gives 1/(b+c))
    assert (
        mcnemar_test(PairedTable(both=1, variant_only=3, baseline_only=3, neither=1)).chi2_p_value
        == 1.0
    )


def test_mcnemar_from_arrays() -> None:
    rng = np.random.default_rng(0)
    v = rng.random(1000) < 0.8
    b = rng.random(1000) < 0.75
    assert mcnemar_test(v, b) == mcnemar_test(paired_table(v, b))
    with pytest.raises(TypeError):
        mcnemar_test(v)


def test_cell_bootstrap_matches_index_bootstrap_in_distribution() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    v = rng.random(n) < 0.8
    b = np.where(rng.random(n) < 0.9, v, ~v)  # correlated with v, as real models are
    fast = paired_bootstrap_examples(v, b, n_resamples=20_000, random_state=2)
    idx = rng.integers(0, n, size=(4000, n))
    naive = v[idx].mean(axis=1) - b[idx].mean(axis=1)
    assert fast.difference == pytest.approx(v.mean() - b.mean())
    assert fast.se == pytest.approx(naive.std(ddof=1), rel=0.05)
    lo, hi = np.quantile(naive, [0.025, 0.975])
    assert fast.low == pytest.approx(lo, abs=0.003) and fast.high == pytest.approx(hi, abs=0.003)
    # the analytic sd of the paired difference of proportions
    p10, p01 = fast.table.variant_only / n, fast.table.baseline_only / n
    assert fast.se == pytest.approx(np.sqrt((p10 + p01 - (p10 - p01) ** 2) / n), rel=0.03)


def test_cell_bootstrap_properties() -> None:
    r = paired_bootstrap_examples(TABLE)
    assert r.low <= r.difference <= r.high
    assert (r.accuracy_variant, r.accuracy_baseline) == (0.89, 0.81)
    assert r == paired_bootstrap_examples(TABLE)
    same = paired_bootstrap_examples(
        PairedTable(both=3, variant_only=0, baseline_only=0, neither=2)
    )
    assert (same.low, same.high, same.se) == (0.0, 0.0, 0.0)
