"""Settings of the built-in training loop, and the one function that overrides them.

Re-exported by :mod:`auditkit.types`; this module imports nothing else from auditkit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """Settings of the built-in training loop.

    Parameters
    ----------
    epochs
        Number of passes over the training split.
    batch_size
        Examples per optimiser step.
    lr
        AdamW learning rate.
    weight_decay
        AdamW weight decay.
    select_metric
        Dev metric that picks the epoch whose weights are evaluated on test. Model
        selection never looks at the test split.
    """

    epochs: int = 5
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    select_metric: str = "accuracy"

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"TrainConfig({name}={value!r}): must be a positive integer")
        for name in ("lr", "weight_decay"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"TrainConfig({name}={value!r}): must be a number >= 0")
        if self.lr == 0:
            raise ValueError("TrainConfig(lr=0): the learning rate must be positive")

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain JSON-ready dict."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "select_metric": self.select_metric,
        }


#: ``(key, value)`` pairs that change a ``TrainConfig`` for one condition, sorted by key
Overrides: TypeAlias = tuple[tuple[str, Any], ...]


class UnknownOverrideError(ValueError):
    """A training override names a key that ``TrainConfig`` does not have."""


def apply_overrides(train: TrainConfig, overrides: Overrides) -> TrainConfig:
    """``train`` with a condition's overrides applied: the one place that applies them.

    Parameters
    ----------
    train
        The experiment's training settings.
    overrides
        ``(key, value)`` pairs, e.g. ``(("batch_size", 256), ("lr", 0.002))``.

    Returns
    -------
    TrainConfig
        A new config; ``train`` itself when there is nothing to override.

    Raises
    ------
    UnknownOverrideError
        A key that is not a field of ``TrainConfig``; the message names it and the
        known keys.
    ValueError
        A value ``TrainConfig`` rejects (e.g. ``batch_size=0``).
    """
    if not overrides:
        return train
    known = tuple(f.name for f in fields(TrainConfig))
    unknown = [key for key, _ in overrides if key not in known]
    if unknown:
        raise UnknownOverrideError(
            f"unknown training override {', '.join(map(repr, unknown))}: TrainConfig has "
            f"{', '.join(known)}"
        )
    return replace(train, **dict(overrides))
