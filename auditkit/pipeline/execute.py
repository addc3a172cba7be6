"""The execute stage: the planned runs through the run store and an executor.

A model-file audit and a script audit execute alike: the runs go through the same store
(``.auditkit/store.sqlite``, so that a killed audit resumes where it stopped) and the same
executors (in process, a process pool, Ray). ``open_runs`` opens both for the length of a
``with`` block; an audit may execute several batches in it (the looks of ``--seeds auto``,
the two rounds of a zero-set-up script audit), and ``RunSession.executed`` gives what ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditkit.execute.base import BaseExecutor
from auditkit.execute.core import Finished, RunContext
from auditkit.execute.select import make_executor
from auditkit.execute.store import RunStore, run_key
from auditkit.pipeline.write import STATE_DIR
from auditkit.types import RunResult, RunSpec

if TYPE_CHECKING:
    import torch

ProgressFn = Callable[[Finished, int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteSettings:
    """How to execute an audit's runs: the command line's choices that shape execution."""

    #: ``--executor``: ``local`` or ``ray``
    executor: str = "local"
    #: False for ``--no-cache``: no run store, every run trains afresh
    cache: bool = True
    #: the audit's device; None for a script audit (the script chooses its own)
    device: torch.device | None = None
    #: ``--jobs``: worker processes; 0 runs in this process; None: one per core
    jobs: int | None = None
    #: ``--address`` of a Ray cluster
    address: str | None = None
    #: ``--seed-batch``: ``auto``, ``off`` or seeds per stacked group
    seed_batch: str = "auto"
    #: ``--run-timeout`` in seconds, when the executor enforces it
    run_timeout: float | None = None
    #: ``--budget`` in seconds of wall time for the whole audit
    budget: float | None = None
    #: ``time.perf_counter()`` when the audit started (the budget counts from it)
    started: float = 0.0
    #: parameters of the baseline model (sizes the workers per GPU); None when unknown
    n_params: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Executed:
    """What the execute stage produced: each run's result, in plan order, and counts."""

    results: Mapping[RunSpec, RunResult]
    #: runs read back from the store
    cached: int
    #: runs that ``--budget`` left undone
    undone: int
    #: runs trained here, by how they were trained (seed batching, fallbacks)
    trained: Mapping[str, int]
    #: the executor, in words (``executor.describe()``)
    executor: str


class RunSession:
    """An open run store and executor; results accumulate over the batches executed.

    Made by ``open_runs``; not thread-safe (one audit drives it).
    """

    def __init__(self, executor: BaseExecutor, progress: ProgressFn | None) -> None:
        self._executor = executor
        self._progress = progress
        self.results: dict[RunSpec, RunResult] = {}
        self.cached = 0
        self.undone = 0
        self._trained: dict[str, int] = {}

    def run(self, runs: Sequence[RunSpec], context: RunContext, total: int) -> None:
        """Execute the runs of ``runs`` not yet done; ``total`` is what progress counts to."""
        todo = [r for r in runs if r not in self.results]
        for finished in self._executor.map(todo, context):
            self.results[finished.result.spec] = finished.result
            self.cached += finished.cached
            self.undone += finished.undone
            if not finished.cached and not finished.undone:
                how = finished.note or "trained alone"
                self._trained[how] = self._trained.get(how, 0) + 1
            if self._progress is not None:
                self._progress(finished, len(self.results), total)

    def executed(self, planned: Sequence[RunSpec]) -> Executed:
        """The results so far, listed in the order of ``planned`` (runs finish in any order)."""
        return Executed(
            results={run: self.results[run] for run in planned if run in self.results},
            cached=self.cached,
            undone=self.undone,
            trained=dict(self._trained),
            executor=self._executor.describe(),
        )


@contextmanager
def open_runs(
    settings: ExecuteSettings,
    *,
    planned: Sequence[RunSpec] = (),
    key_facts: Mapping[str, object] | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[RunSession]:
    """Open the run store and the executor for a ``with`` block; the store closes after it.

    Parameters
    ----------
    settings
        The command line's execution choices.
    planned, key_facts
        The first runs and the facts that key them in the store: with both, the executor
        is told how many runs are not stored yet (it sizes its pool by them).
    progress
        Called after each run as ``progress(finished, done, total)``.

    Yields
    ------
    RunSession
    """
    store = RunStore(STATE_DIR / "store.sqlite") if settings.cache else None
    try:
        n_runs = None
        if key_facts is not None:
            n_runs = (
                sum(store.get(run_key(r, key_facts)) is None for r in planned)
                if store is not None
                else len(planned)
            )
        executor = make_executor(
            settings.executor,
            store=store,
            device=settings.device,
            jobs=settings.jobs,
            address=settings.address,
            seed_batch=settings.seed_batch,
            run_timeout=settings.run_timeout,
            deadline=None if settings.budget is None else settings.started + settings.budget,
            budget_s=settings.budget,
            n_params=settings.n_params,
            n_runs=n_runs,
        )
        yield RunSession(executor, progress)
    finally:
        if store is not None:
            store.close()


def execution_notes(
    executed: Executed, *, n_planned: int, run_timeout: float | None, budget: float | None
) -> dict[str, str]:
    """The provenance lines on execution shared by every audit that runs: timeout, budget."""
    notes: dict[str, str] = {}
    if run_timeout is not None:
        notes["run timeout"] = f"{run_timeout:g}s"
    if budget is not None:
        notes["budget"] = (
            f"{budget:g}s; {executed.undone} of {n_planned} runs left undone"
            if executed.undone
            else f"{budget:g}s; every run finished"
        )
    return notes
