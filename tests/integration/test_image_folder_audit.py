"""An audit of images loaded from a folder of PNG files, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import auditkit as ak
from auditkit.cli import main

pytestmark = pytest.mark.slow

MODEL = """
import auditkit as ak
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

exp = ak.Experiment(
    "folder",
    data=ak.datasets.image_folder("images", size=16, seed=0),
    expect_data={"source": "images"},
)

@exp.variant(baseline=True)
def linear(info):
    return LogisticRegression(max_iter=300)

@exp.variant
def forest(info):
    return RandomForestClassifier(n_estimators=30)

exp.claim("forest", over="linear", metric="accuracy")
"""


def test_an_image_folder_audits_like_generated_images(in_tmp: Path) -> None:
    # a class folder per shape, written as PNG files from the generator's images
    shapes = ak.datasets.shapes(n_train=90, n_dev=3, n_test=3, size=16, seed=0)
    names = shapes.metadata["shapes"]
    for i, (image, label) in enumerate(zip(shapes.train.inputs, shapes.train.labels, strict=True)):
        folder = in_tmp / "images" / names[int(label)]
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.round(255 * image.transpose(1, 2, 0)).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
    (in_tmp / "model.py").write_text(MODEL, encoding="utf-8")
    code = main(["check", "model.py", "--rules", "quick", "--out", "out", "-q", "--no-cache"])
    assert code in (0, 1)
    doc = json.loads((in_tmp / "out" / "audit.json").read_text(encoding="utf-8"))
    data = doc["experiment"]["data"]
    assert data["kind"] == "images"
    assert data["metadata"]["classes"] == sorted(names)
    assert sum(data["metadata"]["files"].values()) == 90
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["AK204"]["outcome"] == "pass"  # the declared source is the folder
    assert rules["AK302"]["outcome"] in ("pass", "fail")  # measured on the loaded images
    assert doc["summary"]["runs"]["failed"] == 0
