"""Optimisation checks: the claim across batch sizes, and what the training curves show."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Literal

from auditkit.checks import AssessContext, CheckBase, PlanContext, nominal_runs, pts, register
from auditkit.conditions import Condition
from auditkit.exhibits import Curve, Curves
from auditkit.stats import GainClass
from auditkit.types import (
    DATA_KINDS,
    Claim,
    ConditionEvidence,
    EpochRecord,
    Finding,
    Outcome,
    RunResult,
    RunSpec,
    TrainConfig,
)

LrScaling = Literal["none", "linear", "sqrt"]
LR_SCALINGS: tuple[LrScaling, ...] = ("none", "linear", "sqrt")

#: fewest epochs whose curves can show a minimum inside the run; shorter runs are skipped
MIN_EPOCHS = 3

_RANK: Mapping[Outcome, int] = {"pass": 0, "warn": 1, "fail": 2}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------- pure helpers


def scaled_lr(lr: float, nominal_batch: int, batch: int, scaling: LrScaling) -> float:
    """The learning rate for ``batch``, scaled from the nominal setting.

    Parameters
    ----------
    lr
        The nominal learning rate.
    nominal_batch
        The nominal batch size, at which ``lr`` was tuned.
    batch
        The batch size of the perturbed run.
    scaling
        ``none`` holds ``lr``; ``linear`` multiplies it by ``batch / nominal_batch``
        (Goyal et al. 2017); ``sqrt`` by the square root of that ratio (Krizhevsky 2014).

    Returns
    -------
    float
        Rounded to 12 significant digits, so that run ids and cache keys do not carry
        float noise such as ``0.04000000000000001``.

    Examples
    --------
    >>> scaled_lr(0.01, 32, 128, "linear")
    0.04
    >>> scaled_lr(0.01, 32, 128, "sqrt")
    0.02
    """
    ratio = batch / nominal_batch
    factor = {"none": 1.0, "linear": ratio, "sqrt": math.sqrt(ratio)}[scaling]
    return float(f"{lr * factor:.12g}")


def batch_condition(batch: int, nominal_batch: int) -> str:
    """The condition name of the runs at ``batch``: the nominal runs serve its own size."""
    return "nominal" if batch == nominal_batch else f"batch_size={batch}"


def sweep_runs(
    claim: Claim,
    seeds: Sequence[int],
    train: TrainConfig,
    sizes: Iterable[int],
    scaling: LrScaling,
) -> list[RunSpec]:
    """Both arms of ``claim`` at every batch size of ``sizes``, one run per seed.

    The nominal batch size is served by the nominal runs, so it is not planned again.
    Overrides are sorted by key, as ``RunSpec.overrides`` requires.

    Returns
    -------
    list of RunSpec
        The nominal runs first, then the perturbed ones by size, arm and seed.
    """
    runs = nominal_runs(claim, seeds)
    for size in sizes:
        if size == train.batch_size:
            continue
        lr = scaled_lr(train.lr, train.batch_size, size, scaling)
        runs += [
            RunSpec(
                variant=arm,
                init_seed=seed,
                order_seed=seed,
                condition=Condition.parse(batch_condition(size, train.batch_size)),
                overrides=(("batch_size", size), ("lr", lr)),
            )
            for arm in (claim.baseline, claim.variant)
            for seed in seeds
        ]
    return runs


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveSummary:
    """What one run's training curves show (losses are mean cross-entropy per row)."""

    #: epochs trained
    epochs: int
    #: 1-based epoch selected on dev (by the selection metric)
    best_epoch: int
    #: 1-based epoch of the lowest dev loss
    min_dev_epoch: int
    #: train and dev loss at the selected epoch
    train_loss_best: float
    dev_loss_best: float
    #: lowest dev loss, and dev loss at the last epoch
    dev_loss_min: float
    dev_loss_last: float
    #: lowest dev loss over the epochs before the last (the last one's when it is the only)
    dev_loss_min_before_last: float
    #: train loss at the epoch of the lowest dev loss, and at the last epoch
    train_loss_at_min_dev: float
    train_loss_last: float
    #: selection metric on dev at the selected and at the last epoch (None = undefined)
    dev_metric_best: float | None
    dev_metric_last: float | None
    #: how far the dev loss fell over the last quarter of the epochs (at least the last
    #: two): positive while it is still falling
    dev_loss_tail_fall: float = 0.0
    #: how far it fell from the first epoch to the last
    dev_loss_total_fall: float = 0.0

    @property
    def gap(self) -> float:
        """Generalisation gap at the selected epoch: dev loss minus train loss."""
        return self.dev_loss_best - self.train_loss_best

    @property
    def rise(self) -> float:
        """How far the last dev loss lies above the lowest, relative to the lowest."""
        return (self.dev_loss_last - self.dev_loss_min) / max(self.dev_loss_min, 1e-12)

    def diverges(self, threshold: float, min_change: float = 0.0) -> bool:
        """True on train/val divergence.

        The dev loss ends more than ``threshold`` (relative) and more than ``min_change``
        (absolute) above its minimum, while the train loss kept falling after that
        minimum. The absolute floor keeps a fitted model's wobble (0.01 -> 0.02 is a
        100% rise) from counting.
        """
        return (
            self.rise > threshold
            and self.dev_loss_last - self.dev_loss_min > min_change
            and self.train_loss_last < self.train_loss_at_min_dev
        )

    def still_improving(self, min_change: float = 0.0) -> bool:
        """True when the run stopped while still improving (under-trained).

        Its dev loss is lowest at the last epoch and still falling (whichever epoch the
        selection metric picked: accuracy can stand still while the loss, and so the
        model's confidence, still improves): the last epoch lowered it by more than
        ``min_change`` below every earlier epoch's, or the curve has not flattened: the
        last quarter of the epochs lowered it by more than ``min_change`` and by more than
        ``TAIL_SHARE`` of the whole run's fall (a slow learner, such as a linear model,
        improves by less than ``min_change`` per epoch, yet steadily; a converged run's
        last quarter brings a hair of its fall).
        """
        return (
            self.epochs > 1
            and self.min_dev_epoch == self.epochs
            and (
                self.dev_loss_last < self.dev_loss_min_before_last - min_change
                or self.dev_loss_tail_fall > max(TAIL_SHARE * self.dev_loss_total_fall, min_change)
            )
        )

    @property
    def best_at_start(self) -> bool:
        """Selected at epoch 1 of several: every later epoch was no better on dev."""
        return self.best_epoch == 1 and self.epochs > 1


#: share of a run's whole dev-loss fall that its last quarter of epochs must bring for
#: the run to count as still improving: about 0.25 on a steady straight-line fall, near 0
#: once converged (0.002 for a converged GRU in tests/quality/test_batch.py)
TAIL_SHARE = 0.05


def summarise_curves(curves: Sequence[EpochRecord], best_epoch: int | None) -> CurveSummary | None:
    """Summarise one run's curves, or None when it has none with finite losses.

    Parameters
    ----------
    curves
        The run's per-epoch records, shape (n_epochs,).
    best_epoch
        The 1-based epoch the loop selected on dev; the last epoch when unknown.
    """
    finite = [r for r in curves if math.isfinite(r.train_loss) and math.isfinite(r.dev_loss)]
    if not finite:
        return None
    by_epoch = {r.epoch: r for r in finite}
    last = max(finite, key=lambda r: r.epoch)
    best = by_epoch.get(best_epoch if best_epoch is not None else last.epoch, last)
    # ties keep the earlier epoch, as the loop's own selection does
    lowest = min(finite, key=lambda r: (r.dev_loss, r.epoch))
    before = [r.dev_loss for r in finite if r.epoch != last.epoch] or [last.dev_loss]
    ordered = sorted(finite, key=lambda r: r.epoch)
    tail = ordered[-max(3, math.ceil(len(ordered) / 4) + 1) :]  # the last quarter, >= 2 steps
    return CurveSummary(
        epochs=last.epoch,
        best_epoch=best.epoch,
        min_dev_epoch=lowest.epoch,
        train_loss_best=best.train_loss,
        dev_loss_best=best.dev_loss,
        dev_loss_min=lowest.dev_loss,
        dev_loss_last=last.dev_loss,
        dev_loss_min_before_last=min(before),
        train_loss_at_min_dev=lowest.train_loss,
        train_loss_last=last.train_loss,
        dev_metric_best=best.dev_metric,
        dev_metric_last=last.dev_metric,
        dev_loss_tail_fall=tail[0].dev_loss - last.dev_loss,
        dev_loss_total_fall=ordered[0].dev_loss - last.dev_loss,
    )


def _summaries(
    ctx: AssessContext, variant: str, condition: str = "nominal"
) -> dict[int, CurveSummary]:
    out = {}
    for seed in ctx.seeds:
        run: RunResult | None = ctx.run(variant, seed, condition)
        if run is None or not run.ok:
            continue
        found = summarise_curves(run.curves, run.best_epoch)
        if found is not None:
            out[seed] = found
    return out


def _interval_text(found: GainClass, confidence: float) -> str:
    """'+2.10 pts, 95% CI +1.00 to +3.20 pts, 3 seeds', for use inside parentheses."""
    if found.mean is None or found.low is None or found.high is None:
        return f"not estimable: {found.n} seed pair{'s' if found.n != 1 else ''}"
    level = f"{round(100 * confidence)}% CI"
    low, high = pts(found.low).removesuffix(" pts"), pts(found.high)
    return f"{pts(found.mean)}, {level} {low} to {high}, {found.n} seeds"


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items)


def _worst(outcomes: Iterable[Outcome]) -> Outcome:
    return max(outcomes, key=_RANK.__getitem__, default="pass")


# --------------------------------------------------------------------------- AK401


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSizeSweepParams:
    """Parameters of ``batch_size_sweep``."""

    #: batch sizes to retrain at; the nominal one reuses the nominal runs
    sizes: tuple[int, ...] = (32, 128, 512, 1024)
    #: how the learning rate follows the batch size, relative to the nominal setting
    lr_scaling: LrScaling = "none"

    def __post_init__(self) -> None:
        sizes = self.sizes
        if isinstance(sizes, str | bytes) or not isinstance(sizes, Iterable):
            raise ValueError(f"sizes={sizes!r} must be a list of positive integers")
        sizes = tuple(sizes)
        if not sizes:
            raise ValueError("sizes=[] must list at least one batch size, e.g. [32, 512]")
        bad = [s for s in sizes if not _is_int(s) or s < 1]
        if bad:
            raise ValueError(
                f"sizes={list(sizes)!r}: {', '.join(map(repr, bad))} "
                f"{'is' if len(bad) == 1 else 'are'} not a positive integer; batch sizes "
                "count examples per optimiser step"
            )
        if len(set(sizes)) != len(sizes):
            repeated = sorted({s for s in sizes if sizes.count(s) > 1})
            raise ValueError(
                f"sizes={list(sizes)!r} repeats {', '.join(map(str, repeated))}; list each "
                "batch size once"
            )
        if self.lr_scaling not in LR_SCALINGS:
            raise ValueError(
                f"lr_scaling={self.lr_scaling!r} must be one of {', '.join(LR_SCALINGS)}"
            )
        object.__setattr__(self, "sizes", tuple(sorted(sizes)))


@register(
    "batch_size_sweep",
    params=BatchSizeSweepParams,
    kinds=DATA_KINDS,
    family="batch size",
    frameworks=("torch",),
)
class BatchSizeSweep(CheckBase):
    """Retrain both arms of every claim at each batch size; the gain must hold at each.

    The number of epochs is held, so a larger batch takes fewer optimiser steps; the
    learning rate is held or scaled (``lr_scaling``). Each batch size is handed on to the
    claims as a perturbed condition ``batch_size=<b>``, so a gain that exists at one batch
    size only makes the claim FRAGILE. The finding adds, per size and variant, the
    generalisation gap at the selected epoch and how far the dev loss rose after its
    minimum (train/val divergence), read from the runs' curves.
    """

    def plan(self, claim: Claim, params: BatchSizeSweepParams, ctx: PlanContext) -> list[RunSpec]:
        """The nominal runs, plus both arms on every seed at every other batch size."""
        return sweep_runs(claim, ctx.seeds, ctx.train, params.sizes, params.lr_scaling)

    def assess(self, ctx: AssessContext, params: BatchSizeSweepParams) -> Finding:
        """Classify each claim's gain at each batch size; describe each arm's curves."""
        conditions: dict[int, tuple[ConditionEvidence, ...]] = {}
        evidence: dict[str, str] = {}
        outcomes: list[Outcome] = []
        broken: list[str] = []
        unsure: list[str] = []
        held: list[tuple[float, int]] = []
        somewhere = False  # a broken claim whose gain holds at some other size
        estimable = 0
        for index, claim in enumerate(ctx.claims):
            conditions[index], statuses = self._sweep_claim(ctx, params, claim, evidence)
            estimable += sum(g.mean is not None for g in statuses.values())
            bad = {s: g for s, g in statuses.items() if g.status in ("reversed", "vanished")}
            odd = {s: g for s, g in statuses.items() if g.status == "inconclusive"}
            good = [s for s, g in statuses.items() if g.status == "holds"]
            if bad:
                outcomes.append("fail")
                parts = [
                    f"{'reverses' if g.status == 'reversed' else 'vanishes'} at batch size "
                    f"{s} ({_interval_text(g, ctx.confidence)})"
                    for s, g in bad.items()
                ]
                where = f", while it holds at {', '.join(map(str, good))}" if good else ""
                somewhere = somewhere or bool(good)
                broken.append(f"the gain of {claim.label} {' and '.join(parts)}{where}")
            elif odd:
                outcomes.append("warn")
                listed = [f"{s} ({_interval_text(g, ctx.confidence)})" for s, g in odd.items()]
                unsure.append(
                    f"the gain of {claim.label} is inconclusive at batch size"
                    f"{'s' if len(odd) > 1 else ''} {' and '.join(listed)}"
                )
            else:
                outcomes.append("pass")
                held += [(g.mean, s) for s, g in statuses.items() if g.mean is not None]
        self._describe_arms(ctx, params, evidence)
        if ctx.claims and not estimable:
            return Finding(
                outcome="error",
                reason=f"no batch size of {', '.join(map(str, params.sizes))} has 2 seed "
                "pairs with both arms trained, so the sweep cannot estimate any gain; see "
                "the failed runs.",
                evidence=evidence,
                conditions=conditions,
            )
        sizes = ", ".join(map(str, params.sizes))
        outcome = _worst(outcomes)
        if outcome == "fail":
            reason = "; ".join(broken) + (
                ": the gain depends on the batch size, so it is a property of one "
                "training setting, not of the variant."
                if somewhere
                else ": no batch size of the sweep shows the gain."
            )
        elif outcome == "warn":
            reason = (
                "; ".join(unsure)
                + f": with {len(ctx.seeds)} seeds the sweep cannot tell whether the gain "
                "holds there; raise settings.seeds in the pack (or pass --seeds) to decide."
            )
        else:
            smallest = min(held, default=None)
            tail = (
                f" (smallest mean gain {pts(smallest[0])}, at batch size {smallest[1]})"
                if smallest
                else ""
            )
            reason = (
                f"the gain of every claim holds at each batch size {sizes} with "
                f"lr_scaling={params.lr_scaling}{tail}."
            )
        curves = _sweep_curves(ctx, params.sizes)
        return Finding(
            outcome=outcome,
            reason=reason,
            evidence=evidence,
            conditions=conditions,
            exhibits=(curves,) if curves is not None else (),
        )

    @staticmethod
    def _sweep_claim(
        ctx: AssessContext, params: BatchSizeSweepParams, claim: Claim, evidence: dict[str, str]
    ) -> tuple[tuple[ConditionEvidence, ...], dict[int, GainClass]]:
        """The claim's gains at each batch size, for the verdict, and where each lies."""
        nominal = ctx.train.batch_size
        n_train = len(ctx.data.train)
        rows = []
        statuses: dict[int, GainClass] = {}
        for size in params.sizes:
            gains = ctx.gains(claim, batch_condition(size, nominal))
            rows.append(
                ConditionEvidence(
                    condition=Condition.setting("batch_size", size),
                    rule_id="",
                    family="batch size",
                    gains=gains,
                )
            )
            found = ctx.classify(gains)
            statuses[size] = found
            lr = scaled_lr(ctx.train.lr, nominal, size, params.lr_scaling)
            steps = math.ceil(n_train / size)
            note = " (the nominal runs)" if size == nominal else ""
            evidence[f"{claim.label} at batch size {size}"] = (
                f"{found.status}: gain {_interval_text(found, ctx.confidence)}; "
                f"lr {lr:g}, {steps} step{'s' if steps != 1 else ''} per epoch{note}"
            )
        return tuple(rows), statuses

    @staticmethod
    def _describe_arms(
        ctx: AssessContext, params: BatchSizeSweepParams, evidence: dict[str, str]
    ) -> None:
        """Per arm and batch size: test metric, generalisation gap, dev-loss rise."""
        nominal = ctx.train.batch_size
        n_train = len(ctx.data.train)
        metrics: dict[str, list[str]] = {}
        for claim in ctx.claims:
            for arm in (claim.baseline, claim.variant):
                metrics.setdefault(arm, [])
                if claim.metric not in metrics[arm]:
                    metrics[arm].append(claim.metric)
        for arm, names in metrics.items():
            for size in params.sizes:
                condition = batch_condition(size, nominal)
                curves = _summaries(ctx, arm, condition)
                scores = []
                for name in names:
                    values = ctx.scores(arm, name, condition)
                    if values:
                        scores.append(f"test {name} {_mean(values.values()):.3f}")
                if not curves and not scores:
                    evidence[f"{arm} at batch size {size}"] = "no successful runs"
                    continue
                parts = scores
                if curves:
                    items = list(curves.values())
                    train = _mean(c.train_loss_best for c in items)
                    dev = _mean(c.dev_loss_best for c in items)
                    rise = median(c.rise for c in items)
                    best = median(c.best_epoch for c in items)
                    parts.append(
                        f"at the selected epoch (median {best:g} of {items[0].epochs}) train "
                        f"loss {train:.3f}, dev loss {dev:.3f} (gap {dev - train:+.3f})"
                    )
                    parts.append(
                        f"dev loss ends {100 * rise:.0f}% above its minimum (median of "
                        f"{len(items)} seeds)"
                    )
                if size > n_train:
                    parts.append(
                        f"larger than the {n_train} training rows: one full-batch step per epoch"
                    )
                evidence[f"{arm} at batch size {size}"] = "; ".join(parts)


# --------------------------------------------------------------------------- curves


def curves_exhibit(
    runs: Mapping[tuple[str, int], Sequence[Sequence[EpochRecord]]],
) -> Curves | None:
    """Train and dev loss per epoch, one panel per variant and one colour per batch size.

    Each run's curves are drawn faint; over them, the mean per epoch of each batch size's
    runs, over the epochs every one of them reached.

    Parameters
    ----------
    runs
        (variant, batch size) -> each run's curves (shape (n_runs, n_epochs)), in the
        order the panels are drawn.

    Returns
    -------
    Curves or None
        None when no run has curves.
    """
    lines: list[Curve] = []
    sizes: set[int] = set()
    for (variant, size), group in runs.items():
        group = [c for c in group if c]
        if not group:
            continue
        sizes.add(size)
        label = f"batch {size}"
        for curve in group:
            x = tuple(float(r.epoch) for r in curve)
            lines += [
                Curve(
                    label=label,
                    x=x,
                    y=tuple(r.train_loss for r in curve),
                    panel=variant,
                    faint=True,
                ),
                Curve(
                    label=label,
                    x=x,
                    y=tuple(r.dev_loss for r in curve),
                    panel=variant,
                    style="dashed",
                    faint=True,
                ),
            ]
        length = min(len(c) for c in group)
        x = tuple(float(r.epoch) for r in group[0][:length])
        train = tuple(_mean(c[i].train_loss for c in group) for i in range(length))
        dev = tuple(_mean(c[i].dev_loss for c in group) for i in range(length))
        lines.append(Curve(label=label, x=x, y=train, panel=variant))
        lines.append(Curve(label=label, x=x, y=dev, panel=variant, style="dashed"))
    if not lines:
        return None
    return Curves(
        title="Training curves",
        x_label="epoch",
        y_label="loss",
        curves=tuple(lines),
        legend=tuple(f"batch {s}" for s in sorted(sizes)),
        styles=(("solid", "train"), ("dashed", "validation")),
        caption="Train (solid) and validation (dashed) loss per epoch, one colour per batch "
        "size: thin lines are single seeds, thick lines their mean. Validation loss rising "
        "while train loss falls is overfitting; a batch size whose validation loss stays "
        "above the others generalises worse.",
    )


def _sweep_curves(ctx: AssessContext, sizes: Sequence[int]) -> Curves | None:
    """The curves of every variant's successful runs at the nominal and each swept size."""
    nominal = ctx.train.batch_size
    runs: dict[tuple[str, int], list[tuple[EpochRecord, ...]]] = {}
    for variant in ctx.variants:
        for size in sorted({*sizes, nominal}):
            for seed in ctx.seeds:
                run = ctx.run(variant, seed, batch_condition(size, nominal))
                if run is not None and run.ok and run.curves:
                    runs.setdefault((variant, size), []).append(run.curves)
    return curves_exhibit(runs)
