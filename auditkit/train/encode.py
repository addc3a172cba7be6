"""Turn token sequences into the tensors a model's ``forward(batch)`` receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from auditkit.datasets.tokens import FACTORS, parse_token
from auditkit.types import SPLITS, DataInfo, SplitName, TokenDataset, TokenSplit

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
class EncodedData:
    """A dataset encoded with vocabularies built from its training split."""

    info: DataInfo
    splits: Mapping[SplitName, EncodedSplit]
    #: token and factor vocabularies, value -> id
    vocab: Mapping[str, Mapping[str, int]]


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


def encode(data: TokenDataset) -> EncodedData:
    """Encode every split of ``data`` as padded id tensors.

    Vocabularies come from the training split only, so a token first seen at test time
    maps to ``UNK`` exactly as it would for a model deployed on new data.

    Parameters
    ----------
    data
        A token dataset.

    Returns
    -------
    EncodedData
    """
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
    )
    splits = {name: _encode_split(data.split(name), vocab, max_len) for name in SPLITS}
    return EncodedData(info=info, splits=splits, vocab=vocab)


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
