"""Token sequences (SPR): the token grammar, the seeded generator and the CSV loader.

A token is a shape glyph with an optional colour letter (``▲r``); a sequence is tokens
separated by single spaces. Modules:

- :mod:`~auditkit.datasets.tokens.grammar`: the token grammar and variety weights;
- :mod:`~auditkit.datasets.tokens.predicates` and :mod:`~auditkit.datasets.tokens.rules`:
  labelling rules built from predicates over shape and colour, and the presets;
- :mod:`~auditkit.datasets.tokens.pitfalls`: the pitfalls the generator can plant;
- :mod:`~auditkit.datasets.tokens.generator`: :func:`spr`, which checks its options
  (:mod:`~auditkit.datasets.tokens.plans`), draws and balances every split
  (:mod:`~auditkit.datasets.tokens.sampling`, on the integer codes of
  :mod:`~auditkit.datasets.tokens.codes`) and plants the pitfalls
  (:mod:`~auditkit.datasets.tokens.planting`);
- :mod:`~auditkit.datasets.tokens.csv`: :func:`spr_csv`, SPR_BENCH-format folders;
- :mod:`~auditkit.datasets.tokens.summary`: per-split statistics of either.
"""

from __future__ import annotations

from auditkit.datasets.tokens.codes import MAX_LENGTH
from auditkit.datasets.tokens.csv import COLUMNS, spr_csv
from auditkit.datasets.tokens.generator import spr

# the grammar first: every other module of the package builds on it
from auditkit.datasets.tokens.grammar import (
    COLORS,
    FACTORS,
    SHAPES,
    TokenFormatError,
    color_variety,
    parse_token,
    shape_variety,
    split_sequence,
)
from auditkit.datasets.tokens.pitfalls import MAX_NOISE, FlipHighVariety, Leak, Shift, Shortcut
from auditkit.datasets.tokens.predicates import (
    Adjacent,
    ColorAt,
    ColorCount,
    Order,
    Parity,
    Predicate,
    ShapeAt,
    ShapeCount,
    Variety,
)
from auditkit.datasets.tokens.rules import RULES, Rule
from auditkit.datasets.tokens.summary import split_statistics

__all__ = [
    "COLORS",
    "COLUMNS",
    "FACTORS",
    "MAX_LENGTH",
    "MAX_NOISE",
    "RULES",
    "SHAPES",
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
    "TokenFormatError",
    "Variety",
    "color_variety",
    "parse_token",
    "shape_variety",
    "split_sequence",
    "split_statistics",
    "spr",
    "spr_csv",
]
