"""auditkit: audit claimed improvements in ML experiments.

The public API of a model file::

    import auditkit as ak

    exp = ak.Experiment("demo", data=ak.datasets.spr(), metrics=["accuracy", "hwa"])

    @exp.variant(baseline=True)
    def gru(info: ak.DataInfo) -> torch.nn.Module: ...

    exp.claim("relational", over="gru", metric="hwa", reported=0.021)
"""

# Names load on first use (PEP 562), so that ``import auditkit`` and the command line stay
# fast: torch and scikit-learn load only when a model file or a run needs them, and an
# audit of a script never loads them at all.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: each public name and the module it comes from
_LAZY = {
    "METRICS": "auditkit.metrics",
    "ArraySplit": "auditkit.types",
    "AuditkitError": "auditkit.errors",
    "BagOfTokens": "auditkit.train.sklearn",
    "Claim": "auditkit.types",
    "CrossValidation": "auditkit.types",
    "DataInfo": "auditkit.types",
    "ExitCode": "auditkit.errors",
    "Experiment": "auditkit.experiment",
    "FeatureDataset": "auditkit.types",
    "ImageDataset": "auditkit.types",
    "TokenDataset": "auditkit.types",
    "TokenSplit": "auditkit.types",
    "TrainConfig": "auditkit.types",
    "Verdict": "auditkit.types",
    "compute_metrics": "auditkit.metrics",
    "load_experiment": "auditkit.experiment",
}


def __getattr__(name: str) -> Any:
    if name == "datasets":
        return import_module("auditkit.datasets")
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'auditkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
