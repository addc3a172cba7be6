"""The adaptive design's side of a verdict: the last look as a test, and why a claim stopped."""

from __future__ import annotations

import dataclasses
import math

from auditkit.stats import TTest
from auditkit.stats.sequential import ClaimStop, StopReason
from auditkit.verdict.evidence import ClaimEvidence


def stopping_sentence(stop: ClaimStop) -> str:
    """Why a claim stopped: 'decided at 6 seeds: improvement shown', 'stopped at 20 seeds: ...'.

    Parameters
    ----------
    stop
        The claim's group-sequential history.

    Returns
    -------
    str
    """
    n = stop.last.n if stop.last is not None else 0
    reason = stop.reason or StopReason.NO_MORE_RUNS
    return f"{'decided' if reason.decided else 'stopped'} at {n} seeds: {reason.value}"


def sequential_test(stop: ClaimStop, confidence: float) -> TTest | None:
    """The claim's last look as a ``TTest``: repeated interval and sequential p-value.

    Parameters
    ----------
    stop
        The claim's group-sequential history.
    confidence
        Level of the repeated confidence interval.

    Returns
    -------
    TTest or None
        None when the claim had no look.
    """
    look = stop.last
    if look is None:
        return None
    se = look.sd / math.sqrt(look.n)
    statistic = look.mean / se if se > 0 else math.copysign(math.inf, look.mean)
    return TTest(
        n=look.n,
        mean=look.mean,
        sd=look.sd,
        se=se,
        low=look.low,
        high=look.high,
        confidence=confidence,
        statistic=statistic if look.mean != 0 or se > 0 else 0.0,
        df=look.n - 1,
        p_value=look.sequential_p,
        alternative="greater",
    )


def truncate_evidence(item: ClaimEvidence, n: int) -> ClaimEvidence:
    """The claim's evidence up to its stopping look (later seeds served other claims).

    Parameters
    ----------
    item
        The claim's evidence, its pairs in seed order.
    n
        Pairs used at the stopping look.

    Returns
    -------
    ClaimEvidence
        ``item`` with its first ``n`` pairs.
    """
    return dataclasses.replace(
        item,
        seeds=item.seeds[:n],
        baseline=item.baseline[:n],
        variant=item.variant[:n],
    )
