"""The local process pool on real small audits: equal results, failures recorded, budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditkit.audit import AuditOptions, run_audit
from auditkit.execute.store import RunStore
from tests.conftest import TINY_MODEL

pytestmark = pytest.mark.slow


def _audit(model: Path, out: str, **options: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {"rules": "quick", "seeds": 3, "cache": False}
    defaults.update(options)
    return run_audit(AuditOptions(model_file=str(model), out=out, **defaults)).document


def _numbers(doc: dict[str, Any]) -> list[Any]:
    return [
        (r["run_id"], r["test_metrics"], r["dev_metrics"], r["curves"], r["best_epoch"], r["error"])
        for r in doc["runs"]
    ]


def test_results_do_not_depend_on_jobs_or_seed_batching(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    model = write_model(TINY_MODEL)
    inline = _audit(model, "inline", jobs=0, seed_batch="off")
    pool = _audit(model, "pool", jobs=2, seed_batch="3")
    one = _audit(model, "one", jobs=1, seed_batch="2")
    assert inline["provenance"]["executor"] == "local, in this process"
    assert pool["provenance"]["executor"] == "local, 2 worker processes x 1 torch thread"
    assert "stacked model of 3 seeds" in pool["provenance"]["seed batching"]
    assert _numbers(inline) == _numbers(pool) == _numbers(one)
    assert inline["claims"] == pool["claims"] == one["claims"]


# The gru variant fails differently on each seed: seed 0 raises, seed 1 diverges (NaN),
# seed 2 hangs, seed 3 kills its own process; the bag baseline is fine.
FAILING = TINY_MODEL.replace(
    "@exp.variant\ndef gru(info):\n    return Gru(info)",
    """@exp.variant
def gru(info):
    seed = torch.initial_seed()
    if seed == 0:
        raise RuntimeError("boom in builder")
    if seed == 2:
        import time
        time.sleep(600)
    if seed == 3:
        import os
        os._exit(7)
    model = Gru(info)
    if seed == 1:
        with torch.no_grad():
            model.head.bias.fill_(float("nan"))
    return model""",
)


def test_raise_nan_hang_and_crash_become_recorded_failures(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    assert "boom in builder" in FAILING
    model = write_model(FAILING)
    doc = _audit(model, "o", seeds=4, jobs=2, run_timeout=4.0, cache=True)
    runs = {r["run_id"]: r for r in doc["runs"]}
    assert doc["summary"]["runs"]["total"] == 8
    assert doc["summary"]["runs"]["failed"] == 4
    errors = {
        r["spec"]["init_seed"]: r["error"] for r in runs.values() if r["spec"]["variant"] == "gru"
    }
    assert "RuntimeError: boom in builder" in errors[0]
    assert "the training loss became nan" in errors[1]
    assert "did not finish within --run-timeout 4s and was stopped" in errors[2]
    assert "died with exit code 7 (2 attempts)" in errors[3]
    assert all(r["error"] is None for r in runs.values() if r["spec"]["variant"] == "bag")
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert "0 of 4 seed pairs succeeded (4 runs failed)" in claim["reason"]
    assert doc["provenance"]["run timeout"] == "4s"
    # failures are recorded in the store, but never reused
    store = RunStore(in_tmp / ".auditkit" / "store.sqlite")
    assert (store.info().ok, store.info().failed) == (4, 4)
    store.close()


def test_budget_leaves_runs_undone_and_says_so(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    slow = TINY_MODEL.replace(
        "    def forward(self, batch):\n        states",
        "    def forward(self, batch):\n        import time\n\n        time.sleep(0.2)\n"
        "        states",
    )
    model = write_model(slow)
    doc = _audit(model, "o", seeds=2, jobs=1, seed_batch="off", budget=6.0, cache=True)
    undone = [r for r in doc["runs"] if r["error"] and r["error"].startswith("NotRun:")]
    assert undone, doc["provenance"]
    assert "--budget 6s ran out before this run finished" in undone[0]["error"]
    assert f"{len(undone)} of 4 runs left undone" in doc["provenance"]["budget"]
    # undone runs are not stored: a second audit resumes them
    store = RunStore(in_tmp / ".auditkit" / "store.sqlite")
    assert store.info().failed == 0
    store.close()
