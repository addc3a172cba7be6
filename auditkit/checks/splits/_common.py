"""What the split checks share: the family name, number checks, rates and accuracies."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from auditkit.checks import AssessContext
from auditkit.metrics import accuracy_metric

FAMILY = "split"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pct(x: float) -> str:
    """A rate as a percentage: 0.0213 -> '2.1%'."""
    return f"{100 * x:.1f}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _accuracy(predictions: Sequence[int], labels: Sequence[int]) -> float | None:
    """Fraction of ``predictions`` equal to ``labels`` (both of shape (n,)); None if empty."""
    if len(labels) == 0 or len(predictions) != len(labels):
        return None
    return float(np.mean(np.asarray(predictions) == np.asarray(labels)))


def _test_accuracies(ctx: AssessContext, variant: str) -> dict[int, float]:
    """Test accuracy per seed of the variant's nominal runs, from their predictions.

    Read from the predictions, not from ``test_metrics``, so it exists whatever metrics
    the experiment lists. A run without predictions (a script that writes none) gives its
    reported accuracy metric instead (``test_acc``, see :func:`accuracy_metric`).
    """
    out = {}
    for seed, predictions in ctx.predictions(variant).items():
        value = _accuracy(predictions, ctx.test_labels(seed))
        if value is not None:
            out[seed] = value
    name = accuracy_metric(ctx.metrics)
    if name is not None:
        for seed, reported in ctx.scores(variant, name).items():
            out.setdefault(seed, reported)
    return out
