"""The assess stage: each planned rule's check reads the finished runs and gives a finding."""

from __future__ import annotations

import traceback

from auditkit.checks import AssessContext, checks
from auditkit.plan import Plan
from auditkit.types import Finding


def assess_rules(plan: Plan, context: AssessContext) -> dict[str, Finding | None]:
    """Run each planned rule's check on the finished runs; a check that raises is an error.

    Parameters
    ----------
    plan
        The plan whose rules are assessed (skipped rules are left out).
    context
        What the checks may read: the experiment's facts and the runs' results.

    Returns
    -------
    dict
        Rule id -> its finding (None: the outcome follows from the claims' verdicts).
    """
    registry = checks()
    out: dict[str, Finding | None] = {}
    for rule_plan in plan.rules:
        if rule_plan.skipped:
            continue
        rule = rule_plan.rule
        try:
            out[rule.id] = registry[rule.check].impl.assess(context, rule.params)
        except Exception as exc:  # a broken check must not lose the audit's runs
            out[rule.id] = Finding(
                outcome="error",
                reason=f"the check {rule.check!r} failed: {type(exc).__name__}: {exc}",
                evidence={"traceback": traceback.format_exc(limit=5)},
            )
    return out
