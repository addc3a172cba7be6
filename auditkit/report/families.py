"""Views of the rule families' evidence: training curves, factor reliance, split statistics.

Each function derives one family's view from the document; they and their dataclasses
live together so that they can move into their checks as exhibits in one piece.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.report.auditdoc import AuditDocument, RunRecord
from auditkit.report.fmt import Unit, number_as
from auditkit.report.model import IntervalPoint

#: split-statistics columns: key in ``metadata.splits[...]`` -> (header, kind)
_SPLIT_COLUMNS = {
    "n": ("rows", "int"),
    "label_rate": ("positive labels", "pct"),
    "mean_length": ("mean length", "float"),
    "mean_shape_variety": ("mean shape variety", "float"),
    "mean_color_variety": ("mean colour variety", "float"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveLine:
    """One run's training curve, for drawing."""

    batch_size: str  #: the legend entry: "64"
    epochs: tuple[int, ...]
    train_loss: tuple[float, ...]
    dev_loss: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvesPlot:
    """Every nominal and batch-size run of every variant, for the training-curves figure."""

    variants: tuple[tuple[str, tuple[CurveLine, ...]], ...]
    batch_sizes: tuple[str, ...]  #: legend order, ascending


@dataclass(frozen=True, slots=True, kw_only=True)
class RelianceRow:
    """The metric drop when one factor is masked at test time (and on dev, if probed)."""

    variant: str
    factor: str
    drop: str  #: "+12.30"
    interval: str
    #: the drop on dev with its interval, "+40.10 [+35.00, +45.20]"; empty when dev was not probed
    dev_drop: str = ""
    #: dev − test drop paired by seed, with its interval; empty when dev was not probed
    dev_minus_test: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitTable:
    """Per-split statistics of the data."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    facts: tuple[tuple[str, str], ...]  #: rule description, pitfalls, ...


def _drawn(x: float | None) -> float:
    """A curve value for drawing; a missing one is a gap (NaN) in the line."""
    return float("nan") if x is None else float(x)


def _batch_size(run: RunRecord, default: int) -> int | None:
    """The run's batch size, or None when something else shapes the training.

    The batch-size sweep scales the learning rate with the batch size, so a run that
    overrides both still belongs to its batch size's curve.
    """
    overrides = dict(run.spec.overrides)
    if set(overrides) - {"batch_size", "lr"} or run.spec.transform:
        return None
    if "lr" in overrides and "batch_size" not in overrides:
        return None
    return int(overrides.get("batch_size", default))


def _curves(doc: AuditDocument) -> CurvesPlot | None:
    train = doc.experiment.train
    if train is None:  # auditkit compare: logged runs carry no curves
        return None
    default = train.batch_size
    by_variant: dict[str, list[CurveLine]] = {}
    sizes: set[int] = set()
    for run in doc.runs:
        curves = run.curves
        size = _batch_size(run, default)
        if not curves or size is None or run.error:
            continue
        sizes.add(size)
        by_variant.setdefault(run.spec.variant, []).append(
            CurveLine(
                batch_size=str(size),
                epochs=tuple(p.epoch for p in curves),
                train_loss=tuple(_drawn(p.train_loss) for p in curves),
                dev_loss=tuple(_drawn(p.dev_loss) for p in curves),
            )
        )
    if not by_variant:
        return None
    names = [v.name for v in doc.experiment.variants]
    ordered = sorted(by_variant.items(), key=lambda kv: names.index(kv[0]) if kv[0] in names else 0)
    return CurvesPlot(
        variants=tuple((name, tuple(lines)) for name, lines in ordered),
        batch_sizes=tuple(str(s) for s in sorted(sizes)),
    )


def _reliance(doc: AuditDocument) -> tuple[tuple[RelianceRow, ...], tuple[IntervalPoint, ...]]:
    raw = doc.reliance
    # a drop of a 0-1 metric (accuracy-like: every built-in reliance probe) in points
    pts = Unit()
    rows = tuple(
        RelianceRow(
            variant=r.variant,
            factor=r.factor,
            drop=pts.gain(r.drop_mean),
            interval=pts.interval(r.low, r.high),
            dev_drop=(
                f"{pts.gain(r.dev_drop_mean)} {pts.interval(r.dev_low, r.dev_high)}"
                if r.dev_drop_mean is not None
                else ""
            ),
            dev_minus_test=(
                f"{pts.gain(r.dev_minus_test)} "
                f"{pts.interval(r.dev_minus_test_low, r.dev_minus_test_high)}"
                if r.dev_minus_test is not None
                else ""
            ),
        )
        for r in raw
    )
    plot = tuple(
        IntervalPoint(
            label=f"{r.variant} · {r.factor}",
            mean=r.drop_mean,
            low=r.low,
            high=r.high,
            status=r.factor,
        )
        for r in raw
        if r.drop_mean is not None and r.low is not None and r.high is not None
    )
    return rows, plot


def _splits(doc: AuditDocument) -> SplitTable | None:
    # the data set's own metadata: untyped facts the data set declares about itself
    meta = doc.experiment.data.metadata
    splits = meta.get("splits") or {}
    if not splits:
        return None
    keys: list[str] = []
    for stats in splits.values():
        keys += [k for k in stats if k not in keys]
    columns = tuple(_SPLIT_COLUMNS.get(k, (k.replace("_", " "), "float"))[0] for k in keys)
    rows = tuple(
        (
            name,
            tuple(number_as(stats.get(k), _SPLIT_COLUMNS.get(k, ("", "float"))[1]) for k in keys),
        )
        for name, stats in splits.items()
    )
    facts: list[tuple[str, str]] = [("data", doc.experiment.data.name)]
    rule = meta.get("rule") or {}
    if rule.get("description"):
        facts.append(("labelling rule", str(rule["description"])))
    if rule.get("factors"):
        facts.append(("factors the rule reads", ", ".join(map(str, rule["factors"]))))
    pitfalls = meta.get("pitfalls")
    if pitfalls is not None:
        facts.append(("planted pitfalls", "; ".join(map(_pitfall, pitfalls)) or "none"))
    return SplitTable(columns=columns, rows=rows, facts=tuple(facts))


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


def _pitfall(record: Any) -> str:
    """One planted pitfall as 'kind (field value, ...)', without its bulky fields."""
    if not isinstance(record, Mapping):
        return str(record)
    parts = []
    for key, value in record.items():
        if key == "kind":
            continue
        text = _fact(value)
        if len(text) <= _FACT_WIDTH:
            parts.append(f"{key.replace('_', ' ')}: {text}")
    return (
        f"{record.get('kind', 'pitfall')} ({'; '.join(parts)})"
        if parts
        else str(record.get("kind"))
    )
