"""The canonical result: ``audit.json``, built from decisions; every other view reads it.

Schema (``format`` 1), documented in docs/audit-json.md:

- ``format``, ``auditkit_version``, ``created_at``, ``exit_code``
- ``experiment``: name, model file and its SHA-256, data (name, kind, fingerprint,
  metadata), metrics, training config, variants, baseline
- ``rule_pack``: name, path, SHA-256, settings; ``rules``: per rule its id, name, check,
  severity, why, fix, references, ``outcome`` (pass/warn/fail/skipped/error) and reason
- ``seeds``: the seeds every arm was trained on
- ``claims``: per claim the verdict and reason, per-seed scores of both arms, the gain's
  mean, sd, interval and p-values, the test-agreement matrix, the gain under each
  perturbed condition, seeds needed and the minimum detectable effect, and with
  ``--seeds auto`` its ``sequential`` history (looks, why it stopped)
- ``adaptive``: the group-sequential design of ``--seeds auto``, or null
- ``confusion``: per variant, the test confusion matrix summed over its nominal runs
- ``runs``: every run with its test and dev metrics, curves and duration (predictions stay
  in the run store)
- ``summary``: verdict counts, run counts, wall time; ``provenance``: versions, device,
  git commit, command line
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditkit.types import Verdict
from auditkit.verdict import ClaimDecision, ClaimStop, StopReason

FORMAT = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRow:
    """A rule's outcome, as computed by the verdict layer."""

    id: str
    name: str
    check: str
    severity: str
    why: str
    fix: str
    references: tuple[str, ...]
    outcome: str
    reason: str
    #: short preformatted facts behind the outcome
    evidence: Mapping[str, str] = field(default_factory=dict)


def claim_to_dict(decision: ClaimDecision) -> dict[str, Any]:
    """One claim's decision as a JSON-ready dict."""
    claim, ev, test = decision.claim, decision.evidence, decision.test
    gain: dict[str, Any] | None = None
    if test is not None:
        gain = {
            "mean": test.mean,
            "sd": test.sd,
            "low": test.low,
            "high": test.high,
            "confidence": test.confidence,
            "p_one_sided": test.p_value,
            "p_holm": decision.p_adjusted,
            "test": "paired t-test (one-sided, variant better)"
            if ev.resampled is None
            else "Nadeau–Bengio corrected resampled t-test (one-sided, variant better)",
            # the interval is a repeated confidence interval and p a sequential p-value
            "sequential": decision.sequential is not None,
            # (n_train, n_test) of one fold in a cross-validated design, else None
            "resampled": (
                {"n_train": ev.resampled[0], "n_test": ev.resampled[1]} if ev.resampled else None
            ),
            "equivalence_interval": (
                list(decision.equivalence_interval) if decision.equivalence_interval else None
            ),
        }
    base, var = decision.baseline_mean_sd, decision.variant_mean_sd
    return {
        "label": claim.label,
        "variant": claim.variant,
        "baseline": claim.baseline,
        "metric": claim.metric,
        "direction": claim.direction.value,
        "reported": claim.reported,
        "verdict": decision.verdict.value,
        "reason": decision.reason,
        "overstated": decision.overstated,
        "seeds": list(ev.seeds),
        "seeds_planned": ev.seeds_planned,
        "failed_runs": ev.failed_runs,
        "baseline_scores": list(ev.baseline),
        "variant_scores": list(ev.variant),
        "gains": [float(g) for g in ev.gains],
        "baseline_mean": base[0] if base else None,
        "baseline_sd": base[1] if base else None,
        "variant_mean": var[0] if var else None,
        "variant_sd": var[1] if var else None,
        "gain": gain,
        "agreement": [
            {"test": o.test, "improvement": o.improvement, "value": o.value, "note": o.note}
            for o in decision.agreement
        ],
        "conditions": [
            {
                "condition": str(c.condition),
                "rule": c.rule_id,
                "family": c.family,
                "n": c.n,
                "mean": c.mean,
                "low": c.low,
                "high": c.high,
                "status": c.status,
                "change": c.change,
                "p_interaction": c.p_interaction,
            }
            for c in decision.conditions
        ],
        "fragile_under": list(decision.fragile_under),
        "invalid": list(ev.invalid),
        "seeds_needed": decision.seeds_needed,
        "min_detectable_effect": decision.min_detectable_effect,
        "small_sample_note": decision.small_sample_note,
        "sequential": _sequential_to_dict(decision.sequential),
    }


def _sequential_to_dict(stop: ClaimStop | None) -> dict[str, Any] | None:
    """A claim's looks and stopping reason under ``--seeds auto``, or None."""
    if stop is None or stop.last is None:
        return None
    reason = stop.reason or StopReason.NO_MORE_RUNS
    return {
        "seeds_used": stop.last.n,
        "stopped": reason.name.lower(),
        "stopped_words": reason.value,
        "decided": reason.decided,
        "looks": [
            {
                "n": look.n,
                "mean": look.mean,
                "sd": look.sd,
                "low": look.low,
                "high": look.high,
                "eq_low": look.eq_low,
                "eq_high": look.eq_high,
                "p_one_sided": look.p_value,
                "p_sequential": look.sequential_p,
                "conditional_power": look.conditional_power,
            }
            for look in stop.looks
        ],
    }


def build_document(
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
    reliance: Sequence[Mapping[str, Any]] = (),
    adaptive: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble ``audit.json`` from what the earlier layers produced.

    Parameters
    ----------
    auditkit_version, created_at
        Version string and ISO 8601 timestamp.
    experiment, rule_pack
        JSON-ready descriptions of the inputs.
    rules
        Per-rule outcomes.
    seeds
        Seeds per arm.
    decisions
        One per claim.
    runs
        Every run as ``store.result_to_dict`` gives it, predictions removed.
    run_counts
        ``{"total", "failed", "cached"}``.
    wall_time_s
        Wall time of the audit.
    provenance
        Versions, device, git commit, command line.
    exit_code
        The process exit code the audit ends with.
    confusion
        Per variant, the test confusion matrix summed over its nominal runs:
        ``{"labels": [...], "matrix": [[...]], "runs": n}``.
    reliance
        Factor reliance rows: variant, factor, drop_mean, low, high, rule.
    adaptive
        The group-sequential design of ``--seeds auto`` (description, min and max seeds,
        seeds per look, spending function, futility threshold); None for fixed seeds.

    Returns
    -------
    dict
        The document; ``json.dumps`` of it is ``audit.json``.
    """
    counts = {v.value: sum(d.verdict is v for d in decisions) for v in Verdict}
    return {
        "format": FORMAT,
        "auditkit_version": auditkit_version,
        "created_at": created_at,
        "exit_code": exit_code,
        "experiment": dict(experiment),
        "rule_pack": dict(rule_pack),
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "check": r.check,
                "severity": r.severity,
                "why": r.why,
                "fix": r.fix,
                "references": list(r.references),
                "outcome": r.outcome,
                "reason": r.reason,
                "evidence": dict(r.evidence),
            }
            for r in rules
        ],
        "seeds": list(seeds),
        "adaptive": dict(adaptive) if adaptive is not None else None,
        "claims": [claim_to_dict(d) for d in decisions],
        "runs": list(runs),
        "confusion": {k: dict(v) for k, v in (confusion or {}).items()},
        "reliance": [dict(r) for r in reliance],
        "summary": {
            "verdicts": counts,
            "runs": dict(run_counts),
            "wall_time_s": wall_time_s,
        },
        "provenance": dict(provenance),
    }
