"""aso and violation_ratio, checked against a loop port of deep-significance's algorithm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from auditkit.stats import aso, violation_ratio


def _reference_ratio(a: np.ndarray, b: np.ndarray, dt: float) -> float:
    """deep-significance's compute_violation_ratio, written as a plain loop (whole grid)."""

    def q(scores: np.ndarray, p: float) -> float:
        s = np.sort(scores)
        return float(s[min(len(s) - 1, max(0, math.ceil(len(s) * p) - 1))])

    total = violated = 0.0
    for t in np.arange(dt, 1, dt):
        diff = q(b, t) - q(a, t)
        total += diff * diff * dt
        if q(a, t) < q(b, t):
            violated += diff * diff * dt
    return 0.5 if total == 0 else violated / total


def test_hand_computed() -> None:
    assert violation_ratio([2.0, 3.0], [0.0, 1.0]) == 0.0
    assert violation_ratio([0.0, 1.0], [2.0, 3.0]) == 1.0
    # Q_B - Q_A = +1 on (0, 1/2] and -1 on (1/2, 1]: half the squared distance violates
    assert violation_ratio([1.0, 4.0], [2.0, 3.0]) == 0.5
    # Q_A = [0, 3], Q_B = [1, 1]: violation 1 on (0, .5], gain 4 on (.5, 1] -> 1 / (1 + 4)
    assert violation_ratio([0.0, 3.0], [1.0, 1.0]) == pytest.approx(0.2)
    assert violation_ratio([1.0, 1.0], [1.0, 1.0]) == 0.5


@pytest.mark.parametrize(("n_a", "n_b"), [(5, 5), (10, 10), (7, 4), (3, 12)])
def test_grid_mode_matches_reference_loop(n_a: int, n_b: int) -> None:
    rng = np.random.default_rng(n_a * 100 + n_b)
    a, b = rng.normal(0.2, 1, n_a), rng.normal(0.0, 1, n_b)
    assert violation_ratio(a, b, dt=0.005) == pytest.approx(_reference_ratio(a, b, 0.005))
    # the exact integral is the dt -> 0 limit of the grid
    assert violation_ratio(a, b) == pytest.approx(_reference_ratio(a, b, 1e-4), abs=2e-3)


def test_aso_follows_the_documented_formula() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.5, 1, 10), rng.normal(0.0, 1, 10)
    r = aso(a, b, n_resamples=2000, random_state=9)
    # recompute steps 3-4 independently
    gen = np.random.default_rng(9)
    boot = []
    for _ in range(2000):
        ra = np.sort(a[gen.integers(0, 10, (1, 10))], axis=1)[0]
        rb = np.sort(b[gen.integers(0, 10, (1, 10))], axis=1)[0]
        boot.append(violation_ratio(ra, rb))
    const = math.sqrt(10 * 10 / 20)
    sigma = np.std(const * (np.array(boot) - r.violation_ratio))
    from scipy.stats import norm

    expected = np.clip(r.violation_ratio - sigma / const * norm.ppf(0.05), 0, 1)
    assert r.violation_ratio == violation_ratio(a, b)
    assert r.eps_min == pytest.approx(expected, abs=0.02)  # different random streams


def test_aso_decisions() -> None:
    rng = np.random.default_rng(0)
    better, worse = rng.normal(1.0, 0.3, 10), rng.normal(0.0, 0.3, 10)
    assert aso(better, worse).eps_min < 0.1
    assert aso(worse, better).eps_min > 0.9
    same = aso(rng.normal(0, 1, 10), rng.normal(0, 1, 10))
    assert 0.1 < same.eps_min <= 1.0
    assert aso(better, worse) == aso(better, worse)  # reproducible by default


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 12), elements=st.floats(-10, 10)),
    arrays(np.float64, st.integers(2, 12), elements=st.floats(-10, 10)),
)
def test_aso_properties(a: np.ndarray, b: np.ndarray) -> None:
    r = aso(a, b, n_resamples=100)
    assert 0.0 <= r.violation_ratio <= 1.0 and 0.0 <= r.eps_min <= 1.0
    assert r.eps_min >= r.violation_ratio or r.eps_min == 1.0
    forward, backward = violation_ratio(a, b), violation_ratio(b, a)
    assert forward + backward == pytest.approx(1.0) or forward == backward == 0.5
    assert violation_ratio(a[::-1], b) == forward


def test_aso_errors() -> None:
    with pytest.raises(ValueError, match="scores_b"):
        aso([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="dt"):
        aso([1.0, 2.0], [1.0, 3.0], dt=0.0)
