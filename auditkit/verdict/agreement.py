"""The test-agreement matrix: whether each paired test calls the claim an improvement.

Every row carries numbers (statistic, degrees of freedom, raw and Holm-adjusted p, interval
bounds), so that audit.json can hold them and the views format them; ``Opinion.value`` is the
one-line wording the views have used so far.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

import numpy as np

from auditkit.stats import (
    TTest,
    aso,
    bootstrap_ci,
    can_reach_significance,
    gain_t_test,
    min_attainable_p_value,
    probability_of_improvement,
    sign_flip_test,
    wilcoxon_test,
)
from auditkit.types import Direction
from auditkit.verdict.evidence import (
    ClaimEvidence,
    Thresholds,
    format_p,
    gain_unit,
    unit_formatter,
)

#: ε_min below which ASO calls the variant almost stochastically better (Dror et al. 2019)
ASO_THRESHOLD = 0.2


class OpinionKind(enum.Enum):
    """What an opinion's numbers are, and so how a view words them."""

    #: a test with a p-value (``p_value``, and ``p_adjusted`` for the Holm-corrected row)
    P_VALUE = "p_value"
    #: an interval of the mean gain (``low``, ``high``, in metric units)
    INTERVAL = "interval"
    #: a share with its interval (``estimate``, ``low``, ``high``, in [0, 1])
    SHARE = "share"
    #: almost stochastic order: ``estimate`` is ε_min
    EPS_MIN = "eps_min"
    #: TOST equivalence: ``low``, ``high`` is the (1 − 2·alpha) interval of the mean gain
    EQUIVALENCE = "equivalence"
    #: an exact test that cannot reach alpha with these seeds: ``p_value`` is the smallest
    #: attainable p
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Opinion:
    """One row of the test-agreement matrix: whether one test calls the claim an improvement."""

    test: str
    #: True: an improvement; False: not one (or equivalence shown); None: cannot tell
    improvement: bool | None
    kind: OpinionKind
    #: the test statistic (t, Wilcoxon T+, sign-flip mean), where the test has one
    statistic: float | None = None
    #: degrees of freedom of a t statistic
    df: float | None = None
    #: raw one-sided p-value (UNREACHABLE: the smallest attainable one)
    p_value: float | None = None
    #: Holm-adjusted p-value across the audit's claims (the row the verdict rests on)
    p_adjusted: float | None = None
    #: point estimate (SHARE, EPS_MIN)
    estimate: float | None = None
    #: interval bounds (INTERVAL, SHARE, EQUIVALENCE)
    low: float | None = None
    high: float | None = None
    #: the metric's name when gains are not worded as points (its scores are off [0, 1])
    unit: str | None = None
    #: why the test cannot tell, or how to read it
    note: str = ""

    @property
    def value(self) -> str:
        """The row's result in words, e.g. ``"p = 0.012"`` or ``"[+1.20 pts, +3.40 pts]"``."""
        fmt = unit_formatter(self.unit)
        match self.kind:
            case OpinionKind.P_VALUE:
                p = self.p_adjusted if self.p_adjusted is not None else self.p_value
                return format_p(p if p is not None else 1.0)
            case OpinionKind.INTERVAL:
                return f"[{fmt(self.low or 0.0)}, {fmt(self.high or 0.0)}]"
            case OpinionKind.SHARE:
                return f"{self.estimate or 0.0:.2f} [{self.low or 0.0:.2f}, {self.high or 0.0:.2f}]"
            case OpinionKind.EPS_MIN:
                return f"ε_min = {self.estimate or 0.0:.2f}"
            case OpinionKind.EQUIVALENCE:
                return "equivalent" if self.improvement is False else "not shown"
            case OpinionKind.UNREACHABLE:
                return "n/a"


def agreement_matrix(
    evidence: ClaimEvidence, p_adjusted: float, thresholds: Thresholds
) -> tuple[Opinion, ...]:
    """Ask every paired test whether the claim is an improvement.

    The verdict rests on the paired t-test and its interval; this matrix shows where the
    other tests agree and where they do not. Exact sign-based tests that cannot reach
    ``alpha`` with this many seeds say so (improvement = None) instead of printing a p
    that could never be significant.

    Parameters
    ----------
    evidence
        The claim's paired measurements (at least 2 pairs).
    p_adjusted
        The Holm-adjusted one-sided t-test p-value.
    thresholds
        alpha, rope and confidence.

    Returns
    -------
    tuple of Opinion
        The t-test (Holm), Wilcoxon, sign-flip, bootstrap BCa interval, probability of
        improvement, almost stochastic order and TOST equivalence, in this order.
    """
    gains = evidence.gains
    unit = gain_unit(evidence)
    resampled = evidence.resampled
    t = gain_t_test(gains, alternative="greater", resampled=resampled)
    rows = [
        Opinion(
            test="paired t-test (Holm)"
            if resampled is None
            else "corrected resampled t-test (Holm)",
            improvement=p_adjusted < thresholds.alpha,
            kind=OpinionKind.P_VALUE,
            statistic=t.statistic,
            df=t.df,
            p_value=t.p_value,
            p_adjusted=p_adjusted,
            note="the test the verdict rests on"
            if resampled is None
            else "the test the verdict rests on: Nadeau–Bengio, for overlapping CV folds",
        ),
        *_exact_rows(gains, thresholds.alpha),
        *_interval_rows(evidence, thresholds, unit),
    ]
    if resampled is not None:
        # only the first and the last row use the corrected variance; the others treat
        # the folds as independent, which they are not, so they lean towards significance
        rows[1:-1] = [
            dataclasses.replace(
                o, note=f"{o.note}; " * bool(o.note) + "uncorrected: the folds share training rows"
            )
            for o in rows[1:-1]
        ]
    return tuple(rows)


def _exact_rows(gains: np.ndarray, alpha: float) -> list[Opinion]:
    """Wilcoxon and sign-flip, or why they cannot reach alpha with these seeds."""
    n_nonzero = int(np.count_nonzero(gains))
    if not can_reach_significance(n_nonzero, alpha):
        floor = min_attainable_p_value(n_nonzero) if n_nonzero else 1.0
        return [
            Opinion(
                test=name,
                improvement=None,
                kind=OpinionKind.UNREACHABLE,
                p_value=floor,
                note=f"with {n_nonzero} non-zero differences the smallest attainable p "
                f"is {floor:.3f}, above α = {alpha}",
            )
            for name in ("Wilcoxon signed-rank (exact)", "sign-flip permutation")
        ]
    wilcoxon = wilcoxon_test(gains)
    flip = sign_flip_test(gains)
    return [
        Opinion(
            test="Wilcoxon signed-rank (exact)",
            improvement=wilcoxon.p_value < alpha,
            kind=OpinionKind.P_VALUE,
            statistic=wilcoxon.statistic,
            p_value=wilcoxon.p_value,
        ),
        Opinion(
            test="sign-flip permutation",
            improvement=flip.p_value < alpha,
            kind=OpinionKind.P_VALUE,
            statistic=flip.mean,
            p_value=flip.p_value,
        ),
    ]


def _interval_rows(
    evidence: ClaimEvidence, thresholds: Thresholds, unit: str | None
) -> list[Opinion]:
    """Bootstrap interval, probability of improvement, stochastic order and TOST."""
    gains = evidence.gains
    alpha = thresholds.alpha
    boot = bootstrap_ci(gains, confidence=thresholds.confidence, method="bca")
    poi = probability_of_improvement(gains, confidence=thresholds.confidence)
    if evidence.claim.direction is Direction.INCREASE:
        better, worse = evidence.variant, evidence.baseline
    else:
        better = tuple(-v for v in evidence.variant)
        worse = tuple(-b for b in evidence.baseline)
    order = aso(better, worse, confidence=thresholds.confidence)
    eq: TTest = gain_t_test(
        gains, confidence=1 - 2 * alpha, alternative="two-sided", resampled=evidence.resampled
    )
    equivalent = -thresholds.rope < eq.low and eq.high < thresholds.rope
    return [
        Opinion(
            test=f"bootstrap BCa {round(100 * thresholds.confidence)}% CI",
            improvement=boot.low > 0,
            kind=OpinionKind.INTERVAL,
            estimate=float(np.mean(gains)),
            low=boot.low,
            high=boot.high,
            unit=unit,
            note="an improvement when the interval excludes 0",
        ),
        Opinion(
            test="probability of improvement",
            improvement=True if poi.low > 0.5 else (False if poi.high < 0.5 else None),
            kind=OpinionKind.SHARE,
            estimate=poi.estimate,
            low=poi.low,
            high=poi.high,
            note="share of seeds the variant wins; an improvement when the interval is above 0.5",
        ),
        Opinion(
            test="almost stochastic order",
            improvement=(
                True if order.eps_min < ASO_THRESHOLD else (False if order.eps_min >= 0.5 else None)
            ),
            kind=OpinionKind.EPS_MIN,
            estimate=order.eps_min,
            note=f"an improvement when ε_min < {ASO_THRESHOLD}; no dominance at 0.5 or more",
        ),
        Opinion(
            # the ROPE in the claim's unit: points for a 0-1 metric, else the metric's own
            test=f"TOST equivalence (±{unit_formatter(unit)(thresholds.rope).lstrip('+')})",
            improvement=False if equivalent else None,
            kind=OpinionKind.EQUIVALENCE,
            low=eq.low,
            high=eq.high,
            unit=unit,
            note="equivalence to no gain refutes an improvement",
        ),
    ]
