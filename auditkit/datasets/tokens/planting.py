"""Planting the pitfalls that act on finished splits, and measuring every pitfall's effect.

Label flips are per-split hooks (:data:`~auditkit.datasets.tokens.sampling.SplitHook`) run
after balancing; a leak copies test rows into train once every split is done. The records
are the ground truth of ``metadata["pitfalls"]``, measured on the rows as published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from auditkit.datasets.tokens.codes import index_of, position_index, variety_of
from auditkit.datasets.tokens.pitfalls import FlipHighVariety, Leak, Shift, ShiftBy, Shortcut
from auditkit.datasets.tokens.sampling import Rows, SplitPlan
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName

__all__ = ["FlipHighVarietyHook", "LabelNoiseHook", "plant_leak", "shift_record", "shortcut_record"]


def _ids(split: SplitName, index: NDArray[np.int64]) -> list[str]:
    """Row ids (as :func:`spr` assigns them) of the rows at ``index``."""
    return [f"spr_{split}_{i}" for i in index.tolist()]


def _flipped(rows: Rows) -> NDArray[np.bool_]:
    if rows.flipped is not None:
        return rows.flipped
    return np.zeros(len(rows.labels), dtype=bool)


def _flip(rows: Rows, mask: NDArray[np.bool_]) -> Rows:
    """``rows`` with the labels at ``mask`` inverted and recorded as flipped."""
    return replace(
        rows,
        labels=np.where(mask, 1 - rows.labels, rows.labels),
        flipped=_flipped(rows) | mask,
    )


def _flip_effect(split: SplitName, mask: NDArray[np.bool_]) -> dict[str, Any]:
    n, k = len(mask), int(mask.sum())
    return {
        "n": n,
        "n_flipped": k,
        "flipped_ids": _ids(split, np.flatnonzero(mask)),
        # a model that predicts the rule's label exactly is wrong on every flipped row
        "accuracy_ceiling": (n - k) / n,
    }


@dataclass(frozen=True, slots=True)
class FlipHighVarietyHook:
    """Hook that flips every high-variety row of one split (:class:`FlipHighVariety`)."""

    option: FlipHighVariety

    def __call__(
        self,
        plan: SplitPlan,
        rows: Rows,
        done: Mapping[SplitName, Rows],
        rng: np.random.Generator,
    ) -> tuple[Rows, dict[str, Any] | None]:
        """The split's rows, flipped when it is the option's split, and the flips' record."""
        if plan.split != self.option.split:
            return rows, None
        factor = self.option.factor
        variety = variety_of(rows.shapes if factor == "shape" else rows.colors, factor)
        mask = np.asarray(variety >= self.option.min_variety, dtype=bool)
        return _flip(rows, mask), _flip_effect(plan.split, mask)


@dataclass(frozen=True, slots=True)
class LabelNoiseHook:
    """Hook that flips ``round(rate * n)`` labels of each split named in ``rates``."""

    rates: Mapping[SplitName, float]
    #: the option as the user wrote it, for messages
    written: str

    def __call__(
        self,
        plan: SplitPlan,
        rows: Rows,
        done: Mapping[SplitName, Rows],
        rng: np.random.Generator,
    ) -> tuple[Rows, dict[str, Any] | None]:
        """The split's rows with its share of labels flipped, and the flips' record."""
        rate = self.rates.get(plan.split)
        if rate is None:
            return rows, None
        n = len(rows.labels)
        k = round(rate * n)
        # never re-flip a row another pitfall flipped: flipping it back would silently undo
        # that pitfall and make both ground-truth records wrong
        free = ~_flipped(rows)
        if k > int(free.sum()):
            raise DataError(
                f"spr(label_noise={self.written}): the {plan.split} split has {n} rows, and "
                f"flip_high_variety already flipped {n - int(free.sum())} of them, so "
                f"round({rate} * {n}) = {k} further flips do not fit on distinct rows. Lower "
                f"the {plan.split} rate to at most {int(free.sum()) / n:.2f}, or raise "
                "flip_high_variety's min_variety.",
                slug="spr-pitfall",
            )
        # flip half of the k rows from each class (the odd one from class 0), so the noise is
        # symmetric and the split stays balanced; a class short of free rows gives its share
        # to the other
        pools = [rng.permutation(np.flatnonzero(free & (rows.labels == c))) for c in (0, 1)]
        take0 = min((k + 1) // 2, len(pools[0]))
        take1 = min(k - take0, len(pools[1]))
        take0 = k - take1
        mask = np.zeros(n, dtype=bool)
        mask[pools[0][:take0]] = True
        mask[pools[1][:take1]] = True
        return _flip(rows, mask), {"rate": rate, **_flip_effect(plan.split, mask)}


def _pad(rows: Rows, width: int) -> Rows:
    """``rows`` with code arrays padded (with -1) to ``width`` columns."""
    extra = width - rows.shapes.shape[1]
    if extra <= 0:
        return rows
    pad = np.full((rows.shapes.shape[0], extra), -1, dtype=np.int8)
    return replace(
        rows,
        shapes=np.concatenate([rows.shapes, pad], axis=1),
        colors=np.concatenate([rows.colors, pad], axis=1),
    )


def plant_leak(
    leak: Leak, rows: Mapping[SplitName, Rows], rng: np.random.Generator
) -> tuple[Rows, dict[str, Any]]:
    """Copy ``round(fraction * n_test)`` test rows over train rows; the new train rows."""
    n_test = len(rows["test"].labels)
    k = round(leak.fraction * n_test)
    # a shifted split may be wider (longer sequences) than train
    width = max(rows["train"].shapes.shape[1], rows["test"].shapes.shape[1])
    train, test = _pad(rows["train"], width), _pad(rows["test"], width)
    train_flipped, test_flipped = _flipped(train), _flipped(test)
    n_free = int((~train_flipped).sum())
    if k > n_free:
        raise DataError(
            f"spr(leak={leak!r}): the train split has only {n_free} rows whose labels no "
            f"pitfall flipped, fewer than the {k} test rows to copy; leaked rows replace only "
            "such rows, so the flip records stay exact. Lower the fraction, or flip fewer "
            "train labels.",
            slug="spr-pitfall",
        )
    picked = np.sort(rng.permutation(n_test)[:k])
    # replace train rows of the same label, so train keeps its balance, and never a row a
    # pitfall flipped; only when a label runs out does a row of the other label go
    pools = [
        rng.permutation(np.flatnonzero(~train_flipped & (train.labels == c))).tolist()
        for c in (0, 1)
    ]
    targets: list[int] = []
    other_label = 0
    for label in test.labels[picked].tolist():
        if not pools[label]:
            other_label += 1
        targets.append((pools[label] or pools[1 - label]).pop())
    target = np.asarray(targets, dtype=np.int64)

    def copy(into: NDArray[Any], source: NDArray[Any]) -> NDArray[Any]:
        out = into.copy()
        out[target] = source[picked]
        return out

    no_change = np.zeros(len(train.labels), dtype=bool)
    new_train = Rows(
        shapes=copy(train.shapes, test.shapes),
        colors=copy(train.colors, test.colors),
        lengths=copy(train.lengths, test.lengths),
        labels=copy(train.labels, test.labels),
        changed=copy(
            train.changed if train.changed is not None else no_change,
            test.changed if test.changed is not None else np.zeros(n_test, dtype=bool),
        ),
        flipped=copy(train_flipped, test_flipped),
    )
    pairs = [
        [f"spr_train_{i}", f"spr_test_{j}"]
        for i, j in zip(target.tolist(), picked.tolist(), strict=True)
    ]
    record = {
        "kind": "leak",
        **leak.as_dict(),
        "n_duplicates": k,
        "pairs": pairs,
        # leaked rows carry the test label as published, flipped ones included
        "n_flipped_labels": int(test_flipped[picked].sum()),
        "n_replaced_other_label": other_label,
        "train_label_rate": float(new_train.labels.mean()),
    }
    return new_train, record


def _cue(part: Rows, shortcut: Shortcut) -> NDArray[np.int8]:
    """The cue token's code in each row of ``part``."""
    codes = part.shapes if shortcut.factor == "shape" else part.colors
    column = position_index(part.lengths, shortcut.position)
    return np.asarray(codes[np.arange(len(column)), column], dtype=np.int8)


def shortcut_record(shortcut: Shortcut, rows: Mapping[SplitName, Rows]) -> dict[str, Any]:
    """The ground truth of a planted shortcut: its options, agreement and changed rows."""
    symbols = np.asarray([index_of(s, shortcut.factor) for s in shortcut.symbol_by_label])
    agreement: dict[str, float] = {}
    changed: dict[str, int] = {}
    for split in SPLITS:
        part = rows[split]
        agreement[split] = float((_cue(part, shortcut) == symbols[part.labels]).mean())
        changed[split] = int(part.changed.sum()) if part.changed is not None else 0
    return {
        "kind": "shortcut",
        **shortcut.as_dict(),
        # fraction of rows whose cue is the symbol of their (published) label
        "agreement": agreement,
        # rows whose drawn token the shortcut had to change
        "n_changed": changed,
    }


def _statistic(part: Rows, by: ShiftBy) -> NDArray[np.int64]:
    if by == "length":
        return np.asarray(part.lengths, dtype=np.int64)
    if by == "shape_variety":
        return variety_of(part.shapes, "shape")
    return variety_of(part.colors, "color")


def shift_record(
    shift: Shift, rows: Mapping[SplitName, Rows], length: tuple[int, int]
) -> dict[str, Any]:
    """The ground truth of a planted shift: its options and each split's statistic."""
    lo, hi = shift.range
    in_range: dict[str, float] = {}
    mean: dict[str, float] = {}
    for split in SPLITS:
        values = _statistic(rows[split], shift.by)
        in_range[split] = float(((values >= lo) & (values <= hi)).mean())
        mean[split] = float(values.mean())
    return {
        "kind": "shift",
        **shift.as_dict(),
        "default_length": list(length),
        # fraction of each split's rows whose statistic lies in the range (1.0 in the split)
        "in_range": in_range,
        "mean": mean,
    }


# --------------------------------------------------------------------------- public entry
