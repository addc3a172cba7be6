"""Plain numeric feature datasets: arrays, scikit-learn's bundled datasets and CSV files.

Three ways in, one result, a :class:`~auditkit.types.FeatureDataset`:

* :func:`features` splits arrays ``X`` (n, d) and ``y`` (n,) into train, dev and test;
* :func:`sklearn_dataset` does the same for a dataset bundled with scikit-learn (no
  download) and can plant label noise and train/test leakage, with their ground truth;
* :func:`features_csv` reads one CSV file (and splits it) or a folder of ``train.csv``,
  ``dev.csv`` and ``test.csv`` (used as given).

Class labels of any kind (strings, whole-number floats, arbitrary integers) become
``0 .. k - 1`` in sorted order; ``metadata["classes"][i]`` is the original value of label
``i``. Splits are drawn with :func:`sklearn.model_selection.train_test_split`, stratified by
class unless ``stratify=False``, so the same seed always gives the same rows in the same
order (:mod:`~auditkit.datasets.arrays.splits`). The metadata is JSON-ready: ``source``,
``options``, ``classes``, ``splits`` (per split: ``rows``, ``label_counts``,
``majority_rate``) and ``pitfalls`` (the ground truth of what was planted; empty for clean
data), plus ``files`` for CSV data.
"""

from __future__ import annotations

from auditkit.datasets.arrays.csv import features_csv
from auditkit.datasets.arrays.features import features
from auditkit.datasets.arrays.sklearn import SKLEARN_DATASETS, sklearn_dataset

__all__ = ["SKLEARN_DATASETS", "features", "features_csv", "sklearn_dataset"]
