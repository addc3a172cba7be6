"""Metric and selection checks: class imbalance, metric consistency, cherry-picking, ablations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from auditkit.checks import AssessContext, CheckBase, interval, pts, register
from auditkit.metrics import accuracy_metric
from auditkit.types import DATA_KINDS, Claim, Finding

#: metrics that describe the same predictions and should move together
SIBLINGS = ("accuracy", "swa", "cwa", "hwa", "compwa", "compwa_sum", "macro_f1", "mcc")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassImbalanceParams:
    """Parameters of ``class_imbalance``."""

    #: a model must beat the majority-class rate by this much (metric units)
    margin: float = 0.02
    #: above this majority share, accuracy alone is a poor summary
    imbalance: float = 0.6

    def __post_init__(self) -> None:
        if not 0 <= self.margin < 1 or not 0.5 <= self.imbalance < 1:
            raise ValueError(
                f"margin={self.margin!r} must be in [0, 1) and "
                f"imbalance={self.imbalance!r} in [0.5, 1)"
            )


@register("class_imbalance", params=ClassImbalanceParams, kinds=DATA_KINDS, family="metrics")
class ClassImbalance(CheckBase):
    """Compare every model's accuracy with the majority-class rate of the test split."""

    def assess(self, ctx: AssessContext, params: ClassImbalanceParams) -> Finding:
        """Majority baseline, macro-F1 and MCC per variant."""
        labels = [int(y) for y in ctx.data.test.labels]
        if not labels:
            return Finding(outcome="skipped", reason="the test split is empty.")
        counts = Counter(labels)
        majority_class, majority_n = counts.most_common(1)[0]
        majority = majority_n / len(labels)
        evidence = {"majority-class rate (test)": f"{100 * majority:.2f}% (class {majority_class})"}
        trivial = []
        # a script reports its accuracy under its own name (test_acc)
        name = accuracy_metric(ctx.metrics)
        for variant in ctx.variants:
            acc = list(ctx.scores(variant, name).values()) if name is not None else []
            if not acc:
                preds = ctx.predictions(variant)
                acc = [
                    float(np.mean(np.asarray(p) == np.asarray(ctx.test_labels(seed))))
                    for seed, p in preds.items()
                ]
            found = interval(acc, ctx.confidence)
            if found is None:
                continue
            mean, _, high = found
            parts = [f"accuracy {100 * mean:.2f}%"]
            for metric in ("macro_f1", "mcc"):
                values = list(ctx.scores(variant, metric).values())
                if values:
                    parts.append(f"{metric} {np.mean(values):.3f}")
            evidence[variant] = ", ".join(parts)
            if high <= majority + params.margin:
                trivial.append(f"{variant} ({100 * mean:.2f}% vs {100 * majority:.2f}%)")
        if trivial:
            return Finding(
                outcome="fail",
                reason=f"no better than always predicting class {majority_class}: "
                + "; ".join(trivial)
                + f" (interval upper end within {100 * params.margin:.1f} pts of the majority "
                "rate).",
                evidence=evidence,
            )
        if majority > params.imbalance and any(c.metric in ("accuracy", name) for c in ctx.claims):
            return Finding(
                outcome="warn",
                reason="the test split is imbalanced "
                f"({100 * majority:.1f}% class {majority_class}) and a claim rests on "
                "accuracy; report macro-F1 or MCC beside it.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"every variant beats the majority-class rate of {100 * majority:.2f}%.",
            evidence=evidence,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricConsistencyParams:
    """Parameters of ``metric_consistency``: none."""


@register("metric_consistency", params=MetricConsistencyParams, kinds=DATA_KINDS, family="metrics")
class MetricConsistency(CheckBase):
    """Flag a claim that gains on its metric but significantly loses on a sibling metric."""

    def assess(self, ctx: AssessContext, params: MetricConsistencyParams) -> Finding:
        """The claim's gain on every other metric the experiment computes."""
        evidence: dict[str, str] = {}
        reversals = []
        for claim in ctx.claims:
            own = ctx.classify(ctx.gains(claim))
            for metric in ctx.metrics:
                if metric == claim.metric or metric not in SIBLINGS:
                    continue
                other = ctx.classify(ctx.gains(claim, metric=metric))
                if other.mean is None or other.low is None or other.high is None:
                    continue
                evidence[f"{claim.label}, gain on {metric}"] = (
                    f"{pts(other.mean)} [{pts(other.low)}, {pts(other.high)}] ({other.status})"
                )
                # A positive gain on the claimed metric with a significant loss on a
                # sibling is the trade-off, even before the gain itself is significant.
                if own.mean is not None and own.mean > 0 and other.status == "reversed":
                    reversals.append(f"{claim.label} reverses on {metric} ({pts(other.mean)})")
        if reversals:
            return Finding(
                outcome="fail",
                reason="; ".join(reversals)
                + ": the gain on the claimed metric is paid for on a sibling metric.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason="no claim reverses on a sibling metric.",
            evidence=evidence,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CherryPickParams:
    """Parameters of ``cherry_pick``."""

    #: a reported gain above this quantile of the per-seed gains is flagged
    quantile: float = 0.9

    def __post_init__(self) -> None:
        if not 0.5 <= self.quantile < 1:
            raise ValueError(f"quantile={self.quantile!r} must be in [0.5, 1)")


@register("cherry_pick", params=CherryPickParams, kinds=DATA_KINDS, family="metrics")
class CherryPick(CheckBase):
    """Compare each claim's reported gain with the distribution of its per-seed gains."""

    def assess(self, ctx: AssessContext, params: CherryPickParams) -> Finding:
        """Where the reported gain falls among the per-seed gains."""
        return cherry_pick_finding([(c, ctx.gains(c)) for c in ctx.claims], params.quantile)


def cherry_pick_finding(
    claims: Sequence[tuple[Claim, Sequence[float]]], quantile: float = 0.9
) -> Finding:
    """AK503's finding: where each claim's reported gain falls among its per-seed gains.

    Shared by model-file audits and ``auditkit compare`` (logged runs), where a reported
    number equal to the single best seed is the typical cherry-pick.

    Parameters
    ----------
    claims
        Each claim with its per-seed gains, shape (n_seeds,), signed like the claim.
    quantile
        A reported gain above this quantile of the per-seed gains is flagged.
    """
    evidence: dict[str, str] = {}
    picked, best = [], []
    with_report = [(c, g) for c, g in claims if c.reported is not None]
    if not with_report:
        return Finding(
            outcome="skipped",
            reason="no claim states a reported gain (claim(..., reported=...)).",
        )
    for claim, values in with_report:
        gains = np.asarray(values, dtype=np.float64)
        if gains.size < 2 or claim.reported is None:
            continue
        q = float(np.quantile(gains, quantile))
        rank = float(np.mean(gains < claim.reported))
        evidence[claim.label] = (
            f"reported {pts(claim.reported)}; seeds {pts(float(gains.min()))} to "
            f"{pts(float(gains.max()))}, median {pts(float(np.median(gains)))}, "
            f"{round(100 * quantile)}th percentile {pts(q)}"
        )
        if claim.reported > float(gains.max()):
            best.append(
                f"{claim.label}: reported {pts(claim.reported)} > best seed "
                f"{pts(float(gains.max()))}"
            )
        elif claim.reported > q:
            picked.append(
                f"{claim.label}: reported {pts(claim.reported)} beats {100 * rank:.0f}% "
                "of the seeds"
            )
    if best:
        return Finding(
            outcome="fail",
            reason="; ".join(best) + ": no seed reaches the reported gain.",
            evidence=evidence,
        )
    if picked:
        return Finding(
            outcome="warn",
            reason="; ".join(picked)
            + ": the reported number looks like a best run, not a typical one.",
            evidence=evidence,
        )
    return Finding(
        outcome="pass",
        reason="every reported gain lies within the bulk of the per-seed gains.",
        evidence=evidence,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AblationParams:
    """Parameters of ``ablation``: none."""


@register("ablation", params=AblationParams, kinds=DATA_KINDS, family="ablation")
class Ablation(CheckBase):
    """Audit declared ablations: removing a component must cost the full model something."""

    def assess(self, ctx: AssessContext, params: AblationParams) -> Finding:
        """Each ablation claim's gain (full model minus ablated variant)."""
        ablations = [c for c in ctx.claims if c.kind == "ablation"]
        if not ablations:
            return Finding(
                outcome="skipped",
                reason="the experiment declares no ablations (exp.ablation(...)).",
            )
        evidence: dict[str, str] = {}
        unneeded, unclear = [], []
        for claim in ablations:
            found = ctx.classify(ctx.gains(claim))
            if found.mean is None or found.low is None or found.high is None:
                unclear.append(f"removing {claim.baseline}'s component: too few seeds")
                continue
            evidence[f"{claim.variant} without the component ({claim.baseline})"] = (
                f"{pts(-found.mean)} [{pts(-found.high)}, {pts(-found.low)}] ({found.status})"
            )
            if found.status in ("reversed", "vanished"):
                unneeded.append(
                    f"{claim.baseline} scores {pts(-found.mean)} against {claim.variant}: "
                    "the removed component does not help"
                )
            elif found.status == "inconclusive":
                unclear.append(f"{claim.baseline} vs {claim.variant} is inconclusive")
        if unneeded:
            return Finding(outcome="fail", reason="; ".join(unneeded) + ".", evidence=evidence)
        if unclear:
            return Finding(outcome="warn", reason="; ".join(unclear) + ".", evidence=evidence)
        return Finding(
            outcome="pass",
            reason=f"every one of the {len(ablations)} ablation(s) costs the full model.",
            evidence=evidence,
        )
