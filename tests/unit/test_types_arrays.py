"""Array datasets (images, features) and the cross-validated design: validation and identity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auditkit.types import ArraySplit, CrossValidation, DataInfo, FeatureDataset, ImageDataset


def split(n: int = 4, shape: tuple[int, ...] = (3, 4, 4), seed: int = 0) -> ArraySplit:
    rng = np.random.default_rng(seed)
    return ArraySplit(inputs=rng.random((n, *shape)), labels=np.arange(n) % 2)


def test_array_split_stores_read_only_float32_copies() -> None:
    inputs = np.zeros((2, 3), dtype=np.float64)
    part = ArraySplit(inputs=inputs, labels=[0, 1])
    inputs[0, 0] = 5.0  # the caller's array is not the dataset's
    assert part.inputs.dtype == np.float32 and part.labels.dtype == np.int64
    assert part.inputs[0, 0] == 0.0
    assert part.ids == ("0", "1")
    with pytest.raises(ValueError, match="read-only"):
        part.inputs[0, 0] = 1.0


@pytest.mark.parametrize(
    ("inputs", "labels", "ids", "words"),
    [
        (np.zeros((3, 2)), [0, 1], (), "n_rows = 2 labels"),
        (np.zeros((2, 2)), [[0, 1]], (), r"shape \(n_rows,\)"),
        (np.zeros((2, 2)), [0, -1], (), ">= 0"),
        (np.array([[0.0, np.nan], [1.0, 1.0]]), [0, 1], (), "row 0 holds NaN"),
        (np.zeros((2, 2)), [0, 1], ("a",), "1 entries for 2 rows"),
    ],
)
def test_array_split_rejects_bad_arrays(
    inputs: np.ndarray, labels: list[int], ids: tuple[str, ...], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        ArraySplit(inputs=inputs, labels=labels, ids=ids)


def test_image_dataset_needs_four_dimensional_inputs_of_one_shape() -> None:
    data = ImageDataset(name="i", train=split(), dev=split(2), test=split(2))
    assert data.kind == "images" and data.input_shape == (3, 4, 4) and data.n_classes == 2
    flat = ArraySplit(inputs=np.zeros((2, 5)), labels=[0, 1])
    with pytest.raises(ValueError, match=r"\(n_rows, channels, height, width\)"):
        ImageDataset(name="i", train=flat, dev=flat, test=flat)
    with pytest.raises(ValueError, match="differ in shape"):
        ImageDataset(name="i", train=split(), dev=split(shape=(3, 8, 8)), test=split())


def test_feature_dataset_checks_its_feature_names() -> None:
    part = split(shape=(3,))
    data = FeatureDataset(name="f", train=part, dev=part, test=part, feature_names=("a", "b", "c"))
    assert data.kind == "features" and data.input_shape == (3,)
    with pytest.raises(ValueError, match="2 feature names for 3 feature columns"):
        FeatureDataset(name="f", train=part, dev=part, test=part, feature_names=("a", "b"))


def test_fingerprint_follows_the_rows_not_the_name() -> None:
    a = ImageDataset(name="a", train=split(), dev=split(2), test=split(2))
    b = ImageDataset(name="b", train=split(), dev=split(2), test=split(2))
    c = ImageDataset(name="a", train=split(seed=1), dev=split(2), test=split(2))
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    # replace() starts a fresh memo, so a changed split gets its own fingerprint
    assert dataclasses.replace(a, train=split(seed=1)).fingerprint() == c.fingerprint()
    # images and features with the same bytes are different data
    flat = FeatureDataset(
        name="a",
        train=ArraySplit(inputs=a.train.inputs.reshape(4, -1), labels=a.train.labels),
        dev=ArraySplit(inputs=a.dev.inputs.reshape(2, -1), labels=a.dev.labels),
        test=ArraySplit(inputs=a.test.inputs.reshape(2, -1), labels=a.test.labels),
    )
    assert flat.fingerprint() != a.fingerprint()


def test_data_info_counts_flat_features() -> None:
    assert DataInfo(kind="images", n_classes=2, input_shape=(3, 4, 5)).n_features == 60
    assert DataInfo(kind="features", n_classes=2, input_shape=(7,)).n_features == 7


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"folds": 1}, "folds=1"), ({"folds": 2.5}, "folds=2.5"), ({"dev": 1.0}, "dev=1.0")],
)
def test_cross_validation_rejects_bad_settings(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        CrossValidation(**kwargs)  # type: ignore[arg-type]


def test_cross_validation_maps_data_seeds_to_repetitions_and_folds() -> None:
    design = CrossValidation(folds=5)
    assert [design.fold_of(s) for s in (0, 4, 5, 11)] == [(0, 0), (0, 4), (1, 0), (2, 1)]
