"""wilcoxon_test, effect_size_dz, probability_of_improvement, corrected_resampled_t_test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from auditkit.stats import (
    corrected_resampled_t_test,
    effect_size_dz,
    paired_t_test,
    probability_of_improvement,
    wilcoxon_test,
)

ALTS = ["greater", "less", "two-sided"]


@pytest.mark.parametrize("alternative", ALTS)
def test_wilcoxon_exact_matches_scipy(alternative: str) -> None:
    d = np.random.default_rng(2).normal(0.3, 1.0, size=9)
    r = wilcoxon_test(d, alternative=alternative)
    ref = stats.wilcoxon(d, alternative=alternative, method="exact")
    assert r.method == "exact"
    assert r.p_value == pytest.approx(ref.pvalue)


def test_wilcoxon_hand_computed() -> None:
    r = wilcoxon_test([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (r.statistic, r.p_value) == (15.0, 1 / 32)
    # two-sided with n = 5 cannot go below 2/32
    assert wilcoxon_test([1.0, 2.0, 3.0, 4.0, 5.0], alternative="two-sided").p_value == 1 / 16
    zero = wilcoxon_test([0.0, 0.0])
    assert (zero.p_value, zero.n_nonzero) == (1.0, 0)


@pytest.mark.parametrize(
    "d", [[1, -2, 2, 4, 5], [0, 2, 3, -4, 5, 1], [1, 1, -1, 2, 2, 3], [0, 0, 1, 2, 2, -3, 4]]
)
@pytest.mark.parametrize("alternative", ALTS)
@pytest.mark.parametrize("zero_method", ["wilcox", "pratt"])
def test_wilcoxon_ties_zeros_exact_conditional(
    d: list[float], alternative: str, zero_method: str
) -> None:
    r = wilcoxon_test(d, alternative=alternative, zero_method=zero_method)  # type: ignore[arg-type]
    ref = stats.wilcoxon(
        d, alternative=alternative, zero_method=zero_method,
        method=stats.PermutationMethod(n_resamples=10**6),
    )  # fmt: skip
    assert r.method == "exact-conditional"
    assert r.p_value == pytest.approx(ref.pvalue)


def test_wilcoxon_large_with_ties_uses_normal_approximation() -> None:
    d = np.round(np.random.default_rng(0).normal(0.3, 1, size=30), 1)
    r = wilcoxon_test(d)
    assert r.method == "normal-approximation"
    ref = stats.wilcoxon(d, alternative="greater", method="asymptotic", correction=True)
    assert r.p_value == pytest.approx(ref.pvalue)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(2, 14), elements=st.integers(-5, 5).map(float)))
def test_wilcoxon_properties(d: np.ndarray) -> None:
    for alt in ALTS:
        r = wilcoxon_test(d, alternative=alt)
        assert 0.0 <= r.p_value <= 1.0
        assert wilcoxon_test(d[::-1], alternative=alt).p_value == pytest.approx(r.p_value)


# --- effect size ------------------------------------------------------------------------


def test_dz_hand_computed_and_interval() -> None:
    r = effect_size_dz([1.0, 2.0, 3.0])
    assert r.dz == 2.0
    # the interval inverts the noncentral t: at its ends the observed t sits at the
    # 97.5% / 2.5% quantile
    t = 2.0 * math.sqrt(3)
    assert stats.nct.cdf(t, 2, r.low * math.sqrt(3)) == pytest.approx(0.975)
    assert stats.nct.cdf(t, 2, r.high * math.sqrt(3)) == pytest.approx(0.025)
    assert r.low < r.dz < r.high


def test_dz_constant() -> None:
    assert effect_size_dz([0.5, 0.5]).dz == math.inf
    assert effect_size_dz([-0.5, -0.5]).dz == -math.inf
    assert effect_size_dz([0.0, 0.0]).dz == 0.0


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.integers(2, 20), elements=st.floats(-100, 100)))
def test_dz_properties(d: np.ndarray) -> None:
    r = effect_size_dz(d)
    if math.isfinite(r.dz):
        assert math.isfinite(r.low) and math.isfinite(r.high)
        assert r.low <= r.dz <= r.high


# --- probability of improvement -----------------------------------------------------------


def test_poi_definition_ties_half() -> None:
    r = probability_of_improvement([0.2, 0.0, -0.1, 0.3])
    assert r.estimate == (2 + 0.5) / 4
    assert 0.0 <= r.low < r.estimate < r.high <= 1.0
    all_up = probability_of_improvement([1.0] * 5)
    assert all_up.estimate == all_up.high == 1.0
    # Wilson lower bound for 5/5 at 95%: n / (n + z^2)
    z = stats.norm.ppf(0.975)
    assert all_up.low == pytest.approx(5 / (5 + z * z))


def test_poi_wilson_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    r = probability_of_improvement([1, 1, 1, -1, -1, 1, 1, -1, 1, 1])
    low, high = proportion_confint(7, 10, method="wilson")
    assert (r.low, r.high) == pytest.approx((low, high))


# --- Nadeau–Bengio ------------------------------------------------------------------------


def test_corrected_t_hand_computed() -> None:
    d = [1.0, 2.0, 3.0, 2.0, 2.0]  # mean 2, sd sqrt(0.5)
    r = corrected_resampled_t_test(d, n_train=80, n_test=20)
    se = math.sqrt(0.5) * math.sqrt(1 / 5 + 20 / 80)
    assert r.se == pytest.approx(se)
    assert r.statistic == pytest.approx(2 / se)
    assert r.p_value == pytest.approx(stats.t.sf(2 / se, 4))
    assert r.df == 4 and r.sd == pytest.approx(math.sqrt(0.5))
    naive = paired_t_test(d)
    assert r.p_value > naive.p_value and r.high - r.low > naive.high - naive.low


def test_corrected_t_validation_and_constant() -> None:
    with pytest.raises(ValueError, match="n_train"):
        corrected_resampled_t_test([1.0, 2.0], n_train=0, n_test=5)
    r = corrected_resampled_t_test([1.0, 1.0], n_train=10, n_test=5)
    assert (r.se, r.p_value) == (0.0, 0.0)
