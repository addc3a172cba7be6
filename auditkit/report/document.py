"""Build ``audit.json`` from the decisions: the canonical result every view reads.

The document's types, writer and reader are in :mod:`auditkit.report.auditdoc`
(``format`` 2, documented in docs/audit-json.md, schema in docs/audit-schema.json):

- ``format``, ``auditkit_version``, ``created_at``, ``exit_code``
- ``experiment``: name, source, model file and its SHA-256, data (name, kind, fingerprint,
  metadata), design, frameworks, metrics, training config, script, variants, baseline
- ``rule_pack``: name, path, SHA-256, settings; ``rules``: per rule its id, name, check,
  severity, why, fix, references, ``outcome`` (pass/warn/fail/skipped/error), reason,
  evidence, the ``params`` it ran with and its ``exhibits``
- ``seeds``: the seeds every arm was trained on
- ``claims``: per claim the verdict and reason, per-seed scores of both arms, the gain's
  mean, sd, interval, t statistic, df and p-values, the test-agreement matrix (numbers:
  p, statistic, estimate, bounds), the gain under each perturbed condition, seeds needed
  and the minimum detectable effect, the metric's ``scale`` and ``unit``, and with
  ``--seeds auto`` its ``sequential`` history (looks, why it stopped)
- ``adaptive``: the group-sequential design of ``--seeds auto``, or null
- ``confusion``: per variant, the test confusion matrix summed over its nominal runs
- ``runs``: every run with its test and dev metrics, curves and duration (predictions stay
  in the run store)
- ``summary``: verdict counts, run counts, wall time; ``provenance``: versions, device,
  git commit, command line
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.report.auditdoc import (
    FORMAT,
    AdaptiveDesign,
    AgreementKind,
    AgreementResult,
    AuditDocument,
    ClaimResult,
    ConditionGain,
    ConfusionRecord,
    Experiment,
    GainTest,
    Resampled,
    RulePackInfo,
    RuleRow,
    RunCounts,
    RunRecord,
    SequentialLook,
    SequentialRecord,
    Summary,
    document_to_json,
    metric_scale,
    row_shares,
)
from auditkit.report.codec import from_json, to_json
from auditkit.types import Verdict
from auditkit.verdict import ClaimDecision, ClaimStop, Opinion, OpinionKind, StopReason

__all__ = [
    "FORMAT",
    "RuleRow",
    "build_audit_document",
    "build_document",
    "claim_result",
    "claim_to_dict",
    "rule_params",
]


def rule_params(params: Any) -> dict[str, Any]:
    """A check's params dataclass as JSON data (what the rule pack set), {} for none."""
    if dataclasses.is_dataclass(params) and not isinstance(params, type):
        out: dict[str, Any] = to_json(dataclasses.asdict(params))
        return out
    return dict(params) if isinstance(params, Mapping) else {}


def _gain_test(decision: ClaimDecision) -> GainTest | None:
    """The t-test the verdict rests on, with its statistic and df; None with < 2 pairs."""
    ev, test = decision.evidence, decision.test
    if test is None:
        return None
    return GainTest(
        mean=test.mean,
        sd=test.sd,
        low=test.low,
        high=test.high,
        confidence=test.confidence,
        p_one_sided=test.p_value,
        p_holm=decision.p_adjusted,
        test="paired t-test (one-sided, variant better)"
        if ev.resampled is None
        else "Nadeau–Bengio corrected resampled t-test (one-sided, variant better)",
        sequential=decision.sequential is not None,
        resampled=(
            Resampled(n_train=ev.resampled[0], n_test=ev.resampled[1]) if ev.resampled else None
        ),
        equivalence_interval=decision.equivalence_interval,
        statistic=test.statistic,
        df=test.df,
    )


#: the verdict layer's kinds of agreement answer, as the document names them
_AGREEMENT_KINDS = {
    OpinionKind.P_VALUE: AgreementKind.P_VALUE,
    OpinionKind.INTERVAL: AgreementKind.INTERVAL,
    OpinionKind.SHARE: AgreementKind.SHARE,
    OpinionKind.EPS_MIN: AgreementKind.DOMINANCE,
    OpinionKind.EQUIVALENCE: AgreementKind.EQUIVALENCE,
    OpinionKind.UNREACHABLE: AgreementKind.UNAVAILABLE,
}


def _agreement(o: Opinion) -> AgreementResult:
    """One agreement row as numbers, as the document holds it.

    The p is the one the row is judged by: Holm-adjusted for the t-test the verdict rests
    on, raw for the others.
    """
    kind = _AGREEMENT_KINDS[o.kind]
    return AgreementResult(
        test=o.test,
        improvement=o.improvement,
        kind=kind,
        note=o.note,
        # an unreachable test's p_value is the smallest attainable p, not a result
        p=None
        if kind is AgreementKind.UNAVAILABLE
        else (o.p_adjusted if o.p_adjusted is not None else o.p_value),
        statistic=o.statistic,
        df=o.df,
        estimate=o.estimate,
        low=o.low,
        high=o.high,
    )


def claim_result(decision: ClaimDecision) -> ClaimResult:
    """One claim's decision as the document records it."""
    claim, ev = decision.claim, decision.evidence
    gain = _gain_test(decision)
    base, var = decision.baseline_mean_sd, decision.variant_mean_sd
    scale, unit = metric_scale(claim.metric, (*ev.baseline, *ev.variant))
    return ClaimResult(
        label=claim.label,
        variant=claim.variant,
        baseline=claim.baseline,
        metric=claim.metric,
        direction=claim.direction,
        reported=claim.reported,
        verdict=decision.verdict,
        reason=decision.reason,
        overstated=decision.overstated,
        seeds=tuple(ev.seeds),
        seeds_planned=ev.seeds_planned,
        failed_runs=ev.failed_runs,
        baseline_scores=tuple(ev.baseline),
        variant_scores=tuple(ev.variant),
        gains=tuple(float(g) for g in ev.gains),
        baseline_mean=base[0] if base else None,
        baseline_sd=base[1] if base else None,
        variant_mean=var[0] if var else None,
        variant_sd=var[1] if var else None,
        gain=gain,
        agreement=tuple(_agreement(o) for o in decision.agreement),
        conditions=tuple(
            ConditionGain(
                condition=str(c.condition),
                rule=c.rule_id,
                family=c.family,
                n=c.n,
                mean=c.mean,
                low=c.low,
                high=c.high,
                status=c.status,
                change=c.change,
                p_interaction=c.p_interaction,
            )
            for c in decision.conditions
        ),
        fragile_under=tuple(decision.fragile_under),
        invalid=tuple(ev.invalid),
        seeds_needed=decision.seeds_needed,
        min_detectable_effect=decision.min_detectable_effect,
        small_sample_note=decision.small_sample_note,
        sequential=_sequential(decision.sequential),
        scale=scale,
        unit=unit,
    )


def claim_to_dict(decision: ClaimDecision) -> dict[str, Any]:
    """One claim's decision as JSON data, as audit.json holds it."""
    out: dict[str, Any] = to_json(claim_result(decision))
    return out


def _sequential(stop: ClaimStop | None) -> SequentialRecord | None:
    """A claim's looks and stopping reason under ``--seeds auto``, or None."""
    if stop is None or stop.last is None:
        return None
    reason = stop.reason or StopReason.NO_MORE_RUNS
    return SequentialRecord(
        seeds_used=stop.last.n,
        stopped=reason.name.lower(),
        stopped_words=reason.value,
        decided=reason.decided,
        looks=tuple(
            SequentialLook(
                n=look.n,
                mean=look.mean,
                sd=look.sd,
                low=look.low,
                high=look.high,
                eq_low=look.eq_low,
                eq_high=look.eq_high,
                p_one_sided=look.p_value,
                p_sequential=look.sequential_p,
                conditional_power=look.conditional_power,
            )
            for look in stop.looks
        ),
    )


def build_audit_document(
    *,
    auditkit_version: str,
    created_at: str,
    experiment: Mapping[str, Any],
    rule_pack: Mapping[str, Any],
    rules: Sequence[RuleRow],
    seeds: Sequence[int],
    decisions: Sequence[ClaimDecision],
    runs: Sequence[Mapping[str, Any]],
    run_counts: Mapping[str, int],
    wall_time_s: float,
    provenance: Mapping[str, Any],
    exit_code: int,
    confusion: Mapping[str, Mapping[str, Any]] | None = None,
    adaptive: Mapping[str, Any] | None = None,
) -> AuditDocument:
    """Assemble the typed ``audit.json`` from what the earlier layers produced.

    The JSON-ready inputs (experiment, rule pack, runs, ...) are read through the
    document's types, so a producer that writes a field the format does not have fails
    here, in its tests, not in a reader's hands.

    Parameters
    ----------
    auditkit_version, created_at
        Version string and ISO 8601 timestamp.
    experiment, rule_pack
        JSON-ready descriptions of the inputs (``auditdoc.Experiment``, ``RulePackInfo``).
    rules, seeds, decisions
        Per-rule outcomes; the seeds per arm; one decision per claim.
    runs
        Every run as ``store.result_to_dict`` gives it, predictions removed.
    run_counts, wall_time_s
        ``{"total", "failed", "cached"}``; wall time of the audit.
    provenance, exit_code
        Versions, device, git commit, command line; the exit code the audit ends with.
    confusion
        Per variant, the test confusion matrix summed over its nominal runs:
        ``{"labels": [...], "matrix": [[...]], "runs": n}``.
    adaptive
        The group-sequential design of ``--seeds auto`` (description, min and max seeds,
        seeds per look, spending function, futility threshold); None for fixed seeds.

    Returns
    -------
    AuditDocument
    """
    counts = {v.value: sum(d.verdict is v for d in decisions) for v in Verdict}
    return AuditDocument(
        format=FORMAT,
        auditkit_version=auditkit_version,
        created_at=created_at,
        exit_code=exit_code,
        experiment=from_json(Experiment, experiment, path="experiment"),
        rule_pack=from_json(RulePackInfo, rule_pack, path="rule_pack"),
        rules=tuple(rules),
        seeds=tuple(seeds),
        adaptive=from_json(AdaptiveDesign, adaptive) if adaptive is not None else None,
        claims=tuple(claim_result(d) for d in decisions),
        runs=tuple(from_json(RunRecord, r, path="runs") for r in runs),
        confusion={k: _confusion(k, v) for k, v in (confusion or {}).items()},
        summary=Summary(
            verdicts=counts,
            runs=from_json(RunCounts, dict(run_counts), path="summary.runs"),
            wall_time_s=wall_time_s,
        ),
        provenance={str(k): str(v) for k, v in provenance.items()},
    )


def _confusion(variant: str, raw: Mapping[str, Any]) -> ConfusionRecord:
    """A variant's confusion matrix with its row shares, which the views print."""
    shares = row_shares(raw["matrix"])
    record: ConfusionRecord = from_json(
        ConfusionRecord, {**raw, "shares": shares}, path=f"confusion.{variant}"
    )
    return record


def build_document(**parts: Any) -> dict[str, Any]:
    """:func:`build_audit_document` as JSON data: ``json.dumps`` of it is ``audit.json``.

    Takes the same keyword arguments.
    """
    return document_to_json(build_audit_document(**parts))
