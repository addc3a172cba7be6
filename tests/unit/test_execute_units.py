"""Executor pieces without training: job planning, durations, defaults, the store, errors."""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from auditkit.conditions import Condition
from auditkit.errors import UsageError
from auditkit.execute.core import RunContext
from auditkit.execute.jobs import CPU_BATCH_LIMIT, CPU_MIN_STACK, Job, SeedBatching, plan_jobs
from auditkit.execute.local import default_jobs
from auditkit.execute.select import make_executor, parse_duration
from auditkit.execute.store import RunStore
from auditkit.experiment import load_experiment
from auditkit.train.encode import encode
from auditkit.types import RunResult, RunSpec
from tests.conftest import TINY_MODEL


@pytest.fixture
def context(write_model: Callable[[str], Path]) -> RunContext:
    spec = load_experiment(write_model(TINY_MODEL))
    return RunContext(spec, encode(spec.data), torch.device("cpu"), {})


def _runs(seeds: int = 4) -> list[RunSpec]:
    return [
        RunSpec(variant=v, init_seed=s, order_seed=s) for v in ("bag", "gru") for s in range(seeds)
    ]


def test_seed_batch_parsing() -> None:
    assert SeedBatching.parse("auto").mode == "auto"
    assert SeedBatching.parse("off").mode == "off"
    assert SeedBatching.parse("1").mode == "off"
    assert SeedBatching.parse("4") == SeedBatching(mode="fixed", size=4)
    with pytest.raises(ValueError, match="--seed-batch 'x' is not auto, off or a positive"):
        SeedBatching.parse("x")


def test_auto_groups_seeds_per_variant_balanced_over_workers(context: RunContext) -> None:
    runs = _runs(4)
    jobs = plan_jobs(runs, planned=runs, context=context, batching=SeedBatching(), workers=2)
    # 8 runs over 2 workers: groups of 4, one per variant
    assert [len(j.runs) for j in jobs] == [4, 4]
    assert all(j.stacked for j in jobs)
    assert {r.variant for r in jobs[0].runs} == {"bag"}
    jobs = plan_jobs(runs, planned=runs, context=context, batching=SeedBatching(), workers=4)
    # groups of 2 would keep 4 workers busy, but on the CPU 2 stacked seeds train no
    # faster than one after another (CPU_MIN_STACK), so auto trains them alone
    assert [len(j.runs) for j in jobs] == [1] * 8
    assert f"auto stacks {CPU_MIN_STACK} or more" in jobs[0].note


def test_off_fixed_and_other_conditions(context: RunContext) -> None:
    runs = _runs(3)
    off = plan_jobs(
        runs, planned=runs, context=context, batching=SeedBatching(mode="off"), workers=1
    )
    assert off == [Job((r,)) for r in runs]
    fixed = plan_jobs(
        runs, planned=runs, context=context, batching=SeedBatching(mode="fixed", size=2), workers=1
    )
    assert [len(j.runs) for j in fixed] == [2, 1, 2, 1]
    shuffled = [
        RunSpec(variant="bag", init_seed=s, order_seed=s, condition=Condition("shuffle"))
        for s in range(3)
    ]
    jobs = plan_jobs(
        shuffled, planned=shuffled, context=context, batching=SeedBatching(), workers=1
    )
    assert all(len(j.runs) == 1 and not j.stacked for j in jobs)


def test_resumed_runs_keep_the_grouping_of_the_whole_plan(context: RunContext) -> None:
    runs = _runs(4)
    pending = runs[1:4] + runs[4:]  # bag seed 0 already in the store
    jobs = plan_jobs(pending, planned=runs, context=context, batching=SeedBatching(), workers=2)
    assert [tuple(r.init_seed for r in j.runs) for j in jobs] == [(1, 2, 3), (0, 1, 2, 3)]


def test_large_cpu_batches_are_not_stacked_and_say_why(context: RunContext) -> None:
    runs = [
        RunSpec(variant="bag", init_seed=s, order_seed=s, overrides=(("batch_size", 512),))
        for s in range(3)
    ]
    jobs = plan_jobs(runs, planned=runs, context=context, batching=SeedBatching(), workers=1)
    assert len(jobs) == 3 and not any(j.stacked for j in jobs)
    assert f"auto stacks at batch_size <= {CPU_BATCH_LIMIT}" in jobs[0].note
    forced = plan_jobs(
        runs, planned=runs, context=context, batching=SeedBatching(mode="fixed", size=3), workers=1
    )
    assert len(forced) == 1 and forced[0].stacked


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("10m", 600.0), ("1h30m", 5400.0), ("2.5", 2.5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text, flag="--budget") == seconds


@pytest.mark.parametrize("text", ["", "soon", "-3", "0", "10x"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="--budget"):
        parse_duration(text, flag="--budget")


def test_default_jobs_follows_cores() -> None:
    assert default_jobs(torch.device("cpu")) >= 1


def test_make_executor_rejects_bad_options() -> None:
    cpu = torch.device("cpu")
    with pytest.raises(UsageError, match="--jobs -1 is negative"):
        make_executor("local", store=None, device=cpu, jobs=-1)
    with pytest.raises(UsageError, match="add --executor ray"):
        make_executor("local", store=None, device=cpu, address="127.0.0.1:6379")
    with pytest.raises(UsageError, match="--seed-batch 'many'"):
        make_executor("local", store=None, device=cpu, seed_batch="many")
    with pytest.raises(UsageError, match="--executor 'dask' is not an executor"):
        make_executor("dask", store=None, device=cpu)
    assert make_executor("local", store=None, device=cpu, jobs=0).describe() == (
        "local, in this process"
    )


def test_missing_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_ray(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    from auditkit.execute.ray_executor import MissingExtraError

    with pytest.raises(MissingExtraError) as info:
        make_executor("ray", store=None, device=torch.device("cpu"))
    assert "pip install 'auditkit[ray]'" in str(info.value)
    assert info.value.exit_code == 4


def _result(spec: RunSpec, error: str | None = None) -> RunResult:
    return RunResult(
        spec=spec,
        test_metrics={} if error else {"accuracy": 0.5},
        dev_metrics={},
        curves=(),
        best_epoch=None if error else 1,
        test_predictions=(),
        duration_s=0.1,
        device="cpu",
        error=error,
    )


def test_store_info_and_clear(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "s.sqlite")
    for seed in range(3):
        spec = RunSpec(variant="gru", init_seed=seed, order_seed=seed)
        store.put(f"k{seed}", _result(spec, None if seed else "boom"), experiment="tiny")
    info = store.info()
    assert (info.ok, info.failed, dict(info.per_experiment)) == (2, 1, {"tiny": 2})
    assert set(store.keys()) == {"k1", "k2"}
    assert store.clear(failed_only=True) == 1
    assert store.clear() == 2
    assert store.info().ok == 0


def test_store_from_the_first_release_gains_its_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE runs (key TEXT PRIMARY KEY, format INTEGER NOT NULL, ok INTEGER NOT NULL,"
        " result TEXT NOT NULL, created REAL NOT NULL DEFAULT (julianday('now')))"
    )
    db.commit()
    db.close()
    store = RunStore(path)
    spec = RunSpec(variant="gru", init_seed=0, order_seed=0)
    store.put("k", _result(spec), experiment="tiny", info={"worker": "local:1"})
    assert store.get("k") == _result(spec)


def test_few_runs_train_in_this_process_by_default() -> None:
    from auditkit.execute.local import POOL_MIN_RUNS_PER_CPU, available_cpus, default_jobs

    cpu = torch.device("cpu")
    few = POOL_MIN_RUNS_PER_CPU * available_cpus() - 1
    assert default_jobs(cpu, n_runs=few) == 0
    assert default_jobs(cpu, n_runs=few + 1) == available_cpus()
    assert default_jobs(cpu) == available_cpus()


def test_a_run_timeout_needs_a_worker_even_for_few_runs() -> None:
    from auditkit.execute.select import make_executor

    executor = make_executor(
        "local", store=None, device=torch.device("cpu"), run_timeout=5.0, n_runs=1
    )
    assert executor.jobs == 1
