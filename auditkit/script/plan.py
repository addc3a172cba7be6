"""The script planner: which rules can read script runs, and the runs they need.

A script run is a whole training run of the user's script: it takes one seed, reports its
final metrics, and can be given perturbed copies of the declared data files or another
value of a setting the command exposes as a placeholder. A rule applies to a script when
its runs are of that kind; otherwise it is ``skipped`` with the reason, never silently.

With no claims (zero set-up) each check plans for each variant as if the variant were
compared with itself, so checks that plan per claim still plan the variant's runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from auditkit.checks import SCRIPT_KIND, PlanContext, checks, nominal_runs
from auditkit.plan import Plan, RulePlan
from auditkit.rulepack import RulePack
from auditkit.script.spec import ScriptSpec
from auditkit.types import Claim, Dataset, RunSpec, ScriptFacts, TrainConfig

#: checks that read only the nominal runs of a script, as they are
NOMINAL_CHECKS = frozenset({"seed_sweep", "seed_override"})
#: checks that read the declared data; skipped when the audit has none
DATA_CHECKS = frozenset(
    {"split_shift", "resplit", "duplicates", "data_provenance", "noise_ceiling", "class_imbalance"}
)
#: checks that cannot read a script's runs, and why
CANNOT = {
    "seed_sources": "a script takes one seed, so its initialisation and data-order seeds "
    "cannot be varied apart",
    "training_length": "it reads per-epoch training and dev curves, which a script run does "
    "not report",
}


def train_config(spec: ScriptSpec) -> TrainConfig:
    """The declared training settings a check may read (batch size, learning rate, epochs)."""
    settings = dict(spec.settings)
    values = {
        k: settings[k]
        for k in ("batch_size", "lr", "epochs")
        if isinstance(settings.get(k), int | float) and not isinstance(settings.get(k), bool)
    }
    try:
        return TrainConfig(**values)
    except (TypeError, ValueError):
        return TrainConfig()


def planning_claims(spec: ScriptSpec, metrics: Sequence[str]) -> tuple[Claim, ...]:
    """The declared claims; with none, one per variant compared with itself."""
    if spec.claims:
        return spec.claims
    metric = metrics[0] if metrics else "metric"
    return tuple(Claim(variant=v.name, baseline=v.name, metric=metric) for v in spec.variants)


def _unfit(
    check: str, runs: Sequence[RunSpec], evaluations: Sequence[str], spec: ScriptSpec
) -> str | None:
    """Why runs planned by ``check`` cannot be script runs, or None when they can."""
    if evaluations:
        return (
            f"check {check!r} re-evaluates the trained model under test-time perturbations "
            f"({', '.join(evaluations)}), and a script run returns only its final metrics"
        )
    placeholders = set(spec.template.placeholders())
    for run in runs:
        keys = [k for k, _ in run.overrides if k not in ("lr",) or "lr" in placeholders]
        missing = [k for k in keys if k not in placeholders]
        if missing:
            return (
                f"check {check!r} varies {', '.join(missing)}, and the command has no "
                f"{', '.join('{' + k + '}' for k in missing)} placeholder to pass it; add one "
                "(in an audit file) to run this rule"
            )
        if run.transform:
            from auditkit.script.fileperturb import parse_transform

            try:
                parse_transform(run.transform)
            except ValueError as exc:
                return f"check {check!r} perturbs the data in a way files cannot carry: {exc}"
    return None


def plan_script(
    spec: ScriptSpec,
    pack: RulePack,
    seeds: Sequence[int],
    *,
    facts: ScriptFacts,
    data: Dataset | None,
    metrics: Sequence[str],
) -> Plan:
    """Expand rules x claims x seeds into script runs, removing duplicates.

    Parameters
    ----------
    spec
        The script audit.
    pack
        The rule pack, already filtered by ``--only``/``--skip``.
    seeds
        Seeds per arm.
    facts
        What checks may know of the audit (data files, seed routes).
    data
        The declared (or discovered) data loaded as a dataset, None when there is none.
    metrics
        The metrics of the audit (declared, or found in the first run).

    Returns
    -------
    Plan
    """
    registry = checks()
    claims = planning_claims(spec, metrics)
    context = PlanContext(
        data=data if data is not None else empty_dataset(),
        baseline=spec.baseline,
        variants=tuple(v.name for v in spec.variants),
        seeds=tuple(seeds),
        train=train_config(spec),
        metrics=tuple(metrics),
        script=facts,
    )
    unique: dict[RunSpec, None] = {}
    for claim in claims:  # the nominal runs come first, whatever the rules
        unique.update(dict.fromkeys(nominal_runs(claim, seeds)))
    rule_plans: list[RulePlan] = []
    for rule in pack.rules:
        registered = registry[rule.check]
        skipped: str | None = None
        per_claim: dict[int, tuple[RunSpec, ...]] = {}
        if rule.check in CANNOT:
            skipped = f"check {rule.check!r} cannot read script runs: {CANNOT[rule.check]}"
        elif rule.check in DATA_CHECKS and data is None:
            skipped = (
                f"check {rule.check!r} reads the data files, and this audit has none it can "
                "parse: declare them under `data:` in an audit file (CSV or JSON lines with "
                "a label column), or let the script read them"
            )
        elif rule.check == "seed_sweep" and not spec.claims:
            skipped = (
                "no claims to test: the spread over seeds is under script-seeds; declare "
                "variants and claims in an audit file (auditkit check audit.yaml) to test a gain"
            )
        elif rule.check in NOMINAL_CHECKS:
            per_claim = {i: tuple(nominal_runs(c, seeds)) for i, c in enumerate(claims)}
        elif SCRIPT_KIND in registered.kinds or data is None or data.kind in registered.kinds:
            for index, claim in enumerate(claims):
                per_claim[index] = tuple(registered.impl.plan(claim, rule.params, context))
            evaluations = registered.impl.evaluations(rule.params)
            skipped = _unfit(
                rule.check, [r for rs in per_claim.values() for r in rs], evaluations, spec
            )
        else:
            skipped = (
                f"check {rule.check!r} supports {', '.join(sorted(registered.kinds))} data, "
                f"and this script's data is {data.kind}"
            )
        if skipped:
            rule_plans.append(RulePlan(rule=rule, runs={}, skipped=skipped))
            continue
        for runs in per_claim.values():
            unique.update(dict.fromkeys(runs))
        rule_plans.append(RulePlan(rule=rule, runs=per_claim))
    baseline = spec.baseline
    final = [dataclasses.replace(r, evaluations=()) for r in unique]
    order = sorted(
        dict.fromkeys(final),
        key=lambda r: (
            r.condition != "nominal",
            r.variant != baseline,
            r.condition,
            r.init_seed,
            r.variant,
        ),
    )
    return Plan(claims=spec.claims, seeds=tuple(seeds), runs=tuple(order), rules=tuple(rule_plans))


def empty_dataset() -> Dataset:
    """The dataset of a script audit without parseable data: no rows."""
    from auditkit.types import TokenDataset, TokenSplit

    empty = TokenSplit(ids=(), sequences=(), labels=())
    return TokenDataset(
        name="no data declared", train=empty, dev=empty, test=empty, metadata={"rows": 0}
    )
