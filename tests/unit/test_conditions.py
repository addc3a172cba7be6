"""Typed conditions: one stable text form, read back by the store and the report."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.conditions import NOMINAL, Condition, Evaluation, Transform
from auditkit.execute.store import RunStore, spec_from_dict, spec_to_dict
from auditkit.experiment import load_experiment
from auditkit.plan import build_plan
from auditkit.report.view import condition_words
from auditkit.rulepack import load_rulepack
from auditkit.types import EpochRecord, RunResult, RunSpec
from tests.conftest import TINY_MODEL

#: every text form the built-in checks and script mode write (and stores hold)
TEXTS = (
    "nominal",
    "batch_size=512",
    "init-only",
    "order-only",
    "shuffle_train_test",
    "mask_color_train_test",
    "random re-split",
    "test-time:permute_color@dev",
    "lr=0.001",
)


@pytest.mark.parametrize("text", TEXTS)
def test_the_text_form_reads_back_exactly(text: str) -> None:
    condition = Condition.parse(text)
    assert str(condition) == text
    assert Condition.parse(str(condition)) == condition


def test_key_value_and_words() -> None:
    batch = Condition.parse("batch_size=512")
    assert (batch.key, batch.value) == ("batch_size", "512")
    assert batch == Condition.setting("batch_size", 512)
    assert (batch.words, batch.where) == ("batch size 512", "at batch size 512")
    shuffled = Condition.parse("shuffle_train_test")
    assert shuffled.value is None
    assert shuffled.where == "under shuffle train test"
    assert NOMINAL.is_nominal and not batch.is_nominal
    # the report's words are the condition's (view.condition_words reads audit.json text)
    assert condition_words("batch_size=512") == "batch size 512"


def test_a_label_names_it_but_is_not_its_identity() -> None:
    labelled = Condition("batch_size", "512", label="batch size 512 (lr scaled)")
    assert labelled.words == "batch size 512 (lr scaled)"
    assert labelled == Condition("batch_size", "512")
    assert hash(labelled) == hash(Condition("batch_size", "512"))


@pytest.mark.parametrize("key", ["", "=512", "a=b"])
def test_a_key_must_be_a_name(key: str) -> None:
    with pytest.raises(ValueError, match="Condition"):
        Condition(key)


def test_runs_keep_their_condition_through_the_store_and_pickle(tmp_path: Path) -> None:
    run = RunSpec(
        variant="gru",
        init_seed=1,
        order_seed=1,
        condition=Condition.setting("batch_size", 256),
        overrides=(("batch_size", 256),),
        evaluations=(Evaluation("shuffle"), Evaluation("permute_color", "dev")),
    )
    # the store's text form is the one written before conditions were typed
    assert spec_to_dict(run)["condition"] == "batch_size=256"
    assert spec_to_dict(run)["evaluations"] == ["shuffle", "permute_color@dev"]
    assert spec_from_dict(spec_to_dict(run)) == run
    assert pickle.loads(pickle.dumps(run)) == run  # workers receive runs pickled
    result = RunResult(
        spec=run,
        test_metrics={"accuracy": 0.7},
        dev_metrics={"accuracy": 0.7},
        curves=(EpochRecord(epoch=1, train_loss=0.5, dev_loss=0.5, dev_metric=0.7),),
        best_epoch=1,
        test_predictions=(0, 1),
        duration_s=0.1,
        device="cpu",
    )
    store = RunStore(tmp_path / "store.sqlite")
    store.put("k", result)
    store.close()
    again = RunStore(tmp_path / "store.sqlite").get("k")
    assert again is not None and again.spec.condition == run.condition


def test_every_planned_condition_reads_back(write_model: Callable[[str], Path]) -> None:
    spec = load_experiment(write_model(TINY_MODEL))
    plan = build_plan(spec, load_rulepack("default"), [0, 1, 2])
    conditions = {run.condition for run in plan.runs}
    assert NOMINAL in conditions and len(conditions) > 3  # the default pack perturbs
    for condition in conditions:
        assert Condition.parse(str(condition)) == condition


@pytest.mark.parametrize("text", ["shuffle", "mask_color", "permute_color@dev"])
def test_an_evaluation_reads_back_exactly(text: str) -> None:
    evaluation = Evaluation.parse(text)
    assert str(evaluation) == text
    assert evaluation.split == ("dev" if text.endswith("@dev") else "test")


@pytest.mark.parametrize("name", ["", "shuffle@dev"])
def test_an_evaluation_names_a_perturbation(name: str) -> None:
    with pytest.raises(ValueError, match="Evaluation"):
        Evaluation(name)


@pytest.mark.parametrize(
    "text",
    ["shuffle", "mask_color", "resplit:3", "file:flip_test_labels:share=0.5:seed=0"],
)
def test_a_transform_reads_back_its_text_form(text: str) -> None:
    assert str(Transform.parse(text)) == text


def test_a_resplit_transform_names_its_seed() -> None:
    t = Transform.resplit(7)
    assert (t.name, t.argument, str(t)) == ("resplit", "7", "resplit:7")
    assert Transform.parse("resplit:7") == t


def test_a_run_with_a_transform_survives_the_store_round_trip() -> None:
    from auditkit.execute.store import result_from_dict, result_to_dict

    spec = RunSpec(variant="v", init_seed=1, order_seed=1, transform=Transform.resplit(4))
    result = RunResult(
        spec=spec,
        test_metrics={},
        dev_metrics={},
        curves=(),
        best_epoch=None,
        test_predictions=(),
        duration_s=0.0,
        device="cpu",
    )
    raw = result_to_dict(result)
    assert raw["spec"]["transform"] == "resplit:4"  # the text form old stores hold
    assert result_from_dict(raw).spec == spec
    plain = RunSpec(variant="v", init_seed=1, order_seed=1)
    raw = result_to_dict(dataclasses.replace(result, spec=plain))
    assert raw["spec"]["transform"] == "" and result_from_dict(raw).spec.transform is None


def test_a_transform_name_with_the_separator_is_refused() -> None:
    with pytest.raises(ValueError, match="without ':'"):
        Transform("re:split")
