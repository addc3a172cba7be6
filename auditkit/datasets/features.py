"""The feature datasets at their first home; the code lives in :mod:`auditkit.datasets.arrays`.

Kept so that ``from auditkit.datasets.features import features`` keeps working.
"""

from __future__ import annotations

from auditkit.datasets.arrays import SKLEARN_DATASETS, features, features_csv, sklearn_dataset

__all__ = ["SKLEARN_DATASETS", "features", "features_csv", "sklearn_dataset"]
