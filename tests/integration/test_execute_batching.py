"""Seed batching: K seeds as one stacked model equal K separate runs, or fall back with a reason."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from auditkit.conditions import Evaluation
from auditkit.execute.core import RunContext, run_one
from auditkit.execute.jobs import Job, run_job
from auditkit.experiment import load_experiment
from auditkit.train.batched import TOLERANCE
from auditkit.train.encode import encode
from auditkit.types import RunResult, RunSpec
from tests.conftest import TINY_MODEL


def _context(path: Path) -> RunContext:
    spec = load_experiment(path)
    return RunContext(spec, encode(spec.data), torch.device("cpu"), {})


def _close(a: RunResult, b: RunResult) -> None:
    """The stated tolerance: equal predictions, metrics and curves within TOLERANCE."""
    assert a.ok and b.ok, (a.error, b.error)
    assert a.test_predictions == b.test_predictions
    assert a.best_epoch == b.best_epoch
    for name, value in a.test_metrics.items():
        other = b.test_metrics[name]
        assert (value is None) == (other is None)
        if value is not None and other is not None:
            assert abs(value - other) <= TOLERANCE
    for x, y in zip(a.curves, b.curves, strict=True):
        assert abs(x.train_loss - y.train_loss) <= TOLERANCE
        assert abs(x.dev_loss - y.dev_loss) <= TOLERANCE


@pytest.mark.parametrize("variant", ["bag", "gru"])
def test_stacked_seeds_equal_separate_runs(
    write_model: Callable[[str], Path], variant: str
) -> None:
    context = _context(write_model(TINY_MODEL))
    runs = tuple(RunSpec(variant=variant, init_seed=s, order_seed=s + 10) for s in range(3))
    stacked = list(run_job(Job(runs, stacked=True), context))
    assert [info.batch_size for _, info in stacked] == [3, 3, 3]
    assert "stacked model of 3 seeds" in stacked[0][1].note
    for run, (result, _) in zip(runs, stacked, strict=True):
        assert result.spec == run
        _close(result, run_one(run, context))


DROPOUT = TINY_MODEL.replace(
    "        return self.head(pooled)",
    "        return self.head(torch.nn.functional.dropout(pooled, 0.2, self.training))",
)


def test_dropout_falls_back_to_separate_runs_with_the_reason(
    write_model: Callable[[str], Path],
) -> None:
    context = _context(write_model(DROPOUT))
    runs = tuple(RunSpec(variant="bag", init_seed=s, order_seed=s) for s in range(2))
    out = list(run_job(Job(runs, stacked=True), context))
    assert all(info.batch_size == 1 for _, info in out)
    assert "fell back to separate runs" in out[0][1].note
    assert "random numbers in forward" in out[0][1].note
    # the fallback is the separate run itself, bit for bit
    assert out[0][0].test_predictions == run_one(runs[0], context).test_predictions


# seed 1's model outputs inf, so its loss is NaN from the first step; seed 0 trains normally
ONE_SEED_DIVERGES = (
    TINY_MODEL.replace(
        "        return self.head(pooled)",
        "        return self.head(pooled) * self.scale",
    )
    .replace(
        "        self.head = nn.Linear(16, info.n_classes)\n\n    def forward(self, batch):\n"
        "        mask",
        "        self.head = nn.Linear(16, info.n_classes)\n"
        "        self.register_buffer('scale', torch.tensor(math.inf if torch.initial_seed() == 1 "
        "else 1.0))\n\n    def forward(self, batch):\n        mask",
    )
    .replace("import torch\n", "import math\nimport torch\n", 1)
)


def test_a_diverging_seed_fails_alone_with_the_separate_runs_message(
    write_model: Callable[[str], Path],
) -> None:
    assert "self.scale" in ONE_SEED_DIVERGES and "math.inf" in ONE_SEED_DIVERGES
    context = _context(write_model(ONE_SEED_DIVERGES))
    runs = tuple(RunSpec(variant="bag", init_seed=s, order_seed=s) for s in range(3))
    out = [r for r, _ in run_job(Job(runs, stacked=True), context)]
    separate = [run_one(r, context) for r in runs]
    assert [r.ok for r in out] == [True, False, True]
    # the same summary paragraph (what the views show); the tracebacks below it differ,
    # since one ran through the stacked trainer and the other through run_one
    summary = (out[1].error or "").split("\n\n")[0]
    assert summary and summary == (separate[1].error or "").split("\n\n")[0]
    assert "the training loss became nan at epoch 1, step 1" in (out[1].error or "")
    _close(out[0], separate[0])
    _close(out[2], separate[2])
    assert not math.isnan(out[2].duration_s)


def test_stacked_seeds_evaluate_test_time_perturbations_like_separate_runs(
    write_model: Callable[[str], Path],
) -> None:
    from auditkit.perturb import TEST_TIME, on_dev

    context = _context(write_model(TINY_MODEL))
    names = (*tuple(sorted(TEST_TIME))[:2], on_dev("permute_color"))
    runs = tuple(
        RunSpec(
            variant="gru",
            init_seed=s,
            order_seed=s,
            evaluations=tuple(map(Evaluation.parse, names)),
        )
        for s in range(2)
    )
    stacked = [r for r, _ in run_job(Job(runs, stacked=True), context)]
    for run, result in zip(runs, stacked, strict=True):
        separate = run_one(run, context)
        _close(result, separate)
        assert set(result.perturbed_predictions) == set(names)
        assert result.perturbed_predictions == separate.perturbed_predictions
        assert result.perturbed_metrics == separate.perturbed_metrics
        # the dev probe scores the dev rows, beside the selected model's own dev predictions
        n_dev = len(context.data.splits["dev"])
        assert len(result.perturbed_predictions[on_dev("permute_color")]) == n_dev
        assert len(result.dev_predictions) == n_dev
        assert result.dev_predictions == separate.dev_predictions


CNN_MODEL = """
import auditkit as ak
from torch import nn

exp = ak.Experiment(
    "cnn",
    data=ak.datasets.shapes(n_train=120, n_dev=30, n_test=60, size=8, seed=0),
    train=ak.TrainConfig(epochs=2, batch_size=32),
)

class Images(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.net = nn.Sequential(*layers)

    def forward(self, batch):
        return self.net(batch["images"])

@exp.variant(baseline=True)
def cnn(info):
    return Images(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, info.n_classes),
    )

@exp.variant
def linear(info):
    return Images(nn.Flatten(), nn.Linear(info.n_features, info.n_classes))

exp.claim("cnn", over="linear", metric="accuracy")
"""


def test_stacked_cnn_seeds_equal_separate_runs_on_images(
    write_model: Callable[[str], Path],
) -> None:
    context = _context(write_model(CNN_MODEL))
    runs = tuple(
        RunSpec(variant="cnn", init_seed=s, order_seed=s, evaluations=(Evaluation("mask_color"),))
        for s in range(3)
    )
    stacked = list(run_job(Job(runs, stacked=True), context))
    assert [info.batch_size for _, info in stacked] == [3, 3, 3], stacked[0][1].note
    for run, (result, _) in zip(runs, stacked, strict=True):
        alone = run_one(run, context)
        _close(result, alone)
        assert result.perturbed_predictions == alone.perturbed_predictions
        # determinism: the same seeds on the same machine give the same metrics
        assert run_one(run, context).test_metrics == alone.test_metrics
