"""Imports every built-in check module so that each registers its checks."""

from auditkit.checks import seeds

__all__ = ["seeds"]
