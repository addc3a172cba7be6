"""AK201 ``split_shift``: dev and test compared, their distributions and each gap."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from auditkit.checks import AssessContext, CheckBase, pts, register
from auditkit.checks.splits._common import (
    FAMILY,
    _is_number,
    _p,
    _pct,
)
from auditkit.checks.splits.table import split_table
from auditkit.datasets.tokens import color_variety, shape_variety
from auditkit.stats import holm, paired_t_test
from auditkit.types import (
    DATA_KINDS,
    ArraySplit,
    Dataset,
    Finding,
    Outcome,
    SplitName,
    TokenSplit,
)


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
    a, b = _row_statistics(first, kind), _row_statistics(second, kind)
    return _compare_rows(
        first.labels.tolist(),
        second.labels.tolist(),
        {_feature_label(k, names): v.tolist() for k, v in a.items()},
        {_feature_label(k, names): v.tolist() for k, v in b.items()},
    )


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
    return _compare_rows(
        first.labels, second.labels, _token_statistics(first), _token_statistics(second)
    )


def _token_statistics(split: TokenSplit) -> dict[str, list[float]]:
    """Per-row statistics of a token split, each of shape (n_rows,)."""
    return {
        "length": [float(len(s.split())) for s in split.sequences],
        "shape variety": [float(shape_variety(s)) for s in split.sequences],
        "colour variety": [float(color_variety(s)) for s in split.sequences],
    }


def _compare_rows(
    first_labels: Sequence[int],
    second_labels: Sequence[int],
    first: Mapping[str, Sequence[float]],
    second: Mapping[str, Sequence[float]],
) -> tuple[SplitComparison, ...]:
    """The label rates, then each per-row statistic (Mann-Whitney U), of two splits.

    Token and array splits differ only in the statistics they give each row; the
    comparison of those statistics is this one function.
    """
    rows = [_label_rate(first_labels, second_labels)]
    for name, a in first.items():
        b = second[name]
        rows.append(
            SplitComparison(
                name=name,
                first=float(np.mean(a)) if len(a) else math.nan,
                second=float(np.mean(b)) if len(b) else math.nan,
                test="Mann-Whitney U",
                p_value=_location_test(a, b),
            )
        )
    return tuple(rows)


def _feature_label(key: str, names: Sequence[str]) -> str:
    """``"feature 3"`` named by the data's feature names: ``"feature bmi"``."""
    if key.startswith("feature ") and key[8:].isdigit() and names:
        return f"feature {names[int(key[8:])]}"
    return key


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
        label = _feature_label(key, names)
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
        The finding shows the data's per-split statistics as a table.
        """
        evidence: dict[str, str] = {}
        comparisons = _compare(ctx.data, "dev", "test")
        shifted = self._shifted(comparisons, params, evidence)
        # the shortcut's fingerprint in the data alone: a factor whose link to the label
        # holds in train and dev but not in test
        cues = self._cues(ctx.data, params, evidence)
        paired_gaps = self._paired_gaps(ctx, params, evidence)
        gapped = self._gapped(ctx, params, evidence)
        outcome, reason = _decide(shifted, cues, paired_gaps, gapped)
        if outcome == "pass":
            reason = (
                f"dev and test agree on {len(comparisons)} statistics (Bonferroni α = "
                f"{params.alpha:g}), every factor predicts the label alike on dev and test, "
                "and every dev-to-test gap lies within its band and the baseline's."
            )
        table = split_table(ctx.data.name, ctx.data.meta)
        return Finding(
            outcome=outcome,
            reason=reason,
            evidence=evidence,
            exhibits=(table,) if table is not None else (),
        )

    @staticmethod
    def _shifted(
        comparisons: Sequence[SplitComparison], params: SplitShiftParams, evidence: dict[str, str]
    ) -> list[str]:
        """The dev/test statistics that differ at the Bonferroni level, in words."""
        level = params.alpha / len(comparisons)
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
        return shifted

    @staticmethod
    def _cues(
        data: Dataset, params: SplitShiftParams, evidence: dict[str, str]
    ) -> list[AssociationShift]:
        """Factors whose train-learnt label map predicts dev and test differently."""
        associations = association_shift(data)
        if not associations:
            return []
        a_level = params.alpha / len(associations)
        cues = [
            a
            for a in sorted(associations, key=lambda a: a.p_value)
            if a.p_value < a_level and abs(a.dev - a.test) >= params.association_drop
        ]
        evidence["factor-label association"] = (
            f"{len(associations)} factors' train-learnt label maps scored on dev and test "
            f"(Bonferroni level {a_level:.2g}); "
            + (
                "; ".join(
                    f"{a.name}: {_pct(a.dev)} on dev vs {_pct(a.test)} on test ({_p(a.p_value)})"
                    for a in cues[:5]
                )
                or f"none differs by {100 * params.association_drop:.0f} points or more"
            )
        )
        return cues

    @staticmethod
    def _gapped(
        ctx: AssessContext, params: SplitShiftParams, evidence: dict[str, str]
    ) -> list[str]:
        """Each variant's dev-to-test gap against its band; those beyond it, in words."""
        metrics = (
            (params.metric,)
            if params.metric
            else tuple(dict.fromkeys(c.metric for c in ctx.claims))
        )
        n_dev, n_test = len(ctx.data.dev), len(ctx.data.test)
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
                evidence[f"{variant} dev − test {metric}"] = (
                    f"{pts(gap)} over {len(gaps)} seeds; band ±{100 * width:.2f} pts "
                    f"({params.band:g} × sqrt(seed sd {100 * seed_sd:.2f}² + split sampling "
                    f"{100 * sampling:.2f}²) pts)"
                )
                if abs(gap) > width:
                    gapped.append(
                        f"{variant} scores {pts(gap)} {metric} on dev relative to test, beyond "
                        f"the ±{100 * width:.2f} pts band"
                    )
        return gapped

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


def _decide(
    shifted: Sequence[str],
    cues: Sequence[AssociationShift],
    paired_gaps: Sequence[str],
    gapped: Sequence[str],
) -> tuple[Outcome, str]:
    """AK201's outcome and reason from what differs; ``("pass", "")`` when nothing does."""
    cue_text = "; ".join(
        f"{a.name} predicts the label {_pct(a.dev)} on dev but {_pct(a.test)} on test"
        for a in cues[:3]
    )
    if shifted:
        # a shifted input also moves its link to the label: name both findings
        cue_text += f"; dev and test also differ: {'; '.join(shifted)}"
    if cues and paired_gaps:
        return "fail", (
            f"a cue holds in train and dev but not in test ({cue_text}), and "
            f"{'; '.join(paired_gaps)}: a variant that learns the cue is selected on dev "
            "and loses it on test (a train/dev-only shortcut)."
        )
    if cues:
        return "warn", (
            f"a cue holds in train and dev but not in test ({cue_text}): a model "
            "that learns it looks better on dev than on test (a train/dev-only shortcut"
            "), though no variant's dev-to-test gap exceeds the baseline's yet."
        )
    # without a cue in the data, a paired gap alone stays in the evidence: at alpha per
    # claim it would warn on one clean audit in twenty
    if shifted and gapped:
        return "fail", (
            f"dev and test differ ({'; '.join(shifted)}) and {'; '.join(gapped)}, "
            "so dev does not predict test and a model selected on dev is judged on "
            "another distribution."
        )
    if shifted:
        return "warn", (
            f"dev and test differ ({'; '.join(shifted)}), though no variant's "
            "dev-to-test gap exceeds its band yet."
        )
    if gapped:
        return "warn", (
            f"{'; '.join(gapped)}, although the dev and test distributions tested "
            "do not differ (a shift in something not tested, or overfitting to dev)."
        )
    return "pass", ""
