"""Seed checks: the claim over seeds, which seed source moves it, and seeds that do nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from auditkit.checks import AssessContext, CheckBase, PlanContext, interval, pts, register
from auditkit.conditions import Condition
from auditkit.types import DATA_KINDS, Claim, ConditionEvidence, Finding, RunSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedSweepParams:
    """Parameters of ``seed_sweep``."""

    #: which seed varies between runs: ``both`` sets init and data-order seed to the same value
    vary: Literal["both"] = "both"

    def __post_init__(self) -> None:
        if self.vary != "both":
            raise ValueError(f"vary={self.vary!r} must be 'both'")


@register("seed_sweep", params=SeedSweepParams, kinds=DATA_KINDS, family="seed")
class SeedSweep(CheckBase):
    """Retrain baseline and variant once per seed; the pairs share every seed."""

    def assess(self, ctx: AssessContext, params: SeedSweepParams) -> Finding | None:
        """The outcome follows from the claims' verdicts (see ``verdict.seed_rule_outcome``)."""
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedSourcesParams:
    """Parameters of ``seed_sources``."""

    #: the seed held fixed while the other one varies
    fixed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.fixed, int) or isinstance(self.fixed, bool) or self.fixed < 0:
            raise ValueError(f"fixed={self.fixed!r} must be an integer >= 0")


@register("seed_sources", params=SeedSourcesParams, kinds=DATA_KINDS, family="seed")
class SeedSources(CheckBase):
    """Vary the initialisation seed and the data-order seed one at a time."""

    def plan(self, claim: Claim, params: SeedSourcesParams, ctx: PlanContext) -> list[RunSpec]:
        """Both arms with only init varied, and with only the data order varied."""
        runs = []
        for arm in (claim.baseline, claim.variant):
            for seed in ctx.seeds:
                runs.append(
                    RunSpec(
                        variant=arm,
                        init_seed=seed,
                        order_seed=params.fixed,
                        condition=Condition("init-only"),
                    )
                )
                runs.append(
                    RunSpec(
                        variant=arm,
                        init_seed=params.fixed,
                        order_seed=seed,
                        condition=Condition("order-only"),
                    )
                )
        return runs

    def assess(self, ctx: AssessContext, params: SeedSourcesParams) -> Finding:
        """The claim's gain with each seed source alone, as two perturbed conditions."""
        conditions: dict[int, tuple[ConditionEvidence, ...]] = {}
        evidence: dict[str, str] = {}
        broken: list[str] = []
        for index, claim in enumerate(ctx.claims):
            rows = []
            for condition, label, which in (
                ("init-only", "init seed only", "init"),
                ("order-only", "data-order seed only", "order"),
            ):
                gains = []
                for seed in ctx.seeds:
                    key_i, key_o = (seed, params.fixed) if which == "init" else (params.fixed, seed)
                    base = ctx.run(claim.baseline, key_i, condition, key_o)
                    var = ctx.run(claim.variant, key_i, condition, key_o)
                    if base is None or var is None or not (base.ok and var.ok):
                        continue
                    b, v = base.test_metrics.get(claim.metric), var.test_metrics.get(claim.metric)
                    if b is None or v is None:
                        continue
                    sign = 1.0 if claim.direction.value == "increase" else -1.0
                    gains.append(sign * (float(v) - float(b)))
                rows.append(
                    ConditionEvidence(
                        condition=Condition.parse(label),
                        rule_id="",
                        family="seed",
                        gains=tuple(gains),
                    )
                )
                found = interval(gains, ctx.confidence)
                if found:
                    mean, low, high = found
                    evidence[f"{claim.label}, {label}"] = f"{pts(mean)} [{pts(low)}, {pts(high)}]"
            conditions[index] = tuple(rows)
            for row in rows:
                status = ctx.classify(row.gains)
                if status.status in ("reversed", "vanished") and status.mean is not None:
                    verb = "reverses" if status.status == "reversed" else "vanishes"
                    broken.append(
                        f"{claim.label} {verb} with the {row.condition} varied ({pts(status.mean)})"
                    )
        if broken:
            return Finding(
                outcome="fail",
                reason="; ".join(broken) + ": the gain rests on a lucky draw of the other seed.",
                evidence=evidence,
                conditions=conditions,
            )
        return Finding(
            outcome="pass",
            reason="the gain of every claim survives varying the init seed alone and the "
            "data-order seed alone.",
            evidence=evidence,
            conditions=conditions,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedOverrideParams:
    """Parameters of ``seed_override``."""

    #: init seeds of the probe runs, trained with the data-order seed fixed at 0
    probe_seeds: tuple[int, ...] = (0, 1)

    def __post_init__(self) -> None:
        seeds = tuple(self.probe_seeds)
        if len(set(seeds)) < 2 or not all(isinstance(x, int) and x >= 0 for x in seeds):
            raise ValueError(
                f"probe_seeds={list(seeds)!r} must list at least 2 distinct seeds >= 0"
            )
        object.__setattr__(self, "probe_seeds", seeds)


@register("seed_override", params=SeedOverrideParams, kinds=DATA_KINDS, family="seed")
class SeedOverride(CheckBase):
    """Flag variants whose seeds change nothing: the model file overrides the seed."""

    def plan(self, claim: Claim, params: SeedOverrideParams, ctx: PlanContext) -> list[RunSpec]:
        """The nominal runs, plus probe runs that vary the init seed alone.

        The probes are the ``init-only`` runs of ``seed_sources`` (data order fixed at 0),
        so the two rules share them.
        """
        probes = [
            RunSpec(variant=arm, init_seed=seed, order_seed=0, condition=Condition("init-only"))
            for arm in (claim.baseline, claim.variant)
            for seed in params.probe_seeds
        ]
        return [*super().plan(claim, params, ctx), *probes]

    def assess(self, ctx: AssessContext, params: SeedOverrideParams) -> Finding:
        """Compare the test predictions of runs that differ only in their seeds."""
        if ctx.script is not None:
            return _script_override(ctx)
        broken: dict[str, str] = {}
        evidence = {}
        for variant in ctx.variants:
            nominal = ctx.predictions(variant)
            probes = {}
            for seed in params.probe_seeds:
                run = ctx.run(variant, seed, "init-only", 0)
                if run is not None and run.ok:
                    probes[seed] = run.test_predictions
            if len(nominal) < 2 and len(probes) < 2:
                continue
            distinct = len(set(nominal.values()))
            distinct_init = len(set(probes.values()))
            evidence[variant] = (
                f"{distinct} distinct prediction vectors over {len(nominal)} seeds; "
                f"{distinct_init} over {len(probes)} init seeds with the data order fixed"
            )
            estimator = ctx.frameworks.get(variant) == "sklearn"
            if nominal and all(tuple(p) == ctx.test_labels(s) for s, p in nominal.items()):
                # every seed predicts every test row correctly: identical predictions are
                # what a solved task gives, whatever reaches the training
                evidence[variant] += "; every seed predicts every test row correctly"
                continue
            if len(nominal) >= 2 and distinct == 1:
                broken[variant] = f"its {len(nominal)} seeds give identical predictions" + (
                    " (a deterministic estimator on one fixed split gives one result however "
                    "it is seeded: audit it with design=ak.CrossValidation(...) so that the "
                    "split varies)"
                    if estimator
                    else ""
                )
            elif len(probes) >= 2 and distinct_init == 1 and estimator:
                # a deterministic estimator (lbfgs logistic regression, say) has nothing
                # random to initialise: its spread comes from the data seed alone
                evidence[variant] += (
                    "; a deterministic estimator: the init seed changes nothing, by design"
                )
            elif len(probes) >= 2 and distinct_init == 1:
                broken[variant] = (
                    f"init seeds {', '.join(map(str, probes))} give identical predictions, so "
                    "the initialisation ignores the seed (the model file re-seeds itself)"
                )
        if not broken:
            return Finding(
                outcome="pass",
                reason="every variant's seeds change its predictions, so the seeds reach the "
                "training.",
                evidence=evidence,
            )
        text = "; ".join(f"{v}: {why}" for v, why in broken.items())
        # each claim names only its own arms' problem, not another variant's
        invalid = {
            i: (
                "; ".join(f"{v}: {broken[v]}" for v in (c.baseline, c.variant) if v in broken)
                + ", so the seeds are not independent runs",
            )
            for i, c in enumerate(ctx.claims)
            if c.variant in broken or c.baseline in broken
        }
        return Finding(
            outcome="fail",
            reason=f"{text}; the claimed seed-to-seed spread is not real.",
            evidence=evidence,
            invalid=invalid,
        )


def _script_override(ctx: AssessContext) -> Finding:
    """Script runs: seeds whose metrics (and predictions, if written) are bit-identical.

    A script run reports final metrics, not always predictions, and takes one seed, so
    the nominal runs are compared as wholes.
    """
    broken: dict[str, str] = {}
    evidence: dict[str, str] = {}
    for variant in ctx.variants:
        runs = {}
        for seed in ctx.seeds:
            run = ctx.run(variant, seed)
            if run is not None and run.ok:
                runs[seed] = (tuple(sorted(run.test_metrics.items())), run.test_predictions)
        if len(runs) < 2:
            continue
        distinct = len(set(runs.values()))
        evidence[variant] = f"{distinct} distinct results over {len(runs)} seeds"
        if distinct == 1:
            shown = ", ".join(f"{k}={v}" for k, v in next(iter(runs.values()))[0])
            broken[variant] = f"its {len(runs)} seeds give bit-identical metrics ({shown})"
    if not broken:
        return Finding(
            outcome="pass",
            reason="every variant's seeds change its metrics, so the seeds reach the script's "
            "training.",
            evidence=evidence,
        )
    text = "; ".join(f"{v}: {why}" for v, why in broken.items())
    invalid = {
        i: (f"{text}, so the seeds are not independent runs",)
        for i, c in enumerate(ctx.claims)
        if c.variant in broken or c.baseline in broken
    }
    return Finding(
        outcome="fail",
        reason=f"{text}: the seed does not reach the script's training (it seeds itself with "
        "a constant, see AK104, or runs nothing random), so the spread over seeds is not real.",
        evidence=evidence,
        invalid=invalid,
    )
