"""Training overrides: one function applies them, and rejects keys TrainConfig lacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import auditkit.checks as registry
from auditkit.checks import CheckBase, PlanContext, checks, register
from auditkit.conditions import Condition
from auditkit.errors import RulePackError
from auditkit.experiment import load_experiment
from auditkit.plan import build_plan
from auditkit.rulepack import Rule, RulePack, Settings
from auditkit.types import (
    Claim,
    RunSpec,
    TrainConfig,
    UnknownOverrideError,
    apply_overrides,
)
from tests.conftest import TINY_MODEL


def test_overrides_replace_only_their_keys() -> None:
    train = TrainConfig(epochs=3, batch_size=64, lr=1e-3)
    changed = apply_overrides(train, (("batch_size", 256), ("lr", 4e-3)))
    assert (changed.batch_size, changed.lr, changed.epochs) == (256, 4e-3, 3)
    assert train.batch_size == 64  # the experiment's config is left as it was


def test_no_overrides_keep_the_config() -> None:
    train = TrainConfig()
    assert apply_overrides(train, ()) is train


def test_an_unknown_key_is_named_with_the_known_ones() -> None:
    with pytest.raises(UnknownOverrideError) as caught:
        apply_overrides(TrainConfig(), (("batch_size", 32), ("optimiser", "sgd")))
    message = str(caught.value)
    assert "'optimiser'" in message
    assert "batch_size" not in message.split(":")[0]  # only the unknown key is blamed
    for known in ("epochs", "batch_size", "lr", "weight_decay", "select_metric"):
        assert known in message.split(":")[1]


def test_a_value_the_config_rejects_is_an_error() -> None:
    with pytest.raises(ValueError, match="batch_size=0"):
        apply_overrides(TrainConfig(), (("batch_size", 0),))


@dataclass(frozen=True)
class _NoParams:
    pass


class _PlantedOverride(CheckBase):
    """A check whose plan overrides a training setting that does not exist."""

    def plan(self, claim: Claim, params: Any, ctx: PlanContext) -> list[RunSpec]:
        return [
            RunSpec(
                variant=arm,
                init_seed=seed,
                order_seed=seed,
                condition=Condition.setting("optimiser", "sgd"),
                overrides=(("optimiser", "sgd"),),
            )
            for arm in (claim.baseline, claim.variant)
            for seed in ctx.seeds
        ]


def test_the_plan_rejects_an_unknown_override_before_training(
    write_model: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # registered in a copy of the registry, so that no other test sees the planted check
    checks()
    monkeypatch.setattr(registry, "_CHECKS", dict(registry._CHECKS))
    register("test_planted_override", params=_NoParams, kinds=("tokens",))(_PlantedOverride)
    spec = load_experiment(write_model(TINY_MODEL))
    rule = Rule(
        id="AK199",
        name="planted-override",
        check="test_planted_override",
        severity="low",
        params=_NoParams(),
        why="planted",
        fix="planted",
        origin="planted.yaml:3",
    )
    pack = RulePack(name="planted", path="", description="", settings=Settings(), rules=(rule,))
    with pytest.raises(RulePackError) as caught:
        build_plan(spec, pack, [0, 1])
    assert caught.value.slug == "bad-override"
    assert "planted.yaml:3" in str(caught.value) and "'optimiser'" in str(caught.value)
