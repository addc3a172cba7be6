"""Datasets: seeded generators (SPR token sequences, coloured shapes) and loaders.

One sub-package per modality, each with a generator and a loader:

- :mod:`~auditkit.datasets.tokens`: token sequences, :func:`spr` and :func:`spr_csv`;
- :mod:`~auditkit.datasets.images`: images, :func:`shapes` and :func:`image_folder`;
- :mod:`~auditkit.datasets.arrays`: feature arrays, :func:`features`,
  :func:`sklearn_dataset` and :func:`features_csv`.

:mod:`~auditkit.datasets.inputs` holds what they share: reading UTF-8 CSV files and
checking options. The first homes of these names (``auditkit.datasets.spr``,
``.features``, ``.csv``, ``.shapes``) still import them.
"""

from __future__ import annotations

# The first homes are modules named like the functions (spr, features, shapes). Importing
# a submodule binds it on this package, so they are imported here, before the functions
# are bound below: a later "from auditkit.datasets.spr import Rule" then finds them loaded
# and leaves ak.datasets.spr the function.
from auditkit.datasets import csv as _csv_home
from auditkit.datasets import features as _features_home
from auditkit.datasets import shapes as _shapes_home
from auditkit.datasets import spr as _spr_home
from auditkit.datasets.arrays import SKLEARN_DATASETS, features, features_csv, sklearn_dataset
from auditkit.datasets.images import COLOR_RGB, SHAPE_NAMES, image_folder, shapes
from auditkit.datasets.tokens import (
    RULES,
    FlipHighVariety,
    Leak,
    Rule,
    Shift,
    Shortcut,
    split_statistics,
    spr,
    spr_csv,
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

del _csv_home, _features_home, _shapes_home, _spr_home
