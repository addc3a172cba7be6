"""How many torch threads each run gets, and keeping idle threads from spinning.

On a shared machine the default (torch's intra-op pool sized to every core) collapses:
with two OpenMP threads on two cores and four other busy processes, each parallel region
waits at its barrier for a thread the kernel has descheduled, and the example's quick
audit took 4.7x longer than with one thread (issue 16). So threads come from the cores
this process may really use (its affinity mask, capped by a cgroup CPU quota), shared
among the workers, and from the model's size: a model too small to split its work
across threads gets one. Idle OpenMP threads sleep instead of spinning
(``OMP_WAIT_POLICY=PASSIVE``), which must be in the environment before torch loads.

This module imports no torch, so the command line can use it before torch loads.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from auditkit.errors import UsageError

__all__ = [
    "PARAMS_PER_THREAD",
    "QUIET_THREADS_ENV",
    "THREADS_ENV",
    "available_cores",
    "cgroup_cpu_limit",
    "choose_threads",
    "quiet_idle_threads",
]

#: the environment variable that forces the torch threads of every run
THREADS_ENV = "AUDITKIT_THREADS"
#: parameters per torch thread: a model with fewer than this many parameters per thread
#: has too little work per operation for the split to pay for the threads' synchronisation
#: (the example's ~7,000-parameter GRU is one of them)
PARAMS_PER_THREAD = 1_000_000
#: idle OpenMP threads sleep at once instead of spinning (GNU libgomp reads
#: ``OMP_WAIT_POLICY``, Intel's runtime ``KMP_BLOCKTIME``); both are read when torch loads
QUIET_THREADS_ENV: Mapping[str, str] = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0"}

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def _quota_v2(folder: Path) -> float | None:
    """Cores allowed by ``cpu.max`` in ``folder`` (``"max 100000"`` is no limit)."""
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max" or float(period) <= 0:
        return None
    return float(quota) / float(period)


def _quota_v1(folder: Path) -> float | None:
    """Cores allowed by ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1: no limit)."""
    try:
        quota = float((folder / "cpu.cfs_quota_us").read_text())
        period = float((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    if quota <= 0 or period <= 0:
        return None
    return quota / period


def _ancestors(root: Path, relative: str) -> list[Path]:
    """``root/relative`` and every folder above it up to ``root``: a parent's limit binds too."""
    parts = [p for p in relative.strip().split("/") if p and p not in (".", "..")]
    return [root.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def cgroup_cpu_limit(
    root: Path = CGROUP_ROOT, self_cgroup: Path = PROC_SELF_CGROUP
) -> float | None:
    """The CPU quota of this process's cgroup, in cores, or None where there is none.

    Parameters
    ----------
    root
        Where the cgroup file systems are mounted (``/sys/fs/cgroup``; a test passes a
        folder of faked files).
    self_cgroup
        The ``/proc/self/cgroup`` file naming this process's cgroups.

    Returns
    -------
    float or None
        The tightest quota over the cgroup and its ancestors (v2 ``cpu.max``, or v1
        ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``), e.g. 1.5; None when unlimited
        or unreadable.
    """
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    limits: list[float] = []
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        _, controllers, relative = fields
        if controllers == "":  # cgroup v2: one unified hierarchy
            folders = _ancestors(root, relative)
            limits += [q for q in map(_quota_v2, folders) if q is not None]
        elif "cpu" in controllers.split(","):
            # v1 mounts the cpu controller under its (possibly joined) name
            for mount in (controllers, "cpu", "cpu,cpuacct"):
                folders = _ancestors(root / mount, relative)
                limits += [q for q in map(_quota_v1, folders) if q is not None]
    if not lines:
        # no /proc/self/cgroup (a bare container): the root's own limit, if any
        limits += [q for q in (_quota_v2(root), _quota_v1(root / "cpu")) if q is not None]
    return min(limits) if limits else None


def available_cores(
    *,
    affinity: int | None = None,
    root: Path = CGROUP_ROOT,
    self_cgroup: Path = PROC_SELF_CGROUP,
) -> int:
    """Cores this process may use: its affinity mask, capped by its cgroup's CPU quota.

    Parameters
    ----------
    affinity
        Cores in the affinity mask; None reads it (``os.sched_getaffinity``, else
        ``os.cpu_count``).
    root, self_cgroup
        See ``cgroup_cpu_limit``.

    Returns
    -------
    int
        At least 1; a fractional quota rounds up (1.5 cores: 2 threads can use them).
    """
    if affinity is None:
        try:
            affinity = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            affinity = os.cpu_count() or 1
    cores = max(affinity, 1)
    quota = cgroup_cpu_limit(root, self_cgroup)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return cores


def _forced(environ: Mapping[str, str]) -> int | None:
    """The thread count forced by ``AUDITKIT_THREADS``, if set."""
    text = environ.get(THREADS_ENV, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(
            f"{THREADS_ENV}={text!r} is not a number of threads; set it to a whole number "
            f"of at least 1, or unset it to let auditkit choose",
            slug="bad-threads",
        )
    return value


def choose_threads(
    *,
    cores: int,
    workers: int,
    n_params: int | None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Torch threads for each of ``workers`` concurrent runs.

    Parameters
    ----------
    cores
        Cores this process may use (``available_cores()``).
    workers
        Runs training at once (worker processes; 1 for the audit's own process).
    n_params
        Parameters of the baseline model, or None when unknown (then only the cores
        decide).
    environ
        The environment (``os.environ`` when None); ``AUDITKIT_THREADS`` in it forces
        the count.

    Returns
    -------
    int
        At least 1 and, unless forced, at most the worker's share of the cores and one
        per ``PARAMS_PER_THREAD`` parameters.

    Raises
    ------
    UsageError
        ``AUDITKIT_THREADS`` is set but not a positive whole number.
    """
    forced = _forced(os.environ if environ is None else environ)
    if forced is not None:
        return forced
    share = max(1, cores // max(workers, 1))
    if n_params is None:
        return share
    return max(1, min(share, math.ceil(n_params / PARAMS_PER_THREAD)))


def quiet_idle_threads(environ: MutableMapping[str, str]) -> None:
    """Make idle OpenMP threads sleep, unless the user chose otherwise.

    Must run before torch is imported in the process that ``environ`` configures (this
    process's ``os.environ``, or a worker's environment).
    """
    for name, value in QUIET_THREADS_ENV.items():
        environ.setdefault(name, value)
