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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from auditkit.exhibits import (
    Cell,
    Column,
    Curves,
    Estimate,
    Exhibit,
    IntervalPlot,
    Table,
    ValueKind,
    exhibit_from_json,
)

#: value kinds in the metric's unit: shown as points, and their columns say so
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


def _points(x: float, *, signed: bool) -> str:
    return f"{100 * x:+.2f}" if signed else f"{100 * x:.2f}"


def format_value(value: int | float | str, kind: ValueKind) -> str:
    """One number (or words) as its kind is shown: a gain of 0.0213 -> ``"+2.13"``.

    Parameters
    ----------
    value
        The value; words are shown as they are, whatever the kind.
    kind
        What the value means.

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
        return _points(value, signed=False)
    if kind is ValueKind.GAIN:
        return _points(value, signed=True)
    if kind is ValueKind.P_VALUE:
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    # three significant digits, trailing zeros kept so that a column's decimals line up
    return f"{value:#.3g}"


def format_cell(cell: Cell, kind: ValueKind) -> str:
    """A table cell as text: ``None`` -> ``"n/a"``, an estimate -> ``"+2.13 [+0.80, +3.40]"``."""
    if cell is None:
        return "n/a"
    if isinstance(cell, Estimate):
        low, high = format_value(cell.low, kind), format_value(cell.high, kind)
        return f"{format_value(cell.value, kind)} [{low}, {high}]"
    return format_value(cell, kind)


def column_label(column: Column) -> str:
    """A column's heading with its unit: ``"drop (pts)"`` for a gain."""
    return f"{column.label} (pts)" if column.kind in POINT_KINDS else column.label


def table_view(table: Table) -> TableView:
    """Format every cell of ``table`` by its column's kind."""
    kinds = [c.kind for c in table.columns]
    return TableView(
        title=table.title,
        columns=tuple(column_label(c) for c in table.columns),
        numeric=tuple(k is not ValueKind.TEXT for k in kinds),
        rows=tuple(
            tuple(format_cell(cell, kind) for cell, kind in zip(row, kinds, strict=True))
            for row in table.rows
        ),
        facts=table.facts,
        caption=table.caption,
    )


def _view(exhibit: Exhibit, key: str) -> ExhibitView:
    if isinstance(exhibit, Table):
        return table_view(exhibit)
    return FigureView(title=exhibit.title, caption=exhibit.caption, key=key, exhibit=exhibit)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "rule"


def exhibit_sections(rules: Sequence[Mapping[str, Any]]) -> tuple[ExhibitSection, ...]:
    """Each rule's exhibits, read back from audit.json and formatted, in the rules' order.

    Parameters
    ----------
    rules
        ``audit.json``'s ``rules``; a rule without ``exhibits`` (none found, or an
        audit.json written before exhibits existed) has no section.

    Returns
    -------
    tuple of ExhibitSection
    """
    out = []
    for rule in rules:
        exhibits = [exhibit_from_json(raw) for raw in rule.get("exhibits") or ()]
        if not exhibits:
            continue
        slug = _slug(str(rule["id"]))
        out.append(
            ExhibitSection(
                key=f"exhibits-{slug}",
                rule=str(rule["id"]),
                name=str(rule["name"]),
                title=exhibits[0].title,
                items=tuple(_view(e, f"{slug}-{i}") for i, e in enumerate(exhibits, start=1)),
            )
        )
    return tuple(out)
