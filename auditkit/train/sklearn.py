"""scikit-learn variants: fit and predict an estimator, seeded like a PyTorch run.

A variant builder may return a scikit-learn classifier or pipeline instead of a
``torch.nn.Module``. The two seeds of a run map onto what an estimator has:

- ``init_seed`` becomes every ``random_state`` the estimator holds, nested steps of a
  pipeline included (``get_params(deep=True)``), so a random forest draws other trees
  and an SGD classifier another initialisation;
- ``order_seed`` permutes the training rows before ``fit``, since estimators that learn
  online (SGD, MLP) or break ties by row order depend on it.

An estimator is fitted once, on the training split; the dev split is predicted only to
report dev metrics (an estimator has no epochs to select among). Inputs are what the
estimator can read: token sequences as strings, with a bag-of-tokens featuriser in front
of a bare classifier; images flattened to (n, C·H·W); feature arrays as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import Pipeline, make_pipeline

from auditkit.metrics import compute_metrics
from auditkit.perturb import evaluation_split
from auditkit.train.encode import AnySplit, ArrayEncodedSplit, EncodedData
from auditkit.train.outcome import TrainingError, TrainOutcome

__all__ = [
    "BagOfTokens",
    "fit_and_evaluate",
    "framework_of",
    "is_estimator",
    "seed_estimator",
]


def is_estimator(obj: object) -> bool:
    """True for an object with ``fit`` and ``predict`` that is not a torch module."""
    import torch

    return (
        not isinstance(obj, torch.nn.Module)
        and callable(getattr(obj, "fit", None))
        and callable(getattr(obj, "predict", None))
    )


def framework_of(builder: Callable[[Any], object], info: Any) -> str | None:
    """``"torch"`` or ``"sklearn"``: what ``builder(info)`` returns; None if it raises.

    The planner asks so that it can skip rules that do not apply to estimators (batch
    size, training curves); a builder that raises reports its error in its own runs.
    """
    import torch

    torch.manual_seed(0)
    try:
        built = builder(info)
    except Exception:  # user code: its runs record the failure
        return None
    if is_estimator(built):
        return "sklearn"
    return "torch" if isinstance(built, torch.nn.Module) else None


def seed_estimator(estimator: Any, seed: int) -> tuple[str, ...]:
    """Set every ``random_state`` parameter of ``estimator`` (nested ones too) to ``seed``.

    Parameters
    ----------
    estimator
        A scikit-learn estimator or pipeline.
    seed
        The value every ``random_state`` gets.

    Returns
    -------
    tuple of str
        The parameter names that were set, e.g. ``("randomforestclassifier__random_state",)``.
    """
    get_params = getattr(estimator, "get_params", None)
    if not callable(get_params):
        return ()
    names = tuple(
        sorted(
            k for k in get_params(deep=True) if k == "random_state" or k.endswith("__random_state")
        )
    )
    if names:
        estimator.set_params(**dict.fromkeys(names, seed))
    return names


class BagOfTokens(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Count features of token sequences: tokens, token n-grams, and factor values.

    Sequences are split on whitespace (SPR tokens such as ``"▲r"`` contain no space).
    Each row becomes counts of its tokens and of its token n-grams (up to
    ``ngram_range[1]``), and with ``factors=True`` also of its shapes (first character)
    and colours (second character), so a linear model can weigh factors separately.

    Parameters
    ----------
    ngram_range
        Smallest and largest n-gram length, e.g. ``(1, 2)`` for tokens and token pairs.
    factors
        Also count shape and colour values.
    binary
        Presence (0/1) instead of counts.

    Examples
    --------
    >>> counts = BagOfTokens(ngram_range=(1, 2)).fit_transform(["▲r ■b", "■b ■b"])
    >>> counts.shape
    (2, 8)
    """

    def __init__(
        self, ngram_range: tuple[int, int] = (1, 1), factors: bool = True, binary: bool = False
    ) -> None:
        self.ngram_range = ngram_range
        self.factors = factors
        self.binary = binary

    def _analyse(self, sequence: str) -> list[str]:
        tokens = sequence.split()
        low, high = self.ngram_range
        out = [
            " ".join(tokens[i : i + n])
            for n in range(max(low, 1), high + 1)
            for i in range(len(tokens) - n + 1)
        ]
        if self.factors:
            out += [f"shape={t[0]}" for t in tokens]
            out += [f"color={t[1:]}" for t in tokens if len(t) > 1]
        return out

    def fit(self, sequences: Sequence[str], y: object = None) -> BagOfTokens:
        """Learn the vocabulary of ``sequences`` (n_rows sequence strings)."""
        self.vectorizer_ = CountVectorizer(
            analyzer=self._analyse, binary=self.binary, lowercase=False
        )
        self.vectorizer_.fit(list(sequences))
        return self

    def transform(self, sequences: Sequence[str]) -> Any:
        """Sparse counts of shape (n_rows, n_features); features unseen in fit are dropped."""
        return self.vectorizer_.transform(list(sequences))

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """Names of the count features, shape (n_features,)."""
        names: NDArray[np.object_] = self.vectorizer_.get_feature_names_out()
        return names


def _with_featuriser(estimator: Any, kind: str) -> Any:
    """A bare classifier on token data gets ``BagOfTokens`` in front; others are as given."""
    if kind != "tokens" or isinstance(estimator, Pipeline) or hasattr(estimator, "transform"):
        return estimator
    return make_pipeline(BagOfTokens(), estimator)


def estimator_inputs(split: AnySplit) -> Any:
    """What an estimator reads from a split.

    Token sequences as an object array of strings, shape (n_rows,); images flattened
    to shape (n_rows, C·H·W); feature arrays as they are, shape (n_rows, n_features).
    """
    if isinstance(split, ArrayEncodedSplit):
        values: NDArray[np.float32] = split.inputs.numpy()
        return values.reshape(len(split), -1)
    return np.asarray(split.sequences, dtype=object)


def _predict(estimator: Any, inputs: Any, n_classes: int) -> NDArray[np.int64]:
    pred = np.asarray(estimator.predict(inputs))
    if pred.shape != (len(inputs),):
        raise TrainingError(
            f"predict returned an array of shape {pred.shape}; expected one class label per "
            f"row, shape ({len(inputs)},)"
        )
    try:
        labels = pred.astype(np.int64, casting="safe") if pred.dtype.kind in "iub" else None
    except TypeError:
        labels = None
    if labels is None or (labels.size and (labels.min() < 0 or labels.max() >= n_classes)):
        raise TrainingError(
            f"predict returned labels such as {pred[:3].tolist()}; expected integer class "
            f"labels 0 .. {n_classes - 1}, as in the data"
        )
    return labels


def fit_and_evaluate(
    estimator: Any,
    data: EncodedData,
    *,
    init_seed: int,
    order_seed: int,
    metrics: Sequence[str],
    evaluations: Sequence[str] = (),
    perturbed: Callable[[EncodedData, str], AnySplit] | None = None,
) -> TrainOutcome:
    """Fit a scikit-learn estimator on train and evaluate it on dev and test.

    Parameters
    ----------
    estimator
        What the variant builder returned: a classifier or pipeline, unfitted.
    data
        The encoded dataset; estimators read the sequences or the raw arrays.
    init_seed
        Becomes every ``random_state`` of the estimator.
    order_seed
        Seeds the permutation of the training rows passed to ``fit``.
    metrics
        Metric names computed on dev and test.
    evaluations
        Test-time perturbations under which the fitted estimator also predicts test
        (dev, for an ``"...@dev"`` evaluation).
    perturbed
        ``perturbed(data, name)`` gives the split under an evaluation.

    Returns
    -------
    TrainOutcome
        With no curves and ``best_epoch`` 1: an estimator is fitted once.

    Raises
    ------
    TrainingError
        ``predict`` returned something other than one label per row.
    """
    model = _with_featuriser(estimator, data.info.kind)
    seed_estimator(model, init_seed)
    train, dev, test = data.splits["train"], data.splits["dev"], data.splits["test"]
    order = np.random.default_rng(order_seed).permutation(len(train))
    x_train = estimator_inputs(train)[order]
    y_train = train.labels.numpy()[order]
    model.fit(x_train, y_train)
    n_classes = data.info.n_classes

    def measure(
        split: AnySplit, weights_from: Sequence[str] | None = None
    ) -> tuple[dict[str, float | None], NDArray[np.int64]]:
        pred = _predict(model, estimator_inputs(split), n_classes)
        sequences = split.sequences if weights_from is None else weights_from
        return compute_metrics(metrics, split.labels.numpy(), pred, sequences), pred

    dev_values, dev_predictions = measure(dev)
    test_values, predictions = measure(test)
    perturbed_metrics: dict[str, dict[str, float | None]] = {}
    perturbed_predictions: dict[str, tuple[int, ...]] = {}
    for name in evaluations:
        if perturbed is None:
            raise ValueError("fit_and_evaluate(evaluations=...) needs perturbed=...")
        _, split = evaluation_split(name)
        values, pred = measure(perturbed(data, name), weights_from=data.splits[split].sequences)
        perturbed_metrics[name] = values
        perturbed_predictions[name] = tuple(int(p) for p in pred)
    return TrainOutcome(
        test_metrics=test_values,
        dev_metrics=dev_values,
        curves=(),
        best_epoch=1,
        test_predictions=tuple(int(p) for p in predictions),
        dev_predictions=tuple(int(p) for p in dev_predictions),
        perturbed_metrics=perturbed_metrics,
        perturbed_predictions=perturbed_predictions,
        device="cpu",
    )
