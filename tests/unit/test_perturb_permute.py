"""The in-distribution factor probes: permuting colour or shape across rows, per position."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import auditkit as ak
from auditkit import perturb
from auditkit.perturb import permute_color, permute_shape


def _sequences() -> tuple[str, ...]:
    data = ak.datasets.spr(rule="shape_count", n_train=50, n_dev=20, n_test=200, seed=1)
    return data.test.sequences


def _column(sequences: tuple[str, ...], i: int, cut: slice) -> Counter[str]:
    return Counter(s.split()[i][cut] for s in sequences if len(s.split()) > i)


def test_permuting_keeps_every_token_in_the_vocabulary_and_each_position_marginal() -> None:
    original = _sequences()
    vocabulary = {t for s in original for t in s.split()}
    for fn, kept, moved in (
        (permute_color, slice(0, 1), slice(1, None)),
        (permute_shape, slice(1, None), slice(0, 1)),
    ):
        out = fn(original, 3)
        assert [len(s.split()) for s in out] == [len(s.split()) for s in original]
        # masking makes unseen tokens; permuting never does (every SPR colour x shape pair
        # occurs in 200 rows, so this holds for any seed)
        assert {t for s in out for t in s.split()} <= vocabulary
        longest = max(len(s.split()) for s in original)
        for i in range(longest):
            assert _column(out, i, moved) == _column(original, i, moved)
        # the other factor stays exactly where it was
        assert [[t[kept] for t in s.split()] for s in out] == [
            [t[kept] for t in s.split()] for s in original
        ]
        # and the factor really moved: most rows changed
        assert np.mean([a != b for a, b in zip(out, original, strict=True)]) > 0.5


def test_permutation_probes_are_token_perturbations_only() -> None:
    assert {"permute_color", "permute_shape"} <= set(perturb.test_time("tokens"))
    assert "permute_color" not in perturb.test_time("images")


def test_a_dev_evaluation_permutes_the_dev_split_and_keeps_its_labels() -> None:
    data = ak.datasets.spr(rule="shape_count", n_train=60, n_dev=40, n_test=50, seed=1)
    assert perturb.evaluation_split("permute_color@dev") == ("permute_color", "dev")
    assert perturb.evaluation_split("permute_color") == ("permute_color", "test")
    dev = perturb.perturb_evaluation_split(data, perturb.on_dev("permute_color"))
    assert isinstance(dev, ak.TokenSplit)
    assert dev.ids == data.dev.ids and dev.labels == data.dev.labels
    assert dev.sequences == permute_color(data.dev.sequences, perturb.SHUFFLE_SEED)
    assert dev.sequences != data.dev.sequences
    # the test evaluation is unchanged, and its dev labels are the ones a run scores on
    test = perturb.perturb_evaluation_split(data, "permute_color")
    assert test == perturb.perturb_test_split(data, "permute_color")
    assert perturb.scored_labels(data, None, 0, "dev") == data.dev.labels
    with pytest.raises(ValueError, match="'tilt' does not apply to tokens data"):
        perturb.perturb_evaluation_split(data, "tilt@dev")
