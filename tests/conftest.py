"""Shared fixtures: tiny model files written into a temporary folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "spr_bench"

#: a complete, small and fast experiment: bag-of-embeddings baseline vs a GRU
TINY_MODEL = """
import torch
from torch import nn
import auditkit as ak

exp = ak.Experiment(
    "tiny",
    data=ak.datasets.spr(
        rule="shape_count", n_train=240, n_dev=80, n_test=120, length=(4, 8), seed=1
    ),
    metrics=["accuracy", "swa", "cwa", "hwa"],
    train=ak.TrainConfig(epochs=3, batch_size=32, lr=1e-2),
)


class Bag(nn.Module):
    def __init__(self, info):
        super().__init__()
        self.embed = nn.Embedding(info.vocab_size, 16, padding_idx=0)
        self.head = nn.Linear(16, info.n_classes)

    def forward(self, batch):
        mask = batch["mask"].unsqueeze(-1).float()
        pooled = (self.embed(batch["tokens"]) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(pooled)


class Gru(nn.Module):
    def __init__(self, info):
        super().__init__()
        self.embed = nn.Embedding(info.vocab_size, 16, padding_idx=0)
        self.gru = nn.GRU(16, 16, batch_first=True)
        self.head = nn.Linear(16, info.n_classes)

    def forward(self, batch):
        states, _ = self.gru(self.embed(batch["tokens"]))
        return self.head(states[:, -1])


@exp.variant(baseline=True)
def bag(info):
    return Bag(info)


@exp.variant
def gru(info):
    return Gru(info)


exp.claim("gru", over="bag", metric="accuracy", reported=0.05)
"""


@pytest.fixture
def write_model(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a model file into ``tmp_path`` and return its path."""

    def write(source: str, name: str = "model.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    return write


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    """Run the test inside ``tmp_path`` so ``.auditkit/`` lands there."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def reliance_rows(doc: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    """The reliance table of rule ``rule_id`` in audit.json, one dict per row.

    Keys: ``variant``, ``factor``, ``drop_mean``, ``low``, ``high`` and, where dev was
    probed, ``dev_drop_mean`` and ``dev_minus_test`` (None when not measured).
    """
    from auditkit.exhibits import Estimate, Table, exhibit_from_json

    (rule,) = [r for r in doc["rules"] if r["id"] == rule_id]
    tables = [e for e in map(exhibit_from_json, rule.get("exhibits") or ()) if isinstance(e, Table)]
    out: list[dict[str, Any]] = []
    for table in tables:
        labels = [c.label for c in table.columns]
        for cells in table.rows:
            row = dict(zip(labels, cells, strict=True))
            drop = cells[2]
            assert isinstance(drop, Estimate), row
            dev, gap = row.get("drop on dev"), row.get("dev − test")
            out.append(
                {
                    "variant": row["variant"],
                    "factor": row["masked factor"],
                    "drop_mean": drop.value,
                    "low": drop.low,
                    "high": drop.high,
                    "dev_drop_mean": dev.value if isinstance(dev, Estimate) else None,
                    "dev_minus_test": gap.value if isinstance(gap, Estimate) else None,
                }
            )
    return out
