"""Number formatting for every view: points, fractions, p-values, durations, conditions.

Every number a view shows is formatted by one of these functions, once, so that the HTML,
the PDF, the LaTeX and the terminal agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
    key, sep, value = condition.partition("=")
    return f"{key.replace('_', ' ')} {value}" if sep else condition.replace("_", " ")


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


def mean_sd(mean: float | None, sd: float | None) -> str:
    """'80.00 ± 0.50' (mean as a percentage, sd in points); 'n/a' when either is missing."""
    if mean is None or sd is None:
        return "n/a"
    return f"{fraction(mean)} ± {points(sd)}"


def interval(low: float | None, high: float | None) -> str:
    """'[+0.80, +3.40]': an interval in signed points."""
    return f"[{points(low, signed=True)}, {points(high, signed=True)}]"


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
