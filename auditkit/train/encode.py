"""Turn a dataset into the tensors a model's ``forward(batch)`` receives.

Token sequences become padded id tensors (``tokens``, ``mask`` and one per factor);
images and feature arrays become one float tensor (``images`` or ``features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from auditkit.datasets.tokens import FACTORS, parse_token
from auditkit.types import (
    SPLITS,
    ArraySplit,
    DataInfo,
    Dataset,
    FeatureDataset,
    ImageDataset,
    SplitName,
    TokenSplit,
)

PAD = 0
#: id of a token (or factor value) unseen in training, and of an absent colour
UNK = 1


@dataclass(frozen=True, slots=True)
class EncodedSplit:
    """One split as tensors; every tensor has shape (n_rows, max_len) except ``labels``."""

    tokens: torch.Tensor
    mask: torch.Tensor
    #: one id tensor per factor name
    factors: Mapping[str, torch.Tensor]
    #: class labels, shape (n_rows,)
    labels: torch.Tensor
    #: the raw sequences, for the weighted metrics
    sequences: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batch(self, index: torch.Tensor, device: torch.device) -> dict[str, torch.Tensor]:
        """The rows ``index`` (shape (batch,)) as a model input dict on ``device``."""
        out = {"tokens": self.tokens[index], "mask": self.mask[index]}
        out.update({name: t[index] for name, t in self.factors.items()})
        return {k: v.to(device, non_blocking=True) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class ArrayEncodedSplit:
    """One split of images or feature arrays as a float tensor.

    ``inputs`` has shape (n_rows, C, H, W) or (n_rows, n_features); the batch dict has
    one entry, ``key`` (``"images"`` or ``"features"``).
    """

    inputs: torch.Tensor
    #: class labels, shape (n_rows,)
    labels: torch.Tensor
    #: the key of ``inputs`` in the batch dict
    key: str
    #: empty: no metric of array data reads token sequences
    sequences: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batch(self, index: torch.Tensor, device: torch.device) -> dict[str, torch.Tensor]:
        """The rows ``index`` (shape (batch,)) as a model input dict on ``device``."""
        return {self.key: self.inputs[index].to(device, non_blocking=True)}


#: either kind of encoded split; both have ``labels``, ``sequences``, ``batch`` and ``len``
AnySplit = EncodedSplit | ArrayEncodedSplit


@dataclass(frozen=True, slots=True)
class EncodedData:
    """A dataset encoded for training (token vocabularies built from its training split)."""

    info: DataInfo
    splits: Mapping[SplitName, AnySplit]
    #: token and factor vocabularies, value -> id; empty for array data
    vocab: Mapping[str, Mapping[str, int]]
    #: the dataset these tensors encode (its test split feeds test-time perturbations)
    source: Dataset | None = None


def _vocab(values: set[str]) -> dict[str, int]:
    # Sorted so the ids, and with them the model's initial weights, never depend on
    # hash seeds or on the order rows happen to appear in.
    return {v: i + 2 for i, v in enumerate(sorted(values))}


def _encode_split(
    split: TokenSplit, vocab: Mapping[str, Mapping[str, int]], max_len: int
) -> EncodedSplit:
    # Every distinct token is parsed and looked up once; rows are built as Python lists
    # and become tensors in one call (element-wise tensor writes cost ~1 µs each).
    ids: dict[str, tuple[int, ...]] = {}
    rows: list[list[tuple[int, ...]]] = []
    for sequence in split.sequences:
        row = []
        for token in sequence.split():
            found = ids.get(token)
            if found is None:
                factors = parse_token(token)
                found = (
                    vocab["token"].get(token, UNK),
                    *(
                        UNK if value is None else vocab[factor].get(value, UNK)
                        for factor, value in zip(FACTORS, factors, strict=True)
                    ),
                )
                ids[token] = found
            row.append(found)
        rows.append(row + [(PAD,) * (1 + len(FACTORS))] * (max_len - len(row)))
    width = 1 + len(FACTORS)
    table = (
        torch.tensor(rows, dtype=torch.long)
        if rows
        else torch.zeros((0, max_len, width), dtype=torch.long)
    )
    tokens = table[:, :, 0].contiguous()
    return EncodedSplit(
        tokens=tokens,
        mask=tokens != PAD,
        factors={f: table[:, :, i + 1].contiguous() for i, f in enumerate(FACTORS)},
        labels=torch.tensor(split.labels, dtype=torch.long),
        sequences=split.sequences,
    )


def encode_array_split(split: ArraySplit, kind: str) -> ArrayEncodedSplit:
    """One split of images or features as tensors (copies: the dataset's arrays are read-only)."""
    return ArrayEncodedSplit(
        inputs=torch.from_numpy(split.inputs.copy()),
        labels=torch.from_numpy(split.labels.copy()),
        key="images" if kind == "images" else "features",
    )


def _encode_arrays(data: ImageDataset | FeatureDataset) -> EncodedData:
    info = DataInfo(
        kind=data.kind,
        n_classes=max(data.n_classes, 2),
        input_shape=data.input_shape,
    )
    splits: dict[SplitName, AnySplit] = {
        name: encode_array_split(data.split(name), data.kind) for name in SPLITS
    }
    return EncodedData(info=info, splits=splits, vocab={}, source=data)


def encode(data: Dataset) -> EncodedData:
    """Encode every split of ``data`` as tensors.

    Token sequences become padded id tensors with vocabularies from the training split
    only, so a token first seen at test time maps to ``UNK`` exactly as it would for a
    model deployed on new data. Images and feature arrays become float32 tensors.

    Parameters
    ----------
    data
        A token, image or feature dataset.

    Returns
    -------
    EncodedData
    """
    if isinstance(data, ImageDataset | FeatureDataset):
        return _encode_arrays(data)
    token_values: set[str] = set()
    factor_values: dict[str, set[str]] = {f: set() for f in FACTORS}
    for sequence in data.train.sequences:
        for token in sequence.split():
            token_values.add(token)
            for factor, value in zip(FACTORS, parse_token(token), strict=True):
                if value is not None:
                    factor_values[factor].add(value)
    vocab: dict[str, Mapping[str, int]] = {"token": _vocab(token_values)}
    vocab.update({f: _vocab(v) for f, v in factor_values.items()})
    max_len = max(
        (len(s.split()) for name in SPLITS for s in data.split(name).sequences), default=1
    )
    info = DataInfo(
        kind="tokens",
        n_classes=max(data.n_classes, 2),
        vocab_size=len(vocab["token"]) + 2,
        max_len=max_len,
        factor_sizes={f: len(vocab[f]) + 2 for f in FACTORS},
        pad_id=PAD,
        input_shape=(max_len,),
    )
    splits: dict[SplitName, AnySplit] = {
        name: _encode_split(data.split(name), vocab, max_len) for name in SPLITS
    }
    return EncodedData(info=info, splits=splits, vocab=vocab, source=data)


def encode_split(data: EncodedData, split: TokenSplit) -> EncodedSplit:
    """Encode further rows (a perturbed test split, say) with ``data``'s vocabularies.

    Sequences longer than ``data.info.max_len`` are cut to it, since the model was sized
    for that length.
    """
    max_len = data.info.max_len
    clipped = TokenSplit(
        ids=split.ids,
        sequences=tuple(" ".join(s.split()[:max_len]) for s in split.sequences),
        labels=split.labels,
    )
    return _encode_split(clipped, data.vocab, max_len)
