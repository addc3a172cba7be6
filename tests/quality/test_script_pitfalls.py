"""Script mode: small real scripts, each planted with one pitfall, audited as they are.

Every script under ``tests/quality/scripts/`` trains a numpy logistic regression on
SPR-style CSV files generated here (label: more ``▲`` than ``■``, 10% label noise, so an
honest model scores about 90% against a majority rate near 59%). The clean twin
(``clean.py``) passes every script rule; each planted script trips the rule that names its
pitfall. The pitfalls are strong (data the script makes up, 200 of 1000 test rows, dev
scored as test), so no machine's numerics can flip an outcome.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from auditkit.cli import main
from tests.quality.conftest import rule_row

pytestmark = pytest.mark.slow

SCRIPTS = Path(__file__).parent / "scripts"
SHAPES, COLORS = "▲■●◆", "rgby"
DATA = {"train": "data/train.csv", "dev": "data/dev.csv", "test": "data/test.csv"}
#: the rules of script mode this file exercises; AK203 runs on the declared data
RULES = ("AK104", "AK206", "AK207", "AK505")


def write_data(
    root: Path,
    *,
    folder: str = "data",
    noise: float = 0.1,
    length: tuple[int, int] = (4, 9),
    leak: int = 0,
    seed: int = 0,
) -> None:
    """{folder}/{train,dev,test}.csv: 1000 / 300 / 1000 rows, a share ``noise`` of labels
    flipped; ``leak`` test rows copied into train."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[tuple[str, str, int]]] = {}
    for split, n in (("train", 1000), ("dev", 300), ("test", 1000)):
        rows[split] = []
        for i in range(n):
            size = int(rng.integers(*length))
            sequence = " ".join(
                SHAPES[rng.integers(4)] + COLORS[rng.integers(4)] for _ in range(size)
            )
            label = int(sequence.count("▲") > sequence.count("■"))
            if rng.random() < noise:
                label = 1 - label
            rows[split].append((f"{split}_{i}", sequence, label))
    rows["train"][:leak] = [(f"copy_{i}", s, y) for i, s, y in rows["test"][:leak]]
    (root / folder).mkdir()
    for split, items in rows.items():
        text = "id,sequence,label\n" + "".join(f"{i},{s},{y}\n" for i, s, y in items)
        (root / folder / f"{split}.csv").write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project folder with the scripts and generated data; the current directory."""
    for script in SCRIPTS.glob("*.py"):
        shutil.copy(script, tmp_path / script.name)
    write_data(tmp_path)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


Audit = Callable[..., dict[str, Any]]


@pytest.fixture
def audit(project: Path) -> Audit:
    """Run ``auditkit check`` on a script in ``project``; returns ``audit.json``.

    ``declared=True`` writes an audit file naming the data; otherwise the zero-set-up
    form ``auditkit check -- python SCRIPT --seed 0`` runs. An audit that ends in a usage
    error (``exit_code`` 4) writes no report: the result is then ``{}``.
    """
    counter = iter(range(100))

    def run(
        script: str,
        *args: str,
        declared: bool = True,
        rules: tuple[str, ...] = RULES,
        exit_code: tuple[int, ...] = (0, 1),
        data: dict[str, str] = DATA,
    ) -> dict[str, Any]:
        n = next(counter)
        command = ["python", script, "--seed", "0", *args]
        if declared:
            path = project / f"audit_{n}.yaml"
            body = {
                "name": script.removesuffix(".py"),
                "command": f"python {script} --seed {{seed}} {' '.join(args)}".strip(),
                "variants": {"model": {}},
                "data": data,
                "metrics": ["test_acc"],
            }
            path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
            target = [str(path)]
        else:
            target = ["--", *command]
        only = [flag for rule in rules for flag in ("--only", rule)]
        options = ["--seeds", "2", "-j", "0", "-q", "--no-cache", "--out", f"out_{n}"]
        code = main(["check", *options, *only, *target])
        assert code in exit_code, f"auditkit check exited {code}"
        report = project / f"out_{n}" / "audit.json"
        doc: dict[str, Any] = json.loads(report.read_text()) if report.is_file() else {}
        return doc

    return run


def outcome(doc: dict[str, Any], rule_id: str) -> tuple[str, str]:
    row = rule_row(doc, rule_id)
    return row["outcome"], row["reason"]


def test_the_clean_twin_passes_every_script_rule(audit: Audit) -> None:
    doc = audit("clean.py")
    for rule_id in RULES:
        assert outcome(doc, rule_id)[0] == "pass", (rule_id, outcome(doc, rule_id))
    accuracies = [r["test_metrics"]["test_acc"] for r in doc["runs"] if "nominal" in r["run_id"]]
    assert len(accuracies) == 2 and all(0.8 < a < 0.97 for a in accuracies)
    # zero set-up: the files the first run read become the data, and the report says so
    doc = audit("clean.py", declared=False, rules=("AK206", "AK207"))
    assert outcome(doc, "AK206")[0] == "pass"
    state, reason = outcome(doc, "AK207")
    assert state == "pass" and "data found in the first run's reads, not declared" in reason


def test_hard_coded_seed_is_named_with_its_line(audit: Audit) -> None:
    source = (SCRIPTS / "hardcoded_seed.py").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(source, 1) if "np.random.seed(42)" in text)
    state, reason = outcome(audit("hardcoded_seed.py", declared=False, rules=("AK104",)), "AK104")
    assert state == "fail" and f"numpy.random.seed(42) at hardcoded_seed.py:{line}" in reason


def test_silent_synthetic_data_is_found(audit: Audit) -> None:
    # zero set-up: the script looked for SPR_BENCH/train.csv, then read no data file
    state, reason = outcome(audit("synthetic.py", declared=False, rules=("AK207",)), "AK207")
    assert state == "fail" and "silent synthetic fallback" in reason
    assert "SPR_BENCH/train.csv" in reason
    # declared: the score ignores the declared files entirely
    doc = audit("synthetic.py", rules=("AK206", "AK207"))
    state, reason = outcome(doc, "AK206")
    assert state == "fail" and "with the training labels permuted" in reason
    assert "does not score the declared test file" in reason
    assert outcome(doc, "AK207")[1].startswith("no run read any of the data files")


def test_silent_subsampling_is_found(audit: Audit) -> None:
    state, reason = outcome(audit("subsample.py", rules=("AK207",)), "AK207")
    assert state == "fail"
    assert "predictions.csv holds 200 rows where the declared test file has 1000" in reason


def test_dev_scored_as_test_is_found(audit: Audit) -> None:
    doc = audit("dev_as_test.py", rules=("AK206", "AK207"))
    state, reason = outcome(doc, "AK206")
    assert state == "fail" and "does not score the declared test file" in reason
    # it does read every file: only the data-influence runs show what it scores
    assert outcome(doc, "AK207")[0] == "pass"


def test_a_crash_caught_by_the_script_is_a_failed_run(
    audit: Audit, capsys: pytest.CaptureFixture[str]
) -> None:
    # every run exits 0 without a metric: a usage error naming what was tried, runs kept
    assert audit("crash_caught.py", rules=("AK505",), exit_code=(4,)) == {}
    message = capsys.readouterr().err
    assert "The 2 failed run(s) are recorded" in message
    assert "no source held test_acc" in message
    assert "A script that catches its own crash and exits 0 looks like this too" in message
    assert "too many indices for array" in message  # the last lines of its output


def test_a_percentage_is_read_as_a_fraction_and_a_bare_one_is_impossible(audit: Audit) -> None:
    doc = audit("percent.py", declared=False, rules=("AK505",))
    run = next(r for r in doc["runs"] if "nominal" in r["run_id"])
    ((name, value),) = run["test_metrics"].items()
    assert 0.8 < value < 0.97 and "%" in run["trace"]["metric_notes"][name]
    assert outcome(doc, "AK505")[0] == "pass"
    state, reason = outcome(audit("percent.py", "--bare", rules=("AK505",)), "AK505")
    assert state == "fail" and "outside [0, 1]" in reason


def test_writing_into_the_data_folder_is_found(audit: Audit) -> None:
    state, reason = outcome(audit("writes_data.py", rules=("AK207",)), "AK207")
    assert state == "warn"
    assert "writes into the data folder (data/train_features.npy)" in reason


def test_leakage_rule_runs_on_declared_script_data(project: Path, audit: Audit) -> None:
    # long sequences: chance near-copies are rare, so only the planted copies count
    shutil.rmtree(project / "data")
    write_data(project, length=(10, 14))
    state, reason = outcome(audit("clean.py", rules=("AK203",)), "AK203")
    assert state == "pass", reason
    shutil.rmtree(project / "data")
    write_data(project, length=(10, 14), leak=100)
    state, reason = outcome(audit("clean.py", rules=("AK203",)), "AK203")
    assert state == "fail" and "10.0%" in reason, reason


def test_noise_ceiling_rule_reads_a_scripts_accuracy_on_declared_data(
    project: Path, audit: Audit
) -> None:
    # 30% of the labels flipped, as the folder name says: about 70% is the ceiling
    write_data(project, folder="noise-30%", noise=0.3)
    data = {split: f"noise-30%/{split}.csv" for split in ("train", "dev", "test")}
    honest = audit("clean.py", "--data", "noise-30%", rules=("AK205",), data=data)
    state, reason = outcome(honest, "AK205")
    assert state == "pass", reason
    # a label cache built from the test file scores far above what the noise allows, and
    # its score rests on the test labels, not on the train file's
    leaky = audit("leaky.py", "--data", "noise-30%", rules=("AK205", "AK206"), data=data)
    state, reason = outcome(leaky, "AK205")
    assert state == "fail" and "above the 70.0% ceiling" in reason, reason
    state, reason = outcome(leaky, "AK206")
    assert state == "fail" and "does not rest on the declared train file's labels" in reason
    assert "or it reads the test labels it is scored on" in reason
