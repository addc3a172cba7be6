"""AK201's exhibit: the data's per-split statistics as a table, with what the data says of itself.

The statistics are the ones the data's loader measured (``metadata["splits"]``); the facts
under the table are the labelling rule and the planted pitfalls of generated data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditkit.exhibits import Cell, Column, Table, ValueKind
from auditkit.types import DataMetadata

#: split-statistics keys the data loaders write -> (column heading, kind)
_SPLIT_COLUMNS = {
    "n": ("rows", ValueKind.COUNT),
    "rows": ("rows", ValueKind.COUNT),
    "label_rate": ("positive labels", ValueKind.FRACTION),
    "mean_length": ("mean length", ValueKind.NUMBER),
    "mean_shape_variety": ("mean shape variety", ValueKind.NUMBER),
    "mean_color_variety": ("mean colour variety", ValueKind.NUMBER),
}

#: a pitfall field longer than this (row ids, per-row lists) is left out of the summary
_FACT_WIDTH = 80


def _fact(value: Any) -> str:
    """A metadata value in words: floats to 3 significant digits, lists and dicts inline."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_fact(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_fact(v)}" for k, v in value.items())
    return str(value)


def _pitfall(record: Mapping[str, Any]) -> str:
    """One planted pitfall as 'kind (field value, ...)', without its bulky fields."""
    parts = []
    for key, value in record.items():
        if key == "kind":
            continue
        text = _fact(value)
        if len(text) <= _FACT_WIDTH:
            parts.append(f"{key.replace('_', ' ')}: {text}")
    return f"{record['kind']} ({'; '.join(parts)})" if parts else str(record["kind"])


def _cell(value: Any) -> Cell:
    """A split statistic as a table cell: numbers stay numbers, lists become words."""
    if value is None or isinstance(value, str | int | float):
        return value
    return _fact(value)


def split_table(name: str, meta: DataMetadata) -> Table | None:
    """The data's per-split statistics, with the labelling rule and the planted pitfalls.

    Parameters
    ----------
    name
        The dataset's name.
    meta
        Its typed metadata; ``meta.splits`` holds the statistics its loader measured.

    Returns
    -------
    Table or None
        One row per split (shape (n_splits, 1 + n_statistics)); None when the data
        records no split statistics.
    """
    if not meta.splits:
        return None
    keys: list[str] = []
    for stats in meta.splits.values():
        keys += [k for k in stats if k not in keys]
    columns = [Column("split")]
    for key in keys:
        values = [stats.get(key) for stats in meta.splits.values()]
        numeric = all(v is None or isinstance(v, int | float) for v in values)
        default = (key.replace("_", " "), ValueKind.NUMBER if numeric else ValueKind.TEXT)
        columns.append(Column(*_SPLIT_COLUMNS.get(key, default)))
    rows = tuple(
        (split, *(_cell(stats.get(k)) for k in keys)) for split, stats in meta.splits.items()
    )
    facts: list[tuple[str, str]] = [("data", name)]
    if meta.rule is not None and meta.rule.description:
        facts.append(("labelling rule", meta.rule.description))
    if meta.rule is not None and meta.rule.factors:
        facts.append(("factors the rule reads", ", ".join(meta.rule.factors)))
    if meta.pitfalls is not None:
        facts.append(("planted pitfalls", "; ".join(map(_pitfall, meta.pitfalls)) or "none"))
    return Table(title="Data splits", columns=tuple(columns), rows=rows, facts=tuple(facts))
