"""View model: ``audit.json`` turned into preformatted strings for HTML and the terminal.

Templates and the terminal renderer only place these strings; every number is
formatted here, once, so that the views agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: verdicts in the order the summary line lists them (pytest lists failures first)
VERDICT_ORDER = ("refuted", "fragile", "inconclusive", "supported")


def points(x: float | None, *, signed: bool = False) -> str:
    """Metric units as points: 0.0213 -> '2.13' (or '+2.13'); None -> 'n/a'."""
    if x is None:
        return "n/a"
    return f"{100 * x:+.2f}" if signed else f"{100 * x:.2f}"


def fraction(x: float | None) -> str:
    """A metric value in [0, 1] as a percentage string with two decimals."""
    return "n/a" if x is None else f"{100 * x:.2f}"


def p_value(p: float | None) -> str:
    """'<0.001', '0.042' or 'n/a'."""
    if p is None:
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def duration(seconds: float) -> str:
    """'0.4s', '12.3s', '3m12s', '1h02m05s' (pytest's shape)."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedRow:
    """One seed's scores in a claim's table."""

    seed: str
    baseline: str
    variant: str
    gain: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimView:
    """One claim, formatted."""

    label: str
    variant: str
    baseline: str
    metric: str
    verdict: str
    reason: str
    baseline_score: str  #: "71.20 ± 1.30"
    variant_score: str
    gain: str  #: "+2.13"
    interval: str  #: "[+0.80, +3.40]"
    confidence: str  #: "95%"
    p: str
    p_holm: str
    reported: str
    overstated: bool
    n_seeds: str  #: "5 of 5"
    seeds: tuple[SeedRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleView:
    """One rule's outcome, formatted."""

    id: str
    name: str
    severity: str
    outcome: str
    reason: str
    why: str
    fix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    """Everything a view shows."""

    title: str
    model_file: str
    data: str
    rule_pack: str
    claims: tuple[ClaimView, ...]
    rules: tuple[RuleView, ...]
    summary_line: str
    runs_line: str
    methods: str
    provenance: tuple[tuple[str, str], ...]


def _mean_sd(mean: float | None, sd: float | None) -> str:
    if mean is None or sd is None:
        return "n/a"
    return f"{fraction(mean)} ± {points(sd)}"


def _claim_view(raw: Mapping[str, Any]) -> ClaimView:
    gain = raw["gain"]
    seeds = tuple(
        SeedRow(seed=str(s), baseline=fraction(b), variant=fraction(v), gain=points(g, signed=True))
        for s, b, v, g in zip(
            raw["seeds"], raw["baseline_scores"], raw["variant_scores"], raw["gains"], strict=True
        )
    )
    return ClaimView(
        label=raw["label"],
        variant=raw["variant"],
        baseline=raw["baseline"],
        metric=raw["metric"],
        verdict=raw["verdict"],
        reason=raw["reason"],
        baseline_score=_mean_sd(raw["baseline_mean"], raw["baseline_sd"]),
        variant_score=_mean_sd(raw["variant_mean"], raw["variant_sd"]),
        gain=points(gain["mean"], signed=True) if gain else "n/a",
        interval=(
            f"[{points(gain['low'], signed=True)}, {points(gain['high'], signed=True)}]"
            if gain
            else "n/a"
        ),
        confidence=f"{round(100 * gain['confidence'])}%" if gain else "",
        p=p_value(gain["p_one_sided"]) if gain else "n/a",
        p_holm=p_value(gain["p_holm"]) if gain else "n/a",
        reported=points(raw["reported"], signed=True) if raw["reported"] is not None else "—",
        overstated=bool(raw["overstated"]),
        n_seeds=f"{len(raw['seeds'])} of {raw['seeds_planned']}",
        seeds=seeds,
    )


def summary_line(verdicts: Mapping[str, int], wall_time_s: float) -> str:
    """pytest-shaped summary: '1 refuted, 2 supported in 3m12s'."""
    parts = [f"{verdicts[v]} {v}" for v in VERDICT_ORDER if verdicts.get(v)]
    return f"{', '.join(parts) or 'no claims'} in {duration(wall_time_s)}"


def _methods(doc: Mapping[str, Any]) -> str:
    exp, pack, seeds = doc["experiment"], doc["rule_pack"], doc["seeds"]
    train = exp["train"]
    settings = pack["settings"]
    variants = ", ".join(v["name"] for v in exp["variants"])
    return (
        f"We retrained every variant ({variants}; baseline {exp['baseline']}) on the same "
        f"{len(seeds)} seeds ({', '.join(map(str, seeds))}), each seed setting both the "
        f"initialisation and the data order, for {train['epochs']} epochs with AdamW "
        f"(learning rate {train['lr']}, batch size {train['batch_size']}), selecting the epoch "
        f"by dev {train['select_metric']} and never by test. For each claim we tested the "
        f"per-seed paired differences on test with a one-sided paired t-test, adjusted "
        f"across the {len(doc['claims'])} claim(s) of the audit with Holm's method at "
        f"α = {settings['alpha']}, and report the {round(100 * settings['confidence'])}% "
        f"t-interval of the mean difference. A claim with no significant gain is refuted "
        f"when its {round(100 * (1 - 2 * settings['alpha']))}% interval lies within "
        f"±{100 * settings['rope']:.2f} points (TOST equivalence) and inconclusive "
        f"otherwise. Rule pack: {pack['name']} ({len(doc['rules'])} rule(s))."
    )


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
    exp, summary, prov = doc["experiment"], doc["summary"], doc["provenance"]
    runs = summary["runs"]
    runs_line = f"{runs['total']} runs: {runs['total'] - runs['failed']} succeeded"
    if runs["failed"]:
        runs_line += f", {runs['failed']} failed"
    if runs["cached"]:
        runs_line += f", {runs['cached']} reused from the run store"
    provenance: list[tuple[str, str]] = [
        ("model file", f"{exp['model_file']} (sha256 {exp['model_sha256'][:12]})"),
        ("data", f"{exp['data']['name']} (fingerprint {exp['data']['fingerprint'][:12]})"),
        ("rule pack", f"{doc['rule_pack']['name']} (sha256 {doc['rule_pack']['sha256'][:12]})"),
        ("seeds", ", ".join(map(str, doc["seeds"]))),
        ("created", doc["created_at"]),
        ("wall time", duration(summary["wall_time_s"])),
    ]
    provenance += [(str(k), str(v)) for k, v in prov.items()]
    return ReportView(
        title=f"auditkit report: {exp['name']}",
        model_file=exp["model_file"],
        data=exp["data"]["name"],
        rule_pack=doc["rule_pack"]["name"],
        claims=tuple(_claim_view(c) for c in doc["claims"]),
        rules=tuple(
            RuleView(
                id=r["id"],
                name=r["name"],
                severity=r["severity"],
                outcome=r["outcome"],
                reason=r["reason"],
                why=r["why"],
                fix=r["fix"],
            )
            for r in doc["rules"]
        ),
        summary_line=summary_line(summary["verdicts"], summary["wall_time_s"]),
        runs_line=runs_line,
        methods=_methods(doc),
        provenance=tuple(provenance),
    )


def verdict_counts(claims: Sequence[ClaimView]) -> dict[str, int]:
    """Number of claims per verdict."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICT_ORDER}
