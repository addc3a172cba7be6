"""Planner de-duplication and the SQLite run store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditkit.conditions import Evaluation
from auditkit.execute.store import RunStore, run_key
from auditkit.experiment import load_experiment
from auditkit.plan import build_plan
from auditkit.rulepack import load_rulepack
from auditkit.types import EpochRecord, RunResult, RunSpec
from tests.conftest import TINY_MODEL


def test_shared_baseline_runs_are_planned_once(write_model: Callable[[str], Path]) -> None:
    source = TINY_MODEL.replace(
        'exp.claim("gru", over="bag", metric="accuracy", reported=0.05)',
        'exp.claim("gru", over="bag", metric="accuracy")\n'
        'exp.claim("gru", over="bag", metric="swa")',
    )
    spec = load_experiment(write_model(source))
    plan = build_plan(spec, load_rulepack("quick"), [0, 1, 2])
    assert len(spec.claims) == 2
    # 2 claims x 2 arms x 3 seeds = 12 requested, 6 distinct
    assert len(plan.runs) == 6
    assert [r.variant for r in plan.runs[:3]] == ["bag"] * 3  # baseline first


def _result(spec: RunSpec, error: str | None = None) -> RunResult:
    return RunResult(
        spec=spec,
        test_metrics={"accuracy": 0.75, "cwa": None},
        dev_metrics={"accuracy": 0.8, "cwa": None},
        curves=(EpochRecord(epoch=1, train_loss=0.6, dev_loss=0.5, dev_metric=0.8),),
        best_epoch=1,
        test_predictions=(1, 0, 1),
        duration_s=0.1,
        device="cpu",
        error=error,
    )


def test_store_round_trip_survives_reopening(tmp_path: Path) -> None:
    spec = RunSpec(variant="gru", init_seed=1, order_seed=1)
    key = run_key(spec, {"model_sha256": "abc"})
    store = RunStore(tmp_path / "store.sqlite")
    store.put(key, _result(spec))
    store.close()
    again = RunStore(tmp_path / "store.sqlite")
    assert again.get(key) == _result(spec)
    assert again.count() == 1


def test_failed_runs_are_recorded_but_not_reused(tmp_path: Path) -> None:
    spec = RunSpec(variant="gru", init_seed=1, order_seed=1)
    store = RunStore(tmp_path / "store.sqlite")
    store.put("k", _result(spec, error="Traceback ..."))
    assert store.count() == 1
    assert store.get("k") is None


def test_run_key_changes_with_every_input() -> None:
    spec = RunSpec(variant="gru", init_seed=1, order_seed=1)
    base = run_key(spec, {"model_sha256": "abc"})
    assert base == run_key(spec, {"model_sha256": "abc"})
    assert base != run_key(spec, {"model_sha256": "abd"})
    assert base != run_key(
        RunSpec(variant="gru", init_seed=1, order_seed=2), {"model_sha256": "abc"}
    )
    assert base != run_key(
        RunSpec(variant="gru", init_seed=1, order_seed=1, overrides=(("batch_size", 8),)),
        {"model_sha256": "abc"},
    )


def test_baseline_size_counts_parameters_and_survives_a_broken_builder(
    write_model: Callable[[str], Path],
) -> None:
    from auditkit.audit import _baseline_size
    from auditkit.train.encode import encode

    spec = load_experiment(write_model(TINY_MODEL))
    data = encode(spec.data)
    # Bag: embedding vocab x 16 + linear 16 x n_classes + bias
    expected = data.info.vocab_size * 16 + 16 * data.info.n_classes + data.info.n_classes
    assert _baseline_size(spec, data) == expected
    broken = write_model(
        TINY_MODEL.replace("    return Bag(info)", "    raise RuntimeError('no')"), "b.py"
    )
    spec = load_experiment(broken)
    assert _baseline_size(spec, encode(spec.data)) is None


SKLEARN_MODEL = """
import auditkit as ak
from sklearn.linear_model import SGDClassifier
from torch import nn

exp = ak.Experiment(
    "mixed", data=ak.datasets.spr(rule="shape_count", n_train=60, n_dev=20, n_test=20, seed=0)
)

@exp.variant(baseline=True)
def linear(info):
    return SGDClassifier()

@exp.variant
def bag(info):
    return nn.EmbeddingBag(info.vocab_size, info.n_classes)

exp.claim("bag", over="linear", metric="accuracy")
"""


def test_rules_that_need_torch_are_skipped_for_estimators(
    write_model: Callable[[str], Path],
) -> None:
    from auditkit.train.encode import encode
    from auditkit.train.sklearn import framework_of

    spec = load_experiment(write_model(SKLEARN_MODEL))
    info = encode(spec.data).info
    frameworks = {n: framework_of(v.builder, info) for n, v in spec.variants.items()}
    assert frameworks == {"linear": "sklearn", "bag": "torch"}
    plan = build_plan(spec, load_rulepack("default"), [0, 1], frameworks)
    skipped = {rp.rule.id: rp.skipped for rp in plan.rules if rp.skipped}
    # the script-only rules read script runs, never a model file's
    script_only = {r for r, why in skipped.items() if "reads script runs" in why}
    assert script_only == {"AK104", "AK206", "AK207", "AK505"}
    assert set(skipped) - script_only == {"AK401", "AK402"}
    assert skipped["AK401"] == (
        "check 'batch_size_sweep' applies to torch models (it needs a batch size or training "
        "curves), and linear is a scikit-learn estimator, which has none"
    )
    assert not any(r.overrides for r in plan.runs)  # no batch-size runs planned
    # without the frameworks (all torch) both rules plan their runs
    rules = build_plan(spec, load_rulepack("default"), [0, 1]).rules
    assert not any(rp.skipped for rp in rules if rp.rule.id not in script_only)


def test_dev_predictions_are_stored_and_old_runs_without_them_still_load(
    tmp_path: Path,
) -> None:
    import dataclasses

    from auditkit.execute.store import result_from_dict, result_to_dict

    probes = (Evaluation("permute_color"), Evaluation("permute_color", "dev"))
    spec = RunSpec(variant="gru", init_seed=1, order_seed=1, evaluations=probes)
    result = dataclasses.replace(
        _result(spec),
        perturbed_predictions={"permute_color": (0, 0, 1), "permute_color@dev": (1, 1)},
        dev_predictions=(1, 0),
    )
    store = RunStore(tmp_path / "store.sqlite")
    store.put("k", result)
    assert store.get("k") == result
    # a run stored before dev probes existed: no "dev_predictions" field, no dev evaluation
    raw = result_to_dict(_result(RunSpec(variant="gru", init_seed=1, order_seed=1)))
    del raw["dev_predictions"]
    old = result_from_dict(raw)
    assert old.dev_predictions == () and "permute_color@dev" not in old.perturbed_predictions


def test_factor_isolation_plans_dev_twins_of_its_probes(write_model: Callable[[str], Path]) -> None:
    spec = load_experiment(write_model(TINY_MODEL))
    plan = build_plan(spec, load_rulepack("default"), [0, 1])
    nominal = [r for r in plan.runs if r.condition.is_nominal]
    # every nominal run probes permuted colour on test and on dev; order probes stay on test
    for run in nominal:
        names = {str(e) for e in run.evaluations}
        assert {"permute_color", "permute_color@dev", "shuffle"} <= names
        assert "shuffle@dev" not in names
