"""AK501-AK504: class imbalance, metric consistency, cherry-picking and ablations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.quality.conftest import rule_row

pytestmark = pytest.mark.slow

COUNT = '''
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(rule="shape_count", n_train=400, n_dev=100, n_test=200, length=(4, 8), seed=3),
    metrics=["accuracy", "macro_f1", "mcc"],
    train=ak.TrainConfig(epochs=4, batch_size=32, lr=1e-2),
)

class Constant(nn.Module):
    """Ignores its input: learns the class prior and nothing else."""

    def __init__(self, info):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(info.n_classes))

    def forward(self, batch):
        return self.bias.expand(batch["tokens"].shape[0], -1)

@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def gru(info):
    return Gru(info)

@exp.variant
def constant(info):
    return Constant(info)
'''


def test_class_imbalance_flags_a_majority_class_predictor(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(COUNT + 'exp.claim("constant", over="bag", metric="accuracy")\n', "AK501")
    row = rule_row(doc, "AK501")
    assert row["outcome"] == "fail"
    assert "no better than always predicting class" in row["reason"]
    assert "constant (" in row["reason"]


def test_class_imbalance_passes_real_models(run_rule: Callable[..., dict[str, Any]]) -> None:
    source = (
        COUNT.replace("@exp.variant\ndef constant(info):\n    return Constant(info)\n", "")
        + 'exp.claim("gru", over="bag", metric="accuracy")\n'
    )
    doc = run_rule(source, "AK501")
    assert rule_row(doc, "AK501")["outcome"] == "pass"


# Rows of two kinds: "shape rows" (many shapes, one colour; the label is a shape count)
# and "colour rows" (one shape, many colours; the label is a colour count). SWA weighs
# the shape rows up, CWA the colour rows. A shape-only model wins the shape rows and a
# colour-only model the colour rows, so "shapes beats colours on SWA" comes with a loss
# on CWA.
TRADE_OFF = """
import numpy as np

def _rows(rng, n, split):
    ids, seqs, labels = [], [], []
    shapes, colors = "▲■●◆", "rgby"
    while len(ids) < n:
        kind = len(ids) % 2
        length = int(rng.integers(5, 9))
        if kind == 0:
            s = rng.choice(list(shapes), length)
            tokens = [x + "r" for x in s]
            label = int((s == "▲").sum() >= 2)
        else:
            c = rng.choice(list(colors), length)
            tokens = ["●" + x for x in c]
            label = int((c == "g").sum() >= 2)
        ids.append(f"{split}_{len(ids)}")
        seqs.append(" ".join(tokens))
        labels.append(label)
    return ak.TokenSplit(ids=tuple(ids), sequences=tuple(seqs), labels=tuple(labels))

rng = np.random.default_rng(0)
data = ak.TokenDataset(name="trade-off", train=_rows(rng, 600, "train"), dev=_rows(rng, 200, "dev"), test=_rows(rng, 400, "test"))

exp = ak.Experiment(
    "q",
    data=data,
    metrics=["accuracy", "swa", "cwa"],
    train=ak.TrainConfig(epochs=5, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def colours(info):
    return Bag(info, factors=("color",))

@exp.variant
def shapes(info):
    return Bag(info, factors=("shape",))

@exp.variant
def both(info):
    return Bag(info, factors=("shape", "color"))
"""


def test_metric_consistency_flags_swa_up_cwa_down(run_rule: Callable[..., dict[str, Any]]) -> None:
    doc = run_rule(TRADE_OFF + 'exp.claim("shapes", over="colours", metric="swa")\n', "AK502")
    row = rule_row(doc, "AK502")
    assert row["outcome"] == "fail"
    assert "shapes > colours on swa reverses on cwa" in row["reason"]


def test_metric_consistency_passes_a_gain_on_every_metric(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(TRADE_OFF + 'exp.claim("both", over="colours", metric="swa")\n', "AK502")
    assert rule_row(doc, "AK502")["outcome"] == "pass"


def test_cherry_pick_flags_a_reported_gain_no_seed_reaches(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    picked = run_rule(
        COUNT + 'exp.claim("gru", over="bag", metric="accuracy", reported=0.5)\n', "AK503"
    )
    row = rule_row(picked, "AK503")
    assert row["outcome"] == "fail"
    assert "reported +50.00 pts > best seed" in row["reason"]
    typical = run_rule(
        COUNT + 'exp.claim("gru", over="bag", metric="accuracy", reported=-1.0)\n', "AK503"
    )
    assert rule_row(typical, "AK503")["outcome"] == "pass"


ORDER = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(rule="shape_order", n_train=800, n_dev=200, n_test=300, length=(4, 7), seed=5),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=6, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def gru(info):
    return Gru(info)

@exp.variant
def no_recurrence(info):
    return Bag(info)
"""


def test_ablation_that_costs_the_model_passes(run_rule: Callable[..., dict[str, Any]]) -> None:
    # removing the recurrence from the GRU leaves an order-blind bag: it must cost accuracy
    doc = run_rule(
        ORDER + 'exp.ablation("no_recurrence", of="gru", metric="accuracy", removes="the GRU")\n',
        "AK504",
    )
    row = rule_row(doc, "AK504")
    assert row["outcome"] == "pass"
    assert doc["claims"][0]["label"] == "gru > no_recurrence on accuracy"


def test_ablation_that_removes_nothing_is_flagged(run_rule: Callable[..., dict[str, Any]]) -> None:
    # "removes" a component the bag never used: the same architecture under another name
    source = (
        ORDER
        + """
@exp.variant
def bag_again(info):
    return Bag(info)

exp.ablation("bag_again", of="no_recurrence", metric="accuracy", removes="nothing")
"""
    )
    doc = run_rule(source, "AK504")
    assert rule_row(doc, "AK504")["outcome"] in ("warn", "fail")
