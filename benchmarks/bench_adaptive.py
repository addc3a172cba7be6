"""Adaptive seeds against fixed designs of equal power: seeds per claim, power, type I error.

Run: .venv/bin/python benchmarks/bench_adaptive.py [--sims N] [--min 3 --max 20 --batch 2]

For each cell of the grid (true gain 0, 0.5, 1, 2, 4 points x seed sd 0.5, 1, 2 points, where
the sd is that of the per-seed *gain*, variant minus baseline; rope 0.5 points, alpha 0.05,
95% intervals) it simulates N audits of one claim under the group-sequential design of
``auditkit.stats.sequential`` (``simulate``, the vectorised twin of the audit's decisions)
and prints:

* the expected seeds per arm of the adaptive design and its power, P(SUPPORTED);
* the fixed design of equal power: the fewest seeds n whose exact power (noncentral t, the
  fixed verdict's one-sided level 0.025 that "p < alpha and the 95% CI above 0" amounts to)
  is at least the adaptive design's power;
* their ratio, adaptive seeds / fixed seeds.

The headline is the unweighted mean of that ratio over the twelve cells with a gain (gains
0.5, 1, 2, 4 points x sd 0.5, 1, 2 points); the gain-0 cells are printed, not averaged in.
The adaptive power is itself simulated, so "equal power" is uncertain where it is close to
1: in a cell where every simulated audit is SUPPORTED the fixed design must reach a power of
1 - 1e-12, which asks it for more seeds than the adaptive design's true power would. The
last lines therefore also match the fixed design to the ends of the 95% Clopper–Pearson
interval of the adaptive power; the lower end is the comparison least kind to the adaptive
design.

At gain 0 there is no improvement to detect: the row prints the SUPPORTED rate (type I
error) and the REFUTED rate (equivalence shown), and the fixed design of equal power is the
one with the same probability of showing equivalence (simulated, same N), where the adaptive
design shows it at all. Cells where the matched fixed design needs fewer than 2 seeds, or
more than 500, are reported as such and left out of the averages.

The last column, ``bound``, is a floor no valid sequential design can beat in that cell:
Wald's (1945) and Hoeffding's (1960) lower bound on the expected sample size of any
sequential test with the same error rates (one-sided level 0.025, the cell's power), for a
known variance and a look after every seed, ``E[N] >= ((1-b) ln((1-b)/a) + b ln(b/(1-a))) /
(gain² / (2 sd²))``, and never below MIN seeds, divided by the matched fixed design. Its mean
over the grid is the smallest mean ratio the grid allows. A t-based design with an unknown
variance stays well above it at 3–9 seeds, where the t quantiles with 2–8 degrees of
freedom are far from the normal ones.

Every figure is a simulation with a fixed seed: re-running prints the same numbers. The
last line is the one timing: what the design's t-calibrated thresholds add to an audit, the
median of 5 cold builds in this process (caches cleared; a real audit builds them once per
design and process) beside the median of 5 warm replays of a 3-claim, 20-seed audit with
``sequential_decisions``. The run takes about half a minute at 200,000 audits per cell.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditkit.stats import boundaries, t_test_power
from auditkit.stats.sequential import (
    DEFAULT_BATCH,
    DEFAULT_FUTILITY,
    SequentialDesign,
    Spending,
    StopReason,
    sequential_decisions,
    simulate,
)

EFFECTS = (0.0, 0.005, 0.01, 0.02, 0.04)
SDS = (0.005, 0.01, 0.02)
#: the largest fixed design searched
N_CAP = 500


def fixed_power(n: int, effect: float, sd: float, design: SequentialDesign) -> float:
    """Exact power of the fixed verdict rule (one-sided t at min(alpha, (1-conf)/2))."""
    level = min(design.alpha, (1 - design.confidence) / 2)
    return t_test_power(n, effect, sd, alpha=level)


def fixed_equivalence(n: int, sd: float, design: SequentialDesign, sims: int, rng: int) -> float:
    """P(the fixed 1 - 2·alpha t-interval lies inside ±rope) at gain 0, simulated."""
    gen = np.random.default_rng(rng)
    mean = gen.normal(0.0, sd / np.sqrt(n), sims)
    s = sd * np.sqrt(gen.chisquare(n - 1, sims) / (n - 1))
    half = stats.t.isf(design.alpha, n - 1) * s / np.sqrt(n)
    return float(np.mean((mean - half > -design.rope) & (mean + half < design.rope)))


def matched_n(target: float, power_at: object) -> int | None:
    """Fewest seeds (>= 2) whose power reaches ``target``; None beyond N_CAP."""
    assert callable(power_at)
    for n in range(2, N_CAP + 1):
        if power_at(n) >= target - 1e-12:
            return n
    return None


def power_interval(power: float, sims: int) -> tuple[float, float]:
    """95% Clopper–Pearson interval of a power estimated from ``sims`` simulated audits."""
    hits = round(power * sims)
    low = float(stats.beta.ppf(0.025, hits, sims - hits + 1)) if hits > 0 else 0.0
    high = float(stats.beta.ppf(0.975, hits + 1, sims - hits)) if hits < sims else 1.0
    return low, high


def _ratios_at_interval(
    mean_seeds: float, power: float, sims: int, effect: float, sd: float, design: SequentialDesign
) -> tuple[float, float]:
    """Adaptive seeds over the fixed design matched to each end of the power's interval."""
    out = []
    for target in power_interval(power, sims):
        n = matched_n(target, lambda k: fixed_power(k, effect, sd, design))
        out.append(mean_seeds / (n if n is not None else N_CAP))
    return out[0], out[1]


def wald_bound(effect: float, sd: float, power: float, alpha: float, min_seeds: int) -> float:
    """Wald–Hoeffding floor on the expected seeds of any valid sequential test, at least MIN.

    Parameters
    ----------
    effect, sd
        True mean and sd of the per-seed gain.
    power
        P(SUPPORTED) the design reaches.
    alpha
        One-sided type I error of the decision.
    min_seeds
        Seeds at the first look.

    Returns
    -------
    float
    """
    miss = 1.0 - power
    info = power * math.log(power / alpha) if power > 0 else 0.0
    if miss > 0:
        info += miss * math.log(miss / (1.0 - alpha))
    return max(float(min_seeds), info / (effect**2 / (2.0 * sd**2)))


def threshold_cost(design: SequentialDesign, repeats: int = 5) -> tuple[float, float]:
    """Median seconds of a cold build of the design's thresholds and of a warm replay.

    The cold build clears the per-design caches (the simulated t-process and its threshold
    table) and replays a 3-claim audit of 20 seeds, which builds them; the warm replay is
    the same audit once they are cached.
    """
    gains = list(np.random.default_rng(3).normal(0.005, 0.01, size=(3, design.max_seeds)))
    cold, warm = [], []
    for _ in range(repeats):
        boundaries._null_p_values.cache_clear()
        boundaries._t_table.cache_clear()
        start = time.perf_counter()
        sequential_decisions(gains, design)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        sequential_decisions(gains, design)
        warm.append(time.perf_counter() - start)
    return statistics.median(cold), statistics.median(warm)


def _design() -> tuple[SequentialDesign, int]:
    """The design the command line asks for, and the simulated audits per cell."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=20000)
    parser.add_argument("--min", type=int, default=3)
    parser.add_argument("--max", type=int, default=20)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--futility", type=float, default=DEFAULT_FUTILITY)
    parser.add_argument(
        "--spending", choices=[s.value for s in Spending], default=SequentialDesign().spending.value
    )
    args = parser.parse_args()
    design = SequentialDesign(
        min_seeds=args.min,
        max_seeds=args.max,
        batch=args.batch,
        futility=args.futility,
        spending=Spending(args.spending),
    )
    return design, int(args.sims)


def main() -> None:
    design, sims = _design()
    print(f"design: {design.describe()}")
    print(f"looks at {design.looks} seeds; {sims} simulated audits per cell\n")
    header = (
        f"{'gain':>6} {'sd':>5} | {'E[seeds]':>8} {'power':>6} {'P(sup)':>6} {'P(ref)':>6}"
        f" | {'fixed n':>7} {'power':>6} | {'ratio':>5} {'bound':>5}"
    )
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    ratios_h1: list[float] = []
    #: per cell with a gain: the ratio against the fixed design matched to the lower and the
    #: upper end of the 95% interval of the adaptive power
    ratios_ci: list[tuple[float, float]] = []
    bounds: list[float] = []
    type_one: list[float] = []  # SUPPORTED at gain 0, per sd
    runs_h1 = [0.0, 0.0]  # adaptive and fixed seeds, summed over the cells with a gain
    for effect in EFFECTS:
        for sd in SDS:
            sim = simulate(effect, sd, design, n_sims=sims, random_state=1)
            supported = sim.rate(StopReason.IMPROVEMENT)
            refuted = sim.rate(StopReason.EQUIVALENCE, StopReason.WORSE)
            if effect > 0:
                power = supported
                n = matched_n(power, lambda k, e=effect, s=sd: fixed_power(k, e, s, design))
                fixed_pow = fixed_power(n, effect, sd, design) if n is not None else float("nan")
            else:
                type_one.append(supported)
                power = refuted
                n = (
                    matched_n(power, lambda k, s=sd: fixed_equivalence(k, s, design, sims, 2))
                    if power >= 0.01
                    else None
                )
                fixed_pow = (
                    fixed_equivalence(n, sd, design, sims, 2) if n is not None else float("nan")
                )
            bound = "     "
            if n is not None and effect > 0:
                level = min(design.alpha, (1 - design.confidence) / 2)
                b = wald_bound(effect, sd, power, level, design.min_seeds) / n
                bounds.append(b)
                bound = f"{b:5.2f}"
            if n is None:
                fixed, ratio = "  n/a", "  n/a"
            else:
                r = sim.mean_seeds / n
                fixed, ratio = f"{n:>7d}", f"{r:5.2f}"
                ratios.append(r)
                if effect > 0:
                    ratios_h1.append(r)
                    ratios_ci.append(
                        _ratios_at_interval(sim.mean_seeds, power, sims, effect, sd, design)
                    )
                    runs_h1[0] += sim.mean_seeds
                    runs_h1[1] += n
            print(
                f"{100 * effect:6.1f} {100 * sd:5.1f} | {sim.mean_seeds:8.2f} {power:6.3f} "
                f"{supported:6.3f} {refuted:6.3f} | {fixed:>7} {fixed_pow:6.3f} | {ratio:>5} "
                f"{bound}"
            )
    print()
    print("power: P(SUPPORTED) for a gain > 0; P(REFUTED) at gain 0 (the correct verdict there)")
    level = min(design.alpha, (1 - design.confidence) / 2)
    limit = level + 3 * math.sqrt(level * (1 - level) / sims)
    print(
        f"SUPPORTED at gain 0 (type I error; sd {', '.join(f'{100 * s:g}' for s in SDS)} points): "
        f"{', '.join(f'{r:.4f}' for r in type_one)}; nominal {level:g}, "
        f"{level:g} + 3 SE of {sims} audits = {limit:.4f}"
    )
    print(f"mean ratio over the {len(ratios_h1)} cells with a gain: {np.mean(ratios_h1):.3f}")
    print(
        f"floor on that mean for any valid sequential design (Wald–Hoeffding, known variance, "
        f"a look after every seed, at least {design.min_seeds} seeds): {np.mean(bounds):.3f}"
    )
    print(f"mean ratio over all {len(ratios)} cells with a matched design: {np.mean(ratios):.3f}")
    low_end, high_end = np.mean(ratios_ci, axis=0)
    print(
        f"mean ratio over the {len(ratios_ci)} cells with a gain, the fixed design matched to the "
        f"lower / upper end of the 95% interval of the adaptive power: {low_end:.3f} / "
        f"{high_end:.3f}"
    )
    print(
        f"total seeds over the cells with a gain: adaptive {runs_h1[0]:.1f}, fixed "
        f"{runs_h1[1]:.0f}, ratio {runs_h1[0] / runs_h1[1]:.3f}"
    )
    cold, warm = threshold_cost(design)
    print(
        f"t-calibrated thresholds: built once per design and process in {cold:.2f} s "
        f"(median of 5, with a 3-claim replay); the replay once built: {1000 * warm:.0f} ms"
    )


if __name__ == "__main__":
    main()
