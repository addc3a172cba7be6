"""Seeded synthetic SPR-style data: rules are conjunctions of predicates over shape and colour.

A sequence is a list of tokens; each token is a shape glyph (``▲ ■ ● ◆``) with an optional
colour letter (``r g b y``), written ``▲r``. A :class:`Rule` labels a sequence 1 when every
one of its predicates holds. Each predicate records which token factors it reads
(``"shape"``, ``"color"``) and whether it depends on token order, so the audit knows the ground
truth: a model that scores well on a shape-only rule while reading colour uses a shortcut.

Generation runs in four steps, each a seam for the pitfalls later work will plant:

1. **draw** uniformly random candidate sequences (:func:`_draw_candidates`, per split, so a
   split can be drawn from a shifted distribution);
2. **label** them with the rule (vectorised :meth:`Rule.holds_batch`);
3. **balance** by rejection sampling, skipping any sequence already used (:func:`_balance`);
4. **assign** the rows to the split, then run the per-split hooks (:data:`SplitHook`).

Internally a token is encoded by two small integers: its shape index into ``SHAPES`` and
its colour index into ``COLORS``, with ``-1`` for "no colour" and for padding past the end
of a sequence.
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    "Order",
    "Parity",
    "Predicate",
    "Rule",
    "ShapeAt",
    "ShapeCount",
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


# --------------------------------------------------------------------------- generation


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


#: A per-split post-processing hook: ``hook(plan, rows, earlier_splits, rng) -> rows``.
#:
#: Hooks run after balancing, in split order (train, dev, test), and may read the splits
#: already finished. This is where pitfalls get planted, each recording its ground truth in
#: the dataset metadata: a shortcut (recolour the last token so a factor the rule never
#: reads agrees with the label in train/dev only), label noise (flip a fraction of labels
#: per split), and train->test duplicates (copy train rows into test). A shifted split
#: (length or variety) is instead a different ``_SplitPlan`` for that split.
SplitHook: TypeAlias = Callable[
    [_SplitPlan, _Rows, Mapping[SplitName, _Rows], np.random.Generator], _Rows
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
    updated in place, which is what keeps splits free of duplicates.
    """
    need = [(plan.n + 1) // 2, plan.n // 2]
    width = plan.length[1]
    kept: list[tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int64], NDArray[np.int64]]]
    kept = []
    draws = positives = repeats = 0
    limit = _max_draws(plan.n)
    while need[0] or need[1]:
        if draws >= limit:
            raise _too_rare(rule, plan, draws, positives, repeats, need)
        # size the next chunk from the label rate seen so far (Laplace-smoothed) so that a
        # typical split is filled by one or two vectorised chunks
        rate = (positives + 1) / (draws + 2)
        want = need[0] / (1 - rate) + need[1] / rate
        m = int(min(limit - draws, max(256, 1.25 * want + 64)))
        shapes, colors, lengths = _draw_candidates(plan, m, rng)
        labels = rule.holds_batch(shapes, colors, lengths).astype(np.int64)
        draws += m
        positives += int(labels.sum())
        # one byte per token: shape * 5 + colour + 1 (< 20), so equal keys = equal sequences
        codes = (shapes.astype(np.int16) * 5 + colors + 1).astype(np.uint8).tobytes()
        keep = np.zeros(m, dtype=bool)
        for i, (label, length) in enumerate(zip(labels.tolist(), lengths.tolist(), strict=True)):
            if not need[label]:
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
        kept.append((shapes[keep], colors[keep], lengths[keep], labels[keep]))
    # rows arrive in draw order, with the tail all of the class filled last; shuffle so the
    # split's order carries no information about the label
    order = rng.permutation(plan.n)
    rows = _Rows(
        shapes=np.concatenate([k[0] for k in kept])[order],
        colors=np.concatenate([k[1] for k in kept])[order],
        lengths=np.concatenate([k[2] for k in kept])[order],
        labels=np.concatenate([k[3] for k in kept])[order],
    )
    return rows, {"draws": draws, "candidate_label_rate": positives / draws}


def _too_rare(
    rule: Rule, plan: _SplitPlan, draws: int, positives: int, repeats: int, need: list[int]
) -> DataError:
    wanted = [(plan.n + 1) // 2, plan.n // 2]
    found = ", ".join(f"{wanted[c] - need[c]} of {wanted[c]} label-{c} rows" for c in (0, 1))
    if need[1] and not need[0]:
        change = "a rule that holds more often (e.g. lower a count threshold)"
    elif need[0] and not need[1]:
        change = "a rule that holds less often (e.g. add a predicate)"
    else:
        change = "a rule whose label-1 rate is further from 0% and 100%"
    return DataError(
        f"spr(rule={rule.name!r}): could not fill the {plan.split} split with {plan.n} "
        f"balanced, distinct rows: after {draws} uniformly random candidates (the limit) it "
        f"found {found}. The rule ({rule.describe()}) labels {positives / draws:.2%} of "
        f"candidates 1, and {repeats} candidates repeated a sequence already used. Balanced "
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
) -> tuple[dict[SplitName, TokenSplit], dict[str, Any]]:
    """Draw, label, balance and assign every split, then apply ``hooks`` to each."""
    # one independent child stream per split: changing n_train does not re-draw the test
    # split's candidates (only the few that collide with train rows change)
    streams = np.random.default_rng(seed).spawn(len(plans))
    seen: set[bytes] = set()
    done: dict[SplitName, _Rows] = {}
    splits: dict[SplitName, TokenSplit] = {}
    sampling: dict[str, Any] = {}
    for plan, rng in zip(plans, streams, strict=True):
        rows, sampling[plan.split] = _balance(rule, plan, rng, seen)
        for hook in hooks:
            rows = hook(plan, rows, dict(done), rng)
        done[plan.split] = rows
        splits[plan.split] = TokenSplit(
            ids=tuple(f"spr_{plan.split}_{i}" for i in range(len(rows.labels))),
            sequences=_render(rows),
            labels=tuple(rows.labels.tolist()),
        )
    return splits, sampling


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
) -> TokenDataset:
    """Generate a seeded synthetic SPR-style dataset with balanced labels.

    Candidate sequences are drawn uniformly (length uniform in ``length``, each token's
    shape uniform, its colour uniform with probability ``p_color``), labelled by ``rule``,
    and kept by rejection sampling until each split holds exactly ``n // 2`` rows of label 1
    and ``n - n // 2`` of label 0. No sequence appears twice, within or across splits. The
    same arguments always give the identical dataset; only ``numpy.random.default_rng(seed)``
    is used.

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

    Returns
    -------
    TokenDataset
        Splits of ``n_train``, ``n_dev`` and ``n_test`` rows with ids ``"spr_train_0"``, ...;
        ``metadata`` holds the generator, the rule's ground truth (description, factors
        read, order dependence, predicates), the options, the sampling effort, and per-split
        statistics from :func:`split_statistics`.

    Raises
    ------
    DataError
        For an invalid argument, or when the rule is too rare (or too common) for the splits
        to be balanced within a bounded number of draws.
    """
    resolved = _resolve_rule(rule)
    sizes = {
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

    plans = [_SplitPlan(split, sizes[split], lengths, p_color) for split in SPLITS]
    # no pitfall hooks yet; shortcuts, label noise and duplicates will pass them here
    splits, sampling = _generate(resolved, plans, seed, hooks=())

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
        "options": options,
        "sampling": sampling,
        # ground truth of planted pitfalls (shortcut, label noise, shift, duplicates) goes
        # here once the hooks exist; empty means the splits are clean
        "pitfalls": [],
        "splits": {split: split_statistics(splits[split]) for split in SPLITS},
    }
    return TokenDataset(
        name=name if name is not None else _default_name(resolved, options),
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


def _default_name(rule: Rule, options: Mapping[str, Any]) -> str:
    # name the rule and seed always, and any other option only when it is not the default,
    # so two differently generated datasets rarely share a name
    extra = "".join(
        f", {key}={tuple(options[key]) if key == 'length' else options[key]!r}"
        for key, default in _DEFAULTS.items()
        if options[key] != default
    )
    return f"spr(rule={rule.name!r}, seed={options['seed']}{extra})"
