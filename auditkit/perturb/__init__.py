"""Perturbations: named, seeded transformations of token, image and feature data.

Each data kind has its own test-time perturbations (``test_time(kind)``): token
perturbations work on the sequence strings so that every model sees them the same way;
image perturbations (``auditkit.perturb.images``) on the pixel arrays. Two uses:

- **test-time** (``perturb_test_split``): applied to the test split only; the trained model is
  re-evaluated, nothing is retrained. Metrics keep the original rows' weights and labels:
  only the model's input changes. An evaluation named ``"<perturbation>@dev"`` (``on_dev``)
  applies the same perturbation to the dev split instead (``perturb_evaluation_split``):
  dev is drawn like train, so a cue that holds in train and dev but not in test shows
  there as reliance while the test-time probe finds it already broken.
- **train and test** (``apply_transform``): applied to every split before training; the model
  is retrained on the perturbed data.

Permuting a factor is the in-distribution probe of reliance: ``permute_color`` and
``permute_shape`` swap each token's colour (shape) with that of the token at the same
position in another test row, so every value stays one the model was trained on and the
factor's distribution is unchanged; only its link to each row's label is broken. This is
the default probe of factor reliance (rule AK302).

Masking a factor removes its information (an out-of-distribution probe: the masked token
may be one no model was trained on, so it measures robustness as much as reliance):
``mask_color`` drops every colour letter (the model sees "no colour"), ``mask_shape``
replaces every shape with one glyph, so shape carries nothing while the grammar (a shape
first) still holds. For images the same
names mean the same thing: ``mask_color`` turns every image grayscale, ``mask_shape``
shuffles its tiles so that no global shape survives while its colours stay.

Two data-level transforms apply to every kind: ``resplit:<seed>`` and the folds of a
cross-validated design (``cv_fold``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from auditkit.conditions import DEV_SUFFIX, Evaluation, Transform
from auditkit.datasets.tokens import SHAPES
from auditkit.perturb.images import IMAGE_PERTURBATIONS
from auditkit.types import (
    SPLITS,
    ArrayDataset,
    ArraySplit,
    CrossValidation,
    DataKind,
    Dataset,
    SplitName,
    TokenDataset,
    TokenSplit,
)

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


def shift_color(sequences: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """Replace each row's colours by a random derangement: ``"▲r ■g"`` -> ``"▲g ■b"``.

    Every colour of a row maps to another colour (the same one throughout the row), so
    colour still varies as before but no longer means what it did.
    """
    rng = np.random.default_rng(seed)
    palette = sorted({t[1:] for s in sequences for t in s.split() if len(t) > 1})
    out = []
    for sequence in sequences:
        if len(palette) < 2:
            out.append(sequence)
            continue
        # a random cyclic shift of a random order has no fixed point
        order = rng.permutation(len(palette))
        n = len(palette)
        mapping = {palette[order[k]]: palette[order[(k + 1) % n]] for k in range(n)}
        out.append(" ".join(t[:1] + mapping.get(t[1:], "") for t in sequence.split()))
    return tuple(out)


def _permute_factor(sequences: tuple[str, ...], seed: int, cut: slice) -> tuple[str, ...]:
    """Permute the ``cut`` part of each token across rows, position by position."""
    rng = np.random.default_rng(seed)
    rows = [s.split() for s in sequences]
    longest = max((len(r) for r in rows), default=0)
    for i in range(longest):
        having = [k for k, r in enumerate(rows) if len(r) > i]
        values = [rows[k][i][cut] for k in having]
        order = rng.permutation(len(having))
        for k, j in zip(having, order, strict=True):
            token = rows[k][i]
            shape, colour = token[:1], token[1:]
            if cut.start == 0:
                rows[k][i] = values[j] + colour
            else:
                rows[k][i] = shape + values[j]
    return tuple(" ".join(r) for r in rows)


def permute_color(sequences: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """Swap each token's colour with the colour at the same position of another row.

    Position by position, the colours of the tokens at that position (none for a
    colourless token) are permuted across the rows that have it. Every token stays one of
    the vocabulary and each position keeps its colour distribution; only the colours'
    link to each row's label is broken.

    Examples
    --------
    >>> out = permute_color(("▲r ■g", "▲b ■y", "●g ◆r"), 1)
    >>> sorted(s.split()[0][1] for s in out)  # the first position keeps its colours
    ['b', 'g', 'r']
    >>> [s.split()[1][0] for s in out]  # and every shape stays where it was
    ['■', '■', '◆']
    """
    return _permute_factor(sequences, seed, slice(1, None))


def permute_shape(sequences: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """Swap each token's shape with the shape at the same position of another row.

    As ``permute_color``, for shapes: colours stay where they were.

    Examples
    --------
    >>> out = permute_shape(("▲r ■g", "●b ◆y"), 3)
    >>> [s.split()[0][1] for s in out], sorted(s.split()[1][0] for s in out)
    (['r', 'b'], ['■', '◆'])
    """
    return _permute_factor(sequences, seed, slice(0, 1))


#: test-time perturbations: name -> (function, one-line description)
TEST_TIME: Mapping[str, tuple[Perturb, str]] = {
    "shuffle": (shuffle_tokens, "tokens shuffled within each test sequence"),
    "reverse": (reverse_tokens, "token order reversed in each test sequence"),
    "mask_color": (mask_color, "colour removed from every test token"),
    "mask_shape": (mask_shape, "every test token given the same shape"),
    "color_shift": (shift_color, "every test colour replaced by another, per sequence"),
    "permute_color": (
        permute_color,
        "each test token's colour swapped with the colour at its position in another row",
    ),
    "permute_shape": (
        permute_shape,
        "each test token's shape swapped with the shape at its position in another row",
    ),
}


def test_time(kind: DataKind) -> Mapping[str, str]:
    """The test-time perturbations of a data kind: name -> one-line description.

    Feature arrays have none: their columns carry no named factor to remove.
    """
    if kind == "tokens":
        return {name: text for name, (_, text) in TEST_TIME.items()}
    if kind == "images":
        return {name: text for name, (_, text) in IMAGE_PERTURBATIONS.items()}
    return {}


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


def perturb_images(split: ArraySplit, name: str, seed: int = SHUFFLE_SEED) -> ArraySplit:
    """Apply the image perturbation ``name`` to a split of shape (n, C, H, W).

    Parameters
    ----------
    split
        The images; ids and labels are kept.
    name
        A key of ``auditkit.perturb.images.IMAGE_PERTURBATIONS``.
    seed
        Seed of the perturbation (patch order, channel permutation).

    Returns
    -------
    ArraySplit
    """
    fn, _ = IMAGE_PERTURBATIONS[name]
    return ArraySplit(inputs=fn(split.inputs, seed), labels=split.labels, ids=split.ids)


def on_dev(name: str) -> str:
    """The evaluation that applies the test-time perturbation ``name`` to the dev split."""
    return name + DEV_SUFFIX


def evaluation_split(name: str) -> tuple[str, SplitName]:
    """(perturbation, split) of an evaluation name (``conditions.Evaluation`` reads it).

    ``"permute_color@dev"`` -> ``("permute_color", "dev")``;
    ``"shuffle"`` -> ``("shuffle", "test")``.
    """
    evaluation = Evaluation.parse(name)
    return evaluation.perturbation, evaluation.split


def perturb_evaluation_split(data: Dataset, name: str) -> TokenSplit | ArraySplit:
    """The split an evaluation reads, perturbed: test, or dev for a ``"...@dev"`` name.

    Raises
    ------
    ValueError
        When the perturbation is not a test-time perturbation of the data's kind.
    """
    perturbation, split = evaluation_split(name)
    if split == "test":
        return perturb_test_split(data, perturbation)
    _known(data, perturbation)
    if isinstance(data, TokenDataset):
        return perturb_split(data.dev, perturbation)
    return perturb_images(data.dev, perturbation)


def _known(data: Dataset, name: str) -> None:
    if name not in test_time(data.kind):
        known = ", ".join(test_time(data.kind)) or "none"
        raise ValueError(
            f"test-time perturbation {name!r} does not apply to {data.kind} data (known: {known})"
        )


def perturb_test_split(data: Dataset, name: str) -> TokenSplit | ArraySplit:
    """``data``'s test split under the test-time perturbation ``name`` of its kind.

    Raises
    ------
    ValueError
        When ``name`` is not a test-time perturbation of the data's kind.
    """
    _known(data, name)
    if isinstance(data, TokenDataset):
        return perturb_split(data.test, name)
    return perturb_images(data.test, name)


def _pool(data: Dataset) -> tuple[list[str], NDArray[np.int64]]:
    """Every row's id and label, train then dev then test."""
    ids = [i for name in SPLITS for i in data.split(name).ids]
    labels = np.concatenate(
        [np.asarray(data.split(name).labels, dtype=np.int64) for name in SPLITS]
    )
    return ids, labels


def _with_splits(data: Dataset, name: str, parts: Mapping[str, TokenSplit | ArraySplit]) -> Dataset:
    """``data`` renamed, with its three splits replaced by ``parts`` (of its own kind)."""
    # one replace for every kind: the splits' type follows the dataset's, which the
    # callers guarantee and mypy cannot see through the union
    return dataclasses.replace(data, name=name, **{s: parts[s] for s in SPLITS})  # type: ignore[arg-type]


def _take(data: Dataset, parts: Mapping[str, NDArray[np.intp]], name: str) -> Dataset:
    """A dataset whose splits are the pooled rows at ``parts[split]`` (indices, shape (m,))."""
    out: dict[str, TokenSplit | ArraySplit] = {}
    if isinstance(data, TokenDataset):
        ids = [i for s in SPLITS for i in data.split(s).ids]
        seqs = [q for s in SPLITS for q in data.split(s).sequences]
        labels = [y for s in SPLITS for y in data.split(s).labels]
        for split, index in parts.items():
            out[split] = TokenSplit(
                ids=tuple(ids[i] for i in index),
                sequences=tuple(seqs[i] for i in index),
                labels=tuple(labels[i] for i in index),
            )
    else:
        inputs = np.concatenate([data.split(s).inputs for s in SPLITS])
        all_labels = np.concatenate([data.split(s).labels for s in SPLITS])
        all_ids = [i for s in SPLITS for i in data.split(s).ids]
        for split, index in parts.items():
            out[split] = ArraySplit(
                inputs=inputs[index],
                labels=all_labels[index],
                ids=tuple(all_ids[i] for i in index),
            )
    return _with_splits(data, name, out)


def _resplit(data: Dataset, seed: int) -> Dataset:
    """Pool train, dev and test and deal them out again at random, keeping the sizes."""
    ids, _ = _pool(data)
    order = np.random.default_rng(seed).permutation(len(ids))
    parts: dict[str, NDArray[np.intp]] = {}
    start = 0
    for name in SPLITS:
        size = len(data.split(name))
        parts[name] = order[start : start + size]
        start += size
    return _take(data, parts, f"{data.name} resplit({seed})")


#: folds already dealt, per (data fingerprint, design, repetition, fold): the executor,
#: the checks and the report all ask for the same few
_FOLDS: dict[tuple[str, CrossValidation, int, int], Dataset] = {}


def cv_fold(data: Dataset, design: CrossValidation, data_seed: int) -> Dataset:
    """The train/dev/test split that a cross-validated design gives the run ``data_seed``.

    The pooled rows are dealt into ``design.folds`` stratified folds, shuffled with the
    repetition's seed (``data_seed // folds``); the test split is fold ``data_seed mod
    folds``, and the other folds are split again, stratified, into train and dev. Each
    fold is dealt once per process.

    Parameters
    ----------
    data
        The dataset as declared; its three splits are pooled.
    design
        Number of folds and dev share.
    data_seed
        The run's data-order seed, >= 0.

    Returns
    -------
    Dataset
        Of the same kind as ``data``.

    Raises
    ------
    ValueError
        When a class has fewer rows than there are folds.
    """
    repeat, fold = design.fold_of(data_seed)
    key = (data.fingerprint(), design, repeat, fold)
    if key not in _FOLDS:
        if len(_FOLDS) > 32:  # the folds of an audit or two; keep memory bounded
            _FOLDS.clear()
        _FOLDS[key] = _deal_fold(data, design, repeat, fold)
    return _FOLDS[key]


def _deal_fold(data: Dataset, design: CrossValidation, repeat: int, fold: int) -> Dataset:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    _, labels = _pool(data)
    counts = np.bincount(labels)
    smallest = int(counts[counts > 0].min()) if counts.size else 0
    if smallest < design.folds:
        raise ValueError(
            f"CrossValidation(folds={design.folds}) needs at least {design.folds} rows of every "
            f"class; the smallest class has {smallest}. Use fewer folds."
        )
    splitter = StratifiedKFold(n_splits=design.folds, shuffle=True, random_state=repeat)
    rest, test = list(splitter.split(np.zeros(len(labels)), labels))[fold]
    train, dev = train_test_split(
        rest,
        test_size=design.dev,
        random_state=repeat * 1_000 + fold,
        stratify=labels[rest],
    )
    parts = {"train": np.sort(train), "dev": np.sort(dev), "test": np.sort(test)}
    return _take(data, parts, f"{data.name} cv(fold {fold + 1}/{design.folds}, rep {repeat})")


def cv_fold_sizes(data: Dataset, design: CrossValidation) -> tuple[int, int]:
    """(n_train, n_test) of one fold of ``design`` (fold sizes differ by a row at most)."""
    fold = cv_fold(data, design, 0)
    return len(fold.train), len(fold.test)


def scored_labels(
    data: Dataset, design: CrossValidation | None, data_seed: int, split: SplitName = "test"
) -> tuple[int, ...]:
    """Labels of the test rows a run with ``data_seed`` is scored on, shape (n_test,).

    The declared test split, or in a cross-validated design the seed's test fold;
    ``split="dev"`` gives the dev rows the run selected its model on, shape (n_dev,).
    """
    source = data if design is None else cv_fold(data, design, data_seed)
    return tuple(int(y) for y in source.split(split).labels)


def transform_names(kind: DataKind = "tokens") -> tuple[str, ...]:
    """The train-and-test transforms of a kind: its test-time perturbations, ``resplit:<seed>``."""
    return (*test_time(kind), "resplit:<seed>")


def apply_transform(data: Dataset, transform: Transform | str) -> Dataset:
    """Apply a train-and-test transform to every split of ``data``.

    Parameters
    ----------
    data
        The dataset as declared.
    transform
        A test-time perturbation of the data's kind (applied to train, dev and test,
        seeded per split), or a re-split (``Transform.resplit(seed)``: pool every row and
        re-split at random); or its text form (``"mask_color"``, ``"resplit:3"``).

    Returns
    -------
    Dataset
        Of the same kind as ``data``.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if isinstance(transform, str):
        transform = Transform.parse(transform)
    if transform.name == "resplit" and transform.argument is not None:
        return _resplit(data, int(transform.argument))
    name = str(transform)
    if name not in test_time(data.kind):
        raise ValueError(
            f"transform={name!r} is not one of {', '.join(transform_names(data.kind))}"
        )
    splits: dict[str, TokenSplit | ArraySplit]
    if isinstance(data, ArrayDataset):
        splits = {
            split: perturb_images(data.split(split), name, seed=SHUFFLE_SEED + i)
            for i, split in enumerate(SPLITS)
        }
    else:
        splits = {
            split: perturb_split(data.split(split), name, seed=SHUFFLE_SEED + i)
            for i, split in enumerate(SPLITS)
        }
    return _with_splits(data, f"{data.name} {name}", splits)
