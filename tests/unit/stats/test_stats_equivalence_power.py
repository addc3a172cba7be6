"""tost, t_test_power, seeds_needed, minimum_detectable_effect."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.power import TTestPower
from statsmodels.stats.weightstats import ttost_paired

from auditkit.stats import minimum_detectable_effect, seeds_needed, t_test_power, tost


@pytest.mark.parametrize("delta", [0.05, 0.2, 1.0])
def test_tost_matches_statsmodels(delta: float) -> None:
    d = np.random.default_rng(4).normal(0.05, 0.2, size=8)
    r = tost(d, delta=delta)
    p, lower, upper = ttost_paired(d, np.zeros_like(d), -delta, delta)
    assert r.p_value == pytest.approx(p)
    assert r.p_lower == pytest.approx(lower[1])
    assert r.p_upper == pytest.approx(upper[1])


def test_tost_interval_duality() -> None:
    d = np.random.default_rng(5).normal(0.0, 0.1, size=10)
    r = tost(d, delta=0.1, alpha=0.05)
    inside = r.low > -0.1 and r.high < 0.1
    assert inside == (r.p_value < 0.05)


def test_tost_constant_and_errors() -> None:
    assert tost([0.01, 0.01], delta=0.1).p_value == 0.0
    assert tost([0.2, 0.2], delta=0.1).p_value == 1.0
    with pytest.raises(ValueError, match="delta"):
        tost([0.1, 0.2], delta=0.0)
    with pytest.raises(ValueError, match="alpha"):
        tost([0.1, 0.2], delta=0.1, alpha=1.5)


@pytest.mark.parametrize("n", [3, 5, 10, 30])
@pytest.mark.parametrize("dz", [0.3, 1.0, 2.5])
def test_power_matches_statsmodels(n: int, dz: float) -> None:
    ref = TTestPower().power(effect_size=dz, nobs=n, alpha=0.05, alternative="larger")
    assert t_test_power(n, dz * 0.7, 0.7) == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("dz", [0.3, 0.8, 1.5, 3.0])
def test_seeds_needed_is_statsmodels_rounded_up(dz: float) -> None:
    ref = TTestPower().solve_power(effect_size=dz, alpha=0.05, power=0.8, alternative="larger")
    n = seeds_needed(dz * 2.0, 2.0)
    assert n == max(2, int(np.ceil(ref - 1e-9)))
    assert t_test_power(n, dz, 1.0) >= 0.8
    if n > 2:
        assert t_test_power(n - 1, dz, 1.0) < 0.8


@pytest.mark.parametrize("n", [3, 5, 10, 40])
def test_mde_matches_statsmodels(n: int) -> None:
    ref = TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8, alternative="larger")
    mde = minimum_detectable_effect(n, 0.5)
    assert mde == pytest.approx(ref * 0.5, rel=1e-4)  # statsmodels' own solver tolerance
    assert t_test_power(n, mde, 0.5) == pytest.approx(0.8, abs=1e-9)


def test_power_errors() -> None:
    with pytest.raises(ValueError, match="effect"):
        seeds_needed(0.0, 1.0)
    with pytest.raises(ValueError, match="sd"):
        seeds_needed(1.0, 0.0)
    with pytest.raises(ValueError, match="n="):
        minimum_detectable_effect(1, 1.0)
    with pytest.raises(ValueError, match="seeds"):
        seeds_needed(1e-6, 1.0)
