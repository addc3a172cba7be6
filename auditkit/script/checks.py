"""Checks that read script runs; registered with the built-in checks (see ``checks()``)."""

from __future__ import annotations
