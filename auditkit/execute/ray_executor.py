"""The Ray executor: jobs on the actors of a Ray cluster (``pip install 'auditkit[ray]'``).

Each actor is a long-lived worker like the local executor's: it imports the model file
once (from the shared filesystem, or from the text the audit ships when the node cannot
see the file) and performs job after job. Actors ask Ray for CPUs and, on GPU audits, a
share of a GPU, so Ray places them where the resources are. An actor that dies is
restarted by Ray and its job retried (``retries`` times); a job that passes
``--run-timeout`` has its actor killed and replaced. Results stream back to the audit as
jobs finish and go into the same run store as the local executor's.

Ray is imported only when this executor runs, so auditkit works without it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import torch

from auditkit.errors import AuditkitError
from auditkit.execute.base import BaseExecutor, format_seconds
from auditkit.execute.core import (
    ContextSource,
    RunContext,
    Runner,
    failed_result,
    load_context,
    source_origin,
)
from auditkit.execute.jobs import Job, RunInfo, SeedBatching, run_job
from auditkit.execute.local import RUNS_PER_GPU_SMALL, ExecutorError
from auditkit.execute.store import RunStore
from auditkit.types import RunResult


class MissingExtraError(AuditkitError):
    """An optional dependency of the chosen feature is not installed."""


def import_ray() -> Any:
    """Import Ray, or explain how to install it.

    Raises
    ------
    MissingExtraError
        Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise MissingExtraError(
            "--executor ray needs the optional dependency 'ray', which is not installed in "
            "this Python environment. Install it with: pip install 'auditkit[ray]' (or use "
            "the default --executor local)",
            slug="missing-ray",
        ) from None
    return ray


def _is_loopback(address: str) -> bool:
    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "::1") or host.startswith("127.")


def _stay_on_loopback(ray: Any) -> None:
    """Keep a single-machine cluster's driver on 127.0.0.1.

    Ray resolves "127.0.0.1" to the machine's network address unless
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, which it reads once, at import; set both the
    variable (for processes Ray starts) and the constant it was read into. No usage
    statistics leave the machine either.
    """
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    if constants is not None and hasattr(constants, "ENABLE_RAY_CLUSTER"):
        constants.ENABLE_RAY_CLUSTER = False


class RayWorker:
    """The body of one Ray actor: a context loaded once, then jobs.

    Parameters
    ----------
    source
        How to rebuild the audit's context.
    threads
        Torch threads for this actor.
    device
        Torch device name; on a GPU node Ray has already narrowed ``CUDA_VISIBLE_DEVICES``.
    """

    def __init__(self, source: ContextSource | Runner, threads: int, device: str) -> None:
        torch.set_num_threads(threads)
        self.context = load_context(source, device=device)
        self.worker = f"ray:{socket.gethostname()}:{os.getpid()}"

    def ready(self) -> str:
        """Answer once the context is loaded; the run timeout starts counting after it."""
        return self.worker

    def run(self, job: Job) -> list[tuple[RunResult, RunInfo]]:
        """Perform ``job``; return every run's result with how it was executed."""
        return [
            (result, dataclasses.replace(info, worker=self.worker))
            for result, info in run_job(job, self.context)
        ]


class RayExecutor(BaseExecutor):
    """Runs jobs on a Ray cluster's actors.

    Parameters
    ----------
    store
        The run store, filled as jobs finish.
    address
        The cluster, e.g. ``"127.0.0.1:6379"``; None: ``RAY_ADDRESS``, else a new
        single-machine cluster on 127.0.0.1.
    jobs
        Actors; default: the cluster's CPUs (or GPUs times runs per GPU).
    threads
        Torch threads (and Ray CPUs) per actor.
    retries
        How often Ray restarts a dead actor and retries its job.
    batching, run_timeout, deadline, budget_s
        See ``BaseExecutor``.
    """

    name = "ray"

    def __init__(
        self,
        store: RunStore | None,
        *,
        address: str | None = None,
        jobs: int | None = None,
        threads: int = 1,
        retries: int = 2,
        batching: SeedBatching | None = None,
        run_timeout: float | None = None,
        deadline: float | None = None,
        budget_s: float | None = None,
    ) -> None:
        super().__init__(
            store, batching=batching, run_timeout=run_timeout, deadline=deadline, budget_s=budget_s
        )
        self.ray = import_ray()
        self.address = address
        self.jobs = jobs
        self.threads = threads
        self.retries = retries
        self._actors_used = 0
        self._cluster = ""
        #: True while this executor holds a connection it opened (and must close)
        self._started = False

    def describe(self) -> str:
        """E.g. ``"ray at 127.0.0.1:6379, 2 actors x 1 torch thread"``."""
        where = self._cluster or self.address or "a new local cluster"
        n = self._actors_used or self.jobs or 0
        return (
            f"ray at {where}, {n} actors x {self.threads} torch thread(s), {self.retries} retries"
        )

    def _connect(self) -> bool:
        """Connect to the cluster; return True when this call started the connection."""
        ray = self.ray
        if ray.is_initialized():
            return False
        address = self.address or os.environ.get("RAY_ADDRESS")
        if address is None or _is_loopback(address):
            _stay_on_loopback(ray)
        try:
            if address:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            else:
                # A cluster of our own stays on the loopback interface.
                ray.init(
                    _node_ip_address="127.0.0.1",
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
        except Exception as exc:
            raise ExecutorError(
                f"--executor ray could not connect to the Ray cluster at "
                f"{address or 'a new local cluster'!r}: {type(exc).__name__}: {exc}\nStart "
                "one with `ray start --head --node-ip-address=127.0.0.1` and pass its address "
                "with --address HOST:PORT, or use --executor local.",
                slug="ray-unreachable",
            ) from None
        self._cluster = address or "a local cluster on 127.0.0.1"
        return True

    def workers_for(self, n_runs: int, context: RunContext) -> int:
        """Actors for ``n_runs`` runs: ``jobs``, else what the cluster's resources allow."""
        if self.jobs is not None:
            return max(1, min(self.jobs, n_runs))
        self._started = self._connect() or self._started
        resources = self.ray.cluster_resources()
        if (
            context.device is not None
            and context.device.type == "cuda"
            and resources.get("GPU", 0) >= 1
        ):
            slots = int(resources["GPU"] * RUNS_PER_GPU_SMALL)
        else:
            slots = int(resources.get("CPU", 1) // self.threads)
        return max(1, min(slots, n_runs))

    # One generator of about 100 lines on purpose: the actors starting, idle and busy, the
    # queue and the deadlines are the state of one scheduling loop, and its ``finally``
    # must kill every actor whichever way the loop ends (budget spent, a job lost, the
    # caller stopping early); helpers would hand all of that state back and forth.
    def _execute(self, jobs: list[Job], context: RunContext) -> Iterator[tuple[RunResult, RunInfo]]:
        ray = self.ray
        source = context.source
        if source is None:
            raise ExecutorError(
                "--executor ray needs the audit's model file to rebuild the experiment on "
                "the cluster, and this run context has none; run through `auditkit check`",
                slug="ray-no-source",
            )
        self._started = self._connect() or self._started
        n_actors = min(self.workers_for(sum(len(j.runs) for j in jobs), context), len(jobs))
        self._actors_used = max(self._actors_used, n_actors)
        gpu = context.device is not None and context.device.type == "cuda"
        actor_class = ray.remote(
            num_cpus=self.threads,
            num_gpus=(1 / RUNS_PER_GPU_SMALL) if gpu else 0,
            max_restarts=self.retries,
            max_task_retries=self.retries,
        )(RayWorker)
        device = "cuda" if gpu else "cpu"

        def new_actor() -> Any:
            return actor_class.remote(source, self.threads, device)

        idle: deque[Any] = deque()
        # Actors still importing torch and the model file: a job's timeout starts only
        # once its actor is ready.
        starting: dict[Any, Any] = {}

        def start_actor() -> None:
            actor = new_actor()
            starting[actor.ready.remote()] = actor

        for _ in range(n_actors):
            start_actor()
        inflight: dict[Any, tuple[Any, Job, float | None]] = {}
        queue: deque[Job] = deque(jobs)
        try:
            while queue or inflight:
                if self.out_of_time():
                    for actor, job, _ in inflight.values():
                        ray.kill(actor, no_restart=True)
                        for run in job.runs:
                            yield self.undone(run, context)
                    inflight.clear()
                    while queue:
                        for run in queue.popleft().runs:
                            yield self.undone(run, context)
                    return
                while idle and queue:
                    actor, job = idle.popleft(), queue.popleft()
                    deadline = (
                        time.monotonic() + self.run_timeout * len(job.runs)
                        if self.run_timeout is not None
                        else None
                    )
                    inflight[actor.run.remote(job)] = (actor, job, deadline)
                limits = [d for _, _, d in inflight.values() if d is not None]
                if self.deadline is not None:
                    limits.append(self.deadline)
                timeout = max(0.0, min(limits) - time.monotonic()) if limits else None
                done, _ = ray.wait([*inflight, *starting], num_returns=1, timeout=timeout)
                for ref in done:
                    if ref in starting:
                        actor = starting.pop(ref)
                        try:
                            ray.get(ref)
                        except ray.exceptions.RayError as exc:
                            raise ExecutorError(
                                f"a Ray actor could not load {source_origin(source)}: "
                                f"{type(exc).__name__}: {exc}\nThe cluster's workers need the "
                                "same Python environment (auditkit, torch) and, for data "
                                "read from files, the same files.",
                                slug="ray-actor-start",
                            ) from None
                        idle.append(actor)
                        continue
                    actor, job, _ = inflight.pop(ref)
                    try:
                        pairs = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        ray.kill(actor, no_restart=True)
                        start_actor()
                        yield from self._lost(job, queue, context, exc)
                        continue
                    idle.append(actor)
                    yield from pairs
                now = time.monotonic()
                for ref, (actor, job, deadline) in list(inflight.items()):
                    if deadline is not None and now >= deadline:
                        del inflight[ref]
                        ray.kill(actor, no_restart=True)
                        start_actor()
                        yield from self._timed_out(job, queue, context)
        finally:
            for actor in [*idle, *starting.values(), *(a for a, _, _ in inflight.values())]:
                # An actor already gone has nothing left to clean up.
                with contextlib.suppress(Exception):
                    ray.kill(actor, no_restart=True)
            if self._started:
                ray.shutdown()
                self._started = False

    def _timed_out(
        self, job: Job, queue: deque[Job], context: RunContext
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        timeout = format_seconds(self.run_timeout or 0)
        if job.stacked and len(job.runs) > 1:
            note = (
                f"the stacked group of {len(job.runs)} seeds passed --run-timeout {timeout} "
                "per run; retried one run at a time"
            )
            queue.extendleft(reversed(job.alone(note)))
            return
        for run in job.runs:
            error = (
                f"TimeoutError: run {run.run_id} did not finish within --run-timeout {timeout} "
                "and was stopped (its Ray actor was killed). Raise --run-timeout if the run is "
                "merely slow, or look for a loop that never ends in the model."
            )
            yield (
                failed_result(
                    run, error, device=context.device_name, duration=self.run_timeout or 0.0
                ),
                RunInfo(note=job.note, worker="ray"),
            )

    def _lost(
        self, job: Job, queue: deque[Job], context: RunContext, exc: BaseException
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        if job.stacked and len(job.runs) > 1:
            note = (
                f"the Ray actor died while training a stacked group of {len(job.runs)} "
                "seeds; retried one run at a time"
            )
            queue.extendleft(reversed(job.alone(note)))
            return
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        for run in job.runs:
            error = (
                f"WorkerCrash: the Ray actor running {run.run_id} died and was retried "
                f"{self.retries} times; the model or a library it calls ended the process "
                f"(os._exit, a segmentation fault, or running out of memory). Ray said: "
                f"{type(exc).__name__}: {first_line}"
            )
            yield (
                failed_result(run, error, device=context.device_name),
                RunInfo(note=job.note, worker="ray"),
            )
