"""Tests of the coloured-shapes generator: determinism, ground truth, shortcut, validation."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from auditkit.datasets.images import COLOR_RGB, SHAPE_NAMES, shapes
from auditkit.errors import DataError
from auditkit.types import SPLITS, ImageDataset, SplitName

SMALL: dict[str, Any] = {"n_train": 240, "n_dev": 60, "n_test": 120}


@pytest.fixture(scope="module")
def clean() -> ImageDataset:
    return shapes(**SMALL)


@pytest.fixture(scope="module")
def planted() -> ImageDataset:
    return shapes(n_train=3000, n_dev=1500, n_test=1500, shortcut=0.8, seed=2)


def test_catalogues() -> None:
    assert len(SHAPE_NAMES) >= 5
    assert {"circle", "square", "triangle"} <= set(SHAPE_NAMES)
    assert len(COLOR_RGB) >= 6
    for rgb in COLOR_RGB.values():
        assert len(rgb) == 3
        assert all(0.0 <= v <= 1.0 for v in rgb)


def test_shapes_dtypes_and_ranges(clean: ImageDataset) -> None:
    assert clean.kind == "images"
    assert clean.input_shape == (3, 16, 16)
    assert clean.n_classes == 3
    for split, n in zip(SPLITS, (240, 60, 120), strict=True):
        part = clean.split(split)
        assert part.inputs.shape == (n, 3, 16, 16)
        assert part.inputs.dtype == np.float32
        assert part.labels.dtype == np.int64
        assert part.inputs.min() >= 0.0 and part.inputs.max() <= 1.0
        assert part.ids[:2] == (f"shapes_{split}_0", f"shapes_{split}_1")
        assert len(set(part.ids)) == n


def test_other_size_and_classes() -> None:
    data = shapes(n_train=12, n_dev=5, n_test=5, size=24, shapes=SHAPE_NAMES, colors=("white",))
    assert data.input_shape == (3, 24, 24)
    assert data.n_classes == len(SHAPE_NAMES)


def test_label_balance(clean: ImageDataset) -> None:
    for split in SPLITS:
        counts = np.bincount(clean.split(split).labels, minlength=3)
        assert counts.max() - counts.min() <= 1
    odd = shapes(n_train=10, n_dev=4, n_test=5)
    assert sorted(np.bincount(odd.train.labels).tolist()) == [3, 3, 4]


def test_dark_background_and_bright_shape() -> None:
    data = shapes(n_train=30, n_dev=3, n_test=3, noise=0.0)
    images = data.train.inputs
    corners = images[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    # shapes may touch a corner pixel; most corners are background, below 0.12
    assert np.median(corners) < 0.12
    # every image holds its shape: some pixel far brighter than the background
    assert (images.max(axis=(1, 2, 3)) > 0.5).all()


def test_deterministic_bit_identical() -> None:
    a, b = shapes(**SMALL, seed=5), shapes(**SMALL, seed=5)
    for split in SPLITS:
        assert a.split(split).inputs.tobytes() == b.split(split).inputs.tobytes()
        np.testing.assert_array_equal(a.split(split).labels, b.split(split).labels)
    assert a.fingerprint() == b.fingerprint()
    assert a.metadata == b.metadata
    assert shapes(**SMALL, seed=6).fingerprint() != a.fingerprint()


def test_split_streams_are_independent() -> None:
    a = shapes(n_train=30, n_dev=10, n_test=20)
    b = shapes(n_train=60, n_dev=10, n_test=20)
    np.testing.assert_array_equal(a.test.inputs, b.test.inputs)
    np.testing.assert_array_equal(a.dev.inputs, b.dev.inputs)


def test_shortcut_changes_only_colours() -> None:
    plain = shapes(**SMALL, noise=0.0)
    cued = shapes(**SMALL, noise=0.0, shortcut=0.9)
    for split in SPLITS:
        np.testing.assert_array_equal(plain.split(split).labels, cued.split(split).labels)
    # test colours are drawn the same way in both: no shortcut there
    np.testing.assert_array_equal(plain.test.inputs, cued.test.inputs)
    # the luminance-free silhouette (where a pixel is foreground) is the same in train
    fg_plain = plain.train.inputs.max(axis=1) > 0.3
    fg_cued = cued.train.inputs.max(axis=1) > 0.3
    assert (fg_plain == fg_cued).mean() > 0.97


def test_factors_ground_truth(clean: ImageDataset) -> None:
    meta = clean.metadata
    assert meta["shapes"] == ["circle", "square", "triangle"]
    assert meta["colors"] == ["red", "green", "blue", "yellow"]
    for split in SPLITS:
        part = clean.split(split)
        factors = meta["factors"][split]
        assert factors["shape"] == part.labels.tolist()
        assert len(factors["color"]) == len(part)
        assert all(isinstance(c, int) and 0 <= c < 4 for c in factors["color"])


def test_colours_are_drawn_as_recorded() -> None:
    data = shapes(n_train=60, n_dev=3, n_test=3, noise=0.0)
    images = data.train.inputs
    colors = np.asarray(data.metadata["factors"]["train"]["color"])
    palette = np.asarray([COLOR_RGB[c] for c in data.metadata["colors"]])
    # the brightest pixel is inside the shape: its colour is the palette colour scaled by
    # the brightness jitter, so its direction matches the palette entry's
    flat = images.reshape(60, 3, -1)
    brightest = flat[np.arange(60), :, flat.sum(axis=1).argmax(axis=1)]  # (60, 3)
    cosine = (brightest @ palette.T) / (
        np.linalg.norm(brightest, axis=1, keepdims=True) * np.linalg.norm(palette, axis=1)
    )
    assert (cosine.argmax(axis=1) == colors).mean() > 0.95


def test_metadata_layout_and_json(clean: ImageDataset) -> None:
    meta = clean.metadata
    json.dumps(meta)
    assert meta["generator"] == "auditkit.datasets.shapes"
    assert meta["rule"]["name"] == "shape"
    assert meta["rule"]["factors"] == ["shape"]
    assert meta["rule"]["order_dependent"] is False
    assert "circle, square, triangle" in meta["rule"]["description"]
    assert meta["pitfalls"] == []
    assert meta["options"] == {
        "n_train": 240,
        "n_dev": 60,
        "n_test": 120,
        "size": 16,
        "shapes": ["circle", "square", "triangle"],
        "colors": ["red", "green", "blue", "yellow"],
        "shortcut": 0.0,
        "shortcut_splits": ["train", "dev"],
        "noise": 0.05,
        "seed": 0,
        "name": None,
    }
    stats = meta["splits"]["train"]
    assert stats["rows"] == 240
    assert stats["label_counts"] == [80, 80, 80]
    assert sum(stats["color_counts"]) == 240


def agreement(data: ImageDataset, split: str) -> float:
    labels = np.asarray(data.metadata["factors"][split]["shape"])
    colors = np.asarray(data.metadata["factors"][split]["color"])
    return float((colors == labels % len(data.metadata["colors"])).mean())


def test_planted_shortcut_strength(planted: ImageDataset) -> None:
    expected = 0.8 + 0.2 / 4
    for split in ("train", "dev"):
        assert agreement(planted, split) == pytest.approx(expected, abs=0.03)
    assert agreement(planted, "test") == pytest.approx(0.25, abs=0.03)
    (record,) = planted.metadata["pitfalls"]
    assert record["kind"] == "shortcut"
    assert record["factor"] == "color"
    assert record["strength"] == 0.8
    assert record["splits"] == ["train", "dev"]
    assert record["color_by_label"] == ["red", "green", "blue"]
    assert record["expected_agreement"] == pytest.approx(expected)
    assert record["chance"] == 0.25
    for split in SPLITS:
        assert record["agreement"][split] == pytest.approx(agreement(planted, split))
    json.dumps(planted.metadata)
    assert "shortcut planted in train and dev" in planted.metadata["rule"]["description"]
    # the rule still reads shape only: relying on colour is relying on a shortcut
    assert planted.metadata["rule"]["factors"] == ["shape"]


def test_colour_alone_predicts_train_but_not_test(planted: ImageDataset) -> None:
    def mean_rgb(split: SplitName) -> NDArray[np.float64]:
        # mean colour of the brightest 32 pixels (an eighth): the shape's fill
        images = planted.split(split).inputs.reshape(len(planted.split(split)), 3, -1)
        top = np.argsort(images.sum(axis=1), axis=1)[:, -32:]
        fill = np.take_along_axis(images, top[:, None, :], axis=2)
        return np.asarray(fill.mean(axis=2), dtype=np.float64)

    palette = np.asarray([COLOR_RGB[c] for c in planted.metadata["colors"]])

    def accuracy(split: SplitName) -> float:
        rgb = mean_rgb(split)
        nearest = np.argmin(((rgb[:, None, :] - palette[None]) ** 2).sum(-1), axis=1)
        # "predict the class whose colour this is"; yellow (index 3) belongs to no class
        return float((nearest == planted.split(split).labels).mean())

    assert accuracy("train") > 0.75
    assert accuracy("test") < 0.4


def test_default_names() -> None:
    assert shapes(**SMALL).name == "shapes(seed=0, n_train=240, n_dev=60, n_test=120)"
    assert shapes(n_train=3, n_dev=1, n_test=1, seed=3, shortcut=0.9).name == (
        "shapes(seed=3, n_train=3, n_dev=1, n_test=1, shortcut=0.9)"
    )
    assert shapes(**SMALL, name="mine").name == "mine"


def test_defaults_are_fast() -> None:
    start = time.perf_counter()
    data = shapes()
    elapsed = time.perf_counter() - start
    assert data.name == "shapes(seed=0)"
    assert (len(data.train), len(data.dev), len(data.test)) == (1200, 300, 600)
    assert elapsed < 1.0


def test_shape_is_learnable_by_a_linear_model() -> None:
    from sklearn.linear_model import LogisticRegression

    data = shapes(size=16, n_train=600, n_dev=10, n_test=300)

    def gray(images: NDArray[np.float32]) -> NDArray[np.float32]:
        luma = 0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]
        return np.asarray(luma.reshape(len(images), -1), dtype=np.float32)

    model = LogisticRegression(max_iter=300).fit(gray(data.train.inputs), data.train.labels)
    # chance is 1/3
    assert model.score(gray(data.test.inputs), data.test.labels) > 0.55


# --------------------------------------------------------------------------- validation


def error_of(**options: Any) -> str:
    with pytest.raises(DataError) as info:
        shapes(**{**SMALL, **options})
    return str(info.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"n_train": 0}, "shapes(n_train=0): must be an integer >= 3"),
        ({"n_train": 2}, "shapes(n_train=2): must be an integer >= 3"),
        ({"n_dev": 0}, "shapes(n_dev=0): must be an integer >= 1"),
        ({"n_test": 2.5}, "shapes(n_test=2.5): must be an integer >= 1"),
        ({"n_test": True}, "shapes(n_test=True)"),
        ({"size": 4}, "shapes(size=4): must be an integer from 8 to 256"),
        ({"size": 1000}, "shapes(size=1000)"),
        ({"seed": -1}, "shapes(seed=-1): must be an integer >= 0"),
        ({"shortcut": 1.0}, "shapes(shortcut=1.0): a shortcut strength is a probability"),
        ({"shortcut": -0.1}, "shapes(shortcut=-0.1)"),
        ({"shortcut": float("nan")}, "shapes(shortcut=nan)"),
        ({"shortcut": "high"}, "shapes(shortcut='high')"),
        ({"shortcut_splits": "test"}, "shapes(shortcut_splits='test'): the splits that carry"),
        ({"shortcut_splits": ()}, "shapes(shortcut_splits=())"),
        ({"shortcut_splits": ("train", "val")}, "a non-empty list of train, dev, test"),
        ({"shortcut_splits": ("dev", "dev")}, "each at most once"),
        ({"noise": -0.01}, "shapes(noise=-0.01): pixel noise is a standard deviation"),
        ({"noise": 0.9}, "shapes(noise=0.9)"),
        ({"name": ""}, "shapes(name=''): a dataset name must be a non-empty string"),
        ({"name": 3}, "shapes(name=3)"),
        ({"shapes": "circle"}, "shapes(shapes='circle'): shapes is a list or tuple"),
        ({"shapes": ("circle",)}, "an audit needs at least two classes"),
        ({"shapes": ("circle", "circle")}, "'circle' appears more than once"),
        ({"shapes": ("circle", 3)}, "every entry must be a name (a string); got 3"),
        ({"colors": ()}, "shapes(colors=()): at least one colour"),
        ({"colors": None}, "shapes(colors=None)"),
        ({"colors": ("red", "red")}, "'red' appears more than once"),
    ],
)
def test_option_errors(options: dict[str, Any], expected: str) -> None:
    message = error_of(**options)
    assert expected in message
    assert "Write instead, e.g.," in message
    assert "(shapes-option)" in message


def test_unknown_names_suggest_the_closest() -> None:
    message = error_of(shapes=("circle", "sqare"))
    assert "unknown shape 'sqare'. Did you mean 'square'?" in message
    assert "Known shapes: circle, square, triangle, diamond, cross, ring" in message
    assert "(shapes-unknown-name)" in message
    message = error_of(colors=("red", "grene"))
    assert "unknown color 'grene'. Did you mean 'green'?" in message
    assert "(shapes-unknown-name)" in message
    assert "Did you mean" not in error_of(colors=("zzzzzz",))


def test_shortcut_needs_a_colour_per_class() -> None:
    message = error_of(shortcut=0.5, colors=("red", "green"))
    assert "shapes(colors=('red', 'green')): a shortcut gives each of the 3 classes" in message
    assert "at least 3 colours" in message
    assert "colors=('red', 'green', 'blue')" in message
    # without a shortcut two colours are fine
    assert shapes(**SMALL, colors=("red", "green")).metadata["colors"] == ["red", "green"]


def test_shortcut_can_be_planted_in_test_too() -> None:
    data = shapes(
        n_train=300, n_dev=60, n_test=300, shortcut=0.9, shortcut_splits=("train", "dev", "test")
    )
    (record,) = data.metadata["pitfalls"]
    assert record["splits"] == ["train", "dev", "test"]
    assert record["agreement"]["test"] == pytest.approx(0.925, abs=0.05)
    assert "planted in train, dev and test" in data.metadata["rule"]["description"]
    assert (
        data.name
        == "shapes(seed=0, n_train=300, n_dev=60, n_test=300, shortcut=0.9 in train+dev+test)"
    )
