"""Datasets: the seeded SPR generator and loaders for SPR_BENCH-format folders."""

from __future__ import annotations

from auditkit.datasets.csv import spr_csv
from auditkit.datasets.spr import (
    RULES,
    FlipHighVariety,
    Leak,
    Rule,
    Shift,
    Shortcut,
    split_statistics,
    spr,
)

__all__ = [
    "RULES",
    "FlipHighVariety",
    "Leak",
    "Rule",
    "Shift",
    "Shortcut",
    "split_statistics",
    "spr",
    "spr_csv",
]
