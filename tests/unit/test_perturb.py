"""Perturbations: each transformation does exactly what its name says, seeded."""

from __future__ import annotations

from collections import Counter

import auditkit as ak
from auditkit.perturb import (
    apply_transform,
    mask_color,
    mask_shape,
    perturb_split,
    reverse_tokens,
    shuffle_tokens,
)

SEQS = ("▲r ■g ●b ◆y", "■ ■ ▲", "●r")


def test_shuffle_keeps_each_rows_tokens_and_is_seeded() -> None:
    out = shuffle_tokens(SEQS, 0)
    assert [Counter(a.split()) for a in out] == [Counter(b.split()) for b in SEQS]
    assert out == shuffle_tokens(SEQS, 0)
    long = ("▲r ■g ●b ◆y ▲g ■b ●y ◆r",) * 20
    assert len(set(shuffle_tokens(long, 0))) > 1  # rows get their own permutations


def test_reverse_and_masks() -> None:
    assert reverse_tokens(SEQS) == ("◆y ●b ■g ▲r", "▲ ■ ■", "●r")
    assert mask_color(SEQS) == ("▲ ■ ● ◆", "■ ■ ▲", "●")
    assert mask_shape(SEQS) == ("■r ■g ■b ■y", "■ ■ ■", "■r")


def test_perturb_split_keeps_ids_and_labels() -> None:
    split = ak.TokenSplit(ids=("a", "b", "c"), sequences=SEQS, labels=(1, 0, 1))
    out = perturb_split(split, "mask_color")
    assert out.ids == split.ids and out.labels == split.labels
    assert out.sequences == mask_color(SEQS)


def test_resplit_pools_every_row_and_keeps_sizes() -> None:
    data = ak.datasets.spr(rule="shape_count", n_train=60, n_dev=20, n_test=20, seed=0)
    out = apply_transform(data, "resplit:3")
    assert (len(out.train), len(out.dev), len(out.test)) == (60, 20, 20)
    rows = lambda d: sorted(  # noqa: E731
        (i, s, y)
        for name in ("train", "dev", "test")
        for i, s, y in zip(
            d.split(name).ids, d.split(name).sequences, d.split(name).labels, strict=True
        )
    )
    assert rows(out) == rows(data)
    assert out.test.ids != data.test.ids
    assert apply_transform(data, "resplit:3") == out


def test_transform_masks_every_split() -> None:
    data = ak.datasets.spr(rule="shape_count", n_train=20, n_dev=10, n_test=10, seed=0)
    out = apply_transform(data, "mask_color")
    for name in ("train", "dev", "test"):
        assert all(len(t) == 1 for s in out.split(name).sequences for t in s.split())
