"""The experiment contract and the loader of model files."""

from auditkit.experiment.contract import Experiment, ExperimentSpec, Variant
from auditkit.experiment.loader import file_digest, load_experiment

__all__ = ["Experiment", "ExperimentSpec", "Variant", "file_digest", "load_experiment"]
