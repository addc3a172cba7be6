"""How the SPR generator encodes tokens: small integer codes in (n_rows, max_len) arrays.

A token is encoded by two small integers: its shape index into ``SHAPES`` and its colour
index into ``COLORS``, with ``-1`` for "no colour" and for padding past the end of a
sequence. Predicates evaluate whole batches of such arrays at once, and the generator draws,
balances and plants pitfalls on them; only the published splits are strings again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from auditkit.datasets.tokens.grammar import COLORS, SHAPES

#: one parsed token: (shape glyph, colour letter or None), as returned by ``parse_token``
Token: TypeAlias = tuple[str, str | None]
#: the token factors a predicate can read
Factor: TypeAlias = Literal["shape", "color"]
#: comparisons a count or variety predicate can make against its threshold
Comparison: TypeAlias = Literal[">=", "==", "<="]
#: integer code arrays of shape (n_rows, max_len); -1 marks padding or "no colour"
CodeArray: TypeAlias = NDArray[np.integer[Any]]
BoolArray: TypeAlias = NDArray[np.bool_]

FACTOR_NAMES: Final[tuple[Factor, ...]] = ("shape", "color")
#: longest sequence the generator accepts; guards memory (rows x max_len code arrays)
MAX_LENGTH: Final = 1024
#: token text by code ``shape_index * 5 + colour_index + 1`` (colour index -1 = no colour)
TOKEN_TEXT: Final[tuple[str, ...]] = tuple(
    shape + (color or "") for shape in SHAPES for color in (None, *COLORS)
)


def alphabet(factor: Factor) -> tuple[str, ...]:
    """The symbols of ``factor``: ``SHAPES`` or ``COLORS``."""
    return SHAPES if factor == "shape" else COLORS


def index_of(symbol: str, factor: Factor) -> int:
    """The code of ``symbol``, its index in :func:`alphabet`."""
    return alphabet(factor).index(symbol)


def values_of(tokens: Sequence[Token], factor: Factor) -> list[str | None]:
    """The ``factor`` of each parsed token (None for a token without a colour)."""
    return [shape if factor == "shape" else color for shape, color in tokens]


def codes_of(shapes: CodeArray, colors: CodeArray, factor: Factor) -> CodeArray:
    """The code array of ``factor``: ``shapes`` or ``colors``."""
    return shapes if factor == "shape" else colors


def at_position(codes: CodeArray, lengths: CodeArray, position: int) -> CodeArray:
    """Code at ``position`` of each row (negative counts from the end); -1 when out of range."""
    n_rows, width = codes.shape
    index = lengths + position if position < 0 else np.full(n_rows, position)
    valid = (index >= 0) & (index < lengths) & (index < width)
    picked = codes[np.arange(n_rows), np.where(valid, index, 0)] if width else np.zeros(n_rows)
    return np.where(valid, picked, -1)


def variety_of(codes: CodeArray, factor: Factor) -> NDArray[np.int64]:
    """Distinct symbols per row of a code array, array of shape (n_rows,)."""
    variety = np.zeros(codes.shape[0], dtype=np.int64)
    for i in range(len(alphabet(factor))):
        variety += (codes == i).any(axis=1)
    return variety


def position_index(lengths: CodeArray, position: int) -> NDArray[np.int64]:
    """Column of token ``position`` in each row; the caller ensures every row has it."""
    if position < 0:
        return np.asarray(lengths + position, dtype=np.int64)
    return np.full(len(lengths), position, dtype=np.int64)
