"""The decision: a verdict for each claim, with Holm correction across the audit's claims."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from auditkit.stats import (
    TTest,
    can_reach_significance,
    decision_alpha,
    gain_t_test,
    holm,
    min_attainable_p_value,
    minimum_detectable_effect,
    seeds_needed,
)
from auditkit.stats.sequential import ClaimStop, SequentialDesign, sequential_decisions
from auditkit.types import Claim, Verdict
from auditkit.verdict.agreement import Opinion, agreement_matrix
from auditkit.verdict.conditions import (
    ConditionResult,
    breaks_gain,
    condition_results,
    selection_threshold,
)
from auditkit.verdict.evidence import (
    MIN_PAIRS,
    POWER,
    ClaimEvidence,
    Thresholds,
    format_p,
    gain_formatter,
    mean_sd,
    points,
)
from auditkit.verdict.sequential import sequential_test, stopping_sentence, truncate_evidence


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


def _seeds_hint(
    claim: Claim, test: TTest, thresholds: Thresholds, fmt: Callable[[float], str] = points
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


# over 80 lines only because of its docstring: the decision table (77 lines) is the
# verdicts' specification and belongs with the function; the body is split into steps
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
                  significantly lower than the nominal gain (the one-sided
                  selective interaction test, conditional on the nominal
                  gain having passed this row's first test; paired by seed,
                  Holm over the claim's conditions) with an interval that
                  reaches 0
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
    fmt = gain_formatter(evidence)
    stands_out = _stands_out(evidence, test, p_adjusted, thresholds)
    decision = ClaimDecision(
        claim=evidence.claim,
        verdict=Verdict.INCONCLUSIVE,
        reason="",
        evidence=evidence,
        test=test,
        p_adjusted=p_adjusted,
        baseline_mean_sd=mean_sd(evidence.baseline),
        variant_mean_sd=mean_sd(evidence.variant),
        # the interaction test conditions on the claim having been selected (nominally
        # supported): see condition_results
        conditions=condition_results(
            evidence,
            thresholds,
            selection=selection_threshold(
                test, p_adjusted if sequential is None else None, thresholds.alpha
            )
            if stands_out and test is not None
            else None,
        ),
        sequential=sequential,
        stands_out=stands_out,
    )
    agreement, mde, small_note = _diagnostics(evidence, test, p_adjusted, thresholds, sequential)
    outcome = _degenerate(evidence, test, p_adjusted, fmt)
    if outcome is None and test is not None and p_adjusted is not None:
        outcome = _judge(decision, test, p_adjusted, thresholds, fmt)
    if outcome is None:  # unreachable: _degenerate covers a missing test
        raise AssertionError("a claim without a test must be decided by _degenerate")
    return dataclasses.replace(
        decision,
        verdict=outcome.verdict,
        reason=outcome.reason,
        overstated=outcome.overstated,
        equivalence_interval=outcome.equivalence_interval,
        seeds_needed=outcome.seeds_needed,
        fragile_under=outcome.fragile_under,
        agreement=agreement,
        min_detectable_effect=mde,
        small_sample_note=small_note,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    """The row of the decision table a claim fell in: its verdict and reason."""

    verdict: Verdict
    reason: str
    overstated: bool = False
    equivalence_interval: tuple[float, float] | None = None
    seeds_needed: int | None = None
    fragile_under: tuple[str, ...] = ()


def _stands_out(
    evidence: ClaimEvidence, test: TTest | None, p_adjusted: float | None, thresholds: Thresholds
) -> bool:
    """The nominal gain passes the SUPPORTED test (whatever else decides the verdict)."""
    return (
        test is not None
        and p_adjusted is not None
        and len(evidence.seeds) >= MIN_PAIRS
        and test.sd > 0
        and p_adjusted < thresholds.alpha
        and test.low > 0
    )


def _diagnostics(
    evidence: ClaimEvidence,
    test: TTest | None,
    p_adjusted: float | None,
    thresholds: Thresholds,
    sequential: ClaimStop | None,
) -> tuple[tuple[Opinion, ...], float | None, str | None]:
    """The agreement matrix, minimum detectable effect and small-sample note of a claim."""
    n = len(evidence.seeds)
    agreement: tuple[Opinion, ...] = ()
    mde: float | None = None
    small_note: str | None = None
    if test is None or p_adjusted is None or n < MIN_PAIRS:
        return agreement, mde, small_note
    if test.sd > 0:
        agreement = agreement_matrix(evidence, p_adjusted, thresholds)
        if sequential is not None:
            agreement = _sequential_agreement(agreement, test)
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
    return agreement, mde, small_note


def _sequential_agreement(agreement: tuple[Opinion, ...], test: TTest) -> tuple[Opinion, ...]:
    """The agreement matrix of an adaptive design: the first row is the sequential test."""
    return (
        dataclasses.replace(
            agreement[0],
            test="group-sequential t-test (Holm)",
            statistic=test.statistic,
            df=test.df,
            p_value=test.p_value,
            note="the test the verdict rests on: sequential p-value, valid under optional stopping",
        ),
        # the other rows test the seeds as if their number had been fixed in advance
        *(
            dataclasses.replace(
                o, note=f"{o.note}; " * bool(o.note) + "fixed-sample: ignores the looks"
            )
            for o in agreement[1:]
        ),
    )


def _runs_note(evidence: ClaimEvidence) -> str:
    failed = evidence.failed_runs
    return f" ({failed} run{'s' if failed != 1 else ''} failed)" if failed else ""


def _degenerate(
    evidence: ClaimEvidence,
    test: TTest | None,
    p_adjusted: float | None,
    fmt: Callable[[float], str],
) -> _Outcome | None:
    """The first rows of the decision table: evidence that cannot be tested at all."""
    n = len(evidence.seeds)
    if (test is None or p_adjusted is None or n < MIN_PAIRS) and evidence.undefined_runs:
        return _inconclusive(
            f"{evidence.claim.metric} is undefined (n/a) on the test split in "
            f"{evidence.undefined_runs} runs: its weights sum to 0 (a colour-weighted metric "
            "on tokens without colour, say), so the claim cannot be tested on this data."
        )
    if test is None or p_adjusted is None or n < MIN_PAIRS:
        return _inconclusive(
            f"only {n} of {evidence.seeds_planned} seed pairs succeeded{_runs_note(evidence)}; "
            f"at least {MIN_PAIRS} are needed to estimate the gain."
        )
    if test.sd == 0.0 and evidence.identical_arms:
        spread = mean_sd(evidence.baseline)
        if spread is not None and spread[1] > 0:
            return _inconclusive(
                f"the variant scored exactly what the baseline scored on all {n} seeds while "
                f"the seeds do vary (baseline sd {fmt(spread[1]).lstrip('+')}): it is the "
                "baseline under another name (identical predictions), which cannot support "
                "a claim; check that the variant's change reaches the model."
            )
    if test.sd == 0.0:
        return _inconclusive(
            f"all {n} seeds gave the same gain ({fmt(test.mean)}), so the runs are copies "
            "of one another: the seed does not reach the training (check for code that "
            "re-seeds itself)."
        )
    return None


def _inconclusive(
    reason: str,
    *,
    equivalence_interval: tuple[float, float] | None = None,
    seeds_needed: int | None = None,
) -> _Outcome:
    return _Outcome(
        verdict=Verdict.INCONCLUSIVE,
        reason=reason,
        equivalence_interval=equivalence_interval,
        seeds_needed=seeds_needed,
    )


def _judge(
    decision: ClaimDecision,
    test: TTest,
    p_adjusted: float,
    thresholds: Thresholds,
    fmt: Callable[[float], str],
) -> _Outcome:
    """The rest of the decision table, for a claim with a test and a spread of gains."""
    evidence, claim, sequential = decision.evidence, decision.claim, decision.sequential
    n = len(evidence.seeds)
    level = f"{round(100 * test.confidence)}% {'repeated ' if sequential else ''}CI"
    gain = (
        f"{fmt(test.mean)} ({level} {fmt(test.low)} to {fmt(test.high)}, {n} seeds"
        f"{_runs_note(evidence)})"
    )
    hint, needed = (
        _seeds_hint(claim, test, thresholds, fmt) if evidence.resampled is None else ("", None)
    )
    test_name = "paired t-test" if sequential is None else "group-sequential t-test"
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
        return _inconclusive(
            f"gain {gain}, but the evidence is invalid: {'; '.join(evidence.invalid)}.",
            seeds_needed=needed,
        )
    if p_adjusted < thresholds.alpha and test.low > 0:
        broken = [c for c in decision.conditions if breaks_gain(c, thresholds)]
        if broken:
            return _Outcome(
                verdict=Verdict.FRAGILE,
                reason=f"gain {gain} at the nominal setting, but it "
                f"{'; it '.join(_breaking(c, level, fmt) for c in broken)}.",
                fragile_under=tuple(str(c.condition) for c in broken),
            )
        overstated = claim.reported is not None and claim.reported > test.high
        extra = (
            f"; the reported {fmt(claim.reported)} lies above the interval (overstated)"
            if overstated and claim.reported is not None
            else ""
        )
        return _Outcome(
            verdict=Verdict.SUPPORTED,
            reason=f"gain {gain}; one-sided {test_name} {format_p(p_adjusted)} after Holm{extra}.",
            overstated=overstated,
        )
    if test.high < 0:
        return _Outcome(
            verdict=Verdict.REFUTED,
            reason=f"the variant is worse: gain {gain}, the whole interval is below 0.",
        )
    eq_level = 1.0 - 2.0 * thresholds.alpha
    eq = gain_t_test(
        evidence.gains, confidence=eq_level, alternative="two-sided", resampled=evidence.resampled
    )
    if sequential is not None and sequential.last is not None:
        eq = dataclasses.replace(eq, low=sequential.last.eq_low, high=sequential.last.eq_high)
    if -thresholds.rope < eq.low and eq.high < thresholds.rope:
        return _Outcome(
            verdict=Verdict.REFUTED,
            reason=f"no practical gain: {gain}; the {round(100 * eq_level)}% "
            f"{'repeated ' if sequential else ''}interval lies within "
            f"±{fmt(thresholds.rope).lstrip('+')} (equivalence, TOST).",
            equivalence_interval=(eq.low, eq.high),
        )
    return _inconclusive(
        f"gain {gain}; one-sided {test_name} {format_p(p_adjusted)} after Holm: "
        f"neither an improvement nor equivalence is shown{hint}.",
        equivalence_interval=(eq.low, eq.high),
        seeds_needed=needed,
    )


def _breaking(c: ConditionResult, level: str, fmt: Callable[[float], str]) -> str:
    """'vanishes under batch_size=512 (AK401: +0.10 pts, 95% CI ...)' for a FRAGILE reason."""
    change = (
        f"; {fmt(c.change)} against the nominal gain, {format_p(c.p_interaction)}"
        if c.change is not None and c.p_interaction is not None
        else ""
    )
    return (
        f"{'reverses' if c.status == 'reversed' else 'vanishes'} under {c.condition} "
        f"({c.rule_id}: {fmt(c.mean or 0.0)}, {level} {fmt(c.low or 0.0)} to "
        f"{fmt(c.high or 0.0)}{change})"
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
                    truncate_evidence(item, n),
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
