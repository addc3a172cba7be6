"""The selective interaction test behind FRAGILE: exact given the selection, plain without it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from auditkit.stats import selective_interaction_test


def test_without_selection_it_is_the_paired_or_the_pooled_t_test() -> None:
    x = np.array([0.05, 0.07, 0.06, 0.08, 0.05])
    y = np.array([0.01, 0.03, -0.01, 0.02, 0.00])
    paired = selective_interaction_test(x, y, paired=True, threshold=-math.inf)
    assert paired.p_value == pytest.approx(stats.ttest_rel(y, x, alternative="less").pvalue)
    assert paired.change == pytest.approx(y.mean() - x.mean())
    pooled = selective_interaction_test(x, y[:4], paired=False, threshold=-math.inf)
    ref = stats.ttest_ind(y[:4], x, equal_var=True, alternative="less").pvalue
    assert pooled.p_value == pytest.approx(ref)
    with pytest.raises(ValueError, match="one value per seed"):
        selective_interaction_test(x, y[:4], paired=True, threshold=2.0)


def _monte_carlo(x: np.ndarray, y: np.ndarray, threshold: float, draws: int) -> float:
    """The same conditional law by brute force: uniform directions on the two spheres."""
    rng = np.random.default_rng(0)
    n = x.size
    s, d = (x + y) / 2, y - x
    r_s, r_d = np.linalg.norm(s - s.mean()), np.linalg.norm(d)
    u_s = rng.standard_normal((draws, n))
    u_s -= u_s.mean(axis=1, keepdims=True)
    u_s /= np.linalg.norm(u_s, axis=1, keepdims=True)
    u_d = rng.standard_normal((draws, n))
    u_d /= np.linalg.norm(u_d, axis=1, keepdims=True)
    x_star = s.mean() + r_s * u_s - r_d * u_d / 2
    t = np.sqrt(n) * x_star.mean(axis=1) / x_star.std(axis=1, ddof=1)
    kept = t > threshold
    below = u_d.sum(axis=1) <= d.sum() / r_d
    return float(np.sum(kept & below) / np.sum(kept))


@pytest.mark.parametrize("n", [3, 5])
def test_the_grid_matches_a_brute_force_monte_carlo(n: int) -> None:
    rng = np.random.default_rng(n)
    crit = stats.t.ppf(0.975, n - 1)
    while True:  # a selected nominal sample, and a condition that lowers the gain
        x = rng.normal(1.5, 1.0, n)
        if math.sqrt(n) * x.mean() / x.std(ddof=1) > crit:
            break
    y = x - 1.0 + rng.normal(0.0, 0.5, n)
    found = selective_interaction_test(x, y, paired=True, threshold=crit)
    ref = _monte_carlo(x, y, crit, 400_000)
    assert found.p_value == pytest.approx(ref, rel=0.08, abs=2e-3)
    # selection only weakens the evidence here: part of the drop is the lucky nominal draw
    assert found.p_value > found.p_naive


@pytest.mark.parametrize("paired", [True, False])
def test_exact_level_given_the_selection(paired: bool) -> None:
    # Under no interaction the selective p is uniform among selected samples: at 0.05 and
    # at 0.2 the rejection rate matches the level within 3.5 SE. A nominal gain of 0.5 sd
    # at 4 seeds selects hard (about 1 sample in 10), where the plain test is far off.
    rng = np.random.default_rng(7 + paired)
    n, crit, want = 4, stats.t.ppf(0.975, 3), 400
    p_sel: list[float] = []
    p_plain: list[float] = []
    while len(p_sel) < want:
        x = rng.normal(0.5, 1.0, n)
        if math.sqrt(n) * x.mean() / x.std(ddof=1) <= crit:
            continue
        y = rng.normal(0.5, 1.0, n)
        r = selective_interaction_test(x, y, paired=paired, threshold=crit)
        p_sel.append(r.p_value)
        p_plain.append(r.p_naive)
    for level in (0.05, 0.2):
        se = math.sqrt(level * (1 - level) / want)
        rate = float(np.mean(np.array(p_sel) <= level))
        assert abs(rate - level) <= 3.5 * se, (level, rate)
    # the planted pitfall: ignoring the selection rejects far more often than 0.05
    assert float(np.mean(np.array(p_plain) <= 0.05)) > 0.05 + 4 * math.sqrt(0.05 * 0.95 / want)
