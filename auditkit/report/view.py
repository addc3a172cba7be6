"""Build the view: ``audit.json`` turned into the view model every view places.

Formatting lives in :mod:`auditkit.report.fmt`, the sentences in
:mod:`auditkit.report.prose`, the rule families' views in :mod:`auditkit.report.families`;
this module puts them together (:func:`build_view`).

Fields that newer audits add (test agreement, perturbation conditions, power, confusion
matrices, factor reliance, rule evidence) are read with ``.get()`` and an empty default,
so an older ``audit.json`` still renders: its views simply omit those sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.report.families import (
    CurvesPlot,
    RelianceRow,
    SplitTable,
    _curves,
    _reliance,
    _splits,
)
from auditkit.report.fmt import (
    VERDICT_ORDER,
    condition_words,
    duration,
    fraction,
    interval,
    mean_sd,
    p_value,
    points,
    summary_line,
)
from auditkit.report.model import (
    AgreementMatrix,
    AgreementRow,
    ClaimPlot,
    ClaimView,
    ConditionRow,
    ConfusionView,
    FailureView,
    HeatCell,
    Heatmap,
    HeatRow,
    IntervalPoint,
    RuleView,
    SeedRow,
    SpreadView,
    VerdictCount,
)
from auditkit.report.prose import findings as claim_findings
from auditkit.report.prose import methods

__all__ = [
    "VERDICT_ORDER",
    "ClaimPlot",
    "ClaimView",
    "CurvesPlot",
    "IntervalPoint",
    "ReportView",
    "build_view",
    "condition_words",
    "duration",
    "summary_line",
    "verdict_counts",
]

#: what an agreement cell says for ``improvement`` true / false / null
_AGREEMENT = {
    True: ("yes", "✓", "improvement"),
    # not significant is not "no improvement": the test did not show one, nothing more
    False: ("no", "✗", "not shown"),
    None: ("unknown", "?", "cannot tell"),
}


def _spread(doc: Mapping[str, Any]) -> tuple[SpreadView, ...]:
    script = doc["experiment"].get("script") or {}
    return tuple(
        SpreadView(
            variant=str(row["variant"]),
            metric=str(row["metric"]),
            mean=f"{row['mean']:.4g}",
            sd=f"{row['sd']:.3g}",
            range=f"{row['low']:.4g} to {row['high']:.4g}",
            seeds=str(row["n"]),
        )
        for row in script.get("seed spread") or ()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    """Everything a view shows."""

    title: str
    model_file: str
    data: str
    rule_pack: str
    created: str
    claims: tuple[ClaimView, ...]
    rules: tuple[RuleView, ...]
    verdict_counts: tuple[VerdictCount, ...]
    summary_line: str
    runs_line: str
    methods: str
    provenance: tuple[tuple[str, str], ...]
    heatmap: Heatmap | None = None
    agreement: AgreementMatrix | None = None
    curves: CurvesPlot | None = None
    confusion: tuple[ConfusionView, ...] = ()
    reliance: tuple[RelianceRow, ...] = ()
    reliance_plot: tuple[IntervalPoint, ...] = ()  #: label "variant · factor"
    splits: SplitTable | None = None
    rope: str = ""  #: "±0.50 pts"
    confidence: str = "95%"  #: the rule pack's interval level
    #: what ``model_file`` is: "Model file", or "Runs file" for ``auditkit compare``
    source_label: str = "Model file"
    #: the first error of each variant that has failed runs, in variant order
    failures: tuple[FailureView, ...] = ()
    #: script audits: each metric's spread over seeds, per variant
    spread: tuple[SpreadView, ...] = ()


def _condition_rows(raw: Mapping[str, Any]) -> tuple[ConditionRow, ...]:
    conditions = raw.get("conditions") or []
    gain = raw.get("gain")
    if not conditions:
        return ()
    rows = []
    if gain:
        rows.append(
            ConditionRow(
                condition="nominal",
                family="",
                rule="",
                n=str(len(raw["seeds"])),
                gain=points(gain["mean"], signed=True),
                interval=interval(gain["low"], gain["high"]),
                status="nominal",
            )
        )
    rows += [
        ConditionRow(
            condition=condition_words(c["condition"]),
            family=c.get("family", ""),
            rule=c.get("rule", ""),
            n=str(c.get("n", "")),
            gain=points(c["mean"], signed=True),
            interval=interval(c["low"], c["high"]),
            status=c["status"],
        )
        for c in conditions
    ]
    return tuple(rows)


def _agreement_row(a: Mapping[str, Any]) -> AgreementRow:
    answer, symbol, words = _AGREEMENT[a.get("improvement")]
    return AgreementRow(
        test=a["test"],
        answer=answer,
        symbol=symbol,
        words=words,
        value=a.get("value", ""),
        note=a.get("note", ""),
    )


def _claim_view(raw: Mapping[str, Any], index: int, rope: float) -> ClaimView:
    gain = raw["gain"]
    seeds = tuple(
        SeedRow(seed=str(s), baseline=fraction(b), variant=fraction(v), gain=points(g, signed=True))
        for s, b, v, g in zip(
            raw["seeds"], raw["baseline_scores"], raw["variant_scores"], raw["gains"], strict=True
        )
    )
    confidence = f"{round(100 * gain['confidence'])}%" if gain else "95%"
    nominal = (
        IntervalPoint(
            label="nominal",
            mean=gain["mean"],
            low=gain["low"],
            high=gain["high"],
            status="nominal",
        )
        if gain and None not in (gain.get("mean"), gain.get("low"), gain.get("high"))
        else None
    )
    conditions = tuple(
        IntervalPoint(
            label=condition_words(c["condition"]),
            mean=c["mean"],
            low=c["low"],
            high=c["high"],
            status=c["status"],
        )
        for c in raw.get("conditions") or []
        # a condition whose runs all failed has no estimate: its table row says n/a
        if None not in (c.get("mean"), c.get("low"), c.get("high"))
    )
    findings = claim_findings(raw, confidence, rope)
    sequential = raw.get("sequential")
    stopping = ""
    looks: tuple[IntervalPoint, ...] = ()
    if sequential:
        stopping = (
            f"{'decided' if sequential['decided'] else 'stopped'} at "
            f"{sequential['seeds_used']} seeds: {sequential['stopped_words']}"
        )
        looks = tuple(
            IntervalPoint(
                label=str(look["n"]),
                mean=look["mean"],
                low=look["low"],
                high=look["high"],
                status="nominal",
            )
            for look in sequential["looks"]
        )
    power: list[tuple[str, str]] = []
    if raw.get("seeds_needed") is not None:
        power.append(("seeds needed for 80% power", str(raw["seeds_needed"])))
    if raw.get("min_detectable_effect") is not None:
        power.append(
            (
                f"smallest detectable gain at {len(raw['seeds'])} seeds",
                f"{points(raw['min_detectable_effect'])} pts",
            )
        )
    return ClaimView(
        key=f"claim-{index}",
        label=raw["label"],
        variant=raw["variant"],
        baseline=raw["baseline"],
        metric=raw["metric"],
        verdict=raw["verdict"],
        reason=raw["reason"],
        baseline_score=mean_sd(raw["baseline_mean"], raw["baseline_sd"]),
        variant_score=mean_sd(raw["variant_mean"], raw["variant_sd"]),
        baseline_mean=fraction(raw["baseline_mean"]),
        variant_mean=fraction(raw["variant_mean"]),
        gain=points(gain["mean"], signed=True) if gain else "n/a",
        interval=interval(gain["low"], gain["high"]) if gain else "n/a",
        confidence=confidence if gain else "",
        p=p_value(gain["p_one_sided"]) if gain else "n/a",
        p_holm=p_value(gain["p_holm"]) if gain else "n/a",
        reported=points(raw["reported"], signed=True) if raw["reported"] is not None else "—",
        overstated=bool(raw["overstated"]),
        n_seeds=f"{len(raw['seeds'])} of {raw['seeds_planned']}",
        seeds_short=f"{len(raw['seeds'])}/{raw['seeds_planned']}",
        seeds=seeds,
        findings=findings,
        # Every negative result says what was found, from the reason at least.
        headline=(findings or (raw["reason"],))[0] if raw["verdict"] != "supported" else "",
        agreement=tuple(_agreement_row(a) for a in raw.get("agreement") or []),
        conditions=_condition_rows(raw),
        power=tuple(power),
        plot=ClaimPlot(
            baseline_name=raw["baseline"],
            variant_name=raw["variant"],
            metric=raw["metric"],
            seeds=tuple(str(s) for s in raw["seeds"]),
            baseline=tuple(raw["baseline_scores"]),
            variant=tuple(raw["variant_scores"]),
            gains=tuple(raw["gains"]),
            gain=nominal,
            reported=raw["reported"],
            rope=rope,
            conditions=((nominal,) if nominal else ()) + conditions,
            looks=looks,
        ),
        stopping=stopping,
    )


def _heatmap(claims: Sequence[Mapping[str, Any]]) -> Heatmap | None:
    """Rows: the nominal setting, then every condition in the order first met."""
    if not any(c.get("conditions") for c in claims):
        return None
    order: list[tuple[str, str]] = []
    for claim in claims:
        for c in claim.get("conditions") or []:
            key = (c["condition"], c.get("family", ""))
            if key not in order:
                order.append(key)
    nominal = []
    for claim in claims:
        g = claim["gain"]
        nominal.append(
            HeatCell(
                text=points(g["mean"], signed=True),
                status="nominal",
                word="",
                title=f"{claim['label']}: nominal gain {interval(g['low'], g['high'])} pts",
            )
            if g
            else HeatCell(
                text="n/a", status="none", word="", title=f"{claim['label']}: no estimate"
            )
        )
    rows = [HeatRow(condition="nominal", family="", cells=tuple(nominal))]
    for condition, family in order:
        cells = []
        for claim in claims:
            found = next(
                (c for c in claim.get("conditions") or [] if c["condition"] == condition), None
            )
            if found is None:
                cells.append(HeatCell(text="—", status="none", word="", title="not tested"))
                continue
            cells.append(
                HeatCell(
                    text=points(found["mean"], signed=True),
                    status=found["status"],
                    word=found["status"],
                    title=(
                        f"{claim['label']} at {condition_words(condition)}: "
                        f"{interval(found['low'], found['high'])} pts, {found['status']}"
                    ),
                )
            )
        rows.append(
            HeatRow(condition=condition_words(condition), family=family, cells=tuple(cells))
        )
    return Heatmap(claims=tuple(c["label"] for c in claims), rows=tuple(rows))


def _agreement_matrix(claims: Sequence[Mapping[str, Any]]) -> AgreementMatrix | None:
    tests: list[str] = []
    for claim in claims:
        for a in claim.get("agreement") or []:
            if a["test"] not in tests:
                tests.append(a["test"])
    if not tests:
        return None
    rows = []
    for test in tests:
        cells: list[AgreementRow | None] = []
        for claim in claims:
            found = next((a for a in claim.get("agreement") or [] if a["test"] == test), None)
            cells.append(_agreement_row(found) if found else None)
        rows.append((test, tuple(cells)))
    return AgreementMatrix(claims=tuple(c["label"] for c in claims), rows=tuple(rows))


def _confusion(doc: Mapping[str, Any]) -> tuple[ConfusionView, ...]:
    out = []
    for variant, raw in (doc.get("confusion") or {}).items():
        labels = tuple(str(label) for label in raw["labels"])
        rows = []
        for label, counts in zip(labels, raw["matrix"], strict=True):
            total = sum(counts)
            cells = []
            for count in counts:
                share = count / total if total else 0.0
                # five shades are enough to see the diagonal; the number is printed too
                cells.append((f"{count:,}", f"{100 * share:.1f}%", min(4, int(share * 5))))
            rows.append((label, tuple(cells)))
        runs = raw.get("runs")
        out.append(
            ConfusionView(
                variant=variant,
                runs=f"summed over {runs} test runs" if runs else "",
                labels=labels,
                rows=tuple(rows),
            )
        )
    return tuple(out)


def _failures(doc: Mapping[str, Any]) -> tuple[FailureView, ...]:
    """Each failing variant's first error, as its run recorded it.

    A run's error text starts with a summary paragraph (the error in one line, then the
    user-code frame, ``file:line``); the traceback after the first blank line stays in
    audit.json. Runs that ``--budget`` left undone are not failures of the code.
    """
    totals: dict[str, int] = {}
    failed: dict[str, list[Mapping[str, Any]]] = {}
    for run in doc.get("runs") or ():
        error = run.get("error")
        if error and str(error).startswith("NotRun:"):
            continue
        variant = str(run["spec"]["variant"])
        totals[variant] = totals.get(variant, 0) + 1
        if error:
            failed.setdefault(variant, []).append(run)
    out = []
    for variant, runs in failed.items():
        summary = str(runs[0]["error"]).strip().split("\n\n", 1)[0]
        lines = [line.strip() for line in summary.splitlines() if line.strip()]
        if len(lines) > 3:  # an old-format traceback: keep its last line, the error itself
            lines = lines[-1:]
        out.append(
            FailureView(
                variant=variant,
                count=f"{len(runs)} of {totals[variant]} runs failed",
                all_failed=len(runs) == totals[variant],
                run_id=str(runs[0]["run_id"]),
                summary=tuple(lines),
            )
        )
    return tuple(out)


def _provenance(doc: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    exp, summary, prov = doc["experiment"], doc["summary"], doc["provenance"]
    source = "runs file" if exp.get("source") == "compare" else "model file"
    out: list[tuple[str, str]] = [
        (source, exp["model_file"]),
        (f"{source} sha256", exp["model_sha256"]),
        ("data", exp["data"]["name"]),
        ("data fingerprint", exp["data"]["fingerprint"]),
        ("rule pack", f"{doc['rule_pack']['name']} ({doc['rule_pack'].get('path', '')})"),
        ("rule pack sha256", doc["rule_pack"]["sha256"]),
        ("seeds", ", ".join(map(str, doc["seeds"]))),
        ("created", doc["created_at"]),
        ("wall time", duration(summary["wall_time_s"])),
    ]
    return tuple(out + [(str(k), str(v)) for k, v in prov.items()])


def build_view(doc: Mapping[str, Any]) -> ReportView:
    """Format an ``audit.json`` document for display.

    Parameters
    ----------
    doc
        The parsed ``audit.json``.

    Returns
    -------
    ReportView
    """
    exp, summary = doc["experiment"], doc["summary"]
    runs = summary["runs"]
    runs_line = f"{runs['total']} runs: {runs['total'] - runs['failed']} succeeded"
    if runs["failed"]:
        runs_line += f", {runs['failed']} failed"
    if runs["cached"]:
        runs_line += f", {runs['cached']} reused from the run store"
    rope = float(doc["rule_pack"]["settings"].get("rope", 0.0))
    reliance, reliance_plot = _reliance(doc)
    verdicts = summary["verdicts"]
    return ReportView(
        title=f"auditkit report: {exp['name']}",
        model_file=exp["model_file"],
        data=exp["data"]["name"],
        rule_pack=doc["rule_pack"]["name"],
        created=doc["created_at"],
        claims=tuple(_claim_view(c, i, rope) for i, c in enumerate(doc["claims"], start=1)),
        rules=tuple(
            RuleView(
                id=r["id"],
                name=r["name"],
                severity=r["severity"],
                outcome=r["outcome"],
                reason=r["reason"],
                why=r["why"],
                fix=r["fix"],
                references=tuple(r.get("references") or ()),
                evidence=tuple((str(k), str(v)) for k, v in (r.get("evidence") or {}).items()),
            )
            for r in doc["rules"]
        ),
        verdict_counts=tuple(
            VerdictCount(verdict=v, count=str(verdicts.get(v, 0))) for v in VERDICT_ORDER
        ),
        summary_line=summary_line(verdicts, summary["wall_time_s"]),
        runs_line=runs_line,
        methods=methods(doc),
        provenance=_provenance(doc),
        heatmap=_heatmap(doc["claims"]),
        agreement=_agreement_matrix(doc["claims"]),
        curves=_curves(doc),
        confusion=_confusion(doc),
        reliance=reliance,
        reliance_plot=reliance_plot,
        splits=_splits(doc),
        rope=f"±{points(rope)} pts",
        confidence=f"{round(100 * doc['rule_pack']['settings'].get('confidence', 0.95))}%",
        failures=_failures(doc),
        source_label="Runs file" if exp.get("source") == "compare" else "Model file",
        spread=_spread(doc),
    )


def verdict_counts(claims: Sequence[ClaimView]) -> dict[str, int]:
    """Number of claims per verdict."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICT_ORDER}
