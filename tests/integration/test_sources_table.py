"""``compare export.csv|.parquet``: a Weights & Biases style export with a column mapping."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from auditkit.cli import main
from tests.sources_data import RUNS, assert_same_claims, compare, write_runs_csv

HEADER = ["Name", "State", "Notes", "Runtime", "config.model", "config.seed", "accuracy", "_step"]


def _export_rows(states: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """RUNS as W&B exports them: config.* and summary columns, a State per run."""
    states = states or {}
    return [
        {
            "Name": f"{v}-{s}",
            "State": states.get(i, "finished"),
            "Notes": "-",
            "Runtime": 30 + i,
            "config.model": v,
            "config.seed": s,
            "accuracy": a,
            "_step": 99,
        }
        for i, (v, s, a, _) in enumerate(RUNS)
    ]


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


MAPPING = ("--variant-key", "config.model", "--seed-key", "config.seed")


@pytest.fixture
def csv_doc(in_tmp: Path) -> dict[str, Any]:
    runs_csv = write_runs_csv(in_tmp / "runs.csv", [(v, s, a) for v, s, a, _ in RUNS])
    return compare(str(runs_csv), in_tmp / "c")[1]


def test_wandb_csv_export(in_tmp: Path, csv_doc: dict[str, Any]) -> None:
    export = _write_csv(in_tmp / "wandb_export.csv", _export_rows())
    # accuracy is the only metric column: Runtime and _step are W&B's bookkeeping
    code, doc = compare(str(export), in_tmp / "w", *MAPPING)
    assert code == 1
    assert_same_claims(doc, csv_doc)
    assert doc["provenance"]["runs file"].startswith(f"{export} (sha256 ")


def test_parquet_export(in_tmp: Path, csv_doc: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _export_rows()
    table = pa.table({key: [r[key] for r in rows] for key in HEADER})
    pq.write_table(table, in_tmp / "runs.parquet")
    code, doc = compare(str(in_tmp / "runs.parquet"), in_tmp / "p", *MAPPING)
    assert code == 1
    assert_same_claims(doc, csv_doc)


@pytest.mark.parametrize(
    ("states", "args", "expected"),
    [
        (
            {2: "crashed", 13: "failed"},
            (),
            "2 of 18 runs failed: {export}:4 (gru-2) (state crashed), {export}:15 (twin-1) "
            "(state failed)",
        ),
        ({0: "running"}, (), "1 of 18 runs have not finished: {export}:2 (gru-0) (state running)"),
        (
            {},
            ("--metric", "acuracy"),
            "no run logs the column 'acuracy'. Did you mean 'accuracy'? The columns logged, "
            "nearest first: accuracy",
        ),
        (
            {},
            ("--variant-key", "model"),
            "18 of 18 runs have no parameter 'model': {export}:2 (gru-0), ",
        ),
    ],
)
def test_bad_export_exits_4(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    states: dict[int, str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    export = _write_csv(in_tmp / "export.csv", _export_rows(states))
    mapping = MAPPING[2:] if "--variant-key" in args else MAPPING
    code = main(["compare", str(export), "--baseline", "gru", *mapping, *args])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 4
    assert f"{export}: " + expected.format(export=export) in err
    assert "Traceback" not in err


def test_duplicate_rows_are_named(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _export_rows()
    rows.append({**rows[7], "Name": "rel-1-rerun"})
    export = _write_csv(in_tmp / "export.csv", rows)
    assert main(["compare", str(export), "--baseline", "gru", *MAPPING]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"runs {export}:9 (rel-1) and {export}:20 (rel-1-rerun) both have "
        "config.model='rel', config.seed=1; keep one run per variant and seed"
    ) in err


def test_condition_key_makes_a_claim_fragile(in_tmp: Path) -> None:
    rows = [{**r, "config.bs": ""} for r in _export_rows() if r["config.model"] != "twin"]
    # at batch size 512 the gain reverses: rel loses 2 points on every seed
    for v, s, a, _ in RUNS[:12]:
        bump = -0.04 - 0.001 * (s % 2) if v == "rel" else 0.0
        row = {"Name": f"{v}-{s}-bs512", "State": "finished", "config.model": v}
        rows.append({**row, "config.seed": s, "accuracy": a + bump, "config.bs": "batch_size=512"})
    path = in_tmp / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*HEADER, "config.bs"], restval="")
        writer.writeheader()
        writer.writerows(rows)
    code, doc = compare(str(path), in_tmp / "o", *MAPPING, "--condition-key", "config.bs")
    (claim,) = doc["claims"]
    assert code == 1
    assert claim["verdict"] == "fragile"
    assert "reverses under batch_size=512" in claim["reason"]
