"""How far a boundary fitted to bench_adaptive's own grid goes: the design frontier.

Run: .venv/bin/python benchmarks/adaptive_frontier.py [--fit-sims 20000] [--check 200000]

``bench_adaptive.py`` compares the shipped design (Pocock-type spending, looks of 2 seeds)
with the fixed design of equal power, and with a per-cell oracle that is told each cell's
true gain. This script asks what lies between: the best *single* valid boundary for the
grid, found by fitting the boundary to the grid itself, which no real design could do
more of. The boundary has one look per seed from 3 to 20 and two free curves, each
piecewise linear in log(seeds) through knots at 3, 5, 8, 12 and 20 seeds:

* efficacy: the one-sided p threshold of each look's paired t-test, ``exp(shape(n) +
  shift)``, with ``shift`` calibrated on ``2^17`` simulated no-gain paths so that the t
  statistics cross it at some look with probability 0.025 (non-binding: futility ignored,
  so the boundary is valid whatever the futility rule does);
* futility: stop when the t statistic is below ``f(n)`` (not at the last look).

Powell's method minimises the grid's mean ratio (expected seeds over the fixed seeds of
equal power, the twelve cells with a gain; the fixed seeds interpolated between integers
so that the objective is smooth) on ``--fit-sims`` audits per cell with common random
numbers, once for each of the two comparators of ``bench_adaptive.py``: the fixed design
matched to the simulated power itself, and matched to the lower end of its 95% interval.
Each fitted boundary is then checked on ``--check`` fresh audits per cell (other seeds),
with whole fixed designs as in ``bench_adaptive.py``, and on fresh no-gain paths for its
type I error. Only the improvement and futility rules are simulated (no equivalence or
"worse" stops, which change the cells with a gain by under 0.03 of power).

Every figure comes from fixed seeds; re-running prints the same numbers. It takes about
ten minutes on one core.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_adaptive import EFFECTS, SDS, power_interval, t_paths

from auditkit.stats import t_test_power

LEVEL = 0.025
MIN, MAX = 3, 20
LOOKS = np.arange(MIN, MAX + 1)
#: knots of both curves, in seeds
KNOTS = np.log(np.array([3.0, 5.0, 8.0, 12.0, 20.0]))
#: the grid's effect sizes (gain / sd) and how many of its twelve cells each has
SIZES, COUNTS = np.unique([round(e / s, 9) for e in EFFECTS[1:] for s in SDS], return_counts=True)
#: fixed designs searched
N_FIXED = np.arange(2, 400)
#: start: Pocock-like efficacy (log p thresholds), futility rising from t = -1.5 to 2
START = np.array([-5.2, -5.8, -5.7, -5.6, -5.3, -1.5, 0.0, 0.5, 1.0, 2.0])


def curves(params: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], ...]:
    """The efficacy log-p shape and the futility t boundary at every look, (looks,) each."""
    x = np.log(LOOKS)
    return np.interp(x, KNOTS, params[:5]), np.interp(x, KNOTS, params[5:])


def calibrate(
    shape: npt.NDArray[np.float64], null_t: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Efficacy t boundary: ``shape`` shifted until the no-gain paths cross at rate LEVEL."""
    df = LOOKS - 1.0
    lo, hi = -30.0, 10.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        c = special.stdtrit(df, 1.0 - np.minimum(np.exp(shape + mid), 0.5))
        if float(np.mean((null_t >= c).any(axis=1))) > LEVEL:
            hi = mid
        else:
            lo = mid
    out: npt.NDArray[np.float64] = special.stdtrit(df, 1.0 - np.minimum(np.exp(shape + lo), 0.5))
    return out


def run(
    t: npt.NDArray[np.float64], c: npt.NDArray[np.float64], f: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Expected seeds and P(SUPPORTED) of boundary (c, f) on t statistics (paths, looks)."""
    up = t >= c
    stop = up | (t < f)
    stop[:, -1] = True
    first = np.argmax(stop, axis=1)
    return float(np.mean(LOOKS[first])), float(np.mean(up[np.arange(t.shape[0]), first]))


def fixed_curve(size: float) -> npt.NDArray[np.float64]:
    """Power of the fixed one-sided t design at LEVEL for each of N_FIXED seeds."""
    return np.array([t_test_power(int(n), size, 1.0, alpha=LEVEL) for n in N_FIXED])


def fixed_seeds(target: float, curve: npt.NDArray[np.float64], whole: bool) -> float:
    """Fixed seeds reaching power ``target``; interpolated between integers unless whole."""
    target = min(target, 1.0 - 1e-12)
    i = int(np.searchsorted(curve, target - (1e-12 if whole else 0.0)))
    if whole or i == 0:
        return float(N_FIXED[min(i, N_FIXED.size - 1)])
    return float(N_FIXED[i - 1] + (target - curve[i - 1]) / (curve[i] - curve[i - 1]))


def grid_ratio(
    params: npt.NDArray[np.float64],
    null_t: npt.NDArray[np.float64],
    alt_t: list[npt.NDArray[np.float64]],
    fixed: list[npt.NDArray[np.float64]],
    lower: bool,
    whole: bool = False,
) -> tuple[float, list[tuple[float, float, float, float, float]]]:
    """Mean ratio over the grid's cells with a gain, and per size (size, seeds, power, n, n_low)."""
    shape, f = curves(params)
    c = calibrate(shape, null_t)
    sims = alt_t[0].shape[0]
    ratios, rows = [], []
    for size, count, t, curve in zip(SIZES, COUNTS, alt_t, fixed, strict=True):
        seeds, power = run(t, c, f)
        n_point = fixed_seeds(power, curve, whole)
        n_low = fixed_seeds(power_interval(power, sims)[0], curve, whole)
        ratios.append(count * seeds / (n_low if lower else n_point))
        rows.append((float(size), seeds, power, n_point, n_low))
    return float(sum(ratios) / COUNTS.sum()), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit-sims", type=int, default=20000)
    parser.add_argument("--check", type=int, default=200000)
    args = parser.parse_args()
    null_fit = t_paths(np.random.default_rng(31).standard_normal((1 << 17, MAX)), LOOKS)
    z = np.random.default_rng(32).standard_normal((args.fit_sims, MAX))
    alt_fit = [t_paths(z + s, LOOKS) for s in SIZES]
    fixed = [fixed_curve(float(s)) for s in SIZES]
    null_check = t_paths(np.random.default_rng(41).standard_normal((args.check, MAX)), LOOKS)
    z = np.random.default_rng(42).standard_normal((args.check, MAX))
    alt_check = [t_paths(z + s, LOOKS) for s in SIZES]
    del z
    print(
        f"looks at every seed, {MIN} to {MAX}; fitted on {args.fit_sims} audits per cell, "
        f"checked on {args.check} fresh ones\n"
    )
    for lower in (False, True):
        name = "the lower end of its 95% interval" if lower else "the simulated power itself"
        fit = optimize.minimize(
            lambda params, lower=lower: grid_ratio(params, null_fit, alt_fit, fixed, lower)[0],
            START,
            method="Powell",
            options={"maxiter": 4000, "xtol": 1e-2, "ftol": 1e-4},
        )
        shape, f = curves(fit.x)
        c = calibrate(shape, null_fit)
        point, rows = grid_ratio(fit.x, null_fit, alt_check, fixed, lower=False, whole=True)
        low, _ = grid_ratio(fit.x, null_fit, alt_check, fixed, lower=True, whole=True)
        seeds0, type_one = run(null_check, c, f)
        print(f"boundary fitted against the fixed design matched to {name}:")
        print(f"  efficacy t boundary: {' '.join(f'{v:.2f}' for v in c)}")
        print(f"  futility t boundary: {' '.join(f'{v:.2f}' for v in f[:-1])}")
        for size, seeds, power, n_point, n_low in rows:
            print(
                f"  gain/sd {size:4.2f}: E[seeds] {seeds:5.2f}, power {power:.5f}, fixed "
                f"{n_point:.0f} (matched to the power) / {n_low:.0f} (to its lower end)"
            )
        print(
            f"  check: mean ratio {point:.3f} against the fixed design matched to the power, "
            f"{low:.3f} matched to the lower end; no gain: SUPPORTED {type_one:.4f}, "
            f"E[seeds] {seeds0:.2f}\n"
        )


if __name__ == "__main__":
    main()
