"""Data checks of script audits: does a script learn from, and score on, its named data.

Three checks read script runs (``kinds=("script",)``; model-file audits skip them):

- ``data_influence`` (AK206) retrains with the training labels permuted (the test score
  must fall to chance) and with a known share of the test labels flipped (the score must
  move by the amount that share implies; too little movement estimates the share of the
  scored rows that are declared test rows). Statistics: :mod:`auditkit.stats.influence`.
- ``data_consumption`` (AK207) reads the start-up shim's file trace of the nominal runs:
  declared files never read, files written into the data folder, a missing data path
  tried before no data file was read at all (a silent synthetic fallback), and
  predictions for fewer rows than the declared test file holds.
- ``metric_sanity`` (AK505) flags impossible numbers (an accuracy outside [0, 1] after
  normalisation), a score at or below the majority-class rate, and a 95% interval that
  contains chance.
"""

from __future__ import annotations

import math
import posixpath
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final

import numpy as np
from scipy.stats import norm

from auditkit.checks import SCRIPT_KIND, AssessContext, CheckBase, PlanContext, register
from auditkit.conditions import Condition, Transform
from auditkit.errors import DataError
from auditkit.metrics import accuracy_metric
from auditkit.script.datafiles import DataFiles, from_facts, read_table
from auditkit.script.fileperturb import FilePerturb, FilePerturbation, flip_count
from auditkit.stats.influence import above_chance, scored_share
from auditkit.types import Claim, Finding, RunResult, RunSpec, ScriptFacts, ScriptTrace

__all__ = [
    "FLIP_CONDITION",
    "PERMUTE_CONDITION",
    "DataConsumption",
    "DataConsumptionParams",
    "DataInfluence",
    "DataInfluenceParams",
    "MetricSanity",
    "MetricSanityParams",
    "TestLabels",
]

FAMILY: Final = "script data"
#: conditions of the data-influence runs
PERMUTE_CONDITION: Final = "permute_train_labels"
FLIP_CONDITION: Final = "flip_test_labels"
#: seed of the label perturbations: every training seed sees the same perturbed files
PERTURB_SEED: Final = 0
#: suffixes of the tables auditkit reads as data
_TABLES: Final = (".csv", ".tsv", ".jsonl", ".ndjson")
#: metrics bounded by [0, 1], whatever their exact name (``test_f1``, ``hwa``)
_UNIT_METRICS: Final = ("acc", "f1", "precision", "recall", "swa", "cwa", "hwa", "auc")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _move(drop: float) -> str:
    """A drop as a signed move in points: 0.492 -> '-49.2', 0.0 -> '+0.0' (never '-0.0')."""
    return f"{round(-100 * drop, 1) + 0.0:+.1f}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestLabels:
    """What the checks need to know of the declared test file."""

    #: rows of the test file
    n: int
    #: number of classes over every data file
    n_classes: int
    #: share of the most frequent test label (the accuracy of always predicting it)
    majority: float
    #: that label, as written in the file
    majority_label: str

    @classmethod
    def of(cls, files: DataFiles) -> TestLabels | None:
        """The test file's label facts; None when no file is the test split."""
        test = files.split("test")
        if test is None:
            return None
        labels = read_table(test.path).column(test.label_column)
        label, count = Counter(labels).most_common(1)[0]
        return cls(
            n=len(labels),
            n_classes=max(2, len(files.classes)),
            majority=count / len(labels),
            majority_label=label,
        )


def _files(script: ScriptFacts | None) -> DataFiles | None:
    """The audit's data files, or None (no script facts, no data, or unreadable)."""
    if script is None:
        return None
    try:
        return from_facts(script)
    except DataError:
        return None


def _no_files_reason(ctx: AssessContext) -> str:
    if ctx.script is not None and ctx.script.data_files:
        try:
            from_facts(ctx.script)
        except DataError as exc:
            # the declared files exist (the audit checked), but are not labelled tables
            return f"the data files cannot be used: {exc.message}"
    return (
        "no data file was declared, and the first run read no labelled table (CSV or JSON "
        "lines with a label column) inside the project; declare the data (data: {train: ..., "
        "test: ...}) to test it."
    )


# --------------------------------------------------------------------------- AK206


@dataclass(frozen=True, slots=True, kw_only=True)
class DataInfluenceParams:
    """Parameters of ``data_influence``."""

    #: share of test labels flipped
    share: float = 0.5
    #: below this estimated share of declared test rows among the scored rows, fail
    min_scored: float = 0.8
    #: the permuted-label score may exceed chance by this much (accuracy units)
    margin: float = 0.05
    #: seeds (the first of the audit's) retrained under each label perturbation
    seeds: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"share={self.share!r} must be a share of test rows in (0, 1]")
        if not 0 < self.min_scored <= 1:
            raise ValueError(f"min_scored={self.min_scored!r} must be in (0, 1]")
        if not 0 <= self.margin < 0.5:
            raise ValueError(f"margin={self.margin!r} must be in [0, 0.5)")
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise ValueError(f"seeds={self.seeds!r} must be an integer >= 1")


@register("data_influence", params=DataInfluenceParams, kinds=(SCRIPT_KIND,), family=FAMILY)
class DataInfluence(CheckBase):
    """Retrain on permuted train labels and flipped test labels: the score must respond."""

    def plan(self, claim: Claim, params: DataInfluenceParams, ctx: PlanContext) -> list[RunSpec]:
        """Per arm and seed: one run with permuted train labels, one with flipped test labels."""
        files = _files(ctx.script)
        if files is None or files.split("train") is None or files.split("test") is None:
            return []
        permute = FilePerturb(FilePerturbation.PERMUTE_TRAIN_LABELS, seed=PERTURB_SEED)
        flip = FilePerturb(FilePerturbation.FLIP_TEST_LABELS, seed=PERTURB_SEED, share=params.share)
        return [
            RunSpec(
                variant=arm,
                init_seed=seed,
                order_seed=seed,
                condition=Condition.parse(condition),
                transform=Transform.parse(name),
            )
            for arm in dict.fromkeys((claim.baseline, claim.variant))
            for seed in ctx.seeds[: params.seeds]
            for condition, name in ((PERMUTE_CONDITION, permute.name), (FLIP_CONDITION, flip.name))
        ]

    def assess(self, ctx: AssessContext, params: DataInfluenceParams) -> Finding:
        """Fail, invalidating every claim, when the score ignores the declared data."""
        files = _files(ctx.script)
        if files is None:
            return Finding(outcome="skipped", reason=_no_files_reason(ctx))
        if files.split("train") is None or files.split("test") is None:
            return Finding(
                outcome="skipped",
                reason=f"the data ({files.describe()}) has no file named as the train and the "
                "test split; name them (data: {train: ..., test: ...}) to test data influence.",
            )
        metric = accuracy_metric(ctx.metrics)
        labels = TestLabels.of(files)
        if metric is None or labels is None:
            return Finding(
                outcome="skipped",
                reason=f"no accuracy among the metrics ({', '.join(ctx.metrics) or 'none'}); "
                "data influence is measured on a test accuracy (e.g. test_acc).",
            )
        share = flip_count(labels.n, params.share) / labels.n
        evidence = {
            "data": f"{files.describe()} ({files.origin})",
            "chance": f"{_pct(labels.majority)} (always predicting {labels.majority_label})",
        }
        failures: list[str] = []
        # perturbed runs whose outcome says something: a score at chance moves under
        # neither perturbation, so it shows nothing about the data either way
        assessed = 0
        at_chance: list[str] = []
        for variant in ctx.variants:
            found, failed, low = _permuted_labels(ctx, params, variant, metric, labels, evidence)
            assessed += found
            failures += failed
            at_chance += low
            found, failed = _flipped_labels(ctx, params, variant, metric, labels, share, evidence)
            assessed += found
            failures += failed
        if not assessed:
            reason = (
                f"{', '.join(sorted(set(at_chance)))} at chance ({_pct(labels.majority)}): "
                "neither perturbation can move a score at chance, so whether it comes from "
                "the declared data cannot be shown (see AK505)."
                if at_chance
                else "no successful run with permuted or flipped labels to compare; see the "
                "failed runs."
            )
            return Finding(outcome="skipped", reason=reason, evidence=evidence)
        if failures:
            text = "; ".join(failures)
            return Finding(
                outcome="fail",
                reason=f"{text}.",
                evidence=evidence,
                invalid=dict.fromkeys(
                    range(len(ctx.claims)),
                    (f"the score does not come from the declared data: {text}",),
                ),
            )
        return Finding(
            outcome="pass",
            reason="the score falls to chance with the training labels permuted and moves as "
            "implied when test labels are flipped: the script learns from and scores on the "
            "declared data.",
            evidence=evidence,
        )


def _permuted_labels(
    ctx: AssessContext,
    params: DataInfluenceParams,
    variant: str,
    metric: str,
    labels: TestLabels,
    evidence: dict[str, str],
) -> tuple[int, list[str], list[str]]:
    """With train labels permuted the score must fall to chance.

    Returns (perturbed runs whose outcome says something, failures, the variant where its
    nominal score is at chance already).
    """
    nominal = ctx.scores(variant, metric)
    permuted = ctx.scores(variant, metric, condition=PERMUTE_CONDITION)
    assessed = 0
    failures: list[str] = []
    at_chance: list[str] = []
    if permuted:
        chance = above_chance(
            list(permuted.values()),
            chance=labels.majority,
            n_test=labels.n,
            confidence=ctx.confidence,
        )
        # Under "the model learnt nothing", each run's accuracy scatters around at
        # most chance with the binomial error of the test rows: the known null
        # spread, which two seeds could not estimate.
        null_sd = math.sqrt(labels.majority * (1 - labels.majority) / labels.n)
        z = float(norm.ppf(0.5 + ctx.confidence / 2))
        limit = labels.majority + params.margin + z * null_sd / math.sqrt(chance.n)
        evidence[f"{variant}, train labels permuted"] = (
            f"{metric} {_pct(chance.mean)} ({round(100 * ctx.confidence)}% CI "
            f"{_pct(chance.low)} to {_pct(chance.high)}, {chance.n} seeds; at most "
            f"{_pct(limit)} counts as chance)"
        )
        if nominal and float(np.mean(list(nominal.values()))) > limit:
            assessed += 1
        elif nominal:
            at_chance.append(f"{variant} {_pct(float(np.mean(list(nominal.values()))))}")
        if chance.mean > limit:
            assessed += 1
            failures.append(
                f"{variant} still scores {_pct(chance.mean)} with the training labels "
                f"permuted (chance {_pct(labels.majority)}): the score does not rest on "
                "the declared train file's labels (it learns from data of its own, or "
                "from labels of another file such as test)"
            )
    return assessed, failures, at_chance


def _flipped_labels(
    ctx: AssessContext,
    params: DataInfluenceParams,
    variant: str,
    metric: str,
    labels: TestLabels,
    share: float,
    evidence: dict[str, str],
) -> tuple[int, list[str]]:
    """With test labels flipped the score must move as much as the flip implies.

    Returns (perturbed runs whose outcome says something, failures).
    """
    nominal = ctx.scores(variant, metric)
    assessed = 0
    failures: list[str] = []
    flipped = ctx.scores(variant, metric, condition=FLIP_CONDITION)
    seeds = [s for s in flipped if s in nominal]
    if not seeds:
        return assessed, failures
    found = scored_share(
        [nominal[s] for s in seeds],
        [flipped[s] for s in seeds],
        share=share,
        n_test=labels.n,
        n_classes=labels.n_classes,
        confidence=ctx.confidence,
    )
    key = f"{variant}, {_pct(share)} of test labels flipped"
    if found is None or found.high - found.low > 1:
        # too close to chance: the interval cannot tell "all rows" from "none"
        evidence[key] = (
            f"not assessed: {metric} {_pct(float(np.mean(list(nominal.values()))))} is "
            "too close to chance for a flip to move it measurably"
        )
        return assessed, failures
    assessed += 1
    rows = f"about {max(0, round(found.share * labels.n))} of {labels.n}"
    evidence[key] = (
        f"{metric} moved {_move(found.observed)} pts where "
        f"{_move(found.expected)} pts are implied: {_pct(found.share)} of the "
        f"scored rows are declared test rows ({round(100 * found.confidence)}% CI "
        f"{_pct(found.low)} to {_pct(found.high)})"
    )
    if found.high < 0.1 * params.min_scored:
        failures.append(
            f"{variant}'s {metric} does not move when {_pct(share)} of the test labels "
            f"are flipped ({_move(found.observed)} pts; "
            f"{_move(found.expected)} implied): it does not score the declared "
            "test file (or it reads the test labels it is scored on)"
        )
    elif found.high < params.min_scored:
        failures.append(
            f"{variant}'s {metric} moves by {_pct(found.share)} of what flipping "
            f"{_pct(share)} of the test labels implies: only about {_pct(found.share)} "
            f"of the scored rows are declared test rows ({rows} at the test file's "
            "size)"
        )
    return assessed, failures


# --------------------------------------------------------------------------- AK207


@dataclass(frozen=True, slots=True, kw_only=True)
class DataConsumptionParams:
    """Parameters of ``data_consumption``: none."""


def _norm(path: str) -> str:
    """A traced path as written in ``DataFile.relpath``: ``./data/../data/x`` -> ``data/x``."""
    return posixpath.normpath(path)


def _within(path: str, folders: Iterable[str]) -> bool:
    """True when ``path`` lies in one of ``folders``; the project root is no data folder.

    Data kept at the project root shares it with the code and the run's outputs, so only
    writes to the data files themselves count there.
    """
    p = PurePosixPath(path)
    return any(f not in ("", ".") and p.is_relative_to(f) for f in folders)


def _traces(ctx: AssessContext) -> list[tuple[str, int, ScriptTrace]]:
    """(variant, seed, trace) of the successful nominal runs, or of all when none succeeded.

    A run that crashed part-way read less than it would have; its trace would make "only
    1 of 3 runs read test.csv" out of a crash, which the run's own error already reports.
    """
    found: list[tuple[str, int, RunResult]] = []
    for variant in ctx.variants:
        for seed in ctx.seeds:
            run = ctx.run(variant, seed)
            if run is not None and run.trace is not None:
                found.append((variant, seed, run))
    ok = [item for item in found if item[2].ok] or found
    return [(variant, seed, run.trace) for variant, seed, run in ok if run.trace is not None]


def _looks_like_data(path: str) -> bool:
    """A path a script would open to read data: a table, or a file in a data-ish folder."""
    p = PurePosixPath(path)
    if p.suffix.lower() in (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".npy"):
        return True
    words = {w.lower() for w in p.parts}
    return bool(words & {"data", "dataset", "datasets", "spr_bench"})


@register("data_consumption", params=DataConsumptionParams, kinds=(SCRIPT_KIND,), family=FAMILY)
class DataConsumption(CheckBase):
    """Compare the files each run read and wrote with the data the audit names."""

    def assess(self, ctx: AssessContext, params: DataConsumptionParams) -> Finding:
        """Fail on unread declared files, writes to data, silent fallbacks, short predictions."""
        traces = _traces(ctx)
        if not traces:
            return Finding(outcome="skipped", reason="no run left a trace of the files it opened.")
        files = _files(ctx.script)
        reads, writes, missing = _accesses(traces)
        n = len(traces)
        evidence: dict[str, str] = {
            "runs traced": str(n),
            "files read": ", ".join(sorted(reads)[:8]) + (" …" if len(reads) > 8 else "")
            if reads
            else "none inside the project",
        }
        fails: list[str] = []
        warns: list[str] = []
        if files is not None:
            evidence["data"] = f"{files.describe()} ({files.origin})"
            _declared_files(files, traces, reads, writes, fails, warns)
        elif outside := sorted(
            p for p in reads if p.startswith("/") and PurePosixPath(p).suffix.lower() in _TABLES
        ):
            warns.append(
                f"the script read {', '.join(outside[:3])} outside the project: a run gets its "
                "own copy only of files inside the project, so auditkit cannot perturb these "
                "and the data checks do not run; move the data into the project (a link will "
                "do) and declare it"
            )
        elif missing:
            shown = ", ".join(sorted(missing)[:3])
            fails.append(
                f"the script looked for {shown}, which does not exist, and then read no data "
                "file: the numbers come from data it made up (a silent synthetic fallback)"
            )
        if files is not None and missing and not any(reads[f.relpath] for f in files.files):
            evidence["missing paths tried"] = ", ".join(sorted(missing)[:3])
        if fails:
            text = "; ".join(fails + warns)
            return Finding(
                outcome="fail",
                reason=f"{text}.",
                evidence=evidence,
                invalid=dict.fromkeys(
                    range(len(ctx.claims)), (f"the runs did not consume the data: {text}",)
                ),
            )
        if warns:
            return Finding(outcome="warn", reason="; ".join(warns) + ".", evidence=evidence)
        if files is None:
            return Finding(
                outcome="skipped",
                reason="no data file was declared or read (no CSV or JSON-lines table with a "
                "label column), and no missing data path was tried.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"every run read {', '.join(files.relpaths)}"
            + (" (data found in the first run's reads, not declared)" if not _declared(ctx) else "")
            + " and wrote nothing into the data.",
            evidence=evidence,
        )


def _accesses(
    traces: Sequence[tuple[str, int, ScriptTrace]],
) -> tuple[Counter[str], set[str], set[str]]:
    """What the runs did with files: reads per path, paths written, data paths tried."""
    reads: Counter[str] = Counter()
    writes: set[str] = set()
    missing: set[str] = set()
    for _, _, trace in traces:
        for access in trace.files:
            if access.path.startswith(".auditkit/"):
                continue  # the run's own folder: outputs auditkit asked for
            if access.mode == "write":
                writes.add(_norm(access.path))
            elif access.exists:
                reads[_norm(access.path)] += 1
            elif _looks_like_data(access.path):
                missing.add(_norm(access.path))
        missing.update(_norm(p) for p in trace.missing_probes if _looks_like_data(p))
    return reads, writes, missing


def _declared_files(
    files: DataFiles,
    traces: Sequence[tuple[str, int, ScriptTrace]],
    reads: Counter[str],
    writes: set[str],
    fails: list[str],
    warns: list[str],
) -> None:
    """Declared data files unread, written to, or scored on a subsample: into the lists."""
    n = len(traces)
    unread = [f for f in files.files if reads[f.relpath] < n]
    never = [f for f in unread if reads[f.relpath] == 0]
    if len(never) == len(files.files):
        fails.append(
            f"no run read any of the data files ({', '.join(files.relpaths)}): the "
            "score comes from other data"
        )
    else:
        for f in unread:
            times = "no run" if reads[f.relpath] == 0 else f"only {reads[f.relpath]} of {n} runs"
            text = f"{times} read {f.relpath}" + (f" (the {f.split} split)" if f.split else "")
            (warns if f.split == "dev" else fails).append(text)
    data_dirs = files.data_dirs
    changed = sorted(w for w in writes if w in files.relpaths)
    if changed:
        fails.append(
            f"the script writes into its data file{'s' if len(changed) > 1 else ''} "
            f"{', '.join(changed)}: a run can change what the next one reads"
        )
    others = sorted(w for w in writes if w not in changed and _within(w, data_dirs))
    if others:
        warns.append(
            f"the script writes into the data folder ({', '.join(others[:3])}"
            f"{' …' if len(others) > 3 else ''}): keep outputs out of the data, so "
            "no run reads what another wrote"
        )
    labels = TestLabels.of(files)
    counts = {t.predictions for _, _, t in traces if t.predictions is not None}
    if labels is not None and counts and min(counts) < labels.n:
        fails.append(
            f"predictions.csv holds {min(counts)} rows where the declared test file "
            f"has {labels.n}: the script scores a subsample, or another split"
        )


def _declared(ctx: AssessContext) -> bool:
    return ctx.script is not None and ctx.script.data_declared


# --------------------------------------------------------------------------- AK505


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSanityParams:
    """Parameters of ``metric_sanity``."""

    #: the accuracy must beat the majority-class rate by this much (accuracy units)
    margin: float = 0.02

    def __post_init__(self) -> None:
        if not 0 <= self.margin < 0.5:
            raise ValueError(f"margin={self.margin!r} must be in [0, 0.5)")


def _bounded(name: str) -> tuple[float, float] | None:
    """The range a metric's name promises: [0, 1] for accuracies and F1, [-1, 1] for MCC."""
    lowered = name.lower()
    if "mcc" in lowered:
        return (-1.0, 1.0)
    if any(part in lowered for part in _UNIT_METRICS) and "loss" not in lowered:
        return (0.0, 1.0)
    return None


def _values(ctx: AssessContext, variant: str) -> dict[str, list[float]]:
    """Every reported test metric of the variant's nominal runs, over seeds."""
    out: dict[str, list[float]] = {}
    for seed in ctx.seeds:
        run = ctx.run(variant, seed)
        if run is None or not run.ok:
            continue
        for name, value in run.test_metrics.items():
            if value is not None:
                out.setdefault(name, []).append(float(value))
    return out


@register("metric_sanity", params=MetricSanityParams, kinds=(SCRIPT_KIND,), family="metrics")
class MetricSanity(CheckBase):
    """Flag impossible scores, scores at the majority-class rate, and intervals at chance."""

    def assess(self, ctx: AssessContext, params: MetricSanityParams) -> Finding:
        """Range of every bounded metric; the accuracy against the majority-class rate."""
        files = _files(ctx.script)
        labels = TestLabels.of(files) if files is not None else None
        metric = accuracy_metric(ctx.metrics)
        evidence: dict[str, str] = {}
        fails: list[str] = []
        warns: list[str] = []
        seen = False
        for variant in ctx.variants:
            values = _values(ctx, variant)
            seen = seen or bool(values)
            for name, found in values.items():
                bounds = _bounded(name)
                outside = [v for v in found if bounds and not bounds[0] <= v <= bounds[1]]
                if bounds is not None and outside:
                    fails.append(
                        f"{variant} reports {name} = {outside[0]:g}, outside "
                        f"[{bounds[0]:g}, {bounds[1]:g}] even after reading percentages as "
                        "fractions: the number is not what its name says"
                    )
            if metric is None or labels is None or metric not in values:
                continue
            test = above_chance(
                values[metric], chance=labels.majority, n_test=labels.n, confidence=ctx.confidence
            )
            evidence[f"{variant} {metric}"] = (
                f"{_pct(test.mean)} ({round(100 * ctx.confidence)}% CI {_pct(test.low)} to "
                f"{_pct(test.high)}, {test.n} seeds)"
            )
            if test.mean <= labels.majority + params.margin:
                fails.append(
                    f"{variant}'s {metric} {_pct(test.mean)} is at or below the majority-class "
                    f"rate {_pct(labels.majority)} (always predicting {labels.majority_label})"
                )
            elif test.low <= labels.majority:
                warns.append(
                    f"the {round(100 * ctx.confidence)}% interval of {variant}'s {metric} "
                    f"({_pct(test.low)} to {_pct(test.high)}) contains chance "
                    f"({_pct(labels.majority)})"
                )
        if labels is not None:
            evidence["majority-class rate (test)"] = (
                f"{_pct(labels.majority)} (label {labels.majority_label}, {labels.n} rows)"
            )
        if not seen:
            return Finding(outcome="skipped", reason="no successful run reported a metric.")
        if fails:
            return Finding(outcome="fail", reason="; ".join(fails) + ".", evidence=evidence)
        if warns:
            return Finding(outcome="warn", reason="; ".join(warns) + ".", evidence=evidence)
        checked = "every bounded metric lies in its range"
        if metric is not None and labels is not None:
            checked += f" and {metric} beats the {_pct(labels.majority)} majority-class rate"
        elif labels is None:
            checked += " (no declared test file to compare the accuracy with chance)"
        return Finding(outcome="pass", reason=f"{checked}.", evidence=evidence)
