"""Datasets: seeded generators (SPR token sequences, coloured shapes) and loaders.

Token sequences: :func:`spr` and :func:`spr_csv`. Images: :func:`shapes` and
:func:`image_folder`. Feature arrays: :func:`features`, :func:`sklearn_dataset` and
:func:`features_csv`.
"""

from __future__ import annotations

from auditkit.datasets.csv import spr_csv
from auditkit.datasets.features import SKLEARN_DATASETS, features, features_csv, sklearn_dataset
from auditkit.datasets.images import image_folder
from auditkit.datasets.shapes import COLOR_RGB, SHAPE_NAMES, shapes
from auditkit.datasets.spr import (
    RULES,
    FlipHighVariety,
    Leak,
    Rule,
    Shift,
    Shortcut,
    split_statistics,
    spr,
)

__all__ = [
    "COLOR_RGB",
    "RULES",
    "SHAPE_NAMES",
    "SKLEARN_DATASETS",
    "FlipHighVariety",
    "Leak",
    "Rule",
    "Shift",
    "Shortcut",
    "features",
    "features_csv",
    "image_folder",
    "shapes",
    "sklearn_dataset",
    "split_statistics",
    "spr",
    "spr_csv",
]
