"""What a training run returns, and the error it raises for a broken user model."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditkit.types import EpochRecord

__all__ = ["TrainOutcome", "TrainingError"]


class TrainingError(Exception):
    """A run failed because of the user's model (bad output, NaN loss); recorded, not raised.

    Parameters
    ----------
    message
        What the model did, what was expected, and what to change.
    where
        ``file:line`` of the user's code at fault (the ``forward`` or builder that
        returned the wrong thing), when auditkit detected the fault after that code
        returned and so no traceback frame of the user's points at it.
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainOutcome:
    """What one training run measured."""

    test_metrics: dict[str, float | None]
    dev_metrics: dict[str, float | None]
    curves: tuple[EpochRecord, ...]
    #: 1-based epoch whose weights were evaluated on test
    best_epoch: int
    #: test predictions at the selected epoch, shape (n_test,)
    test_predictions: tuple[int, ...]
    #: metrics of the selected model under each test-time perturbation (on test, or on
    #: dev for an ``"...@dev"`` evaluation)
    perturbed_metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    #: and its predictions there, each of shape (n_test,) or (n_dev,)
    perturbed_predictions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: dev predictions at the selected epoch, shape (n_dev,)
    dev_predictions: tuple[int, ...] = ()
    #: where the model ran when not on the run's torch device (scikit-learn: ``"cpu"``)
    device: str | None = None
