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
from collections.abc import Mapping, Sequence

from auditkit.checks import SCRIPT_KIND, PlanContext, checks, nominal_runs
from auditkit.plan import Plan, RulePlan
from auditkit.rulepack import RulePack
from auditkit.script.spec import ScriptSpec
from auditkit.types import Claim, Dataset, RunResult, RunSpec, ScriptFacts, TrainConfig

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


#: condition of a run that stands in for a test-time evaluation: retrained on the same
#: seed with only its test file perturbed
EVALUATION_PREFIX = "test-time:"


def evaluation_runs(
    nominal: Sequence[RunSpec], evaluations: Sequence[str]
) -> tuple[list[RunSpec], list[str]]:
    """Script runs standing in for test-time evaluations of the nominal runs.

    A script cannot re-evaluate its trained model, so each evaluation becomes a run on the
    same seed whose test file alone is perturbed; ``fold_evaluations`` hands its metrics
    to the nominal run as ``perturbed_metrics[evaluation]``.

    Returns
    -------
    tuple
        The runs, and the evaluations that have no file form (left out).
    """
    from auditkit.script.fileperturb import parse_transform

    runs: list[RunSpec] = []
    dropped: list[str] = []
    for evaluation in evaluations:
        try:
            transform = parse_transform(evaluation, test_only=True).name
        except ValueError:
            dropped.append(evaluation)
            continue
        runs += [
            RunSpec(
                variant=r.variant,
                init_seed=r.init_seed,
                order_seed=r.order_seed,
                condition=f"{EVALUATION_PREFIX}{evaluation}",
                transform=transform,
            )
            for r in nominal
            if r.condition == "nominal" and not r.transform and not r.overrides
        ]
    return runs, dropped


def fold_evaluations(results: Mapping[RunSpec, RunResult]) -> dict[RunSpec, RunResult]:
    """Hand each test-time run's metrics to its nominal run, as the checks read them."""
    by_key = {(s.variant, s.init_seed, s.condition): r for s, r in results.items()}
    out: dict[RunSpec, RunResult] = {}
    for spec, result in results.items():
        if spec.condition != "nominal" or not result.ok:
            out[spec] = result
            continue
        metrics = dict(result.perturbed_metrics)
        predictions = dict(result.perturbed_predictions)
        for (variant, seed, condition), other in by_key.items():
            if variant != spec.variant or seed != spec.init_seed or not other.ok:
                continue
            if condition.startswith(EVALUATION_PREFIX):
                name = condition.removeprefix(EVALUATION_PREFIX)
                metrics[name] = dict(other.test_metrics)
                if other.test_predictions:
                    predictions[name] = other.test_predictions
        out[spec] = dataclasses.replace(
            result, perturbed_metrics=metrics, perturbed_predictions=predictions
        )
    return out


def _unfit(check: str, runs: Sequence[RunSpec], spec: ScriptSpec) -> str | None:
    """Why runs planned by ``check`` cannot be script runs, or None when they can."""
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
            evaluations = registered.impl.evaluations(rule.params)
            dropped: list[str] = []
            for index, claim in enumerate(claims):
                planned = list(registered.impl.plan(claim, rule.params, context))
                extra, dropped = evaluation_runs(planned, evaluations)
                per_claim[index] = (*planned, *extra)
            skipped = _unfit(rule.check, [r for rs in per_claim.values() for r in rs], spec)
            if evaluations and len(dropped) == len(evaluations):
                skipped = (
                    f"check {rule.check!r} re-evaluates the trained model under test-time "
                    f"perturbations ({', '.join(evaluations)}) that have no file form for a "
                    "script's data"
                )
            elif evaluations and data is None:
                skipped = (
                    f"check {rule.check!r} perturbs the test file, and this audit has no data "
                    "file it can parse: declare them under `data:` in an audit file"
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
