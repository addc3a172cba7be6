"""Seed batching: K seeds of one variant trained as one stacked model with ``torch.func``.

The K models are built exactly as ``train_and_evaluate`` builds them (the global generator
seeded with each ``init_seed`` while the builder runs), their parameters are stacked with
``stack_module_state``, and every step runs ``vmap(grad_and_value(loss))`` over the seed
dimension with a per-seed batch drawn from each seed's own order generator. The optimiser
is ``torch.optim.AdamW`` itself, on the stacked tensors: its update is element-wise, so
each seed's slice gets the arithmetic of a separate run.

On CPU in float32 this reproduces separate runs bit for bit for embedding, linear and GRU
models; in general (other kernels, CUDA's batched matrix products) parameters may differ
by rounding, so the guarantee is stated on what the audit reads: test predictions equal,
and metrics and losses within ``TOLERANCE``. A model that stacked seeds cannot reproduce
(random numbers in ``forward``, such as dropout, whose masks would not be those of a
separate run; in-place buffer updates; an operation without a vmap rule) raises
``SeedBatchingError`` with the reason, and the caller trains the seeds one by one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, grad_and_value, stack_module_state, vmap

from auditkit.experiment.contract import Builder
from auditkit.metrics import compute_metrics
from auditkit.perturb import evaluation_split
from auditkit.train.encode import AnySplit, EncodedData
from auditkit.train.loop import EVAL_BATCH, _logits, perturbed_split
from auditkit.train.outcome import TrainingError, TrainOutcome
from auditkit.types import EpochRecord, TrainConfig

#: stated agreement with separate runs: absolute difference of metrics, losses and curves
TOLERANCE = 1e-4

Tensors = dict[str, torch.Tensor]


class SeedBatchingError(Exception):
    """The model cannot train as stacked seeds; ``str(exc)`` says why, for the provenance."""


@dataclass(frozen=True, slots=True)
class SeedPair:
    """The two seeds of one run."""

    init_seed: int
    order_seed: int


def _reason(exc: BaseException) -> str:
    """A one-line explanation of why ``vmap`` refused the model."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "random" in text and "randomness" in text:
        return (
            "the model draws random numbers in forward (dropout or similar); stacked seeds "
            "would not reproduce each separate run's masks"
        )
    if "batching rule" in text or "vmap" in text.lower():
        return f"torch.func.vmap cannot batch this model: {type(exc).__name__}: {text}"
    return f"stacked training failed: {type(exc).__name__}: {text[:300]}"


def _build(builder: Builder, data: EncodedData, seed: int, device: torch.device) -> nn.Module:
    torch.manual_seed(seed)
    model = builder(data.info)
    if not isinstance(model, nn.Module):
        raise SeedBatchingError(
            f"the variant builder returned {type(model).__name__}, not a torch.nn.Module"
        )
    return model.to(device)


def _trainable(
    model: nn.Module, train: AnySplit, batch_size: int, n_classes: int, device: torch.device
) -> set[str]:
    """Names of the parameters a separate run's optimiser would update.

    A separate run leaves a parameter alone when it is frozen or gets no gradient
    (``.grad`` stays None, so AdamW skips it, weight decay included); ``torch.func.grad``
    would return zeros for it instead, so such parameters are held fixed here. A copy
    of ``model`` takes one probe step on the first training batch.
    """
    probe_index = torch.arange(min(batch_size, len(train)))
    try:
        probe = copy.deepcopy(model)
        batch = train.batch(probe_index, device)
        labels = train.labels[probe_index].to(device)
        probe.train()
        logits = _logits(probe, batch, len(labels), n_classes)
        loss = nn.functional.cross_entropy(logits.float(), labels)
        loss.backward()  # type: ignore[no-untyped-call]
    except TrainingError as exc:
        raise SeedBatchingError(f"a probe step failed: {exc}") from exc
    return {n for n, p in probe.named_parameters() if p.requires_grad and p.grad is not None}


def _check_same_structure(models: Sequence[nn.Module]) -> None:
    first = {n: (p.shape, p.dtype) for n, p in models[0].named_parameters()}
    for model in models[1:]:
        if {n: (p.shape, p.dtype) for n, p in model.named_parameters()} != first:
            raise SeedBatchingError(
                "the builder returned models of different shapes for different seeds"
            )


def train_seeds_batched(
    builder: Builder,
    data: EncodedData,
    config: TrainConfig,
    *,
    seeds: Sequence[SeedPair],
    metrics: Sequence[str],
    device: torch.device,
    evaluations: Sequence[str] = (),
) -> list[TrainOutcome | TrainingError]:
    """Train one model per seed pair, all at once, and evaluate each as a separate run would.

    Parameters
    ----------
    builder
        The variant's builder: ``DataInfo -> nn.Module``.
    data
        The encoded dataset.
    config
        Training settings, shared by every seed.
    seeds
        One ``SeedPair`` per run, K in all.
    metrics
        Metric names computed on dev and test.
    device
        Where to train.
    evaluations
        Test-time perturbations under which each seed's selected model is evaluated on
        test (or dev, for ``"...@dev"``) as well, as ``train_and_evaluate`` does.

    Returns
    -------
    list of TrainOutcome or TrainingError
        One entry per seed pair, in order: the outcome, or the ``TrainingError`` a separate
        run would have raised (a NaN loss), with the same message.

    Raises
    ------
    SeedBatchingError
        The model cannot be trained as stacked seeds; train the seeds one by one.
    """
    # over 80 lines for its numpydoc docstring (31 lines); the code itself is 65 lines
    if not seeds:
        return []
    models = [_build(builder, data, s.init_seed, device) for s in seeds]
    _check_same_structure(models)
    orders = [torch.Generator().manual_seed(s.order_seed) for s in seeds]
    train, dev = data.splits["train"], data.splits["dev"]
    n_classes = data.info.n_classes

    trainable = _trainable(models[0], train, config.batch_size, n_classes, device)

    params, buffers = stack_module_state(models)
    # The stacked tensors are leaves of their own; the K models are no longer needed.
    base = copy.deepcopy(models[0]).to("meta")
    del models
    live = {n: p for n, p in params.items() if n in trainable}
    fixed = {n: p.detach() for n, p in params.items() if n not in trainable}
    optimiser = torch.optim.AdamW(
        list(live.values()), lr=config.lr, weight_decay=config.weight_decay
    )

    def loss_fn(
        trained: Tensors, held: Tensors, bufs: Tensors, batch: Tensors, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = functional_call(base, ({**trained, **held}, bufs), (batch,)).float()
        return nn.functional.cross_entropy(logits, labels), logits

    # randomness="error": a model that draws random numbers inside forward cannot give
    # each seed the masks of its separate run, so it is refused rather than approximated.
    step = vmap(grad_and_value(loss_fn, has_aux=True), in_dims=(0, 0, 0, 0, 0), randomness="error")

    def evaluate(state: Tensors, bufs: Tensors, batch: Tensors) -> torch.Tensor:
        # One seed at a time: evaluation runs no backward pass and uses large batches,
        # so stacking gains little there, and unstacked it calls the very kernels of a
        # separate run (``aten::gru`` has no vmap rule outside a grad transform).
        out = functional_call(base, (state, bufs), (batch,))
        if not isinstance(out, torch.Tensor):
            raise SeedBatchingError("forward did not return a tensor")
        return out

    k = len(seeds)
    selection = config.select_metric
    eval_metrics = list(dict.fromkeys([*metrics, selection]))
    chosen = _Selection.start(k, params, buffers)
    tensors = (live, fixed, buffers)
    try:
        for epoch in range(1, config.epochs + 1):
            base.train()
            perms = torch.stack([torch.randperm(len(train), generator=g) for g in orders])
            losses = _stacked_epoch(
                step, tensors, optimiser, train, perms, config, chosen.errors, epoch, device
            )
            if losses is None:  # every seed failed: nothing left to train
                return list(chosen.errors)  # type: ignore[arg-type]
            state = {**live, **fixed}
            base.eval()
            dev_out = _evaluate_all(evaluate, state, buffers, dev, n_classes, eval_metrics, device)
            chosen.record(epoch, losses, dev_out, state, buffers, selection, metrics)
        base.eval()
        test_out, perturbed = _evaluate_best(evaluate, chosen, data, evaluations, metrics, device)
    except (TrainingError, SeedBatchingError):
        raise
    except Exception as exc:
        raise SeedBatchingError(_reason(exc)) from exc

    return chosen.outcomes(test_out, perturbed)


def _stacked_epoch(
    step: Callable[..., Any],
    tensors: tuple[Tensors, Tensors, Tensors],
    optimiser: torch.optim.Optimizer,
    train: AnySplit,
    perms: torch.Tensor,
    config: TrainConfig,
    errors: list[TrainingError | None],
    epoch: int,
    device: torch.device,
) -> list[float] | None:
    """One epoch of every seed at once, in each seed's own order (``perms``, shape (K, n)).

    ``tensors`` are the trained parameters, the parameters held fixed and the buffers,
    stacked. A seed whose loss stops being finite gets its error in ``errors`` (its
    training goes on, unrecorded). Returns each seed's mean training loss, or None once
    every seed has failed.
    """
    live, fixed, buffers = tensors
    k = len(errors)
    totals, count = [0.0] * k, 0
    for start in range(0, len(train), config.batch_size):
        index = perms[:, start : start + config.batch_size]
        batch = train.batch(index, device)
        labels = train.labels[index].to(device)
        grads, (_, logits) = step(live, fixed, buffers, batch, labels)
        # The recorded loss of each seed comes from an unstacked cross-entropy on
        # its logits: a stacked mean reduces in another order and would differ
        # from a separate run's curve in the last bits.
        with torch.no_grad():
            values = [nn.functional.cross_entropy(logits[i], labels[i]).item() for i in range(k)]
        for i, value in enumerate(values):
            if errors[i] is None and not math.isfinite(value):
                errors[i] = TrainingError(
                    f"the training loss became {value} at epoch {epoch}, step "
                    f"{start // config.batch_size + 1}; lower the learning rate "
                    f"(lr={config.lr}) or check the model for unstable operations"
                )
        if all(e is not None for e in errors):
            return None
        optimiser.zero_grad(set_to_none=True)
        for name, tensor in live.items():
            tensor.grad = grads[name]
        optimiser.step()
        for i, value in enumerate(values):
            totals[i] += value * index.shape[1]
        count += index.shape[1]
    return [total / count for total in totals]


@dataclass(slots=True)
class _Selection:
    """Per seed: its training error, its curves, and its best dev epoch so far."""

    errors: list[TrainingError | None]
    curves: list[list[EpochRecord]]
    best_score: list[float]
    best_epoch: list[int]
    best_dev: list[dict[str, float | None]]
    best_dev_predictions: list[np.ndarray]
    found_best: list[bool]
    #: the stacked parameters and buffers of each seed's best epoch
    best_params: Tensors
    best_buffers: Tensors

    @classmethod
    def start(cls, k: int, params: Tensors, buffers: Tensors) -> _Selection:
        """The selection before the first epoch, for ``k`` seeds."""
        return cls(
            errors=[None] * k,
            curves=[[] for _ in range(k)],
            best_score=[-math.inf] * k,
            best_epoch=[0] * k,
            best_dev=[{} for _ in range(k)],
            best_dev_predictions=[np.zeros(0, dtype=np.int64)] * k,
            found_best=[False] * k,
            best_params={n: p.detach().clone() for n, p in params.items()},
            best_buffers={n: b.detach().clone() for n, b in buffers.items()},
        )

    def record(
        self,
        epoch: int,
        losses: Sequence[float],
        dev_out: Sequence[tuple[float, dict[str, float | None], np.ndarray]],
        state: Tensors,
        buffers: Tensors,
        selection: str,
        metrics: Sequence[str],
    ) -> None:
        """Add an epoch to each live seed's curve; keep its state when dev improved.

        Selection is on dev only, as in ``train_and_evaluate``: ties keep the earlier
        epoch, and an undefined selection metric falls back to the negated dev loss.
        """
        for i, (dev_loss, dev_values, dev_predictions) in enumerate(dev_out):
            if self.errors[i] is not None:
                continue
            score = dev_values[selection]
            self.curves[i].append(
                EpochRecord(epoch=epoch, train_loss=losses[i], dev_loss=dev_loss, dev_metric=score)
            )
            comparable = score if score is not None else -dev_loss
            if comparable > self.best_score[i]:
                self.best_score[i], self.best_epoch[i], self.found_best[i] = comparable, epoch, True
                with torch.no_grad():
                    for name, tensor in state.items():
                        self.best_params[name][i] = tensor[i]
                    for name, tensor in buffers.items():
                        self.best_buffers[name][i] = tensor[i]
                self.best_dev[i] = {m: dev_values[m] for m in metrics}
                self.best_dev_predictions[i] = dev_predictions

    def outcomes(
        self,
        test_out: Sequence[tuple[float, dict[str, float | None], np.ndarray]],
        perturbed: Mapping[str, Sequence[tuple[float, dict[str, float | None], np.ndarray]]],
    ) -> list[TrainOutcome | TrainingError]:
        """Each seed's outcome, or the error a separate run would have raised."""
        outcomes: list[TrainOutcome | TrainingError] = []
        for i, error in enumerate(self.errors):
            if error is not None:
                outcomes.append(error)
            elif not self.found_best[i]:
                outcomes.append(
                    TrainingError(
                        f"every epoch's dev loss was NaN ({self.curves[i][-1].dev_loss}); the "
                        "model's outputs are not finite on dev: lower the learning rate or "
                        "check the model"
                    )
                )
            else:
                _, test_values, predictions = test_out[i]
                outcomes.append(
                    TrainOutcome(
                        perturbed_metrics={n: out[i][1] for n, out in perturbed.items()},
                        perturbed_predictions={
                            n: tuple(int(p) for p in out[i][2]) for n, out in perturbed.items()
                        },
                        test_metrics=test_values,
                        dev_metrics=self.best_dev[i],
                        curves=tuple(self.curves[i]),
                        best_epoch=self.best_epoch[i],
                        test_predictions=tuple(int(p) for p in predictions),
                        dev_predictions=tuple(int(p) for p in self.best_dev_predictions[i]),
                    )
                )
        return outcomes


def _evaluate_best(
    evaluate: Callable[..., Any],
    chosen: _Selection,
    data: EncodedData,
    evaluations: Sequence[str],
    metrics: Sequence[str],
    device: torch.device,
) -> tuple[
    list[tuple[float, dict[str, float | None], np.ndarray]],
    dict[str, list[tuple[float, dict[str, float | None], np.ndarray]]],
]:
    """Each seed's selected model on test, and under each test-time perturbation."""
    test_out = _evaluate_all(
        evaluate,
        chosen.best_params,
        chosen.best_buffers,
        data.splits["test"],
        data.info.n_classes,
        list(metrics),
        device,
    )
    perturbed: dict[str, list[tuple[float, dict[str, float | None], np.ndarray]]] = {}
    for name in evaluations:
        perturbed[name] = _evaluate_all(
            evaluate,
            chosen.best_params,
            chosen.best_buffers,
            perturbed_split(data, name),
            data.info.n_classes,
            list(metrics),
            device,
            weights_from=data.splits[evaluation_split(name)[1]].sequences,
        )
    return test_out, perturbed


def _evaluate_all(
    evaluate: Callable[..., Any],
    state: Mapping[str, torch.Tensor],
    buffers: Mapping[str, torch.Tensor],
    split: AnySplit,
    n_classes: int,
    metrics: Sequence[str],
    device: torch.device,
    weights_from: Sequence[str] | None = None,
) -> list[tuple[float, dict[str, float | None], np.ndarray]]:
    """Per seed: mean loss, metrics and predictions on ``split``, as ``loop._evaluate``.

    ``weights_from`` gives the sequences that weight the weighted metrics (a perturbed
    split's original rows), as in ``loop._evaluate``.
    """
    k = next(iter(state.values())).shape[0]
    losses: list[list[float]] = [[] for _ in range(k)]
    predictions: list[list[torch.Tensor]] = [[] for _ in range(k)]
    with torch.no_grad():
        for start in range(0, len(split), EVAL_BATCH):
            index = torch.arange(start, min(start + EVAL_BATCH, len(split)))
            batch = split.batch(index, device)
            labels = split.labels[index].to(device)
            for i in range(k):
                out = evaluate(
                    {n: t[i] for n, t in state.items()},
                    {n: t[i] for n, t in buffers.items()},
                    batch,
                )
                if out.shape != (len(index), n_classes):
                    raise SeedBatchingError("forward returned logits of an unexpected shape")
                out = out.float()
                losses[i].append(nn.functional.cross_entropy(out, labels, reduction="sum").item())
                predictions[i].append(out.argmax(dim=1).cpu())
    results = []
    for i in range(k):
        pred = torch.cat(predictions[i]).numpy() if predictions[i] else np.zeros(0, dtype=np.int64)
        loss = sum(losses[i]) / max(len(split), 1)
        sequences = split.sequences if weights_from is None else weights_from
        values = compute_metrics(metrics, split.labels.numpy(), pred, sequences)
        results.append((loss, values, pred))
    return results
