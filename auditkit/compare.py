"""``auditkit compare``: statistics, verdicts and reports for runs already done, from a CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.checks.metrics_checks import cherry_pick_finding
from auditkit.conditions import Condition
from auditkit.errors import DataError, UsageError, did_you_mean
from auditkit.metrics import METRICS
from auditkit.pipeline import (
    AuditOutcome,
    AuditRecord,
    Decided,
    DecideInput,
    Started,
    claim_evidence,
    decide,
    design_to_dict,
    library_versions,
    prepare_out_dir,
    rule_row,
    write_audit,
)
from auditkit.report.document import RuleRow
from auditkit.rulepack import load_rulepack
from auditkit.stats import MAX_MAGNITUDE
from auditkit.stats.sequential import SequentialDesign
from auditkit.types import Claim, ConditionEvidence
from auditkit.verdict import ClaimEvidence, Thresholds, seed_rule_outcome

REQUIRED = ("variant", "seed")
NOMINAL = ("", "nominal")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedRuns:
    """Runs read from a CSV or a source: ``scores[(variant, condition)][metric][seed]``.

    A value of None is a run whose metric is missing (failed or undefined).
    """

    #: the CSV file, or the source as its messages name it (``mlflow:my-experiment``)
    path: str
    sha256: str
    metrics: tuple[str, ...]
    variants: tuple[str, ...]
    conditions: tuple[str, ...]
    #: number of data rows (runs)
    n_rows: int
    scores: dict[tuple[str, str], dict[str, dict[int, float | None]]]
    #: the report's experiment name; the CSV file's stem when empty
    name: str = ""
    #: where the runs came from (tracking URI, experiment, run ids), shown as provenance;
    #: a CSV's path and hash when empty
    provenance: dict[str, str] = field(default_factory=dict)


def _metric_columns(file: Path, reader: csv.DictReader[str]) -> tuple[str, ...]:
    """Strip the header's names in ``reader`` and return its metric columns.

    Raises
    ------
    DataError
        A required column missing, or no metric column.
    """
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(
            f"{file}:1: missing column(s) {', '.join(missing)}; found "
            f"{', '.join(header) or 'none'}. "
            "The header must name variant, seed, an optional condition, and one column per "
            "metric, e.g. variant,seed,accuracy,hwa",
            slug="runs-csv-columns",
        )
    metrics = tuple(h for h in header if h not in (*REQUIRED, "condition"))
    if not metrics:
        raise DataError(
            f"{file}:1: no metric columns besides {', '.join(header)}; add one column per "
            "metric, e.g. accuracy",
            slug="runs-csv-columns",
        )
    return metrics


def load_runs_csv(path: str | Path) -> LoggedRuns:
    """Read a CSV of finished runs: one row per run.

    Columns: ``variant``, ``seed``, an optional ``condition`` (empty or ``nominal`` for the
    unperturbed setting), and one numeric column per metric. An empty cell or ``nan``
    is a run whose metric is missing (failed or undefined).

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    LoggedRuns

    Raises
    ------
    DataError
        With ``file:line``: missing columns, a non-integer seed, a non-numeric cell, a
        repeated (variant, seed, condition).
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(
            f"{file}: no such runs file; pass a CSV with one row per run", slug="runs-csv"
        )
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{file}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8", slug="runs-csv"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    metrics = _metric_columns(file, reader)
    scores: dict[tuple[str, str], dict[str, dict[int, float | None]]] = {}
    seen: dict[tuple[str, int, str], int] = {}
    for row in reader:
        line = reader.line_num
        variant = (row.get("variant") or "").strip()
        if not variant:
            raise DataError(f"{file}:{line}: empty variant name", slug="runs-csv-cell")
        seed_text = (row.get("seed") or "").strip()
        try:
            seed = int(seed_text)
        except ValueError:
            raise DataError(
                f"{file}:{line}: seed {seed_text!r} is not an integer; seeds pair the runs of "
                "baseline and variant, so each row needs its integer seed",
                slug="runs-csv-cell",
            ) from None
        condition = (row.get("condition") or "").strip()
        condition = "nominal" if condition in NOMINAL else condition
        key = (variant, seed, condition)
        if key in seen:
            raise DataError(
                f"{file}:{line}: variant {variant!r}, seed {seed}, condition {condition!r} "
                f"already appears on line {seen[key]}; keep one row per run",
                slug="runs-csv-duplicate",
            )
        seen[key] = line
        per_metric = scores.setdefault((variant, condition), {m: {} for m in metrics})
        for metric in metrics:
            per_metric[metric][seed] = _score(file, line, metric, (row.get(metric) or "").strip())
    if not scores:
        raise DataError(f"{file}: holds a header but no runs", slug="runs-csv")
    variants = tuple(dict.fromkeys(v for v, _ in scores))
    conditions = tuple(dict.fromkeys(c for _, c in scores if c != "nominal"))
    return LoggedRuns(
        path=str(file),
        sha256=hashlib.sha256(raw).hexdigest(),
        metrics=metrics,
        variants=variants,
        conditions=conditions,
        n_rows=len(seen),
        scores=scores,
    )


def _score(file: Path, line: int, metric: str, cell: str) -> float | None:
    """A metric cell's value; None for an empty, ``nan`` or infinite cell (a missing run).

    Raises
    ------
    DataError
        A cell that is not a number, or beyond ``MAX_MAGNITUDE``.
    """
    if cell == "" or cell.lower() == "nan":
        return None
    try:
        value = float(cell)
    except ValueError:
        raise DataError(
            f"{file}:{line}: column {metric!r} holds {cell!r}, which is not a number; write the "
            "metric as a number (0.731), or leave the cell empty for a failed run",
            slug="runs-csv-cell",
        ) from None
    if not math.isfinite(value):
        return None
    if abs(value) > MAX_MAGNITUDE:
        # the statistics square and sum the values: beyond this they overflow
        raise DataError(
            f"{file}:{line}: column {metric!r} holds {cell}, beyond ±{MAX_MAGNITUDE:.0e}, "
            "where sums of squares overflow float64; rescale the metric (log it, or change "
            "its unit) so that every value is below that",
            slug="runs-csv-cell",
        )
    return value


def _pair(
    runs: LoggedRuns, claim: Claim, condition: str
) -> tuple[list[int], list[float], list[float], int]:
    """Seeds, baseline scores, variant scores and missing cells of one claim and condition.

    Raises
    ------
    DataError
        When the two arms were not run on the same seeds (an unpaired design).
    """
    base = runs.scores.get((claim.baseline, condition), {}).get(claim.metric, {})
    var = runs.scores.get((claim.variant, condition), {}).get(claim.metric, {})
    if set(base) != set(var):
        only_base = sorted(set(base) - set(var))
        only_var = sorted(set(var) - set(base))
        raise DataError(
            f"{runs.path}: seeds are not paired for {claim.variant} vs {claim.baseline} "
            f"(condition {condition!r}): only {claim.baseline} has seeds {only_base or 'none'}, "
            f"only {claim.variant} has {only_var or 'none'}. auditkit compares the two arms "
            "seed by seed; log both on the same seeds, or remove the unpaired rows",
            slug="runs-csv-unpaired",
        )
    seeds, b_scores, v_scores, missing = [], [], [], 0
    for seed in sorted(base):
        b, v = base[seed], var[seed]
        if b is None or v is None:
            missing += (b is None) + (v is None)
            continue
        seeds.append(seed)
        b_scores.append(b)
        v_scores.append(v)
    return seeds, b_scores, v_scores, missing


#: ``--reported``: one gain for every claim, or a gain per (variant, metric)
Reported = float | Mapping[tuple[str, str], float] | None


def parse_reported(values: Sequence[str]) -> Reported:
    """Parse ``--reported`` values: ``0.031`` for every claim, or ``rel:accuracy=0.031``.

    Raises
    ------
    UsageError
        A value that is neither form, or both forms mixed.
    """
    if not values:
        return None
    per_claim: dict[tuple[str, str], float] = {}
    common: list[float] = []
    for value in values:
        key, sep, number = value.rpartition("=")
        variant, colon, metric = key.partition(":")
        try:
            gain = float(number)
        except ValueError:
            gain = math.nan
        if not math.isfinite(gain) or (sep and not (colon and variant and metric)):
            raise UsageError(
                f"--reported {value!r} is neither a number (0.031 for every claim) nor "
                "VARIANT:METRIC=NUMBER (rel:accuracy=0.031 for one claim)",
                slug="compare-reported",
            )
        if sep:
            per_claim[(variant, metric)] = gain
        else:
            common.append(gain)
    if common and (per_claim or len(common) > 1):
        raise UsageError(
            "--reported takes either one number for every claim or VARIANT:METRIC=NUMBER "
            f"per claim, not both: got {', '.join(values)}",
            slug="compare-reported",
        )
    return common[0] if common else per_claim


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """The claims ``compare`` decides: validated against the logged runs."""

    baseline: str
    variants: tuple[str, ...]
    metrics: tuple[str, ...]
    #: ``--reported``: one gain, or one per (variant, metric); None when none is stated
    reported: Reported
    #: the replayed adaptive design of ``--seeds auto``, or None
    design: SequentialDesign | None

    def reported_for(self, variant: str, metric: str) -> float | None:
        """The reported gain of the claim of ``variant`` on ``metric``, or None."""
        if isinstance(self.reported, Mapping):
            return self.reported.get((variant, metric))
        return self.reported


def _check_names(
    runs: LoggedRuns, baseline: str, metrics: Sequence[str], claims: Sequence[str]
) -> None:
    """Raise a UsageError for a baseline, metric or claimed variant the runs do not hold."""
    if baseline not in runs.variants:
        raise UsageError(
            f"--baseline {baseline!r} is not a variant of {runs.path}."
            f"{did_you_mean(baseline, list(runs.variants))} Its variants: "
            f"{', '.join(runs.variants)}.",
            slug="compare-unknown-variant",
        )
    for metric in metrics:
        if metric not in runs.metrics:
            raise UsageError(
                f"--metric {metric!r} is not a column of {runs.path}."
                f"{did_you_mean(metric, list(runs.metrics))} Its metric columns: "
                f"{', '.join(runs.metrics)}.",
                slug="compare-unknown-metric",
            )
    for variant in claims:
        if variant not in runs.variants or variant == baseline:
            raise UsageError(
                f"--claim {variant!r} is not a variant other than the baseline in {runs.path}."
                f"{did_you_mean(variant, list(runs.variants))} Its variants: "
                f"{', '.join(v for v in runs.variants if v != baseline)}.",
                slug="compare-unknown-variant",
            )


def _check_reported(choice: Comparison) -> None:
    """Raise a UsageError for a ``--reported`` gain of no compared claim, or out of range."""
    per_claim = choice.reported if isinstance(choice.reported, Mapping) else {}
    for variant, metric in per_claim:
        if variant not in choice.variants or metric not in choice.metrics:
            raise UsageError(
                f"--reported {variant}:{metric}=...: no claim of {variant!r} on {metric!r} is "
                f"compared; the claims are {', '.join(choice.variants)} on "
                f"{', '.join(choice.metrics)}.",
                slug="compare-reported",
            )
    for variant in choice.variants:
        for metric in choice.metrics:
            # A gain outside the metric's range is a percentage written as a fraction.
            gain = choice.reported_for(variant, metric)
            problem = (
                METRICS[metric].gain_problem(gain)
                if gain is not None and metric in METRICS
                else None
            )
            if problem is not None:
                raise UsageError(f"--reported {gain:g}: {problem}.", slug="claim-reported-range")


def choose_claims(
    runs: LoggedRuns,
    baseline: str,
    metrics: Sequence[str],
    claims: Sequence[str],
    reported: Reported,
    thresholds: Thresholds,
    adaptive: tuple[int, int] | None,
) -> Comparison:
    """The plan of ``compare``: which claims to decide, validated against the runs.

    Raises
    ------
    UsageError
        A name the runs do not hold, a reported gain of no claim or out of its metric's
        range, or a seed range the adaptive design cannot use.
    """
    _check_names(runs, baseline, metrics, claims)
    variants = tuple(claims) or tuple(v for v in runs.variants if v != baseline)
    if not variants:
        raise UsageError(
            f"{runs.path} holds only the baseline {baseline!r}; add the runs of a variant",
            slug="compare-no-claims",
        )
    design = None
    if adaptive is not None:
        try:
            design = SequentialDesign(
                min_seeds=adaptive[0],
                max_seeds=adaptive[1],
                alpha=thresholds.alpha,
                confidence=thresholds.confidence,
                rope=thresholds.rope,
            )
        except ValueError as exc:
            raise UsageError(
                f"--seeds {adaptive[0]}..{adaptive[1]}: {exc}", slug="bad-seeds"
            ) from None
    choice = Comparison(
        baseline=baseline,
        variants=variants,
        metrics=tuple(metrics) or runs.metrics,
        reported=dict(reported) if isinstance(reported, Mapping) else reported,
        design=design,
    )
    _check_reported(choice)
    return choice


def _logged_conditions(runs: LoggedRuns, claim: Claim) -> list[ConditionEvidence]:
    """The claim's gains under each logged condition that both arms were run in."""
    out = []
    for condition in runs.conditions:
        if (claim.baseline, condition) in runs.scores and (claim.variant, condition) in runs.scores:
            _, cb, cv, _ = _pair(runs, claim, condition)
            out.append(
                ConditionEvidence(
                    condition=Condition.parse(condition),
                    rule_id="logged",
                    family="logged condition",
                    gains=tuple(v - b for v, b in zip(cv, cb, strict=True)),
                )
            )
    return out


def logged_evidence(runs: LoggedRuns, choice: Comparison) -> tuple[list[ClaimEvidence], set[int]]:
    """Each claim's paired evidence from the logged runs, and every seed of the baseline.

    Returns
    -------
    tuple of (list of ClaimEvidence, set of int)
        One evidence per (variant, metric), variants first; the seeds the baseline was
        logged on.
    """
    evidence: list[ClaimEvidence] = []
    all_seeds: set[int] = set()
    for variant in choice.variants:
        for metric in choice.metrics:
            claim = Claim(
                variant=variant,
                baseline=choice.baseline,
                metric=metric,
                reported=choice.reported_for(variant, metric),
            )
            seeds, base, var, missing = _pair(runs, claim, "nominal")
            pairs = list(zip(seeds, base, var, strict=True))
            logged = list(runs.scores.get((choice.baseline, "nominal"), {}).get(metric, {}))
            if choice.design is not None:
                # a sequential design reads the seeds in the order they were run
                pairs.sort(key=lambda pair: logged.index(pair[0]))
            all_seeds.update(logged)
            evidence.append(
                claim_evidence(
                    claim,
                    pairs,
                    planned=len(logged) if choice.design is None else choice.design.max_seeds,
                    failed=missing,
                    conditions=_logged_conditions(runs, claim),
                )
            )
    return evidence, all_seeds


def _rules(decided: Decided, evidence: Sequence[ClaimEvidence]) -> list[RuleRow]:
    """The rows of the two rules ``compare`` can judge: seed variance and cherry-picking."""
    outcome, reason = seed_rule_outcome(decided.decisions)
    # Logged runs are where a lucky seed hides best: the reported number may be the
    # single best run. AK503 reads the per-seed gains as it does in a model-file audit.
    cherry = load_rulepack("default").find("AK503")
    assert cherry is not None  # shipped with the default pack
    picked = cherry_pick_finding(
        [(e.claim, [v - b for v, b in zip(e.variant, e.baseline, strict=True)]) for e in evidence],
        float(cherry.params.quantile),
    )
    return [
        RuleRow(
            id="AK101",
            name="seed-variance",
            check="logged_runs",
            severity="high",
            why="A gain must stand out from seed-to-seed noise to be claimed.",
            fix="Log baseline and variant on the same seeds, at least 5.",
            references=(),
            outcome=outcome,
            reason=reason,
        ),
        rule_row(cherry, picked.outcome, picked.reason, picked.evidence),
    ]


def run_compare(
    runs_csv: str | LoggedRuns,
    *,
    baseline: str,
    metrics: Sequence[str] = (),
    claims: Sequence[str] = (),
    reported: Reported = None,
    out: str | None = None,
    strict: bool = False,
    thresholds: Thresholds | None = None,
    command: str = "",
    adaptive: tuple[int, int] | None = None,
) -> AuditOutcome:
    """Decide claims from logged runs and write ``audit.json`` like ``auditkit check``.

    Parameters
    ----------
    runs_csv
        The CSV of runs (see ``load_runs_csv``), or runs already read from a source
        (``auditkit.sources``).
    baseline
        The variant every claim improves on.
    metrics
        Metrics to claim on; all metric columns when empty.
    claims
        Variants claimed to beat the baseline; every other variant when empty.
    reported
        The gain the paper reports, in metric units: one for every claim, or one per
        (variant, metric); None when the paper states none.
    out
        Report folder.
    strict
        Exit 1 on inconclusive claims too.
    thresholds
        alpha, rope and confidence (defaults of the default pack).
    command
        The command line, for provenance.
    adaptive
        ``--seeds auto`` or ``MIN..MAX``: replay the group-sequential design on each
        claim's pairs in the order their seeds were logged, to show what an adaptive
        audit would have concluded and how many seeds it would have used.

    Returns
    -------
    AuditOutcome
    """
    started = Started.clock_in()
    runs = runs_csv if isinstance(runs_csv, LoggedRuns) else load_runs_csv(runs_csv)
    th = thresholds or Thresholds()
    choice = choose_claims(runs, baseline, metrics, claims, reported, th, adaptive)
    out_dir = prepare_out_dir(out, started.now)
    evidence, all_seeds = logged_evidence(runs, choice)
    decided = decide(
        DecideInput(evidence=evidence, thresholds=th, strict=strict, design=choice.design)
    )
    return write_audit(
        AuditRecord(
            started=started,
            out_dir=out_dir,
            versions=library_versions(),
            experiment=_experiment_record(runs, baseline),
            rule_pack=_pack_record(th, len(all_seeds)),
            rules=_rules(decided, evidence),
            seeds=sorted(all_seeds),
            decisions=decided.decisions,
            runs=[],
            run_counts={"total": runs.n_rows, "failed": 0, "cached": 0},
            provenance={**_runs_provenance(runs), "command": command},
            exit_code=decided.exit_code,
            adaptive=design_to_dict(choice.design),
        )
    )


def _runs_provenance(runs: LoggedRuns) -> dict[str, str]:
    """Where the runs came from: the source's facts, or the CSV's path and hash."""
    return dict(runs.provenance) or {"runs file": f"{runs.path} (sha256 {runs.sha256[:12]})"}


def _pack_record(thresholds: Thresholds, n_seeds: int) -> dict[str, object]:
    """``compare``'s thresholds as audit.json records a rule pack."""
    return {
        "name": "compare",
        "path": "",
        "sha256": hashlib.sha256(repr(thresholds).encode()).hexdigest(),
        "settings": {
            "seeds": n_seeds,
            "alpha": thresholds.alpha,
            "rope": thresholds.rope,
            "confidence": thresholds.confidence,
        },
    }


def _experiment_record(runs: LoggedRuns, baseline: str) -> dict[str, object]:
    """The logged runs as audit.json describes an experiment."""
    return {
        "name": runs.name or Path(runs.path).stem,
        "source": "compare",
        "model_file": runs.path,
        "model_sha256": runs.sha256,
        "data": {
            "name": f"runs logged in {Path(runs.path).name}",
            "kind": "runs",
            "fingerprint": runs.sha256,
            "metadata": {},
        },
        "metrics": list(runs.metrics),
        "train": None,
        "variants": [
            {"name": v, "baseline": v == baseline, "origin": runs.path} for v in runs.variants
        ],
        "baseline": baseline,
    }
