"""FRAGILE by simulation: false-FRAGILE rate and power of the interaction rule, old rule beside.

Run: ``python benchmarks/fragile_calibration.py [n_sim]``. For 3, 5 and 10 seeds it prints,
among claims whose nominal gain is SUPPORTED:

- the false-FRAGILE rate when the gain is the same under the condition (true gain 1 sd of
  the per-seed gains, the hard case for a "does the condition's interval reach 0" reading);
- the power (share called FRAGILE) when the gain truly vanishes under the condition, for a
  nominal gain of 2 and 3 sd;

each for the rule in ``auditkit.verdict.breaks_gain`` (interaction test, Holm) and for the
old rule (the condition's interval below 0, or inside the ROPE).
"""

from __future__ import annotations

import sys

import numpy as np

from auditkit.stats import paired_t_test
from auditkit.types import Claim, ConditionEvidence
from auditkit.verdict import ClaimEvidence, Thresholds, breaks_gain, condition_results

T = Thresholds(alpha=0.05, rope=0.005, confidence=0.95)
CLAIM = Claim(variant="v", baseline="b", metric="accuracy")


def rates(
    rng: np.random.Generator, n: int, gain: float, under: float, n_sim: int
) -> tuple[float, float, float]:
    """(new, old) FRAGILE rate among nominally supported claims, and new among all claims."""
    seeds = tuple(range(n))
    new = old = supported = 0
    for _ in range(n_sim):
        nominal = rng.normal(gain, 1.0, n)
        cond = rng.normal(under, 1.0, n)
        t = paired_t_test(nominal, alternative="greater")
        if not (t.p_value < T.alpha and t.low > 0):
            continue
        supported += 1
        ev = ClaimEvidence(
            claim=CLAIM,
            seeds=seeds,
            baseline=(0.0,) * n,
            variant=tuple(nominal.tolist()),
            seeds_planned=n,
            conditions=(
                ConditionEvidence(
                    condition="c", rule_id="x", family="f", gains=tuple(cond.tolist()), seeds=seeds
                ),
            ),
        )
        (c,) = condition_results(ev, T)
        new += breaks_gain(c, T)
        old += c.status in ("reversed", "vanished")
    return new / max(supported, 1), old / max(supported, 1), new / n_sim


def main() -> None:
    n_sim = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    rng = np.random.default_rng(20261206)
    print(f"{n_sim} simulated claims per cell; new/old = interaction rule / old rule,")
    print("rates among nominally supported claims; 'all' = share of every simulated claim")
    print(
        f"{'seeds':>5}  {'false FRAGILE all':>17}  {'false new/old':>14}  "
        f"{'power 2sd new/old':>18}  {'power 3sd new/old':>18}"
    )
    for n in (3, 5, 10):
        f_new, f_old, f_all = rates(rng, n, 1.0, 1.0, n_sim)
        p2_new, p2_old, _ = rates(rng, n, 2.0, 0.0, n_sim)
        p3_new, p3_old, _ = rates(rng, n, 3.0, 0.0, n_sim)
        print(
            f"{n:>5}  {f_all:>17.3f}  {f_new:>6.3f} / {f_old:<5.3f}  "
            f"{p2_new:>8.3f} / {p2_old:<7.3f}  {p3_new:>8.3f} / {p3_old:<7.3f}"
        )


if __name__ == "__main__":
    main()
