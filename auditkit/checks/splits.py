"""Split checks: dev/test shift, random re-splits, leakage, data provenance, label-noise ceiling.

Five checks of the 2xx family. Four only inspect the data and the nominal runs
(``split_shift``, ``duplicates``, ``data_provenance`` and ``noise_ceiling`` plan nothing
beyond the seed runs); ``resplit`` retrains both arms of every claim on a random re-split
of the pooled rows and hands the claim's gain there on to the verdict.

The pure helpers (:func:`compare_splits`, :func:`find_duplicates`,
:func:`chance_match_rate`, :func:`noise_from_metadata`, :func:`match_declaration`) take
plain values and are unit-tested on tiny inputs.
"""

from __future__ import annotations

import ast
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as st

from auditkit.checks import AssessContext, CheckBase, PlanContext, interval, pts, register
from auditkit.conditions import Condition
from auditkit.datasets.tokens import color_variety, shape_variety
from auditkit.metrics import accuracy_metric, compute_metrics
from auditkit.stats import GainClass, gain_interaction_test, holm, paired_t_test
from auditkit.types import (
    DATA_KINDS,
    SPLITS,
    ArraySplit,
    Claim,
    ConditionEvidence,
    Dataset,
    Finding,
    RunSpec,
    SplitName,
    TokenSplit,
)

FAMILY = "split"

__all__ = [
    "AssociationShift",
    "DataProvenance",
    "DataProvenanceParams",
    "DuplicateScan",
    "Duplicates",
    "DuplicatesParams",
    "NoiseCeiling",
    "NoiseCeilingParams",
    "NoiseEstimate",
    "Resplit",
    "ResplitParams",
    "SplitComparison",
    "SplitShift",
    "SplitShiftParams",
    "UnseenRowGain",
    "association_shift",
    "chance_match_rate",
    "compare_array_splits",
    "compare_splits",
    "data_origin",
    "find_array_duplicates",
    "find_duplicates",
    "match_declaration",
    "missing_paths",
    "noise_from_metadata",
]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pct(x: float) -> str:
    """A rate as a percentage: 0.0213 -> '2.1%'."""
    return f"{100 * x:.1f}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _accuracy(predictions: Sequence[int], labels: Sequence[int]) -> float | None:
    """Fraction of ``predictions`` equal to ``labels`` (both of shape (n,)); None if empty."""
    if len(labels) == 0 or len(predictions) != len(labels):
        return None
    return float(np.mean(np.asarray(predictions) == np.asarray(labels)))


def _test_accuracies(ctx: AssessContext, variant: str) -> dict[int, float]:
    """Test accuracy per seed of the variant's nominal runs, from their predictions.

    Read from the predictions, not from ``test_metrics``, so it exists whatever metrics
    the experiment lists. A run without predictions (a script that writes none) gives its
    reported accuracy metric instead (``test_acc``, see :func:`accuracy_metric`).
    """
    out = {}
    for seed, predictions in ctx.predictions(variant).items():
        value = _accuracy(predictions, ctx.test_labels(seed))
        if value is not None:
            out[seed] = value
    name = accuracy_metric(ctx.metrics)
    if name is not None:
        for seed, reported in ctx.scores(variant, name).items():
            out.setdefault(seed, reported)
    return out


# --------------------------------------------------------------------------- AK201


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitComparison:
    """One two-sample comparison of a statistic between two splits."""

    #: what is compared, e.g. ``"label rate"`` or ``"length"``
    name: str
    #: the statistic's mean (or rate) in the first and the second split
    first: float
    second: float
    #: the test used, e.g. ``"Fisher exact"``
    test: str
    #: two-sided p-value, before any correction
    p_value: float


def _label_test(first: Sequence[int], second: Sequence[int]) -> tuple[str, float]:
    """Test whether two label samples come from one class distribution.

    Fisher's exact test for two classes with a small expected count (where the
    chi-square approximation is poor), else the chi-square test of the 2 x K table.
    """
    a, b = [int(y) for y in first], [int(y) for y in second]
    classes = sorted(set(a) | set(b))
    if len(classes) < 2 or not a or not b:
        return "none (one class)", 1.0
    table = np.array([[part.count(c) for c in classes] for part in (a, b)])
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    if len(classes) == 2 and expected.min() < 5:
        return "Fisher exact", float(st.fisher_exact(table).pvalue)
    return "chi-square", float(st.chi2_contingency(table).pvalue)


def _location_test(first: Sequence[float], second: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value; 1.0 when both samples are one identical constant."""
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        return 1.0
    if np.ptp(np.concatenate([a, b])) == 0:
        # no variation at all (e.g. every colour variety 0 on shape-only tokens): the
        # test statistic is undefined, and the samples are plainly the same
        return 1.0
    return float(st.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _label_rate(first: Sequence[int], second: Sequence[int]) -> SplitComparison:
    """Share of the top label in each split, and the test of the label distributions."""
    a, b = [int(y) for y in first], [int(y) for y in second]
    top = max((*a, *b), default=1)
    test, p = _label_test(a, b)
    return SplitComparison(
        name="label rate",
        first=float(np.mean([y == top for y in a])) if a else math.nan,
        second=float(np.mean([y == top for y in b])) if b else math.nan,
        test=test,
        p_value=p,
    )


#: most feature columns compared one by one; wider arrays are compared on summaries
MAX_FEATURE_COLUMNS = 20


def _row_statistics(split: ArraySplit, kind: str) -> dict[str, np.ndarray]:
    """Per-row statistics that describe a split's inputs, each of shape (n_rows,)."""
    x = split.inputs.astype(np.float64)
    if kind == "images":
        out = {"brightness": x.mean(axis=(1, 2, 3))}
        if x.shape[1] == 3:
            # colourfulness: how far a pixel's channels spread, averaged over the image
            out["saturation"] = (x.max(axis=1) - x.min(axis=1)).mean(axis=(1, 2))
        return out
    if x.shape[1] <= MAX_FEATURE_COLUMNS:
        return {f"feature {j}": x[:, j] for j in range(x.shape[1])}
    return {"feature mean": x.mean(axis=1), "feature sd": x.std(axis=1)}


def compare_array_splits(
    first: ArraySplit, second: ArraySplit, kind: str, names: Sequence[str] = ()
) -> tuple[SplitComparison, ...]:
    """Compare two image or feature splits on label rate and per-row input statistics.

    Images are compared on brightness (mean pixel) and saturation (mean channel spread);
    feature arrays column by column (up to ``MAX_FEATURE_COLUMNS`` columns, else on each
    row's mean and sd), each with a two-sided Mann-Whitney U test.

    Parameters
    ----------
    first, second
        The splits, inputs of shape (n, C, H, W) or (n, n_features).
    kind
        ``"images"`` or ``"features"``.
    names
        Feature names, shape (n_features,), for the comparisons' names.

    Returns
    -------
    tuple of SplitComparison
        Uncorrected p-values; the caller corrects for their number.
    """
    rows = [_label_rate(first.labels.tolist(), second.labels.tolist())]
    a, b = _row_statistics(first, kind), _row_statistics(second, kind)
    for key in a:
        label = key
        if key.startswith("feature ") and key[8:].isdigit() and names:
            label = f"feature {names[int(key[8:])]}"
        rows.append(
            SplitComparison(
                name=label,
                first=float(np.mean(a[key])) if len(a[key]) else math.nan,
                second=float(np.mean(b[key])) if len(b[key]) else math.nan,
                test="Mann-Whitney U",
                p_value=_location_test(a[key].tolist(), b[key].tolist()),
            )
        )
    return tuple(rows)


def _compare(data: Dataset, first: SplitName, second: SplitName) -> tuple[SplitComparison, ...]:
    """Compare two splits of any kind; p-values uncorrected."""
    a, b = data.split(first), data.split(second)
    if isinstance(a, ArraySplit) and isinstance(b, ArraySplit):
        return compare_array_splits(a, b, data.kind, getattr(data, "feature_names", ()))
    assert isinstance(a, TokenSplit) and isinstance(b, TokenSplit)
    return compare_splits(a, b)


def compare_splits(first: TokenSplit, second: TokenSplit) -> tuple[SplitComparison, ...]:
    """Compare two splits on label rate, length, shape variety and colour variety.

    Parameters
    ----------
    first, second
        The splits, e.g. dev and test.

    Returns
    -------
    tuple of SplitComparison
        Four comparisons; p-values are two-sided and uncorrected (the caller corrects
        for the four). Label rates are the share of label 1 (of the largest label with
        more than two classes); the others are means per sequence.

    Examples
    --------
    >>> from auditkit.types import TokenSplit
    >>> a = TokenSplit(ids=("a", "b"), sequences=("▲r ■", "●g"), labels=(0, 1))
    >>> [c.name for c in compare_splits(a, a)]
    ['label rate', 'length', 'shape variety', 'colour variety']
    """
    rows = [_label_rate(first.labels, second.labels)]
    for name, fn in (
        ("length", lambda s: len(s.split())),
        ("shape variety", shape_variety),
        ("colour variety", color_variety),
    ):
        a = [float(fn(s)) for s in first.sequences]
        b = [float(fn(s)) for s in second.sequences]
        rows.append(
            SplitComparison(
                name=name,
                first=float(np.mean(a)) if a else math.nan,
                second=float(np.mean(b)) if b else math.nan,
                test="Mann-Whitney U",
                p_value=_location_test(a, b),
            )
        )
    return tuple(rows)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationShift:
    """How well one input factor predicts the label on dev and on test.

    The factor's label map is learnt on train (the majority label of each value); it is
    then scored on dev, drawn like train, and on test. A factor whose map predicts dev far
    better than test is a cue that holds in train and dev but not in test: a shortcut's
    fingerprint, visible before any model is trained.
    """

    #: the factor, e.g. ``"colour at position -1"``, ``"count of ▲"``, ``"feature x3"``
    name: str
    #: accuracy of the train-learnt map on dev and on test
    dev: float
    test: float
    #: two-sided p of the 2 x 2 table (correct / wrong x dev / test), uncorrected
    p_value: float


#: quantile bins of a numeric feature for its label map
_FEATURE_BINS = 10


def _token_factors(split: TokenSplit, length: int) -> dict[str, list[object]]:
    """Per-row values of every token factor, each a list of shape (n,).

    The shape and the colour at each position (from the start and from the end), and the
    count of each shape and colour.
    """
    rows = [seq.split() for seq in split.sequences]
    shapes = sorted({t[:1] for r in rows for t in r})
    colours = sorted({t[1:] for r in rows for t in r} - {""})
    out: dict[str, list[object]] = {}
    parts: tuple[tuple[str, slice], ...] = (("shape", slice(0, 1)), ("colour", slice(1, None)))
    for factor, cut in parts:
        if factor == "colour" and not colours:
            continue  # shape-only tokens: colour carries nothing
        for i in range(length):
            out[f"{factor} at position {i}"] = [r[i][cut] if i < len(r) else None for r in rows]
            out[f"{factor} at position {-i - 1}"] = [
                r[-i - 1][cut] if i < len(r) else None for r in rows
            ]
    for sym in shapes:
        out[f"count of {sym}"] = [sum(t[:1] == sym for t in r) for r in rows]
    for sym in colours:
        out[f"count of colour {sym}"] = [sum(t[1:] == sym for t in r) for r in rows]
    return out


def _array_factors(
    splits: Sequence[ArraySplit], names: Sequence[str]
) -> list[dict[str, list[object]]]:
    """Each feature column (or image summary) binned at train's deciles, per split."""
    stats = [_row_statistics(sp, "features" if sp.inputs.ndim == 2 else "images") for sp in splits]
    out: list[dict[str, list[object]]] = [{} for _ in splits]
    for key, train_values in stats[0].items():
        label = key
        if key.startswith("feature ") and key[8:].isdigit() and names:
            label = f"feature {names[int(key[8:])]}"
        edges = np.unique(np.quantile(train_values, np.linspace(0, 1, _FEATURE_BINS + 1)[1:-1]))
        for i, st_ in enumerate(stats):
            out[i][label] = np.searchsorted(edges, st_[key], side="right").tolist()
    return out


def _label_map_accuracy(
    train: Sequence[object],
    train_labels: Sequence[int],
    values: Sequence[object],
    labels: Sequence[int],
) -> tuple[int, int]:
    """(correct, total) of the majority-label-per-value map learnt on train."""
    counts: dict[object, dict[int, int]] = {}
    for v, y in zip(train, train_labels, strict=True):
        per = counts.setdefault(v, {})
        per[int(y)] = per.get(int(y), 0) + 1
    overall = int(np.bincount(np.asarray(train_labels, dtype=np.int64)).argmax())
    mapping = {v: max(sorted(per), key=per.__getitem__) for v, per in counts.items()}
    correct = sum(mapping.get(v, overall) == int(y) for v, y in zip(values, labels, strict=True))
    return correct, len(labels)


def association_shift(data: Dataset) -> tuple[AssociationShift, ...]:
    """For each input factor, how well a train-learnt label map predicts dev and test.

    Token data: the shape and the colour at each position (counted from the start and
    from the end, as sequences differ in length) and the count of each shape and colour.
    Feature arrays: each column (binned at train's deciles); wider arrays and images:
    the per-row summaries AK201 compares.

    Parameters
    ----------
    data
        The dataset.

    Returns
    -------
    tuple of AssociationShift
        One per factor, p-values uncorrected (the caller corrects for their number).

    Examples
    --------
    >>> from auditkit.types import TokenDataset, TokenSplit
    >>> cue = TokenSplit(ids=("a", "b"), sequences=("▲r", "▲g"), labels=(1, 0))
    >>> none = TokenSplit(ids=("a", "b"), sequences=("▲g", "▲r"), labels=(1, 0))
    >>> found = association_shift(TokenDataset(name="t", train=cue, dev=cue, test=none))
    >>> [(a.name, a.dev, a.test) for a in found if a.name == "colour at position 0"]
    [('colour at position 0', 1.0, 0.0)]
    """
    train, dev, test = data.train, data.dev, data.test
    if len(train) == 0 or len(dev) == 0 or len(test) == 0:
        return ()
    if (
        isinstance(train, TokenSplit)
        and isinstance(dev, TokenSplit)
        and isinstance(test, TokenSplit)
    ):
        length = max(len(s.split()) for s in (*train.sequences, *dev.sequences, *test.sequences))
        factors = [_token_factors(sp, length) for sp in (train, dev, test)]
    else:
        assert isinstance(train, ArraySplit) and isinstance(dev, ArraySplit)
        assert isinstance(test, ArraySplit)
        factors = _array_factors((train, dev, test), getattr(data, "feature_names", ()))
    y = [list(map(int, sp.labels)) for sp in (train, dev, test)]
    out = []
    for name, train_values in factors[0].items():
        dev_ok, dev_n = _label_map_accuracy(train_values, y[0], factors[1][name], y[1])
        test_ok, test_n = _label_map_accuracy(train_values, y[0], factors[2][name], y[2])
        table = np.array([[dev_ok, dev_n - dev_ok], [test_ok, test_n - test_ok]])
        if (table.sum(0) == 0).any():
            p = 1.0  # every row right (or wrong) in both: nothing differs
        else:
            expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
            p = (
                float(st.fisher_exact(table).pvalue)
                if expected.min() < 5
                else float(st.chi2_contingency(table).pvalue)
            )
        out.append(
            AssociationShift(name=name, dev=dev_ok / dev_n, test=test_ok / test_n, p_value=p)
        )
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitShiftParams:
    """Parameters of ``split_shift``."""

    #: family-wise significance level of the distribution tests (Bonferroni over them)
    alpha: float = 0.05
    #: the dev-to-test gap must exceed this many band widths to count
    band: float = 2.0
    #: metric of the gap; None uses each claim's metric
    metric: str | None = None
    #: a factor's label map must predict dev at least this much better (or worse) than
    #: test, in accuracy, besides the significance, to count as an association shift
    association_drop: float = 0.1

    def __post_init__(self) -> None:
        if not _is_number(self.alpha) or not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha={self.alpha!r} must be a number between 0 and 1, e.g. 0.05")
        if not _is_number(self.association_drop) or not 0.0 < self.association_drop < 1.0:
            raise ValueError(
                f"association_drop={self.association_drop!r} must be an accuracy difference "
                "between 0 and 1, e.g. 0.1"
            )
        if not _is_number(self.band) or self.band <= 0:
            raise ValueError(f"band={self.band!r} must be a positive number of band widths, e.g. 2")
        if self.metric is not None and (not isinstance(self.metric, str) or not self.metric):
            raise ValueError(f"metric={self.metric!r} must be a metric name or null")


@register("split_shift", params=SplitShiftParams, kinds=DATA_KINDS, family=FAMILY)
class SplitShift(CheckBase):
    """Compare dev and test: their distributions, and each variant's dev-to-test gap."""

    def assess(self, ctx: AssessContext, params: SplitShiftParams) -> Finding:
        """Bonferroni-corrected dev/test tests, and each gap against its seed band.

        The band of a gap is ``params.band`` times the combined spread a gap has when
        nothing is shifted: the test metric's seed-to-seed sd, and the sampling error of
        a metric measured on finite dev and test splits (binomial, sqrt(p(1-p)/n) per
        split). Without the sampling term a 100-row dev split would "shift" on its own.
        """
        comparisons = _compare(ctx.data, "dev", "test")
        level = params.alpha / len(comparisons)
        evidence: dict[str, str] = {}
        shifted = []
        for c in comparisons:
            significant = c.p_value < level
            fmt = _pct if c.name == "label rate" else (lambda x: f"{x:.2f}")
            evidence[f"dev vs test {c.name}"] = (
                f"{fmt(c.first)} vs {fmt(c.second)} ({c.test} {_p(c.p_value)}; "
                f"Bonferroni level {level:.4f}{', differs' if significant else ''})"
            )
            if significant:
                shifted.append(f"{c.name} {fmt(c.first)} on dev vs {fmt(c.second)} on test")
        # the shortcut's fingerprint in the data alone: a factor whose link to the label
        # holds in train and dev but not in test
        associations = association_shift(ctx.data)
        cues = []
        if associations:
            a_level = params.alpha / len(associations)
            for a in sorted(associations, key=lambda a: a.p_value):
                if a.p_value < a_level and abs(a.dev - a.test) >= params.association_drop:
                    cues.append(a)
            evidence["factor-label association"] = (
                f"{len(associations)} factors' train-learnt label maps scored on dev and test "
                f"(Bonferroni level {a_level:.2g}); "
                + (
                    "; ".join(
                        f"{a.name}: {_pct(a.dev)} on dev vs {_pct(a.test)} on test "
                        f"({_p(a.p_value)})"
                        for a in cues[:5]
                    )
                    or f"none differs by {100 * params.association_drop:.0f} points or more"
                )
            )
        metrics = (
            (params.metric,)
            if params.metric
            else tuple(dict.fromkeys(c.metric for c in ctx.claims))
        )
        n_dev, n_test = len(ctx.data.dev), len(ctx.data.test)
        paired_gaps = self._paired_gaps(ctx, params, evidence)
        gapped = []
        for variant in ctx.variants:
            for metric in metrics:
                gaps, tests = [], []
                for seed in ctx.seeds:
                    run = ctx.run(variant, seed)
                    if run is None or not run.ok:
                        continue
                    dev, test = run.dev_metrics.get(metric), run.test_metrics.get(metric)
                    if dev is None or test is None:
                        continue
                    gaps.append(float(dev) - float(test))
                    tests.append(float(test))
                if not gaps:
                    continue
                gap = float(np.mean(gaps))
                seed_sd = float(np.std(tests, ddof=1)) if len(tests) > 1 else 0.0
                p = min(max(float(np.mean(tests)), 0.0), 1.0)
                sampling = math.sqrt(p * (1 - p) * (1 / max(n_dev, 1) + 1 / max(n_test, 1)))
                width = params.band * math.sqrt(seed_sd**2 + sampling**2)
                beyond = abs(gap) > width
                evidence[f"{variant} dev − test {metric}"] = (
                    f"{pts(gap)} over {len(gaps)} seeds; band ±{100 * width:.2f} pts "
                    f"({params.band:g} × sqrt(seed sd {100 * seed_sd:.2f}² + split sampling "
                    f"{100 * sampling:.2f}²) pts)"
                )
                if beyond:
                    gapped.append(
                        f"{variant} scores {pts(gap)} {metric} on dev relative to test, beyond "
                        f"the ±{100 * width:.2f} pts band"
                    )
        cue_text = "; ".join(
            f"{a.name} predicts the label {_pct(a.dev)} on dev but {_pct(a.test)} on test"
            for a in cues[:3]
        )
        if shifted:
            # a shifted input also moves its link to the label: name both findings
            cue_text += f"; dev and test also differ: {'; '.join(shifted)}"
        if cues and paired_gaps:
            return Finding(
                outcome="fail",
                reason=f"a cue holds in train and dev but not in test ({cue_text}), and "
                f"{'; '.join(paired_gaps)}: a variant that learns the cue is selected on dev "
                "and loses it on test (a train/dev-only shortcut).",
                evidence=evidence,
            )
        if cues:
            return Finding(
                outcome="warn",
                reason=f"a cue holds in train and dev but not in test ({cue_text}): a model "
                "that learns it looks better on dev than on test (a train/dev-only shortcut"
                "), though no variant's dev-to-test gap exceeds the baseline's yet.",
                evidence=evidence,
            )
        # without a cue in the data, a paired gap alone stays in the evidence: at alpha per
        # claim it would warn on one clean audit in twenty
        if shifted and gapped:
            return Finding(
                outcome="fail",
                reason=f"dev and test differ ({'; '.join(shifted)}) and {'; '.join(gapped)}, "
                "so dev does not predict test and a model selected on dev is judged on "
                "another distribution.",
                evidence=evidence,
            )
        if shifted:
            return Finding(
                outcome="warn",
                reason=f"dev and test differ ({'; '.join(shifted)}), though no variant's "
                "dev-to-test gap exceeds its band yet.",
                evidence=evidence,
            )
        if gapped:
            return Finding(
                outcome="warn",
                reason=f"{'; '.join(gapped)}, although the dev and test distributions tested "
                "do not differ (a shift in something not tested, or overfitting to dev).",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"dev and test agree on {len(comparisons)} statistics (Bonferroni α = "
            f"{params.alpha:g}), every factor predicts the label alike on dev and test, and "
            "every dev-to-test gap lies within its band and the baseline's.",
            evidence=evidence,
        )

    @staticmethod
    def _paired_gaps(
        ctx: AssessContext, params: SplitShiftParams, evidence: dict[str, str]
    ) -> list[str]:
        """Each claim's variant dev→test gap against the baseline's, paired by seed.

        A variant that learnt a cue of train and dev loses more from dev to test than the
        baseline trained with the same seed; the seed band of each gap alone hides that.
        One-sided paired t-test, Holm over the claims.
        """
        rows: list[tuple[str, float, float, int]] = []
        for claim in ctx.claims:
            metric = params.metric or claim.metric
            diffs = []
            for seed in ctx.seeds:
                base, var = ctx.run(claim.baseline, seed), ctx.run(claim.variant, seed)
                if base is None or var is None or not (base.ok and var.ok):
                    continue
                values = (
                    base.dev_metrics.get(metric),
                    base.test_metrics.get(metric),
                    var.dev_metrics.get(metric),
                    var.test_metrics.get(metric),
                )
                if any(v is None for v in values):
                    continue
                bd, bt, vd, vt = (float(v) for v in values if v is not None)
                sign = 1.0 if claim.direction.value == "increase" else -1.0
                diffs.append(sign * ((vd - vt) - (bd - bt)))
            if len(diffs) < 2:
                continue
            test = paired_t_test(np.asarray(diffs), alternative="greater")
            rows.append(
                (
                    f"{claim.variant} vs {claim.baseline} ({metric})",
                    test.mean,
                    test.p_value,
                    len(diffs),
                )
            )
        out = []
        adjusted = holm([p for _, _, p, _ in rows]).tolist() if rows else []
        for (label, mean, _, n), p in zip(rows, adjusted, strict=True):
            evidence[f"dev→test gap, {label}"] = (
                f"the variant loses {pts(mean)} more than the baseline from dev to test, "
                f"paired over {n} seeds (one-sided {_p(p)}, Holm)"
            )
            if p < params.alpha and mean > 0:
                out.append(
                    f"{label.split(' (')[0]}: the variant loses {pts(mean)} more than the "
                    f"baseline from dev to test, seed by seed ({_p(p)})"
                )
        return out


# --------------------------------------------------------------------------- AK202

RESPLIT_CONDITION = "random re-split"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResplitParams:
    """Parameters of ``resplit``."""

    #: seed of the first re-split; seed pair s trains on re-split ``split_seed + s``, so the
    #: interval covers the luck of the split as well as that of the seeds
    split_seed: int = 1000

    def __post_init__(self) -> None:
        if not _is_int(self.split_seed) or self.split_seed < 0:
            raise ValueError(f"split_seed={self.split_seed!r} must be an integer >= 0")


@register("resplit", params=ResplitParams, kinds=DATA_KINDS, family=FAMILY)
class Resplit(CheckBase):
    """Retrain both arms on a random re-split of the pooled train, dev and test rows."""

    def plan(self, claim: Claim, params: ResplitParams, ctx: PlanContext) -> list[RunSpec]:
        """The nominal runs, and both arms on a fresh random re-split per seed."""
        if ctx.design is not None:
            # a cross-validated design already trains every seed on another split
            return super().plan(claim, params, ctx)
        resplit = [
            RunSpec(
                variant=arm,
                init_seed=seed,
                order_seed=seed,
                condition=Condition.parse(RESPLIT_CONDITION),
                transform=f"resplit:{params.split_seed + seed}",
            )
            for arm in (claim.baseline, claim.variant)
            for seed in ctx.seeds
        ]
        return [*super().plan(claim, params, ctx), *resplit]

    def assess(self, ctx: AssessContext, params: ResplitParams) -> Finding:
        """Hand each claim's re-split gain on as a condition; warn when it moved."""
        if ctx.design is not None:
            return Finding(
                outcome="skipped",
                reason=f"the design is {ctx.design.folds}-fold cross-validation: every seed "
                "already trains and tests on another split of the pooled rows.",
            )
        conditions: dict[int, tuple[ConditionEvidence, ...]] = {}
        evidence: dict[str, str] = {}
        moved: list[str] = []
        missing: list[str] = []
        for index, claim in enumerate(ctx.claims):
            found = ctx.condition(claim, RESPLIT_CONDITION, "", FAMILY, condition=RESPLIT_CONDITION)
            conditions[index] = (found,)
            nominal = interval(ctx.gains(claim), ctx.confidence)
            resplit = interval(found.gains, ctx.confidence)
            if nominal is None or resplit is None:
                missing.append(claim.label)
                evidence[claim.label] = (
                    f"{len(ctx.gains(claim))} seed pairs on the given split, "
                    f"{len(found.gains)} on random re-splits: too few for an interval"
                )
                continue
            evidence[claim.label] = (
                f"given split {pts(nominal[0])} [{pts(nominal[1])}, {pts(nominal[2])}]; "
                f"random re-split {pts(resplit[0])} [{pts(resplit[1])}, {pts(resplit[2])}]"
            )
            # the two intervals come from different data, so they are not paired: call the
            # gain moved only when the intervals do not even overlap
            if resplit[2] < nominal[1] or resplit[1] > nominal[2]:
                moved.append(
                    f"{claim.label}: {pts(nominal[0])} on the given split, {pts(resplit[0])} "
                    "on random re-splits"
                )
        if missing and len(missing) == len(ctx.claims):
            return Finding(
                outcome="error",
                reason=f"fewer than 2 seed pairs succeeded under the random re-split for "
                f"{', '.join(missing)}, so the gain there cannot be estimated.",
                conditions=conditions,
            )
        if moved:
            return Finding(
                outcome="warn",
                reason=f"the gain differs between the given split and random re-splits "
                f"beyond both intervals ({'; '.join(moved)}), so it depends on how the "
                "split was made.",
                evidence=evidence,
                conditions=conditions,
            )
        return Finding(
            outcome="pass",
            reason=f"on random re-splits the gain of {len(evidence)} claim(s) stays within "
            "the intervals of the given split.",
            evidence=evidence,
            conditions=conditions,
        )


# --------------------------------------------------------------------------- AK203

#: the largest ``max_hamming``: keys per row grow as C(length, k)
MAX_HAMMING = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateScan:
    """Rows of a query split that also occur, exactly or nearly, in a reference split."""

    #: (query index, reference index) of every query row equal to a reference row
    exact: tuple[tuple[int, int], ...]
    #: (query index, reference index, Hamming distance) of query rows with no exact copy
    #: but a same-length reference row differing in 1 .. max_hamming positions
    near: tuple[tuple[int, int, int], ...]
    #: query rows with an exact copy whose reference label differs
    conflicting: int


def _wildcard_keys(tokens: tuple[str, ...], k: int) -> list[tuple[int, tuple[str | None, ...]]]:
    """Every way of blanking ``k`` positions of ``tokens``, tagged with the length.

    Two same-length sequences at Hamming distance <= k share at least one key (blank the
    positions where they differ), so a hash lookup replaces the all-pairs comparison.
    """
    n = len(tokens)
    out = []
    for blank in itertools.combinations(range(n), min(k, n)):
        key: list[str | None] = list(tokens)
        for i in blank:
            key[i] = None
        out.append((n, tuple(key)))
    return out


def find_duplicates(
    reference: TokenSplit, query: TokenSplit, *, max_hamming: int = 1
) -> DuplicateScan:
    """Find query rows that duplicate (or nearly duplicate) a reference row.

    Parameters
    ----------
    reference
        The split a model learnt from (train, or dev).
    query
        The split it is judged on (test).
    max_hamming
        Near duplicates have the same length and differ in at most this many token
        positions (1 to 3).

    Returns
    -------
    DuplicateScan

    Examples
    --------
    >>> from auditkit.types import TokenSplit
    >>> train = TokenSplit(ids=("a", "b"), sequences=("▲r ■g", "●b ●b ◆y"), labels=(0, 1))
    >>> test = TokenSplit(ids=("c", "d"), sequences=("▲r ■g", "●b ■b ◆y"), labels=(1, 1))
    >>> scan = find_duplicates(train, test)
    >>> scan.exact, scan.near, scan.conflicting
    (((0, 0),), ((1, 1, 1),), 1)
    """
    if not _is_int(max_hamming) or not 1 <= max_hamming <= MAX_HAMMING:
        raise ValueError(f"max_hamming={max_hamming!r} must be an integer from 1 to {MAX_HAMMING}")
    first_row: dict[str, int] = {}
    keys: dict[tuple[int, tuple[str | None, ...]], int] = {}
    split_ref = [tuple(s.split()) for s in reference.sequences]
    for i, (sequence, tokens) in enumerate(zip(reference.sequences, split_ref, strict=True)):
        first_row.setdefault(sequence, i)
        for key in _wildcard_keys(tokens, max_hamming):
            keys.setdefault(key, i)
    exact, near = [], []
    conflicting = 0
    for q, sequence in enumerate(query.sequences):
        hit = first_row.get(sequence)
        if hit is not None:
            exact.append((q, hit))
            conflicting += reference.labels[hit] != query.labels[q]
            continue
        tokens = tuple(sequence.split())
        best: tuple[int, int] | None = None
        for key in _wildcard_keys(tokens, max_hamming):
            r = keys.get(key)
            if r is None:
                continue
            distance = sum(a != b for a, b in zip(tokens, split_ref[r], strict=True))
            if best is None or distance < best[1]:
                best = (r, distance)
        if best is not None:
            near.append((q, best[0], best[1]))
    return DuplicateScan(exact=tuple(exact), near=tuple(near), conflicting=conflicting)


def chance_match_rate(reference: TokenSplit, query: TokenSplit, *, max_hamming: int = 0) -> float:
    """Expected fraction of query rows within ``max_hamming`` of some reference row by chance.

    The model of chance draws every token independently from the pooled token frequencies
    f (so two tokens agree with probability q = sum f²), and compares each query row with
    the reference rows of its length: P(distance <= k) = sum_{j <= k} C(L, j) q^(L-j)
    (1-q)^j per pair, and 1 - (1 - P)^n_L for at least one of n_L rows. In a small
    sequence space (SPR_BENCH's shape-only tasks: 4^8 sequences) chance alone puts
    copies of test rows into train.

    Parameters
    ----------
    reference, query
        The two splits.
    max_hamming
        0 for exact duplicates.

    Returns
    -------
    float
        A rate from 0 to 1; 0 for an empty query split.
    """
    counts: dict[str, int] = {}
    for sequence in (*reference.sequences, *query.sequences):
        for token in sequence.split():
            counts[token] = counts.get(token, 0) + 1
    total = sum(counts.values())
    if not query.sequences or total == 0:
        return 0.0
    q = sum((c / total) ** 2 for c in counts.values())
    by_length: dict[int, int] = {}
    for sequence in reference.sequences:
        n = len(sequence.split())
        by_length[n] = by_length.get(n, 0) + 1
    rates = []
    for sequence in query.sequences:
        length = len(sequence.split())
        pair = sum(
            math.comb(length, j) * q ** (length - j) * (1 - q) ** j
            for j in range(min(max_hamming, length) + 1)
        )
        rates.append(1 - (1 - min(pair, 1.0)) ** by_length.get(length, 0))
    return float(np.mean(rates))


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicatesParams:
    """Parameters of ``duplicates``."""

    #: near duplicates differ in at most this many token positions (1 to 3)
    max_hamming: int = 1
    #: share of test rows that may have an exact copy (or, above chance, a near copy)
    max_fraction: float = 0.01

    def __post_init__(self) -> None:
        if not _is_int(self.max_hamming) or not 1 <= self.max_hamming <= MAX_HAMMING:
            raise ValueError(
                f"max_hamming={self.max_hamming!r} must be an integer from 1 to {MAX_HAMMING} "
                "(each row is looked up under C(length, max_hamming) keys)"
            )
        if not _is_number(self.max_fraction) or not 0.0 <= self.max_fraction < 1.0:
            raise ValueError(
                f"max_fraction={self.max_fraction!r} must be a number from 0 (no duplicate "
                "allowed) to below 1, e.g. 0.01"
            )


def _row_keys(x: np.ndarray, decimals: int | None) -> list[bytes]:
    """One hashable key per row of ``x`` (shape (n, ...)): its bytes, rounded if asked."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    if decimals is not None:
        flat = np.round(flat, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return [row.tobytes() for row in flat]


def find_array_duplicates(
    reference: ArraySplit, query: ArraySplit, *, decimals: int = 2
) -> DuplicateScan:
    """Find query rows (images or feature vectors) equal, or nearly equal, to a reference row.

    Exact copies have identical values; near copies are equal once every value is
    rounded to ``decimals`` decimal places (pixels in [0, 1] to 0.01, say), which
    catches re-encoded or slightly noised copies without an all-pairs distance.

    Parameters
    ----------
    reference, query
        The splits, inputs of shape (n, ...).
    decimals
        Rounding of the near-copy comparison.

    Returns
    -------
    DuplicateScan
        ``near`` entries carry distance 1 (rounded equality).
    """
    exact_of: dict[bytes, int] = {}
    for i, key in enumerate(_row_keys(reference.inputs, None)):
        exact_of.setdefault(key, i)
    near_of: dict[bytes, int] = {}
    for i, key in enumerate(_row_keys(reference.inputs, decimals)):
        near_of.setdefault(key, i)
    exact: list[tuple[int, int]] = []
    near: list[tuple[int, int, int]] = []
    conflicting = 0
    rounded = _row_keys(query.inputs, decimals)
    for q, key in enumerate(_row_keys(query.inputs, None)):
        hit = exact_of.get(key)
        if hit is not None:
            exact.append((q, hit))
            conflicting += int(reference.labels[hit] != query.labels[q])
            continue
        close = near_of.get(rounded[q])
        if close is not None:
            near.append((q, close, 1))
    return DuplicateScan(exact=tuple(exact), near=tuple(near), conflicting=conflicting)


@register("duplicates", params=DuplicatesParams, kinds=DATA_KINDS, family=FAMILY)
class Duplicates(CheckBase):
    """Scan for test rows that also occur, exactly or nearly, in train or dev."""

    def assess(self, ctx: AssessContext, params: DuplicatesParams) -> Finding:
        """Exact copies above ``max_fraction`` fail and invalidate every claim's evidence.

        Near copies warn when their share exceeds what chance gives by more than
        ``max_fraction``: in a small sequence space near neighbours are common.
        """
        test = ctx.data.test
        n = len(test)
        evidence: dict[str, str] = {}
        leaks, near_notes = [], []
        seen: set[int] = set()  # test rows that are copies or near copies of train or dev
        tokens = isinstance(test, TokenSplit)
        near_what = (
            f"within {params.max_hamming} token(s)" if tokens else "equal to 2 decimal places"
        )
        for name in ("train", "dev"):
            reference = ctx.data.split(name)
            if isinstance(reference, TokenSplit) and isinstance(test, TokenSplit):
                scan = find_duplicates(reference, test, max_hamming=params.max_hamming)
                chance_exact = chance_match_rate(reference, test, max_hamming=0)
                chance_near = (
                    chance_match_rate(reference, test, max_hamming=params.max_hamming)
                    - chance_exact
                )
            else:
                assert isinstance(reference, ArraySplit) and isinstance(test, ArraySplit)
                # continuous inputs do not coincide by chance; a copy is a copy
                scan = find_array_duplicates(reference, test)
                chance_exact = chance_near = 0.0
            exact_rate = len(scan.exact) / n if n else 0.0
            near_rate = len(scan.near) / n if n else 0.0
            seen.update(q for q, _ in scan.exact)
            seen.update(q for q, _, _ in scan.near)
            examples = ", ".join(f"{test.ids[q]}={reference.ids[r]}" for q, r in scan.exact[:3])
            evidence[f"{name} ∩ test, exact"] = (
                f"{len(scan.exact)} of {n} test rows ({_pct(exact_rate)}); about "
                f"{_pct(chance_exact)} expected by chance"
                + (f"; {scan.conflicting} with a different label" if scan.conflicting else "")
                + (f"; e.g. {examples}" if examples else "")
            )
            evidence[f"{name} ∩ test, {near_what}"] = (
                f"{len(scan.near)} more test rows ({_pct(near_rate)}); about "
                f"{_pct(max(chance_near, 0.0))} expected by chance"
            )
            if scan.exact and exact_rate > max(
                params.max_fraction, chance_exact + params.max_fraction, 2.0 * chance_exact
            ):
                leaks.append(
                    f"{len(scan.exact)} of {n} test rows ({_pct(exact_rate)}) also appear in "
                    f"{name}, against about {_pct(chance_exact)} by chance"
                )
            elif scan.exact and exact_rate > params.max_fraction:
                # in a small sequence space copies happen by chance: not leakage by count
                near_notes.append(
                    f"{len(scan.exact)} of {n} test rows ({_pct(exact_rate)}) also appear in "
                    f"{name}, close to the {_pct(chance_exact)} that chance gives"
                )
            if near_rate - max(chance_near, 0.0) > params.max_fraction:
                how = (
                    f"differ from a {name} row in at most {params.max_hamming} token(s)"
                    if tokens
                    else f"equal a {name} row to 2 decimal places"
                )
                near_notes.append(
                    f"{len(scan.near)} of {n} test rows ({_pct(near_rate)}) {how}, against "
                    f"about {_pct(max(chance_near, 0.0))} by chance"
                )
        text = "; ".join(leaks + near_notes)
        # decide from the effect: does each claim's conclusion hold on the rows never seen?
        effects = _unseen_row_gains(ctx, seen) if text else {}
        for index, effect in effects.items():
            evidence[f"{ctx.claims[index].label}, gain on unseen test rows"] = (
                f"{_gain_text(effect.full)} on all {n} test rows; {_gain_text(effect.unseen)} on "
                f"the {effect.n_unseen} rows that are neither copies nor near copies"
                + (
                    f"; {pts(effect.memory)} more on the copies, one-sided {_p(effect.p_memory)}"
                    if effect.memory is not None and effect.p_memory is not None
                    else ""
                )
            )
        broken = {
            i: (
                f"the gain {_gain_text(e.full)} on all {n} test rows does not hold on the "
                f"{e.n_unseen} rows that are neither copies nor near copies "
                f"({_gain_text(e.unseen)}), and is {pts(e.memory or 0.0)} larger on the copies"
            )
            for i, e in effects.items()
            if e.rests_on_copies(ctx.alpha)
        }
        if broken:
            return Finding(
                outcome="fail",
                reason=f"{text}, and {'; '.join(broken.values())}, so the gain measures memory "
                "of seen rows.",
                evidence=evidence,
                invalid={i: (f"test leakage: {text}; {why}",) for i, why in broken.items()},
            )
        if effects:
            unseen = n - len(seen)
            return Finding(
                outcome="fail" if leaks else "warn",
                reason=f"{text}; no claim's conclusion rests on them: every gain that holds on "
                f"the whole test split holds on the {unseen} test rows that are neither copies "
                "nor near copies, or is no larger on the copies (both gains are in the evidence).",
                evidence=evidence,
            )
        if leaks:
            return Finding(
                outcome="fail",
                reason=f"{text}, above the {_pct(params.max_fraction)} allowed, so the test "
                "score partly measures memory of seen rows.",
                evidence=evidence,
                invalid=dict.fromkeys(range(len(ctx.claims)), (f"test leakage: {text}",)),
            )
        if near_notes:
            return Finding(
                outcome="warn",
                reason=f"{'; '.join(near_notes)}, so part of the test split is nearly seen "
                "in training.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"no more than {_pct(params.max_fraction)} of the {n} test rows occur in "
            f"train or dev, and near copies ({near_what}) are no more common than chance.",
            evidence=evidence,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnseenRowGain:
    """A claim's gain on the whole test split and on the test rows never seen in training."""

    #: the gain on every test row (the nominal gain)
    full: GainClass
    #: the gain on the rows that are neither copies nor near copies of train or dev rows
    unseen: GainClass
    #: number of such rows
    n_unseen: int
    #: mean over seeds of (gain on the copies − gain on the unseen rows); None without copies
    memory: float | None
    #: one-sided paired-by-seed p that the gain is larger on the copies
    p_memory: float | None

    def rests_on_copies(self, alpha: float) -> bool:
        """The gain holds on every row, not on the unseen ones, and is larger on the copies."""
        return (
            self.full.status == "holds"
            and self.unseen.status != "holds"
            and self.p_memory is not None
            and self.p_memory < alpha
        )


def _gain_text(found: GainClass) -> str:
    """'+4.10 pts (95% CI +2.00 to +6.20)' or 'not estimable'."""
    if found.mean is None or found.low is None or found.high is None:
        return "not estimable"
    return f"{pts(found.mean)} (CI {pts(found.low)} to {pts(found.high)})"


def _unseen_row_gains(ctx: AssessContext, seen: set[int]) -> dict[int, UnseenRowGain]:
    """Each claim's gain on the test rows never seen in training, from stored predictions.

    ``seen`` holds the indices of test rows that are copies or near copies. A copy makes a
    gain only if the gain is larger on the copies than on the unseen rows of the same seed,
    so that difference is tested too (one-sided, paired by seed). Claims whose runs stored
    no whole-split predictions, and cross-validated designs (each seed scores another
    fold), are left out.

    Returns
    -------
    dict
        Claim index -> UnseenRowGain.
    """
    test = ctx.data.test
    if ctx.design is not None:
        return {}
    n = len(test)
    labels = np.asarray(test.labels, dtype=np.int64)
    sequences = list(test.sequences) if isinstance(test, TokenSplit) else [""] * n
    unseen = np.asarray(sorted(set(range(n)) - seen), dtype=np.int64)
    copies = np.asarray(sorted(seen), dtype=np.int64)

    def score(metric: str, predictions: Sequence[int], rows: np.ndarray) -> float | None:
        if not len(rows):
            return None
        return compute_metrics(
            [metric],
            labels[rows],
            np.asarray(predictions, dtype=np.int64)[rows],
            [sequences[i] for i in rows],
        )[metric]

    out = {}
    for index, claim in enumerate(ctx.claims):
        sign = 1.0 if claim.direction.value == "increase" else -1.0
        on_unseen, on_copies = [], []
        for seed in ctx.seeds:
            base, var = ctx.run(claim.baseline, seed), ctx.run(claim.variant, seed)
            if base is None or var is None or not (base.ok and var.ok):
                continue
            pb, pv = base.test_predictions, var.test_predictions
            if len(pb) != n or len(pv) != n:
                continue
            bu, vu = score(claim.metric, pb, unseen), score(claim.metric, pv, unseen)
            if bu is None or vu is None:
                continue
            on_unseen.append(sign * (vu - bu))
            bc, vc = score(claim.metric, pb, copies), score(claim.metric, pv, copies)
            on_copies.append(None if bc is None or vc is None else sign * (vc - bc))
        if len(on_unseen) < 2:
            continue
        memory = p_memory = None
        pairs = [(c, u) for c, u in zip(on_copies, on_unseen, strict=True) if c is not None]
        if len(pairs) >= 2:
            # the condition is "unseen rows" and the nominal is "copies": a drop is memory
            found = gain_interaction_test([c for c, _ in pairs], [u for _, u in pairs], paired=True)
            memory, p_memory = -found.change, found.p_value
        out[index] = UnseenRowGain(
            full=ctx.classify(ctx.gains(claim)),
            unseen=ctx.classify(on_unseen),
            n_unseen=len(unseen),
            memory=memory,
            p_memory=p_memory,
        )
    return out


# --------------------------------------------------------------------------- AK204


def _source_matches(declared: str, data: Dataset) -> bool:
    """True when the declared source names the data: a substring of its source or name."""
    want = declared.replace("\\", "/").rstrip("/")
    have = [str(data.metadata.get("source", "")), data.name]
    if any(want and want.lower() in h.replace("\\", "/").lower() for h in have):
        return True
    source = data.metadata.get("source")
    try:
        return source is not None and Path(declared).resolve() == Path(str(source)).resolve()
    except OSError:
        return False


def match_declaration(data: Dataset, expect: Mapping[str, Any]) -> tuple[str, ...]:
    """How the data actually used differs from what the experiment declares.

    Parameters
    ----------
    data
        The dataset the runs trained and were evaluated on.
    expect
        ``Experiment(expect_data=...)``: ``source`` (a path or name that must appear in
        the data's ``metadata["source"]`` or name), ``rows`` (per split), ``sha256`` (the
        dataset fingerprint, or per split the file's hash), ``generator_ok`` (whether
        generated data is acceptable; when omitted, acceptable only if no ``source`` is
        declared).

    Returns
    -------
    tuple of str
        One sentence fragment per mismatch; empty when everything matches.

    Examples
    --------
    >>> from auditkit.types import TokenDataset, TokenSplit
    >>> part = TokenSplit(ids=("a",), sequences=("▲",), labels=(0,))
    >>> toy = TokenDataset(name="toy", train=part, dev=part, test=part,
    ...                    metadata={"generator": "auditkit.datasets.spr"})
    >>> match_declaration(toy, {"source": "SPR_BENCH"})[0][:40]
    'the data was generated by auditkit.datas'
    """
    out = []
    generator = data.metadata.get("generator")
    source = expect.get("source")
    generator_ok = expect.get("generator_ok", source is None)
    if generator is not None and not generator_ok:
        wanted = f"loaded from {source!r}" if source else "real data"
        out.append(
            f"the data was generated by {generator} ({data.name}) instead of {wanted}: the "
            "model file fell back to synthetic data"
        )
    elif source is not None and not _source_matches(str(source), data):
        where = data.metadata.get("source", data.name)
        out.append(f"the data comes from {where!r}, not from the declared source {source!r}")
    rows = expect.get("rows") or {}
    for split in SPLITS:
        if split in rows and len(data.split(split)) != rows[split]:
            out.append(f"{split} has {len(data.split(split))} rows, not the {rows[split]} declared")
    sha = expect.get("sha256")
    if isinstance(sha, str) and sha.lower() != data.fingerprint():
        out.append(f"the rows' SHA-256 is {data.fingerprint()[:12]}…, not the declared {sha[:12]}…")
    elif isinstance(sha, Mapping):
        files = data.metadata.get("files") or {}
        for split, digest in sha.items():
            have = (files.get(split) or {}).get("sha256")
            if have is None:
                out.append(f"no file hash is recorded for {split}, so {digest[:12]}… is unchecked")
            elif have.lower() != str(digest).lower():
                out.append(f"{split}.csv has SHA-256 {have[:12]}…, not the declared {digest[:12]}…")
    return tuple(out)


#: names of benchmarks published as files: a data set named so but read from no file is
#: suspect (a model file that silently builds a toy set under the benchmark's name)
_BENCHMARK_NAME = re.compile(
    r"bench|lyges|spr_flip|mnist|cifar|imagenet|imdb|glue|squad|sst-?2|mmlu", re.IGNORECASE
)
#: endings of data files, and call names that take a path, for ``missing_paths``
_DATA_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".txt", ".npz", ".npy", ".parquet", ".pkl")
_PATH_CALLS = frozenset(
    {"Path", "open", "spr_csv", "features_csv", "image_folder", "read_csv", "load", "loadtxt"}
)
_PATH_NAMES = re.compile(r"path|dir|file|root|folder", re.IGNORECASE)


def data_origin(data: Dataset) -> tuple[str, bool]:
    """Where the data came from, in words, and whether any file was read.

    Parameters
    ----------
    data
        The dataset the runs consumed.

    Returns
    -------
    tuple of (str, bool)
        The sentence, and True when the loader recorded files (or an existing path) it read.

    Examples
    --------
    >>> from auditkit.types import TokenDataset, TokenSplit
    >>> part = TokenSplit(ids=("a",), sequences=("▲",), labels=(0,))
    >>> data_origin(TokenDataset(name="SPR_BENCH", train=part, dev=part, test=part))
    ('built in memory by the model file under the name SPR_BENCH; no file was read', False)
    """
    files = data.metadata.get("files") or {}
    source = data.metadata.get("source")
    generator = data.metadata.get("generator")
    if files:
        return f"read from {len(files)} file(s) under {source or data.name}", True
    if source is not None and Path(str(source)).exists():
        return f"read from {source}", True
    if generator is not None:
        return f"generated in memory by {generator} ({data.name}); no file was read", False
    if source is not None:
        return f"loaded from {source} ({data.name}); no file was read", False
    return f"built in memory by the model file under the name {data.name}; no file was read", False


def missing_paths(model_file: str | Path) -> tuple[tuple[int, str], ...]:
    """Paths written in a model file that exist neither from the working folder nor beside it.

    Parameters
    ----------
    model_file
        The model file.

    Returns
    -------
    tuple of (line, path)
        Each string literal that reads as a data path (an argument of ``Path``, ``open``,
        a loader; a value assigned to a name with "path", "dir", "file", "root" or
        "folder" in it; or a string with a data-file ending) and does not exist. A model
        file that tests ``Path(p).exists()`` and falls back to toy data is the case this
        catches. Unreadable or unparsable files give ().
    """
    here = Path(model_file)
    try:
        tree = ast.parse(here.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    found: dict[str, int] = {}

    def consider(node: ast.AST, strong: bool) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return
        text = node.value
        if not text or len(text) > 260 or any(c.isspace() for c in text) or "{" in text:
            return
        if "://" in text:
            return
        looks = strong or text.lower().endswith(_DATA_SUFFIXES)
        if looks:
            found.setdefault(text, node.lineno)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for arg in node.args[:1]:
                consider(arg, name in _PATH_CALLS)
            for arg in node.args[1:]:
                consider(arg, False)
            for kw in node.keywords:
                consider(kw.value, bool(kw.arg and _PATH_NAMES.search(kw.arg)))
        elif isinstance(node, ast.Assign):
            named = any(isinstance(t, ast.Name) and _PATH_NAMES.search(t.id) for t in node.targets)
            consider(node.value, named)
    out = []
    for text, line in found.items():
        candidate = Path(text).expanduser()
        if candidate.is_absolute():
            exists = candidate.exists()
        else:
            exists = candidate.exists() or (here.parent / candidate).exists()
        if not exists:
            out.append((line, text))
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True, kw_only=True)
class DataProvenanceParams:
    """Parameters of ``data_provenance``."""

    #: also fail when every variant scores below the majority-class baseline
    majority: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.majority, bool):
            raise ValueError(f"majority={self.majority!r} must be true or false")


@register("data_provenance", params=DataProvenanceParams, kinds=DATA_KINDS, family=FAMILY)
class DataProvenance(CheckBase):
    """Fingerprint the data the runs consumed and compare it with the declared data."""

    def assess(self, ctx: AssessContext, params: DataProvenanceParams) -> Finding:
        """Fail, invalidating every claim, when the data used is not the data declared."""
        data = ctx.data
        evidence = {
            "rows": ", ".join(f"{s} {len(data.split(s))}" for s in SPLITS),
            "sha256": data.fingerprint(),
            "label rate": ", ".join(
                f"{s} {_pct(float(np.mean([y == 1 for y in data.split(s).labels])))}"
                for s in SPLITS
                if len(data.split(s))
            ),
            "origin": str(
                data.metadata.get("source")
                or f"generated by {data.metadata.get('generator', 'unknown')}: {data.name}"
            ),
        }
        origin, read_file = data_origin(data)
        evidence["data read"] = origin
        # warnings that hold whatever was declared: they point at a silent fallback
        notes: list[str] = []
        if not read_file and _BENCHMARK_NAME.search(data.name):
            notes.append(
                f"the data set is named {data.name!r}, like a benchmark published as files, "
                "but no file was read: it was built in memory"
            )
        if ctx.model_file is not None:
            gone = missing_paths(ctx.model_file)
            if gone:
                listed = ", ".join(f"{p!r} (line {line})" for line, p in gone[:3])
                more = f" and {len(gone) - 3} more" if len(gone) > 3 else ""
                notes.append(f"the model file names path(s) that do not exist: {listed}{more}")
                evidence["missing paths"] = ", ".join(p for _, p in gone)
        if isinstance(data.train, TokenSplit) and isinstance(data.test, TokenSplit):
            # tokens of test never seen in train hint at data from another source
            train_tokens = {t for s in data.train.sequences for t in s.split()}
            test_tokens = {t for s in data.test.sequences for t in s.split()}
            evidence["vocabulary"] = (
                f"{len(train_tokens)} distinct tokens in train; "
                f"{len(test_tokens - train_tokens)} test tokens unseen in train"
            )
        else:
            evidence["inputs"] = f"{data.kind}, each of shape {data.input_shape}"
        problems = list(match_declaration(data, ctx.expect_data or {}))
        if ctx.expect_data is None:
            evidence["declared"] = "nothing (add Experiment(expect_data=...) to check it)"
        # what evaluation consumed: a custom trainer that scores a subsample of test
        # returns fewer predictions than the split has rows; a script that writes no
        # predictions.csv returns none at all, which says nothing about what it scored
        n_test = len(data.test)
        short = {
            f"{v} seed {s}: {len(p)}"
            for v in ctx.variants
            for s, p in ctx.predictions(v).items()
            if p and len(p) != len(ctx.test_labels(s))
        }
        if short:
            problems.append(
                f"evaluation scored a different number of test rows than the split's {n_test} "
                f"({', '.join(sorted(short)[:3])})"
            )
        below = []
        if params.majority and len(data.train.labels) and n_test:
            counts = np.bincount(np.asarray(data.train.labels))
            majority = int(np.argmax(counts))
            base = float(np.mean(np.asarray(data.test.labels) == majority))
            evidence["majority-class baseline"] = (
                f"{_pct(base)} test accuracy by always predicting {majority} (train's majority)"
            )
            found = {}
            for variant in ctx.variants:
                accuracies = list(_test_accuracies(ctx, variant).values())
                est = interval(accuracies, ctx.confidence)
                if est is not None:
                    found[variant] = est
            if found and all(high < base for _, _, high in found.values()):
                below = [f"{v} {_pct(m)} (CI up to {_pct(h)})" for v, (m, _, h) in found.items()]
                problems.append(
                    f"every variant scores below the {_pct(base)} majority-class baseline "
                    f"({', '.join(below)}), so the models learnt nothing from these labels"
                )
        if problems:
            text = "; ".join(problems + notes)
            return Finding(
                outcome="fail",
                reason=f"{text}.",
                evidence=evidence,
                invalid=dict.fromkeys(
                    range(len(ctx.claims)), (f"the data used is not the data declared: {text}",)
                ),
            )
        consumed = (
            f"the data consumed ({', '.join(f'{len(data.split(s))} {s}' for s in SPLITS)} "
            f"rows, SHA-256 {data.fingerprint()[:12]}…, {origin})"
        )
        if notes:
            return Finding(
                outcome="warn",
                reason=f"{'; '.join(notes)}. Declare the data with Experiment(expect_data="
                "{'source': ...}) so that a fallback fails the audit.",
                evidence=evidence,
            )
        if not ctx.expect_data:
            # nothing to compare with: provenance was not checked, so it cannot pass
            return Finding(
                outcome="skipped",
                reason=f"{consumed} is recorded, but nothing was declared, so provenance is "
                "not checked; add Experiment(expect_data={'source': ...}) to check it.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"{consumed} matches the declaration ({', '.join(sorted(ctx.expect_data))}).",
            evidence=evidence,
        )


# --------------------------------------------------------------------------- AK205

#: a path such as ``SPR_BENCH/noise-30%/...`` names its label-noise rate
_NOISE_IN_PATH = re.compile(r"noise[-_ ]?(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseEstimate:
    """The test split's label-noise rate and where the number comes from."""

    rate: float
    #: e.g. ``"the generator's ground truth (label_noise)"``
    origin: str


def noise_from_metadata(data: Dataset) -> NoiseEstimate | None:
    """The test split's label-noise rate as the data records it, or None.

    Reads the generator's planted ``label_noise`` and ``flip_high_variety`` records for
    the test split (their flipped rows are disjoint, so their counts add up), else a
    rate written in the data's source path, e.g. ``noise-30%``.

    Parameters
    ----------
    data
        Any dataset.

    Returns
    -------
    NoiseEstimate or None
        None when the data says nothing about its label noise.
    """
    pitfalls = data.metadata.get("pitfalls") or ()
    n_test = len(data.test)
    kinds = [p for p in pitfalls if p.get("kind") in ("label_noise", "flip_high_variety")]
    if kinds and n_test:
        flipped = 0
        for record in kinds:
            if record["kind"] == "label_noise":
                flipped += int(((record.get("splits") or {}).get("test") or {}).get("n_flipped", 0))
            elif record.get("split") == "test":
                flipped += int(record.get("n_flipped", 0))
        names = "+".join(str(p["kind"]) for p in kinds)
        return NoiseEstimate(
            rate=flipped / n_test, origin=f"the generator's ground truth ({names})"
        )
    for text in (str(data.metadata.get("source", "")), data.name):
        match = _NOISE_IN_PATH.search(text)
        if match:
            return NoiseEstimate(
                rate=float(match.group(1)) / 100, origin=f"the data's path ({match.group(0)!r})"
            )
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseCeilingParams:
    """Parameters of ``noise_ceiling``."""

    #: known share of wrong test labels; None reads it from the data's metadata
    noise: float | None = None
    #: how far above 1 - noise the accuracy interval may reach before it counts
    tolerance: float = 0.02

    def __post_init__(self) -> None:
        if self.noise is not None and (not _is_number(self.noise) or not 0 <= self.noise <= 0.5):
            raise ValueError(
                f"noise={self.noise!r} must be a label-noise rate from 0 to 0.5 (or null to "
                "read it from the data)"
            )
        if not _is_number(self.tolerance) or not 0 <= self.tolerance < 0.5:
            raise ValueError(f"tolerance={self.tolerance!r} must be a number from 0 to below 0.5")


@register("noise_ceiling", params=NoiseCeilingParams, kinds=DATA_KINDS, family=FAMILY)
class NoiseCeiling(CheckBase):
    """Flag test accuracy above the ceiling that the label noise allows."""

    def assess(self, ctx: AssessContext, params: NoiseCeilingParams) -> Finding:
        """Fail, invalidating every claim, when an interval lies above 1 - noise + tolerance.

        With a share ``noise`` of test labels flipped at random, a model that learnt the
        true rule is wrong on every flipped row; scoring above ``1 - noise`` requires
        knowing the flipped labels, i.e. leakage or a bug.
        """
        if params.noise is not None:
            estimate = NoiseEstimate(rate=float(params.noise), origin="the rule's params.noise")
        else:
            found = noise_from_metadata(ctx.data)
            if found is None:
                return Finding(
                    outcome="skipped",
                    reason="the label noise of the test split is unknown: set params.noise "
                    "for this rule (e.g. noise: 0.3), or use data whose metadata records it.",
                )
            estimate = found
        ceiling = 1 - estimate.rate
        limit = ceiling + params.tolerance
        evidence = {
            "label noise": f"{_pct(estimate.rate)} of test labels, from {estimate.origin}",
            "ceiling": f"{_pct(ceiling)} accuracy (+{100 * params.tolerance:.1f} pts tolerance)",
        }
        above, near = [], []
        for variant in ctx.variants:
            accuracies = list(_test_accuracies(ctx, variant).values())
            est = interval(accuracies, ctx.confidence)
            if est is None:
                continue
            mean, low, high = est
            evidence[f"{variant} test accuracy"] = (
                f"{_pct(mean)} ({round(100 * ctx.confidence)}% CI {_pct(low)} to {_pct(high)}, "
                f"{len(accuracies)} seeds)"
            )
            if low > limit:
                above.append(f"{variant} {_pct(mean)} (CI from {_pct(low)})")
            elif mean > limit:
                near.append(f"{variant} {_pct(mean)}")
        if above:
            text = ", ".join(above)
            return Finding(
                outcome="fail",
                reason=f"test accuracy {text} lies above the {_pct(ceiling)} ceiling that "
                f"{_pct(estimate.rate)} label noise allows, which points to leakage or a bug.",
                evidence=evidence,
                invalid={
                    i: (
                        f"test accuracy above the label-noise ceiling ({text} > "
                        f"{_pct(limit)}): leakage or a bug",
                    )
                    for i in range(len(ctx.claims))
                },
            )
        if near:
            return Finding(
                outcome="warn",
                reason=f"mean test accuracy {', '.join(near)} is above the {_pct(ceiling)} "
                f"ceiling of {_pct(estimate.rate)} label noise, though the interval reaches "
                "below it.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"every variant's test accuracy stays within the {_pct(ceiling)} ceiling of "
            f"{_pct(estimate.rate)} label noise (+{100 * params.tolerance:.1f} pts tolerance).",
            evidence=evidence,
        )
