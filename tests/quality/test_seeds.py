"""AK101-AK103: seed noise, seed sources and seeds that change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.quality.conftest import rule_row

pytestmark = pytest.mark.slow

DATA = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(rule="shape_count", n_train=300, n_dev=100, n_test=200, length=(4, 8), seed=3),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=3, batch_size=32, lr=1e-2),
)
"""

CLEAN = (
    DATA
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

#: the clean twin with a gain far above seed noise: the rule reads order, the bag cannot
ORDER_CLEAN = CLEAN.replace(
    'rule="shape_count", n_train=300, n_dev=100, n_test=200, length=(4, 8)',
    'rule="shape_order", n_train=256, n_dev=200, n_test=300, length=(3, 5)',
).replace("epochs=3, batch_size=32", "epochs=6, batch_size=16")

RESEEDING = (
    DATA
    + """
@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def gru(info):
    torch.manual_seed(1234)  # "for reproducibility": overrides the audit's init seed
    return Gru(info)

exp.claim("gru", over="bag", metric="accuracy")
"""
)


def test_seed_override_flags_a_self_reseeding_model(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(RESEEDING, "AK103")
    row = rule_row(doc, "AK103")
    assert row["outcome"] == "fail"
    assert "gru: init seeds 0, 1 give identical predictions" in row["reason"]
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert claim["invalid"] and claim["invalid"][0].startswith("AK103 seed-override: gru:")


def test_seed_override_passes_a_clean_model(run_rule: Callable[..., dict[str, Any]]) -> None:
    doc = run_rule(CLEAN, "AK103")
    assert rule_row(doc, "AK103")["outcome"] == "pass"
    assert doc["claims"][0]["invalid"] == []


def test_seed_sources_reports_each_source_as_a_condition(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(CLEAN, "AK102")
    row = rule_row(doc, "AK102")
    assert row["outcome"] == "pass"
    (claim,) = doc["claims"]
    names = [c["condition"] for c in claim["conditions"]]
    assert names == ["init seed only", "data-order seed only"]
    assert all(c["rule"] == "AK102" and c["n"] == 3 for c in claim["conditions"])


def test_seed_variance_fails_a_claim_within_seed_noise(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # two identical architectures: any "gain" is seed noise
    same = (
        DATA
        + """
@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def bag2(info):
    return Bag(info)

exp.claim("bag2", over="bag", metric="accuracy", reported=0.02)
"""
    )
    doc = run_rule(same, "AK101")
    assert rule_row(doc, "AK101")["outcome"] in ("warn", "fail")
    assert doc["claims"][0]["verdict"] in ("inconclusive", "refuted")
    # the clean twin's gain must stand far out of seed noise on every machine: on
    # shape_count the GRU's +5.2 pts had a 95% CI from +0.15 pts (one test row in one
    # seed from the edge); on shape_order a bag cannot see order at all (as in
    # tests/quality/test_batch.py): +32.4 pts, CI from +28.2 pts, Holm p = 0.0005
    clean = run_rule(ORDER_CLEAN, "AK101")
    assert rule_row(clean, "AK101")["outcome"] == "pass"
    assert clean["claims"][0]["verdict"] == "supported"
    assert clean["claims"][0]["gain"]["low"] > 0.1  # CI from +10 pts or more


def test_seed_sources_flags_a_gain_that_needs_a_lucky_init(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # The variant is crippled whenever its init seed is 0; with the init seed fixed at 0
    # (data order varied alone) its "gain" reverses.
    unlucky = (
        DATA
        + """
class Crippled(nn.Module):
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
    # torch.initial_seed() is the audit's init seed while the builder runs
    return Crippled(info) if torch.initial_seed() == 0 else Gru(info)

exp.claim("gru", over="bag", metric="accuracy")
"""
    )
    doc = run_rule(unlucky, "AK102")
    row = rule_row(doc, "AK102")
    assert row["outcome"] == "fail"
    assert "reverses with the data-order seed only varied" in row["reason"]
