"""What each perturbed condition does to a claim's gain, and whether it makes the claim FRAGILE."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from scipy import stats as _st

from auditkit.conditions import Condition
from auditkit.stats import (
    TTest,
    classify_gain,
    gain_interaction_test,
    holm,
    selective_interaction_test,
)
from auditkit.stats.classify import GainStatus
from auditkit.types import ConditionEvidence
from auditkit.verdict.evidence import MIN_PAIRS, ClaimEvidence, Thresholds


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionResult:
    """What a condition did to the claim's gain."""

    condition: Condition
    rule_id: str
    family: str
    n: int
    mean: float | None
    #: two-sided t-interval of the mean gain at ``confidence``
    low: float | None
    high: float | None
    #: holds (interval above 0), reversed (below 0), vanished (inside the ROPE), or
    #: inconclusive (none of these, or fewer than 2 seeds)
    status: GainStatus
    #: mean gain under the condition minus the nominal gain (negative: the gain shrinks),
    #: None when it could not be tested
    change: float | None = None
    #: Holm-adjusted (over the claim's conditions) one-sided p that the condition lowers
    #: the gain: paired by seed when the seeds are known, else two independent samples;
    #: selective (conditional on the nominal gain having been supported) for a claim that
    #: stands out, the plain interaction test otherwise
    p_interaction: float | None = None


def breaks_gain(c: ConditionResult, thresholds: Thresholds) -> bool:
    """Whether a condition makes a nominally supported gain FRAGILE.

    Reversed (the interval below 0) always breaks it. Otherwise the condition must both
    lower the gain significantly (the interaction test, Holm-adjusted over the claim's
    conditions) and leave a gain that no longer holds (its interval reaches 0); a gain
    that merely shrinks but still holds is not fragile, and a condition whose interval
    touches 0 only because it is noisy is not either. TOST equivalence to no gain
    ("vanished") breaks it too.
    """
    if c.status in ("reversed", "vanished"):
        return True
    if c.status == "holds":
        return False
    if c.p_interaction is None:
        return c.status == "vanished"
    return c.p_interaction < thresholds.alpha


def condition_results(
    evidence: ClaimEvidence, thresholds: Thresholds, *, selection: float | None = None
) -> tuple[ConditionResult, ...]:
    """Classify each condition's gain and test it against the nominal gain.

    The interaction test is the selective one (``auditkit.stats.selective_interaction_test``):
    a condition is only ever judged for a claim whose nominal gain passed the SUPPORTED
    test, and that selection favours lucky-high nominal gains (the winner's curse), so the
    test conditions on it. Its p-values are Holm-adjusted over the claim's conditions, so
    the chance that any condition wrongly makes a claim FRAGILE stays at most ``alpha``
    *among the claims that were nominally supported*.

    Parameters
    ----------
    evidence
        The claim's nominal and per-condition gains.
    thresholds
        alpha, rope and confidence.
    selection
        The plain t-statistic (``sqrt(n) * mean / sd`` of the nominal gains) the claim had
        to exceed to be nominally supported (``selection_threshold``); None: the claim was
        not selected, and the interaction test is the unselected one (shown, never used
        for a verdict).

    Returns
    -------
    tuple of ConditionResult, one per ``evidence.conditions``
    """
    nominal = dict(zip(evidence.seeds, evidence.gains.tolist(), strict=True))
    threshold = -math.inf if selection is None else selection
    out: list[ConditionResult] = []
    raw_p: list[tuple[int, float]] = []
    for index, cond in enumerate(evidence.conditions):
        found = classify_gain(
            cond.gains,
            alpha=thresholds.alpha,
            rope=thresholds.rope,
            confidence=thresholds.confidence,
            resampled=evidence.resampled,
        )
        tested = _interaction(evidence, cond, nominal, threshold)
        if tested is not None:
            raw_p.append((index, tested[1]))
        out.append(
            ConditionResult(
                condition=cond.condition,
                rule_id=cond.rule_id,
                family=cond.family,
                n=found.n,
                mean=found.mean,
                low=found.low,
                high=found.high,
                status=found.status,
                change=None if tested is None else tested[0],
            )
        )
    if raw_p:
        adjusted = holm([p for _, p in raw_p]).tolist()
        for (index, _), p in zip(raw_p, adjusted, strict=True):
            out[index] = dataclasses.replace(out[index], p_interaction=float(p))
    return tuple(out)


def _interaction(
    evidence: ClaimEvidence,
    cond: ConditionEvidence,
    nominal: dict[int, float],
    threshold: float,
) -> tuple[float, float] | None:
    """(change, raw one-sided p) of one condition against the nominal gain, or None.

    Paired by seed when the condition's seeds are known, else two independent samples.
    """
    finite = [g for g in cond.gains if math.isfinite(g)]
    if cond.seeds and len(cond.seeds) == len(cond.gains):
        pairs = [
            (nominal[s], g)
            for s, g in zip(cond.seeds, cond.gains, strict=True)
            if s in nominal and math.isfinite(g) and math.isfinite(nominal[s])
        ]
        if len(pairs) < MIN_PAIRS:
            return None
        a, b = [x for x, _ in pairs], [y for _, y in pairs]
        found = selective_interaction_test(a, b, paired=True, threshold=threshold)
        p = found.p_value
        if evidence.resampled is not None:
            # overlapping folds: the selective test assumes independent seeds, so the
            # Nadeau–Bengio corrected test must agree too (the larger p of the two)
            corrected = gain_interaction_test(a, b, paired=True, resampled=evidence.resampled)
            p = max(p, corrected.p_value)
        return found.change, p
    values = [g for g in nominal.values() if math.isfinite(g)]
    if len(finite) >= MIN_PAIRS and len(values) >= MIN_PAIRS:
        found = selective_interaction_test(values, finite, paired=False, threshold=threshold)
        return found.change, found.p_value
    return None


def selection_threshold(test: TTest, p_adjusted: float | None, alpha: float) -> float:
    """The nominal t-statistic a claim had to exceed to be supported, in plain units.

    SUPPORTED needs the interval's lower end above 0 (``mean / se`` above the interval's
    critical value) and the Holm-adjusted p below ``alpha``; for a fixed design the latter
    is a raw p below ``alpha · p / p_adjusted`` (exact when the claim's own Holm factor
    sets its adjusted p, stricter otherwise, which only makes the interaction test more
    cautious). In an adaptive design the interval is the repeated one, whose critical value
    already includes the looks; its Holm step is not mapped (``test.p_value`` is then the
    sequential p, not a t tail). The result is in units of ``sqrt(n) · mean / sd``, the
    statistic ``auditkit.stats.selective_interaction_test`` selects on (a Nadeau–Bengio
    corrected ``se`` is rescaled).

    Parameters
    ----------
    test
        The claim's nominal t-test (``sd > 0``).
    p_adjusted
        Its Holm-adjusted p-value; None in an adaptive design (no Holm step mapped).
    alpha
        The one-sided significance level.

    Returns
    -------
    float
    """
    plain = test.se * math.sqrt(test.n) / test.sd  # 1, or the Nadeau–Bengio inflation
    level = (test.mean - test.low) / test.se
    if p_adjusted is not None and test.alternative == "greater" and 0 < test.p_value < p_adjusted:
        cutoff = min(alpha * test.p_value / p_adjusted, 0.5)
        level = max(level, float(_st.t.isf(cutoff, test.df)))
    return level * plain
