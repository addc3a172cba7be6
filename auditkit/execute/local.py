"""The local executor: a pool of long-lived worker processes on this machine.

Each worker imports torch and the model file once and then performs job after job, so
the ~1-2 s a fresh Python process spends importing torch is paid once per worker, not
once per run. Workers are separate processes (started with ``subprocess``, never
forked from a process whose torch threads already ran), each with ``threads`` torch
threads so that ``jobs x threads`` matches the cores; on GPUs, several workers share
each device. A worker that hangs past ``--run-timeout`` is killed and replaced; one that
dies is replaced and its run retried once; either way the run is recorded as failed,
with the reason, and the audit goes on.

``jobs=None`` (``--jobs 0``) runs everything in this process instead, one run after
another: no start-up cost and a debugger works, but no timeouts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

import auditkit
from auditkit.errors import AuditkitError, ExitCode
from auditkit.execute.base import BaseExecutor, format_seconds
from auditkit.execute.core import (
    ContextSource,
    Finished,
    RunContext,
    Runner,
    failed_result,
    load_context,
    run_one,
    source_device,
    source_origin,
)
from auditkit.execute.jobs import Job, RunInfo, SeedBatching, run_job
from auditkit.execute.store import RunStore
from auditkit.execute.threads import available_cores, choose_threads, quiet_idle_threads
from auditkit.types import RunResult, RunSpec

# torch loads where a model file's runs need it (never for a script audit's runs)
if TYPE_CHECKING:
    import torch

__all__ = [
    "ContextSource",
    "ExecutorError",
    "Finished",
    "LocalExecutor",
    "RunContext",
    "available_cpus",
    "default_jobs",
    "load_context",
    "run_one",
]

#: a model with fewer parameters than this shares a GPU with other runs
SMALL_MODEL_PARAMS = 5_000_000
#: how many runs of a small model share one GPU
RUNS_PER_GPU_SMALL = 4
#: lines of a dead worker's output quoted in the failure
LOG_TAIL_LINES = 15


class ExecutorError(AuditkitError):
    """The execution machinery itself failed (a worker cannot start, Ray is unreachable)."""

    exit_code = ExitCode.USAGE_ERROR


def available_cpus() -> int:
    """CPU cores this process may use: its affinity mask, capped by its cgroup's quota."""
    return available_cores()


#: below this many runs to train per core, worker start-up (importing torch and the
#: model file, ~2 s each) costs more than the pool saves: train in this process
POOL_MIN_RUNS_PER_CPU = 6


def default_jobs(
    device: torch.device | None, *, n_params: int | None = None, n_runs: int | None = None
) -> int:
    """The default ``--jobs``: one worker per core, or several runs per GPU.

    Parameters
    ----------
    device
        The audit's device; None: a script audit's (on the CPU).
    n_params
        Parameters of the baseline model, when known: a small model shares each GPU
        with ``RUNS_PER_GPU_SMALL - 1`` other runs, a large one has a GPU to itself.
    n_runs
        Runs left to train, when known: on the CPU, fewer than
        ``POOL_MIN_RUNS_PER_CPU`` per core train in this process (0 workers).

    Returns
    -------
    int
    """
    cpus = available_cpus()
    if device is None or device.type != "cuda":
        if n_runs is not None and n_runs < POOL_MIN_RUNS_PER_CPU * cpus:
            return 0
        return cpus
    import torch

    gpus = 1 if device.index is not None else max(torch.cuda.device_count(), 1)
    small = n_params is not None and n_params < SMALL_MODEL_PARAMS
    per_gpu = RUNS_PER_GPU_SMALL if small else 1
    # Every GPU run still needs a CPU thread to feed it.
    return max(1, min(gpus * per_gpu, max(cpus, gpus)))


def _signal_name(code: int | None) -> str:
    if code is None:
        return "no exit code"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])


@dataclass
class _Slot:
    """One worker process and what it is doing (mutable bookkeeping of the pool loop)."""

    index: int
    proc: subprocess.Popen[bytes]
    conn: Connection
    log: Path
    device: str
    ready: bool = False
    job: Job | None = None
    job_id: int = -1
    left: list[RunSpec] = field(default_factory=list)
    deadline: float | None = None

    def kill(self) -> None:
        """Stop the process now and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        # A process stuck in the kernel may outlive SIGKILL for a moment; do not hang on it.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self.conn.close()


def _run_all(job: Job, context: RunContext) -> list[tuple[RunResult, RunInfo]]:
    """Every run of ``job``, performed in this thread."""
    return list(run_job(job, context))


class LocalExecutor(BaseExecutor):
    """Runs jobs in a pool of worker processes on this machine, or in this process.

    Parameters
    ----------
    store
        Where finished runs are committed as they finish; None disables caching.
    jobs
        Worker processes; None runs every job in this process, one after another.
    threads
        Torch threads per run; default: ``choose_threads`` (the available cores divided
        among the workers, one thread for a small model, ``AUDITKIT_THREADS`` if set).
    n_params
        Parameters of the baseline model, when known (a small model gets one thread).
    batching, run_timeout, deadline, budget_s
        See ``BaseExecutor``.
    retries
        How often a run whose worker died is retried on a fresh worker.
    """

    name = "local"

    def __init__(
        self,
        store: RunStore | None,
        *,
        jobs: int | None = None,
        threads: int | None = None,
        n_params: int | None = None,
        batching: SeedBatching | None = None,
        run_timeout: float | None = None,
        deadline: float | None = None,
        budget_s: float | None = None,
        retries: int = 1,
    ) -> None:
        super().__init__(
            store, batching=batching, run_timeout=run_timeout, deadline=deadline, budget_s=budget_s
        )
        if jobs is not None and jobs < 1:
            raise ValueError(f"jobs={jobs!r} must be at least 1, or None for this process")
        self.jobs = jobs
        self.threads = threads
        self.n_params = n_params
        self.retries = retries
        self._used = 0
        self._threaded = False

    def workers_for(self, n_runs: int, context: RunContext) -> int:
        """Workers for ``n_runs`` runs: ``jobs``, but never more than there are runs."""
        if self.jobs is None or context.source is None:
            return 1
        return max(1, min(self.jobs, n_runs))

    def _threads(self, workers: int) -> int:
        if self.threads is not None:
            return self.threads
        return choose_threads(cores=available_cpus(), workers=workers, n_params=self.n_params)

    def describe(self) -> str:
        """E.g. ``"local, 2 workers x 1 torch thread"`` or ``"local, in-process"``."""
        if self.jobs is None:
            return "local, in this process"
        if self._threaded:
            return f"local, {self.jobs} concurrent runs (threads waiting on subprocesses)"
        workers = self._used or self.jobs
        threads = self._threads(workers)
        return (
            f"local, {workers} worker process{'es' if workers != 1 else ''} x "
            f"{threads} torch thread{'s' if threads != 1 else ''}"
        )

    def _execute(self, jobs: list[Job], context: RunContext) -> Iterator[tuple[RunResult, RunInfo]]:
        if context.runner is not None and self.jobs is not None and self.jobs > 1:
            yield from self._concurrent(jobs, context)
        elif self.jobs is None or context.source is None:
            yield from self._inline(jobs, context)
        else:
            yield from self._pool(jobs, context, context.source)

    def _concurrent(
        self, jobs: list[Job], context: RunContext
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        """A runner's jobs, ``jobs`` at a time on threads of this process.

        A runner's run is a subprocess of its own (a user's script), so threads that wait
        on it suffice: no worker process has to start and import torch first.
        """
        assert self.jobs is not None
        self._threaded = True
        queue: deque[Job] = deque(jobs)
        running: dict[Future[list[tuple[RunResult, RunInfo]]], Job] = {}
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="auditkit-run") as pool:
            while queue or running:
                while queue and len(running) < self.jobs and not self.out_of_time():
                    job = queue.popleft()
                    running[pool.submit(_run_all, job, context)] = job
                if self.out_of_time():
                    while queue:
                        for run in queue.popleft().runs:
                            yield self.undone(run, context)
                if not running:
                    break
                done, _ = wait_futures(running, return_when=FIRST_COMPLETED)
                for future in done:
                    del running[future]
                    for result, info in future.result():
                        yield result, RunInfo(info.batch_size, info.note, "local:thread")

    def _inline(self, jobs: list[Job], context: RunContext) -> Iterator[tuple[RunResult, RunInfo]]:
        if context.runner is not None:  # a script's runs are subprocesses: no torch here
            yield from self._inline_jobs(jobs, context)
            return
        import torch

        # This process trains alone, with the threads a single worker would get, and gives
        # torch its previous count back afterwards (a caller may train on).
        previous = torch.get_num_threads()
        torch.set_num_threads(self._threads(1))
        # Interop threads serve only torch.jit forks; one is enough. Fails once parallel
        # work already ran in this process: the default is fine then.
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(1)
        try:
            yield from self._inline_jobs(jobs, context)
        finally:
            torch.set_num_threads(previous)

    def _inline_jobs(
        self, jobs: list[Job], context: RunContext
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        for position, job in enumerate(jobs):
            if self.out_of_time():
                for rest in jobs[position:]:
                    for run in rest.runs:
                        yield self.undone(run, context)
                return
            for result, info in run_job(job, context):
                yield result, RunInfo(info.batch_size, info.note, "local:in-process")

    # -- the process pool --------------------------------------------------------------
    def _start(self, index: int, source: ContextSource | Runner, threads: int, logs: Path) -> _Slot:
        parent, child = socket.socketpair()
        log = logs / f"worker-{index}.log"
        env = dict(os.environ)
        # Before torch loads: its OpenMP and MKL pools size themselves from these.
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
        quiet_idle_threads(env)
        # The worker imports this very auditkit, installed or not.
        package_root = str(Path(auditkit.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        device = source_device(source)
        if device == "cuda":
            import torch

            if torch.cuda.device_count() > 1:
                device = f"cuda:{index % torch.cuda.device_count()}"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "auditkit.execute.worker", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        child.close()
        conn = Connection(parent.detach())
        conn.send(("init", source, threads, device))
        return _Slot(index=index, proc=proc, conn=conn, log=log, device=device)

    def _pool(
        self, jobs: list[Job], context: RunContext, source: ContextSource | Runner
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        n_workers = self.workers_for(sum(len(j.runs) for j in jobs), context)
        n_workers = min(n_workers, len(jobs))
        self._used = max(self._used, n_workers)
        threads = self._threads(n_workers)
        queue: deque[Job] = deque(jobs)
        attempts: dict[RunSpec, int] = {}
        slots: list[_Slot] = []
        logs = Path(tempfile.mkdtemp(prefix="auditkit-workers-"))
        next_index = 0
        next_job = 0
        try:
            while queue or any(s.job is not None for s in slots):
                if self.out_of_time():
                    for slot in slots:
                        slot.kill()
                        for run in slot.left:
                            yield self.undone(run, context)
                        slot.left, slot.job = [], None
                    slots.clear()
                    while queue:
                        for run in queue.popleft().runs:
                            yield self.undone(run, context)
                    return
                busy = sum(s.job is not None for s in slots)
                while len(slots) < min(n_workers, busy + len(queue)):
                    slots.append(self._start(next_index, source, threads, logs))
                    next_index += 1
                for slot in slots:
                    if slot.ready and slot.job is None and queue:
                        job = queue.popleft()
                        slot.job, slot.job_id, slot.left = job, next_job, list(job.runs)
                        next_job += 1
                        slot.deadline = self._job_deadline(len(job.runs))
                        slot.conn.send(("job", slot.job_id, job))
                now = time.monotonic()
                limits = [s.deadline for s in slots if s.deadline is not None and s.job]
                if self.deadline is not None:
                    limits.append(self.deadline)
                timeout = max(0.0, min(limits) - now) if limits else None
                by_conn = {s.conn: s for s in slots}
                for conn in wait(list(by_conn), timeout=timeout):
                    slot = by_conn[conn]  # type: ignore[index]
                    try:
                        message = slot.conn.recv()
                    except (EOFError, OSError):
                        slots.remove(slot)
                        yield from self._died(slot, queue, attempts, context)
                        continue
                    kind = message[0]
                    if kind == "ready":
                        slot.ready = True
                    elif kind == "init_error":
                        raise ExecutorError(
                            f"a worker process could not load {source_origin(source)}, which "
                            f"this process loaded fine:\n{message[1]}\nCheck that the file "
                            "does not depend on the current process (environment variables, "
                            "the working directory), or run with --jobs 0 to stay in this "
                            "process.",
                            slug="worker-init",
                        )
                    elif kind == "result" and message[1] == slot.job_id:
                        result, info = message[2], message[3]
                        slot.left.remove(result.spec)
                        slot.deadline = self._job_deadline(len(slot.left))
                        yield result, info
                    elif kind == "done" and message[1] == slot.job_id:
                        slot.job, slot.left, slot.deadline = None, [], None
                now = time.monotonic()
                for slot in list(slots):
                    if slot.job is not None and slot.deadline is not None and now >= slot.deadline:
                        slot.kill()
                        slots.remove(slot)
                        yield from self._timed_out(slot, queue, context)
        finally:
            for slot in slots:
                self._stop(slot)
            shutil.rmtree(logs, ignore_errors=True)

    def _job_deadline(self, n_runs: int) -> float | None:
        if self.run_timeout is None or n_runs == 0:
            return None
        # A stacked group may take as long as its runs one after another.
        return time.monotonic() + self.run_timeout * n_runs

    def _stop(self, slot: _Slot) -> None:
        try:
            slot.conn.send(("stop",))
            slot.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        slot.kill()

    def _timed_out(
        self, slot: _Slot, queue: deque[Job], context: RunContext
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        job = slot.job
        assert job is not None
        timeout = format_seconds(self.run_timeout or 0)
        if job.stacked and len(slot.left) > 1:
            note = (
                f"the stacked group of {len(job.runs)} seeds passed --run-timeout {timeout} "
                "per run; retried one run at a time"
            )
            queue.extendleft(reversed(Job(tuple(slot.left)).alone(note)))
            return
        for run in slot.left:
            error = (
                f"TimeoutError: run {run.run_id} did not finish within --run-timeout {timeout} "
                "and was stopped (its worker process was killed). Raise --run-timeout if the "
                "run is merely slow, or look for a loop that never ends in the model."
            )
            yield (
                failed_result(
                    run, error, device=slot.device, duration=float(self.run_timeout or 0)
                ),
                RunInfo(note=job.note, worker=f"local:{slot.proc.pid}"),
            )

    def _died(
        self,
        slot: _Slot,
        queue: deque[Job],
        attempts: dict[RunSpec, int],
        context: RunContext,
    ) -> Iterator[tuple[RunResult, RunInfo]]:
        slot.kill()
        how = _signal_name(slot.proc.returncode)
        tail = _tail(slot.log)
        if not slot.ready:
            raise ExecutorError(
                f"a worker process exited with {how} while starting, before it ran any "
                f"run. Its last output:\n{tail or '(none)'}\nRun with --jobs 0 to train in "
                "this process and see the error directly.",
                slug="worker-start",
            )
        job = slot.job
        if job is None:
            return
        if job.stacked and len(slot.left) > 1:
            note = (
                f"the worker died ({how}) while training a stacked group of "
                f"{len(job.runs)} seeds; retried one run at a time"
            )
            queue.extendleft(reversed(Job(tuple(slot.left)).alone(note)))
            return
        for run in slot.left:
            attempts[run] = attempts.get(run, 0) + 1
            if attempts[run] <= self.retries:
                note = f"retried after its worker died ({how})"
                queue.appendleft(Job((run,), note=note))
                continue
            error = (
                f"WorkerCrash: the worker process running {run.run_id} died with {how} "
                f"({attempts[run]} attempt{'s' if attempts[run] > 1 else ''}); the model or a "
                "library it calls ended the process (os._exit, a segmentation fault, or "
                "running out of memory). Its last output:\n" + (tail or "(none)")
            )
            yield (
                failed_result(run, error, device=slot.device),
                RunInfo(note=job.note, worker=f"local:{slot.proc.pid}"),
            )
