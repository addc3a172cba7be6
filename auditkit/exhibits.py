"""Exhibits: the typed, format-free evidence a check hands to the report.

A check says what it found in a :class:`~auditkit.types.Finding`: an outcome, a sentence,
and exhibits. An exhibit holds numbers and words, never formatted numbers: each column or
axis says what *kind* of value it holds (a metric value, a gain, a share, a p-value, ...),
and the views (HTML, PDF, LaTeX, terminal) format each kind in one place. The report has one
renderer per exhibit kind, so a check from another package (entry point ``auditkit.checks``)
gets its tables and plots into every report without a change to ``auditkit.report``.

The vocabulary is small on purpose: what the built-in rule families need, nothing
speculative.

- :class:`Table`: rows of cells under typed columns (a split table, reliance rows); a cell
  may be an :class:`Estimate` (a value with its interval).
- :class:`IntervalPlot`: estimates with intervals, one row each (reliance drops).
- :class:`Curves`: lines of y against x, grouped into panels (training curves by batch size).

Each exhibit writes itself to JSON (:func:`exhibit_to_json`) and reads back
(:func:`exhibit_from_json`) losslessly, so that audit.json holds them as numbers.

Examples
--------
>>> t = Table(title="Split statistics", columns=(Column("split"), Column("rows", ValueKind.COUNT)),
...           rows=(("train", 2000), ("test", 1000)))
>>> exhibit_from_json(exhibit_to_json(t)) == t
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, TypeAlias


class ValueKind(StrEnum):
    """What a number means, so that every view formats it the same way."""

    #: words, shown as they are
    TEXT = "text"
    #: a whole number (rows, runs), shown with thousands separators
    COUNT = "count"
    #: a plain number, shown to 3 significant digits
    NUMBER = "number"
    #: a share in [0, 1], shown as a percentage
    FRACTION = "fraction"
    #: a value of the audit's metric, shown in the metric's unit (points for 0-1 metrics)
    METRIC = "metric"
    #: a difference of metric values (a gain, a drop), signed, in the metric's unit
    GAIN = "gain"
    #: a p-value
    P_VALUE = "p"


@dataclass(frozen=True, slots=True)
class Estimate:
    """An estimate with its interval, one table cell: shown as ``+12.30 [+10.00, +14.60]``.

    The three numbers are of the kind of the cell's column (usually :attr:`ValueKind.GAIN`).
    """

    value: float
    low: float
    high: float


#: one table cell: words, a number, an estimate with its interval, or None for "not available"
Cell: TypeAlias = str | int | float | Estimate | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a :class:`Table`: its heading and the kind of its cells."""

    label: str
    kind: ValueKind = ValueKind.TEXT


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A table of cells under typed columns.

    ``rows`` has shape (n_rows, len(columns)); a cell of ``None`` is shown as "n/a".
    ``facts`` are label/value sentences shown under the table (a labelling rule, the planted
    pitfalls), already in words.
    """

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    facts: tuple[tuple[str, str], ...] = ()
    #: one sentence under the table saying how to read it
    caption: str = ""
    kind: Literal["table"] = "table"

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.title!r}: a row has {len(row)} cells for "
                    f"{len(self.columns)} columns: {row!r}"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalPoint:
    """One estimate with its interval, a row of an :class:`IntervalPlot`."""

    label: str
    estimate: float
    low: float
    high: float
    #: the group a point belongs to (its colour), e.g. the factor masked; "" for none
    group: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalPlot:
    """Estimates with intervals, one row each, against a reference line (usually 0)."""

    title: str
    #: the x-axis label, e.g. ``"drop in hwa when the factor is permuted"``
    axis: str
    points: tuple[IntervalPoint, ...]
    #: the kind of the estimates (usually :attr:`ValueKind.GAIN`)
    value_kind: ValueKind = ValueKind.GAIN
    #: where the dashed reference line is drawn; None for none
    reference: float | None = 0.0
    caption: str = ""
    kind: Literal["interval_plot"] = "interval_plot"


@dataclass(frozen=True, slots=True, kw_only=True)
class Curve:
    """One line of a :class:`Curves` exhibit: y against x, shape (n_points,) each."""

    #: the legend entry, e.g. ``"64"`` for batch size 64
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    #: the panel the line is drawn in, e.g. the variant
    panel: str = ""
    #: a line style for a second series in the same panel, e.g. ``"dashed"`` for dev loss
    style: Literal["solid", "dashed"] = "solid"
    #: a single run drawn thin and pale under the summary lines (e.g. one seed under the mean)
    faint: bool = False

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"curve {self.label!r}: {len(self.x)} x values, {len(self.y)} y")


@dataclass(frozen=True, slots=True, kw_only=True)
class Curves:
    """Lines of y against x in panels (one per distinct :attr:`Curve.panel`)."""

    title: str
    x_label: str
    y_label: str
    curves: tuple[Curve, ...]
    #: legend order of the curve labels; empty: first seen first
    legend: tuple[str, ...] = ()
    #: what each line style means, in legend order, e.g. ``(("solid", "train"),)``
    styles: tuple[tuple[Literal["solid", "dashed"], str], ...] = ()
    caption: str = ""
    kind: Literal["curves"] = "curves"


#: any exhibit a check may return
Exhibit: TypeAlias = Table | IntervalPlot | Curves

_KINDS: Mapping[str, type[Table] | type[IntervalPlot] | type[Curves]] = {
    "table": Table,
    "interval_plot": IntervalPlot,
    "curves": Curves,
}


def _cell_to_json(cell: Cell) -> Any:
    if isinstance(cell, Estimate):
        return {"value": cell.value, "low": cell.low, "high": cell.high}
    return cell


def _cell_from_json(raw: Any) -> Cell:
    if isinstance(raw, Mapping):
        return Estimate(float(raw["value"]), float(raw["low"]), float(raw["high"]))
    if raw is None or isinstance(raw, str | int | float):
        return raw
    raise ValueError(f"a table cell must be words, a number, an estimate or null, not {raw!r}")


def _style(raw: Any) -> Literal["solid", "dashed"]:
    return "dashed" if raw == "dashed" else "solid"


def exhibit_to_json(exhibit: Exhibit) -> dict[str, Any]:
    """An exhibit as plain JSON values (numbers stay numbers), tagged by ``"kind"``.

    Parameters
    ----------
    exhibit
        Any :data:`Exhibit`.

    Returns
    -------
    dict
        JSON-ready; :func:`exhibit_from_json` reads it back to an equal exhibit.
    """
    if isinstance(exhibit, Table):
        return {
            "kind": "table",
            "title": exhibit.title,
            "columns": [{"label": c.label, "kind": c.kind.value} for c in exhibit.columns],
            "rows": [[_cell_to_json(c) for c in r] for r in exhibit.rows],
            "facts": [list(f) for f in exhibit.facts],
            "caption": exhibit.caption,
        }
    if isinstance(exhibit, IntervalPlot):
        return {
            "kind": "interval_plot",
            "title": exhibit.title,
            "axis": exhibit.axis,
            "points": [
                {
                    "label": p.label,
                    "estimate": p.estimate,
                    "low": p.low,
                    "high": p.high,
                    "group": p.group,
                }
                for p in exhibit.points
            ],
            "value_kind": exhibit.value_kind.value,
            "reference": exhibit.reference,
            "caption": exhibit.caption,
        }
    return {
        "kind": "curves",
        "title": exhibit.title,
        "x_label": exhibit.x_label,
        "y_label": exhibit.y_label,
        "curves": [
            {
                "label": c.label,
                "x": list(c.x),
                "y": list(c.y),
                "panel": c.panel,
                "style": c.style,
                "faint": c.faint,
            }
            for c in exhibit.curves
        ],
        "legend": list(exhibit.legend),
        "styles": [list(s) for s in exhibit.styles],
        "caption": exhibit.caption,
    }


def exhibit_from_json(raw: Mapping[str, Any]) -> Exhibit:
    """Read back what :func:`exhibit_to_json` wrote.

    Raises
    ------
    ValueError
        When ``raw["kind"]`` is not an exhibit kind, or a field is malformed.
    """
    kind = raw.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"unknown exhibit kind {kind!r}; known: {', '.join(_KINDS)}")
    if kind == "table":
        return Table(
            title=str(raw["title"]),
            columns=tuple(Column(c["label"], ValueKind(c["kind"])) for c in raw["columns"]),
            rows=tuple(tuple(_cell_from_json(c) for c in r) for r in raw["rows"]),
            facts=tuple((str(a), str(b)) for a, b in raw.get("facts", ())),
            caption=str(raw.get("caption", "")),
        )
    if kind == "interval_plot":
        return IntervalPlot(
            title=str(raw["title"]),
            axis=str(raw["axis"]),
            points=tuple(
                IntervalPoint(
                    label=str(p["label"]),
                    estimate=float(p["estimate"]),
                    low=float(p["low"]),
                    high=float(p["high"]),
                    group=str(p.get("group", "")),
                )
                for p in raw["points"]
            ),
            value_kind=ValueKind(raw.get("value_kind", "gain")),
            reference=None if raw.get("reference") is None else float(raw["reference"]),
            caption=str(raw.get("caption", "")),
        )
    return Curves(
        title=str(raw["title"]),
        x_label=str(raw["x_label"]),
        y_label=str(raw["y_label"]),
        curves=tuple(
            Curve(
                label=str(c["label"]),
                x=tuple(float(v) for v in c["x"]),
                y=tuple(float(v) for v in c["y"]),
                panel=str(c.get("panel", "")),
                style=_style(c.get("style")),
                faint=bool(c.get("faint", False)),
            )
            for c in raw["curves"]
        ),
        legend=tuple(str(v) for v in raw.get("legend", ())),
        styles=tuple((_style(s), str(words)) for s, words in raw.get("styles", ())),
        caption=str(raw.get("caption", "")),
    )
