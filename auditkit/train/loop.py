"""The built-in PyTorch training loop: AdamW, cross-entropy, model selection on dev."""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from auditkit.errors import did_you_mean
from auditkit.experiment.contract import Builder
from auditkit.metrics import compute_metrics
from auditkit.perturb import evaluation_split, perturb_evaluation_split
from auditkit.train.encode import AnySplit, EncodedData, encode_array_split, encode_split
from auditkit.train.outcome import TrainingError, TrainOutcome
from auditkit.train.sklearn import fit_and_evaluate, is_estimator
from auditkit.types import ArraySplit, EpochRecord, TrainConfig

#: rows per forward pass when evaluating; large, since no gradients are kept
EVAL_BATCH = 1024


def resolve_device(name: str) -> torch.device:
    """Map ``auto``, ``cpu``, ``cuda`` or ``cuda:i`` to a torch device.

    ``auto`` picks the first GPU when CUDA is available and the CPU otherwise.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _order_noise_seed(init_seed: int, order_seed: int) -> int:
    # Dropout and other in-training randomness draw from the global generator; seed it
    # from both seeds, after initialisation, so init and data order stay separable.
    return (init_seed * 1_000_003 + order_seed * 7_919 + 17) % (2**63 - 1)


def defined_at(obj: object) -> str | None:
    """``file:line in name`` where the function ``obj`` is defined, or None when unknown."""
    try:
        target = inspect.unwrap(obj)  # type: ignore[arg-type]
        lines, first = inspect.getsourcelines(target)
        path = inspect.getsourcefile(target)
    except (TypeError, OSError):
        return None
    # The source starts at the first decorator (@exp.variant); point at the def itself.
    offset = next(
        (i for i, text in enumerate(lines) if text.lstrip().startswith(("def ", "async def "))),
        0,
    )
    name = getattr(target, "__qualname__", "")
    return f"{path}:{first + offset} in {name}" if path else None


def _logits(
    model: nn.Module, batch: dict[str, torch.Tensor], n_rows: int, n_classes: int
) -> torch.Tensor:
    try:
        out = model(batch)
    except KeyError as exc:
        key = exc.args[0] if exc.args else None
        if not isinstance(key, str) or key in batch:
            raise
        # The most common first mistake: a batch key from another data kind or a typo.
        # Say which keys this data's batches have; the traceback still shows the line.
        raise TrainingError(
            f"forward(batch) read batch[{key!r}], and this data's batches have no such key; "
            f"they have {', '.join(repr(k) for k in sorted(batch))}.{did_you_mean(key, batch)}"
            " Token data has 'tokens', 'mask' and one id tensor per factor; images have "
            "'images'; feature arrays have 'features'."
        ) from exc
    if not isinstance(out, torch.Tensor):
        raise TrainingError(
            f"forward(batch) returned {type(out).__name__}; it must return a logits tensor of "
            f"shape (batch, n_classes) = ({n_rows}, {n_classes})",
            where=defined_at(type(model).forward),
        )
    if out.shape != (n_rows, n_classes):
        hint = (
            "per image (pool or flatten the spatial dimensions first)"
            if "images" in batch
            else "per example"
            if "features" in batch
            else "per sequence (pool over the length dimension first)"
        )
        raise TrainingError(
            f"forward(batch) returned a tensor of shape {tuple(out.shape)}; expected logits of "
            f"shape (batch, n_classes) = ({n_rows}, {n_classes}). Return one row of class "
            f"scores {hint}.",
            where=defined_at(type(model).forward),
        )
    return out


def _evaluate(
    model: nn.Module,
    split: AnySplit,
    n_classes: int,
    metrics: Sequence[str],
    device: torch.device,
    weights_from: Sequence[str] | None = None,
) -> tuple[float, dict[str, float | None], np.ndarray]:
    """Mean loss, metrics and predictions (shape (n_rows,)) of ``model`` on ``split``.

    ``weights_from`` gives the sequences whose varieties weight the weighted metrics;
    for a perturbed split they are the original rows', since only the input changed.
    """
    model.eval()
    losses, predictions = [], []
    with torch.no_grad():
        for start in range(0, len(split), EVAL_BATCH):
            index = torch.arange(start, min(start + EVAL_BATCH, len(split)))
            batch = split.batch(index, device)
            logits = _logits(model, batch, len(index), n_classes).float()
            labels = split.labels[index].to(device)
            losses.append(nn.functional.cross_entropy(logits, labels, reduction="sum").item())
            predictions.append(logits.argmax(dim=1).cpu())
    pred = torch.cat(predictions).numpy() if predictions else np.zeros(0, dtype=np.int64)
    loss = sum(losses) / max(len(split), 1)
    sequences = split.sequences if weights_from is None else weights_from
    values = compute_metrics(metrics, split.labels.numpy(), pred, sequences)
    return loss, values, pred


#: perturbed test (and dev) splits already encoded: (id(data), name) -> (data, split).
#: The perturbations are seeded and fixed, so every run of an audit shares them.
_PERTURBED: dict[tuple[int, str], tuple[EncodedData, AnySplit]] = {}


def perturbed_split(data: EncodedData, name: str) -> AnySplit:
    """``data``'s split under the evaluation ``name``, encoded once.

    The test split, or the dev split for an ``"...@dev"`` evaluation.
    """
    entry = _PERTURBED.get((id(data), name))
    if entry is None or entry[0] is not data:
        if len(_PERTURBED) > 32:  # an audit uses a handful; keep memory bounded
            _PERTURBED.clear()
        if data.source is None:
            raise ValueError("test-time perturbations need the encoded data's source dataset")
        raw = perturb_evaluation_split(data.source, name)
        encoded: AnySplit = (
            encode_array_split(raw, data.info.kind)
            if isinstance(raw, ArraySplit)
            else encode_split(data, raw)
        )
        entry = (data, encoded)
        _PERTURBED[(id(data), name)] = entry
    return entry[1]


def train_and_evaluate(
    builder: Builder,
    data: EncodedData,
    config: TrainConfig,
    *,
    init_seed: int,
    order_seed: int,
    metrics: Sequence[str],
    device: torch.device,
    evaluations: Sequence[str] = (),
) -> TrainOutcome:
    """Train one model and evaluate it on test at the epoch chosen on dev.

    Parameters
    ----------
    builder
        The variant's builder: ``DataInfo -> nn.Module``, or ``DataInfo -> estimator``
        (fitted by ``auditkit.train.sklearn.fit_and_evaluate`` instead).
    data
        The encoded dataset.
    config
        Epochs, batch size, learning rate, weight decay and the selection metric.
    init_seed
        Seeds the parameter initialisation (the global torch generator while the
        builder runs).
    order_seed
        Seeds the order of training batches (a private generator) and dropout.
    metrics
        Metric names computed on dev and test.
    device
        Where to train.
    evaluations
        Test-time perturbations (``auditkit.perturb.test_time(kind)``) under which
        the selected model is evaluated on test as well (on dev for a name ending in
        ``"@dev"``); nothing is retrained.

    Returns
    -------
    TrainOutcome

    Raises
    ------
    TrainingError
        The builder returned something that is not an ``nn.Module``, ``forward`` returned
        the wrong shape, or the loss became NaN. Any other exception from user code
        propagates unchanged; the executor records it.
    """
    # over 80 lines for its numpydoc docstring (36 lines); the code itself is 72 lines
    torch.manual_seed(init_seed)
    model = builder(data.info)
    if is_estimator(model):
        return fit_and_evaluate(
            model,
            data,
            init_seed=init_seed,
            order_seed=order_seed,
            metrics=metrics,
            evaluations=evaluations,
            perturbed=perturbed_split,
        )
    if not isinstance(model, nn.Module):
        raise TrainingError(
            f"the variant builder returned {type(model).__name__}; it must return a "
            "torch.nn.Module whose forward(batch) returns logits, or a scikit-learn "
            "estimator with fit and predict"
            + (" (a builder without `return` returns None)" if model is None else ""),
            where=defined_at(builder),
        )
    model = model.to(device)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    order = torch.Generator().manual_seed(order_seed)
    torch.manual_seed(_order_noise_seed(init_seed, order_seed))
    train, dev, test = data.splits["train"], data.splits["dev"], data.splits["test"]
    n_classes = data.info.n_classes
    selection = config.select_metric
    eval_metrics = list(dict.fromkeys([*metrics, selection]))

    curves: list[EpochRecord] = []
    best_score, best_epoch, best_state = -math.inf, 0, None
    best_dev: dict[str, float | None] = {}
    best_dev_predictions = np.zeros(0, dtype=np.int64)
    for epoch in range(1, config.epochs + 1):
        train_loss = _train_epoch(model, train, optimiser, order, config, n_classes, device, epoch)
        dev_loss, dev_values, dev_predictions = _evaluate(
            model, dev, n_classes, eval_metrics, device
        )
        score = dev_values[selection]
        curves.append(
            EpochRecord(epoch=epoch, train_loss=train_loss, dev_loss=dev_loss, dev_metric=score)
        )
        # Select on dev only, never on test; ties keep the earlier epoch. An undefined
        # selection metric falls back to the negated dev loss.
        comparable = score if score is not None else -dev_loss
        if comparable > best_score:
            best_score, best_epoch = comparable, epoch
            best_state = copy.deepcopy(model.state_dict())
            best_dev = {m: dev_values[m] for m in metrics}
            best_dev_predictions = dev_predictions
    if best_state is None:
        raise TrainingError(
            f"every epoch's dev loss was NaN ({curves[-1].dev_loss}); the model's outputs are "
            "not finite on dev: lower the learning rate or check the model"
        )
    model.load_state_dict(best_state)
    _, test_values, predictions = _evaluate(model, test, n_classes, list(metrics), device)
    perturbed_metrics, perturbed_predictions = _evaluate_perturbed(
        model, data, evaluations, metrics, device
    )
    return TrainOutcome(
        perturbed_metrics=perturbed_metrics,
        perturbed_predictions=perturbed_predictions,
        test_metrics=test_values,
        dev_metrics=best_dev,
        curves=tuple(curves),
        best_epoch=best_epoch,
        test_predictions=tuple(int(p) for p in predictions),
        dev_predictions=tuple(int(p) for p in best_dev_predictions),
    )


def _train_epoch(
    model: nn.Module,
    train: AnySplit,
    optimiser: torch.optim.Optimizer,
    order: torch.Generator,
    config: TrainConfig,
    n_classes: int,
    device: torch.device,
    epoch: int,
) -> float:
    """One epoch of training in the order ``order`` draws; the mean training loss."""
    model.train()
    permutation = torch.randperm(len(train), generator=order)
    total, count = 0.0, 0
    for start in range(0, len(train), config.batch_size):
        index = permutation[start : start + config.batch_size]
        batch = train.batch(index, device)
        logits = _logits(model, batch, len(index), n_classes)
        loss = nn.functional.cross_entropy(logits.float(), train.labels[index].to(device))
        if not torch.isfinite(loss):
            raise TrainingError(
                f"the training loss became {loss.item()} at epoch {epoch}, step "
                f"{start // config.batch_size + 1}; lower the learning rate "
                f"(lr={config.lr}) or check the model for unstable operations"
            )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        total += loss.item() * len(index)
        count += len(index)
    return total / count


def _evaluate_perturbed(
    model: nn.Module,
    data: EncodedData,
    evaluations: Sequence[str],
    metrics: Sequence[str],
    device: torch.device,
) -> tuple[dict[str, dict[str, float | None]], dict[str, tuple[int, ...]]]:
    """Metrics and predictions of the selected model under each test-time perturbation."""
    perturbed_metrics: dict[str, dict[str, float | None]] = {}
    perturbed_predictions: dict[str, tuple[int, ...]] = {}
    for name in evaluations:
        _, values, pred = _evaluate(
            model,
            perturbed_split(data, name),
            data.info.n_classes,
            list(metrics),
            device,
            weights_from=data.splits[evaluation_split(name)[1]].sequences,
        )
        perturbed_metrics[name] = values
        perturbed_predictions[name] = tuple(int(p) for p in pred)
    return perturbed_metrics, perturbed_predictions
