"""The building blocks of SPR rules: predicates over the shape and colour of tokens.

Every predicate is evaluated two ways that must agree: :meth:`Predicate.holds` on one
parsed sequence (the readable reference) and :meth:`Predicate.holds_batch` on integer code
arrays (:mod:`auditkit.datasets.tokens.codes`, what the generator uses, vectorised). Each
records which token factors it reads and whether it depends on token order, which is the
ground truth an audit compares a model's reliance with.

Twin predicates that differ only in the factor they read (:class:`ShapeCount` and
:class:`ColorCount`, :class:`ShapeAt` and :class:`ColorAt`) share one implementation,
parametrised by that factor.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, Protocol, cast, runtime_checkable

import numpy as np

from auditkit.datasets.tokens.codes import (
    FACTOR_NAMES,
    BoolArray,
    CodeArray,
    Comparison,
    Factor,
    Token,
    alphabet,
    at_position,
    codes_of,
    index_of,
    values_of,
    variety_of,
)
from auditkit.errors import DataError

__all__ = [
    "Adjacent",
    "ColorAt",
    "ColorCount",
    "Order",
    "Parity",
    "Predicate",
    "ShapeAt",
    "ShapeCount",
    "Variety",
]

_COMPARISONS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    ">=": operator.ge,
    "==": operator.eq,
    "<=": operator.le,
}
#: how a message names each factor
_NOUN: Final[dict[str, str]] = {"shape": "shape", "color": "colour"}


# --------------------------------------------------------------------------- validation


def _fail_predicate(owner: str, field: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"{owner}({field}={value!r}): {why}. Write instead, e.g., {instead}.",
        slug="spr-predicate",
    )


def _check_factor(owner: str, factor: object) -> None:
    if factor not in FACTOR_NAMES:
        raise _fail_predicate(
            owner,
            "factor",
            factor,
            "a predicate reads one token factor, 'shape' or 'color'",
            "factor='shape'",
        )


def _check_symbol(owner: str, field: str, value: object, factor: Factor) -> None:
    symbols = alphabet(factor)
    if not isinstance(value, str) or value not in symbols:
        word = "shape glyph" if factor == "shape" else "colour letter"
        raise _fail_predicate(
            owner,
            field,
            value,
            f"it is not a {word}, so it could never match a token; use one of {' '.join(symbols)}",
            f"{field}={symbols[0]!r}",
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


def _symbol_label(symbol: str, factor: Factor) -> str:
    return symbol if factor == "shape" else f"colour {symbol}"


def _count(tokens: Sequence[Token], factor: Factor, symbol: str) -> int:
    """How many of ``tokens`` have ``symbol`` as their ``factor``."""
    return sum(1 for value in values_of(tokens, factor) if value == symbol)


def _count_batch(shapes: CodeArray, colors: CodeArray, factor: Factor, symbol: str) -> CodeArray:
    """:func:`_count` of every row of the code arrays, shape (n_rows,)."""
    return cast(
        CodeArray, (codes_of(shapes, colors, factor) == index_of(symbol, factor)).sum(axis=1)
    )


class _OfOneSymbol:
    """The shared body of twin predicates that read one symbol of a fixed factor.

    A subclass sets ``FACTOR`` and declares a field of that name (``shape`` or ``color``)
    holding the symbol; :class:`_CountOf` and :class:`_AtPosition` build on it.
    """

    __slots__ = ()
    #: the factor the predicate reads; the subclass's field of this name holds the symbol
    FACTOR: ClassVar[Factor]

    @property
    def _symbol(self) -> str:
        return cast(str, getattr(self, self.FACTOR))

    @property
    def factors(self) -> frozenset[str]:
        """``{FACTOR}``: ``{"shape"}`` or ``{"color"}``."""
        return frozenset({self.FACTOR})


class _CountOf(_OfOneSymbol):
    """How many tokens carry the symbol, compared with ``k`` (:class:`ShapeCount`, ...)."""

    __slots__ = ()
    op: Comparison
    k: int

    def __post_init__(self) -> None:
        owner = type(self).__name__
        _check_symbol(owner, self.FACTOR, self._symbol, self.FACTOR)
        _check_comparison(owner, self.op)
        _check_count(owner, "k", self.k)

    @property
    def order_dependent(self) -> bool:
        """False: a count ignores order."""
        return False

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the count of the symbol in ``tokens`` compares true with ``k``."""
        return bool(_COMPARISONS[self.op](_count(tokens, self.FACTOR, self._symbol), self.k))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        count = _count_batch(shapes, colors, self.FACTOR, self._symbol)
        return np.asarray(_COMPARISONS[self.op](count, self.k), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"count(shape ▲) >= 2"`` or ``"count(colour r) >= 2"``."""
        return f"count({_NOUN[self.FACTOR]} {self._symbol}) {self.op} {self.k}"


class _AtPosition(_OfOneSymbol):
    """The token at ``position`` carries the symbol (:class:`ShapeAt`, :class:`ColorAt`)."""

    __slots__ = ()
    position: int

    def __post_init__(self) -> None:
        owner = type(self).__name__
        _check_position(owner, self.position)
        _check_symbol(owner, self.FACTOR, self._symbol, self.FACTOR)

    @property
    def order_dependent(self) -> bool:
        """True: moving tokens changes which one sits at the position."""
        return True

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether ``tokens[position]`` exists and carries the symbol."""
        if not -len(tokens) <= self.position < len(tokens):
            return False
        return values_of([tokens[self.position]], self.FACTOR)[0] == self._symbol

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        picked = at_position(codes_of(shapes, colors, self.FACTOR), lengths, self.position)
        return np.asarray(picked == index_of(self._symbol, self.FACTOR), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"shape at position 0 is ▲"`` or ``"colour at position -1 is r"``."""
        return f"{_NOUN[self.FACTOR]} at position {self.position} is {self._symbol}"


class _OfFactor:
    """The shared body of predicates whose ``factor`` field names the factor they read."""

    __slots__ = ()
    factor: Factor

    @property
    def factors(self) -> frozenset[str]:
        """``{factor}``."""
        return frozenset({self.factor})


class _OrderFree(_OfFactor):
    """A count over one factor (:class:`Parity`, :class:`Variety`): order plays no part."""

    __slots__ = ()

    @property
    def order_dependent(self) -> bool:
        """False: a count ignores order."""
        return False


class _SymbolPair(_OfFactor):
    """Two symbols of one factor whose places are compared (:class:`Order`, ...)."""

    __slots__ = ()
    first: str
    second: str

    def __post_init__(self) -> None:
        owner = type(self).__name__
        _check_factor(owner, self.factor)
        _check_symbol(owner, "first", self.first, self.factor)
        _check_symbol(owner, "second", self.second, self.factor)

    @property
    def order_dependent(self) -> bool:
        """True."""
        return True

    def _labels(self) -> tuple[str, str]:
        return _symbol_label(self.first, self.factor), _symbol_label(self.second, self.factor)


@dataclass(frozen=True, slots=True)
class ShapeCount(_CountOf):
    """The number of tokens with shape ``shape`` compared with ``k``.

    Example: ``ShapeCount("▲", ">=", 2)`` holds for ``▲r ■g ▲b`` (two ▲).
    """

    FACTOR = "shape"
    #: the shape glyph to count
    shape: str
    #: how the count is compared with ``k``
    op: Comparison
    #: the threshold
    k: int


@dataclass(frozen=True, slots=True)
class ColorCount(_CountOf):
    """The number of tokens with colour ``color`` compared with ``k``.

    Tokens without a colour never count. Example: ``ColorCount("r", "==", 1)`` holds for
    ``▲r ■g ●`` (one red token).
    """

    FACTOR = "color"
    #: the colour letter to count
    color: str
    #: how the count is compared with ``k``
    op: Comparison
    #: the threshold
    k: int


@dataclass(frozen=True, slots=True)
class Parity(_OrderFree):
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

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the count of ``value`` in ``tokens`` has the required parity."""
        return _count(tokens, self.factor, self.value) % 2 == (0 if self.parity == "even" else 1)

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        count = _count_batch(shapes, colors, self.factor, self.value)
        return np.asarray(count % 2 == (0 if self.parity == "even" else 1), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"count(colour r) is even"``."""
        return f"count({_NOUN[self.factor]} {self.value}) is {self.parity}"


@dataclass(frozen=True, slots=True)
class ShapeAt(_AtPosition):
    """The token at ``position`` has shape ``shape``.

    ``position`` is 0-based; a negative position counts from the end (-1 is the last
    token). A sequence too short to have that position does not satisfy the predicate.
    """

    FACTOR = "shape"
    #: 0 for the first token, -1 for the last
    position: int
    #: the required shape glyph
    shape: str


@dataclass(frozen=True, slots=True)
class ColorAt(_AtPosition):
    """The token at ``position`` has colour ``color`` (positions as in :class:`ShapeAt`).

    A token without a colour never matches.
    """

    FACTOR = "color"
    #: 0 for the first token, -1 for the last
    position: int
    #: the required colour letter
    color: str


@dataclass(frozen=True, slots=True)
class Order(_SymbolPair):
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
        _SymbolPair.__post_init__(self)
        if self.first == self.second:
            other = next(s for s in alphabet(self.factor) if s != self.first)
            raise _fail_predicate(
                "Order",
                "second",
                self.second,
                "it equals first, and a symbol's first occurrence cannot precede itself, so "
                "the predicate would never hold",
                f"Order({self.first!r}, {other!r})",
            )

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether both symbols occur and ``first`` occurs first."""
        values = values_of(tokens, self.factor)
        if self.first not in values or self.second not in values:
            return False
        return values.index(self.first) < values.index(self.second)

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        codes = codes_of(shapes, colors, self.factor)
        is_first = codes == index_of(self.first, self.factor)
        is_second = codes == index_of(self.second, self.factor)
        # argmax gives the first True per row; meaningful only where the row has one
        both = is_first.any(axis=1) & is_second.any(axis=1)
        return np.asarray(both & (is_first.argmax(axis=1) < is_second.argmax(axis=1)))

    def describe(self) -> str:
        """E.g. ``"first ■ comes before first ●"``."""
        a, b = self._labels()
        return f"first {a} comes before first {b}"


@dataclass(frozen=True, slots=True)
class Adjacent(_SymbolPair):
    """Somewhere in the sequence, ``first`` is immediately followed by ``second``.

    Example: ``Adjacent("▲", "■")`` holds for ``● ▲ ■`` but not for ``■ ▲`` or ``▲ ● ■``.
    """

    #: the symbol of the earlier token
    first: str
    #: the symbol of the token right after it
    second: str
    #: which factor the symbols name (``"shape"`` by default)
    factor: Factor = "shape"

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether some token with ``first`` is directly followed by one with ``second``."""
        values = values_of(tokens, self.factor)
        return any(a == self.first and b == self.second for a, b in itertools.pairwise(values))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        codes = codes_of(shapes, colors, self.factor)
        # padding is -1 and never equals a symbol index, so pairs past the end never match
        pairs = (codes[:, :-1] == index_of(self.first, self.factor)) & (
            codes[:, 1:] == index_of(self.second, self.factor)
        )
        return np.asarray(pairs.any(axis=1), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"▲ is immediately followed by ■"``."""
        a, b = self._labels()
        return f"{a} is immediately followed by {b}"


@dataclass(frozen=True, slots=True)
class Variety(_OrderFree):
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

    def holds(self, tokens: Sequence[Token]) -> bool:
        """Whether the number of distinct symbols compares true with ``k``."""
        variety = len({v for v in values_of(tokens, self.factor) if v is not None})
        return bool(_COMPARISONS[self.op](variety, self.k))

    def holds_batch(self, shapes: CodeArray, colors: CodeArray, lengths: CodeArray) -> BoolArray:
        """Vectorised :meth:`holds`; returns an array of shape (n_rows,)."""
        variety = variety_of(codes_of(shapes, colors, self.factor), self.factor)
        return np.asarray(_COMPARISONS[self.op](variety, self.k), dtype=bool)

    def describe(self) -> str:
        """E.g. ``"number of distinct shapes >= 3"``."""
        noun = "shapes" if self.factor == "shape" else "colours"
        return f"number of distinct {noun} {self.op} {self.k}"
