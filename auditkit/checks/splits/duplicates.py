"""AK203 ``duplicates``: test rows copied from train or dev, and the gain on unseen rows."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from auditkit.checks import AssessContext, CheckBase, pts, register
from auditkit.checks.splits._common import (
    FAMILY,
    _is_int,
    _is_number,
    _p,
    _pct,
)
from auditkit.metrics import compute_metrics
from auditkit.stats import GainClass, gain_interaction_test
from auditkit.types import (
    DATA_KINDS,
    ArraySplit,
    Finding,
    SplitName,
    TokenSplit,
)

#: the largest ``max_hamming``: keys per row grow as C(length, k)
MAX_HAMMING = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateScan:
    """Rows of a query split that also occur, exactly or nearly, in a reference split."""

    #: (query index, reference index) of every query row equal to a reference row
    exact: tuple[tuple[int, int], ...]
    #: (query index, reference index, Hamming distance) of query rows with no exact copy
    #: but a same-length reference row differing in 1 .. max_hamming positions
    near: tuple[tuple[int, int, int], ...]
    #: query rows with an exact copy whose reference label differs
    conflicting: int


def _wildcard_keys(tokens: tuple[str, ...], k: int) -> list[tuple[int, tuple[str | None, ...]]]:
    """Every way of blanking ``k`` positions of ``tokens``, tagged with the length.

    Two same-length sequences at Hamming distance <= k share at least one key (blank the
    positions where they differ), so a hash lookup replaces the all-pairs comparison.
    """
    n = len(tokens)
    out = []
    for blank in itertools.combinations(range(n), min(k, n)):
        key: list[str | None] = list(tokens)
        for i in blank:
            key[i] = None
        out.append((n, tuple(key)))
    return out


def find_duplicates(
    reference: TokenSplit, query: TokenSplit, *, max_hamming: int = 1
) -> DuplicateScan:
    """Find query rows that duplicate (or nearly duplicate) a reference row.

    Parameters
    ----------
    reference
        The split a model learnt from (train, or dev).
    query
        The split it is judged on (test).
    max_hamming
        Near duplicates have the same length and differ in at most this many token
        positions (1 to 3).

    Returns
    -------
    DuplicateScan

    Examples
    --------
    >>> from auditkit.types import TokenSplit
    >>> train = TokenSplit(ids=("a", "b"), sequences=("▲r ■g", "●b ●b ◆y"), labels=(0, 1))
    >>> test = TokenSplit(ids=("c", "d"), sequences=("▲r ■g", "●b ■b ◆y"), labels=(1, 1))
    >>> scan = find_duplicates(train, test)
    >>> scan.exact, scan.near, scan.conflicting
    (((0, 0),), ((1, 1, 1),), 1)
    """
    if not _is_int(max_hamming) or not 1 <= max_hamming <= MAX_HAMMING:
        raise ValueError(f"max_hamming={max_hamming!r} must be an integer from 1 to {MAX_HAMMING}")
    keys: dict[tuple[int, tuple[str | None, ...]], int] = {}
    split_ref = [tuple(s.split()) for s in reference.sequences]
    for i, tokens in enumerate(split_ref):
        for key in _wildcard_keys(tokens, max_hamming):
            keys.setdefault(key, i)

    def nearest(q: int) -> tuple[int, int] | None:
        tokens = tuple(query.sequences[q].split())
        best: tuple[int, int] | None = None
        for key in _wildcard_keys(tokens, max_hamming):
            r = keys.get(key)
            if r is None:
                continue
            distance = sum(a != b for a, b in zip(tokens, split_ref[r], strict=True))
            if best is None or distance < best[1]:
                best = (r, distance)
        return best

    return _scan_rows(reference.sequences, reference.labels, query.sequences, query.labels, nearest)


def _scan_rows(
    reference_keys: Sequence[Hashable],
    reference_labels: Sequence[int] | np.ndarray,
    query_keys: Sequence[Hashable],
    query_labels: Sequence[int] | np.ndarray,
    nearest: Callable[[int], tuple[int, int] | None],
) -> DuplicateScan:
    """Exact copies by key, and for the other query rows the nearest reference row.

    Token and array splits differ only in their keys and in what "near" means
    (``nearest(q)`` gives the reference row and the distance, or None); the scan is this
    one function.
    """
    first_row: dict[Hashable, int] = {}
    for i, key in enumerate(reference_keys):
        first_row.setdefault(key, i)
    exact: list[tuple[int, int]] = []
    near: list[tuple[int, int, int]] = []
    conflicting = 0
    for q, key in enumerate(query_keys):
        hit = first_row.get(key)
        if hit is not None:
            exact.append((q, hit))
            conflicting += int(reference_labels[hit] != query_labels[q])
            continue
        found = nearest(q)
        if found is not None:
            near.append((q, *found))
    return DuplicateScan(exact=tuple(exact), near=tuple(near), conflicting=conflicting)


def chance_match_rate(reference: TokenSplit, query: TokenSplit, *, max_hamming: int = 0) -> float:
    """Expected fraction of query rows within ``max_hamming`` of some reference row by chance.

    The model of chance draws every token independently from the pooled token frequencies
    f (so two tokens agree with probability q = sum f²), and compares each query row with
    the reference rows of its length: P(distance <= k) = sum_{j <= k} C(L, j) q^(L-j)
    (1-q)^j per pair, and 1 - (1 - P)^n_L for at least one of n_L rows. In a small
    sequence space (SPR_BENCH's shape-only tasks: 4^8 sequences) chance alone puts
    copies of test rows into train.

    Parameters
    ----------
    reference, query
        The two splits.
    max_hamming
        0 for exact duplicates.

    Returns
    -------
    float
        A rate from 0 to 1; 0 for an empty query split.
    """
    counts: dict[str, int] = {}
    for sequence in (*reference.sequences, *query.sequences):
        for token in sequence.split():
            counts[token] = counts.get(token, 0) + 1
    total = sum(counts.values())
    if not query.sequences or total == 0:
        return 0.0
    q = sum((c / total) ** 2 for c in counts.values())
    by_length: dict[int, int] = {}
    for sequence in reference.sequences:
        n = len(sequence.split())
        by_length[n] = by_length.get(n, 0) + 1
    rates = []
    for sequence in query.sequences:
        length = len(sequence.split())
        pair = sum(
            math.comb(length, j) * q ** (length - j) * (1 - q) ** j
            for j in range(min(max_hamming, length) + 1)
        )
        rates.append(1 - (1 - min(pair, 1.0)) ** by_length.get(length, 0))
    return float(np.mean(rates))


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicatesParams:
    """Parameters of ``duplicates``."""

    #: near duplicates differ in at most this many token positions (1 to 3)
    max_hamming: int = 1
    #: share of test rows that may have an exact copy (or, above chance, a near copy)
    max_fraction: float = 0.01

    def __post_init__(self) -> None:
        if not _is_int(self.max_hamming) or not 1 <= self.max_hamming <= MAX_HAMMING:
            raise ValueError(
                f"max_hamming={self.max_hamming!r} must be an integer from 1 to {MAX_HAMMING} "
                "(each row is looked up under C(length, max_hamming) keys)"
            )
        if not _is_number(self.max_fraction) or not 0.0 <= self.max_fraction < 1.0:
            raise ValueError(
                f"max_fraction={self.max_fraction!r} must be a number from 0 (no duplicate "
                "allowed) to below 1, e.g. 0.01"
            )


def _row_keys(x: np.ndarray, decimals: int | None) -> list[bytes]:
    """One hashable key per row of ``x`` (shape (n, ...)): its bytes, rounded if asked."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    if decimals is not None:
        flat = np.round(flat, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return [row.tobytes() for row in flat]


def find_array_duplicates(
    reference: ArraySplit, query: ArraySplit, *, decimals: int = 2
) -> DuplicateScan:
    """Find query rows (images or feature vectors) equal, or nearly equal, to a reference row.

    Exact copies have identical values; near copies are equal once every value is
    rounded to ``decimals`` decimal places (pixels in [0, 1] to 0.01, say), which
    catches re-encoded or slightly noised copies without an all-pairs distance.

    Parameters
    ----------
    reference, query
        The splits, inputs of shape (n, ...).
    decimals
        Rounding of the near-copy comparison.

    Returns
    -------
    DuplicateScan
        ``near`` entries carry distance 1 (rounded equality).
    """
    near_of: dict[bytes, int] = {}
    for i, key in enumerate(_row_keys(reference.inputs, decimals)):
        near_of.setdefault(key, i)
    rounded = _row_keys(query.inputs, decimals)

    def nearest(q: int) -> tuple[int, int] | None:
        close = near_of.get(rounded[q])
        return None if close is None else (close, 1)

    return _scan_rows(
        _row_keys(reference.inputs, None),
        reference.labels,
        _row_keys(query.inputs, None),
        query.labels,
        nearest,
    )


@register("duplicates", params=DuplicatesParams, kinds=DATA_KINDS, family=FAMILY)
class Duplicates(CheckBase):
    """Scan for test rows that also occur, exactly or nearly, in train or dev."""

    def assess(self, ctx: AssessContext, params: DuplicatesParams) -> Finding:
        """Exact copies above ``max_fraction`` fail and invalidate every claim's evidence.

        Near copies warn when their share exceeds what chance gives by more than
        ``max_fraction``: in a small sequence space near neighbours are common.
        """
        test = ctx.data.test
        n = len(test)
        evidence: dict[str, str] = {}
        leaks: list[str] = []
        near_notes: list[str] = []
        seen: set[int] = set()  # test rows that are copies or near copies of train or dev
        near_what = (
            f"within {params.max_hamming} token(s)"
            if isinstance(test, TokenSplit)
            else "equal to 2 decimal places"
        )
        for name in ("train", "dev"):
            self._scan(ctx, params, name, evidence, leaks, near_notes, seen)
        text = "; ".join(leaks + near_notes)
        # decide from the effect: does each claim's conclusion hold on the rows never seen?
        effects = _unseen_row_gains(ctx, seen) if text else {}
        for index, effect in effects.items():
            evidence[f"{ctx.claims[index].label}, gain on unseen test rows"] = (
                f"{_gain_text(effect.full)} on all {n} test rows; {_gain_text(effect.unseen)} on "
                f"the {effect.n_unseen} rows that are neither copies nor near copies"
                + (
                    f"; {pts(effect.memory)} more on the copies, one-sided {_p(effect.p_memory)}"
                    if effect.memory is not None and effect.p_memory is not None
                    else ""
                )
            )
        broken = {
            i: (
                f"the gain {_gain_text(e.full)} on all {n} test rows does not hold on the "
                f"{e.n_unseen} rows that are neither copies nor near copies "
                f"({_gain_text(e.unseen)}), and is {pts(e.memory or 0.0)} larger on the copies"
            )
            for i, e in effects.items()
            if e.rests_on_copies(ctx.alpha)
        }
        if broken:
            return Finding(
                outcome="fail",
                reason=f"{text}, and {'; '.join(broken.values())}, so the gain measures memory "
                "of seen rows.",
                evidence=evidence,
                invalid={i: (f"test leakage: {text}; {why}",) for i, why in broken.items()},
            )
        if effects:
            unseen = n - len(seen)
            return Finding(
                outcome="fail" if leaks else "warn",
                reason=f"{text}; no claim's conclusion rests on them: every gain that holds on "
                f"the whole test split holds on the {unseen} test rows that are neither copies "
                "nor near copies, or is no larger on the copies (both gains are in the evidence).",
                evidence=evidence,
            )
        if leaks:
            return Finding(
                outcome="fail",
                reason=f"{text}, above the {_pct(params.max_fraction)} allowed, so the test "
                "score partly measures memory of seen rows.",
                evidence=evidence,
                invalid=dict.fromkeys(range(len(ctx.claims)), (f"test leakage: {text}",)),
            )
        if near_notes:
            return Finding(
                outcome="warn",
                reason=f"{'; '.join(near_notes)}, so part of the test split is nearly seen "
                "in training.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"no more than {_pct(params.max_fraction)} of the {n} test rows occur in "
            f"train or dev, and near copies ({near_what}) are no more common than chance.",
            evidence=evidence,
        )

    @staticmethod
    def _scan(
        ctx: AssessContext,
        params: DuplicatesParams,
        name: SplitName,
        evidence: dict[str, str],
        leaks: list[str],
        near_notes: list[str],
        seen: set[int],
    ) -> None:
        """Scan test against one reference split; add what it finds to the lists given.

        ``leaks`` gets exact copies beyond chance, ``near_notes`` copies near chance and
        near copies beyond it, ``seen`` the test rows that are copies or near copies.
        """
        test = ctx.data.test
        n = len(test)
        tokens = isinstance(test, TokenSplit)
        near_what = (
            f"within {params.max_hamming} token(s)" if tokens else "equal to 2 decimal places"
        )
        reference = ctx.data.split(name)
        if isinstance(reference, TokenSplit) and isinstance(test, TokenSplit):
            scan = find_duplicates(reference, test, max_hamming=params.max_hamming)
            chance_exact = chance_match_rate(reference, test, max_hamming=0)
            chance_near = (
                chance_match_rate(reference, test, max_hamming=params.max_hamming) - chance_exact
            )
        else:
            assert isinstance(reference, ArraySplit) and isinstance(test, ArraySplit)
            # continuous inputs do not coincide by chance; a copy is a copy
            scan = find_array_duplicates(reference, test)
            chance_exact = chance_near = 0.0
        exact_rate = len(scan.exact) / n if n else 0.0
        near_rate = len(scan.near) / n if n else 0.0
        seen.update(q for q, _ in scan.exact)
        seen.update(q for q, _, _ in scan.near)
        examples = ", ".join(f"{test.ids[q]}={reference.ids[r]}" for q, r in scan.exact[:3])
        evidence[f"{name} ∩ test, exact"] = (
            f"{len(scan.exact)} of {n} test rows ({_pct(exact_rate)}); about "
            f"{_pct(chance_exact)} expected by chance"
            + (f"; {scan.conflicting} with a different label" if scan.conflicting else "")
            + (f"; e.g. {examples}" if examples else "")
        )
        evidence[f"{name} ∩ test, {near_what}"] = (
            f"{len(scan.near)} more test rows ({_pct(near_rate)}); about "
            f"{_pct(max(chance_near, 0.0))} expected by chance"
        )
        if scan.exact and exact_rate > max(
            params.max_fraction, chance_exact + params.max_fraction, 2.0 * chance_exact
        ):
            leaks.append(
                f"{len(scan.exact)} of {n} test rows ({_pct(exact_rate)}) also appear in "
                f"{name}, against about {_pct(chance_exact)} by chance"
            )
        elif scan.exact and exact_rate > params.max_fraction:
            # in a small sequence space copies happen by chance: not leakage by count
            near_notes.append(
                f"{len(scan.exact)} of {n} test rows ({_pct(exact_rate)}) also appear in "
                f"{name}, close to the {_pct(chance_exact)} that chance gives"
            )
        if near_rate - max(chance_near, 0.0) > params.max_fraction:
            how = (
                f"differ from a {name} row in at most {params.max_hamming} token(s)"
                if tokens
                else f"equal a {name} row to 2 decimal places"
            )
            near_notes.append(
                f"{len(scan.near)} of {n} test rows ({_pct(near_rate)}) {how}, against "
                f"about {_pct(max(chance_near, 0.0))} by chance"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnseenRowGain:
    """A claim's gain on the whole test split and on the test rows never seen in training."""

    #: the gain on every test row (the nominal gain)
    full: GainClass
    #: the gain on the rows that are neither copies nor near copies of train or dev rows
    unseen: GainClass
    #: number of such rows
    n_unseen: int
    #: mean over seeds of (gain on the copies − gain on the unseen rows); None without copies
    memory: float | None
    #: one-sided paired-by-seed p that the gain is larger on the copies
    p_memory: float | None

    def rests_on_copies(self, alpha: float) -> bool:
        """The gain holds on every row, not on the unseen ones, and is larger on the copies."""
        return (
            self.full.status == "holds"
            and self.unseen.status != "holds"
            and self.p_memory is not None
            and self.p_memory < alpha
        )


def _gain_text(found: GainClass) -> str:
    """'+4.10 pts (95% CI +2.00 to +6.20)' or 'not estimable'."""
    if found.mean is None or found.low is None or found.high is None:
        return "not estimable"
    return f"{pts(found.mean)} (CI {pts(found.low)} to {pts(found.high)})"


def _unseen_row_gains(ctx: AssessContext, seen: set[int]) -> dict[int, UnseenRowGain]:
    """Each claim's gain on the test rows never seen in training, from stored predictions.

    ``seen`` holds the indices of test rows that are copies or near copies. A copy makes a
    gain only if the gain is larger on the copies than on the unseen rows of the same seed,
    so that difference is tested too (one-sided, paired by seed). Claims whose runs stored
    no whole-split predictions, and cross-validated designs (each seed scores another
    fold), are left out.

    Returns
    -------
    dict
        Claim index -> UnseenRowGain.
    """
    test = ctx.data.test
    if ctx.design is not None:
        return {}
    n = len(test)
    labels = np.asarray(test.labels, dtype=np.int64)
    sequences = list(test.sequences) if isinstance(test, TokenSplit) else [""] * n
    unseen = np.asarray(sorted(set(range(n)) - seen), dtype=np.int64)
    copies = np.asarray(sorted(seen), dtype=np.int64)

    def score(metric: str, predictions: Sequence[int], rows: np.ndarray) -> float | None:
        if not len(rows):
            return None
        return compute_metrics(
            [metric],
            labels[rows],
            np.asarray(predictions, dtype=np.int64)[rows],
            [sequences[i] for i in rows],
        )[metric]

    out = {}
    for index, claim in enumerate(ctx.claims):
        sign = 1.0 if claim.direction.value == "increase" else -1.0
        on_unseen, on_copies = [], []
        for seed in ctx.seeds:
            base, var = ctx.run(claim.baseline, seed), ctx.run(claim.variant, seed)
            if base is None or var is None or not (base.ok and var.ok):
                continue
            pb, pv = base.test_predictions, var.test_predictions
            if len(pb) != n or len(pv) != n:
                continue
            bu, vu = score(claim.metric, pb, unseen), score(claim.metric, pv, unseen)
            if bu is None or vu is None:
                continue
            on_unseen.append(sign * (vu - bu))
            bc, vc = score(claim.metric, pb, copies), score(claim.metric, pv, copies)
            on_copies.append(None if bc is None or vc is None else sign * (vc - bc))
        if len(on_unseen) < 2:
            continue
        memory = p_memory = None
        pairs = [(c, u) for c, u in zip(on_copies, on_unseen, strict=True) if c is not None]
        if len(pairs) >= 2:
            # the condition is "unseen rows" and the nominal is "copies": a drop is memory
            found = gain_interaction_test([c for c, _ in pairs], [u for _, u in pairs], paired=True)
            memory, p_memory = -found.change, found.p_value
        out[index] = UnseenRowGain(
            full=ctx.classify(ctx.gains(claim)),
            unseen=ctx.classify(on_unseen),
            n_unseen=len(unseen),
            memory=memory,
            p_memory=p_memory,
        )
    return out
