"""``--seeds auto`` on a script audit: real script runs, added only where a claim is undecided."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from auditkit.cli import main
from auditkit.script.audit import ScriptOptions, run_script_audit
from auditkit.stats.sequential import SequentialDesign, StopReason, sequential_decisions
from tests.integration.test_resume_kill import _stored, kill_9_mid_audit

pytestmark = pytest.mark.slow

# Each arm draws its own noise from the seed the shim gives ``random`` (sd 0.5 points).
# "big" gains 10 points: its t statistic at 3 seeds is around 25, far past the first
# look's boundary (about 9), so it is decided at 3 seeds. "mid" gains 1.4 points (a gain of
# about 2 sds of the per-seed gain): its t at 3 seeds is around 3.5, far below 9, and the
# trend keeps its conditional power near 1, so it needs a later look.
GAINS = """\
import random, sys, time
time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]) if "--sleep" in sys.argv else 0.0)
index = ["base", "big", "mid"].index(sys.argv[sys.argv.index("--arm") + 1])
noise = [random.gauss(0.0, 0.005) for _ in range(3)][index]
print(f"acc: {0.70 + [0.0, 0.10, 0.014][index] + noise:.6f}")
"""

AUDIT = """\
name: adaptive-gains
command: python gains.py {sleep}
variants:
  base: "--arm base"
  big: "--arm big"
  mid: "--arm mid"
metrics: [acc]
claims:
  - big > base on acc
  - mid > base on acc
"""


def _project(folder: Path, sleep: float = 0.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gains.py").write_text(GAINS, encoding="utf-8")
    audit = AUDIT.replace("{sleep}", f"--sleep {sleep}" if sleep else "")
    (folder / "gains.yaml").write_text(textwrap.dedent(audit), encoding="utf-8")
    return folder


def _audit(folder: Path, out: str, *, cache: bool = True) -> dict[str, Any]:
    options = ScriptOptions(
        audit_file=str(folder / "gains.yaml"),
        adaptive=(3, 9),
        only=("AK101",),
        out=str(folder / out),
        cache=cache,
    )
    return dict(run_script_audit(options).document)


def test_script_seeds_auto_runs_only_what_undecided_claims_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _project(tmp_path / "p")
    monkeypatch.chdir(folder)
    doc = _audit(folder, "o")
    assert doc["adaptive"]["looks"] == [3, 5, 7, 9]
    assert "group-sequential paired t design, 3 to 9 seeds" in doc["provenance"]["design"]
    used = {c["variant"]: c["sequential"]["seeds_used"] for c in doc["claims"]}
    assert used["big"] == 3 and used["mid"] > 3
    assert all(c["verdict"] == "supported" for c in doc["claims"])
    seeds: dict[str, set[int]] = {}
    for run in doc["runs"]:
        seeds.setdefault(run["spec"]["variant"], set()).add(run["spec"]["init_seed"])
    # each variant ran exactly the seeds its claim used; the shared baseline the most
    assert seeds == {
        "big": set(range(3)),
        "mid": set(range(used["mid"])),
        "base": set(range(used["mid"])),
    }
    # the audit's decisions are the statistics layer's, replayed on the recorded gains
    design = SequentialDesign(min_seeds=3, max_seeds=9)
    stops = sequential_decisions([c["gains"] for c in doc["claims"]], design)
    assert [s.reason for s in stops] == [StopReason.IMPROVEMENT, StopReason.IMPROVEMENT]
    assert [len(s.looks) for s in stops] == [1, design.looks.index(used["mid"]) + 1]


def test_script_seeds_auto_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(tmp_path / "p")
    monkeypatch.chdir(folder)
    code = main(["check", "gains.yaml", "--seeds", "auto", "--only", "AK101", "--out", "o"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "decided at 3 seeds: improvement shown" in out and "/20 seeds" in out


def test_kill_9_mid_adaptive_script_audit_then_resume_reaches_the_same_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each run sleeps so that the kill lands in the second look (the first has 9 runs)
    slow = _project(tmp_path / "slow", sleep=0.3)
    store_path = slow / ".auditkit" / "store.sqlite"
    args = ["gains.yaml", "--seeds", "3..9", "--only", "AK101", "-q", "--out", "killed"]
    kill_9_mid_audit(args, slow, store_path, runs=10)
    assert not (slow / "killed" / "audit.json").exists()
    kept = _stored(store_path)
    assert kept >= 10

    monkeypatch.chdir(slow)
    resumed = _audit(slow, "resumed")
    assert resumed["summary"]["runs"]["cached"] >= kept
    # the same audit, nothing reused: the uninterrupted decision
    fresh = _audit(slow, "fresh", cache=False)
    assert resumed["claims"] == fresh["claims"]
    assert resumed["seeds"] == fresh["seeds"]
    assert {c["sequential"]["seeds_used"] for c in fresh["claims"]} - {3} != set()
