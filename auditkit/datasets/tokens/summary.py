"""Summary statistics of a token split, the same for generated and loaded data."""

from __future__ import annotations

from typing import Any

from auditkit.datasets.tokens.grammar import color_variety, shape_variety
from auditkit.types import TokenSplit

__all__ = ["split_statistics"]


def split_statistics(split: TokenSplit) -> dict[str, Any]:
    """Summary statistics of one split, as plain JSON-ready values.

    Parameters
    ----------
    split
        Any token split (generated or loaded).

    Returns
    -------
    dict
        ``n`` (rows), ``label_rate`` (fraction of rows with label 1), ``mean_length``
        (tokens per sequence), ``mean_shape_variety`` and ``mean_color_variety`` (distinct
        shapes and colours per sequence, the SWA and CWA weights). The means are ``None``
        for an empty split, since an average of nothing is undefined.
    """
    n = len(split)
    if n == 0:
        return {
            "n": 0,
            "label_rate": None,
            "mean_length": None,
            "mean_shape_variety": None,
            "mean_color_variety": None,
        }
    sequences = split.sequences
    return {
        "n": n,
        "label_rate": sum(1 for label in split.labels if label == 1) / n,
        "mean_length": sum(len(s.split()) for s in sequences) / n,
        "mean_shape_variety": sum(shape_variety(s) for s in sequences) / n,
        "mean_color_variety": sum(color_variety(s) for s in sequences) / n,
    }
