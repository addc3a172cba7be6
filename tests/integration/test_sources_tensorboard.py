"""``compare LOGDIR``: TensorBoard event files written by torch's SummaryWriter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from auditkit.cli import main
from tests.sources_data import RUNS, assert_same_claims, compare, write_runs_csv


def _f32(x: float) -> float:
    """What a TensorBoard scalar keeps of a float (event files store float32)."""
    return float(np.float32(x))


def _write_logdir(root: Path, *, hparams: bool = False) -> Path:
    """One sub-folder per run; accuracy over 3 steps, its best value midway."""
    for i, (variant, seed, acc, loss) in enumerate(RUNS):
        folder = root / (f"run{i:02d}" if hparams else f"{variant}_seed{seed}")
        with SummaryWriter(log_dir=str(folder)) as writer:
            for step, value in enumerate((acc - 0.05, acc + 0.01, acc)):
                writer.add_scalar("accuracy", value, step)
            writer.add_scalar("loss", loss, 2)
            if hparams:
                writer.add_hparams({"model": variant, "seed": seed}, {"hp/final": acc})
    return root


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_logdir(tmp_path_factory.mktemp("tb") / "runs")


def test_tensorboard_logdir_gives_the_verdicts_of_its_runs_csv(logdir: Path, in_tmp: Path) -> None:
    code, doc = compare(str(logdir), in_tmp / "t", "--metric", "accuracy")
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, _f32(a)) for v, s, a, _ in RUNS])
    csv_code, csv_doc = compare(str(runs_csv), in_tmp / "c")
    assert code == csv_code == 1
    assert_same_claims(doc, csv_doc)
    assert doc["provenance"]["runs source"] == (
        f"TensorBoard log folder {logdir} (18 runs, last value of each tag)"
    )
    # --at best: the midway value, 1 point above the last, on every run alike
    _, best = compare(str(logdir), in_tmp / "b", "--metric", "accuracy", "--at", "best")
    rel = [a for v, s, a, _ in RUNS if v == "rel"]
    assert best["claims"][0]["variant_scores"] == pytest.approx([a + 0.01 for a in rel], abs=1e-6)


def test_hparams_name_variant_and_seed(tmp_path: Path, in_tmp: Path) -> None:
    logdir = _write_logdir(tmp_path / "hp", hparams=True)
    code, doc = compare(str(logdir), in_tmp / "h", "--metric", "accuracy", "--variant-key", "model")
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, _f32(a)) for v, s, a, _ in RUNS])
    _, csv_doc = compare(str(runs_csv), in_tmp / "c")
    assert code == 1
    assert_same_claims(doc, csv_doc)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--metric", "acuracy"),
            "no run logs the tag 'acuracy'. Did you mean 'accuracy'? The tags logged, nearest "
            "first: accuracy, loss",
        ),
        ((), "the runs log 2 tags (accuracy, loss); name the one(s) claimed on with --metric"),
        (
            ("--metric", "accuracy", "--seed-key", "s"),
            "18 of 18 runs have no parameter 'variant' or 's'",
        ),
    ],
)
def test_bad_tensorboard_input_exits_4(
    logdir: Path,
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    assert main(["compare", str(logdir), "--baseline", "gru", *args]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert f"{logdir}: {expected}" in err
    assert "Traceback" not in err


def test_a_run_folder_without_a_seed_in_its_name(
    tmp_path: Path, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "logs"
    for name in ("gru_seed0", "gru_seed1", "rel_seed0", "rel-final"):
        with SummaryWriter(log_dir=str(root / name)) as writer:
            writer.add_scalar("accuracy", 0.7, 0)
    assert main(["compare", str(root), "--baseline", "gru"]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert f"1 of 4 runs have no parameter 'variant' or 'seed': {root / 'rel-final'}" in err
    assert "or name each run's folder like gru_seed3" in err


def test_log_to_mlflow_from_a_tensorboard_audit(
    logdir: Path, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    store = in_tmp / "mlruns"
    args = ["--metric", "accuracy", "--log-to", "mlflow", "--tracking-uri", str(store)]
    assert main(["compare", str(logdir), "--baseline", "gru", "--out", "o", "-q", *args]) == 1
    # an audit of runs from elsewhere goes to the experiment 'auditkit'
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.MlflowClient(tracking_uri=str(store))
    exp = client.get_experiment_by_name("auditkit")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.data.tags["auditkit.verdict.twin_vs_gru.accuracy"] == "refuted"
    assert run.data.tags["auditkit.source"].startswith(f"TensorBoard log folder {logdir}")
    assert "gru_seed0, gru_seed1" in run.data.tags["auditkit.audited_runs"]
    assert {"audit.json", "report.html", "report.pdf"} <= {
        a.path for a in client.list_artifacts(run.info.run_id)
    }
