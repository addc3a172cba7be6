"""Tests of the feature-array datasets: splitting, label mapping, bundled sets, pitfalls, CSV."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from auditkit.checks.splits import noise_from_metadata
from auditkit.datasets.arrays import (
    SKLEARN_DATASETS,
    features,
    features_csv,
    sklearn_dataset,
)
from auditkit.errors import DataError
from auditkit.types import SPLITS, FeatureDataset


def toy(n: int = 100, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = np.array([0, 1] * (n // 2))
    return x, y


def error(func: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DataError) as info:
        func(*args, **kwargs)
    return info.value.message


def sizes(data: FeatureDataset) -> tuple[int, ...]:
    return tuple(len(data.split(s)) for s in SPLITS)


def same_arrays(a: FeatureDataset, b: FeatureDataset) -> bool:
    return all(
        np.array_equal(a.split(s).inputs, b.split(s).inputs)
        and np.array_equal(a.split(s).labels, b.split(s).labels)
        and a.split(s).ids == b.split(s).ids
        for s in SPLITS
    )


# --------------------------------------------------------------------------- features()


def test_same_seed_same_dataset_other_seed_differs() -> None:
    x, y = toy()
    a, b = features(x, y, seed=3), features(x, y, seed=3)
    assert same_arrays(a, b)
    assert a.fingerprint() == b.fingerprint()
    c = features(x, y, seed=4)
    assert a.fingerprint() != c.fingerprint()
    assert set(a.test.ids) != set(c.test.ids)


def test_split_sizes_and_rows_partition_x() -> None:
    x, y = toy(n=100)
    data = features(x, y, dev=0.2, test=0.3)
    assert sizes(data) == (50, 20, 30)
    ids = [i for s in SPLITS for i in data.split(s).ids]
    assert sorted(ids, key=int) == [str(i) for i in range(100)]
    # default ids are the row index in x, so every row leads back to its source
    for split in SPLITS:
        part = data.split(split)
        rows = np.asarray([int(i) for i in part.ids])
        assert np.array_equal(part.inputs, x[rows].astype(np.float32))
        assert np.array_equal(part.labels, y[rows])
    assert data.kind == "features"
    assert data.input_shape == (3,)
    assert data.n_classes == 2
    assert data.train.inputs.dtype == np.float32


def test_stratification_keeps_class_ratios() -> None:
    x, _ = toy(n=200)
    y = np.array([0] * 60 + [1] * 140)
    data = features(x, y, dev=0.25, test=0.25)
    for split in SPLITS:
        labels = data.split(split).labels
        assert abs(float(np.mean(labels == 0)) - 0.3) <= 1 / len(labels)
    stats = data.metadata["splits"]
    assert stats["dev"] == {"rows": 50, "label_counts": [15, 35], "majority_rate": 0.7}


def test_unstratified_split_allows_rare_class() -> None:
    x, _ = toy(n=20)
    y = np.array([0] * 19 + [1])
    assert "stratify=False" in error(features, x, y)
    data = features(x, y, stratify=False)
    assert sizes(data) == (12, 4, 4)
    assert data.metadata["options"]["stratify"] is False


@pytest.mark.parametrize(
    ("y", "classes"),
    [
        (["dog", "cat", "ant", "cat"] * 5, ["ant", "cat", "dog"]),
        (np.array(["b", "a"] * 10), ["a", "b"]),
        ([2.0, 5.0] * 10, [2, 5]),
        (np.array([10, -3, 7] * 6 + [10, -3]), [-3, 7, 10]),
        ([True, False] * 10, [False, True]),
        ([1, 2.0] * 10, [1, 2]),  # ints and whole floats are one kind
    ],
)
def test_labels_map_to_sorted_codes(y: Any, classes: list[Any]) -> None:
    x, _ = toy(n=len(y))
    data = features(x, y, stratify=False)
    assert data.metadata["classes"] == classes
    assert all(type(c) is type(e) for c, e in zip(data.metadata["classes"], classes, strict=True))
    for split in SPLITS:
        part = data.split(split)
        for row, code in zip(part.ids, part.labels.tolist(), strict=True):
            original = y[int(row)]
            assert classes[code] == original


def test_metadata_layout_is_json_ready() -> None:
    x, y = toy(n=50)
    data = features(x, y, name="heart", feature_names=("a", "b", "c"), seed=2)
    meta = data.metadata
    assert json.loads(json.dumps(meta)) == meta
    assert "generator" not in meta
    assert meta["source"] == "heart"
    assert meta["options"] == {
        "dev": 0.2,
        "test": 0.2,
        "seed": 2,
        "stratify": True,
        "n_rows": 50,
        "n_features": 3,
    }
    assert meta["classes"] == [0, 1]
    assert meta["pitfalls"] == []
    assert set(meta["splits"]) == set(SPLITS)
    assert data.feature_names == ("a", "b", "c")
    assert data.name == "heart"


def test_given_ids_are_kept() -> None:
    x, y = toy(n=20)
    ids = [f"row{i}" for i in range(20)]
    data = features(x, y, ids=ids)
    assert sorted(i for s in SPLITS for i in data.split(s).ids) == sorted(ids)


X_OK, Y_OK = toy(n=20)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"X": np.zeros(20)}, ["shape (20,)", "X.reshape(-1, 1)"]),
        ({"X": np.zeros((20, 2, 2))}, ["shape (20, 2, 2)", "2-D"]),
        ({"X": np.zeros((0, 3)), "y": []}, ["shape (0, 3)", "at least one row"]),
        ({"X": np.full((20, 2), "a")}, ["holds text", "'a'"]),
        ({"X": [[1.0, 2.0]] * 19 + [[1.0, "x"]]}, ["X[19, 1] = 'x'", "not a number"]),
        ({"X": [[1.0, 2.0]] * 19 + [[1.0]]}, ["different lengths"]),
        ({"X": np.array([["1", "2"]] * 20)}, ["numbers written as text", "astype(float)"]),
        ({"X": np.array([["1", "a"]] * 20)}, ["X[0, 1] = 'a' is not a number"]),
        ({"X": np.zeros((20, 2), dtype=complex)}, ["dtype complex128", "real numbers"]),
        ({"y": Y_OK[:19]}, ["20 rows", "19 labels"]),
        ({"y": Y_OK.reshape(-1, 1)}, ["shape (20, 1)", "y.ravel()"]),
        ({"y": np.ones(20)}, ["every one of the 20 labels is 1", "two classes"]),
        ({"y": np.linspace(0, 1, 20)}, ["y[1] = ", "not a whole number", "regression"]),
        ({"y": [0.0, 1.0] * 9 + [0.0, float("nan")]}, ["y[19] is nan"]),
        ({"y": [0, 1] * 9 + [0, "a"]}, ["mixes label types", "y[19] = 'a'"]),
        ({"y": [0, 1] * 9 + [0, None]}, ["y[19] = None", "not a class label"]),
        ({"y": np.array(["2020-01-01"] * 20, dtype="datetime64[D]")}, ["datetime64"]),
        ({"dev": 0}, ["features(dev=0)", "strictly between 0 and 1"]),
        ({"test": 1.0}, ["features(test=1.0)"]),
        ({"dev": -0.1}, ["features(dev=-0.1)"]),
        ({"dev": float("nan")}, ["features(dev=nan)"]),
        ({"dev": True}, ["features(dev=True)"]),
        ({"test": "0.2"}, ["features(test='0.2')"]),
        ({"dev": 0.5, "test": 0.5}, ["dev=0.5, test=0.5", "below 1"]),
        ({"dev": 0.01}, ["features(dev=0.01)", "round(0.01 * 20) = 0", "at least 0.05"]),
        ({"seed": -1}, ["features(seed=-1)", "integer from 0"]),
        ({"seed": 1.5}, ["features(seed=1.5)"]),
        ({"seed": True}, ["features(seed=True)"]),
        ({"seed": 2**32}, ["features(seed=4294967296)"]),
        ({"stratify": "yes"}, ["features(stratify='yes')", "True or False"]),
        ({"feature_names": ("a",)}, ["1 names for the 3 columns"]),
        ({"feature_names": "abc"}, ["feature_names='abc'", "sequence of strings"]),
        ({"feature_names": ("a", "b", "a")}, ["'a' name more than one column"]),
        ({"feature_names": ("a", "b", "")}, ["name 2 is ''"]),
        ({"feature_names": ("a", "b", 3)}, ["name 2 is 3"]),
        ({"name": ""}, ["features(name='')", "non-empty string"]),
        ({"ids": ["a"] * 20}, ["id 'a' of row 1 is already the id of row 0"]),
        ({"ids": ["a"]}, ["1 ids for the 20 rows"]),
        ({"ids": [str(i) for i in range(19)] + [" "]}, ["the id of row 19 is empty"]),
        ({"ids": "abc"}, ["features(ids='abc')"]),
    ],
)
def test_features_errors_name_the_value(kwargs: dict[str, Any], expected: list[str]) -> None:
    args: dict[str, Any] = {"X": X_OK, "y": Y_OK, **kwargs}
    message = error(features, args.pop("X"), args.pop("y"), **args)
    for text in expected:
        assert text in message, f"{text!r} not in {message!r}"


@pytest.mark.parametrize(
    ("value", "where"),
    [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf"), (1e39, "float32 range")],
)
def test_non_finite_input_names_row_and_column(value: float, where: str) -> None:
    x = X_OK.copy()
    x[7, 2] = value
    message = error(features, x, Y_OK, feature_names=("a", "b", "c"))
    assert "row 7, column 2 ('c')" in message
    assert where in message


def test_train_split_that_would_be_empty() -> None:
    message = error(features, [[0.0], [1.0]], [0, 1], dev=0.4, test=0.4, stratify=False)
    assert "train split would be empty" in message
    assert "with 2 rows" in message


def test_stratify_needs_rows_of_every_class_per_split() -> None:
    x, _ = toy(n=20)
    y = np.repeat(np.arange(5), 4)
    message = error(features, x, y, dev=0.1, test=0.1)
    assert "5 classes need at least 5 rows" in message
    assert "dev gets 2" in message
    assert "stratify=False" in message
    message = error(features, x[:12], ["a"] * 10 + ["b"] * 2)
    assert "class 'b' (2 rows)" in message
    assert "stratify=False" in message


# --------------------------------------------------------------------------- sklearn_dataset()

SHAPES = {
    "breast_cancer": (569, 30, 2),
    "digits": (1797, 64, 10),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
}


@pytest.mark.parametrize("which", SKLEARN_DATASETS)
def test_bundled_datasets_load_with_their_shapes(which: str) -> None:
    rows, n_features, n_classes = SHAPES[which]
    data = sklearn_dataset(which)
    assert sum(sizes(data)) == rows
    assert data.input_shape == (n_features,)
    assert data.n_classes == n_classes
    assert len(data.feature_names) == n_features
    assert all(isinstance(n, str) for n in data.feature_names)
    meta = data.metadata
    assert meta["source"] == f"sklearn.datasets.load_{which}"
    assert len(meta["classes"]) == n_classes
    assert meta["pitfalls"] == []
    assert json.loads(json.dumps(meta)) == meta
    assert sizes(data) == (rows - 2 * round(0.2 * rows), round(0.2 * rows), round(0.2 * rows))


def test_breast_cancer_metadata() -> None:
    data = sklearn_dataset("breast_cancer", seed=1)
    assert data.metadata["classes"] == ["malignant", "benign"]
    assert data.feature_names[0] == "mean radius"
    assert data.name == "sklearn_dataset('breast_cancer', seed=1)"
    assert data.metadata["options"]["which"] == "breast_cancer"
    assert sklearn_dataset("breast_cancer", seed=1).fingerprint() == data.fingerprint()
    assert sklearn_dataset("breast_cancer", seed=2).fingerprint() != data.fingerprint()


def test_label_noise_flips_the_requested_share_in_every_split() -> None:
    clean = sklearn_dataset("digits", seed=5)
    noisy = sklearn_dataset("digits", seed=5, label_noise=0.2)
    assert sklearn_dataset("digits", seed=5, label_noise=0.2).fingerprint() == noisy.fingerprint()
    [record] = noisy.metadata["pitfalls"]
    assert record["kind"] == "label_noise"
    assert record["rates"] == {"train": 0.2, "dev": 0.2, "test": 0.2}
    for split in SPLITS:
        before, after = clean.split(split), noisy.split(split)
        # label noise leaves the split itself (rows, order, inputs) unchanged
        assert before.ids == after.ids
        assert np.array_equal(before.inputs, after.inputs)
        changed = before.labels != after.labels
        effect = record["splits"][split]
        assert effect["n"] == len(after)
        assert effect["n_flipped"] == int(changed.sum()) == round(0.2 * len(after))
        assert abs(effect["flipped_share"] - 0.2) < 0.01
        assert sorted(effect["flipped_ids"]) == sorted(np.asarray(after.ids)[changed].tolist())
        assert effect["accuracy_ceiling"] == pytest.approx(1 - effect["flipped_share"])
    # the noise-ceiling rule reads exactly this layout
    estimate = noise_from_metadata(noisy)  # type: ignore[arg-type]
    assert estimate is not None
    assert estimate.rate == pytest.approx(record["splits"]["test"]["flipped_share"])
    assert estimate.rate == pytest.approx(0.2, abs=0.01)
    assert noise_from_metadata(clean) is None  # type: ignore[arg-type]


def test_leak_copies_exact_test_rows_into_train() -> None:
    clean = sklearn_dataset("wine", seed=2)
    leaky = sklearn_dataset("wine", seed=2, leak=0.25)
    [record] = leaky.metadata["pitfalls"]
    k = round(0.25 * len(leaky.test))
    assert record["kind"] == "leak"
    assert record["fraction"] == 0.25
    assert record["rows"] == k == len(record["pairs"])
    assert len(leaky.train) == len(clean.train) + k
    assert leaky.metadata["splits"]["train"]["rows"] == len(clean.train) + k
    assert set(leaky.train.ids) == set(clean.train.ids) | {p[0] for p in record["pairs"]}
    assert same_test_and_dev(clean, leaky)
    train_row = {i: n for n, i in enumerate(leaky.train.ids)}
    test_row = {i: n for n, i in enumerate(leaky.test.ids)}
    for train_id, test_id in record["pairs"]:
        a, b = train_row[train_id], test_row[test_id]
        assert np.array_equal(leaky.train.inputs[a], leaky.test.inputs[b])
        assert leaky.train.labels[a] == leaky.test.labels[b]
    # exact duplicates of test rows in train: exactly the copies
    test_rows = {r.tobytes() for r in leaky.test.inputs}
    assert sum(r.tobytes() in test_rows for r in leaky.train.inputs) == k


def same_test_and_dev(a: FeatureDataset, b: FeatureDataset) -> bool:
    return all(
        a.split(s).ids == b.split(s).ids and np.array_equal(a.split(s).labels, b.split(s).labels)
        for s in ("dev", "test")
    )


def test_leak_after_noise_copies_published_labels() -> None:
    data = sklearn_dataset("iris", seed=0, label_noise=0.3, leak=0.5)
    noise, leak = data.metadata["pitfalls"]
    assert [noise["kind"], leak["kind"]] == ["label_noise", "leak"]
    test_flipped = set(noise["splits"]["test"]["flipped_ids"])
    copied_flipped = [p for p in leak["pairs"] if p[1] in test_flipped]
    assert leak["n_flipped_labels"] == len(copied_flipped)
    # copies of flipped test rows are flipped train rows, as published
    assert {p[0] for p in copied_flipped} <= set(noise["splits"]["train"]["flipped_ids"])
    assert noise["splits"]["train"]["n"] == len(data.train)
    assert "label_noise=0.3, leak=0.5" in data.name


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("diabetes",), {}, ["sklearn_dataset('diabetes')", "regression", "breast_cancer"]),
        (("linnerud",), {}, ["regression"]),
        (("california_housing",), {}, ["downloads", "iris"]),
        (("iriss",), {}, ["unknown dataset", "Did you mean 'iris'?", "digits, iris, wine"]),
        (("load_wine",), {}, ["Did you mean 'wine'?"]),
        (("mnist",), {}, ["unknown dataset", "breast_cancer, digits, iris, wine"]),
        ((3,), {}, ["sklearn_dataset(which=3)"]),
        (("iris",), {"label_noise": 0.5}, ["label_noise=0.5", "below 0.5"]),
        (("iris",), {"label_noise": -0.1}, ["label_noise=-0.1"]),
        (("iris",), {"label_noise": True}, ["label_noise=True"]),
        (("iris",), {"leak": 1.0}, ["leak=1.0", "below 1"]),
        (("iris",), {"leak": 0.01}, ["leak=0.01", "test split has 30 rows", "round(0.01 * 30)"]),
        (("iris",), {"label_noise": 0.01}, ["label_noise=0.01", "dev split has 30 rows"]),
        (("iris",), {"dev": 0.0}, ["sklearn_dataset(dev=0.0)"]),
        (("iris",), {"seed": -2}, ["sklearn_dataset(seed=-2)"]),
    ],
)
def test_sklearn_dataset_errors(
    args: tuple[Any, ...], kwargs: dict[str, Any], expected: list[str]
) -> None:
    message = error(sklearn_dataset, *args, **kwargs)
    for text in expected:
        assert text in message, f"{text!r} not in {message!r}"


# --------------------------------------------------------------------------- features_csv()

GOOD = "age,height,label\n" + "".join(f"{20 + i},{1.5 + i / 100},{i % 2}\n" for i in range(20))
SPLIT_FILES = {
    "train": "a,b,label\n1,2,x\n3,4,y\n5,6,x\n",
    "dev": "b,label,a\r\n2,y,1\r\n4,x,3\r\n",  # other order, CRLF
    "test": "a,b,label\n7,8,y\n\n9,10,x\n",  # a blank line
}


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def write_folder(root: Path, **override: str | bytes) -> Path:
    for split, text in {**SPLIT_FILES, **override}.items():
        write(root / f"{split}.csv", text)
    return root


def test_single_file_is_split_like_features(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv", GOOD)
    data = features_csv(path, seed=1)
    assert sizes(data) == (12, 4, 4)
    assert data.feature_names == ("age", "height")
    assert data.name == "features_csv('data.csv')"
    assert features_csv(path, seed=1).fingerprint() == data.fingerprint()
    assert features_csv(path, seed=2).fingerprint() != data.fingerprint()
    meta = data.metadata
    assert meta["source"] == str(path.resolve())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for split in SPLITS:
        assert meta["files"][split] == {
            "path": str(path.resolve()),
            "sha256": digest,
            "rows": len(data.split(split)),
        }
    assert meta["options"]["layout"] == "file"
    assert meta["classes"] == [0, 1]
    assert json.loads(json.dumps(meta)) == meta
    # ids say where each row is: file:line, the header being line 1
    for split in SPLITS:
        part = data.split(split)
        for row_id, inputs in zip(part.ids, part.inputs, strict=True):
            name, line = row_id.split(":")
            assert name == "data.csv"
            assert inputs[0] == 20 + int(line) - 2


def test_numeric_labels_sort_as_numbers(tmp_path: Path) -> None:
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(["10", "9", "2.0", "-1"] * 5))
    data = features_csv(write(tmp_path / "d.csv", "x,y\n" + rows), label="y", stratify=False)
    assert data.metadata["classes"] == [-1, 2, 9, 10]


def test_id_column_and_text_labels(tmp_path: Path) -> None:
    rows = "".join(f"r{i},{i},{'cat' if i % 3 else 'dog'}\n" for i in range(30))
    data = features_csv(
        write(tmp_path / "d.csv", "id,x,kind\n" + rows), label="kind", id_column="id"
    )
    assert data.metadata["classes"] == ["cat", "dog"]
    assert data.feature_names == ("x",)
    for split in SPLITS:
        part = data.split(split)
        assert [f"r{int(x)}" for x in part.inputs[:, 0]] == list(part.ids)


def test_folder_is_used_as_given(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "data")
    data = features_csv(root)
    assert sizes(data) == (3, 2, 2)
    assert data.feature_names == ("a", "b")
    # dev.csv's columns were reordered to train.csv's
    assert data.dev.inputs.tolist() == [[1, 2], [3, 4]]
    assert data.metadata["classes"] == ["x", "y"]
    assert data.dev.labels.tolist() == [1, 0]
    assert data.test.ids == ("test.csv:2", "test.csv:4")
    meta = data.metadata
    assert meta["source"] == str(root.resolve())
    for split in SPLITS:
        path = root / f"{split}.csv"
        assert meta["files"][split] == {
            "path": str(path.resolve()),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "rows": len(data.split(split)),
        }
    assert meta["options"] == {"label": "label", "id_column": None, "layout": "folder"}


def csv_error(tmp_path: Path, text: str | bytes, **kwargs: Any) -> str:
    return error(features_csv, write(tmp_path / "bad.csv", text), **kwargs)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("age,label\n1,0\nabc,1\n", {}, ["bad.csv:3: column 'age' holds 'abc', which is not a"]),
        ("age,label\n1,0\n\n\n 1e3x ,1\n", {}, ["bad.csv:5: column 'age' holds ' 1e3x '"]),
        ("age,label\n1,0\n,1\n", {}, ["bad.csv:3: column 'age' is empty"]),
        ("age,label\n1,0\nnan,1\n", {}, ["bad.csv:3: column 'age' holds 'nan'", "finite"]),
        ("age,label\n1,0\n-inf,1\n", {}, ["bad.csv:3: column 'age' holds '-inf'"]),
        ("age,label\n1,0\n1e40,1\n", {}, ["bad.csv:3:", "float32 range"]),
        ("age,labl\n1,0\n", {}, ["bad.csv:1: no column 'label'", "Did you mean 'labl'?"]),
        ("1,0\n2,1\n", {}, ["bad.csv:1: no column 'label'", "looks like a data row"]),
        ("", {}, ["bad.csv: the file is empty"]),
        ("\n\n", {}, ["bad.csv: the file is empty"]),
        ("age,label\n", {}, ["bad.csv: the file has a header (line 1) but no rows"]),
        ("age,label\n1,0\n2,1,3\n", {}, ["bad.csv:3: row has 3 fields", "names 2 columns"]),
        ("age,label\n1,0\n2\n", {}, ["bad.csv:3: row has 1 field,"]),
        (
            "age,label\n1,0\n2,0\n",
            {},
            ["bad.csv: every row has label 0 in column 'label'", "two classes"],
        ),
        ("age,label\n1,0\n2, \n", {}, ["bad.csv:3: the label column 'label' is empty"]),
        ("age,label\n1,0.5\n2,1\n", {}, ["bad.csv:2: label '0.5' is not a whole number"]),
        ("age,age,label\n1,2,0\n", {}, ["bad.csv:1: the header names 'age' more than once"]),
        ("age,,label\n1,2,0\n", {}, ["bad.csv:1: column 2 of the header has no name"]),
        ("label\n0\n1\n", {}, ["bad.csv:1: the header has no feature columns"]),
        ('age,label\n1,0\n"2"x,1\n', {}, ["bad.csv:3: malformed CSV"]),
        (b"age,label\n1,0\n2,\xff\n", {}, ["bad.csv:3: not valid UTF-8: byte 0xff"]),
        ("id,x,label\na,1,0\na,2,1\n", {"id_column": "id"}, ["bad.csv:3: id 'a'", "line 2"]),
        ("id,x,label\na,1,0\n ,2,1\n", {"id_column": "id"}, ["bad.csv:3: the id column 'id'"]),
        ("idx,x,label\n1,1,0\n", {"id_column": "id"}, ["no column 'id' (id_column='id')"]),
        ("x,label\n1,0\n", {"label": ""}, ["features_csv(label='')"]),
        ("x,label\n1,0\n", {"id_column": "label"}, ["cannot also be the label column"]),
        ("x,label\n1,0\n", {"dev": 1.5}, ["features_csv(dev=1.5)"]),
        ("x,label\n1,0\n", {"seed": -1}, ["features_csv(seed=-1)"]),
        ("x,label\n1,0\n", {"stratify": 1}, ["features_csv(stratify=1)"]),
        ("x,label\n1,0\n", {"name": ""}, ["features_csv(name='')"]),
        ("x,label\n1,0\n2,1\n", {}, ["features_csv(", "dev=0.2", "round(0.2 * 2) = 0"]),
    ],
)
def test_csv_errors_name_file_line_and_value(
    tmp_path: Path, text: str | bytes, kwargs: dict[str, Any], expected: list[str]
) -> None:
    message = csv_error(tmp_path, text, **kwargs)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_csv_path_errors(tmp_path: Path) -> None:
    assert "no such file or folder" in error(features_csv, tmp_path / "absent.csv")
    assert "features_csv(path=3)" in error(features_csv, 3)


def test_folder_errors(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "a")
    (root / "dev.csv").unlink()
    message = error(features_csv, root)
    assert "missing dev.csv" in message
    assert "found train.csv, test.csv" in message

    root = write_folder(tmp_path / "b", dev="a,c,label\n1,2,x\n")
    message = error(features_csv, root)
    assert f"{root / 'dev.csv'}:1: the columns differ from train.csv's" in message
    assert "lacks 'b'" in message
    assert "adds 'c'" in message

    root = write_folder(tmp_path / "c")
    message = error(features_csv, root, dev=0.1)
    assert "features_csv(dev=0.1)" in message
    assert "is a folder" in message

    one = "a,b,label\n1,2,x\n"
    root = write_folder(tmp_path / "d", train=one, dev=one, test=one)
    message = error(features_csv, root)
    assert "every row of train.csv, dev.csv, test.csv has label 'x'" in message

    root = write_folder(tmp_path / "e", test="a,b,label\n7,oops,y\n")
    assert f"{root / 'test.csv'}:2: column 'b' holds 'oops'" in error(features_csv, root)
