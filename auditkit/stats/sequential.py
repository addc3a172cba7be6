"""Group-sequential paired t design: when an adaptive audit may stop adding seeds.

The design (see docs/adaptive-seeds.md for the reasoning and references):

* Looks at planned seed counts ``n_1 = min_seeds < n_2 < ... <= max_seeds`` fixed before any
  data is seen (``SequentialDesign.looks``); the information fraction at a look is
  ``t = n / max_seeds``.
* Each one-sided test is a Lan–DeMets alpha-spending test (Lan & DeMets 1983; Pocock type
  by default, docs/adaptive-seeds.md says why): the boundaries ``c_1..c_k`` on the z scale
  spend ``α(t_k)`` in total by look k, computed by the recursive numerical integration of
  Armitage, McPherson & Rowe (1969) as in Jennison & Turnbull (2000, ch. 19) for a known
  variance (``spending_boundaries``). The per-seed variance is unknown, and turning those z
  boundaries into per-look p thresholds (the "significance level approach", Jennison &
  Turnbull 2000, §11.3) overshoots the level with 2 to 19 degrees of freedom (0.026 for
  0.025). The audit's thresholds (``t_levels``) are instead calibrated on the t-process
  itself: under no gain the joint law of the looks' t statistics does not depend on the
  seed sd, so one fixed-seed simulation per design gives per-look p thresholds under which
  the t statistics cross by look j with probability ``α(t_j)`` (Jennison & Turnbull 1991
  compute the same exactly, ch. 14 of the 2000 book). Both kinds of boundary are computed
  in :mod:`auditkit.stats.boundaries`.
* Repeated confidence intervals (Jennison & Turnbull 1989; 2000, ch. 9) built from the same
  boundaries cover the true gain at every look simultaneously, so the verdict rules read
  them exactly as a fixed design reads its t-interval: improvement when the interval at
  ``confidence`` lies above 0, worse when below, equivalence (TOST) when the ``1 - 2·alpha``
  interval lies inside ``±rope``.
* The sequential p-value of a claim is the smallest level at which its spending test would
  have rejected at some look so far. It is a valid p-value under any stopping rule, so Holm
  across claims holds at the end (Ye, Li, Liu & Yao 2013; Maurer & Bretz 2013).
* Futility (non-binding, so it costs no error control): stop when the conditional power
  under the current trend (Lan, Simon & Halperin 1982) to reach the final boundary is below
  ``futility``.

``sequential_decisions`` is the one place that decides when a claim stops; the audit, the
resume path and ``compare --seeds auto`` all replay it on the runs in seed order, and
``simulate`` is its vectorised twin for calibration and the benchmark.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as _st

from auditkit.stats._random import RandomState, as_generator
from auditkit.stats._validation import check_confidence, check_probability
from auditkit.stats.boundaries import (
    Spending,
    nominal_levels,
    rejecting_levels,
    spending_boundaries,
    t_sf,
    t_thresholds,
)
from auditkit.stats.correction import holm

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_FUTILITY",
    "DEFAULT_MAX_SEEDS",
    "DEFAULT_MIN_SEEDS",
    "ClaimStop",
    "SequentialDesign",
    "SequentialLook",
    "Simulation",
    "Spending",
    "StopReason",
    "nominal_levels",
    "parse_seed_range",
    "sequential_decisions",
    "simulate",
    "spending_boundaries",
    "t_levels",
    "trajectory",
]

#: seeds per arm at the first look of ``--seeds auto``
DEFAULT_MIN_SEEDS = 3
#: seeds per arm at the last look of ``--seeds auto``
DEFAULT_MAX_SEEDS = 20
#: seeds per arm added between looks
DEFAULT_BATCH = 2
#: conditional power below which a claim stops for futility
DEFAULT_FUTILITY = 0.1

#: p-values are clipped to this distance from 0 and 1 before turning them into z-scores
_P_EPS = 1e-15


class StopReason(enum.Enum):
    """Why a claim stopped taking seeds."""

    #: the repeated interval lies above 0 and the Holm-adjusted sequential p is below alpha
    IMPROVEMENT = "improvement shown"
    #: the repeated interval lies below 0
    WORSE = "the variant is worse"
    #: the repeated 1 - 2·alpha interval lies inside ±rope
    EQUIVALENCE = "equivalence shown"
    #: the conditional power to show an improvement by the last look is below ``futility``
    FUTILITY = "futility, the gain cannot reach significance by the last look"
    #: every seed gave the same gain: more seeds add copies, not evidence
    NO_SPREAD = "no spread between seeds"
    #: ``max_seeds`` reached without a decision
    MAX_SEEDS = "undecided"
    #: the runs ran out (failed runs, a budget) before any rule stopped the claim
    NO_MORE_RUNS = "undecided, no more successful runs"

    @property
    def decided(self) -> bool:
        """True when the claim stopped because a question was answered."""
        return self in (
            StopReason.IMPROVEMENT,
            StopReason.WORSE,
            StopReason.EQUIVALENCE,
            StopReason.FUTILITY,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialDesign:
    """The settings of a group-sequential paired design, fixed before the first seed."""

    #: seeds per arm at the first look
    min_seeds: int = DEFAULT_MIN_SEEDS
    #: seeds per arm at the last look
    max_seeds: int = DEFAULT_MAX_SEEDS
    #: seeds added per arm between looks
    batch: int = DEFAULT_BATCH
    #: one-sided level of the improvement test, Holm-corrected across claims
    alpha: float = 0.05
    #: level of the repeated confidence interval
    confidence: float = 0.95
    #: region of practical equivalence, in metric units
    rope: float = 0.005
    #: stop for futility when the conditional power under the trend is below this
    futility: float = DEFAULT_FUTILITY
    spending: Spending = Spending.POCOCK

    def __post_init__(self) -> None:
        if not 2 <= self.min_seeds <= self.max_seeds:
            raise ValueError(
                f"seeds {self.min_seeds}..{self.max_seeds}: need 2 <= MIN <= MAX (a paired "
                "test needs 2 seeds)"
            )
        if self.batch < 1:
            raise ValueError(f"batch={self.batch} must be at least 1 seed per look")
        check_probability(self.alpha)
        check_confidence(self.confidence)
        if not (math.isfinite(self.rope) and self.rope >= 0):
            raise ValueError(f"rope={self.rope!r} must be a finite number >= 0")
        if not 0.0 <= self.futility < 1.0:
            raise ValueError(f"futility={self.futility!r} must lie in [0, 1)")

    @property
    def looks(self) -> tuple[int, ...]:
        """Planned seeds per arm at each look: min_seeds, +batch, ..., max_seeds."""
        return (*range(self.min_seeds, self.max_seeds, self.batch), self.max_seeds)

    def next_look(self, n: int) -> int | None:
        """Seeds per arm at the first look after ``n`` seeds, or None after the last."""
        return next((k for k in self.looks if k > n), None)

    def describe(self) -> str:
        """One sentence naming the design, for the methods paragraph."""
        name = {
            Spending.OBRIEN_FLEMING: "O'Brien–Fleming-type",
            Spending.POCOCK: "Pocock-type",
        }[self.spending]
        return (
            f"group-sequential paired t design, {self.min_seeds} to {self.max_seeds} seeds "
            f"per arm in looks of {self.batch}, Lan–DeMets {name} alpha spending with "
            f"repeated confidence intervals, non-binding futility at conditional power "
            f"{self.futility:g}"
        )


def parse_seed_range(text: str) -> tuple[int, int]:
    """``"auto"`` -> (3, 20); ``"MIN..MAX"`` -> (MIN, MAX).

    Raises
    ------
    ValueError
        When ``text`` is neither, or MIN/MAX are out of order or below 2.
    """
    if text.strip() == "auto":
        return DEFAULT_MIN_SEEDS, DEFAULT_MAX_SEEDS
    low, sep, high = text.partition("..")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        raise ValueError(f"{text!r} is not a seed count, 'auto' or a range MIN..MAX such as 3..20")
    lo, hi = int(low), int(high)
    if not 2 <= lo <= hi:
        raise ValueError(
            f"{text!r}: MIN must be at least 2 (a paired test needs two seeds) and at most MAX"
        )
    return lo, hi


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialLook:
    """What the data say at one look: estimate, repeated intervals and sequential p."""

    #: paired seeds in the look
    n: int
    mean: float
    #: sample sd of the gains (ddof=1)
    sd: float
    #: one-sided ("greater") t-test p-value of this look alone (not valid after peeking)
    p_value: float
    #: smallest level at which the spending test rejects at some look up to this one
    sequential_p: float
    #: repeated interval at ``confidence`` (simultaneous over looks)
    low: float
    high: float
    #: repeated interval at ``1 - 2·alpha`` (for equivalence)
    eq_low: float
    eq_high: float
    #: conditional power under the current trend to show an improvement by the last look
    conditional_power: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimStop:
    """A claim's sequential history and why it stopped (or that it is still running)."""

    #: one entry per look taken, in order
    looks: tuple[SequentialLook, ...]
    #: None while the claim still needs seeds
    reason: StopReason | None
    #: Holm-adjusted sequential p-value across every claim, at the claim's last look
    p_adjusted: float | None

    @property
    def last(self) -> SequentialLook | None:
        """The look the claim's verdict rests on."""
        return self.looks[-1] if self.looks else None


def _margin(
    se: npt.NDArray[np.float64], df: npt.NDArray[np.float64], level: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Half-width of a repeated interval: the t-quantile of the nominal one-sided level."""
    out: npt.NDArray[np.float64] = np.asarray(_st.t.isf(level, df), dtype=np.float64) * se
    return out


def _conditional_power(
    p: npt.NDArray[np.float64], t: npt.NDArray[np.float64], c_final: float
) -> npt.NDArray[np.float64]:
    """P(Z(1) > c_final | Z(t)) for a Brownian motion whose drift is its current trend."""
    z = _st.norm.isf(np.clip(p, _P_EPS, 1 - _P_EPS))
    rest = np.maximum(1.0 - t, 1e-12)
    cp = _st.norm.sf((c_final - z / np.sqrt(t)) / np.sqrt(rest))
    out: npt.NDArray[np.float64] = np.where(t >= 1.0, (z > c_final).astype(np.float64), cp)
    return out


def _improvement_level(design: SequentialDesign) -> float:
    """One-sided level at which both halves of the SUPPORTED rule hold."""
    return min(design.alpha, (1.0 - design.confidence) / 2.0)


def t_levels(design: SequentialDesign, level: float) -> npt.NDArray[np.float64]:
    """One-sided p thresholds of every look of ``design`` for the level-``level`` t test.

    Parameters
    ----------
    design : SequentialDesign
        Its looks, ``max_seeds`` and spending function.
    level : float
        One-sided level spent by the last look.

    Returns
    -------
    ndarray of shape (len(design.looks),)
        See :func:`auditkit.stats.boundaries.t_thresholds`.
    """
    return t_thresholds(design.looks, design.max_seeds, design.spending, level)


def _look_levels(p_values: Sequence[float], design: SequentialDesign) -> list[float]:
    """Per look j: the smallest level whose t test rejects at look j (1.0 when none does)."""
    return rejecting_levels(p_values, design.looks, design.max_seeds, design.spending)


def trajectory(
    gains: npt.ArrayLike, design: SequentialDesign, *, upto: int | None = None
) -> tuple[SequentialLook, ...]:
    """Every look of one claim on its gains in seed order.

    Parameters
    ----------
    gains : array-like of shape (n_seeds,)
        Per-seed gains (positive = better), in the order the seeds were run.
    design : SequentialDesign
        The design; looks are taken at ``design.looks`` seeds that the data reach.
    upto : int, optional
        Look only at the first ``upto`` looks.

    Returns
    -------
    tuple of SequentialLook
    """
    g = np.asarray(gains, dtype=np.float64)
    looks = [n for n in design.looks if n <= g.size][:upto]
    if not looks:
        return ()
    times = tuple(n / design.max_seeds for n in looks)
    gamma = (1.0 - design.confidence) / 2.0
    out: list[SequentialLook] = []
    p_seen: list[float] = []
    levels_ci = t_levels(design, gamma)
    levels_eq = t_levels(design, design.alpha)
    c_final = float(spending_boundaries((1.0,), _improvement_level(design), design.spending)[0])
    for j, n in enumerate(looks):
        x = g[:n]
        mean = float(np.mean(x))
        sd = float(np.std(x, ddof=1))
        se = sd / math.sqrt(n)
        df = np.asarray([n - 1.0])
        # constant gains: the limit of the t-test (p = 0 above 0, 1 otherwise)
        p = float(t_sf(mean / se, n - 1)) if se > 0 else float(mean <= 0)
        p_seen.append(p)
        level_ci, level_eq = levels_ci[j], levels_eq[j]
        half = float(_margin(np.asarray([se]), df, np.asarray([level_ci]))[0])
        half_eq = float(_margin(np.asarray([se]), df, np.asarray([level_eq]))[0])
        cp = float(_conditional_power(np.asarray([p]), np.asarray([times[j]]), c_final)[0])
        out.append(
            SequentialLook(
                n=n,
                mean=mean,
                sd=sd,
                p_value=p,
                sequential_p=1.0,  # filled in below, once every look's p is known
                low=mean - half,
                high=mean + half,
                eq_low=mean - half_eq,
                eq_high=mean + half_eq,
                conditional_power=cp,
            )
        )
    per_look = _look_levels(p_seen, design)
    running = np.minimum.accumulate(per_look).tolist()
    return tuple(
        dataclasses.replace(look, sequential_p=float(p))
        for look, p in zip(out, running, strict=True)
    )


def _stop_rule(
    look: SequentialLook, p_adjusted: float, design: SequentialDesign
) -> StopReason | None:
    """The per-look rule, in the verdict table's order."""
    if look.sd == 0.0:
        return StopReason.NO_SPREAD
    if p_adjusted < design.alpha and look.low > 0:
        return StopReason.IMPROVEMENT
    if look.high < 0:
        return StopReason.WORSE
    if -design.rope < look.eq_low and look.eq_high < design.rope:
        return StopReason.EQUIVALENCE
    if look.n >= design.max_seeds:
        return StopReason.MAX_SEEDS
    if look.conditional_power < design.futility:
        return StopReason.FUTILITY
    return None


def sequential_decisions(
    gains: Sequence[npt.ArrayLike], design: SequentialDesign, *, complete: bool = False
) -> tuple[ClaimStop, ...]:
    """Replay the design look by look over every claim of an audit.

    At each look, each claim still running is tested with its Holm-adjusted sequential
    p-value across all claims (those already stopped keep their final one) and stops on the
    first rule that holds: improvement, worse, equivalence, the last look, or futility.
    Data beyond a claim's stopping look are ignored, so replaying logged runs
    (``compare --seeds auto``) gives what an adaptive audit would have concluded, and a
    resumed audit reaches the decision an uninterrupted one would.

    Parameters
    ----------
    gains : sequence of array-like, each of shape (n_seeds_i,)
        Per-claim gains in seed order.
    design : SequentialDesign
        Looks, levels, rope and futility threshold.
    complete : bool, default False
        True when no more seeds will come (the audit is over): a claim still running is
        then stopped with ``NO_MORE_RUNS``.

    Returns
    -------
    tuple of ClaimStop, one per claim; ``reason`` None means the claim needs the next look.
    """
    series = [trajectory(g, design) for g in gains]
    m = len(series)
    reasons: list[StopReason | None] = [None] * m
    at = [0] * m  # looks used per claim
    for k in range(len(design.looks)):
        active = [i for i in range(m) if reasons[i] is None and len(series[i]) > k]
        if not active:
            break
        for i in active:
            at[i] = k + 1
        current = [series[i][at[i] - 1].sequential_p if at[i] else 1.0 for i in range(m)]
        adjusted = holm(current).tolist()
        for i in active:
            reasons[i] = _stop_rule(series[i][k], adjusted[i], design)
    final = [series[i][at[i] - 1].sequential_p if at[i] else 1.0 for i in range(m)]
    adjusted = holm(final).tolist() if m else []
    out = []
    for i in range(m):
        reason = reasons[i]
        if reason is None and complete:
            reason = StopReason.NO_MORE_RUNS
        out.append(
            ClaimStop(
                looks=series[i][: at[i]],
                reason=reason,
                p_adjusted=adjusted[i] if at[i] else None,
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Simulation:
    """Operating characteristics of one claim under a design, by simulation."""

    n_sims: int
    #: per simulated audit: seeds used, shape (n_sims,)
    seeds_used: npt.NDArray[np.int64]
    #: per simulated audit: the StopReason, as its index in ``list(StopReason)``, (n_sims,)
    reason: npt.NDArray[np.int64]

    def rate(self, *reasons: StopReason) -> float:
        """Share of simulated audits that stopped for one of ``reasons``."""
        order = list(StopReason)
        return float(np.mean(np.isin(self.reason, [order.index(r) for r in reasons])))

    @property
    def mean_seeds(self) -> float:
        """Expected seeds per arm."""
        return float(np.mean(self.seeds_used))


def simulate(
    effect: float,
    sd: float,
    design: SequentialDesign,
    *,
    n_sims: int = 4000,
    random_state: RandomState = 0,
) -> Simulation:
    """Vectorised twin of ``sequential_decisions`` for one claim with normal gains.

    Parameters
    ----------
    effect : float
        True mean gain, in metric units.
    sd : float
        Seed-to-seed sd of the per-seed gain (> 0).
    design : SequentialDesign
        Looks, levels, rope and futility threshold.
    n_sims : int
        Simulated audits.
    random_state
        Seed or generator.

    Returns
    -------
    Simulation
    """
    rng = as_generator(random_state)
    looks = np.asarray(design.looks)
    times = looks / design.max_seeds
    x = rng.normal(effect, sd, size=(n_sims, design.max_seeds))
    csum, csq = np.cumsum(x, axis=1), np.cumsum(x * x, axis=1)
    n = looks.astype(np.float64)
    mean = csum[:, looks - 1] / n
    var = np.maximum((csq[:, looks - 1] - n * mean**2) / (n - 1), 0.0)
    se = np.sqrt(var / n)
    df = np.broadcast_to(n - 1, mean.shape)
    p = t_sf(mean / se, df)
    gamma = (1.0 - design.confidence) / 2.0
    lvl_ci = t_levels(design, gamma)
    lvl_eq = lvl_a = t_levels(design, design.alpha)
    half = _margin(se, df, np.broadcast_to(lvl_ci, mean.shape))
    half_eq = _margin(se, df, np.broadcast_to(lvl_eq, mean.shape))
    # a single claim's sequential p is below alpha once the level-alpha test has rejected
    seq_ok = np.logical_or.accumulate(p <= lvl_a, axis=1)
    c_final = float(spending_boundaries((1.0,), _improvement_level(design), design.spending)[0])
    cp = _conditional_power(p, np.broadcast_to(times, p.shape), c_final)
    order = list(StopReason)
    rules = [
        (np.zeros_like(seq_ok), StopReason.NO_SPREAD),  # continuous data: never constant
        (seq_ok & (mean - half > 0), StopReason.IMPROVEMENT),
        (mean + half < 0, StopReason.WORSE),
        ((mean - half_eq > -design.rope) & (mean + half_eq < design.rope), StopReason.EQUIVALENCE),
        (np.broadcast_to(looks >= design.max_seeds, p.shape), StopReason.MAX_SEEDS),
        (cp < design.futility, StopReason.FUTILITY),
    ]
    code = np.full(mean.shape, -1, dtype=np.int64)
    for hit, reason in reversed(rules):  # earlier rules win: write them last
        code = np.where(hit, order.index(reason), code)
    stopped = code >= 0
    first = np.argmax(stopped, axis=1)
    rows = np.arange(n_sims)
    return Simulation(
        n_sims=n_sims,
        seeds_used=looks[first].astype(np.int64),
        reason=code[rows, first],
    )
