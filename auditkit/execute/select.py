"""Choosing and configuring an executor from the command line's options."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from auditkit.errors import UsageError
from auditkit.execute.base import BaseExecutor
from auditkit.execute.jobs import SeedBatching
from auditkit.execute.local import LocalExecutor, default_jobs
from auditkit.execute.store import RunStore

if TYPE_CHECKING:
    import torch

#: the executors ``--executor`` accepts
EXECUTORS = ("local", "ray")

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$"
)


def parse_duration(text: str, *, flag: str) -> float:
    """Seconds in ``text``: ``"90"``, ``"90s"``, ``"10m"``, ``"1h30m"``.

    Raises
    ------
    UsageError
        Not a positive duration; the message names ``flag`` and the value.
    """
    match = _DURATION.match(text)
    if not text.strip() or match is None or not any(match.groups()):
        raise UsageError(
            f"{flag} {text!r} is not a duration; write seconds (90), or with a unit: 90s, "
            "10m, 1h30m",
            slug="bad-duration",
        )
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise UsageError(f"{flag} {text!r} must be longer than 0 seconds", slug="bad-duration")
    return total


def _check_options(
    name: str, jobs: int | None, address: str | None, run_timeout: float | None
) -> None:
    """Raise a UsageError for an executor option that cannot apply.

    Raises
    ------
    UsageError
        Unknown executor, a negative ``--jobs``, ``--address`` without ``--executor ray``,
        a run timeout that is not positive.
    """
    if name not in EXECUTORS:
        raise UsageError(
            f"--executor {name!r} is not an executor; use one of {', '.join(EXECUTORS)}",
            slug="bad-executor",
        )
    if jobs is not None and jobs < 0:
        raise UsageError(
            f"--jobs {jobs} is negative; give the number of worker processes, or 0 to run "
            "in this process",
            slug="bad-jobs",
        )
    if address is not None and name != "ray":
        raise UsageError(
            f"--address {address!r} names a Ray cluster, but --executor is {name!r}; add "
            "--executor ray",
            slug="address-without-ray",
        )
    if run_timeout is not None and run_timeout <= 0:
        raise UsageError(
            f"--run-timeout {run_timeout} must be a positive number of seconds",
            slug="bad-duration",
        )


def make_executor(
    name: str,
    *,
    store: RunStore | None,
    device: torch.device | None,
    jobs: int | None = None,
    address: str | None = None,
    seed_batch: str = "auto",
    run_timeout: float | None = None,
    deadline: float | None = None,
    budget_s: float | None = None,
    n_params: int | None = None,
    n_runs: int | None = None,
) -> BaseExecutor:
    """Build the executor the user asked for.

    Parameters
    ----------
    name
        ``"local"`` or ``"ray"``.
    store
        The run store, or None for ``--no-cache``.
    device
        The audit's device (sizes the default ``--jobs``); None: a script audit's.
    jobs
        ``--jobs``: workers; 0 runs in this process; None: one per core (or several
        per GPU).
    address
        ``--address`` of a Ray cluster.
    seed_batch
        ``--seed-batch``: ``auto``, ``off`` or seeds per group.
    run_timeout, deadline, budget_s
        ``--run-timeout`` in seconds; the ``--budget`` deadline (``time.monotonic()``)
        and its length in seconds.
    n_runs
        Runs left to train (sizes the default ``--jobs``: a few train in this process).
    n_params
        Parameters of the baseline model, if known (small models share GPUs and train
        on one torch thread).

    Returns
    -------
    BaseExecutor

    Raises
    ------
    UsageError
        Unknown executor, a negative ``--jobs``, ``--address`` without ``--executor ray``,
        a bad ``--seed-batch``.
    MissingExtraError
        ``--executor ray`` without Ray installed.
    """
    _check_options(name, jobs, address, run_timeout)
    try:
        batching = SeedBatching.parse(seed_batch)
    except ValueError as exc:
        raise UsageError(str(exc), slug="bad-seed-batch") from None
    common = {
        "batching": batching,
        "run_timeout": run_timeout,
        "deadline": deadline,
        "budget_s": budget_s,
    }
    if name == "ray":
        from auditkit.execute.ray_executor import RayExecutor

        return RayExecutor(store, address=address, jobs=jobs or None, **common)  # type: ignore[arg-type]
    workers = default_jobs(device, n_params=n_params, n_runs=n_runs) if jobs is None else jobs
    if jobs is None and run_timeout is not None:
        # only a worker process can be stopped when a run hangs
        workers = max(workers, 1)
    return LocalExecutor(store, jobs=workers or None, n_params=n_params, **common)  # type: ignore[arg-type]
