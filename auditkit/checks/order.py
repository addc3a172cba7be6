"""Order and shortcut checks: token order reliance and factor (shape/colour) isolation.

Both compare a model's score on perturbed inputs with its score on the originals. What a
drop means depends on the task: a perturbation that removes information the labelling
rule reads *should* hurt (shuffling an order-dependent rule), while one that removes
information the rule ignores *should not* (masking colour under a shape-only rule). Only
the second kind can make a claim FRAGILE: a gain that vanishes when an irrelevant cue is
removed came from that cue. The rule's factors and order dependence come from the data's
metadata when the generator made it; for other data both are unknown, and the checks
report reliance without judging it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.checks import (
    AssessContext,
    CheckBase,
    PlanContext,
    interval,
    nominal_runs,
    pts,
    register,
)
from auditkit.metrics import accuracy_metric
from auditkit.types import Claim, ConditionEvidence, Finding, RunSpec

ORDER_MODES = ("shuffle_test", "reverse_test", "shuffle_train_test")
FACTOR_MODES = (
    "mask_color_test",
    "mask_shape_test",
    "color_shift_test",
    "mask_color_train_test",
    "mask_shape_train_test",
)


def default_metric(metrics: Sequence[str]) -> str:
    """The metric reliance is measured on when no claim names one: the accuracy.

    A script names its accuracy its own way (``test_acc``); a model file's is ``accuracy``.
    """
    return accuracy_metric(metrics) or (metrics[0] if metrics else "accuracy")


def _rule_facts(ctx: AssessContext) -> tuple[frozenset[str] | None, bool | None]:
    """Factors the labelling rule reads, and whether it depends on order; None if unknown."""
    rule = ctx.data.metadata.get("rule")
    if not isinstance(rule, dict):
        return None, None
    factors = rule.get("factors")
    order = rule.get("order_dependent")
    return (
        frozenset(factors) if isinstance(factors, list) else None,
        bool(order) if isinstance(order, bool) else None,
    )


def _check_modes(modes: Sequence[str], allowed: tuple[str, ...]) -> tuple[str, ...]:
    out = tuple(modes)
    unknown = [m for m in out if m not in allowed]
    if unknown or not out:
        raise ValueError(f"modes={list(out)!r} must be a non-empty list of {', '.join(allowed)}")
    return out


def _reliance(
    ctx: AssessContext, metric: str, evaluation: str, factor: str, min_drop: float
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per variant: the metric's drop under a test-time perturbation, and evidence strings."""
    rows: dict[str, dict[str, Any]] = {}
    evidence: dict[str, str] = {}
    for variant in ctx.variants:
        drops = ctx.drop(variant, metric, evaluation)
        found = interval(drops, ctx.confidence)
        if found is None:
            continue
        mean, low, high = found
        rows[variant] = {
            "variant": variant,
            "factor": factor,
            "metric": metric,
            "drop_mean": mean,
            "low": low,
            "high": high,
            "relies": low > min_drop,
            "blind": abs(mean) < min_drop and high < 2 * min_drop,
        }
        evidence[f"{variant}: {metric} drop, {evaluation}"] = (
            f"{pts(mean)} [{pts(low)}, {pts(high)}]"
        )
    return rows, evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenOrderParams:
    """Parameters of ``token_order``."""

    #: shuffle_test, reverse_test (re-evaluate), shuffle_train_test (retrain on shuffled data)
    modes: tuple[str, ...] = ("shuffle_test", "reverse_test")
    #: a drop below this (metric units) counts as "no reliance on order"
    min_drop: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", _check_modes(self.modes, ORDER_MODES))
        if not isinstance(self.min_drop, int | float) or self.min_drop <= 0:
            raise ValueError(f"min_drop={self.min_drop!r} must be a number > 0")


@register("token_order", params=TokenOrderParams, family="token order")
class TokenOrder(CheckBase):
    """Shuffle or reverse the tokens and measure how much each model relies on order."""

    def evaluations(self, params: TokenOrderParams) -> tuple[str, ...]:
        """Re-evaluate the nominal models on shuffled and reversed test tokens."""
        return tuple(
            {"shuffle_test": "shuffle", "reverse_test": "reverse"}[m]
            for m in params.modes
            if m != "shuffle_train_test"
        )

    def plan(self, claim: Claim, params: TokenOrderParams, ctx: PlanContext) -> list[RunSpec]:
        """Nominal runs, and runs retrained on shuffled data for ``shuffle_train_test``."""
        runs = nominal_runs(claim, ctx.seeds)
        if "shuffle_train_test" in params.modes:
            runs += [
                RunSpec(
                    variant=arm,
                    init_seed=s,
                    order_seed=s,
                    condition="shuffle_train_test",
                    transform="shuffle",
                )
                for arm in (claim.baseline, claim.variant)
                for s in ctx.seeds
            ]
        return runs

    def assess(self, ctx: AssessContext, params: TokenOrderParams) -> Finding:
        """Order reliance per variant; on an order-free rule, the claim must survive shuffling."""
        _, order_dependent = _rule_facts(ctx)
        metric = ctx.claims[0].metric if ctx.claims else default_metric(ctx.metrics)
        evidence: dict[str, str] = {}
        rows: dict[str, dict[str, Any]] = {}
        for evaluation in self.evaluations(params):
            found, ev = _reliance(ctx, metric, evaluation, "order", params.min_drop)
            evidence.update(ev)
            if evaluation == "shuffle":
                rows = found
        conditions: dict[int, tuple[ConditionEvidence, ...]] = {}
        for index, claim in enumerate(ctx.claims):
            items = []
            for evaluation, name in (
                ("shuffle", "tokens shuffled at test"),
                ("reverse", "tokens reversed at test"),
            ):
                if evaluation in self.evaluations(params):
                    items.append(
                        ctx.condition(claim, name, "", "token order", evaluation=evaluation)
                    )
            if "shuffle_train_test" in params.modes:
                items.append(
                    ctx.condition(
                        claim,
                        "tokens shuffled in every split",
                        "",
                        "token order",
                        condition="shuffle_train_test",
                    )
                )
            for item in items:
                gain = interval(item.gains, ctx.confidence)
                if gain:
                    evidence[f"{claim.label}, {item.condition}"] = (
                        f"gain {pts(gain[0])} [{pts(gain[1])}, {pts(gain[2])}]"
                    )
            # Only on an order-free rule is shuffling an invariance the gain must survive.
            if order_dependent is False:
                conditions[index] = tuple(items)
        reliance = tuple(
            {k: v for k, v in r.items() if k not in ("relies", "blind")} for r in rows.values()
        )
        blind = [v for v, r in rows.items() if r["blind"]]
        relying = [v for v, r in rows.items() if r["relies"]]
        if order_dependent is True and blind:
            return Finding(
                outcome="fail",
                reason=f"{', '.join(blind)} score the same with shuffled tokens ({metric} drop "
                f"{'; '.join(pts(rows[v]['drop_mean']) for v in blind)}), yet the labelling "
                "rule depends on order: these models are order-blind.",
                evidence=evidence,
                conditions=conditions,
                reliance=reliance,
            )
        if order_dependent is False and relying:
            return Finding(
                outcome="warn",
                reason=f"{', '.join(relying)} lose {metric} when tokens are shuffled although the "
                "labelling rule ignores order: they lean on positional cues.",
                evidence=evidence,
                conditions=conditions,
                reliance=reliance,
            )
        known = (
            ""
            if order_dependent is not None
            else " (the data does not say whether its labels depend on order)"
        )
        return Finding(
            outcome="pass",
            reason=f"order reliance measured for {len(rows)} variant(s){known}: "
            + "; ".join(f"{v} {pts(r['drop_mean'])}" for v, r in rows.items())
            + ".",
            evidence=evidence,
            conditions=conditions,
            reliance=reliance,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FactorIsolationParams:
    """Parameters of ``factor_isolation``."""

    #: which factor to mask, at test time only or in every split (retrain)
    modes: tuple[str, ...] = ("mask_color_test", "mask_shape_test")
    #: a drop above this (metric units, interval above it) counts as reliance
    min_drop: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", _check_modes(self.modes, FACTOR_MODES))
        if not isinstance(self.min_drop, int | float) or self.min_drop <= 0:
            raise ValueError(f"min_drop={self.min_drop!r} must be a number > 0")


def _factor_of(mode: str) -> str:
    return "color" if "color" in mode else "shape"


def _evaluation_of(mode: str) -> str:
    """The test-time perturbation of a ``*_test`` mode: ``mask_color_test`` -> ``mask_color``."""
    return mode.removesuffix("_test")


#: how each test-time perturbation is named in conditions
_DESCRIBE = {
    "mask_color": "color masked at test",
    "mask_shape": "shape masked at test",
    "color_shift": "colors shifted at test",
}


@register(
    "factor_isolation",
    params=FactorIsolationParams,
    kinds=("tokens", "images"),
    family="factor isolation",
)
class FactorIsolation(CheckBase):
    """Mask colour or shape and measure each model's reliance on it.

    For tokens, masking drops the colour letters or gives every token one shape; for
    images it turns them grayscale or shuffles their tiles (``auditkit.perturb``), and
    ``color_shift_test`` permutes the colours instead of removing them.
    """

    def evaluations(self, params: FactorIsolationParams) -> tuple[str, ...]:
        """Re-evaluate the nominal models with a factor masked (or shifted) in the test inputs."""
        return tuple(_evaluation_of(m) for m in params.modes if "train_test" not in m)

    def plan(self, claim: Claim, params: FactorIsolationParams, ctx: PlanContext) -> list[RunSpec]:
        """Nominal runs, and runs retrained without the factor for the ``*_train_test`` modes."""
        runs = nominal_runs(claim, ctx.seeds)
        for mode in params.modes:
            if "train_test" in mode:
                factor = _factor_of(mode)
                runs += [
                    RunSpec(
                        variant=arm,
                        init_seed=s,
                        order_seed=s,
                        condition=mode,
                        transform=f"mask_{factor}",
                    )
                    for arm in (claim.baseline, claim.variant)
                    for s in ctx.seeds
                ]
        return runs

    def assess(self, ctx: AssessContext, params: FactorIsolationParams) -> Finding:
        """Reliance per factor; a claim must survive masking a factor the rule never reads."""
        rule_factors, _ = _rule_facts(ctx)
        metric = ctx.claims[0].metric if ctx.claims else default_metric(ctx.metrics)
        evidence: dict[str, str] = {}
        reliance: list[dict[str, Any]] = []
        shortcuts: list[str] = []
        for evaluation in self.evaluations(params):
            factor = _factor_of(evaluation)
            rows, ev = _reliance(ctx, metric, evaluation, factor, params.min_drop)
            evidence.update(ev)
            shifted = evaluation == "color_shift"
            for variant, row in rows.items():
                shown = {k: v for k, v in row.items() if k not in ("relies", "blind")}
                # a shifted colour is still the colour factor, but another measurement
                reliance.append({**shown, "factor": f"{factor} (shifted)"} if shifted else shown)
                if rule_factors is not None and factor not in rule_factors and row["relies"]:
                    how = f"with its {factor}s shifted" if shifted else f"without {factor}"
                    shortcuts.append(
                        f"{variant} loses {pts(row['drop_mean'])} {metric} {how} "
                        f"(interval {pts(row['low'])} to {pts(row['high'])})"
                    )
        conditions: dict[int, tuple[ConditionEvidence, ...]] = {}
        for index, claim in enumerate(ctx.claims):
            items = []
            for mode in params.modes:
                factor = _factor_of(mode)
                if "train_test" in mode:
                    item = ctx.condition(
                        claim,
                        f"{factor} masked in every split",
                        "",
                        "factor isolation",
                        condition=mode,
                    )
                else:
                    item = ctx.condition(
                        claim,
                        _DESCRIBE[_evaluation_of(mode)],
                        "",
                        "factor isolation",
                        evaluation=_evaluation_of(mode),
                    )
                found = interval(item.gains, ctx.confidence)
                if found:
                    evidence[f"{claim.label}, {item.condition}"] = (
                        f"gain {pts(found[0])} [{pts(found[1])}, {pts(found[2])}]"
                    )
                # Masking a factor the rule never reads removes only a shortcut: the
                # claimed gain must survive it.
                if rule_factors is not None and factor not in rule_factors:
                    items.append(item)
            conditions[index] = tuple(items)
            swa = ctx.gains(claim, metric="swa") if "swa" in ctx.metrics else ()
            cwa = ctx.gains(claim, metric="cwa") if "cwa" in ctx.metrics else ()
            s, c = interval(swa, ctx.confidence), interval(cwa, ctx.confidence)
            if s and c:
                evidence[f"{claim.label}, SWA vs CWA gain"] = f"{pts(s[0])} vs {pts(c[0])}"
        if shortcuts:
            return Finding(
                outcome="fail",
                reason="shortcut: "
                + "; ".join(shortcuts)
                + ", a factor the labelling rule never reads.",
                evidence=evidence,
                conditions=conditions,
                reliance=tuple(reliance),
            )
        if rule_factors is None:
            reason = (
                "factor reliance measured; the data does not say which factors its labels "
                "read, so no reliance is judged a shortcut."
            )
        else:
            reason = (
                "no variant relies on a factor the labelling rule ignores (the rule reads "
                f"{', '.join(sorted(rule_factors))})."
            )
        return Finding(
            outcome="pass",
            reason=reason,
            evidence=evidence,
            conditions=conditions,
            reliance=tuple(reliance),
        )
