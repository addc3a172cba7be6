"""Torch threads per run: from the affinity mask, the cgroup CPU quota, workers and model size.

The cgroup files are real files in a temporary folder laid out as ``/sys/fs/cgroup`` and
``/proc/self/cgroup`` are, passed to the functions in their place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.errors import UsageError
from auditkit.execute.threads import (
    PARAMS_PER_THREAD,
    THREADS_ENV,
    available_cores,
    cgroup_cpu_limit,
    choose_threads,
    quiet_idle_threads,
)


def _v2(tmp_path: Path, cpu_max: dict[str, str], own: str = "/job") -> tuple[Path, Path]:
    """A cgroup v2 tree with ``cpu.max`` per folder ("" is the root), this process in ``own``."""
    root = tmp_path / "cgroup"
    for folder, text in cpu_max.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "cpu.max").write_text(text + "\n")
    (root / own.strip("/")).mkdir(parents=True, exist_ok=True)
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text(f"0::{own}\n")
    return root, self_cgroup


def test_v2_quota_in_cores(tmp_path: Path) -> None:
    root, self_cgroup = _v2(tmp_path, {"job": "150000 100000"})
    assert cgroup_cpu_limit(root, self_cgroup) == pytest.approx(1.5)
    # 1.5 cores of quota: two threads can use them; never more than the affinity allows
    assert available_cores(affinity=8, root=root, self_cgroup=self_cgroup) == 2
    assert available_cores(affinity=1, root=root, self_cgroup=self_cgroup) == 1


def test_v2_unlimited_leaves_the_affinity(tmp_path: Path) -> None:
    root, self_cgroup = _v2(tmp_path, {"job": "max 100000"})
    assert cgroup_cpu_limit(root, self_cgroup) is None
    assert available_cores(affinity=6, root=root, self_cgroup=self_cgroup) == 6


def test_v2_a_parents_tighter_quota_binds(tmp_path: Path) -> None:
    root, self_cgroup = _v2(
        tmp_path, {"user": "100000 100000", "user/job": "400000 100000"}, own="/user/job"
    )
    assert cgroup_cpu_limit(root, self_cgroup) == pytest.approx(1.0)
    assert available_cores(affinity=16, root=root, self_cgroup=self_cgroup) == 1


def test_v1_cfs_quota(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    folder = root / "cpu,cpuacct" / "docker" / "abc"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text("300000\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n")
    assert cgroup_cpu_limit(root, self_cgroup) == pytest.approx(3.0)
    assert available_cores(affinity=32, root=root, self_cgroup=self_cgroup) == 3


def test_v1_no_quota_is_minus_one(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    (root / "cpu").mkdir(parents=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    self_cgroup = tmp_path / "self_cgroup"
    self_cgroup.write_text("2:cpu:/\n")
    assert cgroup_cpu_limit(root, self_cgroup) is None


def test_no_cgroup_files_at_all(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert cgroup_cpu_limit(missing, missing / "cgroup") is None
    assert available_cores(affinity=4, root=missing, self_cgroup=missing / "cgroup") == 4


def test_this_machine_has_at_least_one_core() -> None:
    assert available_cores() >= 1


def test_cores_are_shared_among_workers() -> None:
    large = 50 * PARAMS_PER_THREAD
    assert choose_threads(cores=8, workers=1, n_params=large, environ={}) == 8
    assert choose_threads(cores=8, workers=4, n_params=large, environ={}) == 2
    assert choose_threads(cores=8, workers=3, n_params=large, environ={}) == 2
    # more workers than cores: each still gets a thread
    assert choose_threads(cores=2, workers=4, n_params=large, environ={}) == 1


def test_a_tiny_model_gets_one_thread() -> None:
    # the example's GRU has ~7,000 parameters: splitting its work across threads only adds
    # synchronisation, and on a busy machine the barriers wait for descheduled threads
    assert choose_threads(cores=16, workers=1, n_params=20_000, environ={}) == 1
    assert choose_threads(cores=16, workers=1, n_params=PARAMS_PER_THREAD, environ={}) == 1
    assert choose_threads(cores=16, workers=1, n_params=3 * PARAMS_PER_THREAD, environ={}) == 3


def test_an_unknown_size_uses_the_cores() -> None:
    assert choose_threads(cores=4, workers=2, n_params=None, environ={}) == 2


def test_the_environment_forces_a_count() -> None:
    forced = {THREADS_ENV: "3"}
    assert choose_threads(cores=2, workers=2, n_params=100, environ=forced) == 3
    for bad in ("0", "-2", "two", "1.5"):
        with pytest.raises(UsageError, match=f"{THREADS_ENV}='{bad}'"):
            choose_threads(cores=2, workers=1, n_params=None, environ={THREADS_ENV: bad})


def test_idle_threads_sleep_unless_the_user_chose() -> None:
    env: dict[str, str] = {}
    quiet_idle_threads(env)
    assert env["OMP_WAIT_POLICY"] == "PASSIVE" and env["KMP_BLOCKTIME"] == "0"
    mine = {"OMP_WAIT_POLICY": "ACTIVE"}
    quiet_idle_threads(mine)
    assert mine["OMP_WAIT_POLICY"] == "ACTIVE"
