"""Issue 15: pitfalls a careful reviewer catches, each planted beside a clean twin.

Real audits of small model files (seeded training runs), through the same ``audit``
fixture as the split rules' quality tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import auditkit as ak
from tests.quality.conftest import rule_row
from tests.quality.test_splits import SPR_ARGS, Audit, audit, experiment, show, write_spr_bench

__all__ = ["audit"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.slow

#: a model file that reads SPR_BENCH when the folder is there, and otherwise quietly builds
#: a toy set in memory under the benchmark's name (no generator recorded)
FALLBACK = (
    "ak.datasets.spr_csv(path) if Path(path).exists() else dataclasses.replace("
    'ak.datasets.spr(rule="shape_count", n_train=200, n_dev=100, n_test=100, length=(4, 8)), '
    'name="SPR_BENCH", metadata={})'
)
PRELUDE = 'import dataclasses\nfrom pathlib import Path\npath = "SPR_BENCH"\n'


def test_provenance_never_passes_undeclared_and_warns_on_a_nameplate_benchmark(
    audit: Audit, tmp_path: Path
) -> None:
    # Planted: nothing declared, the folder is missing, the toy set carries the name.
    doc = audit(experiment(FALLBACK), {"AK204": {}}, seeds=2, prelude=PRELUDE)
    row = show(doc, "AK204")
    assert row["outcome"] == "warn", row
    assert (
        "named 'SPR_BENCH', like a benchmark published as files, but no file was read"
        in (row["reason"])
    )
    assert "the model file names path(s) that do not exist: 'SPR_BENCH' (line" in row["reason"]
    assert "no file was read" in row["evidence"]["data read"]
    # Clean twin: the same file with its folder in place, still nothing declared: the data
    # is recorded as read from the files, and provenance is reported as not checked.
    write_spr_bench(tmp_path / "SPR_BENCH", ak.datasets.spr(**SPR_ARGS))
    clean = audit(experiment(FALLBACK), {"AK204": {}}, seeds=2, prelude=PRELUDE)
    row = show(clean, "AK204")
    assert row["outcome"] == "skipped", row
    assert "nothing was declared, so provenance is not checked" in row["reason"]
    assert row["evidence"]["data read"].startswith("read from 3 file(s)")


# --------------------------------------------------------------------------- AK201

#: a colour cue at the last token: the shape-only baseline cannot see it, the token GRU can
SHORTCUT = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(
        rule="shape_count", n_train=400, n_dev=150, n_test=300, length=(4, 8), seed=2,
        shortcut=ak.datasets.Shortcut(factor="color", position=-1, strength=1.0, splits=SPLITS),
    ),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=4, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def shapes(info):
    return Bag(info, factors=("shape",))

@exp.variant
def tokens(info):
    return Gru(info, factors=("tokens",))

exp.claim("tokens", over="shapes", metric="accuracy")
"""


def test_train_dev_only_shortcut_is_caught_from_data_and_paired_gaps(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Planted: the last token's colour gives the label away in train and dev, and is
    # random in test. Before issue 15 AK201 passed: each gap sat inside its seed band.
    doc = run_rule(SHORTCUT.replace("SPLITS", '("train", "dev")'), "AK201")
    row = rule_row(doc, "AK201")
    assert row["outcome"] == "fail", row
    assert "colour at position -1 predicts the label" in row["reason"]
    assert "tokens vs shapes: the variant loses" in row["reason"]
    cue = row["evidence"]["factor-label association"]
    # the map learnt on train predicts dev perfectly and test at chance (margins: 0.9, 0.65)
    dev_pct, test_pct = (
        float(x)
        for x in re.findall(r"colour at position -1: ([\d.]+)% on dev vs ([\d.]+)%", cue)[0]
    )
    assert dev_pct > 90 and test_pct < 65
    # Clean twin: the same cue in every split is a real feature of this data, not a
    # train/dev-only shortcut; nothing differs between dev and test.
    clean = run_rule(SHORTCUT.replace("SPLITS", '("train", "dev", "test")'), "AK201")
    row = rule_row(clean, "AK201")
    assert row["outcome"] == "pass", row
    assert "none differs" in row["evidence"]["factor-label association"]
