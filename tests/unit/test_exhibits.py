"""Exhibits round-trip through JSON and refuse malformed shapes."""

from __future__ import annotations

import json

import pytest

from auditkit.exhibits import (
    Column,
    Curve,
    Curves,
    Estimate,
    IntervalPlot,
    IntervalPoint,
    Table,
    ValueKind,
    exhibit_from_json,
    exhibit_to_json,
)


@pytest.mark.parametrize(
    "exhibit",
    [
        Table(
            title="Split statistics",
            columns=(
                Column("split"),
                Column("rows", ValueKind.COUNT),
                Column("share", ValueKind.FRACTION),
            ),
            rows=(("train", 2000, 0.5), ("test", 1000, None)),
        ),
        Table(
            title="Reliance",
            columns=(Column("variant"), Column("drop", ValueKind.GAIN)),
            rows=(("gru", Estimate(0.12, 0.1, 0.14)), ("bag", None)),
            facts=(("labelling rule", "shape at position 0"),),
            caption="one row per split",
        ),
        IntervalPlot(
            title="Reliance",
            axis="drop in acc",
            points=(
                IntervalPoint(
                    label="gru · color", estimate=0.12, low=0.1, high=0.14, group="color"
                ),
            ),
            reference=None,
        ),
        Curves(
            title="Training curves",
            x_label="epoch",
            y_label="loss",
            curves=(
                Curve(label="64", x=(1.0, 2.0), y=(0.7, 0.5), panel="gru", style="dashed"),
                Curve(label="64", x=(1.0, 2.0), y=(0.6, 0.4), panel="gru", faint=True),
            ),
            legend=("64",),
            styles=(("solid", "train"), ("dashed", "validation")),
        ),
    ],
)
def test_an_exhibit_survives_a_json_round_trip(exhibit: object) -> None:
    text = json.dumps(exhibit_to_json(exhibit))  # type: ignore[arg-type]
    assert exhibit_from_json(json.loads(text)) == exhibit


def test_a_table_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        Table(title="t", columns=(Column("a"),), rows=(("x", 1),))


def test_an_unknown_exhibit_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown exhibit kind 'pie'"):
        exhibit_from_json({"kind": "pie"})


def test_a_cell_that_is_no_value_is_refused() -> None:
    raw = exhibit_to_json(Table(title="t", columns=(Column("a"),), rows=(("x",),)))
    raw["rows"] = [[["x"]]]
    with pytest.raises(ValueError, match="a table cell must be words, a number"):
        exhibit_from_json(raw)
