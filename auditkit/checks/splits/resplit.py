"""AK202 ``resplit``: both arms retrained on random re-splits of the pooled rows."""

from __future__ import annotations

from dataclasses import dataclass

from auditkit.checks import AssessContext, CheckBase, PlanContext, interval, pts, register
from auditkit.checks.splits._common import (
    FAMILY,
    _is_int,
)
from auditkit.conditions import Condition, Transform
from auditkit.types import (
    DATA_KINDS,
    Claim,
    ConditionEvidence,
    Finding,
    RunSpec,
)

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
                transform=Transform.resplit(params.split_seed + seed),
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
