"""The runs table every source ends in: picking values, naming runs, the checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.errors import DataError
from auditkit.runfiles import pick
from auditkit.sources import At, SourceOptions, SourceRun, source_kind
from auditkit.sources.base import build_table, named, nearest_first
from auditkit.sources.tensorboard import _name_params


def test_pick_last_is_the_highest_step_not_the_last_logged() -> None:
    # a resumed run logs step 5 again after step 9: the final model is step 9's
    values = [(0.0, 0.5), (5.0, 0.7), (9.0, 0.65), (5.0, 0.71)]
    assert pick(values, At.LAST) == 0.65
    assert pick(values, At.BEST) == 0.71
    # equal steps: the one logged later
    assert pick([(3.0, 0.1), (3.0, 0.2)], At.LAST) == 0.2


def test_nearest_first_and_named() -> None:
    assert nearest_first("acc", ["loss", "accuracy", "acc_top5"])[:2] == ["acc_top5", "accuracy"]
    assert named([str(i) for i in range(10)]) == "0, 1, 2, 3, 4, 5, 6, 7 and 2 more"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gru_seed3", {"variant": "gru", "seed": "3"}),
        ("rel-gru-seed-12", {"variant": "rel-gru", "seed": "12"}),
        ("variant=gru,seed=3", {"variant": "gru", "seed": "3"}),
        ("gru", {}),
    ],
)
def test_run_folder_names(name: str, expected: dict[str, str]) -> None:
    assert _name_params(name, SourceOptions()) == expected


def _run(name: str, variant: str, seed: str, acc: float | None = 0.7) -> SourceRun:
    metrics = {} if acc is None else {"acc": acc}
    return SourceRun(name=name, params={"variant": variant, "seed": seed}, metrics=metrics)


def test_build_table_pairs_runs_and_fingerprints_them() -> None:
    runs = [_run("a", "gru", "0"), _run("b", "gru", "1.0"), _run("c", "rel", "0", None)]
    table = build_table(runs, options=SourceOptions(), label="src", name="n", provenance={})
    assert table.scores[("gru", "nominal")]["acc"] == {0: 0.7, 1: 0.7}
    # a finished run without the metric is a missing value, as an empty CSV cell
    assert table.scores[("rel", "nominal")]["acc"] == {0: None}
    again = build_table(runs, options=SourceOptions(), label="src", name="n", provenance={})
    assert again.sha256 == table.sha256
    changed = build_table(
        [*runs[:2], _run("c", "rel", "0", 0.8)],
        options=SourceOptions(),
        label="src",
        name="n",
        provenance={},
    )
    assert changed.sha256 != table.sha256


def test_build_table_rejects_a_fractional_seed() -> None:
    with pytest.raises(DataError, match=r"run a has seed='0.5', which is not an integer seed"):
        build_table(
            [_run("a", "gru", "0.5")], options=SourceOptions(), label="s", name="n", provenance={}
        )


def test_source_kind(tmp_path: Path) -> None:
    (tmp_path / "runs.csv").write_text("variant,seed,acc\n")
    (tmp_path / "export.csv").write_text("Name,State,model,seed,acc\n")
    assert source_kind("mlflow:exp", SourceOptions()) == "mlflow"
    assert source_kind(str(tmp_path / "runs.csv"), SourceOptions()) == "csv"
    assert source_kind(str(tmp_path / "export.csv"), SourceOptions()) == "table"
    mapped = SourceOptions(variant_key="model")
    assert source_kind(str(tmp_path / "runs.csv"), mapped) == "table"
    with pytest.raises(DataError, match="no such file or folder"):
        source_kind(str(tmp_path / "absent"), SourceOptions())
    with pytest.raises(DataError, match="neither a Hydra multirun"):
        source_kind(str(tmp_path), SourceOptions())
