"""``compare MULTIRUN``: a real Hydra multirun of a tiny script, and the run-folder readers."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auditkit.cli import main
from auditkit.sources import At, read_run_metrics
from tests.sources_data import RUNS, assert_same_claims, compare, write_runs_csv

SCRIPT = """
import json
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig


def accuracy(variant, seed):
    base = 0.70 + 0.004 * seed
    if variant == "rel":
        return base + 0.02 + 0.002 * (seed % 3)
    if variant == "twin":
        return base + 0.001 * (1 if seed % 2 else -1)
    return base


@hydra.main(version_base=None, config_path="conf", config_name="config")
def train(cfg):
    out = Path(HydraConfig.get().runtime.output_dir)
    acc = accuracy(cfg.model.name, cfg.seed)
    (out / "metrics.json").write_text(json.dumps({"accuracy": acc, "loss": 1.0 - acc}))


if __name__ == "__main__":
    train()
"""


@pytest.fixture(scope="module")
def multirun(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``train.py -m model.name=gru,rel,twin seed=0,...,5``; return the sweep folder."""
    project = tmp_path_factory.mktemp("hydra")
    (project / "conf").mkdir()
    (project / "conf" / "config.yaml").write_text("model:\n  name: gru\nseed: 0\n")
    (project / "train.py").write_text(textwrap.dedent(SCRIPT))
    done = subprocess.run(
        [
            sys.executable,
            "train.py",
            "-m",
            "model.name=gru,rel,twin",
            "seed=0,1,2,3,4,5",
            "hydra.sweep.dir=multirun",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return project / "multirun"


@pytest.mark.slow
def test_hydra_multirun_gives_the_verdicts_of_its_runs_csv(multirun: Path, in_tmp: Path) -> None:
    args = ("--variant-key", "model.name", "--metric", "accuracy")
    code, doc = compare(str(multirun), in_tmp / "h", *args)
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, a) for v, s, a, _ in RUNS])
    csv_code, csv_doc = compare(str(runs_csv), in_tmp / "c")
    assert code == csv_code == 1
    assert_same_claims(doc, csv_doc)
    assert doc["provenance"]["runs source"] == (
        f"Hydra multirun {multirun} (18 jobs; metrics from metrics.json)"
    )


@pytest.mark.slow
def test_hydra_job_without_metrics_is_named(
    multirun: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = shutil.copytree(multirun, tmp_path / "sweep")
    (copy / "4" / "metrics.json").unlink()  # job 4: model.name=gru, seed=4
    args = ["--variant-key", "model.name", "--metric", "accuracy", "--out", str(tmp_path / "o")]
    assert main(["compare", str(copy), "--baseline", "gru", *args]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert f"{copy}: 1 of 18 runs failed: {copy / '4'} (no metrics file)" in err
    # counted as a failed seed when allowed
    assert main(["compare", str(copy), "--baseline", "gru", *args, "--allow-failed", "-q"]) == 1
    claims = json.loads((tmp_path / "o" / "audit.json").read_text())["claims"]
    assert claims[0]["seeds"] == [0, 1, 2, 3, 5]
    assert claims[0]["failed_runs"] == 1


# ------------------------------------------------------------ run-folder metric files


def test_metrics_json_nested_values_flatten(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").write_text(
        json.dumps({"test": {"acc": 0.7, "f1": 0.6}, "epochs": 3, "note": "x", "ok": True})
    )
    assert read_run_metrics(tmp_path) == (
        {"test/acc": 0.7, "test/f1": 0.6, "epochs": 3.0},
        "metrics.json",
    )


def test_hugging_face_results_files(tmp_path: Path) -> None:
    (tmp_path / "eval_results.json").write_text(json.dumps({"eval_accuracy": 0.81}))
    assert read_run_metrics(tmp_path) == ({"eval_accuracy": 0.81}, "eval_results.json")
    # all_results.json (written at the end of training) wins over eval_results.json
    (tmp_path / "all_results.json").write_text(json.dumps({"eval_accuracy": 0.82, "epoch": 3.0}))
    assert read_run_metrics(tmp_path)[1] == "all_results.json"


def test_lightning_metrics_csv_last_and_best(tmp_path: Path) -> None:
    folder = tmp_path / "lightning_logs" / "version_0"
    folder.mkdir(parents=True)
    with (folder / "metrics.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["epoch", "step", "train_loss", "val_acc"])
        writer.writerows([[0, 9, 0.9, ""], [0, 9, "", 0.70], [1, 19, 0.5, ""]])
        writer.writerows([[1, 19, "", 0.78], [2, 29, 0.4, ""], [2, 29, "", 0.75]])
    metrics, source = read_run_metrics(tmp_path)
    assert source == str(Path("lightning_logs") / "version_0" / "metrics.csv")
    assert metrics == {"train_loss": 0.4, "val_acc": 0.75}
    assert read_run_metrics(tmp_path, at=At.BEST)[0]["val_acc"] == 0.78


def test_tensorboard_events_in_a_run_folder(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=str(tmp_path / "tb")) as writer:
        for step, value in enumerate((0.5, 0.75, 0.625)):
            writer.add_scalar("val/acc", value, step)
    assert read_run_metrics(tmp_path) == ({"val/acc": 0.625}, "tb")
    assert read_run_metrics(tmp_path, at=At.BEST)[0] == {"val/acc": 0.75}


def test_no_metrics_file_and_a_broken_one(tmp_path: Path) -> None:
    assert read_run_metrics(tmp_path) == ({}, "")
    (tmp_path / "metrics.json").write_text("[0.7]")
    with pytest.raises(Exception, match="holds a JSON list, not an object of metrics"):
        read_run_metrics(tmp_path)
