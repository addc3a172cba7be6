"""A seeded synthetic image dataset: one coloured shape per image, labelled by its shape.

The label reads the shape only, so colour is a nuisance factor. ``shortcut`` plants a
colour–label correlation in train and dev (never in test): a model that learns colour
instead of shape then looks good on dev and falls to chance on test, which is what the
factor-isolation checks are built to catch. The ground truth (the rule, every row's shape
and colour, the planted shortcut and its measured strength) is in the metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from auditkit.datasets.images.drawing import COLOR_RGB, SHAPE_NAMES, Drawn, draw
from auditkit.datasets.inputs import check_int, check_name, check_number
from auditkit.errors import DataError, did_you_mean
from auditkit.types import SPLITS, ArraySplit, ImageDataset, SplitName

__all__ = ["COLOR_RGB", "SHAPE_NAMES", "shapes"]

_MIN_SIZE: Final = 8
_MAX_SIZE: Final = 256
_MAX_NOISE: Final = 0.5

_DEFAULTS: Final[dict[str, Any]] = {
    "n_train": 1200,
    "n_dev": 300,
    "n_test": 600,
    "size": 16,
    "shapes": ["circle", "square", "triangle"],
    "colors": ["red", "green", "blue", "yellow"],
    "noise": 0.05,
}


# long only for its numpydoc docstring, the reference of every option; the body is short
def shapes(
    *,
    n_train: int = 1200,
    n_dev: int = 300,
    n_test: int = 600,
    size: int = 16,
    shapes: Sequence[str] = ("circle", "square", "triangle"),
    colors: Sequence[str] = ("red", "green", "blue", "yellow"),
    shortcut: float = 0.0,
    shortcut_splits: Sequence[str] = ("train", "dev"),
    noise: float = 0.05,
    seed: int = 0,
    name: str | None = None,
) -> ImageDataset:
    """Generate a seeded dataset of coloured shapes, labelled by shape.

    Each image is RGB, ``size`` x ``size``, with a dark grey background and one filled
    shape at a random position and scale. The shape is filled with one of ``colors``
    (with a random brightness between 0.8 and 1 of its :data:`COLOR_RGB` value); edges
    are anti-aliased; Gaussian noise of standard deviation ``noise`` is added to every
    pixel and the result clipped to [0, 1]. The label of an image is the index of its
    shape in ``shapes``; each split holds every class equally often (up to one row).

    Each split is drawn from its own child stream of ``numpy.random.default_rng(seed)``,
    so the same arguments give bit-identical arrays, changing one split's size leaves the
    other splits unchanged, and two datasets that differ only in ``shortcut`` have the
    same shapes, positions, scales and noise (only colours differ).

    Parameters
    ----------
    n_train, n_dev, n_test
        Images per split; ``n_train`` at least ``len(shapes)``, the others at least 1.
    size
        Side of each image in pixels, from 8 to 256.
    shapes
        The classes, in label order: names from :data:`SHAPE_NAMES`, at least two,
        all different.
    colors
        The fill colours: names from :data:`COLOR_RGB`, at least one, all different.
    shortcut
        Strength of a planted colour–label correlation, from 0 (none) up to but
        excluding 1. In train and dev, an image of class ``k`` is filled with
        ``colors[k]`` with probability ``shortcut`` and with a uniformly random colour
        otherwise, so its colour matches its class's colour with probability
        ``shortcut + (1 - shortcut) / len(colors)``. Test colours are uniform and
        independent of the label, unless ``shortcut_splits`` names test too. Needs
        ``len(colors) >= len(shapes)`` when above 0, so that each class has a colour of
        its own.
    shortcut_splits
        The splits that carry the shortcut: ``("train", "dev")`` by default, so that
        reliance on colour costs accuracy on test; ``("train", "dev", "test")`` for a
        benchmark whose test split shares the bias, where reliance on colour *raises*
        the test score and only removing the colour shows it.
    noise
        Standard deviation of the per-pixel Gaussian noise, from 0 to 0.5.
    seed
        Non-negative seed of the generator.
    name
        Dataset name; defaults to e.g. ``"shapes(seed=0)"`` or
        ``"shapes(seed=0, shortcut=0.9)"`` (the seed always, other options when they
        differ from their defaults).

    Returns
    -------
    ImageDataset
        Splits whose inputs have shape (n, 3, size, size), float32 in [0, 1], labels
        shape (n,), and ids ``"shapes_train_0"``, .... ``metadata`` is JSON-ready and holds
        ``generator``; ``rule`` (``name`` ``"shape"``, ``description``, ``factors``
        ``["shape"]``, ``order_dependent`` False); ``options`` (every argument);
        ``shapes`` and ``colors`` (the name lists); ``factors`` (per split, per row:
        ``"shape"`` and ``"color"`` indices into those lists, each a list of length n);
        ``pitfalls`` (empty, or one ``"shortcut"`` record with ``factor`` ``"color"``,
        ``strength``, ``splits`` ``["train", "dev"]``, ``color_by_label``,
        ``expected_agreement``, ``chance`` and the measured ``agreement`` per split); and
        ``splits`` (per split: ``rows``, ``label_counts``, ``color_counts``,
        ``mean_pixel``).

    Raises
    ------
    DataError
        For an argument of the wrong type or out of range, an unknown shape or colour
        name, a repeated name, or a shortcut with fewer colours than shapes.
    """
    # over 80 lines for its numpydoc docstring (69 lines); the code itself is 44 lines
    checked = _check_options(
        n_train=n_train,
        n_dev=n_dev,
        n_test=n_test,
        size=size,
        shapes=shapes,
        colors=colors,
        shortcut=shortcut,
        shortcut_splits=shortcut_splits,
        noise=noise,
        seed=seed,
        name=name,
    )
    streams = np.random.default_rng(checked.seed).spawn(len(SPLITS))
    drawn = {
        split: draw(
            rng,
            n=checked.sizes[split],
            size=checked.size,
            shape_names=checked.shape_names,
            color_names=checked.color_names,
            # by default the shortcut is planted in train and dev only: test is the clean
            # split on which reliance on colour shows up as lost accuracy
            shortcut=checked.shortcut if split in checked.biased else 0.0,
            noise=checked.noise,
        )
        for split, rng in zip(SPLITS, streams, strict=True)
    }
    splits = {
        split: ArraySplit(
            inputs=drawn[split].images,
            labels=drawn[split].labels,
            ids=tuple(f"shapes_{split}_{i}" for i in range(checked.sizes[split])),
        )
        for split in SPLITS
    }
    options = checked.as_dict()
    return ImageDataset(
        name=checked.name if checked.name is not None else _default_name(options),
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        metadata=_metadata(checked, options, drawn),
    )


@dataclass(frozen=True, slots=True)
class _Options:
    """:func:`shapes`' options, checked."""

    shape_names: tuple[str, ...]
    color_names: tuple[str, ...]
    sizes: dict[SplitName, int]
    size: int
    seed: int
    shortcut: float
    #: the splits that carry the shortcut, in split order
    biased: tuple[SplitName, ...]
    noise: float
    name: str | None

    def as_dict(self) -> dict[str, Any]:
        """Every option, as recorded in ``metadata["options"]``."""
        return {
            "n_train": self.sizes["train"],
            "n_dev": self.sizes["dev"],
            "n_test": self.sizes["test"],
            "size": self.size,
            "shapes": list(self.shape_names),
            "colors": list(self.color_names),
            "shortcut": self.shortcut,
            "shortcut_splits": list(self.biased),
            "noise": self.noise,
            "seed": self.seed,
            "name": self.name,
        }


def _check_options(
    *,
    n_train: object,
    n_dev: object,
    n_test: object,
    size: object,
    shapes: object,
    colors: object,
    shortcut: object,
    shortcut_splits: object,
    noise: object,
    seed: object,
    name: object,
) -> _Options:
    """Check every option of :func:`shapes`; the first bad one raises its DataError."""
    shape_names = _check_names("shapes", shapes, SHAPE_NAMES, 2, "shapes=('circle', 'square')")
    color_names = _check_names("colors", colors, tuple(COLOR_RGB), 1, "colors=('red', 'blue')")
    sizes = _check_sizes(n_train, n_dev, n_test, n_classes=len(shape_names))
    checked_size = check_int(_option_error, "size", size, _MIN_SIZE, "size=16", maximum=_MAX_SIZE)
    checked_seed = check_int(_option_error, "seed", seed, 0, "seed=0")
    strength = check_number(
        _option_error,
        "shortcut",
        shortcut,
        0.0,
        1.0,
        "a shortcut strength is a probability from 0 (no shortcut) up to but excluding 1 "
        "(at 1 colour and shape would be perfectly confounded in train and dev, so no "
        "model trained there could be told to rely on shape rather than colour)",
        "shortcut=0.9",
        include_high=False,
    )
    sigma = check_number(
        _option_error,
        "noise",
        noise,
        0.0,
        _MAX_NOISE,
        f"pixel noise is a standard deviation from 0 to {_MAX_NOISE}",
        "noise=0.05",
    )
    check_name(_option_error, name, "name='shapes'")
    biased = _check_biased(shortcut_splits, strength, shape_names, color_names)
    return _Options(
        shape_names=shape_names,
        color_names=color_names,
        sizes=sizes,
        size=checked_size,
        seed=checked_seed,
        shortcut=strength,
        biased=biased,
        noise=sigma,
        name=name if isinstance(name, str) else None,
    )


def _check_sizes(
    n_train: object, n_dev: object, n_test: object, *, n_classes: int
) -> dict[SplitName, int]:
    """Images per split: train needs one per class, dev and test at least one."""
    return {
        "train": check_int(
            _option_error,
            "n_train",
            n_train,
            n_classes,
            "n_train=1200",
            because=" (one training image per shape)",
        ),
        "dev": check_int(_option_error, "n_dev", n_dev, 1, "n_dev=300"),
        "test": check_int(_option_error, "n_test", n_test, 1, "n_test=600"),
    }


def _check_biased(
    shortcut_splits: object,
    strength: float,
    shape_names: tuple[str, ...],
    color_names: tuple[str, ...],
) -> tuple[SplitName, ...]:
    """The splits that carry the shortcut, in split order; a shortcut needs enough colours."""
    if (
        isinstance(shortcut_splits, str)
        or not isinstance(shortcut_splits, Sequence)
        or not shortcut_splits
        or any(s not in SPLITS for s in shortcut_splits)
        or len(set(shortcut_splits)) != len(shortcut_splits)
    ):
        raise _option_error(
            "shortcut_splits",
            shortcut_splits,
            f"the splits that carry the shortcut are a non-empty list of {', '.join(SPLITS)}, "
            "each at most once",
            "shortcut_splits=('train', 'dev')",
        )
    biased = tuple(s for s in SPLITS if s in shortcut_splits)
    if strength > 0 and len(color_names) < len(shape_names):
        raise _option_error(
            "colors",
            tuple(color_names),
            f"a shortcut gives each of the {len(shape_names)} classes a colour of its own, "
            f"so it needs at least {len(shape_names)} colours, and {len(color_names)} "
            f"{'was' if len(color_names) == 1 else 'were'} given",
            f"colors={tuple(COLOR_RGB)[: len(shape_names)]!r}",
        )
    return biased


def _metadata(
    checked: _Options, options: dict[str, Any], drawn: Mapping[SplitName, Drawn]
) -> dict[str, Any]:
    """The JSON-ready metadata: the rule, the options, every row's factors, the pitfall."""
    shape_names, color_names, biased = checked.shape_names, checked.color_names, checked.biased
    shortcut = checked.shortcut
    n_colors = len(color_names)
    pitfalls: list[dict[str, Any]] = []
    if shortcut > 0:
        pitfalls.append(
            {
                "kind": "shortcut",
                "factor": "color",
                "strength": shortcut,
                "splits": list(biased),
                "color_by_label": [color_names[k % n_colors] for k in range(len(shape_names))],
                # what the agreement would be with infinitely many rows, in train and dev
                "expected_agreement": shortcut + (1.0 - shortcut) / n_colors,
                # agreement of a colour independent of the label (the test split's)
                "chance": 1.0 / n_colors,
                # measured: fraction of rows whose colour is their label's colour
                "agreement": {split: drawn[split].agreement(n_colors) for split in SPLITS},
            }
        )
    metadata: dict[str, Any] = {
        "generator": "auditkit.datasets.shapes",
        "rule": {
            "name": "shape",
            "description": (
                f"the label is the index of the drawn shape in ({', '.join(shape_names)}); "
                "colour, position, scale, brightness and background carry no label "
                "information"
                + (f" except for the colour shortcut planted in {_and(biased)}" if pitfalls else "")
            ),
            # the factor-isolation check compares a model's reliance on each factor with
            # this list: reliance on a factor not in it is reliance on a shortcut
            "factors": ["shape"],
            "order_dependent": False,
        },
        "options": options,
        "shapes": list(shape_names),
        "colors": list(color_names),
        "factors": {
            split: {
                "shape": drawn[split].labels.tolist(),
                "color": drawn[split].colors.tolist(),
            }
            for split in SPLITS
        },
        "pitfalls": pitfalls,
        "splits": {split: drawn[split].statistics(len(shape_names), n_colors) for split in SPLITS},
    }
    return metadata


# --------------------------------------------------------------------------- validation


def _option_error(option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"shapes({option}={value!r}): {why}. Write instead, e.g., {instead}.",
        slug="shapes-option",
    )


def _check_names(
    option: str, value: object, known: tuple[str, ...], minimum: int, instead: str
) -> tuple[str, ...]:
    # a bare string is a sequence too, of its characters: refuse it rather than read
    # "circle" as the shapes 'c', 'i', ...
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _option_error(
            option, value, f"{option} is a list or tuple of names from {known!r}", instead
        )
    names = tuple(value)
    for item in names:
        if not isinstance(item, str):
            raise _option_error(
                option, value, f"every entry must be a name (a string); got {item!r}", instead
            )
        if item not in known:
            hint = did_you_mean(item, known)
            raise DataError(
                f"shapes({option}={value!r}): unknown {option[:-1]} {item!r}.{hint} "
                f"Known {option}: {', '.join(known)}. The generator can only draw these; "
                f"write e.g. {instead}.",
                slug="shapes-unknown-name",
            )
    repeated = sorted({item for item in names if names.count(item) > 1})
    if repeated:
        raise _option_error(
            option,
            value,
            f"{', '.join(map(repr, repeated))} appears more than once; each entry is a "
            f"distinct {'class' if option == 'shapes' else 'colour'}",
            instead,
        )
    if len(names) < minimum:
        why = (
            "an audit needs at least two classes, one per shape"
            if option == "shapes"
            else "at least one colour is needed to fill the shapes"
        )
        raise _option_error(option, value, why, instead)
    return names


def _and(names: Sequence[str]) -> str:
    """``("train", "dev", "test")`` -> ``"train, dev and test"``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _default_name(options: Mapping[str, Any]) -> str:
    # the seed always, the shortcut when planted, any other option when not the default,
    # so two differently generated datasets rarely share a name
    extra = "".join(
        f", {key}={tuple(options[key]) if isinstance(options[key], list) else options[key]!r}"
        for key, default in _DEFAULTS.items()
        if options[key] != default
    )
    planted = f", shortcut={options['shortcut']!r}" if options["shortcut"] > 0 else ""
    if options["shortcut"] > 0 and options["shortcut_splits"] != ["train", "dev"]:
        planted += f" in {'+'.join(options['shortcut_splits'])}"
    return f"shapes(seed={options['seed']}{extra}{planted})"
