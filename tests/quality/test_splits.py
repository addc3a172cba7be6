"""AK201-AK205: dev/test shift, random re-splits, leakage, data provenance, noise ceiling.

Each planted pitfall is built with the generator's pitfall options (``Shift``, ``Leak``,
``label_noise``) or, where the generator has none (near copies, a silent fallback to toy
data), in the model file itself. The inspecting rules (AK201, AK203-AK205) need only the
nominal runs, so one clean audit checks all of them together.
"""

from __future__ import annotations

import csv
import json
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import auditkit as ak
from auditkit.cli import main
from auditkit.rulepack import builtin_packs
from tests.quality.conftest import MODEL_HEADER, rule_row

pytestmark = pytest.mark.slow

Audit = Callable[..., dict[str, Any]]

#: tiny data: shape_count (three or more triangles) is learnt in 3 epochs by both models
SPR_ARGS: dict[str, Any] = {
    "rule": "shape_count",
    "n_train": 300,
    "n_dev": 100,
    "n_test": 200,
    "length": (4, 8),
    "seed": 3,
}
#: the same, as source text for a model file
SPR = ", ".join(f"{k}={v!r}" for k, v in SPR_ARGS.items())

MODELS = """
@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def gru(info):
    return Gru(info)

exp.claim("gru", over="bag", metric="accuracy")
"""


def experiment(data: str, extra: str = "") -> str:
    """A model file body: ``data`` is the expression for ``Experiment(data=...)``."""
    return (
        f"""
exp = ak.Experiment(
    "q",
    data={data},
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=3, batch_size=32, lr=1e-2),{extra}
)
"""
        + MODELS
    )


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[Audit]:
    """Audit a model file body with the named rules of the default pack (real runs)."""
    old = Path.cwd()
    os.chdir(tmp_path)
    counter = iter(range(1000))
    default = yaml.safe_load(builtin_packs()["default"].read_text(encoding="utf-8"))

    def run(
        source: str,
        rules: dict[str, dict[str, Any]],
        seeds: int = 3,
        prelude: str = "",
    ) -> dict[str, Any]:
        n = next(counter)
        model = tmp_path / f"model_{n}.py"
        model.write_text(
            MODEL_HEADER + textwrap.dedent(prelude) + textwrap.dedent(source), encoding="utf-8"
        )
        chosen = [
            {**r, "params": {**(r.get("params") or {}), **rules[r["id"]]}}
            for r in default["rules"]
            if r["id"] in rules
        ]
        pack = tmp_path / f"pack_{n}.yaml"
        pack.write_text(
            yaml.safe_dump(
                {
                    "pack": "splits",
                    "schema": 1,
                    "settings": {**default["settings"], "seeds": seeds},
                    "rules": chosen,
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
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


def write_spr_bench(folder: Path, data: ak.TokenDataset) -> None:
    """Write ``data`` as an SPR_BENCH-format folder: train.csv, dev.csv, test.csv."""
    folder.mkdir()
    for name in ("train", "dev", "test"):
        part = data.split(name)
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "sequence", "label"])
            writer.writerows(zip(part.ids, part.sequences, part.labels, strict=True))


def show(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """The rule's row; printed with the claims' verdicts, so ``pytest -s`` shows the numbers."""
    row = rule_row(doc, rule_id)
    print(f"\n{rule_id} {row['outcome']}: {row['reason']}")
    for key, value in row["evidence"].items():
        print(f"    {key}: {value}")
    for claim in doc["claims"]:
        print(f"    claim {claim['verdict']}: {claim['reason']}")
    return row


# --------------------------------------------------------------------------- clean


def test_clean_spr_bench_folder_passes_every_split_rule(audit: Audit, tmp_path: Path) -> None:
    # a model file that falls back to toy data (as in the AK204 test below), here with its
    # SPR_BENCH folder in place
    # the order rule and 6 epochs of batch 16: the bag cannot see order, so the GRU's
    # gain stands far out of seed noise on every machine (on shape_count in 3 epochs its
    # 95% CI began at +0.15 pts, one test row in one seed from "inconclusive"); now
    # +37.2 pts, CI from +22.6 pts, Holm p = 0.004
    order = {**SPR_ARGS, "rule": "shape_order"}
    write_spr_bench(tmp_path / "SPR_BENCH", ak.datasets.spr(**order))
    source = experiment(
        "ak.datasets.spr_csv(path) if Path(path).exists() else ak.datasets.spr(n_train=200)",
        extra='\n    expect_data={"source": "SPR_BENCH", '
        '"rows": {"train": 300, "dev": 100, "test": 200}},',
    ).replace("epochs=3, batch_size=32", "epochs=6, batch_size=16")
    doc = audit(
        source,
        {"AK201": {}, "AK202": {}, "AK203": {}, "AK204": {}},
        prelude='from pathlib import Path\npath = "SPR_BENCH"\n',
    )
    for rule in ("AK201", "AK202", "AK203", "AK204"):
        row = show(doc, rule)
        assert row["outcome"] == "pass", (rule, row["reason"], row["evidence"])
    provenance = rule_row(doc, "AK204")
    assert provenance["evidence"]["rows"] == "train 300, dev 100, test 200"
    assert "SPR_BENCH" in provenance["evidence"]["origin"]
    (claim,) = doc["claims"]
    assert claim["invalid"] == []
    assert claim["verdict"] == "supported"
    assert claim["gain"]["low"] > 0.1  # CI from +10 pts or more
    (condition,) = claim["conditions"]
    assert condition["condition"] == "random re-split" and condition["rule"] == "AK202"
    assert condition["n"] == 3 and condition["status"] == "holds"


# --------------------------------------------------------------------------- AK201


def test_dev_test_shift_flags_a_test_split_of_longer_sequences(audit: Audit) -> None:
    # train and dev have 4-8 tokens, test 12-16
    shift = 'ak.datasets.Shift(split="test", by="length", range=(12, 16))'
    shifted = f"ak.datasets.spr({SPR}, shift={shift})"
    doc = audit(experiment(shifted), {"AK201": {}})
    row = show(doc, "AK201")
    assert row["outcome"] == "fail", row
    assert "length" in row["reason"] and "beyond the" in row["reason"]
    assert "differs" in row["evidence"]["dev vs test length"]


# --------------------------------------------------------------------------- AK202


def test_random_resplit_hands_a_split_specific_gain_on_as_fragile(audit: Audit) -> None:
    # The test split is 95% positive (balanced train and dev), and the variant adds the
    # test split's prior log-odds to its logits: a "prior-shift correction" estimated from
    # the test labels. It gains on the given split; on random re-splits train and test share
    # one label rate, the model already learnt it, and the extra offset costs accuracy.
    prelude = f"""
import dataclasses, math
base = ak.datasets.spr({SPR.replace("n_test=200", "n_test=400")})
pos = [i for i, y in enumerate(base.test.labels) if y == 1][:190]
neg = [i for i, y in enumerate(base.test.labels) if y == 0][:10]
keep = sorted(pos + neg)
test = ak.TokenSplit(
    ids=tuple(base.test.ids[i] for i in keep),
    sequences=tuple(base.test.sequences[i] for i in keep),
    labels=tuple(base.test.labels[i] for i in keep),
)
skewed = dataclasses.replace(base, test=test)
rate = sum(skewed.test.labels) / len(skewed.test)
prior = math.log(rate / (1 - rate))

class PriorBag(Bag):
    def forward(self, batch):
        # at evaluation only: during training the head would learn to cancel it
        logits = super().forward(batch)
        return logits if self.training else logits + torch.tensor([0.0, prior])
"""
    source = """
exp = ak.Experiment(
    "q",
    data=skewed,
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=2, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def bag(info):
    return Bag(info)

@exp.variant
def prior_bag(info):
    return PriorBag(info)

exp.claim("prior_bag", over="bag", metric="accuracy")
"""
    # five seeds and two epochs: a half-trained baseline errs often on the 95%-positive
    # test, and how often varies from seed to seed
    doc = audit(source, {"AK202": {}}, seeds=5, prelude=prelude)
    row = show(doc, "AK202")
    assert row["outcome"] == "warn", row
    assert "random re-splits" in row["reason"]
    (claim,) = doc["claims"]
    (condition,) = claim["conditions"]
    assert condition["condition"] == "random re-split" and condition["rule"] == "AK202"
    assert condition["status"] in ("reversed", "vanished")
    assert claim["verdict"] == "fragile"
    assert "random re-split (AK202" in claim["reason"]


# --------------------------------------------------------------------------- AK203


def test_leakage_fails_on_test_rows_copied_into_train(audit: Audit) -> None:
    leaky = f"ak.datasets.spr({SPR}, leak=ak.datasets.Leak(fraction=0.2))"
    doc = audit(experiment(leaky), {"AK203": {}}, seeds=2)
    row = show(doc, "AK203")
    assert row["outcome"] == "fail", row
    assert row["reason"].startswith("40 of 200 test rows (20.0%) also appear in train")
    assert "against about 0.0% by chance" in row["reason"]
    # decided from the effect (issue 15): 2 seeds show no gain on any rows, so there is
    # no conclusion for the copies to make, and nothing to invalidate; a gain made of
    # copies is invalidated in tests/quality/test_detection.py
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert claim["invalid"] == []


def test_leakage_warns_on_near_copies_one_token_apart(audit: Audit) -> None:
    # a quarter of the test rows are train rows with their first token's colour changed
    prelude = f"""
import dataclasses
base = ak.datasets.spr({SPR})
other = {{"r": "g", "g": "b", "b": "y", "y": "r"}}

def nudge(seq):
    first, *rest = seq.split()
    return " ".join([first[0] + other[first[1]], *rest])

k = 50
test = dataclasses.replace(
    base.test,
    sequences=tuple(nudge(s) for s in base.train.sequences[:k]) + base.test.sequences[k:],
    labels=base.train.labels[:k] + base.test.labels[k:],
)
near = dataclasses.replace(base, test=test)
"""
    doc = audit(experiment("near"), {"AK203": {}}, seeds=2, prelude=prelude)
    row = show(doc, "AK203")
    assert row["outcome"] == "warn", row
    assert row["reason"].startswith("50 of 200 test rows (25.0%) differ from a train row")


# --------------------------------------------------------------------------- AK204


def test_provenance_and_noise_ceiling_catch_a_silent_fallback_to_toy_data(
    audit: Audit,
) -> None:
    # The paper trains on SPR_BENCH with 30% label noise (as in SPR_flip_all, noise-30%);
    # the folder is missing, so the file quietly trains on clean toy data and scores far
    # above what 30% noise allows.
    source = experiment(
        "ak.datasets.spr_csv(path) if Path(path).exists() else "
        'ak.datasets.spr(rule="shape_count", n_train=200, n_dev=100, n_test=200, length=(4, 8))',
        extra='\n    expect_data={"source": "SPR_BENCH"},',
    )
    doc = audit(
        source,
        {"AK204": {}, "AK205": {"noise": 0.3}},
        prelude='from pathlib import Path\npath = "SPR_BENCH"\n',
    )
    row = show(doc, "AK204")
    assert row["outcome"] == "fail", row
    assert "fell back to synthetic data" in row["reason"]
    ceiling = show(doc, "AK205")
    assert ceiling["outcome"] == "fail", ceiling
    assert "70.0% ceiling that 30.0% label noise allows" in ceiling["reason"]
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert [why.split(":")[0] for why in claim["invalid"]] == [
        "AK204 data-provenance",
        "AK205 label-noise-ceiling",
    ]


# --------------------------------------------------------------------------- AK205


def test_noise_ceiling_passes_models_under_the_generators_planted_noise(audit: Audit) -> None:
    noisy = f'ak.datasets.spr({SPR}, label_noise={{"dev": 0.25, "test": 0.25}})'
    doc = audit(experiment(noisy), {"AK205": {}, "AK201": {}})
    row = show(doc, "AK205")
    assert row["outcome"] == "pass", row
    assert row["evidence"]["label noise"].startswith("25.0% of test labels, from the generator")
    assert rule_row(doc, "AK201")["outcome"] == "pass"
