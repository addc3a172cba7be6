"""Data-influence statistics: expected drop of a label flip, scored share, chance interval."""

from __future__ import annotations

import numpy as np
import pytest

from auditkit.stats.influence import above_chance, expected_flip_drop, scored_share


def test_expected_flip_drop_by_hand() -> None:
    # binary: a right row becomes wrong and a wrong one right: q (2a - 1)
    assert expected_flip_drop(0.9, 0.5, 2) == pytest.approx(0.4)
    assert expected_flip_drop(0.5, 0.5, 2) == pytest.approx(0.0)  # chance cannot move
    # K = 4: q (4a - 1) / 3
    assert expected_flip_drop(1.0, 0.3, 4) == pytest.approx(0.3)
    assert expected_flip_drop(0.25, 0.3, 4) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="n_classes=1"):
        expected_flip_drop(0.9, 0.5, 1)


def simulate(
    rng: np.random.Generator, *, accuracy: float, n_test: int, share: float, mixed: float
) -> tuple[float, float]:
    """(nominal, flipped) accuracy of a binary model scoring ``mixed`` declared test rows.

    The rest of the scored rows come from elsewhere (e.g. dev) and are never flipped.
    """
    labels = rng.integers(0, 2, n_test)
    correct = rng.random(n_test) < accuracy
    predictions = np.where(correct, labels, 1 - labels)
    flipped = labels.copy()
    rows = rng.choice(n_test, size=round(share * n_test), replace=False)
    flipped[rows] = 1 - flipped[rows]
    n_declared = round(mixed * n_test)
    # scored: n_declared declared rows + other rows with the same accuracy, unflipped
    other = rng.random(n_test - n_declared) < accuracy
    nominal = (correct[:n_declared].sum() + other.sum()) / n_test
    after = ((predictions == flipped)[:n_declared].sum() + other.sum()) / n_test
    return float(nominal), float(after)


@pytest.mark.parametrize("mixed", [1.0, 0.5, 0.0])
def test_scored_share_recovers_the_share_of_declared_rows(mixed: float) -> None:
    rng = np.random.default_rng(0)
    runs = [simulate(rng, accuracy=0.9, n_test=1000, share=0.5, mixed=mixed) for _ in range(3)]
    found = scored_share(
        [a for a, _ in runs], [b for _, b in runs], share=0.5, n_test=1000, n_classes=2
    )
    assert found is not None and found.n == 3
    assert found.low <= mixed <= found.high
    assert found.high - found.low < 0.35
    assert abs(found.share - mixed) < 0.12


def test_scored_share_interval_covers_the_truth_most_of_the_time() -> None:
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(200):
        runs = [simulate(rng, accuracy=0.8, n_test=400, share=0.5, mixed=1.0) for _ in range(3)]
        found = scored_share(
            [a for a, _ in runs], [b for _, b in runs], share=0.5, n_test=400, n_classes=2
        )
        assert found is not None
        hits += found.low <= 1.0 <= found.high
    assert hits >= 180  # about 95% coverage; a wide margin for any machine


def test_scored_share_is_none_for_a_model_at_chance() -> None:
    assert scored_share([0.5, 0.5], [0.5, 0.5], share=0.5, n_test=100, n_classes=2) is None
    with pytest.raises(ValueError, match="one value per seed"):
        scored_share([0.9], [0.5, 0.5], share=0.5, n_test=100, n_classes=2)


def test_one_seed_still_gets_an_interval_from_the_test_rows() -> None:
    found = scored_share([0.9], [0.5], share=0.5, n_test=1000, n_classes=2)
    assert found is not None and found.share == pytest.approx(1.0)
    assert found.low < 1.0 < found.high and found.high - found.low < 0.3


def test_above_chance_uses_the_binomial_floor() -> None:
    # seeds that agree exactly still carry the test rows' sampling error
    same = above_chance([0.5, 0.5, 0.5], chance=0.5, n_test=400)
    assert same.low < 0.5 < same.high and same.high - same.low > 0.05
    clear = above_chance([0.91, 0.9, 0.92], chance=0.5, n_test=400)
    assert clear.low > 0.8
    with pytest.raises(ValueError, match="n_test=0"):
        above_chance([0.5], chance=0.5, n_test=0)


def test_above_chance_keeps_the_interval_inside_zero_to_one() -> None:
    found = above_chance([0.99, 1.0, 0.97], chance=0.5, n_test=100)
    assert found.high == 1.0 and 0.8 < found.low < found.mean
