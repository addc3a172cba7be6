"""The yardsticks of the adaptive-seeds benchmarks: the per-cell oracle and the frontier.

Their figures say how far the adaptive design's savings can go on the benchmark's grid,
so their pieces are checked here: the oracle's vectorised stopping rule against a plain
loop, the calibrations of the oracle and of the frontier's fitted boundary against
independent no-gain samples, and that the oracle, told the true gain, beats the shipped
design in a cell by a wide margin (it must: it is a different test for each cell).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy import stats

from auditkit.stats.sequential import SequentialDesign, simulate

LEVEL = 0.025


def _load(name: str) -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench_adaptive")


@pytest.fixture(scope="module")
def frontier() -> ModuleType:
    return _load("adaptive_frontier")


def _loop(lr: np.ndarray, log_a: float, log_b: float, relax: float) -> tuple[list[bool], list[int]]:
    """Wald's test look by look, the obvious way."""
    rejects, stops = [], []
    k = lr.shape[1]
    for row in lr:
        for j, value in enumerate(row):
            if j == k - 1:
                rejects.append(bool(value >= log_a - relax))
                stops.append(j)
                break
            if value >= log_a:
                rejects.append(True)
                stops.append(j)
                break
            if value <= log_b:
                rejects.append(False)
                stops.append(j)
                break
    return rejects, stops


@pytest.mark.parametrize(("log_b", "relax"), [(-2.0, 0.0), (-0.5, 1.0), (-6.0, 2.0)])
def test_vectorised_rule_equals_the_loop(bench: ModuleType, log_b: float, relax: float) -> None:
    lr = np.random.default_rng(4).normal(0.0, 2.0, (500, 9)).cumsum(axis=1)
    log_a = 2.5
    peak, futile, last = bench._sprt_stops(lr, log_b)
    reject = bench._sprt_reject(peak, last, log_a, relax)
    stop = bench._sprt_stop_look(lr, futile, log_a)
    want_reject, want_stop = _loop(lr, log_a, log_b, relax)
    assert reject.tolist() == want_reject
    assert stop.tolist() == want_stop


def test_likelihood_ratio_table_is_the_t_densities_ratio(bench: ModuleType) -> None:
    looks = np.array([3, 7, 20])
    table = bench._log_lr_table(1.0, looks)
    assert np.all(np.diff(table, axis=1) >= 0)  # increasing in t (monotone likelihood ratio)
    for j, n in enumerate(looks.tolist()):
        t = np.array([-1.0, 0.5, 2.0, 4.0])
        want = stats.nct.logpdf(t, n - 1, math.sqrt(n)) - stats.t.logpdf(t, n - 1)
        got = np.interp(t, bench._ORACLE_T, table[j])
        np.testing.assert_allclose(got, want, atol=1e-3)


def test_calibrated_oracle_keeps_the_level_on_fresh_no_gain_paths(bench: ModuleType) -> None:
    design = SequentialDesign()
    looks = np.arange(design.min_seeds, design.max_seeds + 1)
    table = bench._log_lr_table(1.0, looks)
    fit = np.random.default_rng(1).standard_normal((1 << 17, design.max_seeds))
    fresh = np.random.default_rng(2).standard_normal((1 << 17, design.max_seeds))
    for log_b, relax in [(-2.0, 0.0), (-4.0, 1.0)]:
        peak, _, last = bench._sprt_stops(bench._log_lr(bench.t_paths(fit, looks), table), log_b)
        log_a = bench._calibrate_sprt(peak, last, relax, LEVEL)
        peak2, _, last2 = bench._sprt_stops(
            bench._log_lr(bench.t_paths(fresh, looks), table), log_b
        )
        rate = float(np.mean(bench._sprt_reject(peak2, last2, log_a, relax)))
        # the threshold is an estimate from the fit paths and the rate one from the fresh
        # paths: the SE of their difference is sqrt(2) times either's
        se = math.sqrt(2 * LEVEL * (1 - LEVEL) / fresh.shape[0])
        assert abs(rate - LEVEL) < 4 * se, (log_b, relax, rate)


def test_oracle_told_the_gain_beats_the_shipped_design(bench: ModuleType) -> None:
    # gain of one seed sd: the shipped design needs ~0.8 of the matched fixed seeds, the
    # oracle ~0.6; a margin of 0.1 holds at these sample sizes on any machine
    design = SequentialDesign()
    sims = 4000
    null_x = np.random.default_rng(9).standard_normal((1 << 14, design.max_seeds))
    point, low = bench.oracle(0.01, 0.01, design, sims, null_x)
    sim = simulate(0.01, 0.01, design, n_sims=sims, random_state=1)
    n = bench.matched_n(
        sim.rate(bench.StopReason.IMPROVEMENT),
        lambda k: bench.fixed_power(k, 0.01, 0.01, design),
    )
    assert n is not None
    assert point.ratio < sim.mean_seeds / n - 0.1
    assert 0.0 < point.power <= 1.0 and point.fixed >= 2 and low.ratio >= point.ratio - 1e-12


def test_frontier_boundary_keeps_the_level_on_fresh_no_gain_paths(frontier: ModuleType) -> None:
    shape, futility = frontier.curves(frontier.START)
    fit = frontier.t_paths(
        np.random.default_rng(1).standard_normal((1 << 17, frontier.MAX)), frontier.LOOKS
    )
    fresh = frontier.t_paths(
        np.random.default_rng(2).standard_normal((1 << 17, frontier.MAX)), frontier.LOOKS
    )
    c = frontier.calibrate(shape, fit)
    assert float(np.mean((fit >= c).any(axis=1))) <= LEVEL
    rate = float(np.mean((fresh >= c).any(axis=1)))  # efficacy alone: futility is non-binding
    se = math.sqrt(2 * LEVEL * (1 - LEVEL) / fresh.shape[0])
    assert abs(rate - LEVEL) < 4 * se
    # the futility boundary only lowers the rate at which no-gain audits are SUPPORTED
    assert frontier.run(fresh, c, futility)[1] <= rate


def test_frontier_fixed_seeds_match_the_exact_power(frontier: ModuleType) -> None:
    curve = frontier.fixed_curve(1.0)
    n = frontier.fixed_seeds(0.9, curve, whole=True)
    assert curve[int(n) - 2] >= 0.9 > curve[int(n) - 3]
    assert n - 1 < frontier.fixed_seeds(0.9, curve, whole=False) <= n
