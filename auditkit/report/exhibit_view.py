"""Exhibit views: the tables, interval plots and curves that checks return, formatted once.

A check hands the report typed, format-free exhibits (:mod:`auditkit.exhibits`); audit.json
stores them under each rule as numbers. This module reads them back and formats every
cell by its column's :class:`~auditkit.exhibits.ValueKind`, so that the HTML, the PDF and
the LaTeX show the same strings. It knows no rule family: a check from another package
gets its section in every view without a change here.

Figures keep their numbers (for drawing, in ``plots``); tables become strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from auditkit.exhibits import (
    Cell,
    Column,
    Curves,
    Estimate,
    Exhibit,
    IntervalPlot,
    Table,
    ValueKind,
)
from auditkit.report.auditdoc import RuleRow, Scale
from auditkit.report.fmt import Unit

#: the unit of a 0-1 metric (the default): values and gains in points
POINTS = Unit()

#: value kinds in the metric's unit (points for a 0-1 metric), and their columns say so
POINT_KINDS = frozenset({ValueKind.METRIC, ValueKind.GAIN})


@dataclass(frozen=True, slots=True, kw_only=True)
class TableView:
    """A table exhibit with every cell formatted."""

    title: str
    #: column headings, the unit added where the kind has one: ``"drop (pts)"``
    columns: tuple[str, ...]
    #: per column: whether it holds numbers (right-aligned)
    numeric: tuple[bool, ...]
    #: shape (n_rows, len(columns)); the first cell of a row heads it when it is words
    rows: tuple[tuple[str, ...], ...]
    facts: tuple[tuple[str, str], ...] = ()
    caption: str = ""
    kind: Literal["table"] = "table"


@dataclass(frozen=True, slots=True, kw_only=True)
class FigureView:
    """An interval plot or curves exhibit: its words, and its numbers for drawing."""

    title: str
    caption: str
    #: page-unique key, the prefix of the drawn SVG's ids: ``"ak302-1"``
    key: str
    exhibit: IntervalPlot | Curves
    #: what a metric value or gain is multiplied by to draw it: 100 (points) for a 0-1
    #: metric, else 1; and the axis's unit words
    value_scale: float = 100.0
    value_unit: str = "points"
    kind: Literal["figure"] = "figure"


ExhibitView = TableView | FigureView


@dataclass(frozen=True, slots=True, kw_only=True)
class ExhibitSection:
    """One rule's exhibits: a section of the report of their own."""

    #: the HTML anchor: ``"exhibits-ak302"``
    key: str
    rule: str  #: "AK302"
    name: str  #: the rule's name
    #: the section's heading: the first exhibit's title
    title: str
    items: tuple[ExhibitView, ...]


def format_value(value: int | float | str, kind: ValueKind, unit: Unit = POINTS) -> str:
    """One number (or words) as its kind is shown: a gain of 0.0213 -> ``"+2.13"``.

    Parameters
    ----------
    value
        The value; words are shown as they are, whatever the kind.
    kind
        What the value means.
    unit
        The audit's metric unit, for metric values and gains: points for a 0-1 metric
        (the default), else the metric's own unit, never multiplied by 100.

    Returns
    -------
    str
    """
    if isinstance(value, str) or kind is ValueKind.TEXT:
        return str(value)
    if kind is ValueKind.COUNT:
        return f"{int(value):,}"
    if kind is ValueKind.FRACTION:
        return f"{100 * value:.1f}%"
    if kind is ValueKind.METRIC:
        return unit.gain(value, signed=False)
    if kind is ValueKind.GAIN:
        return unit.gain(value, signed=True)
    if kind is ValueKind.P_VALUE:
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    # three significant digits, trailing zeros kept so that a column's decimals line up
    return f"{value:#.3g}"


def format_cell(cell: Cell, kind: ValueKind, unit: Unit = POINTS) -> str:
    """A table cell as text: ``None`` -> ``"n/a"``, an estimate -> ``"+2.13 [+0.80, +3.40]"``."""
    if cell is None:
        return "n/a"
    if isinstance(cell, Estimate):
        low, high = format_value(cell.low, kind, unit), format_value(cell.high, kind, unit)
        return f"{format_value(cell.value, kind, unit)} [{low}, {high}]"
    return format_value(cell, kind, unit)


def column_label(column: Column, unit: Unit = POINTS) -> str:
    """A column's heading with its unit: ``"drop (pts)"`` for a gain of a 0-1 metric."""
    return f"{column.label} ({unit.name})" if column.kind in POINT_KINDS else column.label


def table_view(table: Table, unit: Unit = POINTS) -> TableView:
    """Format every cell of ``table`` by its column's kind (metric values in ``unit``)."""
    kinds = [c.kind for c in table.columns]
    return TableView(
        title=table.title,
        columns=tuple(column_label(c, unit) for c in table.columns),
        numeric=tuple(k is not ValueKind.TEXT for k in kinds),
        rows=tuple(
            tuple(format_cell(cell, kind, unit) for cell, kind in zip(row, kinds, strict=True))
            for row in table.rows
        ),
        facts=table.facts,
        caption=table.caption,
    )


def _view(exhibit: Exhibit, key: str, unit: Unit) -> ExhibitView:
    if isinstance(exhibit, Table):
        return table_view(exhibit, unit)
    fraction = unit.scale is Scale.FRACTION
    return FigureView(
        title=exhibit.title,
        caption=exhibit.caption,
        key=key,
        exhibit=exhibit,
        value_scale=100.0 if fraction else 1.0,
        value_unit="points" if fraction else unit.name,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "rule"


def exhibit_sections(rules: Sequence[RuleRow], unit: Unit = POINTS) -> tuple[ExhibitSection, ...]:
    """Each rule's exhibits, formatted, in the rules' order.

    Parameters
    ----------
    rules
        The document's rules; a rule without ``exhibits`` (none found, or an audit.json
        written before exhibits existed) has no section.
    unit
        The audit's metric unit, in which metric values and gains are shown.

    Returns
    -------
    tuple of ExhibitSection
    """
    out = []
    for rule in rules:
        exhibits = rule.exhibits
        if not exhibits:
            continue
        slug = _slug(rule.id)
        out.append(
            ExhibitSection(
                key=f"exhibits-{slug}",
                rule=rule.id,
                name=rule.name,
                title=exhibits[0].title,
                items=tuple(_view(e, f"{slug}-{i}", unit) for i, e in enumerate(exhibits, start=1)),
            )
        )
    return tuple(out)
