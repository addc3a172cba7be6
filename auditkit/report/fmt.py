"""Number formatting for every view: points, fractions, p-values, durations, conditions.

Every number a view shows is formatted by one of these functions, once, so that the HTML,
the PDF, the LaTeX and the terminal agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.conditions import Condition
from auditkit.report.auditdoc import AgreementKind, AgreementResult, ClaimResult, Scale

#: verdicts in the order the summary line lists them: "2 supported, 1 fragile,
#: 1 inconclusive in 3m12s" (the order of issue 5; pytest's line is coloured by its
#: worst outcome, and so is auditkit's, see terminal.summary_style)
VERDICT_ORDER = ("supported", "fragile", "inconclusive", "refuted")


def points(x: float | None, *, signed: bool = False) -> str:
    """Metric units as points: 0.0213 -> '2.13' (or '+2.13'); None -> 'n/a'."""
    if x is None:
        return "n/a"
    return f"{100 * x:+.2f}" if signed else f"{100 * x:.2f}"


def fraction(x: float | None) -> str:
    """A metric value in [0, 1] as a percentage string with two decimals."""
    return "n/a" if x is None else f"{100 * x:.2f}"


def p_value(p: float | None) -> str:
    """'<0.001', '0.042' or 'n/a'."""
    if p is None:
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def duration(seconds: float) -> str:
    """'0.4s', '12.3s', '3m12s', '1h02m05s' (pytest's shape)."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def condition_words(condition: str) -> str:
    """A condition id in words: 'batch_size=512' -> 'batch size 512'."""
    return Condition.parse(condition).words


def number_as(x: Any, kind: str) -> str:
    """A value as its column kind says: 'int' 1,234; 'pct' 12.5%; floats 0.12; else str."""
    if x is None:
        return "n/a"
    if kind == "int":
        return f"{int(x):,}"
    if kind == "pct":
        return f"{100 * float(x):.1f}%"
    if isinstance(x, float):
        return f"{x:.2f}"
    return str(x)


def summary_line(verdicts: Mapping[str, int], wall_time_s: float) -> str:
    """pytest-shaped summary: '2 supported, 1 refuted in 3m12s'."""
    parts = [f"{verdicts[v]} {v}" for v in VERDICT_ORDER if verdicts.get(v)]
    return f"{', '.join(parts) or 'no claims'} in {duration(wall_time_s)}"


def join_words(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def sentence(text: str) -> str:
    """'with 3 seeds ...' -> 'With 3 seeds ....': a note from the verdict layer as a sentence."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


@dataclass(frozen=True, slots=True)
class Unit:
    """How a claim's metric is worded: points for a 0-1 metric, else its own unit.

    A perplexity printed as points would be multiplied by 100; the document says each
    claim's scale (``ClaimResult.scale``/``unit``) and every view words it through this.
    """

    scale: Scale = Scale.FRACTION
    #: "pts", or the metric's own unit ("perplexity")
    name: str = "pts"

    def gain(self, x: float | None, *, signed: bool = True) -> str:
        """A gain (or a spread): '+2.13' in points; '+1.27' in the metric's own unit."""
        if self.scale is Scale.FRACTION:
            return points(x, signed=signed)
        if x is None:
            return "n/a"
        return f"{x:+.4g}" if signed else f"{x:.4g}"

    def value(self, x: float | None) -> str:
        """A metric value: '80.00' (percent) for a 0-1 metric, else '23.4'."""
        if self.scale is Scale.FRACTION:
            return fraction(x)
        return "n/a" if x is None else f"{x:.4g}"

    def interval(self, low: float | None, high: float | None) -> str:
        """'[+0.80, +3.40]': an interval of gains."""
        return f"[{self.gain(low)}, {self.gain(high)}]"

    def mean_sd(self, mean: float | None, sd: float | None) -> str:
        """'80.00 ± 0.50'; 'n/a' when either is missing."""
        if mean is None or sd is None:
            return "n/a"
        return f"{self.value(mean)} ± {self.gain(sd, signed=False)}"

    def size(self, x: float) -> str:
        """'a 2.0-point gain'; 'a 1.27 perplexity gain'."""
        if self.scale is Scale.FRACTION:
            return f"a {abs(100 * x):.1f}-point gain"
        return f"a {abs(x):.4g} {self.name} gain"

    def band(self, half_width: float) -> str:
        """'±0.50 pts': a region around zero, e.g. the ROPE."""
        return f"±{self.gain(half_width, signed=False)} {self.name}"

    @classmethod
    def of(cls, claim: ClaimResult) -> Unit:
        """The unit of a claim's metric, as its document records it."""
        return cls(claim.scale, claim.unit)


def agreement_value(a: AgreementResult, unit: Unit) -> str:
    """One agreement cell's result: 'p = 0.012', '[+0.70 pts, +2.30 pts]', 'ε_min = 0.08'."""
    kind = a.kind
    if kind is AgreementKind.TEXT:  # format 1: formatted when it was written
        return a.text or ""
    if kind is AgreementKind.P_VALUE:
        if a.p is None:
            return "n/a"
        return "p < 0.001" if a.p < 0.001 else f"p = {a.p:.3f}"
    if kind is AgreementKind.INTERVAL:
        return f"[{unit.gain(a.low)} {unit.name}, {unit.gain(a.high)} {unit.name}]"
    if kind is AgreementKind.SHARE:
        return f"{_two(a.estimate)} [{_two(a.low)}, {_two(a.high)}]"
    if kind is AgreementKind.DOMINANCE:
        return f"ε_min = {_two(a.estimate)}"
    if kind is AgreementKind.EQUIVALENCE:
        return "equivalent" if a.improvement is False else "not shown"
    return "n/a"


def _two(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
