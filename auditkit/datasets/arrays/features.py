"""Feature datasets from plain arrays: :func:`features` checks ``X`` and ``y`` and splits them.

Class labels of any kind (strings, whole-number floats, arbitrary integers) become
``0 .. k - 1`` in sorted order; ``metadata["classes"][i]`` is the original value of label
``i``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from auditkit.datasets.arrays.splits import (
    DEFAULT_FRACTION,
    FLOAT32_MAX,
    Part,
    build_dataset,
    check_bool,
    check_fractions,
    check_seed,
    is_number_text,
    option_error,
    split_indices,
)
from auditkit.datasets.inputs import check_name
from auditkit.errors import DataError
from auditkit.types import SPLITS, FeatureDataset

__all__ = ["features"]


def features(
    X: ArrayLike,  # noqa: N803 (the conventional name of a feature matrix)
    y: ArrayLike,
    *,
    dev: float = DEFAULT_FRACTION,
    test: float = DEFAULT_FRACTION,
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
    inputs, names, labels, classes = _check_arrays(func, X, y, feature_names)
    n_rows, n_features = inputs.shape
    check_name(partial(option_error, func), name, "name='heart'", optional=False)
    row_ids = _check_ids(func, ids, n_rows)
    dev, test = check_fractions(func, dev, test)
    seed = check_seed(func, seed)
    stratify = check_bool(func, "stratify", stratify)
    index = split_indices(func, labels, classes, dev=dev, test=test, seed=seed, stratify=stratify)
    parts = {split: Part.take(inputs, labels, row_ids, index[split]) for split in SPLITS}
    options = {
        "dev": dev,
        "test": test,
        "seed": seed,
        "stratify": stratify,
        "n_rows": n_rows,
        "n_features": n_features,
    }
    return build_dataset(name, parts, names, source=name, options=options, classes=classes)


def _check_arrays(
    func: str,
    X: ArrayLike,  # noqa: N803
    y: ArrayLike,
    feature_names: Sequence[str],
) -> tuple[NDArray[np.float64], tuple[str, ...], NDArray[np.int64], list[Any]]:
    """Inputs (n_rows, n_features), feature names, labels (n_rows,) and classes, checked."""
    inputs = _as_inputs(func, X)
    n_rows, n_features = inputs.shape
    names = _check_feature_names(func, feature_names, n_features)
    _check_finite(func, inputs, names)
    labels, classes = _encode_array_labels(func, y, n_rows)
    return inputs, names, labels, classes


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
            if not is_number_text(str(text)):
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
        bad = ~np.isfinite(inputs) | (np.abs(inputs) > FLOAT32_MAX)
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
        raise option_error(
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
        raise option_error(
            func,
            "feature_names",
            names,
            f"{len(out)} names for the {n_features} columns of X; give one name per column",
            "feature_names=() when the names are unknown",
        )
    for position, value in enumerate(out):
        if not isinstance(value, str) or not value.strip():
            raise option_error(
                func,
                "feature_names",
                names,
                f"name {position} is {value!r}; every name must be a non-empty string",
                "feature_names=('age', 'height')",
            )
    repeated = sorted({n for n in out if out.count(n) > 1})
    if repeated:
        raise option_error(
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
        raise option_error(
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
