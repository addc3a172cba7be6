"""Data influence: how far an accuracy must move when training or test labels are perturbed.

Two label perturbations with known effects test whether a score comes from the data it
is said to come from:

- **permuted training labels** leave nothing in the inputs that predicts the labels, so a
  model trained on them scores at chance on the test rows (:func:`above_chance`);
- **flipping a share q of the test labels** at random (each to another of K classes)
  moves the accuracy of a model with accuracy ``a`` by ``q (K a - 1) / (K - 1)`` in
  expectation (:func:`expected_flip_drop`). If only a share ``f`` of the scored rows are
  declared test rows, the accuracy moves by ``f`` times that, so the observed over the
  expected drop estimates ``f`` (:func:`scored_share`).

Intervals combine the seed-to-seed spread with the binomial sampling error of the test
rows (the flipped rows are one draw, shared by every seed, so their error does not
average out over seeds). Pure functions on arrays of shape (n_seeds,).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

from auditkit.stats._validation import as_sample, check_confidence

__all__ = [
    "ChanceTest",
    "ScoredShare",
    "above_chance",
    "expected_flip_drop",
    "scored_share",
]


def expected_flip_drop(accuracy: float, share: float, n_classes: int) -> float:
    """Expected accuracy drop when a share of test labels is flipped to another class.

    Parameters
    ----------
    accuracy
        Accuracy ``a`` on the original labels, in [0, 1].
    share
        Share ``q`` of test rows whose label is replaced by another class drawn
        uniformly, in (0, 1].
    n_classes
        Number of classes ``K`` >= 2.

    Returns
    -------
    float
        ``q (K a - 1) / (K - 1)``: a flipped row the model got right becomes wrong, and
        one it got wrong becomes right when its prediction is the new label (probability
        ``1 / (K - 1)`` for errors spread evenly over the other classes; exact for K = 2).
    """
    if n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} must be at least 2")
    if not 0 < share <= 1 or not 0 <= accuracy <= 1:
        raise ValueError(f"share={share!r} must be in (0, 1] and accuracy={accuracy!r} in [0, 1]")
    return share * (n_classes * accuracy - 1) / (n_classes - 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoredShare:
    """Estimated share of the scored rows that are the declared test rows."""

    #: observed drop over expected drop (1: every scored row is a declared test row)
    share: float
    #: two-sided interval of ``share`` at ``confidence``
    low: float
    high: float
    confidence: float
    #: mean observed accuracy drop over seeds
    observed: float
    #: mean expected drop had every scored row been a declared test row
    expected: float
    #: number of seeds with both runs
    n: int


def scored_share(
    nominal: npt.ArrayLike,
    flipped: npt.ArrayLike,
    *,
    share: float,
    n_test: int,
    n_classes: int,
    confidence: float = 0.95,
) -> ScoredShare | None:
    """Estimate which share of the scored rows are declared test rows, from a label flip.

    Parameters
    ----------
    nominal
        Accuracy per seed on the original files, shape (n_seeds,).
    flipped
        Accuracy per seed with a share ``share`` of the test labels flipped, same seeds,
        shape (n_seeds,).
    share
        The share of test rows flipped (exactly, as written).
    n_test
        Rows of the declared test file.
    n_classes
        Number of classes.
    confidence
        Level of the interval.

    Returns
    -------
    ScoredShare or None
        None when the expected drop is below one test row (a model at chance cannot
        show the flip). The interval adds in quadrature the spread of per-seed drops over the
        mean expected drop
        (t quantile, n - 1 degrees of freedom; none with one seed) and the binomial error
        of the flipped rows, ``2 sqrt(m a (1 - a)) / n_test`` in drop units for ``m``
        flipped rows (normal quantile).
    """
    check_confidence(confidence)
    a = as_sample(nominal, name="nominal", min_n=1)
    b = as_sample(flipped, name="flipped", min_n=1)
    if a.shape != b.shape:
        raise ValueError(f"nominal has shape {a.shape}, flipped {b.shape}: one value per seed")
    expected = np.asarray([expected_flip_drop(float(x), share, n_classes) for x in a])
    mean_expected = float(expected.mean())
    if mean_expected * n_test < 1:
        return None
    drops = a - b
    ratio = float(drops.mean()) / mean_expected
    accuracy = float(a.mean())
    flipped_rows = share * n_test
    # the flipped rows are one random draw: the error of its drop, in share units
    flip_se = 2 * math.sqrt(flipped_rows * accuracy * (1 - accuracy)) / n_test / mean_expected
    # ... plus a floor of one row's worth, so a perfect model (a = 1) still gets a width
    flip_se = max(flip_se, 1 / (n_test * mean_expected))
    # per-seed drops over the mean expected drop: a seed whose own expectation is near 0
    # (accuracy at chance) must not divide by it
    half = _half_width(drops / mean_expected, flip_se, confidence)
    return ScoredShare(
        share=ratio,
        low=ratio - half,
        high=ratio + half,
        confidence=confidence,
        observed=float(drops.mean()),
        expected=mean_expected,
        n=int(a.size),
    )


def _half_width(values: npt.NDArray[np.float64], known_se: float, confidence: float) -> float:
    """Half-width of an interval for the mean of ``values`` (shape (n,)) plus a known error.

    The seed-to-seed part is estimated (t quantile, n - 1 degrees of freedom), the
    sampling error of the test rows is known (normal quantile); the two add in quadrature.
    """
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    if values.size < 2:
        return z * known_se
    t = float(_st.t.ppf(0.5 + confidence / 2, df=values.size - 1))
    seed = t * float(np.std(values, ddof=1)) / math.sqrt(values.size)
    return math.hypot(seed, z * known_se)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChanceTest:
    """Mean accuracy over seeds against the chance rate, with its interval."""

    mean: float
    low: float
    high: float
    confidence: float
    #: the chance rate compared with
    chance: float
    n: int


def above_chance(
    accuracies: npt.ArrayLike, *, chance: float, n_test: int, confidence: float = 0.95
) -> ChanceTest:
    """Interval of the mean accuracy, for comparison with the chance rate.

    Parameters
    ----------
    accuracies
        Accuracy per seed, shape (n_seeds,).
    chance
        The accuracy that needs no information from the inputs (e.g. the majority-class
        rate of the test labels).
    n_test
        Rows scored per run; their binomial error at the chance rate is added to the
        seed-to-seed spread, so one seed, or seeds that agree exactly, still get an
        honest interval.
    confidence
        Level of the interval.

    Returns
    -------
    ChanceTest
        The interval clipped to [0, 1].
    """
    check_confidence(confidence)
    x = as_sample(accuracies, name="accuracies", min_n=1)
    if n_test < 1 or not 0 <= chance <= 1:
        raise ValueError(f"n_test={n_test!r} must be >= 1 and chance={chance!r} in [0, 1]")
    half = _half_width(x, math.sqrt(chance * (1 - chance) / n_test), confidence)
    mean = float(x.mean())
    return ChanceTest(
        mean=mean,
        # an accuracy lies in [0, 1], and so does any interval of it
        low=max(0.0, mean - half),
        high=min(1.0, mean + half),
        confidence=confidence,
        chance=chance,
        n=int(x.size),
    )
