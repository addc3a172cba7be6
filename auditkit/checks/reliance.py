"""Reliance on a factor: a model's drop when a probe removes it, measured, judged and shown.

The token-order (AK301) and factor-isolation (AK302) checks both compare a model's score
on probed inputs with its score on the originals, per seed, on test and (where the runs
probed it) on dev; this module measures those drops and turns them into the exhibits the
report shows (an interval plot of the test drops, a table with the dev drops).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditkit.checks import AssessContext, interval, pts
from auditkit.exhibits import (
    Cell,
    Column,
    Estimate,
    Exhibit,
    IntervalPlot,
    IntervalPoint,
    Table,
    ValueKind,
)
from auditkit.perturb import evaluation_split, on_dev
from auditkit.stats import mcnemar_test

#: the internal judgements of a reliance row, left out of the rows the report shows
JUDGED = ("relies", "relies_dev", "blind")


def _mcnemar_seeds(ctx: AssessContext, variant: str, evaluation: str) -> tuple[int, int]:
    """(seeds where the probe lowers accuracy significantly, seeds tested).

    Per seed, the nominal and the probed predictions score the same rows (test, or dev
    for a dev evaluation): McNemar's exact test (one-sided, nominal more accurate) on the
    stored predictions, at ``alpha``.
    """
    split = evaluation_split(evaluation)[1]
    significant = tested = 0
    for seed in ctx.seeds:
        run = ctx.run(variant, seed)
        if run is None or not run.ok:
            continue
        probed = run.perturbed_predictions.get(evaluation)
        labels = ctx.test_labels(seed, split)
        nominal = run.dev_predictions if split == "dev" else run.test_predictions
        if probed is None or len(probed) != len(labels) or len(nominal) != len(labels):
            continue
        if len(labels) < 2:
            continue
        right = [p == y for p, y in zip(nominal, labels, strict=True)]
        right_probed = [p == y for p, y in zip(probed, labels, strict=True)]
        tested += 1
        significant += mcnemar_test(right, right_probed).p_value < ctx.alpha
    return significant, tested


def _drops(ctx: AssessContext, variant: str, metric: str, evaluation: str) -> dict[int, float]:
    """Per seed: the metric's drop under ``evaluation``, on the split it probes."""
    split = evaluation_split(evaluation)[1]
    nominal = ctx.scores(variant, metric, split=split)
    probed = ctx.scores(variant, metric, evaluation=evaluation)
    return {s: nominal[s] - probed[s] for s in ctx.seeds if s in nominal and s in probed}


def _measure(
    ctx: AssessContext, variant: str, metric: str, evaluation: str, min_drop: float
) -> tuple[dict[int, float], dict[str, Any], str] | None:
    """Per-seed drops, their summary (mean, interval, reliance) and the evidence text."""
    drops = _drops(ctx, variant, metric, evaluation)
    found = interval(tuple(drops.values()), ctx.confidence)
    if found is None:
        return None
    mean, low, high = found
    significant, tested = _mcnemar_seeds(ctx, variant, evaluation)
    agree = tested >= 2 and significant == tested
    summary = {
        "mean": mean,
        "low": low,
        "high": high,
        "relies": mean > min_drop and (low > min_drop or agree),
    }
    text = f"{pts(mean)} [{pts(low)}, {pts(high)}]" + (
        f"; accuracy lower on {significant} of {tested} seeds' paired "
        f"{evaluation_split(evaluation)[1]} rows (McNemar, α = {ctx.alpha:g})"
        if tested
        else ""
    )
    return drops, summary, text


def measure_reliance(
    ctx: AssessContext, metric: str, evaluation: str, factor: str, min_drop: float
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per variant: the metric's drop under a test-time perturbation, and evidence strings.

    A variant relies on the factor when its mean drop exceeds ``min_drop`` and either the
    t-interval of the drop lies above ``min_drop`` or every seed's own paired test rows
    show the drop (McNemar, stored predictions): a drop that swings between seeds but is
    clear on each of them is reliance, which a 3-seed t-interval alone can miss.

    Where the runs also probed dev (``on_dev(evaluation)``), the row carries the dev drop
    (``dev_drop_mean``, ``dev_low``, ``dev_high``, judged as on test into ``relies_dev``)
    and the dev − test difference paired by seed (``dev_minus_test``, with its interval):
    dev is drawn like train, so a cue that holds in train and dev but not in test shows
    as reliance on dev while the test-time drop looks small.
    """
    rows: dict[str, dict[str, Any]] = {}
    evidence: dict[str, str] = {}
    for variant in ctx.variants:
        measured = _measure(ctx, variant, metric, evaluation, min_drop)
        if measured is None:
            continue
        drops, test, text = measured
        rows[variant] = {
            "variant": variant,
            "factor": factor,
            "metric": metric,
            "drop_mean": test["mean"],
            "low": test["low"],
            "high": test["high"],
            "relies": test["relies"],
            "relies_dev": False,
            "blind": abs(test["mean"]) < min_drop and test["high"] < 2 * min_drop,
        }
        evidence[f"{variant}: {metric} drop, {evaluation}"] = text
        on_dev_measured = _measure(ctx, variant, metric, on_dev(evaluation), min_drop)
        if on_dev_measured is None:
            continue  # no dev probe ran (another rule, or runs stored before dev probes)
        dev_drops, dev, dev_text = on_dev_measured
        rows[variant].update(dev_drop_mean=dev["mean"], dev_low=dev["low"], dev_high=dev["high"])
        rows[variant]["relies_dev"] = dev["relies"]
        evidence[f"{variant}: {metric} drop, {evaluation} on dev"] = dev_text
        gap = interval(
            [dev_drops[s] - drops[s] for s in ctx.seeds if s in drops and s in dev_drops],
            ctx.confidence,
        )
        if gap is not None:
            rows[variant].update(
                dev_minus_test=gap[0], dev_minus_test_low=gap[1], dev_minus_test_high=gap[2]
            )
            evidence[f"{variant}: {metric} drop, {evaluation}, dev − test"] = (
                f"{pts(gap[0])} [{pts(gap[1])}, {pts(gap[2])}] (paired by seed)"
            )
    return rows, evidence


def _estimate(row: dict[str, Any], value: str, low: str, high: str) -> Estimate | None:
    return Estimate(row[value], row[low], row[high]) if row.get(value) is not None else None


def reliance_exhibits(
    rows: Sequence[dict[str, Any]], metric: str, title: str
) -> tuple[Exhibit, ...]:
    """The reliance rows as an interval plot of the test drops and a table with the dev drops.

    Parameters
    ----------
    rows
        One per variant and probe, as :func:`measure_reliance` measures them (``variant``,
        ``factor``, ``drop_mean``, ``low``, ``high``, and where dev was probed
        ``dev_drop_mean``, ``dev_low``, ``dev_high``, ``dev_minus_test``, ...).
    metric
        The metric whose drop is measured.
    title
        The exhibits' title, e.g. ``"Shape and colour reliance"``.

    Returns
    -------
    tuple of Exhibit
        Empty without rows; else the plot, then the table (dev columns only where dev was
        probed).
    """
    if not rows:
        return ()
    dev = any(r.get("dev_drop_mean") is not None for r in rows)
    columns = [
        Column("variant"),
        Column("masked factor"),
        Column(f"{metric} drop", ValueKind.GAIN),
    ]
    if dev:
        columns += [Column("drop on dev", ValueKind.GAIN), Column("dev − test", ValueKind.GAIN)]
    table_rows = []
    for r in rows:
        cells: list[Cell] = [r["variant"], r["factor"], _estimate(r, "drop_mean", "low", "high")]
        if dev:
            cells += [
                _estimate(r, "dev_drop_mean", "dev_low", "dev_high"),
                _estimate(r, "dev_minus_test", "dev_minus_test_low", "dev_minus_test_high"),
            ]
        table_rows.append(tuple(cells))
    how = (
        "How much the test metric drops when one factor is masked or permuted at test time: "
        "a model that drops on a factor the labelling rule never reads has learnt a shortcut."
    )
    plot = IntervalPlot(
        title=title,
        axis=f"drop in {metric} when the factor is masked",
        points=tuple(
            IntervalPoint(
                label=f"{r['variant']} · {r['factor']}",
                estimate=r["drop_mean"],
                low=r["low"],
                high=r["high"],
                group=r["factor"],
            )
            for r in rows
        ),
        caption=f"{how} Each drop with its interval, per variant and probed factor.",
    )
    table = Table(
        title=title,
        columns=tuple(columns),
        rows=tuple(table_rows),
        caption=(
            "Dev is drawn like train: a cue that holds in train and dev but not in test shows "
            "as a drop on dev while the test drop looks small."
            if dev
            else ""
        ),
    )
    return plot, table


def drops_text(row: dict[str, Any], metric: str) -> str:
    """The test drop with its interval, and where dev was probed the dev drop and dev − test.

    E.g. ``"+2.00 pts accuracy on test (interval -1.00 to +5.00 pts) and +40.00 pts on dev
    (interval +35.00 to +45.00 pts; dev − test +38.00 pts, interval +30.00 to +46.00 pts)"``.
    """
    test = (
        f"{pts(row['drop_mean'])} {metric}"
        + (" on test" if "dev_drop_mean" in row else "")
        + f" (interval {pts(row['low'])} to {pts(row['high'])})"
    )
    if "dev_drop_mean" not in row:
        return test
    gap = (
        f"; dev − test {pts(row['dev_minus_test'])}, interval "
        f"{pts(row['dev_minus_test_low'])} to {pts(row['dev_minus_test_high'])}"
        if "dev_minus_test" in row
        else ""
    )
    return (
        f"{test} and {pts(row['dev_drop_mean'])} on dev (interval {pts(row['dev_low'])} to "
        f"{pts(row['dev_high'])}{gap})"
    )
