"""Jobs: the units an executor hands to a worker, one run or a group of stacked seeds.

``plan_jobs`` groups runs that differ only in their seeds into one job when seed batching
applies; ``run_job`` performs a job in the current process, falling back to separate runs
(with the reason recorded) when the model cannot be stacked. Executors ship jobs to
workers and stream back what ``run_job`` yields, so every executor trains identically.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from auditkit.execute.core import (
    RunContext,
    completed_result,
    data_for,
    describe_failure,
    failed_result,
    run_one,
)
from auditkit.train.outcome import TrainingError
from auditkit.types import RunResult, RunSpec, apply_overrides

#: most seeds stacked into one model; beyond this the gain flattens and memory grows
MAX_SEED_BATCH = 16
#: on CPU, a batch this large already keeps the cores busy, so stacking seeds gains little
CPU_BATCH_LIMIT = 128
#: on CPU, fewer stacked seeds than this train no faster than one after another
#: (benchmarks/bench_execute.py, 2 cores, the example's GRU: K=2 0.7x, K=3 1.0x, K=5 1.3x,
#: K=8 1.6-1.8x)
CPU_MIN_STACK = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedBatching:
    """How to group seeds: ``auto`` (where it pays), ``off``, or a fixed group size.

    Parameters
    ----------
    mode
        ``"auto"``: stack the seeds of each variant, balanced over the workers, unless the
        batch size already fills the CPU; ``"off"``: every run alone; ``"fixed"``: groups
        of ``size`` seeds.
    size
        Group size for ``"fixed"``.
    """

    mode: Literal["auto", "off", "fixed"] = "auto"
    size: int = 1

    @classmethod
    def parse(cls, text: str) -> SeedBatching:
        """Read ``--seed-batch``: ``auto``, ``off`` or a number of seeds per group.

        Raises
        ------
        ValueError
            Anything else; the message names the value and the accepted forms.
        """
        if text in ("auto", "off"):
            return cls(mode=text)  # type: ignore[arg-type]
        if text.isdigit() and int(text) >= 1:
            size = int(text)
            return cls(mode="off") if size == 1 else cls(mode="fixed", size=size)
        raise ValueError(
            f"--seed-batch {text!r} is not auto, off or a positive number of seeds per group"
        )

    def describe(self) -> str:
        """Human-readable setting, for the provenance."""
        return f"groups of {self.size}" if self.mode == "fixed" else self.mode


@dataclass(frozen=True, slots=True)
class RunInfo:
    """How one run was executed; kept beside its result, never part of its key."""

    #: seeds trained together in the run's stacked model (1: trained alone)
    batch_size: int = 1
    #: why the run was trained the way it was (fallback reasons, retries), or ""
    note: str = ""
    #: the worker that ran it, e.g. ``"local:12345"``
    worker: str = ""
    #: True when the run never ran (``--budget`` ran out); its result carries the reason
    undone: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    """Runs a worker performs together: one run, or seeds stacked into one model."""

    runs: tuple[RunSpec, ...]
    #: train ``runs`` as one stacked model (they differ only in their seeds)
    stacked: bool = False
    #: recorded with every run of the job, e.g. why seed batching did not apply
    note: str = ""

    def alone(self, note: str) -> list[Job]:
        """The job's runs as separate jobs, each noted with ``note``."""
        return [Job((run,), note=note) for run in self.runs]


def batch_key(run: RunSpec) -> Hashable | None:
    """What runs must share to be stacked, or None when ``run`` cannot be.

    Only nominal training runs are stacked: another condition may transform the data
    or only re-evaluate a trained model, which ``run_one`` handles one run at a time.
    """
    if not run.condition.is_nominal:
        return None
    # The stacked trainer trains on transformed data and evaluates each seed's model
    # under test-time perturbations as run_one does; runs must agree on both.
    return (run.variant, run.overrides, run.transform, run.evaluations)


def plan_jobs(
    pending: Sequence[RunSpec],
    *,
    planned: Sequence[RunSpec],
    context: RunContext,
    batching: SeedBatching,
    workers: int,
) -> list[Job]:
    """Turn the runs still to do into jobs, stacking seeds where that is allowed and pays.

    Groups are formed over the whole plan (``planned``) and then reduced to the pending
    runs, so a resumed audit groups its remaining runs as the first attempt did.

    Parameters
    ----------
    pending
        Runs not found in the run store, in plan order.
    planned
        Every run of the audit, in plan order.
    context
        The audit's context (training config and device decide whether stacking pays).
    batching
        The ``--seed-batch`` setting.
    workers
        Number of workers, so that ``auto`` leaves none idle.

    Returns
    -------
    list of Job
        In plan order of each job's first run.
    """
    todo = set(pending)
    if batching.mode == "off" or context.runner is not None:
        # a runner's runs (a script) cannot be stacked: each is its own process
        return [Job((run,)) for run in pending]
    groups: dict[Hashable, list[RunSpec]] = {}
    for run in planned:
        key = batch_key(run)
        if key is not None:
            groups.setdefault(key, []).append(run)
    batchable = sum(len(g) for g in groups.values())
    if batching.mode == "fixed":
        size = batching.size
    else:
        # Enough groups to keep every worker busy, as large as that allows.
        size = max(1, min(MAX_SEED_BATCH, math.ceil(batchable / max(workers, 1))))
    chunk_of: dict[RunSpec, tuple[RunSpec, ...]] = {}
    for members in groups.values():
        for start in range(0, len(members), size):
            chunk = tuple(members[start : start + size])
            for run in chunk:
                chunk_of[run] = chunk
    jobs: list[Job] = []
    seen: set[tuple[RunSpec, ...]] = set()
    for run in pending:
        found = chunk_of.get(run)
        if found is None or len(found) == 1:
            jobs.append(Job((run,)))
            continue
        chunk = found
        if chunk in seen:
            continue
        seen.add(chunk)
        runs = tuple(r for r in chunk if r in todo)
        # the planned group's size decides, so a resumed audit groups as the first did
        reason = _no_stacking_reason(runs[0], context, batching, len(chunk))
        if len(runs) == 1:
            jobs.append(Job(runs))
        elif reason:
            jobs.extend(Job(runs).alone(f"seed batching skipped: {reason}"))
        else:
            jobs.append(Job(runs, stacked=True))
    return jobs


def _no_stacking_reason(
    run: RunSpec, context: RunContext, batching: SeedBatching, n_seeds: int
) -> str:
    spec = context.model_spec
    config = apply_overrides(spec.train, run.overrides)
    if context.frameworks.get(run.variant) == "sklearn":
        return "a scikit-learn estimator has no torch parameters to stack"
    if spec.design is not None:
        return "in a cross-validated design each seed trains on its own fold"
    if (
        batching.mode == "auto"
        and context.device_name == "cpu"
        and config.batch_size > CPU_BATCH_LIMIT
    ):
        return (
            f"batch_size={config.batch_size} already fills the CPU cores, so stacked seeds "
            f"would not train faster (auto stacks at batch_size <= {CPU_BATCH_LIMIT}; "
            "--seed-batch N forces it)"
        )
    if batching.mode == "auto" and context.device_name == "cpu" and n_seeds < CPU_MIN_STACK:
        return (
            f"{n_seeds} seeds per group train no faster stacked on the CPU (auto stacks "
            f"{CPU_MIN_STACK} or more; --seed-batch N forces it)"
        )
    return ""


def run_job(job: Job, context: RunContext) -> Iterator[tuple[RunResult, RunInfo]]:
    """Perform ``job`` in this process, yielding each run's result as it is known.

    A stacked job that the model does not allow (see ``train.batched``) is retrained
    one run at a time, and each result's ``RunInfo.note`` says why.

    Parameters
    ----------
    job
        The runs to perform.
    context
        The experiment, encoded data and device.

    Yields
    ------
    tuple of RunResult and RunInfo
    """
    if not job.stacked or len(job.runs) < 2:
        for run in job.runs:
            yield run_one(run, context), RunInfo(note=job.note)
        return
    # torch loads only when seeds stack (a model file's runs; never a script's)
    from auditkit.train.batched import SeedBatchingError

    try:
        results = _run_stacked(job.runs, context)
    except SeedBatchingError as exc:
        note = f"seed batching fell back to separate runs: {exc}"
    except Exception as exc:  # user code raised: separate runs record it run by run
        note = f"seed batching fell back to separate runs: {type(exc).__name__}: {exc}"
    else:
        k = len(job.runs)
        info = RunInfo(batch_size=k, note=f"trained as one stacked model of {k} seeds")
        for result in results:
            yield result, info
        return
    for run in job.runs:
        yield run_one(run, context), RunInfo(note=note)


def _run_stacked(runs: Sequence[RunSpec], context: RunContext) -> list[RunResult]:
    from auditkit.train.batched import SeedPair, train_seeds_batched

    first = runs[0]
    spec = context.model_spec
    variant = spec.variants[first.variant]
    config = apply_overrides(spec.train, first.overrides)
    start = time.perf_counter()
    outcomes = train_seeds_batched(
        variant.builder,
        data_for(context, first.transform, first.order_seed),
        config,
        seeds=[SeedPair(r.init_seed, r.order_seed) for r in runs],
        metrics=spec.metrics,
        device=context.model_device,
        evaluations=tuple(map(str, first.evaluations)),
    )
    # The group trained as one: each run is charged an equal share of its wall time.
    share = (time.perf_counter() - start) / len(runs)
    results = []
    for run, outcome in zip(runs, outcomes, strict=True):
        if isinstance(outcome, TrainingError):
            error = describe_failure(outcome, variant=run.variant, origin=variant.origin)
            results.append(failed_result(run, error, device=context.device_name, duration=share))
            continue
        results.append(completed_result(run, outcome, device=context.device_name, duration=share))
    return results
