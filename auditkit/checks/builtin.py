"""Imports every built-in check module so that each registers its checks."""

from auditkit.checks import batch, metrics_checks, order, seeds, splits

__all__ = ["batch", "metrics_checks", "order", "seeds", "splits"]
