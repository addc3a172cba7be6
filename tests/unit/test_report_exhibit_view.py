"""Exhibit views: every cell formatted by its column's kind, sections in the rules' order."""

from __future__ import annotations

import pytest

from auditkit.exhibits import (
    Column,
    Curve,
    Curves,
    Estimate,
    Exhibit,
    Table,
    ValueKind,
)
from auditkit.report import plots
from auditkit.report.auditdoc import RuleRow, Scale
from auditkit.report.exhibit_view import (
    FigureView,
    TableView,
    exhibit_sections,
    format_cell,
    table_view,
)
from auditkit.report.fmt import Unit


@pytest.mark.parametrize(
    ("cell", "kind", "text"),
    [
        ("train", ValueKind.TEXT, "train"),
        (12345, ValueKind.COUNT, "12,345"),
        (0.5, ValueKind.FRACTION, "50.0%"),
        (0.7123, ValueKind.METRIC, "71.23"),
        (-0.0213, ValueKind.GAIN, "-2.13"),
        (0.0004, ValueKind.P_VALUE, "<0.001"),
        (0.042, ValueKind.P_VALUE, "0.042"),
        (3.7, ValueKind.NUMBER, "3.70"),
        (6.2875, ValueKind.NUMBER, "6.29"),
        (1234.5, ValueKind.NUMBER, "1,234"),
        (None, ValueKind.GAIN, "n/a"),
        (Estimate(0.12, 0.1, 0.14), ValueKind.GAIN, "+12.00 [+10.00, +14.00]"),
    ],
)
def test_a_cell_is_formatted_by_its_columns_kind(cell: object, kind: ValueKind, text: str) -> None:
    assert format_cell(cell, kind) == text  # type: ignore[arg-type]


def test_sections_follow_the_rules_and_figures_keep_their_numbers() -> None:
    table = Table(
        title="Rows",
        columns=(Column("split"), Column("drop", ValueKind.GAIN)),
        rows=(("train", 0.01),),
        facts=(("data", "toy"),),
    )
    curves = Curves(
        title="Curves",
        x_label="epoch",
        y_label="loss",
        curves=(Curve(label="batch 8", x=(1.0, 2.0), y=(0.7, 0.5), panel="gru"),),
    )

    def rule(id: str, name: str, *exhibits: Exhibit) -> RuleRow:
        return RuleRow(
            id=id,
            name=name,
            check="c",
            severity="high",
            why="",
            fix="",
            references=(),
            outcome="pass",
            reason="",
            exhibits=exhibits,
        )

    rules = [
        rule("AK101", "seed-variance"),
        rule("AK591", "plugin", table),
        rule("AK401", "batch", curves),
    ]
    first, second = exhibit_sections(rules)
    assert (first.key, first.title, second.key) == ("exhibits-ak591", "Rows", "exhibits-ak401")
    (view,) = first.items
    assert isinstance(view, TableView)
    assert view.columns == ("split", "drop (pts)") and view.numeric == (False, True)
    assert view.rows == (("train", "+1.00"),) and view.facts == (("data", "toy"),)
    (figure,) = second.items
    assert isinstance(figure, FigureView) and figure.exhibit == curves
    svg = plots.draw_exhibit(figure.exhibit, prefix=figure.key)
    assert svg.startswith("<svg") and "<title>Curves</title>" in svg
    assert 'id="ak401-1-' in svg


def test_exhibits_of_a_metric_off_the_0_1_scale_keep_its_unit() -> None:
    table = Table(title="Drops", columns=(Column("drop", ValueKind.GAIN),), rows=((1.5,),))
    view = table_view(table, Unit(Scale.OWN, "perplexity"))
    # a perplexity drop of 1.5 is not "+150.00 pts"
    assert view.columns == ("drop (perplexity)",) and view.rows == (("+1.5",),)
