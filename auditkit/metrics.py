"""Evaluation metrics with the exact definitions of DESIGN.md §3.

Every metric maps ``(y_true, y_pred, sequences)`` to a float, or to ``None`` when it is
undefined (a weighted metric whose weights sum to 0, e.g. colour-weighted accuracy on
tokens that carry no colour). ``None`` is shown as "n/a" and never as 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from auditkit.datasets.tokens import color_variety, shape_variety

MetricFn = Callable[[NDArray[np.int64], NDArray[np.int64], Sequence[str]], "float | None"]


@dataclass(frozen=True, slots=True)
class Metric:
    """A named metric and what it measures."""

    name: str
    #: one line for reports and error messages
    description: str
    fn: MetricFn
    #: metrics that read the token sequences (the weighted accuracies)
    needs_sequences: bool = False
    #: the values the metric can take: a gain lies within +-(high - low)
    low: float = 0.0
    high: float = 1.0

    def gain_problem(self, reported: float) -> str | None:
        """Why ``reported`` cannot be a gain on this metric, or None when it can.

        A gain on a metric in [low, high] lies within ±(high - low): ``reported=2.0`` on
        accuracy is a gain of 200 points, almost surely a percentage written as a fraction.
        """
        width = self.high - self.low
        if not math.isfinite(reported) or abs(reported) > width:
            return (
                f"a gain of {reported:+g} on {self.name} is impossible: {self.name} lies "
                f"between {self.low:g} and {self.high:g}, so a gain lies within ±{width:g}. "
                f"Gains are written in metric units: reported={reported / 100:g} for "
                f"'{reported:+g} points'"
            )
        return None


def _weighted_accuracy(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], weights: NDArray[np.float64]
) -> float | None:
    total = float(weights.sum())
    if total == 0.0:
        return None
    return float((weights * (y_true == y_pred)).sum() / total)


def _color_weights(sequences: Sequence[str]) -> NDArray[np.float64]:
    return np.fromiter(
        (color_variety(s) for s in sequences), dtype=np.float64, count=len(sequences)
    )


def _shape_weights(sequences: Sequence[str]) -> NDArray[np.float64]:
    return np.fromiter(
        (shape_variety(s) for s in sequences), dtype=np.float64, count=len(sequences)
    )


def accuracy(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str] = ()
) -> float | None:
    """Fraction of rows predicted correctly; None on an empty split.

    Parameters
    ----------
    y_true, y_pred
        Integer labels, arrays of shape (n,).
    sequences
        Unused; present so every metric has one signature.
    """
    if len(y_true) == 0:
        return None
    return float(np.mean(y_true == y_pred))


def cwa(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str]
) -> float | None:
    """Colour-weighted accuracy: Σ wᵢ·[yᵢ = ŷᵢ] / Σ wᵢ with wᵢ = colour variety of row i.

    Parameters
    ----------
    y_true, y_pred
        Integer labels, arrays of shape (n,).
    sequences
        The n token sequences; colour variety counts distinct colour letters.

    Returns
    -------
    float or None
        None when every row has colour variety 0 (the weights sum to 0).
    """
    return _weighted_accuracy(y_true, y_pred, _color_weights(sequences))


def swa(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str]
) -> float | None:
    """Shape-weighted accuracy: as ``cwa`` with wᵢ = shape variety (distinct shapes) of row i."""
    return _weighted_accuracy(y_true, y_pred, _shape_weights(sequences))


def hwa(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str]
) -> float | None:
    """Harmonic mean of SWA and CWA: 2·SWA·CWA / (SWA + CWA).

    None when either is undefined; 0 when both are 0 (the harmonic mean's limit).
    """
    s, c = swa(y_true, y_pred, sequences), cwa(y_true, y_pred, sequences)
    if s is None or c is None:
        return None
    if s + c == 0.0:
        return 0.0
    return 2.0 * s * c / (s + c)


def compwa(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str]
) -> float | None:
    """Complexity-weighted accuracy, product form: wᵢ = colour variety × shape variety."""
    weights = _color_weights(sequences) * _shape_weights(sequences)
    return _weighted_accuracy(y_true, y_pred, weights)


def compwa_sum(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str]
) -> float | None:
    """Complexity-weighted accuracy, sum form: wᵢ = colour variety + shape variety."""
    weights = _color_weights(sequences) + _shape_weights(sequences)
    return _weighted_accuracy(y_true, y_pred, weights)


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, n_classes: int) -> NDArray[np.int64]:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred
        Integer labels in 0 .. n_classes - 1, arrays of shape (n,).
    n_classes
        Number of classes.

    Returns
    -------
    array of shape (n_classes, n_classes)
        Entry [i, j] counts rows of true class i predicted as class j.
    """
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    out = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(out, (t, p), 1)
    return out


def macro_f1(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str] = ()
) -> float | None:
    """Unweighted mean over classes of F1 = 2·TP / (2·TP + FP + FN).

    The classes are those that occur in ``y_true`` or ``y_pred``. A class with
    TP = FP = FN = 0 cannot occur under that definition, so F1 is always defined;
    None only on an empty split.
    """
    if len(y_true) == 0:
        return None
    classes = np.union1d(y_true, y_pred)
    scores = []
    for c in classes:
        tp = int(np.sum((y_true == c) & (y_pred == c)))
        fp = int(np.sum((y_true != c) & (y_pred == c)))
        fn = int(np.sum((y_true == c) & (y_pred != c)))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def mcc(
    y_true: NDArray[np.int64], y_pred: NDArray[np.int64], sequences: Sequence[str] = ()
) -> float | None:
    """Matthews correlation coefficient (multi-class form of Gorodkin 2004).

    With C the confusion matrix, t the true-class counts, p the predicted-class counts,
    c the number correct and s the number of rows:
    MCC = (c·s − t·p) / sqrt((s² − p·p)(s² − t·t)).
    A zero denominator (all rows in one true or one predicted class) gives 0, the
    convention of scikit-learn: such a predictor is no better than a constant.
    """
    n = len(y_true)
    if n == 0:
        return None
    k = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    cm = confusion_matrix(y_true, y_pred, k).astype(np.float64)
    t, p = cm.sum(axis=1), cm.sum(axis=0)
    c, s = float(np.trace(cm)), float(n)
    denominator = np.sqrt((s * s - p @ p) * (s * s - t @ t))
    if denominator == 0.0:
        return 0.0
    return float((c * s - t @ p) / denominator)


METRICS: Mapping[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", "fraction of rows predicted correctly", accuracy),
        Metric("cwa", "colour-weighted accuracy (weights: distinct colours)", cwa, True),
        Metric("swa", "shape-weighted accuracy (weights: distinct shapes)", swa, True),
        Metric("hwa", "harmonic mean of SWA and CWA", hwa, True),
        Metric("compwa", "complexity-weighted accuracy (colours × shapes)", compwa, True),
        Metric("compwa_sum", "complexity-weighted accuracy (colours + shapes)", compwa_sum, True),
        Metric("macro_f1", "unweighted mean of per-class F1", macro_f1),
        Metric("mcc", "Matthews correlation coefficient", mcc, low=-1.0),
    )
}


def compute_metrics(
    names: Sequence[str], y_true: ArrayLike, y_pred: ArrayLike, sequences: Sequence[str]
) -> dict[str, float | None]:
    """Compute several metrics on one split.

    Parameters
    ----------
    names
        Keys of ``METRICS``.
    y_true, y_pred
        Integer labels, arrays of shape (n,).
    sequences
        The n token sequences (read by the weighted metrics only).

    Returns
    -------
    dict
        Metric name to value, None where the metric is undefined.
    """
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} must be 1-D of the same length")
    return {name: METRICS[name].fn(t, p, sequences) for name in names}


#: names a script gives a plain accuracy: ``acc``, ``test_acc``, ``Test Accuracy`` normalised
_ACCURACY_NAME = re.compile(r"(?:^|[_\-\s.])(?:acc|accuracy)$", re.IGNORECASE)
#: prefixes of metrics measured on another split than test
_OTHER_SPLIT = re.compile(r"^(?:train|training|dev|val|valid|validation)[_\-\s.]", re.IGNORECASE)


def accuracy_metric(names: Sequence[str]) -> str | None:
    """The name among ``names`` that is a plain test accuracy, or None.

    ``"accuracy"`` itself first; else a name ending in ``acc`` or ``accuracy`` (a
    script's ``test_acc``, ``acc``, ``test_accuracy``), preferring one that says
    ``test``; names of other splits (``val_acc``, ``train_accuracy``) never count.

    Parameters
    ----------
    names
        Metric names, e.g. the metrics a script reported, in its order.
    """
    if "accuracy" in names:
        return "accuracy"
    candidates = [
        n
        for n in names
        if (n.lower() in ("acc", "accuracy") or _ACCURACY_NAME.search(n))
        and not _OTHER_SPLIT.match(n)
    ]
    tested = [n for n in candidates if "test" in n.lower()]
    found = tested or candidates
    return found[0] if found else None
