"""What every feature dataset shares: option checks, the seeded split and the result.

:func:`split_indices` draws the rows of each split with
:func:`sklearn.model_selection.train_test_split`, stratified by class unless asked
otherwise, so the same seed always gives the same rows in the same order;
:func:`build_dataset` assembles the :class:`~auditkit.types.FeatureDataset` and its
JSON-ready metadata.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from auditkit.datasets.inputs import is_int, is_real
from auditkit.errors import DataError
from auditkit.types import SPLITS, ArraySplit, FeatureDataset, SplitName

__all__ = [
    "DEFAULT_FRACTION",
    "FLOAT32_MAX",
    "Part",
    "build_dataset",
    "check_bool",
    "check_fractions",
    "check_plantable",
    "check_rate",
    "check_seed",
    "is_number_text",
    "option_error",
    "rounded_count",
    "split_indices",
]

#: the default share of the rows for dev and for test
DEFAULT_FRACTION: Final = 0.2
#: train_test_split accepts seeds up to 2**32 - 1 (numpy's legacy RandomState)
_MAX_SEED: Final = 2**32 - 1
#: the largest finite float32: ArraySplit stores inputs as float32, so anything larger
#: would silently become inf
FLOAT32_MAX: Final = float(np.finfo(np.float32).max)


@dataclass(frozen=True, slots=True)
class Part:
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
    ) -> Part:
        """The rows at ``index`` (shape (n_split,)), in that order."""
        return cls(inputs[index], labels[index], tuple(ids[i] for i in index.tolist()))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def is_flipped(self) -> NDArray[np.bool_]:
        """Shape (n,): True where label noise changed the label."""
        if self.flipped is None:
            return np.zeros(len(self), dtype=bool)
        return self.flipped

    def with_noise(self, rate: float, n_classes: int, rng: np.random.Generator) -> Part:
        """Relabel ``round(rate * n)`` random rows, each to a uniformly chosen other class."""
        k = rounded_count(rate, len(self))
        rows = rng.choice(len(self), size=k, replace=False)
        labels = self.labels.copy()
        # adding 1 .. n_classes - 1 modulo n_classes always lands on another class, and
        # every other class equally often
        shift = rng.integers(1, n_classes, size=k)
        labels[rows] = (labels[rows] + shift) % n_classes
        flipped = self.is_flipped().copy()
        flipped[rows] = True
        return Part(self.inputs, labels, self.ids, flipped)


def rounded_count(rate: float, n: int) -> int:
    """``round(rate * n)`` with halves rounded up, so sizes do not depend on parity."""
    return math.floor(rate * n + 0.5)


def _statistics(part: Part, n_classes: int) -> dict[str, Any]:
    counts = np.bincount(part.labels, minlength=n_classes)
    return {
        "rows": len(part),
        "label_counts": counts.tolist(),
        # accuracy of always predicting this split's most common class
        "majority_rate": float(counts.max() / len(part)),
    }


def build_dataset(
    name: str,
    parts: Mapping[SplitName, Part],
    feature_names: tuple[str, ...],
    *,
    source: str,
    options: Mapping[str, Any],
    classes: list[Any],
    pitfalls: list[dict[str, Any]] | None = None,
    files: Mapping[str, Any] | None = None,
) -> FeatureDataset:
    """The dataset of ``parts``, inputs stored as float32, with its JSON-ready metadata."""
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


def split_indices(
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
    n_test, n_dev = rounded_count(test, n), rounded_count(dev, n)
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
            f"({rounded_count(dev, n)} + {rounded_count(test, n)}), so the train split would be "
            "empty. Lower dev or test, or use more rows."
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


# --------------------------------------------------------------------------- options


def option_error(func: str, option: str, value: object, why: str, instead: str) -> DataError:
    """The error for a bad option ``func(option=value)`` of a feature dataset."""
    return DataError(
        f"{func}({option}={value!r}): {why}. Write instead, e.g., {instead}.",
        slug="features-option",
    )


def check_fractions(func: str, dev: object, test: object) -> tuple[float, float]:
    """``dev`` and ``test`` as floats, each in (0, 1) and summing to less than 1."""
    shares: list[float] = []
    for option, value in (("dev", dev), ("test", test)):
        if not is_real(value) or not 0 < float(value) < 1:
            raise option_error(
                func,
                option,
                value,
                "a split's share of the rows must be a number strictly between 0 and 1",
                f"{option}=0.2",
            )
        shares.append(float(value))
    dev_f, test_f = shares
    if dev_f + test_f >= 1:
        raise DataError(
            f"{func}(dev={dev_f}, test={test_f}): dev and test together take {dev_f + test_f:g} "
            "of the rows, leaving none for train. Their sum must be below 1; write e.g. "
            "dev=0.2, test=0.2.",
            slug="features-option",
        )
    return dev_f, test_f


def check_seed(func: str, seed: object) -> int:
    """``seed`` as an int from 0 to 2**32 - 1, the seeds ``train_test_split`` accepts."""
    if not is_int(seed) or not 0 <= seed <= _MAX_SEED:
        raise option_error(
            func, "seed", seed, f"a seed must be an integer from 0 to {_MAX_SEED}", "seed=0"
        )
    return int(seed)


def check_bool(func: str, option: str, value: object) -> bool:
    """``value`` as a bool (a numpy bool too)."""
    if not isinstance(value, bool | np.bool_):
        raise option_error(func, option, value, "must be True or False", f"{option}=True")
    return bool(value)


def check_rate(func: str, option: str, value: object, below: float, instead: str) -> float:
    """``value`` as a float from 0 up to but excluding ``below``."""
    if not is_real(value) or not 0 <= float(value) < below:
        raise option_error(
            func, option, value, f"must be a number from 0 to below {below:g}", instead
        )
    return float(value)


def check_plantable(func: str, option: str, rate: float, sizes: Mapping[str, int]) -> None:
    """Raise when ``rate`` rounds to zero rows in a split: a pitfall that plants nothing."""
    for split, n in sizes.items():
        if rounded_count(rate, n) == 0:
            raise DataError(
                f"{func}({option}={rate}): the {split} split has {n} rows, and "
                f"round({rate} * {n}) = 0, so the pitfall would plant nothing there while its "
                f"record claims it. Raise {option} to at least {1 / n:.3g}, or set it to 0.",
                slug="features-pitfall",
            )


def is_number_text(text: str) -> bool:
    """Whether ``float`` reads ``text`` as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True
