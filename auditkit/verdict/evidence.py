"""What a verdict is decided from: the thresholds, a claim's paired evidence, and its wording."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from auditkit.types import Claim, ConditionEvidence, Direction

#: fewest successful seed pairs for any estimate
MIN_PAIRS = 2
#: power at which the seeds needed and the minimum detectable effect are stated
POWER = 0.8
#: per-seed gains whose spread is below this fraction of the arms' magnitude are one number:
#: ``0.81 - 0.80`` and ``0.71 - 0.70`` differ by float noise, not by seed variance
COPY_RTOL = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """The statistical settings a decision uses (from the rule pack)."""

    #: one-sided significance level after Holm correction across claims
    alpha: float = 0.05
    #: region of practical equivalence: |gain| below this is no gain, in metric units
    rope: float = 0.005
    #: confidence level of reported intervals
    confidence: float = 0.95


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimEvidence:
    """The measurements behind one claim.

    ``baseline`` and ``variant`` are paired: entry i of each comes from seed ``seeds[i]``.
    Gains are signed so that positive means better (for a ``decrease`` claim, the
    baseline minus the variant).
    """

    claim: Claim
    #: seeds with a successful run in both arms, shape (n_pairs,)
    seeds: tuple[int, ...]
    #: baseline metric per seed, shape (n_pairs,)
    baseline: tuple[float, ...]
    #: variant metric per seed, shape (n_pairs,)
    variant: tuple[float, ...]
    #: seeds planned per arm
    seeds_planned: int
    #: runs that failed (either arm), for the reason text
    failed_runs: int = 0
    #: successful runs whose test metric was undefined (n/a), e.g. CWA without colours
    undefined_runs: int = 0
    #: the claim's gain under each perturbed condition
    conditions: tuple[ConditionEvidence, ...] = ()
    #: reasons why the evidence cannot be trusted (seed override, test leakage), each
    #: a sentence naming the rule that found it
    invalid: tuple[str, ...] = ()
    #: (n_train, n_test) of one fold when the seeds are cross-validation folds: their
    #: training sets overlap, so every t-test is Nadeau–Bengio corrected
    resampled: tuple[int, int] | None = None

    @property
    def gains(self) -> NDArray[np.float64]:
        """Per-seed gains, positive = improvement, array of shape (n_pairs,).

        Gains that differ only by float noise relative to the arms' magnitude (a variant
        that is the baseline plus 0.01 on every seed) are returned as one constant value,
        so that every test sees the zero spread they really have.
        """
        base = np.asarray(self.baseline, dtype=np.float64)
        var = np.asarray(self.variant, dtype=np.float64)
        diff: NDArray[np.float64] = var - base
        if diff.size >= MIN_PAIRS and np.all(np.isfinite(diff)):
            scale = float(max(np.max(np.abs(base)), np.max(np.abs(var))))
            if float(np.ptp(diff)) <= COPY_RTOL * scale:
                diff = np.full_like(diff, float(np.mean(diff)))
        return diff if self.claim.direction is Direction.INCREASE else -diff

    @property
    def identical_arms(self) -> bool:
        """The variant scored what the baseline scored on every seed (within float noise)."""
        base = np.asarray(self.baseline, dtype=np.float64)
        var = np.asarray(self.variant, dtype=np.float64)
        if base.size < MIN_PAIRS or not (np.all(np.isfinite(base)) and np.all(np.isfinite(var))):
            return False
        scale = float(max(np.max(np.abs(base)), np.max(np.abs(var)), 1e-300))
        return bool(np.max(np.abs(var - base)) <= COPY_RTOL * scale)


def points(x: float) -> str:
    """Metric units as signed points: 0.0213 -> '+2.13 pts'.

    Parameters
    ----------
    x : float
        A gain on a 0–1 scale.

    Returns
    -------
    str
    """
    return f"{100 * x:+.2f} pts"


def gain_unit(evidence: ClaimEvidence) -> str | None:
    """The unit the claim's gains are worded in: None for points, else the metric's name.

    Accuracy-like metrics (every score of both arms within [0, 1]) read as points
    (``+2.13 pts``); any other metric (a loss, a perplexity, a BLEU on 0–100) keeps its own
    scale and names it (``+1.27 perplexity``), since "points" would multiply it by 100.

    Parameters
    ----------
    evidence
        The claim's paired scores.

    Returns
    -------
    str or None
    """
    values = [*evidence.baseline, *evidence.variant]
    if all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        return None
    return evidence.claim.metric


def unit_formatter(unit: str | None) -> Callable[[float], str]:
    """Signed gains in ``unit``: points when None (``+2.13 pts``), else ``+1.27 perplexity``.

    Parameters
    ----------
    unit
        As returned by ``gain_unit``.

    Returns
    -------
    callable from float to str
    """
    if unit is None:
        return points

    def own(x: float) -> str:
        return f"{x:+.4g} {unit}"

    return own


def gain_formatter(evidence: ClaimEvidence) -> Callable[[float], str]:
    """How the claim's gains are worded: points for a metric on a 0–1 scale, else its unit.

    Parameters
    ----------
    evidence
        The claim's paired scores.

    Returns
    -------
    callable from float to str
        See ``gain_unit``.
    """
    return unit_formatter(gain_unit(evidence))


def format_p(p: float) -> str:
    """A p-value in words: ``p < 0.001`` or ``p = 0.012``.

    Parameters
    ----------
    p : float
        A p-value in [0, 1].

    Returns
    -------
    str
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def mean_sd(values: tuple[float, ...]) -> tuple[float, float] | None:
    """Mean and sample sd (ddof=1) of one arm's scores, shape (n_seeds,); None below 2.

    Parameters
    ----------
    values
        Scores per seed.

    Returns
    -------
    tuple of (mean, sd), or None
    """
    if len(values) < MIN_PAIRS:
        return None
    return float(np.mean(values)), float(np.std(values, ddof=1))
