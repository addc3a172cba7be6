"""Boundaries of the group-sequential paired t design: where each look rejects.

Two layers, both pure functions of the design (its looks, ``max_seeds`` and spending
function), cached per design:

* ``spending_boundaries``: the Lan–DeMets alpha-spending z boundaries for a known variance,
  by the recursive numerical integration of Armitage, McPherson & Rowe (1969), as in
  Jennison & Turnbull (2000, ch. 19). Only the futility rule reads them now.
* ``t_thresholds``: per-look p thresholds calibrated on the t-process itself (unknown
  variance). Under no gain the joint law of the looks' t statistics does not depend on the
  seed sd, so one fixed-seed simulation of ``_T_PATHS`` paths per design gives thresholds
  under which the t statistics cross by look j with probability ``α(t_j)``; turning the z
  boundaries into p thresholds instead (the "significance level approach") overshoots the
  level with 2 to 19 degrees of freedom. ``rejecting_levels`` is its exact inverse, for
  the sequential p-values.

:mod:`auditkit.stats.sequential` builds the design's decisions, repeated intervals and
sequential p-values on these.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import optimize, special
from scipy import stats as _st

from auditkit.stats._validation import check_probability

__all__ = [
    "Spending",
    "nominal_levels",
    "rejecting_levels",
    "spending_boundaries",
    "t_sf",
    "t_thresholds",
]

#: Simpson grid points per look in the numerical integration (odd)
_GRID = 301
#: the integration grid reaches this many standard deviations below 0
_TAIL_SD = 8.0
#: a boundary nobody crosses, used where a look spends (almost) no alpha
_NO_BOUNDARY = 40.0


class Spending(enum.Enum):
    """Alpha-spending function of Lan & DeMets (1983)."""

    #: ``α(t) = 2 - 2Φ(z_{1-α/2} / √t)``: spends almost nothing early, nearly the full α at
    #: the last look (final boundary close to the fixed design's)
    OBRIEN_FLEMING = "obrien-fleming"
    #: ``α(t) = α·ln(1 + (e - 1)·t)``: spends evenly, stops large effects sooner
    POCOCK = "pocock"

    def spent(self, times: npt.NDArray[np.float64], level: float) -> npt.NDArray[np.float64]:
        """Cumulative alpha spent by each information fraction, array of shape (k,)."""
        t = np.clip(times, 1e-12, 1.0)
        if self is Spending.OBRIEN_FLEMING:
            z = float(_st.norm.isf(level / 2.0))
            out: npt.NDArray[np.float64] = 2.0 * _st.norm.sf(z / np.sqrt(t))
            return np.minimum(out, level)
        return level * np.log1p((math.e - 1.0) * t)


def _simpson(n: int) -> npt.NDArray[np.float64]:
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return w / 3.0


def _sf(x: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    """Standard normal upper tail (``special.ndtr`` avoids scipy.stats' per-call overhead)."""
    return np.asarray(special.ndtr(-np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _pdf(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return out


@functools.lru_cache(maxsize=8192)
def _boundaries(times: tuple[float, ...], level: float, spending: Spending) -> tuple[float, ...]:
    """Armitage–McPherson–Rowe recursion on the score scale ``S = Z·√t`` (J&T 2000, ch. 19).

    The density of S on the continuation region is carried from look to look on a Simpson
    grid; each boundary solves ``P(first crossing at look k) = α(t_k) - α(t_{k-1})``.
    """
    t = np.asarray(times, dtype=np.float64)
    increments = np.diff(spending.spent(t, level), prepend=0.0)
    out: list[float] = []
    weights = _simpson(_GRID)
    grid = density = np.zeros(0)
    for k, (tk, spend) in enumerate(zip(t.tolist(), increments.tolist(), strict=True)):
        root = math.sqrt(tk)
        if k == 0:
            c = min(-float(special.ndtri(spend)), _NO_BOUNDARY) if spend > 0 else _NO_BOUNDARY
            grid = np.linspace(-_TAIL_SD * root, min(c, _TAIL_SD) * root, _GRID)
            density = _pdf(grid / root) / root
        else:
            step = math.sqrt(tk - t[k - 1])
            mass = weights * density * (grid[1] - grid[0])

            def exceed(
                b: float,
                mass: npt.NDArray[np.float64] = mass,
                grid: npt.NDArray[np.float64] = grid,
                step: float = step,
            ) -> float:
                return float(np.dot(mass, _sf((b - grid) / step)))

            hi = _NO_BOUNDARY * root
            if spend <= 0 or exceed(hi) >= spend:
                b = hi
            else:
                lo = float(grid[-1])
                while exceed(lo) < spend:  # the mass at the grid top almost always exceeds
                    lo -= 1.0

                def excess(x: float, target: float = spend) -> float:
                    return exceed(x) - target

                b = float(optimize.brentq(excess, lo, hi, xtol=1e-10))
            c = b / root
            new = np.linspace(-_TAIL_SD * root, min(b, _TAIL_SD * root), _GRID)
            density = (_pdf((new[:, None] - grid[None, :]) / step) / step) @ mass
            grid = new
        out.append(c)
    return tuple(out)


def spending_boundaries(
    times: npt.ArrayLike, level: float, spending: Spending = Spending.OBRIEN_FLEMING
) -> npt.NDArray[np.float64]:
    """Upper z-boundaries of a one-sided alpha-spending test.

    Parameters
    ----------
    times : array-like of shape (k,)
        Information fractions of the looks, increasing, in (0, 1].
    level : float
        One-sided level spent by ``t = 1``.
    spending : Spending
        The spending function.

    Returns
    -------
    ndarray of shape (k,)
        ``c_j`` such that, for a standard Brownian motion observed at ``times`` (no drift),
        the probability of first crossing at look j is ``α(t_j) - α(t_{j-1})``.

    Examples
    --------
    >>> np.round(spending_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], 0.025), 2).tolist()
    [4.88, 3.36, 2.68, 2.29, 2.03]
    """
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or np.any(np.diff(t) <= 0) or t[0] <= 0 or t[-1] > 1 + 1e-12:
        raise ValueError(f"times={t.tolist()} must increase strictly within (0, 1]")
    a = check_probability(level, name="level")
    key = tuple(round(float(x), 12) for x in t)
    return np.asarray(_boundaries(key, a, spending), dtype=np.float64)


def nominal_levels(
    times: npt.ArrayLike, level: float, spending: Spending = Spending.OBRIEN_FLEMING
) -> npt.NDArray[np.float64]:
    """One-sided nominal p-value thresholds ``1 - Φ(c_j)`` of each look, shape (k,)."""
    return _sf(spending_boundaries(times, level, spending))


def t_sf(t: npt.ArrayLike, df: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """One-sided ("greater") p-values of t statistics, array of the broadcast shape."""
    return np.asarray(_st.t.sf(t, df), dtype=np.float64)


#: simulated null paths of the t-process per design (a fixed seed: the same design always
#: gets the same thresholds, on every machine with the same numpy)
_T_PATHS = 1 << 18
_T_SEED = 20_261_206
#: paths generated at once (bounds the memory of the draws to ~20 MB)
_T_CHUNK = 1 << 16
#: below this level the simulated paths are too few to place a boundary; Bonferroni there
_T_MC_FLOOR = 1e-3
#: levels at which every look's t threshold is tabulated: Bonferroni below the floor,
#: calibrated by the simulated t-process above it; interpolated log-log in between
_LEVEL_GRID = tuple(
    np.concatenate(
        [np.geomspace(1e-12, _T_MC_FLOOR, 19)[:-1], np.geomspace(_T_MC_FLOOR, 0.999, 64)]
    ).tolist()
)


@functools.lru_cache(maxsize=2)  # ~20 MB each; the tables they give are cached apart
def _null_p_values(looks: tuple[int, ...]) -> npt.NDArray[np.float64]:
    """One-sided t-test p-values of ``_T_PATHS`` no-gain claims at each look, (k, paths).

    The t-statistics' joint law under no gain does not depend on the seed sd (it cancels in
    every ``mean / se``), so one standard-normal simulation serves every audit of a design.
    """
    rng = np.random.default_rng(_T_SEED)
    idx = np.asarray(looks) - 1
    n = np.asarray(looks, dtype=np.float64)[:, None]
    out = np.empty((len(looks), _T_PATHS))
    for start in range(0, _T_PATHS, _T_CHUNK):
        x = rng.standard_normal((looks[-1], _T_CHUNK))
        csum = np.cumsum(x, axis=0)[idx]
        csq = np.cumsum(x * x, axis=0)[idx]
        mean = csum / n
        se = np.sqrt(np.maximum(csq - n * mean**2, 0.0) / (n - 1) / n)
        out[:, start : start + _T_CHUNK] = t_sf(mean / se, n - 1)
    return out


def _order_stat(x: npt.NDArray[np.float64], count: float) -> float:
    """The ``count``-th smallest of ``x`` (1-based), interpolated between neighbours."""
    lo = min(max(math.floor(count), 1), x.size - 1)
    part = np.partition(x, (lo - 1, lo))
    frac = min(max(count - lo, 0.0), 1.0)
    return float(part[lo - 1] + frac * (part[lo] - part[lo - 1]))


def _calibrated(
    paths: npt.NDArray[np.float64], spent: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per-look p thresholds under which the simulated t-process spends ``spent``, (k,).

    Look 1's t-test is exact on its own (its threshold is the first spend); each later
    threshold is the order statistic of the look's p-values among the paths that have not
    crossed yet that makes the cumulative crossing share equal the cumulative spend.
    """
    total = paths.shape[1]
    alive = np.ones(total, dtype=bool)
    crossed = 0
    out = np.empty(len(spent))
    for j, target in enumerate(spent.tolist()):
        p = paths[j]
        if j == 0:
            u = target
        else:
            pending = p[alive]
            count = target * total - crossed
            u = _order_stat(pending, count) if count >= 1.0 else 0.0
        hit = alive & (p <= u)
        crossed += int(np.count_nonzero(hit))
        alive &= ~hit
        out[j] = u
    return out


@functools.lru_cache(maxsize=64)
def _t_table(looks: tuple[int, ...], max_seeds: int, spending: Spending) -> npt.NDArray[np.float64]:
    """Log of every look's p threshold at every level of ``_LEVEL_GRID``, (levels, k).

    Above ``_T_MC_FLOOR`` the thresholds make the t-process (unknown variance) spend exactly
    ``α(t_j)`` by look j; below it, where too few simulated paths cross, they are the
    Bonferroni split ``α(t_j) - α(t_{j-1})``, valid for any dependence between looks. Each
    look's threshold is made non-decreasing in the level, so "the smallest level that
    rejects" is well defined.
    """
    times = np.asarray(looks, dtype=np.float64) / max_seeds
    paths = _null_p_values(looks)
    rows = []
    for a in _LEVEL_GRID:
        spent = spending.spent(times, a)
        if a < _T_MC_FLOOR:
            rows.append(np.maximum(np.diff(spent, prepend=0.0), 1e-300))
        else:
            rows.append(np.maximum(_calibrated(paths, spent), 1e-300))
    table = np.maximum.accumulate(np.log(np.stack(rows)), axis=0)
    return table


def t_thresholds(
    looks: tuple[int, ...], max_seeds: int, spending: Spending, level: float
) -> npt.NDArray[np.float64]:
    """One-sided p thresholds of every look for the level-``level`` paired t test.

    Parameters
    ----------
    looks : tuple of int
        Seeds at each look, increasing (a design's ``looks``).
    max_seeds : int
        Seeds at the last possible look (information fraction ``n / max_seeds``).
    spending : Spending
        The spending function.
    level : float
        One-sided level spent by the last look.

    Returns
    -------
    ndarray of shape (len(looks),)
        ``u_j``: the paired t-test rejects at look j when its one-sided p-value is at most
        ``u_j``. Under no gain the t statistics (unknown variance) cross by look j with
        probability ``α(t_j)`` (to the precision of ``_T_PATHS`` simulated paths) for
        ``level >= 1e-3``, and at most that below.
    """
    a = check_probability(level, name="level")
    table = _t_table(looks, max_seeds, spending)
    x = math.log(min(max(a, _LEVEL_GRID[0]), _LEVEL_GRID[-1]))
    grid = np.log(np.asarray(_LEVEL_GRID))
    return np.exp([np.interp(x, grid, table[:, j]) for j in range(table.shape[1])])


def rejecting_levels(
    p_values: Sequence[float], looks: tuple[int, ...], max_seeds: int, spending: Spending
) -> list[float]:
    """Per look j: inf{a : the level-a t test rejects at look j} (1.0 when none does).

    The exact inverse of :func:`t_thresholds`' log-log interpolation of the tabulated
    thresholds; ``p_values`` has one one-sided p-value per look taken, shape (j,).
    """
    table = _t_table(looks, max_seeds, spending)
    grid = np.log(np.asarray(_LEVEL_GRID))
    out = []
    for j, p in enumerate(p_values):
        column = table[:, j]
        if p > math.exp(column[-1]):  # not even a level-0.999 test rejects here
            out.append(1.0)
            continue
        if p <= math.exp(column[0]):
            out.append(_LEVEL_GRID[0])
            continue
        y = math.log(p)
        i = int(np.searchsorted(column, y, side="left"))  # column[i-1] < y <= column[i]
        lo, hi = column[i - 1], column[i]
        frac = (y - lo) / (hi - lo) if hi > lo else 1.0
        out.append(float(min(math.exp(grid[i - 1] + frac * (grid[i] - grid[i - 1])), 1.0)))
    return out
