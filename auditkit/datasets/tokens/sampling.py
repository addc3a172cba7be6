"""How :func:`~auditkit.datasets.spr` draws each split: candidates, labels, balance.

Generation runs in four steps, each a seam where a pitfall is planted:

1. **draw** uniformly random candidate sequences (:func:`draw_candidates`, per split, so a
   split can be drawn from a shifted distribution: a ``Shift`` by length);
2. **label** them with the rule (vectorised ``Rule.holds_batch``), then plant a
   ``Shortcut`` into the candidates (a factor the rule never reads, so labels stay);
3. **balance** by rejection sampling, skipping any sequence already used and, for a
   ``Shift`` by variety, any sequence out of range (:func:`_balance`);
4. **assign** the rows to the split, then run the per-split hooks (:data:`SplitHook`:
   ``FlipHighVariety``, then label noise); once every split is done, a ``Leak`` copies test
   rows into train (:mod:`auditkit.datasets.tokens.planting`).

Rows stay code arrays (:mod:`auditkit.datasets.tokens.codes`) until :func:`render` writes
the published sequence strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from auditkit.datasets.tokens.codes import (
    TOKEN_TEXT,
    Factor,
    position_index,
    variety_of,
)
from auditkit.datasets.tokens.grammar import COLORS, SHAPES
from auditkit.datasets.tokens.rules import Rule
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName

__all__ = [
    "Rows",
    "ShortcutPlan",
    "SplitHook",
    "SplitPlan",
    "draw_candidates",
    "generate",
    "leak_stream",
    "render",
]


@dataclass(frozen=True, slots=True)
class ShortcutPlan:
    """A :class:`Shortcut` as the generator applies it to one split."""

    factor: Factor
    position: int
    #: symbol codes for label 0 and label 1
    codes: tuple[int, int]
    strength: float
    #: True in the splits where the cue agrees with the label, False where it is random
    linked: bool


@dataclass(frozen=True, slots=True)
class SplitPlan:
    """How one split's candidates are drawn; one per split so a split can be shifted."""

    split: SplitName
    #: rows wanted
    n: int
    #: inclusive (min, max) number of tokens
    length: tuple[int, int]
    #: probability that a token carries a colour
    p_color: float
    #: the shortcut planted into every candidate, if any
    shortcut: ShortcutPlan | None = None
    #: keep only candidates whose variety of this factor is in [min, max] (a shifted split)
    variety: tuple[Factor, int, int] | None = None


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows of one split as code arrays (see :meth:`Rule.holds_batch` for the encoding)."""

    #: array of shape (n_rows, max_len)
    shapes: NDArray[np.int8]
    #: array of shape (n_rows, max_len)
    colors: NDArray[np.int8]
    #: array of shape (n_rows,)
    lengths: NDArray[np.int64]
    #: array of shape (n_rows,), 0 or 1
    labels: NDArray[np.int64]
    #: array of shape (n_rows,): True where the shortcut changed the drawn token
    changed: NDArray[np.bool_] | None = None
    #: array of shape (n_rows,): True where the label is not the rule's (a planted flip)
    flipped: NDArray[np.bool_] | None = None

    def take(self, keep: NDArray[np.bool_]) -> Rows:
        """The rows where ``keep`` (shape (n_rows,)) is True, in order."""
        return Rows(
            shapes=self.shapes[keep],
            colors=self.colors[keep],
            lengths=self.lengths[keep],
            labels=self.labels[keep],
            changed=None if self.changed is None else self.changed[keep],
            flipped=None if self.flipped is None else self.flipped[keep],
        )


#: A per-split post-processing hook: ``hook(plan, rows, earlier_splits, rng) -> (rows, effect)``.
#:
#: Hooks run after balancing, in split order (train, dev, test), and may read the splits
#: already finished; ``effect`` is the JSON-ready ground truth of what the hook did to this
#: split (None when it left the split alone). Label flips are hooks (high-variety flips,
#: then label noise). Pitfalls that change sequences are planted elsewhere, where the
#: no-duplicates guarantee can still be kept: a shortcut and a variety shift act on the
#: candidates inside :func:`_balance` (through the ``SplitPlan``), a length shift is the
#: plan's ``length``, and train/test duplicates (``planting.plant_leak``) need the finished
#: test split, so they run once every split is done.
SplitHook: TypeAlias = Callable[
    [SplitPlan, Rows, Mapping[SplitName, Rows], np.random.Generator],
    tuple[Rows, dict[str, Any] | None],
]


def draw_candidates(
    plan: SplitPlan, m: int, rng: np.random.Generator
) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int64]]:
    """Draw ``m`` uniformly random sequences: code arrays of shape (m, max_len) and (m,)."""
    lo, hi = plan.length
    lengths = rng.integers(lo, hi + 1, size=m, dtype=np.int64)
    shapes = rng.integers(0, len(SHAPES), size=(m, hi), dtype=np.int8)
    colors = rng.integers(0, len(COLORS), size=(m, hi), dtype=np.int8)
    if plan.p_color < 1.0:
        colors[rng.random((m, hi)) >= plan.p_color] = -1
    past_end = np.arange(hi)[None, :] >= lengths[:, None]
    shapes[past_end] = -1
    colors[past_end] = -1
    return shapes, colors, lengths


def _plant_shortcut(
    shortcut: ShortcutPlan,
    shapes: NDArray[np.int8],
    colors: NDArray[np.int8],
    lengths: NDArray[np.int64],
    labels: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Set the cue token of every candidate in place; True where that changed the token."""
    codes = shapes if shortcut.factor == "shape" else colors
    n = len(lengths)
    if shortcut.linked:
        # rng.random is in [0, 1), so strength 1 always agrees and strength 0 never does
        agree = rng.random(n) < shortcut.strength
        target = np.where(agree, labels, 1 - labels)
    else:
        target = rng.integers(0, 2, size=n)
    new = np.asarray(shortcut.codes, dtype=np.int8)[target]
    rows, column = np.arange(n), position_index(lengths, shortcut.position)
    changed = np.asarray(codes[rows, column] != new, dtype=bool)
    codes[rows, column] = new
    return changed


def _max_draws(n: int) -> int:
    # Bounded rejection sampling: enough for a class rate of about 1% at any size, and far
    # more for small splits; beyond that the rule is too rare for balancing to be sensible.
    return 100_000 + 200 * n


@dataclass(slots=True)
class _Effort:
    """What balancing one split has cost so far: for its record and the too-rare message."""

    draws: int = 0
    positives: int = 0
    repeats: int = 0
    #: candidates that pass the variety filter; without one it equals draws, and every
    #: quantity is then computed exactly as before the filter existed
    eligible: int = 0

    def chunk_size(self, plan: SplitPlan, need: list[int], limit: int) -> int:
        """Candidates to draw next, sized from the label rate seen so far."""
        # Laplace-smoothed, so that a typical split is filled by one or two vectorised chunks
        rate = (self.positives + 1) / (self.eligible + 2)
        want = need[0] / (1 - rate) + need[1] / rate
        if plan.variety is not None:
            # only a fraction of the candidates pass the filter: draw proportionally more
            want *= (self.draws + 2) / (self.eligible + 1)
        return int(min(limit - self.draws, max(256, 1.25 * want + 64)))

    def record(self, plan: SplitPlan) -> dict[str, Any]:
        """The sampling record of the split, JSON-ready."""
        if plan.variety is None:
            return {"draws": self.draws, "candidate_label_rate": self.positives / self.draws}
        return {
            "draws": self.draws,
            "eligible": self.eligible,
            "candidate_label_rate": self.positives / max(self.eligible, 1),
        }


def _balance(
    rule: Rule,
    plan: SplitPlan,
    rng: np.random.Generator,
    seen: set[bytes],
) -> tuple[Rows, dict[str, Any]]:
    """Rejection-sample ``plan.n`` distinct rows, ``ceil(n/2)`` of class 0 and the rest 1.

    ``seen`` holds the byte keys of every sequence already used by any split; it is
    updated in place, which is what keeps splits free of duplicates. A shortcut is planted
    into the candidates and a variety shift filters them *before* the duplicate check, so
    the guarantee holds for the sequences as published.
    """
    need = [(plan.n + 1) // 2, plan.n // 2]
    kept: list[Rows] = []
    effort = _Effort()
    limit = _max_draws(plan.n)
    while need[0] or need[1]:
        if effort.draws >= limit:
            raise _too_rare(
                rule, plan, effort.draws, effort.positives, effort.repeats, need, effort.eligible
            )
        m = effort.chunk_size(plan, need, limit)
        chunk = _labelled_candidates(rule, plan, m, rng)
        effort.draws += m
        passes = _eligible(plan, chunk, effort)
        kept.append(chunk.take(_keep_new(chunk, plan, passes, need, seen, effort)))
    # rows arrive in draw order, with the tail all of the class filled last; shuffle so the
    # split's order carries no information about the label
    order = rng.permutation(plan.n)
    rows = Rows(
        shapes=np.concatenate([k.shapes for k in kept])[order],
        colors=np.concatenate([k.colors for k in kept])[order],
        lengths=np.concatenate([k.lengths for k in kept])[order],
        labels=np.concatenate([k.labels for k in kept])[order],
        # every candidate chunk records which tokens its shortcut changed (none without one)
        changed=np.concatenate([k.changed for k in kept if k.changed is not None])[order],
    )
    return rows, effort.record(plan)


def _labelled_candidates(rule: Rule, plan: SplitPlan, m: int, rng: np.random.Generator) -> Rows:
    """``m`` candidates labelled by ``rule``, with the plan's shortcut planted."""
    shapes, colors, lengths = draw_candidates(plan, m, rng)
    labels = rule.holds_batch(shapes, colors, lengths).astype(np.int64)
    if plan.shortcut is None:
        changed = np.zeros(m, dtype=bool)
    else:
        changed = _plant_shortcut(plan.shortcut, shapes, colors, lengths, labels, rng)
        # the rule never reads the cue's factor (checked in spr), so this cannot fire
        # unless a custom predicate under-declares its factors; then say so
        if not np.array_equal(rule.holds_batch(shapes, colors, lengths), labels):
            raise _shortcut_changed_labels(rule, plan.shortcut)
    return Rows(shapes=shapes, colors=colors, lengths=lengths, labels=labels, changed=changed)


def _eligible(plan: SplitPlan, chunk: Rows, effort: _Effort) -> list[bool] | None:
    """Per candidate, whether it passes the plan's variety filter (None: no filter)."""
    if plan.variety is None:
        effort.eligible += len(chunk.labels)
        effort.positives += int(chunk.labels.sum())
        return None
    factor, lo, hi = plan.variety
    variety = variety_of(chunk.shapes if factor == "shape" else chunk.colors, factor)
    mask = (variety >= lo) & (variety <= hi)
    effort.eligible += int(mask.sum())
    effort.positives += int(chunk.labels[mask].sum())
    return list(mask.tolist())


def _keep_new(
    chunk: Rows,
    plan: SplitPlan,
    passes: list[bool] | None,
    need: list[int],
    seen: set[bytes],
    effort: _Effort,
) -> NDArray[np.bool_]:
    """Which candidates to keep, shape (m,): eligible, of a class still short, and unseen.

    ``need``, ``seen`` and ``effort.repeats`` are updated in place.
    """
    width = plan.length[1]
    # one byte per token: shape * 5 + colour + 1 (< 20), so equal keys = equal sequences
    codes = (chunk.shapes.astype(np.int16) * 5 + chunk.colors + 1).astype(np.uint8).tobytes()
    keep = np.zeros(len(chunk.labels), dtype=bool)
    labels, lengths = chunk.labels.tolist(), chunk.lengths.tolist()
    for i, (label, length) in enumerate(zip(labels, lengths, strict=True)):
        if not need[label] or (passes is not None and not passes[i]):
            continue
        key = codes[i * width : i * width + length]
        if key in seen:
            effort.repeats += 1
            continue
        seen.add(key)
        keep[i] = True
        need[label] -= 1
        if not (need[0] or need[1]):
            break
    return keep


def _shortcut_changed_labels(rule: Rule, shortcut: ShortcutPlan) -> DataError:
    return DataError(
        f"spr(rule={rule.name!r}, shortcut=...): planting the {shortcut.factor} cue at "
        f"position {shortcut.position} changed rule labels, although the rule declares that "
        f"it reads only {sorted(rule.factors)}. A predicate reads a factor it does not "
        "declare, so the shortcut would corrupt the labels. Declare the factor in the "
        "predicate's factors, or put the shortcut on a factor the rule truly ignores.",
        slug="spr-pitfall",
    )


def _too_rare(
    rule: Rule,
    plan: SplitPlan,
    draws: int,
    positives: int,
    repeats: int,
    need: list[int],
    eligible: int | None = None,
) -> DataError:
    wanted = [(plan.n + 1) // 2, plan.n // 2]
    found = ", ".join(f"{wanted[c] - need[c]} of {wanted[c]} label-{c} rows" for c in (0, 1))
    if need[1] and not need[0]:
        change = "a rule that holds more often (e.g. lower a count threshold)"
    elif need[0] and not need[1]:
        change = "a rule that holds less often (e.g. add a predicate)"
    else:
        change = "a rule whose label-1 rate is further from 0% and 100%"
    filtered = ""
    pool, of = draws, "candidates"
    if plan.variety is not None and eligible is not None:
        factor, lo, hi = plan.variety
        filtered = (
            f"Only {eligible} of them had a {factor} variety from {lo} to {hi}, as the shift "
            f"of the {plan.split} split requires. "
        )
        # the filter, not the rule, is then the usual culprit: suggest widening it first
        change = f"a wider range for the shift, or {change}"
        pool, of = max(eligible, 1), "those"
    return DataError(
        f"spr(rule={rule.name!r}): could not fill the {plan.split} split with {plan.n} "
        f"balanced, distinct rows: after {draws} uniformly random candidates (the limit) it "
        f"found {found}. {filtered}The rule ({rule.describe()}) labels {positives / pool:.2%} "
        f"of {of} 1, and {repeats} candidates repeated a sequence already used. Balanced "
        "splits need both classes to be reasonably common (about 1% or more) among random "
        f"sequences, and enough distinct sequences to draw from. Choose {change}, change "
        f"length={plan.length!r} or p_color={plan.p_color!r}, or ask for fewer rows "
        f"(n_{plan.split}=...).",
        slug="spr-rule-too-rare",
    )


def render(rows: Rows) -> tuple[str, ...]:
    """Sequence strings of ``rows``: tokens joined by single spaces."""
    codes = (rows.shapes.astype(np.int16) * 5 + rows.colors + 1).tolist()
    return tuple(
        " ".join([TOKEN_TEXT[c] for c in row[:length]])
        for row, length in zip(codes, rows.lengths.tolist(), strict=True)
    )


def generate(
    rule: Rule,
    plans: Sequence[SplitPlan],
    seed: int,
    hooks: Sequence[SplitHook] = (),
) -> tuple[dict[SplitName, Rows], dict[str, Any], list[dict[SplitName, dict[str, Any]]]]:
    """Draw, label, balance and assign every split, then apply ``hooks`` to each.

    Returns the rows of each split, the sampling effort per split, and per hook the
    effects it reported per split.
    """
    # one independent child stream per split: changing n_train does not re-draw the test
    # split's candidates (only the few that collide with train rows change)
    streams = np.random.default_rng(seed).spawn(len(plans))
    seen: set[bytes] = set()
    done: dict[SplitName, Rows] = {}
    sampling: dict[str, Any] = {}
    effects: list[dict[SplitName, dict[str, Any]]] = [{} for _ in hooks]
    for plan, rng in zip(plans, streams, strict=True):
        rows, sampling[plan.split] = _balance(rule, plan, rng, seen)
        for hook, record in zip(hooks, effects, strict=True):
            rows, effect = hook(plan, rows, dict(done), rng)
            if effect is not None:
                record[plan.split] = effect
        done[plan.split] = rows
    return done, sampling, effects


def leak_stream(seed: int) -> np.random.Generator:
    """The random stream of a planted leak: the fourth child of ``seed``."""
    # SeedSequence children are numbered, so the three split streams are exactly those
    # generate uses and the leak draws disturb none of them
    return np.random.default_rng(seed).spawn(len(SPLITS) + 1)[-1]
