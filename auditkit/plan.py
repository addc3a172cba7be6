"""The planner: claims x rules x seeds -> de-duplicated run specs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from auditkit.checks import SCRIPT_KIND, PlanContext, checks
from auditkit.conditions import Evaluation
from auditkit.errors import RulePackError
from auditkit.experiment import ExperimentSpec
from auditkit.perturb import test_time
from auditkit.rulepack import Rule, RulePack
from auditkit.types import Claim, RunSpec, TrainConfig, apply_overrides


@dataclass(frozen=True, slots=True, kw_only=True)
class RulePlan:
    """What one rule needs: its runs per claim, or why it is skipped."""

    rule: Rule
    #: claim index -> the runs the rule reads for that claim
    runs: Mapping[int, tuple[RunSpec, ...]]
    #: set when the rule cannot apply to this experiment
    skipped: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Every run an audit needs, each once, and which rule reads which runs."""

    claims: tuple[Claim, ...]
    seeds: tuple[int, ...]
    #: unique runs in a stable order (baseline first, then variants, by seed)
    runs: tuple[RunSpec, ...]
    rules: tuple[RulePlan, ...]


def _framework_skip(
    registered_frameworks: frozenset[str],
    rule: Rule,
    spec: ExperimentSpec,
    frameworks: Mapping[str, str | None],
) -> str | None:
    """Why the rule cannot apply to the claims' variants, or None when it can."""
    arms = dict.fromkeys(arm for c in spec.claims for arm in (c.baseline, c.variant))
    unfit = [a for a in arms if (frameworks.get(a) or "torch") not in registered_frameworks]
    if not unfit:
        return None
    kinds = sorted({frameworks.get(a) or "torch" for a in unfit})
    one = len(unfit) == 1
    if kinds == ["sklearn"]:
        what = (
            "a scikit-learn estimator, which has" if one else "scikit-learn estimators, which have"
        )
    else:
        models = f"{'/'.join(kinds)} model{'' if one else 's'}"
        what = f"a {models}, which has" if one else f"{models}, which have"
    return (
        f"check {rule.check!r} applies to {', '.join(sorted(registered_frameworks))} models "
        f"(it needs a batch size or training curves), and {', '.join(unfit)} "
        f"{'is' if one else 'are'} {what} none"
    )


def _kind_skip(kinds: frozenset[str], rule: Rule, spec: ExperimentSpec) -> str | None:
    """Why the rule's check cannot read this experiment's kind of data, or None."""
    if spec.data.kind in kinds:
        return None
    if kinds == {SCRIPT_KIND}:
        return (
            f"check {rule.check!r} reads script runs (auditkit check -- CMD), and this "
            "audit trains a model file"
        )
    return (
        f"check {rule.check!r} supports {', '.join(sorted(kinds))} "
        f"data, and this experiment's data is {spec.data.kind}"
    )


def _check_overrides(rule: Rule, runs: Sequence[RunSpec], train: TrainConfig) -> None:
    """Raise before any training when a rule plans a run whose overrides cannot apply.

    Raises
    ------
    RulePackError
        An override key ``TrainConfig`` does not have, or a value it rejects.
    """
    for run in runs:
        try:
            apply_overrides(train, run.overrides)
        except ValueError as exc:
            where = f"{rule.origin}: " if rule.origin else ""
            raise RulePackError(
                f"{where}rule {rule.id} {rule.name} (check {rule.check!r}) plans a run with the "
                f"training overrides {dict(run.overrides)}: {exc}. Fix the rule's params, or "
                "the check's plan() if it is your own",
                slug="bad-override",
            ) from None


def _ordered(
    unique: Iterable[RunSpec], evaluations: Iterable[Evaluation], baseline: str
) -> list[RunSpec]:
    """The runs in plan order, each nominal run carrying every test-time evaluation."""
    # Test-time perturbations re-evaluate the nominal models instead of retraining: every
    # nominal run carries the union of what the rules ask for.
    merged = tuple(sorted(evaluations, key=str))
    final = [
        dataclasses.replace(r, evaluations=merged)
        if r.condition.is_nominal and not r.transform and not r.overrides
        else r
        for r in unique
    ]
    # Baseline runs first: they are shared by every claim, so an interrupted audit has
    # the most reusable work done.
    order = sorted(
        dict.fromkeys(final),
        key=lambda r: (
            r.variant != baseline,
            not r.condition.is_nominal,
            str(r.condition),
            r.init_seed,
            r.order_seed,
            r.variant,
        ),
    )
    return order


def build_plan(
    spec: ExperimentSpec,
    pack: RulePack,
    seeds: Sequence[int],
    frameworks: Mapping[str, str | None] | None = None,
) -> Plan:
    """Expand claims x rules x seeds into run specs, removing duplicates.

    The nominal seed runs of the baseline serve every claim and every rule that reads
    them, so a run shared by several claims is trained once.

    Parameters
    ----------
    spec
        The loaded experiment.
    pack
        The rule pack, already filtered by ``--only``/``--skip``.
    seeds
        Seeds per arm; every arm of every claim uses the same ones (paired design).
    frameworks
        Variant name -> ``"torch"`` or ``"sklearn"`` (what its builder returns; None
        when unknown, taken as torch). Rules whose check does not apply to a claim's
        framework are skipped with the reason.

    Returns
    -------
    Plan
    """
    registry = checks()
    context = PlanContext(
        data=spec.data,
        baseline=spec.baseline,
        variants=tuple(spec.variants),
        seeds=tuple(seeds),
        train=spec.train,
        metrics=spec.metrics,
        design=spec.design,
    )
    unique: dict[RunSpec, None] = {}
    evaluations: set[Evaluation] = set()
    rule_plans: list[RulePlan] = []
    for rule in pack.rules:
        registered = registry[rule.check]
        why = _kind_skip(registered.kinds, rule, spec) or _framework_skip(
            registered.frameworks, rule, spec, frameworks or {}
        )
        if why is not None:
            rule_plans.append(RulePlan(rule=rule, runs={}, skipped=why))
            continue
        per_claim: dict[int, tuple[RunSpec, ...]] = {}
        for index, claim in enumerate(spec.claims):
            runs = tuple(registered.impl.plan(claim, rule.params, context))
            _check_overrides(rule, runs, spec.train)
            per_claim[index] = runs
            unique.update(dict.fromkeys(runs))
        # a probe that does not exist for this kind of data (token permutations on
        # images) is left out; the check then reads no drop for it
        available = test_time(spec.data.kind)
        asked = [Evaluation.parse(e) for e in registered.impl.evaluations(rule.params)]
        evaluations.update(e for e in asked if e.perturbation in available)
        rule_plans.append(RulePlan(rule=rule, runs=per_claim))
    order = _ordered(unique, evaluations, spec.baseline)
    return Plan(claims=spec.claims, seeds=tuple(seeds), runs=tuple(order), rules=tuple(rule_plans))
