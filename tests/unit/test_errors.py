"""The "did you mean" suggestion of every message that names an unknown value."""

from __future__ import annotations

import pytest

from auditkit.errors import did_you_mean
from auditkit.metrics import METRICS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hwaa", " Did you mean 'hwa'?"),  # a typo: the closest spelling
        ("acc", " Did you mean 'accuracy'?"),  # an abbreviation: the one prefix
        ("f1", " Did you mean 'macro_f1'?"),  # a part of exactly one name
        ("zzz", ""),
        ("a", ""),  # too short to guess from
    ],
)
def test_did_you_mean_metric_names(value: str, expected: str) -> None:
    assert did_you_mean(value, METRICS) == expected
