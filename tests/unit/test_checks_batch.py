"""The 4xx checks' pure helpers and their decisions on canned runs (no training)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from auditkit.checks import AssessContext, PlanContext, checks
from auditkit.checks.batch import (
    BatchSizeSweep,
    BatchSizeSweepParams,
    batch_condition,
    curves_exhibit,
    scaled_lr,
    summarise_curves,
    sweep_runs,
)
from auditkit.checks.length import TrainingLength, TrainingLengthParams
from auditkit.conditions import NOMINAL, Condition
from auditkit.datasets import spr
from auditkit.types import Claim, EpochRecord, RunResult, RunSpec, TrainConfig

DATA = spr(rule="shape_count", n_train=40, n_dev=10, n_test=10, length=(4, 6), seed=0)
TRAIN = TrainConfig(epochs=4, batch_size=32, lr=0.01)
CLAIM = Claim(variant="gru", baseline="bag", metric="accuracy")
SEEDS = (0, 1, 2)


# --------------------------------------------------------------------------- params


def test_sweep_params_sort_and_accept_yaml_lists() -> None:
    params = BatchSizeSweepParams(sizes=[512, 32], lr_scaling="sqrt")  # type: ignore[arg-type]
    assert params.sizes == (32, 512)
    assert BatchSizeSweepParams().sizes == (32, 128, 512, 1024)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": []}, "must list at least one batch size"),
        ({"sizes": [32, 0]}, "0 is not a positive integer"),
        ({"sizes": [32, 1.5, True]}, "1.5, True are not a positive integer"),
        ({"sizes": [32, 32]}, "repeats 32; list each batch size once"),
        ({"sizes": "32"}, "must be a list of positive integers"),
        ({"lr_scaling": "cubic"}, "lr_scaling='cubic' must be one of none, linear, sqrt"),
    ],
)
def test_sweep_params_reject_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BatchSizeSweepParams(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"divergence": 0}, "divergence=0 must be a number > 0"),
        ({"divergence": "10%"}, "divergence='10%' must be a number > 0"),
        ({"min_change": -0.1}, "min_change=-0.1 must be a number >= 0"),
        ({"share": 0}, r"share=0 must be a number in \(0, 1\]"),
        ({"share": 1.5}, r"share=1.5 must be a number in \(0, 1\]"),
    ],
)
def test_length_params_reject_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainingLengthParams(**kwargs)  # type: ignore[arg-type]


def test_checks_are_registered_with_their_families() -> None:
    registry = checks()
    assert registry["batch_size_sweep"].family == "batch size"
    assert registry["batch_size_sweep"].params is BatchSizeSweepParams
    assert registry["training_length"].family == "training length"


# --------------------------------------------------------------------------- planning


@pytest.mark.parametrize(
    ("scaling", "expected"), [("none", 0.01), ("linear", 0.16), ("sqrt", 0.04)]
)
def test_scaled_lr(scaling: str, expected: float) -> None:
    assert scaled_lr(0.01, 16, 256, scaling) == expected  # type: ignore[arg-type]
    assert scaled_lr(0.01, 32, 32, scaling) == 0.01  # type: ignore[arg-type]


def test_scaled_lr_carries_no_float_noise() -> None:
    assert repr(scaled_lr(0.01, 32, 128, "linear")) == "0.04"
    assert scaled_lr(1e-3, 128, 32, "linear") == 0.00025


def test_sweep_reuses_the_nominal_runs_at_the_nominal_size() -> None:
    runs = sweep_runs(CLAIM, SEEDS, TRAIN, (16, 32, 256), "linear")
    nominal = [r for r in runs if r.condition == NOMINAL]
    assert nominal == [
        RunSpec(variant=arm, init_seed=s, order_seed=s) for arm in ("bag", "gru") for s in SEEDS
    ]
    assert sorted({str(r.condition) for r in runs}) == [
        "batch_size=16",
        "batch_size=256",
        "nominal",
    ]
    assert len(runs) == len(set(runs)) == 3 * 2 * 3
    big = [r for r in runs if r.condition == Condition.parse("batch_size=256")]
    assert {r.overrides for r in big} == {(("batch_size", 256), ("lr", 0.08))}
    assert all(r.init_seed == r.order_seed for r in runs)
    # overrides sorted by key, as RunSpec requires
    assert all(list(r.overrides) == sorted(r.overrides) for r in runs)


def test_plan_goes_through_the_check() -> None:
    ctx = PlanContext(
        data=DATA, baseline="bag", variants=("bag", "gru"), seeds=SEEDS, train=TRAIN, metrics=()
    )
    runs = BatchSizeSweep().plan(CLAIM, BatchSizeSweepParams(sizes=(32, 64)), ctx)
    assert {str(r.condition) for r in runs} == {"nominal", "batch_size=64"}
    assert batch_condition(32, 32) == "nominal"
    assert batch_condition(64, 32) == "batch_size=64"


# --------------------------------------------------------------------------- curves


def _curves(
    train: Sequence[float], dev: Sequence[float], metric: Sequence[float] | None = None
) -> tuple[EpochRecord, ...]:
    metric = metric if metric is not None else [0.5] * len(train)
    return tuple(
        EpochRecord(epoch=i + 1, train_loss=t, dev_loss=d, dev_metric=m)
        for i, (t, d, m) in enumerate(zip(train, dev, metric, strict=True))
    )


DIVERGING = _curves([0.6, 0.3, 0.1, 0.02], [0.6, 0.5, 0.6, 0.8])
STILL_FALLING = _curves([0.7, 0.6, 0.5, 0.4], [0.7, 0.65, 0.6, 0.55])
SETTLED = _curves([0.6, 0.4, 0.35, 0.34], [0.6, 0.45, 0.44, 0.45])


def test_summary_of_diverging_curves() -> None:
    s = summarise_curves(DIVERGING, best_epoch=2)
    assert s is not None
    assert (s.epochs, s.best_epoch, s.min_dev_epoch) == (4, 2, 2)
    assert s.rise == pytest.approx(0.6)  # 0.8 is 60% above 0.5
    assert s.gap == pytest.approx(0.2)
    assert s.diverges(0.1) and not s.diverges(0.7)
    assert not s.still_improving() and not s.best_at_start


def test_summary_of_still_falling_and_settled_curves() -> None:
    falling = summarise_curves(STILL_FALLING, best_epoch=4)
    assert falling is not None and not falling.diverges(0.1)
    # the last epoch lowered the dev loss by 0.05 below every earlier one; and the last
    # two epochs (the last quarter, at least two) by 0.10, of its 0.15 fall
    assert falling.still_improving(0.02) and falling.still_improving(0.06)
    assert not falling.still_improving(0.11)
    assert falling.dev_loss_total_fall == pytest.approx(0.15)
    settled = summarise_curves(SETTLED, best_epoch=3)
    assert settled is not None
    assert settled.rise == pytest.approx(0.01 / 0.44)
    assert not settled.diverges(0.1) and not settled.still_improving()
    assert summarise_curves(SETTLED, best_epoch=1) is not None
    assert summarise_curves(SETTLED, best_epoch=1).best_at_start  # type: ignore[union-attr]


def test_a_slow_learner_stopped_while_improving_is_under_trained() -> None:
    # A linear baseline: its dev loss falls by 0.01 nats per epoch to the very end, less
    # than min_change per step, but 0.03 over its last quarter (3 of 11 steps), 27% of
    # its fall; and the selection metric picked an early epoch (accuracy stood still).
    dev = [1.0 - 0.01 * i for i in range(12)]
    slow = summarise_curves(_curves([d - 0.05 for d in dev], dev), best_epoch=4)
    assert slow is not None and slow.dev_loss_tail_fall == pytest.approx(0.03)
    assert slow.dev_loss_total_fall == pytest.approx(0.11)
    assert slow.still_improving(0.02) and not slow.still_improving(0.04)
    # the same curve, flat for its last quarter (a converged run), is not: 0.003 of 0.084
    flat = dev[:8] + [dev[7] - 0.001 * i for i in range(1, 5)]
    settled = summarise_curves(_curves([d - 0.05 for d in flat], flat), best_epoch=12)
    assert settled is not None and settled.min_dev_epoch == 12
    assert not settled.still_improving(0.02)


def test_divergence_needs_an_absolute_rise_too() -> None:
    # a fitted model's dev loss wobbling 0.01 -> 0.02 is a 100% rise of 0.01 nats
    s = summarise_curves(_curves([0.5, 0.1, 0.01, 0.001], [0.5, 0.1, 0.01, 0.02]), best_epoch=3)
    assert s is not None and s.rise == pytest.approx(1.0)
    assert s.diverges(0.2) and not s.diverges(0.2, min_change=0.02)


def test_rising_dev_loss_with_rising_train_loss_is_not_divergence() -> None:
    # the whole run got worse (a learning rate blowing up): not train/val divergence
    s = summarise_curves(_curves([0.5, 0.4, 0.6, 0.9], [0.5, 0.45, 0.6, 0.9]), best_epoch=2)
    assert s is not None and s.rise == pytest.approx(1.0) and not s.diverges(0.1)


def test_summary_skips_non_finite_epochs_and_empty_curves() -> None:
    assert summarise_curves((), best_epoch=None) is None
    s = summarise_curves(_curves([0.5, float("nan"), 0.3], [0.5, 0.4, 0.45]), best_epoch=None)
    assert s is not None and (s.epochs, s.best_epoch, s.min_dev_epoch) == (3, 3, 3)


# --------------------------------------------------------------------------- assess


def _run(spec: RunSpec, accuracy: float, curves: tuple[EpochRecord, ...], best: int) -> RunResult:
    return RunResult(
        spec=spec,
        test_metrics={"accuracy": accuracy},
        dev_metrics={"accuracy": accuracy},
        curves=curves,
        best_epoch=best,
        test_predictions=(),
        duration_s=0.0,
        device="cpu",
    )


def _context(
    scores: Mapping[str, Mapping[str, Sequence[float]]],
    curves: Mapping[str, tuple[tuple[EpochRecord, ...], int]] | None = None,
    train: TrainConfig = TRAIN,
) -> AssessContext:
    """Runs with the given test accuracies per (condition, variant) and seed."""
    results = {}
    for condition, by_arm in scores.items():
        for arm, values in by_arm.items():
            shape, best = (curves or {}).get(arm, (SETTLED, 3))
            for seed, value in zip(SEEDS, values, strict=True):
                spec = RunSpec(
                    variant=arm,
                    init_seed=seed,
                    order_seed=seed,
                    condition=Condition.parse(condition),
                )
                results[(arm, condition, seed, seed)] = _run(spec, value, shape, best)
    return AssessContext(
        data=DATA,
        claims=(CLAIM,),
        baseline="bag",
        variants=("bag", "gru"),
        seeds=SEEDS,
        metrics=("accuracy",),
        train=train,
        alpha=0.05,
        rope=0.005,
        confidence=0.95,
        results=results,
    )


BAG = [0.70, 0.71, 0.69]
GAIN = [0.80, 0.82, 0.79]  # gains +10, +11, +10 pts
LOSS = [0.60, 0.62, 0.58]  # gains -10, -9, -11 pts
NOISE = [0.90, 0.60, 0.75]  # gains +20, -11, +6 pts


def test_sweep_fails_a_gain_that_reverses_at_one_size() -> None:
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": GAIN}, "batch_size=256": {"bag": BAG, "gru": LOSS}}
    )
    found = BatchSizeSweep().assess(ctx, BatchSizeSweepParams(sizes=(32, 256)))
    assert found.outcome == "fail"
    assert found.reason == (
        "the gain of gru > bag on accuracy reverses at batch size 256 (-10.00 pts, 95% CI "
        "-12.48 to -7.52 pts, 3 seeds), while it holds at 32: the gain depends on the batch "
        "size, so it is a property of one training setting, not of the variant."
    )
    (rows,) = found.conditions.values()
    assert [str(r.condition) for r in rows] == ["batch_size=32", "batch_size=256"]
    assert all(r.family == "batch size" and r.rule_id == "" for r in rows)
    assert rows[1].gains == pytest.approx((-0.10, -0.09, -0.11))
    assert found.evidence["gru > bag on accuracy at batch size 32"].endswith(
        "; lr 0.01, 2 steps per epoch (the nominal runs)"
    )
    assert found.evidence["gru at batch size 256"].startswith("test accuracy 0.600; ")
    assert "larger than the 40 training rows" in found.evidence["gru at batch size 256"]


def test_sweep_passes_a_gain_that_holds_at_every_size() -> None:
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": GAIN}, "batch_size=256": {"bag": LOSS, "gru": BAG}}
    )
    found = BatchSizeSweep().assess(ctx, BatchSizeSweepParams(sizes=(32, 256)))
    assert found.outcome == "pass"
    assert found.reason == (
        "the gain of every claim holds at each batch size 32, 256 with lr_scaling=none "
        "(smallest mean gain +10.00 pts, at batch size 256)."
    )


def test_sweep_warns_when_a_size_is_inconclusive() -> None:
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": GAIN}, "batch_size=256": {"bag": BAG, "gru": NOISE}}
    )
    found = BatchSizeSweep().assess(ctx, BatchSizeSweepParams(sizes=(32, 256)))
    assert found.outcome == "warn"
    assert found.reason.startswith(
        "the gain of gru > bag on accuracy is inconclusive at batch size 256 (+5.00 pts"
    )


def test_sweep_fails_a_gain_that_holds_nowhere() -> None:
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": LOSS}, "batch_size=256": {"bag": BAG, "gru": LOSS}}
    )
    found = BatchSizeSweep().assess(ctx, BatchSizeSweepParams(sizes=(32, 256)))
    assert found.outcome == "fail"
    assert found.reason.startswith(
        "the gain of gru > bag on accuracy reverses at batch size 32 (-10.00 pts"
    )
    assert found.reason.endswith(": no batch size of the sweep shows the gain.")


def test_sweep_without_runs_is_an_error() -> None:
    found = BatchSizeSweep().assess(_context({}), BatchSizeSweepParams(sizes=(32, 256)))
    assert found.outcome == "error"
    assert found.evidence["gru at batch size 256"] == "no successful runs"


def test_length_warns_on_divergence_and_names_the_variant() -> None:
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": GAIN}},
        curves={"gru": (DIVERGING, 2), "bag": (SETTLED, 3)},
    )
    found = TrainingLength().assess(ctx, TrainingLengthParams())
    assert found.outcome == "warn"
    assert found.reason == (
        "gru's dev loss ends 60% (+0.30 nats) above its minimum while its train loss keeps "
        "falling, in 3 of 3 seeds (train/val divergence; median of those seeds): the "
        "training length, not only the model, may shape the comparison."
    )
    assert found.evidence["gru"].startswith(
        "selected epochs 2, 2, 2 of 4; dev loss lowest at epoch 2, 60% above it at the end; "
        "3 of 3 seeds diverge"
    )


def test_length_warns_on_under_training() -> None:
    ctx = _context({"nominal": {"bag": BAG, "gru": GAIN}}, curves={"bag": (STILL_FALLING, 4)})
    found = TrainingLength().assess(ctx, TrainingLengthParams())
    assert found.outcome == "warn"
    # the under-trained arm is the claim's baseline: the warning says what that does
    assert found.reason.startswith(
        "bag's dev loss is still falling at its last epoch (4) in 3 of 3 seeds "
        "(under-trained); an under-trained baseline inflates the gain of gru over it"
    )


def test_length_headline_agrees_with_its_evidence_below_the_share() -> None:
    ctx = _context({"nominal": {"bag": BAG, "gru": GAIN}}, curves={"bag": (STILL_FALLING, 4)})
    # one seed of three still improving: below the 50% share that counts
    for seed in SEEDS[1:]:
        spec = RunSpec(variant="bag", init_seed=seed, order_seed=seed, condition=NOMINAL)
        ctx.results[("bag", "nominal", seed, seed)] = _run(spec, 0.7, SETTLED, 3)  # type: ignore[index]
    found = TrainingLength().assess(ctx, TrainingLengthParams())
    assert found.outcome == "pass"
    assert "1 still improving at the last epoch" in found.evidence["bag"]
    assert "none is still improving" not in found.reason
    assert found.reason.endswith(
        "and fewer than 50% of each variant's seeds are still improving at the last epoch "
        "(4; bag 1 of 3 seeds)."
    )


def test_length_passes_settled_curves() -> None:
    found = TrainingLength().assess(
        _context({"nominal": {"bag": BAG, "gru": GAIN}}), TrainingLengthParams()
    )
    assert found.outcome == "pass"
    assert found.reason == (
        "no variant's dev loss rises more than 20% and 0.02 nats above its minimum while its "
        "train loss falls, in 50% or more of its seeds, and none is still improving at its "
        "last epoch (4)."
    )


def test_length_fails_when_the_dev_ranking_flips_by_the_last_epoch() -> None:
    ahead_then_behind = _curves(
        [0.6, 0.4, 0.3, 0.2], [0.6, 0.45, 0.44, 0.45], metric=[0.6, 0.9, 0.8, 0.6]
    )
    steady = _curves([0.6, 0.4, 0.3, 0.2], [0.6, 0.45, 0.44, 0.45], metric=[0.6, 0.7, 0.75, 0.8])
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": GAIN}},
        curves={"gru": (ahead_then_behind, 2), "bag": (steady, 4)},
    )
    found = TrainingLength().assess(ctx, TrainingLengthParams())
    assert found.outcome == "fail"
    assert found.reason == (
        "gru leads bag on dev accuracy at the selected epochs (+10.00 pts, 95% CI +10.00 to "
        "+10.00 pts, 3 seeds) but trails it at the last epoch (-20.00 pts, 95% CI -20.00 to "
        "-20.00 pts, 3 seeds): the ranking holds only with the epoch selected on dev, so the "
        "claim rests on stopping early (dev accuracy from the curves; test metrics exist only "
        "at the selected epoch)."
    )


def test_length_skips_runs_too_short_to_inspect() -> None:
    two = _curves([0.6, 0.4], [0.6, 0.5])
    ctx = _context(
        {"nominal": {"bag": BAG, "gru": GAIN}},
        curves={"gru": (two, 2), "bag": (two, 2)},
        train=TrainConfig(epochs=2, batch_size=32, lr=0.01),
    )
    found = TrainingLength().assess(ctx, TrainingLengthParams())
    assert found.outcome == "skipped"
    assert found.reason.startswith("the runs train for 2 epochs, too few")


def test_curves_exhibit_draws_each_run_faint_under_the_mean_of_its_batch_size() -> None:
    short = _curves([0.6, 0.4, 0.3], [0.6, 0.5, 0.5])
    long = _curves([0.8, 0.6, 0.4, 0.2], [0.8, 0.7, 0.6, 0.6])
    found = curves_exhibit({("gru", 512): [short, long], ("gru", 32): [long], ("bag", 32): []})
    assert found is not None
    assert found.legend == ("batch 32", "batch 512")  # ascending, whatever the order given
    means = [c for c in found.curves if not c.faint and c.label == "batch 512"]
    train, dev = means
    # the mean over the epochs every run reached: three of them
    assert train.x == (1.0, 2.0, 3.0) and train.y == pytest.approx((0.7, 0.5, 0.35))
    assert dev.style == "dashed" and dev.y == pytest.approx((0.7, 0.6, 0.55))
    assert sum(c.faint for c in found.curves) == 2 * 3  # train and dev of each of 3 runs
    assert {c.panel for c in found.curves} == {"gru"}  # a variant without curves has no panel
    assert curves_exhibit({("gru", 32): []}) is None
