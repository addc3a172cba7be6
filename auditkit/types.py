"""Frozen values shared by every layer; this module imports nothing else from auditkit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from auditkit.conditions import NOMINAL, Condition, Evaluation, Transform
from auditkit.exhibits import Exhibit

# Dataset metadata, script-mode records and training settings live in their own modules;
# the ``X as X`` form re-exports them, so ``from auditkit.types import DataMetadata`` works.
from auditkit.metadata import DataFile as DataFile
from auditkit.metadata import DataMetadata as DataMetadata
from auditkit.metadata import LabelRule as LabelRule
from auditkit.script_types import FileAccess as FileAccess
from auditkit.script_types import FileMode as FileMode
from auditkit.script_types import ScriptFacts as ScriptFacts
from auditkit.script_types import ScriptTrace as ScriptTrace
from auditkit.script_types import SeedCall as SeedCall
from auditkit.train_config import Overrides as Overrides
from auditkit.train_config import TrainConfig as TrainConfig
from auditkit.train_config import UnknownOverrideError as UnknownOverrideError
from auditkit.train_config import apply_overrides as apply_overrides

SplitName = Literal["train", "dev", "test"]
SPLITS: tuple[SplitName, ...] = ("train", "dev", "test")


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSplit:
    """One split of a token-sequence dataset, as in an SPR_BENCH CSV file.

    All three tuples have the same length ``n_rows``.
    """

    #: row identifiers, e.g. ``"SPR_train_17"``
    ids: tuple[str, ...]
    #: sequences as written in the CSV: tokens separated by single spaces, e.g. ``"▲r ■b ●"``
    sequences: tuple[str, ...]
    #: integer class labels, 0 .. n_classes - 1
    labels: tuple[int, ...]

    def __post_init__(self) -> None:
        if not (len(self.ids) == len(self.sequences) == len(self.labels)):
            raise ValueError(
                f"ids, sequences and labels must have the same length; got "
                f"{len(self.ids)}, {len(self.sequences)} and {len(self.labels)}"
            )

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenDataset:
    """A token-sequence dataset with train, dev and test splits.

    Each token carries named factors (for SPR: ``shape`` is the first character and
    ``color`` the optional second one), so models and perturbations can address them.
    """

    #: short human-readable name, e.g. ``"spr(rule='spr_like', seed=0)"``
    name: str
    train: TokenSplit
    dev: TokenSplit
    test: TokenSplit
    #: factor names carried by each token, in the order of ``auditkit.datasets.tokens.FACTORS``
    factors: tuple[str, ...] = ("shape", "color")
    #: ground truth and statistics: generating rule, options, per-split statistics, source path
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: the memoised fingerprint; init=False so that ``dataclasses.replace`` starts afresh
    _digest: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def kind(self) -> Literal["tokens"]:
        """The data kind; perturbations declare which kinds they support."""
        return "tokens"

    @property
    def meta(self) -> DataMetadata:
        """The keys of ``metadata`` that checks rely on, typed (:class:`DataMetadata`)."""
        return DataMetadata.parse(self.metadata)

    def split(self, name: SplitName) -> TokenSplit:
        """Return the split called ``name`` (``"train"``, ``"dev"`` or ``"test"``)."""
        if name == "train":
            return self.train
        if name == "dev":
            return self.dev
        if name == "test":
            return self.test
        raise ValueError(f"split={name!r} is not one of {SPLITS}")

    @property
    def n_classes(self) -> int:
        """Number of classes: one more than the largest label in any split."""
        return 1 + max(max(s.labels, default=0) for s in (self.train, self.dev, self.test))

    def fingerprint(self) -> str:
        """SHA-256 of every row of every split (ids, sequences, labels), as hex.

        Two datasets with the same fingerprint feed identical rows to training, so the
        fingerprint keys cached runs and shows up in the report's provenance.
        """
        if self._digest:
            # Hashing every row costs milliseconds per call, and the run keys, the
            # report and the provenance check all ask; the rows are frozen.
            return self._digest[0]
        digest = hashlib.sha256()
        for name in SPLITS:
            part = self.split(name)
            digest.update(name.encode())
            for row in zip(part.ids, part.sequences, part.labels, strict=True):
                digest.update(json.dumps(row, ensure_ascii=False).encode())
        self._digest.append(digest.hexdigest())
        return self._digest[0]


DataKind: TypeAlias = Literal["tokens", "images", "features"]
#: every data kind; a check or perturbation declares which of them it supports
DATA_KINDS: tuple[DataKind, ...] = ("tokens", "images", "features")


def _frozen_array(value: Any, dtype: Any, name: str) -> NDArray[Any]:
    # A copy the caller cannot write through, so the frozen dataset's rows, and with
    # them its fingerprint, never change under the audit.
    array = np.array(value, dtype=dtype, copy=True, order="C")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ArraySplit:
    """One split of an array dataset: inputs, integer labels and row identifiers.

    ``inputs`` has shape (n_rows, C, H, W) for images and (n_rows, n_features) for
    feature arrays; ``labels`` has shape (n_rows,). Both are stored as read-only copies
    (float32 and int64). Equality is identity: arrays have no single truth value.
    """

    inputs: NDArray[np.float32]
    labels: NDArray[np.int64]
    #: row identifiers; ``("0", "1", ...)`` when not given
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        inputs = _frozen_array(self.inputs, np.float32, "inputs")
        labels = _frozen_array(self.labels, np.int64, "labels")
        if labels.ndim != 1:
            raise ValueError(f"labels must have shape (n_rows,); got {labels.shape}")
        if inputs.ndim < 2 or inputs.shape[0] != labels.shape[0]:
            raise ValueError(
                f"inputs must have shape (n_rows, ...) with n_rows = {labels.shape[0]} labels; "
                f"got {inputs.shape}"
            )
        if labels.size and labels.min() < 0:
            raise ValueError(f"labels must be integers >= 0; found {int(labels.min())}")
        if not np.all(np.isfinite(inputs)):
            bad = int(np.argwhere(~np.isfinite(inputs.reshape(len(inputs), -1)))[0][0])
            raise ValueError(f"inputs must be finite; row {bad} holds NaN or inf")
        ids = tuple(str(i) for i in self.ids) if self.ids else tuple(map(str, range(len(labels))))
        if len(ids) != len(labels):
            raise ValueError(f"ids has {len(ids)} entries for {len(labels)} rows")
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "ids", ids)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ArrayDataset:
    """What image and feature datasets share: three ``ArraySplit``s and metadata.

    Use ``ImageDataset`` or ``FeatureDataset``; this base class only holds the fields.
    """

    name: str
    train: ArraySplit
    dev: ArraySplit
    test: ArraySplit
    #: ground truth and statistics, e.g. the generator's rule and planted shortcuts
    metadata: Mapping[str, Any] = field(default_factory=dict)
    _digest: list[str] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def kind(self) -> DataKind:
        """The data kind: ``"images"`` or ``"features"``."""
        raise NotImplementedError

    @property
    def meta(self) -> DataMetadata:
        """The keys of ``metadata`` that checks rely on, typed (:class:`DataMetadata`)."""
        return DataMetadata.parse(self.metadata)

    def _check_shape(self, ndim: int, what: str) -> None:
        shapes = {name: self.split(name).inputs.shape[1:] for name in SPLITS}
        for name, shape in shapes.items():
            if len(shape) + 1 != ndim:
                raise ValueError(
                    f"{type(self).__name__}({self.name!r}): the {name} inputs have shape "
                    f"{self.split(name).inputs.shape}; {what}"
                )
        if len(set(shapes.values())) != 1:
            raise ValueError(
                f"{type(self).__name__}({self.name!r}): the splits' inputs differ in shape "
                f"({', '.join(f'{k} {v}' for k, v in shapes.items())}); every row must have "
                "the same shape"
            )

    def split(self, name: SplitName) -> ArraySplit:
        """Return the split called ``name`` (``"train"``, ``"dev"`` or ``"test"``)."""
        if name == "train":
            return self.train
        if name == "dev":
            return self.dev
        if name == "test":
            return self.test
        raise ValueError(f"split={name!r} is not one of {SPLITS}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one row's input: (C, H, W) for images, (n_features,) for features."""
        return tuple(int(n) for n in self.train.inputs.shape[1:])

    @property
    def n_classes(self) -> int:
        """Number of classes: one more than the largest label in any split."""
        return 1 + max(
            (int(s.labels.max()) for s in (self.train, self.dev, self.test) if len(s)),
            default=0,
        )

    def fingerprint(self) -> str:
        """SHA-256 of every split's ids, input bytes (float32, C order) and labels, as hex."""
        if self._digest:
            return self._digest[0]
        digest = hashlib.sha256(self.kind.encode())
        for name in SPLITS:
            part = self.split(name)
            digest.update(name.encode())
            digest.update(json.dumps(part.ids).encode())
            digest.update(str(part.inputs.shape).encode())
            digest.update(part.inputs.tobytes())
            digest.update(part.labels.tobytes())
        self._digest.append(digest.hexdigest())
        return self._digest[0]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ImageDataset(ArrayDataset):
    """Images with train, dev and test splits; inputs of shape (n_rows, C, H, W).

    Pixel values are floats, conventionally in [0, 1]; ``C`` is 3 for RGB images (the
    colour perturbations need three channels) and 1 for grayscale.
    """

    def __post_init__(self) -> None:
        self._check_shape(4, "images must have shape (n_rows, channels, height, width)")

    @property
    def kind(self) -> Literal["images"]:
        """The data kind."""
        return "images"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class FeatureDataset(ArrayDataset):
    """Plain numeric features with train, dev and test splits; inputs (n_rows, n_features)."""

    #: a name per feature column, shape (n_features,); empty when unknown
    feature_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._check_shape(2, "feature arrays must have shape (n_rows, n_features)")
        if self.feature_names and len(self.feature_names) != self.input_shape[0]:
            raise ValueError(
                f"FeatureDataset({self.name!r}): {len(self.feature_names)} feature names for "
                f"{self.input_shape[0]} feature columns"
            )

    @property
    def kind(self) -> Literal["features"]:
        """The data kind."""
        return "features"


#: any dataset an experiment can declare
Dataset: TypeAlias = TokenDataset | ImageDataset | FeatureDataset


@dataclass(frozen=True, slots=True, kw_only=True)
class DataInfo:
    """What a variant builder needs to know to size its model.

    Token ids are 0 for padding and 1 for a token never seen in training; factor ids
    likewise use 0 for padding and 1 for "absent or unseen" (a token with no colour).
    """

    kind: DataKind
    #: number of classes
    n_classes: int
    #: size of the token vocabulary, padding and unknown included (tokens only, else 0)
    vocab_size: int = 0
    #: longest sequence in any split, in tokens (tokens only, else 0)
    max_len: int = 0
    #: vocabulary size per factor, padding and "absent" included, e.g. ``{"shape": 6, "color": 6}``
    factor_sizes: Mapping[str, int] = field(default_factory=dict)
    pad_id: int = 0
    #: shape of one example's input: (C, H, W) for images, (n_features,) for features,
    #: (max_len,) for tokens
    input_shape: tuple[int, ...] = ()

    @property
    def n_features(self) -> int:
        """Number of input features of a flat example: n_features, or C·H·W for images."""
        return int(np.prod(self.input_shape)) if self.input_shape else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossValidation:
    """A (repeated) k-fold cross-validated design, for ``Experiment(design=...)``.

    The train, dev and test rows are pooled; the run with data seed ``s`` tests on fold
    ``s mod folds`` of the repetition ``s // folds`` (each repetition shuffles the pool
    with its own seed, stratified by label), and splits the remaining rows into train
    and dev, ``dev`` being the share of them held out for model selection.

    Parameters
    ----------
    folds
        Number of folds k, at least 2.
    dev
        Share of the non-test rows used as dev, in (0, 1).
    """

    folds: int = 5
    dev: float = 0.2

    def __post_init__(self) -> None:
        if not isinstance(self.folds, int) or isinstance(self.folds, bool) or self.folds < 2:
            raise ValueError(f"CrossValidation(folds={self.folds!r}): must be an integer >= 2")
        if (
            not isinstance(self.dev, int | float)
            or isinstance(self.dev, bool)
            or not (0 < self.dev < 1)
        ):
            raise ValueError(f"CrossValidation(dev={self.dev!r}): must be a share in (0, 1)")

    def fold_of(self, data_seed: int) -> tuple[int, int]:
        """(repetition, fold) that the run with data seed ``data_seed`` tests on."""
        return data_seed // self.folds, data_seed % self.folds

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain JSON-ready dict."""
        return {"kind": "cross-validation", "folds": self.folds, "dev": self.dev}


class Direction(StrEnum):
    """Which way a claimed improvement goes."""

    INCREASE = "increase"  #: higher is better (accuracy, HWA, ...)
    DECREASE = "decrease"  #: lower is better (a loss)


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """The user's claim: ``variant`` beats ``baseline`` on ``metric``."""

    variant: str
    baseline: str
    metric: str
    #: the gain the paper reports, in metric units (0.021 = 2.1 points), if any
    reported: float | None = None
    direction: Direction = Direction.INCREASE
    #: ``"claim"``, or ``"ablation"``: the full model (variant) beats a variant that
    #: removes one of its components (baseline)
    kind: str = "claim"

    @property
    def label(self) -> str:
        """Short display name, e.g. ``"relational > gru on hwa"``."""
        sign = ">" if self.direction is Direction.INCREASE else "<"
        return f"{self.variant} {sign} {self.baseline} on {self.metric}"


class Verdict(StrEnum):
    """The four verdicts a claim can get (DESIGN.md §6)."""

    SUPPORTED = "supported"
    FRAGILE = "fragile"
    INCONCLUSIVE = "inconclusive"
    REFUTED = "refuted"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpec:
    """One training run, fully determined by its fields so it can be cached and replayed."""

    variant: str
    #: seed of parameter initialisation
    init_seed: int
    #: seed of the training data order (and of dropout)
    order_seed: int
    #: the perturbed condition, ``NOMINAL`` for the unperturbed setting; the store keeps
    #: its text form (``str(condition)``, e.g. ``"batch_size=256"``)
    condition: Condition = NOMINAL
    #: overrides of the training config for this condition, sorted by key, e.g.
    #: ``(("batch_size", 256),)``; a tuple so that run specs are hashable. Applied by
    #: ``apply_overrides``, which rejects a key ``TrainConfig`` does not have
    overrides: Overrides = ()
    #: a data perturbation applied to every split before training (retrain), e.g.
    #: ``Transform("mask_color")`` or ``Transform.resplit(0)``; None for the data as
    #: declared. The store keeps its text form (``"resplit:0"``)
    transform: Transform | None = None
    #: test-time perturbations under which the selected model is also evaluated (no
    #: retraining), sorted by text form, e.g. ``Evaluation("shuffle")`` on test and
    #: ``Evaluation("permute_color", "dev")`` (``"permute_color@dev"``) on dev
    evaluations: tuple[Evaluation, ...] = ()

    @property
    def run_id(self) -> str:
        """Readable identifier, unique within one plan."""
        extra = "".join(f",{k}={v}" for k, v in self.overrides)
        if self.transform:
            extra += f",data={self.transform}"
        return (
            f"{self.variant}[{self.condition},init={self.init_seed},order={self.order_seed}{extra}]"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochRecord:
    """Curves of one epoch of training."""

    epoch: int
    train_loss: float
    dev_loss: float
    #: value of the selection metric on dev, None when undefined
    dev_metric: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """What one RunSpec produced. Exceptions from user code are captured, never raised."""

    spec: RunSpec
    #: test metrics at the epoch selected on dev; empty when the run failed; None = undefined
    test_metrics: Mapping[str, float | None]
    #: dev metrics at the selected epoch
    dev_metrics: Mapping[str, float | None]
    #: per-epoch curves
    curves: tuple[EpochRecord, ...]
    #: epoch (1-based) whose weights were evaluated on test
    best_epoch: int | None
    #: test-set predictions at the selected epoch, array of shape (n_test,)
    test_predictions: tuple[int, ...]
    duration_s: float
    device: str
    #: formatted traceback when the user's code raised, else None
    error: str | None = None
    #: metrics of the selected model under each of ``spec.evaluations``, on the split
    #: the evaluation names (test, or dev for ``"...@dev"``)
    perturbed_metrics: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    #: predictions under each of ``spec.evaluations``, each of shape (n_test,) or (n_dev,)
    perturbed_predictions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: what a script run did (script mode); None for model-file runs
    trace: ScriptTrace | None = None
    #: dev predictions of the selected model, shape (n_dev,); kept only when some of
    #: ``spec.evaluations`` probe dev (they are compared with it), else empty
    dev_predictions: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the run finished without error."""
        return self.error is None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionEvidence:
    """Per-seed gains of one claim under one perturbed condition (e.g. batch size 512).

    Gains are signed like a claim's: positive means the variant is better.
    """

    #: the condition, e.g. ``Condition("batch_size", "512")`` (``batch_size=512``)
    condition: Condition
    #: the rule that made the condition, e.g. ``"AK401"``
    rule_id: str
    #: the perturbation family, e.g. ``"batch size"``
    family: str
    #: gains per seed, shape (n_pairs,)
    gains: tuple[float, ...]
    #: the seed of each gain, shape (n_pairs,), so that it can be paired with the nominal
    #: gain of the same seed; empty when unknown (then the comparison is unpaired)
    seeds: tuple[int, ...] = ()


Outcome = Literal["pass", "warn", "fail", "skipped", "error"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """What one rule found: its outcome, and what it hands on to the claims' verdicts."""

    outcome: Outcome
    #: one sentence with numbers
    reason: str
    #: short preformatted facts shown beside the reason, e.g. ``{"order reliance": "..."}``
    evidence: Mapping[str, str] = field(default_factory=dict)
    #: claim index -> the claim's gains under this rule's perturbed conditions
    conditions: Mapping[int, tuple[ConditionEvidence, ...]] = field(default_factory=dict)
    #: claim index -> why this rule makes the claim's evidence invalid (leakage, ...)
    invalid: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: typed, format-free evidence the report renders generically (tables, plots, curves)
    exhibits: tuple[Exhibit, ...] = ()
