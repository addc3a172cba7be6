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
from auditkit.conditions import Condition
from auditkit.metrics import accuracy_metric
from auditkit.perturb import evaluation_split, on_dev
from auditkit.stats import mcnemar_test
from auditkit.types import Claim, ConditionEvidence, Finding, RunSpec

ORDER_MODES = ("shuffle_test", "reverse_test", "shuffle_train_test")
FACTOR_MODES = (
    "permute_color_test",
    "permute_shape_test",
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


def _mcnemar_seeds(ctx: AssessContext, variant: str, evaluation: str) -> tuple[int, int]:
    """(seeds where the probe lowers accuracy significantly, seeds tested).

    Per seed, the nominal and the probed predictions score the same rows (test, or dev
    for a dev evaluation): McNemar's exact test (one-sided, nominal more accurate) on the
    stored predictions, at ``alpha``.
    """
    split = evaluation_split(evaluation)[1]
    significant = tested = 0
    for seed in ctx.seeds:
        run = ctx.run(variant, seed)
        if run is None or not run.ok:
            continue
        probed = run.perturbed_predictions.get(evaluation)
        labels = ctx.test_labels(seed, split)
        nominal = run.dev_predictions if split == "dev" else run.test_predictions
        if probed is None or len(probed) != len(labels) or len(nominal) != len(labels):
            continue
        if len(labels) < 2:
            continue
        right = [p == y for p, y in zip(nominal, labels, strict=True)]
        right_probed = [p == y for p, y in zip(probed, labels, strict=True)]
        tested += 1
        significant += mcnemar_test(right, right_probed).p_value < ctx.alpha
    return significant, tested


def _drops(ctx: AssessContext, variant: str, metric: str, evaluation: str) -> dict[int, float]:
    """Per seed: the metric's drop under ``evaluation``, on the split it probes."""
    split = evaluation_split(evaluation)[1]
    nominal = ctx.scores(variant, metric, split=split)
    probed = ctx.scores(variant, metric, evaluation=evaluation)
    return {s: nominal[s] - probed[s] for s in ctx.seeds if s in nominal and s in probed}


def _measure(
    ctx: AssessContext, variant: str, metric: str, evaluation: str, min_drop: float
) -> tuple[dict[int, float], dict[str, Any], str] | None:
    """Per-seed drops, their summary (mean, interval, reliance) and the evidence text."""
    drops = _drops(ctx, variant, metric, evaluation)
    found = interval(tuple(drops.values()), ctx.confidence)
    if found is None:
        return None
    mean, low, high = found
    significant, tested = _mcnemar_seeds(ctx, variant, evaluation)
    agree = tested >= 2 and significant == tested
    summary = {
        "mean": mean,
        "low": low,
        "high": high,
        "relies": mean > min_drop and (low > min_drop or agree),
    }
    text = f"{pts(mean)} [{pts(low)}, {pts(high)}]" + (
        f"; accuracy lower on {significant} of {tested} seeds' paired "
        f"{evaluation_split(evaluation)[1]} rows (McNemar, α = {ctx.alpha:g})"
        if tested
        else ""
    )
    return drops, summary, text


def _reliance(
    ctx: AssessContext, metric: str, evaluation: str, factor: str, min_drop: float
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per variant: the metric's drop under a test-time perturbation, and evidence strings.

    A variant relies on the factor when its mean drop exceeds ``min_drop`` and either the
    t-interval of the drop lies above ``min_drop`` or every seed's own paired test rows
    show the drop (McNemar, stored predictions): a drop that swings between seeds but is
    clear on each of them is reliance, which a 3-seed t-interval alone can miss.

    Where the runs also probed dev (``on_dev(evaluation)``), the row carries the dev drop
    (``dev_drop_mean``, ``dev_low``, ``dev_high``, judged as on test into ``relies_dev``)
    and the dev − test difference paired by seed (``dev_minus_test``, with its interval):
    dev is drawn like train, so a cue that holds in train and dev but not in test shows
    as reliance on dev while the test-time drop looks small.
    """
    rows: dict[str, dict[str, Any]] = {}
    evidence: dict[str, str] = {}
    for variant in ctx.variants:
        measured = _measure(ctx, variant, metric, evaluation, min_drop)
        if measured is None:
            continue
        drops, test, text = measured
        rows[variant] = {
            "variant": variant,
            "factor": factor,
            "metric": metric,
            "drop_mean": test["mean"],
            "low": test["low"],
            "high": test["high"],
            "relies": test["relies"],
            "relies_dev": False,
            "blind": abs(test["mean"]) < min_drop and test["high"] < 2 * min_drop,
        }
        evidence[f"{variant}: {metric} drop, {evaluation}"] = text
        on_dev_measured = _measure(ctx, variant, metric, on_dev(evaluation), min_drop)
        if on_dev_measured is None:
            continue  # no dev probe ran (another rule, or runs stored before dev probes)
        dev_drops, dev, dev_text = on_dev_measured
        rows[variant].update(dev_drop_mean=dev["mean"], dev_low=dev["low"], dev_high=dev["high"])
        rows[variant]["relies_dev"] = dev["relies"]
        evidence[f"{variant}: {metric} drop, {evaluation} on dev"] = dev_text
        gap = interval(
            [dev_drops[s] - drops[s] for s in ctx.seeds if s in drops and s in dev_drops],
            ctx.confidence,
        )
        if gap is not None:
            rows[variant].update(
                dev_minus_test=gap[0], dev_minus_test_low=gap[1], dev_minus_test_high=gap[2]
            )
            evidence[f"{variant}: {metric} drop, {evaluation}, dev − test"] = (
                f"{pts(gap[0])} [{pts(gap[1])}, {pts(gap[2])}] (paired by seed)"
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
                    condition=Condition("shuffle_train_test"),
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
        reliance = tuple({k: v for k, v in r.items() if k not in _JUDGED} for r in rows.values())
        blind = [v for v, r in rows.items() if r["blind"]]
        relying = [v for v, r in rows.items() if r["relies"]]
        claimed = {c.variant for c in ctx.claims}
        if order_dependent is True and blind and not claimed & set(blind):
            # only baselines are order-blind: that is usually the paper's point (the variant
            # uses order, the baseline cannot), so inform rather than fail
            users = [v for v in relying if v in claimed]
            return Finding(
                outcome="pass",
                reason=f"only the baseline{'s' if len(blind) > 1 else ''} {', '.join(blind)} "
                f"score{'' if len(blind) > 1 else 's'} the same with shuffled tokens ({metric} "
                f"drop {'; '.join(pts(rows[v]['drop_mean']) for v in blind)}): order-blind on "
                "a rule that depends on order, as a baseline for a model that reads order may "
                "be"
                + (
                    f"; {', '.join(users)} {'use' if len(users) > 1 else 'uses'} order "
                    f"({'; '.join(pts(rows[v]['drop_mean']) for v in users)})"
                    if users
                    else ""
                )
                + ".",
                evidence=evidence,
                conditions=conditions,
                reliance=reliance,
            )
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

    #: how to probe each factor: permute it across rows at test (in-distribution, the
    #: default judge of reliance), mask it at test, or mask it in every split (retrain)
    modes: tuple[str, ...] = (
        "permute_color_test",
        "permute_shape_test",
        "mask_color_test",
        "mask_shape_test",
    )
    #: a drop above this (metric units, interval above it) counts as reliance
    min_drop: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "modes", _check_modes(self.modes, FACTOR_MODES))
        if not isinstance(self.min_drop, int | float) or self.min_drop <= 0:
            raise ValueError(f"min_drop={self.min_drop!r} must be a number > 0")


#: the internal judgements of a reliance row, left out of the rows the report shows
_JUDGED = ("relies", "relies_dev", "blind")


def _factor_of(mode: str) -> str:
    return "color" if "color" in mode else "shape"


def _evaluation_of(mode: str) -> str:
    """The test-time perturbation of a ``*_test`` mode: ``mask_color_test`` -> ``mask_color``."""
    return mode.removesuffix("_test")


def _drops_text(row: dict[str, Any], metric: str) -> str:
    """The test drop with its interval, and where dev was probed the dev drop and dev − test.

    E.g. ``"+2.00 pts accuracy on test (interval -1.00 to +5.00 pts) and +40.00 pts on dev
    (interval +35.00 to +45.00 pts; dev − test +38.00 pts, interval +30.00 to +46.00 pts)"``.
    """
    test = (
        f"{pts(row['drop_mean'])} {metric}"
        + (" on test" if "dev_drop_mean" in row else "")
        + f" (interval {pts(row['low'])} to {pts(row['high'])})"
    )
    if "dev_drop_mean" not in row:
        return test
    gap = (
        f"; dev − test {pts(row['dev_minus_test'])}, interval "
        f"{pts(row['dev_minus_test_low'])} to {pts(row['dev_minus_test_high'])}"
        if "dev_minus_test" in row
        else ""
    )
    return (
        f"{test} and {pts(row['dev_drop_mean'])} on dev (interval {pts(row['dev_low'])} to "
        f"{pts(row['dev_high'])}{gap})"
    )


#: how each test-time perturbation is named in conditions
_DESCRIBE = {
    "permute_color": "color permuted at test",
    "permute_shape": "shape permuted at test",
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
    """Probe colour or shape and measure each model's reliance on it.

    For tokens the default probe permutes the factor across rows at each position
    (``permute_*_test``): every token stays in the vocabulary, so a drop is reliance, not
    a reaction to unseen input. Masking (``mask_*_test``) drops the colour letters or
    gives every token one shape, which makes tokens no model was trained on: it is
    reported as a separate probe, and judges reliance only where no in-distribution
    probe of the factor ran (images, where masking turns them grayscale or shuffles their
    tiles, or a pack that asks for masking alone). ``color_shift_test`` permutes the
    colours within each row.
    """

    def evaluations(self, params: FactorIsolationParams) -> tuple[str, ...]:
        """Re-evaluate the nominal models with a factor probed in the test and dev inputs.

        The dev twins (``"...@dev"``) measure reliance where the data is drawn like
        train: a cue that holds in train and dev but not in test is only seen there.
        """
        tested = self._tested(params)
        return (*tested, *(on_dev(e) for e in tested))

    @staticmethod
    def _tested(params: FactorIsolationParams) -> tuple[str, ...]:
        """The test-time probes of the modes, e.g. ``("permute_color", "mask_color")``."""
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
                        condition=Condition.parse(mode),
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
        probed = self._judging(ctx, params)
        dev_only = False
        for evaluation in self._tested(params):
            factor = _factor_of(evaluation)
            rows, ev = _reliance(ctx, metric, evaluation, factor, params.min_drop)
            evidence.update(ev)
            shifted = evaluation == "color_shift"
            kind = evaluation.split("_")[0]
            for variant, row in rows.items():
                shown = {k: v for k, v in row.items() if k not in _JUDGED}
                # a shifted, permuted or masked colour is still the colour factor, but
                # each is another measurement: the row names which
                if shifted:
                    shown = {**shown, "factor": f"{factor} (shifted)"}
                elif kind == "permute":
                    shown = {**shown, "factor": f"{factor} (permuted)"}
                reliance.append(shown)
                judged = evaluation in probed
                # reliance on dev counts as much as on test: where the cue holds only in
                # train and dev, test-time probes find it already broken
                if (
                    judged
                    and rule_factors is not None
                    and factor not in rule_factors
                    and (row["relies"] or row["relies_dev"])
                ):
                    how = (
                        f"with its {factor}s shifted"
                        if shifted
                        else f"with its {factor}s permuted across rows"
                        if kind == "permute"
                        else f"without {factor}"
                    )
                    dev_only = dev_only or not row["relies"]
                    shortcuts.append(f"{variant} loses {_drops_text(row, metric)} {how}")
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
                # Probing a factor the rule never reads removes only a shortcut: the
                # claimed gain must survive it (the judging probes only: a masked token
                # no model has seen tests robustness, not the shortcut)
                judged = "train_test" in mode or _evaluation_of(mode) in probed
                if rule_factors is not None and factor not in rule_factors and judged:
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
                + ", a factor the labelling rule never reads"
                + (
                    ". On dev, drawn like train, the cue holds; on test it is already broken, "
                    "so test-time reliance looks small."
                    if dev_only
                    else "."
                ),
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
            dev = any("dev_drop_mean" in r for r in reliance)
            reason = (
                "no variant relies on a factor the labelling rule ignores"
                + (", on dev or on test" if dev else "")
                + f" (the rule reads {', '.join(sorted(rule_factors))})."
            )
        return Finding(
            outcome="pass",
            reason=reason,
            evidence=evidence,
            conditions=conditions,
            reliance=tuple(reliance),
        )

    @staticmethod
    def _judging(ctx: AssessContext, params: FactorIsolationParams) -> frozenset[str]:
        """The test-time probes that judge reliance: in-distribution ones where they ran.

        Per factor, a permutation probe that produced results judges; masking (and the
        within-row colour shift) judges only a factor no permutation probed.
        """
        ran = {
            _evaluation_of(m)
            for m in params.modes
            if "train_test" not in m
            and any(
                (run := ctx.run(v, s)) is not None
                and run.ok
                and _evaluation_of(m) in run.perturbed_predictions
                for v in ctx.variants
                for s in ctx.seeds
            )
        }
        permuted = {_factor_of(e) for e in ran if e.startswith("permute_")}
        return frozenset(
            e for e in ran if e.startswith("permute_") or _factor_of(e) not in permuted
        )
