"""``spr_csv`` at its first home; the code lives in :mod:`auditkit.datasets.tokens.csv`.

Kept so that ``from auditkit.datasets.csv import spr_csv`` keeps working.
"""

from __future__ import annotations

from auditkit.datasets.tokens.csv import COLUMNS, spr_csv

__all__ = ["COLUMNS", "spr_csv"]
