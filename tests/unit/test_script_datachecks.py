"""Script data checks on constructed runs: data influence, consumption, metric sanity."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.checks import AssessContext, PlanContext
from auditkit.conditions import Condition
from auditkit.metrics import accuracy_metric
from auditkit.script.datachecks import (
    FLIP_CONDITION,
    PERMUTE_CONDITION,
    DataConsumption,
    DataConsumptionParams,
    DataInfluence,
    DataInfluenceParams,
    MetricSanity,
    MetricSanityParams,
)
from auditkit.script.fileperturb import FilePerturb
from auditkit.types import (
    Claim,
    FileAccess,
    RunResult,
    RunSpec,
    ScriptFacts,
    ScriptTrace,
    TokenDataset,
    TokenSplit,
    TrainConfig,
)

N_TEST = 1000
EMPTY = TokenDataset(
    name="no data declared",
    train=TokenSplit(ids=(), sequences=(), labels=()),
    dev=TokenSplit(ids=(), sequences=(), labels=()),
    test=TokenSplit(ids=(), sequences=(), labels=()),
)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("accuracy", "test_acc"), "accuracy"),
        (("val_acc", "test_acc"), "test_acc"),
        (("loss", "acc"), "acc"),
        (("Test Accuracy",), "Test Accuracy"),
        (("train_accuracy", "val_acc", "f1"), None),
    ],
)
def test_accuracy_metric_finds_a_scripts_test_accuracy(
    names: tuple[str, ...], expected: str | None
) -> None:
    assert accuracy_metric(names) == expected


def project(tmp_path: Path, *, test_rows: int = N_TEST, majority: float = 0.5) -> Path:
    """A project with data/train.csv and data/test.csv (binary labels)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text(
        "id,sequence,label\n" + "".join(f"r{i},▲r ■g,{i % 2}\n" for i in range(200)),
        encoding="utf-8",
    )
    ones = round(majority * test_rows)
    (data / "test.csv").write_text(
        "id,sequence,label\n"
        + "".join(f"t{i},●b,{1 if i < ones else 0}\n" for i in range(test_rows)),
        encoding="utf-8",
    )
    return tmp_path


def facts(root: Path, *, declared: bool = True, files: bool = True) -> ScriptFacts:
    return ScriptFacts(
        command="python train.py --seed {seed}",
        project=str(root),
        data_files={"train": "data/train.csv", "test": "data/test.csv"} if files else {},
        data_declared=declared,
        data_dir="data" if files else "",
    )


def trace(files: tuple[FileAccess, ...] = (), predictions: int | None = None) -> ScriptTrace:
    return ScriptTrace(
        argv=("python", "train.py"),
        env={},
        run_dir="/tmp/run",
        exit_code=0,
        timed_out=False,
        wall_s=1.0,
        tail="",
        files=files,
        predictions=predictions,
    )


READS = (
    FileAccess(path="data/train.csv", mode="read", exists=True),
    FileAccess(path="data/test.csv", mode="read", exists=True),
)


def run(
    variant: str,
    seed: int,
    value: float,
    condition: str = "nominal",
    tr: ScriptTrace | None = None,
    metric: str = "test_acc",
    error: str | None = None,
) -> RunResult:
    return RunResult(
        spec=RunSpec(
            variant=variant, init_seed=seed, order_seed=seed, condition=Condition.parse(condition)
        ),
        test_metrics={metric: value},
        dev_metrics={},
        curves=(),
        best_epoch=None,
        test_predictions=(),
        duration_s=1.0,
        device="cpu",
        trace=tr if tr is not None else trace(READS),
        error=error,
    )


def context(
    root: Path, runs: list[RunResult], *, script: ScriptFacts | None = None
) -> AssessContext:
    return AssessContext(
        data=EMPTY,
        claims=(Claim(variant="m", baseline="m", metric="test_acc"),),
        baseline="m",
        variants=("m",),
        seeds=(0, 1, 2),
        metrics=("test_acc",),
        train=TrainConfig(),
        alpha=0.05,
        rope=0.005,
        confidence=0.95,
        results={
            (r.spec.variant, str(r.spec.condition), r.spec.init_seed, r.spec.order_seed): r
            for r in runs
        },
        script=script if script is not None else facts(root),
    )


def influence_runs(
    nominal: list[float], permuted: list[float], flipped: list[float]
) -> list[RunResult]:
    return (
        [run("m", s, v) for s, v in enumerate(nominal)]
        + [run("m", s, v, PERMUTE_CONDITION) for s, v in enumerate(permuted)]
        + [run("m", s, v, FLIP_CONDITION) for s, v in enumerate(flipped)]
    )


def test_data_influence_plans_two_label_perturbations_per_arm_and_seed(tmp_path: Path) -> None:
    root = project(tmp_path)
    ctx = PlanContext(
        data=EMPTY,
        baseline="a",
        variants=("a", "b"),
        seeds=(0, 1, 2),
        train=TrainConfig(),
        metrics=("test_acc",),
        script=facts(root),
    )
    specs = DataInfluence().plan(
        Claim(variant="b", baseline="a", metric="test_acc"), DataInfluenceParams(seeds=2), ctx
    )
    assert len(specs) == 8
    assert {str(s.condition) for s in specs} == {PERMUTE_CONDITION, FLIP_CONDITION}
    assert {FilePerturb.parse(str(s.transform)).kind.value for s in specs} == {
        "permute_train_labels",
        "flip_test_labels",
    }
    assert {s.init_seed for s in specs} == {0, 1}
    empty = PlanContext(
        data=EMPTY,
        baseline="a",
        variants=("a",),
        seeds=(0,),
        train=TrainConfig(),
        metrics=(),
        script=facts(root, files=False),
    )
    assert (
        DataInfluence().plan(
            Claim(variant="a", baseline="a", metric="acc"), DataInfluenceParams(), empty
        )
        == []
    )


def test_data_influence_passes_a_script_that_learns_and_scores_the_files(tmp_path: Path) -> None:
    # accuracy 0.9; flipping 50% of binary labels implies a drop of 0.5 * (2 * 0.9 - 1) = 0.4
    ctx = context(project(tmp_path), influence_runs([0.9, 0.91], [0.49, 0.52], [0.5, 0.505]))
    found = DataInfluence().assess(ctx, DataInfluenceParams())
    assert found.outcome == "pass", found.reason
    assert "learns from and scores on the declared data" in found.reason


def test_data_influence_fails_a_script_that_ignores_the_files(tmp_path: Path) -> None:
    # silent synthetic data: nothing the audit does to the files moves the score
    ctx = context(project(tmp_path), influence_runs([0.93, 0.92], [0.93, 0.92], [0.93, 0.92]))
    found = DataInfluence().assess(ctx, DataInfluenceParams())
    assert found.outcome == "fail"
    assert "still scores 92.5% with the training labels permuted (chance 50.0%)" in found.reason
    assert "does not score the declared test file" in found.reason
    assert found.invalid and "does not come from the declared data" in found.invalid[0][0]


def test_data_influence_estimates_how_many_test_rows_are_scored(tmp_path: Path) -> None:
    # half the scored rows are declared test rows: the flip moves the score by half of 0.4
    ctx = context(project(tmp_path), influence_runs([0.9, 0.9], [0.5, 0.5], [0.7, 0.69]))
    found = DataInfluence().assess(ctx, DataInfluenceParams())
    assert found.outcome == "fail"
    assert "only about 51.3% of the scored rows are declared test rows" in found.reason
    assert "(about 513 of 1000 at the test file's size)" in found.reason


def test_data_influence_cannot_judge_a_score_at_chance(tmp_path: Path) -> None:
    ctx = context(project(tmp_path), influence_runs([0.5, 0.51], [0.5, 0.49], [0.5, 0.5]))
    found = DataInfluence().assess(ctx, DataInfluenceParams())
    assert found.outcome == "skipped"
    assert found.reason.startswith("m 50.5% at chance (50.0%): neither perturbation")


def test_data_influence_is_skipped_without_data_or_accuracy(tmp_path: Path) -> None:
    root = project(tmp_path)
    runs = influence_runs([0.9], [0.5], [0.5])
    no_data = DataInfluence().assess(
        context(root, runs, script=facts(root, declared=False, files=False)),
        DataInfluenceParams(),
    )
    assert no_data.outcome == "skipped" and "read no labelled table" in no_data.reason
    (root / "data" / "test.csv").write_text("id,sequence\nt0,▲r\n", encoding="utf-8")
    unlabelled = DataInfluence().assess(context(root, runs), DataInfluenceParams())
    assert unlabelled.outcome == "skipped"
    assert unlabelled.reason.startswith("the data files cannot be used: ")
    assert "no label column among 'id', 'sequence'" in unlabelled.reason
    (tmp_path / "again").mkdir()
    root = project(tmp_path / "again")
    ctx = context(root, [run("m", 0, 0.3, metric="loss")])
    no_metric = DataInfluence().assess(
        AssessContext(
            **{**{f: getattr(ctx, f) for f in ctx.__dataclass_fields__}, "metrics": ("loss",)}
        ),
        DataInfluenceParams(),
    )
    assert (
        no_metric.outcome == "skipped"
        and "no accuracy among the metrics (loss)" in no_metric.reason
    )


def consumption(root: Path, tr: ScriptTrace, **kwargs: bool) -> str:
    runs = [run("m", s, 0.9, tr=tr) for s in range(3)]
    found = DataConsumption().assess(
        context(root, runs, script=facts(root, **kwargs)), DataConsumptionParams()
    )
    return f"{found.outcome}: {found.reason}"


def test_data_consumption_findings(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert consumption(root, trace(READS)).startswith("pass: every run read data/train.csv")
    assert consumption(root, trace(READS[:1])).startswith(
        "fail: no run read data/test.csv (the test split)"
    )
    assert consumption(root, trace(())).startswith("fail: no run read any of the data files")
    writes = (*READS, FileAccess(path="data/test.csv", mode="write", exists=True))
    assert "writes into its data file data/test.csv" in consumption(root, trace(writes))
    cache = (*READS, FileAccess(path="data/cache.pkl", mode="write", exists=False))
    assert consumption(root, trace(cache)).startswith(
        "warn: the script writes into the data folder (data/cache.pkl)"
    )
    outputs = (
        *READS,
        FileAccess(path=".auditkit/script-runs/ab/out/predictions.csv", mode="write", exists=False),
        FileAccess(path="./data/../data/train.csv", mode="read", exists=True),
        FileAccess(path="checkpoint.pt", mode="write", exists=False),
    )
    assert consumption(root, trace(outputs)).startswith("pass")
    short = consumption(root, trace(READS, predictions=200))
    assert "predictions.csv holds 200 rows where the declared test file has 1000" in short
    discovered = consumption(root, trace(READS), declared=False)
    assert "(data found in the first run's reads, not declared)" in discovered


def test_data_consumption_reads_the_successful_runs(tmp_path: Path) -> None:
    root = project(tmp_path)
    crashed = run("m", 2, 0.0, tr=trace(READS[:1]), error="ScriptError: exit code 1")
    runs = [run("m", 0, 0.9), run("m", 1, 0.9), crashed]
    found = DataConsumption().assess(context(root, runs), DataConsumptionParams())
    assert found.outcome == "pass", found.reason
    assert found.evidence["runs traced"] == "2"


def test_data_consumption_finds_the_silent_synthetic_fallback(tmp_path: Path) -> None:
    tried = (FileAccess(path="SPR_BENCH/train.csv", mode="read", exists=False),)
    text = consumption(tmp_path, trace(tried), declared=False, files=False)
    assert text.startswith("fail: the script looked for SPR_BENCH/train.csv, which does not exist")
    assert "silent synthetic fallback" in text
    # data read from outside the project cannot be given to runs as copies
    far = (
        FileAccess(path="SPR_BENCH/train.csv", mode="read", exists=False),
        FileAccess(path="/datasets/spr/train.csv", mode="read", exists=True),
    )
    text = consumption(tmp_path, trace(far), declared=False, files=False)
    assert text.startswith("warn: the script read /datasets/spr/train.csv outside the project")
    # a script that looks for nothing and reads nothing has no data to check
    assert consumption(tmp_path, trace(()), declared=False, files=False).startswith("skipped")


def sanity(root: Path, values: list[float], metric: str = "test_acc") -> str:
    runs = [run("m", s, v, metric=metric) for s, v in enumerate(values)]
    ctx = context(root, runs)
    if metric != "test_acc":
        ctx = AssessContext(
            **{**{f: getattr(ctx, f) for f in ctx.__dataclass_fields__}, "metrics": (metric,)}
        )
    found = MetricSanity().assess(ctx, MetricSanityParams())
    return f"{found.outcome}: {found.reason}"


def test_metric_sanity_findings(tmp_path: Path) -> None:
    root = project(tmp_path, test_rows=200, majority=0.7)
    assert sanity(root, [0.9, 0.92, 0.91]).startswith(
        "pass: every bounded metric lies in its range"
    )
    assert "reports test_acc = 94.2, outside [0, 1]" in sanity(root, [94.2, 93.0, 95.1])
    assert "test_acc 70.3% is at or below the majority-class rate 70.0%" in sanity(
        root, [0.7, 0.71, 0.7]
    )
    assert sanity(root, [0.75, 0.8, 0.73]).startswith("warn: the 95% interval of m's test_acc")
    assert "contains chance (70.0%)" in sanity(root, [0.75, 0.8, 0.73])
    assert "reports mcc = -1.5" in sanity(root, [-1.5, 0.2, 0.3], metric="mcc")
