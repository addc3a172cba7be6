"""The executor interface, and the part every executor shares: the run store and budget."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Protocol

from auditkit.execute.core import Finished, RunContext, failed_result
from auditkit.execute.jobs import Job, RunInfo, SeedBatching, plan_jobs
from auditkit.execute.store import RunStore, run_key
from auditkit.types import RunResult, RunSpec


class Executor(Protocol):
    """Maps run specs to finished runs; yields each run once, as it finishes."""

    #: ``"local"`` or ``"ray"``
    name: str

    def map(self, runs: Sequence[RunSpec], context: RunContext) -> Iterator[Finished]:
        """Yield one ``Finished`` per run in ``runs``, in the order they finish."""
        ...

    def describe(self) -> str:
        """One line for the report's provenance, e.g. ``"local, 2 workers x 1 thread"``."""
        ...


def format_seconds(seconds: float) -> str:
    """``90`` -> ``"1m30s"``; ``12.5`` -> ``"12.5s"``."""
    if seconds < 60:
        return f"{seconds:g}s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"
    return f"{hours}h{text}" if hours else text


class BaseExecutor:
    """Reuses and fills the run store, plans jobs, and honours the wall-time budget.

    Subclasses implement ``_execute``: perform jobs and yield each run's result as it
    finishes. Every result is committed to the store, in its own transaction, before it
    is yielded, so a kill at any moment loses only the runs still in flight.

    Parameters
    ----------
    store
        Where finished runs are committed; None disables caching (``--no-cache``).
    batching
        The ``--seed-batch`` setting.
    run_timeout
        Seconds one run may take before it is stopped and recorded as failed; None: no
        limit.
    deadline
        ``time.monotonic()`` value past which no run is started and runs in flight are
        stopped (``--budget``); None: no limit.
    budget_s
        The budget in seconds, for messages.
    """

    name = "base"

    def __init__(
        self,
        store: RunStore | None,
        *,
        batching: SeedBatching | None = None,
        run_timeout: float | None = None,
        deadline: float | None = None,
        budget_s: float | None = None,
    ) -> None:
        self.store = store
        self.batching = batching or SeedBatching()
        self.run_timeout = run_timeout
        self.deadline = deadline
        self.budget_s = budget_s

    # -- what subclasses provide -------------------------------------------------------
    def workers_for(self, n_runs: int, context: RunContext) -> int:
        """How many workers an audit of ``n_runs`` runs would use (sizes seed groups)."""
        return 1

    def _execute(self, jobs: list[Job], context: RunContext) -> Iterator[tuple[RunResult, RunInfo]]:
        raise NotImplementedError

    def describe(self) -> str:
        """One line for the report's provenance."""
        return self.name

    # -- shared ------------------------------------------------------------------------
    def out_of_time(self) -> bool:
        """True once the ``--budget`` deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def undone(self, run: RunSpec, context: RunContext) -> tuple[RunResult, RunInfo]:
        """The placeholder result of a run that ``--budget`` left undone."""
        budget = format_seconds(self.budget_s) if self.budget_s is not None else "the budget"
        error = (
            f"NotRun: --budget {budget} ran out before this run finished; run the same "
            "command again to resume (finished runs are reused), or raise --budget"
        )
        return failed_result(run, error, device=context.device_name), RunInfo(undone=True)

    def map(self, runs: Sequence[RunSpec], context: RunContext) -> Iterator[Finished]:
        """Yield each run's result as it finishes: stored runs first, then new ones.

        Parameters
        ----------
        runs
            The plan's runs, in plan order.
        context
            What every run shares.

        Yields
        ------
        Finished
        """
        pending: list[RunSpec] = []
        keys = {run: run_key(run, context.key_facts) for run in runs}
        for run in runs:
            cached = self.store.get(keys[run]) if self.store is not None else None
            if cached is not None:
                yield Finished(cached, cached=True)
            else:
                pending.append(run)
        if not pending:
            return
        # Seed groups are sized for the workers the whole plan would use, so a resumed
        # audit groups its remaining runs as the first attempt did.
        workers = self.workers_for(len(runs), context)
        jobs = plan_jobs(
            pending, planned=runs, context=context, batching=self.batching, workers=workers
        )
        for result, info in self._execute(jobs, context):
            if self.store is not None and not info.undone:
                self.store.put(
                    keys[result.spec],
                    result,
                    experiment=context.name,
                    info={
                        "executor": self.name,
                        "worker": info.worker,
                        "batch_size": info.batch_size,
                        "note": info.note,
                    },
                )
            yield Finished(
                result,
                cached=False,
                batch_size=info.batch_size,
                note=info.note,
                undone=info.undone,
            )
