"""Verdicts of an adaptive (``--seeds auto``) design read the sequential quantities."""

from __future__ import annotations

import numpy as np
from scipy import stats

from auditkit.report.document import claim_to_dict
from auditkit.stats.sequential import SequentialDesign, StopReason
from auditkit.types import Claim, Verdict
from auditkit.verdict import ClaimEvidence, Thresholds, decide_all

T = Thresholds(alpha=0.05, rope=0.005, confidence=0.95)
DESIGN = SequentialDesign(alpha=T.alpha, confidence=T.confidence, rope=T.rope)


def _evidence(gains: list[float], metric: str = "accuracy") -> ClaimEvidence:
    base = [0.70 + 0.01 * (i % 3) for i in range(len(gains))]
    return ClaimEvidence(
        claim=Claim(variant="v", baseline="b", metric=metric, reported=0.05),
        seeds=tuple(range(len(gains))),
        baseline=tuple(base),
        variant=tuple(b + g for b, g in zip(base, gains, strict=True)),
        seeds_planned=DESIGN.max_seeds,
    )


def test_a_claim_decided_early_keeps_only_its_seeds_and_says_why_it_stopped() -> None:
    # the first three seeds decide; the later ones (run for another claim) must not count
    gains = [0.051, 0.049, 0.050] + [-0.02] * 8
    (d,) = decide_all([_evidence(gains)], T, design=DESIGN)
    assert d.verdict is Verdict.SUPPORTED
    assert d.evidence.seeds == (0, 1, 2)
    assert "decided at 3 seeds: improvement shown" in d.reason
    assert "95% repeated CI" in d.reason
    assert d.sequential is not None and d.sequential.reason is StopReason.IMPROVEMENT
    assert d.agreement[0].test == "group-sequential t-test (Holm)"
    assert all("fixed-sample: ignores the looks" in o.note for o in d.agreement[1:])
    # the repeated interval is wider than the fixed t-interval of the same seeds
    fixed = stats.ttest_1samp(gains[:3], 0).confidence_interval(0.95)
    assert d.test is not None and d.test.low < fixed.low


def test_fixed_and_adaptive_verdicts_differ_where_peeking_would_mislead() -> None:
    # a fixed t-test of these 5 seeds is significant; the sequential design, which looked
    # at 3 seeds first, pays for that look and may not call it
    gains = [0.004, 0.012, 0.007, 0.010, 0.006]
    fixed = decide_all([_evidence(gains)], T)[0]
    adaptive = decide_all([_evidence(gains)], T, design=DESIGN)[0]
    assert fixed.p_adjusted is not None and adaptive.p_adjusted is not None
    assert adaptive.p_adjusted > fixed.p_adjusted


def test_equivalence_refutes_with_the_repeated_interval() -> None:
    gains = [0.0002, -0.0003, 0.0001, 0.0, -0.0001]
    (d,) = decide_all([_evidence(gains)], T, design=DESIGN)
    assert d.verdict is Verdict.REFUTED
    assert "repeated interval lies within" in d.reason
    assert "decided at 3 seeds: equivalence shown" in d.reason
    assert d.sequential is not None and d.sequential.last is not None
    assert d.equivalence_interval == (d.sequential.last.eq_low, d.sequential.last.eq_high)


def test_an_audit_that_ran_out_of_seeds_is_inconclusive_and_says_so() -> None:
    (d,) = decide_all([_evidence([0.02, 0.0, 0.015])], T, design=DESIGN)
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "stopped at 3 seeds: undecided, no more successful runs" in d.reason


def test_holm_across_claims_uses_sequential_p_values() -> None:
    a = _evidence([0.051, 0.049, 0.050])
    b = _evidence([0.02, 0.0, 0.015, 0.01, 0.012], metric="hwa")
    decisions = decide_all([a, b], T, design=DESIGN)
    raw = [d.test.p_value for d in decisions if d.test is not None]
    adjusted = [d.p_adjusted for d in decisions]
    order = np.argsort(raw)
    assert adjusted[order[0]] == min(1.0, 2 * raw[order[0]])


def test_audit_json_records_the_looks() -> None:
    (d,) = decide_all([_evidence([0.051, 0.049, 0.050])], T, design=DESIGN)
    raw = claim_to_dict(d)
    assert raw["gain"]["sequential"] is True
    seq = raw["sequential"]
    assert seq["seeds_used"] == 3 and seq["stopped"] == "improvement" and seq["decided"]
    assert [look["n"] for look in seq["looks"]] == [3]
    assert d.test is not None and seq["looks"][0]["low"] == d.test.low
    fixed = claim_to_dict(decide_all([_evidence([0.051, 0.049, 0.050])], T)[0])
    assert fixed["sequential"] is None and fixed["gain"]["sequential"] is False
