"""paired_t_test and the multiple-comparison corrections."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from statsmodels.stats.multitest import multipletests

from auditkit.stats import TTest, benjamini_hochberg, holm, paired_t_test

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
diffs = arrays(np.float64, st.integers(2, 30), elements=finite)


def test_hand_computed_example() -> None:
    # d = [1, 2, 3]: mean 2, sd 1, se 1/sqrt(3), t = 2*sqrt(3), df 2
    r = paired_t_test([1.0, 2.0, 3.0])
    assert isinstance(r, TTest)
    assert (r.n, r.mean, r.sd, r.df) == (3, 2.0, 1.0, 2)
    assert r.se == pytest.approx(1 / math.sqrt(3))
    assert r.statistic == pytest.approx(2 * math.sqrt(3))
    # P(T_2 > 2*sqrt(3)) = (1 - t/sqrt(t^2 + 2)) / 2 for 2 degrees of freedom
    t = 2 * math.sqrt(3)
    assert r.p_value == pytest.approx((1 - t / math.sqrt(t * t + 2)) / 2)
    # t_{0.975, 2} = 4.302652729911275
    assert r.low == pytest.approx(2 - 4.302652729911275 / math.sqrt(3))
    assert r.high == pytest.approx(2 + 4.302652729911275 / math.sqrt(3))
    assert r.alternative == "greater"
    assert r.confidence == 0.95


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_matches_scipy(alternative: str) -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(0.3, 1.0, size=7)
    r = paired_t_test(d, alternative=alternative, confidence=0.9)
    ref = stats.ttest_1samp(d, 0.0, alternative=alternative)
    assert r.statistic == pytest.approx(ref.statistic)
    assert r.p_value == pytest.approx(ref.pvalue)
    ci = stats.ttest_1samp(d, 0.0).confidence_interval(0.9)
    assert (r.low, r.high) == pytest.approx((ci.low, ci.high))


def test_frozen() -> None:
    r = paired_t_test([1.0, 2.0])
    with pytest.raises(AttributeError):
        r.mean = 3.0  # type: ignore[misc]


@pytest.mark.parametrize("bad", [[], [1.0], [[1.0, 2.0], [3.0, 4.0]], [1.0, float("nan")]])
def test_rejects_bad_input(bad: list[object]) -> None:
    with pytest.raises(ValueError, match="differences"):
        paired_t_test(bad)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="alternative"):
        paired_t_test([1.0, 2.0], alternative="bigger")
    with pytest.raises(ValueError, match="confidence"):
        paired_t_test([1.0, 2.0], confidence=95)


@pytest.mark.parametrize(
    ("value", "alternative", "statistic", "p"),
    [
        (0.5, "greater", math.inf, 0.0),
        (0.5, "less", math.inf, 1.0),
        (0.5, "two-sided", math.inf, 0.0),
        (-0.5, "greater", -math.inf, 1.0),
        (-0.5, "less", -math.inf, 0.0),
        (0.0, "greater", 0.0, 1.0),
        (0.0, "less", 0.0, 1.0),
        (0.0, "two-sided", 0.0, 1.0),
    ],
)
def test_constant_differences(value: float, alternative: str, statistic: float, p: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = paired_t_test([value] * 4, alternative=alternative)
    assert (r.sd, r.se, r.low, r.high) == (0.0, 0.0, value, value)
    assert r.statistic == statistic
    assert r.p_value == p


def test_rounding_noise_counts_as_constant() -> None:
    r = paired_t_test([0.3 - 0.2, 0.4 - 0.3, 0.2 - 0.1])
    assert r.sd == 0.0 and r.low == r.high == r.mean


@settings(max_examples=60, deadline=None)
@given(diffs)
def test_properties(d: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = paired_t_test(d, alternative="two-sided")
    assert 0.0 <= r.p_value <= 1.0
    assert math.isfinite(r.low) and math.isfinite(r.high)
    assert r.low <= r.mean <= r.high
    perm = paired_t_test(d[::-1], alternative="two-sided")
    assert perm.p_value == pytest.approx(r.p_value, abs=1e-9)
    assert perm.mean == pytest.approx(r.mean, abs=1e-9)


def test_calibration_no_effect() -> None:
    # 4000 simulated 5-seed experiments with no true effect: the one-sided test at
    # alpha = 0.05 rejects about 5% of the time (binomial sd ~0.34 percentage points).
    rng = np.random.default_rng(12345)
    sims = rng.normal(0.0, 1.0, size=(4000, 5))
    rejections = sum(paired_t_test(row).p_value <= 0.05 for row in sims)
    assert abs(rejections / 4000 - 0.05) < 0.012


# --- corrections ------------------------------------------------------------------------


def test_holm_hand_computed() -> None:
    # sorted: 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]
    assert holm([]).shape == (0,)


def test_bh_hand_computed() -> None:
    # sorted: 0.01*3/1 = 0.03, 0.03*3/2 = 0.045, 0.04*3/3 = 0.04 -> running min from top
    assert benjamini_hochberg([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.04, 0.04])


@pytest.mark.parametrize("bad", [[0.1, float("nan")], [1.2], [-0.1], [[0.1]]])
def test_corrections_reject_bad_input(bad: list[object]) -> None:
    with pytest.raises(ValueError, match="p_values"):
        holm(bad)
    with pytest.raises(ValueError, match="p_values"):
        benjamini_hochberg(bad)


p_arrays = arrays(
    np.float64,
    st.integers(1, 25),
    elements=st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.01, 0.05, 1.0])),
)


@settings(max_examples=40, deadline=None)
@given(p_arrays)
def test_corrections_match_statsmodels(p: np.ndarray) -> None:
    h = holm(p)
    np.testing.assert_allclose(h, multipletests(p, method="holm")[1], rtol=1e-12, atol=1e-15)
    b = benjamini_hochberg(p)
    np.testing.assert_allclose(b, multipletests(p, method="fdr_bh")[1], rtol=1e-12, atol=1e-15)
    for adj in (h, b):
        assert np.all((adj >= p - 1e-15) & (adj <= 1.0))
        order = np.argsort(p, kind="stable")
        assert np.all(np.diff(adj[order]) >= -1e-15)  # monotone in the raw p-values
