"""Verdicts: the one place that decides whether a claimed improvement is supported."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from auditkit.conditions import Condition
from auditkit.stats import (
    TTest,
    aso,
    bootstrap_ci,
    can_reach_significance,
    classify_gain,
    decision_alpha,
    gain_interaction_test,
    gain_t_test,
    holm,
    min_attainable_p_value,
    minimum_detectable_effect,
    probability_of_improvement,
    seeds_needed,
    sign_flip_test,
    wilcoxon_test,
)
from auditkit.stats.classify import GainStatus
from auditkit.stats.sequential import ClaimStop as ClaimStop  # re-exported for the report
from auditkit.stats.sequential import SequentialDesign, sequential_decisions
from auditkit.stats.sequential import StopReason as StopReason  # re-exported for the report
from auditkit.types import Claim, ConditionEvidence, Direction, Verdict

#: fewest successful seed pairs for any estimate
MIN_PAIRS = 2
#: ε_min below which ASO calls the variant almost stochastically better (Dror et al. 2019)
ASO_THRESHOLD = 0.2
#: power at which the seeds needed and the minimum detectable effect are stated
POWER = 0.8
#: per-seed gains whose spread is below this fraction of the arms' magnitude are one number:
#: ``0.81 - 0.80`` and ``0.71 - 0.70`` differ by float noise, not by seed variance
COPY_RTOL = 1e-9


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
    #: the gain: paired by seed when the seeds are known, else Welch
    p_interaction: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimEvidence:
    """The measurements behind one claim.

    ``baseline`` and ``variant`` are paired: entry i of each comes from seed ``seeds[i]``.
    Gains are signed so that positive means better (for a ``decrease`` claim, the
    baseline minus the variant).
    """

    claim: Claim
    #: seeds with a successful run in both arms, shape (n_pairs,)
    seeds: tuple[int, ...]
    #: baseline metric per seed, shape (n_pairs,)
    baseline: tuple[float, ...]
    #: variant metric per seed, shape (n_pairs,)
    variant: tuple[float, ...]
    #: seeds planned per arm
    seeds_planned: int
    #: runs that failed (either arm), for the reason text
    failed_runs: int = 0
    #: successful runs whose test metric was undefined (n/a), e.g. CWA without colours
    undefined_runs: int = 0
    #: the claim's gain under each perturbed condition
    conditions: tuple[ConditionEvidence, ...] = ()
    #: reasons why the evidence cannot be trusted (seed override, test leakage), each
    #: a sentence naming the rule that found it
    invalid: tuple[str, ...] = ()
    #: (n_train, n_test) of one fold when the seeds are cross-validation folds: their
    #: training sets overlap, so every t-test is Nadeau–Bengio corrected
    resampled: tuple[int, int] | None = None

    @property
    def gains(self) -> NDArray[np.float64]:
        """Per-seed gains, positive = improvement, array of shape (n_pairs,).

        Gains that differ only by float noise relative to the arms' magnitude (a variant
        that is the baseline plus 0.01 on every seed) are returned as one constant value,
        so that every test sees the zero spread they really have.
        """
        base = np.asarray(self.baseline, dtype=np.float64)
        var = np.asarray(self.variant, dtype=np.float64)
        diff: NDArray[np.float64] = var - base
        if diff.size >= MIN_PAIRS and np.all(np.isfinite(diff)):
            scale = float(max(np.max(np.abs(base)), np.max(np.abs(var))))
            if float(np.ptp(diff)) <= COPY_RTOL * scale:
                diff = np.full_like(diff, float(np.mean(diff)))
        return diff if self.claim.direction is Direction.INCREASE else -diff

    @property
    def identical_arms(self) -> bool:
        """The variant scored what the baseline scored on every seed (within float noise)."""
        base = np.asarray(self.baseline, dtype=np.float64)
        var = np.asarray(self.variant, dtype=np.float64)
        if base.size < MIN_PAIRS or not (np.all(np.isfinite(base)) and np.all(np.isfinite(var))):
            return False
        scale = float(max(np.max(np.abs(base)), np.max(np.abs(var)), 1e-300))
        return bool(np.max(np.abs(var - base)) <= COPY_RTOL * scale)


@dataclass(frozen=True, slots=True, kw_only=True)
class Opinion:
    """One row of the test-agreement matrix: whether one test calls the claim an improvement."""

    test: str
    #: True: an improvement; False: not one (or equivalence shown); None: cannot tell
    improvement: bool | None
    #: the test's result, formatted, e.g. ``"p = 0.012"``
    value: str
    #: why the test cannot tell, or how to read it
    note: str = ""


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
    overstated: bool = False
    #: equivalence interval (1 - 2·alpha) of the mean gain, used by the ROPE test
    equivalence_interval: tuple[float, float] | None = None
    #: mean and sample sd (ddof=1) of each arm over the paired seeds; None with < 2 pairs
    baseline_mean_sd: tuple[float, float] | None = None
    variant_mean_sd: tuple[float, float] | None = None
    #: what each perturbed condition did to the gain
    conditions: tuple[ConditionResult, ...] = ()
    #: the test-agreement matrix
    agreement: tuple[Opinion, ...] = ()
    #: seeds per arm for 80% power to detect the reported (else observed) gain
    seeds_needed: int | None = None
    #: smallest gain the seeds used detect with 80% power
    min_detectable_effect: float | None = None
    #: set when the exact non-parametric tests cannot reach significance at this n
    small_sample_note: str | None = None
    #: names of conditions that made the claim FRAGILE
    fragile_under: tuple[str, ...] = field(default=())
    #: the group-sequential history and stopping reason (``--seeds auto``), else None
    sequential: ClaimStop | None = None
    #: the nominal gain passes the SUPPORTED test (Holm p < alpha and interval above 0),
    #: whatever else decided the verdict (invalid evidence, a breaking condition)
    stands_out: bool = False


def _pts(x: float) -> str:
    """Metric units as signed points: 0.0213 -> '+2.13 pts'."""
    return f"{100 * x:+.2f} pts"


def gain_formatter(evidence: ClaimEvidence) -> Callable[[float], str]:
    """How the claim's gains are worded: points for a metric on a 0–1 scale, else its unit.

    Accuracy-like metrics (every score of both arms within [0, 1]) read as points
    (``+2.13 pts``); any other metric (a loss, a perplexity, a BLEU on 0–100) keeps its own
    scale and names it (``+1.27 perplexity``), since "points" would multiply it by 100.
    """
    values = [*evidence.baseline, *evidence.variant]
    if all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        return _pts
    metric = evidence.claim.metric

    def own(x: float) -> str:
        return f"{x:+.4g} {metric}"

    return own


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _mean_sd(values: tuple[float, ...]) -> tuple[float, float] | None:
    if len(values) < MIN_PAIRS:
        return None
    return float(np.mean(values)), float(np.std(values, ddof=1))


def _seeds_hint(
    claim: Claim, test: TTest, thresholds: Thresholds, fmt: Callable[[float], str] = _pts
) -> tuple[str, int | None]:
    """'; about 23 seeds would detect a +0.50 pts gain at 80% power', and the number."""
    target = claim.reported if claim.reported is not None and claim.reported > 0 else test.mean
    if target <= 0 or test.sd == 0:
        return "", None
    try:
        # at the level the decision uses: SUPPORTED needs the two-sided interval above 0
        level = decision_alpha(thresholds.alpha, thresholds.confidence)
        n = seeds_needed(target, test.sd, alpha=level, power=POWER)
    except ValueError:  # more than a million seeds: say so plainly
        return f"; no practical number of seeds would detect a {fmt(target)} gain", None
    which = "the reported" if target is claim.reported else "the observed"
    return f"; about {n} seeds would detect {which} {fmt(target)} gain at 80% power", n


def agreement_matrix(
    evidence: ClaimEvidence, p_adjusted: float, thresholds: Thresholds
) -> tuple[Opinion, ...]:
    """Ask every paired test whether the claim is an improvement.

    The verdict rests on the paired t-test and its interval; this matrix shows where the
    other tests agree and where they do not. Exact sign-based tests that cannot reach
    ``alpha`` with this many seeds say so (improvement = None) instead of printing a p
    that could never be significant.

    Parameters
    ----------
    evidence
        The claim's paired measurements (at least 2 pairs).
    p_adjusted
        The Holm-adjusted one-sided t-test p-value.
    thresholds
        alpha, rope and confidence.

    Returns
    -------
    tuple of Opinion
    """
    gains = evidence.gains
    alpha = thresholds.alpha
    level = f"{round(100 * thresholds.confidence)}%"
    resampled = evidence.resampled
    rows = [
        Opinion(
            test="paired t-test (Holm)"
            if resampled is None
            else "corrected resampled t-test (Holm)",
            improvement=p_adjusted < alpha,
            value=_p(p_adjusted),
            note="the test the verdict rests on"
            if resampled is None
            else "the test the verdict rests on: Nadeau–Bengio, for overlapping CV folds",
        )
    ]
    n_nonzero = int(np.count_nonzero(gains))
    exact_tests: tuple[tuple[str, Callable[[], float]], ...] = (
        ("Wilcoxon signed-rank (exact)", lambda: wilcoxon_test(gains).p_value),
        ("sign-flip permutation", lambda: sign_flip_test(gains).p_value),
    )
    for name, run in exact_tests:
        if not can_reach_significance(n_nonzero, alpha):
            floor = min_attainable_p_value(n_nonzero) if n_nonzero else 1.0
            rows.append(
                Opinion(
                    test=name,
                    improvement=None,
                    value="n/a",
                    note=f"with {n_nonzero} non-zero differences the smallest attainable p "
                    f"is {floor:.3f}, above α = {alpha}",
                )
            )
        else:
            p = run()
            rows.append(Opinion(test=name, improvement=p < alpha, value=_p(p)))
    boot = bootstrap_ci(gains, confidence=thresholds.confidence, method="bca")
    rows.append(
        Opinion(
            test=f"bootstrap BCa {level} CI",
            improvement=boot.low > 0,
            value=f"[{gain_formatter(evidence)(boot.low)}, {gain_formatter(evidence)(boot.high)}]",
            note="an improvement when the interval excludes 0",
        )
    )
    poi = probability_of_improvement(gains, confidence=thresholds.confidence)
    rows.append(
        Opinion(
            test="probability of improvement",
            improvement=True if poi.low > 0.5 else (False if poi.high < 0.5 else None),
            value=f"{poi.estimate:.2f} [{poi.low:.2f}, {poi.high:.2f}]",
            note="share of seeds the variant wins; an improvement when the interval is above 0.5",
        )
    )
    if evidence.claim.direction is Direction.INCREASE:
        better, worse = evidence.variant, evidence.baseline
    else:
        better = tuple(-v for v in evidence.variant)
        worse = tuple(-b for b in evidence.baseline)
    order = aso(better, worse, confidence=thresholds.confidence)
    rows.append(
        Opinion(
            test="almost stochastic order",
            improvement=(
                True if order.eps_min < ASO_THRESHOLD else (False if order.eps_min >= 0.5 else None)
            ),
            value=f"ε_min = {order.eps_min:.2f}",
            note=f"an improvement when ε_min < {ASO_THRESHOLD}; no dominance at 0.5 or more",
        )
    )
    eq = gain_t_test(gains, confidence=1 - 2 * alpha, alternative="two-sided", resampled=resampled)
    equivalent = -thresholds.rope < eq.low and eq.high < thresholds.rope
    rows.append(
        Opinion(
            test=f"TOST equivalence (±{100 * thresholds.rope:.2f} pts)",
            improvement=False if equivalent else None,
            value="equivalent" if equivalent else "not shown",
            note="equivalence to no gain refutes an improvement",
        )
    )
    if resampled is not None:
        # only the first and the last row use the corrected variance; the others treat
        # the folds as independent, which they are not, so they lean towards significance
        rows[1:-1] = [
            dataclasses.replace(
                o, note=f"{o.note}; " * bool(o.note) + "uncorrected: the folds share training rows"
            )
            for o in rows[1:-1]
        ]
    return tuple(rows)


def decide(
    evidence: ClaimEvidence,
    test: TTest | None,
    p_adjusted: float | None,
    thresholds: Thresholds,
    *,
    sequential: ClaimStop | None = None,
) -> ClaimDecision:
    """Give one claim its verdict.

    Decision table, applied top to bottom (gains are signed so that > 0 is better; CI
    is the two-sided t-interval at ``confidence``; p is the one-sided paired t-test,
    Holm-adjusted across all claims of the audit):

    ============  =============================================================
    verdict       when
    ============  =============================================================
    INCONCLUSIVE  fewer than 2 seed pairs succeeded (no estimate is possible)
    INCONCLUSIVE  every seed gave the same gain (sd = 0 up to float noise relative
                  to the arms): the seeds did not reach the training, so the runs
                  are copies, not evidence; or the variant scored exactly what the
                  baseline scored on every seed (the baseline under another name)
    INCONCLUSIVE  a rule found the evidence invalid (seed override, test
                  leakage): whatever the numbers say, they cannot support it
    FRAGILE       Holm-adjusted p < alpha and CI lower end > 0, but under at
                  least one perturbed condition the gain is reversed (CI below
                  0), vanished (its 1 − 2·alpha interval inside ±rope), or
                  significantly lower than the nominal gain (one-sided
                  interaction t-test paired by seed, Holm over the claim's
                  conditions) with an interval that reaches 0
    SUPPORTED     Holm-adjusted p < alpha and CI lower end > 0, and no condition
                  reverses or removes the gain; marked *overstated* when the
                  reported gain lies above the CI
    REFUTED       CI upper end < 0: the variant is significantly worse
    REFUTED       the (1 − 2·alpha) interval lies inside ±rope (TOST equivalence):
                  the variant is practically the same as the baseline
    INCONCLUSIVE  anything else: neither an improvement nor equivalence shown;
                  the reason states the seeds needed for 80% power
    ============  =============================================================

    SUPPORTED asks for both the one-sided test and the two-sided interval, so that a
    reader never sees "supported" beside an interval that contains 0.

    In a cross-validated design (``evidence.resampled`` set) the seeds are folds whose
    training sets overlap; every t-test and interval above, the conditions' included,
    is then the Nadeau–Bengio corrected resampled t-test, and no seeds-needed figure is
    given (the corrected variance does not shrink to 0 with more folds).

    In an adaptive design (``sequential`` set, ``--seeds auto``) the table is read with the
    group-sequential quantities of ``auditkit.stats.sequential`` in place of the fixed
    ones: the interval is the repeated confidence interval at the claim's last look, p is
    the Holm-adjusted sequential p-value, and the equivalence interval is the repeated
    ``1 - 2·alpha`` one; they keep their error rates under optional stopping, so every
    verdict keeps its meaning. The reason then says how many seeds the claim used and why
    it stopped.

    Parameters
    ----------
    evidence
        The paired measurements.
    test
        The paired t-test of ``evidence.gains`` (alternative "greater"), or None with
        fewer than 2 pairs; in an adaptive design, the test built by ``sequential_test``.
    p_adjusted
        Holm-adjusted one-sided p-value, or None with fewer than 2 pairs.
    thresholds
        alpha, rope and confidence.
    sequential
        The claim's group-sequential history, in an adaptive design.

    Returns
    -------
    ClaimDecision
    """
    claim = evidence.claim
    n = len(evidence.seeds)
    planned = evidence.seeds_planned
    fmt = gain_formatter(evidence)
    runs_note = (
        f" ({evidence.failed_runs} run{'s' if evidence.failed_runs != 1 else ''} failed)"
        if evidence.failed_runs
        else ""
    )
    conditions = condition_results(evidence, thresholds)
    estimable = test is not None and p_adjusted is not None and n >= MIN_PAIRS
    agreement: tuple[Opinion, ...] = ()
    mde: float | None = None
    small_note: str | None = None
    if estimable and test is not None and p_adjusted is not None:
        if test.sd > 0:
            agreement = agreement_matrix(evidence, p_adjusted, thresholds)
            if evidence.resampled is None:
                # under CV the corrected variance has a floor (n_test / n_train · sd²)
                # that more folds cannot remove, so the plain formula would mislead
                mde = minimum_detectable_effect(
                    n,
                    test.sd,
                    alpha=decision_alpha(thresholds.alpha, thresholds.confidence),
                    power=POWER,
                )
        if not can_reach_significance(n, thresholds.alpha):
            small_note = (
                f"with {n} seeds the exact non-parametric tests cannot reach p < "
                f"{thresholds.alpha} (the smallest attainable one-sided p is "
                f"{min_attainable_p_value(n):.3f}); only the t-test can decide, and it "
                "leans on normality"
            )

    def done(
        verdict: Verdict,
        reason: str,
        overstated: bool = False,
        eq: tuple[float, float] | None = None,
        seeds: int | None = None,
        fragile_under: tuple[str, ...] = (),
    ) -> ClaimDecision:
        return ClaimDecision(
            claim=claim,
            verdict=verdict,
            reason=reason,
            evidence=evidence,
            test=test,
            p_adjusted=p_adjusted,
            overstated=overstated,
            equivalence_interval=eq,
            baseline_mean_sd=_mean_sd(evidence.baseline),
            variant_mean_sd=_mean_sd(evidence.variant),
            conditions=conditions,
            seeds_needed=seeds,
            fragile_under=fragile_under,
            agreement=agreement,
            min_detectable_effect=mde,
            small_sample_note=small_note,
            sequential=sequential,
            stands_out=(
                test is not None
                and p_adjusted is not None
                and n >= MIN_PAIRS
                and test.sd > 0
                and p_adjusted < thresholds.alpha
                and test.low > 0
            ),
        )

    if not estimable and evidence.undefined_runs:
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
    if test.sd == 0.0 and evidence.identical_arms:
        spread = _mean_sd(evidence.baseline)
        if spread is not None and spread[1] > 0:
            return done(
                Verdict.INCONCLUSIVE,
                f"the variant scored exactly what the baseline scored on all {n} seeds while "
                f"the seeds do vary (baseline sd {fmt(spread[1]).lstrip('+')}): it is the "
                "baseline under another name (identical predictions), which cannot support "
                "a claim; check that the variant's change reaches the model.",
            )
    if test.sd == 0.0:
        return done(
            Verdict.INCONCLUSIVE,
            f"all {n} seeds gave the same gain ({fmt(test.mean)}), so the runs are copies "
            "of one another: the seed does not reach the training (check for code that "
            "re-seeds itself).",
        )
    level = f"{round(100 * test.confidence)}% {'repeated ' if sequential else ''}CI"
    gain = f"{fmt(test.mean)} ({level} {fmt(test.low)} to {fmt(test.high)}, {n} seeds{runs_note})"
    hint, needed = (
        _seeds_hint(claim, test, thresholds, fmt) if evidence.resampled is None else ("", None)
    )
    test_name = "paired t-test" if sequential is None else "group-sequential t-test"
    if sequential is not None and agreement:
        agreement = (
            dataclasses.replace(
                agreement[0],
                test="group-sequential t-test (Holm)",
                note="the test the verdict rests on: sequential p-value, valid under "
                "optional stopping",
            ),
            # the other rows test the seeds as if their number had been fixed in advance
            *(
                dataclasses.replace(
                    o, note=f"{o.note}; " * bool(o.note) + "fixed-sample: ignores the looks"
                )
                for o in agreement[1:]
            ),
        )
    if sequential is not None:
        gain += f"; {stopping_sentence(sequential)}"
    if evidence.resampled is not None:
        test_name = "corrected t-test"
        n_train, n_test = evidence.resampled
        gain += (
            f"; Nadeau–Bengio corrected for {n} overlapping folds "
            f"(n_test/n_train = {n_test}/{n_train})"
        )
    if evidence.invalid:
        return done(
            Verdict.INCONCLUSIVE,
            f"gain {gain}, but the evidence is invalid: {'; '.join(evidence.invalid)}.",
            seeds=needed,
        )
    if p_adjusted < thresholds.alpha and test.low > 0:
        broken = [c for c in conditions if breaks_gain(c, thresholds)]
        if broken:
            parts = [
                f"{'reverses' if c.status == 'reversed' else 'vanishes'} under {c.condition} "
                f"({c.rule_id}: {fmt(c.mean or 0.0)}, {level} {fmt(c.low or 0.0)} to "
                f"{fmt(c.high or 0.0)}"
                + (
                    f"; {fmt(c.change)} against the nominal gain, {_p(c.p_interaction)}"
                    if c.change is not None and c.p_interaction is not None
                    else ""
                )
                + ")"
                for c in broken
            ]
            return done(
                Verdict.FRAGILE,
                f"gain {gain} at the nominal setting, but it {'; it '.join(parts)}.",
                fragile_under=tuple(str(c.condition) for c in broken),
            )
        overstated = claim.reported is not None and claim.reported > test.high
        extra = (
            f"; the reported {fmt(claim.reported)} lies above the interval (overstated)"
            if overstated and claim.reported is not None
            else ""
        )
        return done(
            Verdict.SUPPORTED,
            f"gain {gain}; one-sided {test_name} {_p(p_adjusted)} after Holm{extra}.",
            overstated=overstated,
        )
    if test.high < 0:
        return done(
            Verdict.REFUTED,
            f"the variant is worse: gain {gain}, the whole interval is below 0.",
        )
    eq_level = 1.0 - 2.0 * thresholds.alpha
    eq = gain_t_test(
        evidence.gains,
        confidence=eq_level,
        alternative="two-sided",
        resampled=evidence.resampled,
    )
    if sequential is not None and sequential.last is not None:
        eq = dataclasses.replace(eq, low=sequential.last.eq_low, high=sequential.last.eq_high)
    if -thresholds.rope < eq.low and eq.high < thresholds.rope:
        return done(
            Verdict.REFUTED,
            f"no practical gain: {gain}; the {round(100 * eq_level)}% "
            f"{'repeated ' if sequential else ''}interval lies within "
            f"±{fmt(thresholds.rope).lstrip('+')} (equivalence, TOST).",
            eq=(eq.low, eq.high),
        )
    return done(
        Verdict.INCONCLUSIVE,
        f"gain {gain}; one-sided {test_name} {_p(p_adjusted)} after Holm: "
        f"neither an improvement nor equivalence is shown{hint}.",
        eq=(eq.low, eq.high),
        seeds=needed,
    )


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
    evidence: ClaimEvidence, thresholds: Thresholds
) -> tuple[ConditionResult, ...]:
    """Classify each condition's gain and test it against the nominal gain, paired by seed.

    The interaction p-values are Holm-adjusted over the claim's conditions, so the chance
    that any condition wrongly makes a claim FRAGILE stays at most ``alpha``.
    """
    nominal = dict(zip(evidence.seeds, evidence.gains.tolist(), strict=True))
    out: list[ConditionResult] = []
    raw_p: list[tuple[int, float]] = []
    changes: list[float | None] = []
    for index, cond in enumerate(evidence.conditions):
        found = classify_gain(
            cond.gains,
            alpha=thresholds.alpha,
            rope=thresholds.rope,
            confidence=thresholds.confidence,
            resampled=evidence.resampled,
        )
        change: float | None = None
        finite = [g for g in cond.gains if math.isfinite(g)]
        if cond.seeds and len(cond.seeds) == len(cond.gains):
            pairs = [
                (nominal[s], g)
                for s, g in zip(cond.seeds, cond.gains, strict=True)
                if s in nominal and math.isfinite(g) and math.isfinite(nominal[s])
            ]
            if len(pairs) >= MIN_PAIRS:
                inter = gain_interaction_test(
                    [a for a, _ in pairs],
                    [b for _, b in pairs],
                    paired=True,
                    resampled=evidence.resampled,
                )
                change = inter.change
                raw_p.append((index, inter.p_value))
        elif len(finite) >= MIN_PAIRS and len(nominal) >= MIN_PAIRS:
            inter = gain_interaction_test(list(nominal.values()), finite, paired=False)
            change = inter.change
            raw_p.append((index, inter.p_value))
        changes.append(change)
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
                change=change,
            )
        )
    if raw_p:
        adjusted = holm([p for _, p in raw_p]).tolist()
        for (index, _), p in zip(raw_p, adjusted, strict=True):
            out[index] = dataclasses.replace(out[index], p_interaction=float(p))
    return tuple(out)


def stopping_sentence(stop: ClaimStop) -> str:
    """'decided at 6 seeds: improvement shown', 'stopped at 20 seeds: undecided', ..."""
    n = stop.last.n if stop.last is not None else 0
    reason = stop.reason or StopReason.NO_MORE_RUNS
    return f"{'decided' if reason.decided else 'stopped'} at {n} seeds: {reason.value}"


def sequential_test(stop: ClaimStop, confidence: float) -> TTest | None:
    """The claim's last look as a ``TTest``: repeated interval and sequential p-value."""
    look = stop.last
    if look is None:
        return None
    se = look.sd / math.sqrt(look.n)
    statistic = look.mean / se if se > 0 else math.copysign(math.inf, look.mean)
    return TTest(
        n=look.n,
        mean=look.mean,
        sd=look.sd,
        se=se,
        low=look.low,
        high=look.high,
        confidence=confidence,
        statistic=statistic if look.mean != 0 or se > 0 else 0.0,
        df=look.n - 1,
        p_value=look.sequential_p,
        alternative="greater",
    )


def _truncate(item: ClaimEvidence, n: int) -> ClaimEvidence:
    """The claim's evidence up to its stopping look (later seeds served other claims)."""
    return dataclasses.replace(
        item,
        seeds=item.seeds[:n],
        baseline=item.baseline[:n],
        variant=item.variant[:n],
    )


def decide_all(
    evidence: Sequence[ClaimEvidence],
    thresholds: Thresholds,
    *,
    design: SequentialDesign | None = None,
) -> list[ClaimDecision]:
    """Test every claim and decide each, with Holm correction across all of them.

    Parameters
    ----------
    evidence
        One entry per claim of the audit; in an adaptive design, each claim's pairs in
        seed order.
    thresholds
        alpha, rope and confidence.
    design
        The adaptive design (``--seeds auto``): the claims are replayed look by look by
        ``auditkit.stats.sequential.sequential_decisions``, the one place that decides
        when a claim stops, and each verdict rests on its last look.

    Returns
    -------
    list of ClaimDecision, in the order of ``evidence``
    """
    if design is not None:
        usable = [
            item.gains if np.all(np.isfinite(item.gains)) else np.zeros(0) for item in evidence
        ]
        stops = sequential_decisions(usable, design, complete=True)
        out = []
        for item, stop in zip(evidence, stops, strict=True):
            n = stop.last.n if stop.last is not None else len(item.seeds)
            out.append(
                decide(
                    _truncate(item, n),
                    sequential_test(stop, thresholds.confidence),
                    stop.p_adjusted,
                    thresholds,
                    sequential=stop if stop.last is not None else None,
                )
            )
        return out
    tests: list[TTest | None] = []
    for item in evidence:
        gains = item.gains
        if len(gains) >= MIN_PAIRS and np.all(np.isfinite(gains)):
            tests.append(
                gain_t_test(
                    gains,
                    confidence=thresholds.confidence,
                    alternative="greater",
                    resampled=item.resampled,
                )
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

    ``pass`` when every claim's gain stands out from seed noise at the nominal setting
    (SUPPORTED or FRAGILE: fragility is the perturbation rules' finding); ``warn`` when
    some claim is inconclusive; ``fail`` when one is refuted; ``error`` when a claim had
    too few successful seed pairs to estimate anything.

    Returns
    -------
    tuple of (outcome, reason)
    """
    outcomes = []
    for d in decisions:
        enough = len(d.evidence.seeds) >= MIN_PAIRS
        nominal = "pass" if d.verdict is Verdict.FRAGILE else _OUTCOME_OF[d.verdict]
        outcomes.append(nominal if enough else "error")
    worst = max(outcomes, key=_OUTCOME_RANK.__getitem__, default="pass")
    standing = sum(d.verdict in (Verdict.SUPPORTED, Verdict.FRAGILE) for d in decisions)
    # a gain another rule invalidated still stands out from the seeds: say so, and why
    # it is not counted, instead of implying that the seeds drowned it
    invalidated = sum(
        d.verdict is Verdict.INCONCLUSIVE and bool(d.evidence.invalid) and d.stands_out
        for d in decisions
    )
    errors = outcomes.count("error")
    reason = f"{standing} of {len(decisions)} claims stand out from seed-to-seed noise"
    if invalidated:
        reason += (
            f"; {invalidated} more {'gain stands' if invalidated == 1 else 'gains stand'} out "
            "from the noise, but another rule found the evidence invalid"
        )
    if errors:
        reason += f"; {errors} had fewer than {MIN_PAIRS} successful seed pairs"
    return worst, reason + "."


def is_finite(value: float | None) -> bool:
    """True for a finite float (not None, NaN or inf)."""
    return value is not None and math.isfinite(value)
