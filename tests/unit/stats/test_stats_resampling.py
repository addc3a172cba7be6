"""sign_flip_test and bootstrap_ci."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from auditkit.stats import bootstrap_ci, sign_flip_test

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _brute_force(d: np.ndarray) -> tuple[float, float]:
    sums = [
        sum(s * x for s, x in zip(signs, d, strict=True))
        for signs in itertools.product((-1, 1), repeat=d.size)
    ]
    obs = float(d.sum())
    ge = sum(v >= obs - 1e-9 for v in sums) / len(sums)
    le = sum(v <= obs + 1e-9 for v in sums) / len(sums)
    return ge, le


def test_sign_flip_hand_computed() -> None:
    # [1, 2, 3]: sums over 8 patterns are ±1±2±3; only +1+2+3 = 6 reaches 6
    r = sign_flip_test([1.0, 2.0, 3.0])
    assert (r.p_value, r.exact, r.n_resamples, r.mean) == (0.125, True, 8, 2.0)
    assert sign_flip_test([1.0, 2.0, 3.0], alternative="less").p_value == 1.0
    assert sign_flip_test([1.0, 2.0, 3.0], alternative="two-sided").p_value == 0.25
    # [1, -1]: sums {2, 0, 0, -2}, observed 0 -> P(S >= 0) = 3/4; two-sided 1
    assert sign_flip_test([1.0, -1.0]).p_value == 0.75
    assert sign_flip_test([1.0, -1.0], alternative="two-sided").p_value == 1.0
    assert sign_flip_test([0.0, 0.0, 0.0]).p_value == 1.0


@pytest.mark.parametrize("n", [2, 3, 5, 8, 11])
def test_sign_flip_matches_brute_force(n: int) -> None:
    d = np.round(np.random.default_rng(n).normal(0.2, 1.0, size=n), 1)  # rounding makes ties
    ge, le = _brute_force(d)
    assert sign_flip_test(d).p_value == pytest.approx(ge)
    assert sign_flip_test(d, alternative="less").p_value == pytest.approx(le)
    assert sign_flip_test(d, alternative="two-sided").p_value == pytest.approx(
        min(1.0, 2 * min(ge, le))
    )


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_sign_flip_matches_scipy_exact(alternative: str) -> None:
    d = np.random.default_rng(7).normal(0.3, 1.0, size=12)
    ref = stats.permutation_test(
        (d,), _mean, permutation_type="samples", alternative=alternative, n_resamples=10**5
    )
    assert sign_flip_test(d, alternative=alternative).p_value == pytest.approx(ref.pvalue)


def test_sign_flip_n16_exact_and_monte_carlo_beyond() -> None:
    d = np.random.default_rng(3).normal(0.4, 1.0, size=17)
    exact16 = sign_flip_test(d[:16])
    assert exact16.exact and exact16.n_resamples == 2**16
    mc = sign_flip_test(d, n_resamples=4000, random_state=1)
    assert not mc.exact and mc.n_resamples == 4000
    exact17 = sign_flip_test(d, exact_max_n=17)
    assert abs(mc.p_value - exact17.p_value) < 0.02
    assert mc.p_value == sign_flip_test(d, n_resamples=4000, random_state=1).p_value


def test_sign_flip_monte_carlo_plus_one() -> None:
    # every random pattern is < the observed sum except the identity: p = 1/(B+1) at least
    d = np.full(40, 1.0)
    r = sign_flip_test(d, n_resamples=999, random_state=0)
    assert r.p_value == pytest.approx(1 / 1000)
    assert sign_flip_test(d, n_resamples=999, alternative="two-sided").p_value == pytest.approx(
        1 / 1000
    )


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(2, 12), elements=finite), st.randoms(use_true_random=False))
def test_sign_flip_properties(d: np.ndarray, rnd: object) -> None:
    for alt in ("greater", "less", "two-sided"):
        r = sign_flip_test(d, alternative=alt)
        assert 2.0**-d.size - 1e-15 <= r.p_value <= 1.0
        perm = np.random.default_rng(0).permutation(d)
        assert sign_flip_test(perm, alternative=alt).p_value == pytest.approx(r.p_value)


def test_sign_flip_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        sign_flip_test([1.0])
    with pytest.raises(TypeError, match="random_state"):
        sign_flip_test(np.ones(20), random_state="seed")  # type: ignore[arg-type]


# --- bootstrap --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 12, 20])
@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_matches_scipy(n: int, method: str) -> None:
    d = np.random.default_rng(n).standard_exponential(n) - 0.5  # skewed, so BCa != percentile
    ours = bootstrap_ci(d, method=method, n_resamples=5000, random_state=np.random.default_rng(11))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on degenerate BCa for n = 2
        ref = stats.bootstrap(
            (d,), _mean, method="BCa" if method == "bca" else "percentile",
            n_resamples=5000, rng=np.random.default_rng(11),
        )  # fmt: skip
    assert ours.low == pytest.approx(ref.confidence_interval.low, rel=1e-9, abs=1e-12)
    assert ours.high == pytest.approx(ref.confidence_interval.high, rel=1e-9, abs=1e-12)
    assert ours.se == pytest.approx(ref.standard_error)


def test_bootstrap_reproducible_and_constant() -> None:
    d = [0.1, 0.4, -0.2, 0.3, 0.5]
    assert bootstrap_ci(d, random_state=5) == bootstrap_ci(d, random_state=5)
    c = bootstrap_ci([0.2, 0.2, 0.2])
    assert c.low == c.mean == c.high == pytest.approx(0.2)
    assert c.se == 0.0


def test_bootstrap_covers_the_t_interval_roughly() -> None:
    d = np.random.default_rng(0).normal(1.0, 1.0, size=20)
    r = bootstrap_ci(d, confidence=0.9)
    t = stats.ttest_1samp(d, 0).confidence_interval(0.9)
    assert r.low == pytest.approx(t.low, abs=0.1) and r.high == pytest.approx(t.high, abs=0.1)


def test_bootstrap_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="method"):
        bootstrap_ci([1.0, 2.0], method="studentized")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci([1.0, 2.0], n_resamples=1)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 15), elements=finite), st.sampled_from(["bca", "percentile"])
)
def test_bootstrap_properties(d: np.ndarray, method: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = bootstrap_ci(d, method=method, n_resamples=500)  # type: ignore[arg-type]
    assert all(math.isfinite(v) for v in (r.low, r.high, r.mean, r.se))
    tol = 1e-9 * (1 + abs(r.mean))
    assert d.min() - tol <= r.low <= r.mean <= r.high <= d.max() + tol
