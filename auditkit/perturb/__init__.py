"""Perturbations: named, seeded transformations of token data.

Two kinds, both on the sequence strings so that every model sees them the same way:

- **test-time** (``TEST_TIME``): applied to the test split only; the trained model is
  re-evaluated, nothing is retrained. Metrics keep the original rows' weights and labels:
  only the model's input changes.
- **train and test** (``TRANSFORMS``): applied to every split before training; the model
  is retrained on the perturbed data.

Masking a factor removes its information: ``mask_color`` drops every colour letter (the
model sees "no colour"), ``mask_shape`` replaces every shape with one glyph, so shape
carries nothing while the grammar (a shape first) still holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from auditkit.datasets.tokens import SHAPES
from auditkit.types import SPLITS, TokenDataset, TokenSplit

#: the glyph every shape becomes under ``mask_shape``
MASK_SHAPE = SHAPES[1]
#: seed of the test-time shuffle: fixed, so that every run sees the same shuffled rows
SHUFFLE_SEED = 0

Perturb = Callable[[tuple[str, ...], int], tuple[str, ...]]


def shuffle_tokens(sequences: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """Permute the tokens inside each sequence (a fresh permutation per row)."""
    rng = np.random.default_rng(seed)
    out = []
    for sequence in sequences:
        tokens = sequence.split()
        order = rng.permutation(len(tokens))
        out.append(" ".join(tokens[i] for i in order))
    return tuple(out)


def reverse_tokens(sequences: tuple[str, ...], seed: int = 0) -> tuple[str, ...]:
    """Reverse the token order of each sequence (``seed`` is unused)."""
    return tuple(" ".join(reversed(s.split())) for s in sequences)


def mask_color(sequences: tuple[str, ...], seed: int = 0) -> tuple[str, ...]:
    """Drop the colour letter of every token: ``"▲r ■g"`` -> ``"▲ ■"``."""
    return tuple(" ".join(t[:1] for t in s.split()) for s in sequences)


def mask_shape(sequences: tuple[str, ...], seed: int = 0) -> tuple[str, ...]:
    """Give every token the same shape, keeping its colour: ``"▲r ●g"`` -> ``"■r ■g"``."""
    return tuple(" ".join(MASK_SHAPE + t[1:] for t in s.split()) for s in sequences)


#: test-time perturbations: name -> (function, one-line description)
TEST_TIME: Mapping[str, tuple[Perturb, str]] = {
    "shuffle": (shuffle_tokens, "tokens shuffled within each test sequence"),
    "reverse": (reverse_tokens, "token order reversed in each test sequence"),
    "mask_color": (mask_color, "colour removed from every test token"),
    "mask_shape": (mask_shape, "every test token given the same shape"),
}


def perturb_split(split: TokenSplit, name: str, seed: int = SHUFFLE_SEED) -> TokenSplit:
    """Apply the test-time perturbation ``name`` to a split's sequences.

    Parameters
    ----------
    split
        The rows; ids and labels are kept.
    name
        A key of ``TEST_TIME``.
    seed
        Seed of the shuffle.

    Returns
    -------
    TokenSplit
    """
    fn, _ = TEST_TIME[name]
    return dataclasses.replace(split, sequences=fn(split.sequences, seed))


def _resplit(data: TokenDataset, seed: int) -> TokenDataset:
    """Pool train, dev and test and deal them out again at random, keeping the sizes."""
    ids = [i for name in SPLITS for i in data.split(name).ids]
    seqs = [q for name in SPLITS for q in data.split(name).sequences]
    labels = [y for name in SPLITS for y in data.split(name).labels]
    order = np.random.default_rng(seed).permutation(len(ids))
    parts: dict[str, TokenSplit] = {}
    start = 0
    for name in SPLITS:
        size = len(data.split(name))
        index = order[start : start + size]
        start += size
        parts[name] = TokenSplit(
            ids=tuple(ids[i] for i in index),
            sequences=tuple(seqs[i] for i in index),
            labels=tuple(labels[i] for i in index),
        )
    return dataclasses.replace(
        data,
        name=f"{data.name} resplit({seed})",
        train=parts["train"],
        dev=parts["dev"],
        test=parts["test"],
    )


def transform_names() -> tuple[str, ...]:
    """The train-and-test transforms: every test-time perturbation, and ``resplit:<seed>``."""
    return (*TEST_TIME, "resplit:<seed>")


def apply_transform(data: TokenDataset, name: str) -> TokenDataset:
    """Apply a train-and-test transform to every split of ``data``.

    Parameters
    ----------
    data
        The dataset as declared.
    name
        A key of ``TEST_TIME`` (applied to train, dev and test, shuffles seeded per
        split), or ``"resplit:<seed>"`` (pool every row and re-split at random).

    Returns
    -------
    TokenDataset

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if name.startswith("resplit:"):
        return _resplit(data, int(name.split(":", 1)[1]))
    if name not in TEST_TIME:
        raise ValueError(f"transform={name!r} is not one of {', '.join(transform_names())}")
    splits = {
        split: perturb_split(data.split(split), name, seed=SHUFFLE_SEED + i)
        for i, split in enumerate(SPLITS)
    }
    return dataclasses.replace(
        data,
        name=f"{data.name} {name}",
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
    )
