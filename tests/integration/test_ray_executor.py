"""The Ray executor against a real Ray cluster started on 127.0.0.1 by the test."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from auditkit.audit import AuditOptions, run_audit
from tests.conftest import REPO, TINY_MODEL

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray", reason="the Ray tests need the 'ray' extra")

#: keeps a single-machine cluster on the loopback interface (see the issue's notes), and
#: the head and the driver agree on authentication and usage statistics
RAY_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A two-CPU Ray head on 127.0.0.1, in its own process group, stopped afterwards."""
    port = _free_port()
    # Ray's socket paths must stay short: a private folder directly under /tmp.
    temp = tempfile.mkdtemp(prefix="akray-", dir="/tmp")
    env = {**os.environ, **RAY_ENV}
    ray_bin = str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen(
        [
            ray_bin, "start", "--head", "--block", "--node-ip-address=127.0.0.1",
            f"--port={port}", "--num-cpus=2", "--num-gpus=0", "--include-dashboard=false",
            "--disable-usage-stats", f"--temp-dir={temp}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert head.poll() is None, "ray start exited early"
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(0.5)
        yield address
    finally:
        # Stop only what this fixture started: the head's process group.
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if _group_gone(head.pid):
                break
            os.killpg(head.pid, sig)
            end = time.monotonic() + wait_s
            while not _group_gone(head.pid) and time.monotonic() < end:
                head.poll()
                time.sleep(0.2)
        head.wait(timeout=10)
        shutil.rmtree(temp, ignore_errors=True)


def _numbers(doc: dict[str, Any]) -> list[Any]:
    return [
        (r["run_id"], r["test_metrics"], r["curves"], r["best_epoch"], r["error"])
        for r in doc["runs"]
    ]


def test_ray_executor_equals_the_local_one(
    ray_cluster: str,
    write_model: Callable[[str], Path],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in RAY_ENV.items():
        monkeypatch.setenv(key, value)
    model = write_model(TINY_MODEL)
    common: dict[str, Any] = {"model_file": str(model), "rules": "quick", "seeds": 3}
    on_ray = run_audit(
        AuditOptions(**common, out="ray", executor="ray", address=ray_cluster)
    ).document
    assert on_ray["provenance"]["executor"].startswith(f"ray at {ray_cluster}, 2 actors")
    assert on_ray["summary"]["runs"] == {"total": 6, "failed": 0, "cached": 0}
    local = run_audit(AuditOptions(**common, out="local", cache=False, jobs=2)).document
    assert _numbers(on_ray) == _numbers(local)
    assert on_ray["claims"] == local["claims"]
    # the Ray results went into the same run store: a local audit reuses them all
    again = run_audit(AuditOptions(**common, out="again", jobs=2)).document
    assert again["summary"]["runs"]["cached"] == 6
    assert not ray.is_initialized()


def test_a_hung_run_on_ray_is_stopped_and_recorded(
    ray_cluster: str,
    write_model: Callable[[str], Path],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in RAY_ENV.items():
        monkeypatch.setenv(key, value)
    hang = TINY_MODEL.replace(
        "@exp.variant\ndef gru(info):\n",
        "@exp.variant\ndef gru(info):\n    if torch.initial_seed() == 1:\n"
        "        import time\n\n        time.sleep(600)\n",
    )
    model = write_model(hang)
    doc = run_audit(
        AuditOptions(
            model_file=str(model),
            rules="quick",
            seeds=2,
            out="o",
            cache=False,
            executor="ray",
            address=ray_cluster,
            seed_batch="off",
            run_timeout=5.0,
        )
    ).document
    errors = [r["error"] for r in doc["runs"] if r["error"]]
    assert len(errors) == 1
    assert "did not finish within --run-timeout 5s" in errors[0]
    assert "Ray actor was killed" in errors[0]


def test_a_cross_validated_estimator_audit_on_ray_equals_the_local_one(
    ray_cluster: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # scikit-learn estimators and a torch MLP on feature arrays, one CV fold per seed:
    # each Ray actor rebuilds the folds from the model file it was shipped
    for key, value in RAY_ENV.items():
        monkeypatch.setenv(key, value)
    model = REPO / "examples" / "features" / "model.py"
    common: dict[str, Any] = {"model_file": str(model), "rules": "quick", "cache": False}
    on_ray = run_audit(
        AuditOptions(**common, out="ray", executor="ray", address=ray_cluster)
    ).document
    local = run_audit(AuditOptions(**common, out="local", jobs=2)).document
    assert on_ray["summary"]["runs"] == {"total": 15, "failed": 0, "cached": 0}
    assert _numbers(on_ray) == _numbers(local)
    assert on_ray["claims"] == local["claims"]


def test_script_runs_on_ray_equal_the_local_ones(
    ray_cluster: str, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditkit.script.audit import ScriptOptions, run_script_audit

    for key, value in RAY_ENV.items():
        monkeypatch.setenv(key, value)
    (in_tmp / "train.py").write_text(
        "import random\nprint(f'acc: {0.5 + random.random() / 10:.6f}')\n", encoding="utf-8"
    )
    common: dict[str, Any] = {"command": ("python", "train.py"), "seeds": 3, "only": ("AK104",)}
    on_ray = run_script_audit(
        ScriptOptions(**common, out="ray", executor="ray", address=ray_cluster)
    ).document
    assert on_ray["provenance"]["executor"].startswith(f"ray at {ray_cluster}")
    assert on_ray["summary"]["runs"] == {"total": 3, "failed": 0, "cached": 0}
    assert {r["trace"]["env"]["AUDITKIT_SEED"] for r in on_ray["runs"]} == {"0", "1", "2"}
    local = run_script_audit(ScriptOptions(**common, out="local", cache=False)).document
    assert [r["test_metrics"] for r in on_ray["runs"]] == [r["test_metrics"] for r in local["runs"]]
    assert not ray.is_initialized()
