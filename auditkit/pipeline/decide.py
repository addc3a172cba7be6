"""The decide stage: the claims' paired evidence, their verdicts, the rules' rows, the exit code.

``check`` (model file and script) and ``compare`` decide alike: the nominal runs are
paired by seed (``pair_evidence``, or ``compare``'s logged pairs through
``claim_evidence``), the rules' findings hand their perturbed conditions on to the claims
(``with_findings``), and ``decide`` gives every claim its verdict and the audit its exit
code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditkit.conditions import NOMINAL
from auditkit.errors import ExitCode
from auditkit.exhibits import Exhibit
from auditkit.plan import Plan
from auditkit.report.document import RuleRow, rule_params
from auditkit.rulepack import Rule, Settings
from auditkit.stats.sequential import SequentialDesign
from auditkit.types import Claim, ConditionEvidence, Finding, RunResult, Verdict
from auditkit.verdict import (
    ClaimDecision,
    ClaimEvidence,
    Thresholds,
    decide_all,
    seed_rule_outcome,
)

#: the fields a rule's row in the report copies from the rule
RULE_FIELDS = ("id", "name", "check", "severity", "why", "fix", "references")


@dataclass(frozen=True, slots=True, kw_only=True)
class DecideInput:
    """What the decide stage reads."""

    #: one entry per claim (empty when nothing ran: no claim is decided)
    evidence: Sequence[ClaimEvidence]
    thresholds: Thresholds
    #: ``--strict``: an inconclusive claim fails the audit too
    strict: bool = False
    #: the adaptive design of ``--seeds auto``, or None for a fixed number of seeds
    design: SequentialDesign | None = None
    #: the planned rules, whose rows the report lists; None when the caller lists its own
    plan: Plan | None = None
    #: rule id -> its finding (``assess_rules``)
    findings: Mapping[str, Finding | None] = field(default_factory=dict)
    #: False when the rule pack selected no rule (exit code 5)
    rules_selected: bool = True
    #: variants none of whose nominal runs succeeded (exit code 3)
    failed_arms: Sequence[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Decided:
    """What the decide stage gives the write stage."""

    #: one per claim, in the order of the evidence
    decisions: tuple[ClaimDecision, ...]
    #: each planned rule's row (empty without a plan)
    rules: tuple[RuleRow, ...]
    exit_code: ExitCode


def decide(given: DecideInput) -> Decided:
    """Decide every claim, list the rules' outcomes and choose the exit code.

    Parameters
    ----------
    given
        The claims' evidence, the thresholds and the rules' findings.

    Returns
    -------
    Decided
    """
    plan = given.plan
    evidence = given.evidence
    if plan is not None:
        evidence = with_findings(evidence, plan, given.findings)
    decisions = decide_all(evidence, given.thresholds, design=given.design) if evidence else []
    rows = rule_rows(plan, given.findings, decisions) if plan is not None else []
    exit_code = (
        ExitCode.NO_RULES_SELECTED
        if not given.rules_selected
        else ExitCode.RUNS_FAILED
        if given.failed_arms
        else exit_code_for(decisions, given.strict)
    )
    return Decided(
        decisions=tuple(decisions),
        rules=tuple(rows),
        exit_code=exit_code,
    )


def thresholds_of(settings: Settings) -> Thresholds:
    """A rule pack's alpha, rope and confidence, as the verdicts read them."""
    return Thresholds(alpha=settings.alpha, rope=settings.rope, confidence=settings.confidence)


def claim_evidence(
    claim: Claim,
    pairs: Sequence[tuple[int, float, float]],
    *,
    planned: int,
    failed: int,
    undefined: int = 0,
    resampled: tuple[int, int] | None = None,
    conditions: Sequence[ConditionEvidence] = (),
) -> ClaimEvidence:
    """One claim's evidence from its ``(seed, baseline score, variant score)`` pairs.

    Parameters
    ----------
    claim
        The claim.
    pairs
        The usable pairs, in the order the statistics read them (length n_pairs).
    planned
        Seeds planned per arm.
    failed, undefined
        Runs lost to failures and to undefined metrics.
    resampled
        ``(train, test)`` sizes when the seeds are cross-validation folds.
    conditions
        The claim's gains under perturbed conditions.

    Returns
    -------
    ClaimEvidence
    """
    return ClaimEvidence(
        claim=claim,
        seeds=tuple(seed for seed, _, _ in pairs),
        baseline=tuple(b for _, b, _ in pairs),
        variant=tuple(v for _, _, v in pairs),
        seeds_planned=planned,
        failed_runs=failed,
        undefined_runs=undefined,
        resampled=resampled,
        conditions=tuple(conditions),
    )


def pair_evidence(
    claims: Sequence[Claim],
    seeds: Sequence[int],
    results: Mapping[Any, RunResult],
    *,
    design: SequentialDesign | None = None,
    resampled: tuple[int, int] | None = None,
) -> list[ClaimEvidence]:
    """Pair the nominal runs of each claim by seed; drop pairs with a failed arm.

    Shared by model-file and script audits.

    Parameters
    ----------
    claims
        The claims, each naming its baseline, variant and metric.
    seeds
        The planned seeds, in order.
    results
        Run results by run spec (only nominal runs are read).
    design
        An adaptive design: a seed that a claim stopped before is not a failure, and the
        planned seeds are the design's maximum.
    resampled
        ``(train, test)`` sizes when the seeds are cross-validation folds.

    Returns
    -------
    list of ClaimEvidence
        One per claim, its paired scores of length ``len(seeds)`` at the most.
    """
    by_key = {(s.variant, s.condition, s.init_seed): r for s, r in results.items()}
    out = []
    for claim in claims:
        pairs: list[tuple[int, float, float]] = []
        failed = undefined = 0
        for seed in seeds:
            found = [by_key.get((arm, NOMINAL, seed)) for arm in (claim.baseline, claim.variant)]
            pair = [r for r in found if r is not None]
            if design is not None and len(pair) < 2:
                continue  # an adaptive claim stopped before this seed: not a failure
            if len(pair) < 2 or not all(r.ok for r in pair):
                failed += sum(not r.ok for r in pair) + (2 - len(pair))
                continue
            values = [r.test_metrics.get(claim.metric) for r in pair]
            if values[0] is None or values[1] is None:
                undefined += sum(v is None for v in values)
                continue
            pairs.append((seed, float(values[0]), float(values[1])))
        planned = len(seeds) if design is None else design.max_seeds
        out.append(
            claim_evidence(
                claim,
                pairs,
                planned=planned,
                failed=failed,
                undefined=undefined,
                resampled=resampled,
            )
        )
    return out


def with_findings(
    evidence: Sequence[ClaimEvidence], plan: Plan, findings: Mapping[str, Finding | None]
) -> list[ClaimEvidence]:
    """Hand each rule's perturbed conditions and invalidity reasons on to the claims."""
    names = {rp.rule.id: rp.rule.name for rp in plan.rules}
    out = []
    for index, item in enumerate(evidence):
        conditions = list(item.conditions)
        invalid = list(item.invalid)
        for rule_id, finding in findings.items():
            if finding is None:
                continue
            conditions += [
                dataclasses.replace(c, rule_id=c.rule_id or rule_id)
                for c in finding.conditions.get(index, ())
            ]
            invalid += [
                f"{rule_id} {names[rule_id]}: {why}" for why in finding.invalid.get(index, ())
            ]
        out.append(dataclasses.replace(item, conditions=tuple(conditions), invalid=tuple(invalid)))
    return out


def rule_row(
    rule: Rule,
    outcome: str,
    reason: str,
    evidence: Mapping[str, str] | None = None,
    exhibits: tuple[Exhibit, ...] = (),
) -> RuleRow:
    """A rule's row in the report: its description and params, outcome, evidence, exhibits."""
    described: dict[str, Any] = {name: getattr(rule, name) for name in RULE_FIELDS}
    return RuleRow(
        **described,
        outcome=outcome,
        reason=reason,
        evidence=dict(evidence or {}),
        params=rule_params(rule.params),
        exhibits=exhibits,
    )


def rule_rows(
    plan: Plan, findings: Mapping[str, Finding | None], decisions: Sequence[ClaimDecision]
) -> list[RuleRow]:
    """Each rule's row for the report, with its finding's evidence and exhibits.

    A skipped rule keeps its reason; a rule without a finding of its own (the seed
    sweep) takes its outcome from the claims' verdicts.
    """
    rows = []
    for rule_plan in plan.rules:
        rule = rule_plan.rule
        finding = findings.get(rule.id)
        if rule_plan.skipped:
            rows.append(rule_row(rule, "skipped", rule_plan.skipped))
        elif finding is None:
            rows.append(rule_row(rule, *seed_rule_outcome(decisions)))
        else:
            rows.append(
                rule_row(rule, finding.outcome, finding.reason, finding.evidence, finding.exhibits)
            )
    return rows


def exit_code_for(decisions: Sequence[ClaimDecision], strict: bool) -> ExitCode:
    """1 when a claim is refuted or fragile (or inconclusive, with ``strict``), else 0."""
    bad = {Verdict.REFUTED, Verdict.FRAGILE} | ({Verdict.INCONCLUSIVE} if strict else set())
    return ExitCode.CLAIMS_FAILED if any(d.verdict in bad for d in decisions) else ExitCode.OK


def failed_arms(results: Iterable[RunResult]) -> list[str]:
    """The variants none of whose nominal runs succeeded, because their code failed.

    Runs that ``--budget`` left undone do not count as failed: the code never ran.
    """
    tried: dict[str, bool] = {}
    for result in results:
        spec = result.spec
        if not spec.condition.is_nominal or (result.error or "").startswith("NotRun:"):
            continue
        tried[spec.variant] = tried.get(spec.variant, False) or result.ok
    return [variant for variant, any_ok in tried.items() if not any_ok]
