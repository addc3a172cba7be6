"""The group-sequential design of ``--seeds auto``: boundaries, calibration, replay."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from auditkit.stats import boundaries, holm
from auditkit.stats.sequential import (
    SequentialDesign,
    Spending,
    StopReason,
    nominal_levels,
    parse_seed_range,
    sequential_decisions,
    simulate,
    spending_boundaries,
    t_levels,
    trajectory,
)

ALPHA = 0.05
#: what the SUPPORTED rule amounts to: one-sided p < alpha and the 95% interval above 0
LEVEL = 0.025
SIMS = 20_000


def _se(p: float, n: int = SIMS) -> float:
    return math.sqrt(p * (1 - p) / n)


# -- boundaries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spending", "published"),
    [
        # Lan–DeMets spending, 5 equally spaced looks, one-sided 0.025 (Jennison & Turnbull
        # 2000, table 7.6; gsDesign sfLDOF / sfLDPocock)
        (Spending.OBRIEN_FLEMING, (4.877, 3.357, 2.680, 2.290, 2.031)),
        (Spending.POCOCK, (2.438, 2.427, 2.410, 2.397, 2.386)),
    ],
)
def test_boundaries_match_the_published_tables(
    spending: Spending, published: tuple[float, ...]
) -> None:
    found = spending_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], LEVEL, spending)
    np.testing.assert_allclose(found, published, atol=2e-3)


@pytest.mark.parametrize("spending", list(Spending))
def test_boundaries_spend_the_level_exactly_by_the_multivariate_normal(
    spending: Spending,
) -> None:
    # an independent computation: Z at the looks is multivariate normal with
    # corr(Z_i, Z_j) = sqrt(t_i / t_j), and no crossing has probability 1 - level
    times = np.array([0.15, 0.45, 0.7, 1.0])
    c = spending_boundaries(times, LEVEL, spending)
    cov = np.sqrt(np.minimum.outer(times, times) / np.maximum.outer(times, times))
    for k in range(1, len(times) + 1):
        stay = stats.multivariate_normal.cdf(
            c[:k], mean=np.zeros(k), cov=cov[:k, :k], abseps=1e-6, releps=1e-6
        )
        spent = spending.spent(times[:k], LEVEL)[-1]
        assert 1 - stay == pytest.approx(spent, abs=5e-5)


def test_bad_look_times_are_refused() -> None:
    with pytest.raises(ValueError, match="increase strictly"):
        spending_boundaries([0.5, 0.4], LEVEL)


def _null_t_crossing(design: SequentialDesign, thresholds: np.ndarray, seed: int) -> np.ndarray:
    """Cumulative share of simulated no-gain t-processes crossing by each look, (k,)."""
    looks = np.array(design.looks)
    x = np.random.default_rng(seed).standard_normal((100_000, design.max_seeds))
    n = looks.astype(float)
    mean = np.cumsum(x, axis=1)[:, looks - 1] / n
    sd = np.sqrt((np.cumsum(x * x, axis=1)[:, looks - 1] - n * mean**2) / (n - 1))
    p = stats.t.sf(mean / (sd / np.sqrt(n)), n - 1)
    crossed: np.ndarray = np.mean(np.logical_or.accumulate(p <= thresholds, axis=1), axis=0)
    return crossed


def test_t_levels_spend_the_level_on_the_t_process_and_the_z_translation_does_not() -> None:
    # an independent simulation (another seed than the calibration's): with an unknown
    # variance the t statistics cross by look j with probability alpha(t_j); the
    # "significance level approach" (z boundaries turned into p thresholds) overshoots
    design = SequentialDesign()
    times = np.array(design.looks) / design.max_seeds
    spent = design.spending.spent(times, LEVEL)
    crossed = _null_t_crossing(design, t_levels(design, LEVEL), seed=99)
    se = np.sqrt(spent * (1 - spent) / 100_000)
    assert np.all(np.abs(crossed - spent) < 4 * se + 2e-4)
    z_translated = _null_t_crossing(design, nominal_levels(times, LEVEL, design.spending), 99)
    assert z_translated[-1] > LEVEL + 4 * se[-1]


def test_the_calibration_is_deterministic_same_inputs_same_decisions() -> None:
    # the thresholds come from a fixed-seed simulation: rebuilt from scratch, they and the
    # decisions they give are the same
    design = SequentialDesign()
    gains = [np.array([0.012, 0.004, 0.015, 0.009, 0.002, 0.011, 0.007]), np.full(3, 0.05)]
    before_levels, before = t_levels(design, LEVEL), sequential_decisions(gains, design)
    boundaries._null_p_values.cache_clear()
    boundaries._t_table.cache_clear()
    np.testing.assert_array_equal(t_levels(design, LEVEL), before_levels)
    assert sequential_decisions(gains, design) == before


# -- calibration: error rates under optional stopping ---------------------------------------


@pytest.mark.parametrize("sd", [0.005, 0.01, 0.02])
def test_under_no_effect_supported_stays_at_its_level(sd: float) -> None:
    design = SequentialDesign()
    sim = simulate(0.0, sd, design, n_sims=SIMS, random_state=11)
    supported = sim.rate(StopReason.IMPROVEMENT)
    assert supported <= ALPHA + 3 * _se(ALPHA)
    # and at the rule's own one-sided level, not just below alpha
    assert supported <= LEVEL + 3 * _se(LEVEL)
    assert sim.mean_seeds < design.max_seeds  # it does stop early


def test_naive_peeking_inflates_false_positives_and_the_test_would_catch_it() -> None:
    # the planted pitfall: the fixed-design t-test at every look of the same schedule
    design = SequentialDesign()
    looks = np.array(design.looks)
    x = np.random.default_rng(11).normal(0.0, 0.01, size=(SIMS, design.max_seeds))
    n = looks.astype(float)
    mean = np.cumsum(x, axis=1)[:, looks - 1] / n
    sd = np.sqrt((np.cumsum(x * x, axis=1)[:, looks - 1] - n * mean**2) / (n - 1))
    p = stats.t.sf(mean / (sd / np.sqrt(n)), n - 1)
    naive = float(np.mean(np.any(p < LEVEL, axis=1)))
    assert naive > LEVEL + 3 * _se(LEVEL) + 0.02


@pytest.mark.parametrize("sd", [0.005, 0.01])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_at_the_equivalence_margin_refuted_stays_at_its_level(sd: float, sign: float) -> None:
    design = SequentialDesign()
    sim = simulate(sign * design.rope, sd, design, n_sims=SIMS, random_state=12)
    assert sim.rate(StopReason.EQUIVALENCE) <= design.alpha + 3 * _se(design.alpha)


def test_holm_first_step_over_three_null_claims_keeps_the_familywise_rate() -> None:
    # Holm rejects nothing unless one claim crosses the level alpha/3 boundary
    design = SequentialDesign(alpha=ALPHA / 3)
    one = simulate(0.0, 0.01, design, n_sims=SIMS, random_state=13).rate(StopReason.IMPROVEMENT)
    familywise = 1 - (1 - one) ** 3
    assert familywise <= ALPHA + 3 * _se(ALPHA)


def test_power_grows_with_the_effect_and_seeds_fall() -> None:
    design = SequentialDesign()
    small = simulate(0.005, 0.01, design, n_sims=4000, random_state=14)
    large = simulate(0.04, 0.01, design, n_sims=4000, random_state=14)
    assert large.rate(StopReason.IMPROVEMENT) > 0.99 > small.rate(StopReason.IMPROVEMENT)
    assert large.mean_seeds < 6 < small.mean_seeds


# -- the replay is the audit's rule, and simulate is its twin ------------------------------


def test_simulate_and_the_replay_agree_audit_by_audit() -> None:
    design = SequentialDesign(max_seeds=12)
    n_sims = 12
    sim = simulate(0.008, 0.01, design, n_sims=n_sims, random_state=5)
    x = np.random.default_rng(5).normal(0.008, 0.01, size=(n_sims, design.max_seeds))
    order = list(StopReason)
    for i in range(n_sims):
        (stop,) = sequential_decisions([x[i]], design)
        assert stop.reason is not None
        assert order.index(stop.reason) == sim.reason[i]
        assert stop.last is not None and stop.last.n == sim.seeds_used[i]


def test_the_sequential_p_value_is_the_level_whose_boundary_the_data_reach() -> None:
    design = SequentialDesign()
    gains = np.array([0.012, 0.004, 0.015, 0.009, 0.002, 0.011, 0.007])
    looks = trajectory(gains, design)
    assert [look.n for look in looks] == [3, 5, 7]
    best = min(looks[-1].sequential_p, 0.999)
    crossings = [
        look.p_value <= t_levels(design, best * (1 + 1e-6))[j] for j, look in enumerate(looks)
    ]
    assert any(crossings)
    below = [look.p_value <= t_levels(design, best * (1 - 1e-3))[j] for j, look in enumerate(looks)]
    assert not any(below)
    # non-increasing over looks, and never below the look's own fixed p-value
    ps = [look.sequential_p for look in looks]
    assert ps == sorted(ps, reverse=True)
    assert all(look.sequential_p >= look.p_value for look in looks)


def test_repeated_intervals_are_wider_than_fixed_ones() -> None:
    gains = np.array([0.012, 0.004, 0.015, 0.009, 0.002])
    last = trajectory(gains, SequentialDesign())[-1]
    fixed = stats.ttest_1samp(gains, 0).confidence_interval(0.95)
    assert last.low < fixed.low and last.high > fixed.high


# -- stopping rules -------------------------------------------------------------------------


def test_a_clear_gain_stops_at_the_first_look_and_later_seeds_are_ignored() -> None:
    design = SequentialDesign()
    clear = [0.051, 0.049, 0.050]
    (stop,) = sequential_decisions([clear], design)
    assert stop.reason is StopReason.IMPROVEMENT
    (again,) = sequential_decisions([clear + [-0.05] * 17], design)
    assert again.reason is StopReason.IMPROVEMENT
    assert again.last is not None and again.last.n == 3
    assert again.looks == stop.looks


@pytest.mark.parametrize(
    ("gains", "reason"),
    [
        ([-0.051, -0.049, -0.050], StopReason.WORSE),
        ([0.0002, -0.0003, 0.0001, 0.0, -0.0001], StopReason.EQUIVALENCE),
        ([0.01, 0.01, 0.01], StopReason.NO_SPREAD),
        ([0.0, -0.02, 0.005, -0.01, -0.03], StopReason.FUTILITY),
    ],
)
def test_each_stopping_rule(gains: list[float], reason: StopReason) -> None:
    (stop,) = sequential_decisions([gains], SequentialDesign())
    assert stop.reason is reason


def test_an_undecided_claim_asks_for_more_until_the_audit_is_complete() -> None:
    promising = [0.02, 0.0, 0.015]
    (running,) = sequential_decisions([promising], SequentialDesign())
    assert running.reason is None
    (done,) = sequential_decisions([promising], SequentialDesign(), complete=True)
    assert done.reason is StopReason.NO_MORE_RUNS
    assert not StopReason.NO_MORE_RUNS.decided


def test_the_last_look_stops_an_undecided_claim() -> None:
    design = SequentialDesign(min_seeds=3, max_seeds=5, futility=0.0)
    gains = [0.02, -0.01, 0.03, 0.0, 0.012]
    (stop,) = sequential_decisions([gains], design)
    assert stop.reason is StopReason.MAX_SEEDS
    assert stop.last is not None and stop.last.n == 5


def test_holm_is_applied_to_the_sequential_p_values() -> None:
    design = SequentialDesign()
    a = [0.02, 0.0, 0.015, 0.01, 0.012]
    b = [0.01, 0.005, 0.0, 0.02, -0.004]
    stops = sequential_decisions([a, b], design, complete=True)
    raw = [s.last.sequential_p for s in stops if s.last is not None]
    np.testing.assert_allclose([s.p_adjusted for s in stops], holm(raw))


# -- settings -------------------------------------------------------------------------------


def test_default_looks() -> None:
    assert SequentialDesign().looks == (3, 5, 7, 9, 11, 13, 15, 17, 19, 20)
    assert SequentialDesign().next_look(20) is None
    assert SequentialDesign().next_look(3) == 5


@pytest.mark.parametrize(
    ("text", "expected"), [("auto", (3, 20)), ("4..30", (4, 30)), (" 2..2", (2, 2))]
)
def test_seed_ranges(text: str, expected: tuple[int, int]) -> None:
    assert parse_seed_range(text) == expected


@pytest.mark.parametrize("text", ["1..5", "5..3", "x", "3-20", "..9"])
def test_bad_seed_ranges(text: str) -> None:
    with pytest.raises(ValueError, match="MIN"):
        parse_seed_range(text)


def test_bad_designs() -> None:
    with pytest.raises(ValueError, match="MIN <= MAX"):
        SequentialDesign(min_seeds=6, max_seeds=4)
    with pytest.raises(ValueError, match="futility"):
        SequentialDesign(futility=1.0)
