"""Build the view: the typed ``audit.json`` turned into the view model every view places.

Formatting lives in :mod:`auditkit.report.fmt`, the sentences in
:mod:`auditkit.report.prose`, the rules' exhibits in :mod:`auditkit.report.exhibit_view`;
this module puts them together (:func:`build_view`). It reads the document through its
types (:mod:`auditkit.report.auditdoc`), so an older ``audit.json`` (format 1) renders
too: the sections it lacks are simply empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.report.auditdoc import (
    AuditDocument,
    ClaimResult,
    RuleRow,
    RunRecord,
    Scale,
    document_from_json,
)
from auditkit.report.exhibit_view import ExhibitSection, exhibit_sections
from auditkit.report.fmt import (
    VERDICT_ORDER,
    Unit,
    agreement_value,
    condition_words,
    duration,
    p_value,
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
    confusion: tuple[ConfusionView, ...] = ()
    #: each rule's tables and figures (split statistics, reliance, training curves, ...)
    exhibits: tuple[ExhibitSection, ...] = ()
    rope: str = ""  #: "±0.50 pts"
    confidence: str = "95%"  #: the rule pack's interval level
    #: what ``model_file`` is: "Model file", or "Runs file" for ``auditkit compare``
    source_label: str = "Model file"
    #: the first error of each variant that has failed runs, in variant order
    failures: tuple[FailureView, ...] = ()
    #: script audits: each metric's spread over seeds, per variant
    spread: tuple[SpreadView, ...] = ()
    #: the unit of the gains in the claims table: "pts" when every metric is on a 0-1 scale
    gain_unit: str = "pts"
    #: how the tables' scores read: "in points (0.01 = 1 point)", or each metric's own unit
    units_note: str = "in points (0.01 = 1 point)"


def _spread(doc: AuditDocument) -> tuple[SpreadView, ...]:
    script = doc.experiment.script
    return tuple(
        SpreadView(
            variant=row.variant,
            metric=row.metric,
            mean=f"{row.mean:.4g}",
            sd=f"{row.sd:.3g}",
            range=f"{row.low:.4g} to {row.high:.4g}",
            seeds=str(row.n),
        )
        for row in (script.seed_spread if script else ())
    )


def _condition_rows(claim: ClaimResult, unit: Unit) -> tuple[ConditionRow, ...]:
    gain = claim.gain
    if not claim.conditions:
        return ()
    rows = []
    if gain:
        rows.append(
            ConditionRow(
                condition="nominal",
                family="",
                rule="",
                n=str(len(claim.seeds)),
                gain=unit.gain(gain.mean),
                interval=unit.interval(gain.low, gain.high),
                status="nominal",
            )
        )
    rows += [
        ConditionRow(
            condition=condition_words(c.condition),
            family=c.family,
            rule=c.rule,
            n="" if c.n is None else str(c.n),
            gain=unit.gain(c.mean),
            interval=unit.interval(c.low, c.high),
            status=c.status,
        )
        for c in claim.conditions
    ]
    return tuple(rows)


def _agreement_rows(claim: ClaimResult) -> tuple[AgreementRow, ...]:
    unit = Unit.of(claim)
    rows = []
    for a in claim.agreement:
        answer, symbol, words = _AGREEMENT[a.improvement]
        rows.append(
            AgreementRow(
                test=a.test,
                answer=answer,
                symbol=symbol,
                words=words,
                value=agreement_value(a, unit),
                note=a.note,
            )
        )
    return tuple(rows)


def _claim_plot(claim: ClaimResult, rope: float) -> ClaimPlot:
    """What the claim's figures draw: scores, gains, the nominal and perturbed intervals."""
    gain = claim.gain
    nominal = (
        IntervalPoint(
            label="nominal", mean=gain.mean, low=gain.low, high=gain.high, status="nominal"
        )
        if gain
        else None
    )
    conditions = tuple(
        IntervalPoint(
            label=condition_words(c.condition),
            mean=c.mean,
            low=c.low,
            high=c.high,
            status=c.status,
        )
        for c in claim.conditions
        # a condition whose runs all failed has no estimate: its table row says n/a
        if c.mean is not None and c.low is not None and c.high is not None
    )
    sequential = claim.sequential
    looks = tuple(
        IntervalPoint(
            label=str(look.n), mean=look.mean, low=look.low, high=look.high, status="nominal"
        )
        for look in (sequential.looks if sequential else ())
        if look.mean is not None and look.low is not None and look.high is not None
    )
    return ClaimPlot(
        baseline_name=claim.baseline,
        variant_name=claim.variant,
        metric=claim.metric,
        seeds=tuple(str(s) for s in claim.seeds),
        baseline=claim.baseline_scores,
        variant=claim.variant_scores,
        gains=claim.gains,
        gain=nominal,
        reported=claim.reported,
        rope=rope,
        conditions=((nominal,) if nominal else ()) + conditions,
        looks=looks,
        factor=100.0 if claim.scale is Scale.FRACTION else 1.0,
        unit_words="points" if claim.scale is Scale.FRACTION else claim.unit,
    )


def _power(claim: ClaimResult, unit: Unit) -> tuple[tuple[str, str], ...]:
    power: list[tuple[str, str]] = []
    if claim.seeds_needed is not None:
        power.append(("seeds needed for 80% power", str(claim.seeds_needed)))
    if claim.min_detectable_effect is not None:
        power.append(
            (
                f"smallest detectable gain at {len(claim.seeds)} seeds",
                f"{unit.gain(claim.min_detectable_effect, signed=False)} {unit.name}",
            )
        )
    return tuple(power)


def _claim_view(claim: ClaimResult, index: int, rope: float) -> ClaimView:
    gain, unit = claim.gain, Unit.of(claim)
    seeds = tuple(
        SeedRow(seed=str(s), baseline=unit.value(b), variant=unit.value(v), gain=unit.gain(g))
        for s, b, v, g in zip(
            claim.seeds, claim.baseline_scores, claim.variant_scores, claim.gains, strict=True
        )
    )
    confidence = f"{round(100 * gain.confidence)}%" if gain else "95%"
    findings = claim_findings(claim, confidence, rope)
    stop = claim.sequential
    n = len(claim.seeds)
    return ClaimView(
        key=f"claim-{index}",
        label=claim.label,
        variant=claim.variant,
        baseline=claim.baseline,
        metric=claim.metric,
        verdict=claim.verdict.value,
        reason=claim.reason,
        baseline_score=unit.mean_sd(claim.baseline_mean, claim.baseline_sd),
        variant_score=unit.mean_sd(claim.variant_mean, claim.variant_sd),
        baseline_mean=unit.value(claim.baseline_mean),
        variant_mean=unit.value(claim.variant_mean),
        gain=unit.gain(gain.mean) if gain else "n/a",
        interval=unit.interval(gain.low, gain.high) if gain else "n/a",
        confidence=confidence if gain else "",
        p=p_value(gain.p_one_sided) if gain else "n/a",
        p_holm=p_value(gain.p_holm) if gain else "n/a",
        reported=unit.gain(claim.reported) if claim.reported is not None else "—",
        overstated=claim.overstated,
        n_seeds=f"{n} of {claim.seeds_planned}",
        seeds_short=f"{n}/{claim.seeds_planned}",
        seeds=seeds,
        findings=findings,
        # Every negative result says what was found, from the reason at least.
        headline=(findings or (claim.reason,))[0] if claim.verdict.value != "supported" else "",
        agreement=_agreement_rows(claim),
        conditions=_condition_rows(claim, unit),
        power=_power(claim, unit),
        plot=_claim_plot(claim, rope),
        stopping=(
            f"{'decided' if stop.decided else 'stopped'} at {stop.seeds_used} seeds: "
            f"{stop.stopped_words}"
            if stop
            else ""
        ),
        unit=unit.name,
    )


def _nominal_cell(claim: ClaimResult) -> HeatCell:
    g, unit = claim.gain, Unit.of(claim)
    if g is None:
        return HeatCell(text="n/a", status="none", word="", title=f"{claim.label}: no estimate")
    return HeatCell(
        text=unit.gain(g.mean),
        status="nominal",
        word="",
        title=f"{claim.label}: nominal gain {unit.interval(g.low, g.high)} {unit.name}",
    )


def _heatmap(claims: Sequence[ClaimResult]) -> Heatmap | None:
    """Rows: the nominal setting, then every condition in the order first met."""
    if not any(c.conditions for c in claims):
        return None
    order: list[tuple[str, str]] = []
    for claim in claims:
        for c in claim.conditions:
            if (c.condition, c.family) not in order:
                order.append((c.condition, c.family))
    rows = [HeatRow(condition="nominal", family="", cells=tuple(map(_nominal_cell, claims)))]
    for condition, family in order:
        cells = []
        for claim in claims:
            found = next((c for c in claim.conditions if c.condition == condition), None)
            if found is None:
                cells.append(HeatCell(text="—", status="none", word="", title="not tested"))
                continue
            unit = Unit.of(claim)
            cells.append(
                HeatCell(
                    text=unit.gain(found.mean),
                    status=found.status,
                    word=found.status,
                    title=(
                        f"{claim.label} at {condition_words(condition)}: "
                        f"{unit.interval(found.low, found.high)} {unit.name}, {found.status}"
                    ),
                )
            )
        rows.append(
            HeatRow(condition=condition_words(condition), family=family, cells=tuple(cells))
        )
    return Heatmap(claims=tuple(c.label for c in claims), rows=tuple(rows))


def _agreement_matrix(claims: Sequence[ClaimResult]) -> AgreementMatrix | None:
    tests: list[str] = []
    for claim in claims:
        tests += [a.test for a in claim.agreement if a.test not in tests]
    if not tests:
        return None
    per_claim = [{row.test: row for row in _agreement_rows(claim)} for claim in claims]
    rows = tuple((test, tuple(found.get(test) for found in per_claim)) for test in tests)
    return AgreementMatrix(claims=tuple(c.label for c in claims), rows=rows)


def _confusion(doc: AuditDocument) -> tuple[ConfusionView, ...]:
    out = []
    for variant, raw in doc.confusion.items():
        labels = tuple(str(label) for label in raw.labels)
        rows = []
        for label, counts, shares in zip(labels, raw.matrix, raw.shares, strict=True):
            # five shades are enough to see the diagonal; the number is printed too
            cells = tuple(
                (f"{count:,}", f"{100 * share:.1f}%", min(4, int(share * 5)))
                for count, share in zip(counts, shares, strict=True)
            )
            rows.append((label, cells))
        out.append(
            ConfusionView(
                variant=variant,
                runs=f"summed over {raw.runs} test runs" if raw.runs else "",
                labels=labels,
                rows=tuple(rows),
            )
        )
    return tuple(out)


def _failures(doc: AuditDocument) -> tuple[FailureView, ...]:
    """Each failing variant's first error, as its run recorded it.

    A run's error text starts with a summary paragraph (the error in one line, then the
    user-code frame, ``file:line``); the traceback after the first blank line stays in
    audit.json. Runs that ``--budget`` left undone are not failures of the code.
    """
    totals: dict[str, int] = {}
    failed: dict[str, list[RunRecord]] = {}
    for run in doc.runs:
        if run.error and run.error.startswith("NotRun:"):
            continue
        variant = run.spec.variant
        totals[variant] = totals.get(variant, 0) + 1
        if run.error:
            failed.setdefault(variant, []).append(run)
    out = []
    for variant, runs in failed.items():
        summary = str(runs[0].error).strip().split("\n\n", 1)[0]
        lines = [line.strip() for line in summary.splitlines() if line.strip()]
        if len(lines) > 3:  # an old-format traceback: keep its last line, the error itself
            lines = lines[-1:]
        out.append(
            FailureView(
                variant=variant,
                count=f"{len(runs)} of {totals[variant]} runs failed",
                all_failed=len(runs) == totals[variant],
                run_id=runs[0].run_id,
                summary=tuple(lines),
            )
        )
    return tuple(out)


def _provenance(doc: AuditDocument) -> tuple[tuple[str, str], ...]:
    exp, pack = doc.experiment, doc.rule_pack
    source = "runs file" if exp.source == "compare" else "model file"
    out: list[tuple[str, str]] = [
        (source, exp.model_file),
        (f"{source} sha256", exp.model_sha256),
        ("data", exp.data.name),
        ("data fingerprint", exp.data.fingerprint),
        ("rule pack", f"{pack.name} ({pack.path})"),
        ("rule pack sha256", pack.sha256),
        ("seeds", ", ".join(map(str, doc.seeds))),
        ("created", doc.created_at),
        ("wall time", duration(doc.summary.wall_time_s)),
    ]
    return tuple(out + [(str(k), str(v)) for k, v in doc.provenance.items()])


def _units(doc: AuditDocument, rope: float) -> tuple[str, str, str]:
    """(gain unit of the claims table, how scores read, the ROPE) in the claims' units."""
    units = {(c.scale, c.unit) for c in doc.claims}
    if all(scale is Scale.FRACTION for scale, _ in units):
        return "pts", "in points (0.01 = 1 point)", Unit().band(rope)
    if len(units) == 1:
        scale, name = units.pop()
        return name, f"in {name}", Unit(scale, name).band(rope)
    return "(metric units)", "in each metric's unit (points on a 0–1 scale)", f"±{rope:g}"


def _exhibit_unit(doc: AuditDocument) -> Unit:
    """The unit of the rules' exhibits: the claims' metric unit when they share one.

    A rule measures on the audit's metric (the claims' metric, or accuracy with no claim):
    points for a 0-1 metric; a metric's own unit when every claim has that unit.
    """
    units = {(c.scale, c.unit) for c in doc.claims}
    if len(units) == 1:
        scale, name = units.pop()
        return Unit(scale, name)
    return Unit()


def _rule_view(r: RuleRow) -> RuleView:
    return RuleView(
        id=r.id,
        name=r.name,
        severity=r.severity,
        outcome=r.outcome,
        reason=r.reason,
        why=r.why,
        fix=r.fix,
        references=r.references,
        evidence=tuple((str(k), str(v)) for k, v in r.evidence.items()),
    )


def build_view(document: AuditDocument | Mapping[str, Any]) -> ReportView:
    """Format an ``audit.json`` document for display.

    Parameters
    ----------
    document
        The typed document, or the parsed ``audit.json`` (format 1 or 2), which is read
        through :func:`~auditkit.report.auditdoc.document_from_json` first.

    Returns
    -------
    ReportView
    """
    doc = document if isinstance(document, AuditDocument) else document_from_json(document)
    exp, summary = doc.experiment, doc.summary
    runs = summary.runs
    runs_line = f"{runs.total} runs: {runs.total - runs.failed} succeeded"
    if runs.failed:
        runs_line += f", {runs.failed} failed"
    if runs.cached:
        runs_line += f", {runs.cached} reused from the run store"
    settings = doc.rule_pack.settings
    verdicts = summary.verdicts
    gain_unit, units_note, rope = _units(doc, settings.rope)
    return ReportView(
        title=f"auditkit report: {exp.name}",
        model_file=exp.model_file,
        data=exp.data.name,
        rule_pack=doc.rule_pack.name,
        created=doc.created_at,
        claims=tuple(_claim_view(c, i, settings.rope) for i, c in enumerate(doc.claims, start=1)),
        rules=tuple(_rule_view(r) for r in doc.rules),
        verdict_counts=tuple(
            VerdictCount(verdict=v, count=str(verdicts.get(v, 0))) for v in VERDICT_ORDER
        ),
        summary_line=summary_line(verdicts, summary.wall_time_s),
        runs_line=runs_line,
        methods=methods(doc),
        provenance=_provenance(doc),
        heatmap=_heatmap(doc.claims),
        agreement=_agreement_matrix(doc.claims),
        confusion=_confusion(doc),
        exhibits=exhibit_sections(doc.rules, _exhibit_unit(doc)),
        rope=rope,
        confidence=f"{round(100 * settings.confidence)}%",
        failures=_failures(doc),
        source_label="Runs file" if exp.source == "compare" else "Model file",
        spread=_spread(doc),
        gain_unit=gain_unit,
        units_note=units_note,
    )


def verdict_counts(claims: Sequence[ClaimView]) -> dict[str, int]:
    """Number of claims per verdict."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICT_ORDER}
