"""Imports every built-in check module so that each registers its checks."""

from auditkit.checks import batch, length, metrics_checks, order, seeds, splits

__all__ = ["batch", "length", "metrics_checks", "order", "seeds", "splits"]
