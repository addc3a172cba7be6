"""Scikit-learn's bundled classification datasets, split and optionally spoilt.

The datasets ship with scikit-learn, so loading them needs no network and always gives the
same rows. :func:`sklearn_dataset` can plant label noise and train/test leakage, each with
its ground truth in ``metadata["pitfalls"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from auditkit.datasets.arrays.splits import (
    DEFAULT_FRACTION,
    Part,
    build_dataset,
    check_fractions,
    check_plantable,
    check_rate,
    check_seed,
    option_error,
    rounded_count,
    split_indices,
)
from auditkit.errors import DataError, did_you_mean
from auditkit.types import SPLITS, FeatureDataset, SplitName

__all__ = ["SKLEARN_DATASETS", "sklearn_dataset"]

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

#: independent random streams, so planting leakage never changes which labels are flipped
_NOISE_STREAM: Final = 1
_LEAK_STREAM: Final = 2


# long only for its numpydoc docstring, the reference of every option; the body is short
def sklearn_dataset(
    which: str,
    *,
    dev: float = DEFAULT_FRACTION,
    test: float = DEFAULT_FRACTION,
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
    # over 80 lines for its numpydoc docstring (46 lines); the code itself is 43 lines
    func = "sklearn_dataset"
    which = _check_which(which)
    dev, test = check_fractions(func, dev, test)
    seed = check_seed(func, seed)
    label_noise = check_rate(func, "label_noise", label_noise, 0.5, "label_noise=0.1")
    leak = check_rate(func, "leak", leak, 1.0, "leak=0.1")

    from sklearn import datasets as sk_datasets  # imported here: sklearn is slow to import

    bunch = getattr(sk_datasets, f"load_{which}")()
    inputs = np.asarray(bunch.data, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    # the bundled targets are already 0 .. k - 1; their names say what each label means
    classes: list[Any] = np.asarray(bunch.target_names).tolist()
    names = tuple(str(n) for n in bunch.feature_names)
    row_ids = tuple(str(i) for i in range(len(labels)))
    index = split_indices(func, labels, classes, dev=dev, test=test, seed=seed, stratify=True)
    parts = {split: Part.take(inputs, labels, row_ids, index[split]) for split in SPLITS}

    parts, pitfalls = _plant(
        parts, label_noise, leak, seed, n_rows=len(labels), n_classes=len(classes)
    )
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
    return build_dataset(
        f"sklearn_dataset({which!r}, seed={seed}{extra})",
        parts,
        names,
        source=f"sklearn.datasets.load_{which}",
        options=options,
        classes=classes,
        pitfalls=pitfalls,
    )


def _plant(
    parts: dict[SplitName, Part],
    label_noise: float,
    leak: float,
    seed: int,
    *,
    n_rows: int,
    n_classes: int,
) -> tuple[dict[SplitName, Part], list[dict[str, Any]]]:
    """The splits with label noise, then a leak, planted; and their ground-truth records."""
    func = "sklearn_dataset"
    pitfalls: list[dict[str, Any]] = []
    if label_noise > 0:
        check_plantable(func, "label_noise", label_noise, {s: len(parts[s]) for s in SPLITS})
        rng = np.random.default_rng([seed, _NOISE_STREAM])
        parts = {s: parts[s].with_noise(label_noise, n_classes, rng) for s in SPLITS}
    leak_record: dict[str, Any] | None = None
    if leak > 0:
        check_plantable(func, "leak", leak, {"test": len(parts["test"])})
        rng = np.random.default_rng([seed, _LEAK_STREAM])
        parts["train"], leak_record = _plant_leak(parts, leak, n_rows, rng)
    # ground truth is measured after every pitfall is planted, on the rows as published
    if label_noise > 0:
        pitfalls.append(_noise_record(parts, label_noise))
    if leak_record is not None:
        pitfalls.append(leak_record)
    return parts, pitfalls


def _plant_leak(
    parts: Mapping[SplitName, Part], fraction: float, next_id: int, rng: np.random.Generator
) -> tuple[Part, dict[str, Any]]:
    """Train with copies of ``round(fraction * n_test)`` test rows; the leak's record."""
    train, test = parts["train"], parts["test"]
    k = rounded_count(fraction, len(test))
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
    leaked = Part(
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


def _noise_record(parts: Mapping[SplitName, Part], rate: float) -> dict[str, Any]:
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


def _check_which(which: object) -> str:
    known = ", ".join(SKLEARN_DATASETS)
    if not isinstance(which, str):
        raise option_error(
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
