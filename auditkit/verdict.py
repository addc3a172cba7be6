"""Verdicts: the one place that decides whether a claimed improvement is supported."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from auditkit.stats import TTest, holm, paired_t_test, seeds_needed
from auditkit.types import Claim, Direction, Verdict

#: fewest successful seed pairs for any estimate
MIN_PAIRS = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """The statistical settings a decision uses (from the rule pack)."""

    #: one-sided significance level after Holm correction across claims
    alpha: float = 0.05
    #: region of practical equivalence: |gain| below this is no gain, in metric units
    rope: float = 0.005
    #: confidence level of reported intervals
    confidence: float = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimEvidence:
    """The measurements behind one claim at the nominal setting.

    ``baseline`` and ``variant`` are paired: entry i of each comes from seed ``seeds[i]``.
    Gains are signed so that positive means better (for a ``decrease`` claim, the
    baseline minus the variant).
    """

    claim: Claim
    #: seeds with a successful run in both arms, shape (n_pairs,)
    seeds: tuple[int, ...]
    #: baseline metric per seed, shape (n_pairs,); None entries are undefined metrics
    baseline: tuple[float, ...]
    #: variant metric per seed, shape (n_pairs,)
    variant: tuple[float, ...]
    #: seeds planned per arm
    seeds_planned: int
    #: runs that failed (either arm), for the reason text
    failed_runs: int = 0
    #: successful runs whose test metric was undefined (n/a), e.g. CWA without colours
    undefined_runs: int = 0

    @property
    def gains(self) -> NDArray[np.float64]:
        """Per-seed gains, positive = improvement, array of shape (n_pairs,)."""
        diff: NDArray[np.float64] = np.asarray(self.variant, dtype=np.float64) - np.asarray(
            self.baseline, dtype=np.float64
        )
        return diff if self.claim.direction is Direction.INCREASE else -diff


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimDecision:
    """A claim's verdict with the numbers behind it."""

    claim: Claim
    verdict: Verdict
    #: one sentence with numbers: the first thing a user reads
    reason: str
    evidence: ClaimEvidence
    #: paired t-test of the gains (one-sided, variant better), None with < 2 pairs
    test: TTest | None
    #: Holm-adjusted one-sided p-value across every claim of the audit
    p_adjusted: float | None
    #: the reported gain lies above the confidence interval
    overstated: bool
    #: equivalence interval (1 - 2·alpha) of the mean gain, used by the ROPE test
    equivalence_interval: tuple[float, float] | None
    #: mean and sample sd (ddof=1) of each arm over the paired seeds; None with < 2 pairs
    baseline_mean_sd: tuple[float, float] | None
    variant_mean_sd: tuple[float, float] | None


def _pts(x: float) -> str:
    """Metric units as signed points: 0.0213 -> '+2.13 pts'."""
    return f"{100 * x:+.2f} pts"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def decide(
    evidence: ClaimEvidence,
    test: TTest | None,
    p_adjusted: float | None,
    thresholds: Thresholds,
) -> ClaimDecision:
    """Give one claim its verdict.

    Decision table, applied top to bottom (gains are signed so that > 0 is better; CI
    is the two-sided t-interval at ``confidence``; p is the one-sided paired t-test,
    Holm-adjusted across all claims of the audit):

    ============  =============================================================
    verdict       when
    ============  =============================================================
    INCONCLUSIVE  fewer than 2 seed pairs succeeded (no estimate is possible)
    INCONCLUSIVE  every seed gave the same gain (sd = 0): the seeds did not reach
                  the training, so the runs are copies, not evidence
    SUPPORTED     Holm-adjusted p < alpha and CI lower end > 0; marked
                  *overstated* when the reported gain lies above the CI
    REFUTED       CI upper end < 0: the variant is significantly worse
    REFUTED       the (1 − 2·alpha) interval lies inside ±rope (TOST equivalence):
                  the variant is practically the same as the baseline
    INCONCLUSIVE  anything else: neither an improvement nor equivalence shown
    ============  =============================================================

    FRAGILE (supported nominally, reversed or vanished under a perturbation) joins
    this table with the perturbation rules; until then no claim is FRAGILE.

    Parameters
    ----------
    evidence
        The paired measurements.
    test
        The paired t-test of ``evidence.gains`` (alternative "greater"), or None with
        fewer than 2 pairs.
    p_adjusted
        Holm-adjusted one-sided p-value, or None with fewer than 2 pairs.
    thresholds
        alpha, rope and confidence.

    Returns
    -------
    ClaimDecision
    """
    claim = evidence.claim
    n = len(evidence.seeds)
    planned = evidence.seeds_planned
    runs_note = (
        f" ({evidence.failed_runs} run{'s' if evidence.failed_runs != 1 else ''} failed)"
        if evidence.failed_runs
        else ""
    )

    def mean_sd(values: tuple[float, ...]) -> tuple[float, float] | None:
        if len(values) < MIN_PAIRS:
            return None
        return float(np.mean(values)), float(np.std(values, ddof=1))

    def done(
        verdict: Verdict,
        reason: str,
        overstated: bool = False,
        eq: tuple[float, float] | None = None,
    ) -> ClaimDecision:
        return ClaimDecision(
            baseline_mean_sd=mean_sd(evidence.baseline),
            variant_mean_sd=mean_sd(evidence.variant),
            claim=claim,
            verdict=verdict,
            reason=reason,
            evidence=evidence,
            test=test,
            p_adjusted=p_adjusted,
            overstated=overstated,
            equivalence_interval=eq,
        )

    if (test is None or p_adjusted is None or n < MIN_PAIRS) and evidence.undefined_runs:
        return done(
            Verdict.INCONCLUSIVE,
            f"{claim.metric} is undefined (n/a) on the test split in {evidence.undefined_runs} "
            f"runs: its weights sum to 0 (a colour-weighted metric on tokens without colour, "
            "say), so the claim cannot be tested on this data.",
        )
    if test is None or p_adjusted is None or n < MIN_PAIRS:
        return done(
            Verdict.INCONCLUSIVE,
            f"only {n} of {planned} seed pairs succeeded{runs_note}; at least {MIN_PAIRS} "
            "are needed to estimate the gain.",
        )
    if test.sd == 0.0:
        return done(
            Verdict.INCONCLUSIVE,
            f"all {n} seeds gave the same gain ({_pts(test.mean)}), so the runs are copies "
            "of one another: the seed does not reach the training (check for code that "
            "re-seeds itself).",
        )
    level = f"{round(100 * test.confidence)}% CI"
    gain = (
        f"{_pts(test.mean)} ({level} {_pts(test.low)} to {_pts(test.high)}, {n} seeds{runs_note})"
    )
    if p_adjusted < thresholds.alpha and test.low > 0:
        overstated = claim.reported is not None and claim.reported > test.high
        extra = (
            f"; the reported {_pts(claim.reported)} lies above the interval (overstated)"
            if overstated and claim.reported is not None
            else ""
        )
        return done(
            Verdict.SUPPORTED,
            f"gain {gain}; one-sided paired t-test {_p(p_adjusted)} after Holm{extra}.",
            overstated=overstated,
        )
    if test.high < 0:
        return done(
            Verdict.REFUTED,
            f"the variant is worse: gain {gain}, the whole interval is below 0.",
        )
    eq_level = 1.0 - 2.0 * thresholds.alpha
    eq = paired_t_test(evidence.gains, confidence=eq_level, alternative="two-sided")
    if -thresholds.rope < eq.low and eq.high < thresholds.rope:
        return done(
            Verdict.REFUTED,
            f"no practical gain: {gain}; the {round(100 * eq_level)}% interval lies within "
            f"±{100 * thresholds.rope:.2f} pts (equivalence, TOST).",
            eq=(eq.low, eq.high),
        )
    return done(
        Verdict.INCONCLUSIVE,
        f"gain {gain}; one-sided paired t-test {_p(p_adjusted)} after Holm: "
        f"neither an improvement nor equivalence is shown{_seeds_hint(claim, test, thresholds)}.",
        eq=(eq.low, eq.high),
    )


def _seeds_hint(claim: Claim, test: TTest, thresholds: Thresholds) -> str:
    """'; about 23 seeds would detect a +0.50 pts gain at 80% power', or ''."""
    target = claim.reported if claim.reported is not None and claim.reported > 0 else test.mean
    if target <= 0 or test.sd == 0:
        return ""
    try:
        n = seeds_needed(target, test.sd, alpha=thresholds.alpha, power=0.8)
    except ValueError:  # more than a million seeds: say so plainly
        return f"; no practical number of seeds would detect a {_pts(target)} gain"
    which = "the reported" if target is claim.reported else "the observed"
    return f"; about {n} seeds would detect {which} {_pts(target)} gain at 80% power"


def decide_all(evidence: Sequence[ClaimEvidence], thresholds: Thresholds) -> list[ClaimDecision]:
    """Test every claim and decide each, with Holm correction across all of them.

    Parameters
    ----------
    evidence
        One entry per claim of the audit.
    thresholds
        alpha, rope and confidence.

    Returns
    -------
    list of ClaimDecision, in the order of ``evidence``
    """
    tests: list[TTest | None] = []
    for item in evidence:
        gains = item.gains
        if len(gains) >= MIN_PAIRS and np.all(np.isfinite(gains)):
            tests.append(
                paired_t_test(gains, confidence=thresholds.confidence, alternative="greater")
            )
        else:
            tests.append(None)
    p_values = [t.p_value for t in tests if t is not None]
    adjusted = iter(holm(p_values).tolist()) if p_values else iter(())
    p_adj: list[float | None] = [next(adjusted) if t is not None else None for t in tests]
    return [
        decide(item, test, p, thresholds)
        for item, test, p in zip(evidence, tests, p_adj, strict=True)
    ]


#: how each verdict counts towards a rule's outcome, worst last
_OUTCOME_OF = {
    Verdict.SUPPORTED: "pass",
    Verdict.INCONCLUSIVE: "warn",
    Verdict.FRAGILE: "fail",
    Verdict.REFUTED: "fail",
}
_OUTCOME_RANK = {"pass": 0, "warn": 1, "fail": 2, "error": 3}


def seed_rule_outcome(decisions: Sequence[ClaimDecision]) -> tuple[str, str]:
    """Outcome and one-line reason of the seed rule over every claim.

    ``pass`` when every claim's gain stands out from seed noise (SUPPORTED); ``warn``
    when some claim is inconclusive; ``fail`` when one is refuted; ``error`` when a
    claim had too few successful seed pairs to estimate anything.

    Returns
    -------
    tuple of (outcome, reason)
    """
    outcomes = []
    for d in decisions:
        enough = len(d.evidence.seeds) >= MIN_PAIRS
        outcomes.append(_OUTCOME_OF[d.verdict] if enough else "error")
    worst = max(outcomes, key=_OUTCOME_RANK.__getitem__, default="pass")
    supported = sum(d.verdict is Verdict.SUPPORTED for d in decisions)
    errors = outcomes.count("error")
    reason = f"{supported} of {len(decisions)} claims stand out from seed-to-seed noise"
    if errors:
        reason += f"; {errors} had fewer than {MIN_PAIRS} successful seed pairs"
    return worst, reason + "."


def is_finite(value: float | None) -> bool:
    """True for a finite float (not None, NaN or inf)."""
    return value is not None and math.isfinite(value)
