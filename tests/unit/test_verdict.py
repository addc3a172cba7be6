"""The decision function on fixed inputs, in pairs, pinning the reason text."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from auditkit.conditions import Condition
from auditkit.types import Claim, ConditionEvidence, Direction, Verdict
from auditkit.verdict import (
    ClaimEvidence,
    Thresholds,
    decide_all,
    seed_rule_outcome,
)

CLAIM = Claim(variant="v", baseline="b", metric="accuracy", reported=0.02)
T = Thresholds(alpha=0.05, rope=0.005, confidence=0.95)


def _evidence(
    base: list[float], var: list[float], claim: Claim = CLAIM, **kw: int
) -> ClaimEvidence:
    return ClaimEvidence(
        claim=claim,
        seeds=tuple(range(len(base))),
        baseline=tuple(base),
        variant=tuple(var),
        seeds_planned=kw.pop("planned", len(base)),
        **kw,
    )


BASE = [0.70, 0.72, 0.71, 0.69, 0.73]


def test_clear_gain_is_supported_and_matches_scipy() -> None:
    var = [
        0.73,
        0.745,
        0.74,
        0.715,
        0.755,
    ]  # gains 3, 2.5, 3, 2.5, 2.5 pts: mean 2.7, sd 0.274, se 0.122, t(0.975, 4) = 2.776
    (d,) = decide_all([_evidence(BASE, var)], T)
    assert d.verdict is Verdict.SUPPORTED
    gains = [v - b for v, b in zip(var, BASE, strict=True)]
    ref = stats.ttest_1samp(gains, 0.0, alternative="greater")
    assert d.test is not None
    assert d.test.p_value == pytest.approx(ref.pvalue)
    assert d.p_adjusted == pytest.approx(ref.pvalue)  # one claim: Holm changes nothing
    assert d.reason.startswith("gain +2.70 pts (95% CI +2.36 pts to +3.04 pts, 5 seeds)")
    assert not d.overstated


def test_noisy_gain_of_same_mean_is_inconclusive() -> None:
    var = [0.78, 0.70, 0.75, 0.66, 0.79]  # mean gain +2.6 pts, sd ~ 6 pts
    (d,) = decide_all([_evidence(BASE, var)], T)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "neither an improvement nor equivalence is shown" in d.reason
    # power of the decision actually used (the two-sided 95% interval above 0, i.e. the
    # one-sided t-test at 0.025) at sd 6.07 pts for the reported 2 pts gain; at one-sided
    # 0.05 it would be 39 seeds, which reach SUPPORTED only ~71% of the time
    assert d.reason.endswith(
        "about 49 seeds would detect the reported +2.00 pts gain at 80% power."
    )


def test_reported_gain_above_the_interval_is_overstated() -> None:
    claim = Claim(variant="v", baseline="b", metric="accuracy", reported=0.08)
    var = [0.73, 0.745, 0.74, 0.715, 0.755]
    (d,) = decide_all([_evidence(BASE, var, claim)], T)
    assert d.verdict is Verdict.SUPPORTED
    assert d.overstated
    assert "the reported +8.00 pts lies above the interval (overstated)" in d.reason


def test_significantly_worse_is_refuted() -> None:
    var = [b - 0.03 + 0.002 * i for i, b in enumerate(BASE)]
    (d,) = decide_all([_evidence(BASE, var)], T)
    assert d.verdict is Verdict.REFUTED
    assert d.reason.startswith("the variant is worse")


def test_equivalent_within_rope_is_refuted() -> None:
    var = [b + e for b, e in zip(BASE, [0.001, -0.001, 0.0005, -0.0005, 0.0], strict=True)]
    (d,) = decide_all([_evidence(BASE, var)], T)
    assert d.verdict is Verdict.REFUTED
    assert "no practical gain" in d.reason
    assert "within ±0.50 pts (equivalence, TOST)" in d.reason


def test_identical_gains_are_invalid_evidence_not_proof() -> None:
    var = [b + 0.01 for b in BASE]  # every seed the same gain: seeds did not reach training
    (d,) = decide_all([_evidence(BASE, var)], T)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "the runs are copies of one another" in d.reason


def test_fewer_than_two_pairs_is_inconclusive() -> None:
    (d,) = decide_all([_evidence([0.7], [0.8], planned=5, failed_runs=4)], T)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.reason == (
        "only 1 of 5 seed pairs succeeded (4 runs failed); at least 2 are needed to "
        "estimate the gain."
    )


def test_undefined_metric_is_explained() -> None:
    (d,) = decide_all([_evidence([], [], planned=3, undefined_runs=6)], T)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "undefined (n/a)" in d.reason


def test_decrease_claims_flip_the_sign() -> None:
    claim = Claim(variant="v", baseline="b", metric="accuracy", direction=Direction.DECREASE)
    var = [b - 0.03 + 0.002 * i for i, b in enumerate(BASE)]  # lower is better here
    (d,) = decide_all([_evidence(BASE, var, claim)], T)
    assert d.verdict is Verdict.SUPPORTED


def test_one_sided_p_below_alpha_but_interval_over_zero_is_not_supported() -> None:
    # One-sided p in (0.025, 0.05): the 95% two-sided interval still reaches below 0, so
    # the claim is not SUPPORTED; a reader never sees "supported" beside a CI with 0 in it.
    var = [0.72, 0.72, 0.74, 0.69, 0.75]
    (d,) = decide_all([_evidence(BASE, var)], T)
    assert d.test is not None
    assert 0.025 < d.test.p_value < 0.05
    assert d.test.low < 0
    assert d.verdict is Verdict.INCONCLUSIVE


def test_holm_across_claims_can_remove_support() -> None:
    # gains 0.8, 2, 0, 1.5, 2.5 pts: alone p = 0.0184 and the CI starts at +0.14 pts
    var = [b + g for b, g in zip(BASE, [0.008, 0.02, 0.0, 0.015, 0.025], strict=True)]
    alone = decide_all([_evidence(BASE, var)], T)[0]
    assert alone.verdict is Verdict.SUPPORTED
    assert alone.test is not None
    p = alone.test.p_value
    assert p == pytest.approx(0.018413, abs=1e-6)
    noisy = _evidence(BASE, [0.71, 0.70, 0.73, 0.69, 0.72])  # p ~ 0.5
    decisions = decide_all([_evidence(BASE, var), noisy, noisy], T)
    # the smallest of three p-values is multiplied by 3 under Holm: 0.055 > alpha
    assert decisions[0].p_adjusted == pytest.approx(3 * p)
    assert decisions[0].verdict is Verdict.INCONCLUSIVE


def test_seed_rule_outcome() -> None:
    good = decide_all([_evidence(BASE, [0.73, 0.745, 0.74, 0.715, 0.755])], T)
    assert seed_rule_outcome(good) == ("pass", "1 of 1 claims stand out from seed-to-seed noise.")
    bad = decide_all([_evidence([0.7], [0.8], planned=5)], T)
    outcome, reason = seed_rule_outcome(bad)
    assert outcome == "error"
    assert "fewer than 2 successful seed pairs" in reason


# --- perturbed conditions, invalid evidence, agreement, power (pairs) -----------------

CLEAR = [0.73, 0.745, 0.74, 0.715, 0.755]


def _with(
    conditions: list[ConditionEvidence] | None = None, invalid: tuple[str, ...] = ()
) -> ClaimEvidence:
    ev = _evidence(BASE, CLEAR)
    return ClaimEvidence(
        claim=ev.claim,
        seeds=ev.seeds,
        baseline=ev.baseline,
        variant=ev.variant,
        seeds_planned=5,
        conditions=tuple(conditions or ()),
        invalid=invalid,
    )


def _cond(gains: list[float], name: str = "batch_size=512") -> ConditionEvidence:
    return ConditionEvidence(
        condition=Condition.parse(name), rule_id="AK401", family="batch size", gains=tuple(gains)
    )


def test_gain_that_holds_under_a_condition_stays_supported() -> None:
    (d,) = decide_all([_with([_cond([0.02, 0.025, 0.03, 0.02, 0.028])])], T)
    assert d.verdict is Verdict.SUPPORTED
    assert d.conditions[0].status == "holds"


def test_gain_that_reverses_under_a_condition_is_fragile() -> None:
    # mean -2.46, sd 0.456, se 0.204, t(0.975, 4) = 2.776 -> [-3.03, -1.89]
    (d,) = decide_all([_with([_cond([-0.02, -0.025, -0.03, -0.02, -0.028])])], T)
    assert d.verdict is Verdict.FRAGILE
    assert d.fragile_under == ("batch_size=512",)
    assert d.reason.startswith(
        "gain +2.70 pts (95% CI +2.36 pts to +3.04 pts, 5 seeds) at the nominal setting, "
        "but it reverses under batch_size=512 (AK401: -2.46 pts, 95% CI -3.03 pts to -1.89 pts; "
        "-5.16 pts against the nominal gain, p < 0.001)."
    )


def test_gain_that_vanishes_under_a_condition_is_fragile() -> None:
    (d,) = decide_all([_with([_cond([0.0005, -0.0005, 0.0, 0.001, -0.001], "shuffle_test")])], T)
    assert d.verdict is Verdict.FRAGILE
    assert "it vanishes under shuffle_test" in d.reason
    assert d.conditions[0].status == "vanished"


def test_noisy_condition_is_inconclusive_and_does_not_break_support() -> None:
    (d,) = decide_all([_with([_cond([0.05, -0.04, 0.03, -0.02, 0.01])])], T)
    assert d.conditions[0].status == "inconclusive"
    assert d.verdict is Verdict.SUPPORTED


def test_invalid_evidence_cannot_be_supported() -> None:
    (d,) = decide_all(
        [_with(invalid=("AK102 seed-override found identical predictions across seeds",))], T
    )
    assert d.verdict is Verdict.INCONCLUSIVE
    assert d.reason.endswith(
        "but the evidence is invalid: AK102 seed-override found identical predictions across seeds."
    )


def test_valid_evidence_with_the_same_numbers_is_supported() -> None:
    (d,) = decide_all([_with()], T)
    assert d.verdict is Verdict.SUPPORTED


def test_agreement_matrix_on_a_clear_gain() -> None:
    (d,) = decide_all([_with()], T)
    rows = {o.test: o for o in d.agreement}
    assert rows["paired t-test (Holm)"].improvement is True
    assert rows["bootstrap BCa 95% CI"].improvement is True
    assert rows["almost stochastic order"].improvement is True
    assert rows["TOST equivalence (±0.50 pts)"].improvement is None
    # n = 5 one-sided: 1/32 = 0.031 < 0.05, so the exact tests can decide
    assert rows["sign-flip permutation"].improvement is True
    assert rows["sign-flip permutation"].value == "p = 0.031"
    assert rows["Wilcoxon signed-rank (exact)"].improvement is True
    assert d.small_sample_note is None


def test_agreement_matrix_says_when_exact_tests_cannot_decide() -> None:
    (d,) = decide_all([_evidence(BASE[:3], CLEAR[:3])], T)
    rows = {o.test: o for o in d.agreement}
    assert rows["sign-flip permutation"].improvement is None
    assert "smallest attainable p is 0.125, above α = 0.05" in rows["sign-flip permutation"].note
    assert d.small_sample_note is not None
    assert d.small_sample_note.startswith(
        "with 3 seeds the exact non-parametric tests cannot reach"
    )


def test_seeds_needed_and_minimum_detectable_effect() -> None:
    (noisy,) = decide_all([_evidence(BASE, [0.78, 0.70, 0.75, 0.66, 0.79])], T)
    assert noisy.seeds_needed == 49  # at the decision's one-sided 0.025, not 0.05
    assert noisy.min_detectable_effect is not None
    # with sd 6 pts and 5 seeds only a large gain is detectable
    assert 0.05 < noisy.min_detectable_effect < 0.15
    (clear,) = decide_all([_with()], T)
    assert clear.seeds_needed is None  # supported: nothing to ask for


def test_calibration_null_and_large_effect() -> None:
    # Null audits from the statistics layer alone: with no true effect the SUPPORTED
    # rate stays at most alpha plus Monte-Carlo error; with a large effect it is high.
    rng = np.random.default_rng(12345)
    n_sim, n_seeds = 400, 8

    def supported_rate(effect: float) -> float:
        hits = 0
        for _ in range(n_sim):
            base = rng.normal(0.70, 0.01, n_seeds)
            var = base + effect + rng.normal(0.0, 0.01, n_seeds)
            claim = Claim(variant="v", baseline="b", metric="accuracy")
            (d,) = decide_all([_evidence(list(base), list(var), claim)], T)
            hits += d.verdict is Verdict.SUPPORTED
        return hits / n_sim

    null = supported_rate(0.0)
    mc_error = 3 * np.sqrt(0.05 * 0.95 / n_sim)  # three standard errors
    assert null <= 0.05 + mc_error
    assert supported_rate(0.02) > 0.95


# --------------------------------------------------------------------------- cross-validation


def _nadeau_bengio(gains: list[float], n_train: int, n_test: int) -> tuple[float, float, float]:
    """One-sided p and 95% interval of the corrected resampled t-test, by hand with scipy."""
    j = len(gains)
    mean, sd = float(np.mean(gains)), float(np.std(gains, ddof=1))
    se = sd * np.sqrt(1 / j + n_test / n_train)
    half = stats.t.ppf(0.975, j - 1) * se
    return float(stats.t.sf(mean / se, j - 1)), mean - half, mean + half


def test_cross_validated_evidence_uses_the_corrected_test() -> None:
    var = [0.73, 0.745, 0.74, 0.715, 0.755]
    gains = [v - b for v, b in zip(var, BASE, strict=True)]
    plain, corrected = decide_all(
        [_evidence(BASE, var), _evidence(BASE, var, resampled=(400, 100))], T
    )
    p, low, high = _nadeau_bengio(gains, 400, 100)
    assert corrected.test is not None and plain.test is not None
    assert corrected.test.p_value == pytest.approx(p)
    assert (corrected.test.low, corrected.test.high) == pytest.approx((low, high))
    # the correction widens the interval by sqrt(1 + J n_test / n_train) = sqrt(2.25)
    width = lambda d: d.test.high - d.test.low  # noqa: E731
    assert width(corrected) == pytest.approx(1.5 * width(plain))
    assert "Nadeau–Bengio corrected for 5 overlapping folds" in corrected.reason
    assert "one-sided corrected t-test" in corrected.reason
    assert corrected.agreement[0].test == "corrected resampled t-test (Holm)"
    assert corrected.seeds_needed is None and corrected.min_detectable_effect is None


def test_correction_can_turn_support_into_inconclusive() -> None:
    # gains of +1.0 +- 0.9 pts over 10 folds: the plain t-test finds it, the corrected not
    base = [0.8] * 10
    var = [0.8 + g for g in (0.02, 0.001, 0.015, 0.0, 0.022, 0.005, 0.018, -0.002, 0.012, 0.009)]
    plain, corrected = decide_all(
        [_evidence(base, var), _evidence(base, var, resampled=(60, 40))], T
    )
    assert plain.verdict is Verdict.SUPPORTED
    assert corrected.verdict is Verdict.INCONCLUSIVE
    gains = [v - b for v, b in zip(var, base, strict=True)]
    p, _, _ = _nadeau_bengio(gains, 60, 40)
    # Holm over 2 claims: the larger p is the second step, multiplied by 1
    assert corrected.p_adjusted == pytest.approx(p)


def test_uncorrected_tests_in_the_agreement_matrix_say_so_under_cv() -> None:
    var = [0.73, 0.745, 0.74, 0.715, 0.755]
    (d,) = decide_all([_evidence(BASE, var, resampled=(400, 100))], T)
    notes = {o.test: o.note for o in d.agreement}
    assert "uncorrected" not in notes["corrected resampled t-test (Holm)"]
    assert "uncorrected" not in notes["TOST equivalence (±0.50 pts)"]
    assert notes["bootstrap BCa 95% CI"].endswith("uncorrected: the folds share training rows")
    assert sum("uncorrected" in n for n in notes.values()) == len(notes) - 2
