"""The metric files a run writes, read one way for script mode and for compare's sources."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from auditkit.errors import DataError
from auditkit.runfiles import (
    At,
    FileKind,
    metric_files,
    pick,
    read_events,
    read_json_metrics,
    reduce_series,
)
from auditkit.script.readback import read_metrics
from auditkit.sources import read_run_metrics


def test_tf2_scalar_tensors_count_and_text_does_not(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="torch's SummaryWriter needs tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_text("note", "not a metric", 0)
        for step, value in enumerate((0.5, 0.875, 0.75)):
            # new_style: a one-number tensor of the scalars plugin, as TF2 writes it
            writer.add_scalar("val/acc", value, step, new_style=True)
    (path,) = tmp_path.glob("events.out.tfevents*")
    log = read_events([path])
    assert set(log.scalars) == {"val/acc"}
    assert reduce_series(log.scalars, At.LAST) == {"val/acc": 0.75}
    assert reduce_series(log.scalars, At.BEST) == {"val/acc": 0.875}
    # a writer killed mid-record: the records before it are kept
    cut = tmp_path / "cut" / path.name
    cut.parent.mkdir()
    cut.write_bytes(path.read_bytes()[:-7])
    assert len(read_events([cut]).scalars["val/acc"]) == 2


def test_best_leaves_nan_out_and_last_keeps_it() -> None:
    values = [(0.0, 0.6), (1.0, 0.7), (2.0, math.nan)]
    assert pick(values, At.BEST) == 0.7
    assert math.isnan(pick(values, At.LAST))
    assert math.isnan(pick([(0.0, math.nan)], At.BEST))


def test_files_in_order_and_names_alike_everywhere(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "metrics.csv").write_text("epoch,step,test_acc\n0,1,0.6\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "eval_results.json").write_text(json.dumps({"eval_acc": 0.7}))
    assert [f.kind for f in metric_files(tmp_path)] == [FileKind.HF_EVAL, FileKind.LIGHTNING]
    (tmp_path / "metrics.json").write_text(json.dumps({"Test": {"Acc": 0.8}, "ok": True}))
    assert metric_files(tmp_path)[0].kind is FileKind.METRICS_JSON
    # nested keys join with "/" for compare as for script mode; script mode lower-cases
    assert read_run_metrics(tmp_path) == ({"Test/Acc": 0.8}, "metrics.json")
    found = read_metrics(wanted=[], stdout="", out_dir=tmp_path)
    assert (found.source, found.values) == ("metrics.json", {"test/acc": 0.8})


def test_a_broken_json_file_stops_compare_but_not_a_script_run(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").write_text('{"acc": 0.7')
    with pytest.raises(DataError, match="not a JSON object of metrics"):
        read_json_metrics(tmp_path / "metrics.json")
    with pytest.raises(DataError, match=r"metrics\.json: not a JSON object"):
        read_run_metrics(tmp_path)
    found = read_metrics(wanted=["acc"], stdout="acc: 0.5\n", out_dir=tmp_path)
    assert (found.source, found.values) == ("stdout", {"acc": 0.5})
    assert "not a JSON object of metrics" in found.tried[0]
