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
import re
from collections.abc import Collection, Mapping, Sequence

from auditkit.checks import SCRIPT_KIND, PlanContext, checks, nominal_runs
from auditkit.conditions import Condition, Transform
from auditkit.perturb import evaluation_split
from auditkit.plan import Plan, RulePlan
from auditkit.rulepack import Rule, RulePack
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


#: a split word in a metric's name: ``test_acc``, ``acc-test``, ``Test Accuracy``
_TEST_WORD = re.compile(r"(?<![a-z])test(?![a-z])", re.IGNORECASE)
#: what a script calls its dev split in a metric's name, most usual first
_DEV_WORDS = ("dev", "val", "valid", "validation")


def dev_twin(metric: str, reported: Collection[str]) -> str | None:
    """The name under which a script reports ``metric`` on its dev split, or None.

    ``"test_acc"`` -> ``"dev_acc"`` (or ``"val_acc"``, ...) when the script reports it; a
    name without a ``test`` word (``"acc"``) has no twin: which split it is read on is
    unknown.
    """
    if not _TEST_WORD.search(metric):
        return None
    for word in _DEV_WORDS:
        for spelt in (word, word.capitalize(), word.upper()):  # as the script spells test
            name = _TEST_WORD.sub(spelt, metric)
            if name in reported:
                return name
    return None


def evaluation_runs(
    nominal: Sequence[RunSpec], evaluations: Sequence[str], *, dev: bool = True
) -> tuple[list[RunSpec], list[str]]:
    """Script runs standing in for test-time evaluations of the nominal runs.

    A script cannot re-evaluate its trained model, so each evaluation becomes a run on the
    same seed whose test file alone is perturbed (for an ``"...@dev"`` evaluation its dev
    file alone); ``fold_evaluations`` hands its metrics to the nominal run as
    ``perturbed_metrics[evaluation]``.

    Parameters
    ----------
    nominal
        The runs a check planned; those at the nominal setting get evaluation runs.
    evaluations
        The check's test-time evaluations.
    dev
        False when the script reports no dev metric (or has no dev file): the
        ``"...@dev"`` evaluations could measure nothing, so they are left out.

    Returns
    -------
    tuple
        The runs, and the evaluations left out (no file form, or a dev probe where
        ``dev`` is False).
    """
    from auditkit.script.fileperturb import parse_transform

    runs: list[RunSpec] = []
    dropped: list[str] = []
    for evaluation in evaluations:
        if not dev and evaluation_split(evaluation)[1] == "dev":
            dropped.append(evaluation)
            continue
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
                condition=Condition.parse(f"{EVALUATION_PREFIX}{evaluation}"),
                transform=Transform.parse(transform),
            )
            for r in nominal
            if r.condition.is_nominal and not r.transform and not r.overrides
        ]
    return runs, dropped


def _dev_values(metrics: Mapping[str, float | None]) -> dict[str, float | None]:
    """Each test metric's dev value, keyed by the test metric's name (``test_acc``)."""
    return {m: metrics[t] for m in metrics if (t := dev_twin(m, metrics)) is not None}


def fold_evaluations(results: Mapping[RunSpec, RunResult]) -> dict[RunSpec, RunResult]:
    """Hand each test-time run's metrics to its nominal run, as the checks read them.

    Every nominal run gets the dev twins of its test metrics as ``dev_metrics`` (its
    ``dev_acc`` as ``test_acc``), whatever rules ran, so checks read a script's dev score
    as a model file's; a dev evaluation's run (``"permute_color@dev"``) hands over its dev
    twins the same way. A script that reports no dev metric gives the dev evaluation
    nothing (no entry).
    """
    by_key = {(s.variant, s.init_seed, str(s.condition)): r for s, r in results.items()}
    out: dict[RunSpec, RunResult] = {}
    for spec, result in results.items():
        if not spec.condition.is_nominal or not result.ok:
            out[spec] = result
            continue
        metrics = dict(result.perturbed_metrics)
        predictions = dict(result.perturbed_predictions)
        dev_metrics = dict(result.dev_metrics) or _dev_values(result.test_metrics)
        for (variant, seed, condition), other in by_key.items():
            if variant != spec.variant or seed != spec.init_seed or not other.ok:
                continue
            if not condition.startswith(EVALUATION_PREFIX):
                continue
            name = condition.removeprefix(EVALUATION_PREFIX)
            if evaluation_split(name)[1] == "dev":
                values = _dev_values(other.test_metrics)
                if values:  # the run's predictions are of test rows: none handed over
                    metrics[name] = values
                continue
            metrics[name] = dict(other.test_metrics)
            if other.test_predictions:
                predictions[name] = other.test_predictions
        out[spec] = dataclasses.replace(
            result,
            perturbed_metrics=metrics,
            perturbed_predictions=predictions,
            dev_metrics=dev_metrics,
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
                parse_transform(str(run.transform))
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
    # a dev probe measures a drop of the script's dev metric: only where it reports one
    # (``dev_acc`` beside ``test_acc``) and has a dev file to perturb
    dev = (
        data is not None
        and len(data.dev) > 0
        and any(dev_twin(m, metrics) is not None for m in metrics)
    )
    unique: dict[RunSpec, None] = {}
    for claim in claims:  # the nominal runs come first, whatever the rules
        unique.update(dict.fromkeys(nominal_runs(claim, seeds)))
    rule_plans: list[RulePlan] = []
    for rule in pack.rules:
        per_claim, skipped = _plan_rule(rule, claims, seeds, context, spec, data, dev)
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
            not r.condition.is_nominal,
            r.variant != baseline,
            str(r.condition),
            r.init_seed,
            r.variant,
        ),
    )
    return Plan(claims=spec.claims, seeds=tuple(seeds), runs=tuple(order), rules=tuple(rule_plans))


def _plan_rule(
    rule: Rule,
    claims: Sequence[Claim],
    seeds: Sequence[int],
    context: PlanContext,
    spec: ScriptSpec,
    data: Dataset | None,
    dev: bool,
) -> tuple[dict[int, tuple[RunSpec, ...]], str | None]:
    """One rule's runs per claim index, or why it is skipped for this script audit.

    ``dev``: the script reports a dev metric and has a dev file, so dev probes can run.
    """
    registered = checks()[rule.check]
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
            extra, dropped = evaluation_runs(planned, evaluations, dev=dev)
            per_claim[index] = (*planned, *extra)
        skipped = _unfit(rule.check, [r for rs in per_claim.values() for r in rs], spec)
        tested = [e for e in evaluations if evaluation_split(e)[1] == "test"]
        if tested and all(e in dropped for e in tested):
            skipped = (
                f"check {rule.check!r} re-evaluates the trained model under test-time "
                f"perturbations ({', '.join(tested)}) that have no file form for a "
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
    return per_claim, skipped


def empty_dataset() -> Dataset:
    """The dataset of a script audit without parseable data: no rows."""
    from auditkit.types import TokenDataset, TokenSplit

    empty = TokenSplit(ids=(), sequences=(), labels=())
    return TokenDataset(
        name="no data declared", train=empty, dev=empty, test=empty, metadata={"rows": 0}
    )
