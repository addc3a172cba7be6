"""Input checks shared by the statistics functions: 1-D finite float arrays, enough observations."""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

Alternative: TypeAlias = Literal["greater", "less", "two-sided"]
ALTERNATIVES: tuple[str, ...] = ("greater", "less", "two-sided")

#: Every estimate needs at least this many observations (a spread needs two points).
MIN_OBSERVATIONS = 2

#: Largest magnitude accepted: squares and sums of squares of n values stay finite.
MAX_MAGNITUDE = 1e150


def as_sample(
    values: npt.ArrayLike, *, name: str, min_n: int = MIN_OBSERVATIONS
) -> npt.NDArray[np.float64]:
    """Return ``values`` as a 1-D finite float64 array, or raise a clear ``ValueError``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {bad} non-finite value(s) (NaN or inf) out of {arr.size}; "
            "drop failed runs before testing"
        )
    if arr.size and float(np.max(np.abs(arr))) > MAX_MAGNITUDE:
        raise ValueError(
            f"{name} has values up to {float(np.max(np.abs(arr))):.3g} in magnitude; sums of "
            f"squares of values above {MAX_MAGNITUDE:.0e} overflow float64. Rescale the metric"
        )
    if arr.size < min_n:
        raise ValueError(
            f"{name} has {arr.size} observation(s), but at least {min_n} are needed: "
            "a mean difference has no spread, interval or test with fewer; run more seeds"
        )
    return arr


def check_alternative(alternative: str) -> Alternative:
    """Validate ``alternative`` against the three accepted words."""
    if alternative == "greater":
        return "greater"
    if alternative == "less":
        return "less"
    if alternative == "two-sided":
        return "two-sided"
    raise ValueError(f"alternative={alternative!r} must be one of {ALTERNATIVES}")


def check_confidence(confidence: float, *, name: str = "confidence") -> float:
    """Validate a confidence level strictly between 0 and 1."""
    c = float(confidence)
    if not (math.isfinite(c) and 0.0 < c < 1.0):
        raise ValueError(f"{name}={confidence!r} must lie strictly between 0 and 1, e.g. 0.95")
    return c


def check_probability(alpha: float, *, name: str = "alpha") -> float:
    """Validate a significance level strictly between 0 and 1."""
    a = float(alpha)
    if not (math.isfinite(a) and 0.0 < a < 1.0):
        raise ValueError(f"{name}={alpha!r} must lie strictly between 0 and 1, e.g. 0.05")
    return a


def is_constant(arr: npt.NDArray[np.float64], sd: float) -> bool:
    """Whether ``arr`` is constant up to floating-point rounding.

    Differences such as ``0.3 - 0.2`` and ``0.4 - 0.3`` differ in the last bits; their
    sample sd (~1e-17) is rounding noise, not seed variance, and a t statistic of 1e15
    built on it would be meaningless. We call the data constant when the sd is within a
    few ulps of the largest magnitude.
    """
    scale = float(np.max(np.abs(arr))) if arr.size else 0.0
    return bool(sd <= 16.0 * float(np.finfo(np.float64).eps) * scale)


def p_value_from_sides(p_greater: float, p_less: float, alternative: Alternative) -> float:
    """Combine one-sided tail probabilities into the p-value for ``alternative``."""
    if alternative == "greater":
        p = p_greater
    elif alternative == "less":
        p = p_less
    else:
        p = 2.0 * min(p_greater, p_less)
    return float(min(1.0, max(0.0, p)))
