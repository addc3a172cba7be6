"""``shapes`` at its first home; the code lives in :mod:`auditkit.datasets.images.shapes`.

Kept so that ``from auditkit.datasets.shapes import shapes`` keeps working.
"""

from __future__ import annotations

from auditkit.datasets.images.shapes import COLOR_RGB, SHAPE_NAMES, shapes

__all__ = ["COLOR_RGB", "SHAPE_NAMES", "shapes"]
