"""The built-in training loop on real (small, seeded) runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import auditkit as ak
from auditkit.experiment import load_experiment
from auditkit.train.encode import encode
from auditkit.train.loop import TrainingError, train_and_evaluate
from auditkit.types import TrainConfig
from tests.conftest import TINY_MODEL


@pytest.fixture
def tiny(write_model: Callable[[str], Path]):  # type: ignore[no-untyped-def]
    spec = load_experiment(write_model(TINY_MODEL))
    return spec, encode(spec.data)


def _train(spec, data, variant: str = "gru", init: int = 0, order: int = 0):  # type: ignore[no-untyped-def]
    return train_and_evaluate(
        spec.variants[variant].builder,
        data,
        spec.train,
        init_seed=init,
        order_seed=order,
        metrics=spec.metrics,
        device=torch.device("cpu"),
    )


def test_same_seeds_give_identical_metrics_on_cpu(tiny) -> None:  # type: ignore[no-untyped-def]
    spec, data = tiny
    first, second = _train(spec, data), _train(spec, data)
    assert first.test_metrics == second.test_metrics
    assert first.test_predictions == second.test_predictions
    assert first.curves == second.curves


def test_init_and_order_seeds_act_separately(tiny) -> None:  # type: ignore[no-untyped-def]
    spec, data = tiny
    base = _train(spec, data, init=0, order=0)
    other_init = _train(spec, data, init=1, order=0)
    other_order = _train(spec, data, init=0, order=1)
    # every epoch's training loss is a float of many steps: any change of seed shows
    assert base.curves[0].train_loss != other_init.curves[0].train_loss
    assert base.curves[0].train_loss != other_order.curves[0].train_loss
    assert other_init.curves[0].train_loss != other_order.curves[0].train_loss


def test_curves_and_selection_on_dev(tiny) -> None:  # type: ignore[no-untyped-def]
    spec, data = tiny
    out = _train(spec, data)
    assert [c.epoch for c in out.curves] == [1, 2, 3]
    best = max(out.curves, key=lambda c: (c.dev_metric, -c.epoch))
    assert out.best_epoch == best.epoch
    assert out.dev_metrics["accuracy"] == best.dev_metric
    assert len(out.test_predictions) == len(spec.data.test)


def test_wrong_output_shape_is_a_training_error(tiny) -> None:  # type: ignore[no-untyped-def]
    spec, data = tiny

    class Wrong(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Linear(1, 3)

        def forward(self, batch):  # type: ignore[no-untyped-def]
            return self.w(batch["tokens"].float()[:, :1])

    with pytest.raises(TrainingError, match=r"shape \(32, 3\); expected logits of shape"):
        train_and_evaluate(
            lambda info: Wrong(),
            data,
            spec.train,
            init_seed=0,
            order_seed=0,
            metrics=spec.metrics,
            device=torch.device("cpu"),
        )


def test_builder_that_returns_no_module(tiny) -> None:  # type: ignore[no-untyped-def]
    spec, data = tiny
    with pytest.raises(TrainingError, match=r"returned int; it must return a torch\.nn\.Module"):
        train_and_evaluate(
            lambda info: 3,
            data,
            spec.train,
            init_seed=0,
            order_seed=0,
            metrics=spec.metrics,
            device=torch.device("cpu"),
        )


def test_wrong_logits_shape_on_images_names_the_spatial_dimensions() -> None:
    data = encode(ak.datasets.shapes(n_train=30, n_dev=6, n_test=6, size=8, seed=0))

    class NoPool(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 1)

        def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            return self.conv(batch["images"])  # (batch, 3, 8, 8): not pooled

    with pytest.raises(TrainingError, match="pool or flatten the spatial dimensions first"):
        train_and_evaluate(
            lambda info: NoPool(),
            data,
            TrainConfig(epochs=1),
            init_seed=0,
            order_seed=0,
            metrics=["accuracy"],
            device=torch.device("cpu"),
        )
