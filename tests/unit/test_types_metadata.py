"""Typed dataset metadata: the keys checks rely on, parsed in one place, bad types named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import auditkit as ak
from auditkit.errors import ModelFileError
from auditkit.types import DataFile, DataMetadata, LabelRule, TokenDataset, TokenSplit

PART = TokenSplit(ids=("a", "b"), sequences=("▲r", "■g"), labels=(0, 1))


def test_generated_data_parses_to_its_rule_pitfalls_and_splits() -> None:
    data = ak.datasets.spr(rule="shape_count", n_train=40, n_dev=20, n_test=20, seed=1)
    meta = data.meta
    assert meta.generator == "auditkit.datasets.spr"
    assert meta.rule == LabelRule(
        name="shape_count",
        description="count(shape ▲) >= 3",
        factors=("shape",),
        order_dependent=False,
    )
    assert meta.pitfalls == () and set(meta.splits) == {"train", "dev", "test"}
    assert meta.splits["train"]["n"] == 40


def test_loaded_files_and_image_counts_parse() -> None:
    meta = DataMetadata.parse(
        {
            "source": Path("/data/SPR_BENCH"),
            "files": {"train": {"path": "/d/train.csv", "sha256": "ab", "rows": 3}, "test": 7},
        }
    )
    assert meta.source == "/data/SPR_BENCH"
    assert meta.files["train"] == DataFile(path="/d/train.csv", sha256="ab", rows=3)
    assert meta.files["test"] == DataFile(n_files=7)
    assert DataMetadata.parse({}) == DataMetadata()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"source": 3}, "metadata['source'] = 3 (int) must be a string"),
        ({"rule": "count"}, "metadata['rule'] = 'count' (str) must be a mapping"),
        ({"rule": {"factors": "shape"}}, "metadata['rule']['factors'] = 'shape' (str)"),
        ({"rule": {"order_dependent": "no"}}, "['order_dependent'] = 'no' (str) must be true"),
        ({"files": {"train": {"rows": "3"}}}, "metadata['files']['train']['rows'] = '3'"),
        ({"pitfalls": [{"rate": 0.1}]}, "metadata['pitfalls'][0] = {'rate': 0.1}"),
        ({"splits": {"train": [1, 2]}}, "metadata['splits']['train'] = [1, 2] (list)"),
    ],
)
def test_a_bad_type_names_its_key(metadata: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        DataMetadata.parse(metadata)
    assert message in str(info.value)


def test_a_model_file_with_bad_metadata_gets_a_model_file_error() -> None:
    data = TokenDataset(name="toy", train=PART, dev=PART, test=PART, metadata={"rule": 5})
    exp = ak.Experiment("bad", data=data, metrics=["accuracy"])
    exp.variant(baseline=True)(lambda info: None)
    with pytest.raises(ModelFileError) as info:
        exp.freeze("model.py")
    assert "model.py: the data 'toy' has bad metadata: metadata['rule'] = 5" in str(info.value)
