"""The looks of ``--seeds auto``: add seeds only to the claims still undecided.

Shared by model-file and script audits. After the first look (MIN seeds per arm), the
statistics layer (``sequential_decisions``) says which claims are still undecided; the
next look plans the audit at the next seed count and runs only what those claims need:
their arms' nominal runs and the perturbed runs their rules read. The decisions are always
replayed from the runs, so a resumed audit (the finished runs come from the store) takes
the same looks and reaches the same decisions as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from auditkit.checks import nominal_runs
from auditkit.errors import UsageError
from auditkit.execute.core import RunContext
from auditkit.pipeline.decide import pair_evidence
from auditkit.pipeline.execute import RunSession
from auditkit.plan import Plan
from auditkit.rulepack import Settings
from auditkit.stats.sequential import DEFAULT_BATCH, SequentialDesign, sequential_decisions
from auditkit.types import RunSpec

__all__ = ["adaptive_design", "take_looks"]


def adaptive_design(seeds: tuple[int, int], settings: Settings) -> SequentialDesign:
    """The group-sequential design of ``--seeds MIN..MAX``, at the rule pack's levels.

    Parameters
    ----------
    seeds
        ``(MIN, MAX)`` seeds per arm.
    settings
        The rule pack's alpha, confidence and rope.

    Raises
    ------
    UsageError
        A range the design cannot use (exit code 4).
    """
    low, high = seeds
    try:
        return SequentialDesign(
            min_seeds=low,
            max_seeds=high,
            batch=DEFAULT_BATCH,
            alpha=settings.alpha,
            confidence=settings.confidence,
            rope=settings.rope,
        )
    except ValueError as exc:
        raise UsageError(f"--seeds {low}..{high}: {exc}", slug="bad-seeds") from None


def _bare(run: RunSpec) -> RunSpec:
    """A run without the test-time evaluations a plan merges onto its nominal twin."""
    return dataclasses.replace(run, evaluations=())


def take_looks(
    plan: Plan,
    session: RunSession,
    design: SequentialDesign,
    *,
    replan: Callable[[int], Plan],
    context: RunContext,
) -> Plan:
    """Take the looks of an adaptive design until every claim is decided; the last plan.

    Parameters
    ----------
    plan
        The first look's plan, whose runs ``session`` has run.
    session
        The open run session; the looks' runs are added to its results.
    design
        The adaptive design.
    replan
        The audit's plan at a number of seeds per arm.
    context
        What the runs need.

    Returns
    -------
    Plan
        The plan of the last look taken: the seeds it names are the most any claim used.
    """
    results = session.results
    while True:
        # each claim's nominal runs paired by seed, as the verdicts will read them
        paired = pair_evidence(plan.claims, plan.seeds, results, design=design)
        stops = sequential_decisions([e.gains for e in paired], design)
        undecided = [i for i, stop in enumerate(stops) if stop.reason is None]
        following = design.next_look(len(plan.seeds))
        if not undecided or following is None or session.undone:
            return plan  # every claim decided, the last look taken, or --budget spent
        plan = replan(following)
        # a rule's run may carry test-time evaluations that the plan merged onto the run's
        # nominal twin: match runs without them
        wanted = {_bare(run) for rp in plan.rules for i in undecided for run in rp.runs.get(i, ())}
        # the pairs the decision reads, even where no selected rule plans them
        wanted.update(run for i in undecided for run in nominal_runs(plan.claims[i], plan.seeds))
        batch = [r for r in plan.runs if _bare(r) in wanted and r not in results]
        session.run(batch, context, total=len(results) + len(batch))
        if batch and not any(results[r].ok for r in batch if r in results):
            return plan  # every run of the look failed: more seeds would fail the same way
