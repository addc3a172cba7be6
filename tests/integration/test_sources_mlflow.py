"""``compare mlflow:EXPERIMENT``: a real MLflow store filled through the MLflow client."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest

from auditkit.cli import main
from tests.sources_data import RUNS, assert_same_claims, compare, write_runs_csv


def _log_runs(
    client: Any, experiment_id: str, *, best_bump: float = 0.0, runs: list[Any] | None = None
) -> list[str]:
    """Log runs: params model and seed, accuracy over 3 steps (the last is the final)."""
    from mlflow.entities import Metric, Param

    ids = []
    for variant, seed, acc, loss in RUNS if runs is None else runs:
        rid = client.create_run(experiment_id, run_name=f"{variant}-{seed}").info.run_id
        # a better value midway (a checkpoint the audit must not pick unless --at best)
        bump = best_bump * (2 if variant == "rel" else 1)
        steps = (acc - 0.05, acc + bump, acc)
        client.log_batch(
            rid,
            metrics=[Metric("accuracy", v, 0, step) for step, v in enumerate(steps)]
            + [Metric("loss", loss, 0, 0)],
            params=[Param("model", variant), Param("seed", str(seed)), Param("lr", "0.001")],
        )
        client.set_terminated(rid)
        ids.append(rid)
    return ids


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Path]]:
    """A SQLite store with experiment 'relational-vs-gru' and a few broken ones."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    good = client.create_experiment("relational-vs-gru", artifact_location=str(folder / "art"))
    _log_runs(client, good, best_bump=0.01)

    def broken(name: str, runs: list[Any] | None = None) -> tuple[str, list[str]]:
        eid = client.create_experiment(name, artifact_location=str(folder / name))
        return eid, _log_runs(client, eid, runs=runs)

    _, ids = broken("failed", RUNS[:12])
    client.set_terminated(ids[3], "FAILED")
    client.set_terminated(ids[8], "KILLED")
    _, ids = broken("running", RUNS[:4])
    client.update_run(ids[0], "RUNNING")
    eid, _ = broken("duplicate", RUNS[6:9])
    dup = client.create_run(eid, run_name="rel-again")
    # the variant as a tag: a run's tags stand in for params it did not log
    client.set_tag(dup.info.run_id, "model", "rel")
    client.log_param(dup.info.run_id, "seed", 2)
    client.log_metric(dup.info.run_id, "accuracy", 0.9)
    client.set_terminated(dup.info.run_id)
    eid, _ = broken("missing-param", RUNS[:2])
    odd = client.create_run(eid, run_name="no-seed")
    client.log_param(odd.info.run_id, "model", "rel")
    client.log_param(odd.info.run_id, "random_seed", 9)
    client.log_metric(odd.info.run_id, "accuracy", 0.9)
    client.set_terminated(odd.info.run_id)
    yield uri, client, folder


def test_mlflow_experiment_gives_the_verdicts_of_its_runs_csv(
    store: tuple[str, Any, Path], in_tmp: Path
) -> None:
    uri, client, _ = store
    args = ("--tracking-uri", uri, "--variant-key", "model", "--metric", "accuracy")
    code, doc = compare("mlflow:relational-vs-gru", in_tmp / "m", *args)
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, a) for v, s, a, _ in RUNS])
    csv_code, csv_doc = compare(str(runs_csv), in_tmp / "c")
    assert code == csv_code == 1  # the twin claim is refuted
    assert_same_claims(doc, csv_doc)
    # the provenance names the store, the experiment and every run
    exp = client.get_experiment_by_name("relational-vs-gru")
    prov = doc["provenance"]
    assert prov["runs source"] == (
        f"MLflow experiment 'relational-vs-gru' (id {exp.experiment_id}) at {uri}"
    )
    run_ids = [r.info.run_id for r in client.search_runs([exp.experiment_id])]
    assert prov["MLflow runs"].startswith(f"{len(RUNS)}: ")
    assert all(rid in prov["MLflow runs"] for rid in run_ids)
    # the same experiment by its id
    code_id, doc_id = compare(f"mlflow:{exp.experiment_id}", in_tmp / "i", *args)
    assert code_id == 1
    assert_same_claims(doc_id, csv_doc)


def test_at_best_reads_the_metric_history(store: tuple[str, Any, Path], in_tmp: Path) -> None:
    uri, _, _ = store
    args = ("--tracking-uri", uri, "--variant-key", "model", "--metric", "accuracy")
    _, last = compare("mlflow:relational-vs-gru", in_tmp / "l", *args)
    _, best = compare("mlflow:relational-vs-gru", in_tmp / "b", *args, "--at", "best")
    rel_last, rel_best = last["claims"][0], best["claims"][0]
    expected = [a for v, s, a, _ in RUNS if v == "rel"]
    assert rel_last["variant_scores"] == pytest.approx(expected)
    # the midway checkpoint is 2 points above the final value for rel, 1 for gru
    assert rel_best["variant_scores"] == pytest.approx([a + 0.02 for a in expected])
    assert rel_best["gain"]["mean"] == pytest.approx(rel_last["gain"]["mean"] + 0.01)


def test_log_to_mlflow_records_the_audit(
    store: tuple[str, Any, Path], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, client, _ = store
    args = ["--tracking-uri", uri, "--variant-key", "model", "--metric", "accuracy"]
    code = main(
        [
            "compare",
            "mlflow:relational-vs-gru",
            "--baseline",
            "gru",
            "--out",
            "o",
            *args,
            "--log-to",
            "mlflow",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    exp = client.get_experiment_by_name("relational-vs-gru")
    (audit,) = client.search_runs(
        [exp.experiment_id], filter_string="tags.`auditkit.kind` = 'audit'"
    )
    rid = audit.info.run_id
    assert f"Logged to MLflow run {rid} in experiment 'relational-vs-gru'" in out
    tags, metrics = audit.data.tags, audit.data.metrics
    assert tags["auditkit.verdict.rel_vs_gru.accuracy"] == "supported"
    assert tags["auditkit.verdict.twin_vs_gru.accuracy"] == "refuted"
    assert metrics["rel_vs_gru.accuracy.verdict"] == 1.0
    assert metrics["twin_vs_gru.accuracy.verdict"] == -1.0
    assert metrics["rel_vs_gru.accuracy.gain"] == pytest.approx(0.022, abs=1e-9)
    assert audit.info.status == "FINISHED"
    assert "**SUPPORTED**" in tags["mlflow.note.content"]
    artifacts = {a.path for a in client.list_artifacts(rid)}
    assert {"audit.json", "report.html", "report.pdf"} <= artifacts
    local = Path(client.download_artifacts(rid, "audit.json", str(in_tmp)))
    assert json.loads(local.read_text())["claims"][0]["verdict"] == "supported"
    # linked both ways: the audit names its runs, each audited run names the audit
    audited = [
        r
        for r in client.search_runs([exp.experiment_id])
        if r.data.tags.get("auditkit.kind") != "audit"
    ]
    assert len(audited) == len(RUNS)
    for run in audited:
        assert run.info.run_id in tags["auditkit.audited_runs"]
        assert run.data.tags["auditkit.audit_run"] == rid
    # a later audit of the same experiment leaves the audit run out
    code, doc = compare("mlflow:relational-vs-gru", in_tmp / "again", *args)
    assert code == 1
    assert rid in doc["provenance"]["MLflow runs left out"]


@pytest.mark.parametrize(
    ("experiment", "extra", "expected"),
    [
        (
            "relational-vs-gr",
            (),
            "MLflow experiment 'relational-vs-gr' does not exist at {uri}. Experiments there, "
            "nearest first: relational-vs-gru, ",
        ),
        (
            "failed",
            (),
            "mlflow:failed: 2 of 12 runs failed: gru-3 ({id3}) (status FAILED), rel-2 ({id8}) "
            "(status KILLED). A failed seed is evidence too: pass --allow-failed",
        ),
        ("running", (), "mlflow:running: 1 of 4 runs have not finished: gru-0 ({id0}) "),
        ("duplicate", (), "both have model='rel', seed=2; keep one run per variant and seed"),
        (
            "missing-param",
            (),
            "mlflow:missing-param: 1 of 3 runs have no parameter 'seed': no-seed (",
        ),
        (
            "missing-param",
            (),
            "Parameters they log, nearest first: random_seed, model. Name the "
            "parameters with --variant-key and --seed-key",
        ),
        (
            "relational-vs-gru",
            ("--metric", "acuracy"),
            "mlflow:relational-vs-gru: no run logs the metric 'acuracy'. Did you mean 'accuracy'? "
            "The metrics logged, nearest first: accuracy, loss",
        ),
        (
            "relational-vs-gru",
            ("--variant-key", "model"),
            "the runs log 2 metrics (accuracy, loss); name the one(s) claimed on with --metric",
        ),
    ],
)
def test_bad_mlflow_input_exits_4(
    store: tuple[str, Any, Path],
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    experiment: str,
    extra: tuple[str, ...],
    expected: str,
) -> None:
    uri, client, _ = store
    args = ["--tracking-uri", uri, *extra]
    if "--variant-key" not in extra:
        args += ["--variant-key", "model"]
    if "--metric" not in extra and "runs log 2" not in expected:
        args += ["--metric", "accuracy"]
    exp = client.get_experiment_by_name(experiment)
    ids = (
        [
            r.info.run_id
            for r in client.search_runs([exp.experiment_id], order_by=["attributes.start_time"])
        ]
        if exp
        else []
    )
    fill = {"uri": uri, **{f"id{i}": rid for i, rid in enumerate(ids)}}
    code = main(["compare", f"mlflow:{experiment}", "--baseline", "gru", "--out", "o", *args])
    err = capsys.readouterr().err
    assert code == 4, err
    assert expected.format(**fill) in " ".join(err.split())
    assert "Traceback" not in err


def test_failed_runs_allowed_count_as_failed_seeds(
    store: tuple[str, Any, Path], in_tmp: Path
) -> None:
    uri, _, _ = store
    args = ("--tracking-uri", uri, "--variant-key", "model", "--metric", "accuracy")
    _, doc = compare("mlflow:failed", in_tmp / "o", *args, "--allow-failed")
    (rel,) = doc["claims"]
    # gru seed 3 failed, rel seed 2 was killed: 4 seed pairs are left of 6
    assert rel["seeds"] == [0, 1, 4, 5] and rel["failed_runs"] == 2
    assert rel["seeds_planned"] == 6
    assert doc["provenance"]["failed runs"].startswith("2: gru-3 (")


def test_missing_store_and_missing_extra_messages(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = main(
        ["compare", "mlflow:x", "--baseline", "gru", "--tracking-uri", "sqlite:///absent.db"]
    )
    err = capsys.readouterr().err
    assert code == 4
    assert "tracking URI 'sqlite:///absent.db': absent.db does not exist" in err
    # without mlflow installed (a None in sys.modules makes its import fail, as for a
    # package that is absent), the message names the extra
    monkeypatch.setitem(sys.modules, "mlflow", None)
    assert main(["compare", "mlflow:x", "--baseline", "gru"]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert "reading an MLflow experiment needs the optional dependency 'mlflow'" in err
    assert "Install it with: pip install 'auditkit[mlflow]'" in err
    assert "Traceback" not in err


def test_local_mlruns_folder(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # MLflow 3 refuses to open a file store unless asked; the user's own scripts did,
    # auditkit opens it for reading without the variable
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.MlflowClient(tracking_uri=str(in_tmp / "mlruns"))
    eid = client.create_experiment("local")
    _log_runs(client, eid)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, a) for v, s, a, _ in RUNS])
    _, csv_doc = compare(str(runs_csv), in_tmp / "c")
    args = ("--tracking-uri", "mlruns", "--variant-key", "model", "--metric", "accuracy")
    code, doc = compare("mlflow:local", in_tmp / "m", *args)
    assert code == 1
    assert_same_claims(doc, csv_doc)
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(store: tuple[str, Any, Path], tmp_path: Path) -> Iterator[str]:
    """``mlflow server`` on 127.0.0.1 and a free port, stopped (its whole group) after.

    It serves the module's SQLite store, whose tables exist already (creating them
    takes seconds).
    """
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            store[0],
            "--artifacts-destination",
            str(tmp_path / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # no background job runner (a dozen worker processes the test does not use)
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(
                    "mlflow server did not start: " + (tmp_path / "server.log").read_text()[-2000:]
                )
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
        log.close()


@pytest.mark.slow
def test_mlflow_server_round_trip(
    server: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = mlflow.MlflowClient(tracking_uri=server)
    eid = client.create_experiment("served")
    _log_runs(client, eid, runs=RUNS[:12])
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, a) for v, s, a, _ in RUNS[:12]])
    _, csv_doc = compare(str(runs_csv), in_tmp / "c")
    capsys.readouterr()
    args = ["--tracking-uri", server, "--variant-key", "model", "--metric", "accuracy"]
    cmd = ["compare", "mlflow:served", "--baseline", "gru", "--out", "s", "--log-to", "mlflow"]
    code = main([*cmd, *args])
    out = capsys.readouterr().out
    assert code == 0
    doc = json.loads((in_tmp / "s" / "audit.json").read_text())
    assert_same_claims(doc, csv_doc)
    assert doc["provenance"]["runs source"] == f"MLflow experiment 'served' (id {eid}) at {server}"
    (audit,) = client.search_runs([eid], filter_string="tags.`auditkit.kind` = 'audit'")
    link = f"{server}/#/experiments/{eid}/runs/{audit.info.run_id}"
    assert link in " ".join(out.split())
    # the printed link is served (the UI is a single page; the fragment picks the run)
    with urllib.request.urlopen(link, timeout=10) as reply:
        assert reply.status == 200
    assert {"audit.json", "report.html", "report.pdf"} <= {
        a.path for a in client.list_artifacts(audit.info.run_id)
    }
