"""auditkit: audit claimed improvements in ML experiments.

The public API of a model file::

    import auditkit as ak

    exp = ak.Experiment("demo", data=ak.datasets.spr(), metrics=["accuracy", "hwa"])

    @exp.variant(baseline=True)
    def gru(info: ak.DataInfo) -> torch.nn.Module: ...

    exp.claim("relational", over="gru", metric="hwa", reported=0.021)
"""

from auditkit import datasets
from auditkit.errors import AuditkitError, ExitCode
from auditkit.experiment import Experiment, load_experiment
from auditkit.metrics import METRICS, compute_metrics
from auditkit.train.sklearn import BagOfTokens
from auditkit.types import (
    ArraySplit,
    Claim,
    CrossValidation,
    DataInfo,
    FeatureDataset,
    ImageDataset,
    TokenDataset,
    TokenSplit,
    TrainConfig,
    Verdict,
)

__all__ = [
    "METRICS",
    "ArraySplit",
    "AuditkitError",
    "BagOfTokens",
    "Claim",
    "CrossValidation",
    "DataInfo",
    "ExitCode",
    "Experiment",
    "FeatureDataset",
    "ImageDataset",
    "TokenDataset",
    "TokenSplit",
    "TrainConfig",
    "Verdict",
    "compute_metrics",
    "datasets",
    "load_experiment",
]
