"""The pitfalls :func:`~auditkit.datasets.spr` can plant, as typed, validated options.

Each option checks itself when built and writes its parameters with ``as_dict``; the
generator plants it (:mod:`auditkit.datasets.tokens.planting`) and records its measured
effect as ground truth in ``metadata["pitfalls"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from auditkit.datasets.inputs import is_int, is_number
from auditkit.datasets.tokens.codes import FACTOR_NAMES, MAX_LENGTH, Factor, alphabet
from auditkit.datasets.tokens.grammar import COLORS, SHAPES
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName

__all__ = ["MAX_NOISE", "FlipHighVariety", "Leak", "Shift", "ShiftBy", "Shortcut"]

#: what a :class:`Shift` restricts: the number of tokens, or the SWA / CWA weight
ShiftBy: TypeAlias = Literal["length", "shape_variety", "color_variety"]
_SHIFT_BY: Final[tuple[ShiftBy, ...]] = ("length", "shape_variety", "color_variety")
#: default shortcut symbols as (symbol for label 0, symbol for label 1): "red means yes" for
#: colour, "triangle means yes" for shape; two fixed symbols keep the cue easy to read off
_SHORTCUT_SYMBOLS: Final[dict[str, tuple[str, str]]] = {"color": ("g", "r"), "shape": ("■", "▲")}
#: the largest label-noise rate: above 1/2 the rule's labels are the minority, so "noise"
#: would invert the task and the accuracy ceiling of a rule-perfect model would be below chance
MAX_NOISE: Final = 0.5


def fail_option(owner: str, field: str, value: object, why: str, instead: str) -> DataError:
    """The error for a pitfall option ``owner(field=value)`` that cannot be planted."""
    return DataError(
        f"{owner}({field}={value!r}): {why}. Write instead, e.g., {instead}.", slug="spr-pitfall"
    )


def _check_split(owner: str, field: str, value: object) -> None:
    if value not in SPLITS:
        raise fail_option(
            owner, field, value, f"a split is one of {', '.join(map(repr, SPLITS))}", "'test'"
        )


def _check_pitfall_factor(owner: str, value: object) -> None:
    if value not in FACTOR_NAMES:
        raise fail_option(
            owner, "factor", value, "a token factor is 'shape' or 'color'", "factor='color'"
        )


def _as_pair(value: object) -> tuple[Any, Any] | None:
    """``value`` as a 2-tuple when it is a tuple or list of two items, else None."""
    if isinstance(value, tuple | list) and len(value) == 2:
        return value[0], value[1]
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Shortcut:
    """A spurious cue: one token's ``factor`` agrees with the label in some splits only.

    In every split the token at ``position`` is given one of two symbols,
    ``symbols[0]`` or ``symbols[1]``. In the splits listed in ``splits`` it gets
    ``symbols[label]`` with probability ``strength`` (independently per row) and the other
    symbol otherwise; in the remaining splits it gets one of the two at random, independently
    of the label. The token's marginal distribution is therefore the same in every split and
    only its link to the label differs, so a model that learnt the cue drops to chance where
    the cue is absent, and nothing else gives the difference away.

    The rule must not read ``factor`` (``spr`` raises :class:`~auditkit.errors.DataError`
    otherwise), so the rule's labels stay correct for every row.

    Parameters
    ----------
    factor
        The token factor that carries the cue, ``"color"`` or ``"shape"``.
    position
        The token that carries it: 0 is the first, -1 the last; every sequence of every split
        must have this position.
    strength
        Probability that the cue agrees with the label in the listed splits: 1 is a perfect
        shortcut, 0.5 none, below 0.5 an inverted one.
    splits
        The splits where the cue agrees with the label, e.g. ``("train", "dev")``.
    symbols
        ``(symbol for label 0, symbol for label 1)``; by default ``("g", "r")`` for colour
        (red means label 1) and ``("■", "▲")`` for shape.
    """

    factor: Factor = "color"
    position: int = -1
    strength: float = 1.0
    splits: tuple[SplitName, ...] = ("train", "dev")
    symbols: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        _check_pitfall_factor("Shortcut", self.factor)
        if not is_int(self.position):
            raise fail_option(
                "Shortcut",
                "position",
                self.position,
                "a position is an integer: 0 is the first token, -1 the last",
                "position=-1",
            )
        if not is_number(self.strength) or not 0.0 <= self.strength <= 1.0:
            raise fail_option(
                "Shortcut",
                "strength",
                self.strength,
                "the strength is the probability, from 0 to 1, that the cue agrees with the label",
                "strength=1.0",
            )
        # store plain Python numbers, so the metadata stays JSON-ready for numpy inputs
        object.__setattr__(self, "position", int(self.position))
        object.__setattr__(self, "strength", float(self.strength))
        splits = self.splits
        if isinstance(splits, list):
            # accept a list but store a tuple, so the option stays hashable
            splits = tuple(splits)
            object.__setattr__(self, "splits", splits)
        if (
            not isinstance(splits, tuple)
            or not splits
            or any(s not in SPLITS for s in splits)
            or len(set(splits)) != len(splits)
        ):
            raise fail_option(
                "Shortcut",
                "splits",
                splits,
                f"splits is a non-empty tuple of distinct split names from {SPLITS}",
                "splits=('train', 'dev')",
            )
        if self.symbols is not None:
            pair = _as_pair(self.symbols)
            symbols = alphabet(self.factor)
            if pair is None or pair[0] == pair[1] or any(s not in symbols for s in pair):
                default = _SHORTCUT_SYMBOLS[self.factor]
                raise fail_option(
                    "Shortcut",
                    "symbols",
                    self.symbols,
                    f"symbols is a pair of two different {self.factor} symbols from "
                    f"{' '.join(symbols)}: (symbol for label 0, symbol for label 1)",
                    f"symbols={default!r}",
                )
            object.__setattr__(self, "symbols", (str(pair[0]), str(pair[1])))

    @property
    def symbol_by_label(self) -> tuple[str, str]:
        """``(symbol for label 0, symbol for label 1)``, with the default filled in."""
        return self.symbols if self.symbols is not None else _SHORTCUT_SYMBOLS[self.factor]

    def as_dict(self) -> dict[str, Any]:
        """The option as a plain JSON-ready dict."""
        return {
            "factor": self.factor,
            "position": self.position,
            "strength": self.strength,
            "splits": list(self.splits),
            "symbol_by_label": list(self.symbol_by_label),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FlipHighVariety:
    """A planted split-construction bug: flip the labels of high-variety rows of one split.

    Every row of ``split`` whose ``factor`` variety (number of distinct colours or shapes,
    the CWA / SWA weight) is at least ``min_variety`` gets the opposite label, and no other
    row does. A model that learnt the rule then looks worst exactly on the rows a weighted
    metric counts most. How many rows that is depends on the lengths: at the default 6 to 12
    tokens almost every row has 3 or more colours, so for a bug that touches only part of
    the split use shorter sequences (e.g. ``length=(3, 6)``) or a higher ``min_variety``.

    Parameters
    ----------
    split
        The split whose labels are corrupted, usually ``"test"``.
    factor
        ``"color"`` (colour variety) or ``"shape"`` (shape variety).
    min_variety
        Rows with at least this many distinct symbols are flipped, from 1 to 4.
    """

    split: SplitName = "test"
    factor: Factor = "color"
    min_variety: int = 3

    def __post_init__(self) -> None:
        _check_split("FlipHighVariety", "split", self.split)
        _check_pitfall_factor("FlipHighVariety", self.factor)
        n_symbols = len(alphabet(self.factor))
        if not is_int(self.min_variety) or not 1 <= self.min_variety <= n_symbols:
            raise fail_option(
                "FlipHighVariety",
                "min_variety",
                self.min_variety,
                f"a variety counts distinct symbols, so the threshold is an integer from 1 to "
                f"{n_symbols} (0 would flip every row)",
                "min_variety=3",
            )
        object.__setattr__(self, "min_variety", int(self.min_variety))

    def as_dict(self) -> dict[str, Any]:
        """The option as a plain JSON-ready dict."""
        return {"split": self.split, "factor": self.factor, "min_variety": self.min_variety}


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    """Draw one split from a shifted distribution: only sequences whose ``by`` is in ``range``.

    With ``by="length"`` the split draws lengths uniformly from ``range`` instead of the
    generator's ``length``; with ``by="shape_variety"`` or ``"color_variety"`` it keeps only
    candidates whose variety lies in ``range``. The other splits are drawn as usual, so the
    shifted split's distribution differs from theirs (e.g. dev no longer predicts test).

    Parameters
    ----------
    split
        The shifted split, usually ``"test"``.
    by
        ``"length"``, ``"shape_variety"`` or ``"color_variety"``.
    range
        Inclusive ``(min, max)`` of the statistic, e.g. ``(13, 16)`` tokens or ``(4, 4)``
        distinct shapes.
    """

    split: SplitName = "test"
    by: ShiftBy
    range: tuple[int, int]

    def __post_init__(self) -> None:
        _check_split("Shift", "split", self.split)
        if self.by not in _SHIFT_BY:
            raise fail_option(
                "Shift",
                "by",
                self.by,
                f"a split can be shifted by {', '.join(map(repr, _SHIFT_BY))}",
                "by='length'",
            )
        pair = _as_pair(self.range)
        top = (
            MAX_LENGTH
            if self.by == "length"
            else len(SHAPES if self.by == "shape_variety" else COLORS)
        )
        bottom = 0 if self.by == "color_variety" else 1
        noun = "tokens" if self.by == "length" else "distinct symbols"
        instead = "range=(13, 16)" if self.by == "length" else "range=(4, 4)"
        if (
            pair is None
            or not all(is_int(v) for v in pair)
            or not bottom <= pair[0] <= pair[1] <= top
        ):
            raise fail_option(
                "Shift",
                "range",
                self.range,
                f"the range is an inclusive (min, max) pair of {noun} with "
                f"{bottom} <= min <= max <= {top}",
                instead,
            )
        object.__setattr__(self, "range", (int(pair[0]), int(pair[1])))

    def as_dict(self) -> dict[str, Any]:
        """The option as a plain JSON-ready dict."""
        return {"split": self.split, "by": self.by, "range": list(self.range)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Leak:
    """Train/test leakage: copy a fraction of the test rows, sequence and label, into train.

    ``round(fraction * n_test)`` test rows chosen at random replace as many train rows of the
    same label, so train keeps its size and its balance; those rows then sit in both splits,
    and they are the only sequences that do.

    Parameters
    ----------
    fraction
        Fraction of the test rows that also appear in train, above 0 and at most 1.
    """

    fraction: float

    def __post_init__(self) -> None:
        if not is_number(self.fraction) or not 0.0 < self.fraction <= 1.0:
            raise fail_option(
                "Leak",
                "fraction",
                self.fraction,
                "the fraction of test rows copied into train is a number above 0 and at most 1",
                "fraction=0.2",
            )
        object.__setattr__(self, "fraction", float(self.fraction))

    def as_dict(self) -> dict[str, Any]:
        """The option as a plain JSON-ready dict."""
        return {"fraction": self.fraction}
