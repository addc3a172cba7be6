"""The SPR generator's names at their first home, ``auditkit.datasets.spr``.

The code lives in :mod:`auditkit.datasets.tokens`; this module is kept because messages
and user model files build rules from the predicates imported here
(``from auditkit.datasets.spr import Rule, ShapeCount``).
"""

from __future__ import annotations

from auditkit.datasets.tokens import (
    MAX_LENGTH,
    MAX_NOISE,
    RULES,
    Adjacent,
    ColorAt,
    ColorCount,
    FlipHighVariety,
    Leak,
    Order,
    Parity,
    Predicate,
    Rule,
    ShapeAt,
    ShapeCount,
    Shift,
    Shortcut,
    Variety,
    split_statistics,
    spr,
)

__all__ = [
    "MAX_LENGTH",
    "MAX_NOISE",
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
