"""The local executor: runs training jobs in this process, one after another."""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from auditkit.execute.store import RunStore, run_key
from auditkit.experiment import ExperimentSpec
from auditkit.train.encode import EncodedData
from auditkit.train.loop import TrainingError, train_and_evaluate
from auditkit.types import RunResult, RunSpec


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every run of one audit shares."""

    spec: ExperimentSpec
    data: EncodedData
    device: torch.device
    #: JSON-ready facts that key cached runs (see ``store.run_key``)
    key_facts: dict[str, object]


def _user_traceback(exc: BaseException) -> str:
    # Drop auditkit's own frames from the top so the user sees their code first.
    return "".join(traceback.format_exception(exc)).rstrip()


def run_one(run: RunSpec, context: RunContext) -> RunResult:
    """Train and evaluate one run, capturing any exception from user code.

    Parameters
    ----------
    run
        The run to perform.
    context
        The experiment, encoded data and device.

    Returns
    -------
    RunResult
        With ``error`` set (and empty metrics) when the user's code raised.
    """
    variant = context.spec.variants[run.variant]
    config = dataclasses.replace(context.spec.train, **dict(run.overrides))
    start = time.perf_counter()
    try:
        outcome = train_and_evaluate(
            variant.builder,
            context.data,
            config,
            init_seed=run.init_seed,
            order_seed=run.order_seed,
            metrics=context.spec.metrics,
            device=context.device,
        )
    except TrainingError as exc:
        error: str | None = f"TrainingError: variant {run.variant!r} ({variant.origin}): {exc}"
    except Exception as exc:  # user code: record, never stop the audit
        error = _user_traceback(exc)
    else:
        return RunResult(
            spec=run,
            test_metrics=outcome.test_metrics,
            dev_metrics=outcome.dev_metrics,
            curves=outcome.curves,
            best_epoch=outcome.best_epoch,
            test_predictions=outcome.test_predictions,
            duration_s=time.perf_counter() - start,
            device=str(context.device),
        )
    return RunResult(
        spec=run,
        test_metrics={},
        dev_metrics={},
        curves=(),
        best_epoch=None,
        test_predictions=(),
        duration_s=time.perf_counter() - start,
        device=str(context.device),
        error=error,
    )


@dataclass(frozen=True, slots=True)
class Finished:
    """One finished run, and whether it came from the store."""

    result: RunResult
    cached: bool


class LocalExecutor:
    """Runs each spec in this process, reusing and filling a run store.

    Parameters
    ----------
    store
        Where finished runs are committed as they finish; None disables caching.
    """

    name = "local"

    def __init__(self, store: RunStore | None) -> None:
        self.store = store

    def map(self, runs: Sequence[RunSpec], context: RunContext) -> Iterator[Finished]:
        """Yield each run's result as it finishes, in the order of ``runs``."""
        for run in runs:
            key = run_key(run, context.key_facts)
            if self.store is not None:
                cached = self.store.get(key)
                if cached is not None:
                    yield Finished(cached, cached=True)
                    continue
            result = run_one(run, context)
            if self.store is not None:
                self.store.put(key, result)
            yield Finished(result, cached=False)
