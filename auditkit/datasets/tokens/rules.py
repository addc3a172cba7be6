"""SPR labelling rules: conjunctions of predicates, and the named presets in :data:`RULES`.

A :class:`Rule` labels a sequence 1 when every one of its predicates holds; since each
predicate records the token factors it reads and whether it depends on token order, so
does the rule, which is the ground truth an audit checks a model's reliance against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from auditkit.datasets.tokens.codes import BoolArray, CodeArray, Token
from auditkit.datasets.tokens.grammar import parse_token
from auditkit.datasets.tokens.predicates import (
    Adjacent,
    ColorAt,
    ColorCount,
    Order,
    Parity,
    Predicate,
    ShapeCount,
    Variety,
)
from auditkit.errors import DataError

__all__ = ["RULES", "Rule"]


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
