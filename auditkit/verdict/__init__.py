"""Verdicts: the one place that decides whether a claimed improvement is supported.

The package is split by step, and every public name is importable from here:

- ``evidence``: the thresholds, a claim's paired evidence, and how gains are worded;
- ``conditions``: what each perturbed condition does to the gain (the selective
  interaction test behind FRAGILE);
- ``agreement``: the test-agreement matrix, as numbers;
- ``sequential``: the adaptive design's last look and stopping sentence;
- ``decide``: the decision table, ``decide`` and ``decide_all``, and the seed rule's outcome.
"""

from __future__ import annotations

from auditkit.stats.sequential import ClaimStop, StopReason
from auditkit.verdict.agreement import ASO_THRESHOLD, Opinion, OpinionKind, agreement_matrix
from auditkit.verdict.conditions import (
    ConditionResult,
    breaks_gain,
    condition_results,
    selection_threshold,
)
from auditkit.verdict.decide import (
    ClaimDecision,
    decide,
    decide_all,
    is_finite,
    seed_rule_outcome,
)
from auditkit.verdict.evidence import (
    COPY_RTOL,
    MIN_PAIRS,
    POWER,
    ClaimEvidence,
    Thresholds,
    format_p,
    gain_formatter,
    gain_unit,
    mean_sd,
    points,
    unit_formatter,
)
from auditkit.verdict.sequential import sequential_test, stopping_sentence, truncate_evidence

__all__ = [
    "ASO_THRESHOLD",
    "COPY_RTOL",
    "MIN_PAIRS",
    "POWER",
    "ClaimDecision",
    "ClaimEvidence",
    "ClaimStop",
    "ConditionResult",
    "Opinion",
    "OpinionKind",
    "StopReason",
    "Thresholds",
    "agreement_matrix",
    "breaks_gain",
    "condition_results",
    "decide",
    "decide_all",
    "format_p",
    "gain_formatter",
    "gain_unit",
    "is_finite",
    "mean_sd",
    "points",
    "seed_rule_outcome",
    "selection_threshold",
    "sequential_test",
    "stopping_sentence",
    "truncate_evidence",
    "unit_formatter",
]
