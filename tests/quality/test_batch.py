"""AK401-AK402: a gain that exists at one batch size only, and what the curves show.

All runs are real, seeded CPU training runs on a few hundred rows; with fixed seeds the
numbers quoted in the comments are what the tests see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.quality.conftest import rule_row

pytestmark = pytest.mark.slow

#: 256 training rows, so batch size 16 is 16 optimiser steps per epoch and 256 is one.
#: ``shape_order`` (a ▲ before the first ■) needs order: a GRU reaches ~99% test
#: accuracy, a bag of tokens ~66% (it can only check that both shapes occur).
SWEEP_DATA = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(
        rule="shape_order", n_train=256, n_dev=200, n_test=300, length=(3, 5), seed=3
    ),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=12, batch_size=16, lr=1e-2),
)
"""
SWEEP = {"sizes": [16, 256], "lr_scaling": "sqrt"}

#: The planted pitfall: a gain that comes from the number of optimiser steps. The
#: variant is the baseline's bag plus an order-reading GRU branch that is switched on
#: after a warm-up of 15 optimiser steps ("we enable the relational module after
#: warm-up"). At batch size 16 (192 steps in 12 epochs) the branch trains for 177 steps
#: and the variant gains about +33 pts. At batch size 256 the 12 epochs are 12 steps:
#: the branch never switches on, and the variant *is* the baseline's bag weight for
#: weight (built first under the same init seed, fed the same batches), so its gain is
#: exactly 0 in every seed: it vanishes, deterministically. The step counter is a
#: buffer read in Python control flow, which vmap cannot batch, so the seeds train one
#: by one as a user's separate runs would.
STEP_HUNGRY = (
    SWEEP_DATA
    + """
class Warmup(nn.Module):
    def __init__(self, info, after=15):
        super().__init__()
        self.bag = Bag(info)
        self.gru = Gru(info)
        self.after = after
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, batch):
        if self.training:
            self.steps += 1
        out = self.bag(batch)
        if int(self.steps) > self.after:
            out = out + self.gru(batch)
        return out

@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def warmup(info):
    return Warmup(info)

exp.claim("warmup", over="bag", metric="accuracy")
"""
)

CLEAN = (
    SWEEP_DATA
    + """
@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def gru(info):
    return Gru(info)

exp.claim("gru", over="bag", metric="accuracy")
"""
)


def _conditions(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (claim,) = doc["claims"]
    return {c["condition"]: c for c in claim["conditions"] if c["rule"] == "AK401"}


def test_sweep_makes_a_gain_from_more_steps_fragile(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(STEP_HUNGRY, "AK401", SWEEP)
    row = rule_row(doc, "AK401")
    assert row["outcome"] == "fail"
    assert row["reason"].startswith(
        "the gain of warmup > bag on accuracy vanishes at batch size 256 (+0.00 pts, "
        "95% CI +0.00 to +0.00 pts, 3 seeds), while it holds at 16:"
    )
    (claim,) = doc["claims"]
    assert claim["verdict"] == "fragile"
    found = _conditions(doc)
    assert list(found) == ["batch_size=16", "batch_size=256"]
    assert found["batch_size=16"]["status"] == "holds"
    assert found["batch_size=16"]["mean"] > 0.25  # +32.7 pts
    assert found["batch_size=256"]["status"] == "vanished"
    assert found["batch_size=256"]["mean"] == 0.0
    assert claim["fragile_under"] == ["batch_size=256"]


def test_sweep_plans_the_nominal_size_once_and_keeps_curves(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(CLEAN, "AK401", SWEEP)
    row = rule_row(doc, "AK401")
    # +32.2 pts at batch size 16; +31.8 pts at 256 with lr 0.01 * sqrt(16) = 0.04
    assert row["outcome"] == "pass"
    assert row["reason"].startswith(
        "the gain of every claim holds at each batch size 16, 256 with lr_scaling=sqrt"
    )
    assert doc["claims"][0]["verdict"] == "supported"
    assert {c["status"] for c in _conditions(doc).values()} == {"holds"}
    by_condition: dict[str, list[dict[str, Any]]] = {}
    for run in doc["runs"]:
        by_condition.setdefault(run["spec"]["condition"], []).append(run)
    # batch size 16 is the nominal one: its runs are the nominal runs, not a second set
    assert sorted(by_condition) == ["batch_size=256", "nominal"]
    assert len(by_condition["nominal"]) == len(by_condition["batch_size=256"]) == 6
    big = by_condition["batch_size=256"]
    assert all(
        [list(p) for p in r["spec"]["overrides"]] == [["batch_size", 256], ["lr", 0.04]]
        for r in big
    )
    assert all(len(r["curves"]) == 12 for r in big)
    assert "dev loss ends" in row["evidence"]["gru at batch size 256"]


#: 256 training rows with a share of the training labels flipped (``noise``): a GRU that
#: trains long enough memorises the flipped rows, and its dev loss climbs.
LENGTH_MODEL = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(
        rule="shape_order", n_train=256, n_dev=200, n_test=300, length=(3, 5), seed=3,
        label_noise={{"train": {noise}}},
    ),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs={epochs}, batch_size=16, lr={lr}),
)

@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def gru(info):
    return Gru(info)

exp.claim("gru", over="bag", metric="accuracy")
"""

#: The under-trained baseline of issue 16: a linear model of token frequencies whose
#: logits are halved, so that with AdamW (whose steps do not grow with the gradient) it
#: learns slowly. On ``shape_count`` (which token counts decide) its dev loss is still
#: falling steadily at epoch 12 in every seed, while the GRU peaked by epoch 4.
SLOW_BASELINE = (
    LENGTH_MODEL.replace("Bag(info)", "Slow(info)")
    .replace('rule="shape_order"', 'rule="shape_count"')
    .replace("{epochs}", "12")
    .replace("{lr}", "0.01")
    .replace("{noise}", "0.0")
    .replace("{{", "{")
    .replace("}}", "}")
    .replace(
        "@exp.variant(baseline=True)",
        """class Slow(nn.Module):
    def __init__(self, info):
        super().__init__()
        self.vocab = info.vocab_size
        self.linear = nn.Linear(info.vocab_size, info.n_classes)

    def forward(self, batch):
        mask = batch["mask"].unsqueeze(-1).float()
        counts = (nn.functional.one_hot(batch["tokens"], self.vocab) * mask).sum(1)
        return self.linear(counts / mask.sum(1).clamp(min=1)) / 2

@exp.variant(baseline=True)""",
    )
)


def test_training_length_warns_on_train_val_divergence(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # 30 epochs at lr 0.05 with 30% of the training labels flipped: the GRU memorises
    # them, and in every seed its dev loss bottoms out by epoch 3 and ends 92-173% (+0.62
    # to +1.12 nats) above it while its train loss keeps falling: 4.6x the 20% threshold
    # and 30x the 0.02-nat floor in the weakest seed, so no machine's numerics can flip
    # a seed (with 15% flipped, one seed sat at 1.2x and another fell below on some CPUs)
    doc = run_rule(LENGTH_MODEL.format(epochs=30, lr=0.05, noise=0.3), "AK402")
    row = rule_row(doc, "AK402")
    assert row["outcome"] == "warn"
    assert row["reason"].startswith("gru's dev loss ends ")
    assert "in 3 of 3 seeds (train/val divergence" in row["reason"]
    assert "bag" not in row["reason"].split(":")[0]
    assert row["evidence"]["bag"].startswith("selected epochs ")
    # the bag cannot memorise: its dev loss ends within 1% (0.008 nats) of its minimum
    assert "0 of 3 seeds diverge" in row["evidence"]["bag"]


def test_training_length_passes_a_converged_schedule(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # 12 epochs at lr 0.01 on clean labels: both arms have converged. The dev loss ends
    # at most 3% above its minimum (6x under the 20% threshold), and over the last
    # quarter it moved by at most 0.004 nats (5x under the 0.02-nat threshold)
    doc = run_rule(LENGTH_MODEL.format(epochs=12, lr=0.01, noise=0.0), "AK402")
    row = rule_row(doc, "AK402")
    assert row["outcome"] == "pass"
    assert row["reason"].startswith("no variant's dev loss rises more than 20% and 0.02 nats")
    assert row["reason"].endswith("none is still improving at its last epoch (12).")


def test_training_length_warns_when_runs_stop_while_improving(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # 5 epochs: the GRU's dev loss is still dropping steeply at the end (0.18-0.21 nats
    # over the last two epochs, 9x the 0.02 nats per-epoch threshold)
    doc = run_rule(LENGTH_MODEL.format(epochs=5, lr=0.01, noise=0.15), "AK402")
    row = rule_row(doc, "AK402")
    assert row["outcome"] == "warn"
    assert "gru's dev loss is still falling at its last epoch (5) in 3 of 3 seeds" in row["reason"]


def test_training_length_warns_that_an_under_trained_baseline_inflates_the_gain(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Issue 16: a slow linear baseline's dev loss still falls at its last epoch in every
    # seed: by 0.041-0.042 nats over its last quarter (2x the 0.02-nat threshold), 20%
    # of its 0.21 fall (4x the 5% share). Accuracy, which selects the epoch, stood still
    # from epoch 3, 4 or 8: the loss tells. The GRU peaks at epochs 2-4.
    doc = run_rule(SLOW_BASELINE, "AK402")
    row = rule_row(doc, "AK402")
    assert row["outcome"] == "warn"
    assert row["reason"].startswith(
        "bag's dev loss is still falling at its last epoch (12) in 3 of 3 seeds "
        "(under-trained); an under-trained baseline inflates the gain of gru over it"
    )
    assert "gru" not in row["reason"].split(";")[0]
    assert "3 still improving at the last epoch" in row["evidence"]["bag"]
    assert "0 still improving at the last epoch" in row["evidence"]["gru"]
