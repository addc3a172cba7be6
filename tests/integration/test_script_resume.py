"""kill -9 in the middle of a script audit, then resume: finished script runs are reused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from auditkit.execute.store import RunStore
from auditkit.script.audit import ScriptOptions, run_script_audit
from tests.conftest import REPO
from tests.integration.test_resume_kill import _gone, _stored

pytestmark = pytest.mark.slow

# Each run takes about a second, so the kill lands while a script is running.
SLOW_SCRIPT = """\
import os, random, time
time.sleep(0.6)
print(f"acc: {0.6 + random.random() / 10:.6f}")
"""
COMMAND = ("python", "slow.py")


def _pids(root: Path) -> list[int]:
    """Process ids of every script the audit started (from the shim's start events)."""
    pids = []
    for trace in root.glob(".auditkit/script-runs/*/trace.jsonl"):
        for line in trace.read_text().splitlines():
            event = json.loads(line)
            if event.get("event") == "start":
                pids.append(int(event["pid"]))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie waiting for its reaper is dead for our purpose
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_mid_script_audit_then_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW_SCRIPT))
    store_path = tmp_path / ".auditkit" / "store.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["--seeds", "5", "--only", "AK104", "-q", "--out", "killed"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit", "check", *args, "--", *COMMAND],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while _stored(store_path) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, "the audit ended before it could be killed"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if not _gone(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    # the script in flight dies with the audit (it runs in a session of its own)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in _pids(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in _pids(tmp_path)), "a script outlived the killed audit"
    assert not (tmp_path / "killed" / "audit.json").exists()
    store = RunStore(store_path)
    before = store.keys()
    store.close()
    assert 2 <= len(before) < 5

    monkeypatch.chdir(tmp_path)
    options = ScriptOptions(command=COMMAND, seeds=5, only=("AK104",), out="resumed")
    resumed = run_script_audit(options).document
    assert resumed["summary"]["runs"] == {"total": 5, "failed": 0, "cached": len(before)}
    store = RunStore(store_path)
    after = store.keys()
    store.close()
    assert {k: after[k] for k in before} == before and len(after) == 5
    fresh = run_script_audit(
        ScriptOptions(command=COMMAND, seeds=5, only=("AK104",), out="fresh", cache=False)
    ).document
    assert [r["test_metrics"] for r in resumed["runs"]] == [
        r["test_metrics"] for r in fresh["runs"]
    ]
