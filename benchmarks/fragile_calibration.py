"""FRAGILE by simulation: false-FRAGILE rate and power of the selective interaction rule.

Run: ``python benchmarks/fragile_calibration.py [n_sim]``. For 3, 5 and 10 seeds it prints

- the false-FRAGILE rate when the gain is the same under the condition (true gain 1 sd of
  the per-seed gains), among every simulated claim and among the nominally SUPPORTED ones
  (the rate the rule must hold at α = 0.05: only a supported claim can be FRAGILE, and
  selecting supported claims favours lucky nominal draws);
- the same conditional rate at other points of the null (a nominal gain of 0.5 sd, which
  selects hardest; a condition gain correlated with the nominal one; a condition with a
  third or twice the spread), since a selective test must hold wherever the gain is
  unchanged; the last row, a small gain whose spread the condition halves, shows the limit
  of the test's null ("the condition changes nothing about the gain");
- the power (share of nominally SUPPORTED claims called FRAGILE) when the gain truly
  vanishes under the condition, for a nominal gain of 2 and 3 sd;

each for the rule in ``auditkit.verdict`` (selective interaction test, Holm) and, after
the slash, for the previous rule (the plain paired interaction t-test), so that the power
the selection adjustment costs is visible. Every figure is a share of ``n_sim`` claims
(or of the supported ones among them); its standard error is printed beside the limit.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from auditkit.conditions import Condition
from auditkit.stats import gain_interaction_test, holm, paired_t_test
from auditkit.types import Claim, ConditionEvidence
from auditkit.verdict import ClaimEvidence, Thresholds, decide_all

T = Thresholds(alpha=0.05, rope=0.005, confidence=0.95)
CLAIM = Claim(variant="v", baseline="b", metric="accuracy")


@dataclass(frozen=True)
class Rates:
    """FRAGILE shares of one simulated cell."""

    #: new rule, among every simulated claim
    all_claims: float
    #: new rule, among nominally supported claims
    supported: float
    #: old rule (plain paired interaction test), among nominally supported claims
    old: float
    #: how many claims were nominally supported
    n_supported: int


def simulate(
    rng: np.random.Generator,
    n: int,
    gain: float,
    under: float,
    n_sim: int,
    *,
    rho: float = 0.0,
    sd_under: float = 1.0,
) -> Rates:
    """Simulate ``n_sim`` one-claim audits with one condition and decide each.

    Per-seed nominal gains are N(gain, 1); condition gains N(under, sd_under²) with
    correlation ``rho`` to the nominal gain of the same seed.
    """
    seeds = tuple(range(n))
    new = old = supported = 0
    for _ in range(n_sim):
        z = rng.standard_normal(n)
        nominal = gain + z
        cond = under + sd_under * (rho * z + math.sqrt(1 - rho**2) * rng.standard_normal(n))
        t = paired_t_test(nominal, alternative="greater")
        if not (t.p_value < T.alpha and t.low > 0):
            continue  # only a nominally supported claim can be FRAGILE
        supported += 1
        ev = ClaimEvidence(
            claim=CLAIM,
            seeds=seeds,
            baseline=(0.0,) * n,
            variant=tuple(nominal.tolist()),
            seeds_planned=n,
            conditions=(
                ConditionEvidence(
                    condition=Condition("c"),
                    rule_id="x",
                    family="f",
                    gains=tuple(cond.tolist()),
                    seeds=seeds,
                ),
            ),
        )
        (d,) = decide_all([ev], T)
        new += d.fragile_under != ()
        (c,) = d.conditions
        plain = float(holm([gain_interaction_test(nominal, cond, paired=True).p_value])[0])
        old += c.status in ("reversed", "vanished") or (c.status != "holds" and plain < T.alpha)
    return Rates(
        all_claims=new / n_sim,
        supported=new / max(supported, 1),
        old=old / max(supported, 1),
        n_supported=supported,
    )


def main() -> None:
    n_sim = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    rng = np.random.default_rng(20261206)
    print(f"{n_sim} simulated one-claim audits per cell, alpha = {T.alpha}; new / old rule")
    print("false FRAGILE: the gain is the same under the condition; 'supported' = among")
    print("nominally SUPPORTED claims (limit alpha + 3 SE of that share)")
    print(
        f"{'seeds':>5}  {'false, all':>10}  {'false, supported':>22}  {'limit':>6}  "
        f"{'power 2 sd':>15}  {'power 3 sd':>15}"
    )
    for n in (3, 5, 10):
        null = simulate(rng, n, 1.0, 1.0, n_sim)
        p2 = simulate(rng, n, 2.0, 0.0, n_sim)
        p3 = simulate(rng, n, 3.0, 0.0, n_sim)
        limit = T.alpha + 3 * math.sqrt(T.alpha * (1 - T.alpha) / max(null.n_supported, 1))
        print(
            f"{n:>5}  {null.all_claims:>10.3f}  {null.supported:>7.3f} / {null.old:<5.3f}"
            f" (n={null.n_supported:>4})  {limit:>6.3f}  {p2.supported:>6.3f} / {p2.old:<6.3f}"
            f"  {p3.supported:>6.3f} / {p3.old:<6.3f}"
        )
    print("\nother points of the null (false FRAGILE among supported claims, new / old):")
    cells = (
        ("nominal gain 0.5 sd", {"gain": 0.5, "under": 0.5}),
        ("correlation 0.7", {"gain": 1.0, "under": 1.0, "rho": 0.7}),
        ("condition sd 1/3", {"gain": 1.0, "under": 1.0, "sd_under": 1 / 3}),
        ("condition sd 2", {"gain": 1.0, "under": 1.0, "sd_under": 2.0}),
        # outside the test's null (the condition halves the spread of the gains): its limit
        ("0.5 sd, cond. sd 1/2", {"gain": 0.5, "under": 0.5, "sd_under": 0.5}),
    )
    for name, kw in cells:
        row = []
        for n in (3, 5, 10):
            r = simulate(rng, n, n_sim=n_sim // 2, **kw)
            row.append(f"{n} seeds {r.supported:.3f} / {r.old:.3f} (n={r.n_supported})")
        print(f"  {name:<20} " + "; ".join(row))


if __name__ == "__main__":
    main()
