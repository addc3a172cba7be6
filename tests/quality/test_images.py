"""Factor isolation on images: a planted colour shortcut is caught, a shape model passes.

The data are ``ak.datasets.shapes``: labels read the shape only. With a colour shortcut
planted in every split, an RGB CNN beats a grayscale one on test through colour alone;
masking colour at test (grayscale) or shifting it removes the gain, so rule AK302 names
the shortcut and the claim is FRAGILE. Two colour-blind models pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.quality.conftest import rule_row

pytestmark = pytest.mark.slow

CNN = """
class Cnn(nn.Module):
    def __init__(self, info, gray=False, linear=False):
        super().__init__()
        self.gray, self.linear = gray, linear
        channels = 1 if gray else info.input_shape[0]
        if linear:
            self.net = nn.Sequential(
                nn.Flatten(), nn.Linear(channels * 16 * 16, info.n_classes)
            )
        else:
            self.net = nn.Sequential(
                nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                nn.Flatten(), nn.Linear(32, info.n_classes),
            )

    def forward(self, batch):
        x = batch["images"]
        if self.gray:
            w = x.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
            x = (x * w).sum(1, keepdim=True)
        return self.net(x)


exp = ak.Experiment(
    "images",
    data=ak.datasets.shapes(n_train=900, n_dev=200, n_test=300, seed=0, DATA_OPTIONS),
    metrics=["accuracy", "macro_f1"],
    train=ak.TrainConfig(epochs=8, batch_size=64, lr=3e-3),
)
"""

SHORTCUT = (
    CNN.replace("DATA_OPTIONS", 'shortcut=0.9, shortcut_splits=("train", "dev", "test")')
    + """
@exp.variant(baseline=True)
def gray(info):
    return Cnn(info, gray=True)

@exp.variant
def rgb(info):
    return Cnn(info)

exp.claim("rgb", over="gray", metric="accuracy")
"""
)

CLEAN = (
    CNN.replace(", DATA_OPTIONS", "")
    + """
@exp.variant(baseline=True)
def linear(info):
    return Cnn(info, gray=True, linear=True)

@exp.variant
def cnn(info):
    return Cnn(info, gray=True)

exp.claim("cnn", over="linear", metric="accuracy")
"""
)


def test_colour_shortcut_in_images_is_flagged_and_the_claim_is_fragile(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(
        SHORTCUT,
        "AK302",
        params={"modes": ["mask_color_test", "mask_shape_test", "color_shift_test"]},
    )
    row = rule_row(doc, "AK302")
    assert row["outcome"] == "fail", row
    assert row["reason"].startswith("shortcut: rgb loses")
    assert "without color" in row["reason"] and "gray" not in row["reason"].split(";")[0][:40]
    # the grayscale model sees the same input with or without colour: no drop at all
    assert row["evidence"]["gray: accuracy drop, mask_color"].startswith("+0.00 pts")
    (claim,) = doc["claims"]
    assert claim["verdict"] == "fragile", claim["reason"]
    assert "color masked at test" in claim["reason"]
    # the nominal gain is real on this test split (it shares the shortcut) ...
    assert claim["gain"]["low"] > 0.05
    # ... and shifting the colours breaks it as removing them does
    assert "colors shifted at test" in claim["fragile_under"]


def test_colour_blind_shape_models_pass_factor_isolation(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(CLEAN, "AK302")
    row = rule_row(doc, "AK302")
    assert row["outcome"] == "pass", row
    assert row["reason"].startswith("no variant relies on a factor the labelling rule ignores")
    (claim,) = doc["claims"]
    # whatever the claim's verdict, masking colour cannot make it fragile: neither arm
    # sees colour
    assert claim["verdict"] != "fragile", claim["reason"]
    assert claim["fragile_under"] == []


def test_retraining_without_colour_removes_the_shortcut_gain(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # the train-and-test variant: both arms are retrained on grayscale images, so the RGB
    # model can no longer learn the shortcut, and the gain goes with it
    doc = run_rule(SHORTCUT, "AK302", params={"modes": ["mask_color_train_test"]})
    retrained = [r for r in doc["runs"] if r["spec"]["transform"] == "mask_color"]
    assert len(retrained) == 6 and all(not r["error"] for r in retrained)
    (claim,) = doc["claims"]
    (condition,) = claim["conditions"]
    assert condition["condition"] == "color masked in every split"
    assert condition["status"] in ("vanished", "reversed", "inconclusive")
    assert condition["high"] < claim["gain"]["low"]  # far below the nominal gain
