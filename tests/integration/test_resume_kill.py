"""kill -9 in the middle of an audit, then resume: finished runs are reused, the report equal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.audit import AuditOptions, run_audit
from auditkit.execute.store import RunStore
from tests.conftest import REPO, TINY_MODEL

pytestmark = pytest.mark.slow

# Each training step sleeps, so a run takes about a second and the kill lands mid-audit.
SLOW = TINY_MODEL.replace(
    "    def forward(self, batch):\n        mask",
    "    def forward(self, batch):\n        if self.training:\n            import time\n"
    "            time.sleep(0.04)\n        mask",
)
ARGS = ["--rules", "quick", "--seeds", "4", "--jobs", "2", "--seed-batch", "off", "-q"]


def _stored(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT COUNT(*) FROM runs WHERE ok = 1").fetchone()[0])
        finally:
            db.close()
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def _default_sigint() -> None:
    """Run in the child before exec: Ctrl-C does what it does in a terminal.

    A process started with SIGINT ignored (pytest run as a background job, ``nohup``, some
    CI runners) passes that on to its children, and a Python started so never raises
    KeyboardInterrupt; the test must not depend on how pytest was started.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def kill_9_mid_audit(args: list[str], cwd: Path, store_path: Path, runs: int = 3) -> None:
    """Start ``auditkit check ARGS`` and kill -9 it once ``runs`` runs are stored.

    Only the audit process is killed, as a user or the OOM killer would; its worker
    processes must notice and exit by themselves (asserted). Whatever happens, the process
    group is gone when this returns.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit", "check", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers can be watched
    )
    try:
        deadline = time.monotonic() + 120
        while _stored(store_path) < runs and time.monotonic() < deadline:
            assert proc.poll() is None, "the audit ended before it could be killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # its workers notice and exit by themselves
        deadline = time.monotonic() + 15
        while not _gone(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(proc.pid), "worker processes outlived the killed audit"
    finally:
        if not _gone(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


def test_kill_9_then_resume_reuses_finished_runs_and_reaches_the_same_report(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    assert "time.sleep(0.04)" in SLOW
    model = write_model(SLOW)
    store_path = in_tmp / ".auditkit" / "store.sqlite"
    kill_9_mid_audit([str(model), *ARGS, "--out", "killed"], in_tmp, store_path)
    assert not (in_tmp / "killed" / "audit.json").exists()

    store = RunStore(store_path)
    before = store.keys()
    store.close()
    assert 3 <= len(before) < 8, f"{len(before)} runs were stored before the kill"

    resumed = run_audit(
        AuditOptions(
            model_file=str(model), rules="quick", seeds=4, jobs=2, seed_batch="off", out="resumed"
        )
    ).document
    assert resumed["summary"]["runs"]["cached"] == len(before)
    assert resumed["summary"]["runs"]["failed"] == 0
    store = RunStore(store_path)
    after = store.keys()
    store.close()
    # every run stored before the kill is the same row, never retrained and rewritten
    assert {k: after[k] for k in before} == before
    assert len(after) == 8

    fresh = run_audit(
        AuditOptions(
            model_file=str(model),
            rules="quick",
            seeds=4,
            jobs=2,
            seed_batch="off",
            out="fresh",
            cache=False,
        )
    ).document
    assert resumed["claims"] == fresh["claims"]
    assert [r["test_metrics"] for r in resumed["runs"]] == [
        r["test_metrics"] for r in fresh["runs"]
    ]
    saved = json.loads((in_tmp / "resumed" / "audit.json").read_text())
    assert saved["claims"] == fresh["claims"]


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_ctrl_c_exits_2_keeps_finished_runs_and_says_how_to_resume(
    write_model: Callable[[str], Path], in_tmp: Path, jobs: str
) -> None:
    model = write_model(SLOW)
    store_path = in_tmp / ".auditkit" / "store.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["--rules", "quick", "--seeds", "4", "--jobs", jobs, "--seed-batch", "off", "-q"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit", "check", str(model), *args, "--out", "stopped"],
        cwd=in_tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    try:
        deadline = time.monotonic() + 120
        while _stored(store_path) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, "the audit ended before Ctrl-C"
            time.sleep(0.05)
        # Ctrl-C in a terminal signals the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 2, err
    assert "Interrupted. Every finished run is in .auditkit/store.sqlite" in err
    assert "run the same command again to resume" in err
    assert "Traceback" not in err
    kept = _stored(store_path)
    assert kept >= 2
    # resuming reuses what was kept and finishes
    done = run_audit(
        AuditOptions(
            model_file=str(model), rules="quick", seeds=4, jobs=0, seed_batch="off", out="resumed"
        )
    ).document
    assert done["summary"]["runs"]["cached"] >= kept
