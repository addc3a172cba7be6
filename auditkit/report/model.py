"""The view model: dataclasses of preformatted strings that every view places.

Templates, the terminal renderer and the LaTeX writer only place these strings; every
number is formatted once (:mod:`auditkit.report.fmt`), so that the views agree. The few
floats kept here (``*Plot`` dataclasses) are for drawing, never for display as text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedRow:
    """One seed's scores in a claim's table."""

    seed: str
    baseline: str
    variant: str
    gain: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementRow:
    """One statistical test's answer to "is the variant better?"."""

    test: str  #: "Wilcoxon signed-rank (exact)"
    answer: str  #: "yes", "no" or "unknown": the CSS class and the style name
    symbol: str  #: "✓", "✗" or "?", printed beside the colour
    words: str  #: "improvement", "not shown", "cannot tell"
    value: str  #: "p = 0.012", already formatted by the producer
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionRow:
    """The gain under one perturbation (or at the nominal setting)."""

    condition: str  #: "batch size 512"
    family: str  #: "batch size"; "" for the nominal row
    rule: str  #: "AK401"; "" for the nominal row
    n: str  #: "5"
    gain: str  #: "+1.20"
    interval: str  #: "[+0.30, +2.10]"
    status: str  #: holds / reversed / vanished / inconclusive / nominal


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalPoint:
    """One point estimate with its interval, in metric units, for drawing."""

    label: str
    mean: float
    low: float
    high: float
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimPlot:
    """What the per-claim figures draw (metric units)."""

    baseline_name: str
    variant_name: str
    metric: str
    seeds: tuple[str, ...]
    baseline: tuple[float, ...]
    variant: tuple[float, ...]
    gains: tuple[float, ...]
    gain: IntervalPoint | None  #: the nominal mean gain and its interval
    reported: float | None
    rope: float
    conditions: tuple[IntervalPoint, ...]  #: nominal first, then each perturbation
    #: ``--seeds auto``: the estimate and repeated interval at each look (label = seeds)
    looks: tuple[IntervalPoint, ...] = ()
    #: drawn values are the metric times this: 100 (points) for a 0-1 metric, else 1
    factor: float = 100.0
    #: the axis unit: "points", or the metric's own unit
    unit_words: str = "points"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimView:
    """One claim, formatted."""

    key: str  #: "claim-1": anchor id in the HTML
    label: str
    variant: str
    baseline: str
    metric: str
    verdict: str
    reason: str
    baseline_score: str  #: "71.20 ± 1.30"
    variant_score: str
    baseline_mean: str  #: "71.20"
    variant_mean: str
    gain: str  #: "+2.13"
    interval: str  #: "[+0.80, +3.40]"
    confidence: str  #: "95%"
    p: str
    p_holm: str
    reported: str
    overstated: bool
    n_seeds: str  #: "5 of 5"
    seeds_short: str  #: "5/5"
    seeds: tuple[SeedRow, ...]
    #: plain-word findings, most important first
    findings: tuple[str, ...]
    #: the first finding of a claim that is not supported, for the summary; else ""
    headline: str
    agreement: tuple[AgreementRow, ...]
    conditions: tuple[ConditionRow, ...]  #: empty when the audit ran no perturbation
    power: tuple[tuple[str, str], ...]  #: ("seeds needed", "23"), ...
    plot: ClaimPlot
    #: ``--seeds auto``: "decided at 6 seeds: improvement shown"; "" for fixed seeds
    stopping: str = ""
    #: the unit of the gains: "pts" for a metric on a 0-1 scale, else the metric's own
    unit: str = "pts"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleView:
    """One rule's outcome, formatted."""

    id: str
    name: str
    severity: str
    outcome: str
    reason: str
    why: str
    fix: str
    references: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatCell:
    """One cell of the perturbation × claim heatmap."""

    text: str  #: "+1.20"; "—" when the claim was not tested under this condition
    status: str  #: holds / reversed / vanished / inconclusive / nominal / none
    word: str  #: the status as printed beside the colour; "" for nominal and none
    title: str  #: tooltip and screen-reader text: the interval and the status in words


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatRow:
    """One condition across every claim."""

    condition: str
    family: str
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Heatmap:
    """Perturbations (rows) × claims (columns): the gain and its status."""

    claims: tuple[str, ...]  #: column headers
    rows: tuple[HeatRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementMatrix:
    """Tests (rows) × claims (columns)."""

    claims: tuple[str, ...]
    rows: tuple[tuple[str, tuple[AgreementRow | None, ...]], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfusionView:
    """One variant's confusion matrix, summed over its nominal test runs."""

    variant: str
    runs: str  #: "summed over 5 test runs"
    labels: tuple[str, ...]
    #: rows: true label, then per predicted label (count, row share, shade 0-4)
    rows: tuple[tuple[str, tuple[tuple[str, str, int], ...]], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictCount:
    """One verdict's count, for the summary cards."""

    verdict: str
    count: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureView:
    """The first error of one variant whose runs failed."""

    variant: str
    #: "3 of 3 runs failed"
    count: str
    #: True when none of the variant's runs succeeded (the audit exits 6)
    all_failed: bool
    #: the run that failed first, e.g. ``"bad[nominal,init=0,order=0]"``
    run_id: str
    #: the error's summary: its first line, then where in the user's code (file:line)
    summary: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpreadView:
    """One metric's spread over the seeds of one variant (script audits)."""

    variant: str
    metric: str
    mean: str
    sd: str
    range: str  #: "0.545 to 0.565"
    seeds: str
