"""Plain numeric feature datasets: arrays, scikit-learn's bundled datasets and CSV files.

Three ways in, one result, a :class:`~auditkit.types.FeatureDataset`:

* :func:`features` splits arrays ``X`` (n, d) and ``y`` (n,) into train, dev and test;
* :func:`sklearn_dataset` does the same for a dataset bundled with scikit-learn (no
  download) and can plant label noise and train/test leakage, with their ground truth;
* :func:`features_csv` reads one CSV file (and splits it) or a folder of ``train.csv``,
  ``dev.csv`` and ``test.csv`` (used as given).

Class labels of any kind (strings, whole-number floats, arbitrary integers) become
``0 .. k - 1`` in sorted order; ``metadata["classes"][i]`` is the original value of label
``i``. Splits are drawn with :func:`sklearn.model_selection.train_test_split`, stratified by
class unless ``stratify=False``, so the same seed always gives the same rows in the same
order. The metadata is JSON-ready: ``source``, ``options``, ``classes``, ``splits`` (per
split: ``rows``, ``label_counts``, ``majority_rate``) and ``pitfalls`` (the ground truth of
what was planted; empty for clean data), plus ``files`` for CSV data.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from auditkit.datasets.csv import open_csv
from auditkit.errors import DataError, did_you_mean
from auditkit.types import SPLITS, ArraySplit, FeatureDataset, SplitName

__all__ = ["SKLEARN_DATASETS", "features", "features_csv", "sklearn_dataset"]

#: scikit-learn's bundled classification datasets: they ship with the package, so loading
#: them needs no network and always gives the same rows
SKLEARN_DATASETS: Final[tuple[str, ...]] = ("breast_cancer", "digits", "iris", "wine")

#: bundled datasets whose targets are continuous, with what the target is
_REGRESSION: Final[Mapping[str, str]] = {
    "diabetes": "a disease-progression score",
    "linnerud": "three physiological measurements per row",
}

#: scikit-learn datasets that are downloaded on first use (``fetch_*``)
_DOWNLOADED: Final[tuple[str, ...]] = (
    "20newsgroups",
    "20newsgroups_vectorized",
    "california_housing",
    "covtype",
    "kddcup99",
    "lfw_pairs",
    "lfw_people",
    "olivetti_faces",
    "rcv1",
    "species_distributions",
)

_DEFAULT_FRACTION: Final = 0.2
#: train_test_split accepts seeds up to 2**32 - 1 (numpy's legacy RandomState)
_MAX_SEED: Final = 2**32 - 1
#: the largest finite float32: ArraySplit stores inputs as float32, so anything larger
#: would silently become inf
_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)
#: independent random streams, so planting leakage never changes which labels are flipped
_NOISE_STREAM: Final = 1
_LEAK_STREAM: Final = 2
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


# --------------------------------------------------------------------------- public API


def features(
    X: ArrayLike,  # noqa: N803 (the conventional name of a feature matrix)
    y: ArrayLike,
    *,
    dev: float = _DEFAULT_FRACTION,
    test: float = _DEFAULT_FRACTION,
    seed: int = 0,
    stratify: bool = True,
    feature_names: Sequence[str] = (),
    name: str = "features",
    ids: Sequence[str] | None = None,
) -> FeatureDataset:
    """Split plain arrays into a seeded train/dev/test :class:`FeatureDataset`.

    The test rows are drawn first, then the dev rows from what remains, each with
    :func:`sklearn.model_selection.train_test_split` (``random_state=seed``), stratified by
    class when ``stratify`` is true. Split sizes are ``round(test * n)`` and
    ``round(dev * n)`` rows (halves round up); train gets the rest.

    Parameters
    ----------
    X
        Numeric features, shape (n_rows, n_features); every value finite and within the
        float32 range (inputs are stored as float32).
    y
        Class labels, shape (n_rows,): strings, bools, integers or whole-number floats, with
        at least two distinct values. Sorted unique values become labels ``0 .. k - 1``.
    dev, test
        Fractions of the rows for the dev and test splits, each in (0, 1), summing to less
        than 1.
    seed
        Seed of the split, from 0 to 2**32 - 1. The same seed gives identical splits.
    stratify
        Keep each class's share equal across splits. Needs at least 3 rows per class and at
        least one row per class in each split; pass False for classes too rare for that.
    feature_names
        One name per column, shape (n_features,), unique; empty when unknown.
    name
        Dataset name; also recorded as ``metadata["source"]``.
    ids
        One unique identifier per row, shape (n_rows,); defaults to the row index in ``X``
        (``"0"``, ``"1"``, ...), so every split's rows can be traced back to ``X``.

    Returns
    -------
    FeatureDataset
        Splits with inputs of shape (n_split, n_features) and labels of shape (n_split,).
        ``metadata`` holds ``source`` (``name``), ``options`` (``dev``, ``test``, ``seed``,
        ``stratify``, ``n_rows``, ``n_features``), ``classes`` (original label values,
        index = label), ``splits`` (per split ``rows``, ``label_counts`` of shape
        (n_classes,) and ``majority_rate``) and ``pitfalls`` (empty).

    Raises
    ------
    DataError
        When ``X`` is not a finite numeric 2-D array, ``y`` does not hold one class label per
        row of ``X``, there are fewer than two classes, an option is invalid, a split would be
        empty, or a class is too rare to stratify.
    """
    func = "features"
    inputs = _as_inputs(func, X)
    n_rows, n_features = inputs.shape
    names = _check_feature_names(func, feature_names, n_features)
    _check_finite(func, inputs, names)
    labels, classes = _encode_array_labels(func, y, n_rows)
    if not isinstance(name, str) or not name.strip():
        raise _option_error(
            func, "name", name, "a dataset name must be a non-empty string", "name='heart'"
        )
    row_ids = _check_ids(func, ids, n_rows)
    dev, test = _check_fractions(func, dev, test)
    seed = _check_seed(func, seed)
    stratify = _check_bool(func, "stratify", stratify)
    index = _split_indices(func, labels, classes, dev=dev, test=test, seed=seed, stratify=stratify)
    parts = {split: _Part.take(inputs, labels, row_ids, index[split]) for split in SPLITS}
    options = {
        "dev": dev,
        "test": test,
        "seed": seed,
        "stratify": stratify,
        "n_rows": n_rows,
        "n_features": n_features,
    }
    return _dataset(name, parts, names, source=name, options=options, classes=classes)


def sklearn_dataset(
    which: str,
    *,
    dev: float = _DEFAULT_FRACTION,
    test: float = _DEFAULT_FRACTION,
    seed: int = 0,
    label_noise: float = 0.0,
    leak: float = 0.0,
) -> FeatureDataset:
    """Load a classification dataset bundled with scikit-learn, split and optionally spoilt.

    The rows are split exactly as :func:`features` splits them (stratified). Two pitfalls
    can then be planted, each writing its ground truth to ``metadata["pitfalls"]``; with
    both at 0 the dataset is exactly the clean one, and either pitfall leaves the clean
    split (which rows go where) unchanged.

    Parameters
    ----------
    which
        One of :data:`SKLEARN_DATASETS`: ``"breast_cancer"`` (569 rows, 30 features, 2
        classes), ``"digits"`` (1797, 64, 10), ``"iris"`` (150, 4, 3) or ``"wine"``
        (178, 13, 3).
    dev, test
        Fractions of the rows for the dev and test splits, as in :func:`features`.
    seed
        Seed of the split and of the planted pitfalls, from 0 to 2**32 - 1.
    label_noise
        Share of labels to flip in every split, in [0, 0.5): ``round(label_noise * n)``
        rows per split, chosen at random, each relabelled uniformly to one of the other
        classes. Recorded as ``{"kind": "label_noise", "rates": {split: rate}, "splits":
        {split: {"rate", "n", "n_flipped", "flipped_share", "flipped_ids",
        "accuracy_ceiling"}}}``, measured on the rows as published (leaked copies of
        flipped test rows count as flipped train rows).
    leak
        Share of test rows to copy into train, in [0, 1): ``round(leak * n_test)`` test
        rows, chosen at random after label noise, are added to train as exact duplicates
        (features and published label) under new ids, at random positions. Recorded as
        ``{"kind": "leak", "fraction", "rows", "pairs" ([train id, test id] per copy),
        "n_flipped_labels"}``.

    Returns
    -------
    FeatureDataset
        Inputs of shape (n_split, n_features) and labels of shape (n_split,); ids are the
        row's index in scikit-learn's data (leaked copies get the next unused indices).
        ``metadata`` holds ``source`` (``"sklearn.datasets.load_<which>"``), ``options``,
        ``classes`` (scikit-learn's target names), ``splits`` and ``pitfalls``, laid out as
        in :func:`features`.

    Raises
    ------
    DataError
        For an unknown, regression or downloaded dataset name, an invalid option, or a
        pitfall too small to plant a single row.
    """
    func = "sklearn_dataset"
    which = _check_which(which)
    dev, test = _check_fractions(func, dev, test)
    seed = _check_seed(func, seed)
    label_noise = _check_rate(func, "label_noise", label_noise, 0.5, "label_noise=0.1")
    leak = _check_rate(func, "leak", leak, 1.0, "leak=0.1")

    from sklearn import datasets as sk_datasets  # imported here: sklearn is slow to import

    bunch = getattr(sk_datasets, f"load_{which}")()
    inputs = np.asarray(bunch.data, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    # the bundled targets are already 0 .. k - 1; their names say what each label means
    classes: list[Any] = np.asarray(bunch.target_names).tolist()
    names = tuple(str(n) for n in bunch.feature_names)
    row_ids = tuple(str(i) for i in range(len(labels)))
    index = _split_indices(func, labels, classes, dev=dev, test=test, seed=seed, stratify=True)
    parts = {split: _Part.take(inputs, labels, row_ids, index[split]) for split in SPLITS}

    pitfalls: list[dict[str, Any]] = []
    if label_noise > 0:
        _check_plantable(func, "label_noise", label_noise, {s: len(parts[s]) for s in SPLITS})
        rng = np.random.default_rng([seed, _NOISE_STREAM])
        parts = {s: parts[s].with_noise(label_noise, len(classes), rng) for s in SPLITS}
    leak_record: dict[str, Any] | None = None
    if leak > 0:
        _check_plantable(func, "leak", leak, {"test": len(parts["test"])})
        rng = np.random.default_rng([seed, _LEAK_STREAM])
        parts["train"], leak_record = _plant_leak(parts, leak, len(labels), rng)
    # ground truth is measured after every pitfall is planted, on the rows as published
    if label_noise > 0:
        pitfalls.append(_noise_record(parts, label_noise))
    if leak_record is not None:
        pitfalls.append(leak_record)

    options = {
        "which": which,
        "dev": dev,
        "test": test,
        "seed": seed,
        "stratify": True,
        "label_noise": label_noise,
        "leak": leak,
    }
    extra = "".join(
        f", {k}={v}" for k, v in (("label_noise", label_noise), ("leak", leak)) if v > 0
    )
    return _dataset(
        f"sklearn_dataset({which!r}, seed={seed}{extra})",
        parts,
        names,
        source=f"sklearn.datasets.load_{which}",
        options=options,
        classes=classes,
        pitfalls=pitfalls,
    )


def features_csv(
    path: str | os.PathLike[str],
    *,
    label: str = "label",
    dev: float | None = None,
    test: float | None = None,
    seed: int = 0,
    id_column: str | None = None,
    stratify: bool = True,
    name: str | None = None,
) -> FeatureDataset:
    """Load numeric features from one CSV file (split here) or a folder of split files.

    A file is split as :func:`features` splits arrays. A folder must hold ``train.csv``,
    ``dev.csv`` and ``test.csv`` with the same columns (in any order), which are used as
    given. Files are UTF-8 (a byte-order mark is tolerated) with a header row; blank lines
    are skipped. Every column other than the label and id columns is a feature and must
    hold a finite number in every row.

    Parameters
    ----------
    path
        A ``.csv`` file, or a folder holding ``train.csv``, ``dev.csv`` and ``test.csv``.
    label
        Name of the column holding the class labels (strings or numbers; sorted unique
        values become ``0 .. k - 1``, numerically when every label is a whole number).
    dev, test
        Fractions of a single file's rows for the dev and test splits (default 0.2 each);
        not allowed for a folder, whose split files are used as given.
    seed
        Seed of a single file's split; unused for a folder.
    id_column
        Name of a column of unique row identifiers (unique within each file); by default
        a row's id is ``"<file name>:<line>"``.
    stratify
        Stratify a single file's split by class, as in :func:`features`; unused for a
        folder.
    name
        Dataset name; defaults to ``"features_csv('<file or folder name>')"``.

    Returns
    -------
    FeatureDataset
        Inputs of shape (n_split, n_features), labels of shape (n_split,), and
        ``feature_names`` in the order of the (train) file's header. ``metadata`` holds
        ``source`` (the resolved path), ``files`` (per split: resolved ``path``,
        ``sha256`` of the file's bytes, ``rows`` of the split; for a single file every
        split names that file), ``options``, ``classes``, ``splits`` and ``pitfalls``
        (empty).

    Raises
    ------
    DataError
        When the path or a split file is missing, a file is not UTF-8, empty, has no label
        column, no feature column, repeated column names, a ragged row, an empty, non-numeric
        or non-finite feature value, an empty label or a repeated id; when the split files'
        columns differ; when there is one class only; or for an invalid option. Messages
        start with ``file:line`` (1-based, the header is line 1) where there is a line.
    """
    func = "features_csv"
    if not isinstance(path, str | os.PathLike):
        raise _option_error(
            func, "path", path, "a path is a str or pathlib.Path", "features_csv('data.csv')"
        )
    for option, value in (("label", label), ("id_column", id_column)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise _option_error(
                func, option, value, "a column name must be a non-empty string", f"{option}='y'"
            )
    if id_column is not None and id_column == label:
        raise _option_error(
            func,
            "id_column",
            id_column,
            f"the id column cannot also be the label column (label={label!r})",
            "id_column='id'",
        )
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise _option_error(
            func, "name", name, "a dataset name must be a non-empty string (or None)", "name='x'"
        )
    seed = _check_seed(func, seed)
    stratify = _check_bool(func, "stratify", stratify)
    root = Path(path)
    if not root.exists():
        raise DataError(
            f"{root}: no such file or folder (resolved: {root.resolve()}). features_csv reads "
            "one CSV file, or a folder holding train.csv, dev.csv and test.csv. Check the path.",
            slug="csv-folder-missing",
        )
    options: dict[str, Any] = {"label": label, "id_column": id_column}
    if root.is_dir():
        given = [f"{k}={v!r}" for k, v in (("dev", dev), ("test", test)) if v is not None]
        if given:
            raise DataError(
                f"features_csv({', '.join(given)}): {root} is a folder, whose train.csv, "
                "dev.csv and test.csv are used as given, so there is nothing to split. Drop "
                f"{' and '.join(g.split('=')[0] for g in given)}, or pass a single CSV file "
                "to split it.",
                slug="features-option",
            )
        tables = _read_folder(root, label, id_column)
        options["layout"] = "folder"
    else:
        dev_f, test_f = _check_fractions(
            func,
            _DEFAULT_FRACTION if dev is None else dev,
            _DEFAULT_FRACTION if test is None else test,
        )
        table = _read_table(root, label, id_column)
        options.update(layout="file", dev=dev_f, test=test_f, seed=seed, stratify=stratify)
        tables = {"file": table}
    labels_by_table, classes = _encode_text_labels(tables)
    if len(classes) < 2:
        files = " of " + ", ".join(t.path.name for t in tables.values()) if root.is_dir() else ""
        raise DataError(
            f"{root}: every row{files} has label {classes[0]!r} in column {label!r}. An "
            "audit needs at least two classes: with one, every metric is trivial and no claim "
            "can be tested. Check that label names the class column, and that this is the "
            "data you meant.",
            slug="csv-one-class",
        )
    files_meta: dict[str, dict[str, Any]] = {}
    if root.is_dir():
        parts = {
            split: _Part(tables[split].inputs, labels_by_table[split], tables[split].ids)
            for split in SPLITS
        }
        file_of = {split: tables[split] for split in SPLITS}
    else:
        table = tables["file"]
        codes = labels_by_table["file"]
        index = _split_indices(
            # the messages then name the file, e.g. "data.csv: features_csv(dev=0.01): ..."
            f"{root}: features_csv",
            codes,
            classes,
            dev=options["dev"],
            test=options["test"],
            seed=seed,
            stratify=stratify,
        )
        parts = {s: _Part.take(table.inputs, codes, table.ids, index[s]) for s in SPLITS}
        file_of = dict.fromkeys(SPLITS, table)
    for split in SPLITS:
        files_meta[split] = {
            "path": str(file_of[split].path.resolve()),
            "sha256": file_of[split].sha256,
            "rows": len(parts[split]),
        }
    return _dataset(
        name if name is not None else f"features_csv({root.resolve().name!r})",
        parts,
        file_of["train"].columns,
        source=str(root.resolve()),
        options=options,
        classes=classes,
        files=files_meta,
    )


# --------------------------------------------------------------------------- building


@dataclass(frozen=True, slots=True)
class _Part:
    """One split under construction: rows, labels, ids and which labels were flipped."""

    #: shape (n, n_features)
    inputs: NDArray[np.float64]
    #: shape (n,), values 0 .. n_classes - 1
    labels: NDArray[np.int64]
    ids: tuple[str, ...]
    #: shape (n,); True where label noise changed the label
    flipped: NDArray[np.bool_] | None = None

    @classmethod
    def take(
        cls,
        inputs: NDArray[np.float64],
        labels: NDArray[np.int64],
        ids: tuple[str, ...],
        index: NDArray[np.int64],
    ) -> _Part:
        """The rows at ``index`` (shape (n_split,)), in that order."""
        return cls(inputs[index], labels[index], tuple(ids[i] for i in index.tolist()))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def is_flipped(self) -> NDArray[np.bool_]:
        """Shape (n,): True where label noise changed the label."""
        if self.flipped is None:
            return np.zeros(len(self), dtype=bool)
        return self.flipped

    def with_noise(self, rate: float, n_classes: int, rng: np.random.Generator) -> _Part:
        """Relabel ``round(rate * n)`` random rows, each to a uniformly chosen other class."""
        k = _count(rate, len(self))
        rows = rng.choice(len(self), size=k, replace=False)
        labels = self.labels.copy()
        # adding 1 .. n_classes - 1 modulo n_classes always lands on another class, and
        # every other class equally often
        shift = rng.integers(1, n_classes, size=k)
        labels[rows] = (labels[rows] + shift) % n_classes
        flipped = self.is_flipped().copy()
        flipped[rows] = True
        return _Part(self.inputs, labels, self.ids, flipped)


def _count(rate: float, n: int) -> int:
    """``round(rate * n)`` with halves rounded up, so sizes do not depend on parity."""
    return math.floor(rate * n + 0.5)


def _plant_leak(
    parts: Mapping[SplitName, _Part], fraction: float, next_id: int, rng: np.random.Generator
) -> tuple[_Part, dict[str, Any]]:
    """Train with copies of ``round(fraction * n_test)`` test rows; the leak's record."""
    train, test = parts["train"], parts["test"]
    k = _count(fraction, len(test))
    picked = np.sort(rng.choice(len(test), size=k, replace=False))
    # fresh ids, as a duplicated row in the wild has: the copies must be found by their
    # content, not by an id shared with test
    new_ids = tuple(str(next_id + i) for i in range(k))
    inputs = np.concatenate([train.inputs, test.inputs[picked]])
    labels = np.concatenate([train.labels, test.labels[picked]])
    ids = train.ids + new_ids
    flipped = np.concatenate([train.is_flipped(), test.is_flipped()[picked]])
    # copies at random positions, so a trainer that reads rows in order cannot tell them
    # apart by position
    order = rng.permutation(len(labels))
    leaked = _Part(
        inputs[order],
        labels[order],
        tuple(ids[i] for i in order.tolist()),
        flipped[order] if train.flipped is not None else None,
    )
    record = {
        "kind": "leak",
        "fraction": fraction,
        "rows": k,
        "pairs": [[new, test.ids[j]] for new, j in zip(new_ids, picked.tolist(), strict=True)],
        # copies carry the test label as published, flipped ones included
        "n_flipped_labels": int(test.is_flipped()[picked].sum()),
    }
    return leaked, record


def _noise_record(parts: Mapping[SplitName, _Part], rate: float) -> dict[str, Any]:
    # the layout auditkit.checks.splits.noise_from_metadata reads: splits.test.n_flipped
    splits: dict[str, Any] = {}
    for split in SPLITS:
        part = parts[split]
        mask = part.is_flipped()
        n, k = len(part), int(mask.sum())
        splits[split] = {
            "rate": rate,
            "n": n,
            "n_flipped": k,
            "flipped_share": k / n,
            "flipped_ids": [part.ids[i] for i in np.flatnonzero(mask).tolist()],
            # a model that predicts the true class exactly is wrong on every flipped row
            "accuracy_ceiling": (n - k) / n,
        }
    return {"kind": "label_noise", "rates": dict.fromkeys(SPLITS, rate), "splits": splits}


def _statistics(part: _Part, n_classes: int) -> dict[str, Any]:
    counts = np.bincount(part.labels, minlength=n_classes)
    return {
        "rows": len(part),
        "label_counts": counts.tolist(),
        # accuracy of always predicting this split's most common class
        "majority_rate": float(counts.max() / len(part)),
    }


def _dataset(
    name: str,
    parts: Mapping[SplitName, _Part],
    feature_names: tuple[str, ...],
    *,
    source: str,
    options: Mapping[str, Any],
    classes: list[Any],
    pitfalls: list[dict[str, Any]] | None = None,
    files: Mapping[str, Any] | None = None,
) -> FeatureDataset:
    metadata: dict[str, Any] = {"source": source}
    if files is not None:
        metadata["files"] = dict(files)
    metadata.update(
        {
            "options": dict(options),
            "classes": classes,
            "splits": {s: _statistics(parts[s], len(classes)) for s in SPLITS},
            # ground truth of planted pitfalls; empty means the splits are clean
            "pitfalls": pitfalls or [],
        }
    )
    splits = {
        s: ArraySplit(
            inputs=parts[s].inputs.astype(np.float32), labels=parts[s].labels, ids=parts[s].ids
        )
        for s in SPLITS
    }
    return FeatureDataset(
        name=name,
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        metadata=metadata,
        feature_names=feature_names,
    )


def _split_indices(
    func: str,
    labels: NDArray[np.int64],
    classes: Sequence[Any],
    *,
    dev: float,
    test: float,
    seed: int,
    stratify: bool,
) -> dict[SplitName, NDArray[np.int64]]:
    """Row indices (each of shape (n_split,)) of train, dev and test."""
    from sklearn.model_selection import train_test_split  # slow import; only when splitting

    n = len(labels)
    n_test, n_dev = _count(test, n), _count(dev, n)
    sizes = {"train": n - n_test - n_dev, "dev": n_dev, "test": n_test}
    for split, size in sizes.items():
        if size < 1:
            raise DataError(_empty_split_message(func, split, n, dev, test), slug="features-split")
    if stratify:
        _check_stratifiable(func, labels, classes, sizes)
    index = np.arange(n, dtype=np.int64)
    try:
        rest, test_index = train_test_split(
            index, test_size=n_test, random_state=seed, stratify=labels if stratify else None
        )
        train_index, dev_index = train_test_split(
            rest,
            test_size=n_dev,
            random_state=seed,
            stratify=labels[rest] if stratify else None,
        )
    except ValueError as exc:
        # the checks above cover what sklearn needs in all but corner cases of its
        # allocation; say what to change rather than show sklearn's message alone
        raise DataError(
            f"{func}(stratify=True): the classes cannot be spread over all three splits "
            f"({exc}). Pass stratify=False, or raise dev and test so that each split holds "
            "every class.",
            slug="features-stratify",
        ) from None
    return {
        "train": np.asarray(train_index, dtype=np.int64),
        "dev": np.asarray(dev_index, dtype=np.int64),
        "test": np.asarray(test_index, dtype=np.int64),
    }


def _empty_split_message(func: str, split: str, n: int, dev: float, test: float) -> str:
    if split == "train":
        return (
            f"{func}(dev={dev}, test={test}): with {n} rows, dev and test take all of them "
            f"({_count(dev, n)} + {_count(test, n)}), so the train split would be empty. "
            "Lower dev or test, or use more rows."
        )
    fraction = dev if split == "dev" else test
    return (
        f"{func}({split}={fraction}): with {n} rows, the {split} split gets "
        f"round({fraction} * {n}) = 0 rows, and every split needs at least one. Raise "
        f"{split} to at least {1 / n:.3g}, or use more rows."
    )


def _check_stratifiable(
    func: str, labels: NDArray[np.int64], classes: Sequence[Any], sizes: Mapping[str, int]
) -> None:
    counts = np.bincount(labels, minlength=len(classes))
    rare = [(classes[c], int(counts[c])) for c in np.flatnonzero(counts < len(SPLITS)).tolist()]
    if rare:
        listed = ", ".join(f"{value!r} ({count} row{'s' * (count != 1)})" for value, count in rare)
        raise DataError(
            f"{func}(stratify=True): class {listed} has too few rows to stratify: a "
            f"stratified split puts each class in train, dev and test, which needs at least "
            f"{len(SPLITS)} rows per class. Pass stratify=False (the class may then be missing "
            "from a split), drop or merge the rare class, or add rows.",
            slug="features-stratify",
        )
    small = {split: size for split, size in sizes.items() if size < len(classes)}
    if small:
        listed = ", ".join(f"{split} gets {size}" for split, size in small.items())
        raise DataError(
            f"{func}(stratify=True): {len(classes)} classes need at least {len(classes)} rows "
            f"in each split to stratify, but {listed}. Raise dev and test, use more rows, or "
            "pass stratify=False.",
            slug="features-stratify",
        )


# --------------------------------------------------------------------------- arrays


def _as_inputs(func: str, X: ArrayLike) -> NDArray[np.float64]:  # noqa: N803
    """``X`` as a float64 array of shape (n_rows, n_features), or a DataError."""
    try:
        array = np.asarray(X)
    except ValueError:
        raise DataError(
            f"{func}(X=...): the rows of X have different lengths. X must be a rectangular "
            "array of shape (n_rows, n_features); pad or drop the short rows.",
            slug="features-array",
        ) from None
    if not isinstance(X, np.ndarray) and array.dtype.kind in "US":
        # numpy turns [[1.0, "x"]] into text throughout; keeping each value's own type lets
        # the check below name the one value that is not a number
        array = np.asarray(X, dtype=object)
    kind = array.dtype.kind
    if kind in "US":
        for position, text in np.ndenumerate(array):
            if not _is_number_text(str(text)):
                where = ", ".join(map(str, position))
                raise DataError(
                    f"{func}(X=...): X holds text (dtype {array.dtype}): X[{where}] = "
                    f"{str(text)!r} is not a number. Features must be numbers; convert the "
                    "columns first (one-hot encode categories), or read a CSV file with "
                    "features_csv.",
                    slug="features-array",
                )
        raise DataError(
            f"{func}(X=...): X holds numbers written as text (dtype {array.dtype}). Convert "
            "them first, e.g. X.astype(float), so that no text is read as a feature by mistake.",
            slug="features-array",
        )
    if kind == "O":
        for position, value in np.ndenumerate(array):
            if isinstance(value, str | bytes) or not isinstance(value, int | float | np.number):
                where = ", ".join(map(str, position))
                raise DataError(
                    f"{func}(X=...): X[{where}] = {value!r} is not a number. Features must be "
                    "numbers; convert or drop that column.",
                    slug="features-array",
                )
    elif kind not in "biuf":
        raise DataError(
            f"{func}(X=...): X has dtype {array.dtype}, but features must be real numbers "
            "(bool, int or float). Convert X, e.g. with X.astype(float) for real values.",
            slug="features-array",
        )
    if array.ndim != 2:
        hint = " For a single feature, pass X.reshape(-1, 1)." if array.ndim == 1 else ""
        raise DataError(
            f"{func}(X=...): X has shape {array.shape}, but it must be 2-D, shape "
            f"(n_rows, n_features).{hint}",
            slug="features-array",
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise DataError(
            f"{func}(X=...): X has shape {array.shape}; it needs at least one row and one "
            "feature column.",
            slug="features-array",
        )
    try:
        return np.asarray(array, dtype=np.float64)
    except OverflowError:
        raise DataError(
            f"{func}(X=...): X holds an integer too large for a float. Rescale that column.",
            slug="features-array",
        ) from None


def _check_finite(func: str, inputs: NDArray[np.float64], names: tuple[str, ...]) -> None:
    """Raise a DataError naming the first row and column that float32 cannot hold."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(inputs) | (np.abs(inputs) > _FLOAT32_MAX)
    if not bad.any():
        return
    row, column = (int(i) for i in np.argwhere(bad)[0])
    value = float(inputs[row, column])
    named = f" ({names[column]!r})" if names else ""
    if math.isfinite(value):
        why = (
            "is beyond the float32 range (about ±3.4e38) in which inputs are stored. "
            "Rescale that column"
        )
    else:
        why = (
            "is not a finite number; models cannot train on it and metrics would be "
            "undefined. Impute or drop the missing values first"
        )
    raise DataError(
        f"{func}(X=...): row {row}, column {column}{named} holds {value!r}, which {why} "
        f"({int(bad.sum())} such value{'s' * (int(bad.sum()) != 1)} in all).",
        slug="features-array",
    )


def _check_feature_names(func: str, names: Sequence[str], n_features: int) -> tuple[str, ...]:
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray):
        raise _option_error(
            func,
            "feature_names",
            names,
            "feature names are a sequence of strings, one per column",
            "feature_names=('age', 'height')",
        )
    out = tuple(names)
    if not out:
        return ()
    if len(out) != n_features:
        raise _option_error(
            func,
            "feature_names",
            names,
            f"{len(out)} names for the {n_features} columns of X; give one name per column",
            "feature_names=() when the names are unknown",
        )
    for position, value in enumerate(out):
        if not isinstance(value, str) or not value.strip():
            raise _option_error(
                func,
                "feature_names",
                names,
                f"name {position} is {value!r}; every name must be a non-empty string",
                "feature_names=('age', 'height')",
            )
    repeated = sorted({n for n in out if out.count(n) > 1})
    if repeated:
        raise _option_error(
            func,
            "feature_names",
            names,
            f"{', '.join(map(repr, repeated))} name more than one column; names must be unique "
            "so that reports can tell the columns apart",
            "feature_names=('age', 'height')",
        )
    return tuple(str(n) for n in out)


def _check_ids(func: str, ids: Sequence[str] | None, n_rows: int) -> tuple[str, ...]:
    if ids is None:
        return tuple(str(i) for i in range(n_rows))
    if isinstance(ids, str) or not isinstance(ids, Sequence | np.ndarray):
        raise _option_error(
            func, "ids", ids, "ids are a sequence of strings, one per row", "ids=None"
        )
    out = tuple(str(i) for i in ids)
    if len(out) != n_rows:
        raise DataError(
            f"{func}(ids=...): {len(out)} ids for the {n_rows} rows of X; give one id per row, "
            "or ids=None to number the rows.",
            slug="features-ids",
        )
    first: dict[str, int] = {}
    for row, value in enumerate(out):
        if not value.strip():
            raise DataError(
                f"{func}(ids=...): the id of row {row} is empty. Ids name rows in reports "
                "and duplicate scans; give every row an id, or pass ids=None.",
                slug="features-ids",
            )
        if value in first:
            raise DataError(
                f"{func}(ids=...): id {value!r} of row {row} is already the id of row "
                f"{first[value]}. Ids must be unique, since they name rows in reports and "
                "duplicate scans; rename one, or pass ids=None.",
                slug="features-ids",
            )
        first[value] = row
    return out


def _label_kind(value: object) -> str | None:
    """``"text"``, ``"bool"``, ``"int"`` or ``"float"``; None for anything else."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    return None


def _as_label_array(func: str, y: ArrayLike) -> NDArray[Any]:
    """``y`` as an array of one kind (text, bool, int or float), or a DataError."""
    if not isinstance(y, np.ndarray):
        try:
            converted = np.asarray(y)
        except ValueError:  # ragged nesting; the object path below reports it
            converted = np.asarray(y, dtype=object)
        # numbers alone are safe to convert directly; text must go the object path below
        if converted.dtype.kind in "biuf":
            y = converted
    if isinstance(y, np.ndarray) and y.dtype.kind != "O":
        array = y.astype(str) if y.dtype.kind == "S" else y
        if array.dtype.kind not in "Ubiuf":
            raise DataError(
                f"{func}(y=...): y has dtype {array.dtype}; class labels are strings, bools, "
                "integers or whole-number floats.",
                slug="features-label",
            )
        return array
    # dtype=object keeps each value's own type: a plain np.asarray would turn [1, "a"]
    # into the strings "1" and "a" and hide the mixture
    values = np.asarray(y, dtype=object)
    if values.ndim != 1:
        return values  # the caller reports the shape
    kinds: list[str] = []
    for row, value in enumerate(values.tolist()):
        kind = _label_kind(value)
        if kind is None:
            raise DataError(
                f"{func}(y=...): y[{row}] = {value!r} (a {type(value).__name__}) is not a "
                "class label. Labels are strings, bools, integers or whole-number floats; "
                "fill in or drop the row.",
                slug="features-label",
            )
        kinds.append(kind)
    found = set(kinds)
    if found == {"int", "float"}:
        found = {"float"}
    if len(found) > 1:
        row = next(i for i, k in enumerate(kinds) if k != kinds[0])
        raise DataError(
            f"{func}(y=...): y mixes label types: y[0] = {values[0]!r} but y[{row}] = "
            f"{values[row]!r}. Sorting mixed labels has no meaning; convert them to one type "
            "first (e.g. all strings).",
            slug="features-label",
        )
    dtype = {"text": str, "bool": bool, "int": np.int64, "float": np.float64}[found.pop()]
    try:
        return np.asarray(values.tolist(), dtype=dtype)
    except OverflowError:
        raise DataError(
            f"{func}(y=...): an integer label is beyond the 64-bit range; use strings for "
            "such labels.",
            slug="features-label",
        ) from None


def _encode_array_labels(
    func: str, y: ArrayLike, n_rows: int
) -> tuple[NDArray[np.int64], list[Any]]:
    """Labels 0 .. k - 1 (shape (n_rows,)) and the sorted original values (length k)."""
    values = _as_label_array(func, y)
    if values.ndim != 1:
        raise DataError(
            f"{func}(y=...): y has shape {values.shape}, but it must be 1-D, one class label "
            "per row: shape (n_rows,). For a column vector, pass y.ravel().",
            slug="features-label",
        )
    if len(values) != n_rows:
        raise DataError(
            f"{func}(X, y): X has {n_rows} rows but y has {len(values)} labels; give one "
            "label per row of X.",
            slug="features-label",
        )
    if values.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise DataError(
                f"{func}(y=...): y[{bad[0]}] is {float(values[bad[0]])!r}, not a class label "
                f"({bad.size} such label{'s' * (bad.size != 1)}). Drop the unlabelled rows.",
                slug="features-label",
            )
        fractional = np.flatnonzero(values != np.round(values))
        if fractional.size:
            raise DataError(
                f"{func}(y=...): y[{fractional[0]}] = {float(values[fractional[0]])!r} is not "
                "a whole number. Class labels can be floats only when whole (0.0, 1.0): y "
                "looks like a regression target, and these datasets are for classification. "
                "Bin the target into classes first.",
                slug="features-label",
            )
        values = values.astype(np.int64)
    classes, codes = np.unique(values, return_inverse=True)
    if len(classes) < 2:
        raise DataError(
            f"{func}(y=...): every one of the {n_rows} labels is {classes[0].item()!r}. An "
            "audit needs at least two classes: with one, every metric is trivial and no "
            "claim can be tested. Check that y is the class column.",
            slug="features-label",
        )
    return np.asarray(codes, dtype=np.int64).reshape(-1), classes.tolist()


# --------------------------------------------------------------------------- options


def _option_error(func: str, option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"{func}({option}={value!r}): {why}. Write instead, e.g., {instead}.",
        slug="features-option",
    )


def _is_real(value: object) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    )


def _check_fractions(func: str, dev: object, test: object) -> tuple[float, float]:
    for option, value in (("dev", dev), ("test", test)):
        if not _is_real(value) or not 0 < float(value) < 1:  # type: ignore[arg-type]
            raise _option_error(
                func,
                option,
                value,
                "a split's share of the rows must be a number strictly between 0 and 1",
                f"{option}=0.2",
            )
    dev_f, test_f = float(dev), float(test)  # type: ignore[arg-type]
    if dev_f + test_f >= 1:
        raise DataError(
            f"{func}(dev={dev_f}, test={test_f}): dev and test together take {dev_f + test_f:g} "
            "of the rows, leaving none for train. Their sum must be below 1; write e.g. "
            "dev=0.2, test=0.2.",
            slug="features-option",
        )
    return dev_f, test_f


def _check_seed(func: str, seed: object) -> int:
    if (
        not isinstance(seed, int | np.integer)
        or isinstance(seed, bool)
        or not 0 <= seed <= _MAX_SEED
    ):
        raise _option_error(
            func, "seed", seed, f"a seed must be an integer from 0 to {_MAX_SEED}", "seed=0"
        )
    return int(seed)


def _check_bool(func: str, option: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise _option_error(func, option, value, "must be True or False", f"{option}=True")
    return bool(value)


def _check_rate(func: str, option: str, value: object, below: float, instead: str) -> float:
    if not _is_real(value) or not 0 <= float(value) < below:  # type: ignore[arg-type]
        raise _option_error(
            func, option, value, f"must be a number from 0 to below {below:g}", instead
        )
    return float(value)  # type: ignore[arg-type]


def _check_plantable(func: str, option: str, rate: float, sizes: Mapping[str, int]) -> None:
    """Raise when ``rate`` rounds to zero rows in a split: a pitfall that plants nothing."""
    for split, n in sizes.items():
        if _count(rate, n) == 0:
            raise DataError(
                f"{func}({option}={rate}): the {split} split has {n} rows, and "
                f"round({rate} * {n}) = 0, so the pitfall would plant nothing there while its "
                f"record claims it. Raise {option} to at least {1 / n:.3g}, or set it to 0.",
                slug="features-pitfall",
            )


def _check_which(which: object) -> str:
    known = ", ".join(SKLEARN_DATASETS)
    if not isinstance(which, str):
        raise _option_error(
            "sklearn_dataset", "which", which, f"a dataset name is one of {known}", "'iris'"
        )
    key = which.strip().lower().removeprefix("load_").removeprefix("fetch_")
    if which in SKLEARN_DATASETS:
        return which
    if key in _REGRESSION:
        raise DataError(
            f"sklearn_dataset({which!r}): load_{key} is a regression dataset (its target is "
            f"{_REGRESSION[key]}), and sklearn_dataset builds classification datasets. Use "
            f"one of {known}, or bin the target into classes and pass the arrays to "
            "features(X, y).",
            slug="sklearn-dataset",
        )
    if key in _DOWNLOADED:
        raise DataError(
            f"sklearn_dataset({which!r}): fetch_{key} downloads its data on first use, and an "
            f"audit must not depend on the network. Use one of the bundled {known}, or fetch "
            "it yourself and pass the arrays to features(X, y).",
            slug="sklearn-dataset",
        )
    hint = did_you_mean(key, SKLEARN_DATASETS) or did_you_mean(which, SKLEARN_DATASETS)
    raise DataError(
        f"sklearn_dataset({which!r}): unknown dataset.{hint} The bundled classification "
        f"datasets, which need no download, are {known}.",
        slug="sklearn-dataset",
    )


# --------------------------------------------------------------------------- CSV files


@dataclass(frozen=True, slots=True)
class _Table:
    """One parsed CSV file."""

    path: Path
    #: hex SHA-256 of the file's bytes, as read
    sha256: str
    #: feature column names, in header order; shape (n_features,)
    columns: tuple[str, ...]
    #: shape (n_rows, n_features)
    inputs: NDArray[np.float64]
    #: label text per row, stripped; shape (n_rows,)
    labels: tuple[str, ...]
    #: 1-based line of each row; shape (n_rows,)
    lines: tuple[int, ...]
    ids: tuple[str, ...]

    def reordered(self, columns: tuple[str, ...]) -> _Table:
        """The same table with its feature columns in the order of ``columns``."""
        order = [self.columns.index(c) for c in columns]
        return _Table(
            self.path,
            self.sha256,
            columns,
            self.inputs[:, order],
            self.labels,
            self.lines,
            self.ids,
        )


def _read_folder(root: Path, label: str, id_column: str | None) -> dict[str, _Table]:
    paths = {split: root / f"{split}.csv" for split in SPLITS}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        expected = {p.name for p in paths.values()}
        others = sorted(p.name for p in root.glob("*.csv") if p.name not in expected)
        found = [p.name for p in paths.values() if p.is_file()]
        raise DataError(
            f"{root}: missing {', '.join(missing)}; found "
            f"{', '.join(found) if found else 'none of train.csv, dev.csv, test.csv'}"
            f"{' (other CSV files here: ' + ', '.join(others) + ')' if others else ''}. A "
            "folder must hold all three splits, since an audit trains on train, selects on "
            "dev and reports on test. Add the missing files, or pass a single CSV file to "
            "features_csv to split it.",
            slug="csv-split-missing",
        )
    tables: dict[str, _Table] = {
        split: _read_table(paths[split], label, id_column) for split in SPLITS
    }
    reference = tables["train"]
    for split in ("dev", "test"):
        table = tables[split]
        if set(table.columns) != set(reference.columns):
            lacks = [c for c in reference.columns if c not in table.columns]
            extra = [c for c in table.columns if c not in reference.columns]
            details = []
            if lacks:
                details.append(f"lacks {', '.join(map(repr, lacks))}")
            if extra:
                details.append(f"adds {', '.join(map(repr, extra))}")
            raise DataError(
                f"{table.path}:1: the columns differ from train.csv's: {split}.csv "
                f"{' and '.join(details)}. A model reads the same features in every split; "
                "make the headers name the same columns (their order may differ).",
                slug="csv-header",
            )
        tables[split] = table.reordered(reference.columns)
    return tables


def _read_table(path: Path, label: str, id_column: str | None) -> _Table:
    """Parse one CSV file; every problem becomes a DataError starting with ``path:line``."""
    if not path.is_file():
        raise DataError(
            f"{path}: not a file. features_csv reads one CSV file, or a folder holding "
            "train.csv, dev.csv and test.csv.",
            slug="csv-folder-missing",
        )
    reader, sha256 = open_csv(
        path, "Guessing another encoding could silently change labels and ids."
    )
    try:
        return _parse_table(path, reader, sha256, label, id_column)
    except csv.Error as exc:
        raise DataError(
            f"{path}:{reader.line_num}: malformed CSV ({exc}). Quote a field that contains a "
            "comma or a quote.",
            slug="csv-fields",
        ) from None


def _parse_table(path: Path, reader: Any, sha256: str, label: str, id_column: str | None) -> _Table:
    header: list[str] | None = None
    for row in reader:
        if row:  # the csv module yields [] for a blank line
            header = [name.strip() for name in row]
            break
    if header is None:
        raise DataError(
            f"{path}: the file is empty. Write a header row naming the columns (including "
            f"{label!r}), then one row per example.",
            slug="csv-empty",
        )
    header_line = reader.line_num
    _check_header(path, header_line, header, label, id_column)
    label_at = header.index(label)
    id_at = header.index(id_column) if id_column is not None else None
    feature_at = [i for i in range(len(header)) if i not in (label_at, id_at)]
    columns = tuple(header[i] for i in feature_at)

    rows: list[list[float]] = []
    labels: list[str] = []
    lines: list[int] = []
    ids: list[str] = []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}:{line}: row has {len(row)} field{'s' * (len(row) != 1)}, but the "
                f"header (line {header_line}) names {len(header)} columns: {row!r}. Every row "
                "needs one value per column; quote a value that contains a comma, and remove "
                "stray commas.",
                slug="csv-fields",
            )
        label_text = row[label_at].strip()
        if not label_text:
            raise DataError(
                f"{path}:{line}: the label column {label!r} is empty. Every row needs a class "
                "label; fill it in or drop the row.",
                slug="csv-label",
            )
        if id_at is not None:
            row_id = row[id_at].strip()
            if not row_id:
                raise DataError(
                    f"{path}:{line}: the id column {id_column!r} is empty. Ids name rows in "
                    "reports and duplicate scans; give the row an id.",
                    slug="csv-duplicate-id",
                )
            if row_id in first_line:
                raise DataError(
                    f"{path}:{line}: id {row_id!r} in column {id_column!r} was already used on "
                    f"line {first_line[row_id]}. Ids must be unique within a file; rename one "
                    "of the rows or remove the duplicate.",
                    slug="csv-duplicate-id",
                )
            first_line[row_id] = line
        else:
            # where the row is, so that a report's row id leads back to the file
            row_id = f"{path.name}:{line}"
        values = []
        for i in feature_at:
            values.append(_parse_number(path, line, header[i], row[i]))
        rows.append(values)
        labels.append(label_text)
        lines.append(line)
        ids.append(row_id)
    if not rows:
        raise DataError(
            f"{path}: the file has a header (line {header_line}) but no rows. Add one row per "
            "example below the header.",
            slug="csv-empty",
        )
    return _Table(
        path=path,
        sha256=sha256,
        columns=columns,
        inputs=np.asarray(rows, dtype=np.float64).reshape(len(rows), len(columns)),
        labels=tuple(labels),
        lines=tuple(lines),
        ids=tuple(ids),
    )


def _check_header(
    path: Path, line: int, header: list[str], label: str, id_column: str | None
) -> None:
    for position, column in enumerate(header):
        if not column:
            raise DataError(
                f"{path}:{line}: column {position + 1} of the header has no name. Name every "
                "column, or remove the trailing comma.",
                slug="csv-header",
            )
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(
            f"{path}:{line}: the header names {', '.join(map(repr, repeated))} more than once. "
            "Columns are found by name, so each name must be unique; rename the copies.",
            slug="csv-header",
        )
    for option, wanted in (("label", label), ("id_column", id_column)):
        if wanted is None or wanted in header:
            continue
        looks_like_data = all(_is_number_text(c) for c in header)
        hint = (
            " The first line looks like a data row: a header row naming the columns is required."
            if looks_like_data
            else ""
        )
        raise DataError(
            f"{path}:{line}: no column {wanted!r} ({option}={wanted!r}); the header has "
            f"{', '.join(map(repr, header))}.{did_you_mean(wanted, header)}{hint} Pass "
            f"{option}= the name of the column that holds the "
            f"{'class labels' if option == 'label' else 'row ids'}.",
            slug="csv-header",
        )
    if len(header) == 1 + (id_column is not None):
        raise DataError(
            f"{path}:{line}: the header has no feature columns, only "
            f"{', '.join(map(repr, header))}. Every column other than the label (and id) "
            "column is a numeric feature; add at least one.",
            slug="csv-header",
        )


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_number(path: Path, line: int, column: str, text: str) -> float:
    stripped = text.strip()
    if not stripped:
        raise DataError(
            f"{path}:{line}: column {column!r} is empty. Every feature value must be a number; "
            "impute the missing value or drop the row.",
            slug="csv-number",
        )
    try:
        value = float(stripped)
    except ValueError:
        raise DataError(
            f"{path}:{line}: column {column!r} holds {text!r}, which is not a number; every "
            "column other than the label (and id) column is a numeric feature. Fix the value, "
            "encode a categorical column as numbers, or pass id_column= if it is an id.",
            slug="csv-number",
        ) from None
    if not math.isfinite(value) or abs(value) > _FLOAT32_MAX:
        why = (
            "beyond the float32 range (about ±3.4e38) in which inputs are stored"
            if math.isfinite(value)
            else "not a finite number; models cannot train on it"
        )
        raise DataError(
            f"{path}:{line}: column {column!r} holds {text!r}, which is {why}. Impute, "
            "rescale or drop the value.",
            slug="csv-number",
        )
    return value


def _encode_text_labels(
    tables: Mapping[str, _Table],
) -> tuple[dict[str, NDArray[np.int64]], list[Any]]:
    """Labels 0 .. k - 1 per table and the sorted original values (length k).

    Labels sort numerically when every label of every table is a whole number (so ``"10"``
    comes after ``"9"``), else as text.
    """
    every = [(t, i) for t in tables.values() for i in range(len(t.labels))]
    numeric = all(_is_number_text(t.labels[i]) for t, i in every)
    values: dict[str, list[Any]] = {}
    if numeric:
        for key, table in tables.items():
            converted: list[Any] = []
            for text, line in zip(table.labels, table.lines, strict=True):
                if _INTEGER.fullmatch(text):
                    converted.append(int(text))
                    continue
                number = float(text)
                if not math.isfinite(number) or number != round(number):
                    raise DataError(
                        f"{table.path}:{line}: label {text!r} is not a whole number. Numeric "
                        "class labels must be whole (0, 1 or 1.0): fractional labels look "
                        "like a regression target, and these datasets are for "
                        "classification. Bin the target into classes first.",
                        slug="csv-label",
                    )
                converted.append(int(number))
            values[key] = converted
    else:
        values = {key: list(table.labels) for key, table in tables.items()}
    classes = sorted({v for vs in values.values() for v in vs})
    code = {value: i for i, value in enumerate(classes)}
    return (
        {key: np.asarray([code[v] for v in vs], dtype=np.int64) for key, vs in values.items()},
        classes,
    )
