"""AK402 ``training_length``: what the nominal runs' training curves show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from auditkit.checks import AssessContext, CheckBase, register
from auditkit.checks.batch import (
    MIN_EPOCHS,
    CurveSummary,
    _interval_text,
    _is_number,
    _summaries,
)
from auditkit.types import DATA_KINDS, Finding, Outcome


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingLengthParams:
    """Parameters of ``training_length``."""

    #: relative rise of the dev loss above its minimum, by the last epoch, that counts
    #: as train/val divergence (0.2 = 20% above the lowest dev loss)
    divergence: float = 0.2
    #: smallest change of the dev loss (mean cross-entropy per row, in nats) that counts,
    #: for a rise (divergence) and for a last-epoch fall (under-training); smaller moves
    #: are epoch-to-epoch noise
    min_change: float = 0.02
    #: share of a variant's seeds that must show a pattern for the variant to show it
    share: float = 0.5

    def __post_init__(self) -> None:
        if not _is_number(self.divergence) or self.divergence <= 0:
            raise ValueError(
                f"divergence={self.divergence!r} must be a number > 0: the relative rise of "
                "the dev loss above its minimum, e.g. 0.1 for 10%"
            )
        if not _is_number(self.min_change) or self.min_change < 0:
            raise ValueError(
                f"min_change={self.min_change!r} must be a number >= 0: the smallest change "
                "of the dev loss, in nats, that counts, e.g. 0.02"
            )
        if not _is_number(self.share) or not 0 < self.share <= 1:
            raise ValueError(
                f"share={self.share!r} must be a number in (0, 1]: the fraction of seeds that "
                "must show a pattern, e.g. 0.5"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantCurves:
    """One variant's curve patterns over its seeds."""

    variant: str
    summaries: tuple[CurveSummary, ...]
    diverged: int
    at_end: int
    at_start: int

    @property
    def n(self) -> int:
        """Seeds with usable curves."""
        return len(self.summaries)


def variant_curves(
    variant: str, summaries: Sequence[CurveSummary], params: TrainingLengthParams
) -> VariantCurves:
    """Count the seeds whose curves diverge, still improve at the end, or peak at the start."""
    return VariantCurves(
        variant=variant,
        summaries=tuple(summaries),
        diverged=sum(s.diverges(params.divergence, params.min_change) for s in summaries),
        at_end=sum(s.still_improving(params.min_change) for s in summaries),
        at_start=sum(s.best_at_start for s in summaries),
    )


@register(
    "training_length",
    params=TrainingLengthParams,
    kinds=DATA_KINDS,
    family="training length",
    frameworks=("torch",),
)
class TrainingLength(CheckBase):
    """Read the nominal runs' curves: train/val divergence and where the best epoch lies.

    Nothing is retrained. Per variant, over its seeds: does the dev loss end more than
    ``divergence`` above its minimum while the train loss keeps falling (overfitting: the
    run is too long or the learning rate too high)? Is the selected epoch the last one,
    with the dev loss still falling (under-trained: more epochs may change the ranking)?
    Is it the first? The outcome is ``warn`` on divergence or under-training. The curves
    hold only the selection metric on dev, not the claim's test metric, so the ranking
    check compares the arms on that dev metric: ``fail`` when the variant is ahead at
    the selected epochs but significantly behind at the last epoch, i.e. the claim rests
    on stopping early.
    """

    def assess(self, ctx: AssessContext, params: TrainingLengthParams) -> Finding:
        """Summarise every variant's curves; compare each claim's arms at the last epoch."""
        evidence: dict[str, str] = {}
        patterns: dict[str, VariantCurves] = {}
        arms = list(dict.fromkeys(a for c in ctx.claims for a in (c.baseline, c.variant)))
        for variant in arms:
            found = variant_curves(variant, list(_summaries(ctx, variant).values()), params)
            if found.n:
                patterns[variant] = found
                evidence[variant] = _curves_text(found, params)
        if not patterns:
            return Finding(
                outcome="error",
                reason="no nominal run finished with finite training curves, so there is "
                "nothing to inspect; see the failed runs.",
                evidence=evidence,
            )
        epochs = max(s.epochs for v in patterns.values() for s in v.summaries)
        if epochs < MIN_EPOCHS:
            return Finding(
                outcome="skipped",
                reason=f"the runs train for {epochs} epoch{'s' if epochs != 1 else ''}, too "
                f"few for the curves to show a minimum inside the run; train for at least "
                f"{MIN_EPOCHS} epochs (TrainConfig(epochs=...)) to inspect them.",
                evidence=evidence,
            )
        flips = self._rankings(ctx, evidence)

        def enough(count: int, v: VariantCurves) -> bool:
            return count >= params.share * v.n

        problems = [p for v in patterns.values() for p in _problems(ctx, params, v, epochs)]
        early = [v.variant for v in patterns.values() if enough(v.at_start, v) and v.at_start]
        early_note = (
            f"; {', '.join(early)} peak{'s' if len(early) == 1 else ''} at epoch 1" if early else ""
        )
        limit = f"{100 * params.divergence:g}%"
        outcome: Outcome
        if flips:
            outcome = "fail"
            reason = (
                "; ".join(flips)
                + ": the ranking holds only with the epoch selected on dev, so the claim "
                "rests on stopping early (dev "
                f"{ctx.train.select_metric} from the curves; test metrics exist only at the "
                "selected epoch)."
            )
        elif problems:
            outcome = "warn"
            reason = (
                "; ".join(problems)
                + early_note
                + ": the training length, not only the model, may shape the comparison."
            )
        else:
            outcome = "pass"
            # The headline must agree with the evidence rows: name the seeds that show a
            # pattern below the share that counts, instead of saying "none".
            improving = [f"{v.variant} {v.at_end} of {v.n}" for v in patterns.values() if v.at_end]
            still = (
                f"fewer than {params.share:.0%} of each variant's seeds are still improving "
                f"at the last epoch ({epochs}; {', '.join(improving)} seeds)"
                if improving
                else f"none is still improving at its last epoch ({epochs})"
            )
            reason = (
                f"no variant's dev loss rises more than {limit} and {params.min_change:g} nats "
                f"above its minimum while its train loss falls, in {params.share:.0%} or more "
                f"of its seeds, and {still}{early_note}."
            )
        return Finding(outcome=outcome, reason=reason, evidence=evidence)

    @staticmethod
    def _rankings(ctx: AssessContext, evidence: dict[str, str]) -> list[str]:
        """Claims whose dev-metric ranking at the last epoch reverses the selected one."""
        flips = []
        metric = ctx.train.select_metric
        for claim in ctx.claims:
            base = _summaries(ctx, claim.baseline)
            var = _summaries(ctx, claim.variant)
            at_best: list[float] = []
            at_last: list[float] = []
            for seed in ctx.seeds:
                if seed not in base or seed not in var:
                    continue
                b, v = base[seed], var[seed]
                # the loop always maximises the selection metric, whatever the claim's
                # direction, so "ahead on dev" is a larger value
                if b.dev_metric_best is not None and v.dev_metric_best is not None:
                    at_best.append(v.dev_metric_best - b.dev_metric_best)
                if b.dev_metric_last is not None and v.dev_metric_last is not None:
                    at_last.append(v.dev_metric_last - b.dev_metric_last)
            best = ctx.classify(at_best)
            last = ctx.classify(at_last)
            if best.mean is None and last.mean is None:
                continue
            evidence[f"{claim.label}: dev {metric} gain"] = (
                f"at the selected epochs ({_interval_text(best, ctx.confidence)}); at the "
                f"last epoch ({_interval_text(last, ctx.confidence)})"
            )
            if best.status == "holds" and last.status == "reversed":
                flips.append(
                    f"{claim.variant} leads {claim.baseline} on dev {metric} at the selected "
                    f"epochs ({_interval_text(best, ctx.confidence)}) but trails it at the last "
                    f"epoch ({_interval_text(last, ctx.confidence)})"
                )
        return flips


def _problems(
    ctx: AssessContext, params: TrainingLengthParams, v: VariantCurves, epochs: int
) -> list[str]:
    """One variant's train/val divergence and under-training, where enough seeds show them."""

    def enough(count: int, v: VariantCurves) -> bool:
        return count >= params.share * v.n

    problems: list[str] = []
    if enough(v.diverged, v):
        hit = [s for s in v.summaries if s.diverges(params.divergence, params.min_change)]
        rise = median(s.rise for s in hit)
        by = median(s.dev_loss_last - s.dev_loss_min for s in hit)
        problems.append(
            f"{v.variant}'s dev loss ends {100 * rise:.0f}% (+{by:.2f} nats) above its "
            f"minimum while its train loss keeps falling, in {v.diverged} of {v.n} "
            "seeds (train/val divergence; median of those seeds)"
        )
    if enough(v.at_end, v):
        over = [c.variant for c in ctx.claims if c.baseline == v.variant]
        # A baseline stopped early scores low, so every gain over it is larger than
        # the same model trained to convergence would give: say so.
        inflates = (
            f"; an under-trained baseline inflates the gain of {', '.join(over)} over it"
            if over
            else ""
        )
        problems.append(
            f"{v.variant}'s dev loss is still falling at its last epoch ({epochs}) in "
            f"{v.at_end} of {v.n} seeds (under-trained){inflates}"
        )
    return problems


def _curves_text(v: VariantCurves, params: TrainingLengthParams) -> str:
    """One variant's curve patterns as a line of evidence (medians over its seeds)."""
    items = v.summaries
    best = sorted(s.best_epoch for s in items)
    return (
        f"selected epochs {', '.join(map(str, best))} of {items[0].epochs}; dev loss lowest "
        f"at epoch {median(s.min_dev_epoch for s in items):g}, "
        f"{100 * median(s.rise for s in items):.0f}% above it at the end; "
        f"{v.diverged} of {v.n} seeds diverge (a rise above {100 * params.divergence:g}% and "
        f"{params.min_change:g} nats while the train loss falls), {v.at_end} still improving "
        f"at the last epoch, {v.at_start} best at epoch 1; generalisation gap at the selected "
        f"epoch {median(s.gap for s in items):+.3f} nats (dev minus train loss)"
    )
