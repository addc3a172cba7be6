"""Seeded synthetic SPR-style data: rules are conjunctions of predicates over shape and colour.

A sequence is a list of tokens; each token is a shape glyph (``▲ ■ ● ◆``) with an optional
colour letter (``r g b y``), written ``▲r``. A :class:`Rule` labels a sequence 1 when every
one of its predicates holds. Each predicate records which token factors it reads
(``"shape"``, ``"color"``) and whether it depends on token order, so the audit knows the ground
truth: a model that scores well on a shape-only rule while reading colour uses a shortcut.

Generation runs in four steps, each a seam where a pitfall is planted:

1. **draw** uniformly random candidate sequences (:func:`_draw_candidates`, per split, so a
   split can be drawn from a shifted distribution: a :class:`Shift` by length);
2. **label** them with the rule (vectorised :meth:`Rule.holds_batch`), then plant a
   :class:`Shortcut` into the candidates (a factor the rule never reads, so labels stay);
3. **balance** by rejection sampling, skipping any sequence already used and, for a
   :class:`Shift` by variety, any sequence out of range (:func:`_balance`);
4. **assign** the rows to the split, then run the per-split hooks (:data:`SplitHook`:
   :class:`FlipHighVariety`, then label noise); once every split is done, a :class:`Leak`
   copies test rows into train.

Each planted pitfall writes its ground truth into ``metadata["pitfalls"]``; with no pitfall
options the dataset is exactly the clean one.

Internally a token is encoded by two small integers: its shape index into ``SHAPES`` and
its colour index into ``COLORS``, with ``-1`` for "no colour" and for padding past the end
of a sequence.
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from auditkit.datasets.tokens import COLORS, SHAPES, color_variety, parse_token, shape_variety
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName, TokenDataset, TokenSplit

__all__ = [
    "RULES",
    "Adjacent",
    "ColorAt",
    "ColorCount",
    "FlipHighVariety",
    "Leak",
    "Order",
    "Parity",
    "Predicate",
    "Rule",
    "ShapeAt",
    "ShapeCount",
    "Shift",
    "Shortcut",
    "Variety",
    "split_statistics",
    "spr",
]

#: one parsed token: (shape glyph, colour letter or None), as returned by ``parse_token``
Token: TypeAlias = tuple[str, str | None]
#: the token factors a predicate can read
Factor: TypeAlias = Literal["shape", "color"]
#: comparisons a count or variety predicate can make against its threshold
Comparison: TypeAlias = Literal[">=", "==", "<="]
#: integer code arrays of shape (n_rows, max_len); -1 marks padding or "no colour"
CodeArray: TypeAlias = NDArray[np.integer[Any]]
BoolArray: TypeAlias = NDArray[np.bool_]

_FACTORS: Final[tuple[Factor, ...]] = ("shape", "color")
_COMPARISONS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    ">=": operator.ge,
    "==": operator.eq,
    "<=": operator.le,
}
#: longest sequence the generator accepts; guards memory (rows x max_len code arrays)
MAX_LENGTH: Final = 1024
#: token text by code ``shape_index * 5 + colour_index + 1`` (colour index -1 = no colour)
_TOKEN_TEXT: Final[tuple[str, ...]] = tuple(
    shape + (color or "") for shape in SHAPES for color in (None, *COLORS)
)


# --------------------------------------------------------------------------- validation


def _fail_predicate(owner: str, field: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"{owner}({field}={value!r}): {why}. Write instead, e.g., {instead}.",
        slug="spr-predicate",
    )


def _alphabet(factor: Factor) -> tuple[str, ...]:
    return SHAPES if factor == "shape" else COLORS


def _check_factor(owner: str, factor: object) -> None:
    if factor not in _FACTORS:
        raise _fail_predicate(
            owner,
            "factor",
            factor,
            "a predicate reads one token factor, 'shape' or 'color'",
            "factor='shape'",
        )


def _check_symbol(owner: str, field: str, value: object, factor: Factor) -> None:
    alphabet = _alphabet(factor)
    if not isinstance(value, str) or value not in alphabet:
        word = "shape glyph" if factor == "shape" else "colour letter"
        raise _fail_predicate(
            owner,
            field,
            value,
            f"it is not a {word}, so it could never match a token; use one of {' '.join(alphabet)}",
            f"{field}={alphabet[0]!r}",
        )


def _check_comparison(owner: str, op: object) -> None:
    if op not in _COMPARISONS:
        raise _fail_predicate(
            owner,
            "op",
            op,
            f"unknown comparison; the known ones are {', '.join(map(repr, _COMPARISONS))}",
            "op='>='",
        )


def _check_count(owner: str, field: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail_predicate(
            owner,
            field,
            value,
            "a count threshold must be an integer >= 0",
            f"{field}=2",
        )


def _check_position(owner: str, position: object) -> None:
    if not isinstance(position, int) or isinstance(position, bool):
        raise _fail_predicate(
            owner,
            "position",
            position,
            "a position must be an integer: 0 is the first token, -1 the last",
            "position=0",
        )


# --------------------------------------------------------------------------- predicates


@runtime_checkable
class Predicate(Protocol):
    """What a rule's building block provides; every predicate class below implements it.

    A predicate is evaluated two ways that must agree: :meth:`holds` on one parsed
    sequence (the readable reference) and :meth:`holds_batch` on integer code arrays (what
    the generator uses, vectorised).
    """

    @property
    def factors(self) -> frozenset[str]:
        """Token factors the predicate reads, a subset of ``{"shape", "color"}``."""
        ...

    @property
    def order_dependent(self) -> bool:
        """True when permuting the tokens can change whether the predicate holds."""
        ...

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the predicate holds for one sequence of ``(shape, colour or None)`` tokens."""
        ...

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; arrays as described in :meth:`Rule.holds_batch`."""
        ...

    def describe(self) -> str:
        """One readable line, e.g. ``"count(shape ▲) >= 2"``."""
        ...


def _values(tokens: Sequence[Token], factor: Factor) -> list[str | None]:
    return [shape if factor == "shape" else color for shape, color in tokens]


def _codes(shapes: CodeArray, colors: CodeArray, factor: Factor) -> CodeArray:
    return shapes if factor == "shape" else colors


def _index(symbol: str, factor: Factor) -> int:
    return _alphabet(factor).index(symbol)


def _symbol_label(symbol: str, factor: Factor) -> str:
    return symbol if factor == "shape" else f"colour {symbol}"


def _at_position(codes: CodeArray, lengths: CodeArray, position: int) -> CodeArray:
    """Code at ``position`` of each row (negative counts from the end); -1 when out of range."""
    n_rows, width = codes.shape
    index = lengths + position if position < 0 else np.full(n_rows, position)
    valid = (index >= 0) & (index < lengths) & (index < width)
    picked = codes[np.arange(n_rows), np.where(valid, index, 0)] if width else np.zeros(n_rows)
    return np.where(valid, picked, -1)


@dataclass(frozen=True, slots=True)
class ShapeCount:
    """The number of tokens with shape ``shape`` compared with ``k``.

    Example: ``ShapeCount("▲", ">=", 2)`` holds for ``▲r ■g ▲b`` (two ▲).
    """

    #: the shape glyph to count
    shape: str
    #: how the count is compared with ``k``
    op: Comparison
    #: the threshold
    k: int

    def __post_init__(self) -> None:
        _check_symbol("ShapeCount", "shape", self.shape, "shape")
        _check_comparison("ShapeCount", self.op)
        _check_count("ShapeCount", "k", self.k)

    @property
    def factors(self) -> frozenset[str]:
        """``{"shape"}``."""
        return frozenset({"shape"})

    @property
    def order_dependent(self) -> bool:
        """False: a count ignores order."""
        return False

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the count of ``shape`` in ``tokens`` compares true with ``k``."""
        count = sum(1 for shape, _ in tokens if shape == self.shape)
        return bool(_COMPARISONS[self.op](count, self.k))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        count = (shapes == _index(self.shape, "shape")).sum(axis=1)
        return np.asarray(_COMPARISONS[self.op](count, self.k), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"count(shape ▲) >= 2"``."""
        return f"count(shape {self.shape}) {self.op} {self.k}"


@dataclass(frozen=True, slots=True)
class ColorCount:
    """The number of tokens with colour ``color`` compared with ``k``.

    Tokens without a colour never count. Example: ``ColorCount("r", "==", 1)`` holds for
    ``▲r ■g ●`` (one red token).
    """

    #: the colour letter to count
    color: str
    #: how the count is compared with ``k``
    op: Comparison
    #: the threshold
    k: int

    def __post_init__(self) -> None:
        _check_symbol("ColorCount", "color", self.color, "color")
        _check_comparison("ColorCount", self.op)
        _check_count("ColorCount", "k", self.k)

    @property
    def factors(self) -> frozenset[str]:
        """``{"color"}``."""
        return frozenset({"color"})

    @property
    def order_dependent(self) -> bool:
        """False: a count ignores order."""
        return False

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the count of ``color`` in ``tokens`` compares true with ``k``."""
        count = sum(1 for _, color in tokens if color == self.color)
        return bool(_COMPARISONS[self.op](count, self.k))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        count = (colors == _index(self.color, "color")).sum(axis=1)
        return np.asarray(_COMPARISONS[self.op](count, self.k), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"count(colour r) >= 2"``."""
        return f"count(colour {self.color}) {self.op} {self.k}"


@dataclass(frozen=True, slots=True)
class Parity:
    """The number of tokens whose ``factor`` equals ``value`` is even (or odd).

    Zero is even. Example: ``Parity("color", "r", "even")`` holds for ``▲r ■r ●g`` and for
    ``■g`` (no red token).
    """

    #: which factor ``value`` names: ``"shape"`` or ``"color"``
    factor: Factor
    #: the shape glyph or colour letter to count
    value: str
    #: ``"even"`` or ``"odd"``
    parity: Literal["even", "odd"]

    def __post_init__(self) -> None:
        _check_factor("Parity", self.factor)
        _check_symbol("Parity", "value", self.value, self.factor)
        if self.parity not in ("even", "odd"):
            raise _fail_predicate(
                "Parity", "parity", self.parity, "parity is 'even' or 'odd'", "parity='even'"
            )

    @property
    def factors(self) -> frozenset[str]:
        """``{factor}``."""
        return frozenset({self.factor})

    @property
    def order_dependent(self) -> bool:
        """False: a count's parity ignores order."""
        return False

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the count of ``value`` in ``tokens`` has the required parity."""
        count = sum(1 for v in _values(tokens, self.factor) if v == self.value)
        return count % 2 == (0 if self.parity == "even" else 1)

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        codes = _codes(shapes, colors, self.factor)
        count = (codes == _index(self.value, self.factor)).sum(axis=1)
        return np.asarray(count % 2 == (0 if self.parity == "even" else 1), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"count(colour r) is even"``."""
        noun = "shape" if self.factor == "shape" else "colour"
        return f"count({noun} {self.value}) is {self.parity}"


@dataclass(frozen=True, slots=True)
class ShapeAt:
    """The token at ``position`` has shape ``shape``.

    ``position`` is 0-based; a negative position counts from the end (-1 is the last
    token). A sequence too short to have that position does not satisfy the predicate.
    """

    #: 0 for the first token, -1 for the last
    position: int
    #: the required shape glyph
    shape: str

    def __post_init__(self) -> None:
        _check_position("ShapeAt", self.position)
        _check_symbol("ShapeAt", "shape", self.shape, "shape")

    @property
    def factors(self) -> frozenset[str]:
        """``{"shape"}``."""
        return frozenset({"shape"})

    @property
    def order_dependent(self) -> bool:
        """True: moving tokens changes which one sits at the position."""
        return True

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether ``tokens[position]`` exists and has shape ``shape``."""
        if not -len(tokens) <= self.position < len(tokens):
            return False
        return tokens[self.position][0] == self.shape

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        picked = _at_position(shapes, lengths, self.position)
        return np.asarray(picked == _index(self.shape, "shape"), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"shape at position 0 is ▲"``."""
        return f"shape at position {self.position} is {self.shape}"


@dataclass(frozen=True, slots=True)
class ColorAt:
    """The token at ``position`` has colour ``color`` (positions as in :class:`ShapeAt`).

    A token without a colour never matches.
    """

    #: 0 for the first token, -1 for the last
    position: int
    #: the required colour letter
    color: str

    def __post_init__(self) -> None:
        _check_position("ColorAt", self.position)
        _check_symbol("ColorAt", "color", self.color, "color")

    @property
    def factors(self) -> frozenset[str]:
        """``{"color"}``."""
        return frozenset({"color"})

    @property
    def order_dependent(self) -> bool:
        """True: moving tokens changes which one sits at the position."""
        return True

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether ``tokens[position]`` exists and has colour ``color``."""
        if not -len(tokens) <= self.position < len(tokens):
            return False
        return tokens[self.position][1] == self.color

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        picked = _at_position(colors, lengths, self.position)
        return np.asarray(picked == _index(self.color, "color"), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"colour at position -1 is r"``."""
        return f"colour at position {self.position} is {self.color}"


@dataclass(frozen=True, slots=True)
class Order:
    """Both symbols occur, and the first ``first`` comes before the first ``second``.

    Both must be present: a sequence without ``second`` does not satisfy the predicate, so
    its answer always depends on where the two symbols sit. Example:
    ``Order("■", "●")`` holds for ``▲ ■ ● ■`` but not for ``● ■`` or ``■ ▲``.
    """

    #: the symbol that must come first
    first: str
    #: the symbol that must come later
    second: str
    #: which factor the symbols name (``"shape"`` by default)
    factor: Factor = "shape"

    def __post_init__(self) -> None:
        _check_factor("Order", self.factor)
        _check_symbol("Order", "first", self.first, self.factor)
        _check_symbol("Order", "second", self.second, self.factor)
        if self.first == self.second:
            other = next(s for s in _alphabet(self.factor) if s != self.first)
            raise _fail_predicate(
                "Order",
                "second",
                self.second,
                "it equals first, and a symbol's first occurrence cannot precede itself, so "
                "the predicate would never hold",
                f"Order({self.first!r}, {other!r})",
            )

    @property
    def factors(self) -> frozenset[str]:
        """``{factor}``."""
        return frozenset({self.factor})

    @property
    def order_dependent(self) -> bool:
        """True."""
        return True

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether both symbols occur and ``first`` occurs first."""
        values = _values(tokens, self.factor)
        if self.first not in values or self.second not in values:
            return False
        return values.index(self.first) < values.index(self.second)

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        codes = _codes(shapes, colors, self.factor)
        is_first = codes == _index(self.first, self.factor)
        is_second = codes == _index(self.second, self.factor)
        # argmax gives the first True per row; meaningful only where the row has one
        both = is_first.any(axis=1) & is_second.any(axis=1)
        return np.asarray(both & (is_first.argmax(axis=1) < is_second.argmax(axis=1)))

    def describe(self) -> str:
        """E.g. ``"first ■ comes before first ●"``."""
        a, b = _symbol_label(self.first, self.factor), _symbol_label(self.second, self.factor)
        return f"first {a} comes before first {b}"


@dataclass(frozen=True, slots=True)
class Adjacent:
    """Somewhere in the sequence, ``first`` is immediately followed by ``second``.

    Example: ``Adjacent("▲", "■")`` holds for ``● ▲ ■`` but not for ``■ ▲`` or ``▲ ● ■``.
    """

    #: the symbol of the earlier token
    first: str
    #: the symbol of the token right after it
    second: str
    #: which factor the symbols name (``"shape"`` by default)
    factor: Factor = "shape"

    def __post_init__(self) -> None:
        _check_factor("Adjacent", self.factor)
        _check_symbol("Adjacent", "first", self.first, self.factor)
        _check_symbol("Adjacent", "second", self.second, self.factor)

    @property
    def factors(self) -> frozenset[str]:
        """``{factor}``."""
        return frozenset({self.factor})

    @property
    def order_dependent(self) -> bool:
        """True."""
        return True

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether some token with ``first`` is directly followed by one with ``second``."""
        values = _values(tokens, self.factor)
        return any(a == self.first and b == self.second for a, b in itertools.pairwise(values))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        codes = _codes(shapes, colors, self.factor)
        # padding is -1 and never equals a symbol index, so pairs past the end never match
        pairs = (codes[:, :-1] == _index(self.first, self.factor)) & (
            codes[:, 1:] == _index(self.second, self.factor)
        )
        return np.asarray(pairs.any(axis=1), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"▲ is immediately followed by ■"``."""
        a, b = _symbol_label(self.first, self.factor), _symbol_label(self.second, self.factor)
        return f"{a} is immediately followed by {b}"


@dataclass(frozen=True, slots=True)
class Variety:
    """The number of distinct shapes (or colours) in the sequence compared with ``k``.

    These are the weights of SWA and CWA (DESIGN.md §3). Example:
    ``Variety("color", "<=", 2)`` holds for ``▲r ■r ●g`` (two colours) and ``▲ ■`` (none).
    """

    #: ``"shape"`` or ``"color"``
    factor: Factor
    #: how the variety is compared with ``k``
    op: Comparison
    #: the threshold
    k: int

    def __post_init__(self) -> None:
        _check_factor("Variety", self.factor)
        _check_comparison("Variety", self.op)
        _check_count("Variety", "k", self.k)

    @property
    def factors(self) -> frozenset[str]:
        """``{factor}``."""
        return frozenset({self.factor})

    @property
    def order_dependent(self) -> bool:
        """False: the set of symbols ignores order."""
        return False

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the number of distinct symbols compares true with ``k``."""
        variety = len({v for v in _values(tokens, self.factor) if v is not None})
        return bool(_COMPARISONS[self.op](variety, self.k))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        codes = _codes(shapes, colors, self.factor)
        n_symbols = len(_alphabet(self.factor))
        variety = sum((codes == i).any(axis=1).astype(np.int64) for i in range(n_symbols))
        return np.asarray(_COMPARISONS[self.op](variety, self.k), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"number of distinct shapes >= 3"``."""
        noun = "shapes" if self.factor == "shape" else "colours"
        return f"number of distinct {noun} {self.op} {self.k}"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Rule:
    """A hidden labelling rule: a sequence is labelled 1 when all ``predicates`` hold.

    Parameters
    ----------
    name
        Short identifier, e.g. ``"spr_like"``; used in dataset names and metadata.
    predicates
        The conjunction, at least one predicate (a list is converted to a tuple).
    """

    name: str
    predicates: tuple[Predicate, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise DataError(
                f"Rule(name={self.name!r}): a rule needs a non-empty name, because dataset "
                "names and the report refer to it. Write e.g. Rule('my_rule', (...)).",
                slug="spr-rule",
            )
        predicates = self.predicates
        if isinstance(predicates, list):
            # accept a list for convenience but store a tuple, so the rule stays hashable
            predicates = tuple(predicates)
            object.__setattr__(self, "predicates", predicates)
        example = f"Rule({self.name!r}, (ShapeCount('▲', '>=', 2), Order('■', '●')))"
        if not isinstance(predicates, tuple) or not predicates:
            raise DataError(
                f"Rule({self.name!r}, predicates={predicates!r}): a rule is a non-empty tuple "
                "of predicates, since a conjunction of nothing would label every sequence 1. "
                f"Write e.g. {example}.",
                slug="spr-rule",
            )
        bad = [p for p in predicates if not isinstance(p, Predicate)]
        if bad:
            raise DataError(
                f"Rule({self.name!r}, ...): not predicates: {', '.join(map(repr, bad))}. A rule "
                "can only be built from objects with holds, holds_batch, describe, factors and "
                "order_dependent (ShapeCount, ColorCount, Parity, ShapeAt, ColorAt, Order, "
                f"Adjacent, Variety). Write e.g. {example}.",
                slug="spr-rule",
            )

    @property
    def factors(self) -> frozenset[str]:
        """Union of the factors read by the predicates."""
        return frozenset().union(*(p.factors for p in self.predicates))

    @property
    def order_dependent(self) -> bool:
        """True when any predicate depends on token order."""
        return any(p.order_dependent for p in self.predicates)

    def describe(self) -> str:
        """Describe the rule: the predicates' descriptions joined by ``" and "``."""
        return " and ".join(p.describe() for p in self.predicates)

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether every predicate holds for ``tokens`` (``(shape, colour or None)`` pairs)."""
        return all(p.holds(tokens) for p in self.predicates)

    def label(self, sequence: str) -> int:
        """Label (0 or 1) a sequence string such as ``"▲r ■g"`` by the rule.

        Raises
        ------
        auditkit.datasets.tokens.TokenFormatError
            If a token does not parse.
        """
        return int(self.holds([parse_token(tok) for tok in sequence.split()]))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds` over many sequences.

        Parameters
        ----------
        shapes
            Integer array of shape (n_rows, max_len): index into ``SHAPES`` of each token,
            -1 past the end of the sequence.
        colors
            Integer array of shape (n_rows, max_len): index into ``COLORS``, -1 for a token
            without a colour and past the end.
        lengths
            Integer array of shape (n_rows,): number of tokens in each row.

        Returns
        -------
        Boolean array of shape (n_rows,).
        """
        result = np.ones(len(lengths), dtype=bool)
        for predicate in self.predicates:
            result &= predicate.holds_batch(shapes, colors, lengths)
        return result


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.name: rule for rule in rules}


#: Named rule presets. Positive rates in the comments are for uniformly random sequences at
#: the defaults (length 6-12, p_color=1), measured on 10^6 draws; the generator balances
#: labels anyway, but a preset whose class is rare makes balancing slow.
RULES: Final[dict[str, Rule]] = _rules(
    # both factors, order-dependent: the kind of rule SPR_BENCH describes (~20% positive)
    Rule(
        "spr_like",
        (
            ShapeCount("▲", ">=", 2),
            ColorCount("r", ">=", 2),
            Order("■", "●"),
        ),
    ),
    # shape only, order-free; colour is irrelevant, so colour is a shortcut candidate (~39%)
    Rule("shape_count", (ShapeCount("▲", ">=", 3),)),
    # colour only, order-free (~34%)
    Rule("color_parity", (Parity("color", "r", "even"), ColorCount("g", ">=", 2))),
    # shape only, order-dependent (~41%)
    Rule("shape_order", (Order("▲", "■"),)),
    # shape only, order-dependent, local (~42%)
    Rule("shape_adjacency", (Adjacent("●", "◆"),)),
    # shape only, order-free, through the SWA weight (~33%)
    Rule("shape_variety", (Variety("shape", "<=", 3),)),
    # colour only, order-dependent (~25%)
    Rule("color_position", (ColorAt(0, "r"),)),
)


# --------------------------------------------------------------------------- statistics


def split_statistics(split: TokenSplit) -> dict[str, Any]:
    """Summary statistics of one split, as plain JSON-ready values.

    Parameters
    ----------
    split
        Any token split (generated or loaded).

    Returns
    -------
    dict
        ``n`` (rows), ``label_rate`` (fraction of rows with label 1), ``mean_length``
        (tokens per sequence), ``mean_shape_variety`` and ``mean_color_variety`` (distinct
        shapes and colours per sequence, the SWA and CWA weights). The means are ``None``
        for an empty split, since an average of nothing is undefined.
    """
    n = len(split)
    if n == 0:
        return {
            "n": 0,
            "label_rate": None,
            "mean_length": None,
            "mean_shape_variety": None,
            "mean_color_variety": None,
        }
    sequences = split.sequences
    return {
        "n": n,
        "label_rate": sum(1 for label in split.labels if label == 1) / n,
        "mean_length": sum(len(s.split()) for s in sequences) / n,
        "mean_shape_variety": sum(shape_variety(s) for s in sequences) / n,
        "mean_color_variety": sum(color_variety(s) for s in sequences) / n,
    }


# --------------------------------------------------------------------------- pitfall options

#: what a :class:`Shift` restricts: the number of tokens, or the SWA / CWA weight
ShiftBy: TypeAlias = Literal["length", "shape_variety", "color_variety"]
_SHIFT_BY: Final[tuple[ShiftBy, ...]] = ("length", "shape_variety", "color_variety")
#: default shortcut symbols as (symbol for label 0, symbol for label 1): "red means yes" for
#: colour, "triangle means yes" for shape; two fixed symbols keep the cue easy to read off
_SHORTCUT_SYMBOLS: Final[dict[str, tuple[str, str]]] = {"color": ("g", "r"), "shape": ("■", "▲")}
#: the largest label-noise rate: above 1/2 the rule's labels are the minority, so "noise"
#: would invert the task and the accuracy ceiling of a rule-perfect model would be below chance
MAX_NOISE: Final = 0.5


def _fail_option(owner: str, field: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"{owner}({field}={value!r}): {why}. Write instead, e.g., {instead}.", slug="spr-pitfall"
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _check_split(owner: str, field: str, value: object) -> None:
    if value not in SPLITS:
        raise _fail_option(
            owner, field, value, f"a split is one of {', '.join(map(repr, SPLITS))}", "'test'"
        )


def _check_pitfall_factor(owner: str, value: object) -> None:
    if value not in _FACTORS:
        raise _fail_option(
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
        if not _is_int(self.position):
            raise _fail_option(
                "Shortcut",
                "position",
                self.position,
                "a position is an integer: 0 is the first token, -1 the last",
                "position=-1",
            )
        if not _is_number(self.strength) or not 0.0 <= self.strength <= 1.0:
            raise _fail_option(
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
            raise _fail_option(
                "Shortcut",
                "splits",
                splits,
                f"splits is a non-empty tuple of distinct split names from {SPLITS}",
                "splits=('train', 'dev')",
            )
        if self.symbols is not None:
            pair = _as_pair(self.symbols)
            alphabet = _alphabet(self.factor)
            if pair is None or pair[0] == pair[1] or any(s not in alphabet for s in pair):
                default = _SHORTCUT_SYMBOLS[self.factor]
                raise _fail_option(
                    "Shortcut",
                    "symbols",
                    self.symbols,
                    f"symbols is a pair of two different {self.factor} symbols from "
                    f"{' '.join(alphabet)}: (symbol for label 0, symbol for label 1)",
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
        n_symbols = len(_alphabet(self.factor))
        if not _is_int(self.min_variety) or not 1 <= self.min_variety <= n_symbols:
            raise _fail_option(
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
            raise _fail_option(
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
            or not all(_is_int(v) for v in pair)
            or not bottom <= pair[0] <= pair[1] <= top
        ):
            raise _fail_option(
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
        if not _is_number(self.fraction) or not 0.0 < self.fraction <= 1.0:
            raise _fail_option(
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


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True, slots=True)
class _ShortcutPlan:
    """A :class:`Shortcut` as the generator applies it to one split."""

    factor: Factor
    position: int
    #: symbol codes for label 0 and label 1
    codes: tuple[int, int]
    strength: float
    #: True in the splits where the cue agrees with the label, False where it is random
    linked: bool


@dataclass(frozen=True, slots=True)
class _SplitPlan:
    """How one split's candidates are drawn; one per split so a split can be shifted."""

    split: SplitName
    #: rows wanted
    n: int
    #: inclusive (min, max) number of tokens
    length: tuple[int, int]
    #: probability that a token carries a colour
    p_color: float
    #: the shortcut planted into every candidate, if any
    shortcut: _ShortcutPlan | None = None
    #: keep only candidates whose variety of this factor is in [min, max] (a shifted split)
    variety: tuple[Factor, int, int] | None = None


@dataclass(frozen=True, slots=True)
class _Rows:
    """Rows of one split as code arrays (see :meth:`Rule.holds_batch` for the encoding)."""

    #: array of shape (n_rows, max_len)
    shapes: NDArray[np.int8]
    #: array of shape (n_rows, max_len)
    colors: NDArray[np.int8]
    #: array of shape (n_rows,)
    lengths: NDArray[np.int64]
    #: array of shape (n_rows,), 0 or 1
    labels: NDArray[np.int64]
    #: array of shape (n_rows,): True where the shortcut changed the drawn token
    changed: NDArray[np.bool_] | None = None
    #: array of shape (n_rows,): True where the label is not the rule's (a planted flip)
    flipped: NDArray[np.bool_] | None = None


#: A per-split post-processing hook: ``hook(plan, rows, earlier_splits, rng) -> (rows, effect)``.
#:
#: Hooks run after balancing, in split order (train, dev, test), and may read the splits
#: already finished; ``effect`` is the JSON-ready ground truth of what the hook did to this
#: split (None when it left the split alone). Label flips are hooks (high-variety flips,
#: then label noise). Pitfalls that change sequences are planted elsewhere, where the
#: no-duplicates guarantee can still be kept: a shortcut and a variety shift act on the
#: candidates inside :func:`_balance` (through the ``_SplitPlan``), a length shift is the
#: plan's ``length``, and train/test duplicates (:func:`_plant_leak`) need the finished test
#: split, so they run once every split is done.
SplitHook: TypeAlias = Callable[
    [_SplitPlan, _Rows, Mapping[SplitName, _Rows], np.random.Generator],
    tuple[_Rows, dict[str, Any] | None],
]


def _draw_candidates(
    plan: _SplitPlan, m: int, rng: np.random.Generator
) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int64]]:
    """Draw ``m`` uniformly random sequences: code arrays of shape (m, max_len) and (m,)."""
    lo, hi = plan.length
    lengths = rng.integers(lo, hi + 1, size=m, dtype=np.int64)
    shapes = rng.integers(0, len(SHAPES), size=(m, hi), dtype=np.int8)
    colors = rng.integers(0, len(COLORS), size=(m, hi), dtype=np.int8)
    if plan.p_color < 1.0:
        colors[rng.random((m, hi)) >= plan.p_color] = -1
    past_end = np.arange(hi)[None, :] >= lengths[:, None]
    shapes[past_end] = -1
    colors[past_end] = -1
    return shapes, colors, lengths


def _variety_of(codes: CodeArray, factor: Factor) -> NDArray[np.int64]:
    """Distinct symbols per row of a code array, array of shape (n_rows,)."""
    variety = np.zeros(codes.shape[0], dtype=np.int64)
    for i in range(len(_alphabet(factor))):
        variety += (codes == i).any(axis=1)
    return variety


def _position_index(lengths: CodeArray, position: int) -> NDArray[np.int64]:
    """Column of token ``position`` in each row; the caller ensures every row has it."""
    if position < 0:
        return np.asarray(lengths + position, dtype=np.int64)
    return np.full(len(lengths), position, dtype=np.int64)


def _plant_shortcut(
    shortcut: _ShortcutPlan,
    shapes: NDArray[np.int8],
    colors: NDArray[np.int8],
    lengths: NDArray[np.int64],
    labels: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Set the cue token of every candidate in place; True where that changed the token."""
    codes = shapes if shortcut.factor == "shape" else colors
    n = len(lengths)
    if shortcut.linked:
        # rng.random is in [0, 1), so strength 1 always agrees and strength 0 never does
        agree = rng.random(n) < shortcut.strength
        target = np.where(agree, labels, 1 - labels)
    else:
        target = rng.integers(0, 2, size=n)
    new = np.asarray(shortcut.codes, dtype=np.int8)[target]
    rows, column = np.arange(n), _position_index(lengths, shortcut.position)
    changed = np.asarray(codes[rows, column] != new, dtype=bool)
    codes[rows, column] = new
    return changed


def _max_draws(n: int) -> int:
    # Bounded rejection sampling: enough for a class rate of about 1% at any size, and far
    # more for small splits; beyond that the rule is too rare for balancing to be sensible.
    return 100_000 + 200 * n


def _balance(
    rule: Rule,
    plan: _SplitPlan,
    rng: np.random.Generator,
    seen: set[bytes],
) -> tuple[_Rows, dict[str, Any]]:
    """Rejection-sample ``plan.n`` distinct rows, ``ceil(n/2)`` of class 0 and the rest 1.

    ``seen`` holds the byte keys of every sequence already used by any split; it is
    updated in place, which is what keeps splits free of duplicates. A shortcut is planted
    into the candidates and a variety shift filters them *before* the duplicate check, so
    the guarantee holds for the sequences as published.
    """
    need = [(plan.n + 1) // 2, plan.n // 2]
    width = plan.length[1]
    kept: list[
        tuple[
            NDArray[np.int8],
            NDArray[np.int8],
            NDArray[np.int64],
            NDArray[np.int64],
            NDArray[np.bool_],
        ]
    ]
    kept = []
    # eligible = candidates that pass the variety filter; without one it equals draws, and
    # every quantity below is then computed exactly as before the filter existed
    draws = positives = repeats = eligible = 0
    limit = _max_draws(plan.n)
    while need[0] or need[1]:
        if draws >= limit:
            raise _too_rare(rule, plan, draws, positives, repeats, need, eligible)
        # size the next chunk from the label rate seen so far (Laplace-smoothed) so that a
        # typical split is filled by one or two vectorised chunks
        rate = (positives + 1) / (eligible + 2)
        want = need[0] / (1 - rate) + need[1] / rate
        if plan.variety is not None:
            # only a fraction of the candidates pass the filter: draw proportionally more
            want *= (draws + 2) / (eligible + 1)
        m = int(min(limit - draws, max(256, 1.25 * want + 64)))
        shapes, colors, lengths = _draw_candidates(plan, m, rng)
        labels = rule.holds_batch(shapes, colors, lengths).astype(np.int64)
        draws += m
        if plan.shortcut is None:
            changed = np.zeros(m, dtype=bool)
        else:
            changed = _plant_shortcut(plan.shortcut, shapes, colors, lengths, labels, rng)
            # the rule never reads the cue's factor (checked in spr), so this cannot fire
            # unless a custom predicate under-declares its factors; then say so
            if not np.array_equal(rule.holds_batch(shapes, colors, lengths), labels):
                raise _shortcut_changed_labels(rule, plan.shortcut)
        passes: list[bool] | None = None
        if plan.variety is None:
            eligible += m
            positives += int(labels.sum())
        else:
            factor, lo, hi = plan.variety
            variety = _variety_of(shapes if factor == "shape" else colors, factor)
            mask = (variety >= lo) & (variety <= hi)
            passes = mask.tolist()
            eligible += int(mask.sum())
            positives += int(labels[mask].sum())
        # one byte per token: shape * 5 + colour + 1 (< 20), so equal keys = equal sequences
        codes = (shapes.astype(np.int16) * 5 + colors + 1).astype(np.uint8).tobytes()
        keep = np.zeros(m, dtype=bool)
        for i, (label, length) in enumerate(zip(labels.tolist(), lengths.tolist(), strict=True)):
            if not need[label] or (passes is not None and not passes[i]):
                continue
            key = codes[i * width : i * width + length]
            if key in seen:
                repeats += 1
                continue
            seen.add(key)
            keep[i] = True
            need[label] -= 1
            if not (need[0] or need[1]):
                break
        kept.append((shapes[keep], colors[keep], lengths[keep], labels[keep], changed[keep]))
    # rows arrive in draw order, with the tail all of the class filled last; shuffle so the
    # split's order carries no information about the label
    order = rng.permutation(plan.n)
    rows = _Rows(
        shapes=np.concatenate([k[0] for k in kept])[order],
        colors=np.concatenate([k[1] for k in kept])[order],
        lengths=np.concatenate([k[2] for k in kept])[order],
        labels=np.concatenate([k[3] for k in kept])[order],
        changed=np.concatenate([k[4] for k in kept])[order],
    )
    if plan.variety is None:
        return rows, {"draws": draws, "candidate_label_rate": positives / draws}
    return rows, {
        "draws": draws,
        "eligible": eligible,
        "candidate_label_rate": positives / max(eligible, 1),
    }


def _shortcut_changed_labels(rule: Rule, shortcut: _ShortcutPlan) -> DataError:
    return DataError(
        f"spr(rule={rule.name!r}, shortcut=...): planting the {shortcut.factor} cue at "
        f"position {shortcut.position} changed rule labels, although the rule declares that "
        f"it reads only {sorted(rule.factors)}. A predicate reads a factor it does not "
        "declare, so the shortcut would corrupt the labels. Declare the factor in the "
        "predicate's factors, or put the shortcut on a factor the rule truly ignores.",
        slug="spr-pitfall",
    )


def _too_rare(
    rule: Rule,
    plan: _SplitPlan,
    draws: int,
    positives: int,
    repeats: int,
    need: list[int],
    eligible: int | None = None,
) -> DataError:
    wanted = [(plan.n + 1) // 2, plan.n // 2]
    found = ", ".join(f"{wanted[c] - need[c]} of {wanted[c]} label-{c} rows" for c in (0, 1))
    if need[1] and not need[0]:
        change = "a rule that holds more often (e.g. lower a count threshold)"
    elif need[0] and not need[1]:
        change = "a rule that holds less often (e.g. add a predicate)"
    else:
        change = "a rule whose label-1 rate is further from 0% and 100%"
    filtered = ""
    pool, of = draws, "candidates"
    if plan.variety is not None and eligible is not None:
        factor, lo, hi = plan.variety
        filtered = (
            f"Only {eligible} of them had a {factor} variety from {lo} to {hi}, as the shift "
            f"of the {plan.split} split requires. "
        )
        # the filter, not the rule, is then the usual culprit: suggest widening it first
        change = f"a wider range for the shift, or {change}"
        pool, of = max(eligible, 1), "those"
    return DataError(
        f"spr(rule={rule.name!r}): could not fill the {plan.split} split with {plan.n} "
        f"balanced, distinct rows: after {draws} uniformly random candidates (the limit) it "
        f"found {found}. {filtered}The rule ({rule.describe()}) labels {positives / pool:.2%} "
        f"of {of} 1, and {repeats} candidates repeated a sequence already used. Balanced "
        "splits need both classes to be reasonably common (about 1% or more) among random "
        f"sequences, and enough distinct sequences to draw from. Choose {change}, change "
        f"length={plan.length!r} or p_color={plan.p_color!r}, or ask for fewer rows "
        f"(n_{plan.split}=...).",
        slug="spr-rule-too-rare",
    )


def _render(rows: _Rows) -> tuple[str, ...]:
    """Sequence strings of ``rows``: tokens joined by single spaces."""
    codes = (rows.shapes.astype(np.int16) * 5 + rows.colors + 1).tolist()
    return tuple(
        " ".join([_TOKEN_TEXT[c] for c in row[:length]])
        for row, length in zip(codes, rows.lengths.tolist(), strict=True)
    )


def _generate(
    rule: Rule,
    plans: Sequence[_SplitPlan],
    seed: int,
    hooks: Sequence[SplitHook] = (),
) -> tuple[dict[SplitName, _Rows], dict[str, Any], list[dict[SplitName, dict[str, Any]]]]:
    """Draw, label, balance and assign every split, then apply ``hooks`` to each.

    Returns the rows of each split, the sampling effort per split, and per hook the
    effects it reported per split.
    """
    # one independent child stream per split: changing n_train does not re-draw the test
    # split's candidates (only the few that collide with train rows change)
    streams = np.random.default_rng(seed).spawn(len(plans))
    seen: set[bytes] = set()
    done: dict[SplitName, _Rows] = {}
    sampling: dict[str, Any] = {}
    effects: list[dict[SplitName, dict[str, Any]]] = [{} for _ in hooks]
    for plan, rng in zip(plans, streams, strict=True):
        rows, sampling[plan.split] = _balance(rule, plan, rng, seen)
        for hook, record in zip(hooks, effects, strict=True):
            rows, effect = hook(plan, rows, dict(done), rng)
            if effect is not None:
                record[plan.split] = effect
        done[plan.split] = rows
    return done, sampling, effects


def _leak_stream(seed: int) -> np.random.Generator:
    # a fourth child of the same seed: SeedSequence children are numbered, so the three
    # split streams are exactly those _generate uses and the leak draws disturb none of them
    return np.random.default_rng(seed).spawn(len(SPLITS) + 1)[-1]


# --------------------------------------------------------------------------- planting pitfalls


def _ids(split: SplitName, index: NDArray[np.int64]) -> list[str]:
    """Row ids (as :func:`spr` assigns them) of the rows at ``index``."""
    return [f"spr_{split}_{i}" for i in index.tolist()]


def _flipped(rows: _Rows) -> NDArray[np.bool_]:
    if rows.flipped is not None:
        return rows.flipped
    return np.zeros(len(rows.labels), dtype=bool)


def _flip(rows: _Rows, mask: NDArray[np.bool_]) -> _Rows:
    """``rows`` with the labels at ``mask`` inverted and recorded as flipped."""
    return replace(
        rows,
        labels=np.where(mask, 1 - rows.labels, rows.labels),
        flipped=_flipped(rows) | mask,
    )


def _flip_effect(split: SplitName, mask: NDArray[np.bool_]) -> dict[str, Any]:
    n, k = len(mask), int(mask.sum())
    return {
        "n": n,
        "n_flipped": k,
        "flipped_ids": _ids(split, np.flatnonzero(mask)),
        # a model that predicts the rule's label exactly is wrong on every flipped row
        "accuracy_ceiling": (n - k) / n,
    }


@dataclass(frozen=True, slots=True)
class _FlipHighVarietyHook:
    """Hook that flips every high-variety row of one split (:class:`FlipHighVariety`)."""

    option: FlipHighVariety

    def __call__(
        self,
        plan: _SplitPlan,
        rows: _Rows,
        done: Mapping[SplitName, _Rows],
        rng: np.random.Generator,
    ) -> tuple[_Rows, dict[str, Any] | None]:
        if plan.split != self.option.split:
            return rows, None
        factor = self.option.factor
        variety = _variety_of(rows.shapes if factor == "shape" else rows.colors, factor)
        mask = np.asarray(variety >= self.option.min_variety, dtype=bool)
        return _flip(rows, mask), _flip_effect(plan.split, mask)


@dataclass(frozen=True, slots=True)
class _LabelNoiseHook:
    """Hook that flips ``round(rate * n)`` labels of each split named in ``rates``."""

    rates: Mapping[SplitName, float]
    #: the option as the user wrote it, for messages
    written: str

    def __call__(
        self,
        plan: _SplitPlan,
        rows: _Rows,
        done: Mapping[SplitName, _Rows],
        rng: np.random.Generator,
    ) -> tuple[_Rows, dict[str, Any] | None]:
        rate = self.rates.get(plan.split)
        if rate is None:
            return rows, None
        n = len(rows.labels)
        k = round(rate * n)
        # never re-flip a row another pitfall flipped: flipping it back would silently undo
        # that pitfall and make both ground-truth records wrong
        free = ~_flipped(rows)
        if k > int(free.sum()):
            raise DataError(
                f"spr(label_noise={self.written}): the {plan.split} split has {n} rows, and "
                f"flip_high_variety already flipped {n - int(free.sum())} of them, so "
                f"round({rate} * {n}) = {k} further flips do not fit on distinct rows. Lower "
                f"the {plan.split} rate to at most {int(free.sum()) / n:.2f}, or raise "
                "flip_high_variety's min_variety.",
                slug="spr-pitfall",
            )
        # flip half of the k rows from each class (the odd one from class 0), so the noise is
        # symmetric and the split stays balanced; a class short of free rows gives its share
        # to the other
        pools = [rng.permutation(np.flatnonzero(free & (rows.labels == c))) for c in (0, 1)]
        take0 = min((k + 1) // 2, len(pools[0]))
        take1 = min(k - take0, len(pools[1]))
        take0 = k - take1
        mask = np.zeros(n, dtype=bool)
        mask[pools[0][:take0]] = True
        mask[pools[1][:take1]] = True
        return _flip(rows, mask), {"rate": rate, **_flip_effect(plan.split, mask)}


def _pad(rows: _Rows, width: int) -> _Rows:
    """``rows`` with code arrays padded (with -1) to ``width`` columns."""
    extra = width - rows.shapes.shape[1]
    if extra <= 0:
        return rows
    pad = np.full((rows.shapes.shape[0], extra), -1, dtype=np.int8)
    return replace(
        rows,
        shapes=np.concatenate([rows.shapes, pad], axis=1),
        colors=np.concatenate([rows.colors, pad], axis=1),
    )


def _plant_leak(
    leak: Leak, rows: Mapping[SplitName, _Rows], rng: np.random.Generator
) -> tuple[_Rows, dict[str, Any]]:
    """Copy ``round(fraction * n_test)`` test rows over train rows; the new train rows."""
    n_test = len(rows["test"].labels)
    k = round(leak.fraction * n_test)
    # a shifted split may be wider (longer sequences) than train
    width = max(rows["train"].shapes.shape[1], rows["test"].shapes.shape[1])
    train, test = _pad(rows["train"], width), _pad(rows["test"], width)
    train_flipped, test_flipped = _flipped(train), _flipped(test)
    n_free = int((~train_flipped).sum())
    if k > n_free:
        raise DataError(
            f"spr(leak={leak!r}): the train split has only {n_free} rows whose labels no "
            f"pitfall flipped, fewer than the {k} test rows to copy; leaked rows replace only "
            "such rows, so the flip records stay exact. Lower the fraction, or flip fewer "
            "train labels.",
            slug="spr-pitfall",
        )
    picked = np.sort(rng.permutation(n_test)[:k])
    # replace train rows of the same label, so train keeps its balance, and never a row a
    # pitfall flipped; only when a label runs out does a row of the other label go
    pools = [
        rng.permutation(np.flatnonzero(~train_flipped & (train.labels == c))).tolist()
        for c in (0, 1)
    ]
    targets: list[int] = []
    other_label = 0
    for label in test.labels[picked].tolist():
        if not pools[label]:
            other_label += 1
        targets.append((pools[label] or pools[1 - label]).pop())
    target = np.asarray(targets, dtype=np.int64)

    def copy(into: NDArray[Any], source: NDArray[Any]) -> NDArray[Any]:
        out = into.copy()
        out[target] = source[picked]
        return out

    no_change = np.zeros(len(train.labels), dtype=bool)
    new_train = _Rows(
        shapes=copy(train.shapes, test.shapes),
        colors=copy(train.colors, test.colors),
        lengths=copy(train.lengths, test.lengths),
        labels=copy(train.labels, test.labels),
        changed=copy(
            train.changed if train.changed is not None else no_change,
            test.changed if test.changed is not None else np.zeros(n_test, dtype=bool),
        ),
        flipped=copy(train_flipped, test_flipped),
    )
    pairs = [
        [f"spr_train_{i}", f"spr_test_{j}"]
        for i, j in zip(target.tolist(), picked.tolist(), strict=True)
    ]
    record = {
        "kind": "leak",
        **leak.as_dict(),
        "n_duplicates": k,
        "pairs": pairs,
        # leaked rows carry the test label as published, flipped ones included
        "n_flipped_labels": int(test_flipped[picked].sum()),
        "n_replaced_other_label": other_label,
        "train_label_rate": float(new_train.labels.mean()),
    }
    return new_train, record


def _cue(part: _Rows, shortcut: Shortcut) -> NDArray[np.int8]:
    """The cue token's code in each row of ``part``."""
    codes = part.shapes if shortcut.factor == "shape" else part.colors
    column = _position_index(part.lengths, shortcut.position)
    return np.asarray(codes[np.arange(len(column)), column], dtype=np.int8)


def _shortcut_record(shortcut: Shortcut, rows: Mapping[SplitName, _Rows]) -> dict[str, Any]:
    symbols = np.asarray([_index(s, shortcut.factor) for s in shortcut.symbol_by_label])
    agreement: dict[str, float] = {}
    changed: dict[str, int] = {}
    for split in SPLITS:
        part = rows[split]
        agreement[split] = float((_cue(part, shortcut) == symbols[part.labels]).mean())
        changed[split] = int(part.changed.sum()) if part.changed is not None else 0
    return {
        "kind": "shortcut",
        **shortcut.as_dict(),
        # fraction of rows whose cue is the symbol of their (published) label
        "agreement": agreement,
        # rows whose drawn token the shortcut had to change
        "n_changed": changed,
    }


def _statistic(part: _Rows, by: ShiftBy) -> NDArray[np.int64]:
    if by == "length":
        return np.asarray(part.lengths, dtype=np.int64)
    if by == "shape_variety":
        return _variety_of(part.shapes, "shape")
    return _variety_of(part.colors, "color")


def _shift_record(
    shift: Shift, rows: Mapping[SplitName, _Rows], length: tuple[int, int]
) -> dict[str, Any]:
    lo, hi = shift.range
    in_range: dict[str, float] = {}
    mean: dict[str, float] = {}
    for split in SPLITS:
        values = _statistic(rows[split], shift.by)
        in_range[split] = float(((values >= lo) & (values <= hi)).mean())
        mean[split] = float(values.mean())
    return {
        "kind": "shift",
        **shift.as_dict(),
        "default_length": list(length),
        # fraction of each split's rows whose statistic lies in the range (1.0 in the split)
        "in_range": in_range,
        "mean": mean,
    }


# --------------------------------------------------------------------------- public entry


def _option_error(option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"spr({option}={value!r}): {why}. Write instead, e.g., {instead}.", slug="spr-option"
    )


def _resolve_rule(rule: object) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, str):
        if rule in RULES:
            return RULES[rule]
        close = difflib.get_close_matches(rule, list(RULES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"spr(rule={rule!r}): unknown rule. Known rules: {', '.join(sorted(RULES))}.{hint} "
            "The rule decides every label, so it must be one of these presets or a Rule(...) "
            "built from the predicates in auditkit.datasets.spr.",
            slug="spr-unknown-rule",
        )
    raise _option_error(
        "rule",
        rule,
        "a rule is a preset name or a Rule object",
        "rule='spr_like' or rule=Rule('mine', (ShapeCount('▲', '>=', 2),))",
    )


def _check_int(option: str, value: object, minimum: int, instead: str) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
        raise _option_error(option, value, f"must be an integer >= {minimum}", instead)
    return int(value)


def _resolve_length(length: object) -> tuple[int, int]:
    why = (
        f"a length is a number of tokens from 1 to {MAX_LENGTH}: one integer, or an "
        "inclusive (min, max) pair with min <= max"
    )
    if isinstance(length, int | np.integer) and not isinstance(length, bool):
        lo = hi = int(length)
    elif (
        isinstance(length, tuple | list)
        and len(length) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in length)
    ):
        lo, hi = int(length[0]), int(length[1])
    else:
        raise _option_error("length", length, why, "length=8 or length=(6, 12)")
    if not 1 <= lo <= hi <= MAX_LENGTH:
        raise _option_error("length", length, why, "length=8 or length=(6, 12)")
    return lo, hi


def _pitfall_error(option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"spr({option}={value!r}): {why}. Write instead, e.g., {instead}.", slug="spr-pitfall"
    )


def _check_option_type(option: str, value: object, kind: type, instead: str) -> None:
    if value is not None and not isinstance(value, kind):
        raise _pitfall_error(
            option, value, f"the option is a {kind.__name__}(...) or None (no pitfall)", instead
        )


def _resolve_label_noise(label_noise: object) -> dict[SplitName, float] | None:
    instead = "label_noise={'train': 0.1, 'test': 0.3}"
    if label_noise is None:
        return None
    if not isinstance(label_noise, Mapping) or not label_noise:
        raise _pitfall_error(
            "label_noise",
            label_noise,
            "label noise is a non-empty mapping from split name to the fraction of its labels "
            "to flip (None for clean labels)",
            instead,
        )
    unknown = [key for key in label_noise if key not in SPLITS]
    if unknown:
        raise _pitfall_error(
            "label_noise",
            label_noise,
            f"{', '.join(map(repr, unknown))} is not a split; the splits are "
            f"{', '.join(map(repr, SPLITS))}",
            instead,
        )
    rates: dict[SplitName, float] = {}
    for split in SPLITS:  # split order, whatever order the mapping has
        if split not in label_noise:
            continue
        rate = label_noise[split]
        if not _is_number(rate) or not 0.0 <= rate <= MAX_NOISE:
            raise _pitfall_error(
                "label_noise",
                label_noise,
                f"the {split} rate {rate!r} is not a number from 0 to {MAX_NOISE}; above "
                f"{MAX_NOISE} most labels would be wrong and the task inverted",
                instead,
            )
        rates[split] = float(rate)
    return rates


def _achievable_variety(factor: Factor, plan: _SplitPlan) -> tuple[int, int]:
    """Smallest and largest variety a sequence drawn under ``plan`` can have."""
    most = min(len(_alphabet(factor)), plan.length[1])
    if factor == "shape":
        return 1, most
    if plan.p_color == 0.0:
        return 0, 0
    return (1 if plan.p_color == 1.0 else 0), most


def _shift_plan(shift: Shift, plan: _SplitPlan) -> _SplitPlan:
    lo, hi = shift.range
    if shift.by == "length":
        if shift.range == plan.length:
            raise _pitfall_error(
                "shift",
                shift,
                f"the range equals length={plan.length!r}, so the {shift.split} split would be "
                "drawn like the others: that is no shift",
                f"Shift(split={shift.split!r}, by='length', range=({plan.length[1] + 1}, "
                f"{plan.length[1] + 4}))",
            )
        return replace(plan, length=shift.range)
    factor: Factor = "shape" if shift.by == "shape_variety" else "color"
    least, most = _achievable_variety(factor, plan)
    instead = f"Shift(split={shift.split!r}, by={shift.by!r}, range=({most}, {most}))"
    if hi < least or lo > most:
        raise _pitfall_error(
            "shift",
            shift,
            f"sequences of length {plan.length!r} with p_color={plan.p_color!r} have a "
            f"{shift.by} from {least} to {most}, so none lies in the range",
            instead,
        )
    if lo <= least and hi >= most:
        raise _pitfall_error(
            "shift",
            shift,
            f"every sequence of length {plan.length!r} with p_color={plan.p_color!r} has a "
            f"{shift.by} from {least} to {most}, inside the range, so the split would not be "
            "shifted",
            instead,
        )
    return replace(plan, variety=(factor, lo, hi))


def _shortcut_plans(
    shortcut: Shortcut, rule: Rule, plans: Sequence[_SplitPlan]
) -> list[_SplitPlan]:
    if shortcut.factor in rule.factors:
        free = sorted(set(_FACTORS) - rule.factors)
        instead = (
            f"shortcut=Shortcut(factor={free[0]!r}, ...)"
            if free
            else "a rule that reads only shape, e.g. rule='shape_count', with "
            "shortcut=Shortcut(factor='color')"
        )
        raise _pitfall_error(
            "shortcut",
            shortcut,
            f"the rule {rule.name!r} reads {shortcut.factor} ({rule.describe()}), so setting a "
            f"token's {shortcut.factor} could change its label; a shortcut must sit on a "
            "factor the rule never reads",
            instead,
        )
    for plan in plans:
        shortest = plan.length[0]
        if not -shortest <= shortcut.position < shortest:
            raise _pitfall_error(
                "shortcut",
                shortcut,
                f"the {plan.split} split has sequences of only {shortest} tokens, which have "
                f"no position {shortcut.position}; the cue must exist in every row",
                "position=-1 (the last token) or position=0 (the first)",
            )
    codes = (
        _index(shortcut.symbol_by_label[0], shortcut.factor),
        _index(shortcut.symbol_by_label[1], shortcut.factor),
    )
    return [
        replace(
            plan,
            shortcut=_ShortcutPlan(
                factor=shortcut.factor,
                position=shortcut.position,
                codes=codes,
                strength=shortcut.strength,
                linked=plan.split in shortcut.splits,
            ),
        )
        for plan in plans
    ]


def _check_flip_high_variety(option: FlipHighVariety, plans: Sequence[_SplitPlan]) -> None:
    plan = next(p for p in plans if p.split == option.split)
    _least, most = _achievable_variety(option.factor, plan)
    if option.min_variety > most:
        raise _pitfall_error(
            "flip_high_variety",
            option,
            f"no sequence of the {option.split} split (length {plan.length!r}, "
            f"p_color={plan.p_color!r}) has a {option.factor} variety above {most}, so no label "
            "would be flipped",
            f"FlipHighVariety(split={option.split!r}, factor={option.factor!r}, "
            f"min_variety={max(most, 1)})",
        )


def _check_leak(leak: Leak, sizes: Mapping[SplitName, int]) -> None:
    k = round(leak.fraction * sizes["test"])
    if k < 1:
        raise _pitfall_error(
            "leak",
            leak,
            f"round({leak.fraction} * n_test={sizes['test']}) = 0, so no test row would be "
            "copied into train",
            f"Leak(fraction={1 / sizes['test']:.3g}) or more",
        )
    if k > sizes["train"]:
        raise _pitfall_error(
            "leak",
            leak,
            f"{k} test rows would be copied into a train split of only n_train="
            f"{sizes['train']} rows; each copy replaces a train row",
            f"Leak(fraction={sizes['train'] / sizes['test']:.3g}) or a larger n_train",
        )


def spr(
    rule: str | Rule = "spr_like",
    *,
    n_train: int = 2000,
    n_dev: int = 500,
    n_test: int = 1000,
    length: int | tuple[int, int] = (6, 12),
    seed: int = 0,
    p_color: float = 1.0,
    name: str | None = None,
    shortcut: Shortcut | None = None,
    label_noise: Mapping[str, float] | None = None,
    flip_high_variety: FlipHighVariety | None = None,
    shift: Shift | None = None,
    leak: Leak | None = None,
) -> TokenDataset:
    """Generate a seeded synthetic SPR-style dataset with balanced labels.

    Candidate sequences are drawn uniformly (length uniform in ``length``, each token's
    shape uniform, its colour uniform with probability ``p_color``), labelled by ``rule``,
    and kept by rejection sampling until each split holds exactly ``n // 2`` rows of label 1
    and ``n - n // 2`` of label 0. No sequence appears twice, within or across splits. The
    same arguments always give the identical dataset; only ``numpy.random.default_rng(seed)``
    is used.

    The last five options plant the pitfalls audits look for; all are off by default, and
    then the dataset is exactly the clean one. Each planted pitfall appends its ground truth
    (its kind, its parameters and its measured effect) to ``metadata["pitfalls"]``, in the
    order shift, shortcut, flip_high_variety, label_noise, leak, which is also the order in
    which they are planted.

    Parameters
    ----------
    rule
        A name in :data:`RULES` (``"spr_like"``, ``"shape_count"``, ``"color_parity"``,
        ``"shape_order"``, ...) or a :class:`Rule`.
    n_train, n_dev, n_test
        Rows per split, each at least 1.
    length
        Tokens per sequence: an integer, or an inclusive ``(min, max)`` pair.
    seed
        Non-negative seed of the generator.
    p_color
        Probability that a token carries a colour letter; 0 gives shape-only tokens (as in
        SPR_BENCH's LYGES), so colour-reading rules can then not be balanced.
    name
        Dataset name; defaults to e.g. ``"spr(rule='spr_like', seed=0)"``.
    shortcut
        A :class:`Shortcut`: a token factor the rule never reads agrees with the label in
        some splits only. Recorded: per split the achieved ``agreement`` (fraction of rows
        whose cue is their label's symbol) and ``n_changed`` (rows whose token it changed).
    label_noise
        Fraction of labels to flip per split, e.g. ``{"train": 0.1, "test": 0.3}``, each
        from 0 to 0.5: exactly ``round(rate * n)`` rows, half from each class, chosen at
        random (and never a row another pitfall flipped). Recorded per split: ``n_flipped``,
        ``flipped_ids`` and the ``accuracy_ceiling`` of a model that predicts the rule's
        label exactly, ``1 - n_flipped / n``.
    flip_high_variety
        A :class:`FlipHighVariety`: invert the label of every row of one split whose variety
        reaches a threshold. Recorded: ``n_flipped``, ``flipped_ids``, ``accuracy_ceiling``.
        When a split also has label noise, the two sets of flipped rows are disjoint and the
        split's ceiling is ``1 - (sum of both n_flipped) / n``.
    shift
        A :class:`Shift`: one split draws only sequences whose length or variety lies in a
        range. Recorded per split: the fraction of rows ``in_range`` and the ``mean``.
    leak
        A :class:`Leak`: copy a fraction of the test rows over train rows of the same label;
        these rows (``pairs`` of train and test ids) are then the only sequences in both.

    Returns
    -------
    TokenDataset
        Splits of ``n_train``, ``n_dev`` and ``n_test`` rows with ids ``"spr_train_0"``, ...;
        ``metadata`` holds the generator, the rule's ground truth (description, factors
        read, order dependence, predicates), the options, the sampling effort, per-split
        statistics from :func:`split_statistics`, and the planted ``pitfalls``.

    Raises
    ------
    DataError
        For an invalid argument (including a pitfall that cannot be planted, such as a
        shortcut on a factor the rule reads), or when the rule is too rare (or too common)
        for the splits to be balanced within a bounded number of draws.
    """
    resolved = _resolve_rule(rule)
    sizes: dict[SplitName, int] = {
        "train": _check_int("n_train", n_train, 1, "n_train=2000"),
        "dev": _check_int("n_dev", n_dev, 1, "n_dev=500"),
        "test": _check_int("n_test", n_test, 1, "n_test=1000"),
    }
    lengths = _resolve_length(length)
    seed = _check_int("seed", seed, 0, "seed=0")
    if (
        not isinstance(p_color, int | float | np.floating)
        or isinstance(p_color, bool)
        or not 0.0 <= p_color <= 1.0  # also rejects NaN
    ):
        raise _option_error(
            "p_color", p_color, "a probability must be a number from 0 to 1", "p_color=1.0"
        )
    p_color = float(p_color)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise _option_error(
            "name", name, "a dataset name must be a non-empty string (or None)", "name='my-spr'"
        )
    _check_option_type(
        "shortcut", shortcut, Shortcut, "shortcut=Shortcut(factor='color', position=-1)"
    )
    _check_option_type(
        "flip_high_variety",
        flip_high_variety,
        FlipHighVariety,
        "flip_high_variety=FlipHighVariety(split='test', factor='color', min_variety=3)",
    )
    _check_option_type(
        "shift", shift, Shift, "shift=Shift(split='test', by='length', range=(13, 16))"
    )
    _check_option_type("leak", leak, Leak, "leak=Leak(fraction=0.2)")
    noise = _resolve_label_noise(label_noise)

    plans = [_SplitPlan(split, sizes[split], lengths, p_color) for split in SPLITS]
    if shift is not None:
        plans = [_shift_plan(shift, p) if p.split == shift.split else p for p in plans]
    if shortcut is not None:
        plans = _shortcut_plans(shortcut, resolved, plans)
    if flip_high_variety is not None:
        _check_flip_high_variety(flip_high_variety, plans)
    if leak is not None:
        _check_leak(leak, sizes)
    # label flips are per-split hooks; high-variety flips go first so that label noise can
    # avoid re-flipping their rows
    hooks: list[SplitHook] = []
    if flip_high_variety is not None:
        hooks.append(_FlipHighVarietyHook(flip_high_variety))
    if noise is not None:
        hooks.append(_LabelNoiseHook(noise, repr(label_noise)))
    rows, sampling, effects = _generate(resolved, plans, seed, hooks=hooks)
    leak_record: dict[str, Any] | None = None
    if leak is not None:
        rows["train"], leak_record = _plant_leak(leak, rows, _leak_stream(seed))
    splits = {
        split: TokenSplit(
            ids=tuple(f"spr_{split}_{i}" for i in range(len(rows[split].labels))),
            sequences=_render(rows[split]),
            labels=tuple(rows[split].labels.tolist()),
        )
        for split in SPLITS
    }

    # ground truth, measured on the rows as published (after every pitfall is planted)
    pitfalls: list[dict[str, Any]] = []
    if shift is not None:
        pitfalls.append(_shift_record(shift, rows, lengths))
    if shortcut is not None:
        pitfalls.append(_shortcut_record(shortcut, rows))
    effect_of = iter(effects)
    if flip_high_variety is not None:
        effect = next(effect_of)[flip_high_variety.split]
        pitfalls.append({"kind": "flip_high_variety", **flip_high_variety.as_dict(), **effect})
    if noise is not None:
        pitfalls.append({"kind": "label_noise", "rates": dict(noise), "splits": next(effect_of)})
    if leak_record is not None:
        pitfalls.append(leak_record)

    options: dict[str, Any] = {
        "rule": resolved.name,
        "n_train": sizes["train"],
        "n_dev": sizes["dev"],
        "n_test": sizes["test"],
        "length": list(lengths),
        "seed": seed,
        "p_color": p_color,
        "name": name,
    }
    metadata: dict[str, Any] = {
        "generator": "auditkit.datasets.spr",
        "rule": {
            "name": resolved.name,
            "description": resolved.describe(),
            "factors": sorted(resolved.factors),
            "order_dependent": resolved.order_dependent,
            "predicates": [p.describe() for p in resolved.predicates],
        },
        # the clean generator's options; each pitfall's own options are in its record below,
        # so a clean dataset's metadata is exactly what it was before pitfalls existed
        "options": options,
        "sampling": sampling,
        # ground truth of planted pitfalls; empty means the splits are clean
        "pitfalls": pitfalls,
        "splits": {split: split_statistics(splits[split]) for split in SPLITS},
    }
    kinds = [record["kind"] for record in pitfalls]
    return TokenDataset(
        name=name if name is not None else _default_name(resolved, options, kinds),
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        metadata=metadata,
    )


_DEFAULTS: Final[dict[str, Any]] = {
    "n_train": 2000,
    "n_dev": 500,
    "n_test": 1000,
    "length": [6, 12],
    "p_color": 1.0,
}


def _default_name(rule: Rule, options: Mapping[str, Any], pitfalls: Sequence[str] = ()) -> str:
    # name the rule and seed always, and any other option only when it is not the default,
    # so two differently generated datasets rarely share a name; planted pitfalls are named
    # by kind (their parameters are in the metadata)
    extra = "".join(
        f", {key}={tuple(options[key]) if key == 'length' else options[key]!r}"
        for key, default in _DEFAULTS.items()
        if options[key] != default
    )
    if pitfalls:
        extra += f", pitfalls={'+'.join(pitfalls)}"
    return f"spr(rule={rule.name!r}, seed={options['seed']}{extra})"
