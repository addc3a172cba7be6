"""Perturbations and data transforms on every data kind: images, features and folds."""

from __future__ import annotations

import numpy as np
import pytest

import auditkit as ak
from auditkit import perturb
from auditkit.perturb import (
    apply_transform,
    cv_fold,
    perturb_test_split,
    shift_color,
    transform_names,
)
from auditkit.types import SPLITS, ArraySplit, CrossValidation, FeatureDataset, TokenDataset


def features(n: int = 60, seed: int = 0) -> FeatureDataset:
    x, y = np.random.default_rng(seed).normal(size=(n, 3)), np.arange(n) % 3
    return ak.datasets.features(x, y, seed=seed)


def test_each_kind_names_its_test_time_perturbations() -> None:
    assert set(perturb.test_time("tokens")) == {
        "shuffle",
        "reverse",
        "mask_color",
        "mask_shape",
        "permute_color",
        "permute_shape",
        "color_shift",
    }
    assert set(perturb.test_time("images")) == {"mask_color", "mask_shape", "color_shift"}
    assert perturb.test_time("features") == {}
    assert transform_names("features") == ("resplit:<seed>",)


def test_image_perturbations_apply_to_the_test_split_only() -> None:
    data = ak.datasets.shapes(n_train=30, n_dev=6, n_test=9, size=8, seed=0)
    gray = perturb_test_split(data, "mask_color")
    assert isinstance(gray, ArraySplit)
    assert np.allclose(gray.inputs[:, 0], gray.inputs[:, 1])
    assert gray.ids == data.test.ids and np.array_equal(gray.labels, data.test.labels)
    with pytest.raises(ValueError, match="'shuffle' does not apply to images"):
        perturb_test_split(data, "shuffle")
    with pytest.raises(ValueError, match=r"known: none"):
        perturb_test_split(features(), "mask_color")


def test_train_and_test_transform_of_images_changes_every_split() -> None:
    data = ak.datasets.shapes(n_train=30, n_dev=6, n_test=9, size=8, seed=0)
    out = apply_transform(data, "mask_shape")
    assert isinstance(out, ak.ImageDataset) and out.name.endswith("mask_shape")
    for name in SPLITS:
        before, after = data.split(name).inputs, out.split(name).inputs
        assert not np.array_equal(before, after)
        # tiles move, pixel values stay: the per-image sums agree
        assert np.allclose(before.sum(axis=(1, 2, 3)), after.sum(axis=(1, 2, 3)), atol=1e-3)
    with pytest.raises(ValueError, match="not one of mask_color"):
        apply_transform(data, "reverse")


def test_resplit_of_arrays_keeps_every_row_and_the_sizes() -> None:
    data = features()
    out = apply_transform(data, "resplit:3")
    assert [len(out.split(s)) for s in SPLITS] == [len(data.split(s)) for s in SPLITS]
    pooled = lambda d: sorted(i for s in SPLITS for i in d.split(s).ids)  # noqa: E731
    assert pooled(out) == pooled(data)
    assert out.train.ids != data.train.ids
    # a row keeps its inputs and label wherever it lands
    where = {
        i: (x.tobytes(), int(y))
        for s in SPLITS
        for i, x, y in zip(
            data.split(s).ids, data.split(s).inputs, data.split(s).labels, strict=False
        )
    }
    for s in SPLITS:
        for i, x, y in zip(
            out.split(s).ids, out.split(s).inputs, out.split(s).labels, strict=False
        ):
            assert where[i] == (x.tobytes(), int(y))
    assert apply_transform(data, "resplit:3").fingerprint() == out.fingerprint()


def test_cv_folds_partition_the_pool_stratified() -> None:
    data = features(n=100)
    design = CrossValidation(folds=5, dev=0.25)
    tests = [set(cv_fold(data, design, s).test.ids) for s in range(5)]
    pool = {i for s in SPLITS for i in data.split(s).ids}
    assert set().union(*tests) == pool
    assert sum(len(t) for t in tests) == len(pool)  # disjoint
    fold = cv_fold(data, design, 2)
    assert set(fold.train.ids) | set(fold.dev.ids) | set(fold.test.ids) == pool
    assert len(fold.dev) == round(0.25 * (len(fold.train) + len(fold.dev)))
    assert np.bincount(fold.test.labels).tolist() in ([7, 7, 6], [7, 6, 7], [6, 7, 7])
    # deterministic, and the next repetition deals other folds
    assert cv_fold(data, design, 2).fingerprint() == fold.fingerprint()
    assert set(cv_fold(data, design, 7).test.ids) != set(fold.test.ids)


def test_cv_fold_of_tokens_and_too_small_classes() -> None:
    data = ak.datasets.spr(rule="shape_count", n_train=40, n_dev=10, n_test=10, seed=0)
    fold = cv_fold(data, CrossValidation(folds=3), 1)
    assert isinstance(fold, TokenDataset)
    assert sum(len(fold.split(s)) for s in SPLITS) == 60
    x = np.zeros((12, 2))
    tiny = ak.datasets.features(x, [0] * 9 + [1] * 3, dev=0.25, test=0.25, stratify=False)
    with pytest.raises(ValueError, match=r"smallest class has 3\. Use fewer folds"):
        cv_fold(tiny, CrossValidation(folds=4), 0)


def test_shift_color_changes_every_colour_and_keeps_shapes() -> None:
    rows = ("▲r ■g ●b", "◆y ◆y ▲", "■r")
    out = shift_color(rows, 0)
    assert out == shift_color(rows, 0)
    for before, after in zip(rows, out, strict=True):
        b, a = before.split(), after.split()
        assert [t[0] for t in b] == [t[0] for t in a]
        assert all(x[1:] != y[1:] for x, y in zip(b, a, strict=False) if len(x) > 1)
        assert all(len(x) == len(y) for x, y in zip(b, a, strict=False))
