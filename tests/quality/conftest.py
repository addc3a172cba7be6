"""Quality tests: each rule catches its planted pitfall and passes on a clean case.

``run_rule`` audits a small model file with a one-rule pack (real, seeded training runs)
and returns the parsed ``audit.json``; tests then assert on the rule's outcome and on the
claims' verdicts.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditkit.cli import main
from auditkit.rulepack import builtin_packs

#: the header of a small experiment: tune the data and training in each test
MODEL_HEADER = '''
import torch
from torch import nn
import auditkit as ak


class Bag(nn.Module):
    """Order-blind: mean of token embeddings."""

    def __init__(self, info, factors=("tokens",)):
        super().__init__()
        self.factors = factors
        sizes = {"tokens": info.vocab_size, **info.factor_sizes}
        self.embed = nn.ModuleDict({f: nn.Embedding(sizes[f], 16, padding_idx=0) for f in factors})
        self.head = nn.Linear(16, info.n_classes)

    def forward(self, batch):
        x = sum(self.embed[f](batch[f]) for f in self.factors)
        mask = batch["mask"].unsqueeze(-1).float()
        return self.head((x * mask).sum(1) / mask.sum(1).clamp(min=1))


class Gru(nn.Module):
    """Reads the sequence in order."""

    def __init__(self, info, factors=("tokens",), dim=24):
        super().__init__()
        self.factors = factors
        sizes = {"tokens": info.vocab_size, **info.factor_sizes}
        self.embed = nn.ModuleDict({f: nn.Embedding(sizes[f], dim, padding_idx=0) for f in factors})
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.head = nn.Linear(dim, info.n_classes)

    def forward(self, batch):
        x = sum(self.embed[f](batch[f]) for f in self.factors)
        states, _ = self.gru(x)
        lengths = batch["mask"].sum(1).clamp(min=1) - 1
        last = states[torch.arange(states.shape[0]), lengths]
        return self.head(last)
'''


def rule_pack(rule_id: str, params: dict[str, Any] | None = None, seeds: int = 3) -> str:
    """A one-rule pack: rule ``rule_id`` of the default pack, with ``params`` merged in."""
    pack = yaml.safe_load(builtin_packs()["default"].read_text(encoding="utf-8"))
    (rule,) = [r for r in pack["rules"] if r["id"] == rule_id]
    rule = {**rule, "params": {**(rule.get("params") or {}), **(params or {})}}
    return yaml.safe_dump(
        {
            "pack": f"only-{rule_id}",
            "schema": 1,
            "settings": {**pack["settings"], "seeds": seeds},
            "rules": [rule],
        },
        allow_unicode=True,
    )


@pytest.fixture
def run_rule(tmp_path: Path) -> Iterator[Callable[..., dict[str, Any]]]:
    """Audit ``source`` (a model file body, appended to ``MODEL_HEADER``) with one rule."""
    old = Path.cwd()
    os.chdir(tmp_path)
    counter = iter(range(1000))

    def run(
        source: str, rule_id: str, params: dict[str, Any] | None = None, seeds: int = 3
    ) -> dict[str, Any]:
        n = next(counter)
        model = tmp_path / f"model_{n}.py"
        model.write_text(MODEL_HEADER + textwrap.dedent(source), encoding="utf-8")
        pack = tmp_path / f"pack_{n}.yaml"
        pack.write_text(rule_pack(rule_id, params, seeds), encoding="utf-8")
        code = main(
            ["check", str(model), "--rules", str(pack), "--out", f"out_{n}", "-q", "--no-cache"]
        )
        assert code in (0, 1), f"auditkit check exited {code}"
        doc: dict[str, Any] = json.loads((tmp_path / f"out_{n}" / "audit.json").read_text())
        return doc

    try:
        yield run
    finally:
        os.chdir(old)


def rule_row(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """The rule's row of ``audit.json``."""
    (row,) = [r for r in doc["rules"] if r["id"] == rule_id]
    return row
